"""Migration files on disk: the format, markers, checksums, statement splitting, the snapshot store.

Rule: reads and writes files; never connects to a database or computes a plan.
"""
