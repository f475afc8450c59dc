"""Errors a user causes, by kind. The CLI reports these in one line; any other exception is a bug and shows its
traceback. Each subclasses ValueError, so code that caught ValueError still catches them."""


class ShapeError(ValueError):
    """An input's shape does not fit the layer or op, or a layer's geometry cannot be built."""


class ConfigError(ValueError):
    """An option or configuration value is unknown, out of range or inconsistent with another."""
