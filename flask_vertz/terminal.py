"""Talking to a person at a terminal: the rename question and the deploy progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from vertz_engine.plan.renames import RenameCandidate

from . import output

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.db.ddl_locks import LockWait
    from vertz_engine.project import Project
    from vertz_engine.workflows.workspace import ProgressFn

#: from this many pending files on, a terminal gets a progress bar instead of a line each
PROGRESS_BAR_FILES = 10


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def terminal_questioner(candidate: RenameCandidate) -> bool:
    """Ask; the default answer is yes only when the guess is sure (unsure: no)."""
    return click.confirm(
        f"Is {candidate.describe()} a rename (values kept)? No means drop + add",
        default=candidate.sure,
    )


@contextmanager
def progress(p: Project, allow_out_of_order: bool) -> Iterator[ProgressFn]:
    """A line per file, or on a terminal with many pending files click's progress bar; a
    warning line whenever a file waits for a lock another session holds."""
    from vertz_engine.db.ddl_locks import LockWait

    if sys.stdout.isatty():
        pending = p.deploy(dry_run=True, allow_out_of_order=allow_out_of_order).pending
        if len(pending) >= PROGRESS_BAR_FILES:
            with click.progressbar(
                length=len(pending),
                label="Deploying",
                item_show_func=lambda name: name,
            ) as bar:
                yield (
                    lambda item: (
                        _lock_wait(item) if isinstance(item, LockWait) else bar.update(1, item)
                    )
                )
            return
    yield (
        lambda item: (
            _lock_wait(item)
            if isinstance(item, LockWait)
            else click.echo(output.dim(f"applying {item} ..."))
        )
    )


def _lock_wait(event: LockWait) -> None:
    click.echo(output.warn(event.describe()), err=True)
