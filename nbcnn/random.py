"""The engine's one source of randomness: initialisation and dropout seeds draw from it."""
import numpy as np

_generator = np.random.default_rng()


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
