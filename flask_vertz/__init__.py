"""flask-vertz: schema migrations for Flask apps, driven by their SQLAlchemy models."""

from .extension import Vertz

__all__ = ["Vertz"]
