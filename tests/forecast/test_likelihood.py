"""The fast likelihoods are the bivariate-t density summed; BLAS set-up respects the user."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from pmo_nb.forecast import blas
from pmo_nb.forecast.likelihood import inflight_loglik, reference_loglik

#: PyTensor's gammaln is good to ~3e-8 (at 3.5), once per row in the old form, once in all here.
REL = 1e-7


def _scipy_sum(y, loc, scale, rho, nu, weight):
    """Sum of w_i log t2(y_i | loc_i, diag(scale_i) R diag(scale_i), nu), row by row."""
    total = 0.0
    for yi, li, si, wi in zip(y, loc, scale, weight, strict=True):
        cov = np.array([[si[0] ** 2, rho * si[0] * si[1]], [rho * si[0] * si[1], si[1] ** 2]])
        total += wi * stats.multivariate_t(loc=li, shape=cov, df=nu).logpdf(yi)
    return total


def test_reference_likelihood_is_the_summed_density():
    rng = np.random.default_rng(3)
    n, categories, p = 60, 3, 2
    cat = rng.integers(0, categories, n)
    onehot = np.eye(categories)[cat]
    x = rng.normal(size=(n, p))
    alpha, beta = rng.normal(0, 0.3, (categories, 2)), rng.normal(0, 0.2, (p, 2))
    log_scale = rng.normal(-1.0, 0.3, (categories, 2))
    rho, nu = 0.4, 5.0
    y = rng.normal(0, 0.5, (n, 2))
    ours = reference_loglik(y, onehot, x, alpha, beta, log_scale, rho, nu).eval()
    expected = _scipy_sum(y, alpha[cat] + x @ beta, np.exp(log_scale[cat]), rho, nu, np.ones(n))
    assert ours == pytest.approx(expected, rel=REL)


def test_inflight_likelihood_is_the_weighted_summed_density():
    rng = np.random.default_rng(4)
    n, t = 50, 4
    y, loc_ref = rng.normal(0, 0.5, (n, 2)), rng.normal(0, 0.1, (n, 2))
    scale_ref = np.exp(rng.normal(-1.2, 0.2, (n, 2)))
    q, theta = rng.normal(size=(n, t)), rng.normal(0, 0.1, (t, 2))
    f = rng.uniform(0.05, 1.2, n)
    terms = np.column_stack([np.ones(n), f - 0.5, np.log(f) - np.log(0.5)])
    spread = [rng.normal(0, 0.3, 2) for _ in range(3)]
    weight = rng.choice([0.5, 1.0], n)
    rho, nu = -0.3, 7.0
    ours = inflight_loglik(y, loc_ref, scale_ref, q, theta, terms, spread, rho, nu,
                           weight).eval()
    scale = scale_ref * np.exp(terms @ np.stack(spread))
    expected = _scipy_sum(y, loc_ref + q @ theta, scale, rho, nu, weight)
    assert ours == pytest.approx(expected, rel=REL)


def test_openblas_is_found_only_where_its_link_library_is(tmp_path, monkeypatch):
    monkeypatch.setattr(blas.sysconfig, "get_config_var", lambda name: None)
    monkeypatch.setattr(blas, "_LIB_DIRS", (str(tmp_path),))
    assert blas.openblas_ldflags() is None
    (tmp_path / "libopenblas.so.0").write_bytes(b"")  # the runtime library alone: no link
    assert blas.openblas_ldflags() is None
    (tmp_path / "libopenblas.so").write_bytes(b"")
    assert blas.openblas_ldflags() == f"-L{tmp_path} -lopenblas"


def _in_fresh_python(code: str, flags: str, tmp_path) -> str:
    env = dict(os.environ, PYTENSOR_FLAGS=f"base_compiledir={tmp_path},{flags}".rstrip(","))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def test_a_users_own_blas_flags_are_kept(tmp_path):
    code = ("import pytensor; from pmo_nb.forecast import blas; "
            "print(repr(blas.link_openblas()), repr(pytensor.config.blas__ldflags))")
    assert _in_fresh_python(code, "blas__ldflags=-lmyblas", tmp_path) == "None '-lmyblas'"
    assert _in_fresh_python(code, "blas__ldflags=", tmp_path) == "None ''"


@pytest.mark.skipif(blas.openblas_ldflags() is None, reason="no libopenblas-dev here")
def test_pytensor_links_to_the_system_openblas(tmp_path):
    code = ("import pytensor; from pmo_nb.forecast import blas; flags = blas.link_openblas(); "
            "print(flags == pytensor.config.blas__ldflags and '-lopenblas' in flags)")
    assert _in_fresh_python(code, "", tmp_path) == "True"


def test_one_thread_limits_every_loaded_blas():
    from threadpoolctl import threadpool_info

    with blas.one_thread():
        inside = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert inside and all(n == 1 for n in inside)
