"""End-of-turn evaluation as eot-bench does it: hold/eot silence spans, policies, operating points.

The field's open benchmark for end-of-turn detection is eot-bench (GitHub
``livekit/eot-bench``, Apache-2.0). Its README, section "Evaluation Model", defines what this
module computes; rtlab follows it and says below where it must differ.

Spans (eot-bench "Span-Level Decisions")
    Every silence of at least :data:`MIN_SPAN_MS` (100 ms, eot-bench ``--min-silence-span
    0.1``) inside a true user turn is a decision point. The last span of a turn is ``eot``
    (the true end), every earlier one ``hold`` (a mid-turn pause to listen through).
    eot-bench takes its spans from the dataset; rtlab builds them from the clip's truth:
    from word timings where the annotation has words (gaps between consecutive words), else
    from a reference VAD (Silero, threshold 0.5) inside each true turn (runs of non-speech
    frames between the turn's first and last speech frame). The ``eot`` span runs from the
    end of the turn's last word (or last run of speech frames that begins inside the turn)
    to the next speech (the same source), the start of the next true turn or the end of the
    audio, whichever comes first. A turn in which the source has no speech (the reference
    VAD hears nothing of a quiet far-field speaker) gives no span: no system heard a turn.

True turns (:func:`true_turns`)
    eot-bench has one user per row; rtlab also reads meetings. A true turn is one speaker's
    stretch of speech: it ends where its speaker stops and either another speaker takes the
    floor or the silence outlasts ``max_pause_ms`` (default 5000 ms, eot-bench's
    ``--max-hold-span-duration``). Another speaker's speech that is short
    (``<= backchannel_ms``) and after which the same speaker goes on within the pause limit,
    or that lies wholly inside the speaker's speech, is a backchannel: it does not end the
    turn. Different speakers are never merged.

Policies (eot-bench "Policy Sweep and Operating Points")
    A client-side policy has three knobs: ``threshold`` (probability needed to end the turn),
    ``action_delay_ms`` (minimum silence before acting on the score) and ``timeout_ms``
    (silence after which the turn ends whatever the score). The Smart Turn probability of a
    span is computed once per pause, on the audio up to :data:`SCORE_POINT_MS` (200 ms)
    into it (eot-bench ``score_point`` 0.2 s; pipecat runs Smart Turn after 0.2 s of
    silence), so a policy fires in a span of duration ``d`` at
    ``min(action_delay if p >= threshold, timeout)`` when that is ``< d``. The silence-only
    VAD baseline fires at ``timeout`` in every span ("VAD-only baseline evaluated on the same
    policy grid"). Emulated ``server_vad`` / ``semantic_vad`` and recorded live logs fire at
    their ``speech_stopped`` events (``emitted_ms``: when the server decided).

Metrics (eot-bench ``summary.json`` ``operating_points``)
    * ``false_cutoff_rate`` = hold spans in which the detector fired / hold spans. As in
      eot-bench's metrics, only hold spans of 200 ms to 5 s count (``--min-hold-span-duration
      0.2``, ``--max-hold-span-duration 5.0``); eot spans are all kept.
    * ``latency_ms`` = the **mean** over eot spans of (fire time − span start) ("best mean
      latency" in eot-bench's report). A policy whose model never fires waits until its
      timeout, and that wait is its latency (eot-bench: "a missed true end-of-turn leaves the
      assistant waiting until the timeout expires").
      Latencies are never negative here: they run from the true start of the silence to
      the moment the detector decided (not to the ``audio_end_ms`` it reports).
    * ``detect_rate`` = eot spans answered by the model before the timeout (eot-bench
      ``detect_rate``; ``1 - detect_rate`` is its ``timeout_rate``).
    * ``missed_end_rate``: **rtlab only.** eot-bench's turns end in silence, so the timeout
      always comes. In a recording the next speaker may start, or the audio end, first: an
      eot span in which nothing fired is a *missed end*. It is never scored as perfect: its
      latency is charged as what the detector would have waited had the silence gone on, as
      eot-bench assumes, and never less than the span itself: a client policy's
      ``min(action_delay if p >= threshold, timeout)`` (exactly eot-bench); for
      ``server_vad`` its ``silence_duration_ms`` (the least it can wait); for
      ``semantic_vad`` the emulator's wait for the span's Smart Turn probability
      (:func:`rtlab.turns.semantic_wait_ms`); for a recorded log, whose wait is unknown,
      :data:`MISSED_END_MS` (3500 ms, eot-bench's longest swept timeout).

Operating points (:func:`operating_points`)
    For each detector, the lowest ``false_cutoff_rate`` among its settings whose
    ``latency_ms <= 300`` (600) and the lowest ``latency_ms`` among its settings whose
    ``false_cutoff_rate <= 5 %`` (10 %); NaN where no setting reaches the budget (eot-bench
    prints "–"). :func:`frontier` gives the latency / false-cut-off Pareto frontier.

Where rtlab differs, in short: spans come from words or a VAD rather than a dataset; turns are
per speaker in multi-speaker recordings; and missed ends are counted and charged.

Examples
--------
>>> import rtlab
>>> from rtlab import eot

Two speakers (AMI, lhotse excerpt); speaker 1 stops (2.88 s, by the reference VAD) and
speaker 2 takes the floor at 3.36 s: a true end, scored as an eot span:

>>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
>>> spans = eot.silence_spans([clip])
>>> spans[["speaker", "kind", "start_ms", "end_ms"]].to_numpy().tolist()
[['ES2011a.Headset-1', 'eot', 2880.0, 3360.0], ['ES2011a.Headset-2', 'eot', 4448.0, 6000.0]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import _check
from rtlab.annotation import Annotation, Turn
from rtlab.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from rtlab._clip import Clip
    from rtlab.audio import Audio
    from rtlab.events import EventLog
    from rtlab.session import Session

__all__ = [
    "ACTION_DELAYS_MS",
    "CUTOFF_BUDGETS",
    "LATENCY_BUDGETS_MS",
    "MAX_HOLD_MS",
    "MIN_HOLD_MS",
    "MIN_SPAN_MS",
    "MISSED_END_MS",
    "SCORE_POINT_MS",
    "THRESHOLDS",
    "TIMEOUTS_MS",
    "benchmark",
    "client_commits",
    "client_policies",
    "evaluate",
    "evaluate_policy",
    "frontier",
    "operating_points",
    "policy_probabilities",
    "silence_spans",
    "true_turns",
    "vad_baseline",
]

MIN_SPAN_MS = 100.0
"""Shortest silence that is a decision point (eot-bench ``--min-silence-span 0.1``)."""
MIN_HOLD_MS = 200.0
"""Shortest hold span counted in the false cut-off rate (eot-bench default)."""
MAX_HOLD_MS = 5000.0
"""Longest hold span counted in the false cut-off rate (eot-bench default)."""
SCORE_POINT_MS = 200.0
"""Where in a pause Smart Turn is scored (eot-bench ``score_point`` 0.2 s)."""
MISSED_END_MS = 3500.0
"""Latency charged to a missed end when the detector's own wait is unknown."""
LATENCY_BUDGETS_MS = (300.0, 600.0)
CUTOFF_BUDGETS = (0.05, 0.10)
THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(100))
"""eot-bench's threshold grid (0.00 to 0.99 by 0.01)."""
ACTION_DELAYS_MS = tuple(float(v) for v in range(200, 1001, 100))
"""eot-bench ``sweep_action_delays`` (0.2 to 1.0 s)."""
TIMEOUTS_MS = tuple(float(v) for v in range(1000, 3501, 500))
"""eot-bench ``sweep_timeouts`` (1.0 to 3.5 s)."""
BASELINE_TIMEOUTS_MS = tuple(float(v) for v in range(100, 5001, 50))
"""The VAD baseline's fine timeout grid."""

_SPAN_COLUMNS = (
    "clip",
    "turn",
    "speaker",
    "kind",
    "span",
    "start_ms",
    "end_ms",
    "duration_ms",
    "turn_start_ms",
)


# --------------------------------------------------------------------------------------
# true turns and spans


def true_turns(
    annotation: Annotation, *, max_pause_ms: float = 5000.0, backchannel_ms: float = 1000.0
) -> tuple[Turn, ...]:
    """One speaker's turns, never merging speakers: :meth:`Annotation.speaker_turns`.

    Examples
    --------
    >>> a = Annotation.from_segments([[0, 2], [2.5, 4], [4.2, 4.5], [4.6, 6]],
    ...                              speakers=["A", "B", "A", "B"])
    >>> [(t.speaker, t.start_s, t.end_s) for t in true_turns(a)]
    [('A', 0.0, 2.0), ('B', 2.5, 6.0)]
    """
    return annotation.speaker_turns(max_pause_ms=max_pause_ms, backchannel_ms=backchannel_ms)


def silence_spans(
    clips: Sequence[Clip],
    *,
    source: Literal["auto", "words", "speech", "vad"] = "auto",
    min_span_ms: float = MIN_SPAN_MS,
    max_pause_ms: float = 5000.0,
) -> pd.DataFrame:
    """The hold and eot silence spans of each clip's true turns.

    Parameters
    ----------
    clips : sequence of Clip
        Clips with timed truth (a clip with no turns and no speech gives no spans).
    source : {"auto", "words", "speech", "vad"}, default "auto"
        Where pauses inside a turn come from: ``"words"`` the gaps between words,
        ``"speech"`` the gaps between the annotation's speech spans (exact for
        :func:`rtlab.datasets.from_eot_bench` clips, whose speech is the complement of the
        dataset's silence spans), ``"vad"`` Silero (threshold 0.5) on the audio. ``"auto"``:
        words when the annotation has them, else ``"vad"``.
    min_span_ms : float >= 0, default 100
        Shorter silences are not decision points (eot-bench: 100 ms).
    max_pause_ms : float >= 0, default 5000
        Passed to :func:`true_turns`.

    Returns
    -------
    pandas.DataFrame
        One row per span: ``clip``, ``turn`` (index in :func:`true_turns`), ``speaker``,
        ``kind`` (``"hold"`` / ``"eot"``), ``span`` (index within the turn), ``start_ms``,
        ``end_ms``, ``duration_ms``, ``turn_start_ms``.

    Examples
    --------
    >>> import rtlab
    >>> spans = silence_spans([rtlab.datasets.load("ami-debug/dev00")])
    >>> spans.groupby("kind").size().to_dict()
    {'eot': 3, 'hold': 9}
    """
    import pandas as pd

    source = _check.choice(
        source, "source", ("auto", "words", "speech", "vad"), owner="silence_spans"
    )
    min_ms = _check.number(min_span_ms, "min_span_ms", owner="silence_spans", low=0.0)
    rows: list[tuple[Any, ...]] = []
    for clip in clips:
        truth = clip.truth
        if not (truth.turns or len(truth.speech)):
            continue
        turns = true_turns(truth, max_pause_ms=max_pause_ms)
        duration_ms = float(clip.audio.duration_ms)
        kind = source if source != "auto" else ("words" if truth.words else "vad")
        speech_ms = _speech_ms(clip, kind)
        starts = np.array([t.start_s * 1000 for t in turns])
        for index, turn in enumerate(turns):
            a, e = turn.start_s * 1000, turn.end_s * 1000
            later = starts[starts > a]
            next_ms = float(later.min()) if later.size else duration_ms
            inside = speech_ms[(speech_ms[:, 1] > a) & (speech_ms[:, 0] < e)]
            if not len(inside):
                continue  # nobody could hear this turn: no decision to score
            gaps = np.column_stack([inside[:-1, 1], inside[1:, 0]])
            eot_start = float(inside[-1, 1])  # silence starts where that speech stops
            span = 0
            for g0, g1 in gaps:
                if g1 - g0 >= min_ms:
                    rows.append((clip.name, index, turn.speaker, "hold", span, g0, g1, g1 - g0, a))
                    span += 1
            onsets = speech_ms[speech_ms[:, 0] >= eot_start, 0]
            eot_end = min(next_ms, duration_ms, float(onsets.min()) if onsets.size else math.inf)
            if eot_end - eot_start >= min_ms:
                rows.append(
                    (clip.name, index, turn.speaker, "eot", span, eot_start, eot_end,
                     eot_end - eot_start, a)
                )  # fmt: skip
    table = pd.DataFrame(rows, columns=list(_SPAN_COLUMNS))
    for column in ("start_ms", "end_ms", "duration_ms", "turn_start_ms"):
        table[column] = table[column].astype(float)
    return table


def _speech_ms(clip: Clip, kind: str) -> np.ndarray:
    """Speech spans in ms, shape (n, 2), sorted and merged, from words / speech / VAD."""
    truth = clip.truth
    if kind == "words":
        spans = np.array([[w.start_s, w.end_s] for w in truth.words], float).reshape(-1, 2)
    elif kind == "speech":
        spans = np.asarray(truth.speech, float).reshape(-1, 2)
    else:
        from rtlab.vad import score

        scores = score(clip.audio)
        mask = np.asarray(scores.probabilities) >= 0.5
        edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
        spans = edges.reshape(-1, 2) * scores.hop_ms / 1000.0
    spans = spans[np.argsort(spans[:, 0], kind="stable")] * 1000.0
    merged: list[list[float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return np.array(merged, float).reshape(-1, 2)


# --------------------------------------------------------------------------------------
# evaluating fire times


def evaluate(
    spans: pd.DataFrame,
    fires_ms: Mapping[str, Iterable[float]],
    *,
    missed_end_ms: float | np.ndarray = MISSED_END_MS,
) -> pd.DataFrame:
    """Score one detector's decisions on every span.

    Parameters
    ----------
    spans : pandas.DataFrame
        From :func:`silence_spans`.
    fires_ms : mapping of clip name to times in ms
        When the detector ended a turn (``speech_stopped`` / commit), per clip. A clip
        missing from the mapping never fired.
    missed_end_ms : float >= 0 or array of one per span, default 3500
        Latency charged to a missed end: what the detector would have waited had the
        silence gone on (at least the span's duration, since it did not fire in it).

    Returns
    -------
    pandas.DataFrame
        ``spans`` plus ``fired_ms`` (first fire inside the span, NaN if none),
        ``false_cutoff`` (hold spans: fired), ``missed_end`` (eot spans: not fired) and
        ``latency_ms`` (eot spans: ``fired_ms - start_ms``, or the charge when missed).

    Examples
    --------
    >>> import pandas as pd
    >>> spans = pd.DataFrame({"clip": ["a", "a"], "kind": ["hold", "eot"],
    ...                       "start_ms": [1000.0, 3000.0], "end_ms": [1400.0, 3300.0],
    ...                       "duration_ms": [400.0, 300.0]})
    >>> evaluate(spans, {"a": [1200.0]})[["false_cutoff", "missed_end", "latency_ms"]]
       false_cutoff  missed_end  latency_ms
    0          True       False         NaN
    1         False        True      3500.0
    """
    out = spans.copy()
    fired = np.full(len(out), np.nan)
    for name, index in out.groupby("clip").groups.items():
        times = np.sort(np.asarray(list(fires_ms.get(str(name), ())), float))
        if not times.size:
            continue
        rows = out.loc[index]
        at = np.searchsorted(times, rows["start_ms"].to_numpy(), side="left")
        ok = at < times.size
        candidate = np.where(ok, times[np.minimum(at, times.size - 1)], np.inf)
        hit = candidate < rows["end_ms"].to_numpy()
        fired[out.index.get_indexer(index)] = np.where(hit, candidate, np.nan)
    is_eot = (out["kind"] == "eot").to_numpy()
    out["fired_ms"] = fired
    out["false_cutoff"] = ~is_eot & ~np.isnan(fired)
    out["missed_end"] = is_eot & np.isnan(fired)
    charge = np.maximum(out["duration_ms"].to_numpy(), np.asarray(missed_end_ms, float))
    latency = np.where(np.isnan(fired), charge, fired - out["start_ms"].to_numpy())
    out["latency_ms"] = np.where(is_eot, latency, np.nan)
    return out


def _summary(per_span: pd.DataFrame) -> dict[str, float]:
    """The eot-bench metrics of one detector setting from :func:`evaluate` rows."""
    hold = per_span[(per_span["kind"] == "hold") & _counted(per_span)]
    end = per_span[per_span["kind"] == "eot"]
    n_hold, n_eot = len(hold), len(end)
    return {
        "n_hold_spans": n_hold,
        "n_eot_spans": n_eot,
        "false_cutoffs": int(hold["false_cutoff"].sum()),
        "false_cutoff_rate": hold["false_cutoff"].mean() if n_hold else math.nan,
        "latency_ms": end["latency_ms"].mean() if n_eot else math.nan,
        "latency_ms_median": end["latency_ms"].median() if n_eot else math.nan,
        "detect_rate": (~end["missed_end"]).mean() if n_eot else math.nan,
        "missed_ends": int(end["missed_end"].sum()),
        "missed_end_rate": end["missed_end"].mean() if n_eot else math.nan,
    }


def _counted(spans: pd.DataFrame) -> Any:
    """Hold spans eot-bench counts in the false cut-off rate (200 ms to 5 s)."""
    d = spans["duration_ms"]
    return (d >= MIN_HOLD_MS) & (d <= MAX_HOLD_MS)


# --------------------------------------------------------------------------------------
# client-side policies (Smart Turn, VAD baseline)


def policy_probabilities(
    clips: Sequence[Clip], spans: pd.DataFrame, *, score_point_ms: float = SCORE_POINT_MS
) -> np.ndarray:
    """Smart Turn v3 probability for each span, once per pause (cached on disk per clip).

    The model hears the current turn's audio up to ``score_point_ms`` into the pause
    (never past the span's end or the audio's end).

    Parameters
    ----------
    clips : sequence of Clip
        The clips ``spans`` came from.
    spans : pandas.DataFrame
        From :func:`silence_spans`.
    score_point_ms : float >= 0, default 200

    Returns
    -------
    numpy.ndarray
        float32, one per row of ``spans``.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-debug/dev00")
    >>> spans = silence_spans([clip])
    >>> p = policy_probabilities([clip], spans)
    >>> [round(float(x), 2) for x in p[:5]], spans["kind"][:5].tolist()
    ([0.98, 0.73, 0.01, 0.01, 0.34], ['hold', 'hold', 'hold', 'hold', 'eot'])
    """
    from rtlab.smart_turn import turn_end_probability

    point = _check.number(score_point_ms, "score_point_ms", owner="policy_probabilities", low=0.0)
    by_name = {clip.name: clip for clip in clips}
    out = np.zeros(len(spans), np.float32)
    for name, index in spans.groupby("clip").groups.items():
        clip = by_name[str(name)]
        rows = spans.loc[index]
        end = np.minimum(rows["start_ms"].to_numpy() + point, rows["end_ms"].to_numpy())
        end = np.minimum(end, float(clip.audio.duration_ms))
        start = np.minimum(rows["turn_start_ms"].to_numpy(), end)
        out[spans.index.get_indexer(index)] = turn_end_probability(clip.audio, end, start_ms=start)
    return out


def evaluate_policy(
    spans: pd.DataFrame,
    probabilities: np.ndarray,
    *,
    threshold: float,
    action_delay_ms: float,
    timeout_ms: float,
) -> dict[str, float]:
    """The metrics of one client-side policy, span by span (the reference for the sweep).

    Parameters
    ----------
    spans : pandas.DataFrame
        From :func:`silence_spans`.
    probabilities : numpy.ndarray
        One per span (:func:`policy_probabilities`).
    threshold : float in [0, 1]
    action_delay_ms, timeout_ms : float >= 0

    Returns
    -------
    dict
        ``false_cutoff_rate``, ``latency_ms`` (mean), ``detect_rate``, ``missed_end_rate``,
        ``n_hold_spans``, ``n_eot_spans``.

    Examples
    --------
    >>> import pandas as pd
    >>> spans = pd.DataFrame({"kind": ["hold", "eot"], "duration_ms": [600.0, 900.0]})
    >>> evaluate_policy(spans, np.array([0.9, 0.2]), threshold=0.5, action_delay_ms=300,
    ...                 timeout_ms=1000)["latency_ms"]
    1000.0
    """
    owner = "evaluate_policy"
    thr = _check.number(threshold, "threshold", owner=owner, low=0.0, high=1.0)
    delay = _check.number(action_delay_ms, "action_delay_ms", owner=owner, low=0.0)
    timeout = _check.number(timeout_ms, "timeout_ms", owner=owner, low=0.0)
    p = np.asarray(probabilities, float)
    d = spans["duration_ms"].to_numpy(float)
    wait = np.minimum(np.where(p >= thr, delay, np.inf), timeout)
    hold = (spans["kind"] == "hold").to_numpy() & _counted(spans).to_numpy()
    end = (spans["kind"] == "eot").to_numpy()
    return _policy_dict(
        n_hold=int(hold.sum()),
        cutoffs=float((wait[hold] < d[hold]).sum()),
        n_eot=int(end.sum()),
        latency_sum=float(wait[end].sum()),
        detected=float((p[end] >= thr).sum()) if delay < timeout else 0.0,
        missed=float((wait[end] >= d[end]).sum()),
    )


def _policy_dict(
    *, n_hold: int, cutoffs: Any, n_eot: int, latency_sum: Any, detected: Any, missed: Any
) -> dict[str, Any]:
    return {
        "n_hold_spans": n_hold,
        "n_eot_spans": n_eot,
        "false_cutoff_rate": cutoffs / n_hold if n_hold else math.nan,
        "latency_ms": latency_sum / n_eot if n_eot else math.nan,
        "detect_rate": detected / n_eot if n_eot else math.nan,
        "missed_end_rate": missed / n_eot if n_eot else math.nan,
    }


def client_policies(
    spans: pd.DataFrame,
    probabilities: np.ndarray,
    *,
    thresholds: Sequence[float] = THRESHOLDS,
    action_delays_ms: Sequence[float] = ACTION_DELAYS_MS,
    timeouts_ms: Sequence[float] = TIMEOUTS_MS,
) -> pd.DataFrame:
    """Every threshold x action delay x timeout policy at once (vectorised).

    Equal to :func:`evaluate_policy` per policy. Spans are binned once by probability rank
    and duration; a 2-D cumulative count then answers "how many spans have ``p >= t`` and
    ``a < d <= b``" for every policy in constant time, so the cost is one pass over the
    spans plus one over the policies.

    Parameters
    ----------
    spans : pandas.DataFrame
        From :func:`silence_spans`.
    probabilities : numpy.ndarray
        One per span (:func:`policy_probabilities`).
    thresholds : sequence of float in [0, 1], default 0.00 to 0.99 by 0.01
    action_delays_ms, timeouts_ms : sequence of float >= 0
        Default: eot-bench's grids (200-1000 ms by 100; 1000-3500 ms by 500).

    Returns
    -------
    pandas.DataFrame
        One row per policy: ``param_threshold``, ``param_action_delay_ms``,
        ``param_timeout_ms`` and the columns of :func:`evaluate_policy`.

    Examples
    --------
    >>> import pandas as pd
    >>> spans = pd.DataFrame({"kind": ["hold", "eot"], "duration_ms": [600.0, 900.0]})
    >>> t = client_policies(spans, np.array([0.9, 0.2]), thresholds=[0.1, 0.5],
    ...                     action_delays_ms=[300], timeouts_ms=[1000])
    >>> t[["param_threshold", "false_cutoff_rate", "latency_ms"]].to_numpy().tolist()
    [[0.1, 1.0, 300.0], [0.5, 1.0, 1000.0]]
    """
    owner = "client_policies"
    thr = [_check.number(v, "thresholds", owner=owner, low=0.0, high=1.0) for v in thresholds]
    dly = [_check.number(v, "action_delays_ms", owner=owner, low=0.0) for v in action_delays_ms]
    tmo = [_check.number(v, "timeouts_ms", owner=owner, low=0.0) for v in timeouts_ms]
    return _sweep(
        spans, np.asarray(probabilities, float), np.array(thr), np.array(dly), np.array(tmo)
    )


def _sweep(
    spans: pd.DataFrame, p: np.ndarray, thr: np.ndarray, dly: np.ndarray, tmo: np.ndarray
) -> pd.DataFrame:
    """:func:`client_policies` on checked arrays."""
    import pandas as pd

    d = spans["duration_ms"].to_numpy(float)
    hold = (spans["kind"] == "hold").to_numpy() & _counted(spans).to_numpy()
    end = (spans["kind"] == "eot").to_numpy()
    edges = np.unique(np.concatenate([dly, tmo]))
    ci = np.searchsorted(edges, dly)
    oi = np.searchsorted(edges, tmo)
    hold_ge = _count_ge(p[hold], d[hold], thr, edges)  # [t, e]: p >= t and d <= edge e
    end_ge = _count_ge(p[end], d[end], thr, edges)
    hold_le = np.searchsorted(np.sort(d[hold]), edges, side="right")  # d <= edge
    end_le = np.searchsorted(np.sort(d[end]), edges, side="right")
    n_hold, n_eot = int(hold.sum()), int(end.sum())
    n_above = (p[end][None, :] >= thr[:, None]).sum(axis=1)  # [t]

    grid = np.meshgrid(np.arange(thr.size), np.arange(dly.size), np.arange(tmo.size), indexing="ij")
    ti, di, oi_ = (g.ravel() for g in grid)
    delay, timeout = dly[di], tmo[oi_]
    early = delay < timeout
    # hold: fires if timeout < d, or (p >= t and delay < d <= timeout)
    cutoffs = (n_hold - hold_le[oi[oi_]]) + np.where(
        early, hold_ge[ti, oi[oi_]] - hold_ge[ti, ci[di]], 0
    )
    wait_hit = np.minimum(delay, timeout)
    latency_sum = n_eot * timeout + n_above[ti] * (wait_hit - timeout)
    detected = np.where(early, n_above[ti], 0)
    # missed: (p >= t and d <= min(delay, timeout)) or (p < t and d <= timeout)
    wi = np.where(early, ci[di], oi[oi_])
    missed = end_ge[ti, wi] + end_le[oi[oi_]] - end_ge[ti, oi[oi_]]
    metrics = _policy_dict(
        n_hold=n_hold,
        cutoffs=cutoffs.astype(float),
        n_eot=n_eot,
        latency_sum=latency_sum.astype(float),
        detected=detected.astype(float),
        missed=missed.astype(float),
    )
    table = pd.DataFrame(
        {"param_threshold": thr[ti], "param_action_delay_ms": delay, "param_timeout_ms": timeout}
    )
    for key, value in metrics.items():
        table[key] = value
    return table


def _count_ge(p: np.ndarray, d: np.ndarray, thr: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``out[k, e]`` = number of spans with ``p >= thr[k]`` and ``d <= edges[e]``."""
    order = np.argsort(thr)
    sorted_thr = thr[order]
    a = np.searchsorted(sorted_thr, p, side="right")  # p >= sorted_thr[k] iff k < a
    b = np.searchsorted(edges, d, side="left")  # d <= edges[e] iff b <= e
    hist = np.zeros((thr.size + 1, edges.size + 1), np.int64)
    np.add.at(hist, (a, b), 1)
    above = np.cumsum(hist[::-1], axis=0)[::-1]  # rows a' >= a
    cum = np.cumsum(above, axis=1)  # columns b' <= b
    ge_sorted = cum[1:, : edges.size]  # k -> rows a >= k + 1
    out = np.empty_like(ge_sorted)
    out[order] = ge_sorted
    return out


def vad_baseline(
    spans: pd.DataFrame, *, timeouts_ms: Sequence[float] = BASELINE_TIMEOUTS_MS
) -> pd.DataFrame:
    """The silence-only baseline: end the turn after ``timeout_ms`` of silence, nothing else.

    It is a client policy whose model never fires (eot-bench's "VAD-only baseline"), on the
    truth's spans (a perfect VAD). Default grid: 100 ms to 5 s by 50 ms.

    Examples
    --------
    >>> import pandas as pd
    >>> spans = pd.DataFrame({"kind": ["hold", "hold", "eot"],
    ...                       "duration_ms": [250.0, 800.0, 2000.0]})
    >>> vad_baseline(spans, timeouts_ms=[300, 900])["false_cutoff_rate"].tolist()
    [0.5, 0.0]
    """
    tmo = [_check.number(v, "timeouts_ms", owner="vad_baseline", low=0.0) for v in timeouts_ms]
    table = _sweep(
        spans, np.zeros(len(spans)), np.array([1.0]), np.array([math.inf]), np.array(tmo)
    )
    return table.drop(columns=["param_threshold", "param_action_delay_ms"])


def client_commits(
    clip: Clip | Audio,
    *,
    threshold: float,
    action_delay_ms: float,
    timeout_ms: float,
    score_point_ms: float = SCORE_POINT_MS,
) -> tuple[Session, list[tuple[float, dict[str, Any]]]]:
    """Run a client-side Smart Turn policy on a clip: the session and the commits it sends.

    The client turns server turn detection off (``turn_detection: null``) and sends
    ``input_audio_buffer.commit`` itself. It finds pauses with its own VAD (Silero,
    threshold 0.5, as :func:`rtlab.vad.score`), scores Smart Turn ``score_point_ms`` into
    each pause, and commits at ``action_delay_ms`` into the pause if the probability reaches
    ``threshold``, else at ``timeout_ms`` if the silence lasts that long.

    Parameters
    ----------
    clip : Clip or Audio
    threshold : float in [0, 1]
    action_delay_ms, timeout_ms, score_point_ms : float >= 0

    Returns
    -------
    (Session, list of (audio_ms, event))
        The session to send in ``session.update``, and each commit with the audio position
        (ms) at which the client sends it.

    Examples
    --------
    >>> import rtlab
    >>> track = rtlab.datasets.compose(["librivox/0870", "librivox/0890"], gaps_ms=1500,
    ...                                tail_ms=1000)
    >>> session, commits = client_commits(track, threshold=0.5, action_delay_ms=300,
    ...                                   timeout_ms=2000)
    >>> session.turn_detection is None, [(t, e["type"]) for t, e in commits]
    (True, [(7372.0, 'input_audio_buffer.commit'), (13644.0, 'input_audio_buffer.commit')])
    """
    from rtlab._clip import Clip
    from rtlab.session import Session
    from rtlab.smart_turn import turn_end_probability
    from rtlab.vad import score

    owner = "client_commits"
    thr = _check.number(threshold, "threshold", owner=owner, low=0.0, high=1.0)
    delay = _check.number(action_delay_ms, "action_delay_ms", owner=owner, low=0.0)
    timeout = _check.number(timeout_ms, "timeout_ms", owner=owner, low=0.0)
    point = _check.number(score_point_ms, "score_point_ms", owner=owner, low=0.0)
    audio: Audio = clip.audio if isinstance(clip, Clip) else clip
    scores = score(audio)
    mask = np.asarray(scores.probabilities) >= 0.5
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    speech = edges.reshape(-1, 2) * scores.hop_ms
    duration = float(audio.duration_ms)
    commits: list[tuple[float, dict[str, Any]]] = []
    if not len(speech):
        return Session(turn_detection=None), commits
    pause_start = speech[:, 1]
    pause_end = np.append(speech[1:, 0], duration)
    at = np.minimum(pause_start + point, np.minimum(pause_end, duration))
    turn_start = float(speech[0, 0])
    for s, e, x in zip(pause_start, pause_end, at, strict=True):
        p = float(turn_end_probability(audio, [x], start_ms=[min(turn_start, x)])[0])
        wait = min(delay if p >= thr else math.inf, timeout)
        if s + wait < e:
            commits.append(
                (
                    float(s + wait),
                    {"type": "input_audio_buffer.commit", "event_id": f"commit_{len(commits)}"},
                )
            )
            turn_start = e
    return Session(turn_detection=None), commits


# --------------------------------------------------------------------------------------
# server-side detectors and the benchmark


_STOP_TYPES = (
    "input_audio_buffer.speech_stopped",  # server turn detection ended the turn
    "input_audio_buffer.committed",  # also answers a client's commit (turn_detection null)
)


def _stops(log: EventLog) -> list[float]:
    """When a log ended turns: its speech_stopped / committed events' ``emitted_ms``.

    A commit that follows an idle ``timeout_triggered`` is the server prompting a silent
    user, not the end of a user turn, and is left out.
    """
    out: list[float] = []
    previous = None
    for event, t in zip(log.events, log.emitted_ms, strict=True):
        kind = event.get("type")
        if kind in _STOP_TYPES and previous != "input_audio_buffer.timeout_triggered":
            out.append(float(t))
        previous = kind
    return out


def _fixed_row(detector: str, spans: pd.DataFrame, fires: Mapping[str, list[float]],
               charge: Any, params: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {"detector": detector}
    row.update({f"param_{k}": v for k, v in params.items()})
    row.update(_summary(evaluate(spans, fires, missed_end_ms=charge)))
    return row


def benchmark(
    clips: Sequence[Clip],
    *,
    detectors: Sequence[str] = ("server_vad", "semantic_vad", "smart_turn", "vad_baseline"),
    logs: Mapping[str, Mapping[str, EventLog]] | None = None,
    server_vad_grid: Mapping[str, Sequence[float]] | None = None,
    eagerness: Sequence[str] = ("low", "medium", "high"),
    source: Literal["auto", "words", "speech", "vad"] = "auto",
    progress: bool = True,
) -> pd.DataFrame:
    """Detectors side by side on the same clips and spans: the table operating_points reads.

    Parameters
    ----------
    clips : sequence of Clip
    detectors : sequence of str
        Among ``"server_vad"`` (emulated, over ``server_vad_grid``), ``"semantic_vad"``
        (emulated, per ``eagerness``), ``"smart_turn"`` (client-side Smart Turn v3 over
        eot-bench's threshold x action delay x timeout grid) and ``"vad_baseline"``
        (timeout only).
    logs : mapping of detector name to {clip name: EventLog}, optional
        Recorded (live) logs, each scored as one fixed policy.
    server_vad_grid : mapping, optional
        ``{"threshold": [...], "silence_duration_ms": [...]}``; default thresholds
        0.3-0.8 by 0.1 and silences 100-1500 ms by 100 (prefix padding 300).
    eagerness : sequence of str, default ("low", "medium", "high")
    source : str, default "auto"
        Where pauses come from (:func:`silence_spans`).
    progress : bool, default True
        A ``tqdm.auto`` bar over detectors and settings.

    Returns
    -------
    pandas.DataFrame
        One row per (detector, setting): ``detector``, ``param_*``, ``n_hold_spans``,
        ``n_eot_spans``, ``false_cutoff_rate``, ``latency_ms`` (mean), ``detect_rate``,
        ``missed_end_rate`` (and, for event-based detectors, ``false_cutoffs``,
        ``missed_ends``, ``latency_ms_median``).

    Examples
    --------
    >>> import rtlab
    >>> clips = [rtlab.datasets.load("librivox/0870"), rtlab.datasets.load("librivox/0880")]
    >>> table = benchmark(clips, detectors=["vad_baseline"], progress=False)
    >>> table["detector"].unique().tolist(), int(table["n_eot_spans"].iloc[0])
    (['vad_baseline'], 2)
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from rtlab.session import SemanticVad, ServerVad
    from rtlab.turns import detect, semantic_wait_ms
    from rtlab.vad import score

    owner = "benchmark"
    known = ("server_vad", "semantic_vad", "smart_turn", "vad_baseline")
    chosen = [_check.choice(d, "detectors", known, owner=owner) for d in detectors]
    for e in eagerness:
        _check.choice(e, "eagerness", ("low", "medium", "high", "auto"), owner=owner)
    clips = list(clips)
    spans = silence_spans(clips, source=source)
    grid = dict(server_vad_grid or {})
    unknown = set(grid) - {"threshold", "silence_duration_ms", "prefix_padding_ms"}
    if unknown:
        raise ConfigError("server_vad_grid", sorted(unknown), "keys threshold, "
                          "silence_duration_ms, prefix_padding_ms", owner=owner)  # fmt: skip
    thresholds = list(grid.get("threshold", [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]))
    silences = list(grid.get("silence_duration_ms", range(100, 1501, 100)))
    paddings = list(grid.get("prefix_padding_ms", [300]))
    settings: list[tuple[str, dict[str, Any]]] = []
    if "server_vad" in chosen:
        settings += [
            ("server_vad", {"threshold": t, "silence_duration_ms": s, "prefix_padding_ms": pp})
            for t in thresholds for s in silences for pp in paddings
        ]  # fmt: skip
    if "semantic_vad" in chosen:
        settings += [("semantic_vad", {"eagerness": e}) for e in eagerness]
    n_steps = len(settings) + ("smart_turn" in chosen) + len(logs or {})
    rows: list[dict[str, Any]] = []
    tables: list[pd.DataFrame] = []
    with tqdm(total=n_steps, disable=not progress, desc="benchmark") as bar:
        scores = {clip.name: score(clip.audio) for clip in clips} if settings else {}
        needs_p = "smart_turn" in chosen or "semantic_vad" in chosen
        p = policy_probabilities(clips, spans) if needs_p else np.zeros(len(spans))
        for detector, params in settings:
            if detector == "server_vad":
                config: Any = ServerVad(**params)
                charge: Any = float(params["silence_duration_ms"])
            else:
                config = SemanticVad(eagerness=params["eagerness"])
                charge = semantic_wait_ms(p.astype(float), params["eagerness"])
            fires = {name: _stops(detect(s, config)) for name, s in scores.items()}
            rows.append(_fixed_row(detector, spans, fires, charge, params))
            bar.update()
        for name, by_clip in (logs or {}).items():
            fires = {clip: _stops(log) for clip, log in by_clip.items()}
            rows.append(_fixed_row(str(name), spans, fires, MISSED_END_MS, {}))
            bar.update()
        if "smart_turn" in chosen:
            table = client_policies(spans, p)
            table.insert(0, "detector", "smart_turn")
            tables.append(table)
            bar.update()
    if "vad_baseline" in chosen:
        table = vad_baseline(spans)
        table.insert(0, "detector", "vad_baseline")
        tables.append(table)
    frames = [pd.DataFrame(rows)] if rows else []
    return pd.concat(frames + tables, ignore_index=True)


# --------------------------------------------------------------------------------------
# operating points


def operating_points(
    table: pd.DataFrame,
    *,
    latency_budgets_ms: Sequence[float] = LATENCY_BUDGETS_MS,
    cutoff_budgets: Sequence[float] = CUTOFF_BUDGETS,
) -> pd.DataFrame:
    """Per detector: best false cut-off rate per latency budget, best latency per cut-off budget.

    ``false_cutoff_rate_at_300ms`` = the lowest ``false_cutoff_rate`` among the detector's
    rows with ``latency_ms <= 300``; ``latency_ms_at_5pct`` = the lowest ``latency_ms``
    among its rows with ``false_cutoff_rate <= 0.05`` (eot-bench: "best cutoff rate @ 0.3s
    latency", "best mean latency @ 5% cutoff"). NaN where no row reaches the budget (rows
    with a NaN metric never do).

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``detector``, ``latency_ms``, ``false_cutoff_rate`` (:func:`benchmark`).
    latency_budgets_ms : sequence of float, default (300, 600)
    cutoff_budgets : sequence of float in [0, 1], default (0.05, 0.10)

    Returns
    -------
    pandas.DataFrame
        Indexed by ``detector``; columns ``false_cutoff_rate_at_{B}ms`` and
        ``latency_ms_at_{P}pct``, plus ``n_settings``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"detector": ["a", "a", "b"], "latency_ms": [250.0, 700.0, 900.0],
    ...                   "false_cutoff_rate": [0.3, 0.04, 0.2]})
    >>> points = operating_points(t)
    >>> points["false_cutoff_rate_at_300ms"].to_dict(), points["latency_ms_at_5pct"].to_dict()
    ({'a': 0.3, 'b': nan}, {'a': 700.0, 'b': nan})
    """
    import pandas as pd

    _require(table, ("detector", "latency_ms", "false_cutoff_rate"), "operating_points")
    lat_b = [
        _check.number(b, "latency_budgets_ms", owner="operating_points", low=0.0)
        for b in latency_budgets_ms
    ]
    cut_b = [
        _check.number(b, "cutoff_budgets", owner="operating_points", low=0.0, high=1.0)
        for b in cutoff_budgets
    ]
    out: dict[str, dict[str, float]] = {}
    for detector, rows in table.groupby("detector", sort=False):
        lat = rows["latency_ms"].to_numpy(float)
        cut = rows["false_cutoff_rate"].to_numpy(float)
        entry: dict[str, float] = {}
        both = ~np.isnan(lat) & ~np.isnan(cut)
        for b in lat_b:
            ok = both & (lat <= b)
            entry[f"false_cutoff_rate_at_{b:g}ms"] = float(cut[ok].min()) if ok.any() else math.nan
        for b in cut_b:
            ok = both & (cut <= b)
            entry[f"latency_ms_at_{100 * b:g}pct"] = float(lat[ok].min()) if ok.any() else math.nan
        entry["n_settings"] = len(rows)
        out[str(detector)] = entry
    result = pd.DataFrame.from_dict(out, orient="index")
    result.index.name = "detector"
    return result


def frontier(
    table: pd.DataFrame, *, x: str = "latency_ms", y: str = "false_cutoff_rate"
) -> pd.DataFrame:
    """Each detector's latency / false cut-off Pareto frontier (both minimised).

    A row is on the frontier when no row of the same detector is no worse on both and better
    on one; rows with NaN are left out.

    Returns
    -------
    pandas.DataFrame
        The frontier rows, sorted by detector then ``x``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"detector": "a", "latency_ms": [300.0, 500.0, 600.0],
    ...                   "false_cutoff_rate": [0.2, 0.25, 0.1]})
    >>> frontier(t)["latency_ms"].tolist()
    [300.0, 600.0]
    """
    import pandas as pd

    _require(table, ("detector", x, y), "frontier")
    keep = []
    for _, rows in table.dropna(subset=[x, y]).groupby("detector", sort=False):
        rows = rows.sort_values([x, y], kind="stable")
        best = math.inf
        for index, value in zip(rows.index, rows[y].to_numpy(float), strict=True):
            if value < best:
                keep.append(index)
                best = value
    return table.loc[keep] if keep else pd.DataFrame(columns=table.columns)


def _require(table: Any, columns: Iterable[str], owner: str) -> None:
    missing = [c for c in columns if c not in getattr(table, "columns", ())]
    if missing:
        raise ConfigError(
            "table", missing, f"a DataFrame with columns {list(columns)}", owner=owner
        )
