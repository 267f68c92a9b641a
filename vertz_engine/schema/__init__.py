"""Models <-> snapshot: the schema as data.

``types`` (the snapshot's shape), ``build`` (models -> snapshot), ``snapshot`` (its format,
checks, and the SQLAlchemy objects it rebuilds), ``typespec``, ``canonical`` (one spelling
per meaning), ``features`` (computed, identity, dialect options), ``constraint_names``, ``erd``.

Rule: knows SQLAlchemy metadata and dialect traits; never reads files or a live database.
"""
