"""The sweep's batched engine: many ``server_vad`` configurations on one clip, in array ops.

:func:`rtlab.sweep` sends here every ``server_vad`` configuration without an idle timeout
that is scored with the built-in metrics. For one clip, :func:`batch_turns` finds the turns
of hundreds of configurations at once, and :func:`batch_metrics` computes every metric of
:data:`rtlab.metrics.METRIC_NAMES` for all of them, with no event log and no Python loop over
turns or configurations.

The rules are not written twice: the engine calls the emulator's own pieces
(:mod:`rtlab._detection`: the speech / silence runs, where turns start and stop, the prefix
padding) and the metrics' own pieces (:mod:`rtlab._scoring`: the speech part of a detected
turn, the collars, the frame metrics from durations, where each stop falls among the true
turns, which detections hear speech) on the arrays of all configurations laid end to end.
What is its own is the bookkeeping that keeps the configurations apart (keys
``configuration * stride + frame``, per-configuration ``bincount``) and the measures that
exploit the emulator's turns being disjoint and in time order (speech time by cumulative
sums, the first detected turn overlapping each true turn by ``searchsorted``, per-group
quantiles). Its numbers equal ``metrics.score(detect(clip.audio, session), clip.truth)`` up
to floating-point rounding: ``tests/test_sweeps.py`` checks every cell, and
``benchmarks/bench_sweep.py`` checks it against the per-frame state machine.

Examples
--------
>>> import rtlab
>>> from rtlab import _detection, _scoring, _sweep_engine, datasets, metrics, turns, vad
>>> clip = datasets.load("ami-lhotse/ES2011a")
>>> scores = vad.score(clip.audio)
>>> sessions = [rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=ms))
...             for ms in (200, 500, 1000)]
>>> params = [_detection.Params(s.turn_detection, scores.hop_ms, turns.EmulatorOptions())
...           for s in sessions]
>>> values = _sweep_engine.batch_metrics(
...     scores, sessions, params, _scoring.prepare_truth(clip.truth),
...     collar_ms=0.0, hop_ms=None, tolerance_ms=metrics.TOLERANCE_MS)
>>> values["n_detected_turns"].tolist()
[2.0, 1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab import _detection, _scoring
from rtlab._spans import difference, measure_upto, snap, union

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.session import Session
    from rtlab.vad import FrameScores

__all__ = ["batch_metrics", "batch_turns"]


def batch_turns(
    scores: FrameScores, params: Sequence[Any], runs: dict[tuple[float, float], Any]
) -> dict[str, np.ndarray]:
    """The turns :func:`rtlab.detect` finds for many server_vad configurations (no idle timeout).

    The emulator's scheduler, vectorised over turns and configurations at once: each
    configuration's onsets and turn-ending pauses are laid end to end, keyed by
    ``config * stride + frame``, and :func:`rtlab._detection.turn_starts` finds, for every
    configuration, the first onset after each pause long enough to end a turn. Each
    configuration's pauses end with a sentinel after its last frame, so no turn runs on
    into the next configuration. Configurations sharing a threshold share the speech /
    silence runs (memoised in ``runs``, per (threshold, hysteresis)).

    Parameters
    ----------
    scores : FrameScores
        The clip's scores.
    params : sequence of rtlab._detection.Params
        One per configuration, all with the same hop, hysteresis and minimum speech.
    runs : dict
        The caller's memo of :func:`rtlab._detection.speech_silence_runs` for these scores.

    Returns
    -------
    dict of str to ndarray
        One entry per turn, ordered by configuration then time: ``cfg`` (index in
        ``params``), ``start_ms`` (``audio_start_ms``), ``emitted_ms`` (when
        ``speech_started`` is sent), ``stop_ms`` (``audio_end_ms`` of the stop, NaN if the
        turn is still open at the end) and ``closed``.
    """
    stride = int(scores.probabilities.size) + 2
    never = stride - 1  # the sentinel pause: after every frame
    onset_parts, onset_cfg, gap_parts, gap_cfg = [], [], [], []
    by_threshold: dict[float, list[int]] = {}
    for k, p in enumerate(params):
        by_threshold.setdefault(p.threshold, []).append(k)
    offset = params[0].offset
    m = params[0].min_frames
    for threshold, members in by_threshold.items():
        speech_starts, speech_lengths, silence_starts, silence_lengths = (
            _detection.speech_silence_runs(scores.probabilities, threshold, offset, runs)
        )
        onsets = speech_starts[speech_lengths >= m]
        idx = np.asarray(members, dtype=np.int64)
        onset_parts.append(np.tile(onsets, idx.size))
        onset_cfg.append(np.repeat(idx, onsets.size))
        need = np.asarray([params[k].silence_frames for k in members], dtype=np.int64)
        mask = np.ones((idx.size, silence_lengths.size + 1), dtype=bool)
        mask[:, :-1] = silence_lengths[None, :] >= need[:, None]
        starts = np.append(silence_starts, never)
        gap_parts.append(np.broadcast_to(starts, mask.shape)[mask])
        gap_cfg.append(np.broadcast_to(idx[:, None], mask.shape)[mask])
    onsets = np.concatenate(onset_parts)
    cfg_on = np.concatenate(onset_cfg)
    gaps = np.concatenate(gap_parts)
    cfg_gap = np.concatenate(gap_cfg)
    if not (_sorted(cfg_on) and _sorted(cfg_gap)):  # configurations not grouped by threshold
        order_on = np.lexsort((onsets, cfg_on))
        onsets, cfg_on = onsets[order_on], cfg_on[order_on]
        order_gap = np.lexsort((gaps, cfg_gap))
        gaps, cfg_gap = gaps[order_gap], cfg_gap[order_gap]
    first, segment = _detection.turn_starts(cfg_on * stride + onsets, cfg_gap * stride + gaps)
    onset, cfg = onsets[first], cfg_on[first]
    closed = gaps[segment] != never
    hop = params[0].hop_ms
    silence_frames = np.asarray([p.silence_frames for p in params], dtype=np.int64)
    prefix = np.asarray([p.prefix_ms for p in params], dtype=np.float64)
    stop_ms = np.full(onset.size, np.nan)
    stop_ms[closed] = np.round((gaps[segment[closed]] + silence_frames[cfg[closed]]) * hop)
    committed = np.concatenate([[0.0], stop_ms[:-1]])  # end of the audio already committed
    new_cfg = np.ones(onset.size, dtype=bool)
    new_cfg[1:] = cfg[1:] != cfg[:-1]
    committed[new_cfg] = 0.0
    return {
        "cfg": cfg,
        "start_ms": _detection.audio_start_ms(np.round(onset * hop), prefix[cfg], committed),
        "emitted_ms": np.round((onset + m) * hop),
        "stop_ms": stop_ms,
        "closed": closed,
    }


def batch_metrics(
    scores: FrameScores,
    sessions: Sequence[Session],
    params: Sequence[Any],
    truth: Any,
    *,
    collar_ms: float,
    hop_ms: float | None,
    tolerance_ms: float,
    runs: dict[tuple[float, float], Any] | None = None,
) -> dict[str, np.ndarray]:
    """Every metric of :data:`rtlab.metrics.METRIC_NAMES` for many server_vad configurations.

    Parameters
    ----------
    scores : FrameScores
        The clip's scores.
    sessions : sequence of Session
        The configurations (server_vad, no idle timeout).
    params : sequence of rtlab._detection.Params
        Their parameters on these scores, as for :func:`batch_turns`.
    truth : rtlab._scoring.Truth
        The clip's prepared ground truth.
    collar_ms, hop_ms, tolerance_ms
        As for :func:`rtlab.metrics.score`.
    runs : dict, optional
        Memo of speech / silence runs shared between calls on the same scores.

    Returns
    -------
    dict of str to ndarray
        One array per metric name, one value per configuration; equal to
        ``metrics.score(detect(...))`` up to floating-point rounding.
    """
    n_cfg = len(sessions)
    duration = float(scores.duration_ms)
    t = batch_turns(scores, params, {} if runs is None else runs)
    cfg, start, closed = t["cfg"], t["start_ms"], t["closed"]
    padding = np.empty(n_cfg)
    silence = np.empty(n_cfg)
    for k, session in enumerate(sessions):
        padding[k], silence[k] = _scoring.padding_ms(session)
    _, onset, speech_end = _scoring.speech_parts(
        start, t["emitted_ms"], t["stop_ms"], padding[cfg], silence[cfg], duration, emulated=True
    )
    n_detected = np.bincount(cfg, minlength=n_cfg).astype(np.float64)
    out: dict[str, np.ndarray] = {"n_detected_turns": n_detected}
    if not truth.known:
        for name in _scoring.METRIC_NAMES:
            out.setdefault(name, np.full(n_cfg, np.nan))
        return out

    # frame level: the detected turns of one configuration are disjoint and in time order,
    # so the speech time each one covers is a difference of cumulative sums
    reference = union(snap(np.clip(truth.speech_ms, 0.0, duration), hop_ms))
    collars = _scoring.collars(reference, collar_ms, hop_ms)
    evaluated = difference(reference, collars)
    hyp = snap(np.clip(np.stack([onset, speech_end], axis=1), 0.0, duration), hop_ms)
    if not len(hyp):
        hyp = np.empty((0, 2))
    a, b = hyp[:, 0], hyp[:, 1]
    length = np.maximum(b - a, 0.0) - (measure_upto(collars, b) - measure_upto(collars, a))
    correct_each = measure_upto(evaluated, b) - measure_upto(evaluated, a)
    detected = np.bincount(cfg, weights=length, minlength=n_cfg)
    correct = np.bincount(cfg, weights=correct_each, minlength=n_cfg)
    true = float(np.sum(evaluated[:, 1] - evaluated[:, 0])) if len(evaluated) else 0.0
    false_alarm = np.maximum(detected - correct, 0.0)
    missed_speech = np.maximum(true - correct, 0.0)
    out |= _scoring.frame_values(np.full(n_cfg, true), false_alarm, missed_speech)

    # turn level
    turns_ms = truth.turns_ms
    n_true = len(turns_ms)
    t_start, t_end = turns_ms[:, 0], turns_ms[:, 1]
    stops = t["stop_ms"][closed]
    cfg_stop = cfg[closed]
    owner, is_cut, is_end = _scoring.place_stops(
        stops, onset[closed], turns_ms, duration, tolerance_ms
    )
    false_cutoffs = np.bincount(cfg_stop[is_cut], minlength=n_cfg).astype(np.float64)
    width = max(n_true, 1)
    cut_pairs = cfg_stop[is_cut] * width + owner[is_cut]  # sorted: by config, then time
    cut_turns = np.bincount(cut_pairs[_firsts(cut_pairs)] // width, minlength=n_cfg).astype(
        np.float64
    )
    end_index = np.flatnonzero(is_end)
    end_pairs = cfg_stop[end_index] * width + owner[end_index]
    chosen = end_index[_firsts(end_pairs)]  # the first candidate stop of each true turn
    latency = stops[chosen] - t_end[owner[chosen]] if n_true else np.empty(0)
    lat_median, lat_p90 = _group_quantiles(latency, cfg_stop[chosen], n_cfg)
    scored = _scoring.scored_ends(turns_ms, duration)
    n_scored = float(np.count_nonzero(scored))
    found_ends = np.bincount(cfg_stop[chosen][scored[owner[chosen]]], minlength=n_cfg)
    missed_ends = n_scored - found_ends.astype(np.float64)
    # the first detected turn (in time order) whose speech part overlaps each true turn:
    # each detected turn overlaps a run of true turns [lo, hi]; both ends only grow with time
    lo = np.searchsorted(t_end, onset, side="left")  # first true turn ending at or after it
    hi = np.searchsorted(t_start, speech_end, side="right") - 1  # last starting before its end
    stride = n_true + 1
    q_cfg = np.repeat(np.arange(n_cfg, dtype=np.int64), n_true)
    q_turn = np.tile(np.arange(n_true, dtype=np.int64), n_cfg)
    first = np.searchsorted(cfg * stride + hi, q_cfg * stride + q_turn, side="left")
    in_cfg = first < cfg.size
    in_cfg[in_cfg] = cfg[first[in_cfg]] == q_cfg[in_cfg]
    found = in_cfg
    found[found] = lo[first[found]] <= q_turn[found]
    clipped_each = np.maximum(0.0, start[first[found]] - t_start[q_turn[found]])
    n_found = np.bincount(q_cfg[found], minlength=n_cfg).astype(np.float64)
    clip_sum = np.bincount(q_cfg[found], weights=clipped_each, minlength=n_cfg)
    clip_count = np.bincount(q_cfg[found][clipped_each > 0], minlength=n_cfg).astype(np.float64)
    hears = _scoring.hears_speech(onset, speech_end, truth.speech_ms)
    false_turns = np.bincount(cfg[~hears], minlength=n_cfg).astype(np.float64)
    missed = n_true - n_found
    with np.errstate(invalid="ignore", divide="ignore"):
        out |= {
            "false_cutoff_rate": cut_turns / n_true if n_true else np.full(n_cfg, np.nan),
            "false_cutoffs": false_cutoffs,
            "missed_turn_rate": missed / n_true if n_true else np.full(n_cfg, np.nan),
            "missed_turns": missed,
            "false_turns": false_turns,
            "n_true_turns": np.full(n_cfg, float(n_true)),
            "n_true_ends": np.full(n_cfg, n_scored),
            "missed_ends": missed_ends,
            "missed_end_rate": missed_ends / n_scored if n_scored else np.full(n_cfg, np.nan),
            "latency_ms_median": lat_median,
            "latency_ms_p90": lat_p90,
            "onset_clipping_ms_mean": np.where(n_found > 0, clip_sum / n_found, np.nan),
            "onset_clipped_rate": np.where(n_found > 0, clip_count / n_found, np.nan),
            # the emulator commits when speech stops: time to commit = latency
            "time_to_commit_ms_median": lat_median.copy(),
        }
    return out


def _group_quantiles(
    values: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-group median and 90th percentile (numpy's linear method), NaN for empty groups."""
    median = np.full(n_groups, np.nan)
    p90 = np.full(n_groups, np.nan)
    if not len(values):
        return median, p90
    order = np.lexsort((values, group))
    v, g = values[order], group[order]
    counts = np.bincount(g, minlength=n_groups)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    c, off = counts[has], offsets[has]
    mid = off + (c - 1) // 2
    even = c % 2 == 0
    median[has] = np.where(even, (v[mid] + v[np.minimum(mid + 1, len(v) - 1)]) / 2, v[mid])
    virtual = 0.9 * (c - 1)
    below = np.floor(virtual).astype(np.int64)
    gamma = virtual - below
    a = v[off + below]
    b = v[off + np.minimum(below + 1, c - 1)]
    p90[has] = np.where(gamma >= 0.5, b - (b - a) * (1 - gamma), a + (b - a) * gamma)
    return median, p90


def _firsts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values in a sorted array starts."""
    out = np.ones(values.size, dtype=bool)
    out[1:] = values[1:] != values[:-1]
    return out


def _sorted(values: np.ndarray) -> bool:
    return bool(values.size < 2 or np.all(values[1:] >= values[:-1]))
