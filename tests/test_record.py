"""Recording through the official openai client: against the local server, and the live API.

The local server (``rtlab.realtime.serve``) is the peer: a recording of it must give
the same turns as ``rtlab.detect`` on the same audio. The live-API test runs only with
``OPENAI_API_KEY`` set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import traceback

import numpy as np
import pytest
from _helpers import AMI_WAV, ROOT, vad_events

import rtlab
from rtlab.events import EventLog
from rtlab.realtime import arecord, record, record_file

LIBRIVOX = ROOT / "datasets" / "librivox_pocketsphinx"
CLIP_0870 = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0870.wav"
CLIP_0920 = LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0920.wav"
SECRET = "sk-test-SECRET123"


@pytest.fixture(scope="module")
def track():
    """Three real LibriVox utterances with pauses between them."""
    return rtlab.datasets.compose(
        ["librivox/0880", "librivox/0930", "librivox/0870"], gaps_ms=[700, 1200], tail_ms=1000
    ).audio


@pytest.mark.parametrize("api", ["ga", "beta"])
@pytest.mark.parametrize("name", ["librivox", "ami"])
def test_record_against_the_local_server_gives_the_turns_of_detect(
    server, track, api, name, tmp_path
):
    audio = track if name == "librivox" else rtlab.load_audio(AMI_WAV)
    session = rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=400))
    out = tmp_path / "log.jsonl"
    log = record(
        audio,
        session,
        api=api,
        base_url=server.url,
        api_key="local",
        realtime=False,
        out=out,
        settle_s=0.3,
    )
    expected = rtlab.detect(audio, session)
    assert len(expected.turns()) >= 2
    assert vad_events(log) == vad_events(expected)
    assert log.turns()[["start_ms", "end_ms"]].equals(expected.turns()[["start_ms", "end_ms"]])
    assert log.source == "realtime" and log.session == session
    assert log.duration_ms == pytest.approx(audio.duration_ms)
    types = [e["type"] for e in log]
    assert types[:2] == ["session.created", "session.updated"]
    assert list(log.emitted_ms) == sorted(log.emitted_ms)
    assert log.emitted_ms[0] < 0 <= log.emitted_ms[2]  # handshake before the first append
    # the file is the same log
    assert EventLog.read_jsonl(out) == log
    # and rtlab.compare sees full agreement
    agreement = rtlab.compare(log, expected)
    assert (agreement.matched, agreement.missing, agreement.extra) == (len(expected.turns()), 0, 0)
    assert agreement.start_offset_ms_median == 0.0


@pytest.fixture(scope="module")
def short():
    """One real utterance (2.99 s) with 300 ms before and 900 ms of silence after."""
    return rtlab.datasets.compose(["librivox/0880"], lead_ms=300, tail_ms=900).audio


def test_realtime_pacing_takes_about_the_audio_duration(server, short):
    started = time.monotonic()
    log = record(
        short, base_url=server.url, api_key="local", realtime=True, settle_s=0.2, drain_s=2.0
    )
    elapsed = time.monotonic() - started
    assert elapsed >= short.duration_s - 0.15
    stops = log.of_type("speech_stopped")
    committed = [
        t
        for e, t in zip(log, log.emitted_ms, strict=True)
        if e["type"] == "input_audio_buffer.committed"
    ]
    assert len(stops) == len(committed) == 1
    # a commit is received after the audio that triggered it was sent, and soon after
    for event, t in zip(stops, committed, strict=True):
        assert event["audio_end_ms"] - 150 <= t <= event["audio_end_ms"] + 1000


def test_the_log_file_is_written_as_events_arrive(server, short, tmp_path):
    audio = short
    out = tmp_path / "live.jsonl"
    streamed = tmp_path / "live.partial.jsonl"  # beside out until the recording is complete
    snapshots: list[EventLog] = []

    async def main():
        task = asyncio.ensure_future(
            arecord(
                audio,
                base_url=server.url,
                api_key="local",
                realtime=True,
                out=out,
                settle_s=0.2,
                drain_s=2.0,
            )
        )
        deadline = time.monotonic() + 30
        while not task.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.25)
            if streamed.exists() and not task.done():
                with pytest.warns(UserWarning, match="partial recording"):
                    partial = EventLog.read_jsonl(streamed)
                if any(e["type"] == "input_audio_buffer.speech_started" for e in partial):
                    snapshots.append(partial)
        return await task

    final = asyncio.run(main())
    assert snapshots, "the file never held a speech_started while recording"
    first = snapshots[0]
    assert len(first) < len(final)
    assert list(first.events) == list(final.events[: len(first)])
    header = json.loads(out.read_text().splitlines()[0])
    assert header["n_events"] == len(final)


def test_record_with_turn_detection_off_commits_at_the_end(server):
    audio = rtlab.load_audio(CLIP_0870)
    log = record(
        audio,
        rtlab.Session(turn_detection=None),
        base_url=server.url,
        api_key="local",
        realtime=False,
        settle_s=0.3,
    )
    types = [e["type"] for e in log]
    assert "input_audio_buffer.speech_started" not in types
    assert types.count("input_audio_buffer.committed") == 1
    at = types.index("input_audio_buffer.committed")
    assert types[at + 1 : at + 3] == ["conversation.item.added", "conversation.item.done"]
    # realtime=False ends with the same session once more, answered after every append
    assert types[-1] == "session.updated"


def test_record_file_reads_a_saved_session(server, tmp_path):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.6, silence_duration_ms=300))
    session_path = tmp_path / "s.json"
    session_path.write_text(json.dumps(session.to_event(api="ga")))
    out = tmp_path / "out.jsonl"
    log = record_file(
        CLIP_0920, session_path, out, api="ga", realtime=False, base_url=server.url, api_key="local"
    )
    assert log.session == session
    assert vad_events(log) == vad_events(rtlab.detect(rtlab.load_audio(CLIP_0920), session))
    assert EventLog.read_jsonl(out) == log


def test_record_works_inside_a_running_event_loop(server):
    audio = rtlab.load_audio(CLIP_0870)

    async def notebook_cell():
        return record(audio, base_url=server.url, api_key="local", realtime=False, settle_s=0.2)

    log = asyncio.run(notebook_cell())
    assert vad_events(log) == vad_events(rtlab.detect(audio))


# -- the key ------------------------------------------------------------------------------------


def test_missing_key_is_a_config_error_for_the_live_api(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(rtlab.ConfigError, match="OPENAI_API_KEY") as info:
        record(CLIP_0870)  # fails before any connection is attempted
    assert "rtlab serve" in str(info.value)
    with pytest.raises(rtlab.ConfigError, match="OPENAI_API_KEY"):
        record(CLIP_0870, base_url="wss://realtime.example.invalid/v1")


def test_the_local_server_needs_no_key(monkeypatch, server):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    log = record(CLIP_0870, base_url=server.url, realtime=False, settle_s=0.2)
    assert any(event["type"] == "session.updated" for event in log)


def test_the_key_never_appears_in_files_logs_reprs_or_errors(monkeypatch, server, tmp_path, caplog):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "log.jsonl"
    log = record(CLIP_0870, base_url=server.url, realtime=False, out=out, settle_s=0.2)
    assert len(log.of_type("speech_started")) >= 1
    # the key was really sent: the server saw an Authorization header (logged redacted)
    assert "<redacted>" in caplog.text
    texts = [
        out.read_text(),
        repr(log),
        log._repr_html_(),
        caplog.text,
        repr(server),
        repr(log.session),
    ]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            texts.append(path.read_text(errors="replace"))
    # errors: a refused connection and a wrong path
    for bad_url in ("ws://127.0.0.1:9/v1", server.url.replace("/v1", "/wrong")):
        with pytest.raises(rtlab.ProtocolError) as info:
            record(CLIP_0870, base_url=bad_url, realtime=False, out=tmp_path / "bad.jsonl")
        texts.append("".join(traceback.format_exception(info.value)))
        texts.append(repr(info.value))
    texts.append(caplog.text)
    for text in texts:
        assert SECRET not in text
        assert "SECRET123" not in text


# -- the live API -------------------------------------------------------------------------------


@pytest.mark.network
@pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY")
@pytest.mark.parametrize("api", ["ga", "beta"])
def test_live_api_recording_agrees_with_the_emulator(api, tmp_path):
    audio = rtlab.load_audio(CLIP_0920)
    session = rtlab.Session()
    log = record(audio, session, api=api, realtime=True, out=tmp_path / "live.jsonl")
    assert log.of_type("session.updated")
    assert not log.of_type("error"), log.of_type("error")
    started = log.of_type("speech_started")
    assert started
    agreement = rtlab.compare(log, rtlab.detect(audio, session))
    assert agreement.matched >= 1
    assert np.isfinite(agreement.start_offset_ms_median)
    assert EventLog.read_jsonl(tmp_path / "live.jsonl") == log


# -- the key never leaves in clear text (issue 13, finding 2) --------------------------------------


def test_the_key_is_not_sent_over_ws_to_a_remote_host(monkeypatch, tmp_path):
    """Refused before any connection: no packet leaves (create_connection is watched)."""
    import asyncio.base_events

    attempts = []

    async def watched(self, *args, **kwargs):  # never dials out, even if the check regressed
        attempts.append((args, kwargs))
        raise OSError("tests do not leave the machine")

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", watched)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # non-loopback addresses only as values: 192.0.2.0/24 is TEST-NET-1 (RFC 5737, never
    # routed), and every dial is intercepted above, so no packet leaves the machine
    for url in (
        "ws://192.0.2.10:8765/v1",
        "ws://realtime.example.invalid/v1",
        "http://10.0.0.2/v1",
    ):
        with pytest.raises(rtlab.ConfigError, match="allow_insecure") as info:
            record(CLIP_0870, base_url=url, realtime=False)
        assert info.value.field == "base_url"
        assert SECRET not in str(info.value)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://192.0.2.10/v1")  # the client's own default
    with pytest.raises(rtlab.ConfigError, match="allow_insecure"):
        record(CLIP_0870, realtime=False)
    assert attempts == []
    # the command line says so too, exit status 1
    from rtlab import cli

    session = tmp_path / "s.json"
    session.write_text(json.dumps(rtlab.Session().to_event(api="ga")))
    out = str(tmp_path / "o.jsonl")
    assert cli.main(["record", str(CLIP_0870), "--session", str(session), "--out", out,
                     "--base-url", "ws://192.0.2.10/v1"]) == 1  # fmt: skip
    assert attempts == []


def test_allow_insecure_sends_it_only_when_asked(monkeypatch, server):
    """ws:// to a remote address with allow_insecure: redirected in-process to loopback."""
    import asyncio.base_events
    from urllib.parse import urlsplit

    port = urlsplit(server.url).port
    seen = []
    original = asyncio.base_events.BaseEventLoop.create_connection

    async def redirect(self, factory, *args, **kwargs):
        host, dialled = ([*list(args), kwargs.pop("host", None), kwargs.pop("port", None)])[:2]
        seen.append((host, dialled))
        assert host == "192.0.2.10"  # what would have been dialled
        return await original(self, factory, "127.0.0.1", port, **kwargs)

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", redirect)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    log = record(
        CLIP_0870, base_url="ws://192.0.2.10:8765/v1", realtime=False, settle_s=0.2,
        allow_insecure=True,
    )  # fmt: skip
    assert seen == [("192.0.2.10", 8765)]
    assert log.of_type("session.updated")


class _EchoingServer:
    """A hostile websocket server on loopback that echoes the Authorization header back."""

    def __init__(self, *, reject: bool) -> None:
        self.reject = reject

    async def __aenter__(self):
        from websockets.asyncio.server import serve

        async def handler(ws):
            auth = ws.request.headers.get("Authorization", "")
            await ws.send(json.dumps({"type": "session.created", "event_id": "e0", "session": {}}))
            async for raw in ws:
                event = json.loads(raw)
                if event["type"] == "session.update":
                    await ws.send(
                        json.dumps(
                            {
                                "type": "session.updated",
                                "event_id": "e1",
                                "session": {"instructions": f"you sent {auth}"},
                            }
                        )
                    )
                    await ws.send(
                        json.dumps(
                            {
                                "type": "error",
                                "event_id": "e2",
                                "error": {
                                    "type": "invalid_request_error",
                                    "message": f"bad key {auth[7:]}",
                                },
                            }
                        )
                    )

        def process_request(connection, request):
            if self.reject:
                from http import HTTPStatus

                auth = request.headers.get("Authorization", "")
                return connection.respond(HTTPStatus.UNAUTHORIZED, f"no: {auth} {auth[7:]}\n")
            return None

        self.server = await serve(handler, "127.0.0.1", 0, process_request=process_request)
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


def test_a_server_echoing_the_key_never_gets_it_into_the_file_or_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    out = tmp_path / "log.jsonl"

    async def main():
        async with _EchoingServer(reject=False) as srv:
            log = await arecord(CLIP_0870, base_url=srv.url, realtime=False, out=out, settle_s=0.2)
        async with _EchoingServer(reject=True) as srv:
            with pytest.raises(rtlab.ProtocolError) as info:
                await arecord(CLIP_0870, base_url=srv.url, realtime=False)
        return log, info.value

    log, error = asyncio.run(main())
    assert any("you sent" in json.dumps(e) for e in log)  # the echo arrived, masked
    shown = [out.read_text(), repr(log), json.dumps(list(log.events))]
    exc: BaseException | None = error
    while exc is not None:  # the error and everything chained to it
        shown += ["".join(traceback.format_exception(exc)), repr(exc)]
        exc = exc.__cause__ or exc.__context__
    for text in shown:
        assert "SECRET123" not in text


def test_the_transcription_backend_does_not_chain_an_unmasked_echo(monkeypatch):
    """A transcriptions endpoint that echoes the key: the traceback shows it masked only."""
    import http.server
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(
                {
                    "error": {
                        "message": f"bad {self.headers['Authorization']} "
                        f"{self.headers['Authorization'][7:]}"
                    }
                }
            ).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/v1")
        audio = rtlab.datasets.compose(["librivox/0880"], lead_ms=300, tail_ms=900).audio
        assert rtlab.detect(audio).of_type("input_audio_buffer.committed")
        with pytest.raises(rtlab.RtlabError) as info:
            rtlab.transcribe(audio, rtlab.detect(audio), backend="openai")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    text = "".join(traceback.format_exception(info.value))
    assert "401" in text
    assert "SECRET123" not in text


# -- record --out: written beside, renamed at the end (issue 13, finding 6) -----------------------


def test_a_recording_killed_midway_leaves_the_previous_file_and_a_partial_one(server, tmp_path):
    out = tmp_path / "log.jsonl"
    out.write_text("previous recording\n")
    audio = rtlab.load_audio(AMI_WAV)

    async def main():
        task = asyncio.ensure_future(
            arecord(audio, base_url=server.url, api_key="local", realtime=True, out=out)
        )
        partial = tmp_path / "log.partial.jsonl"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            if partial.exists() and len(partial.read_text().splitlines()) >= 4:
                break
        task.cancel()  # killed midway
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert out.read_text() == "previous recording\n"  # not truncated
    with pytest.warns(UserWarning, match="partial recording"):
        partial = EventLog.read_jsonl(tmp_path / "log.partial.jsonl")
    assert len(partial) >= 3
