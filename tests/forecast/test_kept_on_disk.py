"""A compiled model kept in the compile cache is loaded by the next process, only if it fits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pmo_nb.forecast import kept_on_disk, reuse
from tests.forecast.test_reuse import _other_data, _reference
from tests.forecast.test_reuse import demo as demo  # noqa: F401  # the module's fixture, shared


@pytest.fixture(autouse=True)
def private_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(kept_on_disk, "FOLDER", str(tmp_path / "kept"))
    reuse.clear()
    before, disk = reuse.set_enabled(True), reuse.set_disk_enabled(True)
    yield tmp_path / "kept"
    reuse.set_enabled(before)
    reuse.set_disk_enabled(disk)
    reuse.clear()


def _compile(build) -> None:
    """A fit's use of an entry: it compiles its density (a marker stands for it)."""
    with reuse.compiled(build) as entry:
        entry.functions.setdefault("logp_dlogp", "compiled density")


def test_a_layout_written_by_one_process_is_loaded_by_the_next(demo, private_folder):  # noqa: F811
    outcome, _, extras = demo
    _compile(_reference(outcome, extras))
    assert reuse.STATS == {"hits": 0, "misses": 1} and len(list(private_folder.iterdir())) == 1
    reuse.clear()  # as a new process: nothing in memory
    other = _other_data(outcome)
    with reuse.compiled(_reference(other, extras)) as loaded:
        assert reuse.STATS == {"hits": 0, "misses": 0, "disk_hits": 1}
        assert loaded.functions["logp_dlogp"] == "compiled density"
        rows = loaded.shared[0].get_value()
        assert rows.shape[1] == len(other)  # the new data, not the file's empty inputs
        assert (rows[0] == other["log_cost_ratio"].to_numpy()).all()
    with reuse.compiled(_reference(outcome, extras)) as again:
        assert again is loaded and reuse.STATS["hits"] == 1  # kept in memory from then on


def test_a_kept_file_holds_no_data(demo, private_folder):  # noqa: F811
    outcome, _, extras = demo
    with reuse.compiled(_reference(outcome, extras)) as entry:
        entry.functions["logp_dlogp"] = "compiled density"
        inputs = [s.get_value() for s in entry.shared]
    payload = next(private_folder.iterdir()).read_bytes()
    for value in inputs:
        flat = value.ravel()
        for start in range(0, max(len(flat) - 3, 1), max(len(flat) // 20, 1)):
            window = flat[start:start + 3]
            if set(window.tolist()) - {0.0, 1.0}:  # not an indicator's zeros and ones
                assert window.tobytes() not in payload
    assert [s.get_value().shape for s in entry.shared] == [v.shape for v in inputs]  # restored


def test_a_kept_model_of_another_computation_is_not_used(demo, monkeypatch):  # noqa: F811
    from pmo_nb.forecast import model as model_module
    from pmo_nb.forecast import priors

    outcome, _, extras = demo
    _compile(_reference(outcome, extras))
    reuse.clear()
    original = priors.spread_prior
    monkeypatch.setattr(model_module, "spread_prior", lambda name, mode: original(name, mode * 2))
    with reuse.compiled(_reference(outcome, extras)) as fresh:
        assert "logp_dlogp" not in fresh.functions
    assert reuse.STATS == {"hits": 0, "misses": 1}


def test_an_unreadable_file_is_a_miss_and_is_written_again(demo, private_folder):  # noqa: F811
    outcome, _, extras = demo
    _compile(_reference(outcome, extras))
    kept = next(private_folder.iterdir())
    kept.write_bytes(b"\x80\x05 not a pickle")
    reuse.clear()
    _compile(_reference(outcome, extras))  # no error: compiled and written again
    assert reuse.STATS == {"hits": 0, "misses": 1}
    reuse.clear()
    _compile(_reference(outcome, extras))
    assert reuse.STATS == {"hits": 0, "misses": 0, "disk_hits": 1}


FIT = """
import hashlib, json, sys, warnings
warnings.filterwarnings("ignore")
import pymc as pm
from pmo_nb.demo.generator import demo_portfolio
from pmo_nb.forecast import kept_on_disk, progress, reuse
from pmo_nb.forecast.model import ForecastModel
from tests.forecast.test_reuse import TINY, _other_data

kept_on_disk.FOLDER = sys.argv[1]
compiles = []
original = pm.Model.logp_dlogp_function
pm.Model.logp_dlogp_function = lambda self, *a, **k: compiles.append(1) or original(self, *a, **k)
portfolio = demo_portfolio(n_projects=300, seed=5, as_of="2026-06-30")
outcome, extras = progress.outcomes(portfolio), progress.model_covariates(portfolio)
reading = progress.readings(portfolio)
digests = []
for data in sys.argv[2:]:
    chosen = outcome if data == "original" else _other_data(outcome)
    snaps = progress.training_snapshots(chosen, reading[reading["project_id"].isin(
        chosen.index)], 1)
    post = ForecastModel(TINY).fit(chosen, snaps, extras=extras, seed=3).idata.posterior
    digests.append({n: hashlib.sha256(post[n].values.tobytes()).hexdigest()
                    for n in post.data_vars})
print(json.dumps({"compiles": len(compiles), "stats": reuse.STATS, "digests": digests}))
"""


def _run(folder, *data) -> dict:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", FIT, str(folder), *data], cwd=root,
                          env=dict(os.environ, PYTHONPATH=root), capture_output=True,
                          text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_process_compiles_nothing_and_draws_what_a_fresh_fit_draws(private_folder):
    first = _run(private_folder, "original", "other")  # the second fit reuses it in memory
    assert first["compiles"] == 2 and first["stats"] == {"hits": 2, "misses": 2}
    assert len(list(private_folder.iterdir())) == 2  # one file per stage
    second = _run(private_folder, "other")  # a new process: both stages from the files
    assert second["compiles"] == 0 and second["stats"] == {"hits": 0, "misses": 0,
                                                          "disk_hits": 2}
    assert second["digests"][0] == first["digests"][1]  # bit for bit


def test_the_least_recently_used_files_go_beyond_the_limit(demo, private_folder, monkeypatch):  # noqa: F811
    outcome, _, extras = demo
    monkeypatch.setattr(kept_on_disk, "MAX_FILES", 2)
    every_category_non_centred = {"centred_from": {"alpha": 10**6, "log_scale": 10**6}}
    builds = [_reference(outcome, extras), _reference(outcome, extras[:-1]),
              _reference(outcome, extras, every_category_non_centred)]
    _compile(builds[0])
    _compile(builds[1])
    first = sorted(private_folder.iterdir(), key=lambda p: p.stat().st_mtime)[0]
    os.utime(first, (1, 1))  # long unused
    reuse.clear()
    _compile(builds[0])  # loaded from disk: used again now
    assert reuse.STATS["disk_hits"] == 1
    _compile(builds[2])  # a third layout: the least recently used file goes
    kept = list(private_folder.iterdir())
    assert len(kept) == 2 and first in kept
    reuse.clear()
    _compile(builds[1])  # its file went: compiled again
    assert reuse.STATS == {"hits": 0, "misses": 1}
