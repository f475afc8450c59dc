"""The size of one core's L2 cache, which the blocked kernels size their working sets by.

The kernels were first tuned on a Xeon with 2 MiB of L2 per core; the same constants on an EPYC with 512 KiB
spilled every Winograd block of a 64-channel layer out of L2 (bench/README.md, "Sizing blocks by the L2 cache").
Linux reports the size in sysfs; elsewhere, or when it cannot be read, the tuned machine's 2 MiB is assumed.
NBCNN_L2_BYTES overrides both (to reproduce another machine's choices).
"""
import functools
import os

ASSUMED_L2_BYTES = 2 << 20
_SYSFS = "/sys/devices/system/cpu/cpu0/cache"


def _parse_size(text):
    """'512K' / '2048K' / '2M' / '1048576' -> bytes."""
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


@functools.lru_cache(maxsize=1)
def l2_bytes():
    """Bytes of L2 cache per core."""
    if os.environ.get("NBCNN_L2_BYTES"):
        return int(os.environ["NBCNN_L2_BYTES"])
    try:
        for index in sorted(os.listdir(_SYSFS)):
            folder = os.path.join(_SYSFS, index)
            with open(os.path.join(folder, "level")) as level, open(os.path.join(folder, "type")) as kind:
                if level.read().strip() == "2" and kind.read().strip() in ("Unified", "Data"):
                    with open(os.path.join(folder, "size")) as size:
                        return _parse_size(size.read())
    except (OSError, ValueError):
        pass
    return ASSUMED_L2_BYTES
