"""A first draft of the truth from the recording itself, for a person to correct.

Metrics need timed turns, and typing ``start_s,end_s`` rows from a waveform is slow. These
functions propose them:

- :func:`draft_truth`: speech where Silero VAD says so (:func:`rtlab.vad.score`), blips
  shorter than ``min_speech_ms`` dropped, pauses shorter than ``bridge_ms`` bridged into
  turns; optionally word timings and a transcript from the offline recogniser
  (pocketsphinx, as :func:`rtlab.transcribe` uses).
- :func:`whole`: for a file holding one utterance, the whole file is one turn, from the
  first speech to the last.
- :func:`save_csv`: write the turns as the CSV :func:`rtlab.read_annotation` reads.

A draft is what a VAD hears, so it inherits the VAD's mistakes (a cough as speech, a
soft word as silence) and it cannot know where a speaker *meant* to stop: check it by ear,
e.g. in :class:`rtlab.widgets.Annotator`, before scoring a detector against it. Scoring a
Silero-based detector against an uncorrected Silero draft measures nothing.

Examples
--------
>>> import rtlab
>>> from rtlab.drafting import draft_truth
>>> clip = rtlab.datasets.load("librivox/0880")
>>> draft = draft_truth(clip.audio)
>>> [(round(t.start_s, 2), round(t.end_s, 2)) for t in draft.turns]
[(0.26, 2.85)]
>>> clip.truth.speech.round(2).tolist()  # the hand-made marks
[[0.25, 2.77]]
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from rtlab import _check
from rtlab import _vad_spans as vad_spans
from rtlab.annotation import MIN_TURN_GAP_MS, Annotation, Turn
from rtlab.errors import ConfigError

__all__ = ["draft_truth", "save_csv", "speech_spans", "whole"]

_RECOGNISER_RATE_HZ = 16000
_RECOGNISER_FRAME_S = 0.01  # pocketsphinx reports word times in 10 ms frames
_CONTEXT_S = 0.2  # audio either side of a turn given to the recogniser
_NOT_WORDS = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")  # <s>, </s>, <sil>, [NOISE], ++UH++
_VARIANT = re.compile(r"\(\d+\)$")  # pronunciation variants: "and(2)"


def speech_spans(
    scores: Any, *, threshold: float = 0.5, min_speech_ms: float = 100.0
) -> np.ndarray:
    """Spans of consecutive frames whose speech probability is at least ``threshold``.

    Parameters
    ----------
    scores : rtlab.vad.FrameScores
        Scores of the recording.
    threshold : float in [0, 1], default 0.5
        A frame is speech when its probability is at least this.
    min_speech_ms : float >= 0, default 100
        Runs of speech shorter than this are dropped (clicks, breaths).

    Returns
    -------
    numpy.ndarray, shape (n, 2)
        ``[start_s, end_s)`` in seconds, on frame boundaries, the last end clipped to the
        scored audio's duration.

    Examples
    --------
    >>> import numpy as np
    >>> from rtlab.vad import FrameScores
    >>> p = np.array([0, .9, .9, 0, .8, 0, .7, .7, .7, .7], dtype=np.float32)
    >>> scores = FrameScores(p, hop_ms=32.0, model="x", fingerprint="", duration_ms=320.0)
    >>> speech_spans(scores, min_speech_ms=50).tolist()
    [[0.032, 0.096], [0.192, 0.32]]
    """
    owner = "rtlab.drafting.speech_spans"
    threshold = _check.number(threshold, "threshold", owner=owner, low=0.0, high=1.0)
    min_ms = _check.number(min_speech_ms, "min_speech_ms", owner=owner, low=0.0, unit="ms")
    return vad_spans.speech_spans(scores, threshold=threshold, min_speech_ms=min_ms)


def _recognised_words(audio: Any, turns: tuple[Turn, ...]) -> list[Turn]:
    """Word timings of each turn's audio, from pocketsphinx's default US-English model."""
    import pocketsphinx
    import soxr

    decoder = pocketsphinx.Decoder(loglevel="FATAL", samprate=_RECOGNISER_RATE_HZ)
    rate = int(audio.sample_rate_hz)
    words: list[Turn] = []
    for turn in turns:
        # a little context either side helps the recogniser with the first and last word
        lo = max(0.0, turn.start_s - _CONTEXT_S)
        hi = min(audio.duration_s, turn.end_s + _CONTEXT_S)
        cut = audio.samples[round(lo * rate) : round(hi * rate)]
        pcm = np.asarray(soxr.resample(cut, rate, _RECOGNISER_RATE_HZ), dtype=np.int16)
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), no_search=False, full_utt=True)
        decoder.end_utt()
        for seg in decoder.seg():
            word = _VARIANT.sub("", seg.word)
            if _NOT_WORDS.match(word):
                continue
            start = max(lo + seg.start_frame * _RECOGNISER_FRAME_S, turn.start_s)
            end = min(lo + (seg.end_frame + 1) * _RECOGNISER_FRAME_S, turn.end_s)
            if end > start:
                words.append(Turn(round(start, 6), round(end, 6), text=word.lower()))
    return words


def draft_truth(
    audio: Any,
    *,
    bridge_ms: float = MIN_TURN_GAP_MS,
    threshold: float = 0.5,
    min_speech_ms: float = 100.0,
    words: bool = False,
    model: str = "silero",
) -> Annotation:
    """Draft the truth of a recording: VAD speech, short pauses bridged into turns.

    Parameters
    ----------
    audio : Audio or path
        The recording (anything :func:`rtlab.load_audio` reads).
    bridge_ms : float >= 0, default 500
        Pauses shorter than this stay inside a turn (see
        :data:`rtlab.annotation.MIN_TURN_GAP_MS` for why 500 ms).
    threshold : float in [0, 1], default 0.5
        Speech probability from which a 32 ms frame is speech.
    min_speech_ms : float >= 0, default 100
        Speech shorter than this is dropped.
    words : bool, default False
        Also recognise each turn offline with pocketsphinx (US English): word timings,
        each turn's text and the transcript. Machine-made, with mistakes; about real time
        on one core.
    model : {"silero", "energy"}, default "silero"
        The VAD (:func:`rtlab.vad.score`; its scores are cached).

    Returns
    -------
    Annotation
        ``speech`` (the VAD spans), ``turns`` (no speaker), ``words`` and ``transcript``
        when ``words``; ``duration_s`` the audio's; ``source`` says it is a draft.

    Raises
    ------
    rtlab.errors.ConfigError
        An option out of range or an unknown model.

    Examples
    --------
    >>> import rtlab
    >>> track = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=800)
    >>> [(round(t.start_s, 2), round(t.end_s, 2)) for t in track.truth.turns]
    [(0.5, 3.02), (3.82, 6.59)]
    >>> draft = draft_truth(track.audio, words=True)
    >>> [(round(t.start_s, 2), round(t.end_s, 2)) for t in draft.turns]
    [(0.51, 3.07), (3.84, 6.59)]
    >>> draft.turns[0].text, track.truth.turns[0].text  # recognised, and the true text
    ('he was not an illness those young man', 'he was not an ill disposed young man')
    """
    owner = "rtlab.drafting.draft_truth"
    bridge = _check.number(bridge_ms, "bridge_ms", owner=owner, low=0.0, unit="ms")
    if not isinstance(words, bool):
        raise _bad("words", words, "True or False", owner)
    model = _check.choice(model, "model", ("silero", "energy"), owner=owner)
    threshold, min_ms = _vad_options(threshold, min_speech_ms, owner)
    spans, loaded = vad_spans.scored_spans(
        audio, model=model, threshold=threshold, min_speech_ms=min_ms
    )
    duration_s = float(loaded.duration_s)
    source = f"draft: {model} VAD >= {threshold:g}, pauses < {bridge:g} ms bridged"
    truth = Annotation.from_segments(
        spans, min_turn_gap_ms=bridge, duration_s=duration_s, source=source
    )
    if not words:
        return truth
    found = _recognised_words(loaded, truth.turns)
    turns = tuple(
        Turn(
            t.start_s,
            t.end_s,
            text=" ".join(w.text or "" for w in found if t.start_s <= w.start_s < t.end_s) or None,
        )
        for t in truth.turns
    )
    text = " ".join(t.text for t in turns if t.text) or None
    return Annotation(
        truth.speech,
        turns=turns,
        words=tuple(found),
        transcript=text,
        duration_s=duration_s,
        source=source + ", words by pocketsphinx",
    )


def whole(
    audio: Any,
    *,
    text: str | None = None,
    threshold: float = 0.5,
    min_speech_ms: float = 100.0,
    model: str = "silero",
) -> Annotation:
    """Truth for a file holding one utterance: one turn from its first speech to its last.

    Pauses inside stay inside the turn, however long (``speech`` keeps them as non-speech).
    For read sentences, voice commands, one answer per file. A file with no speech gets no
    turn.

    Parameters
    ----------
    audio : Audio or path
        The recording.
    text : str, optional
        What is said: the turn's text and the transcript.
    threshold, min_speech_ms, model
        As in :func:`draft_truth`.

    Returns
    -------
    Annotation

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("jfk")
    >>> truth = whole(clip.audio, text=clip.truth.transcript)
    >>> [(round(t.start_s, 2), round(t.end_s, 2)) for t in truth.turns], len(truth.speech) > 1
    ([(0.32, 10.53)], True)
    """
    return Annotation.whole(
        audio, text=text, threshold=threshold, min_speech_ms=min_speech_ms, model=model
    )


def save_csv(truth: Annotation, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Write the turns of ``truth`` as ``start_s,end_s,speaker,text`` CSV rows, atomically.

    Times are written to the millisecond. A turn without a speaker is written with the
    label ``speech``; :func:`rtlab.read_annotation` reads the file back as the same turns
    when every turn has a speaker, and otherwise merges ``speech`` rows separated by less
    than 500 ms (its ``min_turn_gap_ms``), as it does for any speech-only file.

    Parameters
    ----------
    truth : Annotation
        The turns to write (speech spans, words and transcript are not written).
    path : str or Path
        The CSV file; its folder is created.
    overwrite : bool, default True
        ``False`` refuses to replace an existing file (e.g. hand-made truth).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    rtlab.errors.ConfigError
        ``truth`` is not an Annotation, or the file exists and ``overwrite`` is False.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from rtlab import read_annotation
    >>> truth = Annotation.from_segments([[0.5, 1.25], [1.5, 2.0]], speakers=["A", "B"])
    >>> path = save_csv(truth, pathlib.Path(tempfile.mkdtemp()) / "call.csv")
    >>> path.read_text().splitlines()[:2]
    ['start_s,end_s,speaker,text', '0.500,1.250,A,']
    >>> read_annotation(path).turns == truth.turns
    True
    """
    from rtlab._io import atomic_write

    owner = "rtlab.drafting.save_csv"
    if not isinstance(truth, Annotation):
        raise _bad("truth", truth, "an rtlab Annotation", owner)
    target = Path(path)
    if not overwrite and target.exists():
        raise ConfigError(
            "path",
            str(target),
            "a file that does not exist yet (overwrite=False)",
            owner=owner,
            fix="Choose another path, or pass overwrite=True to replace it.",
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["start_s", "end_s", "speaker", "text"])
    for t in truth.turns:
        writer.writerow([f"{t.start_s:.3f}", f"{t.end_s:.3f}", t.speaker or "speech", t.text or ""])
    with atomic_write(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    return target


def _vad_options(threshold: Any, min_speech_ms: Any, owner: str) -> tuple[float, float]:
    return (
        _check.number(threshold, "threshold", owner=owner, low=0.0, high=1.0),
        _check.number(min_speech_ms, "min_speech_ms", owner=owner, low=0.0, unit="ms"),
    )


def _bad(field: str, value: Any, allowed: str, owner: str) -> Exception:
    return ConfigError(field, value, allowed, owner=owner)
