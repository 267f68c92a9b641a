"""The example app's main flow, end to end, on a fresh SQLite database in a temp folder.

    python -m example_app.demo

Runs the real ``flask`` command for the migration steps and the app's JSON API through
Flask's test client. The committed migration files are used as they are; nothing in the
source tree is written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flask(env: dict[str, str], *args: str) -> str:
    cmd = [sys.executable, "-m", "flask", "--app", "example_app", *args]
    print(f"\n$ flask --app example_app {' '.join(args)}")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    print(out.rstrip())
    if proc.returncode != 0:
        raise SystemExit(f"demo failed: `flask {' '.join(args)}` exited {proc.returncode}")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="entity-todo-") as tmp:
        db_path = Path(tmp) / "todo.db"
        env = {
            **os.environ,
            "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "FLASK_VERTZ_SNAPSHOT_PATH": str(Path(tmp) / ".vertz" / "schema-snapshot.json"),
            "FLASK_DEBUG": "1",  # a development shell (`flask run --debug`)
        }
        # 1. production-style: apply the committed migration files to a fresh database
        flask({**env, "FLASK_VERTZ_ENV": "production"}, "vertz-db", "migrate", "deploy")
        out = flask(env, "vertz-db", "status", "--json")
        status = json.loads(out[out.index("{") :])
        assert not status["pending"] and not status["model_changes"], status

        # 2. development: starting the app checks the models against the database
        os.environ.update({k: v for k, v in env.items() if k.startswith("FLASK_")})
        from example_app import create_app

        app = create_app()  # boot: the database already matches the models, nothing to do
        client = app.test_client()
        print("\n# the JSON API")
        for title, project in (
            ("write docs", "launch"),
            ("ship it", "launch"),
            ("water plants", None),
        ):
            r = client.post("/todos", json={"title": title, "project": project})
            assert r.status_code == 201, r.get_data(as_text=True)
            print(f"POST /todos {title!r} -> {r.status_code} {r.get_json()}")
        r = client.post("/todos/2/complete")
        print(f"POST /todos/2/complete -> {r.status_code} done={r.get_json()['done']}")
        todos = client.get("/todos").get_json()
        print(f"GET /todos -> {len(todos)} todos, done: {[t['title'] for t in todos if t['done']]}")
        assert [t["done"] for t in todos] == [False, True, False]

        # 3. roll the last migration back and deploy it again: the todos are kept
        from example_app.models import db

        with app.app_context():
            db.engine.dispose()
        flask(env, "vertz-db", "rollback")
        out = flask(env, "vertz-db", "status")
        assert "Pending: 1" in out
        flask(env, "vertz-db", "migrate", "deploy")
        todos = client.get("/todos").get_json()
        print(f"\nGET /todos -> {[t['title'] for t in todos]}")
        assert [t["title"] for t in todos] == ["write docs", "ship it", "water plants"]
        with app.app_context():
            db.engine.dispose()
        print("\nentity-todo demo: OK")


if __name__ == "__main__":
    main()
