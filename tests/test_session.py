"""rtlab.Session: unset / None / value, replace, files, display, and every kind of bad input.

Payload validity against the ``openai`` package's types is in test_session_openai_types.py.
"""

from __future__ import annotations

import functools
import json
import math
import os
import pickle
import warnings

import numpy as np
import pydantic
import pytest

import rtlab
from rtlab.errors import ConfigError, UnmodelledFieldWarning
from rtlab.session import (
    FieldDroppedWarning,
    FrozenConfigError,
    NoiseReduction,
    SemanticVad,
    ServerVad,
    Session,
    Tool,
    Tracing,
    Transcription,
)

# ---------------------------------------------------------------- unset / None / value

# field, an example value, where it sits in the GA session
NULLABLE = [
    ("turn_detection", SemanticVad(eagerness="high"), ("audio", "input", "turn_detection")),
    (
        "input_audio_transcription",
        Transcription(model="whisper-1"),
        ("audio", "input", "transcription"),
    ),
    (
        "input_audio_noise_reduction",
        NoiseReduction(type="far_field"),
        ("audio", "input", "noise_reduction"),
    ),
    ("tracing", Tracing(group_id="g1"), ("tracing",)),
]


def _ga_get(event: dict, path: tuple[str, ...]):
    node = event["session"]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return "<absent>"
        node = node[key]
    return node


@pytest.mark.parametrize(("field", "value", "ga_path"), NULLABLE)
def test_unset_is_omitted_and_reads_as_the_default(field, value, ga_path):
    session = Session()
    assert field not in session.model_fields_set
    assert field not in session.to_dict()
    assert field not in session.to_event(api="beta")["session"]
    assert _ga_get(session.to_event(api="ga"), ga_path) == "<absent>"
    assert getattr(session, field) == Session.model_fields[field].default


@pytest.mark.parametrize(("field", "value", "ga_path"), NULLABLE)
def test_none_is_off_and_sent_as_null(field, value, ga_path):
    session = Session(**{field: None})
    assert getattr(session, field) is None and field in session.model_fields_set
    beta = session.to_event(api="beta")
    assert beta["session"] == {field: None}
    assert json.dumps(beta) == json.dumps({"type": "session.update", "session": {field: None}})
    ga = session.to_event(api="ga")
    assert _ga_get(ga, ga_path) is None
    for event in (beta, ga):
        back = Session.from_event(json.loads(json.dumps(event)))
        assert getattr(back, field) is None and back.model_fields_set == {field}


@pytest.mark.parametrize(("field", "value", "ga_path"), NULLABLE)
def test_a_value_is_sent(field, value, ga_path):
    session = Session(**{field: value})
    payload = value.payload()
    assert session.to_event(api="beta")["session"][field] == payload
    assert _ga_get(session.to_event(api="ga"), ga_path) == payload
    assert Session.from_event(session.to_event(api="ga")) == session
    # the three states are three different sessions
    assert len({Session(), Session(**{field: None}), session}) == 3


def test_idle_timeout_unset_none_and_value():
    def ga_vad(vad):
        return Session(turn_detection=vad).to_event(api="ga")["session"]["audio"]["input"][
            "turn_detection"
        ]

    assert "idle_timeout_ms" not in ga_vad(ServerVad())
    assert ga_vad(ServerVad(idle_timeout_ms=None))["idle_timeout_ms"] is None
    assert ga_vad(ServerVad(idle_timeout_ms=8000))["idle_timeout_ms"] == 8000
    for vad in (ServerVad(), ServerVad(idle_timeout_ms=None), ServerVad(idle_timeout_ms=8000)):
        session = Session(turn_detection=vad)
        assert Session.from_event(session.to_event(api="ga")) == session
        assert Session.from_event(session.to_dict()) == session
    assert ServerVad() != ServerVad(idle_timeout_ms=None)
    assert ServerVad().idle_timeout_ms is None


def test_turn_detection_is_sent_whole_with_its_type():
    session = Session(turn_detection=ServerVad(threshold=0.7))
    assert session.to_dict()["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
        "create_response": True,
        "interrupt_response": True,
    }
    # a partial object from elsewhere reads as the same configuration
    partial = {"turn_detection": {"type": "server_vad", "threshold": 0.7}}
    assert Session.from_event(partial) == session


def test_defaults_are_readable_without_being_set():
    session = Session()
    assert session.model_fields_set == set()
    assert session.turn_detection == ServerVad()
    assert (session.turn_detection.threshold, session.turn_detection.prefix_padding_ms) == (
        0.5,
        300,
    )
    assert session.turn_detection.silence_duration_ms == 500
    assert session.input_audio_format == session.output_audio_format == "pcm16"
    assert session.input_audio_noise_reduction is None and session.input_audio_transcription is None
    assert session.modalities == ("text", "audio") and session.tools == ()
    assert (session.speed, session.temperature, session.max_response_output_tokens) == (
        1.0,
        0.8,
        "inf",
    )
    assert session.to_event(api="beta") == {"type": "session.update", "session": {}}
    assert session.to_event(api="ga") == {"type": "session.update", "session": {"type": "realtime"}}
    assert SemanticVad().eagerness == "auto"


def test_equality_means_the_same_payload():
    assert Session() != Session(turn_detection=ServerVad())  # one leaves the server alone
    assert Session().turn_detection == Session(turn_detection=ServerVad()).turn_detection
    assert Session(modalities=["audio", "text"]) == Session(modalities=("text", "audio"))
    assert Session(speed=1) == Session(speed=1.0)
    assert {Session(speed=1.2), Session(speed=1.2)} == {Session(speed=1.2)}
    tools = Session(tools=[Tool(name="f", parameters={"type": "object"})])
    assert hash(tools) == hash(Session.from_event(tools.to_dict()))


def test_frozen_and_caller_data_is_copied():
    session = Session(speed=1.2)
    with pytest.raises(FrozenConfigError, match=r"replace\(speed=\.\.\.\)"):
        session.speed = 1.3
    with pytest.raises(AttributeError):
        del session.speed
    schema = {"type": "object", "properties": {}}
    tool = Tool(name="f", parameters=schema)
    schema["properties"]["x"] = {"type": "string"}
    assert tool.parameters == {"type": "object", "properties": {}}
    payload = Session(tools=[tool]).to_dict()
    payload["tools"][0]["parameters"]["y"] = 1
    assert tool.parameters == {"type": "object", "properties": {}}


def test_pickles_for_parallel_sweeps():
    session = Session(turn_detection=ServerVad(threshold=0.4), tools=[Tool(name="f")])
    again = pickle.loads(pickle.dumps(session))
    assert again == session and again.model_fields_set == session.model_fields_set


def test_numpy_scalars_from_sweep_grids_are_accepted():
    vad = ServerVad(
        threshold=np.float32(0.25),
        prefix_padding_ms=np.int64(200),
        silence_duration_ms=np.float64(700.0),
        create_response=np.bool_(False),
    )
    assert (vad.threshold, vad.prefix_padding_ms, vad.silence_duration_ms) == (0.25, 200, 700)
    assert type(vad.prefix_padding_ms) is int and vad.create_response is False
    json.dumps(Session(turn_detection=vad).to_event(api="ga"))


# ------------------------------------------------------------------------------ to_event


def test_fields_missing_from_an_api_warn_or_raise():
    session = Session(temperature=0.9, turn_detection=ServerVad(idle_timeout_ms=10000))
    with pytest.warns(FieldDroppedWarning) as caught:
        ga = session.to_event(api="ga")
    assert [w.message.field for w in caught] == ["temperature"]
    assert "temperature" in str(caught[0].message) and "'beta'" in str(caught[0].message)
    assert "temperature" not in json.dumps(ga)
    with pytest.warns(FieldDroppedWarning) as caught:
        beta = session.to_event(api="beta")
    assert [(w.message.field, w.message.value) for w in caught] == [
        ("turn_detection.idle_timeout_ms", 10000)
    ]
    assert "idle_timeout_ms" not in beta["session"]["turn_detection"]
    for api in ("beta", "ga"):
        with pytest.raises(ConfigError, match="no counterpart"):
            session.to_event(api=api, strict=True)
    # an idle timeout of None is what beta does anyway: nothing is lost, nothing to say
    Session(turn_detection=ServerVad(idle_timeout_ms=None)).to_event(api="beta", strict=True)


def test_event_id_and_api_are_checked():
    assert Session().to_event(api="ga", event_id="e1")["event_id"] == "e1"
    with pytest.raises(
        ConfigError, match=r"'api' parameter of Session\.to_event must be 'beta' or 'ga'"
    ):
        Session().to_event(api="v1")


def test_newer_models_need_the_ga_api():
    session = Session(model="gpt-realtime-2")
    assert session.to_event(api="ga")["session"]["model"] == "gpt-realtime-2"
    with pytest.raises(ConfigError, match="use api='ga'") as info:
        session.to_event(api="beta")
    assert info.value.field == "model" and "'gpt-realtime'" in info.value.allowed


def test_ga_mappings():
    session = Session(
        modalities=["text"],
        input_audio_format="g711_alaw",
        output_audio_format="pcm16",
        voice="cedar",
        speed=1.25,
        tools=[Tool(name="transfer")],
        tool_choice="transfer",
        max_response_output_tokens=512,
    )
    body = session.to_event(api="ga")["session"]
    assert body["output_modalities"] == ["text"]
    assert body["audio"] == {
        "input": {"format": {"type": "audio/pcma"}},
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "cedar", "speed": 1.25},
    }
    assert body["tool_choice"] == {"type": "function", "name": "transfer"}
    assert body["max_output_tokens"] == 512
    assert Session(modalities=["text", "audio"]).to_event(api="ga")["session"][
        "output_modalities"
    ] == ["audio"]
    assert Session.from_event(session.to_event(api="ga")) == session


# ------------------------------------------------------------------------------ replace


def test_replace_with_dotted_paths():
    base = Session(turn_detection=ServerVad(threshold=0.6), voice="alloy")
    new = base.replace(**{"turn_detection.threshold": 0.7, "input_audio_format": "g711_ulaw"})
    assert new.turn_detection == ServerVad(threshold=0.7)
    assert new.input_audio_format == "g711_ulaw" and new.voice == "alloy"
    assert new.model_fields_set == {"turn_detection", "input_audio_format", "voice"}
    assert base.turn_detection.threshold == 0.6  # unchanged
    # nested set fields stay set, so the payload keeps only what was chosen
    kept = base.replace(**{"turn_detection.silence_duration_ms": 900}).turn_detection
    assert kept.model_fields_set == {"threshold", "silence_duration_ms"}
    # on an unset turn_detection, start from the API default
    assert Session().replace(
        **{"turn_detection.prefix_padding_ms": 100}
    ).turn_detection == ServerVad(prefix_padding_ms=100)


def test_replace_switches_the_kind_of_turn_detection():
    base = Session(turn_detection=ServerVad(threshold=0.9))
    semantic = base.replace(**{"turn_detection.type": "semantic_vad"})
    assert semantic.turn_detection == SemanticVad()
    low = base.replace(**{"turn_detection.type": "semantic_vad", "turn_detection.eagerness": "low"})
    assert low.turn_detection == SemanticVad(eagerness="low")
    back = low.replace(**{"turn_detection.type": "server_vad"})
    assert back.turn_detection == ServerVad()
    same = base.replace(**{"turn_detection.type": "server_vad"})
    assert same.turn_detection.threshold == 0.9
    with pytest.raises(ConfigError, match="turn_detection=None"):
        base.replace(**{"turn_detection.type": "none"})


def test_replace_errors_are_clear():
    server = Session(turn_detection=ServerVad())
    with pytest.raises(ConfigError, match="'eagerness' belongs to semantic_vad") as info:
        server.replace(**{"turn_detection.eagerness": "low"})
    assert info.value.owner == "ServerVad"
    with pytest.raises(ConfigError, match="'threshold' belongs to server_vad"):
        Session(turn_detection=SemanticVad()).replace(**{"turn_detection.threshold": 0.7})
    with pytest.raises(ConfigError, match=r"Did you mean 'turn_detection\.silence_duration_ms'"):
        server.replace(silence_duration_ms=700)
    with pytest.raises(ConfigError, match=r"must be a float in \[0\.0, 1\.0\]\. Got 7"):
        server.replace(**{"turn_detection.threshold": 7})
    with pytest.raises(ConfigError, match="dotted path into turn_detection"):
        server.replace(**{"speed.value": 1})


def test_replace_turns_features_on_and_off():
    off = Session(turn_detection=None, tracing="auto")
    assert off.replace(**{"turn_detection.threshold": 0.3}).turn_detection == ServerVad(
        threshold=0.3
    )
    assert off.replace(**{"tracing.workflow_name": "w"}).tracing == Tracing(workflow_name="w")
    noisy = off.replace(**{"input_audio_noise_reduction.type": "near_field"})
    assert noisy.input_audio_noise_reduction == NoiseReduction(type="near_field")
    assert noisy.replace(input_audio_noise_reduction=None).input_audio_noise_reduction is None
    assert off.replace(turn_detection={"type": "semantic_vad"}).turn_detection == SemanticVad()


def test_unset():
    session = Session(
        id="sess_1", voice="alloy", turn_detection=ServerVad(threshold=0.2, idle_timeout_ms=9000)
    )
    assert session.unset("id").model_fields_set == {"voice", "turn_detection"}
    vad = session.unset("turn_detection.idle_timeout_ms").turn_detection
    assert vad == ServerVad(threshold=0.2) and "idle_timeout_ms" not in vad.model_fields_set
    with pytest.raises(ConfigError, match="Did you mean 'voice'"):
        session.unset("vioce")


# -------------------------------------------------------------------------------- files


def test_save_and_load(tmp_path):
    session = Session(
        instructions="Grüße, 日本語",
        turn_detection=SemanticVad(eagerness="low"),
        input_audio_transcription=None,
    )
    path = tmp_path / "nested" / "session.json"
    session.save(path)
    assert Session.load(path) == session
    assert json.loads(path.read_text(encoding="utf-8")) == session.to_dict()
    assert sorted(os.listdir(path.parent)) == ["session.json"]  # no temp file left behind
    Session(speed=1.4).save(path)  # overwrite
    assert Session.load(path) == Session(speed=1.4)


def test_load_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(ConfigError, match=r"nope\.json") as info:
        Session.load(missing)
    assert isinstance(info.value.__cause__, OSError)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.json is not valid JSON.*line 1"):
        Session.load(bad_json)
    bad_value = tmp_path / "value.json"
    bad_value.write_text(json.dumps({"turn_detection": {"type": "server_vad", "threshold": 1.5}}))
    with pytest.raises(ConfigError) as info:
        Session.load(bad_value)
    assert (
        str(bad_value) in str(info.value)
        and "threshold" in str(info.value)
        and "1.5" in str(info.value)
    )
    assert (info.value.field, info.value.value, info.value.owner) == ("threshold", 1.5, "ServerVad")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"voice": "alloy", "vocie": "ash"}))
    with pytest.raises(ConfigError, match=r"unknown\.json.*'vocie'.*Did you mean 'voice'"):
        Session.load(unknown)


def test_from_event_rejects_what_is_not_a_session():
    for payload, pattern in [
        ({"type": "response.create"}, "'type' parameter of Session.from_event"),
        ({"type": "session.update", "session": "x"}, "'session' parameter"),
        ({"type": "transcription"}, "Transcription sessions are not modelled"),
        ([1, 2], "'payload' parameter"),
        ("{oops", "not JSON"),
        ({"type": "realtime", "output_modalities": ["text", "audio"]}, "'output_modalities'"),
        (
            {
                "type": "realtime",
                "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}},
            },
            "audio.input.format",
        ),
        ({"type": "realtime", "audio": {"input": [1]}}, "'audio.input' parameter"),
        ({"type": "realtime", "tool_choice": {"type": "function"}}, "'tool_choice' parameter"),
    ]:
        with pytest.raises(ConfigError, match=pattern) as info:
            Session.from_event(payload)
        assert "tok" not in str(info.value)
    # what rtlab does not model is an error only when strict (else it is kept: see below)
    for payload, pattern in [
        (
            {
                "type": "realtime",
                "tools": [{"type": "mcp", "server_label": "x", "authorization": "tok"}],
            },
            "function tools only",
        ),
        (
            {"type": "realtime", "audio": {"output": {"voice": {"id": "voice_1234"}}}},
            "Custom voice",
        ),
    ]:
        with pytest.raises(ConfigError, match=pattern) as info:
            Session.from_event(payload, strict=True)
        assert "tok" not in str(info.value)


def test_from_event_tolerates_server_extras_but_strict_does_not():
    server = {"voice": "ash", "object": "realtime.session", "model": None, "speed": None}
    assert Session.from_event(server) == Session(voice="ash")
    with pytest.raises(ConfigError, match="'object' parameter of Session is unknown"):
        Session.from_event(server, strict=True)
    with pytest.raises(ConfigError, match="'model' parameter of Session must be"):
        Session.from_event({"model": None}, strict=True)
    ga = {"type": "realtime", "audio": {"input": {"format": None}}, "max_output_tokens": None}
    assert Session.from_event(ga) == Session()
    with pytest.raises(ConfigError, match=r"audio\.input\.format"):
        Session.from_event(ga, strict=True)


def test_a_turn_detection_type_that_is_not_a_string_is_a_config_error():
    # An unhashable type used to escape as a bare TypeError from the kind lookup.
    for kind in (["server_vad"], {"a": 1}):
        ga = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": kind}}}}
        for payload in ({"turn_detection": {"type": kind}}, ga):
            with pytest.raises(ConfigError) as info:
                Session.from_event(payload)
            assert (info.value.owner, info.value.field, info.value.value) == (
                "turn_detection",
                "type",
                kind,
            )
        with pytest.raises(ConfigError, match="turn_detection=None") as info:
            Session().replace(**{"turn_detection.type": kind})
        assert (info.value.field, info.value.value) == ("turn_detection.type", kind)


# ------------------------------------------------------------------------------ display


def test_repr_shows_set_fields_and_evaluates_back():
    session = Session(
        turn_detection=ServerVad(threshold=0.6, prefix_padding_ms=300),
        input_audio_noise_reduction=None,
        tools=[Tool(name="f", description="d")],
    )
    text = repr(session)
    assert text == (
        "Session(turn_detection=ServerVad(threshold=0.6), input_audio_noise_reduction=None, "
        "tools=(Tool(name='f', description='d'),))"
    )
    namespace = {"Session": Session, "ServerVad": ServerVad, "Tool": Tool}
    assert eval(text, namespace) == session
    assert repr(Session()) == "Session()" and str(Session(speed=1.1)) == "Session(speed=1.1)"


def test_nothing_that_looks_like_a_key_is_displayed():
    session = Session(
        instructions="use sk-proj-abcdefghijklmnop1234 for tests",
        tracing=Tracing(metadata={"token": "sk-abcdefghijklmnopqrst"}),
    )
    for text in (repr(session), session._repr_html_()):
        assert "abcdefghijklmnop" not in text and "sk-***" in text
    assert "client_secret" not in Session.model_fields


def test_html_table_of_set_fields():
    session = Session(
        turn_detection=ServerVad(threshold=0.6), instructions="<b>bold</b>", tools=[Tool(name="f")]
    )
    page = session._repr_html_()
    assert page.startswith("<table") and page.endswith("</table>")
    for name in (
        "turn_detection.type",
        "turn_detection.threshold",
        "turn_detection.silence_duration_ms",
        "instructions",
        "tools[0].name",
    ):
        assert f"<code>{name}</code>" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page
    assert "voice" not in page  # unset fields are not listed
    assert "no field set" in Session()._repr_html_()
    assert "None (off)" in Session(tracing=None)._repr_html_()


def test_reachable_from_the_package():
    assert rtlab.Session is Session and rtlab.ServerVad is ServerVad
    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.6))
    assert session.to_event(api="beta")["type"] == "session.update"


# ---------------------------------------------------------------------------- bad input

BAD = [
    # (build, owner, field, value, words of the allowed text)
    (lambda: ServerVad(threshold=1.5), "ServerVad", "threshold", 1.5, "a float in [0.0, 1.0]"),
    (lambda: ServerVad(threshold=-0.1), "ServerVad", "threshold", -0.1, "a float in [0.0, 1.0]"),
    (lambda: ServerVad(threshold="0.5"), "ServerVad", "threshold", "0.5", "a float in [0.0, 1.0]"),
    (
        lambda: ServerVad(threshold=float("nan")),
        "ServerVad",
        "threshold",
        "nan",
        "a float in [0.0, 1.0]",
    ),
    (lambda: ServerVad(threshold=True), "ServerVad", "threshold", True, "a float in [0.0, 1.0]"),
    (
        lambda: ServerVad(prefix_padding_ms=-1),
        "ServerVad",
        "prefix_padding_ms",
        -1,
        "milliseconds in [0, 600000]",
    ),
    (
        lambda: ServerVad(silence_duration_ms=250.5),
        "ServerVad",
        "silence_duration_ms",
        250.5,
        "integer",
    ),
    (
        lambda: ServerVad(silence_duration_ms="500"),
        "ServerVad",
        "silence_duration_ms",
        "500",
        "integer",
    ),
    (
        lambda: ServerVad(create_response="yes"),
        "ServerVad",
        "create_response",
        "yes",
        "True or False",
    ),
    (
        lambda: ServerVad(interrupt_response=0),
        "ServerVad",
        "interrupt_response",
        0,
        "True or False",
    ),
    (
        lambda: ServerVad(idle_timeout_ms=4999),
        "ServerVad",
        "idle_timeout_ms",
        4999,
        "[5000, 30000]",
    ),
    (
        lambda: ServerVad(idle_timeout_ms=30001),
        "ServerVad",
        "idle_timeout_ms",
        30001,
        "[5000, 30000]",
    ),
    (lambda: ServerVad(type="semantic_vad"), "ServerVad", "type", "semantic_vad", "'server_vad'"),
    (lambda: ServerVad(threshold=None), "ServerVad", "threshold", None, "a float in [0.0, 1.0]"),
    (
        lambda: SemanticVad(eagerness="eager"),
        "SemanticVad",
        "eagerness",
        "eager",
        "'low', 'medium', 'high', 'auto'",
    ),
    (
        lambda: NoiseReduction(type="close"),
        "NoiseReduction",
        "type",
        "close",
        "'near_field' or 'far_field'",
    ),
    (lambda: Transcription(language="EN"), "Transcription", "language", "EN", "ISO-639-1"),
    (lambda: Transcription(model=""), "Transcription", "model", "", "transcription model name"),
    (lambda: Tracing(metadata=[1]), "Tracing", "metadata", [1], "JSON object"),
    (lambda: Tracing(metadata={"x": {1, 2}}), "Tracing", "metadata", {"x": {1, 2}}, "JSON object"),
    (lambda: Tool(name="get weather"), "Tool", "name", "get weather", "function name"),
    (lambda: Tool(name="x" * 65), "Tool", "name", "x" * 65, "1 to 64"),
    (lambda: Tool(name="f", type="mcp"), "Tool", "type", "mcp", "'function'"),
    (lambda: Tool(name="f", parameters="{}"), "Tool", "parameters", "{}", "JSON Schema object"),
    (
        lambda: Session(max_response_output_tokens=0),
        "Session",
        "max_response_output_tokens",
        0,
        "[1, 4096] or 'inf'",
    ),
    (
        lambda: Session(max_response_output_tokens=4097),
        "Session",
        "max_response_output_tokens",
        4097,
        "[1, 4096] or 'inf'",
    ),
    (
        lambda: Session(max_response_output_tokens="Inf"),
        "Session",
        "max_response_output_tokens",
        "Inf",
        "[1, 4096] or 'inf'",
    ),
    (lambda: Session(speed=0.2), "Session", "speed", 0.2, "a float in [0.25, 1.5]"),
    (lambda: Session(speed=1.6), "Session", "speed", 1.6, "a float in [0.25, 1.5]"),
    (lambda: Session(temperature=0.5), "Session", "temperature", 0.5, "a float in [0.6, 1.2]"),
    (lambda: Session(temperature=1.3), "Session", "temperature", 1.3, "a float in [0.6, 1.2]"),
    (
        lambda: Session(input_audio_format="g711"),
        "Session",
        "input_audio_format",
        "g711",
        "'pcm16', 'g711_ulaw', 'g711_alaw'",
    ),
    (
        lambda: Session(output_audio_format="PCM16"),
        "Session",
        "output_audio_format",
        "PCM16",
        "'pcm16', 'g711_ulaw', 'g711_alaw'",
    ),
    (
        lambda: Session(modalities=["audio"]),
        "Session",
        "modalities",
        ["audio"],
        "['text'] or ['text', 'audio']",
    ),
    (
        lambda: Session(modalities="text"),
        "Session",
        "modalities",
        "text",
        "['text'] or ['text', 'audio']",
    ),
    (
        lambda: Session(modalities=["text", "text"]),
        "Session",
        "modalities",
        ["text", "text"],
        "['text']",
    ),
    (lambda: Session(voice=""), "Session", "voice", "", "a voice name"),
    (lambda: Session(voice=None), "Session", "voice", None, "a voice name"),
    (lambda: Session(instructions=42), "Session", "instructions", 42, "a string"),
    (
        lambda: Session(tool_choice="call me"),
        "Session",
        "tool_choice",
        "call me",
        "'auto', 'none', 'required'",
    ),
    (
        lambda: Session(tools=[Tool(name="a")], tool_choice="b"),
        "Session",
        "tool_choice",
        "b",
        "'a'",
    ),
    (
        lambda: Session(tools=[Tool(name="a"), Tool(name="a")]),
        "Session",
        "tools",
        "a",
        "distinct names",
    ),
    (lambda: Session(tools=Tool(name="a")), "Session", "tools", Tool(name="a"), "a list of Tool"),
    (lambda: Session(tracing="on"), "Session", "tracing", "on", "'auto', a Tracing"),
    (
        lambda: Session(turn_detection="server_vad"),
        "Session",
        "turn_detection",
        "server_vad",
        "ServerVad(...)",
    ),
    (
        lambda: Session(turn_detection={"threshold": 0.5}),
        "turn_detection",
        "type",
        None,
        "'server_vad' or 'semantic_vad'",
    ),
    (
        lambda: Session(turn_detection={"type": "server_vad", "threshold": 2}),
        "ServerVad",
        "threshold",
        2,
        "[0.0, 1.0]",
    ),
    (
        lambda: Session(input_audio_transcription={"language": "english"}),
        "Transcription",
        "language",
        "english",
        "ISO-639-1",
    ),
    (
        lambda: Session(input_audio_noise_reduction="far_field"),
        "Session",
        "input_audio_noise_reduction",
        "far_field",
        "NoiseReduction",
    ),
    (lambda: Session(speed=None), "Session", "speed", None, "a float in [0.25, 1.5]"),
    (lambda: Session.model_validate({"speed": 9}), "Session", "speed", 9, "a float in [0.25, 1.5]"),
]


@pytest.mark.parametrize(("build", "owner", "field", "value", "allowed"), BAD)
def test_bad_values_raise_config_error_with_field_value_allowed(
    build, owner, field, value, allowed
):
    with pytest.raises(ConfigError) as info:
        build()
    err = info.value
    assert isinstance(err, ValueError) and not isinstance(err, pydantic.ValidationError)
    assert (err.owner, err.field) == (owner, field)
    if value == "nan":
        assert err.value != err.value
    else:
        assert err.value == value
    assert allowed in err.allowed
    message = str(err)
    assert f"'{field}' parameter of {owner}" in message
    assert allowed in message
    if value is not None and value != "nan":
        assert repr(value)[:60] in message


def test_the_documented_message_shape():
    with pytest.raises(ConfigError) as info:
        ServerVad(threshold=1.5)
    assert (
        str(info.value)
        == "The 'threshold' parameter of ServerVad must be a float in [0.0, 1.0]. Got 1.5."
    )
    assert isinstance(info.value.__cause__, pydantic.ValidationError)
    with pytest.raises(ConfigError) as info:
        Session(max_response_output_tokens=0)
    assert "an integer in [1, 4096] or 'inf'. Got 0." in str(info.value)


@pytest.mark.parametrize(
    ("build", "owner", "field", "suggestion"),
    [
        (lambda: ServerVad(treshold=0.7), "ServerVad", "treshold", "Did you mean 'threshold'?"),
        (
            lambda: ServerVad(silence_ms=700),
            "ServerVad",
            "silence_ms",
            "Did you mean 'silence_duration_ms'?",
        ),
        (
            lambda: SemanticVad(eagernes="low"),
            "SemanticVad",
            "eagernes",
            "Did you mean 'eagerness'?",
        ),
        (
            lambda: Session(turn_detetion=None),
            "Session",
            "turn_detetion",
            "Did you mean 'turn_detection'?",
        ),
        (
            lambda: Session(output_modalities=["text"]),
            "Session",
            "output_modalities",
            "Did you mean 'modalities'?",
        ),
        (
            lambda: Session(max_output_tokens=5),
            "Session",
            "max_output_tokens",
            "Did you mean 'max_response_output_tokens'?",
        ),
        (
            lambda: Session(threshold=0.5),
            "Session",
            "threshold",
            "Did you mean 'turn_detection.threshold'?",
        ),
        (
            lambda: Session(client_secret={"value": "x"}),
            "Session",
            "client_secret",
            "Allowed parameters",
        ),
        (lambda: Tool(name="f", function={}), "Tool", "function", "Allowed parameters"),
    ],
)
def test_unknown_parameters_suggest_the_right_one(build, owner, field, suggestion):
    with pytest.raises(ConfigError) as info:
        build()
    err = info.value
    assert (err.owner, err.field) == (owner, field)
    message = str(err)
    assert message.startswith(f"The '{field}' parameter of {owner} is unknown")
    assert suggestion in message and "Allowed parameters:" in message
    assert all(
        f"'{name}'" in err.allowed
        for name in {
            "ServerVad": ServerVad,
            "SemanticVad": SemanticVad,
            "Session": Session,
            "Tool": Tool,
        }[owner].model_fields
    )


@pytest.mark.parametrize(
    "field", ["threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms"]
)
def test_semantic_vad_with_a_server_vad_parameter(field):
    for build in (
        lambda: SemanticVad(**{field: 5000}),
        lambda: Session(turn_detection={"type": "semantic_vad", field: 5000}),
    ):
        with pytest.raises(ConfigError) as info:
            build()
        message = str(info.value)
        assert f"'{field}' belongs to server_vad (ServerVad)" in message
        assert "eagerness" in message and info.value.owner == "SemanticVad"


def test_missing_required_parameters():
    with pytest.raises(ConfigError, match="'type' parameter of NoiseReduction is required"):
        NoiseReduction()
    with pytest.raises(ConfigError, match="'name' parameter of Tool is required"):
        Session(tools=[{"description": "no name"}])


# ---------------------------------------------------------------- review fixes

_KEY = "sk-proj-ABCDEFGHIJKLMNOP1234"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Session(instructions=[_KEY]),
        lambda: Session(tracing=_KEY),
        lambda: Session(turn_detection={"type": _KEY}),
        lambda: Session(max_response_output_tokens=_KEY),
        lambda: Session().replace(**{"turn_detection.threshold": _KEY}),
        lambda: Session().unset(_KEY),
        lambda: Tracing(group_id=[_KEY]),
    ],
)
def test_error_messages_never_show_an_api_key(make):
    with pytest.raises(ConfigError) as info:
        make()
    assert "ABCDEFGH" not in str(info.value)
    assert "sk-***" in str(info.value)


def test_unset_a_non_string_path_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'paths' parameter of Session.unset .* Got 5"):
        Session().unset(5)


def test_the_wire_keeps_apart_what_rtlab_does_not_model():
    from rtlab import _wire

    server = {
        "type": "session.created",
        "session": {
            "type": "realtime",
            "object": "realtime.session",
            "truncation": "auto",
            "audio": {"input": {"format": {"type": "audio/pcmu"}, "vad_mode": "x"}},
        },
    }
    read = _wire.read(server)
    assert read.fields == {"input_audio_format": "g711_ulaw"}
    # by path in the payload's shape; 'object' describes the server's object: never kept
    assert read.unmodelled == {("truncation",): "auto", ("audio", "input", "vad_mode"): "x"}
    assert read.api == "ga"
    with pytest.warns(UnmodelledFieldWarning):
        session = Session.from_event(server)
    assert session.unset("input_audio_format") != Session()  # the kept keys count
    assert session.to_event(api="ga")["session"] == {
        "type": "realtime",
        "truncation": "auto",
        "audio": {"input": {"format": {"type": "audio/pcmu"}, "vad_mode": "x"}},
    }


def test_field_metadata_is_written_once_and_read_everywhere():
    from rtlab.session import allowed, limits, meta

    assert meta(Session, "temperature") == {"api": "beta"}
    assert meta(ServerVad, "idle_timeout_ms")["api"] == "ga"
    assert limits(Session, "speed") == (0.25, 1.5)
    assert limits(Session, "max_response_output_tokens") == (1, 4096)
    assert allowed(Session, "tracing") == (
        "'auto', a Tracing (or a dict of its parameters), or None (off)"
    )
    # the docstring's Parameters are written from the fields
    assert "threshold : a float in [0.0, 1.0], default 0.5" in ServerVad.__doc__
    assert "Only the beta API has it." in Session.__doc__


# ------------------------------------------------- nothing read is dropped silently (#13)

GA_WITH_NEWER_FIELDS = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "include": ["item.input_audio_transcription.logprobs"],
        "truncation": {"type": "retention_ratio", "retention_ratio": 0.5},
        "prompt": {"id": "pmpt_1", "variables": {"city": "Paris"}},
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "transcription": {
                    "model": "gpt-4o-transcribe",
                    "languages": ["en", "de"],
                    "keywords": ["rtlab"],
                    "delay": "low",
                },
                "noise_reduction": {"type": "far_field", "strength": 0.7},
                "turn_detection": {"type": "server_vad", "silence_duration": 900},
            },
            "output": {"voice": {"id": "voice_1234"}},
        },
        "tools": [{"type": "mcp", "server_label": "crm", "server_url": "https://crm.example"}],
        "tool_choice": {"type": "mcp", "server_label": "crm", "name": "lookup"},
    },
}
GA_KEPT = {
    "include",
    "truncation",
    "prompt",
    "audio.input.transcription.languages",
    "audio.input.transcription.keywords",
    "audio.input.transcription.delay",
    "audio.input.noise_reduction.strength",
    "audio.input.turn_detection.silence_duration",
    "audio.output.voice",
    "tools",
    "tool_choice",
}


def _ga_read(**kwargs):
    with pytest.warns(UnmodelledFieldWarning) as caught:
        session = Session.from_event(json.loads(json.dumps(GA_WITH_NEWER_FIELDS)), **kwargs)
    assert len(caught) == 1
    return session, caught[0].message


def test_from_event_keeps_what_it_does_not_model_and_says_so():
    session, warning = _ga_read()
    assert isinstance(warning, UserWarning)
    assert set(warning.fields) == GA_KEPT and warning.api == "ga"
    text = str(warning)
    for name in GA_KEPT:
        assert repr(name) in text, name
    # the typo is told apart from the newer API parameters, with the fix
    assert "did you mean 'silence_duration_ms'?" in text
    assert session.unmodelled_api == "ga" and set(session.unmodelled) == GA_KEPT
    # what it models is read as usual
    assert session.input_audio_format == "g711_ulaw"
    assert session.input_audio_transcription == Transcription(model="gpt-4o-transcribe")
    assert session.turn_detection == ServerVad()
    assert "tools" not in session.model_fields_set and "voice" not in session.model_fields_set


def test_to_event_sends_the_kept_fields_back_unchanged_in_their_shape():
    session, _ = _ga_read()
    sent = session.to_event(api="ga")["session"]
    given = GA_WITH_NEWER_FIELDS["session"]
    for key in ("include", "truncation", "prompt", "tools", "tool_choice"):
        assert sent[key] == given[key], key
    audio_in = sent["audio"]["input"]
    assert audio_in["transcription"] == given["audio"]["input"]["transcription"]
    assert audio_in["noise_reduction"] == given["audio"]["input"]["noise_reduction"]
    assert audio_in["turn_detection"]["silence_duration"] == 900  # the typo goes back as typed
    assert sent["audio"]["output"]["voice"] == {"id": "voice_1234"}
    # and reads back to an equal session (warn=False: no warning, the same fields kept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = Session.from_event(sent, warn=False)
    assert again == session and hash(again) == hash(session)


def test_beta_fields_it_does_not_model_are_kept_too():
    beta = {
        "turn_detection": {"type": "server_vad", "silence_duration": 900, "threshold": 0.6},
        "input_audio_transcription": {"model": "whisper-1", "languages": ["en"]},
        "tools": [{"type": "function", "name": "f", "strict": True}],
        "speculative": {"depth": 2},
        "object": "realtime.session",  # the server's object type: not configuration
    }
    with pytest.warns(UnmodelledFieldWarning, match="did you mean 'silence_duration_ms'") as info:
        session = Session.from_event(beta)
    assert set(info[0].message.fields) == {
        "turn_detection.silence_duration",
        "input_audio_transcription.languages",
        "tools[0].strict",
        "speculative",
    }
    assert session.turn_detection == ServerVad(threshold=0.6)
    sent = session.to_event(api="beta")["session"]
    assert sent["turn_detection"]["silence_duration"] == 900
    assert sent["input_audio_transcription"] == {"model": "whisper-1", "languages": ["en"]}
    assert sent["tools"] == [{"type": "function", "name": "f", "strict": True}]
    assert sent["speculative"] == {"depth": 2} and "object" not in sent
    # the other shape has no counterpart rtlab knows: left out, one warning each, or an error
    with pytest.warns(FieldDroppedWarning) as caught:
        ga = session.to_event(api="ga")
    assert {w.message.field for w in caught} == set(session.unmodelled)
    assert "was read from a beta session" in str(caught[0].message)
    assert "speculative" not in json.dumps(ga) and 'silence_duration"' not in json.dumps(ga)
    with pytest.raises(ConfigError, match="was read from a beta session"):
        session.to_event(api="ga", strict=True)


def test_strict_names_every_field_it_does_not_model():
    with pytest.raises(ConfigError) as info:
        Session.from_event(GA_WITH_NEWER_FIELDS, strict=True)
    text = str(info.value)
    for name in GA_KEPT:
        assert repr(name) in text, name
    assert "'include' parameter of the GA session is unknown" in text  # the first, as before
    with pytest.raises(ConfigError, match="'speculative'"):
        Session.from_event({"voice": "ash", "speculative": 1, "kept": 2}, strict=True)


def test_kept_fields_are_frozen_hashable_and_part_of_equality(tmp_path):
    session, _ = _ga_read()
    plain = Session.from_event(
        {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}}}}
    )
    assert session != plain and session.unset("input_audio_format") != Session()
    assert len({session, plain, _ga_read()[0]}) == 2
    copy = session.unmodelled
    copy["include"].append("x")
    assert session.unmodelled["include"] == ["item.input_audio_transcription.logprobs"]
    with pytest.raises(AttributeError):
        session.unmodelled = {}  # type: ignore[misc]
    with pytest.warns(FieldDroppedWarning, match="not written by save") as caught:
        session.save(tmp_path / "s.json")
    assert {w.message.field for w in caught} == GA_KEPT
    assert "crm" not in " ".join(str(w.message) for w in caught)  # objects: named, not shown
    again = pickle.loads(pickle.dumps(session))
    assert again == session and again.unmodelled == session.unmodelled
    assert "include" in repr(session) and "does not model" in repr(session)
    page = session._repr_html_()
    assert "audio.input.transcription.delay (ga, not modelled)" in page and "crm" not in page


def test_replacing_a_field_drops_what_was_kept_under_it():
    session, _ = _ga_read()
    kept = session.replace(voice="marin", **{"input_audio_transcription.language": "en"})
    assert "audio.input.transcription.languages" in kept.unmodelled
    assert "audio.output.voice" not in kept.unmodelled  # voice was replaced
    assert kept.to_event(api="ga")["session"]["audio"]["output"]["voice"] == "marin"
    new = session.replace(input_audio_transcription=Transcription(model="whisper-1"))
    assert not any(k.startswith("audio.input.transcription.") for k in new.unmodelled)
    assert "include" in new.unmodelled
    off = session.replace(input_audio_noise_reduction=None).unset("tools", "tool_choice")
    assert "audio.input.noise_reduction.strength" not in off.unmodelled
    assert "tools" not in off.unmodelled and "tool_choice" not in off.unmodelled


def test_a_kept_key_goes_with_its_object_even_when_nothing_else_is_set():
    with pytest.warns(UnmodelledFieldWarning):
        session = Session.from_event(
            {"type": "realtime", "audio": {"input": {"transcription": {"languages": ["en"]}}}}
        )
    # transcription is set, to an empty configuration: the kept key goes with it
    assert session.to_event(api="ga")["session"]["audio"]["input"]["transcription"] == {
        "languages": ["en"]
    }


def test_null_on_a_field_it_does_not_model_is_absent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = Session.from_event({"type": "realtime", "include": None, "prompt": None})
    assert session == Session() and session.unmodelled == {}


# ----------------------------------------------- JSON a user can write: no raw tracebacks


HUGE = int("9" * 400)
DEEP_OBJECT = functools.reduce(lambda inner, _: {"a": inner}, range(1200), {})
DEEP_LIST = functools.reduce(lambda inner, _: [inner], range(1200), [])
DEEP_TEXT = '{"tracing": {"metadata": ' + '{"a": ' * 1200 + "1" + "}" * 1200 + "}}"


@pytest.mark.parametrize(
    ("payload", "field", "allowed"),
    [
        # a 400-digit integer (accepted before: silence_duration_ms had no upper bound)
        ({"turn_detection": {"type": "server_vad", "silence_duration_ms": HUGE}},
         "silence_duration_ms", "in [0, 600000]"),
        ('{"turn_detection": {"type": "server_vad", "prefix_padding_ms": ' + "9" * 400 + "}}",
         "prefix_padding_ms", "in [0, 600000]"),
        # 1e30 ms (accepted before, then an OverflowError in detect)
        ({"turn_detection": {"type": "server_vad", "silence_duration_ms": 1e30}},
         "silence_duration_ms", "in [0, 600000]"),
        ({"type": "realtime", "audio": {"input": {"turn_detection": {
            "type": "server_vad", "prefix_padding_ms": 1e30}}}},
         "prefix_padding_ms", "in [0, 600000]"),
        ({"modalities": [["text"]]}, "modalities", "['text'] or ['text', 'audio']"),
        ({"type": "realtime", "output_modalities": [["text"]]}, "output_modalities", "['audio']"),
        # nesting deeper than Python's recursion limit (a RecursionError before)
        ({"tracing": {"metadata": DEEP_OBJECT}}, "tracing.metadata", "nested at most"),
        ({"tools": [{"type": "function", "name": "f", "parameters": {"p": DEEP_LIST}}]},
         "tools[0]", "nested at most"),
        ({"type": "realtime", "prompt": {"id": "p", "variables": DEEP_OBJECT}}, "prompt.variables",
         "nested at most"),
        (DEEP_TEXT, "payload", "nested at most"),
        ('{"speed": ' + "9" * 5000 + "}", "payload", "at most 4300 digits"),
        # NaN and infinities
        ({"turn_detection": {"type": "server_vad", "threshold": math.nan}}, "threshold",
         "[0.0, 1.0]"),
        ('{"speed": Infinity}', "speed", "[0.25, 1.5]"),
        ({"turn_detection": {"type": "server_vad", "silence_duration_ms": math.inf}},
         "silence_duration_ms", "in [0, 600000]"),
        ({"tracing": {"metadata": {"x": math.nan}}}, "metadata", "a JSON object"),
        ({"type": "realtime", "audio": {"input": {"noise_reduction": {
            "type": "near_field", "strength": math.nan}}}},
         "audio.input.noise_reduction.strength", "finite JSON numbers"),
    ],
)  # fmt: skip
def test_json_a_user_can_write_gives_a_config_error(payload, field, allowed):
    with pytest.raises(ConfigError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmodelledFieldWarning)
        Session.from_event(payload)
    assert info.value.field.startswith(field), (info.value.field, str(info.value))
    assert allowed in str(info.value) and allowed in info.value.allowed
    assert len(str(info.value)) < 600


def test_python_values_out_of_bounds_give_a_config_error():
    for kwargs in (
        {"silence_duration_ms": HUGE},
        {"silence_duration_ms": 1e30},
        {"prefix_padding_ms": -HUGE},
        {"silence_duration_ms": math.inf},
    ):
        with pytest.raises(ConfigError, match=r"in \[0, 600000\]"):
            ServerVad(**kwargs)
    with pytest.raises(ConfigError, match="nested at most 100 levels") as info:
        Tracing(metadata=DEEP_OBJECT)
    assert info.value.field.startswith("metadata")
    with pytest.raises(ConfigError, match="nested at most 100 levels"):
        Tool(name="f", parameters={"p": DEEP_LIST})
    # the bound is written once, in the field, with its reason
    from rtlab.session import limits, meta

    assert limits(ServerVad, "silence_duration_ms") == (0, 600_000)
    assert "documents no maximum" in meta(ServerVad, "prefix_padding_ms")["bound"]
    ServerVad(silence_duration_ms=600_000, prefix_padding_ms=600_000)  # the bound itself is fine


def test_a_deep_session_file_is_a_config_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(DEEP_TEXT, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"deep\.json is not valid JSON: it must be JSON nested"):
        Session.load(path)
