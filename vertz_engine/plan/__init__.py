"""Snapshot pair -> Plan -> SQL: diffing, rename pairing, ordering, rendering, reversing.

Rule: pure; no connection, no file system.
"""
