"""Probe recordings: a fixed set of real-speech tracks with known truth, sent to a Realtime server.

Everything rtlab predicts rests on the emulator (:func:`rtlab.detect`) doing what the live
service does. This module records what a server actually does on audio whose truth is known,
so :func:`rtlab.calibration.calibrate` can fit the emulator to it and report which
documented rules hold.

The probe set (:func:`probe_set`) is built from the shipped LibriVox utterances
(``datasets/librivox_pocketsphinx``: one reader, word timings from forced alignment), cut at
word boundaries and joined with digital silence of exact lengths; every probe carries the
speech spans (from the word timings) and a list of *facts*: what was inserted where.

``pauses``
    Eight two-word + two-word phrases, each split by an inserted pause of 100, 200, 300, 400,
    500, 700, 1000 and 2000 ms (the words meet at the cut, so the pause is the inserted
    silence), 1600 ms of silence between phrases. Whether a pause ends the turn, and when,
    tests ``silence_duration_ms`` and ``audio_end_ms`` = last speech + silence.
``onsets``
    Phrases after 150, 1000 and 2500 ms of silence (the first one shorter than the prefix
    padding: ``audio_start_ms`` is clamped at 0), then *blips*: 32 to 288 ms cut from the
    middle of a long word (5 ms fades, no clicks), 1200 ms apart: the shortest speech that
    starts a turn (``min_speech_ms``).
``levels``
    One phrase at -40, -36, -32, -28, -20 and 0 dB: quiet speech whose VAD probability
    hovers around the threshold (where ``threshold`` and hysteresis decide), and full level.
``idle``
    6 s of silence, a sentence, 11 s of silence: ``idle_timeout_ms`` = 5000 fires before
    the speech and twice after it.
``semantic``
    Three sentences, each with a 2200 ms pause in the middle of a phrase ("he was not an
    ill ... disposed young man") and 3000 ms after its phrase-final word: ``semantic_vad``
    should wait through the first and answer the second sooner, per eagerness.

Each probe is sent under a small grid of sessions (:func:`probe_sessions`): server_vad with
the documented defaults (sent as values: a ``turn_detection`` object is always sent whole;
the server's own defaults are read from its ``session.created``), faster and slower
silence durations with other prefix paddings, a strict and a loose threshold, an idle
timeout, and semantic_vad at each eagerness. Every session sets ``create_response=False``:
the server answers nothing, so the run costs audio input only.

:func:`run_probe` records them all with :func:`rtlab.realtime.record` into one folder:

::

    DIR/index.json                   what was sent, where each file is, the price assumed
                                     (rewritten after each recording; "complete": true at the end)
    DIR/probes/<probe>.wav           the audio reference (24 kHz PCM16)
    DIR/probes/<probe>.json          its truth: speech spans and facts
    DIR/<probe>--<label>/session.json          the session sent (Session.save)
    DIR/<probe>--<label>/session_created.json  the server's session.created event
    DIR/<probe>--<label>/events.jsonl          every server event (EventLog JSONL)

Cost: the OpenAI price page for ``gpt-realtime`` lists audio input at **$32 per 1M tokens**
and the Realtime cost guide counts user audio as 1 token per 100 ms (600 tokens a minute),
so a minute of input audio costs at most **$0.0192** (:data:`PRICE_USD_PER_AUDIO_MINUTE`;
developers.openai.com/api/docs/models/gpt-realtime and /api/docs/guides/realtime-costs, read
2026-11-27). The guide adds that costs accrue when a response is created and that VAD
filters out empty audio, so with ``create_response=False`` the real charge is likely lower;
the estimate is an upper bound for the audio sent. The whole probe is about 4.5 minutes of
audio: under $0.10.

Examples
--------
>>> from rtlab.probe import probe_set, estimate
>>> [p.name for p in probe_set()]
['pauses', 'onsets', 'levels', 'idle', 'semantic']
>>> [f["pause_ms"] for f in probe_set()[0].facts]
[100, 200, 300, 400, 500, 700, 1000, 2000]
>>> cost = estimate()
>>> 4.0 < cost.audio_minutes < 5.0, cost.cost_usd < 0.10
(True, True)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import ConfigError
from rtlab.realtime._record import is_loopback

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio
    from rtlab.session import Session

__all__ = [
    "PRICE_SOURCE",
    "PRICE_USD_PER_AUDIO_MINUTE",
    "Estimate",
    "Probe",
    "ProbeSession",
    "add_probe_command",
    "estimate",
    "probe_sessions",
    "probe_set",
    "read_index",
    "run_probe",
]

#: Upper bound of what a minute of input audio costs on ``gpt-realtime`` (USD): $32 per 1M
#: audio input tokens x 600 tokens per minute (1 token per 100 ms of user audio).
PRICE_USD_PER_AUDIO_MINUTE = 32.0 / 1_000_000 * 600

#: Where :data:`PRICE_USD_PER_AUDIO_MINUTE` comes from, and when it was read.
PRICE_SOURCE = (
    "gpt-realtime audio input $32 / 1M tokens (developers.openai.com/api/docs/models/"
    "gpt-realtime); user audio = 1 token per 100 ms (developers.openai.com/api/docs/guides/"
    "realtime-costs); read 2026-11-27"
)

#: Version of the folder layout :func:`run_probe` writes.
INDEX_VERSION = 1

_FADE_MS = 5.0


# ---------------------------------------------------------------------------------------
# probes


@dataclass(frozen=True, eq=False)
class Probe:
    """One probe track: real speech with inserted silences, and what is known about it.

    Attributes
    ----------
    name : str
        ``"pauses"``, ``"onsets"``, ``"levels"``, ``"idle"`` or ``"semantic"``.
    description : str
        What it tests, in a sentence.
    audio : Audio
        24 kHz mono int16.
    speech_ms : tuple of (float, float)
        Where speech is, ``[start, end)`` in ms from the start of the track: each phrase's
        words (forced-alignment times) merged where they touch.
    facts : tuple of dict
        One dict per inserted element, with ``kind`` (``"pause"``, ``"onset"``, ``"blip"``,
        ``"level"``, ``"idle"``, ``"mid_phrase"``, ``"phrase_final"``) and its numbers in ms
        (e.g. ``pause_ms``, ``start_ms``, ``end_ms``, ``gain_db``). Read-only by convention.
    """

    name: str
    description: str
    audio: Audio
    speech_ms: tuple[tuple[float, float], ...]
    facts: tuple[dict[str, Any], ...]

    @property
    def duration_ms(self) -> float:
        """Length of the track in ms."""
        return float(self.audio.duration_ms)

    def truth(self) -> dict[str, Any]:
        """The truth as a JSON-ready dict (what :func:`run_probe` writes beside the audio)."""
        return {
            "name": self.name,
            "description": self.description,
            "duration_ms": self.duration_ms,
            "fingerprint": self.audio.fingerprint,
            "speech_ms": [list(span) for span in self.speech_ms],
            "facts": [dict(fact) for fact in self.facts],
        }

    def __repr__(self) -> str:
        return f"Probe({self.name!r}, {self.duration_ms / 1000:.1f} s, {len(self.facts)} facts)"


@dataclass(frozen=True)
class ProbeSession:
    """One cell of the grid: a probe sent with a session.

    Attributes
    ----------
    probe : str
        Name of the :class:`Probe`.
    label : str
        Name of the session setting, e.g. ``"server_default"``.
    session : Session
        What is sent in ``session.update``.
    """

    probe: str
    label: str
    session: Session

    @property
    def id(self) -> str:
        """Folder name of the recording: ``"<probe>--<label>"``."""
        return f"{self.probe}--{self.label}"


class _Track:
    """Builds a probe: pieces of audio, speech spans and facts, in ms."""

    def __init__(self) -> None:
        self.pieces: list[np.ndarray] = []
        self.n = 0
        self.spans: list[list[float]] = []
        self.facts: list[dict[str, Any]] = []

    @property
    def now_ms(self) -> float:
        return self.n * 1000.0 / SAMPLE_RATE_HZ

    def silence(self, ms: float) -> None:
        count = round(ms * SAMPLE_RATE_HZ / 1000.0)
        self.pieces.append(np.zeros(count, dtype=np.int16))
        self.n += count

    def speech(self, piece: tuple[np.ndarray, list[tuple[float, float]]], gain_db: float = 0.0):
        samples, words = piece
        if gain_db:
            scaled = samples.astype(np.float64) * 10.0 ** (gain_db / 20.0)
            samples = np.clip(np.rint(scaled), -32768, 32767).astype(np.int16)
        start = self.now_ms
        for a, b in words:
            a, b = start + a, start + b
            if self.spans and a <= self.spans[-1][1] + 1e-6:
                self.spans[-1][1] = max(self.spans[-1][1], b)
            else:
                self.spans.append([a, b])
        self.pieces.append(samples)
        self.n += samples.size
        return start, self.now_ms

    def build(self, name: str, description: str) -> Probe:
        from rtlab.audio import Audio

        audio = Audio(np.concatenate(self.pieces), source=f"rtlab-probe/{name}")
        spans = tuple((round(a, 3), round(b, 3)) for a, b in self.spans)
        return Probe(name, description, audio, spans, tuple(self.facts))


class _Words:
    """Word-aligned pieces of the shipped LibriVox utterances."""

    def __init__(self) -> None:
        from rtlab import datasets

        self.clips = {
            n: datasets.load(f"librivox/{n}") for n in ("0870", "0880", "0890", "0920", "0930")
        }

    def phrase(
        self, utterance: str, first: int, last: int
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """Words ``first..last`` (inclusive) of an utterance, cut at their aligned times."""
        clip = self.clips[utterance]
        words = clip.truth.words[first : last + 1]
        s0 = round(words[0].start_s * SAMPLE_RATE_HZ)
        s1 = round(words[-1].end_s * SAMPLE_RATE_HZ)
        spans = [
            (
                w.start_s * 1000.0 - s0 * 1000.0 / SAMPLE_RATE_HZ,
                w.end_s * 1000.0 - s0 * 1000.0 / SAMPLE_RATE_HZ,
            )
            for w in words
        ]
        return np.array(clip.audio.samples[s0:s1], dtype=np.int16), spans

    def blip(
        self, utterance: str, word: int, length_ms: float
    ) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """``length_ms`` from the middle of a word, with 5 ms raised-cosine fades."""
        clip = self.clips[utterance]
        w = clip.truth.words[word]
        middle = (w.start_s + w.end_s) / 2.0
        count = round(length_ms * SAMPLE_RATE_HZ / 1000.0)
        s0 = round(middle * SAMPLE_RATE_HZ) - count // 2
        samples = clip.audio.samples[s0 : s0 + count].astype(np.float64)
        fade = min(round(_FADE_MS * SAMPLE_RATE_HZ / 1000.0), count // 2)
        if fade:
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
            samples[:fade] *= ramp
            samples[-fade:] *= ramp[::-1]
        return np.rint(samples).astype(np.int16), [(0.0, count * 1000.0 / SAMPLE_RATE_HZ)]


#: (utterance, words before the cut, words after the cut): word boundaries with no aligned
#: silence between them, so an inserted pause is the whole pause.
_PAUSE_CUTS = (
    ("0930", (1, 2), (3, 4)),  # might even | have been
    ("0870", (2, 3), (4, 5)),  # john dashwood | had then
    ("0890", (4, 5), (6, 7)),  # cold hearted | and rather
    ("0920", (6, 7), (8, 9)),  # amiable woman | he might
    ("0880", (4, 5), (6, 7)),  # ill disposed | young man
)
_PAUSES_MS = (100, 200, 300, 400, 500, 700, 1000, 2000)
_BLIPS_MS = (32, 64, 96, 128, 192, 288)
_LEVELS_DB = (-40.0, -36.0, -32.0, -28.0, -20.0, 0.0)
#: (utterance, words of the first part, words of the second part) for semantic_vad
_SEMANTIC_CUTS = (
    ("0880", (0, 4), (5, 7)),  # he was not an ill | disposed young man
    ("0930", (0, 5), (6, 7)),  # he might even have been made | amiable himself
    ("0920", (0, 3), (4, 7)),  # had he married a | more amiable woman
)
_SEMANTIC_MID_MS = 2200.0
_SEMANTIC_END_MS = 3000.0


def probe_set() -> tuple[Probe, ...]:
    """The fixed probe set: ``pauses``, ``onsets``, ``levels``, ``idle``, ``semantic``.

    Built from the shipped LibriVox utterances the same way every time (bit-identical
    audio); see the module docstring for what each probe holds.

    Returns
    -------
    tuple of Probe

    Examples
    --------
    >>> from rtlab.probe import probe_set
    >>> probes = probe_set()
    >>> [(p.name, round(p.duration_ms / 1000, 1)) for p in probes]
    [('pauses', 29.7), ('onsets', 15.8), ('levels', 19.0), ('idle', 19.5), ('semantic', 23.7)]
    >>> probes[1].facts[0]
    {'kind': 'onset', 'silence_before_ms': 150.0, 'start_ms': 150.0, 'end_ms': 1000.0}
    """
    words = _Words()
    probes = []

    track = _Track()
    track.silence(500)
    for i, pause in enumerate(_PAUSES_MS):
        utterance, before, after = _PAUSE_CUTS[i % len(_PAUSE_CUTS)]
        _, head_end = track.speech(words.phrase(utterance, *before))
        track.silence(pause)
        tail_start, tail_end = track.speech(words.phrase(utterance, *after))
        track.facts.append(
            {
                "kind": "pause",
                "pause_ms": pause,
                "start_ms": round(head_end, 3),
                "end_ms": round(tail_start, 3),
                "phrase_end_ms": round(tail_end, 3),
            }
        )
        track.silence(1600)
    probes.append(
        track.build("pauses", "phrases split by pauses of 100 to 2000 ms (silence_duration_ms)")
    )

    track = _Track()
    onsets: tuple[tuple[float, str, int, int], ...] = (
        (150.0, "0880", 0, 2),
        (1000.0, "0930", 0, 2),
        (2500.0, "0890", 0, 3),
    )
    for lead_ms, utterance, first, last in onsets:
        track.silence(lead_ms)
        start, end = track.speech(words.phrase(utterance, first, last))
        track.facts.append(
            {
                "kind": "onset",
                "silence_before_ms": lead_ms,
                "start_ms": round(start, 3),
                "end_ms": round(end, 3),
            }
        )
    track.silence(1600)
    for length in _BLIPS_MS:
        start, end = track.speech(words.blip("0880", 5, length))  # "disposed"
        track.facts.append(
            {
                "kind": "blip",
                "length_ms": length,
                "start_ms": round(start, 3),
                "end_ms": round(end, 3),
            }
        )
        track.silence(1200)
    probes.append(
        track.build("onsets", "onsets after known silences, and blips of 32 to 288 ms (min speech)")
    )

    track = _Track()
    track.silence(500)
    for gain in _LEVELS_DB:
        start, end = track.speech(words.phrase("0930", 0, 5), gain_db=gain)
        track.facts.append(
            {"kind": "level", "gain_db": gain, "start_ms": round(start, 3), "end_ms": round(end, 3)}
        )
        track.silence(1600)
    probes.append(track.build("levels", "one phrase at -40 to 0 dB (threshold, hysteresis)"))

    track = _Track()
    track.silence(6000)
    start, end = track.speech(words.phrase("0880", 0, 7))
    track.silence(11000)
    track.facts.append(
        {
            "kind": "idle",
            "silence_before_ms": 6000.0,
            "start_ms": round(start, 3),
            "end_ms": round(end, 3),
            "silence_after_ms": 11000.0,
        }
    )
    probes.append(track.build("idle", "long silences around a sentence (idle_timeout_ms)"))

    track = _Track()
    track.silence(500)
    for utterance, part1, part2 in _SEMANTIC_CUTS:
        _, mid = track.speech(words.phrase(utterance, *part1))
        track.silence(_SEMANTIC_MID_MS)
        resume, end = track.speech(words.phrase(utterance, *part2))
        track.silence(_SEMANTIC_END_MS)
        track.facts.append(
            {
                "kind": "mid_phrase",
                "pause_ms": _SEMANTIC_MID_MS,
                "start_ms": round(mid, 3),
                "end_ms": round(resume, 3),
            }
        )
        track.facts.append(
            {
                "kind": "phrase_final",
                "pause_ms": _SEMANTIC_END_MS,
                "start_ms": round(end, 3),
                "end_ms": round(end + _SEMANTIC_END_MS, 3),
            }
        )
    probes.append(
        track.build("semantic", "mid-phrase and phrase-final pauses (semantic_vad eagerness)")
    )
    return tuple(probes)


def probe_sessions() -> tuple[ProbeSession, ...]:
    """The grid: which probe is sent with which session.

    ====================  ===========================================  ==========================
    label                 turn detection sent                          probes
    ====================  ===========================================  ==========================
    ``server_default``    ``server_vad``, documented defaults          pauses, onsets, levels
    ``server_fast``       silence 300 ms, prefix 100 ms                pauses, onsets
    ``server_slow``       silence 800 ms, prefix 500 ms                pauses
    ``server_strict``     threshold 0.8                                levels
    ``server_loose``      threshold 0.3                                levels
    ``server_idle``       idle_timeout_ms 5000                         idle
    ``semantic_<e>``      ``semantic_vad``, eagerness low/medium/high  semantic
    ====================  ===========================================  ==========================

    Every session sends ``create_response=False`` (no answers, no output cost).

    Returns
    -------
    tuple of ProbeSession

    Examples
    --------
    >>> from rtlab.probe import probe_sessions
    >>> [cell.id for cell in probe_sessions()][:3]
    ['pauses--server_default', 'pauses--server_fast', 'pauses--server_slow']
    >>> sent = probe_sessions()[0].session.to_event(api="beta")["session"]["turn_detection"]
    >>> sent["type"], sent["silence_duration_ms"], sent["create_response"]
    ('server_vad', 500, False)
    """
    from rtlab.session import SemanticVad, ServerVad, Session

    def server(**values: Any) -> Session:
        return Session(turn_detection=ServerVad(create_response=False, **values))

    default = server()
    fast = server(silence_duration_ms=300, prefix_padding_ms=100)
    slow = server(silence_duration_ms=800, prefix_padding_ms=500)
    cells = [
        ProbeSession("pauses", "server_default", default),
        ProbeSession("pauses", "server_fast", fast),
        ProbeSession("pauses", "server_slow", slow),
        ProbeSession("onsets", "server_default", default),
        ProbeSession("onsets", "server_fast", fast),
        ProbeSession("levels", "server_default", default),
        ProbeSession("levels", "server_strict", server(threshold=0.8)),
        ProbeSession("levels", "server_loose", server(threshold=0.3)),
        ProbeSession("idle", "server_idle", server(idle_timeout_ms=5000)),
    ]
    for eagerness in ("low", "medium", "high"):
        session = Session(turn_detection=SemanticVad(eagerness=eagerness, create_response=False))
        cells.append(ProbeSession("semantic", f"semantic_{eagerness}", session))
    return tuple(cells)


# ---------------------------------------------------------------------------------------
# cost


@dataclass(frozen=True)
class Estimate:
    """What a probe run sends, and what it costs at most.

    Attributes
    ----------
    n_recordings : int
    audio_minutes : float
        Input audio sent, in minutes (every probe once per session it is sent with).
    cost_usd : float
        ``audio_minutes`` x :attr:`price_usd_per_minute`: an upper bound.
    price_usd_per_minute : float
    price_source : str
    """

    n_recordings: int
    audio_minutes: float
    cost_usd: float
    price_usd_per_minute: float = PRICE_USD_PER_AUDIO_MINUTE
    price_source: str = PRICE_SOURCE

    def describe(self) -> str:
        """One paragraph for a person deciding whether to run it."""
        return (
            f"rtlab probe: {self.n_recordings} recordings, {self.audio_minutes:.2f} minutes of "
            f"input audio; at most ${self.cost_usd:.3f} at ${self.price_usd_per_minute:.4f} per "
            f"audio minute ({self.price_source}). Sessions send create_response=false, so no "
            "response (no output audio) is generated."
        )


def estimate(
    probes: Sequence[Probe] | None = None, cells: Sequence[ProbeSession] | None = None
) -> Estimate:
    """Audio minutes and the cost bound of a probe run.

    Parameters
    ----------
    probes : sequence of Probe, optional
        Default :func:`probe_set`.
    cells : sequence of ProbeSession, optional
        Default :func:`probe_sessions`.

    Returns
    -------
    Estimate

    Examples
    --------
    >>> from rtlab.probe import estimate
    >>> e = estimate()
    >>> e.n_recordings, round(e.audio_minutes, 2), round(e.cost_usd, 3)
    (12, 4.47, 0.086)
    """
    probes = tuple(probe_set() if probes is None else probes)
    cells = tuple(probe_sessions() if cells is None else cells)
    by_name = {p.name: p for p in probes}
    minutes = sum(by_name[c.probe].duration_ms for c in cells if c.probe in by_name) / 60000.0
    n = sum(c.probe in by_name for c in cells)
    return Estimate(n, minutes, minutes * PRICE_USD_PER_AUDIO_MINUTE)


# ---------------------------------------------------------------------------------------
# running


def _write_json(path: Path, obj: Any) -> None:
    from rtlab._io import atomic_write

    with atomic_write(path, encoding="utf-8") as handle:
        json.dump(obj, handle, indent=2, allow_nan=False)
        handle.write("\n")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_probe(
    out_dir: str | os.PathLike[str],
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    yes: bool = False,
    api: str = "ga",
    model: str | None = None,
    realtime: bool | None = None,
    probes: Sequence[Probe] | None = None,
    cells: Sequence[ProbeSession] | None = None,
    settle_s: float | None = None,
    say: Callable[[str], None] | None = None,
    ask: Callable[[str], str] | None = None,
) -> Path | None:
    """Send every probe through :func:`rtlab.realtime.record` and save the recordings in one folder.

    Prints the audio minutes and the cost bound (:func:`estimate`) first, then asks for
    confirmation unless ``yes``. Each recording's folder holds the session sent, the
    server's ``session.created`` and the event log; the probe audio and its truth are saved
    once in ``probes/``; ``index.json`` ties them together (see the module docstring).

    Parameters
    ----------
    out_dir : path
        The folder (created; existing recordings in it are replaced).
    base_url : str, optional
        Websocket base URL of a server speaking the protocol (e.g. ``rtlab serve``'s);
        default the OpenAI API.
    api_key : str, optional
        Default ``OPENAI_API_KEY``; not needed for a loopback ``base_url``. Never written.
    yes : bool, default False
        Skip the confirmation.
    api : {"ga", "beta"}, default "ga"
    model : str, optional
        As for :func:`rtlab.realtime.record`.
    realtime : bool, optional
        Stream at real time. Default: ``False`` for a loopback server (as fast as it takes
        the audio: the events' ``audio_*_ms`` do not depend on the pace), ``True`` otherwise.
    probes : sequence of Probe, optional
        Default :func:`probe_set`.
    cells : sequence of ProbeSession, optional
        Default :func:`probe_sessions`.
    settle_s : float, optional
        Quiet time that ends a recording (default 0.3 s on loopback, 2 s otherwise).
    say : callable, optional
        Where messages go (default: standard output).
    ask : callable, optional
        Asks the question and returns the answer (default :func:`input`); an answer
        starting with "y" goes ahead.

    Returns
    -------
    Path or None
        The ``index.json`` written, or ``None`` when the confirmation was declined.

    Raises
    ------
    ConfigError
        A bad option, or no key for the live API.
    ProtocolError
        A server that could not be reached or rejected a session.

    Examples
    --------
    >>> import tempfile
    >>> from rtlab.probe import probe_set, probe_sessions, run_probe
    >>> from rtlab.realtime import serve
    >>> idle = [p for p in probe_set() if p.name == "idle"]
    >>> cells = [c for c in probe_sessions() if c.probe == "idle"]
    >>> with serve() as server:
    ...     index = run_probe(tempfile.mkdtemp(), base_url=server.url, yes=True,
    ...                       probes=idle, cells=cells, say=lambda text: None)
    >>> import json
    >>> [r["id"] for r in json.loads(index.read_text())["recordings"]]
    ['idle--server_idle']
    """
    from rtlab.realtime import record

    say = say or _say
    if not isinstance(yes, bool):
        raise ConfigError("yes", yes, "True or False", owner="run_probe")
    if realtime is not None and not isinstance(realtime, bool):
        raise ConfigError("realtime", realtime, "True, False or None", owner="run_probe")
    probes = tuple(probe_set() if probes is None else probes)
    by_name = {p.name: p for p in probes}
    cells = tuple(c for c in (probe_sessions() if cells is None else cells) if c.probe in by_name)
    if not cells:
        raise ConfigError(
            "cells", cells, "at least one session for a probe given", owner="run_probe"
        )
    local = is_loopback(base_url)
    if realtime is None:
        realtime = not local
    if settle_s is None:
        settle_s = 0.3 if local else 2.0
    cost = estimate(probes, cells)
    where = base_url if base_url else "the OpenAI Realtime API"
    say(cost.describe())
    say(f"Server: {where}; recordings go to {out_dir}.")
    if not yes:
        answer = (ask or input)("Send them? [y/N] ")
        if not answer.strip().lower().startswith("y"):
            say("rtlab probe: nothing sent.")
            return None

    root = Path(out_dir)
    (root / "probes").mkdir(parents=True, exist_ok=True)
    probe_entries = []
    for probe in probes:
        probe.audio.save(root / "probes" / f"{probe.name}.wav")
        _write_json(root / "probes" / f"{probe.name}.json", probe.truth())
        probe_entries.append(
            {
                "name": probe.name,
                "audio": f"probes/{probe.name}.wav",
                "truth": f"probes/{probe.name}.json",
                "fingerprint": probe.audio.fingerprint,
                "duration_ms": probe.duration_ms,
            }
        )
    recordings: list[dict[str, Any]] = []
    index = {
        "type": "rtlab.probe",
        "version": INDEX_VERSION,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": False,
        "server": "openai" if not base_url else ("loopback" if local else "other"),
        "base_url": base_url if local else None,
        "api": api,
        "model": model,
        "realtime": realtime,
        "audio_minutes": cost.audio_minutes,
        "cost_usd_bound": cost.cost_usd,
        "price_usd_per_audio_minute": cost.price_usd_per_minute,
        "price_source": cost.price_source,
        "probes": probe_entries,
        "recordings": recordings,
    }
    path = root / "index.json"
    # the index is rewritten after every recording: if the run stops half way (a dropped
    # connection, a quota), what was recorded can still be calibrated on
    for number, cell in enumerate(cells, 1):
        probe = by_name[cell.probe]
        folder = root / cell.id
        folder.mkdir(parents=True, exist_ok=True)
        say(f"[{number}/{len(cells)}] {cell.id} ({probe.duration_ms / 1000:.1f} s)")
        cell.session.save(folder / "session.json")
        log = record(
            probe.audio,
            cell.session,
            api=api,
            model=model,
            realtime=realtime,
            out=folder / "events.jsonl",
            base_url=base_url,
            api_key=api_key,
            settle_s=settle_s,
        )
        created = log.of_type("session.created")
        _write_json(folder / "session_created.json", created[0] if created else None)
        recordings.append(
            {
                "id": cell.id,
                "probe": cell.probe,
                "label": cell.label,
                "audio": f"probes/{cell.probe}.wav",
                "session": f"{cell.id}/session.json",
                "session_created": f"{cell.id}/session_created.json",
                "events": f"{cell.id}/events.jsonl",
                "n_events": len(log),
            }
        )
        index["complete"] = number == len(cells)
        _write_json(path, index)
    say(f"rtlab probe: {len(recordings)} recordings saved; index: {path}")
    return path


def read_index(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``index.json`` of a probe folder, checked.

    Raises
    ------
    ConfigError
        If the folder holds no probe index.
    """
    path = Path(folder) / "index.json"
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            "folder",
            str(folder),
            "a folder written by rtlab probe (with index.json)",
            owner="calibrate",
        ) from exc
    if not isinstance(index, dict) or index.get("type") != "rtlab.probe":
        raise ConfigError(
            "folder",
            str(folder),
            "a folder written by rtlab probe (with index.json)",
            owner="calibrate",
        )
    return index


# ---------------------------------------------------------------------------------------
# command line


def _cmd_probe(args: argparse.Namespace) -> int:
    index = run_probe(
        args.out, base_url=args.base_url, yes=args.yes, api=args.api, model=args.model
    )
    return 0 if index is not None else 1


def add_probe_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rtlab probe --out DIR [--base-url URL] [--yes]`` to the ``rtlab`` parser.

    Parameters
    ----------
    subparsers
        What ``parser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``probe`` sub-parser (its ``func`` runs :func:`run_probe`).

    Examples
    --------
    >>> import argparse
    >>> from rtlab.probe import add_probe_command
    >>> parser = argparse.ArgumentParser(prog="rtlab")
    >>> _ = add_probe_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["probe", "--out", "cal", "--yes"])
    >>> args.out, args.base_url, args.yes
    ('cal', None, True)
    """
    probe = subparsers.add_parser(
        "probe",
        help="record a Realtime server on the probe set (for rtlab.calibrate)",
        description="Send the fixed probe set through record() and save every recording in "
        "one folder. Prints the audio minutes and a cost bound first; asks unless --yes.",
    )
    probe.add_argument("--out", required=True, help="folder for the recordings")
    probe.add_argument(
        "--base-url", default=None, help="websocket base URL of another server, e.g. `rtlab serve`"
    )
    probe.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    probe.add_argument(
        "--api",
        choices=["beta", "ga"],
        default="ga",
        help="the API shape of the session.update sent (default %(default)s)",
    )
    probe.add_argument(
        "--model", default=None, help="the Realtime model to probe (default: the client's)"
    )
    probe.set_defaults(func=_cmd_probe)
    return probe
