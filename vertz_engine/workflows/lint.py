"""``lint``: the changes of the migration files that hurt a busy production database or
the running old version of the app, by stable rule ids (see :mod:`lint_rules`). No
database: it reads the files and the migrations snapshot only.

A file as ``migrate dev`` generated it is linted from its plan: its schema before and after
are replayed from the migrations snapshot (the schema after the last file, and the
``undo`` ledger of the tables each recent file changed, as they were) through the differ.
Other files (hand-written, edited, or older than the ledger) are read statement by
statement. ``-- vertz:allow RULE reason`` in a file (covered by its checksum) accepts one
finding of that rule in that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Dialect

from vertz_engine.files import file_format
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.plan import safe_forms
from vertz_engine.plan.diff import diff
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import default_questioner
from vertz_engine.plan.render import render
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import lint_rules, loader
from vertz_engine.workflows.lint_rules import RULES, Hit
from vertz_engine.workflows.workspace import Workspace

#: the version of :meth:`LintResult.as_dict`'s shape
LINT_FORMAT = 1


@dataclass(frozen=True)
class Finding:
    rule: str
    file: str
    table: str
    column: str | None
    change: str  # the change (plan) or statement (hand-written), for people
    source: str  # "plan" or "sql"
    allowed: str | None = None  # the reason of the allow marker that accepted it

    def as_dict(self) -> dict[str, Any]:
        rule = RULES[self.rule]
        out: dict[str, Any] = {
            "rule": self.rule,
            "title": rule.title,
            "file": self.file,
            "table": self.table,
            "column": self.column,
            "change": self.change,
            "source": self.source,
            "protects": rule.protects,
            "instead": rule.instead,
        }
        if self.allowed is not None:
            out["reason"] = self.allowed
        return out


@dataclass
class LintResult:
    files: int = 0
    findings: list[Finding] = field(default_factory=list)  # not accepted
    allowed: list[Finding] = field(default_factory=list)  # accepted by an allow marker
    unused_allows: list[tuple[str, str]] = field(default_factory=list)  # (file, rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": LINT_FORMAT,
            "files": self.files,
            "findings": [f.as_dict() for f in self.findings],
            "allowed": [f.as_dict() for f in self.allowed],
            "unused_allows": [{"file": f, "rule": r} for f, r in self.unused_allows],
        }


class Lint:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> LintResult:
        """Lint every migration file (see the module docstring)."""
        files = self.ws.loader.verified_files()
        ms = self.ws.loader.migrations_snapshot()
        plans = replayed(files, ms, self.ws.engine.dialect)
        result = LintResult(files=len(files))
        for f in files:
            hits = plans.get(f.name)
            source = "plan"
            if hits is None:
                hits = lint_rules.sql_findings(f.up_statements(), self.ws.dialect_name)
                source = "sql"
            _judge(f, hits, source, result)
        return result


def replayed(
    files: list[MigrationFile], ms: Snapshot | None, dialect: Dialect
) -> dict[str, list[Hit]]:
    """The findings of each file that is as generated and whose schema before and after the
    migrations snapshot can replay (the newest files, back to the first gap in the ledger).
    Of the plans from the two schemas (renames decided as by default, all taken, none
    taken), the one that renders to the file's SQL is the file's plan."""
    if ms is None:
        return {}
    ledger = ms.get("undo") or {}
    generated = ms.get("checksums") or {}
    after: Snapshot = {"format": ms["format"], "dialect": ms["dialect"], "tables": ms["tables"]}
    out: dict[str, list[Hit]] = {}
    for f in reversed(files):
        entry = ledger.get(f.name) if isinstance(ledger, dict) else None
        if not isinstance(entry, dict):
            break
        before = loader.undo(after, entry)
        if isinstance(generated, dict) and generated.get(f.name) == _as_generated(f):
            plan, safe = _plan_of(f, before, after, dialect)
            if plan is not None:
                out[f.name] = lint_rules.plan_findings(plan)
            if plan is not None and safe:
                # the changes written in their safe form are not findings: what the file's
                # statements still show is
                shown = {
                    (h.rule, h.table)
                    for h in lint_rules.sql_findings(f.up_statements(), dialect.name)
                }
                out[f.name] = [h for h in out[f.name] if (h.rule, h.table) in shown]
        after = before
    return out


def _plan_of(
    f: MigrationFile, before: Snapshot, after: Snapshot, dialect: Dialect
) -> tuple[Plan | None, bool]:
    """The file's plan, and whether the file has it in its safe forms (``migrate dev`` since
    :mod:`vertz_engine.plan.safe_forms`) rather than plainly rendered (older files)."""
    want = _code(f.up)
    for questioner in (default_questioner, lambda _c: True, lambda _c: False):
        plan = diff(before, after, questioner=questioner)
        if _code(_joined(render(plan, dialect))) == want:
            return plan, False
        safe = [s for statements, _ in safe_forms.steps(plan, dialect) for s in statements]
        if _code(_joined(safe)) == want:
            return plan, True
    return None, False


def _joined(statements: list[str]) -> str:
    return "\n".join(s if s.rstrip().endswith(";") else s + ";" for s in statements)


def _code(sql: str) -> str:
    """SQL without comment lines, its whitespace as single spaces."""
    lines = (ln.strip() for ln in sql.split("\n"))
    return " ".join(" ".join(ln.split()) for ln in lines if ln and not ln.startswith("--"))


def _as_generated(f: MigrationFile) -> str:
    """The checksum ``f`` had before allow markers were added to it."""
    lines = [ln for ln in f.body.split("\n") if file_format.allow_marker(ln) is None]
    return file_format.checksum("\n".join(lines))


def _judge(f: MigrationFile, hits: list[Hit], source: str, result: LintResult) -> None:
    allows = [m for ln in f.up.split("\n") if (m := file_format.allow_marker(ln)) is not None]
    for hit in hits:
        finding = Finding(hit.rule, f.name, hit.table, hit.column, hit.what, source)
        match = next((a for a in allows if a[0] == hit.rule), None)
        if match is None:
            result.findings.append(finding)
        else:
            allows.remove(match)
            result.allowed.append(
                Finding(hit.rule, f.name, hit.table, hit.column, hit.what, source, match[1])
            )
    result.unused_allows.extend((f.name, rule) for rule, _ in allows)
