"""Errors raised by the data layer; every message names the file or folder and what is wrong with it."""


class DataError(ValueError):
    """A data file is missing, truncated, corrupt or inconsistent with its partner file."""


class DatasetNotFoundError(DataError):
    """No searched folder holds the dataset; the message lists the files needed and where to put them."""


class DownloadError(DataError):
    """Every mirror failed for a file; the message lists the URLs tried and how to fetch the file by hand."""
