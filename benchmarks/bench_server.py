"""Throughput and latency of the local Realtime server (``rtlab serve``) under parallel sessions.

Starts ``rtlab.realtime.serve`` on 127.0.0.1 in a child process, then streams a real
multi-turn track (``rtlab.datasets.conversation``: LibriVox and AMI utterances with pauses)
from N concurrent sessions through the official ``openai`` client, each paced at
``--speed`` times real time in 100 ms appends. Reports, per N, the median over repeats of:

- events/s: server events received by all sessions per second of streaming;
- p50 / p99 event latency: for each VAD event (speech_started / speech_stopped / committed /
  timeout_triggered), the time from sending the append that completes the frame the event
  fires on (its position in ``rtlab.detect`` of the same audio) to receiving the event;
- correct: sessions whose VAD events equal ``rtlab.detect``'s.

Abuse scenario (issue 13), same run: p99 event latency of 20 well-behaved sessions with and
without 10 abusive clients beside them (four send one 14 MiB append, three an append over the
append limit, three flood the largest allowed appends; all then leave without closing), and
the server's peak RSS in each case, printed as ratios.

Run: ``.venv/bin/python benchmarks/bench_server.py [--sessions 10 20] [--speed 10] [--repeats 3]``.
Only loopback is used; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import statistics
import subprocess
import sys
import time

import numpy as np

import rtlab

VAD_TYPES = (
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "input_audio_buffer.timeout_triggered",
)
CHUNK_MS = 100
SERVER_CODE = (
    "from rtlab.realtime import serve\n"
    "with serve('127.0.0.1', 0) as server:\n"
    "    print(server.url, flush=True)\n"
    "    server.wait()\n"
)


def start_server_process() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER_CODE], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("ws://127.0.0.1:"):
        proc.terminate()
        raise RuntimeError(f"the server did not start: {url!r}")
    return proc, url


async def one_session(url: str, chunks: list[str], expected: list[dict], speed: float) -> dict:
    import openai

    client = openai.AsyncOpenAI(api_key="local-bench", websocket_base_url=url)
    sent_at: list[float] = []
    received: list[tuple[float, dict]] = []
    n_vad_expected = len(expected)
    async with client.realtime.connect(model="gpt-realtime") as conn:
        json.loads(await conn.recv_bytes())  # session.created
        await conn.send(rtlab.Session().to_event(api="ga"))
        json.loads(await conn.recv_bytes())  # session.updated

        async def receive() -> None:
            n_vad = 0
            while n_vad < n_vad_expected:
                event = json.loads(await conn.recv_bytes())
                received.append((time.perf_counter(), event))
                n_vad += event["type"] in VAD_TYPES

        receiver = asyncio.ensure_future(receive())
        start = time.perf_counter()
        step = CHUNK_MS / 1000.0 / speed
        for index, data in enumerate(chunks):
            delay = start + index * step - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at.append(time.perf_counter())
            await conn.input_audio_buffer.append(audio=data)
        try:
            await asyncio.wait_for(receiver, timeout=30.0)
        except TimeoutError:
            receiver.cancel()
        end = time.perf_counter()
    await client.close()
    vad = [(t, e) for t, e in received if e["type"] in VAD_TYPES]
    got = [{k: v for k, v in e.items() if k != "event_id"} for _, e in vad]
    want = [{k: v for k, v in e.items() if k != "event_id"} for e in expected]
    latencies = []
    for (t, _), ref in zip(vad, expected, strict=False):
        chunk = max(0, min(len(sent_at) - 1, math.ceil(ref["_emitted_ms"] / CHUNK_MS) - 1))
        latencies.append((t - sent_at[chunk]) * 1000.0)
    return {
        "events": len(received),
        "seconds": end - start,
        "latencies_ms": latencies,
        "correct": got == [{k: v for k, v in w.items() if k != "_emitted_ms"} for w in want],
    }


async def run(url: str, n: int, chunks: list[str], expected: list[dict], speed: float) -> dict:
    started = time.perf_counter()
    results = await asyncio.gather(*(one_session(url, chunks, expected, speed) for _ in range(n)))
    wall = time.perf_counter() - started
    latencies = [x for r in results for x in r["latencies_ms"]]
    return {
        "events_per_s": sum(r["events"] for r in results) / wall,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "correct": sum(r["correct"] for r in results),
        "wall_s": wall,
    }


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


async def abuser(url: str, kind: str) -> None:
    """One hostile client (see the module docstring); it leaves without a closing handshake."""
    from websockets.asyncio.client import connect

    rng = np.random.default_rng(7)
    ws = await connect(url + "/realtime", max_size=None, open_timeout=30)
    try:
        await ws.recv()
        if kind == "huge":
            data = base64.b64encode(rng.integers(-3000, 3000, 7 * 2**20, dtype="<i2").tobytes())
            await ws.send(b'{"type": "input_audio_buffer.append", "audio": "' + data + b'"}')
        elif kind == "over_append":
            data = base64.b64encode(rng.integers(-3000, 3000, 700_000, dtype="<i2").tobytes())
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": data.decode()}))
        else:
            data = base64.b64encode(rng.integers(-3000, 3000, 2**19, dtype="<i2").tobytes())
            message = json.dumps({"type": "input_audio_buffer.append", "audio": data.decode()})
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                await asyncio.wait_for(ws.send(message), 3)
        await asyncio.sleep(0.2)
    except Exception:  # the server closing on us is the expected answer to some of these
        pass
    finally:
        if not ws.transport.is_closing():
            ws.transport.abort()


def abuse_process(url: str, n_abusers: int, start_in_s: float) -> None:
    """The abusive clients, in a process of their own (as on another machine)."""

    async def main() -> None:
        await asyncio.sleep(start_in_s)
        kinds = (["huge"] * 4 + ["over_append"] * 3 + ["flood"] * 3) * (n_abusers // 10 + 1)
        await asyncio.gather(*(abuser(url, kind) for kind in kinds[:n_abusers]))

    asyncio.run(main())


def abuse_scenario(proc, url, chunks, expected, speed: float, repeats: int) -> None:
    import threading

    def measured(n_abusers: int) -> tuple[float, int, int]:
        peak = [rss_bytes(proc.pid)]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_bytes(proc.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        import multiprocessing

        rows = []
        for _ in range(repeats):
            attack = None
            if n_abusers:  # they arrive one second into the sessions' streaming
                attack = multiprocessing.get_context("fork").Process(
                    target=abuse_process, args=(url, n_abusers, 1.0)
                )
                attack.start()
            rows.append(asyncio.run(run(url, 20, chunks, expected, speed)))
            if attack is not None:
                attack.join(60)
        stop.set()
        sampler.join()
        p99 = statistics.median(r["p99_ms"] for r in rows)
        correct = min(r["correct"] for r in rows)
        return p99, peak[0], correct

    calm_p99, calm_rss, calm_ok = measured(0)
    abused_p99, abused_rss, abused_ok = measured(10)
    print(
        f"abuse: 20 sessions alone p99 {calm_p99:.1f} ms, peak RSS {calm_rss / 2**20:.0f} MiB, "
        f"correct {calm_ok}/20 | with 10 abusive clients p99 {abused_p99:.1f} ms, peak RSS "
        f"{abused_rss / 2**20:.0f} MiB, correct {abused_ok}/20 | ratios: p99 "
        f"{abused_p99 / calm_p99:.2f}x, peak RSS {abused_rss / calm_rss:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--speed", type=float, default=10.0, help="times real time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--abuse-only", action="store_true", help="only the abuse scenario")
    args = parser.parse_args()

    clip = rtlab.datasets.conversation(0.5, seed=1)
    audio = clip.audio
    log = rtlab.detect(audio, rtlab.Session())
    expected = [
        {**e, "_emitted_ms": t}
        for e, t in zip(log, log.emitted_ms, strict=True)
        if e["type"] in VAD_TYPES
    ]
    chunks = [e["audio"] for e in audio.append_events(chunk_ms=CHUNK_MS)]
    assert all(base64.b64decode(c) for c in chunks[:1])
    print(
        f"clip {clip.name}: {audio.duration_s:.1f} s, {len(expected)} VAD events per session; "
        f"streamed at {args.speed:g}x real time in {CHUNK_MS} ms appends; median of {args.repeats}"
    )
    proc, url = start_server_process()
    try:
        asyncio.run(run(url, 1, chunks, expected, args.speed))  # warm up models
        abuse_scenario(proc, url, chunks, expected, args.speed, args.repeats)
        for n in [] if args.abuse_only else args.sessions:
            rows = [
                asyncio.run(run(url, n, chunks, expected, args.speed)) for _ in range(args.repeats)
            ]
            med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
            audio_rate = n * args.speed
            print(
                f"{n:3d} sessions ({audio_rate:5.0f}x real time in total): "
                f"{med['events_per_s']:7.1f} events/s, latency p50 {med['p50_ms']:6.1f} ms, "
                f"p99 {med['p99_ms']:7.1f} ms, correct {int(med['correct'])}/{n}, "
                f"wall {med['wall_s']:.1f} s"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
