"""Run one measured operation in this (fresh) process and print its result as JSON:
``python -m bench.worker '{"op": "boot_vertz", "args": {...}}'``."""

from __future__ import annotations

import json
import sys

from bench.measure import RESULT_MARKER
from bench.ops import OPS
from bench.setup import SETUPS


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    result = (OPS | SETUPS)[spec["op"]](**spec["args"])
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
