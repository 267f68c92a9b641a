"""``LONGTEXT`` on MySQL and MariaDB, ``TEXT`` elsewhere, for the bookkeeping tables.

A type decorator rather than ``Text().with_variant(mysql.LONGTEXT(), ...)``: the variant
would import SQLAlchemy's MySQL dialect with the module, on every database and every boot.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from vertz_engine.dialects import traits


class LongText(sa.types.TypeDecorator[str]):
    """Text that holds a whole snapshot or manifest on every database."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if traits(dialect).short_text:
            from sqlalchemy.dialects.mysql import LONGTEXT

            return dialect.type_descriptor(LONGTEXT())
        return dialect.type_descriptor(sa.Text())
