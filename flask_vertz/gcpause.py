"""Pausing Python's cyclic garbage collector around a flask-vertz command or the boot:
process-wide policy, so the front end applies it (the engine, a library, never does).

A snapshot of a large app is tens of thousands of small dicts and lists; allocating them
triggers full collections that walk the whole heap (the app's models included) and cost
more than building the snapshot. The step creates no garbage cycles worth collecting, so
the collector is paused for it and resumed after, as it was.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """Everything alive before the step is frozen (no collection walks it), and collection
    is off during the step; both are undone after."""
    was_enabled = gc.isenabled()
    # An app that froze its own heap (a preforking server does, before fork) keeps it so.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        if was_enabled:
            gc.enable()


def gc_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`paused`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return wrapper


class PausedGroup(click.Group):
    """A click group whose commands run with the collector paused."""

    def invoke(self, ctx: click.Context) -> Any:
        with paused():
            return super().invoke(ctx)
