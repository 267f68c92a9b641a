"""Models <-> snapshot: the schema as data (type specs, canonical forms, dialect features, names).

Rule: knows SQLAlchemy metadata and dialect traits; never reads files or a live database.
"""
