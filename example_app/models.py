from __future__ import annotations

from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flask_vertz import Vertz

db = SQLAlchemy()
vertz = Vertz()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Project(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    todos: Mapped[list[Todo]] = relationship(back_populates="project", cascade="all, delete-orphan")


class Todo(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    done: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    project: Mapped[Project | None] = relationship(back_populates="todos")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "done": self.done,
            "created_at": self.created_at.isoformat(),
            "project": self.project.name if self.project else None,
        }
