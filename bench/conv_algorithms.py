"""Every convolution algorithm on the 3×3 stride-1 layers of VGG-16, ResNet and their CIFAR versions, pass by pass,
or (--strided) on the strided layers of the registry's networks.

python bench/conv_algorithms.py [winograd4,winograd,shifted,im2col]     # GFLOP/s (2·N·K·C·kh·kw·OH·OW per pass)
python bench/conv_algorithms.py --strided [lowered_cl,im2col] [--rows 0,1]          # rows: indices into STRIDED
Prints, per layer, the forward, backward-input and backward-weight rates of each algorithm (medians of 7, the
algorithms alternated) and the dispatcher's choice; the numbers behind conv.choose and conv_winograd's schedules.
Run with NUMBA_NUM_THREADS=2.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import nbcnn  # noqa: E402,F401  (first: it sets OpenBLAS's spin time before NumPy loads)
import numpy as np  # noqa: E402
from nbcnn.backend.cpu import conv  # noqa: E402

LAYERS = [  # batch, channels in, channels out, input side (3×3, stride 1, padding 1)
    (1, 3, 64, 224), (1, 64, 64, 224), (1, 128, 128, 112), (1, 256, 256, 56), (1, 512, 512, 28), (1, 512, 512, 14),
    (8, 64, 64, 56), (8, 128, 128, 28), (8, 256, 256, 14), (8, 512, 512, 7),
    (128, 3, 64, 32), (128, 64, 64, 32), (128, 128, 128, 16), (128, 256, 256, 8), (128, 512, 512, 4),
    (128, 16, 16, 32), (128, 32, 32, 16), (128, 64, 64, 8),  # the ResNet paper's CIFAR networks
    (1024, 24, 64, 31), (1024, 64, 64, 15), (1024, 64, 256, 15), (1024, 256, 256, 7), (1024, 256, 256, 3),  # fastnet
]
STRIDED = [  # batch, channels in, channels out, input side, kernel, stride, padding
    (128, 16, 32, 32, 3, 2, 1), (128, 32, 64, 16, 3, 2, 1),  # the CIFAR ResNets' stride-2 layers
    (128, 16, 32, 32, 1, 2, 0), (128, 32, 64, 16, 1, 2, 0),  # and their 1×1 projections (option B)
    (128, 64, 128, 32, 3, 2, 1), (128, 128, 256, 16, 3, 2, 1), (128, 256, 512, 8, 3, 2, 1),  # small ResNet-18
    (1, 3, 64, 224, 7, 2, 3), (8, 3, 64, 224, 7, 2, 3),  # ImageNet ResNet stems
    (1, 64, 128, 56, 3, 2, 1), (1, 128, 256, 28, 3, 2, 1), (1, 256, 512, 14, 3, 2, 1),  # ResNet-18/34 at b1
    (8, 64, 128, 56, 3, 2, 1), (8, 128, 256, 28, 3, 2, 1), (8, 256, 512, 14, 3, 2, 1),  # and b8
    (8, 64, 128, 56, 1, 2, 0), (8, 256, 512, 14, 1, 2, 0),  # their 1×1 downsampling
    (8, 3, 64, 224, 11, 4, 2),  # AlexNet's stem
]


def _medians(calls, reps=7):
    """Median seconds of each call, the calls alternated so that a noisy stretch of the machine hits them all."""
    for f in calls:
        f()
    times = [[] for _ in calls]
    for _ in range(reps):
        for f, t in zip(calls, times):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def main(algorithms, layers):
    rng = np.random.default_rng(0)
    print(f"{'layer':<32}" + "".join(f" | {a:<17}" for a in algorithms) + " | chosen")
    for n, c, k, side, kernel, step, pad in layers:
        stride, padding = (step, step), (pad, pad)
        out = (side + 2 * pad - kernel) // step + 1
        x = rng.standard_normal((n, c, side, side), dtype=np.float32)
        w = rng.standard_normal((k, c, kernel, kernel), dtype=np.float32)
        b = np.zeros(k, np.float32)
        gy = rng.standard_normal((n, k, out, out), dtype=np.float32)
        gflop = 2 * n * k * c * kernel * kernel * out * out / 1e9
        line = f"{n:>3} × {c:>3}→{k:<3} at {side:>3}², {kernel}×{kernel}/{step}"
        algos = [conv.ALGORITHMS[name] for name in algorithms]
        rates = [[gflop / t for t in _medians([lambda a=a: a.conv2d_forward(x, w, b, stride, padding) for a in algos])],
                 [gflop / t for t in _medians([lambda a=a: a.conv2d_backward_input(gy, w, x.shape, stride, padding)
                                               for a in algos])],
                 [gflop / t for t in _medians([lambda a=a: a.conv2d_backward_weight(gy, x, w.shape, stride, padding)
                                               for a in algos])]]
        for j in range(len(algos)):
            line += " | " + " ".join(f"{rates[p][j]:5.0f}" for p in range(3))
        print(line + " | " + conv.choose(x.shape, w.shape, stride, padding), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    strided = "--strided" in args
    layers = STRIDED if strided else [(n, c, k, side, 3, 1, 1) for n, c, k, side in LAYERS]
    if "--rows" in args:
        at = args.index("--rows")
        layers = [layers[int(i)] for i in args[at + 1].split(",")]
        del args[at:at + 2]
    args = [a for a in args if a != "--strided"]
    default = ["lowered_cl", "im2col"] if strided else ["winograd4", "winograd", "shifted", "im2col"]
    main(args[0].split(",") if args else default, layers)
