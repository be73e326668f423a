"""Clips from where you keep your corpora: lhotse, pyannote.database, Hugging Face, a folder.

Each function returns a list of :class:`rtlab.datasets.Clip` (audio as 24 kHz mono int16
:class:`rtlab.Audio`, truth as an :class:`rtlab.annotation.Annotation` in seconds from the
start of the clip), ready for :func:`rtlab.sweep`, :func:`rtlab.datasets.compose` or the
widgets:

- :func:`from_lhotse`: the cuts of a lhotse ``CutSet``; supervisions become turns.
- :func:`from_pyannote`: the files of one subset of a ``pyannote.database`` protocol; the
  reference ``annotation`` becomes turns.
- :func:`from_huggingface`: the rows of a Hugging Face ``datasets.Dataset`` with an audio
  column (and, when present, turn timestamps, speakers and text).
- :func:`from_folder`: audio files with a truth file beside each by name (``call.wav`` +
  ``call.csv`` / ``.rttm`` / ``.txt`` / ``.lab`` / ``.json``), read with
  :func:`rtlab.read_annotation`; :func:`from_files` does the same for a list of files (or
  takes their truth files as given), as a command line does.

The libraries are imported only inside the function that needs them (``pip install
rtlab[corpora]`` installs all three); :func:`from_folder` needs none. Every clip is loaded
into memory: pass a slice or a filtered corpus for large ones.

Examples
--------
>>> import rtlab
>>> from rtlab import corpora
>>> clips = corpora.from_folder(rtlab.datasets.root() / "librivox_pocketsphinx")
>>> len(clips), clips[0].name[-4:], clips[0].truth.kinds
(5, '0870', ('speech', 'turns', 'words', 'transcript'))
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import _check
from rtlab.annotation import (
    MIN_TURN_GAP_MS,
    Annotation,
    Turn,
    read_annotation,
    read_lab,
    read_rttm_all,
)
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rtlab._clip import Clip

__all__ = ["AUDIO_SUFFIXES", "TRUTH_SUFFIXES", "from_folder", "from_huggingface",
           "from_lhotse", "from_pyannote"]  # fmt: skip

#: Audio files :func:`from_folder` picks up (compared case-insensitively).
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".aiff", ".aif")
#: Truth files :func:`from_folder` looks for beside each audio file, in this order; the first
#: one with timing wins, a plain-text transcript (``.txt``) and word timings
#: (``.words.csv`` / ``.words.json``) are added to it.
TRUTH_SUFFIXES = (".rttm", ".csv", ".lab", ".txt", ".json")
_WORD_SUFFIXES = (".words.csv", ".words.json")
# Column names of the Hugging Face speaker-diarization datasets (e.g. diarizers-community).
_HF_STARTS, _HF_ENDS, _HF_SPEAKERS = "timestamps_start", "timestamps_end", "speakers"


def _clip(name: str, audio: Any, truth: Annotation) -> Clip:
    from rtlab._clip import Clip

    if truth.duration_s is None:
        truth = replace(truth, duration_s=float(audio.duration_s))
    return Clip(name=name, audio=audio, truth=truth)


def _no_timing(duration_s: float, transcript: str | None, source: str) -> Annotation:
    return Annotation(
        np.empty((0, 2)),
        transcript=transcript,
        duration_s=duration_s,
        source=source,
        speech_known=False,
    )


def _segments(
    rows: Sequence[tuple[float, float, str | None, str | None]],
    *,
    duration_s: float,
    source: str,
    transcript: str | None = None,
) -> Annotation:
    """An annotation from (start_s, end_s, speaker, text) rows, clipped to [0, duration_s].

    Rows are kept as turns exactly (overlaps allowed, speaker ``None`` when unknown); rows
    wholly outside the audio are dropped.
    """
    kept = []
    for start, end, speaker, text in rows:
        # rounded to 1 ns, as the file readers do, so that 18.705 + 0.964 is 19.669
        lo, hi = max(0.0, round(float(start), 9)), min(round(float(end), 9), duration_s)
        if hi > lo:
            kept.append((lo, hi, speaker, text))
    spans = np.array([(s, e) for s, e, _, _ in kept], dtype=np.float64).reshape(-1, 2)
    texts = [t for *_, t in kept]
    truth = Annotation.from_segments(
        spans,
        speakers=[s for _, _, s, _ in kept],
        texts=texts if any(t for t in texts) else None,
        transcript=transcript,
        duration_s=duration_s,
        source=source,
    )
    return truth


def _gap(min_turn_gap_ms: Any, owner: str) -> float:
    return _check.number(min_turn_gap_ms, "min_turn_gap_ms", owner=owner, low=0.0, unit="ms")


# --------------------------------------------------------------------------------------
# lhotse


def from_lhotse(cuts: Iterable[Any]) -> list[Clip]:
    """One clip per cut of a lhotse ``CutSet``, its supervisions as the true turns.

    Each cut's audio is loaded with ``cut.load_audio()`` (only the cut's stretch of the
    recording, all its channels mixed to mono) and converted to 24 kHz. Each supervision
    becomes a :class:`~rtlab.annotation.Turn` with its ``speaker`` and ``text``, in seconds
    from the start of the cut, clipped to the cut (lhotse lets supervisions run past it);
    ``speech`` is the union of the supervisions. A cut without supervisions gets an
    annotation without timing (``speech_known=False``): lhotse cannot tell "silent" from
    "not annotated".

    Parameters
    ----------
    cuts : lhotse.CutSet or iterable of lhotse cuts
        E.g. ``CutSet.from_file("cuts.jsonl.gz")``, or a filtered / sliced one.

    Returns
    -------
    list of Clip
        Named by ``cut.id``, in the order of ``cuts``.

    Raises
    ------
    rtlab.errors.ConfigError
        If an item is not a lhotse cut, or two cuts share an id.

    Examples
    --------
    The AMI manifest shipped with rtlab, its recording pointed at the shipped file:

    >>> import json, rtlab
    >>> from lhotse import CutSet
    >>> folder = rtlab.datasets.root() / "ami_lhotse"
    >>> manifest = json.loads((folder / "ami_cuts.json").read_text())
    >>> wav = folder / "ES2011a.Headset-0-40s-46s.wav"
    >>> manifest[0]["recording"]["sources"][0]["source"] = str(wav)
    >>> (clip,) = rtlab.corpora.from_lhotse(CutSet.from_dicts(manifest))
    >>> clip.duration_s, [(t.start_s, t.end_s, t.text) for t in clip.truth.turns]
    (6.0, [(1.46, 2.82, "I'M ABIGAIL CLAFLIN"), (3.36, 4.36, 'YOU CAN CALL ME ABBIE')])
    """
    owner = "rtlab.corpora.from_lhotse"
    from rtlab.audio import load_audio

    if isinstance(cuts, str | os.PathLike) or not isinstance(cuts, Iterable):
        raise ConfigError(
            "cuts",
            cuts,
            "a lhotse CutSet (or an iterable of cuts)",
            owner=owner,
            fix="Load a manifest first: lhotse.CutSet.from_file(path).",
        )
    out: list[Clip] = []
    seen: set[str] = set()
    for cut in cuts:
        if not all(hasattr(cut, a) for a in ("id", "load_audio", "supervisions", "duration")):
            raise ConfigError("cuts", type(cut).__name__, "lhotse cuts", owner=owner)
        name = str(cut.id)
        if name in seen:
            raise ConfigError("cuts", name, "cuts with distinct ids", owner=owner)
        seen.add(name)
        samples = np.asarray(cut.load_audio())
        audio = load_audio(
            samples.T if samples.ndim == 2 else samples,
            sample_rate_hz=float(cut.sampling_rate),
            source=name,
        )
        duration_s = float(audio.duration_s)
        rows = [
            (float(s.start), round(float(s.start) + float(s.duration), 9), s.speaker, s.text)
            for s in cut.supervisions
        ]
        if rows:
            truth = _segments(rows, duration_s=duration_s, source=f"lhotse#{name}")
        else:
            truth = _no_timing(duration_s, None, f"lhotse#{name}")
        out.append(_clip(name, audio, truth))
    return out


# --------------------------------------------------------------------------------------
# pyannote.database


def _pyannote_audio(file: Any) -> Any:
    """The file's audio path: its "audio" key, else found with the registry's FileFinder."""
    try:
        return file["audio"]
    except KeyError:
        from pyannote.database import FileFinder

        return FileFinder()(file)


def from_pyannote(protocol: Any, subset: Literal["train", "development", "test"] = "test"
                  ) -> list[Clip]:  # fmt: skip
    """One clip per file of a ``pyannote.database`` protocol subset, with its reference turns.

    Each file's ``"audio"`` is loaded with :func:`rtlab.load_audio` (when the protocol has no
    ``audio`` preprocessor, the path comes from ``pyannote.database.FileFinder``, i.e. the
    ``Databases:`` templates of the loaded database.yml) and its ``"annotation"``
    (a :class:`pyannote.core.Annotation`) becomes one turn per track, labelled with the
    speaker, kept as given (turns of different speakers may overlap). Turns are clipped to
    the file's ``"annotated"`` region when the protocol has one; outside it the truth says
    nothing, so a clip covers exactly the annotated extent (from its first annotated second
    to its last, times shifted to start at 0) when that is shorter than the audio.

    Parameters
    ----------
    protocol : pyannote.database protocol
        E.g. ``registry.get_protocol("AMI.SpeakerDiarization.mini")`` (after
        ``registry.load_database("database.yml")``), with a ``"audio"`` key per file (a
        preprocessor or the database.yml ``Databases:`` entry provides it).
    subset : {"train", "development", "test"}, default "test"

    Returns
    -------
    list of Clip
        Named by the file's ``uri``, in the protocol's order.

    Raises
    ------
    rtlab.errors.ConfigError
        Unknown subset, or a file without ``"audio"`` or ``"annotation"``.

    Examples
    --------
    A database.yml over two of the shipped AMI excerpts and their RTTM:

    >>> import pathlib, tempfile, rtlab
    >>> from pyannote.database import registry
    >>> ami = rtlab.datasets.root() / "ami_pyannote_debug"
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "test.lst").write_text("dev00\\ndev01\\n")
    >>> yml = [
    ...     "Databases:", f"  AmiExcerpts: {ami}/{{uri}}.wav",
    ...     "Protocols:", "  AmiExcerpts:", "    SpeakerDiarization:", "      Meetings:",
    ...     "        scope: file", "        test:", "          uri: test.lst",
    ...     f"          annotation: {ami}/debug.rttm"]
    >>> _ = (folder / "database.yml").write_text("\\n".join(yml))
    >>> registry.load_database(str(folder / "database.yml"))
    >>> protocol = registry.get_protocol("AmiExcerpts.SpeakerDiarization.Meetings")
    >>> clips = rtlab.corpora.from_pyannote(protocol, subset="test")
    >>> [(c.name, round(c.duration_s, 1), len(c.truth.turns)) for c in clips]
    [('dev00', 30.0, 9), ('dev01', 30.0, 8)]
    """
    owner = "rtlab.corpora.from_pyannote"
    from rtlab.audio import load_audio

    subset = _check.choice(subset, "subset", ("train", "development", "test"), owner=owner)
    files = getattr(protocol, subset, None)
    if not callable(files):
        raise ConfigError(
            "protocol", protocol, "a pyannote.database protocol (with .test() etc.)", owner=owner
        )
    out: list[Clip] = []
    for file in files():
        uri = str(file["uri"])
        found: dict[str, Any] = {}
        for key in ("audio", "annotation"):
            try:  # a ProtocolFile computes some keys on access ("in" does not see them)
                found[key] = file[key] if key != "audio" else _pyannote_audio(file)
            except (KeyError, ValueError) as err:
                raise ConfigError(
                    "protocol",
                    uri,
                    f"files with an {key!r} key",
                    owner=owner,
                    fix="Give the database an audio path template in database.yml "
                    "(Databases: Name: path/{uri}.wav)."
                    if key == "audio"
                    else "Use a protocol with reference annotations.",
                ) from err
        audio = load_audio(os.fspath(found["audio"]), source=uri)
        lo, hi = 0.0, float(audio.duration_s)
        annotated = file.get("annotated") if hasattr(file, "get") else None
        if annotated is not None:
            extent = annotated.extent()
            if extent.duration > 0:
                lo, hi = max(lo, float(extent.start)), min(hi, float(extent.end))
        rate = int(audio.sample_rate_hz)
        s0, s1 = round(lo * rate), round(hi * rate)
        if (s0, s1) != (0, audio.n_samples):
            audio = audio[s0 / rate : s1 / rate]
            lo = s0 / rate
        rows = [
            (seg.start - lo, seg.end - lo, str(label), None)
            for seg, _track, label in found["annotation"].itertracks(yield_label=True)
        ]
        truth = _segments(
            rows,
            duration_s=float(audio.duration_s),
            source=f"{getattr(protocol, 'name', '')}#{uri}",
        )
        out.append(_clip(uri, audio, truth))
    return out


# --------------------------------------------------------------------------------------
# Hugging Face datasets


def _hf_audio(value: Any, name: str, owner: str) -> Any:
    """An rtlab Audio from one cell of an audio column, decoded by rtlab (no torchcodec)."""
    from rtlab.audio import load_audio

    if isinstance(value, Mapping):
        if value.get("array") is not None:
            return load_audio(
                np.asarray(value["array"]),
                sample_rate_hz=float(value["sampling_rate"]),
                source=name,
            )
        if value.get("bytes"):
            return load_audio(bytes(value["bytes"]), source=name)
        if value.get("path"):
            return load_audio(value["path"], source=name)
    raise ConfigError(
        "audio",
        type(value).__name__,
        "an audio column (a datasets.Audio feature, or dicts with 'array' and 'sampling_rate')",
        owner=owner,
    )


def from_huggingface(
    dataset: Any,
    audio: str = "audio",
    *,
    starts: str = _HF_STARTS,
    ends: str = _HF_ENDS,
    speakers: str | None = _HF_SPEAKERS,
    text: str | None = None,
    name: str | None = None,
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> list[Clip]:
    """One clip per row of a Hugging Face ``datasets.Dataset`` with an audio column.

    The audio column is read undecoded (``cast_column(audio, Audio(decode=False))``) and
    decoded by :func:`rtlab.load_audio`, so no torchcodec / ffmpeg is needed; a column of
    plain ``{"array", "sampling_rate"}`` dicts works too.

    Truth, from the row's other columns:

    - timing: lists of turn starts and ends in seconds (``starts`` / ``ends``; the defaults
      are the columns of the Hugging Face speaker-diarization datasets), with one speaker
      per turn (``speakers``) when that column exists. Without ``speakers`` the turns are
      the spans bridged across silences shorter than ``min_turn_gap_ms``;
    - ``text``: the clip's transcript (and the text of its turn when it has exactly one).

    A dataset without the timing columns gives clips whose truth has no timing
    (``speech_known=False``): draft it with :func:`rtlab.drafting.draft_truth` and correct
    it in :class:`rtlab.widgets.Annotator`.

    Parameters
    ----------
    dataset : datasets.Dataset
        A loaded split (not a ``DatasetDict``: pick one, e.g. ``ds["test"]``). Streaming
        (``IterableDataset``) works too.
    audio : str, default "audio"
        The audio column.
    starts, ends : str, default "timestamps_start", "timestamps_end"
        Columns of per-row lists of turn starts and ends, in seconds. Used when present; a
        name other than the default must exist.
    speakers : str or None, default "speakers"
        Column of per-row lists of speaker labels, one per turn (used when present).
    text : str, optional
        Column holding the row's transcript.
    name : str, optional
        Column naming each clip; default the audio file's name, else ``"row<k>"``.
    min_turn_gap_ms : float >= 0, default 500
        For timing without speakers: silences shorter than this stay inside a turn.

    Returns
    -------
    list of Clip

    Raises
    ------
    rtlab.errors.ConfigError
        A missing column, a ``DatasetDict``, turn lists of different lengths.

    Examples
    --------
    >>> import rtlab
    >>> from datasets import Dataset
    >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
    >>> ds = Dataset.from_list([{
    ...     "audio": {"array": clip.audio.samples / 32768.0, "sampling_rate": 24000},
    ...     "timestamps_start": [1.46, 3.36], "timestamps_end": [2.82, 4.36],
    ...     "speakers": ["A", "B"], "id": "ES2011a"}])
    >>> (mine,) = rtlab.corpora.from_huggingface(ds, name="id")
    >>> mine.name, [(t.start_s, t.end_s, t.speaker) for t in mine.truth.turns]
    ('ES2011a', [(1.46, 2.82, 'A'), (3.36, 4.36, 'B')])
    """
    owner = "rtlab.corpora.from_huggingface"
    gap_ms = _gap(min_turn_gap_ms, owner)
    columns = getattr(dataset, "column_names", None)
    if isinstance(columns, Mapping) or columns is None:
        raise ConfigError(
            "dataset",
            type(dataset).__name__,
            "a datasets.Dataset (one split)",
            owner=owner,
            fix=f"Pick a split, e.g. dataset[{next(iter(columns), 'test')!r}]."
            if isinstance(columns, Mapping)
            else None,
        )
    columns = list(columns)
    for field, value in (("audio", audio), ("text", text), ("name", name)):
        if value is not None and value not in columns:
            raise ConfigError(field, value, f"one of the columns {columns}", owner=owner)
    for field, value, default in (("starts", starts, _HF_STARTS), ("ends", ends, _HF_ENDS)):
        if value != default and value not in columns:
            raise ConfigError(field, value, f"one of the columns {columns}", owner=owner)
    timed = starts in columns and ends in columns
    labelled = speakers is not None and speakers in columns

    features = getattr(dataset, "features", None) or {}
    feature = features.get(audio)
    if type(feature).__name__ == "Audio" and getattr(feature, "decode", False):
        # (mypy may take a checkout's datasets/ folder for this package)
        from datasets import Audio as HFAudio  # type: ignore[attr-defined]

        dataset = dataset.cast_column(audio, HFAudio(decode=False))

    out: list[Clip] = []
    for k, row in enumerate(dataset):
        cell = row[audio]
        label = str(row[name]) if name is not None else None
        if label is None and isinstance(cell, Mapping) and cell.get("path"):
            label = Path(str(cell["path"])).stem
        label = label or f"row{k}"
        clip_audio = _hf_audio(cell, label, owner)
        duration_s = float(clip_audio.duration_s)
        transcript = (" ".join(str(row[text]).split()) or None) if text is not None else None
        source = f"huggingface#{label}"
        if not timed:
            out.append(_clip(label, clip_audio, _no_timing(duration_s, transcript, source)))
            continue
        begin, end = list(row[starts] or []), list(row[ends] or [])
        who = list(row[speakers] or []) if labelled else [None] * len(begin)
        if not len(begin) == len(end) == len(who):
            raise ConfigError(
                f"row {k}",
                f"{len(begin)} starts, {len(end)} ends, {len(who)} speakers",
                "as many starts, ends and speakers",
                owner=owner,
            )
        if labelled:
            rows = [(float(s), float(e), None if p is None else str(p), None)
                    for s, e, p in zip(begin, end, who, strict=True)]  # fmt: skip
            truth = _segments(rows, duration_s=duration_s, source=source, transcript=transcript)
        else:
            spans = np.array(list(zip(begin, end, strict=True)), dtype=np.float64).reshape(-1, 2)
            spans = np.clip(spans, 0.0, duration_s)
            truth = Annotation.from_segments(
                spans[spans[:, 1] > spans[:, 0]],
                min_turn_gap_ms=gap_ms,
                transcript=transcript,
                duration_s=duration_s,
                source=source,
            )
        if transcript is not None and len(truth.turns) == 1 and truth.turns[0].text is None:
            only = truth.turns[0]
            truth = replace(
                truth, turns=(Turn(only.start_s, only.end_s, only.speaker, transcript),)
            )
        out.append(_clip(label, clip_audio, truth))
    return out


# --------------------------------------------------------------------------------------
# a folder


def _truth_beside(audio_path: Path, duration_s: float, gap_ms: float, owner: str) -> Annotation:
    """The truth files named like ``audio_path`` (see :data:`TRUTH_SUFFIXES`), combined."""
    stem = audio_path.with_suffix("")
    timed: Annotation | None = None
    transcript: str | None = None
    words: tuple[Turn, ...] = ()
    for suffix in _WORD_SUFFIXES:
        path = stem.with_name(stem.name + suffix)
        if path.is_file() and not words:
            words = read_annotation(path, min_turn_gap_ms=gap_ms).words
    for suffix in TRUTH_SUFFIXES:
        path = stem.with_name(stem.name + suffix)
        if not path.is_file():
            continue
        if suffix == ".rttm":
            every = read_rttm_all(path)
            if stem.name in every:
                found = every[stem.name]
            elif len(every) == 1:
                found = next(iter(every.values()))
            else:
                raise ConfigError(
                    str(path),
                    sorted(every),
                    f"an RTTM file with recording {stem.name!r} (or only one recording)",
                    owner=owner,
                )
        elif suffix == ".lab":
            found = read_lab(path, duration_s=duration_s, min_turn_gap_ms=gap_ms)
        else:
            found = read_annotation(path, min_turn_gap_ms=gap_ms)
        if not found.speech_known:
            transcript = transcript or found.transcript
        elif timed is None:
            timed = found
    if timed is None:
        if words:
            spans = np.array([(w.start_s, w.end_s) for w in words]).reshape(-1, 2)
            timed = Annotation.from_segments(spans, min_turn_gap_ms=gap_ms, words=words)
        else:
            return _no_timing(duration_s, transcript, stem.name)
    turns = timed.turns
    if transcript is not None and len(turns) == 1 and turns[0].text is None:
        only = turns[0]
        turns = (Turn(only.start_s, only.end_s, speaker=only.speaker, text=transcript),)
    return Annotation(
        timed.speech,
        turns=turns,
        words=words or timed.words,
        transcript=transcript if transcript is not None else timed.transcript,
        duration_s=timed.duration_s if timed.duration_s is not None else duration_s,
        source=timed.source,
    )


def from_folder(
    path: str | os.PathLike[str],
    *,
    pattern: str = "*",
    missing: Literal["keep", "skip", "error"] = "keep",
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> list[Clip]:
    """One clip per audio file in a folder, with the truth files beside it by name.

    For ``call.wav`` the truth is read from ``call.rttm``, ``call.csv``, ``call.lab``,
    ``call.txt`` or ``call.json`` (:data:`TRUTH_SUFFIXES`, with
    :func:`rtlab.read_annotation`; the first that has timing wins). A plain-text ``call.txt``
    adds the transcript, ``call.words.csv`` / ``call.words.json`` the word timings. An RTTM
    file holding several recordings gives the one whose ``uri`` is the file's stem.

    Parameters
    ----------
    path : str or Path
        The folder.
    pattern : str, default "*"
        :meth:`pathlib.Path.glob` pattern selecting the audio files, e.g. ``"calls_*"`` or
        ``"**/*"`` to look in subfolders. Only :data:`AUDIO_SUFFIXES` are read.
    missing : {"keep", "skip", "error"}, default "keep"
        An audio file without truth: keep it with a truth that has no timing (to draft
        one with :func:`rtlab.drafting.draft_truth`), skip it, or raise.
    min_turn_gap_ms : float >= 0, default 500
        For truth files of speech spans only: silences shorter than this stay in a turn.

    Returns
    -------
    list of Clip
        Sorted by name: the file's path relative to ``path``, without its suffix.

    Raises
    ------
    rtlab.errors.ConfigError
        The folder does not exist or holds no audio file matching ``pattern``; a truth
        file is missing (with ``missing="error"``) or malformed.

    Examples
    --------
    >>> import rtlab
    >>> clips = rtlab.corpora.from_folder(rtlab.datasets.root() / "ami_pyannote_debug",
    ...                                   pattern="dev*")
    >>> [(c.name, len(c.truth.turns), c.truth.speakers[:2]) for c in clips]
    [('dev00', 9, ('MEE009', 'MEE012')), ('dev01', 8, ('MEE009', 'MEE012'))]
    >>> clips[0].truth == rtlab.datasets.load("ami-debug/dev00").truth
    True
    """
    owner = "rtlab.corpora.from_folder"
    if not isinstance(path, str | os.PathLike):
        raise ConfigError("path", path, "a folder path", owner=owner)
    folder = Path(path)
    if not folder.is_dir():
        raise ConfigError("path", str(path), "an existing folder", owner=owner)
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError("pattern", pattern, "a glob pattern such as '*' or '**/*'", owner=owner)
    missing = _check.choice(missing, "missing", ("keep", "skip", "error"), owner=owner)
    gap_ms = _gap(min_turn_gap_ms, owner)
    files = sorted(
        p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )
    if not files:
        raise ConfigError(
            "path",
            str(folder),
            f"a folder holding audio files ({', '.join(AUDIO_SUFFIXES)}) matching {pattern!r}",
            owner=owner,
        )
    out: list[Clip] = []
    for file in files:
        name = file.relative_to(folder).with_suffix("").as_posix()
        clip = _clip_of_file(file, name, None, gap_ms, missing, owner)
        if clip is not None:
            out.append(clip)
    return out


def _clip_of_file(
    file: Path, name: str, truth_file: Path | None, gap_ms: float, missing: str, owner: str
) -> Clip | None:
    from rtlab.audio import load_audio

    audio = load_audio(file)
    duration_s = float(audio.duration_s)
    if truth_file is not None:
        if truth_file.suffix.lower() == ".lab":
            truth = read_lab(truth_file, duration_s=duration_s, min_turn_gap_ms=gap_ms)
        else:
            truth = read_annotation(truth_file, uri=file.stem, min_turn_gap_ms=gap_ms)
    else:
        truth = _truth_beside(file, duration_s, gap_ms, owner)
    if not truth.speech_known and missing != "keep":
        if missing == "skip":
            return None
        raise ConfigError(
            "path",
            str(file),
            "an audio file with a truth file beside it",
            owner=owner,
            fix=f"Add {file.with_suffix('.csv').name} (start_s,end_s,speaker rows), or "
            "pass missing='keep' and draft the truth with rtlab.drafting.draft_truth.",
        )
    return _clip(name, audio, truth)


def from_files(
    files: Sequence[str | os.PathLike[str]],
    *,
    truth: Sequence[str | os.PathLike[str]] | None = None,
    missing: Literal["keep", "skip", "error"] = "keep",
    min_turn_gap_ms: float = MIN_TURN_GAP_MS,
) -> list[Clip]:
    """One clip per audio file, with its truth file given or found beside it by name.

    Parameters
    ----------
    files : sequence of str or Path
        Audio files, anywhere.
    truth : sequence of str or Path, optional
        One truth file per audio file, in the same order (any file
        :func:`rtlab.read_annotation` reads; an RTTM file holding several recordings gives
        the one named like the audio file). Default: the truth files beside each audio file,
        as in :func:`from_folder`.
    missing : {"keep", "skip", "error"}, default "keep"
        An audio file without truth (only when ``truth`` is not given): as in
        :func:`from_folder`.
    min_turn_gap_ms : float >= 0, default 500
        For truth files of speech spans only: silences shorter than this stay in a turn.

    Returns
    -------
    list of Clip
        In the order given, named by each file's stem.

    Raises
    ------
    FileNotFoundError
        An audio file does not exist.
    rtlab.errors.ConfigError
        ``truth`` of another length than ``files``, two files with the same stem, a missing
        truth file (with ``missing="error"``) or a malformed one.

    Examples
    --------
    >>> import rtlab
    >>> ami = rtlab.datasets.root() / "ami_pyannote_debug"
    >>> clips = rtlab.corpora.from_files([ami / "trn02.wav"], truth=[ami / "trn02.turns.csv"])
    >>> clips[0].name, clips[0].truth.speakers
    ('trn02', ('FEO066',))
    """
    owner = "rtlab.corpora.from_files"
    if isinstance(files, str | os.PathLike) or not isinstance(files, Sequence) or not files:
        raise ConfigError("files", files, "a non-empty list of audio file paths", owner=owner)
    paths = [Path(f) for f in files]
    truth_paths: list[Path | None] = [None] * len(paths)
    if truth is not None:
        if isinstance(truth, str | os.PathLike) or len(truth) != len(paths):
            raise ConfigError(
                "truth", truth, f"a list of {len(paths)} truth files, one per audio file",
                owner=owner,
            )  # fmt: skip
        truth_paths = [Path(t) for t in truth]
    missing = _check.choice(missing, "missing", ("keep", "skip", "error"), owner=owner)
    gap_ms = _gap(min_turn_gap_ms, owner)
    stems = [p.stem for p in paths]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise ConfigError(
            "files", twice, "files with distinct names", owner=owner,
            fix="Rename them, or load each folder with from_folder().",
        )  # fmt: skip
    out = []
    for path, truth_path in zip(paths, truth_paths, strict=True):
        clip = _clip_of_file(path, path.stem, truth_path, gap_ms, missing, owner)
        if clip is not None:
            out.append(clip)
    return out
