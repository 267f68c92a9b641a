"""Running one measured operation in a fresh process, and summarising repeated runs.

Every measured operation runs in its own subprocess, started by the small launcher
``bench/spawn.py``, which reaps it with ``os.wait4`` and reports ``ru_maxrss`` from that
child's own rusage (what ``getrusage(RUSAGE_CHILDREN)`` gives, without mixing in other
children, and without the parent's size, which Linux would otherwise carry into a child's
peak across fork and exec).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SPAWN = Path(__file__).resolve().parent / "spawn.py"
RESULT_MARKER = "BENCH_RESULT "
SPAWN_MARKER = "BENCH_SPAWN "


class RunFailed(RuntimeError):
    pass


@dataclass
class Sample:
    """One run: seconds per metric (in-process timings, or the wall time of a command),
    the process's peak RSS, and whatever else the operation reported."""

    times: dict[str, float]
    rss_mb: float
    info: dict[str, Any] = field(default_factory=dict)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + path if path else "")
    env["PYTHONHASHSEED"] = "0"
    env.update(extra or {})
    return env


def _run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[int, str, str, float, float]:
    """Run ``argv`` through ``bench/spawn.py``; return (exit code, stdout, stderr, wall
    seconds, peak RSS in MB) of that process alone."""
    launcher = [sys.executable, "-S", str(SPAWN)]
    with tempfile.TemporaryFile() as err:
        done = subprocess.run(launcher + argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    lines = done.stdout.decode(errors="replace").splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith(SPAWN_MARKER):
        raise RunFailed(f"{' '.join(argv)}: the launcher failed:\n{_tail(stderr)}")
    spawn = json.loads(lines[-1][len(SPAWN_MARKER) :])
    out = "\n".join(lines[:-1])
    return int(spawn["code"]), out, stderr, float(spawn["wall"]), spawn["maxrss_kb"] / 1024


def run_op(op: str, **args: Any) -> Sample:
    """Run ``bench.worker`` operation ``op`` in a fresh interpreter; its timings are taken
    inside the process, around the operation only (imports and setup excluded)."""
    spec = json.dumps({"op": op, "args": args})
    code, out, err, _wall, rss = _run(
        [sys.executable, "-m", "bench.worker", spec], cwd=REPO, env=child_env()
    )
    lines = [x for x in out.splitlines() if x.startswith(RESULT_MARKER)]
    if code != 0 or not lines:
        raise RunFailed(f"{op} failed (exit {code}):\n{_tail(err or out)}")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_MARKER) :])
    times = {k: float(v) for k, v in result.pop("times").items()}
    return Sample(times=times, rss_mb=rss, info=result)


def run_command(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> Sample:
    """Whole-process wall time of a command (start-up, imports and all)."""
    code, out, err, wall, rss = _run(argv, cwd=cwd, env=child_env(env))
    if code != 0:
        raise RunFailed(f"{' '.join(argv)} failed (exit {code}):\n{_tail(err or out)}")
    return Sample(times={"wall": wall}, rss_mb=rss, info={"stdout": out[-400:]})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_until_served(
    argv: list[str], *, cwd: Path, port: int, env: dict[str, str] | None = None
) -> Sample:
    """Wall time from starting a server command (``flask run``) to its first HTTP answer
    (any status) on ``port``; the server is stopped then. Peak RSS is not taken (0)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=child_env(env), stdout=subprocess.DEVNULL, stderr=err
        )
        try:
            while not _answers(port):
                if proc.poll() is not None or time.perf_counter() - start > 300:
                    err.seek(0)
                    text = err.read().decode(errors="replace")
                    raise RunFailed(f"{' '.join(argv)} served nothing:\n{_tail(text)}")
                time.sleep(0.002)
            wall = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait(30)
    return Sample(times={"serve": wall}, rss_mb=0.0)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # a 404 is an answer
    except OSError:
        return False


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class Stats:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def lo(self) -> float:
        return min(self.values)

    @property
    def hi(self) -> float:
        return max(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "min": self.lo, "max": self.hi, "values": self.values}
