"""The turn-detection engine's parts, shared by :mod:`rtlab.turns` and the sweep.

What one configuration boils down to in frames (:class:`Params`), the runs of speech and
silence frames, where turns start and stop, the prefix padding, and the writer of
API-shaped events with deterministic ids. :func:`rtlab.turns.detect` checks its inputs and
calls :func:`events_from_scores`; :mod:`rtlab._sweep_engine` calls the same pieces on many
configurations at once, so the rules are written once. Inputs are trusted (checked by the
public functions). Nothing here keeps state between calls: a caller that detects many times
on the same scores passes its own memo dicts (``runs``, ``turn_end``).

See :mod:`rtlab.turns` for the semantics.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab.errors import ConfigError
from rtlab.events import (
    COMMITTED,
    SPEECH_STARTED,
    SPEECH_STOPPED,
    TIMEOUT_TRIGGERED,
    EventLog,
)

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio
    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions
    from rtlab.vad import FrameScores

#: Maximum time semantic_vad waits before ending a turn, per eagerness (API documentation).
EAGERNESS_MAX_WAIT_MS: dict[str, float] = {
    "low": 8000.0,
    "medium": 4000.0,
    "high": 2000.0,
    "auto": 4000.0,
}

EPS = 1e-9


def wait_ms(
    probability: float | np.ndarray, eagerness: str, options: EmulatorOptions
) -> float | np.ndarray:
    """:func:`rtlab.turns.semantic_wait_ms` for a known ``eagerness`` (no checks)."""
    cap = EAGERNESS_MAX_WAIT_MS[eagerness]
    low = min(options.semantic_min_wait_ms, cap)
    doubt = np.clip(1.0 - np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    wait = low + (cap - low) * doubt**options.semantic_wait_exponent
    return float(wait) if wait.ndim == 0 else wait


def whole_frames(ms: float, hop_ms: float) -> int:
    """Whole frames needed to cover ``ms`` (at least one)."""
    return max(1, math.ceil(ms / hop_ms - EPS))


def frame_ms(frame: int | float, hop_ms: float) -> int:
    return round(frame * hop_ms)


class Params:
    """The numbers one turn-detection configuration boils down to, in frames."""

    __slots__ = (
        "eagerness",
        "hop_ms",
        "idle_frames",
        "kind",
        "min_frames",
        "min_wait_frames",
        "offset",
        "options",
        "prefix_ms",
        "silence_frames",
        "threshold",
    )

    def __init__(self, turn_detection: Any, hop_ms: float, options: EmulatorOptions) -> None:
        self.kind = turn_detection.type
        self.hop_ms = float(hop_ms)
        self.options = options
        self.offset = float(options.negative_threshold_offset)
        self.min_frames = (
            whole_frames(options.min_speech_ms, hop_ms) if options.min_speech_ms > 0 else 1
        )
        self.idle_frames = 0
        self.silence_frames = 0
        self.min_wait_frames = 0
        self.eagerness = "auto"
        if self.kind == "server_vad":
            self.threshold = float(turn_detection.threshold)
            self.prefix_ms = float(turn_detection.prefix_padding_ms)
            self.silence_frames = whole_frames(float(turn_detection.silence_duration_ms), hop_ms)
            idle = getattr(turn_detection, "idle_timeout_ms", None)
            self.idle_frames = whole_frames(float(idle), hop_ms) if idle is not None else 0
        elif self.kind == "semantic_vad":
            self.threshold = float(options.semantic_threshold)
            self.prefix_ms = float(options.semantic_prefix_padding_ms)
            self.eagerness = turn_detection.eagerness or "auto"
            self.min_wait_frames = whole_frames(options.semantic_min_wait_ms, hop_ms)
        else:
            raise ConfigError(
                "turn_detection.type",
                self.kind,
                "'server_vad', 'semantic_vad' (or turn_detection=None)",
                owner="detect",
            )

    def wait_frames(self, probability: float) -> int:
        """Frames a semantic pause must last, given the turn-end probability."""
        wait = float(wait_ms(float(probability), self.eagerness, self.options))
        return max(self.min_wait_frames, whole_frames(wait, self.hop_ms))


class Writer:
    """Turns detection decisions into API-shaped events with deterministic ids."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.times: list[float] = []
        self._n_events = 0
        self._n_items = 0
        self._item: str | None = None
        self._last_committed: str | None = None

    def _event_id(self) -> str:
        self._n_events += 1
        return f"event_{self._n_events:04d}"

    def _item_id(self) -> str:
        self._n_items += 1
        return f"item_{self._n_items:04d}"

    def _emit(self, event: dict[str, Any], at_ms: float) -> dict[str, Any]:
        self.events.append(event)
        self.times.append(float(at_ms))
        return event

    def _commit(self, item: str, at_ms: float) -> dict[str, Any]:
        event = {
            "type": COMMITTED,
            "event_id": self._event_id(),
            "previous_item_id": self._last_committed,
            "item_id": item,
        }
        self._last_committed = item
        return self._emit(event, at_ms)

    def started(self, audio_start_ms: int, at_ms: float) -> list[dict[str, Any]]:
        self._item = self._item_id()
        event = {
            "type": SPEECH_STARTED,
            "event_id": self._event_id(),
            "audio_start_ms": int(audio_start_ms),
            "item_id": self._item,
        }
        return [self._emit(event, at_ms)]

    def stopped(self, audio_end_ms: int, at_ms: float) -> list[dict[str, Any]]:
        item = self._item
        assert item is not None
        event = {
            "type": SPEECH_STOPPED,
            "event_id": self._event_id(),
            "audio_end_ms": int(audio_end_ms),
            "item_id": item,
        }
        self._item = None
        return [self._emit(event, at_ms), self._commit(item, at_ms)]

    def timeout(self, audio_start_ms: int, audio_end_ms: int, at_ms: float) -> list[dict[str, Any]]:
        item = self._item_id()
        event = {
            "type": TIMEOUT_TRIGGERED,
            "event_id": self._event_id(),
            "audio_start_ms": int(audio_start_ms),
            "audio_end_ms": int(audio_end_ms),
            "item_id": item,
        }
        return [self._emit(event, at_ms), self._commit(item, at_ms)]

    def turns(self, start_ms: list[int], emit_ms: list[float], stop_ms: list[int]) -> None:
        """Turns without timeouts in one pass: what :meth:`started` then :meth:`stopped` write.

        One turn per ``start_ms`` (its ``audio_start_ms``; ``speech_started`` sent at
        ``emit_ms``); the first ``len(stop_ms)`` of them stop at ``stop_ms`` (their
        ``audio_end_ms``, also when the stop and the commit are sent), the last may stay open.
        """
        events = self.events
        times = self.times
        n_event = self._n_events
        n_item = self._n_items
        previous = self._last_committed
        n_stopped = len(stop_ms)
        for i, (start, emit) in enumerate(zip(start_ms, emit_ms, strict=True)):
            n_item += 1
            item = f"item_{n_item:04d}"
            n_event += 1
            events.append(
                {
                    "type": SPEECH_STARTED,
                    "event_id": f"event_{n_event:04d}",
                    "audio_start_ms": start,
                    "item_id": item,
                }
            )
            times.append(float(emit))
            if i >= n_stopped:
                self._item = item
                break
            stop = stop_ms[i]
            events.append(
                {
                    "type": SPEECH_STOPPED,
                    "event_id": f"event_{n_event + 1:04d}",
                    "audio_end_ms": stop,
                    "item_id": item,
                }
            )
            events.append(
                {
                    "type": COMMITTED,
                    "event_id": f"event_{n_event + 2:04d}",
                    "previous_item_id": previous,
                    "item_id": item,
                }
            )
            n_event += 2
            times.append(float(stop))
            times.append(float(stop))
            previous = item
        self._n_events = n_event
        self._n_items = n_item
        self._last_committed = previous


def mask_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start frames and lengths of the runs of True in a boolean array."""
    edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return starts, ends - starts


def speech_silence_runs(
    probabilities: np.ndarray,
    threshold: float,
    offset: float,
    memo: dict[tuple[float, float], tuple[np.ndarray, ...]] | None = None,
) -> tuple[np.ndarray, ...]:
    """Runs of speech frames (``p >= threshold``) and silence frames (``p < threshold - offset``).

    Returns ``(speech_starts, speech_lengths, silence_starts, silence_lengths)``, int64,
    read-only. ``memo``: the caller's dict for these very probabilities, keyed by
    ``(threshold, offset)``, so a sweep over ``silence_duration_ms`` / ``prefix_padding_ms``
    on the same scores computes them once. Comparisons are made in float64, like the
    streaming detector's.
    """
    key = (float(threshold), float(offset))
    if memo is not None and key in memo:
        return memo[key]
    p = probabilities.astype(np.float64, copy=False)
    speech = p >= threshold
    silence = p < threshold - offset
    value = (*mask_runs(speech), *mask_runs(silence))
    for array in value:
        array.flags.writeable = False
    if memo is not None:
        memo[key] = value
    return value


def schedule(
    onsets_all: np.ndarray,
    gap_starts: np.ndarray,
    gap_frames: np.ndarray,
    params: Params,
    n_frames: int,
    writer: Writer,
) -> None:
    """Write the events given candidate onsets and the pauses that end a turn.

    ``onsets_all``: first frames of speech runs long enough to start a turn (sorted);
    ``gap_starts``: first frames of the silence runs that end a turn if one is active
    (sorted), each ending it ``gap_frames`` frames later. The pauses split the timeline into
    segments; the turn of a segment starts at its first onset and stops at the pause that
    closes it. Times are computed with numpy; Python only loops to build the event dicts
    (and over idle intervals when there is an idle timeout), never over frames.
    """
    hop = params.hop_ms
    m = params.min_frames
    idle = params.idle_frames
    first, closing = turn_starts(onsets_all, gap_starts)
    onsets = onsets_all[first]
    # every turn but possibly the last one is closed by a pause
    n_stopped = int(np.count_nonzero(closing < gap_starts.size))
    stops = gap_starts[closing[:n_stopped]] + gap_frames[closing[:n_stopped]]
    if idle:
        schedule_with_timeouts(onsets, stops, params, n_frames, writer)
        return
    onset_ms = np.rint(onsets * hop)
    stop_ms = np.rint(stops * hop)
    committed_ms = np.zeros(onsets.size)  # end of the audio already committed
    committed_ms[1:] = stop_ms[: onsets.size - 1]
    start_ms = audio_start_ms(onset_ms, params.prefix_ms, committed_ms)
    writer.turns(
        start_ms.astype(np.int64).tolist(),
        np.rint((onsets + m) * hop).tolist(),
        stop_ms.astype(np.int64).tolist(),
    )


def turn_starts(onsets: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which candidate onsets start a turn, and the index of the pause that ends each turn.

    ``onsets`` (first frames of speech runs long enough to start a turn) and ``gaps`` (first
    frames of pauses long enough to end one) are sorted. The pauses cut the timeline into
    segments: a turn starts at the first onset of a segment (later ones fall inside it) and
    is ended by the pause that closes the segment (index ``gaps.size``: none, still open).
    Any sorted keys work, e.g. ``configuration * stride + frame`` for many configurations
    at once (:mod:`rtlab._sweep_engine`).
    """
    segment = np.searchsorted(gaps, onsets, side="right")
    first = np.ones(segment.size, dtype=bool)
    first[1:] = segment[1:] != segment[:-1]
    return first, segment[first]


def audio_start_ms(
    onset_ms: np.ndarray, prefix_ms: float | np.ndarray, committed_ms: np.ndarray
) -> np.ndarray:
    """``audio_start_ms`` of turns: the onset minus the prefix padding, rounded to ms.

    Never below 0, nor before the end of the audio already committed (a commit clears the
    buffer, so the padding never reaches into the previous item's audio).
    """
    return np.rint(np.maximum(np.maximum(onset_ms - prefix_ms, 0.0), committed_ms))


def schedule_with_timeouts(
    onsets: np.ndarray, stops: np.ndarray, params: Params, n_frames: int, writer: Writer
) -> None:
    """Turns plus the idle timeouts between them (a loop over turns and timeouts)."""
    hop = params.hop_ms
    m = params.min_frames
    idle = params.idle_frames
    n_stopped = stops.size
    ref = 0  # frame where the idle timer (and the uncommitted audio) starts
    for i, onset in enumerate(onsets.tolist()):
        emit = onset + m
        # timeouts at ref + k * idle that come strictly before speech_started
        for _ in range((emit - 1 - ref) // idle):
            writer.timeout(frame_ms(ref, hop), frame_ms(ref + idle, hop), frame_ms(ref + idle, hop))
            ref += idle
        start_ms = max(0, frame_ms(onset, hop) - params.prefix_ms, frame_ms(ref, hop))
        writer.started(round(start_ms), frame_ms(emit, hop))
        if i >= n_stopped:
            break  # a turn that never stops ends the schedule: no idle timer after it
        stop = int(stops[i])
        writer.stopped(frame_ms(stop, hop), frame_ms(stop, hop))
        ref = stop
    else:  # every turn stopped (or there was none): the timer runs to the end of the audio
        for _ in range((n_frames - ref) // idle):
            writer.timeout(frame_ms(ref, hop), frame_ms(ref + idle, hop), frame_ms(ref + idle, hop))
            ref += idle


def server_vad(
    scores: FrameScores,
    params: Params,
    writer: Writer,
    runs: dict[tuple[float, float], Any] | None = None,
) -> None:
    """Write the events of ``server_vad`` (``runs``: see :func:`speech_silence_runs`)."""
    p = scores.probabilities
    speech_starts, speech_lengths, silence_starts, silence_lengths = speech_silence_runs(
        p, params.threshold, params.offset, runs
    )
    onsets = speech_starts[speech_lengths >= params.min_frames]
    long_enough = silence_lengths >= params.silence_frames
    gap_starts = silence_starts[long_enough]
    gap_frames = np.full(gap_starts.size, params.silence_frames, dtype=np.int64)
    schedule(onsets, gap_starts, gap_frames, params, p.size, writer)


def semantic_vad(
    scores: FrameScores,
    params: Params,
    writer: Writer,
    runs: dict[tuple[float, float], Any] | None = None,
    turn_end: dict[tuple[str, int], float] | None = None,
) -> None:
    """Write the events of ``semantic_vad`` (for the memos see the functions that use them)."""
    p = scores.probabilities
    speech_starts, speech_lengths, silence_starts, silence_lengths = speech_silence_runs(
        p, params.threshold, params.offset, runs
    )
    onsets = speech_starts[speech_lengths >= params.min_frames]
    if onsets.size == 0:
        return
    # Only pauses long enough to end a turn whatever the model says, after the first onset.
    eligible = (silence_lengths >= params.min_wait_frames) & (silence_starts > onsets[0])
    starts = silence_starts[eligible]
    lengths = silence_lengths[eligible]
    # the model is asked when the pause has lasted min_wait, on the audio up to that moment
    probe = starts + params.min_wait_frames
    end_ms = np.array([frame_ms(f, params.hop_ms) for f in probe.tolist()], dtype=np.float64)
    if scores.audio is not None:
        probability = turn_end_probability(scores.audio, end_ms, turn_end)
    elif starts.size:
        raise ConfigError(
            "audio_or_scores",
            scores,
            "FrameScores that carry their audio (scores.audio), or an Audio",
            owner="detect",
            fix="semantic_vad runs the turn-end model on the audio; pass the Audio instead.",
        )
    else:  # no pause to ask the model about
        probability = np.empty(0, dtype=np.float64)
    waits = np.array([params.wait_frames(q) for q in probability.tolist()], dtype=np.int64)
    ends_turn = lengths >= waits
    schedule(onsets, starts[ends_turn], waits[ends_turn], params, p.size, writer)


def turn_end_probability(
    audio: Audio, end_ms: np.ndarray, memo: dict[tuple[str, int], float] | None = None
) -> np.ndarray:
    """Smart Turn probabilities at ``end_ms``, batched.

    ``memo``: the caller's dict of probabilities already found, keyed by (audio
    fingerprint, position in ms); only the positions not in it go to the model (whose own
    disk cache is keyed on the audio's content too).
    """
    out = np.empty(end_ms.size, dtype=np.float64)
    if end_ms.size == 0:
        return out
    from rtlab import smart_turn

    if memo is None:
        return np.asarray(smart_turn.turn_end_probability(audio, end_ms), dtype=np.float64)
    fingerprint = audio.fingerprint
    keys = [(fingerprint, round(t)) for t in end_ms.tolist()]
    found = [memo.get(key) for key in keys]
    missing = [i for i, q in enumerate(found) if q is None]
    if missing:
        fresh = np.asarray(
            smart_turn.turn_end_probability(audio, end_ms[missing]), dtype=np.float64
        )
        for i, q in zip(missing, fresh.tolist(), strict=True):
            found[i] = q
            memo[keys[i]] = q
    out[:] = found
    return out


def input_processing(session: Session, options: EmulatorOptions) -> tuple[str, str | None]:
    """What :func:`prepare_audio` does to a session's audio: (input format, noise reduction).

    The format is ``"pcm16"`` unless the session sends G.711 and the options emulate it;
    the noise reduction type is None when off.
    """
    fmt = getattr(session, "input_audio_format", "pcm16") or "pcm16"
    if not options.emulate_input_format:
        fmt = "pcm16"
    reduction = getattr(session, "input_audio_noise_reduction", None)
    return fmt, None if reduction is None else reduction.type


def prepare_audio(audio: Audio, session: Session, options: EmulatorOptions) -> Audio:
    """The audio the server's VAD hears: through the input codec, then noise reduction."""
    fmt, kind = input_processing(session, options)
    if fmt == "pcm16" and kind is None:
        return audio
    prepared = audio
    if fmt in ("g711_ulaw", "g711_alaw"):
        from rtlab.audio import Audio

        law: Literal["ulaw", "alaw"] = "ulaw" if fmt == "g711_ulaw" else "alaw"
        prepared = Audio.from_g711(prepared.to_g711(law), law)
    if kind is not None:
        from rtlab import noise

        prepared = noise.reduce(prepared, kind)
    return prepared


def events_from_scores(
    scores: FrameScores,
    session: Session,
    options: EmulatorOptions,
    *,
    duration_ms: float | None = None,
    runs: dict[tuple[float, float], Any] | None = None,
    turn_end: dict[tuple[str, int], float] | None = None,
) -> EventLog:
    """The events of the session's turn detection on these scores (as :func:`rtlab.detect`).

    ``duration_ms``: the log's audio length (default: the scores'). ``runs`` and
    ``turn_end``: the caller's memos for these scores (see :func:`speech_silence_runs` and
    :func:`turn_end_probability`).
    """
    duration = float(scores.duration_ms) if duration_ms is None else duration_ms
    turn_detection = session.turn_detection
    if turn_detection is None:
        return EventLog((), (), session=session, duration_ms=duration)
    params = Params(turn_detection, scores.hop_ms, options)
    writer = Writer()
    if params.kind == "server_vad":
        server_vad(scores, params, writer, runs)
    else:
        semantic_vad(scores, params, writer, runs, turn_end)
    return EventLog._trusted(writer.events, writer.times, session=session, duration_ms=duration)
