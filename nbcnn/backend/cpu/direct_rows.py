"""The multiply-add passes of the direct convolutions (conv_direct's planes, conv_batched's batch blocks).

A pass adds one kernel row's taps, for several output channels at once, into accumulator rows:
acc[j, aoff + q] += Σ_kx wv[j, kx] · src[off + kx·step + q] for q < span. Taps lie `step` elements apart: 1 on a
flattened plane, the batch block's size where images are innermost. Each loaded source value feeds every channel
of the block, and each accumulator is stored once per kernel row (a store per multiply-add made the one-tap loop
store-bound). The passes run fastest over long spans, which is why conv_batched lays images innermost
(bench/README.md).
"""
from numba import njit


@njit(cache=True, inline="always")
def block(channels):
    """Channels per pass: 3 when they split into threes but not fours (six: 3 + 3, not 4 + 2 with two rows of
    zero weights, a quarter of the work), else 4."""
    return 3 if channels % 4 != 0 and channels % 3 == 0 else 4


@njit(cache=True, fastmath=True)
def row5(acc, aoff, src, off, step, wv, span):
    """Five taps (LeNet's width) for four channels, wv (4, 5)."""
    end = aoff + span
    a0, a1, a2, a3 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end], acc[3, aoff:end]
    s0, s1, s2 = src[off:off + span], src[off + step:off + step + span], src[off + 2 * step:off + 2 * step + span]
    s3, s4 = src[off + 3 * step:off + 3 * step + span], src[off + 4 * step:off + 4 * step + span]
    w00, w01, w02, w03, w04 = wv[0, 0], wv[0, 1], wv[0, 2], wv[0, 3], wv[0, 4]
    w10, w11, w12, w13, w14 = wv[1, 0], wv[1, 1], wv[1, 2], wv[1, 3], wv[1, 4]
    w20, w21, w22, w23, w24 = wv[2, 0], wv[2, 1], wv[2, 2], wv[2, 3], wv[2, 4]
    w30, w31, w32, w33, w34 = wv[3, 0], wv[3, 1], wv[3, 2], wv[3, 3], wv[3, 4]
    for q in range(span):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        a0[q] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4
        a1[q] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4
        a2[q] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4
        a3[q] += w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3 + w34 * v4


@njit(cache=True, fastmath=True)
def row5_3(acc, aoff, src, off, step, wv, span):
    """row5 for a block of three channels."""
    end = aoff + span
    a0, a1, a2 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end]
    s0, s1, s2 = src[off:off + span], src[off + step:off + step + span], src[off + 2 * step:off + 2 * step + span]
    s3, s4 = src[off + 3 * step:off + 3 * step + span], src[off + 4 * step:off + 4 * step + span]
    w00, w01, w02, w03, w04 = wv[0, 0], wv[0, 1], wv[0, 2], wv[0, 3], wv[0, 4]
    w10, w11, w12, w13, w14 = wv[1, 0], wv[1, 1], wv[1, 2], wv[1, 3], wv[1, 4]
    w20, w21, w22, w23, w24 = wv[2, 0], wv[2, 1], wv[2, 2], wv[2, 3], wv[2, 4]
    for q in range(span):
        v0, v1, v2, v3, v4 = s0[q], s1[q], s2[q], s3[q], s4[q]
        a0[q] += w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4
        a1[q] += w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4
        a2[q] += w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4


@njit(cache=True, fastmath=True)
def row_any(acc, aoff, src, off, step, wv, span):
    """Any kernel width, one tap at a time, four channels, wv (4, kw)."""
    end = aoff + span
    a0, a1, a2, a3 = acc[0, aoff:end], acc[1, aoff:end], acc[2, aoff:end], acc[3, aoff:end]
    for kx in range(wv.shape[1]):
        tap = src[off + kx * step:off + kx * step + span]
        w0, w1, w2, w3 = wv[0, kx], wv[1, kx], wv[2, kx], wv[3, kx]
        for q in range(span):
            v = tap[q]
            a0[q] += w0 * v
            a1[q] += w1 * v
            a2[q] += w2 * v
            a3[q] += w3 * v


@njit(cache=True, inline="always")
def kernel_row(acc, aoff, src, off, step, wv, span, size):
    """The pass for the block's size and the kernel's width; wv has 4 rows whatever the block's size."""
    # Numba compiles a call once per pattern of constant arguments (conv_direct passes 0 and 1 here): int() makes
    # one copy of each pass serve every caller, as the passes gain nothing from knowing an offset.
    aoff, off, step = int(aoff), int(off), int(step)
    if wv.shape[1] == 5 and size == 3:
        row5_3(acc, aoff, src, off, step, wv, span)
    elif wv.shape[1] == 5:
        row5(acc, aoff, src, off, step, wv, span)
    else:
        row_any(acc, aoff, src, off, step, wv, span)
