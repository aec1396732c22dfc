"""Lazy public names for a package (PEP 562), so importing a package stays cheap.

Why our own: ``lazy_loader`` (scientific-python) does the same but resolves
names through a stub file; a dict of name -> submodule is all pmo_nb needs and
keeps the public names greppable in each ``__init__``. A dashboard kernel that
imports :mod:`pmo_nb.capacity` for the demand table must not pay for SciPy's
MILP solver that :mod:`pmo_nb.capacity.leveling` imports.
"""

from __future__ import annotations

import importlib
import sys
import types


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` resolving each public name on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict
        public name -> submodule (relative to the package) that defines it;
        ``None`` for a name that is itself a submodule (an app, say).
    """

    def __getattr__(name: str):
        if name in exports:
            module = importlib.import_module(f"{package}.{exports[name] or name}")
            value = module if exports[name] is None else getattr(module, name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(exports)

    return __getattr__, __dir__


class CallablePackage(types.ModuleType):
    """A package that, called, runs its namesake function.

    ``pmo_nb.capacity(portfolio)`` and ``pmo_nb.forecast(portfolio)`` were
    public functions before ``capacity/`` and ``forecast/`` became packages;
    once a submodule is imported Python binds the package to that name on
    ``pmo_nb``, so the package itself forwards calls (and ``__wrapped__``, so
    ``inspect.signature`` shows the function's signature).
    """

    _function_name: str

    def __call__(self, *args, **kwargs):
        return getattr(self, self._function_name)(*args, **kwargs)

    @property
    def __wrapped__(self):
        return getattr(self, self._function_name)


def make_callable(package: str, function_name: str) -> None:
    """Let the package ``package`` be called as its function ``function_name``."""
    module = sys.modules[package]
    module.__class__ = CallablePackage
    module._function_name = function_name
