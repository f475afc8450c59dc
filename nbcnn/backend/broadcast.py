"""Host-side axis arithmetic of NumPy's broadcasting and reductions, shared by both backends' array plumbing."""


def stretched_axes(grad_shape, shape):
    """The axes of a broadcast result of `grad_shape` along which an input of `shape` was stretched: the
    leading axes it lacked and those where it had size 1. Summing the gradient over them undoes broadcasting."""
    lead = len(grad_shape) - len(shape)
    return tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad_shape[i + lead] != 1)


def normalize_axes(axis, ndim):
    """`axis` (None, an int or a tuple, negative counting from the end) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(sorted(d % ndim for d in ((axis,) if isinstance(axis, int) else axis)))
