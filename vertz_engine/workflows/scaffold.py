"""``init``: the migrations folder, both snapshots and the .gitignore line."""

from __future__ import annotations

from vertz_engine.errors import AlembicFolder
from vertz_engine.files import migration_file, snapshot_file
from vertz_engine.workflows.results import InitResult
from vertz_engine.workflows.workspace import Workspace

#: what marks a folder as Alembic's (Flask-Migrate's ``migrations/`` holds all three)
ALEMBIC_MARKS = ("env.py", "alembic.ini", "versions/")


class Init:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> InitResult:
        """Create what is missing; a corrupt migrations snapshot is refused."""
        loader = self.ws.loader
        result = InitResult()
        self._refuse_alembic_folder()
        if not loader.migrations_dir.exists():
            loader.migrations_dir.mkdir(parents=True)
            result.created.append(loader.migrations_dir)
        else:
            result.existing.append(loader.migrations_dir)
        if loader.migrations_snapshot_path.exists():
            loader.migrations_snapshot()  # refuse to go on over a corrupt one
            result.existing.append(loader.migrations_snapshot_path)
        else:
            loader.save_migrations_snapshot(loader.empty(), steps={})
            result.created.append(loader.migrations_snapshot_path)
        if loader.local_snapshot_path.exists():
            result.existing.append(loader.local_snapshot_path)
        else:
            snapshot_file.save(loader.local_snapshot_path, loader.empty())
            result.created.append(loader.local_snapshot_path)
        result.gitignore_updated = self._ignore_local_snapshot()
        return result

    def _refuse_alembic_folder(self) -> None:
        folder = self.ws.loader.migrations_dir
        found = [n for n in ALEMBIC_MARKS if (folder / n.rstrip("/")).exists()]
        if found:
            raise AlembicFolder(
                f"the migrations folder {folder} is Alembic's (it holds {', '.join(found)}); "
                "flask-vertz needs a folder of its own",
                path=folder,
                found=found,
            )

    def _ignore_local_snapshot(self) -> bool:
        """Add the local snapshot's folder to the project's .gitignore (True if added)."""
        local = self.ws.loader.local_snapshot_path
        root = self.ws.root or local.parent.parent
        try:
            rel = local.parent.resolve().relative_to(root.resolve())
        except ValueError:
            return False
        line = f"{rel.as_posix()}/"
        gitignore = root / ".gitignore"
        lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
        if line in lines or line.rstrip("/") in lines:
            return False
        text = "\n".join([*lines, "# flask-vertz local snapshot", line]) + "\n"
        migration_file.write_atomic(gitignore, text)
        return True
