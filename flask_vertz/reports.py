"""What the reporting commands print for people: status, check (text and GitHub
annotations), deploys and dry runs, adopt, restore, and the messages of refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vertz_engine.errors import AlembicFolder, DestructiveChanges, MigrationsFolderProblem

from . import wording
from .config import Base
from .output import change_line, dim, error, loss_lines, ok, warn

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.project import (
        ApplyResult,
        CheckResult,
        DeployResult,
        DevPreview,
        InitResult,
        RollbackResult,
        Status,
    )

DEVELOPMENT_HINT = "development is `flask --debug ...` (or FLASK_DEBUG=1), or VERTZ_ENV=development"
CAPTURE_HINT = "flask vertz-db migrate dev --name <what_changed>"
#: the folder name ``init`` suggests beside an Alembic folder
FREE_FOLDER = "migrations_vertz"

_REFUSED = {
    "deploy": "refusing to apply destructive changes in production without --force ({reason}):",
    "rollback": "refusing to roll back in production without --force ({reason}); the rollback "
    "SQL destroys data:",
}


def refusal(exc: DestructiveChanges) -> str:
    """The message for a production guard refusal: what, then where, one line per loss."""
    return "\n  ".join([_REFUSED[exc.action].format(reason=exc.reason), *exc.changes])


def init_lines(result: InitResult, local_snapshot: Path) -> Iterator[str]:
    for path in result.created:
        yield ok(f"created {path}")
    for path in result.existing:
        yield f"exists  {path} (left as it is)"
    if result.gitignore_updated:
        yield ok(f"added {local_snapshot.parent.name}/ to .gitignore")
    yield "Next: start the app; in development it brings the database to the models."


def push_dry_run_lines(result: ApplyResult) -> Iterator[str]:
    yield "\n".join(s.rstrip(";") + ";" for s in result.statements)
    yield "(dry run: nothing was changed)"


def deploy_lines(result: DeployResult) -> Iterator[str]:
    for name in result.recorded:
        ran = result.data_run.get(name)
        data = f"; its {ran} data statement(s) ran" if ran else ""
        yield f"recorded {name} as applied (the database already had its schema{data})"
    for name in result.applied:
        yield ok(f"applied {name}")


def dev_dry_run_lines(preview: DevPreview) -> Iterator[str]:
    """The file ``migrate dev`` would write, not written: its SQL and its rollback."""
    yield dim(f"-- {preview.name}.sql (not written)")
    yield from preview.statements
    yield dim("-- @rollback")
    yield from preview.rollback_statements
    yield "(dry run: no file was written, nothing was changed)"


def deploy_dry_run_lines(result: DeployResult) -> Iterator[str]:
    if not result.pending:
        yield "No pending migrations."
        return
    for f in result.pending:
        yield dim(f"-- {f.path.name}")
        yield from loss_lines(result.losses.get(f.name, []))
        yield from f.up_statements()
        yield ""
    yield f"(dry run: {len(result.pending)} pending file(s), nothing was changed)"


def rollback_dry_run_lines(result: RollbackResult) -> Iterator[str]:
    for name, statements in result.statements.items():
        yield dim(f"-- rollback of {name}")
        yield from loss_lines(result.losses.get(name, []))
        yield from statements
    yield "(dry run: nothing was changed)"


def _status_head(st: Status) -> Iterator[str]:
    yield f"Database: {st.database}"
    yield f"Applied: {len(st.applied)}"
    for row in st.applied:
        note = f"  ({row['note']})" if row.get("note") else ""
        yield f"  {row['name']}  {row['applied_at']}{note}"
    if st.pending:
        yield warn(f"Pending: {len(st.pending)}")
        for p in st.pending:
            yield f"  {p['name']} ({p['statements']} statement(s))"
            for note in p["destructive"]:
                yield error(f"    ! destructive: {note}")
            for line in p["sql"].splitlines()[:12]:
                yield dim(f"    | {line}")
    else:
        yield "Pending: none"
    if st.model_changes:
        yield warn(f"Model changes not in a migration file: {len(st.model_changes)}")
        for c in st.model_changes:
            yield f"  - {c['description']}"
        yield f"  Run `{CAPTURE_HINT}` to capture them."
    else:
        yield "Model changes not in a file: none"


def _status_problems(st: Status) -> Iterator[str]:
    for d in st.checksum_drift:
        yield error(f"Checksum: {d['name']}: {d['problem']}")
    for o in st.out_of_order:
        yield warn(f"Out of order: {o['name']} is numbered below the last applied file")
    for a, b in st.duplicate_numbers:
        yield error(f"Same number: {a}.sql and {b}.sql (renumber the newer one)")
    for c in st.applied_elsewhere:
        yield (
            error(f"Applied under another name: {c['name']} is {c['applied_as']}")
            + " (renamed or copied; deploy refuses it)"
        )
    for m in st.missing_files:
        yield warn(f"Applied but no file: {m}")
    for f in st.failed:
        yield (
            error(f"Failed: {f['name']} ({f['status']} after {f['statements_done']} statement(s))")
            + f"; fix by hand, then `{wording.words(f['fix'])}`"
        )
    for p in st.snapshot_problems:
        yield error(f"Snapshot: {wording.words(p)}")
    if st.db_drift:
        yield warn(f"Database drift ({len(st.db_drift)}), against {st.db_drift_basis}:")
        for drift in st.db_drift:
            yield f"  ~ {drift}"
    else:
        yield dim(f"Database drift: none ({st.db_drift_basis})")


def status_lines(st: Status) -> Iterator[str]:
    yield from _status_head(st)
    yield from _status_problems(st)


def check_lines(result: CheckResult) -> Iterator[str]:
    if result.ok:
        yield ok("OK: the migration files capture the models.")
        return
    for change in result.model_changes:
        yield change_line(change)
    if result.model_changes:
        yield (
            f"{len(result.model_changes)} model change(s) are not in a migration file; "
            f"run `{CAPTURE_HINT}`."
        )
    for name in result.unsigned:
        yield (
            error(f"{name}: body does not match its checksum; ")
            + f"re-sign with `flask vertz-db migrate sign {name}` if the edit is intended."
        )


def adopt_lines(result: Any) -> Iterator[str]:
    yield ok(f"wrote {result.path} ({len(result.tables)} table(s)), recorded as applied")
    if result.left_out:
        yield f"left out (not in the models, left as they are): {', '.join(result.left_out)}"
    if result.model_changes:
        yield warn(f"The models differ from the database ({len(result.model_changes)}):")
        for change in result.model_changes:
            yield change_line(change)
        yield "Capture them with `flask vertz-db migrate dev --name <what_changed>`."
    else:
        yield "The models match the database."


def backup_list_lines(found: list[Any]) -> Iterator[str]:
    if not found:
        yield "No backups: nothing a boot or push dropped is kept here."
    for b in found:
        restored = [i.target for i in b.items if i.restored_at]
        note = f"  (restored: {', '.join(restored)})" if restored else ""
        yield f"{b.name}  {b.created_at[:19]}Z  {b.describe()}{note}"
        yield dim(f"    {b.location}")


def restore_lines(result: Any) -> Iterator[str]:
    yield f"Restoring from backup {result.backup.name} ({result.backup.describe()}):"
    for done in result.outcomes:
        line = f"  {wording.words(done.describe())}"
        yield warn(line) if done.problem else ok(line)


def discard_lines(result: Any, snapshot_path: Path) -> Iterator[str]:
    for path in result.removed:
        yield ok(f"removed {path}")
    for name in result.forgotten:
        yield ok(f"forgot {name} (its file was already removed)")
    after = f"the schema of {result.rewound_to}" if result.rewound_to else "an empty schema"
    yield (
        f"{snapshot_path} now describes {after} ({result.source}); "
        f"run `flask vertz-db migrate dev` to write the changes again."
    )


def alembic_folder(exc: AlembicFolder) -> str:
    """``init`` beside Alembic's files: which folder, why, and the setting to change."""
    free = exc.path.with_name(FREE_FOLDER)
    return (
        f"refusing to use {exc.path} as the migrations folder: Alembic (or Flask-Migrate) "
        f"uses it (it holds {', '.join(exc.found)}). Give flask-vertz a folder of its own: "
        f"VERTZ_MIGRATIONS_DIR = {FREE_FOLDER!r} (then {free})."
    )


def _gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(result: CheckResult, migrations_dir: Path) -> Iterator[str]:
    """GitHub Actions workflow commands: one ``::error`` per problem."""
    try:
        folder = migrations_dir.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        folder = migrations_dir
    for change in result.model_changes:
        yield (
            f"::error title={_gh_prop('model change with no migration file')}::"
            + _gh(f"{change.describe()}: run `flask vertz-db migrate dev --name <what_changed>`")
        )
    for name in result.unsigned:
        path = (folder / f"{name}.sql").as_posix()
        yield (
            f"::error file={_gh_prop(path)},line=3,title={_gh_prop('checksum mismatch')}::"
            + _gh(f"{name}: body does not match its checksum; `flask vertz-db migrate sign {name}`")
        )
    if result.ok:
        yield "::notice title=flask-vertz::the migration files capture the models"


def folder_problem(exc: MigrationsFolderProblem, *, setting: object, base: Base) -> str:
    """The engine's folder problem, worded with the Flask setting that chose the folder."""
    where = f"VERTZ_MIGRATIONS_DIR={str(setting)!r}, relative to {base.what} {base.path}"
    state = "holds no migration files" if exc.exists else "does not exist"
    history = (
        f"{exc.database} has {len(exc.applied)} applied migration(s) (the last: {exc.applied[-1]})"
        if exc.applied
        else ""
    )
    fix = (
        "Set VERTZ_MIGRATIONS_DIR to the folder that holds the migration files, and check that "
        "the folder is shipped with the app (a wheel or image without it deploys nothing)."
    )
    if exc.new_file:
        return (
            f"refusing to start a new {exc.new_file}: the migrations folder {exc.path} ({where}) "
            f"{state}, but {history}. Set VERTZ_MIGRATIONS_DIR to the folder that holds them."
        )
    if exc.applied:
        return f"the migrations folder {exc.path} ({where}) {state}, but {history}. {fix}"
    return (
        f"the migrations folder {exc.path} ({where}) {state}; nothing was done. {fix} "
        f"To start one, run `flask vertz-db init`."
    )
