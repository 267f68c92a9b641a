"""The ``flask vertz-db`` commands: options in, one engine call, lines out. What to print
is in :mod:`.output` and :mod:`.reports`, the ``--json`` shapes in :mod:`.documents`, how
a command runs per bind in :mod:`.running`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from vertz_engine.plan.renames import default_questioner

from . import documents, output, reports
from .gcpause import PausedGroup
from .running import (
    EXIT_ERROR,
    EXIT_PENDING,
    Outcome,
    bind_name,
    echo_lines,
    per_bind,
    project,
)
from .terminal import interactive, progress, terminal_questioner


def _json_needs_dry_run(as_json: bool, dry_run: bool) -> None:
    if as_json and not dry_run:
        raise click.UsageError("--json describes a dry run: add --dry-run")


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
json_option = click.option(
    "--json", "as_json", is_flag=True, help="With --dry-run: machine-readable output."
)


@click.group(cls=PausedGroup, help="Schema migrations from your SQLAlchemy models (flask-vertz).")
def vertz_db() -> None:
    pass


@vertz_db.command(help="Create the migrations folder, the snapshots and the .gitignore line.")
@with_appcontext
@per_bind
def init() -> None:
    p = project()
    echo_lines(reports.init_lines(p.init(), p.local_snapshot_path))


@vertz_db.command(help="Apply model changes straight to the database, no file (development only).")
@rename_option
@no_rename_option
@click.option("--dry-run", is_flag=True, help="Show the changes and SQL without running them.")
@with_appcontext
@per_bind
def push(rename: tuple[str, ...], no_rename: tuple[str, ...], dry_run: bool) -> None:
    from vertz_engine.project import rename_decisions  # the workflows load with a command

    p = project()
    explicit = rename_decisions(rename, no_rename)
    if interactive() and not dry_run:
        for cand in p.rename_questions(explicit):
            explicit[cand.key] = cand.new if terminal_questioner(cand) else ""
    result = p.apply_models(renames=explicit, dry_run=dry_run)
    if result.action == "unchanged":
        click.echo("The database already matches the models.")
        return
    echo_lines(output.apply_lines(result, applied=not dry_run))
    if dry_run:
        echo_lines(reports.push_dry_run_lines(result))


@vertz_db.group(help="Create (dev) and apply (deploy) migration files.")
def migrate() -> None:
    pass


@migrate.command("dev", help="Write a migration file for the model changes and apply it locally.")
@click.option("--name", required=True, help="What the migration does, e.g. add_priority.")
@click.option("--create-only", is_flag=True, help="Write the file without applying it.")
@click.option("--dry-run", is_flag=True, help="Show the changes and the file's SQL; write nothing.")
@json_option
@rename_option
@no_rename_option
@with_appcontext
@per_bind
def migrate_dev(
    name: str,
    create_only: bool,
    dry_run: bool,
    as_json: bool,
    rename: tuple[str, ...],
    no_rename: tuple[str, ...],
) -> Outcome | None:
    from vertz_engine.project import rename_decisions  # the workflows load with a command

    _json_needs_dry_run(as_json, dry_run)
    p = project()
    questioner = terminal_questioner if interactive() and not as_json else default_questioner
    preview = p.preview_dev(
        name, renames=rename_decisions(rename, no_rename), questioner=questioner
    )
    if as_json:
        return Outcome(documents.dev_dry_run(preview))
    if preview.empty:
        click.echo("No model changes: no migration file written.")
        return None
    click.echo("Changes:")
    echo_lines(output.plan_lines(preview.plan))
    if dry_run:
        echo_lines(reports.dev_dry_run_lines(preview))
        return None
    result = p.migrate_dev(name, create_only=create_only, plan=preview.plan)
    click.echo(output.ok(f"wrote {result.path}"))
    if result.deploy is not None:
        echo_lines(reports.deploy_lines(result.deploy))
    return None


@migrate.command("new", help="Write an empty, signed migration file for hand-written SQL.")
@click.option("--name", required=True, help="What the migration does, e.g. backfill_status.")
@with_appcontext
@per_bind
def migrate_new(name: str) -> None:
    path = project().new_migration(name)
    click.echo(output.ok(f"wrote {path}"))
    click.echo(
        f"Write its SQL (and the @rollback section), then re-sign it: "
        f"flask vertz-db migrate sign {path.stem}"
    )


@migrate.command("deploy", help="Apply pending migration files in order, each in a transaction.")
@click.option("--dry-run", is_flag=True, help="Print the SQL of pending files; change nothing.")
@json_option
@click.option("--force", is_flag=True, help="Allow destructive changes in production.")
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply pending files numbered below an applied one (files from parallel branches).",
)
@with_appcontext
@per_bind
def migrate_deploy(
    dry_run: bool, as_json: bool, force: bool, allow_out_of_order: bool
) -> Outcome | None:
    _json_needs_dry_run(as_json, dry_run)
    p = project()
    if dry_run:
        result = p.deploy(dry_run=True, force=force, allow_out_of_order=allow_out_of_order)
        if as_json:
            return Outcome(documents.deploy_dry_run(result))
        echo_lines(reports.deploy_dry_run_lines(result))
        return None
    total = len(p.files())
    with progress(p, allow_out_of_order) as report:
        result = p.deploy(force=force, allow_out_of_order=allow_out_of_order, progress=report)
    if not result.applied and not result.recorded:
        click.echo(f"No pending migrations ({total} file(s), all applied).")
        return None
    echo_lines(reports.deploy_lines(result))
    return None


@migrate.command("sign", help="Re-sign an edited migration file that is not applied yet.")
@click.argument("name")
@with_appcontext
@per_bind
def migrate_sign(name: str) -> None:
    changed = project().sign(name)
    click.echo(output.ok(f"re-signed {name}") if changed else f"{name} was already signed")


@migrate.command(
    "discard",
    help="Remove the last migration file (not applied by the database) and rewind _snapshot.json.",
)
@with_appcontext
@per_bind
def migrate_discard() -> None:
    p = project()
    echo_lines(reports.discard_lines(p.discard(), p.migrations_snapshot_path))


@vertz_db.command(help="Applied and pending migrations, model changes not in a file, drift.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--exit-code", is_flag=True, help="Exit 2 when anything is pending or drifted.")
@with_appcontext
@per_bind
def status(as_json: bool, exit_code: bool) -> Outcome:
    st = project().status()
    if not as_json:
        echo_lines(reports.status_lines(st))
    return Outcome(
        documents.status(st) if as_json else None,
        EXIT_PENDING if exit_code and st.needs_attention else 0,
    )


@vertz_db.command(help="Run the @rollback section of the last applied migration(s).")
@click.option("--steps", default=1, show_default=True, type=int, help="How many to roll back.")
@click.option(
    "--dry-run", is_flag=True, help="Print the rollback SQL and what it destroys; change nothing."
)
@json_option
@click.option("--force", is_flag=True, help="Allow a rollback that destroys data in production.")
@with_appcontext
@per_bind
def rollback(steps: int, dry_run: bool, as_json: bool, force: bool) -> Outcome | None:
    _json_needs_dry_run(as_json, dry_run)
    result = project().rollback(steps, dry_run=dry_run, force=force)
    if as_json:
        return Outcome(documents.rollback_dry_run(result))
    if dry_run:
        echo_lines(reports.rollback_dry_run_lines(result))
        return None
    for name in result.rolled_back:
        click.echo(output.ok(f"rolled back {name}"))
    return None


@vertz_db.command(help="Put back what a development boot or push dropped, from its backup.")
@click.argument("name", required=False)
@click.option("--name", "name_option", metavar="NAME", help="The backup to restore (see --list).")
@click.option("--list", "list_only", is_flag=True, help="Show the backups and what each holds.")
@with_appcontext
@per_bind
def restore(name: str | None, name_option: str | None, list_only: bool) -> None:
    p = project()
    if list_only:
        echo_lines(reports.backup_list_lines(p.backups()))
        return
    if name and name_option and name != name_option:
        raise click.UsageError("give the backup's name once: NAME or --name NAME")
    result = p.restore(name or name_option)
    echo_lines(reports.restore_lines(result))
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
@per_bind
def check(fmt: str, as_json: bool) -> Outcome:
    p = project()
    result = p.check()
    fmt = "json" if as_json else fmt
    if fmt == "github":
        echo_lines(reports.github_annotations(result, p.migrations_dir))
    elif fmt == "text":
        echo_lines(reports.check_lines(result))
    return Outcome(
        documents.check(result) if fmt == "json" else None, 0 if result.ok else EXIT_PENDING
    )


@vertz_db.command(help="Mark a failed migration applied or rolled back, after fixing the database.")
@click.argument("name")
@click.option("--applied", "outcome", flag_value="applied", help="You finished it by hand.")
@click.option("--rolled-back", "outcome", flag_value="rolled-back", help="You undid it by hand.")
@with_appcontext
@per_bind
def resolve(name: str, outcome: str | None) -> None:
    if outcome is None:
        raise click.UsageError("say what the database now has: --applied or --rolled-back")
    before = project().resolve(name, applied=outcome == "applied")
    click.echo(output.ok(f"{name}: was {before}; now recorded as {outcome}"))


@vertz_db.command(
    help="Adopt a database another tool built: write the first file from it, recorded as applied."
)
@click.option("--name", default="adopted", show_default=True, help="The first file's name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
@per_bind
def adopt(name: str, as_json: bool) -> Outcome | None:
    from vertz_engine.adopt import adopt as adopt_database

    result = adopt_database(project(), name)
    if as_json:
        return Outcome(documents.adopt(result))
    echo_lines(reports.adopt_lines(result))
    return None


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
@click.option(
    "--changes",
    is_flag=True,
    help="Mark what the next `migrate dev` would add, drop, rename or change.",
)
@with_appcontext
@per_bind
def erd(out: Path | None, check: bool, changes: bool) -> Outcome | None:
    from vertz_engine.schema import erd as erd_mod

    p = project()
    text = p.diagram(changes=changes)
    if out is None:
        if check:
            raise click.UsageError("--check compares a file: give it with -o FILE")
        click.echo(text, nl=False)
        return None
    name = bind_name(p)
    current = out.read_text(encoding="utf-8") if out.exists() else ""
    updated = erd_mod.place(current, name, text)
    if check:
        if updated != current:
            click.echo(
                f"{out}: the {name} diagram is out of date; run `flask vertz-db erd -o {out}`"
            )
            return Outcome(exit_code=EXIT_PENDING)
        click.echo(f"{out}: the {name} diagram is up to date")
        return None
    if updated != current:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(updated, encoding="utf-8")
    click.echo(output.ok(f"wrote the {name} diagram to {out}"))
    return None


@vertz_db.command(help="Record existing migration files as applied without running them.")
@with_appcontext
@per_bind
def baseline() -> None:
    recorded = project().baseline()
    for name in recorded:
        click.echo(output.ok(f"recorded {name} as applied (not run)"))
    if not recorded:
        click.echo("Every file is already recorded.")


@vertz_db.command(help="Development only: drop everything and apply every migration file again.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
@per_bind
def reset(yes: bool) -> None:
    p = project()
    p.guard_reset()
    if not yes:
        if not interactive():
            raise click.UsageError(
                f"reset drops every table in {p.safe_url()}; pass --yes to confirm "
                f"(there is no terminal to ask on)"
            )
        click.confirm(
            f"Drop every table in {p.safe_url()} and apply all migration files again?",
            abort=True,
        )
    dropped = p.reset()
    click.echo(output.warn(f"dropped {len(dropped)} table(s)"))
    click.echo(output.ok("applied every migration file"))


def _register_lint() -> None:
    from .lint_command import lint

    vertz_db.add_command(lint)


_register_lint()
