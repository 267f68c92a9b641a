"""Workflows composed from the layers below: dev, deploy, rollback, maintenance, status.

Rule: the only layer that combines files, plans and databases; speaks in typed results.
"""
