"""``gc_paused``: the collector is paused while compiling and resumed without a walk over the pause's objects."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from registry.argo.compiler import gc_paused


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture(autouse=True)
def _collector_state() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def _garbage_cycle() -> weakref.ref[_Node]:
    one, two = _Node(), _Node()
    one.other, two.other = two, one
    return weakref.ref(one)


def test_pauses_and_resumes_the_collector() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing left in the permanent generation


def test_leaves_a_paused_collector_paused() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_garbage_made_while_paused_is_still_collected_later() -> None:
    gc.enable()
    with gc_paused():
        ref = _garbage_cycle()
    assert ref() is not None  # no collection ran at the pause's end ...
    gc.collect()
    assert ref() is None  # ... but a full one still finds the cycle


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    gc.enable()
    kept = [_Node() for _ in range(100)]
    gc.freeze()
    frozen = gc.get_freeze_count()
    with gc_paused():
        pass
    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()
    del kept
