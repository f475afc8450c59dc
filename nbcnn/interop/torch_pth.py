"""Reading PyTorch state_dicts (`torch.save(model.state_dict(), "x.pth")`) without PyTorch.

Since PyTorch 1.6 such a file is a zip archive under one top folder: `data.pkl`, a pickle of the dict whose tensors
name their storages by key, and `data/<key>`, each storage's raw bytes (`byteorder` says little or big endian;
files without it are little endian). The pickle refers to storages through persistent ids, tuples
('storage', <storage class>, key, location, element count), and rebuilds each tensor by calling
torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).

A pickle may call any importable function while it loads, so, in the spirit of PyTorch's weights_only loader,
only the globals a state_dict needs resolve, each to a harmless stand-in written here: OrderedDict, the two tensor
rebuilders and the storage classes. Anything else fails at its first forbidden global, before it runs. Nothing
is allocated on a size the file only claims: a storage's element count must match its entry, no entry may hold
more bytes than the whole file (torch.save stores entries uncompressed; a deflated entry could claim gigabytes),
every tensor's view must lie inside its storage and hold no more elements than it (a stride of 0 repeats one
element any number of times), and all the tensors together at most _COPIES_PER_FILE times the file's size (views
of one storage are copied apart, and a pickle can name one view over and over).
"""
import pickle
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..data.errors import DataError

# storage class -> element type; BFloat16 has no NumPy type and is widened to float32 (exactly: its bits are the
# top half of a float32's)
_STORAGES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "BFloat16Storage": np.uint16, "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


# Tied weights make two or three views of one storage; a legitimate state_dict stays far below this.
_COPIES_PER_FILE = 4


class TorchFileError(DataError):
    """A .pth file that is not a readable state_dict: legacy format, truncated, or a pickle asking for more."""


class _StorageType:
    """What the pickle gets for torch.FloatStorage and its kin: only a name to look the element type up by."""

    def __init__(self, name):
        self.name = name


def _view_of(storage, offset, size, stride):
    """A contiguous copy of the strided view, after checking that the view lies inside its storage."""
    array, bfloat16 = storage
    offset, size, stride = int(offset), tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"tensor of size {size}, stride {stride}, offset {offset} is malformed")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= array.size:
            raise ValueError(f"tensor of size {size}, stride {stride}, offset {offset} reaches element {last} of "
                             f"a storage of {array.size}")
        if np.prod(size, dtype=object) > array.size:
            raise ValueError(f"tensor of size {size}, stride {stride} repeats elements of a storage of "
                             f"{array.size}: a state_dict's tensors are not expanded views")
    item = array.itemsize
    view = np.lib.stride_tricks.as_strided(array[offset:] if array.size else array, size,
                                           tuple(s * item for s in stride), writeable=False)
    out = np.array(view, order="C")  # a copy: the storage may be shared by several views
    if bfloat16:
        out = (out.astype(np.uint32) << 16).view(np.float32)
    return out


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGES},
}


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix, byteorder, file_size):
        super().__init__(file)
        self.archive, self.prefix, self.byteorder, self.file_size = archive, prefix, byteorder, file_size
        self.storages = {}
        self.copied = 0  # bytes of tensors built so far

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        try:
            return _GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing global {module}.{name}: a state_dict holds only tensors, "
                                         f"storages and OrderedDict") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[4], int)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}: only storages are allowed")
        _, kind, key, _location, count = pid
        if key not in self.storages:
            self.storages[key] = self._read_storage(kind.name, key, count)
        return self.storages[key]

    def _rebuild_tensor(self, storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
        tensor = _view_of(storage, offset, size, stride)
        self.copied += tensor.nbytes
        if self.copied > _COPIES_PER_FILE * self.file_size:
            raise pickle.UnpicklingError(f"its tensors add up to more than {_COPIES_PER_FILE} times the file's "
                                         f"{self.file_size} bytes: the pickle names the same storages over and over")
        return tensor

    def _read_storage(self, kind, key, count):
        dtype = np.dtype(_STORAGES[kind]).newbyteorder("<" if self.byteorder == "little" else ">")
        entry = f"{self.prefix}data/{key}"
        try:
            info = self.archive.getinfo(entry)
        except KeyError:
            raise pickle.UnpicklingError(f"storage {key} has no entry {entry} in the archive") from None
        if info.file_size != count * dtype.itemsize:  # checked before allocating: a count may be anything
            raise pickle.UnpicklingError(f"storage {key} ({kind}) should hold {count} elements, "
                                         f"{count * dtype.itemsize} bytes; its entry {entry} has {info.file_size}")
        if info.file_size > self.file_size:
            raise pickle.UnpicklingError(f"storage {key}'s entry {entry} unpacks to {info.file_size} bytes, more "
                                         f"than the whole file's {self.file_size}; torch.save stores entries "
                                         f"uncompressed")
        raw = self.archive.read(entry)
        return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="), copy=False), kind == "BFloat16Storage"


def load_torch_state_dict(path):
    """{name: ndarray} from a .pth state_dict written by torch.save, in the file's order and dtypes (bfloat16 as
    float32); raises TorchFileError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            state = _load_archive(path, archive)
    except OSError as error:
        raise TorchFileError(f"{path}: cannot read ({error.strerror or error})") from error
    except zipfile.BadZipFile as error:
        if path.is_file() and _is_legacy(path):
            raise TorchFileError(f"{path}: written by PyTorch's legacy (pre-1.6) serialization; load it in PyTorch "
                                 f"and save it again with a current version") from None
        raise TorchFileError(f"{path}: not a torch.save zip archive, or a truncated one ({error})") from None
    return state


def _load_archive(path, archive):
    pickles = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise TorchFileError(f"{path}: expected one <folder>/data.pkl in the archive, found {len(pickles)}")
    prefix = pickles[0][:-len("data.pkl")]
    byteorder = "little"
    if f"{prefix}byteorder" in archive.namelist():
        byteorder = archive.read(f"{prefix}byteorder").decode(errors="replace").strip()
        if byteorder not in ("little", "big"):
            raise TorchFileError(f"{path}: unknown byte order {byteorder!r}")
    try:
        with archive.open(pickles[0]) as f:
            state = _StateDictUnpickler(f, archive, prefix, byteorder, path.stat().st_size).load()
    except (zipfile.BadZipFile, EOFError) as error:
        raise TorchFileError(f"{path}: truncated or corrupt archive ({error})") from None
    except Exception as error:  # a hostile or corrupt pickle can fail in many ways; all mean the same here
        raise TorchFileError(f"{path}: {error}") from None
    return _as_state_dict(path, state)


def _as_state_dict(path, state):
    if not isinstance(state, dict):
        raise TorchFileError(f"{path}: holds a {type(state).__name__}, not a state_dict")
    others = [k for k, v in state.items() if not (isinstance(k, str) and isinstance(v, np.ndarray))]
    if others:
        raise TorchFileError(f"{path}: not a state_dict of tensors by name: entry {others[0]!r} holds a "
                             f"{type(state[others[0]]).__name__} (a training checkpoint? save model.state_dict())")
    return OrderedDict(state)


def _is_legacy(path):
    """PyTorch < 1.6 wrote a bare pickle stream starting with its magic number; a pickle starts with 0x80."""
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"
