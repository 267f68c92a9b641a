"""A small launcher: ``python bench/spawn.py ARGV...`` starts ARGV, waits for it, and prints
``BENCH_SPAWN {"wall": seconds, "maxrss_kb": kB, "code": exit code}`` as its last line.

Linux keeps a process's peak RSS across ``fork`` and ``exec``: a child started straight from
the (large) benchmark parent would report the parent's size as its own peak. Started from
this launcher, which stays at a few MB, ``ru_maxrss`` is the child's own. Only the standard
library's smallest modules are imported here, on purpose.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _pid, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    result = {"wall": wall, "maxrss_kb": usage.ru_maxrss, "code": code}
    sys.stdout.write("BENCH_SPAWN " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
