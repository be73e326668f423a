"""The local turn-detection engine: the server events ``server_vad`` / ``semantic_vad`` would send.

:func:`detect` turns frame scores (or audio, which it scores) into an
:class:`~rtlab.events.EventLog` of ``input_audio_buffer.*`` server events, vectorised with
numpy so sweeps can call it thousands of times. :class:`Detector` is the same engine as a
per-frame state machine fed chunk by chunk, as a live server would run; both produce the
same events on the same audio.

Semantics (time advances in VAD frames of ``hop_ms`` = 32 ms; an event is emitted at the
end of the frame that triggers it, and its ``emitted_ms`` is that audio position):

``server_vad`` (threshold ``θ``, ``prefix_padding_ms``, ``silence_duration_ms``,
``idle_timeout_ms``)
    * A frame is *speech* when its probability is ``>= θ``. ``speech_started`` fires at the
      end of the first speech frame (after ``EmulatorOptions.min_speech_ms`` of consecutive
      speech frames, default one frame). ``audio_start_ms`` = onset − ``prefix_padding_ms``,
      clamped to ``>= 0`` and to ``>=`` the end of the audio already committed (a commit
      clears the buffer, so the padding never reaches into the previous item's audio).
    * While speaking, a frame is *silence* when its probability is ``< θ − offset``
      (``EmulatorOptions.negative_threshold_offset``, default 0: no hysteresis).
      ``speech_stopped`` fires at the end of the frame where the run of consecutive silence
      frames first reaches ``silence_duration_ms`` (in whole frames, at least one:
      500 ms → 16 frames = 512 ms). ``audio_end_ms`` is the audio position at that moment,
      so it includes the silence, as the API documents. ``input_audio_buffer.committed``
      follows at the same time, with ``previous_item_id`` = the previously committed item
      (``None`` for the first).
    * Speech still going on when the audio ends: ``speech_started`` without a stop.
    * ``idle_timeout_ms``: the API starts the timer when the last model response has
      finished playing. The emulator has no model, so responses take no time: the timer
      starts at the session start and at every commit (``speech_stopped``, or a previous
      timeout, which itself creates a model response). When it runs out (rounded up to whole
      frames) before ``speech_started`` fires, ``input_audio_buffer.timeout_triggered`` is
      emitted with ``audio_start_ms`` = when the timer started and ``audio_end_ms`` = now,
      then ``committed`` (the API commits the empty audio as an item). It therefore repeats
      every ``idle_timeout_ms`` of continued silence. A speech start on the very frame the
      timer runs out wins.

``semantic_vad`` (``eagerness``)
    * Speech and pauses are found with the base VAD threshold
      ``EmulatorOptions.semantic_threshold`` (0.5), the same way as ``server_vad``;
      ``audio_start_ms`` uses ``EmulatorOptions.semantic_prefix_padding_ms`` (300).
    * When a pause (run of silence frames inside a turn) has lasted
      ``semantic_min_wait_ms``, the turn-end model (Smart Turn v3,
      :func:`rtlab.smart_turn.turn_end_probability`) scores the audio up to that moment
      (the 8 s before it, earlier turns included): ``p`` = probability the user has
      finished. This is what a live server knows then, and matches pipecat, which runs
      Smart Turn after its VAD has heard 0.2 s of silence (Smart Turn scores a complete
      sentence low at its very last sample and high 0.1–0.2 s later). All pauses of a clip
      go to the model in one batch. The pause ends the turn once it has lasted ``wait(p)``
      (see :func:`semantic_wait_ms`)::

          wait(p) = min_wait + (cap − min_wait) · (1 − p) ** exponent

      with ``cap`` = 8000 / 4000 / 2000 ms for eagerness low / medium (= auto) / high (the
      API's documented maximum timeouts), ``min_wait`` = 200 ms and ``exponent`` = 1 by
      default. A confident end of turn (p = 0.95) is answered after 590 / 390 / 290 ms;
      an unfinished phrase (p = 0.05) after 7610 / 3810 / 1910 ms; never later than the cap.
      ``min_wait`` = 200 ms is the VAD stop time pipecat pairs with Smart Turn; the linear
      map is the simplest monotone one that reaches ``min_wait`` at certainty and the
      eagerness cap at p = 0, so eagerness only scales how long doubt is tolerated.
    * ``idle_timeout_ms`` does not exist for ``semantic_vad`` (API: server_vad only).

``turn_detection = None``
    No VAD events at all (the client commits): an empty log with the session attached.

The emulator emits only ``input_audio_buffer.*`` events (no ``conversation.item.created``
or response events).

Examples
--------
Two LibriVox sentences with a 1.5 s pause between them, API defaults (server_vad 0.5,
300 ms padding, 500 ms silence):

>>> import rtlab
>>> from rtlab import datasets
>>> from rtlab.turns import detect
>>> track = datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=1500, tail_ms=1000)
>>> [(t.start_s, round(t.end_s, 2)) for t in track.truth.turns]
[(0.5, 3.02), (4.523166666666667, 7.29)]
>>> log = detect(track.audio, rtlab.Session())
>>> log  # doctest: +ELLIPSIS
EventLog(6 events: speech_started=2, speech_stopped=2, committed=2; source='emulator', ...)
>>> log.turns()[["start_ms", "end_ms", "committed"]]
   start_ms  end_ms  committed
0     212.0  3584.0       True
1    4244.0  7808.0       True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from rtlab import _check
from rtlab._detection import (
    EAGERNESS_MAX_WAIT_MS,
    Params,
    Writer,
    events_from_scores,
    frame_ms,
    prepare_audio,
    turn_end_probability,
    wait_ms,
)
from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import ConfigError
from rtlab.events import EventLog

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio
    from rtlab.session import SemanticVad, ServerVad, Session
    from rtlab.vad import FrameScores

__all__ = ["EAGERNESS_MAX_WAIT_MS", "Detector", "EmulatorOptions", "detect", "semantic_wait_ms"]


_VAD_MODELS = ("silero", "energy")


# ---------------------------------------------------------------------------------------
# options


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulator fills in what the API does not document.

    The defaults reproduce the documented semantics exactly (no hysteresis, speech starts
    on the first frame above the threshold); the other knobs let you model a stricter
    server.

    Parameters
    ----------
    vad_model : {"silero", "energy"}, default "silero"
        Frame scorer used when :func:`detect` or :class:`Detector` is given audio (ignored
        when given :class:`~rtlab.vad.FrameScores`, which already name their model).
    negative_threshold_offset : float in [0, 1], default 0.0
        Hysteresis: once speech has started, a frame only counts as silence when its
        probability is below ``threshold − negative_threshold_offset``. Silero's own
        iterator uses 0.15; 0 keeps the API's single threshold.
    min_speech_ms : float >= 0, default 0.0
        Speech must last this long (in consecutive speech frames, at least one) before
        ``speech_started`` fires. The onset (and so ``audio_start_ms``) is still the first
        speech frame. 0 = fire on the first speech frame.
    semantic_threshold : float in [0, 1], default 0.5
        The base VAD threshold ``semantic_vad`` uses to find speech and pauses.
    semantic_prefix_padding_ms : float >= 0, default 300.0
        Audio kept before the onset in ``semantic_vad`` (the API does not expose it).
    semantic_min_wait_ms : float >= 0, default 200.0
        Shortest pause that can end a ``semantic_vad`` turn, whatever the turn-end model
        says (whole frames, at least one; it wins over an eagerness cap below it). Smart
        Turn runs when a pause reaches this length, on the audio heard so far.
    semantic_wait_exponent : float > 0, default 1.0
        Shape of the wait: ``wait = min_wait + (cap − min_wait) · (1 − p) ** exponent``.
        Above 1 the wait drops faster as ``p`` rises (more eager for middling ``p``).
    emulate_input_format : bool, default True
        When :func:`detect` is given audio and the session's ``input_audio_format`` is
        G.711, pass the audio through that codec first (8 kHz, companded), as the server
        only hears what was sent.

    Examples
    --------
    >>> from rtlab.turns import EmulatorOptions
    >>> EmulatorOptions(negative_threshold_offset=0.15)
    EmulatorOptions(negative_threshold_offset=0.15)
    >>> EmulatorOptions(min_speech_ms=-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'min_speech_ms' parameter of EmulatorOptions must be a number ...
    """

    vad_model: Literal["silero", "energy"] = "silero"
    negative_threshold_offset: float = 0.0
    min_speech_ms: float = 0.0
    semantic_threshold: float = 0.5
    semantic_prefix_padding_ms: float = 300.0
    semantic_min_wait_ms: float = 200.0
    semantic_wait_exponent: float = 1.0
    emulate_input_format: bool = True

    def __post_init__(self) -> None:
        owner = "EmulatorOptions"
        _check.choice(self.vad_model, "vad_model", _VAD_MODELS, owner=owner)
        for name in ("negative_threshold_offset", "semantic_threshold"):
            value = getattr(self, name)
            _check.number(
                value, name, owner=owner, low=0.0, high=1.0, allowed="a float in [0.0, 1.0]"
            )
        for name in ("min_speech_ms", "semantic_prefix_padding_ms", "semantic_min_wait_ms"):
            value = getattr(self, name)
            _check.number(value, name, owner=owner, low=0.0, allowed="a number of ms >= 0")
        exponent, positive = self.semantic_wait_exponent, "a number > 0"
        if _check.number(exponent, "semantic_wait_exponent", owner=owner, allowed=positive) <= 0:
            raise ConfigError("semantic_wait_exponent", exponent, positive, owner=owner)
        _check.choice(self.emulate_input_format, "emulate_input_format", (True, False), owner=owner)

    def __repr__(self) -> str:
        changed = [
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        ]
        return f"EmulatorOptions({', '.join(changed)})"

    def replace(self, **changes: Any) -> EmulatorOptions:
        """A copy with some fields changed (validated again).

        Examples
        --------
        >>> from rtlab.turns import EmulatorOptions
        >>> EmulatorOptions().replace(semantic_min_wait_ms=100).semantic_min_wait_ms
        100
        """
        return dataclasses.replace(self, **changes)


@overload
def semantic_wait_ms(
    probability: float, eagerness: str = ..., *, options: EmulatorOptions | None = ...
) -> float: ...
@overload
def semantic_wait_ms(
    probability: np.ndarray, eagerness: str = ..., *, options: EmulatorOptions | None = ...
) -> float | np.ndarray: ...
def semantic_wait_ms(
    probability: float | np.ndarray,
    eagerness: str = "auto",
    *,
    options: EmulatorOptions | None = None,
) -> float | np.ndarray:
    """How long a ``semantic_vad`` pause must last to end the turn, given the turn-end probability.

    ``wait = min_wait + (cap − min_wait) · (1 − p) ** exponent``, with ``cap`` the
    eagerness's maximum timeout (:data:`EAGERNESS_MAX_WAIT_MS`) and ``min_wait``,
    ``exponent`` from the options.

    Parameters
    ----------
    probability : float or ndarray in [0, 1]
        Smart Turn probability that the user has finished speaking.
    eagerness : {"low", "medium", "high", "auto"}, default "auto"
    options : EmulatorOptions, optional

    Returns
    -------
    float or ndarray
        Wait in ms, in ``[min(min_wait, cap), cap]``.

    Examples
    --------
    >>> from rtlab.turns import semantic_wait_ms
    >>> [round(semantic_wait_ms(0.95, e)) for e in ("low", "medium", "high")]
    [590, 390, 290]
    >>> round(semantic_wait_ms(0.0, "low"))
    8000
    """
    options = options or EmulatorOptions()
    if eagerness not in EAGERNESS_MAX_WAIT_MS:
        raise ConfigError(
            "eagerness", eagerness, "'low', 'medium', 'high' or 'auto'", owner="semantic_wait_ms"
        )
    return wait_ms(probability, eagerness, options)


def _resolve(session_or_turn_detection: Any, owner: str) -> tuple[Session, Any]:
    """(session, turn_detection) from a Session, a ServerVad/SemanticVad, a dict, or None."""
    from rtlab.session import SemanticVad, ServerVad, Session

    value = session_or_turn_detection
    if value is None:
        session = Session()
    elif isinstance(value, Session):
        session = value
    elif isinstance(value, ServerVad | SemanticVad):
        session = Session(turn_detection=value)
    elif isinstance(value, dict):
        session = Session.from_event(value)
    else:
        raise ConfigError(
            "session_or_turn_detection",
            value,
            "a Session, ServerVad, SemanticVad, a session dict, or None (API defaults)",
            owner=owner,
            fix="Turn detection off is Session(turn_detection=None).",
        )
    return session, session.turn_detection


def detect(
    audio_or_scores: Audio | FrameScores,
    session_or_turn_detection: Session | ServerVad | SemanticVad | dict | None = None,
    *,
    options: EmulatorOptions = EmulatorOptions(),
) -> EventLog:
    """Emulate the API's turn detection on a clip: the server events it would send.

    Parameters
    ----------
    audio_or_scores : Audio or FrameScores
        Audio (24 kHz mono int16) is passed through the session's input format (G.711, if
        set and ``options.emulate_input_format``) and noise reduction (if
        ``input_audio_noise_reduction`` is set), then scored with
        :func:`rtlab.vad.score` (model ``options.vad_model``; cached). FrameScores are used
        as they are (score the processed audio yourself if you want those effects).
    session_or_turn_detection : Session, ServerVad, SemanticVad, dict or None, default None
        The configuration. ``None`` means the API defaults (``Session()``: server_vad,
        threshold 0.5, prefix 300 ms, silence 500 ms). A bare ``ServerVad`` /
        ``SemanticVad`` is wrapped in a default ``Session``; a dict is parsed with
        :meth:`Session.from_event`. Turn detection off is ``Session(turn_detection=None)``.
    options : EmulatorOptions, optional
        What the API leaves undocumented (hysteresis, minimum speech, semantic mapping).

    Returns
    -------
    EventLog
        ``input_audio_buffer.speech_started`` / ``speech_stopped`` / ``committed`` /
        ``timeout_triggered`` events (see the module docstring for the exact rules), each
        with ``emitted_ms`` = the audio position at which the server sends it; the
        session attached; ``duration_ms`` = length of the scored audio.

    Raises
    ------
    ConfigError
        If the configuration is not one of the accepted types, or semantic_vad is asked
        for on FrameScores without their audio.

    Notes
    -----
    Made to be called thousands of times on the same scores: vectorised with numpy, it
    keeps nothing between calls (:func:`rtlab.vad.score` and Smart Turn cache their
    results on disk, keyed on the audio's content). On one hour of scores (112,500
    frames, ~500 turns) a server_vad configuration takes about 3 ms.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import datasets, vad
    >>> from rtlab.turns import detect
    >>> scores = vad.score(datasets.load("librivox/0870").audio)
    >>> fast = detect(scores, rtlab.ServerVad(silence_duration_ms=200))
    >>> slow = detect(scores, rtlab.ServerVad(silence_duration_ms=1500))
    >>> len(fast.turns()) >= len(slow.turns())
    True
    >>> len(detect(scores, rtlab.Session(turn_detection=None)))
    0
    """
    from rtlab.vad import FrameScores

    if not isinstance(options, EmulatorOptions):
        raise ConfigError("options", options, "an EmulatorOptions", owner="detect")
    session, turn_detection = _resolve(session_or_turn_detection, "detect")
    if isinstance(audio_or_scores, FrameScores):
        scores = audio_or_scores
        duration_ms = float(scores.duration_ms)
    else:
        from rtlab.audio import Audio

        if not isinstance(audio_or_scores, Audio):
            raise ConfigError(
                "audio_or_scores", audio_or_scores, "an rtlab Audio or FrameScores", owner="detect"
            )
        duration_ms = float(audio_or_scores.duration_ms)
        if turn_detection is None:
            return EventLog((), (), session=session, duration_ms=duration_ms)
        from rtlab import vad

        prepared = prepare_audio(audio_or_scores, session, options)
        scores = vad.score(prepared, model=options.vad_model)
    return events_from_scores(scores, session, options, duration_ms=duration_ms)


# ---------------------------------------------------------------------------------------
# streaming engine


#: 16 kHz audio the streaming detector keeps for the turn-end model (Smart Turn hears 8 s).
_KEEP_16K = 16 * 16_000


class Detector:
    """Turn detection fed chunk by chunk, as a live server runs it: a per-frame state machine.

    Produces the same events, with the same ids and times, as :func:`detect` on the same
    audio. The state machine is plain Python, one step per frame (it doubles as the
    straightforward baseline :func:`detect` is benchmarked against).

    Parameters
    ----------
    session_or_turn_detection : Session, ServerVad, SemanticVad, dict or None, default None
        As for :func:`detect` (``None`` = API defaults).
    options : EmulatorOptions, optional
        As for :func:`detect`. ``options.vad_model`` scores the audio given to :meth:`feed`.
    turn_end_model : callable, optional
        Runs Smart Turn (``semantic_vad``) on float32 windows of shape ``(n, 128000)``
        and returns their probabilities, as :func:`rtlab.smart_turn.run_model` (the
        default) does; a server gives one that batches the windows of many sessions.

    Notes
    -----
    Audio fed to :meth:`feed` is scored frame by frame with the streaming form of the
    scorer :func:`rtlab.vad.score` uses (recurrent state kept across frames), so the
    probabilities equal the offline ones. The session's input codec and noise reduction
    are not applied in streaming (noise reduction works on whole clips); feed audio that
    is already processed.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import datasets
    >>> from rtlab.turns import Detector, detect
    >>> audio = datasets.load("librivox/0930").audio
    >>> detector = Detector(rtlab.Session())
    >>> events = []
    >>> for start in range(0, audio.n_samples, 2400):      # 100 ms chunks
    ...     events += detector.feed(audio.samples[start:start + 2400])
    >>> events += detector.flush()
    >>> events == list(detect(audio, rtlab.Session()))
    True
    """

    def __init__(
        self,
        session_or_turn_detection: Session | ServerVad | SemanticVad | dict | None = None,
        *,
        options: EmulatorOptions = EmulatorOptions(),
        turn_end_model: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        if not isinstance(options, EmulatorOptions):
            raise ConfigError("options", options, "an EmulatorOptions", owner="Detector")
        self.session, self.turn_detection = _resolve(session_or_turn_detection, "Detector")
        self.options = options
        # what runs Smart Turn on (n, 128000) windows: rtlab.smart_turn's model by default; a
        # server passes one that batches the windows of many sessions (same probabilities)
        self._turn_end_model = turn_end_model
        self._writer = Writer()
        self._params: Params | None = None
        self._scorer: Any = None
        # The recent audio for the turn-end model (semantic_vad only), resampled to 16 kHz as
        # a stream exactly as rtlab.vad resamples a whole clip. Smart Turn hears the 8 s before
        # a pause, so the pieces of the last _KEEP_16K samples or a little more are kept
        # (memory stays bounded on long server connections; a piece is added per chunk and
        # joined only when the model asks) and the windows equal the offline ones.
        self._resampler16: Any = None
        self._recent16: list[np.ndarray] = []
        self._n_recent16 = 0  # samples in _recent16
        self._dropped16 = 0  # 16 kHz samples dropped from the front of _recent16
        self._held: list[float] = []  # scored frames waiting for that audio (see _heard)
        self._samples_fed = 0
        self._external_audio: Audio | None = None
        self._turn_end_memo: dict[tuple[str, int], float] = {}  # for _external_audio
        self._flushed = False
        # state machine
        self._frame = 0
        self._in_speech = False
        self._run = 0
        self._run_start = 0
        self._silence = 0
        self._silence_start = 0
        self._wait: int | None = None
        self._ref = 0  # idle timer start / end of committed audio, in frames

    def __repr__(self) -> str:
        kind = getattr(self.turn_detection, "type", None)
        return (
            f"Detector(turn_detection={kind!r}, position_ms={self.position_ms}, "
            f"events={len(self._writer.events)})"
        )

    # -- public -------------------------------------------------------------------------

    @property
    def log(self) -> EventLog:
        """Every event emitted so far, as an EventLog (``duration_ms`` = audio position)."""
        hop = self._params.hop_ms if self._params else 0.0
        duration = max(self._samples_fed * 1000.0 / SAMPLE_RATE_HZ, self._frame * hop)
        return EventLog(
            tuple(self._writer.events),
            tuple(self._writer.times),
            session=self.session,
            duration_ms=duration,
        )

    @property
    def position_ms(self) -> float:
        """Audio position of the end of the last scored frame, in ms."""
        return self._frame * self._params.hop_ms if self._params else 0.0

    def feed(self, chunk: bytes | bytearray | memoryview | np.ndarray) -> list[dict[str, Any]]:
        """Append audio and return the events it triggers.

        Parameters
        ----------
        chunk : bytes or int16 ndarray
            PCM16 little-endian mono at 24 kHz (``input_audio_buffer.append`` audio), any
            length; partial frames wait for the next chunk.

        Returns
        -------
        list of dict
            Events emitted while scoring the complete frames this chunk finished.
        """
        from rtlab.errors import AudioFormatError

        self._check_open()
        if isinstance(chunk, np.ndarray):
            if chunk.dtype != np.int16 or chunk.ndim != 1:
                raise AudioFormatError(
                    "chunk",
                    f"{chunk.dtype} array of shape {chunk.shape}",
                    "a 1-D int16 array",
                    owner="Detector.feed",
                )
            samples = chunk
        else:
            data = bytes(chunk)
            if len(data) % 2:
                raise AudioFormatError(
                    "chunk",
                    f"{len(data)} bytes",
                    "PCM16: an even number of bytes",
                    owner="Detector.feed",
                )
            samples = np.frombuffer(data, dtype="<i2").astype(np.int16)
        if not self._take(samples):
            return []
        scorer = self._ensure_scorer()
        return self._steps(self._heard(scorer.push(samples)))

    def feed_scores(
        self,
        probabilities: Sequence[float] | np.ndarray,
        *,
        audio: Audio | None = None,
        hop_ms: float = 32.0,
    ) -> list[dict[str, Any]]:
        """Advance by precomputed frame probabilities instead of audio.

        Parameters
        ----------
        probabilities : sequence of float in [0, 1]
            One speech probability per frame, continuing from the last frame fed.
        audio : Audio, optional
            The audio the frames come from (the whole clip is fine); needed for
            ``semantic_vad``, whose turn-end model listens to the audio before each pause.
        hop_ms : float > 0, default 32.0
            Frame hop of the probabilities (fixed by the first call).

        Returns
        -------
        list of dict
            The events emitted.

        Examples
        --------
        >>> import rtlab
        >>> from rtlab.turns import Detector
        >>> detector = Detector(rtlab.ServerVad(silence_duration_ms=64, prefix_padding_ms=0))
        >>> [e["type"].split(".")[-1] for e in detector.feed_scores([0.1, 0.9, 0.9, 0.2, 0.1])]
        ['speech_started', 'speech_stopped', 'committed']
        >>> detector.log.emitted_ms
        (64.0, 160.0, 160.0)
        """
        self._check_open()
        owner = "Detector.feed_scores"
        hop = "a finite frame hop in ms > 0"
        if _check.number(hop_ms, "hop_ms", owner=owner, allowed=hop) <= 0:
            raise ConfigError("hop_ms", hop_ms, hop, owner=owner)
        try:
            values = np.asarray(probabilities, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            values = None
        if values is None or not np.all((values >= 0.0) & (values <= 1.0)):
            raise ConfigError(
                "probabilities", probabilities, "numbers in [0.0, 1.0], one per frame", owner=owner
            )
        if self.turn_detection is None:
            return []
        if self._params is None:
            self._params = Params(self.turn_detection, hop_ms, self.options)
        if audio is not None:
            self._external_audio = audio
        return self._steps(values.tolist())

    def feed_scored(self, samples: np.ndarray, probabilities: np.ndarray) -> list[dict[str, Any]]:
        """Append audio whose frames were scored elsewhere; return the events they trigger.

        For a server that scores many streams in one batch (:func:`rtlab.vad.score_streams`):
        ``samples`` is the int16 chunk added to its own ``rtlab.vad.stream(model=
        options.vad_model)`` and ``probabilities`` what that stream returned for it. The
        events equal those of :meth:`feed` on the same chunks (``semantic_vad`` keeps the
        audio for its turn-end model as :meth:`feed` does).
        """
        self._check_open()
        if not self._take(samples):
            return []
        if self._params is None:
            from rtlab.vad import HOP_MS

            self._params = Params(self.turn_detection, HOP_MS, self.options)
        return self._steps(self._heard(probabilities))

    def flush(self) -> list[dict[str, Any]]:
        """End of audio: score a trailing partial frame the way :func:`rtlab.vad.score` does.

        Speech still going on stays open (no stop, no commit), as in :func:`detect`. The
        detector accepts no more audio afterwards.
        """
        self._check_open()
        last = self._scorer.flush().tolist() if self._scorer is not None else []
        if self._resampler16 is not None:  # the end of the turn-end model's audio
            self._keep_recent(np.zeros(0, np.int16), last=True)
        held, self._held = self._held, []
        self._flushed = True
        return self._steps([*held, *last]) if held or last else []

    # -- internals ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._flushed:
            raise ConfigError(
                "flush",
                "called",
                "not called before feeding more",
                owner="Detector",
                fix="Create a new Detector for new audio.",
            )

    def _ensure_scorer(self) -> Any:
        if self._scorer is None:
            from rtlab import vad

            self._scorer = vad.stream(model=self.options.vad_model)
            self._params = Params(self.turn_detection, self._scorer.hop_ms, self.options)
        return self._scorer

    def _take(self, samples: np.ndarray) -> bool:
        """Count fed audio (``semantic_vad`` keeps it for its turn-end model); False: off."""
        self._samples_fed += samples.size
        if self.turn_detection is None:
            return False
        if getattr(self.turn_detection, "type", None) == "semantic_vad":
            self._keep_recent(samples)
        return True

    def _heard(self, probabilities: Sequence[float] | np.ndarray) -> Sequence[float] | np.ndarray:
        """The frames the state machine may take now; ``semantic_vad`` frames may wait.

        Smart Turn hears soxr-resampled audio, which a stream gives 13–35 ms late; a frame
        whose end the 16 kHz audio does not reach yet waits (at most until the next chunk)
        so that a turn-end question asked at it hears the same window as :func:`detect`.
        """
        if self._resampler16 is None:
            return probabilities  # nothing to wait for: as given
        self._held += [float(p) for p in probabilities]
        assert self._params is not None
        heard16 = self._dropped16 + self._n_recent16
        frame16 = round(self._params.hop_ms * 16)  # Smart Turn positions: ms * 16
        n = max(0, min(len(self._held), heard16 // frame16 - self._frame))
        ready, self._held = self._held[:n], self._held[n:]
        return ready

    def _keep_recent(self, samples: np.ndarray, *, last: bool = False) -> None:
        if self._resampler16 is None:
            from rtlab._resample import Soxr16k

            self._resampler16 = Soxr16k()
        chunk = self._resampler16.push(samples, last=last)
        self._recent16.append(chunk)
        self._n_recent16 += chunk.size
        while self._n_recent16 - self._recent16[0].size >= _KEEP_16K:
            first = self._recent16.pop(0)
            self._n_recent16 -= first.size
            self._dropped16 += first.size

    def _turn_end(self, end_ms: int) -> float:
        """Smart Turn probability at ``end_ms``, on the given clip or the audio fed so far."""
        if self._external_audio is not None:
            at_ms = np.array([end_ms], float)
            return float(turn_end_probability(self._external_audio, at_ms, self._turn_end_memo)[0])
        if self._resampler16 is None:
            raise ConfigError(
                "audio",
                None,
                "the clip the scores come from (feed_scores(..., audio=clip_audio))",
                owner="Detector.feed_scores",
                fix="semantic_vad runs the turn-end model on the audio before each pause.",
            )
        from rtlab import smart_turn

        recent = np.concatenate(self._recent16) if self._recent16 else np.zeros(0, np.float32)
        end16 = round(end_ms * 16) - self._dropped16  # as smart_turn positions: rint(ms * 16)
        end16 = min(end16, recent.size)
        window = smart_turn.windows_16k(recent, np.array([0]), np.array([end16]))
        model = self._turn_end_model or smart_turn.run_model
        return float(model(window)[0])

    def _steps(self, probabilities: Sequence[float] | np.ndarray) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        params = self._params
        assert params is not None
        hop = params.hop_ms
        threshold = params.threshold
        silence_below = params.threshold - params.offset
        m = params.min_frames
        idle = params.idle_frames
        semantic = params.kind == "semantic_vad"
        writer = self._writer
        for p in (float(x) for x in probabilities):
            i = self._frame
            self._frame = end = i + 1
            if not self._in_speech:
                if p >= threshold:
                    if self._run == 0:
                        self._run_start = i
                    self._run += 1
                else:
                    self._run = 0
                if self._run >= m:
                    onset = self._run_start
                    start_ms = max(
                        0, frame_ms(onset, hop) - params.prefix_ms, frame_ms(self._ref, hop)
                    )
                    out += writer.started(round(start_ms), frame_ms(end, hop))
                    self._in_speech = True
                    self._run = 0
                    self._silence = 0
                    self._wait = None
                elif idle and end - self._ref >= idle:
                    out += writer.timeout(
                        frame_ms(self._ref, hop), frame_ms(end, hop), frame_ms(end, hop)
                    )
                    self._ref = end
                continue
            if p < silence_below:
                if self._silence == 0:
                    self._silence_start = i
                self._silence += 1
            else:
                self._silence = 0
                self._wait = None
                continue
            if semantic:
                if self._silence == params.min_wait_frames:
                    q = self._turn_end(frame_ms(end, hop))
                    self._wait = params.wait_frames(q)
                stop_now = self._wait is not None and self._silence >= self._wait
            else:
                stop_now = self._silence >= params.silence_frames
            if stop_now:
                out += writer.stopped(frame_ms(end, hop), frame_ms(end, hop))
                self._in_speech = False
                self._silence = 0
                self._wait = None
                self._ref = end
        return out
