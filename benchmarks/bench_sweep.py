"""Benchmark: 1,000 turn-detection configurations over an hour of real (composed) speech.

What it measures, all in one run on this machine:

1. the audio: 12 conversations of 5 minutes composed from the shipped real utterances
   (:func:`rtlab.datasets.conversation`), and the time Silero takes to score them (the
   scores are cached on disk, so later runs read them back);
2. :func:`rtlab.sweep` of a 10 × 10 × 10 grid (threshold × silence_duration_ms ×
   prefix_padding_ms = 1,000 configurations) over that hour, in this process: wall time
   (median of ``--repeats``) and configurations per second;
3. the straightforward way, for comparison: per configuration, the per-frame state machine
   (:class:`rtlab.turns.Detector` ``.feed_scores``) on every clip, then
   :func:`rtlab.metrics.score` on each event log. It is timed on ``--baseline-configs``
   configurations spread over the grid and extrapolated to 1,000 (it would take minutes);
   its numbers are checked against the sweep's rows. The same is timed with the vectorised
   :func:`rtlab.detect` per configuration, as a middle reference;
4. the same sweep on a Dask ``LocalCluster`` (2 worker processes, 1 thread each) and with
   ``n_jobs=2`` local processes, checked identical to the local table;
5. the real finding: the same grid on the shipped real clips with timed annotations; the
   API-default ``server_vad`` against the configuration :func:`rtlab.recommend` picks at a
   few latency budgets; plots written to ``--out``.

Run: ``python benchmarks/bench_sweep.py`` (about a minute once the scores are cached).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import rtlab
from rtlab import datasets, metrics, plot, vad
from rtlab._io import atomic_write
from rtlab.sweeps import ParameterGrid, recommend, session_for, summarize, sweep
from rtlab.turns import Detector, detect

GRID = {
    "threshold": [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8],
    "silence_duration_ms": [100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200],
    "prefix_padding_ms": [0, 100, 200, 300, 400, 500, 600, 700, 800, 1000],
}
BUDGETS_MS = (700.0, 1000.0, 1500.0)
SHOWN = [
    "false_cutoff_rate",
    "false_cutoffs",
    "n_true_turns",
    "latency_ms_median",
    "latency_ms_p90",
    "missed_turn_rate",
    "false_turns",
    "onset_clipped_rate",
    "f1",
]


def timed(fn, repeats):
    """Median wall time of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def baseline_config(clips, scores, session):
    """The straightforward way: the per-frame state machine, then metrics.score, per clip."""
    rows = []
    for clip, s in zip(clips, scores, strict=True):
        detector = Detector(session)
        detector.feed_scores(s.probabilities, hop_ms=s.hop_ms)
        log = rtlab.events.EventLog(
            detector.log.events, detector.log.emitted_ms, session=session, duration_ms=s.duration_ms
        )
        rows.append(metrics.score(log, clip.truth).to_numpy())
    return rows


def detect_config(clips, scores, session):
    """The vectorised emulator, one configuration at a time, then metrics.score."""
    return [
        metrics.score(detect(s, session), clip.truth).to_numpy()
        for clip, s in zip(clips, scores, strict=True)
    ]


def describe(row):
    return (
        f"threshold {row['param_turn_detection.threshold']:.2f}, "
        f"silence {row['param_turn_detection.silence_duration_ms']:.0f} ms, "
        f"prefix {row['param_turn_detection.prefix_padding_ms']:.0f} ms"
    )


def finding(table, label, out):
    """Default vs recommended configurations on one sweep table; returns the numbers."""
    summary = summarize(table)
    default = summary[summary["is_default"]].iloc[0]
    numbers = {"default": {name: float(default[name]) for name in SHOWN}}
    print(f"\n== real finding: {label}")
    header = ("configuration", "cut-off rate", "latency med/p90 ms", "missed", "false", "clipped")
    print("   {:70s} {:>12s} {:>19s} {:>7s} {:>6s} {:>8s}".format(*header))

    def line(name, row):
        print(
            f"   {name:70s} {row['false_cutoff_rate']:11.1%}  "
            f"{row['latency_ms_median']:8.0f} / {row['latency_ms_p90']:5.0f}   "
            f"{row['missed_turn_rate']:6.1%} {row['false_turns']:6.0f} "
            f"{row['onset_clipped_rate']:8.1%}"
        )

    line(f"API defaults ({describe(default)})", default)
    print("   (best = rtlab.recommend: lowest cut-off rate within the budget, missing no more")
    print("    turns than the defaults)")
    budgets = [float(default["latency_ms_median"]), *BUDGETS_MS]
    for budget in budgets:
        try:
            best = recommend(table, max_latency_ms=budget)
        except rtlab.ConfigError as err:
            print(f"   best within {budget:.0f} ms: none ({err})")
            continue
        detection = best.turn_detection
        match = summary[
            (summary["param_turn_detection.threshold"] == detection.threshold)
            & (summary["param_turn_detection.silence_duration_ms"] == detection.silence_duration_ms)
            & (summary["param_turn_detection.prefix_padding_ms"] == detection.prefix_padding_ms)
        ].iloc[0]
        line(f"best within {budget:.0f} ms ({describe(match)})", match)
        numbers[f"best_within_{budget:.0f}ms"] = {
            "params": {k: float(match[k]) for k in match.index if k.startswith("param_")},
            **{name: float(match[name]) for name in SHOWN},
        }
    if out is not None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(13, 5), layout="constrained")
        left, right = fig.subplots(1, 2)
        plot.tradeoff(table, max_latency_ms=1000.0, ax=left)
        plot.pareto_front(table, ax=right, label_front=False)
        fig.suptitle(f"server_vad sweep, 1,000 configurations: {label}")
        path = out / f"finding_{label.split()[0]}.png"
        with atomic_write(path, "wb") as handle:
            fig.savefig(handle, format="png", dpi=110)
        print(f"   plot: {path}")
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="composed audio, minutes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-configs", type=int, default=20)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument(
        "--out", default="out/bench_sweep", help="folder for plots and results.json"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    n_configs = len(ParameterGrid(GRID))

    # 1. an hour of real speech -------------------------------------------------------------
    n_tracks = max(1, round(args.minutes / 5))
    start = time.perf_counter()
    clips = [datasets.conversation(args.minutes / n_tracks, seed=seed) for seed in range(n_tracks)]
    compose_s = time.perf_counter() - start
    hours = sum(c.duration_s for c in clips) / 3600
    turns = sum(len(c.truth.turns) for c in clips)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared)")
    print(
        f"== audio: {len(clips)} composed conversations, {hours * 60:.1f} min of real speech, "
        f"{turns} true turns (composed in {compose_s:.1f} s)"
    )
    cached_before = len(list(vad.cache_dir().glob("*")))
    start = time.perf_counter()
    scores = vad.score_many([c.audio for c in clips], progress=True)
    score_s = time.perf_counter() - start
    computed = len(list(vad.cache_dir().glob("*"))) - cached_before
    how = f"Silero ran on {computed} tracks" if computed else "read from the score cache"
    print(f"   scoring: {score_s:.1f} s ({how}; {sum(s.n_frames for s in scores)} frames of 32 ms)")
    results["audio"] = {
        "tracks": len(clips),
        "hours": hours,
        "true_turns": turns,
        "scoring_s": score_s,
        "silero_tracks_computed": computed,
    }

    # 2. the sweep ---------------------------------------------------------------------------
    sweep(clips[:1], {"threshold": [0.5]}, progress=False)  # warm imports
    local_s, local_times, table = timed(lambda: sweep(clips, GRID, progress=False), args.repeats)
    print(
        f"\n== sweep, this process: {n_configs} configurations x {len(clips)} tracks "
        f"({len(table)} rows): {local_s:.2f} s median of {args.repeats} "
        f"({', '.join(f'{t:.2f}' for t in local_times)}), "
        f"{n_configs / local_s:,.0f} configurations/s, "
        f"{n_configs * hours / local_s:,.0f} configuration-hours of audio per second"
    )
    results["sweep_local"] = {
        "seconds_median": local_s,
        "seconds": local_times,
        "configs_per_s": n_configs / local_s,
    }

    # 3. the straightforward way ---------------------------------------------------------------
    picks = np.linspace(0, n_configs - 1, args.baseline_configs).round().astype(int)
    sessions = [session_for(table, int(i)) for i in picks]
    start = time.perf_counter()
    per_frame = [baseline_config(clips, scores, s) for s in sessions]
    loop_s = (time.perf_counter() - start) / len(sessions)
    start = time.perf_counter()
    per_detect = [detect_config(clips, scores, s) for s in sessions]
    detect_s = (time.perf_counter() - start) / len(sessions)
    mismatch = 0
    for i, rows_a, rows_b in zip(picks, per_frame, per_detect, strict=True):
        ours = table[table["config_id"] == i][list(metrics.METRIC_NAMES)].to_numpy(dtype=float)
        for a, b, c in zip(rows_a, rows_b, ours, strict=True):
            same = np.allclose(a, c, rtol=1e-9, atol=1e-9, equal_nan=True)
            mismatch += not (same and np.allclose(b, c, rtol=1e-9, atol=1e-9, equal_nan=True))
    print(
        f"\n== per-configuration per-frame loop (Detector.feed_scores + metrics.score on every "
        f"track), timed on {len(sessions)} configurations and extrapolated to {n_configs}:"
    )
    print(
        f"   {loop_s * 1000:.1f} ms per configuration -> {loop_s * n_configs:.1f} s for "
        f"{n_configs}; the sweep is {loop_s * n_configs / local_s:.0f}x faster (goal >= 50x)"
    )
    print(
        f"   (vectorised detect() one configuration at a time + metrics.score: "
        f"{detect_s * 1000:.1f} ms per configuration -> {detect_s * n_configs:.1f} s, "
        f"sweep {detect_s * n_configs / local_s:.0f}x faster)"
    )
    print(
        f"   of the {len(sessions) * len(clips)} cells computed both ways, differing from the "
        f"sweep's rows: {mismatch}"
    )
    results["baseline"] = {
        "per_frame_ms_per_config": loop_s * 1000,
        "detect_ms_per_config": detect_s * 1000,
        "speedup_vs_per_frame": loop_s * n_configs / local_s,
        "speedup_vs_detect": detect_s * n_configs / local_s,
        "cells_checked": len(sessions) * len(clips),
        "cells_differing": mismatch,
    }

    # 4. Dask and local processes ----------------------------------------------------------------
    if not args.no_dask:
        from distributed import Client, LocalCluster

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            start = time.perf_counter()
            with (
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                up_s = time.perf_counter() - start
                dask_s, dask_times, remote = timed(
                    lambda: sweep(clips, GRID, scheduler=client, progress=False), args.repeats
                )
        same = remote.equals(table)
        print(f"\n   load average now {os.getloadavg()[0]:.1f}")
        print(
            f"== Dask LocalCluster (2 processes x 1 thread, started in {up_s:.1f} s): "
            f"{dask_s:.2f} s median ({', '.join(f'{t:.2f}' for t in dask_times)}); "
            f"local / Dask = {local_s / dask_s:.2f}; table identical to the local one: {same}"
        )
        procs_s, _, procs = timed(lambda: sweep(clips, GRID, n_jobs=2, progress=False), 1)
        print(
            f"   n_jobs=2 local processes (spawned per call): {procs_s:.2f} s; "
            f"identical: {procs.equals(table)}"
        )
        results["dask"] = {
            "seconds_median": dask_s,
            "seconds": dask_times,
            "identical": bool(same),
            "local_over_dask": local_s / dask_s,
            "cluster_start_s": up_s,
            "n_jobs_2_seconds": procs_s,
            "n_jobs_2_identical": bool(procs.equals(table)),
        }

    # 5. the real finding ------------------------------------------------------------------------
    real = [c for c in datasets.load_all("*") if c.truth.speech_known]
    real_table = sweep(real, GRID, progress=False)
    minutes = sum(c.duration_s for c in real) / 60
    results["finding_shipped"] = finding(
        real_table, f"shipped real clips ({len(real)} clips, {minutes:.1f} min)", out
    )
    results["finding_composed"] = finding(table, f"composed hour ({hours * 60:.0f} min)", out)
    with atomic_write(out / "results.json") as handle:
        json.dump(results, handle, indent=2)
    print(f"\nnumbers written to {out / 'results.json'}")


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
