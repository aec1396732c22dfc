"""The collector pause nests and gives back the collector's state exactly as it found it."""

from __future__ import annotations

import gc

import pytest

from pmo_nb.gcpause import gc_paused, paused


def test_nested_pauses_enable_the_collector_once_at_the_outermost_end():
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner end leaves the outer pause in place
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off_and_errors_still_restore():
    @gc_paused
    def fails():
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fails()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
