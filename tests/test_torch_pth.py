"""Reading torch.save's state_dicts without torch: files written by torch itself (every element type, views that
share or stride through a storage), read in a process where torch cannot be imported; and files that must be
refused: a forbidden global, a truncated archive, a storage of the wrong size, a view beyond its storage, the
legacy format, a pickle that is not a state_dict."""
import io
import os
import pickle
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import nbcnn
from nbcnn.interop import TorchFileError, load_torch_state_dict

torch = pytest.importorskip("torch")


def torch_state():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g, dtype=torch.float64)
    return OrderedDict([
        ("conv.weight", torch.randn(3, 2, 3, 3, generator=g)),
        ("double", base),
        ("transposed", base.t()),               # a strided view of the same storage
        ("row", base[2]),                        # an offset into it
        ("half", torch.randn(5, generator=g).half()),
        ("bfloat16", torch.tensor([1.5, -2.25, 3e38, 1e-20]).bfloat16()),
        ("count", torch.tensor(7)),              # 0-d int64, like num_batches_tracked
        ("ints", torch.arange(-3, 3, dtype=torch.int32)),
        ("bytes", torch.arange(250, 256, dtype=torch.uint8)),
        ("mask", torch.tensor([True, False, True])),
        ("empty", torch.zeros(0, 4)),
    ])


def expected(t):
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


@pytest.fixture
def pth(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(torch_state(), path)
    return path


def test_reads_what_torch_wrote_without_torch(pth, tmp_path):
    out = tmp_path / "read.npz"
    code = ("import sys; sys.modules['torch'] = None\n"  # any import of torch now fails
            "import numpy as np, nbcnn\n"
            f"state = nbcnn.load_torch_state_dict({str(pth)!r})\n"
            "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
            f"np.savez({str(out)!r}, names=np.array(list(state)), **state)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    with np.load(out) as read:
        assert list(read["names"]) == list(torch_state())  # the file's order
        for name, t in torch_state().items():
            np.testing.assert_array_equal(read[name], expected(t), err_msg=name)
            assert read[name].dtype == expected(t).dtype and read[name].shape == tuple(t.shape), name


def test_views_are_copies_that_own_their_memory(pth):
    state = load_torch_state_dict(pth)
    assert state["transposed"].flags.c_contiguous and state["transposed"].flags.owndata
    state["double"][0, 0] = 1e9
    assert state["transposed"][0, 0] != 1e9


def test_model_loads_a_torch_state_dict(tmp_path):
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    theirs[1].running_mean.normal_()
    path = tmp_path / "net.pth"
    torch.save(theirs.state_dict(), path)
    ours = nbcnn.nn.Sequential(nbcnn.nn.Conv2d(3, 4, 3), nbcnn.nn.BatchNorm2d(4))
    ours.load_state_dict(nbcnn.load_torch_state_dict(path))
    np.testing.assert_array_equal(ours[1].running_mean.numpy(), theirs[1].running_mean.numpy())
    np.testing.assert_array_equal(ours[0].weight.numpy(), theirs[0].weight.detach().numpy())


def test_parameters_saved_as_such_are_read(tmp_path):
    path = tmp_path / "params.pth"
    weight = torch.nn.Parameter(torch.ones(2, 2))
    torch.save({"w": weight}, path)
    np.testing.assert_array_equal(load_torch_state_dict(path)["w"], np.ones((2, 2), np.float32))


# ---------------------------------------------------------------- files that must be refused
def rewritten(source, target, replace):
    """A copy of the zip archive `source` with the entries named in `replace` (by their last path parts)
    replaced by new bytes."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            key = info.filename.split("/", 1)[1]
            zout.writestr(info.filename, replace.get(key, zin.read(info.filename)))
    return target


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_forbidden_global_is_refused_before_it_runs(pth, tmp_path):
    marker = tmp_path / "owned"
    payload = pickle.dumps({"w": Hostile(marker)}, protocol=2)
    bad = rewritten(pth, tmp_path / "hostile.pth", {"data.pkl": payload})
    with pytest.raises(TorchFileError, match=rf"{bad}: refusing global (os|posix)\.system"):
        load_torch_state_dict(bad)
    assert not marker.exists()
    pickle.loads(payload)  # the same pickle, unrestricted, does run the command: the test can fail
    assert marker.exists()


def test_other_torch_globals_are_refused(pth, tmp_path):
    payload = pickle.dumps({"w": torch.nn.Linear}, protocol=2)  # a class, not a tensor
    bad = rewritten(pth, tmp_path / "module.pth", {"data.pkl": payload})
    with pytest.raises(TorchFileError, match="refusing global torch.nn.modules.linear.Linear"):
        load_torch_state_dict(bad)


def test_a_truncated_archive_names_the_file(pth, tmp_path):
    cut = tmp_path / "cut.pth"
    cut.write_bytes(pth.read_bytes()[: pth.stat().st_size // 2])
    with pytest.raises(TorchFileError, match=rf"{cut}: not a torch.save zip archive, or a truncated one"):
        load_torch_state_dict(cut)


def test_a_storage_of_the_wrong_size_is_refused_before_allocating(pth, tmp_path):
    with zipfile.ZipFile(pth) as z:
        first = next(n for n in z.namelist() if n.endswith("/data/0"))
        short = z.read(first)[:-4]
    bad = rewritten(pth, tmp_path / "short.pth", {"data/0": short})
    with pytest.raises(TorchFileError, match=rf"{bad}: storage 0 \(FloatStorage\) should hold 54 elements, "
                                             rf"216 bytes; its entry .*data/0 has 212"):
        load_torch_state_dict(bad)


class Storage:
    """Pickled as storage 0 of the fixture's file, 54 float32 elements."""


class View:
    def __init__(self, offset, size, stride):
        self.args = offset, size, stride

    def __reduce__(self):
        from torch._utils import _rebuild_tensor_v2
        return _rebuild_tensor_v2, (Storage(), *self.args, False, OrderedDict())


def views_pickle(state, storage_count=54):
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.persistent_id = lambda obj: ("storage", torch.FloatStorage, "0", "cpu", storage_count) \
        if isinstance(obj, Storage) else None
    pickler.dump(state)
    return buffer.getvalue()


def test_a_view_beyond_its_storage_is_refused(pth, tmp_path):
    """A pickle whose tensor claims 10 elements of a 54-element storage from offset 50."""
    bad = rewritten(pth, tmp_path / "beyond.pth", {"data.pkl": views_pickle({"w": View(50, (10,), (1,))})})
    with pytest.raises(TorchFileError, match="reaches element 59 of a storage of 54"):
        load_torch_state_dict(bad)


def test_a_view_repeating_its_storage_is_refused_before_allocating(pth, tmp_path):
    """Stride 0 would make 10¹² copies of one element (4 TB) out of a file of a few kilobytes."""
    bad = rewritten(pth, tmp_path / "expanded.pth", {"data.pkl": views_pickle({"w": View(0, (10**6, 10**6), (0, 0))})})
    with pytest.raises(TorchFileError, match=r"size \(1000000, 1000000\), stride \(0, 0\) repeats elements of a "
                                             r"storage of 54"):
        load_torch_state_dict(bad)
    ok = rewritten(pth, tmp_path / "ok.pth", {"data.pkl": views_pickle({"w": View(0, (54,), (1,))})})
    assert load_torch_state_dict(ok)["w"].shape == (54,)  # the same pickle with a real view loads


def handmade_pth(path, state, storage_count, compression=zipfile.ZIP_STORED):
    """A state_dict file of `state`'s views over one float32 storage of zeros, as torch.save lays it out."""
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        z.writestr("made/data.pkl", views_pickle(state, storage_count))
        z.writestr("made/data/0", bytes(4 * storage_count))
    return path


def test_one_view_named_over_and_over_is_refused(tmp_path):
    """Each tensor is a copy: a pickle naming a 1 MB storage fifty times must not copy it fifty times; the same
    storage viewed twice (tied weights) loads."""
    count = 2**18
    many = handmade_pth(tmp_path / "many.pth", {f"w{i}": View(0, (count,), (1,)) for i in range(50)}, count)
    with pytest.raises(TorchFileError, match=r"more than 4 times the file's \d+ bytes"):
        load_torch_state_dict(many)
    tied = handmade_pth(tmp_path / "tied.pth", {"a": View(0, (count,), (1,)), "b": View(0, (512, 512), (1, 512))},
                        count)
    assert load_torch_state_dict(tied)["b"].shape == (512, 512)


def test_a_deflated_storage_larger_than_the_file_is_refused(tmp_path):
    """A zip bomb: 64 MB of zeros deflate to a few kilobytes; the entry is refused on its declared size."""
    count = 16 * 2**20
    bomb = handmade_pth(tmp_path / "bomb.pth", {"w": View(0, (count,), (1,))}, count, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(TorchFileError, match=rf"storage 0's entry made/data/0 unpacks to {4 * count} bytes, more "
                                             r"than the whole file's \d+"):
        load_torch_state_dict(bomb)
    small = handmade_pth(tmp_path / "small.pth", {"w": View(0, (54,), (1,))}, 54, zipfile.ZIP_DEFLATED)
    assert load_torch_state_dict(small)["w"].shape == (54,)  # deflated, but no bigger than the file: read


def test_legacy_files_and_non_state_dicts_are_named(tmp_path):
    legacy = tmp_path / "legacy.pth"
    torch.save({"w": torch.ones(2)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(TorchFileError, match="legacy .*save it again"):
        load_torch_state_dict(legacy)
    nested = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 3, "model": {"w": torch.ones(2)}}, nested)
    with pytest.raises(TorchFileError, match="entry 'epoch' holds a int"):
        load_torch_state_dict(nested)
    with pytest.raises(TorchFileError, match="cannot read"):
        load_torch_state_dict(tmp_path / "missing.pth")
