"""EventLog: a value of API-shaped server events; tables, JSONL round trip, bad files."""

from __future__ import annotations

import json
import math
import os

import pytest

import rtlab
from rtlab.errors import ProtocolError
from rtlab.events import EventLog


def _turn_events():
    """Two committed turns, one ongoing, a timeout and a transcript, as the API shapes them."""
    events = [
        (
            {
                "type": "input_audio_buffer.speech_started",
                "event_id": "event_0001",
                "audio_start_ms": 340,
                "item_id": "item_0001",
            },
            672.0,
        ),
        (
            {
                "type": "input_audio_buffer.speech_stopped",
                "event_id": "event_0002",
                "audio_end_ms": 1792,
                "item_id": "item_0001",
            },
            1792.0,
        ),
        (
            {
                "type": "input_audio_buffer.committed",
                "event_id": "event_0003",
                "previous_item_id": None,
                "item_id": "item_0001",
            },
            1792.0,
        ),
        (
            {
                "type": "input_audio_buffer.timeout_triggered",
                "event_id": "event_0004",
                "audio_start_ms": 1792,
                "audio_end_ms": 6816,
                "item_id": "item_0002",
            },
            6816.0,
        ),
        (
            {
                "type": "input_audio_buffer.committed",
                "event_id": "event_0005",
                "previous_item_id": "item_0001",
                "item_id": "item_0002",
            },
            6816.0,
        ),
        (
            {
                "type": "input_audio_buffer.speech_started",
                "event_id": "event_0006",
                "audio_start_ms": 7000,
                "item_id": "item_0003",
            },
            7332.5,
        ),
    ]
    return tuple(e for e, _ in events), tuple(t for _, t in events)


@pytest.fixture
def log():
    events, times = _turn_events()
    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.6, idle_timeout_ms=5000))
    return EventLog(events, times, session=session, source="emulator", duration_ms=8000.0)


def test_iteration_len_and_indexing(log):
    assert len(log) == 6
    assert [e["event_id"] for e in log] == [f"event_{i:04d}" for i in range(1, 7)]
    assert log[3]["type"] == "input_audio_buffer.timeout_triggered"
    assert log.counts()["input_audio_buffer.committed"] == 2


def test_value_semantics(log):
    events, times = _turn_events()
    same = EventLog(list(events), list(times), session=log.session, duration_ms=8000)
    assert same == log
    assert isinstance(same.events, tuple) and isinstance(same.emitted_ms, tuple)
    assert same != EventLog(events, times, session=log.session, duration_ms=7999.0)
    assert same != EventLog(events, times, session=None, duration_ms=8000.0)
    with pytest.raises(AttributeError):
        log.source = "other"  # frozen


def test_to_frame(log):
    frame = log.to_frame()
    assert list(frame.columns) == [
        "emitted_ms",
        "type",
        "event_id",
        "item_id",
        "audio_start_ms",
        "audio_end_ms",
        "transcript",
    ]
    assert frame["emitted_ms"].tolist() == list(log.emitted_ms)
    assert frame["audio_start_ms"].iloc[0] == 340.0
    assert math.isnan(frame["audio_start_ms"].iloc[1])
    assert frame["audio_end_ms"].iloc[1] == 1792.0
    assert frame["item_id"].tolist()[:3] == ["item_0001"] * 3


def test_turns_and_timeouts(log):
    turns = log.turns()
    assert list(turns.columns) == ["item_id", "start_ms", "end_ms", "committed", "transcript"]
    assert turns["item_id"].tolist() == ["item_0001", "item_0003"]
    assert turns["start_ms"].tolist() == [340.0, 7000.0]
    assert turns["end_ms"].iloc[0] == 1792.0 and math.isnan(turns["end_ms"].iloc[1])
    assert turns["committed"].tolist() == [True, False]
    timeouts = log.timeouts()
    assert timeouts.to_dict("records") == [
        {"item_id": "item_0002", "start_ms": 1792.0, "end_ms": 6816.0, "emitted_ms": 6816.0}
    ]


def test_with_events_merges_in_emitted_order_and_fills_transcripts(log):
    done = {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "event_0100",
        "item_id": "item_0001",
        "content_index": 0,
        "transcript": "hello there",
    }
    early = {"type": "input_audio_buffer.cleared", "event_id": "event_0101"}
    merged = log.with_events([done, early], [1792.0, 0.0])
    assert len(merged) == len(log) + 2
    assert merged[0] is not None and merged[0]["type"] == "input_audio_buffer.cleared"
    # stable: at 1792 ms the log's own stop and commit come before the new transcript
    assert [e["event_id"] for e in merged][1:5] == [
        "event_0001",
        "event_0002",
        "event_0003",
        "event_0100",
    ]
    assert list(merged.emitted_ms) == sorted(merged.emitted_ms)
    assert merged.turns()["transcript"].tolist() == ["hello there", None]
    assert merged.session == log.session and merged.duration_ms == log.duration_ms
    assert len(log) == 6  # unchanged
    with pytest.raises(ProtocolError):
        log.with_events([done], [])


def test_repr_counts_by_type(log):
    text = repr(log)
    assert "6 events" in text
    assert "speech_started=2" in text and "committed=2" in text and "timeout_triggered=1" in text
    assert "turn_detection='server_vad'" in text
    empty = EventLog((), ())
    assert repr(empty) == "EventLog(0 events; source='emulator')"


def test_repr_html_is_a_table(log):
    page = log._repr_html_()
    assert page.startswith("<table") and page.endswith("</table>")
    assert page.count("<tr>") == 1 + len(log)
    assert "timeout_triggered" in page and "item_0003" in page
    nasty = EventLog(({"type": "x", "transcript": "<script>"},), (0.0,))
    assert "<script>" not in nasty._repr_html_()


@pytest.mark.parametrize(
    ("events", "times"),
    [
        (({"type": "a"},), ()),  # one time per event
        (({"no_type": 1},), (0.0,)),
        (("not a dict",), (0.0,)),
        (({"type": "a"}, {"type": "b"}), (5.0, 4.0)),  # not in emitted order
        (({"type": "a"},), (math.nan,)),
    ],
)
def test_bad_logs_are_rejected(events, times):
    with pytest.raises(ProtocolError):
        EventLog(events, times)


def test_jsonl_round_trip_is_exact(log, tmp_path):
    path = log.to_jsonl(tmp_path / "sub" / "log.jsonl")
    back = EventLog.read_jsonl(path)
    assert back == log
    assert back.events == log.events and back.emitted_ms == log.emitted_ms
    assert back.session == log.session and back.session.turn_detection.idle_timeout_ms == 5000
    assert back.source == "emulator" and back.duration_ms == 8000.0
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["type"] == "rtlab.event_log" and header["n_events"] == 6
    assert json.loads(lines[1]) == {"emitted_ms": 672.0, "event": log[0]}


def test_jsonl_round_trip_keeps_turn_detection_off_and_unknown_session(tmp_path):
    off = EventLog((), (), session=rtlab.Session(turn_detection=None), duration_ms=1000.0)
    back = EventLog.read_jsonl(off.to_jsonl(tmp_path / "off.jsonl"))
    assert back == off and back.session.turn_detection is None
    unknown = EventLog(({"type": "x"},), (1.0,), source="realtime")
    assert EventLog.read_jsonl(unknown.to_jsonl(tmp_path / "u.jsonl")) == unknown


def test_jsonl_without_header_reads_events(tmp_path):
    path = tmp_path / "bare.jsonl"
    path.write_text('{"emitted_ms": 3, "event": {"type": "input_audio_buffer.committed"}}\n\n')
    back = EventLog.read_jsonl(path)
    assert len(back) == 1 and back.emitted_ms == (3.0,)
    assert back.session is None and back.source == "bare.jsonl"


def test_to_jsonl_is_atomic(log, tmp_path):
    path = log.to_jsonl(tmp_path / "log.jsonl")
    before = path.read_bytes()
    bad = log.with_events([{"type": "x", "payload": object()}], [9000.0])  # not JSON-able
    with pytest.raises(ProtocolError, match="payload"):
        bad.to_jsonl(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["log.jsonl"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("lines", "bad_line"),
    [
        (["{oops"], 1),
        (['{"emitted_ms": 1, "event": {"type": "a"}}', "[1, 2]"], 2),
        (
            [
                '{"emitted_ms": 1, "event": {"type": "a"}}',
                '{"emitted_ms": 0, "event": {"type": "b"}}',
            ],
            2,
        ),
        (
            [
                '{"emitted_ms": 1, "event": {"type": "a"}}',
                '{"emitted_ms": "1", "event": {"type": "b"}}',
            ],
            2,
        ),
        (['{"emitted_ms": 1}'], 1),
        (
            [
                '{"emitted_ms": 1, "event": {"type": "a"}}',
                '{"type": "rtlab.event_log", "version": 1}',
            ],
            2,
        ),
        (['{"type": "rtlab.event_log", "version": 99, "source": "x"}'], 1),
    ],
)
def test_corrupt_jsonl_names_the_line(tmp_path, lines, bad_line):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ProtocolError) as info:
        EventLog.read_jsonl(path)
    assert info.value.field == f"line {bad_line}"
    assert f"line {bad_line}" in str(info.value) and "bad.jsonl" in str(info.value)


def test_truncated_or_empty_jsonl_is_a_protocol_error(log, tmp_path):
    path = log.to_jsonl(tmp_path / "log.jsonl")
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # lost the last two events
    with pytest.raises(ProtocolError, match="truncated"):
        EventLog.read_jsonl(path)
    path.write_text("")
    with pytest.raises(ProtocolError):
        EventLog.read_jsonl(path)
    with pytest.raises(FileNotFoundError):
        EventLog.read_jsonl(tmp_path / "missing.jsonl")


def test_bad_session_in_header_is_a_protocol_error(log, tmp_path):
    path = log.to_jsonl(tmp_path / "log.jsonl")
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["session"] = {"turn_detection": {"type": "server_vad", "threshold": 7}}
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(ProtocolError) as info:
        EventLog.read_jsonl(path)
    assert info.value.field == "line 1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"events": ({"type": "x"},), "emitted_ms": ("soon",)}, "emitted_ms[0]"),
        ({"events": ({"type": "x"},), "emitted_ms": (None,)}, "emitted_ms[0]"),
        ({"events": ({"type": "x"},), "emitted_ms": (1.0,), "duration_ms": "long"}, "duration_ms"),
    ],
)
def test_non_numeric_times_are_protocol_errors(kwargs, field):
    with pytest.raises(ProtocolError) as info:
        EventLog(**kwargs)
    assert info.value.field == field


def test_with_events_rejects_bad_input_with_protocol_errors(log):
    with pytest.raises(ProtocolError, match=r"emitted_ms\[0\]"):
        log.with_events([{"type": "x"}], ["later"])
    with pytest.raises(ProtocolError, match=r"events\[1\]"):
        log.with_events([{"type": "x"}, 5], [1.0, 2.0])


@pytest.mark.parametrize("value", [math.nan, object()])
def test_to_jsonl_with_a_non_json_event_names_it_and_writes_nothing(log, tmp_path, value):
    bad = log.with_events([{"type": "x", "audio_start_ms": value}], [log.emitted_ms[-1]])
    target = tmp_path / "log.jsonl"
    with pytest.raises(ProtocolError) as info:
        bad.to_jsonl(target)
    assert info.value.field == f"events[{len(bad) - 1}]"
    assert list(tmp_path.iterdir()) == []


def test_read_jsonl_of_a_binary_file_is_a_protocol_error(tmp_path):
    path = tmp_path / "audio.jsonl"
    path.write_bytes(b"RIFF\xff\xfe\x00\x00WAVE")
    with pytest.raises(ProtocolError, match="UTF-8"):
        EventLog.read_jsonl(path)
