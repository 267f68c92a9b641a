"""Migration files on disk: the format, markers, checksums, statement splitting, the snapshot store.

``file_format`` (every marker and the checksum rule, spelled once), ``migration_file``,
``sqlsplit`` (+ ``sqlblocks``), ``txmode`` (transactional or not), the production guard
(``guard``: the file-level decision; ``guard_scan``: statement reading; ``guard_rules``: the
per-statement rules; ``sqlwords``), ``snapshot_file``.

Rule: reads and writes files; never connects to a database or computes a plan.
"""
