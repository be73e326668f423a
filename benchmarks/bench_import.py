"""How much `import rtlab` costs over a bare interpreter start (goal: <= 150 ms).

Runs `python -c pass` and `python -c "import rtlab"` alternately, several times each, and
prints the medians and their difference. Run: `.venv/bin/python benchmarks/bench_import.py`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = 15
GOAL_MS = 150.0


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - start) * 1000.0


def main() -> None:
    _time("import rtlab")  # warm the OS file cache and bytecode
    bare, with_rtlab = [], []
    for _ in range(REPEATS):
        bare.append(_time("pass"))
        with_rtlab.append(_time("import rtlab"))
    bare_ms = statistics.median(bare)
    rtlab_ms = statistics.median(with_rtlab)
    overhead = rtlab_ms - bare_ms
    print(f"python -c pass        median {bare_ms:7.1f} ms over {REPEATS} runs")
    print(f"python -c import rtlab median {rtlab_ms:7.1f} ms over {REPEATS} runs")
    verdict = "met" if overhead <= GOAL_MS else "NOT met"
    print(f"import overhead       {overhead:7.1f} ms  (goal <= {GOAL_MS:.0f} ms: {verdict})")
    print(f"ratio import/bare     {rtlab_ms / bare_ms:7.2f}x")


if __name__ == "__main__":
    main()
