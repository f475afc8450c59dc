"""The transforms of Winograd's F(2×2, 3×3) (Lavin & Gray, 2016), on runs of tiles; conv_winograd.py drives them.

A tile is a 2×2 block of outputs, numbered t = (image, tile row, tile column) row-major; its 4×4 input patch d
starts at (2·row − ph, 2·column − pw). Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A with
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]],
    G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]],  Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
Transformed tiles are stored planar: row ξ = 4a + b of a (16, channels · tiles) array holds, channel by channel,
element (a, b) of every tile, so that each ξ is a (channels, tiles) matrix for BLAS.
How the loops are written is what makes them fast: they index slices from 0 (a possibly negative index costs a
wrap-around test that stops vectorisation), touch few arrays at once (LLVM gives up on run-time overlap checks
past 8 pairs) and never store two elements apart (interleaved stores do not vectorise, so the output transform
stores planar rows and interleaves them in a separate copy). Figures in bench/README.md.
"""
import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _segment(t, nb_left, tiles_h, tiles_w):
    """Tile t's image, tile row and column, and how many of the next nb_left tiles share its tile row."""
    i, r = t // (tiles_h * tiles_w), t % (tiles_h * tiles_w)
    ty, tx = r // tiles_w, r % tiles_w
    return i, ty, tx, min(nb_left, tiles_w - tx)


@njit(cache=True)
def input_transform(x, ph, pw, tiles_h, tiles_w, t0, nb, c0, c1, rows, v):
    """v[ξ, c·nb + b] = (Bᵀ d B)[ξ] for the 4×4 patch d of channel c ∈ [c0, c1) under tile t0 + b (zeros outside
    the image). Along each run of tiles in one tile row: the run's 4 input rows (zero-padded) into `rows`, Bᵀ down
    their columns in place, then B along each row, 2 columns apart per tile, one output per loop."""
    h, w = x.shape[2], x.shape[3]
    b = 0
    while b < nb:
        i, ty, tx0, count = _segment(t0 + b, nb - b, tiles_h, tiles_w)
        y0, x0 = 2 * ty - ph, 2 * tx0 - pw
        span = 2 * count + 2
        lo, hi = max(0, -x0), max(0, min(span, w - x0))
        d0, d1, d2, d3 = rows[0, :span], rows[1, :span], rows[2, :span], rows[3, :span]
        for c in range(c0, c1):
            for r in range(4):
                dst = rows[r, :span]
                if 0 <= y0 + r < h and lo < hi:
                    src = x[i, c, y0 + r, x0 + lo:x0 + hi]
                    dst[:lo] = 0
                    for q in range(hi - lo):
                        dst[lo + q] = src[q]
                    dst[hi:] = 0
                else:
                    dst[:] = 0
            for q in range(span):  # Bᵀ d
                a0, a1, a2, a3 = d0[q], d1[q], d2[q], d3[q]
                d0[q], d1[q], d2[q], d3[q] = a0 - a2, a1 + a2, a2 - a1, a1 - a3
            o = c * nb + b
            for r in range(4):  # (Bᵀ d) B, one output per loop
                dr = rows[r]
                e0, e1 = v[4 * r, o:o + count], v[4 * r + 1, o:o + count]
                e2, e3 = v[4 * r + 2, o:o + count], v[4 * r + 3, o:o + count]
                for j in range(count):
                    e0[j] = dr[2 * j] - dr[2 * j + 2]
                for j in range(count):
                    e1[j] = dr[2 * j + 1] + dr[2 * j + 2]
                for j in range(count):
                    e2[j] = dr[2 * j + 2] - dr[2 * j + 1]
                for j in range(count):
                    e3[j] = dr[2 * j + 1] - dr[2 * j + 3]
        b += count


@njit(cache=True)
def output_transform(m, bias, tiles_h, tiles_w, t0, nb, k0, k1, rows, y):
    """y[i, k, 2ty:2ty + 2, 2tx:2tx + 2] = Aᵀ m A + bias for tile t0 + b and k ∈ [k0, k1), clipped to the output.
    Channel by channel: the four outputs of every tile of the block as four planar rows (stores interleaved two
    apart do not vectorise), then interleaved into the output rows run by run, so each output plane is written in
    one contiguous stretch per block."""
    oh, ow = y.shape[2], y.shape[3]
    r0, r1, r2, r3 = rows[0, :nb], rows[1, :nb], rows[2, :nb], rows[3, :nb]
    for k in range(k0, k1):
        o, e = k * nb, (k + 1) * nb
        m0, m1, m2, m3 = m[0, o:e], m[1, o:e], m[2, o:e], m[3, o:e]
        m4, m5, m6, m7 = m[4, o:e], m[5, o:e], m[6, o:e], m[7, o:e]
        m8, m9, m10, m11 = m[8, o:e], m[9, o:e], m[10, o:e], m[11, o:e]
        m12, m13, m14, m15 = m[12, o:e], m[13, o:e], m[14, o:e], m[15, o:e]
        bk = bias[k]
        for j in range(nb):
            c00 = m0[j] + m4[j] + m8[j]
            c01 = m1[j] + m5[j] + m9[j]
            c02 = m2[j] + m6[j] + m10[j]
            c03 = m3[j] + m7[j] + m11[j]
            c10 = m4[j] - m8[j] - m12[j]
            c11 = m5[j] - m9[j] - m13[j]
            c12 = m6[j] - m10[j] - m14[j]
            c13 = m7[j] - m11[j] - m15[j]
            r0[j] = c00 + c01 + c02 + bk
            r1[j] = c01 - c02 - c03 + bk
            r2[j] = c10 + c11 + c12 + bk
            r3[j] = c11 - c12 - c13 + bk
        b = 0
        while b < nb:
            i, ty, tx0, count = _segment(t0 + b, nb - b, tiles_h, tiles_w)
            oy, ox = 2 * ty, 2 * tx0
            width = min(2 * count, ow - ox)
            _interleave(r0[b:b + count], r1[b:b + count], y[i, k, oy, ox:ox + width])
            if oy + 1 < oh:
                _interleave(r2[b:b + count], r3[b:b + count], y[i, k, oy + 1, ox:ox + width])
            b += count


@njit(cache=True, inline="always")
def _interleave(even, odd, dst):
    for q in range(dst.shape[0] // 2):
        dst[2 * q] = even[q]
        dst[2 * q + 1] = odd[q]
    if dst.shape[0] % 2:
        dst[-1] = even[dst.shape[0] // 2]


@njit(cache=True)
def grad_transform(g, tiles_h, tiles_w, t0, nb, k0, k1, rows, z):
    """z[ξ, k·nb + b] = (A dy Aᵀ)[ξ] for the 2×2 gradient tile dy of channel k ∈ [k0, k1) under tile t0 + b
    (zeros past the edge), with A = [[1, 0], [1, 1], [1, −1], [0, −1]]. A run's two gradient rows (zero-padded to
    whole tiles) are read once per tile; each row of A dy is a sum or difference of them."""
    oh, ow = g.shape[2], g.shape[3]
    b = 0
    while b < nb:
        i, ty, tx0, count = _segment(t0 + b, nb - b, tiles_h, tiles_w)
        oy, ox = 2 * ty, 2 * tx0
        span, width = 2 * count, min(2 * count, ow - ox)
        top, bottom = rows[0, :span], rows[1, :span]
        for k in range(k0, k1):
            src = g[i, k, oy, ox:ox + width]
            for q in range(width):
                top[q] = src[q]
            top[width:] = 0
            if oy + 1 < oh:
                src = g[i, k, oy + 1, ox:ox + width]
                for q in range(width):
                    bottom[q] = src[q]
                bottom[width:] = 0
            else:
                bottom[:] = 0
            o = k * nb + b
            # one output per loop, each over at most two arrays: LLVM then vectorises every one of them
            p0, p1, p2, p3 = top, rows[2, :span], rows[3, :span], rows[4, :span]
            for q in range(span):
                p1[q] = top[q] + bottom[q]
            for q in range(span):
                p2[q] = top[q] - bottom[q]
            for q in range(span):
                p3[q] = -bottom[q]
            _grad_row(p0, z, 0, o, count)
            _grad_row(p1, z, 4, o, count)
            _grad_row(p2, z, 8, o, count)
            _grad_row(p3, z, 12, o, count)
        b += count


@njit(cache=True, inline="always")
def _grad_row(p, z, xi, o, count):
    """Row p of A dy times Aᵀ, two columns per tile, into z[xi:xi + 4, o:o + count]."""
    e0, e1, e2, e3 = z[xi, o:o + count], z[xi + 1, o:o + count], z[xi + 2, o:o + count], z[xi + 3, o:o + count]
    for j in range(count):
        e0[j] = p[2 * j]
    for j in range(count):
        e1[j] = p[2 * j] + p[2 * j + 1]
    for j in range(count):
        e2[j] = p[2 * j] - p[2 * j + 1]
    for j in range(count):
        e3[j] = -p[2 * j + 1]


@njit(cache=True, inline="always")
def _gt(d0, d1, d2, d3):
    """Gᵀ times a column of 4."""
    return d0 + (d1 + d2) * 0.5, (d1 - d2) * 0.5, (d1 + d2) * 0.5 + d3


@njit(cache=True, inline="always")
def _g_row(u, xi, at, p0, p1, p2):
    """u[xi:xi + 4, at] = G (p0, p1, p2)."""
    u[xi, at] = p0
    u[xi + 1, at] = (p0 + p1 + p2) * 0.5
    u[xi + 2, at] = (p0 - p1 + p2) * 0.5
    u[xi + 3, at] = p2


@njit(cache=True, inline="always")
def _transform_one(u, at, a, b, c, d, e, f, g, h, i):
    """u[:, at] = G w Gᵀ for w = [[a, b, c], [d, e, f], [g, h, i]]."""
    _g_row(u, 0, at, a, b, c)
    _g_row(u, 4, at, (a + d + g) * 0.5, (b + e + h) * 0.5, (c + f + i) * 0.5)
    _g_row(u, 8, at, (a - d + g) * 0.5, (b - e + h) * 0.5, (c - f + i) * 0.5)
    _g_row(u, 12, at, g, h, i)


@njit(parallel=True, cache=True)
def transform_weight(w, flip, u):
    """u[ξ, k·C + c] = (G w[k, c] Gᵀ)[ξ] for w (K, C, 3, 3); with flip,
    u[ξ, c·K + k] = (G w[k, c, ::−1, ::−1] Gᵀ)[ξ], the weight of backward-input (read in place: a strided copy
    of the flipped, swapped weight cost a pass of its own). u is planar like the tiles, and its planes must not
    be a multiple of 4 KiB apart (conv_winograd's _SKEW): 16 streams that far apart share L1 sets."""
    k_out, c_in = w.shape[0], w.shape[1]
    rows, cols = (c_in, k_out) if flip else (k_out, c_in)
    for row in prange(rows):  # by rows of u: threads writing neighbouring columns would share cache lines
        for col in range(cols):
            if flip:
                g = w[col, row]
                _transform_one(u, row * cols + col, g[2, 2], g[2, 1], g[2, 0], g[1, 2], g[1, 1], g[1, 0], g[0, 2],
                               g[0, 1], g[0, 0])
            else:
                g = w[row, col]
                _transform_one(u, row * cols + col, g[0, 0], g[0, 1], g[0, 2], g[1, 0], g[1, 1], g[1, 2], g[2, 0],
                               g[2, 1], g[2, 2])


@njit(parallel=True, cache=True)
def untransform_weight_grad(parts, dw):
    """dw[k, c] = Gᵀ D G with D[ξ] = Σ_p parts[p, ξ, k·C + c]: the gradient of transform_weight's input given
    that of its output, summed over the workers' partial sums."""
    k_out, c_in = dw.shape[0], dw.shape[1]
    for k in prange(k_out):
        d = np.empty(16, dw.dtype)  # one per row, not per (k, c): 262,144 allocations at 512 channels
        for c in range(c_in):
            at = k * c_in + c
            d[:] = 0
            for p in range(parts.shape[0]):
                for xi in range(16):
                    d[xi] += parts[p, xi, at]
            r0 = _gt(d[0], d[4], d[8], d[12])  # Gᵀ D, column by column
            r1 = _gt(d[1], d[5], d[9], d[13])
            r2 = _gt(d[2], d[6], d[10], d[14])
            r3 = _gt(d[3], d[7], d[11], d[15])
            _gt_store(dw, k, c, 0, r0[0], r1[0], r2[0], r3[0])  # (Gᵀ D) G, row by row
            _gt_store(dw, k, c, 1, r0[1], r1[1], r2[1], r3[1])
            _gt_store(dw, k, c, 2, r0[2], r1[2], r2[2], r3[2])


@njit(cache=True, inline="always")
def _gt_store(dw, k, c, row, d0, d1, d2, d3):
    e0, e1, e2 = _gt(d0, d1, d2, d3)
    dw[k, c, row, 0], dw[k, c, row, 1], dw[k, c, row, 2] = e0, e1, e2
