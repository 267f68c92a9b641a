"""Every command has help text and is documented in the README; every config key too."""

from __future__ import annotations

import re
from pathlib import Path

import click

from flask_vertz.cli import vertz_db
from flask_vertz.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


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


def documented_keys(document: str) -> set[str]:
    """The top-level keys the README's JSON table gives a document (``format`` and
    ``bind`` are every document's): backticked words outside parentheses."""
    rows = [line for line in README.splitlines() if line.startswith(f"| `{document}` |")]
    assert rows, f"{document} has no row in the README's JSON documents table"
    cell = rows[0].split("|")[2]
    depth, top = 0, []
    for ch in cell:
        depth += ch == "("
        depth -= ch == ")"
        top.append(ch if depth == 0 else " ")
    return set(re.findall(r"`([a-z_]+)`", "".join(top)))


def test_every_json_option_has_a_documented_shape() -> None:
    for name, cmd in _commands(vertz_db):
        if any(p.name == "as_json" for p in cmd.params):
            dry = any(p.name == "dry_run" for p in cmd.params)
            document = f"{name} --dry-run --json" if dry else f"{name} --json"
            assert documented_keys(document), document


def _config_row(key: str) -> list[str]:
    rows = [line for line in README.splitlines() if line.startswith(f"| `{key}` |")]
    assert rows, f"{key} has no row in the README's config table"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def test_every_config_key_has_a_row_with_its_default() -> None:
    for key, default in DEFAULTS.items():
        _key, documented_default, meaning = _config_row(key)
        assert meaning, key
        if default is not None:
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            assert documented_default == f"`{shown}`", (key, documented_default)
        else:
            assert documented_default, key


def test_every_vertz_key_the_front_end_reads_is_a_config_key() -> None:
    """A ``VERTZ_*`` key read anywhere in flask_vertz (app config or environment) has a
    default in ``DEFAULTS``, and so a README row."""
    source = "".join(p.read_text() for p in (ROOT / "flask_vertz").glob("*.py"))
    read = set(re.findall(r"\bVERTZ_[A-Z_]+[A-Z]\b", source))
    assert read and read <= set(DEFAULTS), read - set(DEFAULTS)


def test_install_line_names_every_extra() -> None:
    section = (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[1]
    extras = re.findall(r"^([a-z]+) = ", section.split("\n[")[0], re.MULTILINE)
    assert "postgres" in extras and "mysql" in extras
    head = README.split("## Quick start")[1].split("\n1. ")[0]
    for extra in set(extras) - {"dev", "bench"}:
        assert f"pip install 'flask-vertz[{extra}]'" in head, extra
    assert "pip install flask-vertz " in head
