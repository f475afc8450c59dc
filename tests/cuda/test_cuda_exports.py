import inspect
import types

from nbcnn import backend


def _exported(module):
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and not isinstance(value, types.ModuleType)}


def test_both_backends_export_exactly_the_kernel_names():
    assert _exported(backend.get("cpu")) == set(backend.KERNELS)
    assert _exported(backend.get("cuda")) == set(backend.KERNELS)


def test_kernels_have_the_cpu_signatures():
    cpu, gpu = backend.get("cpu"), backend.get("cuda")
    differ = [n for n in backend.KERNELS if inspect.signature(getattr(cpu, n)) != inspect.signature(getattr(gpu, n))]
    assert not differ
