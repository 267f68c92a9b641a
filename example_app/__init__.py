"""entity-todo: a small Flask + Flask-SQLAlchemy app that uses flask-vertz end to end.

    flask --app example_app run              # development: boot brings the DB to the models
    flask --app example_app vertz-db status

Settings come from ``FLASK_*`` environment variables (``FLASK_SQLALCHEMY_DATABASE_URI``,
``FLASK_VERTZ_ENV``, ``FLASK_VERTZ_SNAPSHOT_PATH``, ...).
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .models import db, vertz


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("TODO_INSTANCE_PATH") or None)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///todo.db"  # in the instance folder
    # relative folders start beside the instance folder (the repository root here); this
    # example ships its migration files inside the package instead
    app.config["VERTZ_MIGRATIONS_DIR"] = os.path.join(app.root_path, "migrations")
    app.config.from_prefixed_env()  # FLASK_SQLALCHEMY_DATABASE_URI, FLASK_VERTZ_ENV, ...
    app.config.update(config or {})
    db.init_app(app)
    vertz.init_app(app, db)  # models are imported (above) before this: boot sees them all

    from .views import bp

    app.register_blueprint(bp)
    return app
