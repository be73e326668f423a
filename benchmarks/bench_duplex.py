"""Real-time factor of the full-duplex simulator on an hour of conversation.

Composes 60 minutes of user speech from the shipped utterances (12 tracks of 5 minutes,
``rtlab.datasets.conversation``), runs :func:`rtlab.duplex.simulate` with the API defaults,
an agent and an echo path, and prints the real-time factor beside a same-run baseline:
plain :func:`rtlab.detect` (batched Silero, no agent) on the same microphone audio.

Run: ``python benchmarks/bench_duplex.py [minutes]``.
"""

from __future__ import annotations

import sys
import time

import rtlab
from rtlab import datasets
from rtlab.duplex import Agent, Echo, simulate


def main(minutes: float = 60.0) -> None:
    per_track = 5.0
    tracks = [
        datasets.conversation(per_track, seed=s) for s in range(max(1, round(minutes / per_track)))
    ]
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
    for label, audio_s, wall in rows:
        rtf = audio_s / wall
        print(f"{label:48s} {audio_s / 60:6.1f} min audio  {wall:7.1f} s  {rtf:7.1f}x real time")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
