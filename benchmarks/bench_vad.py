"""Benchmark: VAD scoring and turn detection speed against the straightforward ways.

Run from the repository root::

    .venv/bin/python benchmarks/bench_vad.py

Part 1 scores a 10-minute clip composed from the shipped real recordings (AMI meetings,
LibriVox, the AMI/lhotse cut, JFK; tiled) with ``rtlab.vad.score`` (cache off) and with
pipecat's own ``SileroVADAnalyzer`` fed 512-sample chunks (32 ms at 16 kHz) through its
per-chunk ``voice_confidence``, as pipecat's VAD loop does. Goal: rtlab >= 10x faster.
pipecat gets the 16 kHz int16 audio ready-made (its resampling is not timed; rtlab's is).

Part 2 runs ``rtlab.detect`` for 1,000 ``server_vad`` configs on 1 hour of cached scores,
against ``rtlab.turns.Detector`` (the per-frame Python state machine, fed one frame per
call, as a stream is) on a few configs, extrapolated per config. Goal: >= 50x.

Times are medians of 3 repeats (wall clock, ``time.perf_counter``), on whatever cores the
machine has (onnxruntime and numpy are left to their defaults as rtlab sets them).
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)
# a private cache: the benchmark never reads or pollutes the user's
os.environ["RTLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlab-bench-")

import rtlab  # noqa: E402
from rtlab import datasets, vad  # noqa: E402
from rtlab.audio import Audio  # noqa: E402

REPEATS = 3


def median_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def composed(minutes: float) -> Audio:
    names = [n for n in datasets.names()["name"]]
    pieces = [datasets.load(n).audio.samples for n in names]
    one_pass = np.concatenate(pieces)
    n = int(minutes * 60 * 24000)
    reps = -(-n // one_pass.size)
    return Audio(np.tile(one_pass, reps)[:n], source=f"{minutes:g} min of shipped clips, tiled")


def part1() -> Audio:
    print("== Part 1: Silero scoring, 10-minute clip ==")
    audio = composed(10)
    seconds = audio.duration_s
    vad.score(datasets.load("librivox/0880").audio, cache=False)  # load the session first

    t_rtlab, scores = median_time(lambda: vad.score(audio, cache=False))

    import soxr
    from pipecat.audio.vad.silero import SileroVADAnalyzer

    x16 = soxr.resample(audio.samples.astype(np.float32) / 32768, 24000, 16000, quality="HQ")
    pcm16 = (np.clip(x16, -1, 32767 / 32768) * 32768).astype("<i2").tobytes()
    chunk = 512 * 2

    def pipecat_run() -> np.ndarray:
        analyzer = SileroVADAnalyzer(sample_rate=16000)
        analyzer.set_sample_rate(16000)
        out = []
        for i in range(0, len(pcm16) - chunk + 1, chunk):
            out.append(float(np.ravel(analyzer.voice_confidence(pcm16[i : i + chunk]))[0]))
        return np.array(out, np.float32)

    t_pipecat, theirs = median_time(pipecat_run)

    def sequential() -> np.ndarray:
        x = vad.resample_16k(audio)
        return vad._silero_probabilities([x], [vad._n_frames(audio)], segment_frames=None)[0]

    t_seq, _ = median_time(sequential, repeats=1)

    ours = scores.probabilities
    n = min(ours.size, theirs.size)
    agree = float(np.mean((ours[:n] >= 0.5) == (theirs[:n] >= 0.5)))
    print(
        f"audio: {seconds:.0f} s, {scores.n_frames} frames of 32 ms, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} (other jobs share the cores: times vary)"
    )
    print(f"rtlab.vad.score (batched, segmented): {t_rtlab:6.3f} s   RTF {t_rtlab / seconds:.5f}")
    print(f"rtlab one never-reset stream, batch 1: {t_seq:6.3f} s   RTF {t_seq / seconds:.5f}")
    print(
        f"pipecat SileroVADAnalyzer.voice_confidence: {t_pipecat:6.3f} s   "
        f"RTF {t_pipecat / seconds:.5f}"
    )
    print(f"speed-up vs pipecat: {t_pipecat / t_rtlab:.1f}x  (goal >= 10x)")
    print(f"frames agreeing with pipecat at 0.5: {agree * 100:.1f} % (pipecat resets its state")
    print("  after ~2 s of quiet; rtlab every 32.8 s with a 2 s warm-up)")
    return audio


def part2(audio10: Audio) -> None:
    print("\n== Part 2: detection, 1,000 server_vad configs on 1 hour of cached scores ==")
    try:
        from rtlab.turns import Detector
    except ImportError as exc:  # the detection module is not there yet
        print(f"skipped: {exc}")
        return
    hour = Audio(np.tile(audio10.samples, 6), source="1 h of shipped clips, tiled")
    t0 = time.perf_counter()
    vad.score(hour, progress=False)
    t_score = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = vad.score(hour)  # from the cache
    t_cached = time.perf_counter() - t0
    print(
        f"scored 1 h once in {t_score:.2f} s (RTF {t_score / 3600:.5f}); "
        f"read back from the cache in {t_cached:.3f} s"
    )

    thresholds = np.round(np.linspace(0.3, 0.75, 10), 3)
    silences = range(100, 2001, 100)
    prefixes = (0, 150, 300, 450, 600)
    configs = [
        rtlab.Session(
            turn_detection=rtlab.ServerVad(
                threshold=float(t), silence_duration_ms=s, prefix_padding_ms=p
            )
        )
        for t, s, p in itertools.product(thresholds, silences, prefixes)
    ]
    assert len(configs) == 1000

    def run_all() -> int:
        return sum(len(rtlab.detect(scores, session)) for session in configs)

    t_detect, n_events = median_time(run_all)
    per_config = t_detect / len(configs)

    subset = configs[:: len(configs) // 4][:4]
    probabilities = scores.probabilities

    def stream_subset() -> list[list[dict]]:
        logs = []
        for session in subset:
            detector = Detector(session)
            events: list[dict] = []
            for p in probabilities:
                events += detector.feed_scores((p,))
            logs.append(events)
        return logs

    t_stream, logs = median_time(stream_subset)
    per_config_stream = t_stream / len(subset)
    same = all(
        events == list(rtlab.detect(scores, session))
        for events, session in zip(logs, subset, strict=True)
    )
    print(
        f"rtlab.detect: 1,000 configs in {t_detect:.2f} s ({per_config * 1000:.2f} ms per config, "
        f"{n_events} events in all)"
    )
    print(
        f"Detector fed frame by frame: {per_config_stream:.2f} s per config "
        f"(median of {REPEATS} runs over {len(subset)} configs); 1,000 configs would take "
        f"{per_config_stream * 1000:.0f} s"
    )
    print(
        f"speed-up: {per_config_stream / per_config:.0f}x  (goal >= 50x); "
        f"same events on the subset: {same}"
    )


def part3(audio: Audio) -> None:
    """Where vad.score's time goes against a plain batched run of the same model (issue 15)."""
    print("\n== Part 3: vad.score against a plain batched run of the ONNX model ==")
    seconds = audio.duration_s
    n_frames = vad._n_frames(audio)
    t_score, _ = median_time(lambda: vad.score(audio, cache=False))
    t_resample, x16 = median_time(lambda: vad.resample_16k(audio))
    plan = vad._silero_plan(n_frames)
    t_model, _ = median_time(lambda: vad._silero_probabilities([x16], [n_frames]))
    n_run = sum(w + k for _, w, k in plan)

    # the plain run: the same frames, cut into 64 equal streams, 32 per thread, no resets
    import concurrent.futures

    streams = 64
    length = n_frames // streams
    starts = 64 + np.arange(streams) * length * 512
    padded = np.concatenate([np.zeros(64, np.float32), x16])

    def plain() -> None:
        halves = [(starts[:32], padded), (starts[32:], padded)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(vad._run_silero_streams, sig, st, np.full(st.size, length))
                for st, sig in halves
            ]
            for future in futures:
                future.result()

    t_plain, _ = median_time(plain)
    plain_rate = streams * length * 0.032 / t_plain
    print(f"vad.score: {seconds / t_score:6.0f}x real time ({t_score:.2f} s)")
    print(f"  resampling 24 -> 16 kHz (causal FIR, scipy upfirdn): {t_resample:.2f} s")
    print(
        f"  model: {t_model:.2f} s for {n_run} frames ({len(plan)} streams, "
        f"{n_run - n_frames} warm-up frames = {100 * (n_run / n_frames - 1):.1f} %), "
        f"{n_run / t_model:.0f} frames/s"
    )
    print(
        f"plain batched run, 64 streams x {length} frames, 32 per thread: {plain_rate:6.0f}x "
        f"real time, {streams * length / t_plain:.0f} frames/s"
    )
    print(f"vad.score / plain: {seconds / t_score / plain_rate * 100:.0f} %")


def main() -> int:
    audio10 = part1() if "--part3" not in sys.argv else composed(10)
    if "--part3" not in sys.argv:
        part2(audio10)
    part3(audio10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
