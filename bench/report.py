"""The printed tables and ``bench/results.json``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.core import ALEMBIC, FLOOR, VERTZ, CaseResult, Goal
from bench.measure import Stats

FLAT = Goal("<=", 1.2)  # per-table cost may not grow by more than noise from one N to the next


@dataclass
class Check:
    """One goal of the issue, measured."""

    label: str
    value: float
    goal: Goal | None
    detail: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": round(self.value, 4),
            "goal": str(self.goal) if self.goal else None,
            "met": self.met,
            "detail": self.detail,
        }


def _unit(seconds: float) -> tuple[float, str]:
    return (1.0, "s") if seconds >= 1 else (1000.0, "ms")


def _num(x: float) -> str:
    return f"{x:.3g}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_time(stats: Stats) -> tuple[str, str]:
    scale, unit = _unit(stats.median)
    return (
        f"{_num(stats.median * scale)} {unit}",
        f"{_num(stats.lo * scale)}-{_num(stats.hi * scale)} {unit}",
    )


def flatness(results: Iterable[CaseResult]) -> list[Check]:
    """Workload 1: the per-table cost at each N, and its worst growth from one N to the
    next (flask-vertz's is the goal; Alembic's is shown for comparison)."""
    by_dialect: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.case.workload == 1 and r.error is None:
            by_dialect.setdefault(r.case.params["dialect"], []).append(r)
    checks = []
    for dialect, rs in by_dialect.items():
        rs.sort(key=lambda r: r.case.params["n"])
        if len(rs) < 2:
            continue
        ns = "->".join(str(r.case.params["n"]) for r in rs)
        # CPU time: sizes are measured minutes apart, and wall time moves with the load
        for metric in ("boot_cpu", "repeat_cpu"):
            for side in (VERTZ, FLOOR, ALEMBIC):
                per = [r.median(side, metric) / r.case.params["n"] * 1000 for r in rs]
                growth = max(b / a for a, b in zip(per, per[1:], strict=False))
                checks.append(
                    Check(
                        f"{dialect} {metric}: {side} per-table cost, worst growth N={ns}",
                        growth,
                        FLAT if side == VERTZ else None,
                        " / ".join(f"{p:.3g}" for p in per) + " ms per table",
                    )
                )
    return checks


def table(results: list[CaseResult], titles: dict[int, str]) -> list[str]:
    lines: list[str] = []
    for workload, title in titles.items():
        rs = [r for r in results if r.case.workload == workload]
        if not rs:
            continue
        lines += ["", f"== {workload}. {title}"]
        rows: list[tuple[str, ...]] = [
            ("case", "side", "metric", "median", "min-max", "per table", "peak RSS")
        ]
        for r in rs:
            if r.error is not None:
                rows.append((r.case.label, "FAILED", "", "", "", "", ""))
                continue
            for side, metrics in r.times.items():
                for metric, st in metrics.items():
                    med, rng = fmt_time(st)
                    per = (
                        f"{st.median / r.case.per_table * 1000:.3g} ms" if r.case.per_table else ""
                    )
                    rss = f"{r.rss[side].median:.0f} MB"
                    rows.append((r.case.label, side, metric, med, rng, per, rss))
        lines += _columns(rows)
        ratio_rows: list[tuple[str, ...]] = [
            ("case", "ratio (medians)", "metric", "value", "goal", "")
        ]
        for r in rs:
            for ratio in r.ratios:
                goal = str(ratio.spec.goal) if ratio.spec.goal else ""
                met = "" if ratio.met is None else ("met" if ratio.met else "MISSED")
                ratio_rows.append(
                    (
                        r.case.label,
                        ratio.spec.label,
                        ratio.spec.metric,
                        f"{ratio.value:.3g}x",
                        goal,
                        met,
                    )
                )
        if len(ratio_rows) > 1:
            lines.append("")
            lines += _columns(ratio_rows)
        if workload == 1:
            checks = flatness(rs)
            if checks:
                lines.append("")
            for c in checks:
                goal = f"goal {c.goal}  {'met' if c.met else 'MISSED'}" if c.goal else ""
                lines.append(f"  {c.label}: {c.detail}; worst step {c.value:.2f}x  {goal}".rstrip())
    return lines


def goal_checks(results: list[CaseResult]) -> list[Check]:
    checks = []
    for r in results:
        for ratio in r.ratios:
            if ratio.spec.goal is not None:
                checks.append(
                    Check(
                        f"[{r.case.workload}] {r.case.label} {ratio.spec.metric}: {ratio.spec.label}",
                        ratio.value,
                        ratio.spec.goal,
                    )
                )
    return checks + [c for c in flatness(results) if c.goal is not None]


def summary(checks: list[Check], errors: list[str]) -> list[str]:
    lines = ["", "== goals"]
    for c in checks:
        lines.append(
            f"  {'met   ' if c.met else 'MISSED'}  {c.label} = {c.value:.3g}x (goal {c.goal})"
        )
    for e in errors:
        lines.append(f"  FAILED  {e.splitlines()[0]}")
    return lines


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def as_json(r: CaseResult) -> dict[str, Any]:
    sides: dict[str, Any] = {}
    for side, metrics in r.times.items():
        entry: dict[str, Any] = {m: st.as_dict() for m, st in metrics.items()}
        if r.case.per_table:
            entry["per_table_ms"] = {
                m: st.median / r.case.per_table * 1000 for m, st in metrics.items()
            }
        entry["peak_rss_mb"] = r.rss[side].as_dict()
        if r.info.get(side):
            entry["info"] = r.info[side]
        sides[side] = entry
    return {
        "workload": r.case.workload,
        "key": r.case.key,
        "label": r.case.label,
        "params": r.case.params,
        "runs": r.case.runs,
        "sides": sides,
        "ratios": [
            {
                "ratio": x.spec.label,
                "metric": x.spec.metric,
                "value": x.value,
                "goal": str(x.spec.goal) if x.spec.goal else None,
                "met": x.met,
            }
            for x in r.ratios
        ],
        "error": r.error,
    }
