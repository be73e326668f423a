"""Benchmark rtlab's audio input path and G.711 codec against same-run baselines.

1. ``rtlab.load_audio`` on a 10-minute 48 kHz stereo PCM16 WAV made of real speech (the
   shipped clips, upsampled and tiled) against ``librosa.load(path, sr=24000, mono=True)``,
   which resamples with soxr "HQ" as rtlab does. Goals: rtlab at least 1.3x faster, and
   rtlab's int16 output within 60 dB SNR of librosa's float output.
2. G.711 µ-law / A-law encode and decode throughput (MB/s of 16-bit PCM) of
   ``rtlab._g711`` against the standard library's ``audioop`` on 10 minutes of real speech
   at 8 kHz. Goal: at least 1x.

Run: ``.venv/bin/python benchmarks/bench_audio.py`` (about 15 s on 2 cores). Each pair of
functions is timed alternately (so a load burst on a shared machine hits both alike); the
script prints medians (5 repeats for loading, 31 for the codec), the ratios, and whether
each goal was met.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
LONG_S = 600
LONG_RATE_HZ = 48000
REPEATS = 5
CODEC_REPEATS = 31


def median_times(
    ours: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> tuple[float, float, object, object]:
    """Median wall times of both functions, run alternately so load bursts hit both alike.

    One warm-up call each first; returns (ours_s, baseline_s, our result, baseline result).
    """
    result_ours, result_base = ours(), baseline()
    times_ours, times_base = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result_base = baseline()
        times_base.append(time.perf_counter() - start)
        start = time.perf_counter()
        result_ours = ours()
        times_ours.append(time.perf_counter() - start)
    return (
        statistics.median(times_ours),
        statistics.median(times_base),
        result_ours,
        result_base,
    )


def speech_clips() -> list[tuple[np.ndarray, int]]:
    """Every shipped speech clip as mono float32, with its rate."""
    paths = [*sorted(DATASETS.glob("*/*.wav")), DATASETS / "jfk_whisper" / "jfk.flac"]
    clips = []
    for path in paths:
        x, rate = sf.read(path, dtype="float32", always_2d=True)
        clips.append((x.mean(axis=1), rate))
    return clips


def make_long_file(folder: Path) -> Path:
    """10 minutes of real speech at 48 kHz stereo PCM16 (right channel delayed, quieter)."""
    pieces = [soxr.resample(x, rate, LONG_RATE_HZ, quality="HQ") for x, rate in speech_clips()]
    speech = np.concatenate(pieces)
    n = LONG_S * LONG_RATE_HZ
    left = np.tile(speech, -(-n // speech.size))[:n]
    right = 0.7 * np.roll(left, LONG_RATE_HZ // 10)
    stereo = np.stack([left, right], axis=1)
    stereo *= 0.9 / np.abs(stereo).max()
    path = folder / "speech_10min_48k_stereo.wav"
    sf.write(path, stereo, LONG_RATE_HZ, subtype="PCM_16")
    return path


def bench_load(folder: Path) -> list[tuple[str, bool]]:
    import librosa

    from rtlab import load_audio

    path = make_long_file(folder)
    info = sf.info(path)
    print(
        f"input: {info.duration:.0f} s, {info.samplerate} Hz, "
        f"{info.channels} channels, {info.subtype}"
    )
    t_rtlab, t_librosa, audio, ref = median_times(
        lambda: load_audio(path), lambda: librosa.load(path, sr=24000, mono=True)[0], REPEATS
    )
    ref = np.asarray(ref, dtype=np.float64) * 32768
    ours = audio.samples.astype(np.float64)
    n = min(ref.size, ours.size)
    snr_db = 10 * np.log10(np.sum(ref[:n] ** 2) / np.sum((ours[:n] - ref[:n]) ** 2))
    ratio = t_librosa / t_rtlab
    print(f"librosa.load(sr=24000, mono=True): {t_librosa * 1e3:8.1f} ms (median of {REPEATS})")
    print(f"rtlab.load_audio:                  {t_rtlab * 1e3:8.1f} ms (median of {REPEATS})")
    print(f"speed-up: {ratio:.2f}x   (goal >= 1.3x)")
    print(f"samples: rtlab {ours.size}, librosa {ref.size}")
    print(
        f"SNR of rtlab's int16 output against librosa's float output: {snr_db:.1f} dB"
        "   (goal >= 60 dB)"
    )
    return [
        ("load_audio >= 1.3x librosa.load", ratio >= 1.3),
        ("SNR vs librosa >= 60 dB", snr_db >= 60),
    ]


def bench_g711() -> list[tuple[str, bool]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    pieces = [soxr.resample(x, rate, 8000, quality="HQ") for x, rate in speech_clips()]
    speech = np.concatenate(pieces)
    n = LONG_S * 8000
    x = np.tile(speech, -(-n // speech.size))[:n]
    pcm16 = np.clip(np.rint(x * 32768), -32768, 32767).astype(np.int16)
    megabytes = pcm16.nbytes / 1e6
    print(f"input: {LONG_S} s of speech at 8 kHz, {megabytes:.1f} MB of PCM16")
    results = []
    for law in ("ulaw", "alaw"):
        results += bench_law(law, pcm16, audioop, megabytes)
    return results


def bench_law(
    law: str, pcm16: np.ndarray, audioop: Any, megabytes: float
) -> list[tuple[str, bool]]:
    from rtlab import _g711

    pcm_bytes = pcm16.tobytes()
    enc_ref: Callable[[bytes, int], bytes] = getattr(audioop, f"lin2{law}")
    dec_ref: Callable[[bytes, int], bytes] = getattr(audioop, f"{law}2lin")
    codes = enc_ref(pcm_bytes, 2)
    assert _g711.encode(pcm16, law) == codes, "encoder is not bit-exact"
    assert _g711.decode(codes, law).tobytes() == dec_ref(codes, 2), "decoder is not bit-exact"
    t_enc, t_enc_ref, _, _ = median_times(
        lambda: _g711.encode(pcm16, law), lambda: enc_ref(pcm_bytes, 2), CODEC_REPEATS
    )
    t_dec, t_dec_ref, _, _ = median_times(
        lambda: _g711.decode(codes, law), lambda: dec_ref(codes, 2), CODEC_REPEATS
    )
    results = []
    for what, ours, ref in (("encode", t_enc, t_enc_ref), ("decode", t_dec, t_dec_ref)):
        ratio = ref / ours
        print(
            f"{law} {what}: rtlab {megabytes / ours:6.0f} MB/s, "
            f"audioop {megabytes / ref:6.0f} MB/s, ratio {ratio:.2f}x   (goal >= 1x)"
        )
        results.append((f"{law} {what} >= audioop", ratio >= 1.0))
    return results


def main() -> int:
    goals = []
    with tempfile.TemporaryDirectory(prefix="rtlab-bench-") as tmp:
        print("== load_audio vs librosa.load")
        goals += bench_load(Path(tmp))
    print("== G.711 vs audioop")
    goals += bench_g711()
    print("== goals")
    for name, met in goals:
        print(f"{'met    ' if met else 'NOT MET'}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
