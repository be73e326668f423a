"""Benchmark: 1,000 client-side Smart Turn policies over an hour of cached probabilities.

What it measures, in one run on this machine:

1. the spans: hold/eot silence spans of every shipped clip with timed truth
   (:func:`rtlab.eot.silence_spans`), each with its Smart Turn v3 probability computed once
   per pause (:func:`rtlab.eot.policy_probabilities`, cached on disk); the spans are then
   repeated until the audio they come from adds up to one hour (the decisions of an hour of
   real meetings and readings, with their real probabilities);
2. :func:`rtlab.eot.client_policies` on a 10 x 10 x 10 grid (threshold x action delay x
   timeout = 1,000 policies): wall time, median of ``--repeats``;
3. the per-policy Python loop over the same grid, :func:`rtlab.eot.evaluate_policy` once
   per policy (numpy over the spans inside), timed in the same run, and checked equal to
   the vectorised table row by row;
4. the ratio (goal: >= 50x).

Run: ``python benchmarks/bench_policies.py`` (a few seconds once the probabilities are cached).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

import rtlab
from rtlab import eot

THRESHOLDS = [round(0.1 * i, 1) for i in range(10)]
ACTION_DELAYS_MS = [float(v) for v in range(100, 1001, 100)]
TIMEOUTS_MS = [float(v) for v in range(500, 5001, 500)]


def hour_of_spans(target_s: float = 3600.0) -> tuple[pd.DataFrame, np.ndarray, float]:
    """Spans and probabilities of the shipped clips, repeated to cover ``target_s`` of audio."""
    clips = [c for c in rtlab.datasets.load_all() if c.truth.turns]
    spans = eot.silence_spans(clips)
    p = eot.policy_probabilities(clips, spans)
    audio_s = sum(c.duration_s for c in clips)
    copies = int(np.ceil(target_s / audio_s))
    tiled = pd.concat(
        [spans.assign(clip=spans["clip"] + f"#{k}") for k in range(copies)], ignore_index=True
    )
    return tiled, np.tile(p, copies), audio_s * copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    spans, p, audio_s = hour_of_spans()
    n_policies = len(THRESHOLDS) * len(ACTION_DELAYS_MS) * len(TIMEOUTS_MS)
    print(
        f"spans: {len(spans)} ({(spans['kind'] == 'hold').sum()} hold, "
        f"{(spans['kind'] == 'eot').sum()} eot) over {audio_s / 60:.1f} min of audio; "
        f"{n_policies} policies"
    )

    grid = {
        "thresholds": THRESHOLDS,
        "action_delays_ms": ACTION_DELAYS_MS,
        "timeouts_ms": TIMEOUTS_MS,
    }
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        table = eot.client_policies(spans, p, **grid)
        times.append(time.perf_counter() - start)
    vectorised_s = statistics.median(times)

    loop_times = []
    for _ in range(max(1, args.repeats // 2)):
        start = time.perf_counter()
        rows = [
            eot.evaluate_policy(spans, p, threshold=t, action_delay_ms=d, timeout_ms=o)
            for t in THRESHOLDS
            for d in ACTION_DELAYS_MS
            for o in TIMEOUTS_MS
        ]
        loop_times.append(time.perf_counter() - start)
    loop_s = statistics.median(loop_times)

    loop = pd.DataFrame(rows)
    for column in loop.columns:
        np.testing.assert_allclose(table[column].to_numpy(float), loop[column].to_numpy(float))

    print(f"vectorised client_policies: {vectorised_s * 1000:.1f} ms (median of {args.repeats})")
    print(f"per-policy loop (evaluate_policy): {loop_s * 1000:.1f} ms")
    print("tables equal: yes")
    print(f"ratio: {loop_s / vectorised_s:.0f}x (goal >= 50x)")


if __name__ == "__main__":
    main()
