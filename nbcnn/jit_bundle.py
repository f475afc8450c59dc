"""Compiled kernels that move between machines: portable machine code and JIT bundles.

Numba compiles for the exact CPU it runs on and keys its cache on that CPU's model and feature list, so a cache
filled on one machine misses on every other and each new machine spends about a minute compiling nbcnn's kernels
(bench/README.md, "Cold start"). With portable code on (NBCNN_PORTABLE_JIT=1, read when the CPU backend loads)
kernels are compiled for the x86-64-v3 level instead (AVX2, FMA, BMI2: x86 CPUs from 2013–15 on), a key every
such machine shares. A bundle is a zip of those cached kernels, one folder per nbcnn source file with the file's
SHA-256 in a manifest: `nbcnn warmup MODEL… --bundle OUT.zip` writes one, `nbcnn warmup --install BUNDLE` copies
its kernels into this machine's cache wherever the sources are byte for byte the ones it was built from (the
cache's own index checks the source again), and runs with NBCNN_PORTABLE_JIT=1 then load them instead of
compiling.

A bundle is machine code and Numba's index files are pickles: install only bundles you built or trust.
"""
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from .errors import ConfigError

PORTABLE_CPU = "x86-64-v3"
# What LLVM's x86-64-v3 assumes beyond x86-64-v2 and v1; the host must have all of them.
PORTABLE_FEATURES = ("avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave", "sse4.2", "popcnt",
                     "cx16", "sahf")
ENVIRONMENT = "NBCNN_PORTABLE_JIT"
_PACKAGE = Path(__file__).resolve().parent
_KINDS = (".nbi", ".nbc")


class BundleError(ConfigError):
    """A bundle that cannot serve this machine: another Numba or Python, a CPU without x86-64-v3, a bad file."""


def missing_features():
    """The x86-64-v3 features this CPU lacks (none on any x86 CPU from about 2015 on)."""
    import llvmlite.binding
    features = llvmlite.binding.get_host_cpu_features()
    return [f for f in PORTABLE_FEATURES if not features.get(f, False)]


def use_portable_code():
    """Compile for x86-64-v3 from now on. Only before Numba's CPU target starts: a running code generator keeps the
    CPU it started with, and cache entries would then be labelled with a CPU their code was not compiled for."""
    import numba
    from numba.core.registry import cpu_target
    if numba.config.CPU_NAME == PORTABLE_CPU and numba.config.CPU_FEATURES == "":
        return
    if "_toplevel_target_context" in cpu_target.__dict__:
        raise BundleError(f"{ENVIRONMENT}=1 came too late: Numba has compiled for this CPU already; set it before "
                          f"the first nbcnn kernel loads")
    missing = missing_features()
    if missing:
        raise BundleError(f"{ENVIRONMENT}=1: this CPU lacks {', '.join(missing)} of the {PORTABLE_CPU} level")
    numba.config.CPU_NAME, numba.config.CPU_FEATURES = PORTABLE_CPU, ""


def portable_requested():
    return os.environ.get(ENVIRONMENT, "0") == "1"


def cache_folder(source):
    """Where Numba keeps the cached kernels of functions defined in `source`, chosen as Numba chooses it
    (NUMBA_CACHE_DIR, else beside the source, else the user's cache folder)."""
    from numba.core.caching import CacheImpl

    def probe():  # the locators want a function of the file; only its file matters for the folder
        pass

    for locator_class in CacheImpl._locator_classes:
        locator = locator_class.from_function(probe, str(source))
        if locator is not None:
            return Path(locator.get_cache_path())
    raise BundleError(f"no writable cache folder for {source}")


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _runtime():
    import numba
    return {"numba": numba.__version__, "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
            "cpu": PORTABLE_CPU}


def write_bundle(out):
    """Zip the cached kernels of every nbcnn source file into `out` (written whole or not at all); returns the
    number of kernels' files. Run it in a process that compiled with portable code into a cache of its own, or the
    bundle also carries this CPU's native kernels, useless elsewhere."""
    manifest, count = {**_runtime(), "sources": {}}, 0
    out = Path(out)
    fd, partial = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".partial")
    os.close(fd)
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
            for source in sorted(_PACKAGE.rglob("*.py")):
                folder = cache_folder(source)
                cached = sorted(p for p in folder.glob(f"{source.stem}.*") if p.suffix in _KINDS)
                if not cached:
                    continue
                relative = source.relative_to(_PACKAGE).as_posix()
                manifest["sources"][relative] = _digest(source)
                for path in cached:
                    bundle.write(path, f"{relative}/{path.name}")
                    count += 1
            bundle.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        _readable_by_all(partial)
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return count


def build_bundle(out, models, data=None, batch_size=None):
    """Compile what training and evaluating each of `models` needs (nbcnn.warmup) with portable code into a fresh
    cache, in a process of its own, and zip the kernels into `out`; returns the number of kernels' files."""
    import subprocess
    with tempfile.TemporaryDirectory(prefix="nbcnn-bundle-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, **{ENVIRONMENT: "1"})
        request = json.dumps({"out": str(Path(out).resolve()), "models": list(models), "data": data,
                              "batch_size": batch_size})
        done = subprocess.run([sys.executable, "-m", "nbcnn.jit_bundle", request], env=env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise BundleError(f"building {out} failed:\n{done.stderr[-4000:]}")
        return int(done.stdout.split()[-1])


def _build_here(request):
    from .backend import get
    from .warmup import warmup
    get("cpu")  # loads the kernels, and with them the portable code generator
    for model in request["models"]:
        warmup(model, request["data"], request["batch_size"])
    print(write_bundle(request["out"]))


def install_bundle(path):
    """Copy a bundle's kernels into this machine's cache for every source file it was built from; returns
    (source files installed, source files skipped because they changed since). Each file lands atomically and
    replaces the cache's own entries of the same functions (their index is one file per function)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as bundle:
            manifest = json.loads(bundle.read("manifest.json"))
            _check(path, manifest)
            names = bundle.namelist()
            installed = skipped = 0
            for relative, digest in manifest["sources"].items():
                source = (_PACKAGE / relative).resolve()
                if _PACKAGE not in source.parents or source.suffix != ".py":
                    raise BundleError(f"{path}: source {relative!r} is not a file of the nbcnn package")
                if not source.is_file() or _digest(source) != digest:
                    skipped += 1
                    continue
                folder = cache_folder(source)
                for name in names:
                    parent, _, filename = name.rpartition("/")
                    if parent != relative:
                        continue
                    if not (filename.startswith(source.stem + ".") and Path(filename).suffix in _KINDS):
                        raise BundleError(f"{path}: unexpected entry {name!r}")
                    _write_atomically(folder / filename, bundle.read(name))
                installed += 1
    except (zipfile.BadZipFile, KeyError, AttributeError, TypeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path}: not an nbcnn JIT bundle ({type(error).__name__}: {error})") from None
    except OSError as error:  # reading the bundle or writing the cache (a full disk): nothing half-written stays
        where = f" ({error.filename})" if error.filename else ""
        raise BundleError(f"{path}: cannot install: {error.strerror or error}{where}") from None
    return installed, skipped


def _check(path, manifest):
    here = _runtime()
    for key in ("numba", "python", "cpu"):
        if manifest.get(key) != here[key]:
            raise BundleError(f"{path}: built for {key} {manifest.get(key)}, this is {here[key]}; Numba's cached "
                              f"code serves the {key} it was built for only")
    missing = missing_features()
    if missing:
        raise BundleError(f"{path}: this CPU lacks {', '.join(missing)} of the {PORTABLE_CPU} level")


def _readable_by_all(path):
    """mkstemp's files are private (0600); a cache or bundle gets the permissions of any new file instead."""
    os.chmod(path, 0o666 & ~_umask())


def _umask():
    # os.umask can only be read by setting it, which would race with other threads creating files
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        return 0o022


def _write_atomically(target, data):
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _readable_by_all(partial)
        os.replace(partial, target)
    except BaseException:
        os.remove(partial)
        raise


if __name__ == "__main__":
    _build_here(json.loads(sys.argv[1]))
