"""The ``flask vertz-db`` commands. Thin: Flask config in, engine calls, terminal out."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from vertz_engine import Project
from vertz_engine.errors import (
    DestructiveChanges,
    MigrationsFolderProblem,
    ProductionGuard,
    VertzError,
)
from vertz_engine.files.migration_file import slugify
from vertz_engine.plan.renames import RenameCandidate, default_questioner
from vertz_engine.project import parse_renames
from vertz_engine.secrets import mask_urls_in

from . import output

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_PENDING = 2


_CURRENT: ContextVar[Project | None] = ContextVar("vertz_current_project", default=None)


def _projects(bind: str | None = None) -> dict[str, Project]:
    """The managed binds' projects (or the one ``--bind`` names)."""
    vertz = current_app.extensions.get("vertz")
    if vertz is None:  # pragma: no cover - the group is only added by init_app
        raise click.ClickException("this app does not use flask-vertz (call vertz.init_app)")
    projects: dict[str, Project] = vertz.projects(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        only=bind,
    )
    if not projects:
        raise click.ClickException(
            "no database to manage: the app has no SQLALCHEMY_DATABASE_URI and VERTZ_BINDS "
            "names no bind of SQLALCHEMY_BINDS"
        )
    return projects


def _bind_name(project: Project) -> str:
    for name, candidate in _projects().items():
        if candidate.migrations_dir == project.migrations_dir:
            return name
    return "default"  # pragma: no cover - every project comes from _projects()


def _project() -> Project:
    """The project the running command works on (one bind at a time)."""
    current = _CURRENT.get()
    return current if current is not None else next(iter(_projects().values()))


def _mask(text: str) -> str:
    """Every database URL in ``text`` with its secrets masked (by the URL's structure)."""
    return mask_urls_in(text)


_DEVELOPMENT_HINT = (
    "development is `flask --debug ...` (or FLASK_DEBUG=1), or VERTZ_ENV=development"
)


bind_option = click.option(
    "--bind",
    "bind_name",
    metavar="NAME",
    default=None,
    help="Only this bind (Flask-SQLAlchemy bind key; `default` is the default database). "
    "Default: every bind flask-vertz manages.",
)


def _one(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One clear message and exit 1 for user errors; never a traceback."""
    try:
        return fn(*args, **kwargs)
    except DestructiveChanges as exc:
        click.echo(output.error("Error: ") + _mask(output.refusal(exc)), err=True)
        sys.exit(EXIT_ERROR)
    except ProductionGuard as exc:
        message = f"{exc}\n({_DEVELOPMENT_HINT})"
        click.echo(output.error("Error: ") + _mask(message), err=True)
        sys.exit(EXIT_ERROR)
    except MigrationsFolderProblem as exc:
        text = output.folder_problem(
            exc,
            setting=current_app.config.get("VERTZ_MIGRATIONS_DIR") or "migrations",
            root=Path(current_app.root_path),
        )
        click.echo(output.error("Error: ") + _mask(text), err=True)
        sys.exit(EXIT_ERROR)
    except VertzError as exc:
        click.echo(output.error("Error: ") + _mask(str(exc)), err=True)
        sys.exit(EXIT_ERROR)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        click.echo(output.error("Database error: ") + _mask(reason), err=True)
        sys.exit(EXIT_ERROR)
    except OSError as exc:
        click.echo(output.error("Error: ") + _mask(str(exc)), err=True)
        sys.exit(EXIT_ERROR)


def handle_errors(fn: F) -> F:
    """Adds ``--bind``, runs the command once per managed bind (with a heading when there
    are several; an error stops at that bind, exit 1; the worst other exit code is kept),
    and turns user errors into one message."""

    @bind_option
    @functools.wraps(fn)
    def wrapper(*args: Any, bind_name: str | None = None, **kwargs: Any) -> Any:
        projects = _one(_projects, bind_name)
        worst = 0
        for name, project in projects.items():
            if len(projects) > 1:
                click.echo(output.dim(f"== bind {name} ({project.safe_url()}) =="))
            token = _CURRENT.set(project)
            try:
                _one(fn, *args, **kwargs)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
                if code == EXIT_ERROR:
                    raise
                worst = max(worst, code)
            finally:
                _CURRENT.reset(token)
        if worst:
            sys.exit(worst)

    return wrapper  # type: ignore[return-value]


def _renames(rename: tuple[str, ...], no_rename: tuple[str, ...]) -> dict[str, str]:
    explicit = parse_renames(list(rename))
    for key in no_rename:
        explicit[key.strip()] = ""
    return explicit


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _terminal_questioner(candidate: RenameCandidate) -> bool:
    """Ask; the default answer is yes only when the guess is sure (unsure: no)."""
    return click.confirm(
        f"Is {candidate.describe()} a rename (values kept)? No means drop + add",
        default=candidate.sure,
    )


def _ask_push_renames(project: Project, explicit: dict[str, str]) -> dict[str, str]:
    """``push`` on a terminal: the probable renames are asked about before the database is
    locked (a question must not hold the lock other processes wait for). The preview takes
    every candidate as a rename, so a drop + add not yet chosen cannot block it."""
    preview = project.apply_models(renames=explicit, dry_run=True, questioner=lambda _c: True)
    answers = dict(explicit)
    for cand, _taken in preview.renames:
        if cand.key not in explicit and cand.new not in explicit.values():
            answers[cand.key] = cand.new if _terminal_questioner(cand) else ""
    return answers


rename_option = click.option(
    "--rename",
    "rename",
    multiple=True,
    metavar="TABLE.OLD=NEW|OLD=NEW",
    help="Treat a dropped and an added column (table.old=new) or table (old=new) as a rename.",
)
no_rename_option = click.option(
    "--no-rename",
    "no_rename",
    multiple=True,
    metavar="TABLE.OLD|OLD",
    help="Treat a probable rename as drop + add.",
)


@click.group(help="Schema migrations from your SQLAlchemy models (flask-vertz).")
def vertz_db() -> None:
    pass


@vertz_db.command(help="Create the migrations folder, the snapshots and the .gitignore line.")
@with_appcontext
@handle_errors
def init() -> None:
    project = _project()
    result = project.init()
    for path in result.created:
        click.echo(output.ok(f"created {path}"))
    for path in result.existing:
        click.echo(f"exists  {path} (left as it is)")
    if result.gitignore_updated:
        click.echo(output.ok(f"added {project.local_snapshot_path.parent.name}/ to .gitignore"))
    click.echo("Next: start the app; in development it brings the database to the models.")


@vertz_db.command(help="Apply model changes straight to the database, no file (development only).")
@rename_option
@no_rename_option
@click.option("--dry-run", is_flag=True, help="Show the changes and SQL without running them.")
@with_appcontext
@handle_errors
def push(rename: tuple[str, ...], no_rename: tuple[str, ...], dry_run: bool) -> None:
    project = _project()
    explicit = _renames(rename, no_rename)
    if _interactive() and not dry_run:
        explicit = _ask_push_renames(project, explicit)
    result = project.apply_models(renames=explicit, dry_run=dry_run)
    if result.action == "unchanged":
        click.echo("The database already matches the models.")
        return
    for line in output.apply_lines(result, applied=not dry_run):
        click.echo(line)
    if dry_run:
        click.echo("\n".join(s.rstrip(";") + ";" for s in result.statements))
        click.echo("(dry run: nothing was changed)")


@vertz_db.group(help="Create (dev) and apply (deploy) migration files.")
def migrate() -> None:
    pass


@migrate.command("dev", help="Write a migration file for the model changes and apply it locally.")
@click.option("--name", required=True, help="What the migration does, e.g. add_priority.")
@click.option("--create-only", is_flag=True, help="Write the file without applying it.")
@rename_option
@no_rename_option
@with_appcontext
@handle_errors
def migrate_dev(
    name: str, create_only: bool, rename: tuple[str, ...], no_rename: tuple[str, ...]
) -> None:
    project = _project()
    slugify(name)  # a bad name is refused before anything is computed or asked
    questioner = _terminal_questioner if _interactive() else default_questioner
    plan = project.plan_dev(renames=_renames(rename, no_rename), questioner=questioner)
    if plan.empty:
        click.echo("No model changes: no migration file written.")
        return
    project.annotate(plan)
    click.echo("Changes:")
    for line in output.plan_lines(plan):
        click.echo(line)
    result = project.migrate_dev(name, create_only=create_only, plan=plan)
    assert result.path is not None
    click.echo(output.ok(f"wrote {result.path}"))
    if result.deploy is not None:
        _deploy_lines(result.deploy)


@migrate.command("new", help="Write an empty, signed migration file for hand-written SQL.")
@click.option("--name", required=True, help="What the migration does, e.g. backfill_status.")
@with_appcontext
@handle_errors
def migrate_new(name: str) -> None:
    project = _project()
    path = project.new_migration(name)
    click.echo(output.ok(f"wrote {path}"))
    click.echo(
        f"Write its SQL (and the @rollback section), then re-sign it: "
        f"flask vertz-db migrate sign {path.stem}"
    )


def _deploy_lines(result: Any) -> None:
    for name in result.recorded:
        ran = result.data_run.get(name)
        data = f"; its {ran} data statement(s) ran" if ran else ""
        click.echo(f"recorded {name} as applied (the database already had its schema{data})")
    for name in result.applied:
        click.echo(output.ok(f"applied {name}"))


@migrate.command("deploy", help="Apply pending migration files in order, each in a transaction.")
@click.option("--dry-run", is_flag=True, help="Print the SQL of pending files; change nothing.")
@click.option("--force", is_flag=True, help="Allow destructive changes in production.")
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply pending files numbered below an applied one (files from parallel branches).",
)
@with_appcontext
@handle_errors
def migrate_deploy(dry_run: bool, force: bool, allow_out_of_order: bool) -> None:
    project = _project()
    if dry_run:
        result = project.deploy(dry_run=True, force=force, allow_out_of_order=allow_out_of_order)
        if not result.pending:
            click.echo("No pending migrations.")
            return
        for f in result.pending:
            click.echo(output.dim(f"-- {f.path.name}"))
            for line in output.loss_lines(result.losses.get(f.name, [])):
                click.echo(line)
            for statement in f.up_statements():
                click.echo(statement)
            click.echo()
        click.echo(f"(dry run: {len(result.pending)} pending file(s), nothing was changed)")
        return
    total = len([f for f in project.files()])
    with _progress(project, allow_out_of_order) as progress:
        result = project.deploy(
            force=force, allow_out_of_order=allow_out_of_order, progress=progress
        )
    if not result.applied and not result.recorded:
        click.echo(f"No pending migrations ({total} file(s), all applied).")
        return
    _deploy_lines(result)


#: from this many pending files on, a terminal gets a progress bar instead of a line each
PROGRESS_BAR_FILES = 10


@contextmanager
def _progress(project: Project, allow_out_of_order: bool) -> Iterator[Callable[[str], None]]:
    """A line per file, or on a terminal with many pending files click's progress bar."""
    if sys.stdout.isatty():
        pending = project.deploy(dry_run=True, allow_out_of_order=allow_out_of_order).pending
        if len(pending) >= PROGRESS_BAR_FILES:
            with click.progressbar(
                length=len(pending),
                label="Deploying",
                item_show_func=lambda name: name,
            ) as bar:
                yield lambda name: bar.update(1, name)
            return
    yield lambda name: click.echo(output.dim(f"applying {name} ..."))


@migrate.command("sign", help="Re-sign an edited migration file that is not applied yet.")
@click.argument("name")
@with_appcontext
@handle_errors
def migrate_sign(name: str) -> None:
    project = _project()
    changed = project.sign(name)
    click.echo(output.ok(f"re-signed {name}") if changed else f"{name} was already signed")


@migrate.command(
    "discard",
    help="Remove the last migration file (not applied by the database) and rewind _snapshot.json.",
)
@with_appcontext
@handle_errors
def migrate_discard() -> None:
    project = _project()
    result = project.discard()
    for path in result.removed:
        click.echo(output.ok(f"removed {path}"))
    for name in result.forgotten:
        click.echo(output.ok(f"forgot {name} (its file was already removed)"))
    after = f"the schema of {result.rewound_to}" if result.rewound_to else "an empty schema"
    click.echo(
        f"{project.migrations_snapshot_path} now describes {after} ({result.source}); "
        f"run `flask vertz-db migrate dev` to write the changes again."
    )


@vertz_db.command(help="Applied and pending migrations, model changes not in a file, drift.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--exit-code", is_flag=True, help="Exit 2 when anything is pending or drifted.")
@bind_option
@with_appcontext
def status(as_json: bool, exit_code: bool, bind_name: str | None) -> None:
    projects = _one(_projects, bind_name)
    statuses = {name: _one(project.status) for name, project in projects.items()}
    if as_json:
        if len(statuses) == 1:
            ((name, st),) = statuses.items()
            doc: dict[str, Any] = {**st.as_dict(), "bind": name}
        else:
            doc = {"binds": {name: {**st.as_dict(), "bind": name} for name, st in statuses.items()}}
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        for name, st in statuses.items():
            if len(statuses) > 1:
                click.echo(output.dim(f"== bind {name} =="))
            _status_text(st)
    if exit_code and any(st.needs_attention for st in statuses.values()):
        sys.exit(EXIT_PENDING)


def _status_text(st: Any) -> None:
    click.echo(f"Database: {st.database}")
    click.echo(f"Applied: {len(st.applied)}")
    for row in st.applied:
        note = f"  ({row['note']})" if row.get("note") else ""
        click.echo(f"  {row['name']}  {row['applied_at']}{note}")
    if st.pending:
        click.echo(output.warn(f"Pending: {len(st.pending)}"))
        for p in st.pending:
            click.echo(f"  {p['name']} ({p['statements']} statement(s))")
            for note in p["destructive"]:
                click.echo(output.error(f"    ! destructive: {note}"))
            for line in p["sql"].splitlines()[:12]:
                click.echo(output.dim(f"    | {line}"))
    else:
        click.echo("Pending: none")
    if st.model_changes:
        click.echo(output.warn(f"Model changes not in a migration file: {len(st.model_changes)}"))
        for c in st.model_changes:
            click.echo(f"  - {c['description']}")
        click.echo("  Run `flask vertz-db migrate dev --name <what_changed>` to capture them.")
    else:
        click.echo("Model changes not in a file: none")
    for d in st.checksum_drift:
        click.echo(output.error(f"Checksum: {d['name']}: {d['problem']}"))
    for o in st.out_of_order:
        click.echo(
            output.warn(f"Out of order: {o['name']} is numbered below the last applied file")
        )
    for a, b in st.duplicate_numbers:
        click.echo(output.error(f"Same number: {a}.sql and {b}.sql (renumber the newer one)"))
    for c in st.applied_elsewhere:
        click.echo(
            output.error(f"Applied under another name: {c['name']} is {c['applied_as']}")
            + " (renamed or copied; deploy refuses it)"
        )
    for m in st.missing_files:
        click.echo(output.warn(f"Applied but no file: {m}"))
    for f in st.failed:
        click.echo(
            output.error(
                f"Failed: {f['name']} ({f['status']} after {f['statements_done']} statement(s))"
            )
            + f"; fix by hand, then `{f['fix']}`"
        )
    for p in st.snapshot_problems:
        click.echo(output.error(f"Snapshot: {p}"))
    if st.db_drift:
        click.echo(
            output.warn(f"Database drift ({len(st.db_drift)}), against {st.db_drift_basis}:")
        )
        for d in st.db_drift:
            click.echo(f"  ~ {d}")
    else:
        click.echo(output.dim(f"Database drift: none ({st.db_drift_basis})"))


@vertz_db.command(help="Run the @rollback section of the last applied migration(s).")
@click.option("--steps", default=1, show_default=True, type=int, help="How many to roll back.")
@click.option(
    "--dry-run", is_flag=True, help="Print the rollback SQL and what it destroys; change nothing."
)
@click.option("--force", is_flag=True, help="Allow a rollback that destroys data in production.")
@with_appcontext
@handle_errors
def rollback(steps: int, dry_run: bool, force: bool) -> None:
    project = _project()
    result = project.rollback(steps, dry_run=dry_run, force=force)
    if dry_run:
        for name, statements in result.statements.items():
            click.echo(output.dim(f"-- rollback of {name}"))
            for line in output.loss_lines(result.losses.get(name, [])):
                click.echo(line)
            for statement in statements:
                click.echo(statement)
        click.echo("(dry run: nothing was changed)")
        return
    for name in result.rolled_back:
        click.echo(output.ok(f"rolled back {name}"))


@vertz_db.command(help="Put back what a development boot or push dropped, from its backup.")
@click.argument("name", required=False)
@click.option("--name", "name_option", metavar="NAME", help="The backup to restore (see --list).")
@click.option("--list", "list_only", is_flag=True, help="Show the backups and what each holds.")
@with_appcontext
@handle_errors
def restore(name: str | None, name_option: str | None, list_only: bool) -> None:
    project = _project()
    if list_only:
        found = project.backups()
        if not found:
            click.echo("No backups: nothing a boot or push dropped is kept here.")
        for b in found:
            restored = [i.target for i in b.items if i.restored_at]
            note = f"  (restored: {', '.join(restored)})" if restored else ""
            click.echo(f"{b.name}  {b.created_at[:19]}Z  {b.describe()}{note}")
            click.echo(output.dim(f"    {b.location}"))
        return
    if name and name_option and name != name_option:
        raise click.UsageError("give the backup's name once: NAME or --name NAME")
    result = project.restore(name or name_option)
    click.echo(f"Restoring from backup {result.backup.name} ({result.backup.describe()}):")
    for done in result.outcomes:
        line = f"  {done.describe()}"
        click.echo(output.warn(line) if done.problem else output.ok(line))
    if any(done.problem for done in result.outcomes):
        sys.exit(EXIT_ERROR)


@vertz_db.command(
    help="For CI: exit 2 if models have changes no file captures or a file is unsigned."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="json: machine-readable; github: GitHub Actions ::error annotations.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@with_appcontext
@handle_errors
def check(fmt: str, as_json: bool) -> None:
    project = _project()
    result = project.check()
    fmt = "json" if as_json else fmt
    if fmt == "json":
        click.echo(json.dumps(output.check_dict(result), indent=2, sort_keys=True))
    elif fmt == "github":
        for line in output.github_annotations(result, project.migrations_dir):
            click.echo(line)
    elif result.ok:
        click.echo(output.ok("OK: the migration files capture the models."))
    else:
        _check_text(result)
    if not result.ok:
        sys.exit(EXIT_PENDING)


def _check_text(result: Any) -> None:
    for change in result.model_changes:
        click.echo(output.change_line(change))
    if result.model_changes:
        click.echo(
            f"{len(result.model_changes)} model change(s) are not in a migration file; "
            "run `flask vertz-db migrate dev --name <what_changed>`."
        )
    for name in result.unsigned:
        click.echo(
            output.error(f"{name}: body does not match its checksum; ")
            + f"re-sign with `flask vertz-db migrate sign {name}` if the edit is intended."
        )


@vertz_db.command(help="Mark a failed migration applied or rolled back, after fixing the database.")
@click.argument("name")
@click.option("--applied", "outcome", flag_value="applied", help="You finished it by hand.")
@click.option("--rolled-back", "outcome", flag_value="rolled-back", help="You undid it by hand.")
@with_appcontext
@handle_errors
def resolve(name: str, outcome: str | None) -> None:
    if outcome is None:
        raise click.UsageError("say what the database now has: --applied or --rolled-back")
    project = _project()
    before = project.resolve(name, applied=outcome == "applied")
    click.echo(output.ok(f"{name}: was {before}; now recorded as {outcome}"))


@vertz_db.command(
    help="Adopt a database another tool built: write the first file from it, recorded as applied."
)
@click.option("--name", default="adopted", show_default=True, help="The first file's name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
@handle_errors
def adopt(name: str, as_json: bool) -> None:
    from vertz_engine.adopt import adopt as adopt_database

    result = adopt_database(_project(), name)
    if as_json:
        doc = {
            "format": 1,
            "file": str(result.path),
            "tables": result.tables,
            "left_out": result.left_out,
            "missing": result.missing,
            "model_changes": [c.describe() for c in result.model_changes],
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    click.echo(
        output.ok(f"wrote {result.path} ({len(result.tables)} table(s)), recorded as applied")
    )
    if result.left_out:
        click.echo(f"left out (not in the models, left as they are): {', '.join(result.left_out)}")
    if result.model_changes:
        click.echo(
            output.warn(f"The models differ from the database ({len(result.model_changes)}):")
        )
        for change in result.model_changes:
            click.echo(output.change_line(change))
        click.echo("Capture them with `flask vertz-db migrate dev --name <what_changed>`.")
    else:
        click.echo("The models match the database.")


@vertz_db.command(help="Print a Mermaid ER diagram of the models (per bind).")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write it into this Markdown file, between markers (other text is kept).",
)
@click.option("--check", is_flag=True, help="With -o: exit 2 when the file is out of date.")
@with_appcontext
@handle_errors
def erd(out: Path | None, check: bool) -> None:
    from vertz_engine.schema import erd as erd_mod

    project = _project()
    text = erd_mod.diagram(project.metadata, project.engine.dialect)
    if out is None:
        if check:
            raise click.UsageError("--check compares a file: give it with -o FILE")
        click.echo(text, nl=False)
        return
    name = _bind_name(project)
    current = out.read_text(encoding="utf-8") if out.exists() else ""
    updated = erd_mod.place(current, name, text)
    if check:
        if updated != current:
            click.echo(
                f"{out}: the {name} diagram is out of date; run `flask vertz-db erd -o {out}`"
            )
            sys.exit(EXIT_PENDING)
        click.echo(f"{out}: the {name} diagram is up to date")
        return
    if updated != current:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(updated, encoding="utf-8")
    click.echo(output.ok(f"wrote the {name} diagram to {out}"))


@vertz_db.command(help="Record existing migration files as applied without running them.")
@with_appcontext
@handle_errors
def baseline() -> None:
    project = _project()
    recorded = project.baseline()
    for name in recorded:
        click.echo(output.ok(f"recorded {name} as applied (not run)"))
    if not recorded:
        click.echo("Every file is already recorded.")


@vertz_db.command(help="Development only: drop everything and apply every migration file again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
@handle_errors
def reset(yes: bool) -> None:
    project = _project()
    if project.production:
        project.reset()  # refuses with the production message
    if not yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise click.UsageError(
                f"reset drops every table in {project.safe_url()}; pass --yes to confirm "
                f"(there is no terminal to ask on)"
            )
        click.confirm(
            f"Drop every table in {project.safe_url()} and apply all migration files again?",
            abort=True,
        )
    dropped = project.reset()
    click.echo(output.warn(f"dropped {len(dropped)} table(s)"))
    click.echo(output.ok("applied every migration file"))
