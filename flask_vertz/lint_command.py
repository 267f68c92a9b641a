"""``flask vertz-db lint``: the migration files' changes that hurt a busy production
database or the running old version of the app, by rule id (no database needed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from vertz_engine.files.file_format import ALLOW_PREFIX

from . import output
from .running import EXIT_ERROR, Outcome, echo_lines, per_bind, project

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.project import LintResult


@click.command(help="Lint the migration files for changes unsafe on a busy database (no database).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (format 1).")
@with_appcontext
@per_bind
def lint(as_json: bool) -> Outcome:
    result = project().lint()
    if not as_json:
        echo_lines(_lines(result))
    return Outcome(result.as_dict() if as_json else None, EXIT_ERROR if result.findings else 0)


def _lines(result: LintResult) -> Iterator[str]:
    from vertz_engine.workflows.lint_rules import RULES

    for f in result.findings:
        rule = RULES[f.rule]
        yield output.error(f"{f.file}: {f.rule} {rule.title}: ") + f.change
        yield f"    risk: {rule.protects}"
        yield f"    instead: {rule.instead}"
    for name, rule_id in result.unused_allows:
        yield output.warn(f"{name}: {ALLOW_PREFIX}{rule_id} accepts no finding")
    accepted = ""
    if result.allowed:
        accepted = f" ({len(result.allowed)} accepted by {ALLOW_PREFIX.strip()})"
    if not result.findings:
        yield output.ok(f"No findings in {result.files} file(s){accepted}.")
        return
    yield (
        f"{len(result.findings)} finding(s) in {result.files} file(s){accepted}. To accept one, "
        f"add a line `{ALLOW_PREFIX}<RULE> <reason>` to the file's SQL and re-sign it with "
        f"`flask vertz-db migrate sign <name>`."
    )
