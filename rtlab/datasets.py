"""The real speech clips shipped with rtlab, loaded by name with their ground truth.

Every clip is a recording of real people (see ``datasets/SOURCE.md`` for origin, licence
and how each annotation was made):

================================ ========================================================
name                             what
================================ ========================================================
``ami-debug/trn01`` … ``trn09``, 11 × 30 s of AMI meetings (several speakers, overlapping
``ami-debug/dev00``, ``dev01``   speech); manual speaker turns (RTTM)
``ami-lhotse/ES2011a``           6 s of an AMI headset; two hand-timed supervisions with text
``librivox/0870`` … ``0930``     5 read utterances (one reader); speech on/off marks, exact
                                 transcript, machine word timings
``jfk``                          11 s of J. F. Kennedy; transcript only, no timing
================================ ========================================================

:func:`names` tables them, :func:`load` returns a :class:`Clip` (audio as
:class:`rtlab.Audio`, 24 kHz mono int16, plus its :class:`rtlab.annotation.Annotation`),
:func:`load_all` loads those whose names match a pattern. :func:`utterances` cuts a clip into
single-speaker turns and :func:`compose` joins utterances into a conversation track with
known pauses and exactly known turn ends; :func:`conversation` does both for benchmarks.

The clips are found in ``$RTLAB_DATASETS`` if set, else among rtlab's installed files (a
wheel carries them) or in the ``datasets/`` folder of a checkout; see :func:`root`. The
folder's ``manifest.json`` lists the clips, so a folder of your own clips with a manifest in
the same shape works too.

Examples
--------
>>> import rtlab
>>> clip = rtlab.datasets.load("librivox/0870")
>>> clip
Clip('librivox/0870', 7.10 s, speech+turns+words+transcript)
>>> clip.truth.transcript[:33]
'and mister john dashwood had then'
>>> track = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=800)
>>> [(round(t.start_s, 3), round(t.end_s, 3)) for t in track.truth.turns]
[(0.5, 3.023), (3.823, 6.591)]
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab import _check, _shipped
from rtlab._clip import Clip
from rtlab._eot_bench import from_eot_bench
from rtlab.annotation import (
    MIN_TURN_GAP_MS,
    Annotation,
    Turn,
    read_lab,
    read_lhotse,
    read_rttm,
    read_transcript,
    read_words,
)
from rtlab.annotation import (
    read_csv as _read_csv,
)
from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.audio import Audio

__all__ = [
    "Clip",
    "compose",
    "conversation",
    "from_eot_bench",
    "load",
    "load_all",
    "names",
    "root",
    "utterances",
]

_NOISE_KINDS = ("white", "pink", "babble")
# A turn this close (ms) to either end of its recording may have been cut by the excerpt.
_EDGE_MS = 50.0


# --------------------------------------------------------------------------------------
# finding and listing


def root() -> Path:
    """The folder the clips are read from.

    ``$RTLAB_DATASETS`` when set; else the clips installed with rtlab (``rtlab/_data``, package
    data of the wheel); else ``datasets/`` beside the ``rtlab`` package (a checkout or an
    editable install). See :mod:`rtlab._shipped`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    rtlab.errors.ConfigError
        If the folder or its ``manifest.json`` does not exist.

    Examples
    --------
    >>> (root() / "manifest.json").is_file()
    True
    """
    return _shipped.root()


def names() -> pd.DataFrame:
    """Table of the clips that :func:`load` knows, one row per clip.

    Returns
    -------
    pandas.DataFrame
        Columns: ``name``; ``duration_s``, ``sample_rate_hz`` and ``channels`` of the
        original file (before :func:`load` converts it to 24 kHz mono); ``kinds`` (the
        truth available, among ``speech``, ``turns``, ``words``, ``transcript``, joined with
        ``+``); ``n_turns``; ``n_speakers``; ``speech_s`` (total annotated speech, NaN when
        unknown); ``annotation`` (what the truth is and how it was made); ``licence``;
        ``path`` (the audio file).

    Examples
    --------
    >>> import rtlab
    >>> table = rtlab.datasets.names()
    >>> len(table), table["duration_s"].sum().round(1)
    (18, np.float64(371.7))
    >>> jfk = table.set_index("name").loc["jfk"]
    >>> int(jfk.sample_rate_hz), int(jfk.channels), jfk.kinds
    (44100, 2, 'transcript')
    """
    import pandas as pd
    import soundfile

    folder, manifest = _shipped.manifest()
    rows = []
    for entry in manifest["clips"]:
        path = folder / entry["audio"]
        info = soundfile.info(str(path))
        truth = _truth(folder, entry, duration_s=info.frames / info.samplerate)
        meta = manifest["collections"].get(entry.get("collection", ""), {})
        rows.append(
            {
                "name": entry["name"],
                "duration_s": info.frames / info.samplerate,
                "sample_rate_hz": int(info.samplerate),
                "channels": int(info.channels),
                "kinds": "+".join(truth.kinds),
                "n_turns": len(truth.turns),
                "n_speakers": len(truth.speakers),
                "speech_s": truth.speech_duration_s if truth.speech_known else math.nan,
                "annotation": meta.get("annotation", ""),
                "licence": meta.get("licence", ""),
                "path": str(path),
            }
        )
    return pd.DataFrame(rows)


def __getattr__(name: str) -> Any:
    """``datasets.list``: the deprecated name of :func:`names` (it shadowed the builtin)."""
    if name == "list":
        warnings.warn(
            "rtlab.datasets.list() is renamed rtlab.datasets.names(); list() will be removed.",
            DeprecationWarning,
            stacklevel=2,
        )
        return names
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(name: str) -> Clip:
    """Load a shipped clip and its ground truth by name.

    Parameters
    ----------
    name : str
        One of the names in :func:`names`, e.g. ``"ami-debug/trn01"``, ``"ami-lhotse/ES2011a"``,
        ``"librivox/0870"``, ``"jfk"``.

    Returns
    -------
    Clip
        Audio via :func:`rtlab.load_audio` (24 kHz mono int16); truth with ``duration_s`` set
        to the audio's length.

    Raises
    ------
    rtlab.errors.ConfigError
        Unknown name (the message suggests close matches and lists every name), or the
        datasets folder is missing.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> clip.audio.sample_rate_hz, [t.text for t in clip.truth.turns]
    (24000, ["I'M ABIGAIL CLAFLIN", 'YOU CAN CALL ME ABBIE'])
    """
    from rtlab.audio import load_audio

    folder, manifest = _shipped.manifest()
    entry = _entry(manifest, _name(name, "name", "rtlab.datasets.load"))
    audio = load_audio(folder / entry["audio"])
    return Clip(name=entry["name"], audio=audio, truth=_truth(folder, entry, audio.duration_s))


def load_all(pattern: str = "*") -> list[Clip]:
    """Load every clip whose name matches a shell-style pattern, sorted by name.

    Parameters
    ----------
    pattern : str, default "*"
        :func:`fnmatch.fnmatchcase` pattern, e.g. ``"librivox/*"`` or ``"ami-*"``.

    Returns
    -------
    list of Clip

    Raises
    ------
    rtlab.errors.ConfigError
        If no clip matches.

    Examples
    --------
    >>> import rtlab
    >>> [clip.name for clip in rtlab.datasets.load_all("ami-debug/dev*")]
    ['ami-debug/dev00', 'ami-debug/dev01']
    """
    _name(pattern, "pattern", "rtlab.datasets.load_all")
    _, manifest = _shipped.manifest()
    names = sorted(e["name"] for e in manifest["clips"])
    chosen = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    if not chosen:
        raise ConfigError(
            "pattern",
            pattern,
            "a pattern matching at least one clip name",
            owner="rtlab.datasets.load_all",
            fix=f"Available: {', '.join(names)}.",
        )
    return [load(n) for n in chosen]


# --------------------------------------------------------------------------------------
# utterances and composed conversations


def utterances(
    clip: Clip | str,
    *,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
    single_speaker: bool = True,
) -> list[Clip]:
    """Cut a clip into its turns, each trimmed to exactly its annotated speech.

    Turns are the clip's floor turns (:meth:`Annotation.floor_turns`: all speech, silences
    shorter than ``min_turn_gap_ms`` bridged). Turns within 50 ms of either end of the
    recording are left out, since the excerpt may have cut them; with ``single_speaker``,
    turns where more than one speaker talks are left out too. Pauses inside a turn stay in it
    (non-speech in ``truth.speech``, inside the one ``truth.turns`` span).

    Parameters
    ----------
    clip : Clip or str
        A clip or the name of a shipped one.
    min_turn_gap_ms : float >= 0, default 500
        Silences shorter than this stay inside a turn.
    single_speaker : bool, default True
        Keep only turns with one known speaker (clips with no speaker labels count as one).

    Returns
    -------
    list of Clip
        Named ``"<clip name>#<k>"`` (k = 1, 2, ... among the turns kept), each with one turn
        ``[0, duration)`` whose text is the turn's text or, for a single-turn clip, its
        transcript.

    Raises
    ------
    rtlab.errors.ConfigError
        If the clip has no timed speech (e.g. ``"jfk"``).

    Examples
    --------
    >>> import rtlab
    >>> parts = rtlab.datasets.utterances("ami-lhotse/ES2011a")
    >>> [(p.name, round(p.duration_s, 2)) for p in parts]
    [('ami-lhotse/ES2011a#1', 1.36), ('ami-lhotse/ES2011a#2', 1.0)]
    >>> [p.truth.turns[0].text for p in parts]
    ["I'M ABIGAIL CLAFLIN", 'YOU CAN CALL ME ABBIE']
    """
    from rtlab.audio import Audio

    owner = "rtlab.datasets.utterances"
    clip = _clip(clip, "clip", owner)
    gap_ms = _check.number(
        min_turn_gap_ms, "min_turn_gap_ms", owner=owner, low=0.0, high=_MAX_MS, allowed=_MS_ALLOWED
    )
    truth = clip.truth
    _require_timed(clip, owner)
    floor = truth.floor_turns(gap_ms)
    rate = int(clip.audio.sample_rate_hz)
    n_samples = len(clip.audio.samples)
    labelled = bool(truth.speakers)
    out: list[Clip] = []
    for turn in floor:
        s0 = round(turn.start_s * rate)
        s1 = min(round(turn.end_s * rate), n_samples)
        if s0 * 1000.0 / rate < _EDGE_MS or (n_samples - s1) * 1000.0 / rate < _EDGE_MS:
            continue
        if single_speaker and labelled and turn.speaker is None:
            continue
        part = truth.crop(s0 / rate, s1 / rate)
        text = turn.text if turn.text else (truth.transcript if len(floor) == 1 else None)
        one = Turn(0.0, (s1 - s0) / rate, speaker=turn.speaker, text=text)
        part_truth = Annotation(
            part.speech,
            turns=(one,),
            words=part.words,
            transcript=text,
            duration_s=(s1 - s0) / rate,
            source=truth.source,
        )
        audio = Audio(clip.audio.samples[s0:s1], source=f"{clip.audio.source}[{s0}:{s1}]")
        out.append(Clip(name=f"{clip.name}#{len(out) + 1}", audio=audio, truth=part_truth))
    return out


def _composed_source(names: Sequence[str], most: int = 4) -> str:
    """A readable audio source for a composed track: ``"composed of librivox/0870, 0880"``.

    Names sharing a folder with the one before are shortened to their last part; past
    ``most`` names the rest are counted.
    """
    shown: list[str] = []
    folder = None
    for name in names[:most]:
        head, sep, tail = name.rpartition("/")
        shown.append(tail if sep and head == folder else name)
        folder = head if sep else None
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f"composed of {', '.join(shown)}{more}"


def compose(
    clips: Sequence[Clip | str],
    *,
    gaps_ms: float | Sequence[float] | None = None,
    gap_range_ms: tuple[float, float] | None = None,
    noise: Audio | str | None = None,
    snr_db: float | None = None,
    seed: int = 0,
    lead_ms: float = 500.0,
    tail_ms: float = 3000.0,
    name: str | None = None,
) -> Clip:
    """Join real utterances into one track with chosen pauses and exactly known turn ends.

    Each clip contributes one turn: its audio from the start of its first speech span to the
    end of its last (so pass single utterances, e.g. from :func:`utterances`), copied sample
    for sample. Pauses inside an utterance stay inside its turn: they are where a detector
    can cut a speaker off too early. Between turns, and before the first (``lead_ms``) and
    after the last (``tail_ms``), the track is digital silence, or the given noise mixed in
    with :func:`rtlab.noise.mix` (which adds it over the whole track, gaps included).

    Parameters
    ----------
    clips : sequence of Clip or str
        Utterances in order (names are loaded with :func:`load`). Each needs timed speech.
    gaps_ms : float or list of float, optional
        Silence between consecutive turns in ms: one number for every gap, or a list (or
        array) giving each of the ``len(clips) - 1`` gaps. Each gap is rounded to whole
        samples. (A 2-tuple here used to mean a random range: it still does, with a
        ``DeprecationWarning``; write ``gap_range_ms`` for that.)
    gap_range_ms : (low, high), optional
        Gaps drawn uniformly from ``[low, high]`` ms with ``seed``, one per pair of turns.
        The default when neither is given: ``(1500, 3000)``. Give one of ``gaps_ms`` and
        ``gap_range_ms``, not both.
    noise : rtlab.Audio or {"white", "pink", "babble"}, optional
        Background noise, generated with the seed when given by name (see
        :func:`rtlab.noise.mix`).
    snr_db : float, optional
        Speech-to-noise ratio for ``noise`` in dB; required with ``noise``. As everywhere in
        rtlab it compares whole-track powers, pauses included, so while someone speaks the
        ratio is higher (by about 3 dB when half the track is silence).
    seed : int, default 0
        Seeds the gap draw and the noise.
    lead_ms : float >= 0, default 500
        Silence before the first turn.
    tail_ms : float >= 0, default 3000
        Silence after the last turn; keep it longer than the longest ``silence_duration_ms``
        you test, so the last turn's end can be detected.
    name : str, optional
        Default ``"composed/<12 hex digits>"``, a hash of the inputs. The audio's
        ``source`` is this name when given, else a readable list of the clips
        (``"composed of librivox/0870, 0880, 0890"``), which plot titles show.

    Returns
    -------
    Clip
        Truth: one turn per utterance (speaker and text when known; turn starts and ends fall
        on exact sample positions), speech spans and words of each utterance moved into
        place, transcript = the turn texts joined (when every turn has one), ``duration_s`` =
        the track's length.

    Raises
    ------
    rtlab.errors.ConfigError
        Bad gaps, a clip without timed speech, ``noise`` without ``snr_db`` or the reverse.

    Examples
    --------
    >>> import rtlab
    >>> track = rtlab.datasets.compose(
    ...     ["librivox/0880", "librivox/0930", "librivox/0870"], gaps_ms=[700, 1200], tail_ms=1000)
    >>> [round(t.start_s, 3) for t in track.truth.turns], round(track.duration_s, 3)
    ([0.5, 3.723, 7.691], 15.217)
    """
    from rtlab.audio import SAMPLE_RATE_HZ, Audio

    owner = "rtlab.datasets.compose"
    if isinstance(clips, str | Clip) or not isinstance(clips, Sequence):
        raise ConfigError("clips", clips, "a list of Clips or clip names", owner=owner)
    items = [_clip(c, "clips", owner) for c in clips]
    if not items:
        raise ConfigError("clips", clips, "at least one clip", owner=owner)
    rate = int(SAMPLE_RATE_HZ)
    rng = np.random.default_rng(_check.seed(seed, owner=owner))
    gaps = _gaps(_gap_plan(gaps_ms, gap_range_ms, owner), len(items) - 1, rng, owner)
    lead = _samples(lead_ms, "lead_ms", rate, owner)
    tail = _samples(tail_ms, "tail_ms", rate, owner)
    if (noise is None) != (snr_db is None):
        raise ConfigError(
            "snr_db",
            snr_db,
            "a number of dB when noise is given, and None without noise",
            owner=owner,
        )
    if name is not None and not isinstance(name, str):
        raise ConfigError("name", name, "a str or None", owner=owner)
    if noise is not None:
        _check_noise(noise, owner)
        snr_db = _check.number(snr_db, "snr_db", owner=owner, unit="of dB")

    pieces: list[np.ndarray] = [np.zeros(lead, dtype=np.int16)]
    turns, words, speech, texts = [], [], [], []
    pos = lead
    for i, clip in enumerate(items):
        _require_timed(clip, owner)
        if int(clip.audio.sample_rate_hz) != rate:
            raise ConfigError("clips", clip.name, f"clips at {rate} Hz", owner=owner)
        truth = clip.truth
        n_src = len(clip.audio.samples)
        s0 = min(round(truth.speech[0, 0] * rate), n_src)
        s1 = min(round(truth.speech[-1, 1] * rate), n_src)
        piece = np.asarray(clip.audio.samples[s0:s1], dtype=np.int16)
        inner = truth.crop(s0 / rate, s1 / rate)
        at_s = pos / rate
        speech.append(inner.speech + at_s)
        words += [Turn(w.start_s + at_s, w.end_s + at_s, w.speaker, w.text) for w in inner.words]
        text = _text_of(truth)
        texts.append(text)
        speakers = truth.speakers
        turns.append(
            Turn(
                at_s,
                (pos + len(piece)) / rate,
                speaker=speakers[0] if len(speakers) == 1 else None,
                text=text,
            )
        )
        pieces.append(piece)
        pos += len(piece)
        if i < len(gaps):
            pieces.append(np.zeros(gaps[i], dtype=np.int16))
            pos += gaps[i]
    pieces.append(np.zeros(tail, dtype=np.int16))
    samples = np.concatenate(pieces)

    noise_id: Any = None
    if noise is not None:
        noise_id = noise if isinstance(noise, str) else noise.fingerprint
    source = name if name is not None else _composed_source([c.name for c in items])
    if name is None:
        key = json.dumps(
            {
                "clips": [[c.name, c.audio.fingerprint] for c in items],
                "gaps": gaps,
                "lead": lead,
                "tail": tail,
                "noise": noise_id,
                "snr_db": snr_db,
                "seed": seed,
            },
            sort_keys=True,
        )
        name = "composed/" + hashlib.sha1(key.encode()).hexdigest()[:12]
    audio = Audio(samples, source=source)
    if noise is not None:
        audio = _add_noise(audio, noise, float(snr_db), seed, owner)  # type: ignore[arg-type]
    all_speech = np.concatenate(speech) if speech else np.empty((0, 2))
    truth = Annotation(
        all_speech,
        turns=tuple(turns),
        words=tuple(words),
        transcript=" ".join(texts) if all(texts) else None,  # type: ignore[arg-type]
        duration_s=len(samples) / rate,
        source=name,
    )
    return Clip(name=name, audio=audio, truth=truth)


def conversation(
    minutes: float = 5.0,
    *,
    seed: int = 0,
    gaps_ms: float | Sequence[float] | None = None,
    gap_range_ms: tuple[float, float] | None = None,
    noise: Audio | str | None = None,
    snr_db: float | None = None,
    lead_ms: float = 500.0,
    tail_ms: float = 3000.0,
    pool: Sequence[Clip] | None = None,
) -> Clip:
    """Compose at least ``minutes`` of conversation from the shipped real utterances.

    The default pool is every single-speaker turn the shipped clips have with known timing:
    the 5 LibriVox utterances, the 2 AMI-lhotse supervisions and the 10 single-speaker turns
    of the AMI debug excerpts that lie wholly inside their excerpt (:func:`utterances`), about
    33 s of distinct speech. The pool is shuffled with ``seed`` and repeated, a new shuffle
    each round, with gaps drawn again every time, until the track lasts ``minutes``. So a long
    track repeats the same utterances many times (with the default gaps each one comes back
    about once per minute of track: an hour holds about 860 turns and 28 min of speech) with
    varied neighbours and pauses; that is enough to measure turn-end latency and false
    cut-offs across settings, but it is not a wider sample of voices (one LibriVox reader and
    9 AMI speakers).
    For an hour of audio, compose several tracks with different seeds, e.g.
    ``[conversation(5, seed=s) for s in range(12)]``, which also lets sweeps run them in
    parallel.

    Parameters
    ----------
    minutes : float > 0, default 5.0
        Minimum length of the track.
    seed : int, default 0
        Seeds the order, the gaps and the noise.
    gaps_ms, gap_range_ms, noise, snr_db, lead_ms, tail_ms
        As in :func:`compose`. A list of gaps is cycled.
    pool : sequence of Clip, optional
        Utterances to draw from instead of the default pool.

    Returns
    -------
    Clip
        Named ``"composed/conversation-<minutes>min-seed<seed>"`` (plus the noise and SNR
        when noise is given by name).

    Examples
    --------
    >>> import rtlab
    >>> track = rtlab.datasets.conversation(0.5, seed=1)
    >>> track.name, track.duration_s >= 30.0, len(track.truth.turns) >= 8
    ('composed/conversation-0.5min-seed1', True, True)
    """
    owner = "rtlab.datasets.conversation"
    target_s = _check.number(minutes, "minutes", owner=owner, allowed=_MINUTES_ALLOWED) * 60.0
    if not 0 < target_s <= _MAX_MS / 1000.0:
        raise ConfigError("minutes", minutes, _MINUTES_ALLOWED, owner=owner)
    items = list(pool) if pool is not None else _default_pool()
    if not items:
        raise ConfigError("pool", pool, "at least one utterance", owner=owner)
    for clip in items:
        _require_timed(clip, owner)
    lengths = [c.truth.speech[-1, 1] - c.truth.speech[0, 0] for c in items]
    rng = np.random.default_rng(_check.seed(seed, owner=owner))
    rate = SAMPLE_RATE_HZ
    order: list[int] = []
    gaps: list[float] = []
    total_s = (
        _samples(lead_ms, "lead_ms", rate, owner) + _samples(tail_ms, "tail_ms", rate, owner)
    ) / rate
    plan = _gap_plan(gaps_ms, gap_range_ms, owner)
    while total_s < target_s:
        for k in rng.permutation(len(items)):
            if order:
                gap = plan.draw(len(gaps), rng)
                gaps.append(gap)
                total_s += gap / 1000.0
            order.append(int(k))
            total_s += lengths[k]
            if total_s >= target_s:
                break
    name = f"composed/conversation-{minutes:g}min-seed{seed}"
    if isinstance(noise, str):
        name += f"-{noise}-{snr_db:g}dB"
    elif noise is not None:
        name += f"-noise{noise.fingerprint[:8]}-{snr_db:g}dB"
    return compose(
        [items[k] for k in order],
        gaps_ms=gaps,
        noise=noise,
        snr_db=snr_db,
        seed=seed,
        lead_ms=lead_ms,
        tail_ms=tail_ms,
        name=name,
    )


# --------------------------------------------------------------------------------------
# helpers


def _entry(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    by_name = {e["name"]: e for e in manifest["clips"]}
    if name in by_name:
        return by_name[name]
    names = sorted(by_name)
    close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.5)
    hint = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise ConfigError(
        "name",
        name,
        "the name of a shipped clip",
        owner="rtlab.datasets.load",
        fix=f"{hint}Available: {', '.join(names)}.",
    )


def _truth(folder: Path, entry: dict[str, Any], duration_s: float) -> Annotation:
    """Combine the annotation files a manifest entry names into one Annotation."""
    spec = entry.get("truth", {})
    source = entry["name"]
    timed: Annotation | None = None
    if "rttm" in spec:
        timed = read_rttm(folder / spec["rttm"], uri=spec.get("uri"))
        source = f"{spec['rttm']}#{spec['uri']}" if spec.get("uri") else spec["rttm"]
    elif "lhotse" in spec:
        timed = read_lhotse(folder / spec["lhotse"], cut_id=spec.get("cut_id"))
        source = spec["lhotse"]
    elif "csv" in spec:
        timed = _read_csv(folder / spec["csv"])
        source = spec["csv"]
    elif "lab" in spec:
        timed = read_lab(folder / spec["lab"], duration_s=duration_s)
        source = spec["lab"]
    words = read_words(folder / spec["words"]).words if "words" in spec else ()
    transcript = None
    if "transcript" in spec:
        transcript = read_transcript(folder / spec["transcript"]).transcript
    elif "text" in spec:
        transcript = " ".join(str(spec["text"]).split()) or None
    if timed is None:
        return Annotation(
            np.empty((0, 2)),
            transcript=transcript,
            duration_s=duration_s,
            source=spec.get("transcript", source),
            speech_known=False,
        )
    turns = timed.turns
    if transcript is not None and len(turns) == 1 and turns[0].text is None:
        only = turns[0]
        turns = (Turn(only.start_s, only.end_s, speaker=only.speaker, text=transcript),)
    return Annotation(
        timed.speech,
        turns=turns,
        words=words,
        transcript=transcript if transcript is not None else timed.transcript,
        duration_s=duration_s,
        source=source,
    )


def _default_pool() -> list[Clip]:
    pool: list[Clip] = []
    for pattern in ("librivox/*", "ami-lhotse/*", "ami-debug/*"):
        for clip in load_all(pattern):
            pool += utterances(clip)
    return pool


def _require_timed(clip: Clip, owner: str) -> None:
    if not clip.truth.speech_known or not len(clip.truth.speech):
        raise ConfigError(
            "clips",
            clip.name,
            "clips with timed speech in their truth",
            owner=owner,
            fix="A clip with a transcript only (like 'jfk') has no speech times to cut at.",
        )


def _text_of(truth: Annotation) -> str | None:
    if truth.transcript:
        return truth.transcript
    texts = [t.text for t in truth.turns if t.text]
    return " ".join(texts) if texts else None


# The longest pause, lead, tail or composed conversation accepted: one hour.
_MAX_MS = 3_600_000.0
_MINUTES_ALLOWED = "a length in minutes in (0, 60]"
_MS_ALLOWED = "a duration in ms in [0, 3600000]"
_GAPS_ALLOWED = "a number of ms in [0, 3600000], or a list of such numbers"


def _name(value: Any, field: str, owner: str) -> str:
    """A clip name or pattern: a str (checked before any dict lookup, which needs a hash)."""
    if not isinstance(value, str):
        raise ConfigError(
            field, value, "a str naming shipped clips, e.g. 'librivox/0870'", owner=owner
        )
    return value


def _clip(value: Any, field: str, owner: str) -> Clip:
    """A Clip, or the name of a shipped one (loaded)."""
    if isinstance(value, Clip):
        return value
    if isinstance(value, str):
        return load(value)
    raise ConfigError(field, value, "a Clip or the name of a shipped clip", owner=owner)


def _check_noise(noise: Any, owner: str) -> None:
    from rtlab.audio import Audio

    if (isinstance(noise, str) and noise not in _NOISE_KINDS) or not isinstance(noise, str | Audio):
        raise ConfigError("noise", noise, f"an rtlab.Audio or one of {_NOISE_KINDS}", owner=owner)


def _samples(ms: Any, name: str, rate: int, owner: str) -> int:
    value = _check.number(ms, name, owner=owner, low=0.0, high=_MAX_MS, allowed=_MS_ALLOWED)
    return round(value * rate / 1000.0)


@dataclass(frozen=True)
class _GapPlan:
    """How the pauses between turns are chosen: given values (cycled) or a random range."""

    values: tuple[float, ...] = ()
    each: bool = False  # the values are a list giving every gap (not one number for all)
    low_high: tuple[float, float] | None = None

    def draw(self, index: int, rng: np.random.Generator) -> float:
        if self.low_high is None:
            return self.values[index % len(self.values)]
        return float(rng.uniform(*self.low_high))


def _gap_plan(gaps_ms: Any, gap_range_ms: Any, owner: str) -> _GapPlan:
    """The one place ``gaps_ms`` / ``gap_range_ms`` are checked (for compose and conversation)."""
    if gaps_ms is not None and gap_range_ms is not None:
        raise ConfigError(
            "gap_range_ms",
            gap_range_ms,
            "None when gaps_ms is given (a random range or given gaps, not both)",
            owner=owner,
        )
    if isinstance(gaps_ms, tuple) and len(gaps_ms) == 2:
        plan = _gap_range(gaps_ms, "gaps_ms", owner)  # checked first: a bad one is an error
        warnings.warn(
            f"{owner}(gaps_ms=(low, high)) draws the gaps from a range; write "
            "gap_range_ms=(low, high) for that, or a list [a, b] for two given gaps. "
            "A 2-tuple in gaps_ms will be refused in a future version.",
            DeprecationWarning,
            stacklevel=3,
        )
        return plan
    if gaps_ms is None:
        default = (1500.0, 3000.0) if gap_range_ms is None else gap_range_ms
        return _gap_range(default, "gap_range_ms", owner)

    def gap(value: Any) -> float:  # an error names the whole gaps_ms, not just one element
        try:
            return _check.number(value, "gaps_ms", owner=owner, low=0.0, high=_MAX_MS)
        except ConfigError as err:
            raise ConfigError("gaps_ms", gaps_ms, _GAPS_ALLOWED, owner=owner) from err

    if not isinstance(gaps_ms, Sequence | np.ndarray):
        return _GapPlan((gap(gaps_ms),))
    if isinstance(gaps_ms, str) or not len(gaps_ms):
        raise ConfigError("gaps_ms", gaps_ms, _GAPS_ALLOWED, owner=owner)
    return _GapPlan(tuple(gap(g) for g in gaps_ms), each=True)


def _gap_range(value: Any, field: str, owner: str) -> _GapPlan:
    allowed = f"a (low, high) pair of ms with 0 <= low <= high <= {_MAX_MS:.0f}"
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ConfigError(field, value, allowed, owner=owner)
    try:
        low, high = (_check.number(v, field, owner=owner, low=0.0, high=_MAX_MS) for v in value)
    except ConfigError as err:
        raise ConfigError(field, value, allowed, owner=owner) from err
    if low > high:
        raise ConfigError(field, value, allowed, owner=owner)
    return _GapPlan(low_high=(low, high))


def _gaps(plan: _GapPlan, count: int, rng: np.random.Generator, owner: str) -> list[int]:
    """Gaps between ``count + 1`` turns, in samples at 24 kHz."""
    if plan.each and len(plan.values) != count:
        raise ConfigError(
            "gaps_ms",
            list(plan.values),
            f"a list of {count} gaps (one between each pair of the {count + 1} clips)",
            owner=owner,
        )
    return [round(plan.draw(i, rng) * SAMPLE_RATE_HZ / 1000.0) for i in range(count)]


def _add_noise(audio: Audio, noise: Audio | str, snr_db: float, seed: int, owner: str) -> Audio:
    from rtlab import noise as noise_module

    _check_noise(noise, owner)
    return noise_module.mix(audio, noise, snr_db=snr_db, seed=seed)
