import builtins
import os
import pickle

import numpy as np
import pytest

from nbcnn.data.errors import DataError
from nbcnn.data.fake import write_python2_pickle
from nbcnn.data.safe_pickle import safe_load


class _Payload:
    """Unpickling this calls fn(*args): the classic attack on pickle.load."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def _attacks(marker):
    return [_Payload(builtins.open, str(marker), "w"),
            _Payload(os.system, f"touch {marker}"),
            {b"data": np.zeros(3, np.uint8), b"labels": [_Payload(builtins.open, str(marker), "w")]}]


def test_plain_pickle_would_run_the_payload(tmp_path):
    # Shows the side effect checked below is real: an unrestricted load creates the marker.
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(_Payload(builtins.open, str(marker), "w"), protocol=2)).close()
    assert marker.exists()


@pytest.mark.parametrize("which", range(3))
@pytest.mark.parametrize("protocol", [2, 5])
def test_refuses_code_and_runs_nothing(tmp_path, which, protocol):
    marker = tmp_path / "pwned"
    (tmp_path / "evil").write_bytes(pickle.dumps(_attacks(marker)[which], protocol=protocol))
    with pytest.raises(DataError, match="evil: .*refusing global"):
        safe_load(tmp_path / "evil")
    assert not marker.exists()


@pytest.mark.parametrize("write", [lambda path, obj: path.write_bytes(pickle.dumps(obj, protocol=2)),
                                   lambda path, obj: path.write_bytes(pickle.dumps(obj, protocol=5)),
                                   write_python2_pickle])
def test_loads_arrays_and_plain_data(tmp_path, write):
    data = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write(tmp_path / "ok", {b"data": data, b"labels": [1, 2, 3], b"name": b"x", b"n": 10000})
    got = safe_load(tmp_path / "ok")
    assert np.array_equal(got[b"data"], data) and got[b"data"].dtype == np.uint8
    assert got[b"labels"] == [1, 2, 3] and got[b"name"] == b"x" and got[b"n"] == 10000


def test_python2_strings_come_back_as_bytes(tmp_path):
    write_python2_pickle(tmp_path / "p", {b"key": b"value"})
    raw = (tmp_path / "p").read_bytes()
    assert raw.startswith(b"\x80\x02") and b"_codecs" not in raw
    assert safe_load(tmp_path / "p") == {b"key": b"value"}


def test_corrupt_pickle(tmp_path):
    (tmp_path / "bad").write_bytes(pickle.dumps({b"a": list(range(100))}, protocol=2)[:30])
    with pytest.raises(DataError, match="bad: not a valid data pickle"):
        safe_load(tmp_path / "bad")
