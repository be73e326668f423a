"""Full-duplex simulator: real-time factor on an hour of conversation, and the echo finding.

``python benchmarks/bench_duplex.py [minutes]`` composes ``minutes`` (default 60) of user
speech from the shipped utterances (5-minute tracks of ``rtlab.datasets.conversation``),
runs :func:`rtlab.duplex.simulate` with the API defaults, an agent and an echo path (and
again with a perfect canceller), and prints the real-time factor beside two same-run
baselines on the same microphone audio: plain :func:`rtlab.detect` (batched Silero, no
agent), and the streaming scorer :func:`rtlab.vad.stream` alone (what any closed loop must
run: Silero one frame at a time, since what comes next depends on what it decided). The
perfect-canceller run needs no streaming (the microphone does not depend on the agent) and
reads Silero scores from rtlab's disk cache once a first run has written them.

``python benchmarks/bench_duplex.py finding [floor_dbfs]`` prints, for a 3-minute track and
a pink noise floor (default -60 dBFS), how many times the agent interrupts itself as the
echo gets louder (return loss 0 dB, canceller suppression 50 ... 10 dB), for the API
defaults, higher thresholds, ``semantic_vad`` and ``far_field`` noise reduction, with the
barge-ins each misses.
"""

from __future__ import annotations

import sys
import time

import rtlab
from rtlab import datasets
from rtlab._duplex_metrics import duplex_metrics
from rtlab.duplex import Agent, Echo, simulate


def main(minutes: float = 60.0) -> None:
    per_track = 5.0
    n_tracks = max(1, round(minutes / per_track))
    tracks = [datasets.conversation(per_track, seed=s) for s in range(n_tracks)]
    floor = rtlab.noise.pink(10.0, seed=1, level_dbfs=-60.0)
    session = rtlab.Session()
    agent = Agent(think_ms=700, think_sigma=0.3)
    rows = []
    for label, echo in (
        ("echo path (RL 10 dB, AEC 30 dB)", Echo(return_loss_db=10, suppression_db=30)),
        ("perfect canceller", None),
    ):
        audio_s = wall = 0.0
        mics = []
        for i, clip in enumerate(tracks):
            t0 = time.perf_counter()
            conv = simulate(clip, session, agent=agent, echo=echo, noise=floor, seed=i)
            wall += time.perf_counter() - t0
            audio_s += conv.microphone.duration_s
            mics.append(conv.microphone)
        rows.append((f"simulate, {label}", audio_s, wall))
        if echo is not None:
            t0 = time.perf_counter()
            for mic in mics:
                rtlab.detect(rtlab.vad.score(mic, cache=False), session)
            rows.append(
                ("baseline: vad.score + detect, same audio", audio_s, time.perf_counter() - t0)
            )
            # the floor of any closed loop: scoring the same audio frame by frame, as it comes
            t0 = time.perf_counter()
            for mic in mics:
                stream = rtlab.vad.stream()
                for i in range(0, mic.n_samples, 1536):
                    stream.push(mic.samples[i : i + 1536])
                stream.flush()
            rows.append(
                ("baseline: vad.stream alone, same audio", audio_s, time.perf_counter() - t0)
            )
    for label, audio_s, wall in rows:
        rtf = audio_s / wall
        print(f"{label:48s} {audio_s / 60:6.1f} min audio  {wall:7.1f} s  {rtf:7.1f}x real time")


def finding(floor_dbfs: float = -60.0) -> None:
    clip = datasets.conversation(3.0, seed=0)
    floor = rtlab.noise.pink(10.0, seed=1, level_dbfs=floor_dbfs)
    agent = Agent(think_ms=700)
    configs = {
        "defaults": rtlab.Session(),
        "threshold 0.7": rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.7)),
        "threshold 0.8": rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.8)),
        "threshold 0.9": rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.9)),
        "semantic_vad": rtlab.Session(turn_detection=rtlab.SemanticVad()),
        "far_field": rtlab.Session(
            input_audio_noise_reduction=rtlab.NoiseReduction(type="far_field")
        ),
    }
    print(f"{clip.duration_s:.0f} s, {len(clip.truth.turns)} user turns, floor {floor_dbfs} dBFS")
    for name, session in configs.items():
        for suppression_db in (None, 50, 45, 40, 35, 30, 25, 20, 10):
            echo = (
                None
                if suppression_db is None
                else Echo(return_loss_db=0, suppression_db=suppression_db)
            )
            conv = simulate(clip, session, agent=agent, echo=echo, noise=floor)
            m = duplex_metrics(conv.log, conv.truth)
            print(
                f"{name:14s} echo attenuation {suppression_db!s:>4} dB: "
                f"self-interruptions {m['self_interruptions']:3d}, "
                f"barge-ins {m['barge_ins']:3d}, "
                f"missed {m['missed_barge_ins']:3d}/{m['barge_in_turns']:3d}, "
                f"responses {m['responses']:3d}"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "finding":
        finding(float(sys.argv[2]) if len(sys.argv) > 2 else -60.0)
    else:
        main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
