"""Speech probability per 32 ms frame: Silero VAD (batched onnxruntime) or a frame-energy model.

:func:`score` turns an :class:`~rtlab.audio.Audio` into :class:`FrameScores`, once per clip:
the result is cached on disk (see :func:`cache_dir`), so detection sweeps never rescore.
:func:`score_many` does the same for a dataset and batches all clips through the model
together.

Models
------
``"silero"``
    Silero VAD (``silero_vad.onnx`` from the ``pipecat-ai`` wheel: byte-identical to the file
    the ``silero-vad`` 6.2.3 wheel ships), run by onnxruntime at
    16 kHz on 512-sample frames (32 ms) with the model's 64-sample context and recurrent
    state. The audio (int16, 24 kHz) is divided by 32768 and resampled to 16 kHz by a
    causal polyphase filter (:mod:`rtlab._resample`: scipy's ``resample_poly`` filter for
    3:2, applied with ``upfirdn`` so that no output waits for later input), so a live
    stream scores a frame as soon as its 768 samples have arrived. (soxr "HQ", used until
    scorer version 2, held 13–35 ms back, which cost a live event one append in six; the
    probabilities moved by 0.005 on average, 99.7 % of frames on the same side of 0.5.)

    Silero's recurrent state has a long memory (tens of seconds), so a stream's scores
    depend on where its state was last reset. rtlab pins that down: the state (and context)
    is reset every ``SEGMENT_FRAMES`` = 1024 frames (32.768 s), and each reset happens
    ``WARMUP_FRAMES`` = 64 frames (2.048 s) *before* the segment it serves, whose outputs are
    discarded, so the state has settled when the segment's first frame is scored. Clips up to
    32.768 s are therefore one uninterrupted stream from a zero state, exactly as Silero's own
    reference and pipecat run them. Because every segment is an independent stream, all
    segments of all clips run as one batch, stepped frame by frame, from two threads; the
    result does not depend on the batching (it equals running each stream alone). Streaming
    deployments reset the state too (pipecat resets it after about 2 s of quiet).

    Measured on the 11 AMI clips joined into 5.5 min (``tests/test_vad.py``): against one
    never-reset stream over the whole clip, 98.9 % of frames agree at threshold 0.5 and the
    mean absolute difference is 0.013 (a few borderline frames move by up to 0.84); against
    the annotation the reset scores are slightly *more* accurate (82.4 % vs 82.0 % of
    frames). A 1–2 s warm-up alone cannot reproduce the never-reset stream: after a reset
    the state needs tens of seconds to converge to it (96–97 % agreement with 2 s).

    Where the time goes (``benchmarks/bench_vad.py`` part 3, a 10-min clip on 2 cores): one
    clip has only one stream per 32.768-s segment (19 for 10 min), so each of the two
    threads steps a batch of about 10 rows, where a plain run of the model over 64 streams
    steps 32 per thread (about 20 % more time per frame at 10 rows); the warm-up frames add
    6 %, and resampling to 16 kHz (part of the scores' definition, on one thread before the
    model runs) about 20 % of the total. Measured: ``score`` at 53 % of the plain run's
    rate (757x vs 1,423x real time); none of the three can go without changing the scores
    or resampling in pieces beside the model. :func:`score_many` over many clips
    fills the batches and closes most of the first gap; :func:`score_streams` batches live
    streams the same way (the local server scores all its sessions together).

``"energy"``
    Needs no model: frame level in dBFS relative to a causal noise-floor estimate, through
    a logistic. For frame ``i`` with level ``L[i] = 10 log10(mean(x**2) + 1e-10)`` (``x`` in
    [-1, 1], 768 samples at 24 kHz), the floor starts at -60 dBFS, follows any lower level
    at once and otherwise rises by 1 dB/s, and is never taken below -60 dBFS; the
    probability is ``1 / (1 + exp(-(L - floor - 9 dB) / 3 dB))``. So a frame is speech
    (p >= 0.5) when it is 9 dB above the floor and louder than -51 dBFS. Rough (it cannot
    tell speech from other sound), but it needs no model and shows what a learned VAD adds.

Examples
--------
>>> import rtlab
>>> audio = rtlab.datasets.load("librivox/0880").audio
>>> scores = rtlab.vad.score(audio)
>>> scores.hop_ms, scores.n_frames
(32.0, 93)
>>> bool(scores.probabilities[:5].max() < 0.5), bool(scores.probabilities[20:40].mean() > 0.8)
(True, True)
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import math
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rtlab import _check, _io
from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.audio import Audio

__all__ = [
    "HOP_MS",
    "MODELS",
    "SCORER_VERSION",
    "FrameScores",
    "ScoreStream",
    "cache_dir",
    "score",
    "score_many",
    "score_streams",
    "stream",
]

logger = logging.getLogger(__name__)

ModelName = Literal["silero", "energy"]
MODELS: tuple[str, ...] = ("silero", "energy")

HOP_MS = 32.0
"""Frame hop of both models, in ms (512 samples at 16 kHz = 768 samples at 24 kHz)."""

_SILERO_RATE_HZ = 16000
_FRAME_16K = 512
_FRAME_24K = 768
_CONTEXT_16K = 64

SEGMENT_FRAMES = 1024
"""Silero's state is reset every this many frames (32.768 s); see the module notes."""
WARMUP_FRAMES = 64
"""Frames run (and discarded) after each reset before the segment it serves (2.048 s)."""
_STREAMS_PER_RUN = 32  # batch rows per onnxruntime call; throughput is flat from ~16 up
_WORKERS = 2  # Python threads calling onnxruntime at once (it releases the GIL)
_GROUP_SAMPLES = 30 * 60 * SAMPLE_RATE_HZ  # score_many scores (and caches) <= 30 min at a time

# energy model (tuned on the shipped AMI + LibriVox clips against their speech annotation)
ENERGY_FLOOR_INIT_DB = -60.0
ENERGY_FLOOR_MIN_DB = -60.0
ENERGY_FLOOR_RISE_DB_PER_S = 1.0
ENERGY_OFFSET_DB = 9.0
ENERGY_SLOPE_DB = 3.0

SCORER_VERSION = "2"
"""Bump when any model's scores change; part of every cache key."""

_MODEL_VERSIONS = {
    "silero": (f"silero-v5/causal-fir61/seg{SEGMENT_FRAMES}-warm{WARMUP_FRAMES}/{SCORER_VERSION}"),
    "energy": (
        f"energy/{ENERGY_FLOOR_INIT_DB}/{ENERGY_FLOOR_MIN_DB}/{ENERGY_FLOOR_RISE_DB_PER_S}/"
        f"{ENERGY_OFFSET_DB}/{ENERGY_SLOPE_DB}/{SCORER_VERSION}"
    ),
}


# --------------------------------------------------------------------------------------------
# the value type


def _readonly(array: np.ndarray) -> np.ndarray:
    if array.flags.writeable:
        array = array.copy()
        array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class FrameScores:
    """Speech probability per frame for one clip: what detection runs on.

    Frame ``i`` covers the audio ``[i * hop_ms, (i + 1) * hop_ms)``. A pure value: equal
    scores compare equal whatever audio is attached.

    Parameters
    ----------
    probabilities : numpy.ndarray
        float32, 1-D, every value in [0, 1] (no NaN). Stored read-only.
    hop_ms : float > 0
        Frame length and hop, in ms (32.0 for both rtlab models).
    model : str
        Name of the model that produced the scores, e.g. ``"silero"`` or ``"energy"``.
    fingerprint : str
        :attr:`rtlab.audio.Audio.fingerprint` of the scored audio.
    duration_ms : float >= 0
        Duration of the scored audio, in ms; the frames lie within it
        (``n_frames * hop_ms <= duration_ms + hop_ms``).
    audio : Audio or None, default None
        The scored audio, so detection can go back to it (semantic_vad, plots). Not compared,
        not cached.

    Raises
    ------
    ConfigError
        A field has the wrong type, dtype, shape or range.

    Examples
    --------
    >>> import numpy as np
    >>> s = FrameScores(np.array([0.1, 0.9, 0.8], dtype=np.float32), hop_ms=32.0,
    ...                 model="silero", fingerprint="abc", duration_ms=100.0)
    >>> s.n_frames, s.times_ms.tolist()
    (3, [0.0, 32.0, 64.0])
    >>> s
    FrameScores(model='silero', n_frames=3, hop_ms=32.0, duration_ms=100.0, fingerprint='abc')
    """

    probabilities: np.ndarray
    hop_ms: float
    model: str
    fingerprint: str
    duration_ms: float
    audio: Audio | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        def bad(name: str, value: Any, allowed: str) -> ConfigError:
            return ConfigError(name, value, allowed, owner="FrameScores")

        p = self.probabilities
        allowed = "a 1-D float32 numpy array of probabilities in [0, 1]"
        if not isinstance(p, np.ndarray):
            raise bad("probabilities", p, allowed)
        if p.ndim != 1 or p.dtype != np.float32:
            raise bad("probabilities", f"array of dtype {p.dtype} and shape {p.shape}", allowed)
        if p.size:
            if not np.isfinite(p).all():
                raise bad("probabilities", "an array containing NaN or inf", allowed)
            low, high = float(p.min()), float(p.max())
            if low < 0.0 or high > 1.0:
                raise bad("probabilities", f"an array with values in [{low}, {high}]", allowed)
        object.__setattr__(self, "probabilities", _readonly(p))

        hop_ms = _check.number(
            self.hop_ms, "hop_ms", owner="FrameScores", allowed="a number of ms > 0"
        )
        if hop_ms <= 0:
            raise bad("hop_ms", self.hop_ms, "a number of ms > 0")
        object.__setattr__(self, "hop_ms", hop_ms)

        if not isinstance(self.model, str) or not self.model:
            raise bad("model", self.model, "a non-empty str")
        if not isinstance(self.fingerprint, str):
            raise bad("fingerprint", self.fingerprint, "a str (the audio's fingerprint)")

        duration_ms = _check.number(
            self.duration_ms,
            "duration_ms",
            owner="FrameScores",
            low=0.0,
            allowed="a number of ms >= 0",
        )
        object.__setattr__(self, "duration_ms", duration_ms)
        if p.size * self.hop_ms > self.duration_ms + self.hop_ms + 1e-6:
            raise bad(
                "probabilities",
                f"{p.size} frames of {self.hop_ms} ms for {self.duration_ms} ms of audio",
                "no more frames than fit in duration_ms",
            )
        if self.audio is not None:
            fp = getattr(self.audio, "fingerprint", None)
            if fp is None:
                raise bad("audio", self.audio, "an rtlab Audio or None")
            if self.fingerprint and fp != self.fingerprint:
                raise bad("audio", f"audio with fingerprint {fp!r}", "the audio that was scored")

    # -- derived values ---------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.probabilities.size)

    @property
    def times_ms(self) -> np.ndarray:
        """Start time of each frame in ms (float64): ``i * hop_ms``."""
        return np.arange(self.n_frames, dtype=np.float64) * self.hop_ms

    # -- equality, display, conversion ------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameScores):
            return NotImplemented
        return (
            self.hop_ms == other.hop_ms
            and self.model == other.model
            and self.fingerprint == other.fingerprint
            and self.duration_ms == other.duration_ms
            and np.array_equal(self.probabilities, other.probabilities)
        )

    def __hash__(self) -> int:
        return hash((self.model, self.fingerprint, self.hop_ms, self.n_frames))

    def __repr__(self) -> str:
        fp = self.fingerprint if len(self.fingerprint) <= 12 else self.fingerprint[:12] + "…"
        return (
            f"FrameScores(model={self.model!r}, n_frames={self.n_frames}, hop_ms={self.hop_ms}, "
            f"duration_ms={self.duration_ms}, fingerprint={fp!r})"
        )

    def _repr_html_(self) -> str:
        import html

        p = self.probabilities
        rows = [
            ("model", self.model),
            ("frames", f"{self.n_frames} × {self.hop_ms:g} ms"),
            ("duration", f"{self.duration_ms / 1000:.2f} s"),
            ("frames ≥ 0.5", f"{float((p >= 0.5).mean()) * 100:.1f} %" if p.size else "–"),
            ("fingerprint", self.fingerprint[:12]),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>FrameScores</caption>{body}</table>"

    def to_frame(self) -> pd.DataFrame:
        """One row per frame: ``start_ms``, ``end_ms``, ``probability``.

        Examples
        --------
        >>> import numpy as np
        >>> s = FrameScores(np.array([0.25, 0.75], dtype=np.float32), hop_ms=32.0,
        ...                 model="energy", fingerprint="", duration_ms=64.0)
        >>> s.to_frame()
           start_ms  end_ms  probability
        0       0.0    32.0         0.25
        1      32.0    64.0         0.75
        """
        import pandas as pd

        start = self.times_ms
        return pd.DataFrame(
            {
                "start_ms": start,
                "end_ms": start + self.hop_ms,
                "probability": self.probabilities.copy(),
            }
        )


# --------------------------------------------------------------------------------------------
# the cache


def cache_dir() -> Path:
    """Folder of the score cache: ``rtlab._io.cache_dir() / "scores"``.

    That is ``$RTLAB_CACHE_DIR/scores`` when the variable is set, else
    ``~/.cache/rtlab/scores``. Each file is one clip's scores for one model and scorer
    version; deleting the folder is always safe.

    Examples
    --------
    >>> cache_dir().name
    'scores'
    """
    return _io.cache_dir() / "scores"


def _cache_path(fingerprint: str, model: str) -> Path:
    key = hashlib.sha1(f"{model}|{_MODEL_VERSIONS[model]}".encode()).hexdigest()[:12]
    return cache_dir() / f"{model}-{fingerprint}-{key}.npz"


def _checksum(probabilities: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(probabilities, dtype="<f4").tobytes()).hexdigest()


def _read_cache(path: Path, *, fingerprint: str, model: str, n_frames: int) -> np.ndarray | None:
    """Cached probabilities if the file is complete and belongs to this clip, else None."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            probabilities = np.asarray(data["probabilities"], dtype="<f4").astype(np.float32)
            ok = (
                str(data["model"]) == model
                and str(data["fingerprint"]) == fingerprint
                and str(data["version"]) == _MODEL_VERSIONS[model]
                and int(data["n_frames"]) == n_frames == probabilities.size
                and probabilities.ndim == 1
                and str(data["sha1"]) == _checksum(probabilities)
            )
    except Exception as exc:  # any unreadable file is recomputed, never trusted
        logger.info("Ignoring unreadable score cache %s: %s", path, exc)
        return None
    if not ok:
        logger.info("Ignoring score cache %s: it does not match the audio or scorer", path)
        return None
    return probabilities


def _write_cache(path: Path, probabilities: np.ndarray, *, fingerprint: str, model: str) -> None:
    _io.write_cache(
        path,
        lambda handle: np.savez(
            handle,
            probabilities=np.ascontiguousarray(probabilities, dtype="<f4"),
            model=np.array(model),
            fingerprint=np.array(fingerprint),
            version=np.array(_MODEL_VERSIONS[model]),
            n_frames=np.array(probabilities.size, dtype=np.int64),
            sha1=np.array(_checksum(probabilities)),
        ),
    )


# --------------------------------------------------------------------------------------------
# the models


def _n_frames(audio: Audio) -> int:
    return int(audio.samples.size // _FRAME_24K)


def resample_16k(audio: Audio) -> np.ndarray:
    """The clip as Silero hears it: 16 kHz float32 in [-1, 1] (see :mod:`rtlab._resample`).

    The causal filter makes every frame complete as soon as its 24 kHz samples are, so
    :class:`ScoreStream` scores a frame the moment its audio arrives.
    """
    from rtlab._resample import Causal16k, whole

    return whole(audio.samples, Causal16k())


def _energy_levels_db(frames: np.ndarray) -> np.ndarray:
    """Level of each row of ``frames`` (int16 samples, 768 per row) in dBFS."""
    x = frames.astype(np.float64) / 32768.0
    return 10.0 * np.log10(np.mean(x * x, axis=1) + 1e-10)


def _energy_from_levels(
    level_db: np.ndarray, first: int, running_min: float
) -> tuple[np.ndarray, float]:
    """Energy probabilities for frames ``first, first + 1, ...`` given their levels.

    The noise floor is ``floor[i] = min(init + rise*i, min_{k<=i} level[k] + rise*(i-k))``
    (a level lower than the floor resets it; otherwise it rises by ``rise`` per frame),
    computed as ``rise*i + running minimum of (level[k] - rise*k)``; ``running_min`` carries
    that minimum from earlier frames (start with ``ENERGY_FLOOR_INIT_DB``), so scoring a
    clip in pieces gives exactly the same numbers as scoring it whole.
    """
    rise = ENERGY_FLOOR_RISE_DB_PER_S * HOP_MS / 1000.0  # dB per frame
    ramp = rise * np.arange(first, first + level_db.size, dtype=np.float64)
    low = np.minimum.accumulate(np.minimum(level_db - ramp, running_min))
    floor = np.maximum(ramp + low, ENERGY_FLOOR_MIN_DB)
    z = (level_db - floor - ENERGY_OFFSET_DB) / ENERGY_SLOPE_DB
    probabilities = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return probabilities, float(low[-1]) if low.size else running_min


def _energy_probabilities(audio: Audio) -> np.ndarray:
    """Frame-energy speech probability (see the module notes for the formula)."""
    n = _n_frames(audio)
    frames = np.asarray(audio.samples)[: n * _FRAME_24K].reshape(n, _FRAME_24K)
    return _energy_from_levels(_energy_levels_db(frames), 0, ENERGY_FLOOR_INIT_DB)[0]


def _silero_plan(n_frames: int) -> list[tuple[int, int, int]]:
    """Independent Silero streams for one clip: ``(first_frame, warmup_frames, kept_frames)``.

    Each stream starts from a zero state and zero context at ``first_frame`` and scores
    ``warmup_frames + kept_frames`` frames, of which the first ``warmup_frames`` are dropped.
    """
    plan = []
    for start in range(0, n_frames, SEGMENT_FRAMES):
        warm = min(WARMUP_FRAMES, start)
        plan.append((start - warm, warm, min(SEGMENT_FRAMES, n_frames - start)))
    return plan


def _run_silero_streams(
    signal: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    *,
    on_steps: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """Run independent Silero streams as one batch, stepping all of them frame by frame.

    Stream ``b`` scores frames ``signal[starts[b] + j*512 : starts[b] + (j+1)*512]`` for
    ``j < lengths[b]`` from a zero state, its first frame with a zero 64-sample context and
    later frames with the preceding 64 samples. ``lengths`` must be sorted in decreasing
    order (so active streams are a prefix of the batch). Rows do not interact: a stream's
    scores equal those of running it alone.
    """
    from rtlab._models import session

    sess = session("silero_vad")
    batch = starts.size
    if batch == 0:
        return []
    scores = np.empty((batch, int(lengths[0])), np.float32)
    state = np.zeros((2, batch, 128), np.float32)
    sr = np.array(_SILERO_RATE_HZ, dtype=np.int64)
    window = np.arange(_CONTEXT_16K + _FRAME_16K) - _CONTEXT_16K
    active = batch
    processed = reported = 0
    for j in range(int(lengths[0])):
        while active and lengths[active - 1] <= j:
            active -= 1
        index = starts[:active, None] + (j * _FRAME_16K) + window
        frames = signal[index]  # (active, 576); the signal is left-padded so index >= 0
        if j == 0:
            frames[:, :_CONTEXT_16K] = 0.0
        probs, state = sess.run(
            None, {"input": frames, "state": np.ascontiguousarray(state[:, :active]), "sr": sr}
        )
        scores[:active, j] = probs[:, 0]
        processed += active
        if on_steps is not None and processed - reported >= 4096:
            on_steps(processed - reported)
            reported = processed
    if on_steps is not None and processed > reported:
        on_steps(processed - reported)
    return [scores[b, : int(n)] for b, n in enumerate(lengths)]


def _silero_probabilities(
    signals: Sequence[np.ndarray],
    n_frames: Sequence[int],
    *,
    segment_frames: int | None = SEGMENT_FRAMES,
    progress: bool = False,
) -> list[np.ndarray]:
    """Silero probabilities for several 16 kHz clips, all streams batched together.

    ``segment_frames=None`` runs each clip as one never-reset stream (the sequential
    reference); the default is rtlab's segmented definition (see the module notes).
    """
    plans: list[list[tuple[int, int, int]]] = []
    for n in n_frames:
        if segment_frames is None:
            plans.append([(0, 0, n)] if n else [])
        else:
            plans.append(_silero_plan(n))

    # one padded buffer: _CONTEXT_16K zeros in front (first frames' context), clips one after
    # another, each padded to a whole number of frames
    pad = _CONTEXT_16K
    offsets, pieces, cursor = [], [np.zeros(pad, np.float32)], pad
    for x, n in zip(signals, n_frames, strict=True):
        piece = np.zeros(n * _FRAME_16K, np.float32)
        m = min(x.size, piece.size)
        piece[:m] = x[:m]
        offsets.append(cursor)
        pieces.append(piece)
        cursor += piece.size
    signal = np.concatenate(pieces)

    jobs: list[tuple[int, int, int, int]] = []  # (clip, first_frame, warm, keep)
    for clip, plan in enumerate(plans):
        jobs.extend((clip, first, warm, keep) for first, warm, keep in plan)
    jobs.sort(key=lambda job: job[2] + job[3], reverse=True)

    # batches of up to _STREAMS_PER_RUN similar-length streams, at least one per worker
    n_batches = max(math.ceil(len(jobs) / _STREAMS_PER_RUN), min(_WORKERS, len(jobs)))
    batches = [jobs[i::n_batches] for i in range(n_batches)] if jobs else []

    results = [np.zeros(n, np.float32) for n in n_frames]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = sum(w + k for _, _, w, k in jobs)
        bar = tqdm(total=total, unit="frame", desc="silero", leave=False)

    def run(batch: list[tuple[int, int, int, int]]) -> None:
        starts = np.array([offsets[c] + first * _FRAME_16K for c, first, _, _ in batch])
        lengths = np.array([w + k for _, _, w, k in batch])
        outs = _run_silero_streams(
            signal, starts, lengths, on_steps=bar.update if bar is not None else None
        )
        for (clip, first, warm, keep), probs in zip(batch, outs, strict=True):
            results[clip][first + warm : first + warm + keep] = probs[warm:]

    try:
        workers = min(_WORKERS, os.cpu_count() or 1, len(batches))
        if workers <= 1:
            for batch in batches:
                run(batch)
        else:
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                for future in [pool.submit(run, batch) for batch in batches]:
                    future.result()
    finally:
        if bar is not None:
            bar.close()
    return results


def _score_missing(audios: Sequence[Audio], model: str, *, progress: bool) -> list[np.ndarray]:
    """Compute probabilities for clips that were not cached (the only place models run)."""
    if model == "energy":
        return [_energy_probabilities(a) for a in audios]
    signals = [resample_16k(a) for a in audios]
    return _silero_probabilities(signals, [_n_frames(a) for a in audios], progress=progress)


# --------------------------------------------------------------------------------------------
# streaming


class ScoreStream:
    """The streaming form of :func:`score`: push audio chunks, get the frames they complete.

    Create it with :func:`stream`. The probabilities equal, bit for bit, those
    :func:`score` computes for the whole clip: the same causal resampler (as a stream it gives
    the same samples as in one go, and it looks at no later audio), the same Silero state
    resets (a second batch row runs the warm-up before each reset), the same energy noise
    floor. A frame is returned as soon as its 768 samples have been pushed; :meth:`flush`
    has nothing more to wait for and returns what is left.
    Only whole frames are scored, as in :func:`score` (``n_samples // 768`` frames).

    Attributes
    ----------
    model : str
        ``"silero"`` or ``"energy"``.
    hop_ms : float
        32.0.
    n_frames : int
        Frames returned so far.
    """

    def __init__(self, model: ModelName = "silero") -> None:
        self.model: str = _check_model(model, "stream")
        self.hop_ms = HOP_MS
        self.n_frames = 0
        self._n_in = 0  # 24 kHz samples pushed
        self._closed = False
        if self.model == "energy":
            self._pending = np.zeros(0, np.int16)
            self._ready = np.zeros(0, np.float32)  # scored frames not yet returned
            self._running_min = ENERGY_FLOOR_INIT_DB
        else:
            from rtlab._models import session
            from rtlab._resample import Causal16k

            self._session = session("silero_vad")
            self._resampler = Causal16k()
            # 16 kHz samples from index self._buffer_start on (64 before the next frame)
            self._buffer = np.zeros(0, np.float32)
            self._buffer_start = 0
            self._state = np.zeros((2, 1, 128), np.float32)
            self._warm_state: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"ScoreStream(model={self.model!r}, n_frames={self.n_frames})"

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Add int16 samples at 24 kHz (any length); return the probabilities of new frames.

        Parameters
        ----------
        samples : numpy.ndarray
            1-D int16, 24 kHz mono (e.g. ``np.frombuffer(pcm16, "<i2")``).

        Returns
        -------
        numpy.ndarray
            float32, possibly empty.
        """
        self.add(samples)
        return score_streams([self])[0]

    def add(self, samples: np.ndarray) -> int:
        """Add int16 samples at 24 kHz without scoring them; :func:`score_streams` scores.

        ``push(x)`` is ``add(x)`` then ``score_streams([stream])``. A server holding many
        streams adds each one's audio, then scores all of them in one batch.

        Parameters
        ----------
        samples : numpy.ndarray
            1-D int16, 24 kHz mono.

        Returns
        -------
        int
            How many frames are now ready to be scored.
        """
        from rtlab.errors import AudioFormatError

        if self._closed:
            raise ConfigError(
                "push", "called after flush()", "not called after flush()", owner="ScoreStream"
            )
        samples = np.asarray(samples)
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise AudioFormatError(
                "samples",
                f"{samples.dtype} array of shape {samples.shape}",
                "a 1-D int16 array (24 kHz mono)",
                owner="ScoreStream.push",
            )
        self._n_in += samples.size
        self._stage(samples)
        return self.n_ready

    def flush(self) -> np.ndarray:
        """End of audio: return the probabilities of the remaining whole frames."""
        if self._closed:
            return np.zeros(0, np.float32)
        self._stage(np.zeros(0, np.int16))
        self._closed = True
        return score_streams([self])[0]

    @property
    def n_ready(self) -> int:
        """Frames whose audio has arrived and that are not scored yet."""
        if self.model == "energy":
            return int(self._ready.size)
        limit = self._n_in // _FRAME_24K  # frames the audio covers in full
        buffered = (self._buffer_start + self._buffer.size) // _FRAME_16K
        return max(0, min(limit, buffered) - self.n_frames)

    # -- internals ---------------------------------------------------------------------------
    def _stage(self, samples: np.ndarray) -> None:
        """Take in audio: resample and buffer it (Silero) or compute its frames (energy)."""
        if self.model == "energy":
            pending = np.concatenate([self._pending, samples])
            k = pending.size // _FRAME_24K
            frames = pending[: k * _FRAME_24K].reshape(k, _FRAME_24K)
            self._pending = pending[k * _FRAME_24K :].copy()
            out, self._running_min = _energy_from_levels(
                _energy_levels_db(frames), self.n_frames + self._ready.size, self._running_min
            )
            self._ready = np.concatenate([self._ready, out])
            return
        self._buffer = np.concatenate([self._buffer, self._resampler.push(samples)])

    def _n_rows(self) -> int:
        """Model rows the next frame needs: 2 while a warm-up runs beside it, else 1."""
        return 2 if self.n_frames % SEGMENT_FRAMES >= SEGMENT_FRAMES - WARMUP_FRAMES else 1

    def _fill(self, rows: np.ndarray, states: np.ndarray) -> None:
        """Write the next frame's model input rows and states (``_n_rows()`` of each)."""
        f = self.n_frames
        lo = f * _FRAME_16K - self._buffer_start
        rows[0, _CONTEXT_16K:] = self._buffer[lo : lo + _FRAME_16K]
        if f > 0:
            rows[0, :_CONTEXT_16K] = self._buffer[lo - _CONTEXT_16K : lo]
        else:
            rows[0, :_CONTEXT_16K] = 0.0
        states[:, 0] = self._state[:, 0]
        if rows.shape[0] == 2:  # the warm-up stream of the next segment
            fresh = f % SEGMENT_FRAMES == SEGMENT_FRAMES - WARMUP_FRAMES
            rows[1] = rows[0]
            if fresh:
                rows[1, :_CONTEXT_16K] = 0.0
            if fresh or self._warm_state is None:
                self._warm_state = np.zeros((2, 1, 128), np.float32)
            states[:, 1] = self._warm_state[:, 0]

    def _done(self, probability: float, state: np.ndarray) -> float:
        """Take the model's output for the next frame (``state``: its rows' states)."""
        self._state = np.ascontiguousarray(state[:, :1])
        if state.shape[1] == 2:
            self._warm_state = np.ascontiguousarray(state[:, 1:2])
            if self.n_frames % SEGMENT_FRAMES == SEGMENT_FRAMES - 1:  # next: a new segment
                self._state, self._warm_state = self._warm_state, None
        self.n_frames += 1
        return probability

    def _trim(self) -> None:
        keep_from = max(0, self.n_frames * _FRAME_16K - _CONTEXT_16K - self._buffer_start)
        self._buffer = self._buffer[keep_from:]
        self._buffer_start += keep_from


def score_streams(streams: Sequence[ScoreStream]) -> list[np.ndarray]:
    """Score the frames ready in several streams together: one model call per frame step.

    Each stream's frames run in order (Silero is recurrent); the streams run side by side,
    as rows of one batch, so many live streams cost about as much per frame as the batched
    :func:`score`. Rows do not interact: each stream gets exactly what its own
    :meth:`ScoreStream.push` would give.

    Parameters
    ----------
    streams : sequence of ScoreStream
        Streams with audio added by :meth:`ScoreStream.add` (each at most once).

    Returns
    -------
    list of numpy.ndarray
        The new probabilities (float32) of each stream, in the order given.

    Examples
    --------
    >>> import numpy as np, rtlab
    >>> a = rtlab.datasets.load("librivox/0930").audio.samples
    >>> b = rtlab.datasets.load("librivox/0880").audio.samples
    >>> one, two = rtlab.vad.stream(), rtlab.vad.stream()
    >>> _ = one.add(a[:24000]), two.add(b[:12000])
    >>> p1, p2 = rtlab.vad.score_streams([one, two])
    >>> p1.size, p2.size
    (31, 15)
    >>> alone = rtlab.vad.stream()
    >>> np.array_equal(alone.push(b[:12000]), p2)
    True
    """
    out: list[list[float]] = [[] for _ in streams]
    silero: list[tuple[int, ScoreStream]] = []
    for k, s in enumerate(streams):
        if s.model == "energy":
            out[k] = s._ready.tolist()
            s.n_frames += s._ready.size
            s._ready = np.zeros(0, np.float32)
        else:
            silero.append((k, s))
    if silero:
        from rtlab._models import session

        sess = session("silero_vad")
        sr = np.array(_SILERO_RATE_HZ, dtype=np.int64)
        left = {k: s.n_ready for k, s in silero}
        active = [(k, s) for k, s in silero if left[k] > 0]
        while active:
            n_rows = [s._n_rows() for _, s in active]
            total = sum(n_rows)
            rows = np.empty((total, _CONTEXT_16K + _FRAME_16K), np.float32)
            states = np.empty((2, total, 128), np.float32)
            at = 0
            for (_, s), n in zip(active, n_rows, strict=True):
                s._fill(rows[at : at + n], states[:, at : at + n])
                at += n
            probs, state = sess.run(None, {"input": rows, "state": states, "sr": sr})
            at = 0
            for (k, s), n in zip(active, n_rows, strict=True):
                out[k].append(s._done(float(probs[at, 0]), state[:, at : at + n]))
                left[k] -= 1
                at += n
            active = [(k, s) for k, s in active if left[k] > 0]
        for _, s in silero:
            s._trim()
    return [np.asarray(values, np.float32) for values in out]


def stream(*, model: ModelName = "silero") -> ScoreStream:
    """A streaming scorer that gives exactly the probabilities :func:`score` gives.

    Used by :class:`rtlab.turns.Detector` to score audio as it arrives.

    Parameters
    ----------
    model : {"silero", "energy"}, default "silero"

    Returns
    -------
    ScoreStream

    Examples
    --------
    >>> import numpy as np, rtlab
    >>> audio = rtlab.datasets.load("librivox/0930").audio
    >>> s = rtlab.vad.stream()
    >>> parts = [s.push(audio.samples[i:i + 2400]) for i in range(0, audio.n_samples, 2400)]
    >>> probabilities = np.concatenate(parts + [s.flush()])
    >>> np.array_equal(probabilities, rtlab.vad.score(audio).probabilities)
    True
    """
    return ScoreStream(model)


# --------------------------------------------------------------------------------------------
# public functions


def _check_model(model: object, owner: str) -> str:
    if model not in MODELS:
        raise ConfigError("model", model, "'silero' or 'energy'", owner=owner)
    return str(model)


def as_audio(audio: object) -> Audio:
    from rtlab.audio import Audio, load_audio

    return audio if isinstance(audio, Audio) else load_audio(audio)


def score_many(
    audios: Iterable[Audio],
    *,
    model: ModelName = "silero",
    cache: bool = True,
    progress: bool = True,
) -> list[FrameScores]:
    """Score many clips, batching every uncached clip through the model together.

    Parameters
    ----------
    audios : iterable of Audio
        The clips (anything :func:`rtlab.load_audio` accepts is loaded first).
    model : {"silero", "energy"}, default "silero"
        See the module notes.
    cache : bool, default True
        Read cached scores and write new ones (see :func:`cache_dir`). With False the
        cache is neither read nor written.
    progress : bool, default True
        Show a ``tqdm`` progress bar while Silero runs.

    Returns
    -------
    list of FrameScores
        In the order of ``audios``, each with its audio attached.

    Raises
    ------
    ConfigError
        ``model`` is not known.
    ModelNotFoundError
        The Silero model file is not installed (``pip install pipecat-ai``).

    Examples
    --------
    >>> import rtlab, glob
    >>> paths = sorted(glob.glob("datasets/librivox_pocketsphinx/*.wav"))
    >>> scores = rtlab.vad.score_many([rtlab.load_audio(p) for p in paths], progress=False)
    >>> [s.n_frames for s in scores]
    [221, 93, 165, 189, 102]
    """
    model = _check_model(model, "score_many")  # type: ignore[assignment]
    clips = [as_audio(a) for a in audios]
    found: list[np.ndarray | None] = [None] * len(clips)
    if cache:
        for i, clip in enumerate(clips):
            found[i] = _read_cache(
                _cache_path(clip.fingerprint, model),
                fingerprint=clip.fingerprint,
                model=model,
                n_frames=_n_frames(clip),
            )
    missing = [i for i, p in enumerate(found) if p is None]
    # a clip given twice is scored once
    unique: dict[str, int] = {}
    for i in missing:
        unique.setdefault(clips[i].fingerprint, i)
    # scored in groups of at most _GROUP_SAMPLES of audio (memory), each cached when done
    by_fingerprint: dict[str, np.ndarray] = {}
    groups: list[list[str]] = []
    size = 0
    for fingerprint, i in unique.items():
        if not groups or size + clips[i].samples.size > _GROUP_SAMPLES:
            groups.append([])
            size = 0
        groups[-1].append(fingerprint)
        size += clips[i].samples.size
    for group in groups:
        computed = _score_missing([clips[unique[f]] for f in group], model, progress=progress)
        for fingerprint, probabilities in zip(group, computed, strict=True):
            by_fingerprint[fingerprint] = probabilities
            if cache:
                _write_cache(
                    _cache_path(fingerprint, model),
                    probabilities,
                    fingerprint=fingerprint,
                    model=model,
                )
    for i in missing:
        found[i] = by_fingerprint[clips[i].fingerprint]
    return [
        FrameScores(
            probabilities=p,
            hop_ms=HOP_MS,
            model=model,
            fingerprint=clip.fingerprint,
            duration_ms=float(clip.duration_ms),
            audio=clip,
        )
        for clip, p in zip(clips, found, strict=True)
        if p is not None
    ]


def score(
    audio: Audio,
    *,
    model: ModelName = "silero",
    cache: bool = True,
    progress: bool = False,
) -> FrameScores:
    """Speech probability per 32 ms frame of one clip, cached on disk.

    Parameters
    ----------
    audio : Audio
        The clip (int16, 24 kHz mono); a path or anything :func:`rtlab.load_audio` accepts
        is loaded first.
    model : {"silero", "energy"}, default "silero"
        ``"silero"``: Silero VAD (pipecat's ``silero_vad.onnx``) through onnxruntime;
        ``"energy"``: frame energy over a noise floor. See the module notes.
    cache : bool, default True
        Read the scores from the cache when this clip (same samples) was scored before with
        the same model and scorer version; otherwise compute them and write them. A cache
        file that is corrupt or does not match is recomputed and overwritten.
    progress : bool, default False
        Show a ``tqdm`` progress bar (useful for clips of many minutes).

    Returns
    -------
    FrameScores
        ``audio.n_samples // 768`` frames of 32 ms, with ``audio`` attached.

    Raises
    ------
    ConfigError
        ``model`` is not known.
    ModelNotFoundError
        The Silero model file is not installed (``pip install pipecat-ai``).

    Examples
    --------
    >>> import rtlab
    >>> audio = rtlab.load_audio("datasets/ami_pyannote_debug/trn02.wav")
    >>> scores = rtlab.vad.score(audio, model="energy")
    >>> scores.model, scores.n_frames, scores.audio is audio
    ('energy', 937, True)
    """
    _check_model(model, "score")
    return score_many([audio], model=model, cache=cache, progress=progress)[0]
