"""How detected turns are measured: the parts :mod:`rtlab.metrics` and the sweep share.

The log's turns and the truth as arrays (:class:`Detections`, :class:`Truth`), the speech
part of a detected turn, the collars, the frame metrics from durations, where each
``speech_stopped`` falls among the true turns, which detections hear speech, and every
metric of :data:`METRIC_NAMES` as a dict (:func:`score_values`). :mod:`rtlab.metrics`
checks its inputs and calls these; :mod:`rtlab._sweep_engine` calls the same pieces on the
turns of many configurations at once. Inputs are trusted. The definitions are in the
docstring of :mod:`rtlab.metrics`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab import _check
from rtlab._spans import inside, snap, union
from rtlab.annotation import MIN_TURN_GAP_MS
from rtlab.errors import ConfigError
from rtlab.events import read_turns

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.annotation import Annotation
    from rtlab.events import EventLog
    from rtlab.session import Session

#: Frame-level metric names, in the order :func:`score` returns them.
FRAME_METRICS = (
    "precision",
    "recall",
    "f1",
    "detection_error_rate",
    "true_speech_ms",
    "false_alarm_ms",
    "missed_speech_ms",
)
#: Turn-level metric names, in the order :func:`score` returns them.
TURN_METRICS = (
    "false_cutoff_rate",
    "false_cutoffs",
    "missed_turn_rate",
    "missed_turns",
    "false_turns",
    "n_true_turns",
    "n_detected_turns",
    "n_true_ends",
    "missed_ends",
    "missed_end_rate",
    "latency_ms_median",
    "latency_ms_p90",
    "onset_clipping_ms_mean",
    "onset_clipped_rate",
    "time_to_commit_ms_median",
)
#: Every name :func:`score` returns.
METRIC_NAMES = FRAME_METRICS + TURN_METRICS

#: Default tolerance (ms) before a true turn's end within which a stop is not a cut-off.
TOLERANCE_MS = 200.0
#: Silence (ms) a true turn end must be followed by to count as found or missed: eot-bench's
#: shortest scored silence span (``--min-silence-span 0.1``).
MIN_END_SILENCE_MS = 100.0

# parsed inputs


@dataclass(frozen=True)
class Detections:
    """The turns of one log as arrays (ms), in order of their ``speech_started``."""

    item_ids: tuple[Any, ...]
    start_ms: np.ndarray  # audio_start_ms (buffer start, padding included)
    end_ms: np.ndarray  # audio_end_ms of the stop (end of audio if it never stopped)
    speech_start_ms: np.ndarray  # speech part
    speech_end_ms: np.ndarray
    stop_ms: np.ndarray  # every speech_stopped audio_end_ms, sorted
    stop_items: tuple[Any, ...]
    stop_commit_ms: np.ndarray  # emitted_ms of the committed event of each stop's item (NaN)
    stop_onset_ms: np.ndarray  # speech onset of the detected turn each stop ends (NaN: unknown)


@dataclass(frozen=True)
class Truth:
    """The annotation as arrays (ms), prepared once per clip."""

    known: bool
    speech_ms: np.ndarray  # (n, 2) union of true speech
    turns_ms: np.ndarray  # (m, 2) true turns sorted by start, ends ascending (a hand-over
    # may overlap the next turn's start)
    duration_ms: float | None


def padding_ms(session: Session | None) -> tuple[float, float]:
    """(prefix padding, silence duration) a session's detector adds around speech, in ms."""
    detection = session.turn_detection if session is not None else None
    if detection is not None and detection.type == "server_vad":
        return float(detection.prefix_padding_ms), float(detection.silence_duration_ms)
    return 0.0, 0.0


def build_detections(
    items: Sequence[Any],
    start_ms: np.ndarray,
    started_at_ms: np.ndarray,
    stopped_ms: np.ndarray,
    stop_ms: np.ndarray,
    stop_items: Sequence[Any],
    stop_commit_ms: np.ndarray,
    *,
    padding_ms: float,
    silence_ms: float,
    duration_ms: float | None,
    emulated: bool,
) -> Detections:
    """Detected turns from arrays (one entry per speech_started; NaN = never stopped)."""
    end, onset, speech_end = speech_parts(
        start_ms, started_at_ms, stopped_ms, padding_ms, silence_ms, duration_ms, emulated=emulated
    )
    index: dict[Any, int] = {}  # first speech_started position of each item id
    for k, item in enumerate(items):
        index.setdefault(item, k)
    stop_onset = np.asarray(
        [onset[index[item]] if item in index else math.nan for item in stop_items], dtype=np.float64
    )
    return Detections(
        item_ids=tuple(items),
        start_ms=start_ms,
        end_ms=end,
        speech_start_ms=onset,
        speech_end_ms=speech_end,
        stop_ms=stop_ms,
        stop_items=tuple(stop_items),
        stop_commit_ms=stop_commit_ms,
        stop_onset_ms=stop_onset,
    )


def speech_parts(
    start_ms: np.ndarray,
    started_at_ms: np.ndarray,
    stopped_ms: np.ndarray,
    padding_ms: float | np.ndarray,
    silence_ms: float | np.ndarray,
    open_end_ms: float | None,
    *,
    emulated: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(end_ms, speech_start_ms, speech_end_ms)`` of detected turns (the module docstring).

    One entry per turn: its ``audio_start_ms``, when its ``speech_started`` was emitted, and
    its stop's ``audio_end_ms`` (NaN: never stopped, it runs to ``open_end_ms``, or for ever
    when that is None). ``padding_ms`` and ``silence_ms`` are one number or one per turn.
    """
    closed = np.isfinite(stopped_ms)
    end = np.where(closed, stopped_ms, math.inf if open_end_ms is None else open_end_ms)
    onset = start_ms + padding_ms
    if emulated:
        # the padding may have been clipped (at 0, or at the previous commit): the onset
        # cannot be later than when speech_started was sent
        onset = np.where(np.greater(padding_ms, 0), np.minimum(onset, started_at_ms), onset)
    speech_end = np.maximum(np.where(closed, end - silence_ms, end), onset)
    return end, onset, speech_end


def detections(log: EventLog, truth: Truth) -> tuple[Detections, float | None]:
    """The log's detected turns, and the audio length (ms) they are compared over (or None)."""
    duration = log_duration_ms(log, truth)
    read = read_turns(log.events, log.emitted_ms)
    started = [turn for turn in read.turns if turn.started]
    items = [turn.item_id for turn in started]
    starts = [turn.start_ms for turn in started]
    stop_list = read.stops
    commit_of = {turn.item_id: turn.committed_at_ms for turn in read.turns}
    padding, silence = padding_ms(log.session)
    open_end_ms = duration
    if open_end_ms is None:
        # no length known: an open turn ends with the last thing the log saw
        seen = [*log.emitted_ms, *starts, *(t for t, _ in stop_list)]
        open_end_ms = max(seen) if seen else None
    detections = build_detections(
        items,
        np.asarray(starts, dtype=np.float64),
        np.asarray([turn.started_at_ms for turn in started], dtype=np.float64),
        np.asarray([turn.end_ms for turn in started], dtype=np.float64),
        np.asarray([t for t, _ in stop_list], dtype=np.float64),
        [item for _, item in stop_list],
        np.asarray([commit_of.get(item, math.nan) for _, item in stop_list], dtype=np.float64),
        padding_ms=padding,
        silence_ms=silence,
        duration_ms=open_end_ms,
        emulated=log.source == "emulator",
    )
    return detections, duration


def true_turns_s(truth: Annotation, min_turn_gap_ms: float) -> np.ndarray:
    """:func:`rtlab.metrics.truth_turns` on a checked ``min_turn_gap_ms``."""
    if not getattr(truth, "speech_known", True):
        return np.empty((0, 2), dtype=np.float64)
    if len({t.speaker for t in truth.turns if t.speaker is not None}) > 1:
        turns = [(t.start_s, t.end_s) for t in truth.speaker_turns()]
        return np.asarray(sorted(turns), dtype=np.float64).reshape(-1, 2)
    turns = sorted((t.start_s, t.end_s) for t in truth.turns)
    overlapping = any(b[0] < a[1] for a, b in itertools.pairwise(turns))
    if not turns or overlapping:
        turns = [(t.start_s, t.end_s) for t in truth.floor_turns(min_turn_gap_ms)]
    return np.asarray(turns, dtype=np.float64).reshape(-1, 2)


def prepare_truth(truth: Annotation, *, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> Truth:
    duration = truth.duration_s * 1000.0 if truth.duration_s is not None else None
    known = bool(getattr(truth, "speech_known", True))
    speech = np.asarray(truth.speech, dtype=np.float64).reshape(-1, 2) * 1000.0
    turns = true_turns_s(truth, min_turn_gap_ms) * 1000.0
    return Truth(known=known, speech_ms=speech, turns_ms=turns, duration_ms=duration)


def log_duration_ms(log: EventLog, truth: Truth) -> float | None:
    if log.duration_ms is not None:
        return float(log.duration_ms)
    return truth.duration_ms


# --------------------------------------------------------------------------------------
# frame metrics


def durations(
    reference: np.ndarray, hypothesis: np.ndarray, collar_ms: float, hop_ms: float | None
) -> tuple[float, float, float]:
    """(true speech, false alarm, missed speech) in ms over the evaluated time."""
    reference = union(snap(reference, hop_ms))
    hypothesis = union(snap(hypothesis, hop_ms))
    left_out = collars(reference, collar_ms, hop_ms)
    cuts = np.unique(np.concatenate([reference.ravel(), hypothesis.ravel(), left_out.ravel()]))
    if len(cuts) < 2:
        return 0.0, 0.0, 0.0
    length = np.diff(cuts)
    middle = cuts[:-1] + length / 2
    keep = ~inside(middle, left_out)
    in_ref = inside(middle, reference) & keep
    in_hyp = inside(middle, hypothesis) & keep
    true = float(length[in_ref].sum())
    false_alarm = float(length[in_hyp & ~in_ref].sum())
    missed = float(length[in_ref & ~in_hyp].sum())
    return true, false_alarm, missed


def collars(reference: np.ndarray, collar_ms: float, hop_ms: float | None) -> np.ndarray:
    """What the evaluation leaves out: ``collar_ms / 2`` each side of every speech boundary.

    ``reference``: the true speech, already on the frame grid (:func:`rtlab._spans.snap`).
    """
    if not (collar_ms > 0 and len(reference)):
        return np.empty((0, 2))
    edges = reference.reshape(-1)
    around = np.stack([edges - collar_ms / 2, edges + collar_ms / 2], axis=1)
    return union(snap(around, hop_ms))


def frame_values(true: Any, false_alarm: Any, missed: Any) -> dict[str, np.ndarray]:
    """The frame metrics from the three durations (numbers, or arrays of one per row).

    pyannote.metrics' conventions where a denominator is 0 (see the module docstring).
    """
    true, false_alarm, missed = (
        np.asarray(v, dtype=np.float64) for v in (true, false_alarm, missed)
    )
    correct = true - missed
    detected = correct + false_alarm
    errors = false_alarm + missed
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(detected > 0, correct / detected, 1.0)
        recall = np.where(true > 0, correct / true, 1.0)
        total = precision + recall
        f1 = np.where(total > 0, 2 * precision * recall / total, 0.0)
        error_rate = np.where(true > 0, errors / true, np.where(errors == 0, 0.0, 1.0))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "detection_error_rate": error_rate,
        "true_speech_ms": true,
        "false_alarm_ms": false_alarm,
        "missed_speech_ms": missed,
    }


def frame_dict(
    det: Detections, truth: Truth, duration: float | None, collar_ms: float, hop_ms: float | None
) -> dict[str, float]:
    if not truth.known:
        return dict.fromkeys(FRAME_METRICS, math.nan)
    hypothesis = np.stack([det.speech_start_ms, det.speech_end_ms], axis=1).reshape(-1, 2)
    reference = truth.speech_ms
    if duration is not None:
        hypothesis = np.clip(hypothesis, 0.0, duration)
        reference = np.clip(reference, 0.0, duration)
    hypothesis = hypothesis[np.all(np.isfinite(hypothesis), axis=1)]
    values = frame_values(*durations(reference, hypothesis, collar_ms, hop_ms))
    return {name: float(value) for name, value in values.items()}


# --------------------------------------------------------------------------------------
# turn matching


@dataclass(frozen=True)
class TurnMatch:
    """Per true turn and per stop: what happened (all arrays aligned with turns or stops)."""

    turns_ms: np.ndarray
    cutoff_turn: np.ndarray  # per stop: index of the turn it cut, or -1
    cutoffs: np.ndarray  # per turn: number of false cut-offs
    end_stop: np.ndarray  # per turn: index of its end-detection stop, or -1
    latency_ms: np.ndarray  # per turn (NaN without end detection)
    commit_ms: np.ndarray  # per turn: commit time - true end (NaN)
    missed: np.ndarray  # per turn: bool
    missed_end: np.ndarray  # per turn: a scored end with no end detection
    first_detection: np.ndarray  # per turn: index of the first detected turn overlapping it, or -1
    onset_ms: np.ndarray  # per turn: speech lost before audio_start_ms (NaN if missed)
    false_turn: np.ndarray  # per detected turn: bool


def place_stops(
    stops_ms: np.ndarray,
    onset_ms: np.ndarray,
    turns_ms: np.ndarray,
    duration_ms: float | None,
    tolerance_ms: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each ``speech_stopped`` against the true turns: ``(owner, is_cut, is_end)``.

    ``stops_ms``: the stops' ``audio_end_ms``; ``onset_ms``: the speech onset of the
    detected turn each one ends (NaN: unknown); ``turns_ms``: true turns sorted by start,
    ends ascending (a hand-over may overlap the next turn's start). A stop in a turn's *end
    window* -- from ``end - tolerance`` to the next turn's start, or ``end + tolerance``
    when the next speaker took the floor before this one stopped (or the end of the audio)
    -- that ends a detected turn which began before the true end, is a candidate end
    detection of that turn (``is_end``; ``owner`` = that turn). Otherwise ``owner`` is the
    last true turn that began before the stop (-1: none) and ``is_cut`` says whether the
    stop fell inside it, more than ``tolerance`` before its end. Element by element, so
    stops of many configurations can be placed at once.
    """
    n = len(turns_ms)
    stops_ms = np.asarray(stops_ms, dtype=np.float64)
    if not n:
        none = np.full(stops_ms.size, -1, dtype=np.int64)
        return none, np.zeros(stops_ms.size, dtype=bool), np.zeros(stops_ms.size, dtype=bool)
    starts, ends = turns_ms[:, 0], turns_ms[:, 1]
    last = math.inf if duration_ms is None else max(duration_ms, ends[-1])
    window_end = np.maximum(np.append(starts[1:], last), ends + tolerance_ms)
    # end detection: the last turn whose window has opened
    ender = np.searchsorted(ends - tolerance_ms, stops_ms, side="right") - 1
    safe_ender = np.maximum(ender, 0)
    is_end = (ender >= 0) & (stops_ms <= window_end[safe_ender])
    is_end &= ~(onset_ms > ends[safe_ender])
    # otherwise: inside the turn that began last
    inner = np.searchsorted(starts, stops_ms, side="left") - 1
    is_cut = ~is_end & (inner >= 0) & (stops_ms < ends[np.maximum(inner, 0)] - tolerance_ms)
    owner = np.where(is_end, ender, inner)
    return owner, is_cut, is_end


def scored_ends(turns_ms: np.ndarray, duration_ms: float | None) -> np.ndarray:
    """Which true turn ends count as found or missed (one bool per turn).

    An end followed by at least :data:`MIN_END_SILENCE_MS` of silence before the next turn
    starts (or the audio ends; unknown length: always), as eot-bench scores only silences
    of at least 100 ms. An overlapped hand-over leaves no silence in which to end the turn:
    a stop in its end window still counts as its end detection, but none is owed.
    """
    if not len(turns_ms):
        return np.zeros(0, dtype=bool)
    last = math.inf if duration_ms is None else duration_ms
    following = np.append(turns_ms[1:, 0], last)
    return following - turns_ms[:, 1] >= MIN_END_SILENCE_MS


def hears_speech(start_ms: np.ndarray, end_ms: np.ndarray, speech_ms: np.ndarray) -> np.ndarray:
    """Whether each detected speech part ``[start, end]`` overlaps the true speech."""
    if not len(speech_ms):
        return np.zeros(len(start_ms), dtype=bool)
    last = np.searchsorted(speech_ms[:, 0], end_ms, side="right") - 1
    overlaps = last >= 0
    overlaps[overlaps] = speech_ms[last[overlaps], 1] >= start_ms[overlaps]
    return overlaps


def match_turns(
    det: Detections, truth: Truth, duration: float | None, tolerance_ms: float
) -> TurnMatch:
    turns = truth.turns_ms
    n = len(turns)
    starts, ends = turns[:, 0], turns[:, 1]
    stops = det.stop_ms
    owner, is_cut, is_end = place_stops(stops, det.stop_onset_ms, turns, duration, tolerance_ms)
    cutoff_turn = np.where(is_cut, owner, -1)
    cutoffs = np.bincount(owner[is_cut], minlength=n) if n else np.zeros(0, dtype=np.int64)
    # end detection: the first candidate stop of each turn
    end_stop = np.full(n, -1, dtype=np.int64)
    candidates = np.flatnonzero(is_end)
    if len(candidates):
        turn_of, first = np.unique(owner[candidates], return_index=True)
        end_stop[turn_of] = candidates[first]
    ended = end_stop >= 0
    latency = np.full(n, np.nan)
    latency[ended] = stops[end_stop[ended]] - ends[ended]
    commit = np.full(n, np.nan)
    commit[ended] = det.stop_commit_ms[end_stop[ended]] - ends[ended]
    # overlap between true turns and the speech parts of detected turns
    order = np.argsort(det.speech_start_ms, kind="stable")
    d_start = det.speech_start_ms[order]
    d_end = det.speech_end_ms[order]
    first_detection = np.full(n, -1, dtype=np.int64)
    if len(d_start) and n:
        reach = np.maximum.accumulate(d_end)
        first = np.searchsorted(reach, starts, side="left")  # first k with d_end[k] >= start
        limit = np.searchsorted(d_start, ends, side="right")  # detections with d_start <= end
        found = first < limit
        first_detection[found] = order[first[found]]
    missed = first_detection < 0
    onset = np.full(n, np.nan)
    hit = ~missed
    onset[hit] = np.maximum(0.0, det.start_ms[first_detection[hit]] - starts[hit])
    false_turn = ~hears_speech(det.speech_start_ms, det.speech_end_ms, truth.speech_ms)
    missed_end = scored_ends(turns, duration) & ~ended
    return TurnMatch(
        turns_ms=turns,
        cutoff_turn=cutoff_turn,
        cutoffs=cutoffs,
        end_stop=end_stop,
        latency_ms=latency,
        commit_ms=commit,
        missed=missed,
        missed_end=missed_end,
        first_detection=first_detection,
        onset_ms=onset,
        false_turn=false_turn,
    )


def finite_median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else math.nan


def turn_dict(
    det: Detections, truth: Truth, duration: float | None, tolerance_ms: float
) -> dict[str, float]:
    n_detected = float(len(det.item_ids))
    if not truth.known:
        out = dict.fromkeys(TURN_METRICS, math.nan)
        out["n_detected_turns"] = n_detected
        return out
    match = match_turns(det, truth, duration, tolerance_ms)
    n = len(match.turns_ms)
    latency = match.latency_ms[np.isfinite(match.latency_ms)]
    onset = match.onset_ms[~match.missed]
    n_ends = int(np.count_nonzero(scored_ends(match.turns_ms, duration)))
    missed_ends = float(np.count_nonzero(match.missed_end))
    return {
        "false_cutoff_rate": float(np.count_nonzero(match.cutoffs)) / n if n else math.nan,
        "false_cutoffs": float(match.cutoffs.sum()),
        "missed_turn_rate": float(match.missed.sum()) / n if n else math.nan,
        "missed_turns": float(match.missed.sum()),
        "false_turns": float(match.false_turn.sum()),
        "n_true_turns": float(n),
        "n_detected_turns": n_detected,
        "n_true_ends": float(n_ends),
        "missed_ends": missed_ends,
        "missed_end_rate": missed_ends / n_ends if n_ends else math.nan,
        "latency_ms_median": float(np.median(latency)) if len(latency) else math.nan,
        "latency_ms_p90": float(np.percentile(latency, 90)) if len(latency) else math.nan,
        "onset_clipping_ms_mean": float(onset.mean()) if len(onset) else math.nan,
        "onset_clipped_rate": float(np.count_nonzero(onset > 0)) / len(onset)
        if len(onset)
        else math.nan,
        "time_to_commit_ms_median": finite_median(match.commit_ms),
    }


def score_values(
    log: EventLog,
    truth: Truth,
    *,
    collar_ms: float = 0.0,
    hop_ms: float | None = None,
    tolerance_ms: float = TOLERANCE_MS,
) -> dict[str, float]:
    """Every metric of :data:`METRIC_NAMES` for a prepared truth, as a plain dict (fast path)."""
    det, duration = detections(log, truth)
    return metric_values(det, truth, duration, collar_ms, hop_ms, tolerance_ms)


def metric_values(
    det: Detections,
    truth: Truth,
    duration: float | None,
    collar_ms: float,
    hop_ms: float | None,
    tolerance_ms: float,
) -> dict[str, float]:
    out = frame_dict(det, truth, duration, collar_ms, hop_ms)
    out.update(turn_dict(det, truth, duration, tolerance_ms))
    return out


#: How a bad time option is described in its error.
MS = "a finite number of ms >= 0"


def check_options(
    collar_ms: Any, hop_ms: Any, tolerance_ms: Any, min_turn_gap_ms: Any, owner: str
) -> None:
    """Check the options of :func:`rtlab.metrics.score` (for ``owner``'s error messages)."""
    for name, value in (
        ("collar_ms", collar_ms),
        ("tolerance_ms", tolerance_ms),
        ("min_turn_gap_ms", min_turn_gap_ms),
    ):
        _check.number(value, name, owner=owner, low=0.0, allowed=MS)
    if (
        hop_ms is not None
        and _check.number(hop_ms, "hop_ms", owner=owner, low=0.0, allowed=MS) <= 0
    ):
        raise ConfigError("hop_ms", hop_ms, "a frame hop in ms > 0, or None", owner=owner)
