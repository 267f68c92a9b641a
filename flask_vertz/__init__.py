"""flask-vertz: schema migrations for Flask apps, driven by their SQLAlchemy models."""

from .extension import Vertz

__all__ = ["Vertz"]


def alembic_include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's ``include_name`` hook (``Migrate(app, db, include_name=...)``): leaves
    flask-vertz's own tables out of Alembic autogenerate, so it never drops them while
    both tools are registered."""
    return not (type_ == "table" and (name or "").startswith("_vertz"))


__all__ += ["alembic_include_name"]
