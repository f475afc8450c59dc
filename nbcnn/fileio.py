"""File-system helpers shared by everything that writes files atomically (checkpoints, downloads)."""
import os


def fsync_folder(folder):
    """Make a rename inside `folder` durable; where folders cannot be opened (Windows) there is nothing to do."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
