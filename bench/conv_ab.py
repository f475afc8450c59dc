"""nbcnn against itself: every conv through im2col (conv.choose replaced) vs the shape dispatcher, alternated.

python bench/conv_ab.py lenet_train_b64,conv_fwd [REPS]   # row names of workloads.py; medians of REPS (7)
Run with NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=2 to match run.py.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import workloads  # noqa: E402
from nbcnn.backend.cpu import conv  # noqa: E402


def _force(algorithm, dispatcher=conv.choose):
    """Every convolution through `algorithm`, or (None) through the shape dispatcher."""
    conv.choose = dispatcher if algorithm is None else (lambda *shapes, **options: algorithm)


def main(rows, reps):
    fw = workloads.Nbcnn()
    for row in rows:
        step, work = workloads.workload(row, fw)
        res = {"im2col": [], None: []}
        for force in res:  # warm up both
            _force(force)
            step()
            step()
        for r in range(reps):
            for force in ((None, "im2col") if r % 2 else ("im2col", None)):
                _force(force)
                t0, n = time.perf_counter(), 0
                while time.perf_counter() - t0 < 0.25 or n < 2:
                    step()
                    n += 1
                res[force].append(work / ((time.perf_counter() - t0) / n))
        _force(None)
        scale = 1e-9 if row.startswith("conv") else 1.0
        old, new = (statistics.median(res[f]) * scale for f in ("im2col", None))
        print(f"{row:28s} im2col {old:10.1f}  dispatcher {new:10.1f}  new/old {new / old:5.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1].split(","), int(sys.argv[2]) if len(sys.argv) > 2 else 7)
