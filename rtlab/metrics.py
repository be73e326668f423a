"""How well turn detection did on a clip: frame metrics and the turn metrics users feel.

Every function compares one :class:`rtlab.events.EventLog` (from the emulator, the live API or
a saved file) with the clip's :class:`rtlab.annotation.Annotation`. All times are in ms unless
a name ends in ``_s``.

What is compared
----------------
**Detected turns.** Each ``speech_started`` opens a detected turn (its ``audio_start_ms`` is
where the committed audio begins, prefix padding included); the ``speech_stopped`` of the same
item closes it (its ``audio_end_ms`` includes the silence the detector waited for, as the API
documents). A turn that never stopped runs to the end of the audio. The *speech part* of a
detected turn removes what the detector added around the speech it heard:

- ``server_vad`` (parameters read from ``log.session``): speech onset =
  ``audio_start_ms + prefix_padding_ms``; speech end = ``audio_end_ms -
  silence_duration_ms``. In emulator logs (``log.source == "emulator"``) the onset is
  capped at the time ``speech_started`` was emitted, since the padding may have been clipped
  (at 0, or at the end of the previous commit) and the onset can be no later than that.
- any other session (``semantic_vad``, unknown): the committed span
  ``audio_start_ms .. audio_end_ms`` as it is.

**True turns** (:func:`truth_turns`). A turn belongs to one speaker; different speakers are
never merged. With two or more labelled speakers (meeting RTTMs, lhotse supervisions), the
turns are :meth:`Annotation.speaker_turns`: a speaker holds the floor from their first word
until they stop and either another speaker takes the floor or their silence outlasts 5 s
(eot-bench's longest ``hold``); another speaker's short segment (<= 1 s) inside the turn, or
one the speaker answers within 1 s by going on, is a backchannel, not a turn end. A
hand-over may overlap: the next speaker can start before the previous one stops. With one
speaker or none: the annotation's ``turns`` when they do not overlap one another (a pause
inside such a turn belongs to it however long it is); otherwise the speaker-agnostic
*floor turns* of the mono mix, all speech with silences shorter than ``min_turn_gap_ms``
(500 ms) bridged (:meth:`Annotation.floor_turns`).

Frame metrics (:func:`frame_metrics`)
-------------------------------------
Speech = the annotation's speech spans; detection = the speech parts of the detected turns.
Durations are measured exactly on the time axis (``hop_ms=None``), or on a frame grid where a
frame is speech when its centre lies in a span (``hop_ms`` given). ``collar_ms`` removes
``collar_ms / 2`` on each side of every true speech boundary from the evaluation, as
``pyannote.metrics`` does. With exact durations, precision, recall and detection error rate
equal ``pyannote.metrics.detection.DetectionPrecision``, ``DetectionRecall`` and
``DetectionErrorRate`` with the same collar (the tests check it on real clips), including
their conventions for empty inputs:

- ``precision`` = correct / detected speech (1.0 when nothing was detected);
- ``recall`` = correct / true speech (1.0 when there is no true speech);
- ``f1`` = harmonic mean of the two (0.0 when both are 0);
- ``detection_error_rate`` = (false alarm + missed speech) / true speech (with no true
  speech: 0.0 without false alarm, else 1.0);
- ``true_speech_ms``, ``false_alarm_ms``, ``missed_speech_ms``: the durations behind them
  (used to pool clips in :func:`rtlab.sweeps.summarize`).

Turn metrics (:func:`turn_metrics`)
-----------------------------------
Each stop -- a ``speech_stopped`` at its ``audio_end_ms``, or a client's ``committed`` when
turn detection is off -- at time ``t`` is placed against the true turns ``[start, end]``:

- a turn's **end window** runs from ``end - tolerance_ms`` to the next turn's start (or the
  end of the audio), and at least to ``end + tolerance_ms`` when the next speaker took the
  floor before this one stopped. A stop in it that closes a detected turn which began (its
  speech part) before ``end`` is the turn's **end detection**; only the first one counts.
  **End-of-turn latency** = ``t - end``. It is negative when the detector stopped within the
  tolerance before the annotated end: annotations mark the end of the last word loosely
  (AMI's hand-made times run up to a few hundred ms past the audible speech), and the
  ``audio_end_ms`` the API reports already includes the silence it waited for;
- otherwise, ``start < t < end - tolerance_ms`` for the turn that began last: a **false
  cut-off** of that turn -- the detector ended the turn while the speaker still had speech
  to say in it; an agent would barge in.

A turn end is **owed** when at least 100 ms of silence follow it before the next turn (or
the audio ends): eot-bench's shortest scored silence. An owed end with no end detection is
a **missed end**: the detector ran on into the next turn, or the audio ended first (give
clips a silent tail longer than the longest ``silence_duration_ms`` you test). A detector
that never ends turns therefore misses every end; it never scores as perfect. An
overlapped hand-over leaves no silence to find: it is neither owed nor missed.

Then:

- ``false_cutoffs``: number of false cut-offs; ``false_cutoff_rate``: share of true turns with
  at least one;
- ``missed_turns``: true turns that no detected speech part overlaps; ``missed_turn_rate``:
  their share of the true turns;
- ``false_turns``: detected turns whose speech part overlaps no true speech;
- ``n_true_turns``, ``n_detected_turns`` (``speech_started`` events);
- ``n_true_ends``: owed turn ends; ``missed_ends``: those with no end detection;
  ``missed_end_rate``: their share (NaN when none is owed);
- ``latency_ms_median``, ``latency_ms_p90`` over turns with an end detection;
- ``onset_clipping_ms_mean``: for each true turn that is not missed, take the first detected
  turn overlapping it; speech lost before its buffer = ``max(0, audio_start_ms - start)``;
  the mean over those turns; ``onset_clipped_rate``: share of them with more than 0 ms lost;
- ``time_to_commit_ms_median``: for turns with an end detection, the time the
  ``input_audio_buffer.committed`` of that item was emitted minus the true end.

Rates and statistics with nothing to count are NaN (no true turns: ``false_cutoff_rate``,
``missed_turn_rate``, latencies, onset values; counts stay defined). An annotation without
timing (a transcript only, ``speech_known=False``) gives NaN for everything but
``n_detected_turns``.

Examples
--------
>>> import rtlab
>>> from rtlab import metrics
>>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
>>> log = rtlab.detect(rtlab.vad.score(clip.audio), rtlab.Session())
>>> row = metrics.score(log, clip.truth)
>>> int(row["n_true_turns"]), int(row["missed_turns"])
(2, 0)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab import _check, _scoring
from rtlab._scoring import (
    FRAME_METRICS,
    METRIC_NAMES,
    TOLERANCE_MS,
    TURN_METRICS,
    Detections,
    Truth,
    TurnMatch,
    check_options,
)
from rtlab.annotation import MIN_TURN_GAP_MS
from rtlab.errors import ConfigError
from rtlab.events import TRANSCRIPTION_COMPLETED

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.annotation import Annotation
    from rtlab.duplex import ConversationTruth
    from rtlab.events import EventLog

__all__ = [
    "FRAME_METRICS",
    "METRIC_NAMES",
    "TURN_METRICS",
    "frame_metrics",
    "normalize_text",
    "score",
    "transcript_table",
    "truth_turns",
    "turn_metrics",
    "turn_outcomes",
    "turn_table",
    "wer",
]

_OUTCOME_COLUMNS = ("outcome", "time_s", "start_s", "end_s", "item_id")
_TURN_TABLE_COLUMNS = (
    "start_s",
    "end_s",
    "false_cutoffs",
    "missed",
    "item_id",
    "latency_ms",
    "onset_clipping_ms",
    "time_to_commit_ms",
)


def truth_turns(truth: Annotation, *, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> np.ndarray:
    """The true turns detection is judged against, as ``[start_s, end_s]`` rows.

    The annotation's ``turns`` when they do not overlap one another (one speaker at a time,
    or turns an annotation already derived from its speech spans); otherwise the floor turns
    of the mono mix, :meth:`rtlab.annotation.Annotation.floor_turns` with
    ``min_turn_gap_ms``: all speech, whoever speaks, with shorter silences bridged. Without
    turns, floor turns too.

    Parameters
    ----------
    truth : Annotation
        Ground truth with timing (``speech_known``).
    min_turn_gap_ms : float >= 0, default 500
        Silences shorter than this stay inside a floor turn.

    Returns
    -------
    numpy.ndarray, shape (n, 2)
        Sorted, non-overlapping turns in seconds (empty without timing).

    Examples
    --------
    >>> import rtlab
    >>> truth = rtlab.datasets.load("ami-debug/trn01").truth
    >>> truth_turns(truth).round(3).tolist()
    [[2.977, 3.368], [18.705, 19.669], [22.269, 22.726], [28.474, 30.0]]
    """
    if not getattr(truth, "speech_known", True):
        return np.empty((0, 2), dtype=np.float64)
    gap_ms = _check.number(
        min_turn_gap_ms, "min_turn_gap_ms", owner="truth_turns", low=0.0, allowed=_scoring.MS
    )
    return _scoring.true_turns_s(truth, gap_ms)


def _parsed(
    log: EventLog,
    truth: Annotation,
    owner: str,
    *,
    collar_ms: Any = 0.0,
    hop_ms: Any = None,
    tolerance_ms: Any = TOLERANCE_MS,
    min_turn_gap_ms: Any = MIN_TURN_GAP_MS,
) -> tuple[Truth, Detections, float | None]:
    """Check the inputs and options; the prepared truth, the log's turns and the audio length."""
    from rtlab.annotation import Annotation
    from rtlab.events import EventLog

    if not isinstance(log, EventLog):
        raise ConfigError("log", log, "an rtlab EventLog", owner=owner)
    if not isinstance(truth, Annotation):
        raise ConfigError("truth", truth, "an rtlab Annotation (e.g. clip.truth)", owner=owner)
    check_options(collar_ms, hop_ms, tolerance_ms, min_turn_gap_ms, owner)
    prepared = _scoring.prepare_truth(truth, min_turn_gap_ms=min_turn_gap_ms)
    det, duration = _scoring.detections(log, prepared)
    return prepared, det, duration


def _turns_matched(
    log: EventLog, truth: Annotation, tolerance_ms: Any, min_turn_gap_ms: Any, owner: str
) -> tuple[Truth, Detections, TurnMatch]:
    """Check the options, then match the log's turns with the true turns (per-turn views)."""
    prepared, det, duration = _parsed(
        log, truth, owner, tolerance_ms=tolerance_ms, min_turn_gap_ms=min_turn_gap_ms
    )
    return prepared, det, _scoring.match_turns(det, prepared, duration, float(tolerance_ms))


# --------------------------------------------------------------------------------------
# public functions


def score(
    log: EventLog,
    truth: Annotation | ConversationTruth,
    *,
    collar_ms: float = 0.0,
    hop_ms: float | None = None,
    tolerance_ms: float = TOLERANCE_MS,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> pd.Series:
    """Every frame and turn metric of one event log against the clip's ground truth.

    The definitions are in the module docstring (``help(rtlab.metrics)``).

    Parameters
    ----------
    log : EventLog
        Turn-detection events (emulator, live recording or file). Its ``session`` tells the
        ``server_vad`` padding and silence to remove for frame metrics; its ``duration_ms``
        ends turns that never stopped.
    truth : Annotation or rtlab.duplex.ConversationTruth
        Ground truth of the same audio. A simulated conversation's truth (``conv.truth``
        of :func:`rtlab.simulate`) adds the full-duplex metrics after the others:
        ``self_interruptions``, ``false_barge_ins``, ``missed_barge_ins``,
        ``barge_in_latency_ms_median``, ``talk_over_ms``, ``response_latency_ms_median``,
        ``idle_timeouts`` (definitions in :mod:`rtlab._duplex_metrics`).
    collar_ms : float >= 0, default 0
        Frame metrics only: time around each true speech boundary (half before, half after)
        left out of the evaluation.
    hop_ms : float > 0 or None, default None
        Frame metrics only: measure on frames of this hop (a frame is speech when its centre
        is); None measures durations exactly.
    tolerance_ms : float >= 0, default 200
        A ``speech_stopped`` less than this before a true turn's end is its end detection
        (negative latency), not a false cut-off.
    min_turn_gap_ms : float >= 0, default 500
        Silence bridged inside floor turns (see :func:`truth_turns`).

    Returns
    -------
    pandas.Series of float
        Indexed by :data:`METRIC_NAMES`; counts are whole numbers stored as floats.

    Raises
    ------
    rtlab.errors.ConfigError
        If an option is out of range.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("librivox/0870")
    >>> log = rtlab.detect(rtlab.vad.score(clip.audio), rtlab.Session())
    >>> row = rtlab.metrics.score(log, clip.truth)
    >>> bool(row["recall"] > 0.9), int(row["n_true_turns"])
    (True, 1)
    """
    import pandas as pd

    if hasattr(truth, "playback") and hasattr(truth, "annotation"):
        # a simulated conversation (rtlab.simulate): the user's turns, then the duplex metrics
        from rtlab._duplex_metrics import duplex_metrics

        user = score(
            log,
            truth.annotation,
            collar_ms=collar_ms,
            hop_ms=hop_ms,
            tolerance_ms=tolerance_ms,
            min_turn_gap_ms=min_turn_gap_ms,
        )
        return pd.concat([user, pd.Series(duplex_metrics(log, truth), dtype="float64")])
    prepared, det, duration = _parsed(
        log,
        truth,
        "score",
        collar_ms=collar_ms,
        hop_ms=hop_ms,
        tolerance_ms=tolerance_ms,
        min_turn_gap_ms=min_turn_gap_ms,
    )
    values = _scoring.metric_values(
        det, prepared, duration, float(collar_ms), hop_ms, float(tolerance_ms)
    )
    return pd.Series(
        [values[name] for name in METRIC_NAMES], index=list(METRIC_NAMES), dtype="float64"
    )


def frame_metrics(
    log: EventLog, truth: Annotation, *, collar_ms: float = 0.0, hop_ms: float | None = None
) -> pd.Series:
    """Frame-level precision, recall, F1 and detection error rate (see :func:`score`).

    Parameters
    ----------
    log : EventLog
    truth : Annotation
    collar_ms : float >= 0, default 0
    hop_ms : float > 0 or None, default None

    Returns
    -------
    pandas.Series of float
        Indexed by :data:`FRAME_METRICS`.

    Examples
    --------
    >>> from rtlab.annotation import Annotation
    >>> from rtlab.events import EventLog
    >>> truth = Annotation([[1.0, 3.0]], duration_s=5.0)
    >>> log = EventLog(({"type": "input_audio_buffer.speech_started", "audio_start_ms": 1500,
    ...                  "item_id": "item_0001"},
    ...                 {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 4000,
    ...                  "item_id": "item_0001"}), (1500.0, 4000.0), duration_ms=5000.0)
    >>> frame_metrics(log, truth)[["precision", "recall", "detection_error_rate"]].tolist()
    [0.6, 0.75, 0.75]
    """
    import pandas as pd

    prepared, det, duration = _parsed(
        log, truth, "frame_metrics", collar_ms=collar_ms, hop_ms=hop_ms
    )
    values = _scoring.frame_dict(det, prepared, duration, float(collar_ms), hop_ms)
    return pd.Series(values, index=list(FRAME_METRICS), dtype="float64")


def turn_metrics(
    log: EventLog,
    truth: Annotation,
    *,
    tolerance_ms: float = TOLERANCE_MS,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> pd.Series:
    """Turn-level metrics: false cut-offs, missed and false turns, latency, onset clipping.

    Parameters
    ----------
    log : EventLog
    truth : Annotation
    tolerance_ms : float >= 0, default 200
    min_turn_gap_ms : float >= 0, default 500

    Returns
    -------
    pandas.Series of float
        Indexed by :data:`TURN_METRICS` (definitions in :func:`score`).

    Examples
    --------
    >>> from rtlab.annotation import Annotation
    >>> from rtlab.events import EventLog
    >>> truth = Annotation.from_segments([[1.0, 3.0]], duration_s=5.0)
    >>> log = EventLog(({"type": "input_audio_buffer.speech_started", "audio_start_ms": 700,
    ...                  "item_id": "item_0001"},
    ...                 {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 3500,
    ...                  "item_id": "item_0001"}), (1000.0, 3500.0), duration_ms=5000.0)
    >>> turn_metrics(log, truth)[["false_cutoffs", "latency_ms_median"]].tolist()
    [0.0, 500.0]
    """
    import pandas as pd

    prepared, det, duration = _parsed(
        log, truth, "turn_metrics", tolerance_ms=tolerance_ms, min_turn_gap_ms=min_turn_gap_ms
    )
    values = _scoring.turn_dict(det, prepared, duration, float(tolerance_ms))
    return pd.Series(values, index=list(TURN_METRICS), dtype="float64")


def turn_table(
    log: EventLog,
    truth: Annotation,
    *,
    tolerance_ms: float = TOLERANCE_MS,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> pd.DataFrame:
    """One row per true turn: what the detector did with it.

    Parameters
    ----------
    log : EventLog
    truth : Annotation
    tolerance_ms : float >= 0, default 200
    min_turn_gap_ms : float >= 0, default 500

    Returns
    -------
    pandas.DataFrame
        Columns ``start_s``, ``end_s`` (the true turn), ``false_cutoffs`` (int),
        ``missed`` (bool), ``item_id`` (the item whose ``speech_stopped`` ended it, else
        None), ``latency_ms``, ``onset_clipping_ms``, ``time_to_commit_ms`` (NaN where
        undefined).

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> log = rtlab.detect(rtlab.vad.score(clip.audio), rtlab.Session())
    >>> turn_table(log, clip.truth)[["start_s", "end_s", "missed"]].values.tolist()
    [[1.46, 2.82, False], [3.36, 4.36, False]]
    """
    import pandas as pd

    _, det, match = _turns_matched(log, truth, tolerance_ms, min_turn_gap_ms, "turn_table")
    n = len(match.turns_ms)
    items = [det.stop_items[k] if k >= 0 else None for k in match.end_stop]
    frame = pd.DataFrame(
        {
            "start_s": match.turns_ms[:, 0] / 1000.0,
            "end_s": match.turns_ms[:, 1] / 1000.0,
            "false_cutoffs": match.cutoffs.astype(np.int64),
            "missed": match.missed.astype(bool),
            "item_id": pd.Series(items, dtype=object),
            "latency_ms": match.latency_ms,
            "onset_clipping_ms": match.onset_ms,
            "time_to_commit_ms": match.commit_ms,
        },
        columns=list(_TURN_TABLE_COLUMNS),
        index=pd.RangeIndex(n),
    )
    return frame


def turn_outcomes(
    log: EventLog,
    truth: Annotation,
    *,
    tolerance_ms: float = TOLERANCE_MS,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> pd.DataFrame:
    """Where to mark what happened, for timelines: one row per outcome, in time order.

    Outcomes (definitions in :func:`score`):

    - ``"false_cutoff"``: one row per false cut-off; ``time_s`` = the ``speech_stopped``
      (its ``audio_end_ms``), ``start_s``/``end_s`` = the true turn that was cut,
      ``item_id`` = the item that stopped;
    - ``"missed"``: a true turn no detected speech overlaps; ``time_s`` = its middle,
      ``start_s``/``end_s`` = the turn, ``item_id`` None;
    - ``"false_turn"``: a detected turn over no true speech; ``time_s`` = its
      ``audio_start_ms``, ``start_s``/``end_s`` = its committed span, ``item_id`` its item;
    - ``"hit"``: a true turn detected without a false cut-off; ``time_s`` = its end
      detection (the true end if it has none), ``start_s``/``end_s`` = the turn,
      ``item_id`` = the item that ended it (or the first detection overlapping it).

    Parameters
    ----------
    log : EventLog
    truth : Annotation
    tolerance_ms : float >= 0, default 200
    min_turn_gap_ms : float >= 0, default 500

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome``, ``time_s``, ``start_s``, ``end_s``, ``item_id``; empty (with
        these columns) when the annotation has no timing.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> log = rtlab.detect(rtlab.vad.score(clip.audio), rtlab.Session())
    >>> turn_outcomes(log, clip.truth)["outcome"].tolist()
    ['hit', 'hit']
    """
    import pandas as pd

    prepared, det, match = _turns_matched(
        log, truth, tolerance_ms, min_turn_gap_ms, "turn_outcomes"
    )
    rows: list[tuple[str, float, float, float, Any]] = []
    if prepared.known:
        turns_s = match.turns_ms / 1000.0
        for k in np.flatnonzero(match.cutoff_turn >= 0):
            j = match.cutoff_turn[k]
            rows.append(
                (
                    "false_cutoff",
                    det.stop_ms[k] / 1000.0,
                    turns_s[j, 0],
                    turns_s[j, 1],
                    det.stop_items[k],
                )
            )
        for j in range(len(turns_s)):
            start, end = turns_s[j]
            if match.missed[j]:
                rows.append(("missed", (start + end) / 2, start, end, None))
            elif match.cutoffs[j] == 0:
                k = match.end_stop[j]
                if k >= 0:
                    rows.append(("hit", det.stop_ms[k] / 1000.0, start, end, det.stop_items[k]))
                else:
                    item = det.item_ids[match.first_detection[j]]
                    rows.append(("hit", end, start, end, item))
        for k in np.flatnonzero(match.false_turn):
            end = det.end_ms[k] / 1000.0
            rows.append(
                (
                    "false_turn",
                    det.start_ms[k] / 1000.0,
                    det.start_ms[k] / 1000.0,
                    end,
                    det.item_ids[k],
                )
            )
    rows.sort(key=lambda row: (row[1], row[0]))
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_OUTCOME_COLUMNS)
    return pd.DataFrame(
        {
            name: pd.Series(
                list(values), dtype=object if name in ("outcome", "item_id") else "float64"
            )
            for name, values in zip(_OUTCOME_COLUMNS, columns, strict=True)
        },
        columns=list(_OUTCOME_COLUMNS),
    )


# --------------------------------------------------------------------------------------
# transcripts

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def normalize_text(text: str) -> str:
    """The text normalisation :func:`wer` applies to both sides.

    Unicode NFKC, lower case (``str.casefold``); curly apostrophes become ``'``; every
    character that is not a letter, digit or apostrophe becomes a space (so hyphenated words
    split: ``well-known`` → ``well known``); apostrophes are kept only inside a word
    (``don't``, not ``'quoted'``); runs of white space collapse to one space; no leading or
    trailing space. Numbers are not spelled out.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> normalize_text("  And so, my fellow Americans: ask NOT -- 'what' I'M  doing!")
    "and so my fellow americans ask not what i'm doing"
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    text = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in text)
    text = re.sub(r"(?<![^\W_])'|'(?![^\W_])", " ", text)
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference``, after :func:`normalize_text`.

    (substitutions + deletions + insertions) / reference words, computed with ``jiwer``.

    Parameters
    ----------
    reference, hypothesis : str

    Returns
    -------
    float >= 0
        May exceed 1 with many insertions. With an empty reference (after normalisation):
        0.0 if the hypothesis is empty too, else NaN (undefined).

    Raises
    ------
    rtlab.errors.ConfigError
        If an argument is not a str.

    Examples
    --------
    >>> wer("Ask not what your country can do for you.", "ask not what your country can do")
    0.2222222222222222
    """
    import jiwer

    for name, value in (("reference", reference), ("hypothesis", hypothesis)):
        if not isinstance(value, str):
            raise ConfigError(name, value, "a str", owner="wer")
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else math.nan
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def _reference_text(truth: Annotation, start_ms: float, end_ms: float, n_turns: int) -> str | None:
    def within(items: Sequence[Any]) -> list[str]:
        return [
            t.text for t in items if t.text and start_ms <= (t.start_s + t.end_s) * 500.0 < end_ms
        ]

    if truth.words:
        return " ".join(within(truth.words))
    if any(t.text for t in truth.turns):
        return " ".join(within(truth.turns))
    if truth.transcript is not None and n_turns == 1:
        return truth.transcript
    return None


def transcript_table(log: EventLog, truth: Annotation) -> pd.DataFrame:
    """Per detected turn: what was said, what the transcript says, and the WER.

    The reference text of a detected turn is taken from the annotation, in this order: the
    words whose middle lies in the turn's committed span (``audio_start_ms`` to
    ``audio_end_ms``); else the texts of turns whose middle lies there; else the whole
    transcript when the log has exactly one detected turn; else None. The hypothesis is the
    ``transcript`` of the log's ``conversation.item.input_audio_transcription.completed``
    event for the turn's item (None if there is none).

    Parameters
    ----------
    log : EventLog
    truth : Annotation

    Returns
    -------
    pandas.DataFrame
        Columns ``item_id``, ``start_s``, ``end_s``, ``reference``, ``hypothesis``, ``wer``
        (:func:`wer`; NaN when either text is missing).

    Examples
    --------
    >>> from rtlab.annotation import Annotation, Turn
    >>> from rtlab.events import EventLog
    >>> truth = Annotation([[0.2, 1.0]], words=(Turn(0.2, 0.5, text="hello"),
    ...                                          Turn(0.6, 1.0, text="there")))
    >>> log = EventLog(({"type": "input_audio_buffer.speech_started", "audio_start_ms": 0,
    ...                  "item_id": "item_0001"},
    ...                 {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 1500,
    ...                  "item_id": "item_0001"},
    ...                 {"type": "conversation.item.input_audio_transcription.completed",
    ...                  "item_id": "item_0001", "content_index": 0, "transcript": "Hello!"}),
    ...                (200.0, 1500.0, 1900.0))
    >>> transcript_table(log, truth)[["reference", "hypothesis", "wer"]].values.tolist()
    [['hello there', 'Hello!', 0.5]]
    """
    import pandas as pd

    _, det, _ = _parsed(log, truth, "transcript_table")
    texts: dict[Any, str] = {}
    for event in log.events:
        if event["type"] == TRANSCRIPTION_COMPLETED and isinstance(event.get("transcript"), str):
            texts.setdefault(event.get("item_id"), event["transcript"])
    rows = []
    for k, item in enumerate(det.item_ids):
        start, end = float(det.start_ms[k]), float(det.end_ms[k])
        reference = _reference_text(truth, start, end, len(det.item_ids))
        hypothesis = texts.get(item)
        score_ = (
            wer(reference, hypothesis)
            if reference is not None and hypothesis is not None
            else math.nan
        )
        rows.append((item, start / 1000.0, end / 1000.0, reference, hypothesis, score_))
    names = ("item_id", "start_s", "end_s", "reference", "hypothesis", "wer")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pd.DataFrame(
        {
            name: pd.Series(
                list(values), dtype="float64" if name in ("start_s", "end_s", "wer") else object
            )
            for name, values in zip(names, columns, strict=True)
        },
        columns=list(names),
    )
