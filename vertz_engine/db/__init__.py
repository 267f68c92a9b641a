"""The live database: connections and locks, the history recorder, the runner, the catalog.

Rule: talks to the database; never decides a workflow.
"""
