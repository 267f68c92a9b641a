"""The production guard: the one place that decides what production refuses.

Refused outright in production: changing the schema without a file (boot, ``push``),
writing (``migrate dev``) or discarding files, ``reset``. Refused unless forced: running
SQL that destroys data (``deploy``, ``rollback``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vertz_engine.errors import ProductionGuard
from vertz_engine.files import guard
from vertz_engine.losses import Loss
from vertz_engine.remedies import Hint, Remedy, Text

PRODUCTION = "production"

_REFUSED: dict[str, Callable[[str], str | Text]] = {
    "apply_models": lambda reason: Text(
        f"refusing to change the schema directly in production ({reason}); generate a "
        "migration with `",
        Hint(Remedy.MIGRATE_DEV),
        "` and apply it with `",
        Hint(Remedy.DEPLOY),
        "`",
    ),
    "migrate_dev": lambda reason: Text(
        f"`migrate dev` is for development ({reason}); in production use `",
        Hint(Remedy.DEPLOY),
        "`",
    ),
    "discard": lambda reason: (
        f"refusing to discard a migration file in production ({reason}): a file that is "
        "deployed stays; undo its changes in a new migration"
    ),
    "reset": lambda reason: f"refusing to reset a production database ({reason})",
}


@dataclass(frozen=True)
class Environment:
    """Which environment a project runs in, and what decided it."""

    name: str = "development"
    #: what decided the environment, named in refusals (the front end's words for it)
    source: str = ""

    @property
    def production(self) -> bool:
        return self.name == PRODUCTION

    @property
    def reason(self) -> str:
        return self.source or f"environment={self.name}"

    def refuse(self, action: str) -> None:
        """Raise :class:`ProductionGuard` if ``action`` is refused here."""
        if self.production:
            raise ProductionGuard(_REFUSED[action](self.reason))

    def checks_losses(self, force: bool) -> bool:
        """Whether what a file destroys must be found before it runs (to refuse it)."""
        return self.production and not force

    def refuse_losses(self, action: str, losses: dict[str, list[Loss]], force: bool) -> None:
        """Raise :class:`DestructiveChanges` when ``action`` (``deploy``/``rollback``) would
        destroy data in production without ``force``."""
        if self.checks_losses(force) and losses:
            raise guard.refuse(action, losses, self.reason)
