"""Cases (one workload at one size on one database), their sides (flask-vertz and its
peers), goals, and the loop that measures a case: runs alternate between the sides."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.measure import RunFailed, Sample, Stats

VERTZ = "flask-vertz"
ALEMBIC = "alembic"
FLOOR = "floor"


@dataclass(frozen=True)
class Goal:
    op: str  # ">=" or "<="
    value: float

    def met(self, x: float) -> bool:
        return x >= self.value if self.op == ">=" else x <= self.value

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}x"


@dataclass(frozen=True)
class RatioSpec:
    """``num / den`` of the median times of ``metric``."""

    metric: str
    num: str
    den: str
    goal: Goal | None = None

    @property
    def label(self) -> str:
        return f"{self.num} / {self.den}"


@dataclass
class Side:
    """One contender in a case; ``run(r)`` prepares its fresh state for run ``r`` (untimed)
    and returns the measured sample."""

    name: str
    run: Callable[[int], Sample]


@dataclass
class Case:
    workload: int
    key: str
    label: str
    metrics: list[str]
    sides: list[Side]
    runs: int
    ratios: list[RatioSpec]
    per_table: int | None = None
    warmup: int = 0
    cleanup: Callable[[], None] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ratio:
    spec: RatioSpec
    value: float

    @property
    def met(self) -> bool | None:
        return None if self.spec.goal is None else self.spec.goal.met(self.value)


@dataclass
class CaseResult:
    case: Case
    times: dict[str, dict[str, Stats]] = field(default_factory=dict)  # side -> metric -> stats
    rss: dict[str, Stats] = field(default_factory=dict)  # side -> peak RSS (MB)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)  # side -> first sample info
    ratios: list[Ratio] = field(default_factory=list)
    error: str | None = None

    def median(self, side: str, metric: str) -> float:
        return self.times[side][metric].median


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(case: Case) -> CaseResult:
    """Warm-up runs (discarded), then ``case.runs`` rounds; the order of the sides flips
    every round (A B, B A, ...), so drift in the machine hits both sides alike."""
    result = CaseResult(case)
    samples: dict[str, list[Sample]] = {s.name: [] for s in case.sides}
    try:
        for w in range(case.warmup):
            for side in case.sides:
                side.run(-1 - w)
        for r in range(case.runs):
            order = case.sides if r % 2 == 0 else case.sides[::-1]
            for side in order:
                samples[side.name].append(side.run(r))
            _log(f"  [{case.workload}] {case.label}: run {r + 1}/{case.runs} done")
    except Exception as exc:  # one failed case must not stop the others
        detail = str(exc) if isinstance(exc, RunFailed) else traceback.format_exc()
        result.error = f"{case.label}: {detail.strip()}"
        _log(f"  [{case.workload}] {case.label}: FAILED\n{detail}")
        return result
    finally:
        if case.cleanup is not None:
            case.cleanup()
    for name, runs in samples.items():
        result.times[name] = {m: Stats([s.times[m] for s in runs]) for m in case.metrics}
        result.rss[name] = Stats([s.rss_mb for s in runs])
        result.info[name] = runs[0].info if runs else {}
    for spec in case.ratios:
        value = result.median(spec.num, spec.metric) / result.median(spec.den, spec.metric)
        result.ratios.append(Ratio(spec, value))
    return result
