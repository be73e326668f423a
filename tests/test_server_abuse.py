"""The local server under hostile clients (issue 13, finding 1): limits, fairness, memory.

Real websockets on loopback only. Abusive clients send appends far larger than the limits,
or floods of the largest allowed ones, and disconnect; well-behaved sessions streaming a real
clip at the same time must keep their events correct and their latency low, and the
server's memory must stay bounded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import threading
import time

import numpy as np
import pytest
from _helpers import vad_events

import rtlab
from rtlab.realtime import Server

VAD_TYPES = (
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
)
CHUNK_MS = 100


def _rss_bytes(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class _PeakRss:
    """Samples a process's RSS every 10 ms on a thread; ``peak`` is the largest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = _rss_bytes(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


SERVER_CODE = (
    "from rtlab.realtime import serve\n"
    "with serve() as server:\n"
    "    print(server.url, flush=True)\n"
    "    server.wait()\n"
)


@pytest.fixture(scope="module")
def server_process():
    """``rtlab.realtime.serve`` in a child process (its memory is measured on its own)."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("ws://127.0.0.1:"), url
    yield proc, url
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


@pytest.fixture(scope="module")
def clip():
    audio = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=[700], tail_ms=1000)
    log = rtlab.detect(audio.audio, rtlab.Session())
    expected = [
        (event, t)
        for event, t in zip(log, log.emitted_ms, strict=True)
        if event["type"] in VAD_TYPES
    ]
    assert len(expected) >= 6
    chunks = [e["audio"] for e in audio.audio.append_events(chunk_ms=CHUNK_MS)]
    return audio.audio, chunks, expected


async def _good_session(url: str, chunks: list[str], expected, speed: float) -> tuple[list, list]:
    """Stream the clip at ``speed`` x real time; latency of each VAD event (ms) and the events."""
    from websockets.asyncio.client import connect

    sent_at: list[float] = []
    got: list[tuple[float, dict]] = []
    async with connect(url + "/realtime", max_size=None) as ws:
        await asyncio.wait_for(ws.recv(), 10)  # session.created

        async def receive() -> None:
            while sum(e["type"] in VAD_TYPES for _, e in got) < len(expected):
                event = json.loads(await ws.recv())
                got.append((time.perf_counter(), event))

        receiver = asyncio.ensure_future(receive())
        start = time.perf_counter()
        for index, data in enumerate(chunks):
            delay = start + index * CHUNK_MS / 1000 / speed - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at.append(time.perf_counter())
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": data}))
        await asyncio.wait_for(receiver, 60)
    vad = [(t, e) for t, e in got if e["type"] in VAD_TYPES]
    latencies = []
    for (t, _), (_, fired_ms) in zip(vad, expected, strict=True):
        chunk = max(0, min(len(sent_at) - 1, math.ceil(fired_ms / CHUNK_MS) - 1))
        latencies.append((t - sent_at[chunk]) * 1000)
    return latencies, [e for _, e in vad]


async def _abuser(url: str, kind: str) -> str:
    """One hostile client: what it got back before it left."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    ws = await connect(url + "/realtime", max_size=None, open_timeout=10)
    await ws.recv()
    rng = np.random.default_rng(7)
    try:
        if kind == "huge":  # one 14 MiB append (219 s of audio): over the message limit
            data = base64.b64encode(rng.integers(-3000, 3000, 7 * 2**20, dtype="<i2").tobytes())
            await ws.send(b'{"type": "input_audio_buffer.append", "audio": "' + data + b'"}')
            await asyncio.wait_for(ws.recv(), 10)
            return "answered"
        if kind == "over_append":  # within the message limit, over the append limit
            data = base64.b64encode(rng.integers(-3000, 3000, 700_000, dtype="<i2").tobytes())
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": data.decode()}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return reply["error"]["code"] if reply["type"] == "error" else reply["type"]
        # flood: the largest allowed appends (21 s of noise each), as fast as possible
        data = base64.b64encode(rng.integers(-3000, 3000, 2**19, dtype="<i2").tobytes()).decode()
        message = json.dumps({"type": "input_audio_buffer.append", "audio": data})
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            await asyncio.wait_for(ws.send(message), 2)
        return "flooded"
    except (ConnectionClosed, TimeoutError) as exc:
        code = getattr(getattr(exc, "rcvd", None), "code", None)
        return f"closed {code}"
    finally:
        if not ws.transport.is_closing():
            ws.transport.abort()  # leave without a closing handshake


def test_oversized_appends_from_clients_that_leave_do_not_slow_the_others(clip, server_process):
    """8 hostile clients (14 MiB appends, over-limit appends, floods) beside 4 sessions."""
    _audio, chunks, expected = clip
    want = [e for e, _ in expected]
    speed = 4.0
    proc, _url = server_process

    class server:  # the child process, seen from here
        url = server_process[1]
        n_connections = 0

    async def main():
        if True:
            calm = await asyncio.gather(
                *(_good_session(server.url, chunks, expected, speed) for _ in range(4))
            )
            with _PeakRss(proc.pid) as rss:
                before = _rss_bytes(proc.pid)
                abusers = [
                    asyncio.ensure_future(_abuser(server.url, kind))
                    for kind in ["huge"] * 4 + ["over_append"] * 2 + ["flood"] * 2
                ]
                loaded = await asyncio.gather(
                    *(_good_session(server.url, chunks, expected, speed) for _ in range(4))
                )
                outcomes = await asyncio.gather(*abusers)
            # after everyone left, a fresh client is answered at once (no backlog)
            started = time.perf_counter()
            fresh = await _good_session(server.url, chunks[:5], [], 100.0)
            from websockets.asyncio.client import connect

            async with connect(server.url + "/realtime") as ws:
                await ws.recv()
                await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
                cleared = json.loads(await asyncio.wait_for(ws.recv(), 10))
            round_trip_s = time.perf_counter() - started
            return calm, loaded, outcomes, rss.peak - before, fresh, cleared, round_trip_s

    calm, loaded, outcomes, growth, _, cleared, round_trip_s = asyncio.run(main())
    assert cleared["type"] == "input_audio_buffer.cleared"
    assert round_trip_s < 2.0
    for _, events in calm + loaded:
        got = [{k: v for k, v in e.items() if k != "event_id"} for e in events]
        assert got == [{k: v for k, v in e.items() if k != "event_id"} for e in want]
    # the 14 MiB appends are refused at their header (1009), the over-limit ones answered
    assert outcomes[:4] == ["closed 1009"] * 4, outcomes
    assert outcomes[4:6] == ["string_above_max_length"] * 2, outcomes
    calm_p99 = float(np.percentile([x for lat, _ in calm for x in lat], 99))
    loaded_p99 = float(np.percentile([x for lat, _ in loaded for x in lat], 99))
    assert loaded_p99 < max(4 * calm_p99, calm_p99 + 500), (calm_p99, loaded_p99)
    assert growth < 150 * 2**20, f"RSS grew by {growth / 2**20:.0f} MiB"


def test_without_turn_detection_the_buffer_is_bounded_with_an_error_event():
    from websockets.asyncio.client import connect

    second = base64.b64encode(np.zeros(24000, dtype="<i2").tobytes()).decode()

    async def main():
        async with Server(max_buffer_s=3) as server, connect(server.url + "/realtime") as ws:
            await ws.recv()
            update = {"type": "session.update", "session": {"turn_detection": None}}
            await ws.send(json.dumps(update))
            assert json.loads(await ws.recv())["type"] == "session.updated"
            for _ in range(3):
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": second}))
            await ws.send(
                json.dumps(
                    {"type": "input_audio_buffer.append", "audio": second, "event_id": "fourth"}
                )
            )
            full = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
            committed = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": second}))
            await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
            after = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(3)]
        return full, committed, after

    full, committed, after = asyncio.run(main())
    from openai.types.realtime import RealtimeErrorEvent

    RealtimeErrorEvent.model_validate(full)
    assert full["error"]["type"] == "invalid_request_error"
    assert full["error"]["code"] == "input_audio_buffer_full"
    assert full["error"]["event_id"] == "fourth"
    assert "3 s" in full["error"]["message"]
    assert committed["type"] == "input_audio_buffer.committed"
    # after the commit the buffer takes audio again
    assert [e["type"] for e in after] == [
        "conversation.item.added",
        "conversation.item.done",
        "input_audio_buffer.cleared",
    ]


def test_a_closed_connection_s_queued_work_is_dropped(clip):
    """A flood of allowed appends, then gone: the server is idle again at once."""
    _audio, chunks, expected = clip

    async def main():
        from websockets.asyncio.client import connect

        async with Server(max_workers=2) as server:
            await asyncio.gather(*(_abuser(server.url, "flood") for _ in range(3)))
            started = time.perf_counter()
            async with connect(server.url + "/realtime") as ws:
                await ws.recv()
                await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
                cleared = json.loads(await asyncio.wait_for(ws.recv(), 10))
            round_trip_s = time.perf_counter() - started
            _, events = await _good_session(server.url, chunks, expected, 4.0)
            return round_trip_s, cleared, events

    round_trip_s, cleared, events = asyncio.run(main())
    assert cleared["type"] == "input_audio_buffer.cleared"
    assert round_trip_s < 2.0  # the floods' queued appends were dropped when they left
    assert vad_events(events) == vad_events([e for e, _ in expected])
