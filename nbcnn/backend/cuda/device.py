"""Whether CUDA kernels can run here: a GPU with its driver, or Numba's simulator (NUMBA_ENABLE_CUDASIM=1).

Checked when the backend is imported, before any kernel module is compiled, so that asking for "cuda" on a
machine without one fails at once with a line a command line can print.
"""
from numba import config


class CudaUnavailableError(RuntimeError):
    """CUDA was asked for where it cannot run; the message is one line, fit for a command line."""


def require():
    if config.ENABLE_CUDASIM:
        return
    try:
        from numba import cuda

        if cuda.is_available():
            return
        cuda.current_context()  # raises with the driver's own reason
        reason = "the CUDA compiler library (NVVM) was not found"
    except Exception as error:  # ImportError from a broken install, CudaSupportError from the driver
        reason = _first_line(error)
    raise CudaUnavailableError(f"CUDA was requested but no CUDA GPU/driver is available: {reason}; "
                               "use --device cpu") from None


def _first_line(error):
    text = str(error).replace("Error at driver init:", "")
    lines = [line.strip(" .:") for line in text.splitlines() if line.strip(" .:")]
    return lines[0] if lines else type(error).__name__


require()
