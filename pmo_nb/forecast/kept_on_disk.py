"""Keep a compiled forecast model on disk, beside PyTensor's compile cache.

:mod:`pmo_nb.forecast.reuse` keeps a compiled model per layout within one
process. Every new process (each report kernel, each scheduled run) still
rebuilt what PyTensor compiles from the model before it can link the cached
C modules: the graph rewrites of the two stages' densities and gradients,
~3-4 s of a 17-20 s fit of 2,000 projects whose C modules are cached
(py-spy, 2026-12-03). PyTensor keeps only the C modules on disk, not a
rewritten function, but a pickled function is its rewritten graph: loading
one links the cached modules again and rewrites nothing (0.1-1 s).

So a fit that compiled a layout writes the :class:`~pmo_nb.forecast.reuse.Compiled`
entry (model, data inputs and functions, pickled together so that the
functions still read the data inputs) into the compile cache, with every data
input emptied first: the file holds the model's structure, names and
coordinates, not a portfolio's numbers. A later process with the same layout
loads it, and :mod:`pmo_nb.forecast.reuse` uses it only if the freshly built
model is the same computation (the check of a kept model in memory), after
giving its data inputs the new values: a stale or foreign file is never used.

The file name is a digest of the layout, the Python, NumPy, PyTensor and
PyMC versions, the PyTensor settings the functions were compiled under and
the source of the modules that build the functions, so an upgrade or a
change of code writes a new file. A file that cannot be read is a miss. The
compile cache is trusted as PyTensor trusts it (it loads its shared
libraries): whoever can write there can already run code in the fit.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import sys
from pathlib import Path

import numpy as np

from pmo_nb.atomic import write_atomic

_LOG = logging.getLogger(__name__)
#: The compile cache's subfolder holding the kept models (an absolute path is used as it is).
FOLDER = "pmo_nb_models"
#: Files kept at most; beyond it the least recently used go (a few MB each).
MAX_FILES = 64
#: Modules whose code decides what a kept entry's functions compute.
_SOURCES = ("model", "likelihood", "priors", "laplace_start", "reuse", "kept_on_disk")


def path_for(key: tuple) -> Path:
    """Where the entry of layout ``key`` is kept for this toolchain and code."""
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    config = pytensor.config
    settings = (config.mode, config.linker, config.optimizer, config.floatX,
                config.blas__ldflags, config.gcc__cxxflags, config.cxx)
    digest = hashlib.sha256(repr((key, settings, _versions(), _source_digest())).encode())
    return Path(config.compiledir) / FOLDER / f"{digest.hexdigest()[:32]}.pkl"


def load(key: tuple):
    """The entry kept for ``key`` as ``(model, shared, functions)``, or None."""
    path = path_for(key)
    try:
        payload = path.read_bytes()
    except OSError:
        return None
    try:
        kept = pickle.loads(payload)  # noqa: S301  # the compile cache is trusted (docstring)
        found = kept["model"], kept["shared"], kept["functions"]
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the last to go (:func:`_trim`)
        return found
    except Exception as exc:  # noqa: BLE001  # any unreadable file is a miss, never a failure
        _LOG.debug("kept model %s unreadable (%s): compiling", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def save(key: tuple, model, shared: list, functions: dict) -> Path | None:
    """Write the entry for ``key`` (data inputs emptied), atomically; None if it cannot be."""
    import cloudpickle  # lazy: PyMC's dependency; pickles the trace's class by value

    path = path_for(key)
    try:
        with _emptied(shared):
            payload = cloudpickle.dumps({"model": model, "shared": shared,
                                         "functions": functions})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, payload, mode=0o600)  # a reader sees the old file or the whole new one
    except Exception as exc:  # noqa: BLE001  # not keeping is only slower, never wrong
        _LOG.debug("kept model %s not written (%s)", path, exc)
        return None
    _trim(path.parent)
    return path


def _trim(folder: Path) -> None:
    """Remove the least recently used files beyond :data:`MAX_FILES`."""
    files = []
    for kept in folder.glob("*.pkl"):
        with contextlib.suppress(OSError):
            files.append((kept.stat().st_mtime, kept))
    for _, kept in sorted(files)[:max(len(files) - MAX_FILES, 0)]:
        with contextlib.suppress(OSError):
            kept.unlink()


@contextlib.contextmanager
def _emptied(shared: list):
    """Every data input empty (no rows, or zeros of its fixed shape) meanwhile."""
    values = [s.get_value(borrow=True) for s in shared]
    try:
        for s in shared:
            s.set_value(np.zeros(tuple(0 if d is None else d for d in s.type.shape)), borrow=True)
        yield
    finally:
        for s, value in zip(shared, values, strict=True):
            s.set_value(value, borrow=True)


def _versions() -> tuple:
    import pymc  # lazy: PyMC loads only when a model is fitted
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    return sys.version, np.__version__, pytensor.__version__, pymc.__version__


@functools.cache  # the code does not change while the process runs
def _source_digest() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((here / f"{name}.py").read_bytes())
    return digest.hexdigest()
