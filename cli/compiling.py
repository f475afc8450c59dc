"""Telling the user, once, that the wait is Numba compiling kernels for this CPU, and how to avoid it next time."""
import click


def compile_notice(model, say=None):
    """An nbcnn.jit.CompileClock (use it as a context manager) that, as the first kernel compiles, says that
    compilation is under way: roughly how long when the JIT cache holds no kernel of nbcnn for this CPU (a first
    run), else that these shapes need kernels of their own. `say` prints a line (default: to stderr)."""
    from nbcnn.jit import CompileClock, cold_share

    say = say or (lambda line: click.echo(line, err=True))

    def first():
        if cold_share() == 1.0:
            say(f"compiling kernels for this CPU, first run only, ~{first_run_seconds(model)} s "
                f"(`nbcnn warmup {model}` compiles them ahead of time)")
        else:
            say("compiling kernels not yet cached for this model or these shapes (once)")

    return CompileClock(on_first=first)


def first_run_seconds(model):
    """A rough forecast of a first run's compilation on a 2-core machine: bench/README.md ("Cold start") has the
    measurements it rounds."""
    return FIRST_RUN_SECONDS.get(model, FIRST_RUN_SECONDS[None])


FIRST_RUN_SECONDS = {"lenet": 30, None: 45}
