"""Every command has help text and is documented in the README; every config key too."""

from __future__ import annotations

from pathlib import Path

import click

from flask_vertz.cli import vertz_db
from flask_vertz.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full + " "))
    return out


def test_every_command_has_help_and_is_documented() -> None:
    commands = _commands(vertz_db)
    assert {name for name, _ in commands} >= {
        "init",
        "push",
        "migrate",
        "migrate dev",
        "migrate deploy",
        "status",
        "rollback",
        "check",
    }
    for name, cmd in commands:
        assert cmd.help, f"{name} has no help text"
        if not isinstance(cmd, click.Group):
            assert f"`{name}" in README, f"{name} is not in the README's command table"


def test_every_config_key_is_documented() -> None:
    for key in DEFAULTS:
        assert f"`{key}`" in README, key


def test_readme_opens_with_the_two_commands() -> None:
    head = README.split("## ")[0]
    assert "example_app.demo" in head and "pytest" in head


def _row(name: str) -> str:
    rows = [line for line in README.splitlines() if line.startswith(f"| `{name}")]
    assert rows, f"{name} has no row in the README's command table"
    return rows[0]


def test_every_option_is_documented_in_its_command_row() -> None:
    """The command reference stays true: each option of each command is in its row
    (``--bind`` is every command's and documented once)."""
    for name, cmd in _commands(vertz_db):
        if isinstance(cmd, click.Group):
            continue
        row = _row(name)
        for param in cmd.params:
            if not isinstance(param, click.Option) or param.name == "bind_name":
                continue
            longest = max(param.opts, key=len)
            assert longest in row, f"{name} {longest} is not in its README row"
        for param in cmd.params:
            if isinstance(param, click.Argument):
                assert param.name.upper() in row, f"{name} {param.name.upper()} is not in its row"  # type: ignore[union-attr]
    assert "--bind NAME" in README
