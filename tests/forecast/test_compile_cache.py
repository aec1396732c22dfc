"""The forecast's C modules: compiled once per model layout, with a precompiled header.

Each check runs in a fresh interpreter on a PyTensor compile cache private to
this module (shared by its checks: each counts only what its own lines add), so
that the machine's cache can neither hide a compile nor cause one. Sharing it
spares each check PyTensor's own cold start (its lazy linker and C utilities);
the checks run in this file's order, the header's first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

NEW_DATA_COMPILES_NOTHING = textwrap.dedent("""
    import glob, json, sys
    import numpy as np
    import pytensor, pytensor.tensor as pt
    from pmo_nb.forecast.likelihood import inflight_loglik, reference_loglik
    from pmo_nb.forecast.precompiled_header import use_precompiled_header

    use_precompiled_header()  # as a fit does: the modules compile as they would there

    def modules():
        return len(glob.glob(str(pytensor.config.compiledir) + "/tmp*/key.pkl"))

    def reference(n, seed):
        rng = np.random.default_rng(seed)
        onehot = np.eye(3)[rng.integers(0, 3, n)]
        alpha, beta, log_scale = pt.matrix("a"), pt.matrix("b"), pt.matrix("s")
        rho, nu = pt.scalar("r"), pt.scalar("nu")
        out = reference_loglik(rng.normal(size=(n, 2)), onehot, rng.normal(size=(n, 2)),
                               alpha, beta, log_scale, rho, nu)
        inputs = [alpha, beta, log_scale, rho, nu]
        f = pytensor.function(inputs, [out, *pt.grad(out, inputs)])
        return float(f(np.zeros((3, 2)), np.zeros((2, 2)), np.full((3, 2), -1.0), 0.3, 5.0)[0])

    def inflight(n, seed):
        rng = np.random.default_rng(seed)
        theta, s0, s1 = pt.matrix("t"), pt.vector("s0"), pt.vector("s1")
        rho, nu = pt.scalar("r"), pt.scalar("nu")
        out = inflight_loglik(rng.normal(size=(n, 2)), rng.normal(size=(n, 2)),
                              np.exp(rng.normal(size=(n, 2))), rng.normal(size=(n, 3)), theta,
                              rng.normal(size=(n, 2)), [s0, s1], rho, nu, rng.random(n) + 0.5)
        inputs = [theta, s0, s1, rho, nu]
        f = pytensor.function(inputs, [out, *pt.grad(out, inputs)])
        return float(f(np.zeros((3, 2)), np.zeros(2), np.zeros(2), 0.3, 5.0)[0])

    before = modules()
    first = [reference(40, 0), inflight(40, 0)]
    after_first = modules()
    second = [reference(57, 1), inflight(57, 1)]
    print(json.dumps({"before": before, "after_first": after_first, "after_second": modules(),
                      "values": first + second}))
""")

HEADER_IS_USED = textwrap.dedent("""
    import json, os, subprocess, tempfile
    import pytensor
    from pmo_nb.forecast.precompiled_header import MODULE_FLAGS, use_precompiled_header
    from pytensor.link.c.cmodule import GCC_compiler, std_include_dirs

    folder = use_precompiled_header()
    again = use_precompiled_header()
    args = [*MODULE_FLAGS, *GCC_compiler.compile_args()]
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "m.cpp")
        with open(source, "w") as fh:
            fh.write("#include <Python.h>\\nint answer() { return 42; }\\n")
        done = subprocess.run([pytensor.config.cxx, *args,
                               *("-I" + d for d in std_include_dirs()), "-H", "-Winvalid-pch",
                               "-c", source, "-o", os.path.join(tmp, "m.o")],
                              capture_output=True, text=True)
    used = [line for line in done.stderr.splitlines() if line.startswith("! ")]
    x = pytensor.tensor.vector("x")
    f = pytensor.function([x], pytensor.tensor.log1p(pytensor.tensor.exp(x)) * 2.0)
    print(json.dumps({"folder": folder, "again": again, "flags": pytensor.config.gcc__cxxflags,
                      "used": used, "rc": done.returncode, "value": float(f([0.0])[0])}))
""")

MARCH_IS_KEPT = textwrap.dedent("""
    import glob, json, os, pytensor
    from pytensor.link.c.cmodule import GCC_compiler
    known = []
    original = GCC_compiler.compile_args
    GCC_compiler.compile_args = staticmethod(
        lambda *a, **k: known.append(GCC_compiler.march_flags) or original(*a, **k))
    from pmo_nb.forecast.precompiled_header import use_precompiled_header

    folder = use_precompiled_header()
    files = glob.glob(os.path.join(str(pytensor.config.compiledir), "pmo_pch", "march-*.json"))
    print(json.dumps({"folder": folder, "known": known[0], "flags": GCC_compiler.march_flags,
                      "files": files}))
""")


@pytest.fixture(scope="module")
def compiledir(tmp_path_factory):
    """The PyTensor compile cache of this module's checks, empty at the first."""
    return tmp_path_factory.mktemp("pytensor")


def _run(code: str, compiledir, flags: str = "") -> dict:
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={compiledir}{flags}")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_precompiled_header_is_built_once_and_used(compiledir):
    out = _run(HEADER_IS_USED, compiledir)
    assert out["folder"] and out["again"] == out["folder"]
    assert os.path.exists(os.path.join(out["folder"], "Python.h.gch"))
    assert f"-I{out['folder']}" in out["flags"].split() and "-g0" in out["flags"].split()
    assert out["rc"] == 0
    assert out["used"] and out["used"][0].endswith("Python.h.gch")  # gcc loaded, not parsed
    assert out["value"] == pytest.approx(2 * 0.6931471805599453)


def test_the_march_flags_pytensor_detects_are_kept_for_the_next_process(compiledir):
    """PyTensor's 0.4 s ``-march=native`` detection runs once per CPU, not in every fit."""
    first = _run(MARCH_IS_KEPT, compiledir)  # after the header's check: the file is there
    assert first["files"] and first["known"] == first["flags"] and first["flags"]
    for kept in first["files"]:
        with open(kept, "w") as fh:
            fh.write("{not json")
    detected = _run(MARCH_IS_KEPT, compiledir)  # unreadable: PyTensor detects them again
    assert detected["known"] is None and detected["flags"] == first["flags"]
    assert detected["folder"] == first["folder"]  # the same header
    again = _run(MARCH_IS_KEPT, compiledir)
    assert again["known"] == first["flags"]  # written again by the detecting process


@pytest.mark.slow
def test_new_data_of_another_size_compiles_no_new_module(compiledir):
    """A week's new completions (or a backtest epoch) reuse every compiled module."""
    out = _run(NEW_DATA_COMPILES_NOTHING, compiledir)
    assert out["after_first"] > out["before"]  # the first data did compile modules
    assert out["after_second"] == out["after_first"]
    assert len(set(out["values"])) == 4  # the data did change what was computed


def test_the_users_own_compiler_flags_win(compiledir):
    out = _run(HEADER_IS_USED, compiledir, ",gcc__cxxflags=-O2")
    assert out["folder"] is None
    assert out["flags"].split()[0] == "-O2" and "pmo_pch" not in out["flags"]
