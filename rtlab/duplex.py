"""Full duplex: a closed-loop conversation between a recorded user and a simulated agent.

:func:`simulate` plays a user's recording into the turn detector while an agent answers
each committed turn with real speech. The agent's playback leaks back into the
microphone through an echo path (:class:`Echo`), listeners' backchannels can be mixed in
while it speaks, and what the detector hears therefore depends on what the agent did:
the loop runs in time order, chunk by chunk, through the streaming
:class:`rtlab.turns.Detector`. The result is a :class:`Conversation`: the
:class:`~rtlab.events.EventLog` with the response events, the truth
(:class:`ConversationTruth`: the user's turns, the backchannels and the agent's
:class:`Playback` spans) and the microphone :class:`~rtlab.audio.Audio` the detector heard.

The API's duplex rules, and where they are written
--------------------------------------------------
The OpenAI API reference for the Realtime API (platform.openai.com/docs/api-reference,
``session.audio.input.turn_detection`` in GA, ``session.turn_detection`` in beta; the client
event ``conversation.item.truncate``; the server events ``response.done`` and
``conversation.item.truncated``). The ``openai`` Python package carries the same texts in
its types (``openai/types/realtime/realtime_audio_input_turn_detection.py``,
``conversation_item_truncate_event.py``, ``realtime_response_status.py``); the quotes below
are from there.

* ``create_response`` -- "Whether or not to automatically generate a response when a VAD
  stop event occurs." Here: each ``input_audio_buffer.committed`` that follows a
  ``speech_stopped`` creates a response (``response.created`` at the commit). ``False``:
  no responses at all (then the events equal :func:`rtlab.detect` on the same audio).
  "If interrupt_response is set to false this may fail to create a response if the model
  is already responding": a commit while a response is still going on creates none.
* ``interrupt_response`` -- "Whether or not to automatically interrupt (cancel) any ongoing
  response with output to the default conversation [...] when a VAD start event occurs.
  If true then the response will be cancelled, otherwise it will continue until complete."
  Here: a ``speech_started`` while a response is thinking or playing cancels it: ``response.done``
  with ``status="cancelled"`` and ``status_details.reason="turn_detected"`` (the reason the
  ``openai`` types document for "the server VAD detected a new start of speech"), playback
  stops, and the client truncates the assistant item at what was played
  (``conversation.item.truncate`` with ``audio_end_ms`` = played audio; the log holds the
  server's answer ``conversation.item.truncated``). The reference for truncate: "The server
  will produce audio faster than realtime, so this event is useful when the user interrupts
  to truncate audio that has already been sent to the client but not yet played."
* ``idle_timeout_ms`` (server_vad only, 5000-30000) -- "The timeout value will be applied
  after the last model response's audio has finished playing, i.e. it's set to the
  response.done time plus audio playback duration. An input_audio_buffer.timeout_triggered
  event (plus events associated with the Response) will be emitted when the timeout is
  reached." Here: the timer starts at the session start, at a commit that creates no
  response, and at the END OF PLAYBACK of a response (completed or cancelled); it stops
  while the user speaks or a response is pending or playing. When it runs out (at the
  end of the VAD frame where it does, as in :func:`rtlab.detect`), ``timeout_triggered``
  and ``committed`` are emitted and a response is created.
* ``turn_detection: null`` -- "This can be set to null to turn off, in which case the client
  must manually trigger model response." Here: no VAD events; the client commits the
  buffer at the true end of each user turn (push-to-talk, ``input_audio_buffer.committed``)
  and sends ``response.create``; nothing interrupts a response (the client would have to
  send ``response.cancel``).

What the emulator adds (stated, not documented by the API)
----------------------------------------------------------
* Audio is generated at real time: the server's audio deltas are logged when they play
  (``delta_ms`` apart), so ``response.done`` (completed) comes at the end of playback. The
  real server sends audio faster than real time; what the user hears, the truncation and
  the idle timer do not depend on that.
* Playback starts at ``response.created`` + think time (or at the start of the next step of
  the loop, ``chunk_ms``, if the detector's look-ahead made the commit known later), and
  stops ``Agent.stop_latency_ms`` (default 50 ms) after the cancelling ``speech_started``
  (never before the audio the echo path has already carried into the microphone).
  ``response.done`` (cancelled) is logged at the ``speech_started``,
  ``conversation.item.truncated`` when playback stops.
* The microphone is ``user + noise`` (through the session's input codec and noise reduction
  over the whole clip, exactly as :func:`rtlab.detect` prepares audio) plus the residual
  echo plus backchannels. Echo and backchannels are added after that preparation: spectral
  noise gating keeps speech, and echo and backchannels are speech, so this is the part of
  the chain that does not need the whole clip.
* After the user's audio ends the loop goes on (user silent, noise still there) until the
  agent has finished its last answer and the detector is quiet, so ``microphone`` can be
  longer than the user's audio.
* Event ids (``event_0001``, ``item_0001``, ``resp_0001``) are numbered in emitted order
  over the whole log; ``committed.previous_item_id`` is the previous conversation item,
  which may be an assistant message.

Names of the audio events follow the API shape (``api="ga"``, the default:
``response.output_audio.delta`` / ``.done``; ``api="beta"``: ``response.audio.delta`` /
``.done``); the choice is kept in :attr:`Conversation.api`.

Examples
--------
>>> import rtlab
>>> from rtlab import datasets
>>> from rtlab.duplex import Agent, Echo, simulate
>>> clip = datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=6000, tail_ms=6000)
>>> conv = simulate(clip, rtlab.Session(), agent=Agent(think_ms=500), echo=None)
>>> [(p.status, round(p.start_s, 2)) for p in conv.truth.playback]  # the user barges in
[('cancelled', 4.08), ('completed', 12.82)]
>>> conv.log.events[3]["type"], conv.log.events[3]["response"]["status"]
('response.created', 'in_progress')
"""

from __future__ import annotations

import base64
import dataclasses
import math
import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import _check
from rtlab import _response_events as answers
from rtlab.annotation import Annotation, Turn
from rtlab.audio import SAMPLE_RATE_HZ, Audio, load_audio
from rtlab.errors import ConfigError
from rtlab.events import EventLog

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.datasets import Clip
    from rtlab.session import Session
    from rtlab.turns import EmulatorOptions

__all__ = [
    "Agent",
    "Backchannels",
    "Conversation",
    "ConversationTruth",
    "Echo",
    "Playback",
    "backchannels_from",
    "simulate",
]

_SPEECH_STARTED = "input_audio_buffer.speech_started"
_SPEECH_STOPPED = "input_audio_buffer.speech_stopped"
_COMMITTED = "input_audio_buffer.committed"
_TIMEOUT = "input_audio_buffer.timeout_triggered"
_RATE_PER_MS = SAMPLE_RATE_HZ / 1000.0
_VAD_HOP_MS = 32.0
#: Room of the echo path: a 6 x 4 x 3 m office, loudspeaker and microphone 0.5 m apart on a desk.
ROOM_DIM_M = (6.0, 4.0, 3.0)
LOUDSPEAKER_M = (2.0, 2.0, 0.8)
MICROPHONE_M = (2.5, 2.0, 0.8)


# ---------------------------------------------------------------------------------------
# configuration values


def _voices(voice: Any, owner: str) -> tuple[Audio, ...]:
    if isinstance(voice, Audio | str | os.PathLike):
        voice = [voice]
    try:
        items = list(voice)
    except TypeError:
        raise ConfigError(
            "voice", voice, "a list of Audio or audio file paths", owner=owner
        ) from None
    out = []
    for item in items:
        audio = item if isinstance(item, Audio) else load_audio(item)
        if audio.n_samples == 0:
            raise ConfigError("voice", item, "audio with samples", owner=owner)
        out.append(audio)
    if not out:
        raise ConfigError("voice", voice, "at least one clip", owner=owner)
    return tuple(out)


def _default_voice() -> tuple[Audio, ...]:
    from rtlab import datasets

    return tuple(datasets.load(f"librivox/{n}").audio for n in ("0870", "0890", "0920"))


@dataclass(frozen=True, eq=False)
class Agent:
    """The simulated agent: how long it thinks and what it says.

    Parameters
    ----------
    think_ms : float >= 0, default 700.0
        Median time from ``response.created`` (the commit) to the first audio played.
    think_sigma : float >= 0, default 0.0
        Spread of the think time: each response thinks ``think_ms * exp(sigma * z)`` ms with
        ``z`` standard normal drawn from the simulation's seed (a log-normal with median
        ``think_ms``); 0 = always ``think_ms``.
    voice : sequence of Audio or paths, optional
        The agent's answers: real speech (shipped clips, or your own TTS files). Response
        ``k`` plays a clip drawn with the seed. Default: the LibriVox utterances
        ``librivox/0870``, ``0890``, ``0920`` (5.3-7.1 s each, with their leading and
        trailing silence).
    max_response_ms : float > 0 or None, default None
        Cut every answer to this length (None = the whole clip).
    delta_ms : float > 0, default 200.0
        Audio per ``response.*audio.delta`` event (each carries that audio, base64 PCM16).
    stop_latency_ms : float >= 0, default 50.0
        From the server's cancelling ``speech_started`` to the client's playback stopping
        (network and audio-output latency).

    Examples
    --------
    >>> from rtlab.duplex import Agent
    >>> Agent(think_ms=400, think_sigma=0.3)
    Agent(think_ms=400.0, think_sigma=0.3, voice=3 clips)
    """

    think_ms: float = 700.0
    think_sigma: float = 0.0
    voice: Sequence[Audio | str | os.PathLike[str]] | None = None
    max_response_ms: float | None = None
    delta_ms: float = 200.0
    stop_latency_ms: float = 50.0

    def __post_init__(self) -> None:
        owner = "Agent"
        set_ = object.__setattr__
        set_(self, "think_ms", _check.number(self.think_ms, "think_ms", owner=owner, low=0.0))
        set_(
            self, "think_sigma", _check.number(self.think_sigma, "think_sigma", owner=owner, low=0)
        )
        set_(self, "delta_ms", _check.number(self.delta_ms, "delta_ms", owner=owner, low=1.0))
        latency = _check.number(self.stop_latency_ms, "stop_latency_ms", owner=owner, low=0.0)
        set_(self, "stop_latency_ms", latency)
        if self.max_response_ms is not None:
            value = _check.number(self.max_response_ms, "max_response_ms", owner=owner, low=1.0)
            set_(self, "max_response_ms", value)
        set_(self, "voice", _default_voice() if self.voice is None else _voices(self.voice, owner))

    @property
    def clips(self) -> tuple[Audio, ...]:
        """The voice clips, loaded."""
        return typing.cast("tuple[Audio, ...]", self.voice)

    def __repr__(self) -> str:
        parts = [f"think_ms={self.think_ms!r}"]
        if self.think_sigma:
            parts.append(f"think_sigma={self.think_sigma!r}")
        parts.append(f"voice={len(self.voice or ())} clips")
        if self.max_response_ms is not None:
            parts.append(f"max_response_ms={self.max_response_ms!r}")
        return f"Agent({', '.join(parts)})"


@dataclass(frozen=True)
class Echo:
    """The path from the agent's loudspeaker back into the microphone.

    ``echo = played(t - delay_ms) * room`` attenuated by ``return_loss_db`` (the acoustic
    echo return loss) and then by ``suppression_db`` (what the client's echo canceller
    leaves: the residual). Larger numbers mean a quieter echo.

    Parameters
    ----------
    delay_ms : float >= 0, default 100.0
        Playback buffering plus the acoustic path.
    return_loss_db : float, default 10.0
        Level of the played audio minus the level of its echo at the microphone (about
        0-10 dB for a speakerphone or laptop, 30+ dB for a headset).
    suppression_db : float >= 0, None or inf, default 30.0
        Echo canceller suppression of the residual; ``None`` or ``inf`` = perfect canceller
        (no echo at all), 0 = no canceller.
    rt60_ms : float > 0 or None, default 300.0
        Reverberation time of the room (``pyroomacoustics`` image-source model of
        :data:`ROOM_DIM_M` with the absorption that gives this RT60 by Sabine's formula,
        loudspeaker and microphone 0.5 m apart); the response is scaled to unit energy so
        that ``return_loss_db`` alone sets the level. ``None``: no room (a pure delay).

    Examples
    --------
    >>> from rtlab.duplex import Echo
    >>> Echo(return_loss_db=0, suppression_db=None).active
    False
    >>> round(Echo(return_loss_db=6, suppression_db=20).gain, 4)
    0.0501
    """

    delay_ms: float = 100.0
    return_loss_db: float = 10.0
    suppression_db: float | None = 30.0
    rt60_ms: float | None = 300.0

    def __post_init__(self) -> None:
        owner = "Echo"
        set_ = object.__setattr__
        set_(self, "delay_ms", _check.number(self.delay_ms, "delay_ms", owner=owner, low=0.0))
        set_(
            self,
            "return_loss_db",
            _check.number(self.return_loss_db, "return_loss_db", owner=owner, low=-40, high=200),
        )
        if self.suppression_db is not None and not (
            isinstance(self.suppression_db, int | float)
            and not isinstance(self.suppression_db, bool)
            and self.suppression_db == math.inf
        ):
            value = _check.number(
                self.suppression_db,
                "suppression_db",
                owner=owner,
                low=0.0,
                allowed="a number of dB >= 0, inf or None (perfect canceller)",
            )
            set_(self, "suppression_db", value)
        if self.rt60_ms is not None:
            value = _check.number(self.rt60_ms, "rt60_ms", owner=owner, low=50.0, high=2000.0)
            set_(self, "rt60_ms", value)

    @property
    def active(self) -> bool:
        """Whether any echo reaches the microphone (False for a perfect canceller)."""
        return self.suppression_db is not None and math.isfinite(self.suppression_db)

    @property
    def gain(self) -> float:
        """Linear amplitude gain of the echo (0 when inactive)."""
        if not self.active:
            return 0.0
        assert self.suppression_db is not None
        return float(10.0 ** (-(self.return_loss_db + self.suppression_db) / 20.0))

    def room_response(self) -> np.ndarray:
        """The room impulse response at 24 kHz, unit energy, starting at the direct sound.

        Uses ``pyroomacoustics`` (image-source model). Pure delay (``[1.0]``) when
        ``rt60_ms`` is None.

        Examples
        --------
        >>> from rtlab.duplex import Echo
        >>> h = Echo(rt60_ms=300).room_response()
        >>> round(float((h**2).sum()), 6), h.size > 2400
        (1.0, True)
        """
        if self.rt60_ms is None:
            return np.ones(1)
        import pyroomacoustics as pra

        absorption, max_order = pra.inverse_sabine(self.rt60_ms / 1000.0, list(ROOM_DIM_M))
        room = pra.ShoeBox(
            list(ROOM_DIM_M),
            fs=SAMPLE_RATE_HZ,
            materials=pra.Material(absorption),
            max_order=min(int(max_order), 40),
        )
        room.add_source(list(LOUDSPEAKER_M))
        room.add_microphone(list(MICROPHONE_M))
        room.compute_rir()
        h = np.asarray(room.rir[0][0], np.float64)
        # pyroomacoustics centres each image on a fractional-delay filter; start a little
        # before the direct sound so the delay is delay_ms (plus the 1.5 ms of flight).
        start = max(0, int(np.argmax(np.abs(h))) - 40 - round(0.5 / 343.0 * SAMPLE_RATE_HZ))
        h = h[start:]
        return h / math.sqrt(float(np.sum(h**2)))


@dataclass(frozen=True, eq=False)
class Backchannels:
    """Short listener responses ("yeah", "mm-hmm") the user makes while the agent speaks.

    Parameters
    ----------
    clips : sequence of Audio or paths
        The backchannels (e.g. :func:`backchannels_from` on the AMI excerpts, or your files).
    after_ms : float >= 0, default 1500.0
        How far into each response's playback one is inserted.
    probability : float in [0, 1], default 1.0
        Chance that a response gets one (drawn with the simulation's seed).
    gain_db : float, default 0.0
        Level change applied to the clips.

    Examples
    --------
    >>> from rtlab.duplex import Backchannels, backchannels_from
    >>> Backchannels(backchannels_from("ami-debug/trn08"), after_ms=1000)
    Backchannels(3 clips, after_ms=1000.0, probability=1.0)
    """

    clips: Sequence[Audio | str | os.PathLike[str]]
    after_ms: float = 1500.0
    probability: float = 1.0
    gain_db: float = 0.0

    def __post_init__(self) -> None:
        owner = "Backchannels"
        set_ = object.__setattr__
        set_(self, "clips", _voices(self.clips, owner))
        set_(self, "after_ms", _check.number(self.after_ms, "after_ms", owner=owner, low=0.0))
        set_(
            self,
            "probability",
            _check.number(self.probability, "probability", owner=owner, low=0.0, high=1.0),
        )
        set_(self, "gain_db", _check.number(self.gain_db, "gain_db", owner=owner, low=-60, high=40))

    @property
    def audio(self) -> tuple[Audio, ...]:
        """The clips, loaded."""
        return typing.cast("tuple[Audio, ...]", self.clips)

    def __repr__(self) -> str:
        return (
            f"Backchannels({len(self.clips)} clips, after_ms={self.after_ms!r}, "
            f"probability={self.probability!r})"
        )


def backchannels_from(
    source: Clip | str | tuple[Audio, Annotation],
    *,
    max_duration_ms: float = 1000.0,
    while_other_speaks: bool = True,
    min_level_dbfs: float = -55.0,
) -> tuple[Audio, ...]:
    """Cut likely backchannels out of an annotated recording.

    A backchannel here is a turn shorter than ``max_duration_ms`` by a speaker who is not
    holding the floor: another speaker's turn covers it entirely (with
    ``while_other_speaks``). On meeting recordings such segments are mostly "yeah",
    "mm-hmm", "okay" or laughter. The clips are cut from the (single-channel) recording, so
    the main speaker can be heard under them.

    The shipped AMI debug excerpts have no text. With the defaults they give 14 segments
    (0.3-1.0 s); pocketsphinx hears "right", "huh", "what", "but", "and" in some of them and
    longer phrases ("that is what they", "it up as long") in others, so treat them as
    short listener interjections, not verified backchannels. The AMI lhotse excerpt (with
    text) has no segment that qualifies: its two supervisions are full sentences.

    Parameters
    ----------
    source : Clip, clip name, or (Audio, Annotation)
        An annotated recording with speaker turns (e.g. ``"ami-debug/trn08"``).
    max_duration_ms : float > 0, default 1000.0
        Longest segment taken.
    while_other_speaks : bool, default True
        Keep only segments inside another speaker's turn.
    min_level_dbfs : float, default -55.0
        Drop segments quieter than this (RMS): on a distant microphone some listeners are
        barely audible (``ami-debug/trn08`` at 17.16 s is at -69 dBFS).

    Returns
    -------
    tuple of Audio
        One clip per segment, in time order; ``source`` names the recording, the speaker
        and the span (``"ami-debug/trn08@17.16-17.48s:FEE088"``).

    Examples
    --------
    >>> from rtlab.duplex import backchannels_from
    >>> [a.source for a in backchannels_from("ami-debug/trn04")]
    ['ami-debug/trn04@21.16-21.77s:MEO074']
    """
    from rtlab import datasets

    owner = "backchannels_from"
    limit_s = _check.number(max_duration_ms, "max_duration_ms", owner=owner, low=1.0) / 1000.0
    floor = _check.number(min_level_dbfs, "min_level_dbfs", owner=owner, low=-200.0, high=0.0)
    if isinstance(source, str):
        source = datasets.load(source)
    if isinstance(source, datasets.Clip):
        name, audio, truth = source.name, source.audio, source.truth
    elif (
        isinstance(source, tuple)
        and len(source) == 2
        and isinstance(source[0], Audio)
        and isinstance(source[1], Annotation)
    ):
        audio, truth = source
        name = audio.source
    else:
        raise ConfigError(
            "source", source, "a Clip, a clip name, or (Audio, Annotation)", owner=owner
        )
    out = []
    for turn in truth.turns:
        if turn.duration_s >= limit_s or turn.duration_s <= 0:
            continue
        covered = any(
            other.speaker != turn.speaker
            and other.start_s <= turn.start_s
            and other.end_s >= turn.end_s
            for other in truth.turns
            if other is not turn
        )
        if while_other_speaks and not covered:
            continue
        lo, hi = round(turn.start_s * SAMPLE_RATE_HZ), round(turn.end_s * SAMPLE_RATE_HZ)
        power = float(np.mean(audio.samples[lo:hi].astype(np.float64) ** 2)) if hi > lo else 0.0
        if power <= 0 or 10 * math.log10(power / 32768.0**2) < floor:
            continue
        label = f"{name}@{turn.start_s:.2f}-{turn.end_s:.2f}s:{turn.speaker}"
        out.append(Audio(np.array(audio.samples[lo:hi]), source=label))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Playback:
    """One agent response as it happened.

    Times in seconds from the start of the conversation; ``start_s``/``end_s`` are NaN for a
    response cancelled before any audio played.

    Attributes
    ----------
    response_id, item_id : str
        Ids in the log (``resp_0001``; the assistant message item).
    trigger_item_id : str or None
        The user item (or timeout item) it answers.
    created_s : float
        ``response.created`` (think time runs from here to ``start_s``).
    start_s, end_s : float
        First and last audio played.
    planned_end_s : float
        Where playback would have ended; ``end_s < planned_end_s`` is the cancelled remainder.
    status : {"completed", "cancelled", "incomplete"}
        ``incomplete``: still thinking or playing when the simulation ended (the agent kept
        interrupting itself until the silence added after the user's audio ran out).
    voice : str
    cause : {"turn", "timeout"}
        What created it: a committed user turn, or the idle timeout.
        Source of the clip played.
    """

    response_id: str
    item_id: str
    trigger_item_id: str | None
    created_s: float
    start_s: float
    end_s: float
    planned_end_s: float
    status: Literal["completed", "cancelled", "incomplete"]
    voice: str
    cause: Literal["turn", "timeout"] = "turn"

    @property
    def played_ms(self) -> float:
        """Audio actually played, in ms (0 when cancelled before it started)."""
        if math.isnan(self.start_s):
            return 0.0
        return (self.end_s - self.start_s) * 1000.0


@dataclass(frozen=True, eq=False)
class ConversationTruth:
    """What really happened in a simulated conversation.

    Attributes
    ----------
    user : Annotation
        The user's own recording's truth (turns and speech), unchanged.
    backchannels : tuple of Turn
        Backchannels inserted (speaker ``"backchannel"``, text = the clip's source): speech
        by the user that is not a turn.
    playback : tuple of Playback
        The agent's responses.
    echo_spans : ndarray, shape (n, 2)
        Seconds where residual echo reaches the microphone (at least 1 LSB RMS over a 32 ms
        frame); empty with a perfect canceller.
    duration_s : float

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.duplex import Agent, simulate
    >>> truth = simulate(rtlab.datasets.load("librivox/0880"), rtlab.Session(), agent=Agent()).truth
    >>> truth.playback_frame()[["status", "cause"]]
          status cause
    0  completed  turn
    >>> [list(span) for span in truth.annotation.speech] == [list(s) for s in truth.user.speech]
    True
    """

    user: Annotation
    backchannels: tuple[Turn, ...]
    playback: tuple[Playback, ...]
    echo_spans: np.ndarray
    duration_s: float

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The user's true turns (backchannels are not turns)."""
        return self.user.turns

    @property
    def annotation(self) -> Annotation:
        """An Annotation of the microphone's human speech: user speech plus backchannels."""
        spans = [list(s) for s in self.user.speech] + [
            [b.start_s, b.end_s] for b in self.backchannels
        ]
        return Annotation(
            np.array(spans, float).reshape(-1, 2),
            turns=self.user.turns,
            words=self.user.words,
            transcript=self.user.transcript,
            duration_s=self.duration_s,
            source=self.user.source,
            speech_known=self.user.speech_known or bool(self.backchannels),
        )

    def playback_frame(self) -> Any:
        """The playback spans as a pandas DataFrame, one row per response."""
        import pandas as pd

        columns = [f.name for f in dataclasses.fields(Playback)]
        rows = [dataclasses.astuple(p) for p in self.playback]
        return pd.DataFrame(rows, columns=columns)

    def __repr__(self) -> str:
        done = sum(p.status == "completed" for p in self.playback)
        return (
            f"ConversationTruth({len(self.user.turns)} user turns, "
            f"{len(self.backchannels)} backchannels, {len(self.playback)} responses "
            f"({done} completed))"
        )


@dataclass(frozen=True, eq=False)
class Conversation:
    """A simulated full-duplex conversation.

    Attributes
    ----------
    log : EventLog
        Server events: the detector's ``input_audio_buffer.*`` events and the response
        events, in emitted order.
    truth : ConversationTruth
    microphone : Audio
        What the detector heard (user + noise, prepared as the session says, + echo +
        backchannels).
    echo : Audio
        The residual echo alone (as mixed into ``microphone``).
    api : {"ga", "beta"}
        Naming of the audio events.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.duplex import Agent, simulate
    >>> conv = simulate(rtlab.datasets.load("librivox/0880"), rtlab.Session(), agent=Agent())
    >>> conv.truth
    ConversationTruth(1 user turns, 0 backchannels, 1 responses (1 completed))
    >>> conv.microphone.duration_s > conv.truth.user.duration_s  # the answer played to the end
    True
    """

    log: EventLog
    truth: ConversationTruth
    microphone: Audio
    echo: Audio
    api: Literal["ga", "beta"] = "ga"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conversation):
            return NotImplemented
        return (
            self.log.events == other.log.events
            and self.log.emitted_ms == other.log.emitted_ms
            and np.array_equal(self.microphone.samples, other.microphone.samples)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Conversation({len(self.log)} events, {self.truth!r}, api={self.api!r})"

    def _repr_html_(self) -> str:
        import html

        player = self.microphone._repr_html_()
        return f"<div><p>{html.escape(repr(self.truth))}</p>{player}</div>"


# ---------------------------------------------------------------------------------------
# the loop


class _Ids:
    """Temporary ids; the final log renumbers everything in emitted order."""

    def __init__(self) -> None:
        self.n = 0

    def item(self) -> str:
        self.n += 1
        return f"#item{self.n}"


class _Response:
    __slots__ = (
        "backchannel_done",
        "cause",
        "created_ms",
        "end_ms",
        "item",
        "next_delta",
        "planned_end_ms",
        "resp",
        "samples",
        "start_ms",
        "start_sample",
        "status",
        "trigger",
        "voice",
    )

    def __init__(self, resp: str, item: str, trigger: str | None, created_ms: float) -> None:
        self.resp = resp
        self.item = item
        self.trigger = trigger
        self.created_ms = created_ms
        self.start_ms = math.nan
        self.end_ms = math.nan
        self.planned_end_ms = math.nan
        self.start_sample = -1
        self.samples: np.ndarray = np.zeros(0, np.int16)
        self.next_delta = 0
        self.status = "in_progress"
        self.voice = ""
        self.backchannel_done = False
        self.cause = "turn"


def _as_user(clip_or_audio: Any) -> tuple[Audio, Annotation, str]:
    from rtlab.datasets import Clip

    if isinstance(clip_or_audio, Clip):
        return clip_or_audio.audio, clip_or_audio.truth, clip_or_audio.name
    if isinstance(clip_or_audio, Audio):
        truth = Annotation(
            np.zeros((0, 2)), duration_s=clip_or_audio.duration_s, speech_known=False
        )
        return clip_or_audio, truth, clip_or_audio.source
    raise ConfigError("clip_or_audio", clip_or_audio, "an rtlab Clip or Audio", owner="simulate")


def _prepared(audio: Audio, session: Session, options: EmulatorOptions) -> Audio:
    """User + noise as the server's VAD hears it: input codec, then noise reduction."""
    fmt = session.input_audio_format or "pcm16"
    if not options.emulate_input_format:
        fmt = "pcm16"
    if fmt in ("g711_ulaw", "g711_alaw"):
        law: Literal["ulaw", "alaw"] = "ulaw" if fmt == "g711_ulaw" else "alaw"
        audio = Audio.from_g711(audio.to_g711(law), law)
    reduction = session.input_audio_noise_reduction
    if reduction is not None:
        from rtlab import noise

        audio = noise.reduce(audio, reduction.type)
    return audio


def _noise_added(user: Audio, noise: Any, noise_snr_db: float, seed: int, pad: int) -> Audio:
    """The user's audio followed by ``pad`` samples of silence, with the noise over all of it.

    A named noise is as loud as :func:`rtlab.noise.mix` makes it for the unpadded audio.
    """
    padded = user
    if pad:
        tail = np.zeros(pad, np.int16)
        padded = Audio(np.concatenate([user.samples, tail]), source=user.source)
    if noise is None:
        return padded
    if isinstance(noise, str) and noise in ("white", "pink", "babble"):
        from rtlab import noise as noise_module

        # the padding lowers the mean power the SNR refers to: keep the noise level
        n, total = user.n_samples, padded.n_samples
        shift = 10.0 * math.log10(n / total) if n else 0.0
        return noise_module.mix(padded, noise, snr_db=noise_snr_db + shift, seed=seed)
    if not isinstance(noise, Audio):
        noise = load_audio(noise)
    track = np.resize(noise.samples, padded.n_samples).astype(np.int32)  # looped
    mixed = np.clip(padded.samples + track, -32768, 32767).astype(np.int16)
    return Audio(mixed, source=f"{user.source}+{noise.source}")


def simulate(
    clip_or_audio: Clip | Audio,
    session: Session | None = None,
    *,
    agent: Agent | None = None,
    echo: Echo | None = None,
    backchannels: Backchannels | Sequence[Audio | str] | None = None,
    noise: Audio | str | None = None,
    noise_snr_db: float = 10.0,
    chunk_ms: float = 64.0,
    api: Literal["ga", "beta"] = "ga",
    seed: int = 0,
    options: EmulatorOptions | None = None,
) -> Conversation:
    """Run a closed-loop full-duplex conversation: the user's recording against an agent.

    Parameters
    ----------
    clip_or_audio : Clip or Audio
        The user's side (a Clip brings its truth; bare Audio has unknown truth).
    session : Session, optional
        The session (``None`` = API defaults). Its turn detection, ``create_response``,
        ``interrupt_response`` and ``idle_timeout_ms`` drive the loop (module notes).
    agent : Agent or None, default None
        The agent. ``None``: nobody answers, and the events equal :func:`rtlab.detect` on
        the microphone audio.
    echo : Echo or None, default None
        Echo path; ``None`` = a perfect canceller (no echo).
    backchannels : Backchannels or sequence of Audio/paths, optional
        Listener responses mixed in while the agent speaks (a sequence uses
        :class:`Backchannels` defaults).
    noise : Audio, path or {"white", "pink", "babble"}, optional
        Background noise at the microphone: a clip is added as it is (looped); a name is
        mixed with :func:`rtlab.noise.mix` at ``noise_snr_db`` against the user's audio.
    noise_snr_db : float, default 10.0
    chunk_ms : float in [10, 200], default 64.0
        Audio per step of the loop (two VAD frames). Events are acted on at the end of the
        step in which the detector emitted them (their logged times are exact whatever the
        step); larger steps run faster.
    api : {"ga", "beta"}, default "ga"
        Names of the audio events.
    seed : int >= 0, default 0
        Seeds the think times, the voice clips, backchannels and named noise.
    options : EmulatorOptions, optional
        Detector options (as for :func:`rtlab.detect`).

    Returns
    -------
    Conversation

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import datasets
    >>> from rtlab.duplex import Agent, Echo, simulate
    >>> clip = datasets.load("librivox/0870")
    >>> speakerphone = Echo(return_loss_db=0, suppression_db=0)  # no echo canceller
    >>> loud = simulate(clip, rtlab.Session(), agent=Agent(), echo=speakerphone)
    >>> loud.truth.playback[0].status  # the agent hears itself and stops
    'cancelled'
    >>> alone = simulate(clip, rtlab.Session())  # nobody answers: the events detect gives
    >>> alone.log.events == rtlab.detect(clip.audio, rtlab.Session()).events
    True
    """
    from rtlab.session import Session
    from rtlab.turns import Detector, EmulatorOptions

    owner = "simulate"
    session = Session() if session is None else session
    if not isinstance(session, Session):
        raise ConfigError("session", session, "an rtlab Session or None", owner=owner)
    if agent is not None and not isinstance(agent, Agent):
        raise ConfigError("agent", agent, "an rtlab.duplex.Agent or None", owner=owner)
    if echo is not None and not isinstance(echo, Echo):
        raise ConfigError("echo", echo, "an rtlab.duplex.Echo or None", owner=owner)
    if backchannels is not None and not isinstance(backchannels, Backchannels):
        backchannels = Backchannels(backchannels)
    options = EmulatorOptions() if options is None else options
    if not isinstance(options, EmulatorOptions):
        raise ConfigError("options", options, "an EmulatorOptions", owner=owner)
    api = _check.choice(api, "api", ("ga", "beta"), owner=owner)
    seed = _check.seed(seed, owner=owner)
    chunk_ms = _check.number(chunk_ms, "chunk_ms", owner=owner, low=10.0, high=200.0)
    noise_snr_db = _check.number(noise_snr_db, "noise_snr_db", owner=owner, low=-50, high=100)

    user, user_truth, _name = _as_user(clip_or_audio)
    turn_detection = session.turn_detection
    manual = turn_detection is None
    create = True if turn_detection is None else bool(turn_detection.create_response)
    interrupt = False if turn_detection is None else bool(turn_detection.interrupt_response)
    answers = agent is not None and create
    pad = 0
    if answers:
        # room for the last answer to finish after the user's audio ends (noise only)
        assert agent is not None
        longest = max(v.n_samples for v in agent.clips) / _RATE_PER_MS
        if agent.max_response_ms is not None:
            longest = min(longest, agent.max_response_ms)
        pad_ms = _think_cap_ms(agent) + longest + 3000.0
        if echo is not None:
            pad_ms += echo.delay_ms + (echo.rt60_ms or 0.0)
        pad = round(pad_ms * _RATE_PER_MS)
    heard = _prepared(_noise_added(user, noise, noise_snr_db, seed, pad), session, options)
    user_n = user.n_samples
    interrupts = answers and interrupt
    idle_ms = None if manual else getattr(turn_detection, "idle_timeout_ms", None)
    detector_session = session
    if answers and idle_ms is not None:
        detector_session = session.replace(**{"turn_detection.idle_timeout_ms": None})
    else:
        idle_ms = None  # the detector keeps its own timer (responses take no time)

    loop = _Loop(
        heard=heard,
        user_truth=user_truth,
        session=session,
        agent=agent if answers else None,
        echo=echo if (answers and echo is not None and echo.active) else None,
        backchannels=backchannels if answers else None,
        interrupts=interrupts,
        idle_ms=idle_ms,
        chunk_ms=chunk_ms,
        api=api,
        seed=seed,
        user_n=user_n,
    )
    if manual:
        loop.run_manual()
    else:
        loop.run(Detector(detector_session, options=options), options)
    return loop.result()


class _Loop:
    """State of one simulation, stepped chunk by chunk in time order."""

    def __init__(
        self,
        *,
        heard: Audio,
        user_truth: Annotation,
        session: Session,
        agent: Agent | None,
        echo: Echo | None,
        backchannels: Backchannels | None,
        interrupts: bool,
        idle_ms: float | None,
        chunk_ms: float,
        api: answers.Api,
        seed: int,
        user_n: int,
    ) -> None:
        self.heard = heard
        self.user_n = user_n
        self.n_final = heard.n_samples
        self.user_truth = user_truth
        self.session = session
        self.agent = agent
        self.echo = echo
        self.backchannels = backchannels
        self.interrupts = interrupts
        self.idle_ms = idle_ms
        self.api = api
        self.n = heard.n_samples
        self.duration_ms = self.n / _RATE_PER_MS
        self.chunk = max(1, round(chunk_ms * _RATE_PER_MS))
        rng = np.random.default_rng(seed)
        self.rng_think = np.random.default_rng(rng.integers(2**63))
        self.rng_voice = np.random.default_rng(rng.integers(2**63))
        self.rng_back = np.random.default_rng(rng.integers(2**63))
        self.rir = echo.room_response() * echo.gain if echo is not None else None
        self.delay = round(echo.delay_ms * _RATE_PER_MS) if echo is not None else 0
        self.changes_mic = echo is not None or backchannels is not None
        self.extra = np.zeros(self.n, np.float64) if self.changes_mic else None
        self.echo_track = np.zeros(self.n, np.float64) if echo is not None else None
        self.events: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.ids = _Ids()
        self.id_map: dict[str, str] = {}
        self.n_resp = 0
        self.active: _Response | None = None
        self.done: list[_Response] = []
        self.back_turns: list[Turn] = []
        self.in_speech = False
        self.idle_ref_ms: float | None = 0.0  # None = timer stopped
        self.committed_floor_ms = 0.0  # audio before this was committed by a timeout
        self.delta_cache: dict[tuple[int, int], str] = {}
        self.echo_cache: dict[int, np.ndarray] = {}
        self.start_lag_ms = 0.0  # speech_started emitted_ms - audio_start_ms, when not clamped
        self.detector_ref_ms = 0.0  # end of the audio the detector last committed
        self.names = answers.names(api, audio=True)
        self.audio_delta, self.audio_done = self.names.delta, self.names.done

    # -- emitting -------------------------------------------------------------------------
    def emit(self, event: dict[str, Any], at_ms: float) -> None:
        self.events.append(event)
        self.times.append(float(at_ms))

    def detector_event(self, event: dict[str, Any], at_ms: float) -> None:
        event = dict(event)
        for key in ("item_id", "previous_item_id"):
            value = event.get(key)
            if value is not None:
                if value not in self.id_map:
                    self.id_map[value] = self.ids.item()
                event[key] = self.id_map[value]
        self.emit(event, at_ms)

    # -- responses ------------------------------------------------------------------------
    def create_response(self, trigger: str | None, at_ms: float) -> None:
        assert self.agent is not None
        self.n_resp += 1
        resp = _Response(f"resp_{self.n_resp:04d}", self.ids.item(), trigger, at_ms)
        think = self.agent.think_ms
        if self.agent.think_sigma:
            think *= math.exp(self.agent.think_sigma * float(self.rng_think.standard_normal()))
            think = min(think, _think_cap_ms(self.agent))
        voices = self.agent.clips
        k = int(self.rng_voice.integers(len(voices)))
        clip = voices[k]
        samples = clip.samples
        if self.agent.max_response_ms is not None:
            samples = samples[: round(self.agent.max_response_ms * _RATE_PER_MS)]
        resp.samples = samples
        resp.voice = clip.source
        resp.start_ms = at_ms + think  # moved to a chunk boundary when it starts
        self.active = resp
        self.idle_ref_ms = None
        self.emit(
            {
                "type": "response.created",
                "event_id": "",
                "response": answers.response_object(
                    resp.resp, api=self.api, status="in_progress", output=[], audio=True
                ),
            },
            at_ms,
        )
        self._voice_index = k

    def _item(self, resp: _Response, status: str) -> dict[str, Any]:
        text = None if status == "in_progress" else ""
        return answers.assistant_item(resp.item, self.names, status=status, text=text)

    def start_playback(self, resp: _Response, sample: int) -> None:
        resp.start_sample = sample
        resp.start_ms = sample / _RATE_PER_MS
        resp.planned_end_ms = (sample + resp.samples.size) / _RATE_PER_MS
        at = resp.start_ms
        self.emit(
            {
                "type": "response.output_item.added",
                "event_id": "",
                "response_id": resp.resp,
                "output_index": 0,
                "item": self._item(resp, "in_progress"),
            },
            at,
        )
        self.emit(
            {
                "type": "response.content_part.added",
                "event_id": "",
                "response_id": resp.resp,
                "item_id": resp.item,
                "output_index": 0,
                "content_index": 0,
                "part": answers.part(self.names, ""),
            },
            at,
        )
        if self.echo_track is not None:
            self._add_echo(resp)

    def _add_echo(self, resp: _Response, played: int | None = None) -> None:
        """Add the echo of a response's playback; ``played`` = samples played when cut short.

        The echo of the whole clip is computed once per clip (FFT convolution with the room
        response); cutting playback at sample ``r`` replaces the echo from ``r`` on by the
        reverberant tail of the audio before ``r``.
        """
        from scipy.signal import oaconvolve

        assert self.rir is not None and self.echo_track is not None and self.extra is not None
        key = id(resp.samples)
        full = self.echo_cache.get(key)
        if full is None:
            full = oaconvolve(resp.samples.astype(np.float64), self.rir)
            self.echo_cache[key] = full
        base = resp.start_sample + self.delay
        if played is None:
            lo, values = base, full
        else:
            r = played
            tail_from = max(0, r - self.rir.size + 1)
            z = oaconvolve(resp.samples[tail_from:r].astype(np.float64), self.rir)[r - tail_from :]
            values = np.zeros(full.size - r)
            values[: z.size] = z[: values.size]
            values -= full[r:]
            lo = base + r
        hi = min(self.n, lo + values.size)
        if hi > lo:
            self.echo_track[lo:hi] += values[: hi - lo]
            self.extra[lo:hi] += values[: hi - lo]

    def emit_deltas(
        self, resp: _Response, upto_sample: int, *, at_most_ms: float = math.inf
    ) -> None:
        """Audio deltas for the audio played before ``upto_sample``.

        Each is logged when it starts playing, or at ``at_most_ms`` if that is earlier (the
        server had sent the audio the client still plays after a cancellation).
        """
        assert self.agent is not None
        step = max(1, round(self.agent.delta_ms * _RATE_PER_MS))
        while True:
            lo = resp.next_delta * step
            if lo >= resp.samples.size or resp.start_sample + lo >= upto_sample:
                return
            key = (id(resp.samples), resp.next_delta)  # a clip lives as long as the agent
            data = self.delta_cache.get(key)
            if data is None:
                chunk = resp.samples[lo : lo + step]
                data = base64.b64encode(chunk.astype("<i2").tobytes()).decode("ascii")
                self.delta_cache[key] = data
            self.emit(
                {
                    "type": self.audio_delta,
                    "event_id": "",
                    "response_id": resp.resp,
                    "item_id": resp.item,
                    "output_index": 0,
                    "content_index": 0,
                    "delta": data,
                },
                min(at_most_ms, (resp.start_sample + lo) / _RATE_PER_MS),
            )
            resp.next_delta += 1

    def finish(
        self, resp: _Response, status: str, at_ms: float, *, end_ms: float | None = None
    ) -> None:
        """End a response at ``at_ms``: completed, or cancelled (playback ends at ``end_ms``)."""
        played = not math.isnan(resp.start_ms) and resp.start_sample >= 0
        item_status = "completed" if status == "completed" else "incomplete"
        if played:
            common = {"response_id": resp.resp, "item_id": resp.item, "output_index": 0}
            self.emit(
                {"type": self.audio_done, "event_id": "", **common, "content_index": 0}, at_ms
            )
            self.emit(
                {
                    "type": "response.content_part.done",
                    "event_id": "",
                    **common,
                    "content_index": 0,
                    "part": answers.part(self.names, ""),
                },
                at_ms,
            )
            self.emit(
                {
                    "type": "response.output_item.done",
                    "event_id": "",
                    "response_id": resp.resp,
                    "output_index": 0,
                    "item": self._item(resp, item_status),
                },
                at_ms,
            )
        self.emit(
            {
                "type": "response.done",
                "event_id": "",
                "response": answers.response_object(
                    resp.resp,
                    api=self.api,
                    status=status,
                    output=[self._item(resp, item_status)] if played else [],
                    audio=True,
                    reason="turn_detected",
                ),
            },
            at_ms,
        )
        resp.status = status
        if played:
            resp.end_ms = at_ms if end_ms is None else end_ms
        else:
            resp.start_ms = resp.end_ms = resp.planned_end_ms = math.nan
        self.done.append(resp)
        self.active = None
        if not self.in_speech:  # the idle timer counts from the end of playback
            self.idle_ref_ms = at_ms if end_ms is None else end_ms

    def cancel(self, at_ms: float, hi: int) -> None:
        """Cancel the active response at ``at_ms`` (the server's ``speech_started``).

        The client stops playback ``stop_latency_ms`` later; never before the audio already
        heard through the echo path (``hi`` minus the echo delay), so what the detector was
        fed stays what was played.
        """
        resp = self.active
        assert resp is not None and self.agent is not None
        stop_sample = max(
            math.ceil((at_ms + self.agent.stop_latency_ms) * _RATE_PER_MS - 1e-9),
            hi - self.delay,
        )
        if resp.start_sample < 0 or stop_sample <= resp.start_sample:
            resp.start_sample = -1
            self.finish(resp, "cancelled", at_ms)
            return
        played = min(resp.samples.size, stop_sample - resp.start_sample)
        stop_ms = (resp.start_sample + played) / _RATE_PER_MS
        self.emit_deltas(resp, stop_sample, at_most_ms=at_ms)
        if self.echo_track is not None and played < resp.samples.size:
            self._add_echo(resp, played)
        self.finish(resp, "cancelled", at_ms, end_ms=stop_ms)
        self.emit(answers.truncated_event("", resp.item, 0, round(played / _RATE_PER_MS)), stop_ms)

    def backchannel(self, resp: _Response, lo: int, hi: int) -> None:
        """Insert a backchannel if this chunk reaches the point it is due."""
        spec = self.backchannels
        if spec is None or resp.backchannel_done or resp.start_sample < 0:
            return
        due = resp.start_sample + round(spec.after_ms * _RATE_PER_MS)
        if due >= hi or due >= resp.start_sample + resp.samples.size:
            return
        resp.backchannel_done = True
        if self.rng_back.random() >= spec.probability:
            return
        clips = spec.audio
        clip = clips[int(self.rng_back.integers(len(clips)))]
        at = max(due, lo)
        assert self.extra is not None
        x = clip.samples.astype(np.float64) * 10 ** (spec.gain_db / 20.0)
        end = min(self.n, at + x.size)
        self.extra[at:end] += x[: end - at]
        self.back_turns.append(
            Turn(at / SAMPLE_RATE_HZ, end / SAMPLE_RATE_HZ, speaker="backchannel", text=clip.source)
        )

    def timed(
        self, events: list[dict[str, Any]], detector: Any, before_ms: float
    ) -> list[tuple[dict[str, Any], float]]:
        """Pair the events a feed returned with their emitted times.

        A feed that scored one VAD frame emitted everything at its end (``position_ms``).
        After a feed that scored several, a stop, commit or timeout was emitted at its
        ``audio_end_ms`` and a start at ``audio_start_ms`` + padding + the frames speech must
        last, unless its start was clamped (to 0 or to the last commit): then the times are
        read from the detector's log.
        """
        if not events:
            return []
        now = detector.position_ms
        if now - before_ms <= _VAD_HOP_MS + 1e-6:
            out = [(event, now) for event in events]
        else:
            out = []
            previous = now
            for event in events:
                kind = event["type"]
                if kind in (_SPEECH_STOPPED, _TIMEOUT):
                    t = float(event["audio_end_ms"])
                elif kind == _SPEECH_STARTED:
                    start = float(event["audio_start_ms"])
                    t = start + self.start_lag_ms
                    exact = start not in (0.0, self.detector_ref_ms) and t % _VAD_HOP_MS == 0
                    if not (exact and before_ms < t <= now + 1e-6):
                        times = detector.log.emitted_ms[-len(events) :]
                        out = list(zip(events, times, strict=True))
                        break
                else:
                    t = previous
                out.append((event, t))
                previous = t
        for event, _ in out:
            if event["type"] in (_SPEECH_STOPPED, _TIMEOUT):
                self.detector_ref_ms = float(event["audio_end_ms"])
        return out

    # -- the two drivers ------------------------------------------------------------------
    def run(self, detector: Any, options: EmulatorOptions) -> None:
        heard = self.heard.samples
        td = self.session.turn_detection
        semantic_kind = getattr(td, "type", "") == "semantic_vad"
        prefix = (
            options.semantic_prefix_padding_ms
            if semantic_kind
            else getattr(td, "prefix_padding_ms", 0.0)
        )
        frames = max(1, math.ceil(options.min_speech_ms / _VAD_HOP_MS - 1e-9))
        self.start_lag_ms = float(prefix) + frames * _VAD_HOP_MS
        self.detector_ref_ms = 0.0
        precomputed = None
        if not self.changes_mic:
            from rtlab import vad

            precomputed = vad.score(self.heard, model=options.vad_model)
            probabilities = precomputed.probabilities
            hop = precomputed.hop_ms
            semantic = getattr(self.session.turn_detection, "type", "") == "semantic_vad"
        fed_frames = 0
        hop_samples = round(_VAD_HOP_MS * _RATE_PER_MS)
        mic_parts: list[np.ndarray] = []
        before_ms = 0.0
        for lo in range(0, self.n, self.chunk):
            if self.finished(lo):
                break
            hi = min(self.n, lo + self.chunk)
            self.before_chunk(lo, hi)
            if precomputed is not None:
                upto = min(probabilities.size, hi // hop_samples)
                events = detector.feed_scores(
                    probabilities[fed_frames:upto],
                    hop_ms=hop,
                    audio=self.heard if semantic else None,
                )
                fed_frames = upto
            else:
                assert self.extra is not None
                mixed = heard[lo:hi] + self.extra[lo:hi]
                chunk = np.clip(np.rint(mixed), -32768, 32767).astype(np.int16)
                mic_parts.append(chunk)
                events = detector.feed(chunk)
            self.after_chunk(events, detector, lo, hi, before_ms)
            before_ms = detector.position_ms
        end = self.n_final
        events = (
            detector.flush()
            if precomputed is None
            else detector.feed_scores(probabilities[fed_frames : end // hop_samples], hop_ms=hop)
        )
        self.after_chunk(events, detector, end, end, before_ms)
        self.mic = (
            heard[: self.n_final]
            if precomputed is not None
            else np.concatenate(mic_parts or [heard[:0]])[: self.n_final]
        )

    def run_manual(self) -> None:
        """turn_detection None: the client commits at each true turn end and asks for a response."""
        ends = sorted({round(t.end_s * SAMPLE_RATE_HZ) for t in self.user_truth.turns})
        previous: str | None = None
        mic_parts = []
        heard = self.heard.samples
        for lo in range(0, self.n, self.chunk):
            if self.finished(lo):
                break
            hi = min(self.n, lo + self.chunk)
            self.before_chunk(lo, hi)
            for end in ends:
                if lo <= end < hi:
                    at = end / _RATE_PER_MS
                    item = self.ids.item()
                    self.emit(
                        {
                            "type": _COMMITTED,
                            "event_id": "",
                            "previous_item_id": previous,
                            "item_id": item,
                        },
                        at,
                    )
                    previous = item
                    if self.agent is not None and self.active is None:
                        self.create_response(item, at)
            if self.extra is not None:
                mixed = heard[lo:hi] + self.extra[lo:hi]
                mic_parts.append(np.clip(np.rint(mixed), -32768, 32767).astype(np.int16))
            self.advance_playback(lo, hi)
        self.mic = (np.concatenate(mic_parts) if mic_parts else heard)[: self.n_final]

    def finished(self, lo: int) -> bool:
        """Past the user's audio with nothing left to play or hear: stop at ``lo``."""
        if lo < self.user_n or self.active is not None or self.in_speech:
            return False
        if self.done:
            last = self.done[-1]
            if not math.isnan(last.end_ms):
                tail = self.delay + (self.rir.size if self.rir is not None else 0)
                if lo < last.end_ms * _RATE_PER_MS + tail:
                    return False
        self.n_final = lo
        return True

    def before_chunk(self, lo: int, hi: int) -> None:
        resp = self.active
        if resp is not None and resp.start_sample < 0:
            start = math.ceil(resp.start_ms * _RATE_PER_MS - 1e-9)
            if start < hi:
                self.start_playback(resp, max(start, lo))
        if resp is not None and resp.start_sample >= 0:
            self.backchannel(resp, lo, hi)

    def advance_playback(self, lo: int, hi: int) -> None:
        resp = self.active
        if resp is None or resp.start_sample < 0:
            return
        self.emit_deltas(resp, hi)
        end = resp.start_sample + resp.samples.size
        if end <= hi:
            self.finish(resp, "completed", end / _RATE_PER_MS)

    def after_chunk(
        self, events: list[dict[str, Any]], detector: Any, lo: int, hi: int, before_ms: float
    ) -> None:
        hi_ms = hi / _RATE_PER_MS
        # the idle timer runs out at the end of the VAD frame where it does
        fire_ms = None
        if self.idle_ms is not None and self.idle_ref_ms is not None and self.active is None:
            due = self.idle_ref_ms + self.idle_ms
            fire_ms = math.ceil(due / _VAD_HOP_MS - 1e-9) * _VAD_HOP_MS
            if fire_ms > hi_ms or (lo == hi and fire_ms > self.duration_ms):
                fire_ms = None
        agenda = [
            (float(t), i, e) for i, (e, t) in enumerate(self.timed(events, detector, before_ms))
        ]
        if fire_ms is not None:
            starts = [t for t, _, e in agenda if e["type"] == _SPEECH_STARTED and t <= fire_ms]
            if starts or self.in_speech:
                fire_ms = None
            else:
                agenda.append((fire_ms, -1, {"type": "#timeout"}))
        # playback that ends inside this chunk ends before later events
        resp = self.active
        if resp is not None and resp.start_sample >= 0:
            end = resp.start_sample + resp.samples.size
            if end <= hi:
                agenda.append((end / _RATE_PER_MS, -2, {"type": "#playback_end"}))
        agenda.sort(key=lambda x: (x[0], x[1] >= 0, x[1]))
        for at_ms, _, event in agenda:
            kind = event["type"]
            if kind == "#playback_end":
                if self.active is not None and self.active.start_sample >= 0:
                    self.emit_deltas(self.active, hi)
                    self.finish(self.active, "completed", at_ms)
                continue
            if kind == "#timeout":
                if self.active is not None or self.in_speech:
                    continue
                assert self.idle_ref_ms is not None
                item = self.ids.item()
                start = round(self.idle_ref_ms)
                self.emit(
                    {
                        "type": _TIMEOUT,
                        "event_id": "",
                        "audio_start_ms": start,
                        "audio_end_ms": round(at_ms),
                        "item_id": item,
                    },
                    at_ms,
                )
                self.emit(
                    {"type": _COMMITTED, "event_id": "", "previous_item_id": None, "item_id": item},
                    at_ms,
                )
                self.committed_floor_ms = at_ms
                self.create_response(item, at_ms)
                assert self.active is not None
                self.active.cause = "timeout"
                continue
            if kind == _SPEECH_STARTED:
                self.in_speech = True
                self.idle_ref_ms = None
                if event.get("audio_start_ms", 0) < self.committed_floor_ms:
                    event = {**event, "audio_start_ms": round(self.committed_floor_ms)}
                self.detector_event(event, at_ms)
                if self.interrupts and self.active is not None:
                    self.cancel(at_ms, hi)
                continue
            self.detector_event(event, at_ms)
            if kind == _SPEECH_STOPPED:
                self.in_speech = False
            elif kind == _COMMITTED and self.agent is not None:
                if self.active is None:
                    self.create_response(self.id_map[event["item_id"]], at_ms)
                # else: already responding and not interrupted, no new response (API)
            elif kind == _COMMITTED and self.active is None:
                self.idle_ref_ms = at_ms
        idle_stopped = self.idle_ref_ms is None and self.active is None
        if self.agent is not None and idle_stopped and not self.in_speech:
            self.idle_ref_ms = hi_ms
        self.advance_playback(lo, hi)

    # -- result ---------------------------------------------------------------------------
    def result(self) -> Conversation:
        n = self.n_final
        duration_ms = n / _RATE_PER_MS
        order = sorted(range(len(self.events)), key=lambda i: (self.times[i], i))
        events: list[dict[str, Any]] = []
        times: list[float] = []
        items: dict[str, str] = {}
        responses = 0
        last_item: str | None = None
        for n_event, i in enumerate(order, start=1):
            event = dict(self.events[i])
            event["event_id"] = f"event_{n_event:04d}"
            for key in ("item_id",):
                if key in event and event[key] is not None:
                    event[key] = items.setdefault(event[key], f"item_{len(items) + 1:04d}")
            kind = event["type"]
            if kind == _COMMITTED:
                event["previous_item_id"] = last_item
                last_item = event["item_id"]
            if kind in ("response.output_item.added", "response.output_item.done"):
                item = dict(event["item"])
                item["id"] = items.setdefault(item["id"], f"item_{len(items) + 1:04d}")
                event["item"] = item
                if kind == "response.output_item.added":
                    last_item = item["id"]
            if kind in ("response.created", "response.done"):
                response = dict(event["response"])
                if kind == "response.created":
                    responses += 1
                output = []
                for item in response["output"]:
                    item = dict(item)
                    item["id"] = items.setdefault(item["id"], f"item_{len(items) + 1:04d}")
                    output.append(item)
                response["output"] = output
                event["response"] = response
            events.append(event)
            times.append(self.times[i])
        playback = tuple(
            Playback(
                response_id=r.resp,
                item_id=items.get(r.item, r.item),
                trigger_item_id=items.get(r.trigger) if r.trigger else None,
                created_s=r.created_ms / 1000.0,
                start_s=r.start_ms / 1000.0,
                end_s=r.end_ms / 1000.0,
                planned_end_s=r.planned_end_ms / 1000.0,
                status=r.status,  # type: ignore[arg-type]
                voice=r.voice,
                cause=r.cause,  # type: ignore[arg-type]
            )
            for r in sorted(self.done, key=lambda r: r.created_ms)
        )
        if self.active is not None:  # still going at the end of the audio: cut there
            r = self.active
            playing = r.start_sample >= 0
            playback += (
                Playback(
                    response_id=r.resp,
                    item_id=items.get(r.item, r.item),
                    trigger_item_id=items.get(r.trigger) if r.trigger else None,
                    created_s=r.created_ms / 1000.0,
                    start_s=r.start_ms / 1000.0 if playing else math.nan,
                    end_s=duration_ms / 1000.0 if playing else math.nan,
                    planned_end_s=r.planned_end_ms / 1000.0 if playing else math.nan,
                    status="incomplete",
                    voice=r.voice,
                    cause=r.cause,  # type: ignore[arg-type]
                ),
            )
        echo_track = (self.echo_track if self.echo_track is not None else np.zeros(self.n))[:n]
        echo_int = np.clip(np.rint(echo_track), -32768, 32767).astype(np.int16)
        truth = ConversationTruth(
            user=self.user_truth,
            backchannels=tuple(self.back_turns),
            playback=playback,
            echo_spans=_active_spans(echo_track),
            duration_s=n / SAMPLE_RATE_HZ,
        )
        log = EventLog(tuple(events), tuple(times), session=self.session, duration_ms=duration_ms)
        mic = Audio(np.asarray(self.mic, np.int16), source=f"{self.heard.source} (microphone)")
        return Conversation(
            log=log,
            truth=truth,
            microphone=mic,
            echo=Audio(echo_int, source="echo"),
            api=self.api,  # type: ignore[arg-type]
        )


def _think_cap_ms(agent: Agent) -> float:
    """Longest think time drawn: the median times exp(4 sigma)."""
    return agent.think_ms * math.exp(4.0 * agent.think_sigma)


def _active_spans(track: np.ndarray, frame_ms: float = _VAD_HOP_MS) -> np.ndarray:
    """Seconds where the track's RMS over ``frame_ms`` frames is at least 1 LSB."""
    step = round(frame_ms * _RATE_PER_MS)
    n = track.size // step
    if n == 0:
        return np.zeros((0, 2))
    rms = np.sqrt(np.mean(track[: n * step].reshape(n, step) ** 2, axis=1))
    on = np.concatenate([[False], rms >= 1.0, [False]]).astype(np.int8)
    edges = np.diff(on)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return np.stack([starts * step, ends * step], axis=1).astype(float) / SAMPLE_RATE_HZ
