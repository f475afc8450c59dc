"""Optimisers and learning-rate schedules with PyTorch's names."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .rmsprop import RMSprop
from .lookahead import Lookahead
from .groups import param_groups
from . import lr_scheduler
