"""Ground truth for a clip: where the speech is, who speaks when, and what is said.

An :class:`Annotation` holds four kinds of truth, any of which may be missing:

``speech``
    sorted, non-overlapping ``[start_s, end_s)`` spans of speech (an ``n × 2`` float64 array);
    everything else is non-speech. When several people speak at once this is the *union* of
    their turns, which is what a voice-activity detector listening to one mono mix can hear.
``turns``
    :class:`Turn` spans with an optional speaker and text. Turns read from a multi-speaker
    file (RTTM, a CSV with speaker labels) are kept exactly as given and may overlap. When a
    file has speech spans only, turns are derived from them: spans separated by a silence
    shorter than ``min_turn_gap_ms`` (default :data:`MIN_TURN_GAP_MS` = 500 ms) belong to the
    same turn.
``words``
    word timings (:class:`Turn` with ``text`` set to the word; pauses such as ``<sil>`` are
    not words and are left out).
``transcript``
    the text of the whole clip.

Readers: :func:`read_rttm` (NIST RTTM), :func:`read_csv` (``start_s,end_s,label[,text]``),
:func:`read_audacity` (Audacity label tracks), :func:`read_lab` (the speech / silence endpoint
marks used by pocketsphinx's LibriVox test clips), :func:`read_words` (pocketsphinx word JSON,
or a words CSV), :func:`read_lhotse` (lhotse cut manifests), :func:`read_transcript` (plain
text) and :func:`read_annotation`, which picks one by the file's suffix. A malformed line raises
:class:`rtlab.errors.ConfigError` whose ``field`` is ``"<file>:<line number>"`` (for JSON,
``"<file>:<entry>"``, e.g. ``"cuts.json:supervisions[2]"``). A file is refused before it is
parsed when it is larger than 64 MiB or is not UTF-8 text (NUL bytes included), so a file that
fails to parse is an error, never an empty annotation.

Why 500 ms between turns
    A listener does not hear a new turn at every silence: pauses inside one speaker's turn
    typically last a quarter to half a second (Lundholm Fors, *Production and Perception of
    Pauses in Speech*, University of Gothenburg, 2015), while gaps between speakers are
    usually around 200 ms (Stivers et al., PNAS 106(26), 2009). 500 ms is the top of the
    within-turn range and is also the silence the OpenAI Realtime API itself waits before it
    ends a turn (``server_vad.silence_duration_ms`` default). It is a convention, not a
    measurement of the speaker's intent, and it shapes the metrics: against turns derived this
    way, a detector waiting at least ``min_turn_gap_ms`` of silence can cut a turn short only
    where its VAD misses speech. For benchmarks that need exactly known turn ends use
    :func:`rtlab.datasets.compose`, whose turns are whole utterances.

Examples
--------
>>> import rtlab
>>> truth = rtlab.datasets.load("ami-debug/trn01").truth
>>> truth  # doctest: +ELLIPSIS
Annotation(4 speech spans (3.34 s), 6 turns by 4 speakers; duration_s=30.000083, source=...)
>>> truth.speakers
('FEO065', 'FEO066', 'MEE068', 'MÉO069')
>>> [round(t.end_s - t.start_s, 3) for t in truth.floor_turns()]
[0.391, 0.964, 0.457, 1.526]
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab import _check, _spans
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "MIN_TURN_GAP_MS",
    "Annotation",
    "Turn",
    "read_annotation",
    "read_audacity",
    "read_csv",
    "read_lab",
    "read_lhotse",
    "read_rttm",
    "read_rttm_all",
    "read_transcript",
    "read_words",
]

#: Silences shorter than this (ms) do not end a turn when turns are derived from speech spans.
MIN_TURN_GAP_MS = 500.0
#: :meth:`Annotation.speaker_turns`: a speaker's silence longer than this ends their turn
#: (eot-bench's longest hold span, 5 s).
MAX_PAUSE_MS = 5000.0
#: :meth:`Annotation.speaker_turns`: another speaker's segment at most this long, after
#: which the speaker goes on, is a backchannel.
BACKCHANNEL_MS = 1000.0

# Labels that mark non-speech in label files (compared case-insensitively).
_NON_SPEECH_LABELS = frozenset(
    {"silence", "sil", "<sil>", "nonspeech", "non-speech", "non_speech", "noise", "<noise>"}
)
_SPEECH_LABEL = "speech"
# Tokens of a word alignment that are not words.
_NOT_WORDS = frozenset({"<sil>", "<s>", "</s>", "sil", "[noise]", "++noise++", "<noise>"})
_VARIANT = re.compile(r"\(\d+\)$")  # pocketsphinx pronunciation variants: "and(2)"
# An annotation file larger than this is refused before it is read (a text annotation of
# a whole corpus is a few MB; a bigger file is a mistake, e.g. audio or a sparse file).
_MAX_FILE_BYTES = 64 * 1024 * 1024
# a label line of a track: "<start><TAB><end>[<TAB>...]"
_LABEL_LINE = re.compile(r"^\s*[-+0-9.eE]+\t[-+0-9.eE]+(\t|$)")
_TIME = "a time in seconds >= 0"


# --------------------------------------------------------------------------------------
# value types


@dataclass(frozen=True)
class Turn:
    """One span of a clip: a speaker turn, or a word.

    Parameters
    ----------
    start_s : float >= 0
        Start, in seconds from the start of the clip.
    end_s : float >= start_s
        End, in seconds (exclusive).
    speaker : str or None, default None
        Speaker label, kept exactly as the source spells it (unicode allowed).
    text : str or None, default None
        What is said (for a word: the word).

    Examples
    --------
    >>> Turn(1.5, 2.25, speaker="A").duration_s
    0.75
    """

    start_s: float
    end_s: float
    speaker: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        start = _check.number(self.start_s, "start_s", owner="Turn", low=0.0, allowed=_TIME)
        end = _check.number(self.end_s, "end_s", owner="Turn", allowed="a finite number")
        if end < start:
            raise ConfigError(
                "end_s", self.end_s, f"a time in seconds >= start_s ({start})", owner="Turn"
            )
        object.__setattr__(self, "start_s", start)
        object.__setattr__(self, "end_s", end)
        for name in ("speaker", "text"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(name, value, "a str or None", owner="Turn")

    @property
    def duration_s(self) -> float:
        """Length of the span in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, eq=False)
class Annotation:
    """Ground truth for one clip: speech spans, turns, words and transcript.

    Build one with a reader (:func:`read_annotation`, :func:`read_rttm`, ...) or with
    :meth:`Annotation.from_segments`; the constructor takes the parts as they are.

    Parameters
    ----------
    speech : array_like, shape (n, 2)
        ``[start_s, end_s)`` spans of speech in seconds. They are sorted and overlapping or
        touching spans merged; empty spans are dropped. Stored as a read-only float64 array.
    turns : sequence of Turn, default ()
        Speaker turns (may overlap), stored sorted by start.
    words : sequence of Turn, default ()
        Word timings (``text`` = the word), stored sorted by start.
    transcript : str or None, default None
        The text of the whole clip.
    duration_s : float >= 0 or None, default None
        Length of the annotated audio, when known.
    source : str, default ""
        Where the annotation came from (not compared by ``==``).
    speech_known : bool, default True
        ``False`` when the source has no timing at all (a transcript only): then ``speech`` is
        empty because it is unknown, not because the clip is silent, and :meth:`speech_mask`
        refuses to run.

    Examples
    --------
    >>> a = Annotation([[2.0, 3.0], [0.5, 1.0], [0.9, 1.5]], duration_s=4.0)
    >>> a.speech.tolist()
    [[0.5, 1.5], [2.0, 3.0]]
    >>> a.speech_mask(500).astype(int).tolist()
    [0, 1, 1, 0, 1, 1, 0, 0]
    """

    speech: np.ndarray
    turns: tuple[Turn, ...] = ()
    words: tuple[Turn, ...] = ()
    transcript: str | None = None
    duration_s: float | None = None
    source: str = ""
    speech_known: bool = field(default=True)

    def __post_init__(self) -> None:
        speech = _as_spans(self.speech, "speech", "Annotation")
        speech = _spans.union(speech)
        speech.setflags(write=False)
        object.__setattr__(self, "speech", speech)
        for name in ("turns", "words"):
            items = tuple(getattr(self, name))
            for item in items:
                if not isinstance(item, Turn):
                    raise ConfigError(name, item, "a sequence of Turn", owner="Annotation")
            items = tuple(sorted(items, key=lambda t: (t.start_s, t.end_s)))
            object.__setattr__(self, name, items)
        if self.transcript is not None and not isinstance(self.transcript, str):
            raise ConfigError("transcript", self.transcript, "a str or None", owner="Annotation")
        if self.duration_s is not None:
            duration = _check.number(
                self.duration_s, "duration_s", owner="Annotation", low=0.0, unit="of seconds"
            )
            object.__setattr__(self, "duration_s", duration)
        if not self.speech_known and (len(speech) or self.turns or self.words):
            raise ConfigError(
                "speech_known",
                self.speech_known,
                "True when speech, turns or words are given",
                owner="Annotation",
            )

    # -- derived values ------------------------------------------------------------------

    @property
    def kinds(self) -> tuple[str, ...]:
        """Which kinds of truth this annotation holds, among speech/turns/words/transcript."""
        present = {
            "speech": self.speech_known,
            "turns": bool(self.turns),
            "words": bool(self.words),
            "transcript": self.transcript is not None,
        }
        return tuple(kind for kind, ok in present.items() if ok)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Sorted distinct speaker labels of the turns."""
        return tuple(sorted({t.speaker for t in self.turns if t.speaker is not None}))

    @property
    def speech_duration_s(self) -> float:
        """Total speech in seconds (overlapping speakers counted once)."""
        return float(np.sum(self.speech[:, 1] - self.speech[:, 0])) if len(self.speech) else 0.0

    @property
    def end_s(self) -> float:
        """``duration_s`` if known, else the end of the last annotated span (0.0 if none)."""
        if self.duration_s is not None:
            return self.duration_s
        ends = [0.0]
        if len(self.speech):
            ends.append(float(self.speech[-1, 1]))
        ends.extend(t.end_s for t in (*self.turns, *self.words))
        return max(ends)

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def whole(
        cls,
        audio: Any,
        *,
        text: str | None = None,
        threshold: float = 0.5,
        min_speech_ms: float = 100.0,
        model: str = "silero",
    ) -> Annotation:
        """Truth for a file holding one utterance: one turn from its first speech to its last.

        Speech is where the VAD (:func:`rtlab.vad.score`, Silero by default) gives at least
        ``threshold``, runs shorter than ``min_speech_ms`` dropped; pauses inside the
        utterance stay inside its one turn (and are non-speech in ``speech``). A file
        without speech gets no turn.

        Parameters
        ----------
        audio : Audio or path
            The recording (anything :func:`rtlab.load_audio` reads).
        text : str, optional
            What is said: the turn's text and the transcript.
        threshold : float in [0, 1], default 0.5
            Speech probability from which a 32 ms frame is speech.
        min_speech_ms : float >= 0, default 100
            Shorter runs of speech frames are dropped.
        model : {"silero", "energy"}, default "silero"
            The frame scorer.

        Returns
        -------
        Annotation

        Examples
        --------
        >>> import rtlab
        >>> truth = rtlab.Annotation.whole(rtlab.datasets.load("librivox/0870").audio)
        >>> [(round(t.start_s, 2), round(t.end_s, 2)) for t in truth.turns]
        [(0.35, 6.88)]
        """
        from rtlab import _check
        from rtlab._vad_spans import utterance

        owner = "Annotation.whole"
        if text is not None and not isinstance(text, str):
            raise ConfigError("text", text, "a str or None", owner=owner)
        threshold = _check.number(threshold, "threshold", owner=owner, low=0.0, high=1.0)
        min_ms = _check.number(min_speech_ms, "min_speech_ms", owner=owner, low=0.0, unit="ms")
        model = _check.choice(model, "model", ("silero", "energy"), owner=owner)
        spans, extent, duration_s = utterance(
            audio, model=model, threshold=threshold, min_speech_ms=min_ms
        )
        text = (" ".join(text.split()) or None) if text is not None else None
        turns = (Turn(*extent, text=text),) if extent is not None else ()
        return cls(
            spans,
            turns=turns,
            transcript=text,
            duration_s=duration_s,
            source=f"whole file, speech by {model} VAD >= {threshold:g}",
        )

    @classmethod
    def from_segments(
        cls,
        segments: Any,
        *,
        speakers: Sequence[str | None] | None = None,
        texts: Sequence[str | None] | None = None,
        min_turn_gap_ms: float = MIN_TURN_GAP_MS,
        words: Iterable[Turn] = (),
        transcript: str | None = None,
        duration_s: float | None = None,
        source: str = "",
    ) -> Annotation:
        """Build an annotation from speech segments, with or without speaker labels.

        ``speech`` is always the union of the segments. Turns:

        - with ``speakers`` (one label per segment): one turn per segment, as given, so turns
          of different speakers may overlap (how RTTM and diarization tables are read);
        - without: turns are the segments merged across silences shorter than
          ``min_turn_gap_ms`` (see :meth:`floor_turns`); the texts of merged segments are
          joined with a space.

        Parameters
        ----------
        segments : array_like, shape (n, 2)
            ``[start_s, end_s)`` in seconds, in any order.
        speakers : sequence of str or None, optional
            One label per segment.
        texts : sequence of str or None, optional
            One text per segment.
        min_turn_gap_ms : float >= 0, default 500
            Only used without ``speakers``: a silence shorter than this stays inside a turn.
        words : iterable of Turn, default ()
            Word timings.
        transcript : str, optional
            Text of the clip; by default the segment texts joined in time order, if any.
        duration_s : float, optional
            Length of the audio.
        source : str, default ""
            Where the segments came from.

        Returns
        -------
        Annotation

        Raises
        ------
        rtlab.errors.ConfigError
            If a segment is malformed or ``speakers`` / ``texts`` has the wrong length.

        Examples
        --------
        >>> a = Annotation.from_segments([[0.0, 1.0], [1.2, 2.0], [3.0, 4.0]])
        >>> [(t.start_s, t.end_s) for t in a.turns]
        [(0.0, 2.0), (3.0, 4.0)]
        >>> b = Annotation.from_segments([[0.0, 2.0], [1.0, 3.0]], speakers=["A", "B"])
        >>> b.speech.tolist(), len(b.turns)
        ([[0.0, 3.0]], 2)
        """
        owner = "Annotation.from_segments"
        spans = _as_spans(segments, "segments", owner)
        gap_ms = _gap(min_turn_gap_ms, owner)
        for name, labels in (("speakers", speakers), ("texts", texts)):
            if labels is not None and len(labels) != len(spans):
                raise ConfigError(
                    name, labels, f"a sequence of {len(spans)} labels, one per segment", owner=owner
                )
        text_list = list(texts) if texts is not None else [None] * len(spans)
        if speakers is not None:
            turns = tuple(
                Turn(float(s), float(e), speaker=spk, text=txt)
                for (s, e), spk, txt in zip(spans, speakers, text_list, strict=True)
            )
        else:
            pieces = tuple(
                Turn(float(s), float(e), text=txt)
                for (s, e), txt in zip(spans, text_list, strict=True)
            )
            turns = _floor(_spans.union(spans), pieces, gap_ms)
        if transcript is None and texts is not None:
            ordered = sorted(zip(spans[:, 0].tolist(), text_list, strict=True), key=lambda p: p[0])
            joined = " ".join(t.strip() for _, t in ordered if t and t.strip())
            transcript = joined or None
        return cls(
            spans,
            turns=turns,
            words=tuple(words),
            transcript=transcript,
            duration_s=duration_s,
            source=source,
        )

    # -- views ---------------------------------------------------------------------------

    def floor_turns(self, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> tuple[Turn, ...]:
        """The turns a voice-activity detector should find on a mono mix of this clip.

        Speaker-agnostic: the union of all speech (``self.speech``), with silences shorter than
        ``min_turn_gap_ms`` bridged. Overlapping speakers and a quick hand-over between two
        speakers therefore form one floor turn, since a detector hearing one mono channel
        cannot split them. Each floor turn carries the speaker if exactly one speaker's turns
        overlap it (else ``None``) and the texts of those turns joined in time order (else
        ``None``).

        Parameters
        ----------
        min_turn_gap_ms : float >= 0, default 500
            A silence shorter than this does not end a floor turn (see the module docstring
            for where 500 ms comes from).

        Returns
        -------
        tuple of Turn

        Examples
        --------
        >>> spans = [[0.0, 1.0], [1.3, 2.0], [4.0, 5.0]]
        >>> a = Annotation.from_segments(spans, speakers=["A", "B", "A"])
        >>> [(t.start_s, t.end_s, t.speaker) for t in a.floor_turns()]
        [(0.0, 2.0, None), (4.0, 5.0, 'A')]
        >>> len(a.floor_turns(min_turn_gap_ms=200))
        3
        """
        self._require_speech("floor_turns")
        return _floor(self.speech, self.turns, _gap(min_turn_gap_ms, "Annotation.floor_turns"))

    def speaker_turns(
        self, *, max_pause_ms: float = MAX_PAUSE_MS, backchannel_ms: float = BACKCHANNEL_MS
    ) -> tuple[Turn, ...]:
        """Each speaker's turns: the floor, never merging two speakers into one turn.

        A turn is one speaker's speech from when they take the floor until they stop and
        either another speaker takes the floor or their silence outlasts ``max_pause_ms``
        (eot-bench's longest ``hold``, 5 s). Another speaker's segment that lies inside the
        speaker's speech, or lasts at most ``backchannel_ms`` after which the speaker goes
        on within ``backchannel_ms`` of it, is a backchannel ("yeah", "mm-hmm"): kept inside
        the turn, not a turn end. A longer segment by anyone else, or a short one the
        speaker does not soon answer by going on, ends the turn. Unlabelled segments (``speaker``
        None, e.g. a single-speaker label track, already split by its reader) are kept as
        they are; without turns, each speech span is one.

        Parameters
        ----------
        max_pause_ms : float >= 0, default 5000
            A silence of the same speaker longer than this ends the turn.
        backchannel_ms : float >= 0, default 1000
            Another speaker's segment at most this long, after which the speaker goes on
            within as long again, is a backchannel.

        Returns
        -------
        tuple of Turn
            Sorted by start; ``speaker`` kept; ``text`` the segments' texts joined. Turns
            of different speakers may overlap (when someone takes the floor before the
            previous speaker stops).

        Examples
        --------
        >>> a = Annotation.from_segments([[0, 2], [2.5, 4], [4.2, 4.5], [4.6, 6]],
        ...                              speakers=["A", "B", "A", "B"])
        >>> [(t.speaker, t.start_s, t.end_s) for t in a.speaker_turns()]
        [('A', 0.0, 2.0), ('B', 2.5, 6.0)]
        """
        owner = "Annotation.speaker_turns"
        pause_s = _check.number(max_pause_ms, "max_pause_ms", owner=owner, low=0.0) / 1000
        back_s = _check.number(backchannel_ms, "backchannel_ms", owner=owner, low=0.0) / 1000
        segments = sorted(
            self.turns or [Turn(float(a), float(b)) for a, b in self.speech],
            key=lambda t: (t.start_s, -t.end_s),  # of two starting together, the longer leads
        )
        out: list[Turn] = []
        current: list[Any] | None = None  # [speaker, start, end, texts]

        def close() -> None:
            if current is not None:
                text = " ".join(current[3]) or None
                out.append(Turn(current[1], current[2], speaker=current[0], text=text))

        for index, seg in enumerate(segments):
            if current is None:
                current = [seg.speaker, seg.start_s, seg.end_s, [seg.text] if seg.text else []]
                continue
            if seg.speaker == current[0]:
                if seg.speaker is not None and seg.start_s - current[2] <= pause_s:
                    current[2] = max(current[2], seg.end_s)
                    if seg.text:
                        current[3].append(seg.text)
                    continue
            elif seg.end_s <= current[2] or (
                seg.duration_s <= back_s
                and _resumes(segments, index, current[0], current[2], pause_s, back_s)
            ):
                continue  # a backchannel inside the turn
            close()
            current = [seg.speaker, seg.start_s, seg.end_s, [seg.text] if seg.text else []]
        close()
        return tuple(out)

    def speech_mask(self, hop_ms: float, n_frames: int | None = None) -> np.ndarray:
        """Speech / non-speech per frame, on the frame grid of :class:`rtlab.vad.FrameScores`.

        Frame ``i`` covers ``[i * hop_ms, (i + 1) * hop_ms)`` and is speech when its centre,
        ``(i + 0.5) * hop_ms``, lies inside a speech span (start included, end excluded). With
        the centre rule every span boundary is off by at most half a frame, so the number of
        speech frames times ``hop_ms`` is within one hop per speech span of
        :attr:`speech_duration_s`.

        Parameters
        ----------
        hop_ms : float > 0
            Frame hop in milliseconds (Silero VAD: 32 ms).
        n_frames : int >= 0, optional
            Number of frames. Default: enough frames to cover :attr:`end_s`.

        Returns
        -------
        numpy.ndarray of bool, shape (n_frames,)

        Raises
        ------
        rtlab.errors.ConfigError
            If ``hop_ms`` or ``n_frames`` is out of range, or the annotation has no timing
            (``speech_known`` is False).

        Examples
        --------
        >>> import rtlab
        >>> truth = rtlab.datasets.load("librivox/0870").truth
        >>> mask = truth.speech_mask(32)
        >>> mask.shape, round(float(mask.mean()), 3)
        ((222,), 0.919)
        """
        self._require_speech("speech_mask")
        owner = "Annotation.speech_mask"
        hop = _check.number(hop_ms, "hop_ms", owner=owner, allowed="a frame hop in ms > 0")
        if not hop > 0:
            raise ConfigError("hop_ms", hop_ms, "a frame hop in ms > 0", owner=owner)
        if n_frames is None:
            count = math.ceil(round(self.end_s * 1000.0 / hop, 9))
        else:
            count = _check.integer(n_frames, "n_frames", owner=owner, low=0)
        centres_s = (np.arange(count, dtype=np.float64) + 0.5) * (hop / 1000.0)
        return _spans.inside(centres_s, self.speech)

    def crop(self, start_s: float, end_s: float) -> Annotation:
        """The part inside ``[start_s, end_s)``, with times relative to ``start_s``.

        Speech spans and turns crossing an edge are cut at it; a word is kept (and cut at the
        edges) when its centre lies inside; the transcript is kept only when no word and no
        turn with text was left out.

        Parameters
        ----------
        start_s, end_s : float
            Window in seconds, ``0 <= start_s <= end_s``.

        Returns
        -------
        Annotation
            With ``duration_s = end_s - start_s``.

        Examples
        --------
        >>> a = Annotation.from_segments([[0.5, 1.5], [2.0, 3.0]], speakers=["A", "B"])
        >>> a.crop(1.0, 2.5).speech.tolist()
        [[0.0, 0.5], [1.0, 1.5]]
        """
        owner = "Annotation.crop"
        lo = _check.number(start_s, "start_s", owner=owner)
        hi = _check.number(end_s, "end_s", owner=owner)
        if lo < 0 or hi < lo:
            raise ConfigError(
                "end_s", (start_s, end_s), "a window with 0 <= start_s <= end_s", owner=owner
            )
        speech = np.clip(self.speech, lo, hi) - lo
        speech = speech[speech[:, 1] > speech[:, 0]]

        def clipped(t: Turn) -> Turn:
            return Turn(max(t.start_s, lo) - lo, min(t.end_s, hi) - lo, t.speaker, t.text)

        turns = tuple(
            clipped(t)
            for t in self.turns
            if (t.start_s < hi and t.end_s > lo) or (t.start_s == t.end_s and lo <= t.start_s < hi)
        )
        words = tuple(clipped(w) for w in self.words if lo <= (w.start_s + w.end_s) / 2 < hi)
        lost_text = len(words) < len(self.words) or any(
            t.text for t in self.turns if t.end_s <= lo or t.start_s >= hi
        )
        return Annotation(
            speech,
            turns=turns,
            words=words,
            transcript=None if lost_text else self.transcript,
            duration_s=hi - lo,
            source=self.source,
            speech_known=self.speech_known,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per speech span, turn and word.

        Returns
        -------
        pandas.DataFrame
            Columns ``kind`` (``"speech"``, ``"turn"`` or ``"word"``), ``start_s``, ``end_s``,
            ``speaker``, ``text``; speech rows first, then turns, then words, each in time
            order. The clip's ``transcript`` is not a row (it has no time).

        Examples
        --------
        >>> import rtlab
        >>> frame = rtlab.datasets.load("ami-lhotse/ES2011a").truth.to_frame()
        >>> frame.columns.tolist()
        ['kind', 'start_s', 'end_s', 'speaker', 'text']
        >>> frame[frame["kind"] == "turn"][["start_s", "end_s", "speaker"]].values.tolist()
        [[1.46, 2.82, 'ES2011a.Headset-1'], [3.36, 4.36, 'ES2011a.Headset-2']]
        """
        import pandas as pd

        rows: list[tuple[str, float, float, str | None, str | None]] = [
            ("speech", float(s), float(e), None, None) for s, e in self.speech
        ]
        rows += [("turn", t.start_s, t.end_s, t.speaker, t.text) for t in self.turns]
        rows += [("word", t.start_s, t.end_s, t.speaker, t.text) for t in self.words]
        frame = pd.DataFrame(
            {
                "kind": pd.Series([r[0] for r in rows], dtype=object),
                "start_s": pd.Series([r[1] for r in rows], dtype="float64"),
                "end_s": pd.Series([r[2] for r in rows], dtype="float64"),
                "speaker": pd.Series([r[3] for r in rows], dtype=object),
                "text": pd.Series([r[4] for r in rows], dtype=object),
            }
        )
        return frame

    # -- dunder --------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Annotation):
            return NotImplemented
        return (
            np.array_equal(self.speech, other.speech)
            and self.turns == other.turns
            and self.words == other.words
            and self.transcript == other.transcript
            and self.duration_s == other.duration_s
            and self.speech_known == other.speech_known
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        if self.speech_known:
            n = len(self.speech)
            parts.append(f"{n} speech span{'s' if n != 1 else ''} ({self.speech_duration_s:.2f} s)")
        else:
            parts.append("no timing")
        if self.turns:
            n_spk = len(self.speakers)
            by = f" by {n_spk} speaker{'s' if n_spk != 1 else ''}" if n_spk else ""
            parts.append(f"{len(self.turns)} turn{'s' if len(self.turns) != 1 else ''}{by}")
        if self.words:
            parts.append(f"{len(self.words)} words")
        if self.transcript is not None:
            parts.append(f"transcript={_clip_text(self.transcript, 40)!r}")
        extra = []
        if self.duration_s is not None:
            extra.append(f"duration_s={round(self.duration_s, 6)!r}")
        if self.source:
            extra.append(f"source={self.source!r}")
        tail = "; " + ", ".join(extra) if extra else ""
        return f"Annotation({', '.join(parts)}{tail})"

    def _repr_html_(self) -> str:
        head = html.escape(repr(self))
        rows = [("speech", float(s), float(e), "", "") for s, e in self.speech]
        rows += [("turn", t.start_s, t.end_s, t.speaker or "", t.text or "") for t in self.turns]
        rows += [("word", t.start_s, t.end_s, t.speaker or "", t.text or "") for t in self.words]
        limit = 20
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(v) if isinstance(v, str) else f'{v:.3f}'}</td>"
                for v in (kind, s, e, spk, _clip_text(txt, 60))
            )
            + "</tr>"
            for kind, s, e, spk, txt in rows[:limit]
        )
        more = (
            f"<tr><td colspan='5'>… {len(rows) - limit} more rows (see to_frame())</td></tr>"
            if len(rows) > limit
            else ""
        )
        transcript = (
            f"<p><b>transcript</b>: {html.escape(_clip_text(self.transcript, 300))}</p>"
            if self.transcript
            else ""
        )
        return (
            f"<div><p><code>{head}</code></p>{transcript}"
            "<table><thead><tr><th>kind</th><th>start_s</th><th>end_s</th><th>speaker</th>"
            f"<th>text</th></tr></thead><tbody>{body}{more}</tbody></table></div>"
        )

    def _require_speech(self, what: str) -> None:
        if not self.speech_known:
            raise ConfigError(
                "speech_known",
                False,
                "True (an annotation with timed speech)",
                owner=f"Annotation.{what}",
                fix=f"{self.source or 'This annotation'} has a transcript but no timing; "
                "use it for transcript metrics (WER) only.",
            )


# --------------------------------------------------------------------------------------
# readers


def read_annotation(
    path: str | Path, *, uri: str | None = None, min_turn_gap_ms: float = MIN_TURN_GAP_MS
) -> Annotation:
    """Read an annotation file, choosing the reader by its suffix.

    - ``.rttm``: :func:`read_rttm` (``uri`` picks a recording of a multi-recording file);
    - ``.words.csv``, ``.words.json``: :func:`read_words`;
    - ``.csv``: :func:`read_csv`;
    - ``.lab``: :func:`read_lab`;
    - ``.json``: :func:`read_words` for pocketsphinx output (an object with ``"w"``), else
      :func:`read_lhotse` (a lhotse cut list);
    - ``.txt``: :func:`read_audacity` if the first line is ``start<TAB>end<TAB>...``, else
      :func:`read_transcript`.

    Parameters
    ----------
    path : str or Path
        The file.
    uri : str, optional
        For RTTM / lhotse files holding several recordings: which one.
    min_turn_gap_ms : float >= 0, default 500
        For files without speaker turns: silences shorter than this stay inside a turn.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        Unknown suffix, missing file, or a malformed line (``field`` = ``"<file>:<line>"``).

    Examples
    --------
    >>> import rtlab
    >>> folder = rtlab.datasets.root() / "librivox_pocketsphinx"
    >>> read_annotation(folder / "sense_and_sensibility_01_austen_64kb-0880.lab").speech.tolist()
    [[0.25075, 2.773918]]
    """
    p = _File.open(path, "read_annotation").path
    name = p.name.lower()
    if name.endswith(".rttm"):
        return read_rttm(p, uri=uri)
    if name.endswith((".words.csv", ".words.json")):
        return read_words(p, min_turn_gap_ms=min_turn_gap_ms)
    if name.endswith(".csv"):
        return read_csv(p, min_turn_gap_ms=min_turn_gap_ms)
    if name.endswith(".lab"):
        return read_lab(p, min_turn_gap_ms=min_turn_gap_ms)
    if name.endswith(".json"):
        data = _File(p, "read_annotation").json()
        if isinstance(data, dict) and "w" in data:
            return read_words(p, min_turn_gap_ms=min_turn_gap_ms)
        return read_lhotse(p, cut_id=uri)
    if name.endswith(".txt"):
        lines = [ln for ln in _File(p, "read_annotation").text().splitlines() if ln.strip()]
        # a label track, even when its first line is malformed (read_audacity then says so)
        if lines and (all("\t" in ln for ln in lines) or any(map(_LABEL_LINE.match, lines))):
            return read_audacity(p, min_turn_gap_ms=min_turn_gap_ms)
        return read_transcript(p)
    raise ConfigError(
        "path",
        str(path),
        "a file ending in .rttm, .csv, .lab, .json or .txt",
        owner="read_annotation",
    )


def read_rttm_all(path: str | Path) -> dict[str, Annotation]:
    """Read every recording of an RTTM file.

    Only ``SPEAKER`` lines are read (other types, blank lines and ``;;`` comments are
    skipped). Fields, separated by white space: ``SPEAKER <uri> <channel> <start_s>
    <duration_s> <NA> <NA> <speaker> [<NA> <NA>]``; a speaker of ``<NA>`` becomes ``None``.
    Turns are kept as given (they may overlap); ``speech`` is their union.

    Parameters
    ----------
    path : str or Path
        The RTTM file (UTF-8).

    Returns
    -------
    dict of str to Annotation
        One annotation per ``uri``, in order of first appearance.

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed line; ``field`` is ``"<file>:<line>"``.

    Examples
    --------
    >>> import rtlab
    >>> every = read_rttm_all(rtlab.datasets.root() / "ami_pyannote_debug" / "debug.rttm")
    >>> len(every), len(every["trn08"].turns)
    (11, 16)
    """
    f = _File.open(
        path,
        "read_rttm",
        "an RTTM line 'SPEAKER <uri> <channel> <start_s> <duration_s> <NA> <NA> <speaker> ...'"
        " with start_s >= 0 and duration_s >= 0",
    )
    p = f.path
    grouped: dict[str, list[tuple[float, float, str | None]]] = {}
    for lineno, line in f.lines():
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise f.error(lineno, line)
        start, duration = f.times(lineno, line, fields[3], fields[4], ordered=False)
        speaker = None if fields[7] == "<NA>" else fields[7]
        grouped.setdefault(fields[1], []).append((start, _end(start, duration), speaker))
    out = {}
    for uri, rows in grouped.items():
        out[uri] = Annotation.from_segments(
            np.array([(s, e) for s, e, _ in rows], dtype=np.float64).reshape(-1, 2),
            speakers=[spk for _, _, spk in rows],
            source=f"{p.name}#{uri}",
        )
    return out


def read_rttm(path: str | Path, *, uri: str | None = None) -> Annotation:
    """Read one recording of an RTTM file (see :func:`read_rttm_all` for the format).

    Parameters
    ----------
    path : str or Path
        The RTTM file.
    uri : str, optional
        Which recording (second field of each line). Needed when the file holds several.

    Returns
    -------
    Annotation
        Speaker turns as given (labels kept exactly, unicode included); ``speech`` = their
        union; ``duration_s`` None (RTTM does not store it).

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed line, an unknown ``uri``, or several recordings and no ``uri``.

    Examples
    --------
    >>> import rtlab
    >>> a = read_rttm(rtlab.datasets.root() / "ami_pyannote_debug" / "trn02.rttm")
    >>> a.turns
    (Turn(start_s=20.704, end_s=21.392, speaker='FEO066', text=None),)
    """
    every = read_rttm_all(path)
    if uri is None:
        if len(every) > 1:
            raise ConfigError(
                "uri",
                None,
                f"one of the {len(every)} recordings in the file: {', '.join(sorted(every))}",
                owner="read_rttm",
                fix="Pass uri=..., or use read_rttm_all() to read them all.",
            )
        if not every:
            return Annotation(np.empty((0, 2)), source=Path(path).name)
        return next(iter(every.values()))
    if uri not in every:
        raise ConfigError(
            "uri",
            uri,
            f"one of the recordings in {Path(path).name}: {', '.join(sorted(every)) or '(none)'}",
            owner="read_rttm",
        )
    return every[uri]


def read_csv(path: str | Path, *, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> Annotation:
    """Read a ``start_s,end_s,label[,text]`` table (times in seconds).

    A header row is optional; when present, columns are found by name (``start_s`` or
    ``start``, ``end_s`` or ``end``, ``label`` or ``speaker``, ``text``), otherwise by position.
    Fields are stripped of surrounding white space; quoting follows the ``csv`` module.

    Labels decide what a row is:

    - ``speech`` (any case): a speech span with no speaker;
    - ``silence`` / ``non-speech`` / ``noise`` / ``<sil>``: non-speech, skipped;
    - anything else: a speaker label (an empty label means an unknown speaker).

    If every row is ``speech``, turns are derived from the spans (``min_turn_gap_ms``);
    otherwise every row is a turn as given.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8).
    min_turn_gap_ms : float >= 0, default 500
        For speech-only files: silences shorter than this stay inside a turn.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed row; ``field`` is ``"<file>:<line>"``.

    Examples
    --------
    >>> import rtlab
    >>> a = read_csv(rtlab.datasets.root() / "ami_pyannote_debug" / "trn09.speech.csv")
    >>> a.speech.tolist(), a.turns
    ([[0.0, 30.0]], (Turn(start_s=0.0, end_s=30.0, speaker=None, text=None),))
    """
    gap_ms = _gap(min_turn_gap_ms, "read_csv")
    f = _File.open(path, "read_csv", _CSV_ROW)
    return _from_labelled(_csv_rows(f), gap_ms, f.path.name)


def read_audacity(path: str | Path, *, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> Annotation:
    """Read an Audacity label track exported as text (``start<TAB>end<TAB>label`` per line).

    Lines starting with a backslash (the frequency range of a spectral selection) are
    skipped. Labels are read as in :func:`read_csv` (``speech``, non-speech labels, else a
    speaker). Point labels (``start == end``) are skipped, except in a file made only of
    ``speech`` / ``silence`` points, which is read as speech on / off marks (see
    :func:`read_lab`).

    Parameters
    ----------
    path : str or Path
        The label file (UTF-8).
    min_turn_gap_ms : float >= 0, default 500
        For speech-only files: silences shorter than this stay inside a turn.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed line; ``field`` is ``"<file>:<line>"``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.txt"
    >>> _ = path.write_text("0.5\\t1.25\\tA\\n\\\\\\t100.0\\t4000.0\\n2.0\\t3.0\\tB\\n")
    >>> [(t.start_s, t.end_s, t.speaker) for t in read_audacity(path).turns]
    [(0.5, 1.25, 'A'), (2.0, 3.0, 'B')]
    """
    return _read_label_track(path, None, _gap(min_turn_gap_ms, "read_audacity"), "read_audacity")


def read_lab(
    path: str | Path,
    *,
    duration_s: float | None = None,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> Annotation:
    """Read speech on / off marks: the ``.lab`` endpoint files of pocketsphinx's LibriVox clips.

    The format is an Audacity label track of point labels, ``t<TAB>t<TAB>speech`` where speech
    begins and ``t<TAB>t<TAB>silence`` where it ends; speech runs from each ``speech`` mark to
    the next ``silence`` mark. A file of interval labels is read as by :func:`read_audacity`.

    Parameters
    ----------
    path : str or Path
        The ``.lab`` file.
    duration_s : float, optional
        Length of the audio: closes a final ``speech`` mark that has no ``silence`` after it.
    min_turn_gap_ms : float >= 0, default 500
        Silences shorter than this stay inside a turn.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed line, marks out of time order, or a final ``speech`` mark without
        ``duration_s``.

    Examples
    --------
    >>> import rtlab
    >>> folder = rtlab.datasets.root() / "librivox_pocketsphinx"
    >>> read_lab(folder / "sense_and_sensibility_01_austen_64kb-0870.lab").speech.tolist()
    [[0.235689, 6.76169]]
    """
    gap_ms = _gap(min_turn_gap_ms, "read_lab")
    if duration_s is not None:
        duration_s = _check.number(
            duration_s, "duration_s", owner="read_lab", low=0.0, unit="of seconds"
        )
    return _read_label_track(path, duration_s, gap_ms, "read_lab")


def read_words(path: str | Path, *, min_turn_gap_ms: float = MIN_TURN_GAP_MS) -> Annotation:
    """Read word timings: pocketsphinx JSON output, or a ``start_s,end_s,word`` CSV.

    pocketsphinx JSON: ``{"b": begin_s, "d": duration_s, "t": text, "w": [{"b", "d", "t"},
    ...]}``. Pronunciation variants (``"and(2)"``) are reduced to the word; silence and noise
    tokens (``<sil>``, ``<s>``, ``</s>``, ``[NOISE]``) are pauses, not words, and are dropped.
    ``speech`` is the union of the words, so pauses between words are non-speech; turns are
    derived from it with ``min_turn_gap_ms``. The transcript is the JSON's ``"t"`` (or the
    words joined).

    Parameters
    ----------
    path : str or Path
        A ``.json`` or ``.csv`` file.
    min_turn_gap_ms : float >= 0, default 500
        Silences shorter than this stay inside a turn.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        A malformed file or row.

    Examples
    --------
    >>> import rtlab
    >>> folder = rtlab.datasets.root() / "librivox_pocketsphinx"
    >>> a = read_words(folder / "sense_and_sensibility_01_austen_64kb-0880.words.json")
    >>> " ".join(w.text for w in a.words) == a.transcript
    True
    """
    owner = "read_words"
    gap_ms = _gap(min_turn_gap_ms, owner)
    f = _File.open(path, owner, _CSV_ROW)
    p = f.path
    words: list[Turn] = []
    transcript: str | None = None
    if p.suffix.lower() == ".json":
        data = f.json()
        entries = data.get("w") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ConfigError(
                str(p),
                data if not isinstance(data, dict) else sorted(data),
                "a pocketsphinx result object with a 'w' list of words",
                owner=owner,
            )
        for i, entry in enumerate(entries):
            try:
                start, dur, token = float(entry["b"]), float(entry["d"]), str(entry["t"])
                text = _VARIANT.sub("", token)
                word = Turn(start, _end(start, dur), text=text)
            except (KeyError, TypeError, ValueError) as err:
                allowed = "a word object {'b': start_s, 'd': duration_s, 't': word}"
                raise f.entry_error(f"w[{i}]", entry, allowed) from err
            if text.lower() not in _NOT_WORDS:
                words.append(word)
        if isinstance(data.get("t"), str):
            transcript = data["t"].strip() or None
    else:
        words = [
            Turn(start, end, text=_VARIANT.sub("", label))
            for start, end, label, _ in _csv_rows(f)
            if label and label.lower() not in _NOT_WORDS
        ]
    if transcript is None and words:
        transcript = " ".join(w.text or "" for w in words)
    spans = np.array([(w.start_s, w.end_s) for w in words], dtype=np.float64).reshape(-1, 2)
    return Annotation.from_segments(
        spans,
        min_turn_gap_ms=gap_ms,
        words=words,
        transcript=transcript,
        source=p.name,
    )


def read_lhotse(path: str | Path, *, cut_id: str | None = None) -> Annotation:
    """Read the supervisions of a lhotse cut manifest (JSON list of cuts).

    Each supervision (``start``, ``duration`` relative to the cut, ``speaker``, ``text``)
    becomes a turn; ``speech`` is their union; ``duration_s`` is the cut's duration.

    Parameters
    ----------
    path : str or Path
        A JSON file holding a cut or a list of cuts.
    cut_id : str, optional
        The cut's ``id`` or ``recording_id``; needed when the file holds several cuts.

    Returns
    -------
    Annotation

    Raises
    ------
    rtlab.errors.ConfigError
        Not a cut manifest, an unknown ``cut_id``, or several cuts and no ``cut_id``.

    Examples
    --------
    >>> import rtlab
    >>> a = read_lhotse(rtlab.datasets.root() / "ami_lhotse" / "ami_cuts.json")
    >>> a.transcript
    "I'M ABIGAIL CLAFLIN YOU CAN CALL ME ABBIE"
    """
    owner = "read_lhotse"
    f = _File.open(path, owner)
    p = f.path
    data = f.json()
    cuts = data if isinstance(data, list) else [data]
    if not cuts or not all(isinstance(c, dict) and "supervisions" in c for c in cuts):
        raise ConfigError(str(p), type(data).__name__, "a lhotse cut or list of cuts", owner=owner)
    if cut_id is not None:
        cuts = [c for c in cuts if cut_id in (c.get("id"), c.get("recording_id"))]
        if not cuts:
            raise ConfigError("cut_id", cut_id, f"the id of a cut in {p.name}", owner=owner)
    if len(cuts) > 1:
        raise ConfigError(
            "cut_id", None, f"one of {', '.join(str(c.get('id')) for c in cuts)}", owner=owner
        )
    cut = cuts[0]
    if not isinstance(cut["supervisions"], list):
        raise f.entry_error("supervisions", cut["supervisions"], "a list of supervisions")
    rows = []
    for i, sup in enumerate(cut["supervisions"]):
        try:
            start = float(sup["start"])
            end = _end(start, float(sup["duration"]))
            rows.append((start, end, sup.get("speaker"), sup.get("text")))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            allowed = "a supervision with start and duration"
            raise f.entry_error(f"supervisions[{i}]", sup, allowed) from err
    spans = np.array([(s, e) for s, e, _, _ in rows], dtype=np.float64).reshape(-1, 2)
    duration = cut.get("duration")
    if duration is not None and not isinstance(duration, int | float):
        raise f.entry_error("duration", duration, "the cut's length in seconds")
    return Annotation.from_segments(
        spans,
        speakers=[spk for _, _, spk, _ in rows],
        texts=[txt for _, _, _, txt in rows],
        duration_s=duration,
        source=f"{p.name}#{cut.get('id')}",
    )


def read_transcript(path: str | Path) -> Annotation:
    """Read a plain-text transcript: an annotation with text but no timing.

    White space is collapsed to single spaces. The result has ``speech_known=False``: its
    empty ``speech`` means *unknown*, so :meth:`Annotation.speech_mask` refuses it.

    Parameters
    ----------
    path : str or Path
        A UTF-8 text file.

    Returns
    -------
    Annotation

    Examples
    --------
    >>> import rtlab
    >>> a = read_transcript(rtlab.datasets.root() / "jfk_whisper" / "jfk.txt")
    >>> a.kinds, a.transcript[:27]
    (('transcript',), 'And so, my fellow Americans')
    """
    f = _File.open(path, "read_transcript")
    p = f.path
    text = " ".join(f.text().split())
    return Annotation(np.empty((0, 2)), transcript=text or None, source=p.name, speech_known=False)


# --------------------------------------------------------------------------------------
# helpers


def _end(start_s: float, duration_s: float) -> float:
    """``start + duration``, rounded to 1 ns so that abutting spans still touch."""
    return round(start_s + duration_s, 9)


def _gap(min_turn_gap_ms: Any, owner: str) -> float:
    return _check.number(
        min_turn_gap_ms, "min_turn_gap_ms", owner=owner, low=0.0, allowed="a silence in ms >= 0"
    )


def _as_spans(value: Any, name: str, owner: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ConfigError(name, value, "an (n, 2) array of [start_s, end_s]", owner=owner) from err
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ConfigError(name, value, "an (n, 2) array of [start_s, end_s]", owner=owner)
    if not np.all(np.isfinite(arr)) or np.any(arr[:, 0] < 0) or np.any(arr[:, 1] < arr[:, 0]):
        raise ConfigError(
            name, value, "spans with finite 0 <= start_s <= end_s (seconds)", owner=owner
        )
    return arr


def _bridge(speech: np.ndarray, gap_ms: float) -> np.ndarray:
    """Merge speech spans separated by silences shorter than ``gap_ms``."""
    if not len(speech):
        return speech.copy()
    gap_s = gap_ms / 1000.0
    out = [list(speech[0])]
    for start, end in speech[1:]:
        if start - out[-1][1] < gap_s:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return np.array(out, dtype=np.float64)


def _resumes(
    segments: list[Turn],
    index: int,
    speaker: str | None,
    end_s: float,
    pause_s: float,
    back_s: float,
) -> bool:
    """Whether ``speaker`` goes on soon after segment ``index`` (another speaker's).

    Soon: within ``back_s`` of that segment's end and within ``pause_s`` of the speaker's
    own last speech (``end_s``). Other short segments (backchannels too) may come first; a
    longer one by anyone else means that speaker has taken the floor.
    """
    after_s = segments[index].end_s
    for later in segments[index + 1 :]:
        if later.speaker == speaker:
            return later.start_s - after_s <= back_s and later.start_s - end_s <= pause_s
        if later.duration_s > back_s:
            return False
        after_s = max(after_s, later.end_s)
    return False


def _floor(speech: np.ndarray, turns: Iterable[Turn], gap_ms: float) -> tuple[Turn, ...]:
    """Floor turns: bridged speech, labelled with the speaker / texts of the turns inside."""
    pieces = sorted(turns, key=lambda t: (t.start_s, t.end_s))
    out = []
    for start, end in _bridge(speech, gap_ms):
        inside = [t for t in pieces if t.start_s < end and t.end_s > start]
        speakers = {t.speaker for t in inside}
        speaker = speakers.pop() if len(speakers) == 1 else None
        texts = [t.text.strip() for t in inside if t.text and t.text.strip()]
        out.append(Turn(float(start), float(end), speaker=speaker, text=" ".join(texts) or None))
    return tuple(out)


def _from_labelled(
    rows: Sequence[tuple[float, float, str, str | None]], gap_ms: float, source: str
) -> Annotation:
    kept = [r for r in rows if r[2].lower() not in _NON_SPEECH_LABELS]
    spans = np.array([(s, e) for s, e, _, _ in kept], dtype=np.float64).reshape(-1, 2)
    texts = [t for _, _, _, t in kept]
    any_text = any(t is not None for t in texts)
    if all(label.lower() in (_SPEECH_LABEL, "") for _, _, label, _ in kept):
        return Annotation.from_segments(
            spans, texts=texts if any_text else None, min_turn_gap_ms=gap_ms, source=source
        )
    speakers = [
        None if label.lower() == _SPEECH_LABEL or not label else label for _, _, label, _ in kept
    ]
    return Annotation.from_segments(
        spans, speakers=speakers, texts=texts if any_text else None, source=source
    )


@dataclass(frozen=True)
class _File:
    """An annotation file being read: its errors name the file, the line and what a line must be.

    ``allowed`` words the shape of one line (or row) of the format, e.g. ``"an RTTM line
    ..."``; :meth:`error` makes the ``ConfigError`` for line ``lineno``, whose ``field`` is
    ``"<file>:<line>"``.
    """

    path: Path
    owner: str
    allowed: str = "a text annotation file"

    @classmethod
    def open(cls, path: str | Path, owner: str, allowed: str = "a text annotation file") -> _File:
        """The file, if it exists and is not larger than ``_MAX_FILE_BYTES``."""
        p = Path(path)
        if not p.is_file():
            raise ConfigError("path", str(path), "an existing annotation file", owner=owner)
        size = p.stat().st_size
        if size > _MAX_FILE_BYTES:
            raise ConfigError(
                "path",
                str(p),
                f"an annotation file of at most {_MAX_FILE_BYTES // 2**20} MiB",
                owner=owner,
                fix=f"It holds {size} bytes.",
            )
        return cls(p, owner, allowed)

    def text(self) -> str:
        """The whole file as UTF-8 text (a BOM dropped); an error if it is not text."""
        try:
            text = self.path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as err:  # e.g. an audio file passed by mistake
            raise self._not_text(f"byte {err.start} cannot be decoded as UTF-8") from err
        if "\0" in text:  # valid UTF-8, but no annotation format holds NUL characters
            raise self._not_text(f"character {text.index(chr(0))} is a NUL")
        return text

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(line number, line)`` from 1."""
        return enumerate(self.text().splitlines(), start=1)

    def json(self) -> Any:
        text = self.text()
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"{self.path}:{err.lineno}",
                err.doc.splitlines()[err.lineno - 1] if err.doc else "",
                "valid JSON",
                owner=self.owner,
                message=f"Line {err.lineno} of {self.path} is not valid JSON: {err.msg}.",
            ) from err
        except RecursionError as err:  # arrays or objects nested thousands deep
            raise ConfigError(
                str(self.path),
                "JSON nested too deep to read",
                "JSON nested at most a few hundred levels deep",
                owner=self.owner,
            ) from err

    def error(self, lineno: int, line: str, why: str | None = None) -> ConfigError:
        """The error for a malformed line: ``Line <n> of <file> is not <allowed>. Got '...'.``"""
        shown = line if len(line) <= 200 else line[:199] + "…"
        return ConfigError(
            f"{self.path}:{lineno}",
            line,
            self.allowed,
            owner=self.owner,
            message=f"Line {lineno} of {self.path} is not {self.allowed}. Got {shown!r}."
            + (f" ({why})" if why else ""),
        )

    def entry_error(self, where: str, value: Any, allowed: str) -> ConfigError:
        """The error for a malformed entry of a JSON file, e.g. ``where="w[3]"``."""
        shown = repr(value) if len(repr(value)) <= 200 else repr(value)[:199] + "…"
        return ConfigError(
            f"{self.path}:{where}",
            value,
            allowed,
            owner=self.owner,
            message=f"{where} of {self.path} is not {allowed}. Got {shown}.",
        )

    def times(
        self, lineno: int, line: str, first: str, second: str, *, ordered: bool = True
    ) -> tuple[float, float]:
        """Two times in seconds, finite and >= 0 (and ``first <= second`` if ``ordered``)."""
        try:
            a, b = float(first), float(second)
        except ValueError as err:
            raise self.error(lineno, line) from err
        if not (math.isfinite(a) and math.isfinite(b)) or a < 0 or b < 0 or (ordered and b < a):
            raise self.error(lineno, line)
        return a, b

    def _not_text(self, why: str) -> ConfigError:
        return ConfigError(
            "path",
            str(self.path),
            "a UTF-8 text annotation file",
            owner=self.owner,
            fix=f"It is not text: {why}.",
        )


_CSV_ROW = "a row 'start_s,end_s,label[,text]' with 0 <= start_s <= end_s"


def _csv_rows(f: _File) -> list[tuple[float, float, str, str | None]]:
    reader = csv.reader(io.StringIO(f.text(), newline=""))
    columns = {"start": 0, "end": 1, "label": 2, "text": 3}
    rows: list[tuple[float, float, str, str | None]] = []
    first = True
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return rows
        except csv.Error as err:  # e.g. a field over the csv module's 128 KiB limit
            raise f.error(reader.line_num, "", str(err)) from err
        fields = [field.strip() for field in record]
        if not any(fields):
            continue
        if first:
            first = False
            header = _csv_header(fields)
            if header is not None:
                columns = header
                continue
        cells = [*fields, *[""] * (max(columns.values()) + 1 - len(fields))]
        line = ",".join(record)
        start, end = f.times(reader.line_num, line, cells[columns["start"]], cells[columns["end"]])
        text = cells[columns["text"]] if "text" in columns else ""
        rows.append((start, end, cells[columns["label"]], text or None))


def _read_label_track(
    path: str | Path, duration_s: float | None, gap_ms: float, owner: str
) -> Annotation:
    """An Audacity label track: speech on / off marks if every label is a point, else intervals."""
    f = _File.open(
        path, owner, "a label line 'start_s<TAB>end_s<TAB>label' with 0 <= start_s <= end_s"
    )
    rows = []
    for lineno, line in f.lines():
        if not line.strip() or line.startswith("\\"):
            continue
        fields = line.split("\t", 2)
        if len(fields) < 2:
            raise f.error(lineno, line)
        start, end = f.times(lineno, line, fields[0], fields[1])
        rows.append((start, end, fields[2].strip() if len(fields) > 2 else ""))
    if rows and all(s == e for s, e, _ in rows):
        return _from_marks(f, rows, duration_s, gap_ms)
    intervals = [(s, e, label, None) for s, e, label in rows if e > s]
    ann = _from_labelled(intervals, gap_ms, f.path.name)
    return ann if duration_s is None else replace(ann, duration_s=duration_s)


def _from_marks(
    f: _File, rows: list[tuple[float, float, str]], duration_s: float | None, gap_ms: float
) -> Annotation:
    labels = {label.lower() for _, _, label in rows}
    if not labels <= {_SPEECH_LABEL, "silence"}:
        raise ConfigError(
            str(f.path),
            sorted(labels),
            "point labels named 'speech' (speech starts) or 'silence' (speech ends)",
            owner=f.owner,
        )
    spans = []
    onset: float | None = None
    last = -math.inf
    for time_s, _, label in rows:
        if time_s < last:
            raise ConfigError(str(f.path), time_s, "marks in time order", owner=f.owner)
        last = time_s
        if label.lower() == _SPEECH_LABEL:
            onset = time_s if onset is None else onset
        elif onset is not None:
            spans.append((onset, time_s))
            onset = None
    if onset is not None:
        if duration_s is None:
            raise ConfigError(
                "duration_s",
                None,
                "the audio length in seconds, to close the final 'speech' mark",
                owner=f.owner,
            )
        spans.append((onset, duration_s))
    return Annotation.from_segments(
        np.array(spans, dtype=np.float64).reshape(-1, 2),
        min_turn_gap_ms=gap_ms,
        duration_s=duration_s,
        source=f.path.name,
    )


def _csv_header(fields: list[str]) -> dict[str, int] | None:
    try:
        float(fields[0])
    except ValueError:
        pass
    else:
        return None
    names = {
        "start": ("start_s", "start", "begin", "begin_s", "onset"),
        "end": ("end_s", "end", "stop", "offset"),
        "label": ("label", "speaker", "word"),
        "text": ("text", "transcript"),
    }
    lowered = [f.lower() for f in fields]
    found = {}
    for key, options in names.items():
        for option in options:
            if option in lowered:
                found[key] = lowered.index(option)
                break
    if "start" not in found or "end" not in found:
        return None
    found.setdefault("label", len(fields) + 1)
    return found


def _clip_text(text: str | None, n: int) -> str:
    if not text:
        return ""
    return text if len(text) <= n else text[: n - 1] + "…"
