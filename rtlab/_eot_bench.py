"""Read locally downloaded parquet files of ``livekit/eot-bench-data`` into rtlab clips.

The dataset schema is the one eot-bench's README ("Scope") documents: required columns
``id``, ``language``, ``audio``, ``silence_spans``; optional ``words`` and ``messages``.
``audio`` is a Hugging Face ``Audio`` feature stored either encoded (``{"bytes": ...}``) or
decoded (``{"array": ..., "sampling_rate": ...}``); ``silence_spans`` is a list of
``{"start", "end"}`` in seconds, every pause of at least 100 ms, the last one the true end
of the user's turn; ``words`` (if present) a list of ``{"word" or "text", "start", "end"}``
in seconds. rtlab downloads nothing: get the files yourself, e.g. with
``huggingface-cli download livekit/eot-bench-data --repo-type dataset --local-dir DIR``,
and pass the ``.parquet`` files (or their folder) here.

Each row becomes one :class:`rtlab.datasets.Clip` named ``"eot-bench/<language>/<id>"``
whose truth holds one user turn (speaker ``"user"``) from the start of the first speech to
the start of the last silence span, speech = the audio minus the silence spans (what follows
the last span, if anything, is not silence by the dataset's own account), and the words
(if any). ``rtlab.eot.silence_spans(clips, source="speech")`` then gives back exactly the
dataset's spans that are at least 100 ms long: the last as ``eot``, the others ``hold``.
``messages`` (the conversation before the turn) has no place in a clip and is not read.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab.errors import AudioFormatError, ConfigError

if TYPE_CHECKING:
    from rtlab._clip import Clip
    from rtlab.audio import Audio

REQUIRED_COLUMNS = ("id", "language", "audio", "silence_spans")


def from_eot_bench(
    path: str | Path | Sequence[str | Path], *, language: str | None = None
) -> list[Clip]:
    """Clips with hold/eot truth from eot-bench parquet files (nothing is downloaded).

    Parameters
    ----------
    path : path or sequence of paths
        ``.parquet`` files, or folders searched recursively for them.
    language : str, optional
        Keep only rows of this ``language`` (e.g. ``"en"``).

    Returns
    -------
    list of Clip
        One per row, in file and row order.

    Raises
    ------
    ConfigError
        A path does not exist or holds no parquet file, or a file lacks a required column.
    AudioFormatError
        A row's audio is neither ``{"bytes"}`` nor ``{"array", "sampling_rate"}``.

    Examples
    --------
    >>> import rtlab, tempfile, pathlib
    >>> from rtlab import eot
    >>> from rtlab._eot_bench import write_eot_bench
    >>> clip = rtlab.datasets.load("librivox/0870")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> spans = [(3.95, 4.1), (6.79, 7.1)]
    >>> write_eot_bench(folder / "en.parquet", [("x1", "en", clip.audio, spans)])
    >>> clips = from_eot_bench(folder)
    >>> clips[0].name, eot.silence_spans(clips, source="speech")["kind"].tolist()
    ('eot-bench/en/x1', ['hold', 'eot'])
    """
    import pyarrow.parquet as pq

    files = _files(path)
    clips: list[Clip] = []
    for file in files:
        table = pq.read_table(file)
        missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
        if missing:
            raise ConfigError(
                "path",
                str(file),
                f"parquet files with the columns {list(REQUIRED_COLUMNS)} (missing {missing})",
                owner="from_eot_bench",
            )
        for row in table.to_pylist():
            if language is not None and row["language"] != language:
                continue
            clips.append(_clip(row, file))
    return clips


def _files(path: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [path] if isinstance(path, str | Path) else list(path)
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(p.rglob("*.parquet")))
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError(
                "path", str(item), "an existing .parquet file or folder", owner="from_eot_bench"
            )
    if not out:
        raise ConfigError(
            "path",
            str(path),
            "a folder holding .parquet files of livekit/eot-bench-data",
            owner="from_eot_bench",
            fix="Download them first, e.g. huggingface-cli download livekit/eot-bench-data "
            "--repo-type dataset --local-dir DIR.",
        )
    return out


def _clip(row: dict[str, Any], file: Path) -> Clip:
    from rtlab._clip import Clip
    from rtlab.annotation import Annotation, Turn

    name = f"eot-bench/{row['language']}/{row['id']}"
    audio = _audio(row["audio"], name)
    duration_s = float(audio.duration_s)
    spans = sorted(
        (float(s["start"]), min(float(s["end"]), duration_s)) for s in row["silence_spans"] or ()
    )
    words = [
        Turn(float(w["start"]), float(w["end"]), speaker="user", text=w.get("word", w.get("text")))
        for w in row.get("words") or ()
    ]
    turn_end = spans[-1][0] if spans else duration_s
    speech = _complement(spans, 0.0, duration_s)
    turn_start = float(speech[0][0]) if speech else 0.0
    text = " ".join(w.text for w in words if w.text) or None
    truth = Annotation(
        np.asarray(speech, dtype=float).reshape(-1, 2),
        turns=(Turn(turn_start, turn_end, speaker="user", text=text),),
        words=tuple(words),
        transcript=text,
        duration_s=duration_s,
        source=f"{file.name}:{row['id']}",
    )
    return Clip(name, audio, truth)


def _audio(value: Any, name: str) -> Audio:
    from rtlab.audio import load_audio

    if isinstance(value, dict) and value.get("bytes"):
        return load_audio(io.BytesIO(value["bytes"]), source=name)
    if isinstance(value, dict) and value.get("array") is not None:
        array = np.asarray(value["array"], dtype=np.float32)
        return load_audio(array, sample_rate_hz=float(value["sampling_rate"]), source=name)
    raise AudioFormatError(
        "audio", type(value).__name__, "{'bytes': ...} or {'array': ..., 'sampling_rate': ...}",
        owner="from_eot_bench",
    )  # fmt: skip


def _complement(
    spans: Iterable[tuple[float, float]], start: float, end: float
) -> list[tuple[float, float]]:
    """The parts of ``[start, end)`` outside the sorted ``spans``."""
    out: list[tuple[float, float]] = []
    at = start
    for s, e in spans:
        if s > at:
            out.append((at, min(s, end)))
        at = max(at, e)
    if at < end:
        out.append((at, end))
    return out


def write_eot_bench(
    path: str | Path,
    rows: Iterable[tuple[str, str, Any, Sequence[tuple[float, float]]]],
    *,
    decoded: bool = False,
) -> None:
    """Write rows in the eot-bench-data schema (for tests and for sharing rtlab clips).

    ``rows`` are ``(id, language, Audio, silence_spans_s)``; audio is stored as WAV bytes
    (``decoded=False``) or as a float array with its rate (``decoded=True``).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    import soundfile as sf

    from rtlab._io import atomic_write

    records = []
    for ident, lang, audio, spans in rows:
        samples = np.asarray(audio.samples)
        if decoded:
            cell: dict[str, Any] = {
                "array": (samples / 32768.0).astype(np.float32).tolist(),
                "sampling_rate": int(audio.sample_rate_hz),
            }
        else:
            buffer = io.BytesIO()
            sf.write(buffer, samples, int(audio.sample_rate_hz), format="WAV", subtype="PCM_16")
            cell = {"bytes": buffer.getvalue(), "path": f"{ident}.wav"}
        records.append(
            {
                "id": ident,
                "language": lang,
                "audio": cell,
                "silence_spans": [{"start": float(s), "end": float(e)} for s, e in spans],
            }
        )
    table = pa.Table.from_pylist(records)
    with atomic_write(Path(path), "wb") as f:
        pq.write_table(table, f)
