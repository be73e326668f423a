"""rtlab.presets: valid sessions in both API shapes, each doing what its name says."""

from __future__ import annotations

import json

import pytest
from openai.types.beta.realtime.session_update_event_param import (
    SessionUpdateEventParam as BetaParam,
)
from openai.types.realtime.session_update_event_param import SessionUpdateEventParam as GaParam
from pydantic import TypeAdapter

from rtlab import cli, presets
from rtlab.errors import ConfigError
from rtlab.session import NoiseReduction, ServerVad, Session

BETA = TypeAdapter(BetaParam)
GA = TypeAdapter(GaParam)


def _strict(adapter: TypeAdapter, event: dict, nullable: list[tuple[str, ...]]) -> None:
    """The openai TypedDicts, strict, with the documented-nullable nulls taken out first."""
    event = json.loads(json.dumps(event))
    for path in nullable:
        node = event
        for key in path[:-1]:
            node = node.get(key, {})
        if node.get(path[-1], "") is None:
            del node[path[-1]]
    adapter.validate_python(event, strict=True, extra="forbid")


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_every_preset_is_a_valid_event_in_both_apis_without_warnings(name):
    session = presets.PRESETS[name]()
    assert isinstance(session, Session) and session.model_fields_set
    beta = session.to_event(api="beta", strict=True)  # strict: nothing dropped
    ga = session.to_event(api="ga", strict=True)
    _strict(BETA, beta, [("session", "input_audio_noise_reduction")])
    _strict(GA, ga, [("session", "audio", "input", "noise_reduction")])
    assert Session.from_event(beta) == session == Session.from_event(ga)
    assert presets.PRESETS[name]() == session and presets.PRESETS[name]() is not session


@pytest.mark.parametrize("name", sorted(presets.PRESETS))
def test_the_command_line_shows_every_preset(name, capsys):
    assert cli.main(["session", "show", "--preset", name, "--api", "beta"]) == 0
    assert json.loads(capsys.readouterr().out) == presets.PRESETS[name]().to_event(api="beta")


def test_api_defaults_pins_the_documented_defaults():
    session = presets.api_defaults()
    assert session.turn_detection == Session().turn_detection == ServerVad()
    assert session.turn_detection.model_fields_set == set(ServerVad.model_fields) - {
        "type",
        "idle_timeout_ms",
    }
    assert {
        "turn_detection",
        "input_audio_format",
        "input_audio_noise_reduction",
    } <= session.model_fields_set
    assert session.input_audio_noise_reduction is None
    sent = session.to_event(api="beta")["session"]
    assert (
        sent["input_audio_noise_reduction"] is None and sent["turn_detection"]["threshold"] == 0.5
    )


def test_patient_waits_longer_and_changes_nothing_else():
    default, patient = presets.api_defaults().turn_detection, presets.patient().turn_detection
    assert patient.silence_duration_ms == 2 * default.silence_duration_ms == 1000
    assert (
        ServerVad(**{**patient.model_dump(exclude_unset=True), "silence_duration_ms": 500})
        == default
    )
    assert presets.patient().unset("turn_detection") == presets.api_defaults().unset(
        "turn_detection"
    )


def test_noisy_room_raises_the_threshold_and_reduces_noise():
    session = presets.noisy_room()
    assert session.turn_detection.threshold == 0.7 > ServerVad().threshold
    assert session.input_audio_noise_reduction == NoiseReduction(type="far_field")
    near = presets.noisy_room(microphone="near_field")
    assert near.input_audio_noise_reduction == NoiseReduction(type="near_field")
    with pytest.raises(ConfigError) as info:
        presets.noisy_room(microphone="headset")
    assert (info.value.field, info.value.value, info.value.owner) == (
        "microphone",
        "headset",
        "noisy_room",
    )


def test_telephony_is_g711_both_ways():
    session = presets.telephony()
    assert (session.input_audio_format, session.output_audio_format) == ("g711_ulaw", "g711_ulaw")
    assert session.input_audio_noise_reduction == NoiseReduction(type="far_field")
    ga = session.to_event(api="ga")["session"]["audio"]
    assert ga["input"]["format"] == ga["output"]["format"] == {"type": "audio/pcmu"}
    alaw = presets.telephony(law="alaw")
    assert (alaw.input_audio_format, alaw.output_audio_format) == ("g711_alaw", "g711_alaw")
    assert "turn_detection" not in session.model_fields_set
    with pytest.raises(ConfigError, match="'law' parameter of telephony must be 'ulaw' or 'alaw'"):
        presets.telephony(law="mulaw")


def test_presets_compose_with_replace():
    session = presets.telephony().replace(**{"turn_detection.silence_duration_ms": 800})
    assert session.input_audio_format == "g711_ulaw"
    assert session.turn_detection == ServerVad(silence_duration_ms=800)


def test_patient_ends_fewer_turns_on_real_speech():
    # JFK's inaugural excerpt has pauses between 0.5 s and 1 s inside sentences: the API
    # defaults end a turn in some of them, patient() waits them out.
    import rtlab
    from rtlab import datasets

    scores = rtlab.vad.score(datasets.load("jfk").audio)

    def stops(session):
        return [
            e
            for e in rtlab.detect(scores, session)
            if e["type"] == "input_audio_buffer.speech_stopped"
        ]

    default, patient = stops(presets.api_defaults()), stops(presets.patient())
    assert 0 < len(patient) < len(default)
