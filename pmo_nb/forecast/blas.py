"""BLAS for the forecast fit: PyTensor linked to OpenBLAS, one BLAS thread per process.

Two things made every fit on a pip install slower than it needs to be:

- PyTensor compiles the model's density to C and links it to a BLAS for its
  matrix products. With pip's NumPy (whose OpenBLAS is private to NumPy) it
  finds none, warns "PyTensor could not link to a BLAS installation" and
  falls back to slower products (some in Python), after a search that costs
  about 0.5 s per process. :func:`link_openblas` points PyTensor's
  ``blas__ldflags`` at the system's OpenBLAS (Debian: ``apt-get install
  libopenblas-dev``) when its library is there, unless the user set
  ``blas__ldflags`` (``PYTENSOR_FLAGS`` or ``.pytensorrc``) or PyTensor
  already found a BLAS: the user's configuration always wins.
- NumPy and SciPy's OpenBLAS starts one thread per core. For the fit's small
  matrices the threads only hand work to each other: on a loaded 2-core
  machine the Laplace start's L-BFGS-B (n = 40) took 5.5 s with two BLAS
  threads and 0.4 s with one. :func:`one_thread` caps every loaded BLAS at
  one thread; chains that PyMC samples in forked processes inherit the cap
  (setting it inside a forked process is what crashed PyMC's own attempt,
  pymc#7354, so it is set in the parent before the fork).
"""

from __future__ import annotations

import contextlib
import os
import sysconfig

#: Where Debian (``/usr/lib/<multiarch>``), Fedora and a local build put the OpenBLAS link library.
_LIB_DIRS = ("/usr/lib64", "/usr/lib", "/usr/local/lib")


def openblas_ldflags() -> str | None:
    """Linker flags for the system's OpenBLAS, or None when it is not installed.

    Looks for the link library ``libopenblas.so`` (Debian's
    ``libopenblas-dev``), not only the runtime one, which a linker cannot use.
    """
    multiarch = sysconfig.get_config_var("MULTIARCH")
    folders = ((f"/usr/lib/{multiarch}",) if multiarch else ()) + _LIB_DIRS
    for folder in folders:
        if os.path.exists(os.path.join(folder, "libopenblas.so")):
            return f"-L{folder} -lopenblas"
    return None


def link_openblas() -> str | None:
    """Point PyTensor at the system's OpenBLAS unless the user or PyTensor chose a BLAS.

    Call before the first model is compiled. Returns the flags it set, or
    None when it left PyTensor's own choice alone: ``blas__ldflags`` given in
    ``PYTENSOR_FLAGS`` or ``.pytensorrc``, a BLAS PyTensor already linked, no
    OpenBLAS installed, or no C compiler (PyTensor then runs Python code).
    """
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    config = pytensor.config
    param = type(config).__dict__["blas__ldflags"]
    if not param.is_default or getattr(param, "val", ""):
        return None  # the user's own setting, or a BLAS PyTensor already linked
    flags = openblas_ldflags()
    if flags is None or not config.cxx:
        return None
    config.blas__ldflags = flags
    return flags


@contextlib.contextmanager
def one_thread():
    """Every BLAS loaded in this process limited to one thread, within the block."""
    from threadpoolctl import threadpool_limits  # lazy: only a fit needs it

    with threadpool_limits(limits=1, user_api="blas"):
        yield
