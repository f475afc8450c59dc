"""Inference beside PyTorch and ONNX Runtime (issue 18): python bench/inference.py [--only ROWS] [--repeat R]

Columns: nbcnn's plain eval model, nbcnn's inference path (`nbcnn.optimize_for_inference`: batch norm folded),
PyTorch eager, and ONNX Runtime running nbcnn's own export of the same network (skipped where onnxruntime is not
installed). Each in its own worker process with 2 threads, asked in turn (order alternating) for one timed
repetition each, as run.py does; medians of R repetitions, images/s.
"""
import argparse
import importlib.util
import statistics

from run import Worker, _speed

ROWS = {
    "resnet18_fwd_b1": "ResNet-18 224, batch 1",
    "resnet34_fwd_b8": "ResNet-34 224, batch 8",
    "vgg16_fwd_b1": "VGG-16 224, batch 1",
    "vgg16_fwd_b8": "VGG-16 224, batch 8",
    "lenet_infer_b256": "LeNet-5, batch 256",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated row names or prefixes (default: every row)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions per row (default 3)")
    args = parser.parse_args(argv)
    wanted = [w for w in (args.only or "").split(",") if w]
    rows = [r for r in ROWS if not wanted or any(r.startswith(w) for w in wanted)]
    frameworks = ["nbcnn", "nbcnn-folded"] + [name for name, module in (("torch", "torch"), ("ort", "onnxruntime"))
                                              if importlib.util.find_spec(module)]
    header = f"{'row':26s}" + "".join(f"{name:>14s}" for name in frameworks)
    if "ort" in frameworks:
        header += f"{'folded / ORT':>14s}"
    print(header, flush=True)
    workers = {name: Worker(name) for name in frameworks}
    try:
        for row in rows:
            medians = {name: statistics.median(v) for name, v in _speed(row, workers, args.repeat).items()}
            line = f"{ROWS[row]:26s}" + "".join(f"{medians[name]:14,.1f}" for name in frameworks)
            if "ort" in medians:
                line += f"{medians['nbcnn-folded'] / medians['ort']:14.2f}"
            print(line, flush=True)
    finally:
        for w in workers.values():
            w.close()


if __name__ == "__main__":
    main()
