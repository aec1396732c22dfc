"""A precompiled header for PyTensor's C modules: a first fit in about half the compile time.

A first fit on a machine (an empty PyTensor compile cache) spends most of
its time in g++: the two stages' densities and gradients are ~55 C modules,
each compiled one at a time, and ~80 % of every compile is parsing the same
headers (``Python.h``, NumPy's, ``<vector>``, ``<algorithm>``: 52,000 lines)
before the module's own code. PyTensor has no setting for a precompiled
header, so :func:`use_precompiled_header` builds one (GCC's ``.gch``, about
1 s, once per machine and toolchain) into the compile cache and adds its
folder to ``gcc__cxxflags``. Measured on one module: 0.75 -> 0.44 s; the
module code and the results are unchanged.

Every PyTensor module starts with ``#include <Python.h>``, so GCC, finding
``Python.h.gch`` first on the include path, loads the header state instead
of parsing. A header it cannot use (other flags, another compiler) it
ignores and parses the real headers, as before. The folder's name is a
digest of the compiler, its flags, the Python, NumPy and PyTensor versions
and the header list, so an upgrade builds a new header, never reuses a stale
one. ``-g0`` (no debug information, which the PyTensor modules never use)
goes with it. A user's own ``gcc__cxxflags`` always win: then nothing is
changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from pmo_nb.atomic import write_atomic

#: What every PyTensor C module includes first, in its order.
HEADERS = "".join(f"#include {h}\n" for h in (
    "<Python.h>", '"pytensor_mod_helper.h"', "<math.h>", "<numpy/arrayobject.h>",
    "<numpy/arrayscalars.h>", "<numpy/npy_math.h>", "<vector>", "<algorithm>"))
#: Flags added to the modules' compile and used to build the header.
EXTRA_FLAGS = ("-g0",)
#: What PyTensor's C linker puts before the compiler's flags for every module
#: (``CLinker.compile_args``): the header must be built with the same.
MODULE_FLAGS = ("-O3", "-fno-math-errno", "-Wno-unused-label", "-Wno-unused-variable",
                "-Wno-write-strings")
#: Folders whose header failed to build in this process: not tried again at every fit.
_FAILED: set[str] = set()


def use_precompiled_header() -> str | None:
    """Build (once) and use a precompiled header for PyTensor's modules.

    Call after PyMC is imported (it adds its own compiler flags on import)
    and before the model is compiled. Returns the folder holding
    ``Python.h.gch``, or None when PyTensor's settings were left alone: the
    user's own ``gcc__cxxflags``, a compiler that is not GCC, no compiler,
    or a header that failed to build.
    """
    import pymc  # noqa: F401  # lazy: PyMC's import sets flags the header must match
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    config = pytensor.config
    if not type(config).__dict__["gcc__cxxflags"].is_default or not config.cxx:
        return None  # the user's own flags win
    flags = config.gcc__cxxflags.split()
    ours = [f for f in flags if f.startswith("-I") and f"{os.sep}pmo_pch{os.sep}" in f]
    if ours:
        return ours[0][2:]
    compiler = _gcc_version(config.cxx)
    if compiler is None:
        return None
    from pytensor.link.c.cmodule import (  # lazy: PyTensor loads only when fitting
        GCC_compiler,
        std_include_dirs,
    )

    config.gcc__cxxflags = " ".join([*flags, *EXTRA_FLAGS])
    args = [*MODULE_FLAGS, *_compile_args(GCC_compiler, config, compiler)]
    includes = std_include_dirs()
    digest = hashlib.sha256(repr((compiler, config.cxx, args, includes, sys.version,
                                  _versions(), HEADERS)).encode()).hexdigest()[:16]
    folder = os.path.join(config.compiledir, "pmo_pch", digest)
    # a folder with whitespace cannot go into gcc__cxxflags, which is split on it
    if folder in _FAILED or any(c.isspace() for c in folder) or (
            not os.path.exists(os.path.join(folder, "Python.h.gch"))
            and not _build(config.cxx, args, includes, folder)):
        _FAILED.add(folder)
        config.gcc__cxxflags = " ".join(flags)  # as it was
        return None
    config.gcc__cxxflags = " ".join([*flags, *EXTRA_FLAGS, f"-I{folder}"])
    return folder


def _compile_args(gcc, config, compiler: str) -> list[str]:
    """PyTensor's module flags, with its ``-march`` detection remembered per CPU and compiler.

    ``compile_args()`` finds the ``-march=native`` equivalent by running and
    test-compiling with g++: 0.4 s in every process (py-spy of a fit whose
    model is cached, 2026-12-03), where nothing else is compiled. PyTensor
    keeps the result only in memory (``GCC_compiler.march_flags``); here it is
    kept in a file of the compile cache named by a digest of the compiler, the
    CPU's model and flags (``/proc/cpuinfo``) and the versions, and set again
    before ``compile_args()`` runs, which then skips the detection. Without a
    ``/proc/cpuinfo`` nothing is kept.
    """
    path, read = _march_file(config, compiler), False
    if path is not None and gcc.march_flags is None:
        with contextlib.suppress(OSError, ValueError):
            with open(path) as fh:
                known = json.load(fh)
            if isinstance(known, list) and all(isinstance(f, str) for f in known):
                gcc.march_flags, read = known, True
    args = gcc.compile_args()
    if path is not None and not read and isinstance(gcc.march_flags, list):
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, json.dumps(gcc.march_flags))  # another process reads all or nothing
    return args


def _march_file(config, compiler: str) -> str | None:
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = sorted({line.strip() for line in fh if line.startswith(("model name", "flags"))})
    except OSError:
        return None
    digest = hashlib.sha256(repr((compiler, config.cxx, cpu, sys.version, _versions())).encode())
    return os.path.join(config.compiledir, "pmo_pch", f"march-{digest.hexdigest()[:16]}.json")


def _build(cxx: str, args: list[str], includes: list[str], folder: str) -> bool:
    """Compile the header into ``folder``; False (and nothing left behind) on failure."""
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        source = os.path.join(tmp, "pmo_pch.h")
        target = os.path.join(tmp, "Python.h.gch")
        with open(source, "w") as fh:
            fh.write(HEADERS)
        command = [cxx, *args, *(f"-I{d}" for d in includes), "-x", "c++-header", source,
                   "-o", target]
        try:
            done = subprocess.run(command, capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError):
            return False
        if done.returncode != 0 or not os.path.exists(target):
            return False
        os.replace(target, os.path.join(folder, "Python.h.gch"))  # atomic: no half header
    return True


@functools.cache  # one ``--version`` run per compiler and process
def _gcc_version(cxx: str) -> str | None:
    """``cxx --version``'s first line when it is GCC (its ``.gch`` format), else None."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    first = out.splitlines()[0] if out else ""
    return first if "Free Software Foundation" in out and "clang" not in out.lower() else None


def _versions() -> tuple[str, str]:
    import pytensor  # lazy: PyTensor loads only when a model is fitted

    return np.__version__, pytensor.__version__
