"""Turn-end probability from Smart Turn v3: has the user finished speaking?

``semantic_vad`` waits at a pause as long as the user seems unfinished. rtlab's emulator
asks Smart Turn v3 (``smart-turn-v3.*.onnx`` from the ``pipecat-ai`` wheel, a Whisper-tiny
encoder with a classifier) at the start of each pause, with the same input conventions as
pipecat's ``LocalSmartTurnAnalyzerV3``:

* the audio (int16 24 kHz) is divided by 32768 and resampled to 16 kHz (``soxr``, "HQ");
* the model hears the **last 8 s** before the position (128 000 samples), **zero-padded at
  the start** when there is less;
* those 8 s are normalised to zero mean and unit variance (``(x - mean) / sqrt(var + 1e-7)``,
  padding included), then turned into Whisper log-mel features: periodic Hann window of 400
  samples, hop 160, centred frames with reflect padding (801 frames, the last dropped:
  800), power spectrum, 80 Slaney-normalised Slaney-scale mel filters over 0–8 kHz,
  ``log10(max(mel, 1e-10))``, clamped to ``max - 8``, then ``(x + 4) / 4``;
* the model's input is ``input_features`` ``[batch, 80, 800]`` float32; its single output
  (named ``logits``, shape ``[batch, 1]``) is already a probability (a sigmoid is inside
  the graph): the probability that the turn is complete.

Measured on the shipped LibriVox clips (``tests/test_smart_turn.py``): the three utterances
that end a sentence score 0.91–0.99 at their end; cut at the word ends between 40 % and
60 % of their speech, 13 of 14 cuts score 0.007–0.17 (median 0.04), the exception being a
phrase end ("… rather cold hearted", 0.92). The two utterances that stop at a comma or
semicolon in the book score 0.08–0.10 at their end: the reader's voice says "more to come".

Results are cached on disk per clip (``rtlab._io.cache_dir() / "smart_turn"``), keyed by the
audio fingerprint, the position (in 16 kHz samples) and the scorer version; new positions
are added to the clip's cache file.

Examples
--------
>>> import rtlab
>>> from rtlab.smart_turn import turn_end_probability
>>> audio = rtlab.datasets.load("librivox/0920").audio
>>> audio.duration_ms
6050.0
>>> p = turn_end_probability(audio, [3000.0, 6050.0])   # "... he might" | "... than he was."
>>> bool(p[0] < 0.2), bool(p[1] > 0.8)
(True, True)
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rtlab import _io
from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio

__all__ = [
    "MAX_CONTEXT_S",
    "SCORER_VERSION",
    "log_mel_features",
    "signal_16k",
    "turn_end_probability",
]

logger = logging.getLogger(__name__)

SCORER_VERSION = "1"
"""Bump when the probabilities change; part of every cache key."""

MAX_CONTEXT_S = 8
"""Seconds of audio before each position that the model hears."""

_RATE_HZ = 16000
_N_SAMPLES = MAX_CONTEXT_S * _RATE_HZ  # 128000
_N_FFT = 400
_HOP = 160
_N_MELS = 80
_N_FRAMES = _N_SAMPLES // _HOP  # 800
_BATCH = 8  # positions per onnxruntime call


@functools.cache
def _mel_filters() -> np.ndarray:
    """Whisper's filterbank ``(80, 201)``: Slaney mel scale, Slaney area normalisation."""
    import librosa

    filters = librosa.filters.mel(
        sr=_RATE_HZ,
        n_fft=_N_FFT,
        n_mels=_N_MELS,
        fmin=0.0,
        fmax=_RATE_HZ / 2,
        htk=False,
        norm="slaney",
        dtype=np.float64,
    )
    filters.setflags(write=False)  # computed once, shared by every call
    return filters


def log_mel_features(windows: np.ndarray) -> np.ndarray:
    """Smart Turn v3 input features for 8-s windows of 16 kHz audio.

    Parameters
    ----------
    windows : numpy.ndarray
        float, shape ``(n, 128000)`` (or ``(128000,)``): 8 s at 16 kHz in [-1, 1], already
        zero-padded at the start where the audio is shorter.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n, 80, 800)`` (or ``(80, 800)``), roughly in [-1.5, 1.5]: each
        window normalised to zero mean / unit variance, then Whisper's log-mel (see the
        module notes).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(2 * np.pi * 440 * np.arange(128000) / 16000)
    >>> f = log_mel_features(x)
    >>> f.shape, f.dtype, float(f.max() - f.min()) <= 2.0
    ((80, 800), dtype('float32'), True)
    """
    from numpy.lib.stride_tricks import sliding_window_view

    allowed = f"a finite float array of shape (n, {_N_SAMPLES}) or ({_N_SAMPLES},)"
    try:
        x = np.asarray(windows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError("windows", windows, allowed, owner="log_mel_features") from exc
    single = x.ndim == 1
    x = np.atleast_2d(x)
    if x.ndim != 2 or x.shape[1] != _N_SAMPLES:
        raise ConfigError(
            "windows", f"array of shape {np.shape(windows)}", allowed, owner="log_mel_features"
        )
    if not np.isfinite(x).all():
        raise ConfigError(
            "windows", "an array holding NaN or inf", allowed, owner="log_mel_features"
        )
    x = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-7)
    pad = _N_FFT // 2
    x = np.pad(x, ((0, 0), (pad, pad)), mode="reflect")
    frames = sliding_window_view(x, _N_FFT, axis=1)[:, ::_HOP]  # (n, 801, 400)
    window = np.hanning(_N_FFT + 1)[:-1]  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2  # (n, 801, 201)
    mel = np.einsum("mf,ntf->nmt", _mel_filters(), power)  # (n, 80, 801)
    log_spec = np.log10(np.maximum(mel, 1e-10))[:, :, :-1]
    peak = log_spec.max(axis=(1, 2), keepdims=True)
    log_spec = (np.maximum(log_spec, peak - 8.0) + 4.0) / 4.0
    out = log_spec.astype(np.float32)
    return out[0] if single else out


def windows_16k(signal: np.ndarray, start16: np.ndarray, end16: np.ndarray) -> np.ndarray:
    """The last 8 s of ``signal[start:end]`` per position, zero-padded at the start."""
    out = np.zeros((end16.size, _N_SAMPLES), np.float32)
    for i, (s, e) in enumerate(zip(start16.tolist(), end16.tolist(), strict=True)):
        lo = max(s, e - _N_SAMPLES)
        if e > lo:
            out[i, _N_SAMPLES - (e - lo) :] = signal[lo:e]
    return out


def run_model(windows: np.ndarray) -> np.ndarray:
    """Smart Turn probabilities for ``(n, 128000)`` windows (the only place it runs)."""
    from rtlab._models import session

    sess = session("smart_turn")
    name = sess.get_inputs()[0].name
    out = np.empty(windows.shape[0], np.float32)
    for lo in range(0, windows.shape[0], _BATCH):
        features = log_mel_features(windows[lo : lo + _BATCH])
        (probs,) = sess.run(None, {name: features})
        out[lo : lo + _BATCH] = np.asarray(probs, np.float32).reshape(-1)
    return np.clip(out, 0.0, 1.0)


# -- cache ------------------------------------------------------------------------------------


def _cache_path(fingerprint: str) -> Path:
    key = hashlib.sha1(f"smart_turn|{SCORER_VERSION}|{_N_SAMPLES}".encode()).hexdigest()[:12]
    return _io.cache_dir() / "smart_turn" / f"{fingerprint}-{key}.npz"


def _checksum(keys: np.ndarray, probs: np.ndarray) -> str:
    h = hashlib.sha1(np.ascontiguousarray(keys, "<i8").tobytes())
    h.update(np.ascontiguousarray(probs, "<f4").tobytes())
    return h.hexdigest()


def _read_cache(path: Path, fingerprint: str) -> dict[tuple[int, int], float]:
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            keys = np.asarray(data["keys"], np.int64)
            probs = np.asarray(data["probabilities"], np.float32)
            ok = (
                str(data["fingerprint"]) == fingerprint
                and str(data["version"]) == SCORER_VERSION
                and keys.ndim == 2
                and keys.shape == (probs.size, 2)
                and str(data["sha1"]) == _checksum(keys, probs)
            )
    except Exception as exc:  # an unreadable file is recomputed, never trusted
        logger.info("Ignoring unreadable Smart Turn cache %s: %s", path, exc)
        return {}
    if not ok:
        logger.info("Ignoring Smart Turn cache %s: it does not match", path)
        return {}
    return {(int(s), int(e)): float(p) for (s, e), p in zip(keys, probs, strict=True)}


def _write_cache(path: Path, fingerprint: str, table: dict[tuple[int, int], float]) -> None:
    keys = np.array(sorted(table), dtype=np.int64).reshape(-1, 2)
    probs = np.array([table[(int(s), int(e))] for s, e in keys], dtype=np.float32)
    _io.write_cache(
        path,
        lambda handle: np.savez(
            handle,
            keys=keys,
            probabilities=probs,
            fingerprint=np.array(fingerprint),
            version=np.array(SCORER_VERSION),
            sha1=np.array(_checksum(keys, probs)),
        ),
    )


# -- public -----------------------------------------------------------------------------------


def _positions(values: object, name: str, duration_ms: float, n16: int) -> np.ndarray:
    allowed = f"times in ms within [0, {duration_ms:g}] (the audio's duration)"
    try:
        ms = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ConfigError(name, values, allowed, owner="turn_end_probability") from exc
    if ms.size and (not np.isfinite(ms).all() or ms.min() < 0 or ms.max() > duration_ms + 1e-6):
        raise ConfigError(name, values, allowed, owner="turn_end_probability")
    return np.minimum(np.rint(ms * (_RATE_HZ / 1000.0)).astype(np.int64), n16)


def turn_end_probability(
    audio: Audio,
    end_ms: Sequence[float] | np.ndarray | float,
    *,
    start_ms: Sequence[float] | np.ndarray | float | None = None,
    cache: bool = True,
) -> np.ndarray:
    """Probability that the turn is complete at each position, from Smart Turn v3.

    Parameters
    ----------
    audio : Audio
        The clip (int16, 24 kHz mono); a path or anything :func:`rtlab.load_audio` accepts
        is loaded first.
    end_ms : float or sequence of float
        Positions in ms, each where a pause begins (within ``[0, audio.duration_ms]``). The
        model hears the 8 s of audio before each position (zero-padded at the start).
    start_ms : float or sequence of float, optional
        Where each turn began (one value for all positions, or one per position). Audio
        before it is left out (zeros instead), as pipecat feeds only the current turn.
        Default: the whole clip before the position counts.
    cache : bool, default True
        Read and extend the clip's cache file (see the module notes).

    Returns
    -------
    numpy.ndarray
        float32 in [0, 1], one per position, in the order of ``end_ms``.

    Raises
    ------
    ConfigError
        A position is not a finite time within the audio, or ``start_ms`` does not match.
    ModelNotFoundError
        The Smart Turn model is not installed (``pip install pipecat-ai``).

    Examples
    --------
    >>> import rtlab
    >>> audio = rtlab.datasets.load("librivox/0870").audio
    >>> p = turn_end_probability(audio, [audio.duration_ms])   # "... to do for them."
    >>> p.dtype, p.shape, bool(p[0] > 0.8)
    (dtype('float32'), (1,), True)
    """
    from rtlab.vad import as_audio

    audio = as_audio(audio)
    duration_ms = float(audio.duration_ms)
    n16 = round(audio.samples.size * _RATE_HZ / SAMPLE_RATE_HZ)
    end16 = _positions(end_ms, "end_ms", duration_ms, n16)
    if start_ms is None:
        start16 = np.zeros_like(end16)
    else:
        start16 = _positions(start_ms, "start_ms", duration_ms, n16)
        if start16.size == 1:
            start16 = np.full_like(end16, start16[0])
        if start16.size != end16.size or (start16 > end16).any():
            raise ConfigError(
                "start_ms",
                start_ms,
                "one time, or one per position, each <= its end_ms",
                owner="turn_end_probability",
            )
    keys = list(zip(start16.tolist(), end16.tolist(), strict=True))
    if not keys:
        return np.zeros(0, np.float32)

    path = _cache_path(audio.fingerprint)
    table = _read_cache(path, audio.fingerprint) if cache else {}
    missing = sorted({k for k in keys if k not in table})
    if missing:
        signal = signal_16k(audio)
        todo = np.array(missing, dtype=np.int64).reshape(-1, 2)
        probs = run_model(windows_16k(signal, todo[:, 0], todo[:, 1]))
        table.update(zip(missing, probs.tolist(), strict=True))
        if cache:
            _write_cache(path, audio.fingerprint, table)
    return np.array([table[k] for k in keys], dtype=np.float32)


def signal_16k(audio: Audio) -> np.ndarray:
    """The clip as Smart Turn hears it: 16 kHz float32 in [-1, 1], soxr "HQ" (as pipecat).

    The streaming detector's resampler gives the same samples. Silero hears the clip through
    a causal filter instead (:func:`rtlab.vad.resample_16k`); Smart Turn keeps soxr because
    its probabilities at mid-sentence pauses move by up to 0.2 with the resampler's filter.
    """
    from rtlab._resample import Soxr16k, whole

    return whole(audio.samples, Soxr16k())
