from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, request

from .models import Project, Todo, db

bp = Blueprint("todos", __name__)


@bp.post("/todos")
def create_todo() -> Any:
    data = request.get_json(silent=True) or {}
    title = str(data.get("title", "")).strip()
    if not title:
        abort(400, "title is required")
    todo = Todo(title=title)
    if data.get("project"):
        name = str(data["project"])
        todo.project = db.session.scalar(db.select(Project).filter_by(name=name)) or Project(
            name=name
        )
    db.session.add(todo)
    db.session.commit()
    return jsonify(todo.to_dict()), 201


@bp.get("/todos")
def list_todos() -> Any:
    todos = db.session.scalars(db.select(Todo).order_by(Todo.id)).all()
    return jsonify([t.to_dict() for t in todos])


@bp.post("/todos/<int:todo_id>/complete")
def complete_todo(todo_id: int) -> Any:
    todo = db.get_or_404(Todo, todo_id)
    todo.done = True
    db.session.commit()
    return jsonify(todo.to_dict())
