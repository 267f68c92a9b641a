"""``flask vertz-db erd``: a Mermaid ER diagram of the models, checked with Mermaid's own
parser (the ``mermaid`` npm package run by Node, with jsdom for its DOM; no browser)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from tests import models
from tests.helpers import AppFactory, run
from vertz_engine.schema import erd

MERMAID = Path(__file__).parent / "mermaid"


@pytest.fixture(scope="session")
def mermaid_parse() -> object:
    """Parses a diagram with Mermaid; installs the pinned npm packages once into a cache."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node and npm are needed to check the ER diagrams with Mermaid's parser")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "flask-vertz-mermaid"
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "parse.mjs"):
        shutil.copyfile(MERMAID / name, cache / name)
    if not (cache / "node_modules" / "mermaid").exists():
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund"],
            cwd=cache,
            check=True,
            timeout=600,
            capture_output=True,
        )

    def parse(texts: list[str]) -> list[str]:
        proc = subprocess.run(
            ["node", "parse.mjs"],
            cwd=cache,
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return list(json.loads(proc.stdout))

    return parse


def _tricky(db: SQLAlchemy) -> None:
    class Account(db.Model):  # type: ignore[name-defined]
        __tablename__ = "user accounts"
        id = sa.Column(sa.Integer, primary_key=True)
        balance = sa.Column(sa.Numeric(10, 2), nullable=False)
        parent_id = sa.Column(sa.Integer, sa.ForeignKey("user accounts.id"))

    class Profile(db.Model):  # type: ignore[name-defined]
        __tablename__ = "profiles"
        account_id = sa.Column(sa.Integer, sa.ForeignKey("user accounts.id"), primary_key=True)
        bio = sa.Column(sa.Text)
        kind = sa.Column(sa.Enum("a", "b", name="kind"), nullable=False)


def test_diagram_of_the_models(make_app: AppFactory) -> None:
    app = make_app(models.v3, VERTZ_AUTO_APPLY=False)
    r = run(app, "erd")
    assert r.exit_code == 0, r.output
    assert (
        r.output
        == (
            "erDiagram\n"
            "    projects {\n"
            "        INTEGER id PK\n"
            '        VARCHAR(100) name UK "not null"\n'
            "    }\n"
        )
        + r.output.split("    }\n", 1)[1]
    )
    assert '    projects |o--o{ todos : "project_id"\n' in r.output


def test_mermaid_parses_the_diagrams(mermaid_parse) -> None:  # type: ignore[no-untyped-def]
    texts = [
        erd.diagram(models.metadata_of(models_fn), _dialect(dialect))
        for models_fn in (models.v1, models.v3, _tricky)
        for dialect in ("sqlite", "postgresql", "mysql")
    ]
    broken = "erDiagram\n    a {\n        int x PK PK oops\n    }\n"
    results = mermaid_parse([*texts, broken])
    assert results[:-1] == ["ok"] * len(texts), texts
    assert results[-1].startswith("error: Parse error")  # the parser really checks


def _dialect(name: str) -> sa.Dialect:
    from vertz_engine.dialects import dialect_for

    return dialect_for(name)


def test_example_app_diagram_in_the_readme(mermaid_parse) -> None:  # type: ignore[no-untyped-def]
    from example_app.models import db

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    text = erd.diagram(db.metadata, _dialect("sqlite"))
    assert erd.place(readme, "default", text) == readme, "run the erd command on README.md"
    assert mermaid_parse([text]) == ["ok"]


def test_output_file_between_markers_and_check(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    doc = tmp_path / "docs" / "schema.md"
    r = run(app, "erd", "-o", str(doc), "--check")
    assert r.exit_code == 2
    assert r.output.strip() == (
        f"{doc}: the default diagram is out of date; run `flask vertz-db erd -o {doc}`"
    )
    doc.parent.mkdir()
    doc.write_text("# Schema\n\nProse stays.\n")
    assert run(app, "erd", "-o", str(doc)).exit_code == 0
    text = doc.read_text()
    assert text.startswith(
        "# Schema\n\nProse stays.\n\n<!-- vertz-erd:begin default -->\n```mermaid\n"
    )
    assert run(app, "erd", "-o", str(doc), "--check").exit_code == 0
    app2 = make_app(models.v2, VERTZ_AUTO_APPLY=False)
    assert run(app2, "erd", "-o", str(doc), "--check").exit_code == 2
    assert run(app2, "erd", "-o", str(doc)).exit_code == 0
    assert doc.read_text().count("vertz-erd:begin default") == 1
    assert "priority" in doc.read_text() and doc.read_text().startswith("# Schema\n\nProse stays.")


def test_changes_marked_on_the_diagram(make_app: AppFactory, mermaid_parse) -> None:  # type: ignore[no-untyped-def]
    """``erd --changes``: what the next ``migrate dev`` adds, drops and changes, drawn on
    the models' diagram (dropped tables and columns from ``_snapshot.json``), parseable."""
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    first = run(app, "erd", "--changes").output  # no files yet: everything is new ...
    assert "    todos:::added {\n" in first and "        INTEGER id PK\n" in first
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    assert run(app, "erd", "--changes").output == run(app, "erd").output  # ... none left

    grown = make_app(models.v3, VERTZ_AUTO_APPLY=False)
    r = run(grown, "erd", "--changes")
    assert r.exit_code == 0, r.output
    added = r.output
    assert "    projects:::added {\n" in added
    assert "    todos:::changed {\n" in added
    assert '        VARCHAR(300) title "changed, not null"\n' in added
    assert '        INTEGER priority "added"\n' in added
    assert "    classDef added " in added and "    classDef changed " in added
    assert "classDef dropped" not in added

    assert run(grown, "migrate", "dev", "--name", "grow", "--create-only").exit_code == 0
    shrunk = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    dropped = run(shrunk, "erd", "--changes").output
    assert "    projects:::dropped {\n" in dropped  # drawn from the snapshot
    assert '        INTEGER priority "dropped"\n' in dropped
    assert '        INTEGER project_id FK "dropped"\n' in dropped
    assert '    projects |o--o{ todos : "project_id"\n' in dropped
    assert run(shrunk, "erd").output.count(":::") == 0
    assert mermaid_parse([first, added, dropped]) == ["ok", "ok", "ok"]


def test_renames_marked_on_the_diagram(make_app: AppFactory) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0

    def renamed(db: SQLAlchemy) -> None:
        class Todo(db.Model):  # type: ignore[name-defined]
            __tablename__ = "todos"
            id = sa.Column(sa.Integer, primary_key=True)
            titles = sa.Column(sa.String(200), nullable=False)  # a sure rename
            done = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())

    out = run(make_app(renamed, VERTZ_AUTO_APPLY=False), "erd", "--changes").output
    assert "    todos:::changed {\n" in out
    assert '        VARCHAR(200) titles "renamed, not null"\n' in out
    assert " title " not in out
