"""Reuse a compiled forecast model across fits of the same layout in one process.

A backtest fits the model a dozen times in one process (one fit per cut-off
epoch, with and without the governance covariates), on data sets that differ
but mostly share one layout: the same categories, covariates and
parametrisation. The data enter the graph as shared variables
(:mod:`pmo_nb.forecast.likelihood`), so a fit of a layout already seen only
needs the new values: this module keeps, per layout, the first fit's PyMC model
and what was compiled for it (the density and gradient, the start and trace
functions), and hands them to the next fit after ``set_value`` of the new data.
PyTensor's graph rewrites and linking then run once per layout, not per fit.
A layout compiled in another process is loaded from the compile cache
(:mod:`pmo_nb.forecast.kept_on_disk`) and checked the same way before use.

Safety: a model is reused only when the new fit's freshly built model is the
same computation (:func:`pytensor.graph.basic.equal_computations` over its
density, deterministics and random variables, with the data inputs made by
:func:`pmo_nb.forecast.likelihood.recording` paired in creation order, every
constant compared by value) with the same names, coordinates and dims; any
other input (an unrecorded shared variable) makes the graphs differ. A fit
then gives exactly the draws a fresh fit with the same seed gives (the tests
check it). An entry in use by one fit is not lent to another (threads).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from pmo_nb.forecast import kept_on_disk
from pmo_nb.forecast.likelihood import recording

#: Layouts kept per process (least recently used dropped first).
MAX_LAYOUTS = 12
_CACHE: OrderedDict[tuple, list] = OrderedDict()
_LOCK = threading.Lock()
#: Counts since the process started (or :func:`clear`): fits that reused a model kept
#: in memory, that compiled; and those whose model was loaded from disk (the compile cache).
STATS = {"hits": 0, "misses": 0}
_ENABLED = [True]
_DISK = [True]
#: The entry's graphs for :func:`_same_computation`: rebuilt cheaply, never written to disk.
_COMPARISON = "comparison graphs"


@dataclass
class Compiled:
    """A PyMC model, its data inputs (creation order) and what was compiled for it.

    ``functions`` is filled by the users of the model (by name) the first time
    they compile something; a later fit of the same layout finds it there.
    """

    model: object
    shared: list
    functions: dict = field(default_factory=dict)
    busy: bool = False
    #: The function names the file in the compile cache holds (None: no file).
    on_disk: frozenset | None = None

    def cached(self, name: str, make):
        """``functions[name]``, made by ``make()`` the first time."""
        if name not in self.functions:
            self.functions[name] = make()
        return self.functions[name]


def empty_trace(entry: Compiled, initial_point: dict):
    """An empty trace for ``pm.sample(trace=...)`` whose point function is compiled once.

    PyMC compiles the function that records each draw (the deterministics)
    for every chain of every fit; this trace is copied per chain with it.
    """
    return entry.cached("trace", lambda: _trace_class()(model=entry.model,
                                                         test_point=initial_point))


_TRACE_CLASS: list = []


def _trace_class():
    from pymc.backends.ndarray import NDArray  # lazy: PyMC loads only when a model is fitted

    if not _TRACE_CLASS:
        class KeptTrace(NDArray):
            """An NDArray trace whose copies (one per chain) start empty."""

            def __copy__(self):
                new = object.__new__(type(self))
                new.__dict__.update(self.__dict__)
                new.samples = {}  # the one mutable part: each chain its own
                return new

        _TRACE_CLASS.append(KeptTrace)
    return _TRACE_CLASS[0]


def set_enabled(flag: bool) -> bool:
    """Turn reuse on or off for this process (benchmarks); the previous setting."""
    before, _ENABLED[0] = _ENABLED[0], bool(flag)
    return before


def set_disk_enabled(flag: bool) -> bool:
    """Turn the models kept in the compile cache on or off (tests); the previous setting."""
    before, _DISK[0] = _DISK[0], bool(flag)
    return before


def clear() -> None:
    """Forget every model kept in memory and reset :data:`STATS`."""
    with _LOCK:
        _CACHE.clear()
        STATS.clear()
        STATS.update(hits=0, misses=0)


@contextlib.contextmanager
def compiled(build, *, keep: bool = True):
    """The :class:`Compiled` model for ``build()``: a kept one of the same layout or a new one.

    ``build`` makes the PyMC model; it always runs (its data are computed the
    same way either way), and when a kept model is the same computation its
    data inputs take the new values and it is used instead. ``keep=False``
    (or reuse turned off): the new model, neither looked up nor kept.
    """
    with recording() as made:
        model = build()
    fresh = Compiled(model, list(made))
    if not (keep and _ENABLED[0]):
        yield fresh
        return
    key = _layout_key(model, fresh.shared)
    entry = _take(key, fresh)
    try:
        yield entry
        _keep_on_disk(key, entry)
    finally:
        entry.busy = False


def _take(key: tuple, fresh: Compiled) -> Compiled:
    """A kept entry equal to ``fresh``, marked busy with ``fresh``'s data; else ``fresh`` kept."""
    with _LOCK:
        candidates = [e for e in _CACHE.get(key, []) if not e.busy]
    for entry in candidates:
        if _same_computation(entry, fresh):
            with _LOCK:
                if entry.busy:
                    continue
                entry.busy = True
                _CACHE.move_to_end(key)
                STATS["hits"] += 1
            _take_data(entry, fresh)
            return entry
    loaded = _from_disk(key, fresh)
    if loaded is not None:
        return loaded
    with _LOCK:
        fresh.busy = True
        _CACHE.setdefault(key, []).append(fresh)
        _CACHE.move_to_end(key)
        STATS["misses"] += 1
    _trim()
    return fresh


def _trim() -> None:
    """Drop the least recently used entries beyond :data:`MAX_LAYOUTS`."""
    with _LOCK:
        while sum(len(v) for v in _CACHE.values()) > MAX_LAYOUTS:
            oldest = next(iter(_CACHE))
            _CACHE[oldest].pop(0)
            if not _CACHE[oldest]:
                del _CACHE[oldest]


def _take_data(entry: Compiled, fresh: Compiled) -> None:
    for old, new in zip(entry.shared, fresh.shared, strict=True):
        old.set_value(new.get_value(borrow=True), borrow=True)


def _from_disk(key: tuple, fresh: Compiled) -> Compiled | None:
    """The entry kept in the compile cache, if it is ``fresh``'s computation, busy with its data."""
    kept = kept_on_disk.load(key) if _DISK[0] else None
    if kept is None:
        return None
    entry = Compiled(*kept, busy=True)
    entry.on_disk = frozenset(entry.functions)
    if not _same_computation(entry, fresh):
        return None
    _take_data(entry, fresh)
    with _LOCK:
        _CACHE.setdefault(key, []).append(entry)
        _CACHE.move_to_end(key)
        STATS["disk_hits"] = STATS.get("disk_hits", 0) + 1
    _trim()
    return entry


def _keep_on_disk(key: tuple, entry: Compiled) -> None:
    """Write ``entry`` to the compile cache when it holds functions its file lacks."""
    kept = {name: f for name, f in entry.functions.items() if name != _COMPARISON}
    names = frozenset(kept)
    if not _DISK[0] or "logp_dlogp" not in names or names <= (entry.on_disk or frozenset()):
        return
    if kept_on_disk.save(key, entry.model, entry.shared, kept) is not None:
        entry.on_disk = names


def _layout_key(model, shared: list) -> tuple:
    """A cheap key: names, dims, coordinates and input types (the graphs are compared after)."""
    coords = tuple((k, tuple(v) if v is not None else None) for k, v in model.coords.items())
    dims = tuple(sorted((k, tuple(v)) for k, v in model.named_vars_to_dims.items()))
    lengths = tuple((k, int(v.get_value() if hasattr(v, "get_value") else v.data))
                    for k, v in sorted(model.dim_lengths.items()))
    return (tuple(model.named_vars), coords, dims, lengths,
            tuple(str(v.type) for v in model.value_vars), tuple(str(s.type) for s in shared))


def _graphs(model, shared: list):
    """What a model computes (outputs) and from what (inputs to pair), for comparison.

    The random variables, potentials and deterministics as graphs of one
    another: with the same transforms (:func:`_settings`) they make the same
    density (building it, ``model.logp()``, took 0.5 s a stage).
    """
    rngs = [rv.owner.inputs[0] for rv in model.free_RVs]
    dims = [model.dim_lengths[name] for name in sorted(model.dim_lengths)]  # equal: the key
    outputs = [*model.free_RVs, *model.potentials, *model.deterministics]
    return outputs, [*shared, *rngs, *dims]


def _settings(model) -> tuple | None:
    """The model's transforms and settings; None when a start value is set (not compared)."""
    if any(v is not None for v in model.rvs_to_initial_values.values()):
        return None
    transforms = tuple((rv.name, type(t).__name__, getattr(t, "name", None))
                       for rv, t in model.rvs_to_transforms.items())
    return (transforms, model.check_bounds, tuple(v.name for v in model.value_vars),
            tuple(v.name for v in model.observed_RVs))


def _same_computation(old: Compiled, new: Compiled) -> bool:
    from pytensor.graph.basic import (  # lazy: PyTensor loads only when a model is fitted
        equal_computations,
    )

    if len(old.shared) != len(new.shared) or new.model.observed_RVs:
        return False
    settings = _settings(new.model)
    if settings is None or settings != _settings(old.model):
        return False
    old_out, old_in = old.cached(_COMPARISON, lambda: _graphs(old.model, old.shared))
    new_out, new_in = _graphs(new.model, new.shared)
    if len(old_out) != len(new_out) or len(old_in) != len(new_in):
        return False
    if any(a.type != b.type for a, b in zip(old_in, new_in, strict=True)):
        return False
    return equal_computations(old_out, new_out, old_in, new_in)


@contextlib.contextmanager
def density_for_pymc_start(model, functions: dict):
    """PyMC's own NUTS start gets the density and gradient :func:`laplace_start` compiled.

    When the Laplace start finds no mode (a small hierarchical model often has
    none) the fit falls back to ``pm.sample(init="jitter+adapt_diag")``, whose
    ``init_nuts`` compiles ``model.logp_dlogp_function(ravel_inputs=True)``
    again: the same graph as the one already compiled, 2-4 s of rewrites and
    linking (profile of a 60-project fit, 2026-12-03). PyMC takes no compiled
    function there (init_nuts hands its own to NUTS), so for the block the
    model's method is shadowed by one that returns the kept function for that
    call, exactly; any other call goes to PyMC's own method.
    """
    value_grad = functions.get("logp_dlogp")
    if value_grad is None:
        yield
        return
    own = model.logp_dlogp_function

    def logp_dlogp_function(grad_vars=None, tempered=False, initial_point=None,
                            ravel_inputs=None, **kwargs):
        if grad_vars is None and not tempered and ravel_inputs and not kwargs:
            value_grad.trust_input = False  # as PyMC hands out a new one
            value_grad.set_extra_values({})
            return value_grad
        return own(grad_vars, tempered, initial_point, ravel_inputs, **kwargs)

    model.logp_dlogp_function = logp_dlogp_function
    try:
        yield
    finally:
        del model.logp_dlogp_function


@contextlib.contextmanager
def kept_logp(entry: Compiled):
    """``model.logp()`` built once per kept model while ``pm.sample`` runs.

    ``pm.sample`` builds the model's whole log-density graph in
    ``assign_step_methods`` even when the step it is given covers every
    variable (then the graph goes unused): 0.15-0.2 s a stage at every fit
    (py-spy, 2026-12-03), twenty times in a backtest. Meanwhile the model's
    method returns the graph it built the first time for this entry (the same
    graph: the data inputs take each fit's values); any other call goes to
    PyMC's own method.
    """
    model = entry.model
    own = model.logp

    def logp(vars=None, jacobian=True, sum=True):  # noqa: A002  # PyMC's own argument names
        if vars is None and jacobian and sum:
            return entry.cached("logp", own)
        return own(vars=vars, jacobian=jacobian, sum=sum)

    model.logp = logp
    try:
        yield
    finally:
        del model.logp
