"""Training runs: configuration, the loop, evaluation and checkpoints (no command-line code here)."""
from .checkpoint import CheckpointError, load as load_checkpoint, save as save_checkpoint
from .config import TrainConfig
from .factory import OPTIMIZERS, SCHEDULES, UNITS, WARMUPS
from .recipes import MODEL_DEFAULTS, RECIPES
from .evaluation import evaluate
from .trainer import Reporter, Trainer, TrainingError, TrainingInterrupted, latest_checkpoint, load_config
from .inference import classify, load_model, load_torch_model, resolve_checkpoint
