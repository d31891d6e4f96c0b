"""Start-up time of `mlgate --help` and `mlgate validate` against `python -c pass`.

Run from the repository root: `.venv/bin/python bench/startup.py`.
Target (issue 2): `mlgate --help` under 0.3 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15


def wall(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    python = sys.executable
    floor = wall([python, "-c", "pass"])
    print(f"python -c pass           {floor:.3f} s (median of {RUNS})")
    for label, args in (("mlgate --help", ["--help"]), ("mlgate validate", ["validate"])):
        took = wall([python, "-m", "mlgate", *args])
        target = "   (target: < 0.300 s)" if args == ["--help"] else ""
        print(f"{label:<24} {took:.3f} s   {took / floor:5.1f}x python -c pass{target}")


if __name__ == "__main__":
    main()
