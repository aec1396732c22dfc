"""Pause Python's cyclic garbage collector during bulk work that makes no cycles.

An import reads, validates and writes some 300,000 rows: lists and tuples by
the hundred thousand, none of them in a reference cycle. Each such allocation
counts towards the collector's next pass, and each pass walks every container
still alive, so the collector spent about 7% of an import's CPU time finding
nothing. Reference counting still frees everything as usual; only the search
for cycles waits until the outermost pause ends.

Why our own: :func:`gc.disable` is process-wide and not nestable; this keeps a
depth count so nested pauses (an import inside ``pmo import``) restore the
collector's state exactly once, and only if it was enabled before.
"""

from __future__ import annotations

import functools
import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused():
    """No cyclic collection inside the block (nestable; reference counting goes on)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def gc_paused(function):
    """Decorator: run ``function`` inside :func:`paused`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with paused():
            return function(*args, **kwargs)

    return wrapper
