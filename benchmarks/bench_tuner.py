"""Benchmark: Tuner change → redraw time on a 30 s clip, against the goal of 100 ms.

Run from the repository root::

    .venv/bin/python benchmarks/bench_tuner.py

A :class:`rtlab.widgets.Tuner` is opened on the shipped 30 s AMI meeting excerpt
``ami-debug/trn05``. Its sliders are then moved from code, as the browser would move them
(each ``slider.value = x`` runs the Tuner's callback synchronously): threshold, silence
duration and prefix padding in turn, over many values. For each change we time from the
assignment to the new PNG in ``tuner.image.value`` and the new metrics table: a new
Session, :func:`rtlab.detect` on the cached scores, :func:`rtlab.metrics.score` and
``turn_outcomes``, the timeline's session-dependent parts redrawn and the PNG encoded.

Baselines, timed in the same run:

- the straightforward redraw: a new :func:`rtlab.plot.timeline` Figure and ``savefig`` to
  PNG per change (what a Tuner without the persistent figure would do), plus detect and
  metrics;
- a full re-score of the clip (:func:`rtlab.vad.score`, cache off), what every change
  would cost without cached scores, before any drawing.

Prints the median and p90 per change, the ratio of the median to the 100 ms goal (< 1 is
within it) and the speed-up over each baseline.
"""

from __future__ import annotations

import io
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
os.environ["RTLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlab-bench-")
os.environ.setdefault("MPLBACKEND", "Agg")

import rtlab  # noqa: E402
from rtlab import metrics, plot  # noqa: E402
from rtlab.widgets import Tuner  # noqa: E402

CLIP = "ami-debug/trn05"
GOAL_MS = 100.0
N_CHANGES = 60
N_BASELINE = 8


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    clip = rtlab.datasets.load(CLIP)
    print(f"== Tuner redraw on {CLIP} ({clip.audio.duration_s:.1f} s) ==")
    t0 = time.perf_counter()
    tuner = Tuner(clip)
    print(f"open (score once, first draw): {time.perf_counter() - t0:.2f} s")

    moves = itertools.cycle(
        [
            (tuner.threshold, [0.3, 0.4, 0.55, 0.6, 0.7, 0.5]),
            (tuner.silence_duration_ms, [300, 700, 1000, 1200, 800, 500]),
            (tuner.prefix_padding_ms, [100, 200, 500, 400, 300]),
        ]
    )
    times: list[float] = []
    images = set()
    while len(times) < N_CHANGES:
        slider, values = next(moves)
        for value in values:
            if slider.value == value:
                continue
            start = time.perf_counter()
            slider.value = value
            times.append((time.perf_counter() - start) * 1000.0)
            images.add(tuner.image.value)
    assert len(images) > 1, "the image never changed"
    median = statistics.median(times)
    p90 = percentile(times, 0.9)

    # baseline 1: a new timeline figure and savefig per change
    scores = tuner.scores
    session = tuner.value
    full: list[float] = []
    for i in range(N_BASELINE):
        start = time.perf_counter()
        s = session.replace(**{"turn_detection.threshold": 0.3 + 0.05 * i})
        log = rtlab.detect(scores, s)
        metrics.score(log, clip.truth)
        fig = plot.timeline(
            clip.audio, log, scores=scores, truth=clip.truth, figsize=(11, 5), dpi=80
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        full.append((time.perf_counter() - start) * 1000.0)
    full_median = statistics.median(full)

    # baseline 2: re-scoring the clip
    rescore: list[float] = []
    for _ in range(3):
        start = time.perf_counter()
        rtlab.vad.score(clip.audio, cache=False)
        rescore.append((time.perf_counter() - start) * 1000.0)
    rescore_median = statistics.median(rescore)

    print(f"changes timed: {len(times)} (threshold, silence_duration_ms, prefix_padding_ms)")
    print(f"change -> redraw: median {median:.1f} ms, p90 {p90:.1f} ms, max {max(times):.1f} ms")
    print(
        f"goal {GOAL_MS:.0f} ms: median / goal = {median / GOAL_MS:.2f} "
        f"({'within' if median <= GOAL_MS else 'OVER'} the goal)"
    )
    print(
        f"baseline, new timeline + savefig per change: median {full_median:.0f} ms "
        f"({full_median / median:.1f}x slower than the Tuner)"
    )
    print(
        f"baseline, full re-score of the clip (no drawing): median {rescore_median:.0f} ms "
        f"({rescore_median / median:.1f}x the Tuner's whole change)"
    )
    return 0 if median <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
