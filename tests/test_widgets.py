"""rtlab.widgets driven through their child widgets' values (no browser).

Each test sets a control's ``.value`` as a user would and checks that the widget's
``.value`` Session, the inline errors, the JSON preview, the timeline image and the metrics
follow, comparing with what the core functions give for the same input.
"""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from openai.types.beta.realtime.session_update_event import SessionUpdateEvent as BetaEvent
from openai.types.realtime.session_update_event import SessionUpdateEvent as GaEvent
from PIL import Image

import rtlab
from rtlab import metrics, presets
from rtlab.errors import ConfigError
from rtlab.session import SemanticVad, ServerVad, Session
from rtlab.widgets import SessionBuilder, SweepRunner, Tuner, parse_values

TUNE_CLIP = "ami-debug/trn05"  # 30 s meeting excerpt: a long turn with pauses inside it


def preview_json(builder: SessionBuilder) -> dict:
    """The JSON shown in the preview HTML, parsed back."""
    match = re.search(r"<pre[^>]*>(.*)</pre>", builder.preview.value, re.S)
    assert match, builder.preview.value
    return json.loads(html.unescape(match.group(1)))


# ------------------------------------------------------------------------- SessionBuilder


def test_builder_starts_empty_and_previews_an_empty_update():
    builder = SessionBuilder()
    assert builder.value == Session()
    assert builder.value.model_fields_set == set()
    assert preview_json(builder) == {"type": "session.update", "session": {}}
    assert builder.errors == {}


def test_turn_detection_type_switches_its_own_fields():
    builder = SessionBuilder()
    assert builder._server_box.layout.display == "none"  # unset: no parameters shown
    builder.turn_detection.value = "server_vad"
    assert builder._server_box.layout.display == ""
    assert builder._semantic_box.layout.display == "none"
    builder.silence_duration_ms.value = 900
    assert builder.value.turn_detection == ServerVad(silence_duration_ms=900)

    builder.turn_detection.value = "semantic_vad"
    builder.eagerness.value = "low"
    assert builder.value.turn_detection == SemanticVad(eagerness="low")
    assert builder._server_box.layout.display == "none"
    assert builder._semantic_box.layout.display == ""
    assert preview_json(builder)["session"]["turn_detection"]["type"] == "semantic_vad"

    builder.turn_detection.value = "off"
    assert builder.value.turn_detection is None
    assert preview_json(builder)["session"] == {"turn_detection": None}

    builder.turn_detection.value = ""
    assert "turn_detection" not in builder.value.model_fields_set
    assert "turn_detection" not in preview_json(builder)["session"]


def test_an_invalid_value_is_shown_next_to_its_field_and_value_is_kept():
    builder = SessionBuilder()
    builder.turn_detection.value = "server_vad"
    builder.threshold.value = 0.6
    good = builder.value
    builder.threshold.value = 1.5
    label = builder.error_labels["turn_detection.threshold"].value
    assert "1.5" in label and "threshold" in label and "[0.0, 1.0]" in label
    assert builder.value == good  # unchanged
    assert preview_json(builder)["session"]["turn_detection"]["threshold"] == 0.6
    assert "last valid session" in builder.notes.value
    # only that field shows an error
    assert [p for p, lab in builder.error_labels.items() if lab.value] == [
        "turn_detection.threshold"
    ]
    builder.threshold.value = 0.7
    assert builder.error_labels["turn_detection.threshold"].value == ""
    assert builder.value.turn_detection.threshold == 0.7


@pytest.mark.parametrize(
    ("widget", "text", "path"),
    [
        ("speed", "fast", "speed"),
        ("temperature", "2", "temperature"),
        ("max_response_output_tokens", "0", "max_response_output_tokens"),
        ("idle_timeout_ms", "100", "turn_detection.idle_timeout_ms"),
    ],
)
def test_text_fields_are_validated_by_the_session(widget, text, path):
    builder = SessionBuilder(Session(turn_detection=ServerVad()))
    before = builder.value
    getattr(builder, widget).value = text
    assert text in builder.errors[path]
    assert text in builder.error_labels[path].value
    assert builder.value == before


def test_preview_is_the_beta_or_ga_event_and_validates_with_openai_types():
    builder = SessionBuilder()
    builder.voice.value = "marin"
    builder.input_audio_format.value = "g711_ulaw"
    builder.noise_reduction.value = "far_field"
    builder.turn_detection.value = "server_vad"
    builder.threshold.value = 0.6
    builder.transcription.value = "on"
    builder.transcription_model.value = "whisper-1"
    expected = Session(
        voice="marin",
        input_audio_format="g711_ulaw",
        input_audio_noise_reduction={"type": "far_field"},
        turn_detection=ServerVad(threshold=0.6),
        input_audio_transcription={"model": "whisper-1"},
    )
    assert builder.value == expected

    beta = preview_json(builder)
    assert beta == expected.to_event(api="beta") == builder.event
    BetaEvent.model_validate(beta)
    assert beta["session"]["input_audio_format"] == "g711_ulaw"

    builder.api.value = "ga"
    ga = preview_json(builder)
    assert ga == expected.to_event(api="ga")
    GaEvent.model_validate(ga)
    assert ga["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert ga["session"]["audio"]["input"]["turn_detection"]["threshold"] == 0.6
    assert ga["session"]["audio"]["output"]["voice"] == "marin"
    # the copy button carries exactly the previewed JSON
    data = re.search(r"data-json='([^']*)'", builder.copy_button.value).group(1)
    assert json.loads(html.unescape(data)) == ga


def test_fields_one_api_lacks_are_named_in_the_notes():
    builder = SessionBuilder()
    builder.temperature.value = "0.7"
    builder.turn_detection.value = "server_vad"
    builder.idle_timeout_ms.value = "7000"
    assert builder.value.temperature == 0.7
    assert builder.value.turn_detection.idle_timeout_ms == 7000
    assert preview_json(builder)["session"]["temperature"] == 0.7
    assert "idle_timeout_ms" in builder.notes.value  # beta has no idle timeout
    builder.api.value = "ga"
    assert "temperature" in builder.notes.value  # GA has no temperature
    assert "temperature" not in json.dumps(preview_json(builder))
    assert (
        preview_json(builder)["session"]["audio"]["input"]["turn_detection"]["idle_timeout_ms"]
        == 7000
    )


def test_null_and_unset_are_kept_apart():
    builder = SessionBuilder()
    builder.transcription.value = "off"
    builder.tracing.value = "off"
    builder.turn_detection.value = "server_vad"
    builder.idle_timeout_ms.value = "null"
    body = preview_json(builder)["session"]
    assert body["input_audio_transcription"] is None
    assert body["tracing"] is None
    assert "input_audio_noise_reduction" not in body  # unset: not sent
    assert builder.value.turn_detection.idle_timeout_ms is None
    assert "idle_timeout_ms" in builder.value.turn_detection.model_fields_set
    builder.transcription.value = ""
    assert "input_audio_transcription" not in preview_json(builder)["session"]


def test_nested_parameters_show_errors_by_their_field():
    builder = SessionBuilder()
    builder.transcription.value = "on"
    builder.transcription_language.value = "english"
    assert "english" in builder.error_labels["input_audio_transcription.language"].value
    builder.transcription_language.value = "en"
    assert builder.value.input_audio_transcription.language == "en"

    builder.tracing.value = "custom"
    builder.tracing_metadata.value = "{not json"
    assert "JSON" in builder.error_labels["tracing.metadata"].value
    builder.tracing_metadata.value = '{"team": "voice"}'
    builder.tracing_workflow_name.value = "support"
    assert builder.value.tracing.metadata == {"team": "voice"}
    assert builder.value.tracing.workflow_name == "support"


def test_tools_as_json_and_the_cross_field_tool_choice_check():
    builder = SessionBuilder()
    builder.tools.value = "[{'name': 'x'}]"  # not JSON
    assert "tools" in builder.errors and "JSON" in builder.errors["tools"]
    tools = [
        {
            "name": "get_weather",
            "description": "Weather now",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    builder.tools.value = json.dumps(tools)
    builder.tool_choice.value = "get_weather"
    assert builder.errors == {}
    assert builder.value.tools[0].name == "get_weather"
    assert preview_json(builder)["session"]["tools"] == [{"type": "function", **tools[0]}]
    builder.tool_choice.value = "get_time"  # not one of the tools: a cross-field error
    assert "get_time" in builder.error_labels["tool_choice"].value
    assert builder.value.tool_choice == "get_weather"


def test_assigning_value_fills_the_form_and_round_trips():
    session = presets.telephony().replace(
        voice="cedar",
        speed=1.2,
        tools=[{"name": "lookup"}],
        tool_choice="required",
        tracing={"workflow_name": "phone"},
        max_response_output_tokens=512,
        **{"turn_detection.threshold": 0.65, "turn_detection.idle_timeout_ms": 12000},
    )
    builder = SessionBuilder()
    seen = []
    builder.observe(lambda change: seen.append(change["new"]), names="value")
    builder.value = session
    assert builder.value == session
    assert seen[-1] == session
    assert builder.input_audio_format.value == "g711_ulaw"
    assert builder.noise_reduction.value == "far_field"
    assert builder.threshold.value == 0.65
    assert builder.idle_timeout_ms.value == "12000"
    assert builder.tracing.value == "custom" and builder.tracing_workflow_name.value == "phone"
    assert SessionBuilder(session).value == session


def test_save_writes_the_previewed_event_that_loads_back(tmp_path):
    builder = SessionBuilder(presets.patient())
    builder.api.value = "ga"
    path = builder.save(tmp_path / "s.ga.json")
    assert json.loads(path.read_text()) == presets.patient().to_event(api="ga")
    assert Session.load(path) == builder.value
    assert str(path.name) in builder.save_status.value
    builder.save_path.value = str(tmp_path / "clicked.json")
    builder.save_button.click()
    assert (tmp_path / "clicked.json").exists()


def test_the_form_is_built_from_the_session_fields():
    builder = SessionBuilder()
    assert builder.temperature.placeholder == "default 0.8 (0.6 to 1.2; beta only)"
    assert builder.speed.placeholder == "default 1.0 (0.25 to 1.5)"
    assert builder.idle_timeout_ms.placeholder == "unset (5000 to 30000 or null; GA only)"
    assert builder.transcription_language.placeholder == "unset (e.g. en)"
    assert builder.speed.tooltip == Session.model_fields["speed"].description
    assert list(builder.eagerness.options) == ["low", "medium", "high", "auto"]
    assert [value for _, value in builder.input_audio_format.options] == [
        "",
        "pcm16",
        "g711_ulaw",
        "g711_alaw",
    ]
    assert "gpt-realtime" in builder.model.options and "cedar" in builder.voice.options
    assert (builder.threshold.value, builder.silence_duration_ms.value) == (0.5, 500)


def test_beta_rejects_a_ga_only_model_in_the_preview_not_the_form():
    builder = SessionBuilder()
    builder.model.value = "gpt-realtime-mini"
    assert builder.errors == {}
    assert builder.value.model == "gpt-realtime-mini"
    assert builder.event is None and "api='ga'" in html.unescape(builder.notes.value)
    with pytest.raises(ConfigError):
        builder.save()
    builder.api.value = "ga"
    assert preview_json(builder)["session"]["model"] == "gpt-realtime-mini"


# --------------------------------------------------------------------------------- Tuner


@pytest.fixture(scope="module")
def clip():
    return rtlab.datasets.load(TUNE_CLIP)


@pytest.fixture(scope="module")
def scores(clip):
    return rtlab.vad.score(clip.audio)


def expected_row(scores, session, truth):
    return metrics.score(rtlab.detect(scores, session), truth)


def bars(tuner, label):
    """Number of bars of one kind drawn in the detected lane."""
    ax = next(a for a in tuner.figure.axes if a.get_ylabel() == "detected")
    found = [c for c in ax.collections if c.get_label() == label]
    return sum(len(c.get_paths()) for c in found)


def test_tuner_follows_slider_changes(clip, scores):
    tuner = Tuner(clip, presets.api_defaults())
    assert tuner.metrics_row.equals(expected_row(scores, presets.api_defaults(), clip.truth))
    image0, table0 = tuner.image.value, tuner.metrics.value
    width, height = Image.open(io.BytesIO(image0)).size
    assert (width, height) == (880, 400)

    tuner.threshold.value = 0.7
    assert tuner.value.turn_detection.threshold == 0.7
    assert tuner.value == presets.api_defaults().replace(**{"turn_detection.threshold": 0.7})
    assert tuner.image.value != image0
    image1 = tuner.image.value

    tuner.silence_duration_ms.value = 1000
    session = presets.api_defaults().replace(
        **{"turn_detection.threshold": 0.7, "turn_detection.silence_duration_ms": 1000}
    )
    assert tuner.value == session
    expected = expected_row(scores, session, clip.truth)
    assert tuner.metrics_row.equals(expected)
    assert tuner.metrics.value != table0
    now = re.search(r"data-metric='false_cutoffs'.*?rtlab-now[^>]*>(\d+)<", tuner.metrics.value)
    assert int(now.group(1)) == int(expected["false_cutoffs"])
    assert tuner.image.value not in (image0, image1)
    # what is drawn is the new log: one stopped turn per speech bar
    stopped = tuner.event_log.turns()["end_ms"].notna().sum()
    assert bars(tuner, "detected speech") == stopped
    assert tuner.event_log.events == rtlab.detect(scores, session).events
    assert "silence_duration_ms 1000" in tuner.figure.get_suptitle()
    assert tuner.last_redraw_ms > 0


def test_tuner_semantic_vad_and_idle_timeout(clip, scores):
    tuner = Tuner(clip)
    tuner.kind.value = "semantic_vad"
    assert tuner._server_box.layout.display == "none"
    assert tuner._semantic_box.layout.display == ""
    tuner.eagerness.value = "high"
    assert tuner.value.turn_detection == SemanticVad(eagerness="high")
    assert tuner.event_log.events == rtlab.detect(scores, tuner.value).events
    assert "eagerness high" in tuner.figure.get_suptitle()

    tuner.kind.value = "server_vad"
    tuner.idle_timeout.value = True
    tuner.idle_timeout_ms.value = 5000
    assert tuner.value.turn_detection.idle_timeout_ms == 5000
    timeouts = tuner.event_log.of_type("input_audio_buffer.timeout_triggered")
    assert timeouts  # the clip has a 6 s stretch without speech
    ax = next(a for a in tuner.figure.axes if a.get_ylabel() == "detected")
    assert any(line.get_label() == "idle timeout" for line in ax.lines)
    tuner.idle_timeout.value = False
    assert tuner.value.turn_detection.idle_timeout_ms is None
    assert not tuner.event_log.of_type("input_audio_buffer.timeout_triggered")


def test_tuner_value_assignment_moves_the_sliders_and_keep(clip):
    tuner = Tuner(clip)
    target = presets.patient().replace(
        **{"turn_detection.prefix_padding_ms": 500, "turn_detection.silence_duration_ms": 4000}
    )
    before = tuner.image.value
    tuner.value = target
    assert tuner.silence_duration_ms.value == 4000  # the slider grew to hold it
    assert tuner.silence_duration_ms.max >= 4000
    assert tuner.prefix_padding_ms.value == 500
    assert tuner.value == target
    assert tuner.image.value != before
    tuner.keep_button.click()
    assert tuner.kept == [target]
    assert "silence_duration_ms 4000" in tuner.kept_view.value


def test_tuner_on_bare_audio_without_truth(clip):
    tuner = Tuner(clip.audio)
    assert tuner.metrics_row is None
    assert "No ground truth" in tuner.metrics.value
    assert [a.get_ylabel() for a in tuner.figure.axes] == ["audio", "VAD", "detected"]
    before = tuner.image.value
    tuner.prefix_padding_ms.value = 100
    assert tuner.image.value != before


def test_tuner_starts_at_the_api_defaults_and_spans_the_api_ranges(clip, scores):
    tuner = Tuner(clip.audio, scores=scores)
    server = ServerVad()
    assert (tuner.threshold.min, tuner.threshold.max) == (0.0, 1.0)
    assert (tuner.idle_timeout_ms.min, tuner.idle_timeout_ms.max) == (5000, 30000)
    tuner.kind.value = "server_vad"
    assert tuner.value.turn_detection == server
    assert (
        tuner.threshold.value,
        tuner.prefix_padding_ms.value,
        tuner.silence_duration_ms.value,
    ) == (server.threshold, server.prefix_padding_ms, server.silence_duration_ms)


def test_tuner_rejects_what_is_not_a_clip():
    with pytest.raises(ConfigError, match="clip_or_audio"):
        Tuner(42)


# --------------------------------------------------------------------------- SweepRunner


def test_parse_values():
    assert parse_values("0.3, 0.5") == [0.3, 0.5]
    assert parse_values("100:500:200") == [100, 300, 500]
    assert parse_values("0.2:0.4:0.1") == [0.2, 0.3, 0.4]
    for bad in ("", "1:2", "5:1:1", "1:5:0", "0.3,,0.5"):
        with pytest.raises(ConfigError):
            parse_values(bad)


@pytest.mark.parametrize("bad", ["0:inf:1", "0:nan:100", "nan:1:1", "0:10:nan", "0:1e308:1e-300"])
def test_parse_values_rejects_non_finite_and_huge_ranges(bad):
    with pytest.raises(ConfigError, match="'values' parameter"):
        parse_values(bad)


def test_sweep_runner_checks_values_as_you_type():
    runner = SweepRunner(["ami-debug/trn04", "ami-debug/trn05"], progress=False)
    runner.threshold_values.value = "0.4, 1.5"
    assert "1.5" in runner.error_labels["threshold"].value
    assert runner.run_button.disabled
    with pytest.raises(ConfigError):
        runner.run()
    runner.threshold_values.value = "0.4, 0.6"
    runner.silence_duration_ms_values.value = "300, 800"
    assert not runner.run_button.disabled
    assert "4 configurations × 2 clips" in runner.size.value
    runner.use_eagerness.value = True
    assert runner.grid == [
        {"type": ["server_vad"], "threshold": [0.4, 0.6], "silence_duration_ms": [300, 800]},
        {"type": ["semantic_vad"], "eagerness": ["low", "medium", "high"]},
    ]
    assert "7 configurations" in runner.size.value


def test_sweep_runner_runs_and_loads_a_row_into_a_tuner():
    clips = ["ami-debug/trn04", "ami-debug/trn05"]
    runner = SweepRunner(clips, progress=False)
    runner.threshold_values.value = "0.4, 0.6"
    runner.silence_duration_ms_values.value = "300, 1000"
    runner.run_button.click()
    grid = {"threshold": [0.4, 0.6], "silence_duration_ms": [300, 1000]}
    expected = rtlab.summarize(rtlab.sweep(clips, grid, progress=False))
    assert runner.summary.equals(expected)
    assert runner.heatmap.value[:4] == b"\x89PNG" and runner.pareto.value[:4] == b"\x89PNG"
    assert runner.heatmap.value != runner.pareto.value
    front_ids = set(rtlab.pareto(expected)["config_id"])
    assert {value for _, value in runner.rows.options} >= front_ids
    assert "Recommended" in runner.recommendation.value

    heat = runner.heatmap.value
    runner.metric.value = "latency_ms_median"
    assert runner.heatmap.value != heat

    runner.clip.value = "ami-debug/trn05"
    first = runner.rows.options[0][1]
    runner.rows.value = first
    runner.load_button.click()
    tuner = runner.tuner
    assert isinstance(tuner, Tuner) and tuner.name == "ami-debug/trn05"
    assert tuner in runner.tuner_box.children
    assert tuner.value == runner.session_for(first)
    image = tuner.image.value
    last = runner.rows.options[-1][1]
    assert last != first
    runner.rows.value = last
    runner.load_button.click()
    assert runner.tuner is tuner  # the same Tuner, loaded with the new row
    assert tuner.value == runner.session_for(last)
    assert tuner.image.value != image


def test_sweep_runner_axes_show_short_names_and_pareto_labels_do_not_overlap():
    runner = SweepRunner(["ami-debug/trn04", "ami-debug/trn05"], progress=False)
    runner.threshold_values.value = "0.3, 0.4, 0.5, 0.6, 0.7"
    runner.silence_duration_ms_values.value = "200:1400:200"
    runner.use_prefix_padding_ms.value = True
    runner.run()
    # short names shown, the full columns as values
    assert sorted(runner.x.options) == [
        ("prefix_padding_ms", "param_turn_detection.prefix_padding_ms"),
        ("silence_duration_ms", "param_turn_detection.silence_duration_ms"),
        ("threshold", "param_turn_detection.threshold"),
    ]
    assert runner.x.value == "param_turn_detection.silence_duration_ms"
    assert runner.y.value == "param_turn_detection.threshold"
    assert runner.x.label == "silence_duration_ms"
    # the front is numbered as in the rows list; no two numbers cover each other
    front = rtlab.pareto(runner.summary)
    labels = runner.pareto_labels
    assert 2 <= len(labels) <= min(8, len(front))
    ids = {int(text.get_text().split()[0].lstrip("#")) for text in labels}
    assert ids <= set(front["config_id"])
    row_ids = {value for _, value in runner.rows.options}
    assert ids <= row_ids
    fig = labels[0].figure
    renderer = fig.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


def test_builder_sections_flag_errors_and_error_labels_take_no_room_when_empty():
    builder = SessionBuilder(Session(turn_detection=ServerVad()))
    titles = list(builder.sections.titles)
    assert titles[0] == "Turn detection" and builder.sections.selected_index == 0
    assert len(titles) == 6 and not any("⚠" in t for t in titles)
    label = builder.error_labels["turn_detection.threshold"]
    assert label.layout.display == "none"
    # every field sits in a section
    placed = [
        child
        for section in builder.sections.children
        for box in section.children
        for child in ([box, *box.children] if hasattr(box, "children") else [box])
    ]
    for path, widget in builder._fields.items():
        holders = [c for c in placed if c is widget or widget in getattr(c, "children", ())]
        assert holders, path

    builder.threshold.value = 1.5
    assert builder.sections.titles[0] == "⚠ Turn detection"
    assert label.layout.display == "" and "Got 1.5" in label.value
    builder.temperature.value = "9"
    assert builder.sections.titles[3] == "⚠ Model and responses"
    builder.threshold.value = 0.6
    builder.temperature.value = ""
    assert not any("⚠" in t for t in builder.sections.titles)
    assert label.layout.display == "none" and label.value == ""


def test_tuner_with_an_agent_has_echo_sliders_and_counts_self_interruptions():
    clip = rtlab.datasets.conversation(0.5, seed=0)
    tuner = Tuner(clip, agent=rtlab.Agent(), echo=rtlab.Echo(return_loss_db=0, suppression_db=0))
    loud = tuner.metrics_row["self_interruptions"]
    conv = rtlab.simulate(clip, rtlab.Session(), agent=rtlab.Agent(),
                          echo=rtlab.Echo(return_loss_db=0, suppression_db=0))  # fmt: skip
    assert loud == rtlab.metrics.score(conv.log, conv.truth)["self_interruptions"] > 0
    before = tuner.image.value
    tuner.suppression_db.value = 40  # a good echo canceller
    assert tuner.metrics_row["self_interruptions"] < loud
    assert tuner.image.value != before
    assert "self-interruptions" in tuner.metrics.value
    assert [ax.get_ylabel() for ax in rtlab.plot.conversation(tuner.conversation).axes][
        2
    ] == "agent"
