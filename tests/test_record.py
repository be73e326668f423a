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
