"""The engine's one source of randomness: initialisation and dropout seeds draw from it.

Dropout also keys its mask by each example's place in the global batch (example_positions), so that ranks each
holding some rows of a batch draw for them the masks one process draws for the whole batch.
"""
from contextlib import contextmanager

import numpy as np

_generator = np.random.default_rng()
_example_positions = (0, 1)  # (start, step): row n of a batch here is example start + n·step of the global batch


def manual_seed(seed):
    """Seed every random draw nbcnn makes (weights, dropout masks)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator():
    return _generator


def next_seed():
    """A fresh 63-bit seed for a counter-based kernel (dropout)."""
    return int(_generator.integers(0, 2 ** 63 - 1))


def get_state():
    return _generator.bit_generator.state


def set_state(state):
    _generator.bit_generator.state = state


def get_example_positions():
    """(start, step): row n of the batches this process computes on is example start + n·step of the global batch;
    (0, 1) outside example_positions()."""
    return _example_positions


@contextmanager
def example_positions(start=0, step=1):
    """Within the block, row n of every batch is example start + n·step of the global batch, and dropout draws its
    mask as one process holding the whole batch would. The Trainer sets it around each forward pass from its
    strategy (a rank of nbcnn.distributed.DataParallel holds rows rank, rank + world_size, …)."""
    global _example_positions
    if start < 0 or step < 1:
        raise ValueError(f"example_positions: need start >= 0 and step >= 1, got {start}, {step}")
    previous, _example_positions = _example_positions, (int(start), int(step))
    try:
        yield
    finally:
        _example_positions = previous
