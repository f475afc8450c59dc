"""Where compile time goes: run an `nbcnn` command in this process and report each Numba kernel it compiled.

    NUMBA_CACHE_DIR=$(mktemp -d) python bench/compile_profile.py train lenet --data fashion-mnist --epochs 1

Times are CPU seconds of the compiling thread (time.thread_time), so a busy machine inflates them less than wall
time; a kernel's own time excludes the helpers compiled inside it, which are listed under their own names. A
float64 twin is a signature that differs from another of the same kernel only in float64 for float32. Loads from the
on-disk cache are not compilations and do not appear. --json FILE writes the rows for later comparison.
"""
import json
import os
import sys
import time
from collections import defaultdict

from numba.core import event


class CompileTimes(event.Listener):
    """Per-dispatcher compile CPU time, exclusive of nested compilations."""

    def __init__(self):
        self.stack = []  # [name, started, time spent in nested compilations]
        self.rows = defaultdict(lambda: {"signatures": [], "seconds": 0.0})

    def on_start(self, ev):
        disp = ev.data["dispatcher"]
        name = f"{disp.py_func.__module__}.{disp.py_func.__qualname__}"
        self.stack.append([name, time.thread_time(), 0.0, ev.data["args"]])

    def on_end(self, ev):
        name, started, nested, args = self.stack.pop()
        spent = time.thread_time() - started
        row = self.rows[name]
        row["seconds"] += spent - nested
        row["signatures"].append(", ".join(str(a) for a in args))
        if self.stack:
            self.stack[-1][2] += spent


def report(rows, total_cpu, out=sys.stderr):
    compiled = sum(r["seconds"] for r in rows.values())
    twins = [(n, s) for n, r in rows.items() for s in set(r["signatures"])
             if "float64" in s and s.replace("float64", "float32") in r["signatures"]]
    print(f"\n{'kernel':<64} {'sigs':>4} {'cpu s':>7}", file=out)
    for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"{name[-64:]:<64} {len(row['signatures']):>4} {row['seconds']:>7.2f}", file=out)
    print(f"\n{len(rows)} kernels, {sum(len(r['signatures']) for r in rows.values())} signatures, "
          f"{compiled:.1f} s CPU compiling (main thread) of {total_cpu:.1f} s process CPU; "
          f"{len(twins)} float64 twins", file=out)
    for name, sig in twins:
        print(f"  float64: {name}({sig})", file=out)


def main(argv):
    dump = None
    if argv[:1] == ["--json"]:
        dump, argv = argv[1], argv[2:]
    listener = CompileTimes()
    event.register("numba:compile", listener)
    from nbcnn_cli import progress
    from nbcnn_cli.main import main as cli
    first_step = _time_first_step(progress.EpochProgress)
    try:
        cli.main(argv, standalone_mode=False)
    finally:
        report(listener.rows, time.process_time())
        if first_step:
            print(f"first training step done at {first_step['process_cpu']:.1f} s process CPU, "
                  f"{first_step['wall']:.1f} s wall after start", file=sys.stderr)
        if dump:
            with open(dump, "w") as f:
                json.dump({"process_cpu": time.process_time(), "first_step": first_step, "kernels": listener.rows},
                          f, indent=1)


def _time_first_step(reporter):
    """Record CPU and wall time (since the process started) when the first training step reports."""
    seen, batch = {}, reporter.batch

    def timed(self, *args):
        if not seen:
            seen.update(process_cpu=time.process_time(), wall=time.time() - _started())
        batch(self, *args)

    reporter.batch = timed
    return seen


def _started():
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main(sys.argv[1:])
