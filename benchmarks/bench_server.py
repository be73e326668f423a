"""Throughput and latency of the local Realtime server (``rtlab serve``) under parallel sessions.

Starts ``rtlab.realtime.serve`` on 127.0.0.1 in a child process, then streams a real
multi-turn track (``rtlab.datasets.conversation``: LibriVox and AMI utterances with pauses)
from N concurrent sessions, each paced at ``--speed`` times real time in 100 ms appends.
The load generator is lean (``--client websockets``: the ``websockets`` package, append
messages encoded once for all sessions) so that it takes little of the two cores it shares
with the server; ``--client openai`` sends through the official client instead (about 4x
the client CPU). Reports, per N, the median over repeats of:

- events/s: server events received by all sessions per second of streaming;
- p50 / p99 event latency: for each VAD event (speech_started / speech_stopped / committed /
  timeout_triggered), the time from sending the append that completes the frame the event
  fires on (its position in ``rtlab.detect`` of the same audio) to receiving the event;
- correct: sessions whose VAD events equal ``rtlab.detect``'s.

Abuse scenario (issue 13), same run: p99 event latency of 20 well-behaved sessions with and
without 10 abusive clients beside them (four send one 14 MiB append, three an append over the
append limit, three flood the largest allowed appends; all then leave without closing), and
the server's peak RSS in each case, printed as ratios.

Scenarios (issue 15), for the batched path (Silero scored across sessions) and the path
before it (``--path per-session``: one frame per model call per session), same run:
``realtime``: 100 sessions at real time, p50 / p99 event latency; ``most``: the most
sessions at 10x real time with p99 <= 100 ms (steps of 10); ``semantic``: the same with
``semantic_vad`` sessions (steps of 2), once with all sessions starting together (they all
ask Smart Turn at the same moments) and once with their starts spread at random over one
clip's streaming time (independent users); peak RSS of the server process in each.

Run: ``.venv/bin/python benchmarks/bench_server.py [--path both] [--scenario realtime most]``.
Only loopback is used; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
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
    "import sys\n"
    "from rtlab.realtime import serve\n"
    "wait = None if sys.argv[1] == 'per-session' else 2.0\n"
    "with serve('127.0.0.1', 0, batch_wait_ms=wait) as server:\n"
    "    print(server.url, flush=True)\n"
    "    server.wait()\n"
)


def start_server_process(path: str = "batched") -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, path], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("ws://127.0.0.1:"):
        proc.terminate()
        raise RuntimeError(f"the server did not start: {url!r}")
    return proc, url


async def one_session(
    url: str,
    chunks: list[str],
    expected: list[dict],
    speed: float,
    session: rtlab.Session,
    client: str = "websockets",
) -> dict:
    """Stream the clip from one session; its VAD events, their latencies and whether they match.

    ``client="websockets"`` is a lean load generator: the ``websockets`` package with the
    append messages encoded once for all sessions, so that the clients' share of the two
    cores stays small. ``client="openai"`` sends each append through the official client
    (as issue 15's first measurements did); it costs about 27 us of CPU per append.
    """
    sent_at: list[float] = []
    received: list[tuple[float, dict]] = []
    n_vad_expected = len(expected)
    async with _connect(url, client) as (send, recv):
        json.loads(await recv())  # session.created
        await send(json.dumps(session.to_event(api="ga")))
        json.loads(await recv())  # session.updated

        async def receive() -> None:
            n_vad = 0
            while n_vad < n_vad_expected:
                event = json.loads(await recv())
                received.append((time.perf_counter(), event))
                n_vad += event["type"] in VAD_TYPES

        receiver = asyncio.ensure_future(receive())
        start = time.perf_counter()
        step = CHUNK_MS / 1000.0 / speed
        for index, message in enumerate(chunks):
            delay = start + index * step - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at.append(time.perf_counter())
            await send(message)
        try:
            await asyncio.wait_for(receiver, timeout=30.0)
        except TimeoutError:
            receiver.cancel()
        end = time.perf_counter()
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


@contextlib.asynccontextmanager
async def _connect(url: str, client: str):
    """(send text, receive text) over one connection, by the chosen client."""
    if client == "openai":
        import openai

        api = openai.AsyncOpenAI(api_key="local-bench", websocket_base_url=url)
        async with api.realtime.connect(model="gpt-realtime") as conn:

            async def send(message: str) -> None:
                await conn.send(json.loads(message))

            yield send, conn.recv_bytes
        await api.close()
        return
    from websockets.asyncio.client import connect

    headers = {"Authorization": "Bearer local-bench"}
    async with connect(
        url + "/realtime?model=gpt-realtime", additional_headers=headers, max_size=None
    ) as ws:
        yield ws.send, ws.recv


async def run(
    url: str,
    n: int,
    chunks: list[str],
    expected: list[dict],
    speed: float,
    session: rtlab.Session | None = None,
    client: str = "websockets",
    stagger_s: float = 0.0,
) -> dict:
    """``n`` sessions at once; with ``stagger_s``, each starts after a random delay up to it."""
    session = session or rtlab.Session(turn_detection=rtlab.ServerVad(create_response=False))
    delays = np.random.default_rng(0).uniform(0.0, stagger_s, n)

    async def later(delay: float) -> dict:
        await asyncio.sleep(delay)
        return await one_session(url, chunks, expected, speed, session, client)

    started = time.perf_counter()
    results = await asyncio.gather(*(later(d) for d in delays))
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


class PeakRss:
    """Samples a process's RSS every 10 ms on a thread."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak = pid, rss_bytes(pid)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def expected_events(audio: rtlab.Audio, session: rtlab.Session) -> list[dict]:
    log = rtlab.detect(audio, session)
    return [
        {**e, "_emitted_ms": t}
        for e, t in zip(log, log.emitted_ms, strict=True)
        if e["type"] in VAD_TYPES
    ]


def cpu_s(pid: int) -> float:
    """User + system CPU time a process has used (s)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(url, proc, n, chunks, expected, speed, session, repeats, client, stagger_s=0.0):
    cpu_before = cpu_s(proc.pid)
    client_before = cpu_s(os.getpid())
    with PeakRss(proc.pid) as rss:
        rows = [
            asyncio.run(run(url, n, chunks, expected, speed, session, client, stagger_s))
            for _ in range(repeats)
        ]
    med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    med["correct"] = min(r["correct"] for r in rows)
    med["peak_rss"] = rss.peak
    audio_s = n * repeats * len(chunks) * CHUNK_MS / 1000.0
    med["cpu_ms_per_audio_s"] = (cpu_s(proc.pid) - cpu_before) * 1000.0 / audio_s
    med["client_cpu_ms_per_audio_s"] = (cpu_s(os.getpid()) - client_before) * 1000.0 / audio_s
    return med


def show(label: str, n: int, speed: float, med: dict) -> None:
    print(
        f"{label}: {n:3d} sessions at {speed:g}x ({n * speed:5.0f}x real time in total): "
        f"{med['events_per_s']:7.1f} events/s, latency p50 {med['p50_ms']:6.1f} ms, "
        f"p99 {med['p99_ms']:7.1f} ms, correct {int(med['correct'])}/{n}, "
        f"peak RSS {med['peak_rss'] / 2**20:.0f} MiB, "
        f"CPU per s of audio: server {med['cpu_ms_per_audio_s']:.1f} ms, "
        f"clients {med['client_cpu_ms_per_audio_s']:.1f} ms; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def most_sessions(
    url, proc, chunks, expected, session, label, args, *, step=None, start=None, stagger=0.0
) -> None:
    """The most sessions at --speed whose p99 stays <= --p99-ms (steps of ``step``).

    ``stagger``: sessions start at random times over this share of the clip's streaming
    time (0: all at once; 1: spread over one clip, as independent users arrive).
    """
    step = step or args.step
    best = 0
    n = start or step
    stagger_s = stagger * len(chunks) * CHUNK_MS / 1000.0 / args.speed
    while n <= args.max_sessions:
        med = measure(
            url,
            proc,
            n,
            chunks,
            expected,
            args.speed,
            session,
            args.repeats,
            args.client,
            stagger_s,
        )
        show(label, n, args.speed, med)
        if med["p99_ms"] > args.p99_ms or med["correct"] < n:
            break
        best = n
        n += step
    print(
        f"{label}: most sessions at {args.speed:g}x with p99 <= {args.p99_ms:g} ms: {best}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--path",
        choices=["batched", "per-session", "both"],
        default="both",
        help="batched Silero across sessions (today) or one frame per call per session (before)",
    )
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=["realtime", "most", "semantic", "abuse"],
        default=["realtime", "most", "semantic", "abuse"],
    )
    parser.add_argument(
        "--client",
        choices=["websockets", "openai"],
        default="websockets",
        help="the load generator: lean websockets (default) or the official openai client",
    )
    parser.add_argument("--semantic-step", type=int, default=2, help="steps of semantic")
    parser.add_argument("--realtime-sessions", type=int, default=100)
    parser.add_argument("--speed", type=float, default=10.0, help="times real time (most)")
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--max-sessions", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--start", type=int, default=None, help="first N of --scenario most")
    args = parser.parse_args()

    clip = rtlab.datasets.conversation(0.5, seed=1)
    audio = clip.audio
    # no responses: the scenarios measure turn detection (the path issue 15 changed)
    plain = rtlab.Session(turn_detection=rtlab.ServerVad(create_response=False))
    semantic = rtlab.Session(turn_detection=rtlab.SemanticVad(create_response=False))
    expected = expected_events(audio, plain)
    expected_semantic = expected_events(audio, semantic)
    # the append messages, encoded once for all sessions
    chunks = [json.dumps(e) for e in audio.append_events(chunk_ms=CHUNK_MS)]
    print(
        f"clip {clip.name}: {audio.duration_s:.1f} s, {len(expected)} VAD events per session "
        f"({len(expected_semantic)} with semantic_vad); {CHUNK_MS} ms appends; "
        f"median of {args.repeats}; clients and server share this machine's "
        f"{os.cpu_count()} cores"
    )
    paths = ["batched", "per-session"] if args.path == "both" else [args.path]
    for path in paths:
        proc, url = start_server_process(path)
        try:
            asyncio.run(run(url, 1, chunks, expected, args.speed, plain))  # warm up models
            asyncio.run(run(url, 1, chunks, expected_semantic, args.speed, semantic))
            if "realtime" in args.scenario:
                n = args.realtime_sessions
                med = measure(url, proc, n, chunks, expected, 1.0, plain, args.repeats, args.client)
                show(f"{path} real time", n, 1.0, med)
            if "most" in args.scenario:
                most_sessions(
                    url, proc, chunks, expected, plain, f"{path} server_vad", args, start=args.start
                )
            if "semantic" in args.scenario:
                # all at once (every session asks Smart Turn at the same moments), then
                # spread over one clip (independent users)
                for stagger, how in ((0.0, "all at once"), (1.0, "staggered")):
                    most_sessions(
                        url,
                        proc,
                        chunks,
                        expected_semantic,
                        semantic,
                        f"{path} semantic_vad, {how}",
                        args,
                        step=args.semantic_step,
                        stagger=stagger,
                    )
            if "abuse" in args.scenario and path == "batched":
                abuse_scenario(proc, url, chunks, expected, args.speed, max(args.repeats, 3))
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
