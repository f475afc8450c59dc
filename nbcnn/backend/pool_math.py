"""Pooling's per-window math that both backends compile around their own loops (`njit` on the CPU,
`cuda.jit(device=True)` on CUDA), so max pooling's tie rule and average pooling's divisor cannot drift between
devices. The CPU's 2×2/2 and 3×3/2 pooling fast paths, and its record-free path for windows 3 wide, restate the
tie and NaN rules for speed; tests/test_pool.py holds them to this one. A NaN-aware comparison
(`(v > m) | (v != v)`, without the branch of `or`) costs one more compare, and without it a diverging network's
NaN vanishes into a plausible number."""
import math


def window_max(x, i, ch, y0, x0, kh, kw):
    """(max, flat index into the input plane) of the window at (y0, x0), clipped to the image; a tie keeps the
    first element in row-major order, and a NaN is the maximum (the last NaN of the window, as PyTorch picks)."""
    h, w = x.shape[2], x.shape[3]
    best, where = -math.inf, -1
    for ky in range(max(0, -y0), min(kh, h - y0)):
        for kx in range(max(0, -x0), min(kw, w - x0)):
            v = x[i, ch, y0 + ky, x0 + kx]
            if (v > best) | (v != v) | (where < 0):
                best, where = v, (y0 + ky) * w + x0 + kx
    return best, where


def window_area(y0, x0, kh, kw, h_padded, w_padded):
    """Average pooling's divisor for the window at (y0, x0): kh·kw, padding included, except that a ceil_mode
    window hanging past the padded image counts only its part inside (PyTorch's count_include_pad=True)."""
    return (min(y0 + kh, h_padded) - y0) * (min(x0 + kw, w_padded) - x0)
