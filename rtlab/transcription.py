"""Transcribe each committed turn, as the Realtime API's input audio transcription does.

The API transcribes the audio of every committed item and sends
``conversation.item.input_audio_transcription.completed``. :func:`transcribe` does the
same on a local :class:`~rtlab.events.EventLog`: it cuts each committed turn out of the
audio exactly where the API would (``speech_started.audio_start_ms`` to
``speech_stopped.audio_end_ms``; for a commit without VAD events, from the end of the
previous commit to the commit) and adds one ``…transcription.completed`` event per turn.
A turn cut in the wrong place (the first word before ``audio_start_ms``, a sentence split
by a short ``silence_duration_ms``) therefore gets the damaged transcript a user would see.

Two backends:

``"pocketsphinx"`` (default, offline)
    CMU PocketSphinx 5 with the US-English model shipped inside its wheel. The audio is
    resampled from 24 kHz to the model's 16 kHz with soxr. One decoder per model folder is
    created on first use and reused (kept in this module, guarded by a lock so threads can
    share it); :func:`reset_decoders` drops them. Expect a word error rate around 0.2–0.4
    on clean read speech and worse on meetings.
``"openai"``
    The transcriptions endpoint (``client.audio.transcriptions.create``) of the official
    ``openai`` client, with the model / language / prompt of the session's
    ``input_audio_transcription`` unless given here. Needs ``OPENAI_API_KEY`` (or a
    ``client=``); ``OPENAI_BASE_URL`` points it elsewhere. Each turn is sent as a 24 kHz
    mono 16-bit WAV file. The key never appears in rtlab's errors or logs.

Examples
--------
JFK pauses between phrases, so the API defaults cut three turns; the fourth is still going
when the clip ends, so it is never committed and never transcribed:

>>> import rtlab
>>> clip = rtlab.datasets.load("jfk")
>>> log = rtlab.transcribe(clip.audio, rtlab.detect(clip.audio, rtlab.Session()))
>>> turns = log.turns()[["start_ms", "end_ms", "transcript"]]
>>> turns.values.tolist()  # doctest: +NORMALIZE_WHITESPACE
[[20.0, 2752.0, 'and all my fellow americans'], [2996.0, 4896.0, 'and not'],
 [5108.0, 8128.0, 'like your her in andover yo'], [8128.0, nan, None]]
>>> round(rtlab.metrics.wer("ask not what your country can do for you", "and not"), 3)
0.889
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from rtlab.audio import SAMPLE_RATE_HZ, Audio
from rtlab.errors import ConfigError, ModelNotFoundError, RtlabError, mask_secrets
from rtlab.events import (
    COMMITTED,
    SPEECH_STARTED,
    SPEECH_STOPPED,
    TIMEOUT_TRIGGERED,
    TRANSCRIPTION_COMPLETED,
)

__all__ = ["TurnAudio", "reset_decoders", "transcribe", "turn_audio"]

logger = logging.getLogger(__name__)

#: Turns shorter than this (ms) get an empty transcript without being decoded; the
#: transcriptions endpoint rejects audio under 0.1 s.
MIN_TURN_MS = 100.0
#: Model used by the ``openai`` backend when neither the call nor the session names one.
DEFAULT_OPENAI_MODEL = "whisper-1"
_DECODER_RATE_HZ = 16000
_ENGLISH = {"en", "en-us", "en_us", "english"}


@dataclass(frozen=True)
class TurnAudio:
    """The audio of one committed turn, as the API would transcribe it.

    Parameters
    ----------
    item_id : str
        The committed item.
    start_ms, end_ms : float
        Where the turn was cut, in ms of the clip.
    emitted_ms : float
        When the commit was emitted (the transcription event is placed there).
    samples : numpy.ndarray
        int16 samples at 24 kHz (may be empty).
    """

    item_id: str
    start_ms: float
    end_ms: float
    emitted_ms: float
    samples: np.ndarray

    @property
    def duration_ms(self) -> float:
        """Length of the cut audio in ms."""
        return len(self.samples) * 1000.0 / SAMPLE_RATE_HZ


def turn_audio(audio, log) -> list[TurnAudio]:
    """Cut the audio of every committed item of ``log``, in commit order.

    Parameters
    ----------
    audio : Audio
        The clip the log was made from (24 kHz int16).
    log : EventLog
        Events with ``input_audio_buffer.committed`` (and the VAD events that led to them).

    Returns
    -------
    list of TurnAudio
        One per committed item: from its ``speech_started.audio_start_ms`` to its
        ``speech_stopped.audio_end_ms``; an idle timeout's item spans the timeout's
        ``audio_start_ms``–``audio_end_ms``; a commit without either covers the audio since
        the previous commit, up to the commit time. Times are clamped to the audio. A turn
        never committed (speech still going on when the audio ends) is not included, as
        the API would not transcribe it.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.transcription import turn_audio
    >>> clip = rtlab.datasets.load("jfk")
    >>> cuts = turn_audio(clip.audio, rtlab.detect(clip.audio, rtlab.Session()))
    >>> [(c.item_id, c.start_ms, c.end_ms, len(c.samples)) for c in cuts]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('item_0001', 20.0, 2752.0, 65568), ('item_0002', 2996.0, 4896.0, 45600),
     ('item_0003', 5108.0, 8128.0, 72480)]
    """
    rate = float(audio.sample_rate_hz)
    samples = np.asarray(audio.samples)
    duration_ms = len(samples) * 1000.0 / rate
    starts: dict[Any, float] = {}
    stops: dict[Any, float] = {}
    cuts: list[TurnAudio] = []
    previous_end_ms = 0.0
    for event, t in zip(log.events, log.emitted_ms, strict=True):
        kind, item = event.get("type"), event.get("item_id")
        if kind == SPEECH_STARTED and event.get("audio_start_ms") is not None:
            starts[item] = float(event["audio_start_ms"])
        elif kind == SPEECH_STOPPED and event.get("audio_end_ms") is not None:
            stops[item] = float(event["audio_end_ms"])
        elif kind == TIMEOUT_TRIGGERED:  # the idle stretch the timeout commits
            if event.get("audio_start_ms") is not None:
                starts[item] = float(event["audio_start_ms"])
            if event.get("audio_end_ms") is not None:
                stops[item] = float(event["audio_end_ms"])
        elif kind == COMMITTED:
            start = starts.get(item, previous_end_ms)
            end = stops.get(item, float(t))
            start = min(max(start, 0.0), duration_ms)
            end = min(max(end, start), duration_ms)
            i0, i1 = round(start * rate / 1000.0), round(end * rate / 1000.0)
            cut = samples[i0:i1]
            cuts.append(TurnAudio(str(item), start, end, float(t), cut))
            previous_end_ms = end
    return cuts


# -- pocketsphinx --------------------------------------------------------------------------


def _decoder(model_dir: str | None) -> Any:
    """A new pocketsphinx decoder for a model folder (None = the wheel's en-us).

    :func:`transcribe` makes one per call and decodes every turn of that call with it;
    nothing is kept between calls.
    """
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ModelNotFoundError(
            "backend",
            "pocketsphinx",
            "an installed package",
            owner="transcribe",
            fix="Install it: pip install pocketsphinx.",
        ) from exc
    options: dict[str, Any] = {"loglevel": "FATAL", "samprate": _DECODER_RATE_HZ}
    if model_dir is not None:
        folder = os.fspath(model_dir)
        if not os.path.isdir(folder):
            raise ModelNotFoundError(
                "model", model_dir, "a pocketsphinx acoustic model folder", owner="transcribe"
            )
        options["hmm"] = folder
    return pocketsphinx.Decoder(**options)


def reset_decoders() -> None:
    """Deprecated: does nothing. Decoders are no longer shared between calls.

    :func:`transcribe` makes its pocketsphinx decoder per call, so there is nothing to
    forget; this remains so old notebooks keep running.
    """
    warnings.warn(
        "rtlab.transcription.reset_decoders() is deprecated and does nothing: transcribe() "
        "makes its decoder per call",
        DeprecationWarning,
        stacklevel=2,
    )


def _to_16k(samples: np.ndarray) -> np.ndarray:
    import soxr

    return np.asarray(
        soxr.resample(np.ascontiguousarray(samples), SAMPLE_RATE_HZ, _DECODER_RATE_HZ),
        dtype=np.int16,
    )


def _pocketsphinx_text(decoder: Any, cut: TurnAudio) -> str:
    pcm = _to_16k(cut.samples)
    decoder.start_utt()
    decoder.process_raw(pcm.tobytes(), no_search=False, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return hypothesis.hypstr.strip() if hypothesis is not None else ""


# -- openai ----------------------------------------------------------------------------------


def _scrub(text: str, secret: str | None) -> str:
    """The key itself, ``sk-...`` keys and bearer tokens masked (``rtlab.errors``)."""
    return mask_secrets(text, secret)


def _openai_client(client):
    if client is not None:
        return client, None
    key = os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ConfigError(
            "OPENAI_API_KEY",
            None,
            "an API key in the environment for backend='openai'",
            owner="transcribe",
            fix="Set OPENAI_API_KEY (and OPENAI_BASE_URL for another server), pass client=, "
            "or use backend='pocketsphinx' to transcribe offline.",
        )
    import openai

    return openai.OpenAI(api_key=key), key


def _openai_text(client, secret: str | None, cut: TurnAudio, options: dict[str, Any]):
    import openai

    try:
        result = client.audio.transcriptions.create(
            file=(f"{cut.item_id}.wav", Audio(cut.samples).wav(), "audio/wav"), **options
        )
    except openai.AuthenticationError as exc:
        raise ConfigError(
            "OPENAI_API_KEY",
            "(hidden)",
            "a key the transcriptions endpoint accepts",
            owner="transcribe",
            fix=f"The server answered {exc.status_code}: {_scrub(str(exc.message), secret)}",
        ) from None  # the cause may hold the key unmasked
    except openai.APIStatusError as exc:
        raise RtlabError(
            message=f"The transcriptions endpoint answered {exc.status_code} for {cut.item_id}: "
            f"{_scrub(str(exc.message), secret)}"
        ) from None  # the cause may hold the key unmasked
    except openai.APIConnectionError as exc:
        raise RtlabError(
            message=f"Could not reach the transcriptions endpoint for {cut.item_id}: "
            f"{_scrub(str(exc), secret)}"
        ) from None  # the cause may hold the key unmasked
    text = getattr(result, "text", result if isinstance(result, str) else "")
    usage = getattr(result, "usage", None)
    if usage is not None and hasattr(usage, "model_dump"):
        usage = usage.model_dump(exclude_none=True)
    return str(text).strip(), usage if isinstance(usage, dict) else None


# -- the public function -------------------------------------------------------------------


def _session_transcription(log) -> Any:
    return getattr(getattr(log, "session", None), "input_audio_transcription", None)


def _next_event_number(events: Iterable[dict[str, Any]]) -> int:
    numbers = [0]
    for event in events:
        match = re.fullmatch(r"event_(\d+)", str(event.get("event_id", "")))
        if match:
            numbers.append(int(match.group(1)))
    return max(numbers) + 1


def transcribe(
    audio,
    log,
    *,
    backend: Literal["pocketsphinx", "openai"] = "pocketsphinx",
    model: str | None = None,
    language: str | None = None,
    prompt: str | None = None,
    client: Any = None,
    progress: bool = True,
):
    """Transcribe every committed turn of ``log`` and add the transcription events.

    Parameters
    ----------
    audio : Audio
        The clip the log was made from (24 kHz int16 mono).
    log : EventLog
        Turn-detection events (emulator, live recording or file).
    backend : {"pocketsphinx", "openai"}, default "pocketsphinx"
        Offline US-English PocketSphinx, or the OpenAI transcriptions endpoint.
    model : str, optional
        ``openai``: the transcription model (default: the session's
        ``input_audio_transcription.model``, else ``"whisper-1"``). ``pocketsphinx``: a
        folder holding an acoustic model (default: the en-us model in the wheel).
    language : str, optional
        ISO-639-1 code (default: the session's). ``pocketsphinx`` only accepts English.
    prompt : str, optional
        ``openai`` only: text to guide the model (default: the session's). Ignored offline.
    client : openai.OpenAI, optional
        ``openai`` only: a configured client (default: one made from ``OPENAI_API_KEY``
        and ``OPENAI_BASE_URL``).
    progress : bool, default True
        Show a progress bar (``tqdm.auto``) when there are more than 10 turns.

    Returns
    -------
    EventLog
        ``log`` plus one ``conversation.item.input_audio_transcription.completed`` event
        per committed item (``event_id`` numbered after the log's, ``item_id``,
        ``content_index`` 0, ``transcript``, ``usage`` — the endpoint's, or
        ``{"type": "duration", "seconds": …}`` offline), emitted at the commit time (no
        transcription delay is modelled). Transcription events already in ``log`` for
        those items are replaced. Turns shorter than ``MIN_TURN_MS`` get ``""``.

    Raises
    ------
    ConfigError
        If ``backend`` is unknown, ``language`` is not English for pocketsphinx,
        ``OPENAI_API_KEY`` is missing, or the endpoint rejects the key.
    ModelNotFoundError
        If a pocketsphinx ``model`` folder does not exist.
    RtlabError
        If the endpoint answers with another error or cannot be reached.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> log = rtlab.transcribe(clip.audio, rtlab.detect(clip.audio, rtlab.Session()))
    >>> done = log.of_type("conversation.item.input_audio_transcription.completed")
    >>> [(e["item_id"], e["content_index"], e["transcript"]) for e in done]
    [('item_0001', 0, 'and i began confidence they can call me at the')]
    >>> [turn.text for turn in clip.truth.turns]
    ["I'M ABIGAIL CLAFLIN", 'YOU CAN CALL ME ABBIE']
    """
    if backend not in ("pocketsphinx", "openai"):
        raise ConfigError("backend", backend, "'pocketsphinx' or 'openai'", owner="transcribe")
    configured = _session_transcription(log)
    language = language if language is not None else getattr(configured, "language", None)
    prompt = prompt if prompt is not None else getattr(configured, "prompt", None)
    cuts = turn_audio(audio, log)
    if backend == "pocketsphinx":
        if language is not None and str(language).lower() not in _ENGLISH:
            raise ConfigError(
                "language",
                language,
                "English ('en') for backend='pocketsphinx'",
                owner="transcribe",
                fix="Use backend='openai' for other languages.",
            )
        decoders: list[Any] = []  # this call's, made at the first turn to decode

        def text_of(cut: TurnAudio):
            if not decoders:
                decoders.append(_decoder(model))
            return _pocketsphinx_text(decoders[0], cut), None
    else:
        chosen = model or getattr(configured, "model", None) or DEFAULT_OPENAI_MODEL
        options: dict[str, Any] = {"model": chosen}
        if language:
            options["language"] = language
        if prompt:
            options["prompt"] = prompt
        api, secret = _openai_client(client)

        def text_of(cut: TurnAudio):
            return _openai_text(api, secret, cut, options)

    from tqdm.auto import tqdm

    number = _next_event_number(log.events)
    new_events, new_times = [], []
    for cut in tqdm(cuts, desc="transcribe", disable=not progress or len(cuts) <= 10):
        if cut.duration_ms < MIN_TURN_MS:
            text, usage = "", None
        else:
            text, usage = text_of(cut)
        logger.debug("transcribed %s (%.0f ms) with %s", cut.item_id, cut.duration_ms, backend)
        seconds = cut.duration_ms / 1000.0
        new_events.append(
            {
                "type": TRANSCRIPTION_COMPLETED,
                "event_id": f"event_{number:04d}",
                "item_id": cut.item_id,
                "content_index": 0,
                "transcript": text,
                "usage": usage or {"type": "duration", "seconds": round(seconds, 3)},
            }
        )
        new_times.append(cut.emitted_ms)
        number += 1
    redone = {cut.item_id for cut in cuts}
    kept = [
        (event, t)
        for event, t in zip(log.events, log.emitted_ms, strict=True)
        if not (event.get("type") == TRANSCRIPTION_COMPLETED and event.get("item_id") in redone)
    ]
    base = replace(log, events=tuple(e for e, _ in kept), emitted_ms=tuple(t for _, t in kept))
    return base.with_events(new_events, new_times)
