"""The transforms of Winograd's F(4×4, 3×3) with channels innermost; conv_winograd4.py drives them.

Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A for a 4×4 output tile from a 6×6 input patch d (Lavin & Gray, 2016), with
    Bᵀ = [[4, 0, −5, 0, 1, 0], [0, −4, −4, 1, 1, 0], [0, 4, −4, −1, 1, 0], [0, −2, −1, 2, 1, 0],
          [0, 2, −1, −2, 1, 0], [0, 4, 0, −5, 0, 1]],
    G = [[¼, 0, 0], [−⅙, −⅙, −⅙], [−⅙, ⅙, −⅙], [1/24, 1/12, ⅙], [1/24, −1/12, ⅙], [0, 0, 1]],
    Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, −1, 2, −2, 0], [0, 1, 1, 4, 4, 0], [0, 1, −1, 8, −8, 1]].

Why channels innermost: at CIFAR's sizes a tile row holds 4–8 tiles, too few for loops over tiles to pay (the
F(2×2, 3×3) transforms run over such rows). Each image is first copied padded, its columns split by phase modulo 4
and its channels innermost: xt[y, s, j, c] = x[c, y − ph, 4j + s − pw]. Element (r, s) of tile j's patch in tile
row ty is then xt[4ty + r, s mod 4, j + s div 4, :], so for fixed (ty, r, s) all tiles of the row and all channels
are one contiguous run, and every loop below runs over tiles·channels elements. Transformed tiles are stored as
(tiles, channels) matrices per ξ = 6a + b, ready for V[ξ] @ U[ξ]. Constants are float32 so that float32 arrays stay
in float32 (an integer constant would promote each product to float64).
"""
import numpy as np
from numba import njit, prange


@njit(cache=True)
def to_phases(x, i, ph, pw, xt):
    """xt (Hp, 4, L, C) ← image i of x (N, C, H, W), zero-padded."""
    c_in, h, w = x.shape[1], x.shape[2], x.shape[3]
    xt[:] = 0
    for c in range(c_in):
        for yy in range(h):
            row, dst = x[i, c, yy], xt[yy + ph]
            for q in range(w):
                qp = q + pw
                dst[qp & 3, qp >> 2, c] = row[q]


@njit(cache=True, fastmath=True, inline="always")
def _bt_row(d0, d1, d2, d3, d4, d5, out, a, n):
    """out[:n] = row a of Bᵀ applied to (d0, …, d5): one output a loop, over at most six arrays (LLVM then
    vectorises each loop)."""
    if a == 0:
        for q in range(n):
            out[q] = np.float32(4) * d0[q] - np.float32(5) * d2[q] + d4[q]
    elif a == 1:
        for q in range(n):
            out[q] = d3[q] + d4[q] - np.float32(4) * (d1[q] + d2[q])
    elif a == 2:
        for q in range(n):
            out[q] = d4[q] - d3[q] + np.float32(4) * (d1[q] - d2[q])
    elif a == 3:
        for q in range(n):
            out[q] = d4[q] - d2[q] + np.float32(2) * (d3[q] - d1[q])
    elif a == 4:
        for q in range(n):
            out[q] = d4[q] - d2[q] - np.float32(2) * (d3[q] - d1[q])
    else:
        for q in range(n):
            out[q] = np.float32(4) * d1[q] - np.float32(5) * d3[q] + d5[q]


@njit(cache=True, fastmath=True)
def input_transform(xt, th, tw, t0, t_rows, v):
    """v[ξ, (t0 + ty·tw + j)·C + c] = (Bᵀ d B)[ξ] for every tile of the image in xt; t_rows (6, 4, L·C)."""
    c_in = xt.shape[3]
    run, full = tw * c_in, (tw + 1) * c_in
    for ty in range(th):
        for sp in range(4):  # Bᵀ down the patch columns, all tiles of the row and both shifted columns at once
            d0, d1, d2 = xt[4 * ty, sp].reshape(-1), xt[4 * ty + 1, sp].reshape(-1), xt[4 * ty + 2, sp].reshape(-1)
            d3, d4, d5 = xt[4 * ty + 3, sp].reshape(-1), xt[4 * ty + 4, sp].reshape(-1), xt[4 * ty + 5, sp].reshape(-1)
            for a in range(6):
                _bt_row(d0, d1, d2, d3, d4, d5, t_rows[a, sp], a, full)
        o = (t0 + ty * tw) * c_in
        for a in range(6):  # then B along the rows: patch column s is phase s mod 4, shifted by s div 4 tiles
            t = t_rows[a]
            p0, p1, p2, p3 = t[0, :run], t[1, :run], t[2, :run], t[3, :run]
            n0, n1 = t[0, c_in:c_in + run], t[1, c_in:c_in + run]
            for b in range(6):
                _bt_row(p0, p1, p2, p3, n0, n1, v[6 * a + b, o:o + run], b, run)


@njit(cache=True, fastmath=True, inline="always")
def _at_row(m0, m1, m2, m3, m4, m5, out, a, n):
    """out[:n] = row a of Aᵀ applied to (m0, …, m5)."""
    if a == 0:
        for q in range(n):
            out[q] = m0[q] + m1[q] + m2[q] + m3[q] + m4[q]
    elif a == 1:
        for q in range(n):
            out[q] = m1[q] - m2[q] + np.float32(2) * (m3[q] - m4[q])
    elif a == 2:
        for q in range(n):
            out[q] = m1[q] + m2[q] + np.float32(4) * (m3[q] + m4[q])
    else:
        for q in range(n):
            out[q] = m1[q] - m2[q] + np.float32(8) * (m3[q] - m4[q]) + m5[q]


@njit(cache=True, fastmath=True)
def output_transform(m, bias, i, th, tw, t0, s_rows, o_rows, y):
    """y[i] ← Aᵀ M A + bias for the image's tiles, M[ξ] (tiles, K) from tile t0 on; s_rows (4, 6, tw·K) and
    o_rows (4, tw·K) scratch. Each output row of each channel is written in order."""
    k_out, oh, ow = y.shape[1], y.shape[2], y.shape[3]
    run = tw * k_out
    full = min(tw, ow // 4)
    for ty in range(th):
        o = (t0 + ty * tw) * k_out
        for b in range(6):  # Aᵀ down each patch column
            for a in range(4):
                _at_row(m[b, o:o + run], m[6 + b, o:o + run], m[12 + b, o:o + run], m[18 + b, o:o + run],
                        m[24 + b, o:o + run], m[30 + b, o:o + run], s_rows[a, b], a, run)
        for yy in range(min(4, oh - 4 * ty)):
            s = s_rows[yy]
            for xx in range(4):  # then A along the row
                _at_row(s[0], s[1], s[2], s[3], s[4], s[5], o_rows[xx], xx, run)
            for k in range(k_out):  # from (tiles, K) back to the channel's output row
                dst, bk = y[i, k, 4 * ty + yy], bias[k]
                for j in range(full):
                    dst[4 * j] = o_rows[0, j * k_out + k] + bk
                    dst[4 * j + 1] = o_rows[1, j * k_out + k] + bk
                    dst[4 * j + 2] = o_rows[2, j * k_out + k] + bk
                    dst[4 * j + 3] = o_rows[3, j * k_out + k] + bk
                for ox in range(4 * full, ow):
                    dst[ox] = o_rows[ox % 4, (ox // 4) * k_out + k] + bk


@njit(cache=True, inline="always")
def _g_rows(tmp, col, g0, g1, g2):
    """tmp[:, col] = G (g0, g1, g2)."""
    tmp[0, col] = g0 / 4
    tmp[1, col] = -(g0 + g1 + g2) / 6
    tmp[2, col] = -(g0 - g1 + g2) / 6
    tmp[3, col] = g0 / 24 + g1 / 12 + g2 / 6
    tmp[4, col] = g0 / 24 - g1 / 12 + g2 / 6
    tmp[5, col] = g2


@njit(parallel=True, cache=True)
def transform_weight(w, flip, u):
    """u[ξ, c, k] = (G w[k, c] Gᵀ)[ξ] for w (K, C, 3, 3), so that M[ξ] = V[ξ] @ u[ξ]; with flip,
    u[ξ, k, c] = (G w[k, c, ::−1, ::−1] Gᵀ)[ξ], the weight of backward-input (the forward pass from K to C
    channels)."""
    k_out, c_in = w.shape[0], w.shape[1]
    for k in prange(k_out):
        tmp, out = np.empty((6, 3)), np.empty((6, 3))
        for c in range(c_in):
            g = w[k, c]
            for col in range(3):
                if flip:
                    _g_rows(tmp, col, g[2, 2 - col], g[1, 2 - col], g[0, 2 - col])
                else:
                    _g_rows(tmp, col, g[0, col], g[1, col], g[2, col])
            for a in range(6):
                _g_rows(out, a, tmp[a, 0], tmp[a, 1], tmp[a, 2])  # out[b, a] = (G g Gᵀ)[a, b]
                for b in range(6):
                    if flip:
                        u[6 * a + b, k, c] = out[b, a]
                    else:
                        u[6 * a + b, c, k] = out[b, a]


@njit(cache=True)
def grad_to_phases(g, i, gt):
    """gt (4·th, 4, tw, K) ← image i of the output gradient g (N, K, OH, OW), zeros past its edge (the cut
    tiles' missing outputs)."""
    k_out, oh, ow = g.shape[1], g.shape[2], g.shape[3]
    gt[:] = 0
    for k in range(k_out):
        for yy in range(oh):
            row, dst = g[i, k, yy], gt[yy]
            for q in range(ow):
                dst[q & 3, q >> 2, k] = row[q]


@njit(cache=True, fastmath=True, inline="always")
def _a_row(g0, g1, g2, g3, out, a, n):
    """out[:n] = row a of A = (Aᵀ)ᵀ applied to (g0, …, g3)."""
    if a == 0:
        for q in range(n):
            out[q] = g0[q]
    elif a == 1:
        for q in range(n):
            out[q] = g0[q] + g1[q] + g2[q] + g3[q]
    elif a == 2:
        for q in range(n):
            out[q] = g0[q] - g1[q] + g2[q] - g3[q]
    elif a == 3:
        for q in range(n):
            out[q] = g0[q] + np.float32(2) * g1[q] + np.float32(4) * g2[q] + np.float32(8) * g3[q]
    elif a == 4:
        for q in range(n):
            out[q] = g0[q] - np.float32(2) * g1[q] + np.float32(4) * g2[q] - np.float32(8) * g3[q]
    else:
        for q in range(n):
            out[q] = g3[q]


@njit(cache=True, fastmath=True)
def grad_transform(gt, th, tw, t0, z_rows, z):
    """z[ξ, (t0 + ty·tw + j)·K + k] = (A dy Aᵀ)[ξ] for the 4×4 gradient tiles of the image in gt, the gradient of
    the transformed tile's products; z_rows (6, 4, tw·K) scratch."""
    k_out = gt.shape[3]
    run = tw * k_out
    for ty in range(th):
        for s in range(4):
            g0, g1 = gt[4 * ty, s].reshape(-1), gt[4 * ty + 1, s].reshape(-1)
            g2, g3 = gt[4 * ty + 2, s].reshape(-1), gt[4 * ty + 3, s].reshape(-1)
            for a in range(6):
                _a_row(g0, g1, g2, g3, z_rows[a, s], a, run)
        o = (t0 + ty * tw) * k_out
        for a in range(6):
            t = z_rows[a]
            for b in range(6):
                _a_row(t[0], t[1], t[2], t[3], z[6 * a + b, o:o + run], b, run)


@njit(cache=True, inline="always")
def _gt(d0, d1, d2, d3, d4, d5):
    """Gᵀ times a column of 6."""
    return (d0 / 4 - (d1 + d2) / 6 + (d3 + d4) / 24,
            (d2 - d1) / 6 + (d3 - d4) / 12,
            -(d1 + d2) / 6 + (d3 + d4) / 6 + d5)


@njit(parallel=True, cache=True)
def untransform_weight_grad(parts, dw):
    """dw[k, c] = Gᵀ D G with D[a, b] = Σ_p parts[p, 6a + b, c, k]: the gradient of transform_weight's input given
    that of its output, summed over the workers' partial sums."""
    k_out, c_in = dw.shape[0], dw.shape[1]
    for k in prange(k_out):
        d, e = np.empty(36), np.empty((3, 6))
        for c in range(c_in):
            d[:] = 0
            for p in range(parts.shape[0]):
                for xi in range(36):
                    d[xi] += parts[p, xi, c, k]
            for b in range(6):  # Gᵀ D, column by column
                e[0, b], e[1, b], e[2, b] = _gt(d[b], d[6 + b], d[12 + b], d[18 + b], d[24 + b], d[30 + b])
            for r in range(3):  # (Gᵀ D) G, row by row
                dw[k, c, r, 0], dw[k, c, r, 1], dw[k, c, r, 2] = _gt(e[r, 0], e[r, 1], e[r, 2], e[r, 3], e[r, 4],
                                                                     e[r, 5])
