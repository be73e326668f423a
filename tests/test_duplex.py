"""Full-duplex simulator (rtlab.duplex) on real speech: echo, barge-in, backchannels, idle."""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest

import rtlab
from rtlab import datasets
from rtlab._duplex_metrics import duplex_metrics
from rtlab.duplex import Agent, Backchannels, Echo, backchannels_from, simulate
from rtlab.errors import ConfigError


@pytest.fixture(scope="module")
def clip():
    # two LibriVox utterances with long pauses: the agent answers into silence
    return datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=9000, tail_ms=9000)


@pytest.fixture(scope="module")
def floor():
    # a realistic microphone noise floor (-60 dBFS pink)
    return rtlab.noise.pink(1.0, seed=3, level_dbfs=-60.0)


AGENT = Agent(think_ms=500)


def _cancelled(conv):
    return [p for p in conv.truth.playback if p.status == "cancelled"]


def test_loud_echo_without_canceller_interrupts_itself(clip, floor):
    conv = simulate(
        clip,
        rtlab.Session(),
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=0),
        noise=floor,
    )
    m = duplex_metrics(conv.log, conv.truth)
    assert m["self_interruptions"] >= 1
    assert (
        m["barge_ins"] + m["false_barge_ins"] + m["self_interruptions"] == m["cancelled_responses"]
    )
    # the echo is in the microphone the detector heard
    assert np.abs(conv.echo.samples).max() > 1000


def test_enough_suppression_stops_self_interruptions(clip, floor):
    conv = simulate(
        clip,
        rtlab.Session(),
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=60),
        noise=floor,
    )
    m = duplex_metrics(conv.log, conv.truth)
    assert m["self_interruptions"] == 0
    assert [p.status for p in conv.truth.playback] == ["completed", "completed"]


def test_interrupt_response_false_never_cancels(clip, floor):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(interrupt_response=False))
    conv = simulate(
        clip, session, agent=AGENT, echo=Echo(return_loss_db=0, suppression_db=0), noise=floor
    )
    kinds = [e["type"] for e in conv.log]
    assert "response.done" in kinds
    assert all(
        e["response"]["status"] == "completed" for e in conv.log if e["type"] == "response.done"
    )
    assert "conversation.item.truncated" not in kinds
    assert not _cancelled(conv)


def test_create_response_false_never_answers_and_equals_detect(clip):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(create_response=False))
    conv = simulate(clip, session, agent=AGENT, echo=Echo(return_loss_db=0, suppression_db=0))
    assert not any(e["type"].startswith("response.") for e in conv.log)
    assert conv.truth.playback == ()
    assert list(conv.log) == list(rtlab.detect(clip.audio, session))


@pytest.mark.parametrize(
    "session",
    [
        rtlab.Session(),
        rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.7, idle_timeout_ms=5000)),
        rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high")),
    ],
    ids=["defaults", "idle", "semantic"],
)
def test_no_agent_events_equal_detect(clip, session):
    conv = simulate(clip, session)
    expected = rtlab.detect(clip.audio, session)
    assert list(conv.log) == list(expected)
    assert conv.log.emitted_ms == expected.emitted_ms
    assert np.array_equal(conv.microphone.samples, clip.audio.samples)


@pytest.mark.parametrize(
    ("kind", "chunk_ms"),
    [("server_vad", 32), ("server_vad", 64), ("server_vad", 100), ("semantic_vad", 64)],
)
def test_loop_events_equal_detect_on_the_microphone(clip, floor, kind, chunk_ms):
    # what the closed loop's detector emitted is what detect gives on the audio it heard
    if kind == "server_vad":
        session = rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=300))
    else:
        session = rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high"))
    conv = simulate(
        clip,
        session,
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=20),
        noise=floor,
        chunk_ms=chunk_ms,
    )
    assert _cancelled(conv)
    vad = [
        (e, t)
        for e, t in zip(conv.log, conv.log.emitted_ms, strict=True)
        if e["type"].startswith("input_audio_buffer.")
    ]
    ref = rtlab.detect(conv.microphone, session)

    def strip(e):  # ids differ: the conversation also numbers the agent's items
        return {k: v for k, v in e.items() if k not in ("event_id", "item_id", "previous_item_id")}

    assert [(strip(e), t) for e, t in vad] == [
        (strip(e), t) for e, t in zip(ref, ref.emitted_ms, strict=True)
    ]


def test_streaming_loop_without_echo_equals_precomputed(clip):
    # a backchannel-free, echo-free run through the streaming path hears the same audio
    quiet = Echo(return_loss_db=200, suppression_db=0)  # active path, echo far below 1 LSB
    a = simulate(clip, rtlab.Session(), agent=AGENT, echo=quiet)
    b = simulate(clip, rtlab.Session(), agent=AGENT)
    assert list(a.log) == list(b.log)


def test_backchannel_that_starts_speech_is_a_false_barge_in(clip):
    clips = backchannels_from("ami-debug/trn08")
    assert clips and all(c.duration_s < 1.0 for c in clips)
    conv = simulate(
        clip, rtlab.Session(), agent=AGENT, backchannels=Backchannels(clips, after_ms=1000)
    )
    # one per response that played long enough, each while the agent was speaking
    assert conv.truth.backchannels
    for b in conv.truth.backchannels:
        assert any(p.start_s <= b.start_s < p.end_s for p in conv.truth.playback)
    m = duplex_metrics(conv.log, conv.truth)
    starts = [
        t
        for e, t in zip(conv.log, conv.log.emitted_ms, strict=True)
        if e["type"].endswith("speech_started")
    ]
    triggered = [
        b
        for b in conv.truth.backchannels
        if any(b.start_s <= t / 1000 <= b.end_s + 0.3 for t in starts)
    ]
    assert triggered
    assert m["false_barge_ins"] == len(triggered)
    assert m["self_interruptions"] == 0  # no echo: every other cancellation is the user's
    assert m["false_barge_ins"] + m["barge_ins"] == m["cancelled_responses"]
    # backchannels are not turns
    assert conv.truth.turns == clip.truth.turns


def test_idle_timer_starts_at_end_of_playback(clip):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(idle_timeout_ms=5000))
    one = datasets.compose(["librivox/0880"], tail_ms=20000)
    conv = simulate(one, session, agent=AGENT)
    first = conv.truth.playback[0]
    timeouts = [
        (e, t)
        for e, t in zip(conv.log, conv.log.emitted_ms, strict=True)
        if e["type"].endswith("timeout_triggered")
    ]
    assert timeouts
    event, at_ms = timeouts[0]
    assert event["audio_start_ms"] == round(first.end_s * 1000)
    assert first.end_s * 1000 + 5000 <= at_ms < first.end_s * 1000 + 5000 + 32 + 1e-6
    # the timeout's response is marked as such
    assert conv.truth.playback[1].cause == "timeout"
    assert duplex_metrics(conv.log, conv.truth)["idle_timeouts"] == len(timeouts)
    # without an agent the timer starts at the commit (responses take no time), as detect does
    plain = rtlab.detect(one.audio, session)
    commit_ms = next(
        t for e, t in zip(plain, plain.emitted_ms, strict=True) if e["type"].endswith("committed")
    )
    assert plain.timeouts()["start_ms"].iloc[0] == round(commit_ms)


def test_same_seed_same_events(clip, floor):
    agent = Agent(think_ms=600, think_sigma=0.5)
    kwargs = dict(agent=agent, echo=Echo(return_loss_db=0, suppression_db=10), noise=floor)
    a = simulate(clip, rtlab.Session(), seed=3, **kwargs)
    b = simulate(clip, rtlab.Session(), seed=3, **kwargs)
    c = simulate(clip, rtlab.Session(), seed=4, **kwargs)
    assert a == b and list(a.log) == list(b.log)
    assert [p.created_s for p in a.truth.playback] and a != c


def test_turn_detection_none_client_commits(clip):
    conv = simulate(clip, rtlab.Session(turn_detection=None), agent=AGENT)
    kinds = [e["type"] for e in conv.log]
    assert not any(k.startswith("input_audio_buffer.speech") for k in kinds)
    commits = [
        t
        for e, t in zip(conv.log, conv.log.emitted_ms, strict=True)
        if e["type"].endswith("committed")
    ]
    ends = [round(t.end_s * 1000) for t in clip.truth.turns]
    assert [round(t) for t in commits] == ends
    assert len(conv.truth.playback) == len(ends)


def _server_event_models(module):
    union = typing.get_args(module.RealtimeServerEvent)[0]
    models = {}
    for cls in typing.get_args(union):
        literal = cls.model_fields["type"].annotation
        models[typing.get_args(literal)[0]] = cls
    return models


@pytest.mark.parametrize("api", ["ga", "beta"])
def test_events_validate_against_openai_types(clip, api):
    if api == "ga":
        from openai.types import realtime as module
    else:
        from openai.types.beta import realtime as module
    models = _server_event_models(module)
    conv = simulate(
        clip,
        rtlab.Session(),
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=0),
        api=api,
    )
    seen = set()
    for event in conv.log:
        cls = models[event["type"]]
        parsed = cls.model_validate(event)
        assert set(event) <= set(cls.model_fields), event["type"]
        assert parsed.type == event["type"]
        seen.add(event["type"])
    audio = "response.output_audio" if api == "ga" else "response.audio"
    assert {
        f"{audio}.delta",
        f"{audio}.done",
        "response.created",
        "response.done",
        "conversation.item.truncated",
    } <= seen
    done = [e for e in conv.log if e["type"] == "response.done"]
    assert {e["response"]["status"] for e in done} <= {"completed", "cancelled"}
    for e in done:
        if e["response"]["status"] == "cancelled":
            assert e["response"]["status_details"]["reason"] == "turn_detected"


def test_truncation_matches_played_audio(clip, floor):
    conv = simulate(
        clip,
        rtlab.Session(),
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=0),
        noise=floor,
    )
    truncated = {
        e["item_id"]: e["audio_end_ms"]
        for e in conv.log
        if e["type"] == "conversation.item.truncated"
    }
    played = {
        p.item_id: p.played_ms
        for p in conv.truth.playback
        if p.status == "cancelled" and p.played_ms > 0
    }
    assert truncated and truncated.keys() == played.keys()
    for item, ms in played.items():
        assert abs(truncated[item] - ms) <= 1


def test_plot_agent_lane(clip, floor):
    from matplotlib.figure import Figure

    from rtlab._plot_duplex import draw_agent

    conv = simulate(
        clip,
        rtlab.Session(),
        agent=AGENT,
        echo=Echo(return_loss_db=0, suppression_db=0),
        noise=floor,
    )
    ax = draw_agent(conv, ax=Figure().subplots())
    labels = {c.get_label() for c in ax.collections}
    assert {"think", "playback", "cancelled"} <= labels
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert len(hatched) == sum(
        p.status == "cancelled" and p.planned_end_s > p.end_s for p in conv.truth.playback
    )


def test_bad_options():
    with pytest.raises(rtlab.errors.ConfigError):
        Echo(suppression_db=-1)
    with pytest.raises(rtlab.errors.ConfigError):
        Agent(think_ms=math.nan)
    with pytest.raises(rtlab.errors.ConfigError):
        simulate(datasets.load("librivox/0880"), api="v2")


def test_room_response_has_the_requested_reverberation():
    # Schroeder backward integration: time for the energy to fall from -5 to -25 dB, x3
    for rt60_ms in (200.0, 500.0):
        h = Echo(rt60_ms=rt60_ms).room_response()
        assert abs(np.sum(h**2) - 1.0) < 1e-9
        energy = np.cumsum(h[::-1] ** 2)[::-1]
        decay_db = 10 * np.log10(energy / energy[0])
        t5, t25 = np.argmax(decay_db <= -5), np.argmax(decay_db <= -25)
        measured_ms = 3 * (t25 - t5) / 24.0
        assert 0.6 * rt60_ms < measured_ms < 1.4 * rt60_ms
    assert Echo(rt60_ms=None).room_response().tolist() == [1.0]


def _tiny_log(started_ms):
    events = (
        {
            "type": "input_audio_buffer.speech_started",
            "event_id": "event_0001",
            "audio_start_ms": started_ms - 332,
            "item_id": "item_0002",
        },
        {
            "type": "response.done",
            "event_id": "event_0002",
            "response": {
                "id": "resp_0001",
                "status": "cancelled",
                "status_details": {"type": "cancelled", "reason": "turn_detected"},
            },
        },
    )
    return rtlab.EventLog(events, (float(started_ms), float(started_ms)), duration_ms=5000.0)


@pytest.mark.parametrize(
    ("user", "backchannel", "echo", "expected"),
    [
        ([[0.9, 1.6]], None, [[0.0, 3.0]], "barge_ins"),
        ([], (0.8, 1.2), [[0.0, 3.0]], "false_barge_ins"),
        ([], None, [[0.0, 3.0]], "self_interruptions"),
        ([], None, [], "false_barge_ins"),  # noise alone
        ([[0.1, 0.5]], None, [[0.0, 3.0]], "self_interruptions"),  # user long finished
    ],
)
def test_cancellation_causes(user, backchannel, echo, expected):
    from rtlab.annotation import Annotation, Turn
    from rtlab.duplex import ConversationTruth, Playback

    playback = Playback(
        "resp_0001", "item_0003", "item_0001", 0.2, 0.5, 1.05, 4.0, "cancelled", "voice"
    )
    truth = ConversationTruth(
        user=Annotation(np.array(user, float).reshape(-1, 2), duration_s=5.0),
        backchannels=() if backchannel is None else (Turn(*backchannel, speaker="backchannel"),),
        playback=(playback,),
        echo_spans=np.array(echo, float).reshape(-1, 2),
        duration_s=5.0,
    )
    m = duplex_metrics(_tiny_log(1000), truth)
    causes = {k: m[k] for k in ("barge_ins", "false_barge_ins", "self_interruptions")}
    assert causes == {k: int(k == expected) for k in causes}


# -- the echo and agent knobs are swept like session fields ---------------------------------


def test_sweep_varies_the_echo_path_like_a_session_field():
    clip = rtlab.datasets.conversation(0.5, seed=0)
    grid = {"echo.suppression_db": [0, 40], "threshold": [0.5]}
    table = rtlab.sweep([clip], grid, echo=rtlab.Echo(return_loss_db=0), progress=False)
    assert len(table) == 2 and table["error"].isna().all()
    summary = rtlab.summarize(table).set_index("param_echo.suppression_db")
    # each cell is the conversation simulate() gives for that echo path
    conv = rtlab.simulate(clip, rtlab.Session(), agent=rtlab.Agent(),
                          echo=rtlab.Echo(return_loss_db=0, suppression_db=0))  # fmt: skip
    loud = rtlab.metrics.score(conv.log, conv.truth)["self_interruptions"]
    assert summary.loc[0, "self_interruptions"] == loud > 0
    assert summary.loc[40, "self_interruptions"] < loud


def test_sweep_names_an_agent_or_echo_field_that_does_not_exist():
    clip = rtlab.datasets.load("librivox/0880")
    with pytest.raises(ConfigError, match="agent"):
        rtlab.sweep([clip], {"agent.think_time": [100, 200]}, progress=False)
