"""nbcnn beside PyTorch on the CPU, row by row: python bench/run.py [--only ROWS] [--repeat R] [--json]

Each framework runs in its own worker process (bench/worker.py) with 2 threads (NUMBA_NUM_THREADS=2,
torch.set_num_threads(2)); the two are asked in turn for one timed repetition each, so drifting machine load
hits both alike. Warm-up is excluded; a row reports the median of R repetitions and their min–max spread.
Memory rows start a fresh process per measurement (peak resident set size); startup rows time a new process
from its launch to the end of its first LeNet-5 training step, with the JIT cache warm and empty.
"""
import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")

# name: (what it measures, unit, kind, target). Speed rows: ratio = nbcnn/PyTorch throughput, target a minimum.
# Memory rows: ratio = nbcnn/PyTorch peak RSS, target a maximum. Startup rows: nbcnn seconds, target a maximum.
ROWS = {
    "lenet_train_b64": ("LeNet-5 train step, b64", "img/s", "speed", 1.5),
    "lenet_train_b256": ("LeNet-5 train step, b256", "img/s", "speed", 1.5),
    "lenet_infer_b256": ("LeNet-5 inference, b256", "img/s", "speed", 1.5),
    "resnet18_cifar_train_b128": ("CIFAR ResNet-18 train step, b128", "img/s", "speed", 1.0),
    "vgg16_cifar_train_b128": ("CIFAR VGG-16 train step, b128", "img/s", "speed", 1.0),
    "resnet20_train_b128": ("ResNet-20 (paper, option A) train step, b128", "img/s", "speed", 1.5),
    "resnet20b_train_b128": ("ResNet-20 (1×1 projections) train step, b128", "img/s", "speed", 1.5),
    "resnet56_train_b128": ("ResNet-56 (paper, option A) train step, b128", "img/s", "speed", 1.5),
    "resnet18_fwd_b1": ("ResNet-18 224 forward, b1", "img/s", "speed", 1.0),
    "vgg16_fwd_b1": ("VGG-16 224 forward, b1", "img/s", "speed", 1.0),
    "vgg16_fwd_b8": ("VGG-16 224 forward, b8", "img/s", "speed", 1.0),
    "resnet34_fwd_b8": ("ResNet-34 224 forward, b8", "img/s", "speed", 1.0),
    "matmul": ("float32 matmul 2048² (NumPy / torch.mm)", "GFLOP/s", "speed", None),
    "conv_fwd": ("conv 3×3 64→64 56² b32, forward", "GFLOP/s", "speed", 1.0),
    "conv_fwdbwd": ("conv 3×3 64→64 56² b32, fwd+bwd", "GFLOP/s", "speed", 1.0),
    "mem_vgg16_fwd_b8": ("peak RSS, VGG-16 224 forward b8", "MiB", "memory", 1.0),
    "mem_resnet18_cifar_train_b128": ("peak RSS, CIFAR ResNet-18 train b128", "MiB", "memory", 1.0),
    "startup_warm": ("new process → 1st LeNet step, warm JIT cache", "s", "startup", 3.0),
    "startup_cold": ("new process → 1st LeNet step, empty JIT cache", "s", "startup", 30.0),
}
_CONV_SHARE = 0.8  # conv rows must also reach this share of the same run's NumPy matmul GFLOP/s


def _env(**extra):
    env = dict(os.environ, NUMBA_NUM_THREADS="2", OMP_NUM_THREADS="2", **extra)
    env.setdefault("NUMBA_CACHE_DIR", os.path.join(tempfile.gettempdir(), "nbcnn-bench-cache"))
    return env


class Worker:
    def __init__(self, framework):
        self.proc = subprocess.Popen([sys.executable, WORKER, framework], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=_env())

    def run(self, row, reps=1):
        self.proc.stdin.write(json.dumps({"row": row, "reps": reps}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker died on row {row}")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def _once(args, env):
    out = subprocess.run([sys.executable, WORKER] + args, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# Both frameworks' OpenMP threads keep spinning for a while after their last kernel; a repetition started right
# after the other framework's would share the two cores with those spinning threads (LeNet-5 b64 measured anywhere
# from 1,800 to 13,700 images/s that way, 14,200 steadily alone). The pause lets them go to sleep.
_SETTLE_SECONDS = 0.5


def _speed(row, workers, reps):
    values = {name: [] for name in workers}
    for r in range(reps):
        order = list(workers) if r % 2 == 0 else list(reversed(workers))
        for name in order:
            time.sleep(_SETTLE_SECONDS)
            res = workers[name].run(row)
            scale = 1e-9 if ROWS[row][1] == "GFLOP/s" else 1.0
            values[name] += [res["work"] / t * scale for t in res["times"]]
    return values


def _memory(row, frameworks, reps):
    target = row[len("mem_"):]
    return {name: [_once([name, "--memory", target], _env())["maxrss_mib"] for _ in range(reps)]
            for name in frameworks}


def _startup(row, frameworks, reps):
    values, notes = {name: [] for name in frameworks}, []
    for name in frameworks:
        for _ in range(reps):
            cold = row == "startup_cold" and name == "nbcnn"
            cache = tempfile.mkdtemp(prefix="nbcnn-cold-") if cold else None
            env = _env(NUMBA_CACHE_DIR=cache) if cold else _env()
            if not cold and row == "startup_warm" and not values[name]:
                _once([name, "--startup"], env)  # fill the cache; untimed
            t0 = time.time()
            res = _once([name, "--startup"], env)
            values[name].append(res["done"] - t0)
            if name == "nbcnn":
                notes.append(f"import {res['lib'] - t0:.1f} s + first step {res['done'] - res['lib']:.1f} s")
            if cache:
                shutil.rmtree(cache, ignore_errors=True)
    return values, notes[len(notes) // 2] if notes else ""


def _summary(row, values):
    label, unit, kind, target = ROWS[row]
    med = {name: statistics.median(v) for name, v in values.items() if v}
    out = {"row": row, "label": label, "unit": unit, "target": target,
           **{name: {"median": med[name], "min": min(v), "max": max(v), "runs": v} for name, v in values.items()}}
    if "nbcnn" in med and "torch" in med:
        out["ratio"] = med["nbcnn"] / med["torch"]
    if kind == "startup":
        out["ok"] = med["nbcnn"] <= target
    elif target is not None and "ratio" in out:
        out["ok"] = out["ratio"] >= target if kind == "speed" else out["ratio"] <= target
    return out


def _fmt(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}" if x < 10 else f"{x:.1f}"


def _table(results):
    head = f"{'row':<48} {'unit':<8} {'nbcnn (min–max)':>26} {'PyTorch (min–max)':>26} {'ratio':>6} {'target':>7}  ok"
    lines = [head, "-" * len(head)]
    for res in results:
        cells = []
        for name in ("nbcnn", "torch"):
            s = res.get(name)
            cells.append(f"{_fmt(s['median'])} ({_fmt(s['min'])}–{_fmt(s['max'])})" if s else "—")
        kind = ROWS[res["row"]][2]
        target = "" if res["target"] is None else (
            f"≤{res['target']:g}s" if kind == "startup" else f"{'≥' if kind == 'speed' else '≤'}{res['target']:g}")
        ok = {True: "yes", False: "NO"}.get(res.get("ok"), "")
        ratio = f"{res['ratio']:.2f}" if "ratio" in res else "—"
        lines.append(f"{res['label']:<48} {res['unit']:<8} {cells[0]:>26} {cells[1]:>26} {ratio:>6} {target:>7}  {ok}"
                     + (f"  {res['note']}" if res.get("note") else ""))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated row names or prefixes (default: every row)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per row (default 5)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args(argv)
    wanted = [w for w in (args.only or "").split(",") if w]
    rows = [r for r in ROWS if not wanted or any(r.startswith(w) for w in wanted)]
    if any(r.startswith("conv") for r in rows) and "matmul" not in rows:
        rows.insert(rows.index(next(r for r in rows if r.startswith("conv"))), "matmul")
    frameworks = ["nbcnn"] + (["torch"] if importlib.util.find_spec("torch") else [])

    results, workers = [], None
    try:
        for row in rows:
            kind = ROWS[row][2]
            note = ""
            if kind != "speed" and workers:  # speed rows are over: their processes must not hold memory or cores
                for w in workers.values():
                    w.close()
                workers = None
            if kind == "speed":
                workers = workers or {name: Worker(name) for name in frameworks}
                values = _speed(row, workers, args.repeat)
            elif kind == "memory":
                values = _memory(row, frameworks, min(args.repeat, 2))
            else:
                values, note = _startup(row, frameworks, min(args.repeat, 3))
            res = _summary(row, values)
            matmul = next((r["nbcnn"]["median"] for r in results if r["row"] == "matmul"), None)
            if row.startswith("conv") and matmul:
                share = res["nbcnn"]["median"] / matmul
                res["matmul_share"] = share
                res["ok"] = res.get("ok", True) and share >= _CONV_SHARE
                note = f"{share:.0%} of NumPy matmul (≥{_CONV_SHARE:.0%})"
            res["note"] = note
            results.append(res)
            lines = _table([res]).splitlines()
            print("\n".join(lines if len(results) == 1 else lines[-1:]), flush=True,
                  file=sys.stderr if args.json else sys.stdout)
    finally:
        for w in (workers or {}).values():
            w.close()
    if args.json:
        print(json.dumps({"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                          "date": time.strftime("%Y-%m-%d %H:%M"), "rows": results}, indent=1))


if __name__ == "__main__":
    main()
