"""One framework in its own process, driven by run.py over stdin/stdout, one JSON object a line.

Kept apart so that the two frameworks' OpenMP thread pools never spin against each other and each process's
peak memory is its own. Modes:
  worker.py FRAMEWORK             serve {"row", "reps"} requests: build and warm up a row once, time `reps` repetitions
  worker.py FRAMEWORK --memory ROW  run ROW twice, print the peak resident set size (MiB)
  worker.py FRAMEWORK --startup     build LeNet-5 and run one training step, print the timestamps
"""
import json
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_MIN_SECONDS = 0.25  # a repetition repeats the step until it lasts this long: short steps time poorly


def _serve(fw):
    current = None  # (row, step, work, inner): one row's workload stays built while run.py alternates
    for line in sys.stdin:
        req = json.loads(line)
        if current is None or current[0] != req["row"]:
            current = None  # free the previous row's model before building the next
            step, work = workloads.workload(req["row"], fw)
            step()  # warm-up: compilation or cache loading, first touch of buffers
            t0 = time.perf_counter()
            step()  # timed warm: sized on the warm-up (kernel loading included), LeNet got one step a repetition
            inner = max(1, min(100, int(_MIN_SECONDS / max(time.perf_counter() - t0, 1e-4))))
            current = (req["row"], step, work, inner)
        _, step, work, inner = current
        times = []
        for _ in range(req["reps"]):
            t0 = time.perf_counter()
            for _ in range(inner):
                step()
            times.append((time.perf_counter() - t0) / inner)
        print(json.dumps({"times": times, "work": work}), flush=True)


def _memory(fw, row):
    import resource
    step, _ = workloads.workload(row, fw)
    step()
    step()
    print(json.dumps({"maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


def _startup(name):
    t_imported = time.time()
    fw = workloads.FRAMEWORKS[name]()
    t_lib = time.time()
    step, _ = workloads.train_step("lenet5", 64, fw)
    step()
    print(json.dumps({"imported": t_imported, "lib": t_lib, "done": time.time()}), flush=True)


if __name__ == "__main__":
    name = sys.argv[1]
    if name == "nbcnn":
        import nbcnn  # noqa: F401  before NumPy, as a user's script or the CLI would: it sets OpenBLAS's spin time
    import workloads
    if sys.argv[2:3] == ["--startup"]:
        _startup(name)
    elif sys.argv[2:3] == ["--memory"]:
        _memory(workloads.FRAMEWORKS[name](), sys.argv[3])
    else:
        _serve(workloads.FRAMEWORKS[name]())
