"""The engine's remedies and settings in the words of the Flask CLI: ``flask vertz-db``
commands with their flags, and ``VERTZ_*`` configuration keys. The engine names them as
data (``vertz_engine.remedies``); this is the one place that spells them."""

from __future__ import annotations

from typing import Any

from vertz_engine.errors import VertzError
from vertz_engine.remedies import Hint, Option, Outcome, Remedy, Setting, Text

CLI = "flask vertz-db"

_SETTINGS = {
    Setting.LOCK_TIMEOUT: "VERTZ_LOCK_TIMEOUT",
    Setting.MIGRATIONS_DIR: "VERTZ_MIGRATIONS_DIR",
}

_COMMANDS = {
    Remedy.MIGRATE_DEV: "migrate dev",
    Remedy.DEPLOY: "migrate deploy",
    Remedy.ROLLBACK: "rollback",
    Remedy.RESOLVE: "resolve",
    Remedy.RESTORE: "restore",
    Remedy.RESTORE_LIST: "restore --list",
    Remedy.SIGN: "migrate sign",
    Remedy.DISCARD: "migrate discard",
    Remedy.STATUS: "status",
    Remedy.BASELINE: "baseline",
    Remedy.PUSH: "push",
}


def command(hint: Hint) -> str:
    """The command line that carries out ``hint``."""
    words = [CLI, _COMMANDS[hint.remedy]]
    if hint.remedy is Remedy.MIGRATE_DEV and hint.name:
        words += ["--name", hint.name]
    elif hint.name:
        words.append(hint.name)
    if hint.remedy is Remedy.RESOLVE:
        outcomes = [hint.outcome] if hint.outcome else list(Outcome)
        words.append("|".join(f"--{o.value}" for o in outcomes))
    words += [f"--rename {pair}" for pair in hint.renames]
    if hint.out_of_order:
        words.append("--allow-out-of-order")
    return " ".join(words)


def word(part: Hint | Setting | Option) -> str:
    if isinstance(part, Option):
        return f"--{part.value}"
    return _SETTINGS[part] if isinstance(part, Setting) else command(part)


def words(text: object) -> str:
    """A message (an engine error, a ``Text``, a hint or plain text) as the CLI says it."""
    if isinstance(text, VertzError):
        text = text.text
    if isinstance(text, Text):
        return text.render(word)
    if isinstance(text, (Hint, Setting, Option)):
        return word(text)
    return str(text)


def json_default(value: Any) -> str:
    """For ``json.dumps(default=...)``: hints and messages in the CLI's words."""
    if isinstance(value, (Text, Hint, Setting, Option)):
        return words(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
