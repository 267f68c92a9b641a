"""SQLAlchemy column types <-> JSON-serialisable specs.

A spec names the type's class (only classes from the ``sqlalchemy`` package are ever
imported back) and the constructor arguments that differ from their defaults, so a type
can be rebuilt from a snapshot without ``eval``.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from collections.abc import Hashable
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from vertz_engine.errors import SnapshotError
from vertz_engine.schema.types import TypeSpec

_SKIP = object()


def resolve_type(type_: TypeEngine[Any], dialect: Dialect) -> TypeEngine[Any]:
    """The type that DDL for ``dialect`` is rendered from: variants and decorators resolved."""
    mapping = getattr(type_, "_variant_mapping", None)
    if mapping and dialect.name in mapping:
        type_ = mapping[dialect.name]
    if isinstance(type_, sa.types.TypeDecorator) and not isinstance(type_, sa.Interval):
        return resolve_type(type_.load_dialect_impl(dialect), dialect)
    return type_


@lru_cache(maxsize=512)
def _init_params(cls: Any) -> tuple[tuple[str, Any], ...]:
    params = []
    for klass in cls.__mro__:
        if klass is object:  # no arguments; and its signature is slow to read
            break
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            sig = inspect.signature(init)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            continue
        for p in list(sig.parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            params.append((p.name, p.default))
        break
    return tuple(params)


def _json_value(value: Any, dialect: Dialect) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, TypeEngine):
        return type_spec(value, dialect)
    if isinstance(value, type) and issubclass(value, TypeEngine):
        return type_spec(value(), dialect)
    if isinstance(value, (list, tuple)) and all(
        v is None or isinstance(v, (bool, int, float, str)) for v in value
    ):
        return list(value)
    return _SKIP


def type_spec(type_: TypeEngine[Any], dialect: Dialect) -> TypeSpec:
    """A JSON-serialisable description of ``type_`` as ``dialect`` sees it."""
    type_ = resolve_type(type_, dialect)
    cls = sa.Enum if isinstance(type_, sa.Enum) else type(type_)  # one spelling per enum
    spec: TypeSpec = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    args: dict[str, Any] = {}
    if isinstance(type_, sa.Enum):
        args["enums"] = list(type_.enums)
        for key in ("name", "schema", "native_enum", "create_constraint", "length"):
            value = getattr(type_, key, None)
            if key == "length" and value == max((len(e) for e in type_.enums), default=0):
                continue
            if value is not None:
                args[key] = value
        if args.get("native_enum") is True:
            del args["native_enum"]
        if args.get("create_constraint") is False:
            del args["create_constraint"]
    else:
        for name, default in _init_params(cast(Hashable, cls)):
            if not hasattr(type_, name):
                continue
            value = getattr(type_, name)
            if isinstance(default, enum.Enum) or default is inspect.Parameter.empty:
                default = _SKIP
            if default is not _SKIP and value == default:
                continue
            jv = _json_value(value, dialect)
            if jv is _SKIP:
                continue
            args[name] = jv
    if args:
        spec["args"] = args
    return spec


def _load_class(path: str) -> type:
    module, _, qualname = path.rpartition(".")
    if not (module == "sqlalchemy" or module.startswith("sqlalchemy.")):
        raise SnapshotError(f"refusing to load type {path!r}: only sqlalchemy types are allowed")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise SnapshotError(f"unknown column type {path!r} in snapshot") from exc
    if not (isinstance(obj, type) and issubclass(obj, TypeEngine)):
        raise SnapshotError(f"{path!r} in snapshot is not a column type")
    return obj


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "class" in value:
        return type_from_spec(cast(TypeSpec, value))
    return value


def type_from_spec(spec: TypeSpec) -> TypeEngine[Any]:
    """Rebuild a type from :func:`type_spec` output."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise SnapshotError(f"malformed column type in snapshot: {spec!r}")
    cls = _load_class(spec["class"])
    args = {k: _from_json(v) for k, v in (spec.get("args") or {}).items()}
    factory = cast(Any, cls)
    if issubclass(cls, sa.Enum):
        return cast(TypeEngine[Any], factory(*args.pop("enums", []), **args))
    return cast(TypeEngine[Any], factory(**args))
