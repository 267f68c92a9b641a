"""The layer contracts bite: import-linter (run as the test command runs it, with the
project's own contracts) passes on the tree as it is, and fails, naming the contract, on a
copy where the engine imports Flask or a lower layer imports a higher one. And the engine's
strings name no command, flag or setting key of the Flask front end (it names remedies as
data; ``flask_vertz.wording`` words them)."""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_FREE = "vertz_engine never imports Flask (usable from any framework or a script)"
LAYERS = "vertz_engine's layers import downwards only (see README, Architecture)"


def _copy(tmp_path: Path) -> Path:
    """The packages and the import-linter part of setup.cfg, copied into ``tmp_path``."""
    for package in ("vertz_engine", "flask_vertz"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    project = configparser.ConfigParser(interpolation=None)
    project.read(ROOT / "setup.cfg")
    config = configparser.ConfigParser(interpolation=None)
    for section in project.sections():
        if section.startswith("importlinter"):
            config[section] = project[section]
    with (tmp_path / "setup.cfg").open("w") as f:
        config.write(f)
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "lint-imports"
    return subprocess.run(
        [str(command), "--config", str(tree / "setup.cfg"), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _plant(module: Path, line: str) -> None:
    text = module.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    module.write_text(f"{head}{sep}{line}\n{rest}" if sep else f"{line}\n{text}")


def test_the_tree_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    done = _lint_imports(_copy(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{FRAMEWORK_FREE} KEPT" in done.stdout
    assert f"{LAYERS} KEPT" in done.stdout
    assert "0 broken" in done.stdout


def test_flask_in_the_engine_and_an_upward_import_break_their_contracts(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _plant(tree / "vertz_engine" / "errors.py", "import flask  # noqa: F401")
    _plant(tree / "vertz_engine" / "schema" / "canonical.py", "import vertz_engine.workflows")
    done = _lint_imports(tree)
    assert done.returncode != 0, done.stdout
    assert f"{FRAMEWORK_FREE} BROKEN" in done.stdout
    assert f"{LAYERS} BROKEN" in done.stdout
    assert "vertz_engine.errors -> flask" in done.stdout
    assert "vertz_engine.schema.canonical -> vertz_engine.workflows" in done.stdout


def _strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module (f-string pieces too), docstrings left out."""
    tree = ast.parse(path.read_text())
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_the_engine_writes_no_command_flag_or_setting_key() -> None:
    front_end_words = re.compile(r"flask vertz-db|VERTZ_[A-Z]|(?<![\w-])--[a-z]")
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted((ROOT / "vertz_engine").rglob("*.py"))
        for line, text in _strings(path)
        if front_end_words.search(text)
    ]
    assert found == []


_DIALECT_NAMES = {"sqlite", "sqlite3", "postgresql", "postgres", "mysql", "mariadb"}


def _names_in(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in _DIALECT_NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_in(e) for e in node.elts)
    return False


def _dialect_comparisons(path: Path) -> list[int]:
    """Lines of ``path`` that compare something with a dialect name (``== "sqlite"``,
    ``in ("mysql", "mariadb")``, ``.startswith("postgresql")``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare) and any(
            _names_in(side) for side in (node.left, *node.comparators)
        ):
            found.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and any(_names_in(a) for a in node.args)
        ):
            found.append(node.lineno)
    return found


def test_dialect_names_are_compared_only_in_the_dialect_traits() -> None:
    """Every per-database fact lives in ``vertz_engine/dialects.py``; elsewhere code asks a
    trait (``traits(conn).transactional_ddl``) instead of comparing names."""
    owner = ROOT / "vertz_engine" / "dialects.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("vertz_engine", "flask_vertz")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != owner
        for line in _dialect_comparisons(path)
    ]
    assert offenders == []


def test_the_dialect_check_sees_a_comparison(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        'def f(d):\n    if d.name in ("mysql", "mariadb"):\n        return 1\n'
        '    return d.name == "sqlite" or d.url.drivername.startswith("sqlite")\n'
    )
    assert _dialect_comparisons(module) == [2, 4, 4]
