"""rtlab.Session against the ``openai`` package's own types (the oracle), both API shapes.

The oracle is pydantic validation of the ``openai`` TypedDict params with ``strict=True`` and
``extra="forbid"``: wrong types, wrong enum values and unknown keys all fail. The TypedDicts
do not mark as Optional some fields that the API documents as nullable ("can be set to
`null` to turn off"); for those paths the oracle checks the ``null`` against the ``openai``
BaseModel event (whose fields are Optional) and removes it before the strict check. A test
below checks that each of those fields is documented as nullable in the package itself.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import types
import typing
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.beta.realtime import session as beta_session_model
from openai.types.beta.realtime import session as beta_session_types
from openai.types.beta.realtime import session_create_params as beta_create
from openai.types.beta.realtime import session_create_response as beta_create_response
from openai.types.beta.realtime import session_update_event_param as beta_param
from openai.types.beta.realtime.session_created_event import SessionCreatedEvent as BetaCreated
from openai.types.beta.realtime.session_update_event import SessionUpdateEvent as BetaEvent
from openai.types.realtime import (
    AudioTranscription,
    RealtimeAudioConfig,
    RealtimeAudioConfigInput,
    RealtimeAudioConfigOutput,
    RealtimeFunctionTool,
    RealtimeSessionCreateRequest,
    RealtimeSessionCreateResponse,
    SessionCreatedEvent,
)
from openai.types.realtime import realtime_audio_config_input_param as ga_input_param
from openai.types.realtime import realtime_audio_formats_param as ga_formats
from openai.types.realtime import realtime_audio_input_turn_detection as ga_td
from openai.types.realtime import realtime_session_create_request_param as ga_request_param
from openai.types.realtime import (
    realtime_transcription_session_create_request_param as ga_transcription_param,
)
from openai.types.realtime import session_update_event_param as ga_param
from openai.types.realtime.realtime_tracing_config import TracingConfiguration
from openai.types.realtime.session_update_event import SessionUpdateEvent as GaEvent
from pydantic import BaseModel as PydanticModel
from pydantic import TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from rtlab import _wire
from rtlab.errors import ConfigError, UnmodelledFieldWarning
from rtlab.session import (
    BETA_MODELS,
    VOICES,
    FieldDroppedWarning,
    NoiseReduction,
    SemanticVad,
    ServerVad,
    Session,
    Tool,
    Tracing,
    Transcription,
    known_paths,
)

# ------------------------------------------------------------------------------ the oracle

BETA_ADAPTER = TypeAdapter(beta_param.SessionUpdateEventParam)
GA_ADAPTER = TypeAdapter(ga_param.SessionUpdateEventParam)

# Documented as nullable but not Optional in the TypedDict params (checked below).
BETA_NULLABLE = [
    ("session", "turn_detection"),
    ("session", "input_audio_noise_reduction"),
    ("session", "input_audio_transcription"),
    ("session", "tracing"),
]
GA_NULLABLE = [
    ("session", "audio", "input", "noise_reduction"),
    ("session", "audio", "input", "transcription"),
]


def _without_documented_nulls(event: dict, paths: list[tuple[str, ...]]) -> dict:
    event = json.loads(json.dumps(event))
    for path in paths:
        parent = event
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent and parent[path[-1]] is None:
            del parent[path[-1]]
    return event


def check_beta(event: dict) -> None:
    """Raise if ``event`` is not a valid beta session.update."""
    BetaEvent.model_validate(event)  # nulls where the API allows them
    BETA_ADAPTER.validate_python(
        _without_documented_nulls(event, BETA_NULLABLE), strict=True, extra="forbid"
    )


def check_ga(event: dict) -> None:
    """Raise if ``event`` is not a valid GA session.update of a realtime session."""
    parsed = GaEvent.model_validate(event)
    assert isinstance(parsed.session, RealtimeSessionCreateRequest)
    GA_ADAPTER.validate_python(
        _without_documented_nulls(event, GA_NULLABLE), strict=True, extra="forbid"
    )


def _field_doc(cls: type, name: str) -> str:
    """The docstring under ``name:`` in the source of an openai type."""
    source = inspect.getsource(cls)
    match = re.search(rf"^    {name}: .*?\n(.*?)(?=^    \w+: |\Z)", source, re.S | re.M)
    assert match, (cls, name)
    return " ".join(match.group(1).split())


# ------------------------------------------------------------------ the oracle can say no


@pytest.mark.parametrize(
    ("api", "event"),
    [
        ("beta", {"type": "session.update", "session": {"input_audio_format": "pcm24"}}),
        ("beta", {"type": "session.update", "session": {"turn_detection": {"treshold": 0.5}}}),
        ("beta", {"type": "session.update", "session": {"turn_detection": {"threshold": "0.5"}}}),
        ("beta", {"type": "session.update", "session": {"speed": None}}),
        ("beta", {"type": "session.update", "session": {"model": "gpt-realtime-2"}}),
        ("beta", {"type": "session.update", "session": {"output_modalities": ["audio"]}}),
        ("beta", {"type": "session.updated", "session": {}}),
        ("ga", {"type": "session.update", "session": {"type": "realtime", "temperature": 0.8}}),
        (
            "ga",
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"input": {"format": "pcm16"}}},
            },
        ),
        (
            "ga",
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {"turn_detection": {"type": "semantic_vad", "threshold": 0.5}}
                    },
                },
            },
        ),
        (
            "ga",
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"output": {"speed": None}}},
            },
        ),
    ],
)
def test_the_oracle_rejects_wrong_payloads(api, event):
    check = check_beta if api == "beta" else check_ga
    with pytest.raises((ValidationError, AssertionError)):
        check(event)


def test_the_oracle_accepts_documented_nulls():
    check_beta(
        {
            "type": "session.update",
            "session": {key: None for _, key in BETA_NULLABLE},
        }
    )
    check_ga(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "tracing": None,
                "audio": {
                    "input": {
                        "turn_detection": None,
                        "noise_reduction": None,
                        "transcription": None,
                    }
                },
            },
        }
    )


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (beta_param.Session, "turn_detection"),
        (beta_param.Session, "input_audio_noise_reduction"),
        (beta_param.Session, "input_audio_transcription"),
        (beta_param.Session, "tracing"),
        (ga_input_param.RealtimeAudioConfigInputParam, "noise_reduction"),
        (ga_input_param.RealtimeAudioConfigInputParam, "transcription"),
        (ga_input_param.RealtimeAudioConfigInputParam, "turn_detection"),
        (ga_request_param.RealtimeSessionCreateRequestParam, "tracing"),
    ],
)
def test_the_nullable_fields_are_documented_as_nullable(cls, name):
    assert "null" in _field_doc(cls, name)


# ------------------------------------------- our constants are the package's documented ones


def test_beta_model_names_match_the_package():
    hints = typing.get_type_hints(beta_param.Session)
    assert set(typing.get_args(hints["model"])) == set(BETA_MODELS)


def test_built_in_voices_are_known():
    beta_voices = typing.get_args(
        typing.get_args(typing.get_type_hints(beta_param.Session)["voice"])[1]
    )
    assert set(beta_voices) <= set(VOICES)
    assert {"marin", "cedar"} <= set(VOICES)


def test_audio_formats_match_the_package():
    hints = typing.get_type_hints(beta_param.Session)
    assert set(typing.get_args(hints["input_audio_format"])) == {"pcm16", "g711_ulaw", "g711_alaw"}
    assert set(typing.get_args(Session.model_fields["input_audio_format"].annotation)) == set(
        typing.get_args(hints["input_audio_format"])
    )
    # GA format types: exactly the three we write
    pcm = typing.get_type_hints(ga_formats.AudioPCM)
    assert typing.get_args(pcm["rate"]) == (24000,)
    kinds = {
        typing.get_args(typing.get_type_hints(cls)["type"])[0]
        for cls in (ga_formats.AudioPCM, ga_formats.AudioPCMU, ga_formats.AudioPCMA)
    }
    written = {
        Session(input_audio_format=f).to_event(api="ga")["session"]["audio"]["input"]["format"][
            "type"
        ]
        for f in ("pcm16", "g711_ulaw", "g711_alaw")
    }
    assert written == kinds


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return float(match.group(1).rstrip("."))


def test_defaults_are_the_documented_ones():
    td = beta_session_types.TurnDetection
    assert ServerVad().threshold == _number(r"defaults to ([\d.]+)", _field_doc(td, "threshold"))
    assert ServerVad().prefix_padding_ms == _number(
        r"Defaults to (\d+)ms", _field_doc(td, "prefix_padding_ms")
    )
    assert ServerVad().silence_duration_ms == _number(
        r"Defaults to (\d+)ms", _field_doc(td, "silence_duration_ms")
    )
    assert "`auto` is the default" in _field_doc(td, "eagerness")
    assert SemanticVad().eagerness == "auto"
    session_doc = beta_session_types.Session
    assert Session().speed == _number(
        r"([\d.]+) is the default speed", _field_doc(session_doc, "speed")
    )
    assert "Defaults to `inf`" in _field_doc(session_doc, "max_response_output_tokens")
    assert Session().max_response_output_tokens == "inf"
    assert Session().temperature == _number(
        r"temperature of ([\d.]+) is highly recommended", _field_doc(session_doc, "temperature")
    )
    assert "defaults to off" in _field_doc(session_doc, "input_audio_transcription")
    assert Session().input_audio_transcription is None


def _bounds_cases():
    session_doc = beta_session_types.Session
    speed = _field_doc(session_doc, "speed")
    temperature = _field_doc(session_doc, "temperature")
    tokens = _field_doc(session_doc, "max_response_output_tokens")
    threshold = _field_doc(beta_session_types.TurnDetection, "threshold")
    return [
        (
            Session,
            "speed",
            _number(r"([\d.]+) is the minimum", speed),
            _number(r"([\d.]+) is the maximum", speed),
        ),
        (
            Session,
            "temperature",
            _number(r"\[([\d.]+),", temperature),
            _number(r", ([\d.]+)\]", temperature),
        ),
        (
            Session,
            "max_response_output_tokens",
            _number(r"between (\d+)", tokens),
            _number(r"and (\d+) to limit", tokens),
        ),
        (
            ServerVad,
            "threshold",
            _number(r"\(([\d.]+) to", threshold),
            _number(r"to ([\d.]+)\)", threshold),
        ),
        # Not in the installed types: the API reference gives minimum 5000, maximum 30000.
        (ServerVad, "idle_timeout_ms", 5000, 30000),
    ]


@pytest.mark.parametrize(("cls", "field", "low", "high"), _bounds_cases())
def test_documented_ranges_are_enforced_exactly(cls, field, low, high):
    integer = field in ("max_response_output_tokens", "idle_timeout_ms")
    step = 1 if integer else 1e-9
    cast = int if integer else float
    for ok in (low, high, (low + high) / 2 if not integer else int((low + high) // 2)):
        assert getattr(cls(**{field: cast(ok)}), field) == cast(ok)
    for bad in (low - step, high + step):
        with pytest.raises(ConfigError) as info:
            cls(**{field: cast(bad)})
        assert info.value.field == field
        assert str(cast(low)).rstrip("0").rstrip(".") in str(info.value)


# ------------------------------------------------------ payloads built with the openai types


def test_beta_typed_payload_parses_to_the_equal_session():
    payload: beta_param.SessionUpdateEventParam = {
        "type": "session.update",
        "session": {
            "model": "gpt-4o-realtime-preview-2025-06-03",
            "modalities": ["text"],
            "instructions": "Be brief.",
            "voice": "verse",
            "input_audio_format": "g711_alaw",
            "output_audio_format": "g711_ulaw",
            "input_audio_transcription": {
                "model": "whisper-1",
                "language": "en",
                "prompt": "rtlab",
            },
            "turn_detection": {"type": "semantic_vad", "eagerness": "low"},
            "input_audio_noise_reduction": {"type": "near_field"},
            "speed": 1.1,
            "tracing": {"workflow_name": "w", "group_id": "g", "metadata": {"k": [1, 2]}},
            "tools": [
                {
                    "type": "function",
                    "name": "lookup",
                    "description": "Look it up.",
                    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
                }
            ],
            "tool_choice": "required",
            "temperature": 0.7,
            "max_response_output_tokens": 256,
        },
    }
    check_beta(dict(payload))
    expected = Session(
        model="gpt-4o-realtime-preview-2025-06-03",
        modalities=["text"],
        instructions="Be brief.",
        voice="verse",
        input_audio_format="g711_alaw",
        output_audio_format="g711_ulaw",
        input_audio_transcription=Transcription(model="whisper-1", language="en", prompt="rtlab"),
        turn_detection=SemanticVad(eagerness="low"),
        input_audio_noise_reduction=NoiseReduction(type="near_field"),
        speed=1.1,
        tracing=Tracing(workflow_name="w", group_id="g", metadata={"k": [1, 2]}),
        tools=[
            Tool(
                name="lookup",
                description="Look it up.",
                parameters={"type": "object", "properties": {"q": {"type": "string"}}},
            )
        ],
        tool_choice="required",
        temperature=0.7,
        max_response_output_tokens=256,
    )
    parsed = Session.from_event(dict(payload), strict=True)
    assert parsed == expected
    assert parsed.model_fields_set == set(payload["session"])
    # and back: the same event, except that turn_detection is sent whole
    again = parsed.to_event(api="beta")
    assert again["session"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "low",
        "create_response": True,
        "interrupt_response": True,
    }
    again["session"]["turn_detection"] = payload["session"]["turn_detection"]
    assert again == payload


def test_ga_model_built_with_openai_types_parses_to_the_equal_session():
    request = RealtimeSessionCreateRequest(
        type="realtime",
        model="gpt-realtime-2",
        instructions="Be brief.",
        output_modalities=["audio"],
        audio=RealtimeAudioConfig(
            input=RealtimeAudioConfigInput(
                format={"type": "audio/pcmu"},
                transcription=AudioTranscription(model="gpt-4o-transcribe", language="de"),
                turn_detection=ga_td.ServerVad(
                    type="server_vad", threshold=0.65, silence_duration_ms=800, idle_timeout_ms=6000
                ),
                noise_reduction=None,
            ),
            output=RealtimeAudioConfigOutput(
                format={"type": "audio/pcm", "rate": 24000}, voice="marin", speed=0.9
            ),
        ),
        tools=[
            RealtimeFunctionTool(type="function", name="hang_up", parameters={"type": "object"})
        ],
        tool_choice={"type": "function", "name": "hang_up"},
        tracing=TracingConfiguration(workflow_name="calls"),
        max_output_tokens="inf",
    )
    event = GaEvent(type="session.update", session=request).to_dict()
    check_ga(event)
    expected = Session(
        model="gpt-realtime-2",
        instructions="Be brief.",
        modalities=["text", "audio"],
        input_audio_format="g711_ulaw",
        input_audio_transcription=Transcription(model="gpt-4o-transcribe", language="de"),
        turn_detection=ServerVad(threshold=0.65, silence_duration_ms=800, idle_timeout_ms=6000),
        input_audio_noise_reduction=None,
        output_audio_format="pcm16",
        voice="marin",
        speed=0.9,
        tools=[Tool(name="hang_up", parameters={"type": "object"})],
        tool_choice="hang_up",
        tracing=Tracing(workflow_name="calls"),
        max_response_output_tokens="inf",
    )
    assert Session.from_event(event, strict=True) == expected
    assert Session.from_event(GaEvent(type="session.update", session=request)) == expected
    assert expected.to_event(api="ga")["session"]["tool_choice"] == {
        "type": "function",
        "name": "hang_up",
    }
    check_ga(expected.to_event(api="ga"))


def test_ga_server_event_with_extra_fields_parses_tolerantly():
    server = {
        "type": "session.created",
        "event_id": "event_abc",
        "session": {
            "type": "realtime",
            "object": "realtime.session",
            "id": "sess_C9x",
            "model": "gpt-realtime",
            "output_modalities": ["audio"],
            "instructions": "Your knowledge cutoff is 2023-10.",
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": None,
            "truncation": "auto",
            "prompt": None,
            "expires_at": 0,
            "include": None,
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "transcription": None,
                    "noise_reduction": None,
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.5,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 200,
                        "idle_timeout_ms": None,
                        "create_response": True,
                        "interrupt_response": True,
                    },
                },
                "output": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "voice": "alloy",
                    "speed": 1.0,
                },
            },
        },
    }
    typed = SessionCreatedEvent.model_validate(server)  # the package reads it
    assert isinstance(typed.session, RealtimeSessionCreateRequest)
    with pytest.warns(UnmodelledFieldWarning, match="'truncation'") as caught:
        session = Session.from_event(server)
    assert [w.message.fields for w in caught] == [("truncation",)]
    assert session.unmodelled == {"truncation": "auto"}  # nulls and 'object' are not kept
    assert session.id == "sess_C9x"
    assert session.turn_detection == ServerVad(silence_duration_ms=200, idle_timeout_ms=None)
    assert (
        session.input_audio_transcription is None
        and "input_audio_transcription" in session.model_fields_set
    )
    assert (
        session.tracing is None
        and session.voice == "alloy"
        and session.modalities == ("text", "audio")
    )
    with pytest.warns(UnmodelledFieldWarning):
        assert Session.from_event(typed) == session
    with pytest.raises(ConfigError, match="'object' parameter of the GA session is unknown"):
        Session.from_event(server, strict=True)
    # sending it back: the server's id has no place in session.update
    with pytest.warns(FieldDroppedWarning) as caught:
        check_ga(session.to_event(api="ga"))
    assert [w.message.field for w in caught] == ["id"]
    check_ga(session.unset("id").to_event(api="ga"))


def test_beta_server_event_parses_tolerantly():
    server = {
        "type": "session.created",
        "event_id": "event_1",
        "session": {
            "id": "sess_001",
            "object": "realtime.session",
            "model": "gpt-4o-realtime-preview",
            "expires_at": 1700000000,
            "modalities": ["audio", "text"],
            "instructions": "",
            "voice": "alloy",
            "input_audio_format": "pcm16",
            "output_audio_format": "pcm16",
            "input_audio_transcription": None,
            "turn_detection": {
                "type": "semantic_vad",
                "eagerness": "high",
                "create_response": True,
                "interrupt_response": True,
                "threshold": None,
            },
            "tools": [],
            "tool_choice": "auto",
            "temperature": 0.8,
            "max_response_output_tokens": "inf",
            "speed": 1.0,
            "tracing": None,
            "client_secret": None,
        },
    }
    BetaCreated.model_validate(server)
    session = Session.from_event(server)
    assert session.turn_detection == SemanticVad(eagerness="high")
    assert session.modalities == ("text", "audio") and session.instructions == ""
    with pytest.raises(ConfigError, match="'object' parameter of Session is unknown"):
        Session.from_event(server, strict=True)
    modelled = {
        k: v
        for k, v in server["session"].items()
        if k not in ("object", "expires_at", "client_secret")
    }
    with pytest.raises(ConfigError, match="'threshold' belongs to server_vad"):
        Session.from_event(modelled, strict=True)


def test_client_secret_is_never_kept():
    secret = "ek_68af296e8e408191a1120ab6383263c2"
    response = {
        "value": secret,
        "expires_at": 1756310470,
        "session": {
            "type": "realtime",
            "model": "gpt-realtime",
            "client_secret": {"value": secret},
        },
    }
    session = Session.from_event(response)
    assert session == Session(model="gpt-realtime")
    for text in (
        repr(session),
        session.to_json(),
        session._repr_html_(),
        json.dumps(session.to_event(api="ga")),
    ):
        assert secret not in text and "ek_" not in text


# ---------------------------------------------------- every generated session, both shapes

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
NAMES = st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True)


def _partial(cls, **fields):
    return st.fixed_dictionaries({}, optional=fields).map(lambda kwargs: cls(**kwargs))


SERVER_VAD = _partial(
    ServerVad,
    threshold=st.floats(0.0, 1.0),
    prefix_padding_ms=st.integers(0, 2000),
    silence_duration_ms=st.integers(0, 5000),
    create_response=st.booleans(),
    interrupt_response=st.booleans(),
    idle_timeout_ms=st.none() | st.integers(5000, 30000),
)
SEMANTIC_VAD = _partial(
    SemanticVad,
    eagerness=st.sampled_from(["low", "medium", "high", "auto"]),
    create_response=st.booleans(),
    interrupt_response=st.booleans(),
)
TRANSCRIPTION = _partial(
    Transcription,
    model=st.sampled_from(["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"]),
    language=st.sampled_from(["en", "fr", "de", "ja"]),
    prompt=st.text(max_size=20),
)
TRACING = _partial(
    Tracing,
    workflow_name=st.text(min_size=1, max_size=10),
    group_id=st.text(min_size=1, max_size=10),
    metadata=st.dictionaries(st.text(max_size=6), JSON, max_size=3),
)
TOOLS = st.lists(
    st.builds(
        lambda name, extra: Tool(name=name, **extra),
        NAMES,
        st.fixed_dictionaries(
            {},
            optional={
                "description": st.text(max_size=20),
                "parameters": st.dictionaries(st.text(max_size=6), JSON, max_size=3),
            },
        ),
    ),
    max_size=3,
    unique_by=lambda tool: tool.name,
)
FIELDS = {
    "id": st.from_regex(r"sess_[A-Za-z0-9]{4,12}", fullmatch=True),
    "model": st.sampled_from([*BETA_MODELS, "gpt-realtime-2", "gpt-realtime-mini"]),
    "modalities": st.sampled_from([["text"], ["text", "audio"], ["audio", "text"]]),
    "instructions": st.text(max_size=40),
    "voice": st.sampled_from(VOICES),
    "input_audio_format": st.sampled_from(["pcm16", "g711_ulaw", "g711_alaw"]),
    "output_audio_format": st.sampled_from(["pcm16", "g711_ulaw", "g711_alaw"]),
    "input_audio_transcription": st.none() | TRANSCRIPTION,
    "turn_detection": st.none() | SERVER_VAD | SEMANTIC_VAD,
    "input_audio_noise_reduction": st.none()
    | st.builds(NoiseReduction, type=st.sampled_from(["near_field", "far_field"])),
    "speed": st.floats(0.25, 1.5),
    "tracing": st.none() | st.just("auto") | TRACING,
    "tools": TOOLS,
    "tool_choice": st.sampled_from(["auto", "none", "required"]),
    "temperature": st.floats(0.6, 1.2),
    "max_response_output_tokens": st.integers(1, 4096) | st.just("inf"),
}


@st.composite
def sessions(draw):
    kwargs = draw(st.fixed_dictionaries({}, optional=FIELDS))
    if kwargs.get("tools") and draw(st.booleans()):
        kwargs["tool_choice"] = kwargs["tools"][0].name
    return Session(**kwargs)


def test_the_strategy_covers_every_field():
    assert set(FIELDS) == set(Session.model_fields)


def _events(session: Session, api: str) -> tuple[dict, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        event = session.to_event(api=api)
    assert all(issubclass(w.category, FieldDroppedWarning) for w in caught)
    return event, [w.message.field for w in caught]


def _expected_drops(session: Session, api: str) -> list[str]:
    is_set = session.model_fields_set
    drops = ["id"] if "id" in is_set else []
    if api == "ga" and "temperature" in is_set:
        drops.append("temperature")
    vad = session.turn_detection
    if (
        api == "beta"
        and "turn_detection" in is_set
        and isinstance(vad, ServerVad)
        and vad.idle_timeout_ms is not None
    ):
        drops.append("turn_detection.idle_timeout_ms")
    return drops


def _without_api_gaps(session: Session, api: str) -> Session:
    paths = ["id"] if api == "beta" else ["id", "temperature"]
    set_vad = "turn_detection" in session.model_fields_set
    if api == "beta" and set_vad and isinstance(session.turn_detection, ServerVad):
        paths.append("turn_detection.idle_timeout_ms")
    return session.unset(*paths)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("roundtrip")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions())
def test_round_trips_across_both_shapes_and_files(session, files):
    # canonical form, JSON text and files: exact
    assert Session.from_event(session.to_dict(), strict=True) == session
    assert Session.from_event(session.to_json()) == session
    path = files / "s.json"
    session.save(path)
    loaded = Session.load(path)
    assert loaded == session and loaded.model_fields_set == session.model_fields_set
    assert hash(loaded) == hash(session)
    for api, check in (("beta", check_beta), ("ga", check_ga)):
        if (
            api == "beta"
            and "model" in session.model_fields_set
            and session.model not in BETA_MODELS
        ):
            with pytest.raises(ConfigError, match="'model' parameter"):
                session.to_event(api="beta")
            continue
        event, dropped = _events(session, api)
        assert dropped == _expected_drops(session, api)
        check(event)
        back = Session.from_event(event, strict=True)
        assert back == _without_api_gaps(session, api)
        # what the openai package makes of the event parses to the same Session
        typed = (BetaEvent if api == "beta" else GaEvent).model_validate(event)
        assert Session.from_event(typed.to_dict()) == back


@settings(max_examples=60, deadline=None)
@given(session=sessions())
def test_repr_evaluates_to_an_equal_session(session):
    namespace = {
        cls.__name__: cls
        for cls in (Session, ServerVad, SemanticVad, Transcription, NoiseReduction, Tracing, Tool)
    }
    text = repr(session)
    if "***" in text:  # a generated string happened to look like a key and was masked
        return
    assert eval(text, namespace) == session


def test_float_fields_are_json_exact():
    session = Session(speed=0.1 + 0.2, turn_detection=ServerVad(threshold=math.pi / 4))
    assert Session.from_event(json.loads(json.dumps(session.to_event(api="ga")))) == session


# ------------------------------------------ drift: every key of the openai session types

# The session types of the installed package, per API shape: the session.update params,
# the session models of server events, and the session create / client-secret types.
# (GA transcription sessions, the other member of the GA session.update union, are not
# realtime sessions: Session.from_event rejects them with a ConfigError.)

OPENAI_SESSION_TYPES = {
    "ga": [
        ga_request_param.RealtimeSessionCreateRequestParam,
        RealtimeSessionCreateRequest,
        RealtimeSessionCreateResponse,
    ],
    "beta": [
        beta_param.Session,
        beta_session_model.Session,
        beta_create.SessionCreateParams,
        beta_create_response.SessionCreateResponse,
    ],
}


def _unwrap(tp):
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated or str(origin).endswith(("Required", "NotRequired")):
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _fields(tp) -> dict:
    """The keys of a TypedDict or an openai model (by their JSON names), else {}."""
    if is_typeddict(tp):
        return typing.get_type_hints(tp, include_extras=True)
    if isinstance(tp, type) and issubclass(tp, PydanticModel):
        return {info.alias or name: info.annotation for name, info in tp.model_fields.items()}
    return {}


def _tag(tp):
    """The single ``type`` literal of an object type (its union tag), else None."""
    hint = _fields(tp).get("type")
    if hint is None:
        return None
    hint = _unwrap(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # Optional[Literal[...]]
        members = [_unwrap(a) for a in typing.get_args(hint) if a is not type(None)]
        hint = members[0] if len(members) == 1 else hint
    args = typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else ()
    return args[0] if len(args) == 1 else None


def walk(tp, prefix: str = "", out: dict | None = None, depth: int = 0) -> dict:
    """Every key path under ``tp``: path -> annotation (``[]`` list item, ``@tag`` union member)."""
    out = {} if out is None else out
    assert depth < 30, prefix  # the session types are not recursive
    tp = _unwrap(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        members = [_unwrap(a) for a in args if a is not type(None)]
        objects = [m for m in members if _fields(m)]
        for member in members:
            tag = _tag(member) if len(objects) > 1 and _fields(member) else None
            if tag is not None:
                out.setdefault(f"{prefix}@{tag}", member)
                walk(member, f"{prefix}@{tag}", out, depth + 1)
            else:
                walk(member, prefix, out, depth + 1)
        return out
    if origin is not None and getattr(origin, "__name__", "") in (
        "list", "List", "Iterable", "Sequence", "SequenceNotStr", "tuple",
    ):  # fmt: skip
        return walk(args[0], f"{prefix}[]", out, depth + 1)
    for name, hint in _fields(tp).items():
        path = f"{prefix}.{name}" if prefix else name
        out.setdefault(path, hint)
        walk(hint, path, out, depth + 1)
    return out


def _strip_tags(path: str) -> str:
    return re.sub(r"@[^.\[\]]+", "", path)


def uncovered(paths, known: dict[str, str]) -> list[str]:
    """The paths rtlab neither models nor passes through (nor knows as read-only)."""
    missing = []
    for path in paths:
        parts = path.split(".")
        prefixes = [".".join(parts[:n]) for n in range(1, len(parts))]
        if path in known or _strip_tags(path) in known:
            continue
        if any(known.get(p) in ("passed through", "read only") for p in prefixes):
            continue
        stripped_known = {_strip_tags(k) for k in known}
        if any(k.startswith((path + ".", path + "[]", path + "@")) for k in known) or any(
            k.startswith((_strip_tags(path) + ".", _strip_tags(path) + "[]"))
            for k in stripped_known
        ):
            continue  # a container of known keys (audio, audio.input, tools[]@function, ...)
        missing.append(path)
    return sorted(missing)


def openai_paths(api: str) -> dict:
    out: dict = {}
    for tp in OPENAI_SESSION_TYPES[api]:
        walk(tp, "", out)
    return out


def test_the_walk_reaches_nested_keys():
    ga = openai_paths("ga")
    # nested objects, list items, tagged union members, the new transcription fields
    for path in (
        "audio.input.turn_detection@server_vad.idle_timeout_ms",
        "audio.input.transcription.languages",
        "audio.input.transcription.keywords",
        "audio.input.transcription.delay",
        "audio.input.noise_reduction.strength",
        "tools[]@mcp.server_label",
        "tools[]@function.parameters",
        "tool_choice@function.name",
        "truncation.token_limits.post_instructions",
        "audio.output.voice.id",
        "object",
    ):
        assert path in ga, path
    beta = openai_paths("beta")
    assert "turn_detection.eagerness" in beta and "client_secret.expires_after.seconds" in beta
    assert len(ga) > 80 and len(beta) > 30


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_every_key_of_the_openai_session_types_is_modelled_or_passed_through(api):
    missing = uncovered(openai_paths(api), known_paths(api))
    assert not missing, (
        f"The installed openai package's {api} session types have keys rtlab neither models "
        f"nor passes through: {missing}. Model them in rtlab.session, or list them in "
        "rtlab._wire.PASSED (kept and sent back unchanged)."
    )


def test_the_drift_check_fails_when_rtlab_forgets_a_key(monkeypatch):
    # a passed-through key forgotten
    shrunk = {
        k: v for k, v in _wire.PASSED["ga"].items() if k != "audio.input.transcription.keywords"
    }
    monkeypatch.setitem(_wire.PASSED, "ga", shrunk)
    assert uncovered(openai_paths("ga"), known_paths("ga")) == [
        "audio.input.transcription.keywords"
    ]
    monkeypatch.undo()
    # a modelled field forgotten (Transcription without 'prompt')
    fields = {k: v for k, v in Transcription.model_fields.items() if k != "prompt"}
    monkeypatch.setattr(Transcription, "model_fields", fields)
    assert uncovered(openai_paths("ga"), known_paths("ga")) == ["audio.input.transcription.prompt"]
    assert uncovered(openai_paths("beta"), known_paths("beta")) == [
        "input_audio_transcription.prompt"
    ]
    monkeypatch.undo()
    assert uncovered(openai_paths("ga"), known_paths("ga")) == []


def test_the_drift_check_fails_on_a_new_openai_field():
    # an openai upgrade that adds a key deep inside the session (synthetic TypedDicts)
    def grown(base, name, **new):
        hints = typing.get_type_hints(base, include_extras=True)
        return typing.TypedDict(name, {**hints, **new}, total=False)

    transcription = grown(ga_input_param.AudioTranscriptionParam, "T", vocabulary_boost=float)
    audio_input = grown(
        ga_input_param.RealtimeAudioConfigInputParam, "I", transcription=transcription
    )
    audio = typing.TypedDict("A", {"input": audio_input}, total=False)  # noqa: UP013
    session = grown(
        ga_request_param.RealtimeSessionCreateRequestParam,
        "S",
        audio=audio,
        speculative_decoding=bool,
    )
    paths = walk(session)
    assert uncovered(paths, known_paths("ga")) == [
        "audio.input.transcription.vocabulary_boost",
        "speculative_decoding",
    ]


def test_the_ga_session_update_union_is_realtime_or_transcription():
    members = set(
        typing.get_args(typing.get_type_hints(ga_param.SessionUpdateEventParam)["session"])
    )
    assert members == {
        ga_request_param.RealtimeSessionCreateRequestParam,
        ga_transcription_param.RealtimeTranscriptionSessionCreateRequestParam,
    }
    with pytest.raises(ConfigError, match="Transcription sessions are not modelled"):
        Session.from_event({"type": "session.update", "session": {"type": "transcription"}})


def _sample(tp):
    """A small valid-looking JSON value of an openai type (required keys of objects only)."""
    tp = _unwrap(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return _sample(members[0])
    if origin is typing.Literal:
        return args[0]
    if tp in (str, bool, int, float):
        return {str: "x", bool: True, int: 1, float: 0.5}[tp]
    if origin is not None and getattr(origin, "__name__", "") in (
        "list", "List", "Iterable", "Sequence", "SequenceNotStr",
    ):  # fmt: skip
        return [_sample(args[0])]
    if is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        required = [k for k, h in hints.items() if str(typing.get_origin(h)).endswith(".Required")]
        return {k: _sample(hints[k]) for k in required}
    return {"k": "v"}


# a GA session where the objects holding passed-through keys are on
GA_BASE = {
    "type": "realtime",
    "audio": {
        "input": {
            "transcription": {"model": "gpt-4o-transcribe"},
            "noise_reduction": {"type": "near_field"},
        },
        "output": {},
    },
}


def _put(body: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for key in parents:
        body = body.setdefault(key, {})
    if last.endswith("]@mcp"):
        body[last.partition("[")[0]] = [value]
    else:
        body[last.partition("@")[0]] = value


@pytest.mark.parametrize("path", sorted(_wire.PASSED["ga"]))
def test_each_passed_through_key_goes_back_unchanged(path):
    paths = openai_paths("ga")
    value = _sample(paths[path])
    if path == "audio.output.voice.id":
        path, value = "audio.output.voice", {"id": "voice_1234"}
    body = json.loads(json.dumps(GA_BASE))
    _put(body, path, value)
    with pytest.warns(UnmodelledFieldWarning) as caught:
        session = Session.from_event({"type": "session.update", "session": body})
    assert len(caught) == 1 and "does not know" not in str(caught[0].message)
    sent = session.to_event(api="ga")["session"]
    assert sent == json.loads(json.dumps(body)) or _drop_empty(sent) == _drop_empty(body)
    check_ga({"type": "session.update", "session": sent})
    assert Session.from_event(sent, warn=False) == session
    # neither API has the other's counterpart: the beta event leaves it out, and says so
    with pytest.warns(FieldDroppedWarning, match="was read from a ga session"):
        beta = session.unset("model").to_event(api="beta")
    assert json.dumps(value) not in json.dumps(beta) or value in (True, 1, 0.5, "x")


def _drop_empty(body):
    if isinstance(body, dict):
        return {k: _drop_empty(v) for k, v in body.items() if v != {}}
    return body


def test_passed_through_keys_have_no_counterpart_in_the_other_shape():
    beta = set(openai_paths("beta"))
    for path in _wire.PASSED["ga"]:
        counterpart = path
        for name, where in _wire.NESTED_PATHS.items():
            ga_base = ".".join(where["ga"])
            if path.startswith(ga_base + "."):
                counterpart = name + path[len(ga_base) :]
        assert counterpart not in beta, path
