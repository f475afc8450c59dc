"""Every convolution algorithm on the 3×3 stride-1 layers of VGG-16, ResNet and their CIFAR versions, pass by pass.

python bench/conv_algorithms.py [winograd4,winograd,shifted,im2col]   # GFLOP/s (2·N·K·C·9·H·W per pass), best of 3
Prints, per layer, the forward, backward-input and backward-weight rates of each algorithm and the dispatcher's
choice; the numbers behind conv.choose and conv_winograd's schedules. Run with NUMBA_NUM_THREADS=2.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import nbcnn  # noqa: E402,F401  (first: it sets OpenBLAS's spin time before NumPy loads)
import numpy as np  # noqa: E402
from nbcnn.backend.cpu import conv  # noqa: E402

LAYERS = [  # batch, channels in, channels out, plane side
    (1, 3, 64, 224), (1, 64, 64, 224), (1, 128, 128, 112), (1, 256, 256, 56), (1, 512, 512, 28), (1, 512, 512, 14),
    (8, 64, 64, 56), (8, 128, 128, 28), (8, 256, 256, 14), (8, 512, 512, 7),
    (128, 3, 64, 32), (128, 64, 64, 32), (128, 128, 128, 16), (128, 256, 256, 8), (128, 512, 512, 4),
    (128, 16, 16, 32), (128, 32, 32, 16), (128, 64, 64, 8),  # the ResNet paper's CIFAR networks
]


def _best(f, reps=3):
    f()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(algorithms):
    rng = np.random.default_rng(0)
    print(f"{'layer':<22}" + "".join(f" | {a:<17}" for a in algorithms) + " | chosen")
    for n, c, k, side in LAYERS:
        x = rng.standard_normal((n, c, side, side), dtype=np.float32)
        w = rng.standard_normal((k, c, 3, 3), dtype=np.float32)
        b = np.zeros(k, np.float32)
        gy = rng.standard_normal((n, k, side, side), dtype=np.float32)
        gflop = 2 * n * k * c * 9 * side * side / 1e9
        line = f"{n:>3} × {c:>3}→{k:<3} at {side:>3}²"
        for name in algorithms:
            algo = conv.ALGORITHMS[name]
            rates = (gflop / _best(lambda: algo.conv2d_forward(x, w, b, (1, 1), (1, 1))),
                     gflop / _best(lambda: algo.conv2d_backward_input(gy, w, x.shape, (1, 1), (1, 1))),
                     gflop / _best(lambda: algo.conv2d_backward_weight(gy, x, w.shape, (1, 1), (1, 1))))
            line += " | " + " ".join(f"{r:5.0f}" for r in rates)
        print(line + " | " + conv.choose(x.shape, w.shape, (1, 1), (1, 1)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else ["winograd4", "winograd", "shifted", "im2col"])
