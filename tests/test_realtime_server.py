"""The local Realtime server (``rtlab serve``): protocol, shapes, errors, concurrency, fuzzing.

Every server event is checked against the ``openai`` package's server event types (GA and
beta). Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import numpy as np
import pytest
from _helpers import AMI_WAV, vad_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rtlab
from rtlab.realtime import Server, serve

# -- helpers -----------------------------------------------------------------------------


def validate(event: dict, api: str) -> None:
    """Check a server event against the openai package's types for ``api``."""
    from pydantic import TypeAdapter

    if api == "beta" and event["type"] not in ("input_audio_buffer.timeout_triggered",):
        from openai.types.beta.realtime import RealtimeServerEvent
    else:  # timeout_triggered exists only in the GA types
        from openai.types.realtime import RealtimeServerEvent
    parsed = TypeAdapter(RealtimeServerEvent).validate_python(event)
    assert parsed.type == event["type"]


@pytest.fixture(scope="module")
def clips():
    # each LibriVox utterance ends in speech: give it a pause after, so its turn can end
    # (the streaming scorer, like the API, scores the last frame only when audio follows)
    names = ["librivox/0870", "librivox/0880", "librivox/0890", "librivox/0920", "librivox/0930"]
    audios = [rtlab.datasets.compose([name], lead_ms=300, tail_ms=900).audio for name in names]
    # two real utterances with a pause between them and after: two committed turns
    track = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=[700], tail_ms=1000)
    return {"librivox": audios, "ami": rtlab.load_audio(AMI_WAV), "track": track.audio}


def b64(samples: np.ndarray) -> str:
    return base64.b64encode(np.asarray(samples, dtype="<i2").tobytes()).decode("ascii")


async def _connect(url: str, api: str):
    import openai

    client = openai.AsyncOpenAI(api_key="sk-local-test", websocket_base_url=url)
    if api == "ga":
        return client, client.realtime.connect(model="gpt-realtime")
    return client, client.beta.realtime.connect(model="gpt-4o-realtime-preview")


async def _recv(conn, timeout_s: float = 10.0) -> dict:
    return json.loads(await asyncio.wait_for(conn.recv_bytes(), timeout_s))


async def _recv_until(conn, kind: str, timeout_s: float = 20.0) -> list[dict]:
    """Every event up to and including the first of type ``kind`` (bounded in time)."""
    out = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        event = await _recv(conn, max(0.1, deadline - time.monotonic()))
        out.append(event)
        if event["type"] == kind:
            return out
    raise AssertionError(f"no {kind} within {timeout_s} s; got {[e['type'] for e in out]}")


# -- handshake and session shapes ----------------------------------------------------------


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_session_created_and_updated_in_each_api_shape(server, api):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.7, silence_duration_ms=800))

    async def main():
        client, manager = await _connect(server.url, api)
        async with manager as conn:
            created = await _recv(conn)
            await conn.send(session.to_event(api=api))
            updated = await _recv(conn)
        await client.close()
        return created, updated

    created, updated = asyncio.run(main())
    assert created["type"] == "session.created"
    assert updated["type"] == "session.updated"
    validate(created, api)
    validate(updated, api)
    # the created session is the API defaults, the updated one the merged configuration
    created_vad = rtlab.Session.from_event(created).turn_detection
    assert created_vad.model_dump() == rtlab.Session().turn_detection.model_dump()
    parsed = rtlab.Session.from_event(updated)
    assert parsed.turn_detection.threshold == 0.7
    assert parsed.turn_detection.silence_duration_ms == 800
    if api == "ga":
        assert updated["session"]["type"] == "realtime"
        assert "audio" in updated["session"]
    else:
        assert updated["session"]["turn_detection"]["threshold"] == 0.7
    assert created["session"]["id"] == updated["session"]["id"]


def test_session_update_is_partial_and_keeps_other_fields(server):
    async def main():
        client, manager = await _connect(server.url, "beta")
        async with manager as conn:
            await _recv(conn)
            await conn.send(
                {"type": "session.update", "session": {"input_audio_format": "g711_ulaw"}}
            )
            first = await _recv(conn)
            await conn.send(
                {
                    "type": "session.update",
                    "session": {"turn_detection": {"type": "semantic_vad", "eagerness": "low"}},
                }
            )
            second = await _recv(conn)
        await client.close()
        return first, second

    first, second = asyncio.run(main())
    assert first["session"]["input_audio_format"] == "g711_ulaw"
    assert second["session"]["input_audio_format"] == "g711_ulaw"  # kept
    assert second["session"]["turn_detection"]["type"] == "semantic_vad"
    assert second["session"]["turn_detection"]["eagerness"] == "low"


# -- audio in, events out -------------------------------------------------------------------


@pytest.mark.parametrize("api", ["ga", "beta"])
@pytest.mark.parametrize("name", ["ami", "track"])
def test_streamed_events_equal_detect_and_validate(server, clips, api, name):
    audio = clips[name]
    session = rtlab.Session()
    expected = vad_events(rtlab.detect(audio, session))
    assert expected, "the clip must have turns for this test to mean anything"

    async def main():
        client, manager = await _connect(server.url, api)
        got = []
        async with manager as conn:
            await _recv(conn)
            await conn.send(session.to_event(api=api))
            await _recv_until(conn, "session.updated")
            for event in audio.append_events(chunk_ms=100):
                await conn.input_audio_buffer.append(audio=event["audio"])
            # the last commit of the clip, then quiet
            deadline = time.monotonic() + 10
            n_commits = sum(e["type"] == "input_audio_buffer.committed" for e in expected)
            while time.monotonic() < deadline:
                got.append(await _recv(conn))
                if sum(e["type"] == "input_audio_buffer.committed" for e in got) == n_commits:
                    break
            # the item events of the last commit
            got += await _recv_until(
                conn, "conversation.item.created" if api == "beta" else "conversation.item.done"
            )
        await client.close()
        return got

    got = asyncio.run(main())
    for event in got:
        validate(event, api)
    assert vad_events(got) == expected
    committed = [e for e in got if e["type"] == "input_audio_buffer.committed"]
    item_kind = "conversation.item.created" if api == "beta" else "conversation.item.added"
    # the user items; the answers (create_response is on) are the assistant's
    items = [e for e in got if e["type"] == item_kind and e["item"]["role"] == "user"]
    answers = [e for e in got if e["type"] == item_kind and e["item"]["role"] != "user"]
    assert all(e["item"]["role"] == "assistant" for e in answers)
    assert [e["item"]["id"] for e in items] == [e["item_id"] for e in committed]
    assert all(
        e["item"]["role"] == "user" and e["item"]["content"][0]["type"] == "input_audio"
        for e in items
    )
    ids = [e["event_id"] for e in got]
    assert len(set(ids)) == len(ids)


def test_g711_input_is_decoded_to_the_same_turns(server, clips):
    audio = clips["track"]
    session = rtlab.Session(input_audio_format="g711_ulaw")
    expected = rtlab.detect(audio, session).turns()
    log = rtlab.realtime.record(
        audio, session, base_url=server.url, api_key="local", realtime=False, settle_s=0.3
    )
    got = log.turns()
    assert len(got) == len(expected) >= 2
    # streaming resampling of 100 ms G.711 chunks may move a boundary by at most a frame
    assert np.allclose(got["start_ms"], expected["start_ms"], atol=32)
    assert np.allclose(got["end_ms"], expected["end_ms"], atol=32, equal_nan=True)


def test_manual_commit_and_clear_with_turn_detection_off(server, clips):
    audio = clips["librivox"][0]

    async def main():
        client, manager = await _connect(server.url, "ga")
        async with manager as conn:
            await _recv(conn)
            await conn.session.update(
                session={"type": "realtime", "audio": {"input": {"turn_detection": None}}}
            )
            updated = await _recv(conn)
            for event in audio.append_events(chunk_ms=200):
                await conn.input_audio_buffer.append(audio=event["audio"])
            await conn.input_audio_buffer.commit()
            after_commit = await _recv_until(conn, "conversation.item.done")
            await conn.input_audio_buffer.commit()  # nothing left
            empty = await _recv(conn)
            await conn.input_audio_buffer.append(audio=b64(audio.samples[:4800]))
            await conn.input_audio_buffer.clear()
            cleared = await _recv(conn)
            await conn.input_audio_buffer.commit(event_id="client_7")
            empty_again = await _recv(conn)
        await client.close()
        return updated, after_commit, empty, cleared, empty_again

    updated, after_commit, empty, cleared, empty_again = asyncio.run(main())
    assert updated["session"]["audio"]["input"]["turn_detection"] is None
    assert [e["type"] for e in after_commit] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    for event in (*after_commit, empty, cleared, empty_again):
        validate(event, "ga")
    assert empty["error"]["code"] == "input_audio_buffer_commit_empty"
    assert cleared["type"] == "input_audio_buffer.cleared"
    assert empty_again["error"]["code"] == "input_audio_buffer_commit_empty"
    assert empty_again["error"]["event_id"] == "client_7"


def test_positions_count_all_audio_of_the_connection_across_a_session_change(server, clips):
    audio = clips["ami"]
    expected = vad_events(rtlab.detect(audio, rtlab.Session()))
    appends = [e["audio"] for e in audio.append_events(chunk_ms=100)]

    async def main():
        client, manager = await _connect(server.url, "ga")
        async with manager as conn:
            await _recv(conn)
            await conn.send(rtlab.Session(turn_detection=None).to_event(api="ga"))
            await _recv_until(conn, "session.updated")
            for data in appends:  # detection off: no events, but the audio counts
                await conn.input_audio_buffer.append(audio=data)
            # an update is partial: an unset turn_detection would keep it off
            vad_on = rtlab.Session(turn_detection=rtlab.ServerVad()).to_event(api="ga")
            await conn.send(vad_on)
            got = await _recv_until(conn, "session.updated")
            for data in appends:
                await conn.input_audio_buffer.append(audio=data)
            await conn.send(vad_on)  # the same again: no restart, answered after the appends
            got += await _recv_until(conn, "session.updated")
        await client.close()
        return got

    got = vad_events(asyncio.run(main()))
    shifted = [
        {k: v + 6000 if k in ("audio_start_ms", "audio_end_ms") else v for k, v in e.items()}
        for e in expected
    ]
    assert audio.duration_ms == 6000
    assert got == shifted


def test_transcripts_of_committed_turns_equal_offline_transcribe(server, clips):
    audio = clips["track"]
    session = rtlab.Session.from_event(
        {"type": "session.update", "session": {"input_audio_transcription": {"model": "whisper-1"}}}
    )
    log = rtlab.realtime.record(
        audio,
        session,
        api="beta",
        base_url=server.url,
        api_key="local",
        realtime=False,
        settle_s=0.3,
    )
    done = log.of_type("conversation.item.input_audio_transcription.completed")
    for event in done:
        validate(event, "beta")
    expected = rtlab.transcribe(audio, rtlab.detect(audio, session)).turns()
    got = log.turns()
    assert len(done) == int(got["committed"].sum()) >= 2
    assert got["transcript"].tolist() == expected["transcript"].tolist()
    assert any(len(text.split()) >= 3 for text in got["transcript"])


# -- errors: the connection stays open ------------------------------------------------------

BAD_MESSAGES = [
    ("{not json", "invalid_json"),
    ("[1, 2, 3]", "invalid_event"),
    ('{"event_id": "x"}', "invalid_event"),
    ('{"type": 5}', "invalid_event"),
    # response.create is handled since the server answers (issue 14): this one is not
    ('{"type": "output_audio_buffer.clear"}', "unsupported_event"),
    ('{"type": "no.such.event", "event_id": "e1"}', "unsupported_event"),
    ('{"type": "input_audio_buffer.append", "audio": "***not base64***"}', "invalid_base64"),
    ('{"type": "input_audio_buffer.append", "audio": "AAAB"}', "invalid_audio_format"),
    ('{"type": "input_audio_buffer.append", "audio": 12}', "invalid_value"),
    ('{"type": "input_audio_buffer.append"}', "missing_required_parameter"),
    ('{"type": "session.update"}', "missing_required_parameter"),
    ('{"type": "session.update", "session": "x"}', "invalid_value"),
    (
        '{"type": "session.update", "session": '
        '{"turn_detection": {"type": "server_vad", "threshold": 1.5}}}',
        "invalid_value",
    ),
    ('{"type": "session.update", "session": {"input_audio_format": "mp3"}}', "invalid_value"),
    (
        '{"type": "session.update", "session": '
        '{"turn_detection": {"type": "semantic_vad", "eagerness": "x"}}}',
        "invalid_value",
    ),
    ("NaN", "invalid_json"),
    ('{"type": "response.cancel"}', "response_cancel_not_active"),
]


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_bad_messages_get_error_events_and_the_connection_stays_usable(server, api):
    async def main():
        client, manager = await _connect(server.url, api)
        replies = []
        async with manager as conn:
            await _recv(conn)
            for text, _ in BAD_MESSAGES:
                await conn._connection.send(text)
                replies.append(await _recv(conn))
            await conn._connection.send(b"\xff\xfe binary garbage")
            binary_reply = await _recv(conn)
            await conn.input_audio_buffer.clear()
            cleared = await _recv(conn)
        await client.close()
        return replies, binary_reply, cleared

    replies, binary_reply, cleared = asyncio.run(main())
    for (text, code), reply in zip(BAD_MESSAGES, replies, strict=True):
        assert reply["type"] == "error", text
        validate(reply, api)
        assert reply["error"]["code"] == code, (text, reply)
        assert reply["error"]["message"]
    assert replies[5]["error"]["event_id"] == "e1"
    assert "emulat" in replies[4]["error"]["message"]
    assert binary_reply["error"]["code"] == "invalid_json"
    assert cleared["type"] == "input_audio_buffer.cleared"


def test_only_loopback_binds_and_unknown_paths_are_refused(server):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(rtlab.ConfigError, match="loopback"):
        serve("0.0.0.0")
    with pytest.raises(rtlab.ConfigError, match="'port'") as taken:
        serve(port=server.port)  # taken: a clear RtlabError, chained to the OSError
    assert isinstance(taken.value.__cause__, OSError)
    from rtlab import cli  # the command line: one line, exit status 1, no traceback

    assert cli.main(["serve", "--port", str(server.port)]) == 1
    with pytest.raises(InvalidStatus) as info:
        connect(server.url.replace("/v1", "/nope"), open_timeout=5)
    assert info.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as info:
        connect(server.url + "/realtime?api=v7", open_timeout=5)
    assert info.value.response.status_code == 400


def test_async_serve_context_and_query_selects_api():
    from websockets.asyncio.client import connect

    async def main():
        async with Server() as srv:
            assert srv.url.startswith("ws://127.0.0.1:")
            async with connect(srv.url + "/realtime?api=beta&model=m1") as ws:
                created = json.loads(await asyncio.wait_for(ws.recv(), 5))
            async with connect(srv.url + "/realtime?model=gpt-realtime") as ws:
                created_ga = json.loads(await asyncio.wait_for(ws.recv(), 5))
        return created, created_ga

    created, created_ga = asyncio.run(main())
    assert (
        "turn_detection" in created["session"] and "model" not in created["session"]
    )  # not a beta model
    assert created_ga["session"]["model"] == "gpt-realtime"
    assert created_ga["session"]["type"] == "realtime"
    validate(created, "beta")
    validate(created_ga, "ga")


# -- many clients ------------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_concurrent_sessions_get_their_own_correct_events(server, clips):
    audios = [*clips["librivox"], clips["ami"], clips["track"]]
    sessions = [
        rtlab.Session(),
        rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=200, threshold=0.6)),
        rtlab.Session(
            turn_detection=rtlab.ServerVad(prefix_padding_ms=100, silence_duration_ms=900)
        ),
    ]
    semantic = rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high"))
    jobs = [
        (
            audios[i % len(audios)],
            semantic if i in (5, 14) else sessions[i % len(sessions)],
            "ga" if i % 2 else "beta",
        )
        for i in range(20)
    ]
    expected = [vad_events(rtlab.detect(audio, session)) for audio, session, _ in jobs]
    assert sum(len(e) for e in expected) > 20

    async def main():
        return await asyncio.gather(
            *(
                rtlab.realtime.arecord(
                    audio,
                    session,
                    api=api,
                    base_url=server.url,
                    api_key="local",
                    realtime=False,
                    settle_s=0.5,
                )
                for audio, session, api in jobs
            )
        )

    started = time.monotonic()
    logs = asyncio.run(main())
    elapsed = time.monotonic() - started
    audio_s = sum(audio.duration_s for audio, _, _ in jobs)
    assert elapsed < audio_s  # faster than real time overall
    for log, want, (_, _, api) in zip(logs, expected, jobs, strict=True):
        assert vad_events(log) == want
        for event in log:
            validate(event, api)


def test_audio_sent_faster_than_it_is_scored_keeps_its_events_before_a_later_request(server, clips):
    # The server reads on while a connection's audio is scored (appends coalesce), and
    # answers any other request only after the events of the audio appended before it.
    # Sent unpaced, then `clear`: every VAD event of the clip comes before `cleared`, the
    # last one (in the last append) included.
    session = rtlab.Session(turn_detection=rtlab.ServerVad(create_response=False))
    track = clips["track"]  # two turns; cut where the last one is committed
    end_ms = rtlab.detect(track, session).emitted_ms[-1]
    audio = rtlab.Audio(track.samples[: int(end_ms * 24)])
    expected = vad_events(rtlab.detect(audio, session))
    assert len(expected) == 6 and expected[-1]["type"] == "input_audio_buffer.committed"

    async def main():
        client, manager = await _connect(server.url, "ga")
        async with manager as conn:
            await _recv(conn)
            await conn.send(session.to_event(api="ga"))
            await _recv_until(conn, "session.updated")
            # 300 ms appends: under the 1 s the server holds before it stops reading
            for event in audio.append_events(chunk_ms=300):
                await conn.input_audio_buffer.append(audio=event["audio"])
            await conn.input_audio_buffer.clear()
            got = await _recv_until(conn, "input_audio_buffer.cleared", timeout_s=60)
        await client.close()
        return got

    got = asyncio.run(main())
    assert got[-1]["type"] == "input_audio_buffer.cleared"
    assert vad_events(got) == expected


def test_a_client_dropping_mid_stream_does_not_disturb_the_others(server, clips):
    from websockets.asyncio.client import connect

    audio = clips["ami"]
    expected = vad_events(rtlab.detect(audio, rtlab.Session()))

    async def dropper():
        ws = await connect(server.url + "/realtime")
        await ws.recv()
        for event in list(audio.append_events(chunk_ms=100))[:25]:
            await ws.send(
                json.dumps({"type": "input_audio_buffer.append", "audio": event["audio"]})
            )
        ws.transport.abort()  # no closing handshake

    async def main():
        results = await asyncio.gather(
            dropper(),
            *(
                rtlab.realtime.arecord(
                    audio, base_url=server.url, api_key="local", realtime=False, settle_s=0.5
                )
                for _ in range(3)
            ),
            dropper(),
        )
        return results[1:-1]

    logs = asyncio.run(main())
    for log in logs:
        assert vad_events(log) == expected
    deadline = time.monotonic() + 5
    while server.n_connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.n_connections == 0
    # and it still serves
    again = rtlab.realtime.record(
        audio, base_url=server.url, api_key="local", realtime=False, settle_s=0.3
    )
    assert vad_events(again) == expected


# -- fuzzing ----------------------------------------------------------------------------------

_json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
_json = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


_bad_vad = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("server_vad"),
            "threshold": st.floats(1.0001, 1e6) | st.floats(-1e6, -0.0001),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("server_vad"), "silence_duration_ms": st.integers(max_value=-1)}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("semantic_vad"),
            "eagerness": st.text(max_size=8).filter(
                lambda s: s not in ("low", "medium", "high", "auto")
            ),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.text(max_size=12).filter(lambda s: s not in ("server_vad", "semantic_vad"))}
    ),
)

MALFORMED = st.one_of(
    st.text(max_size=60).filter(_not_json),
    st.binary(max_size=60).filter(lambda b: _not_json(b.decode("utf-8", "replace"))),
    _json.filter(lambda v: not isinstance(v, dict)).map(json.dumps),
    st.dictionaries(st.text(max_size=8), _json, max_size=4)
    .filter(lambda d: not isinstance(d.get("type"), str))
    .map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.text(max_size=40).filter(
                lambda t: (
                    t
                    not in (
                        "session.update",
                        "input_audio_buffer.append",
                        "input_audio_buffer.commit",
                        "input_audio_buffer.clear",
                    )
                )
            )
        }
    ).map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.just("input_audio_buffer.append"),
            "audio": st.text(max_size=30).filter(lambda s: not _is_even_base64(s))
            | _json.filter(lambda v: not isinstance(v, str)),
        }
    ).map(json.dumps),
    st.fixed_dictionaries(
        {
            "type": st.just("session.update"),
            "session": st.fixed_dictionaries({"turn_detection": _bad_vad})
            | _json.filter(lambda v: not isinstance(v, dict)),
        }
    ).map(json.dumps),
)


def _is_even_base64(text: str) -> bool:
    try:
        return len(base64.b64decode(text.encode("ascii"), validate=True)) % 2 == 0
    except Exception:
        return False


@pytest.fixture(scope="module")
def fuzz_connection(server):
    from websockets.sync.client import connect

    with connect(server.url + "/realtime", open_timeout=5) as ws:
        first = json.loads(ws.recv(timeout=5))
        assert first["type"] == "session.created"
        yield ws


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=MALFORMED)
def test_fuzzed_malformed_messages_get_an_error_and_never_break_the_server(
    fuzz_connection, message
):
    ws = fuzz_connection
    ws.send(message)
    reply = json.loads(ws.recv(timeout=5))
    assert reply["type"] == "error", (message, reply)
    validate(reply, "ga")
    assert reply["error"]["type"] == "invalid_request_error"
    # the connection is still usable
    ws.send(json.dumps({"type": "input_audio_buffer.clear", "event_id": "probe"}))
    assert json.loads(ws.recv(timeout=5))["type"] == "input_audio_buffer.cleared"


# -- hardening (issue 13): unknown parameters and hostile JSON get the API's errors ------------

HOSTILE = [
    # (api, message, code, param)
    (
        "beta",
        {"type": "session.update", "session": {"turn_detection": {"type": "server_vad",
                                                                  "silence_duration": 900}}},
        "unknown_parameter",
        "session.turn_detection.silence_duration",
    ),
    (
        "ga",
        {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
            "turn_detection": {"type": "server_vad", "silence_duration": 900}}}}},
        "unknown_parameter",
        "session.audio.input.turn_detection.silence_duration",
    ),
    (  # a beta key inside a GA body
        "ga",
        {"type": "session.update", "session": {"type": "realtime",
                                               "input_audio_format": "g711_ulaw"}},
        "unknown_parameter",
        "session.input_audio_format",
    ),
    ("ga", {"type": "input_audio_buffer.clear", "extra": 1}, "unknown_parameter", "extra"),
    ("beta", {"type": "session.update", "session": {"modalities": [["text"]]}}, "invalid_value",
     "session.modalities[0]"),
    ("beta", {"type": "session.update", "session": {"turn_detection": {
        "type": "server_vad", "silence_duration_ms": 1e30}}}, "integer_above_max_value",
     "session.turn_detection.silence_duration_ms"),
]  # fmt: skip


@pytest.mark.parametrize(("api", "message", "code", "param"), HOSTILE)
def test_unknown_parameters_and_bad_types_get_the_api_s_error(server, api, message, code, param):
    from websockets.sync.client import connect

    query = "?api=beta" if api == "beta" else ""
    with connect(server.url + "/realtime" + query, open_timeout=5) as ws:
        ws.recv(timeout=5)
        ws.send(json.dumps(message))
        reply = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "input_audio_buffer.cleared"
    validate(reply, api)
    assert reply["error"]["type"] == "invalid_request_error"
    assert (reply["error"]["code"], reply["error"]["param"]) == (code, param), reply
    if code == "unknown_parameter":
        assert reply["error"]["message"] == f"Unknown parameter: '{param}'."


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "session.update", "session": {"turn_detection": {"type": "server_vad", '
        '"threshold": ' + "9" * 400 + "}}}",
        '{"type": "session.update", "session": {"tools": ' + "[" * 1200 + "]" * 1200 + "}}",
        '{"type": "session.update", "session": {"instructions": ' + "[" * 900 + "]" * 900 + "}}",
        '{"type": "input_audio_buffer.append", "audio": 1e999}',
    ],
    ids=["400-digit number", "nesting 1200", "nesting 900", "infinite number"],
)
def test_hostile_json_gets_an_error_event_not_a_crash(server, text):
    from websockets.sync.client import connect

    with connect(server.url + "/realtime", open_timeout=5) as ws:
        ws.recv(timeout=5)
        ws.send(text)
        reply = json.loads(ws.recv(timeout=5))
    validate(reply, "ga")
    assert reply["error"]["type"] == "invalid_request_error", reply
    assert "Traceback" not in reply["error"]["message"]


def test_the_old_names_still_start_the_server_with_a_deprecation_warning():
    from rtlab.realtime import ServerThread, start_server

    for old in (start_server, ServerThread):
        with pytest.warns(DeprecationWarning, match="use serve"), old() as handle:
            assert handle.url.startswith("ws://127.0.0.1:")
            assert isinstance(handle, Server)

    async def old_async_style():  # `async with serve()` was the async form
        with pytest.warns(DeprecationWarning, match="async with Server"):
            async with serve() as handle:
                return handle.url

    assert asyncio.run(old_async_style()).startswith("ws://127.0.0.1:")


@pytest.mark.slow
@pytest.mark.parametrize("batch_wait_ms", [2.0, None])
def test_many_sessions_scored_together_get_exactly_detect_s_events(clips, batch_wait_ms):
    """48 sessions at once: their frames share Silero batches, each gets its own events."""
    audios = [*clips["librivox"], clips["track"]]
    sessions = [
        rtlab.Session(),
        rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=200, threshold=0.6)),
        rtlab.Session(turn_detection=rtlab.ServerVad(prefix_padding_ms=0, threshold=0.3)),
    ]
    n = 48 if batch_wait_ms is not None else 6
    jobs = [
        (audios[i % len(audios)], sessions[i % len(sessions)], "ga" if i % 2 else "beta")
        for i in range(n)
    ]
    expected = {}
    for audio, session, _ in jobs:
        key = (audio.fingerprint, repr(session))
        if key not in expected:
            expected[key] = vad_events(rtlab.detect(audio, session))

    async def main():
        async with Server(batch_wait_ms=batch_wait_ms) as server:
            logs = await asyncio.gather(
                *(
                    rtlab.realtime.arecord(
                        audio,
                        session,
                        api=api,
                        base_url=server.url,
                        api_key="local",
                        realtime=False,
                        settle_s=0.5,
                    )
                    for audio, session, api in jobs
                )
            )
            return logs, server.batch_counts

    logs, (n_batches, n_slices) = asyncio.run(main())
    for log, (audio, session, _) in zip(logs, jobs, strict=True):
        assert vad_events(log) == expected[(audio.fingerprint, repr(session))]
    if batch_wait_ms is None:
        assert (n_batches, n_slices) == (0, 0)
    else:
        assert n_slices >= n * 5  # every append of every session went through the batcher
        assert n_slices / n_batches > 4, (n_batches, n_slices)  # ... many in each batch


# -- the agent talks back (issue 14) -----------------------------------------------------------


async def _drain(ws, until: str | None = None, quiet_s: float = 2.0, limit_s: float = 60.0):
    """Events until one of type ``until`` (or until the server is quiet for ``quiet_s``)."""
    out = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            event = json.loads(await asyncio.wait_for(ws.recv(), quiet_s))
        except TimeoutError:
            if until is None:
                return out
            raise AssertionError(f"no {until}; got {[e['type'] for e in out]}") from None
        out.append(event)
        if event["type"] == until:
            return out
    raise AssertionError("too long")


def _response_types(api: str) -> dict[str, str]:
    if api == "ga":
        return {
            "delta": "response.output_audio.delta",
            "done": "response.output_audio.done",
            "tdelta": "response.output_audio_transcript.delta",
            "tdone": "response.output_audio_transcript.done",
            "item": "conversation.item.added",
        }
    return {
        "delta": "response.audio.delta",
        "done": "response.audio.done",
        "tdelta": "response.audio_transcript.delta",
        "tdone": "response.audio_transcript.done",
        "item": "conversation.item.created",
    }


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_a_committed_turn_is_answered_with_real_speech_in_the_api_s_events(clips, api):
    from websockets.asyncio.client import connect

    names = _response_types(api)
    voice = rtlab.datasets.load("librivox/0870")

    async def main():
        async with (
            Server(response_speed=None) as server,
            connect(server.url + f"/realtime?api={api}") as ws,
        ):
            await ws.recv()
            for event in clips["librivox"][1].append_events(chunk_ms=100):
                await ws.send(json.dumps(event))
            return await _drain(ws, until="response.done")

    events = asyncio.run(main())
    for event in events:
        validate(event, api)
    kinds = [e["type"] for e in events]
    start = kinds.index("response.created")
    assert kinds.index("input_audio_buffer.committed") < start
    deltas = [e for e in events if e["type"] == names["delta"]]
    tail = [k for k in kinds[start:] if k not in (names["delta"], names["tdelta"])]
    assert tail == [
        "response.created",
        "response.output_item.added",
        names["item"],
        "response.content_part.added",
        names["done"],
        names["tdone"],
        "response.content_part.done",
        "response.output_item.done",
        *(["conversation.item.done"] if api == "ga" else []),
        "response.done",
    ]
    # the audio is the first shipped utterance, sample for sample, in 100 ms deltas
    audio = np.concatenate([np.frombuffer(base64.b64decode(e["delta"]), "<i2") for e in deltas])
    assert np.array_equal(audio, voice.audio.samples)
    assert {len(base64.b64decode(e["delta"])) for e in deltas[:-1]} == {4800}
    words = "".join(e["delta"] for e in events if e["type"] == names["tdelta"])
    done = events[-1]["response"]
    assert done["status"] == "completed"
    assert words == done["output"][0]["content"][0]["transcript"]
    assert words.startswith("and mister john dashwood") and words.endswith("for them")
    assert all(e.get("response_id", done["id"]) == done["id"] for e in events[start:])


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_barge_in_cancels_the_response_and_the_client_can_truncate_and_cancel(clips, api):
    """Two turns: the second one's speech_started comes while the first answer still plays."""
    from websockets.asyncio.client import connect

    async def main():
        async with (
            Server(response_speed=1.0) as server,
            connect(server.url + f"/realtime?api={api}") as ws,
        ):
            await ws.recv()
            for event in clips["track"].append_events(chunk_ms=100):
                await ws.send(json.dumps(event))
                await asyncio.sleep(0.02)  # 5x real time: the answer (6 s) outlasts the pause
            first = await _drain(ws, until="response.done")
            rest = await _drain(ws, until="response.done")
            item_id = first[-1]["response"]["output"][0]["id"]
            sent_ms = sum(
                len(base64.b64decode(e["delta"])) // 48
                for e in first
                if e["type"] == _response_types(api)["delta"]
            )
            truncate = {"type": "conversation.item.truncate", "item_id": item_id}
            # the client stops playback half-way through what it got, then asks for more
            # than the item holds
            for end_ms in (sent_ms // 2, sent_ms + 500):
                await ws.send(json.dumps({**truncate, "content_index": 0, "audio_end_ms": end_ms}))
            truncated = await _drain(ws, until="conversation.item.truncated")
            truncated += await _drain(ws, until="error")
            await ws.send(json.dumps({"type": "response.cancel", "event_id": "c1"}))
            not_active = await _drain(ws, until="error")
            await ws.send(json.dumps({"type": "response.create"}))
            await _drain(ws, until="response.content_part.added")
            await ws.send(json.dumps({"type": "response.create", "event_id": "c2"}))
            busy = await _drain(ws, until="error")
            await ws.send(json.dumps({"type": "response.cancel"}))
            cancelled = await _drain(ws, until="response.done")
            return first, rest, truncated, not_active, busy, cancelled

    first, rest, truncated, not_active, busy, cancelled = asyncio.run(main())
    for event in first + rest + truncated + not_active + busy + cancelled:
        validate(event, api)
    kinds = [e["type"] for e in first]
    barge = kinds.index("input_audio_buffer.speech_started", kinds.index("response.created"))
    assert kinds[barge + 1 :][-1] == "response.done"
    assert _response_types(api)["delta"] not in kinds[barge:]  # playback stopped at once
    done = first[-1]["response"]
    assert done["status"] == "cancelled"
    assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    assert done["output"][0]["status"] == "incomplete"
    # the second turn is committed and answered in full
    assert rest[-1]["response"]["status"] == "completed"
    assert truncated[-2]["audio_end_ms"] > 0
    assert truncated[-1]["error"]["param"] == "audio_end_ms"
    assert not_active[-1]["error"]["code"] == "response_cancel_not_active"
    assert not_active[-1]["error"]["event_id"] == "c1"
    assert busy[-1]["error"]["code"] == "conversation_already_has_active_response"
    assert cancelled[-1]["response"]["status_details"]["reason"] == "client_cancelled"


@pytest.mark.parametrize(
    ("turn_detection", "n_responses", "n_cancelled"),
    [
        ({"type": "server_vad", "interrupt_response": False}, 1, 0),  # 2nd turn: answer busy
        ({"type": "server_vad", "create_response": False}, 0, 0),
        ({"type": "server_vad"}, 2, 1),
    ],
)
def test_create_response_and_interrupt_response_flags(
    clips, turn_detection, n_responses, n_cancelled
):
    from websockets.asyncio.client import connect

    async def main():
        async with Server(response_speed=1.0) as server, connect(server.url + "/realtime") as ws:
            await ws.recv()
            update = {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {"input": {"turn_detection": turn_detection}},
                },
            }
            await ws.send(json.dumps(update))
            await _drain(ws, until="session.updated")
            for event in clips["track"].append_events(chunk_ms=100):
                await ws.send(json.dumps(event))
                await asyncio.sleep(0.02)
            return await _drain(ws, quiet_s=8.0)

    events = asyncio.run(main())
    done = [e["response"]["status"] for e in events if e["type"] == "response.done"]
    assert len(done) == n_responses
    assert done.count("cancelled") == n_cancelled
    assert sum(e["type"] == "input_audio_buffer.committed" for e in events) == 2


def test_conversation_items_are_created_retrieved_and_deleted():
    from websockets.asyncio.client import connect

    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}

    async def main():
        async with Server() as server, connect(server.url + "/realtime") as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
            added = await _drain(ws, until="conversation.item.done")
            item_id = added[-1]["item"]["id"]
            await ws.send(json.dumps({"type": "conversation.item.retrieve", "item_id": item_id}))
            retrieved = await _drain(ws, until="conversation.item.retrieved")
            await ws.send(json.dumps({"type": "conversation.item.delete", "item_id": item_id}))
            deleted = await _drain(ws, until="conversation.item.deleted")
            await ws.send(
                json.dumps(
                    {
                        "type": "conversation.item.truncate",
                        "item_id": item_id,
                        "content_index": 0,
                        "audio_end_ms": 0,
                    }
                )
            )
            missing = await _drain(ws, until="error")
            return added + retrieved + deleted + missing

    events = asyncio.run(main())
    for event in events:
        validate(event, "ga")
    assert events[-2]["item_id"] == events[0]["item"]["id"]
    assert events[-1]["error"]["param"] == "item_id"


@pytest.mark.slow
def test_semantic_vad_sessions_share_smart_turn_batches_and_keep_detect_s_events(clips):
    audio = clips["ami"]
    session = rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high"))
    expected = vad_events(rtlab.detect(audio, session))
    assert sum(e["type"] == "input_audio_buffer.committed" for e in expected) >= 2

    async def main():
        async with Server() as server:
            logs = await asyncio.gather(
                *(
                    rtlab.realtime.arecord(
                        audio,
                        session,
                        api="ga",
                        base_url=server.url,
                        api_key="local",
                        realtime=False,
                        settle_s=0.5,
                    )
                    for _ in range(8)
                )
            )
            return logs, server.turn_end_batch_counts

    logs, (n_batches, n_windows) = asyncio.run(main())
    for log in logs:
        assert vad_events(log) == expected
    assert n_windows >= 8 * 2  # every session's pauses went through the batcher ...
    assert n_windows > n_batches  # ... and some shared a model call


@pytest.mark.parametrize(
    ("session", "kind"),
    [
        ({"modalities": ["text"]}, "response.text.delta"),
        ({"output_audio_format": "g711_ulaw"}, "response.audio.delta"),
    ],
)
def test_text_only_and_g711_answers(clips, session, kind):
    from websockets.asyncio.client import connect

    async def main():
        async with (
            Server(response_speed=None) as server,
            connect(server.url + "/realtime?api=beta") as ws,
        ):
            await ws.recv()
            await ws.send(json.dumps({"type": "session.update", "session": session}))
            await _drain(ws, until="session.updated")
            await ws.send(json.dumps({"type": "response.create"}))
            return await _drain(ws, until="response.done")

    events = asyncio.run(main())
    for event in events:
        validate(event, "beta")
    deltas = [e["delta"] for e in events if e["type"] == kind]
    voice = rtlab.datasets.load("librivox/0870").audio
    if kind == "response.text.delta":
        assert "".join(deltas).startswith("and mister john dashwood")
        assert not any("audio" in e["type"] for e in events)
        assert events[-1]["response"]["output"][0]["content"][0]["type"] == "text"
    else:  # G.711 at 8 kHz: one byte per sample
        n_bytes = sum(len(base64.b64decode(d)) for d in deltas)
        assert abs(n_bytes - voice.n_samples / 3) <= len(deltas) * 2
