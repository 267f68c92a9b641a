"""Workflows composed from the layers below: dev, deploy, rollback, maintenance, status.

Rule: the only layer that combines files, plans and databases; speaks in typed results.

Composed, not mixed in: a :class:`~.workspace.Workspace` holds the :class:`~.loader.Loader`
(files and snapshots on disk), the database (the recorder is :mod:`vertz_engine.db.history`)
and the :class:`~.environment.Environment` (the production guard); :mod:`.position` is the
one owner of which schema the database is at, :mod:`.executor` runs one file with its
history row, :mod:`.checks` decides checksum drift and out-of-order files; each workflow is
one object in its own module (``Deploy(ws).run(...)``).
"""
