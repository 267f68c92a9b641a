"""The workflows: what each command does, as engine calls that take data and return data.

A :class:`Project` ties the models (a ``MetaData``), a database (an ``Engine``) and the
folders on disk together. It never prints and never exits; front ends (the Flask CLI, a
script, another framework) show its results.
"""

from __future__ import annotations

from vertz_engine.workflows.deploy import DeployFlows
from vertz_engine.workflows.dev import check_renames, parse_renames
from vertz_engine.workflows.lint import LintFlows, LintResult
from vertz_engine.workflows.preview import DevPreview, PreviewFlows, rename_decisions
from vertz_engine.workflows.report import ReportFlows
from vertz_engine.workflows.restore import BackupFlows, RestoreResult
from vertz_engine.workflows.results import (
    ApplyResult,
    CheckResult,
    DeployResult,
    DevResult,
    InitResult,
    RollbackResult,
    Status,
)
from vertz_engine.workflows.rewind import DiscardResult, RewindFlows
from vertz_engine.workflows.rollback import RollbackFlows
from vertz_engine.workflows.workspace import MIGRATIONS_SNAPSHOT, PRODUCTION

__all__ = [
    "MIGRATIONS_SNAPSHOT",
    "PRODUCTION",
    "ApplyResult",
    "CheckResult",
    "DeployResult",
    "DevPreview",
    "DevResult",
    "DiscardResult",
    "InitResult",
    "LintResult",
    "Project",
    "RestoreResult",
    "RollbackResult",
    "Status",
    "check_renames",
    "parse_renames",
    "rename_decisions",
]


class Project(
    PreviewFlows, DeployFlows, RollbackFlows, ReportFlows, BackupFlows, RewindFlows, LintFlows
):
    """One app's models, database and migration folders, and every workflow on them."""
