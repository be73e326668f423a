"""Calibration against a stand-in server: ``serve(options=hidden)`` plays a service whose
behaviour differs from the documented one; the probe records it over real websockets on
loopback, and :func:`rtlab.calibration.calibrate` must find the hidden options again.

Tolerances: ``negative_threshold_offset`` within 0.05 (the grid step), ``min_speech_ms``
and ``semantic_min_wait_ms`` within one 32 ms VAD frame, ``semantic_prefix_padding_ms``
within 1 ms (it moves ``audio_start_ms`` one for one) (only whole frames change when
events fire), ``semantic_wait_exponent`` within a factor 2^(1/4) (one grid step); the
median event-timing error must fall by at least 80 %.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from rtlab.calibration import (
    REPORT_COLUMNS,
    Calibration,
    calibrate,
    event_errors,
    load_emulator_options,
)
from rtlab.errors import ConfigError
from rtlab.probe import estimate, probe_sessions, probe_set, run_probe
from rtlab.realtime import serve
from rtlab.turns import EmulatorOptions

HIDDEN = EmulatorOptions(
    negative_threshold_offset=0.2,
    min_speech_ms=96,
    semantic_prefix_padding_ms=150,
    semantic_min_wait_ms=400,
    semantic_wait_exponent=2.0,
)


def _probe(folder, options):
    messages = []
    with serve(options=options) as server:
        index = run_probe(folder, base_url=server.url, yes=True, say=messages.append)
    return index, messages


@pytest.fixture(scope="module")
def hidden_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hidden")
    index, messages = _probe(folder, HIDDEN)
    return folder, index, messages, calibrate(folder)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("default")
    _probe(folder, None)
    return folder, calibrate(folder)


@pytest.mark.slow
def test_probe_folder_holds_every_recording(hidden_run):
    folder, index_path, messages, _ = hidden_run
    index = json.loads(index_path.read_text())
    assert index["complete"] is True
    cells = probe_sessions()
    assert [r["id"] for r in index["recordings"]] == [c.id for c in cells]
    for entry in index["recordings"]:
        for key in ("audio", "session", "session_created", "events"):
            assert (folder / entry[key]).is_file(), (entry["id"], key)
        created = json.loads((folder / entry["session_created"]).read_text())
        assert created["type"] == "session.created"
    truth = json.loads((folder / "probes" / "pauses.json").read_text())
    assert [f["pause_ms"] for f in truth["facts"]] == [100, 200, 300, 400, 500, 700, 1000, 2000]
    # the cost was announced before anything was sent, and no key was written anywhere
    assert messages[0].startswith("rtlab probe: 12 recordings") and "$" in messages[0]
    assert index["price_usd_per_audio_minute"] == pytest.approx(0.0192)
    assert "sk-" not in index_path.read_text()


@pytest.mark.slow
def test_recovers_hidden_options(hidden_run):
    *_, cal = hidden_run
    fitted = cal.options
    assert fitted.negative_threshold_offset == pytest.approx(0.2, abs=0.05)
    assert abs(fitted.min_speech_ms - 96) <= 32
    assert abs(fitted.semantic_min_wait_ms - 400) <= 32
    assert abs(math.log2(fitted.semantic_wait_exponent / 2.0)) <= 0.25 + 1e-9
    assert fitted.semantic_prefix_padding_ms == pytest.approx(150, abs=1)
    # untouched knobs stay at their defaults
    assert fitted.semantic_threshold == 0.5 and fitted.vad_model == "silero"
    assert cal.start_shift_ms == 0 and cal.end_shift_ms == 0
    for curve in cal.semantic_by_eagerness.values():
        assert abs(curve["semantic_min_wait_ms"] - 400) <= 32


@pytest.mark.slow
def test_cuts_the_median_event_timing_error(hidden_run):
    *_, cal = hidden_run
    assert cal.error_ms_before > 20  # the hidden options do change the events
    assert cal.error_ms_after <= 0.2 * cal.error_ms_before
    assert cal.error_reduction >= 0.8
    table = cal.agreement
    assert len(table) == 12
    assert (table["error_ms_after"] <= table["error_ms_before"]).all()
    assert table["extra_before"].sum() > 0 and table["extra_after"].sum() == 0


@pytest.mark.slow
def test_report_shows_what_the_hidden_server_breaks(hidden_run):
    *_, cal = hidden_run
    report = cal.report.set_index("rule")
    assert list(cal.report.columns) == list(REPORT_COLUMNS)
    semantic_stop = next(r for r in report.index if r.startswith("speech_stopped") and "wait" in r)
    row = report.loc[semantic_stop]
    assert not row["holds"] and row["residual_ms_after"] < row["residual_ms_before"]
    # session.created of the stand-in still announces the documented defaults
    defaults = cal.report[cal.report["applies_to"] == "session.created"]
    assert len(defaults) == 5 and defaults["holds"].all()


@pytest.mark.slow
def test_default_server_every_documented_rule_holds(default_run):
    _, cal = default_run
    checked = cal.report[cal.report["n_cases"] > 0]
    assert len(checked) == len(cal.report)  # the probe set gives evidence for every rule
    assert checked["holds"].all(), checked.loc[~checked["holds"], ["rule", "observed"]]
    assert cal.options == EmulatorOptions()
    assert cal.error_ms_before == cal.error_ms_after == 0
    assert cal.session_defaults["turn_detection"]["silence_duration_ms"] == 500


@pytest.mark.slow
def test_calibrated_options_plug_into_the_server(hidden_run, tmp_path):
    """A server run with the fitted options is indistinguishable from the hidden one."""
    folder, _, _, cal = hidden_run
    probes = [p for p in probe_set() if p.name == "levels"]
    cells = [c for c in probe_sessions() if c.probe == "levels"]
    with serve(options=cal.options) as server:
        run_probe(tmp_path, base_url=server.url, yes=True, probes=probes, cells=cells, say=len)
    from rtlab.events import EventLog

    for cell in cells:
        again = EventLog.read_jsonl(tmp_path / cell.id / "events.jsonl")
        hidden = EventLog.read_jsonl(folder / cell.id / "events.jsonl")
        errors = event_errors(hidden, again)
        assert (errors["error_ms"] == 0).all(), cell.id


@pytest.mark.slow
def test_save_load_and_emulator_options_file(hidden_run, tmp_path):
    *_, cal = hidden_run
    path = cal.save(tmp_path / "cal.json")
    back = Calibration.load(path)
    assert back.options == cal.options
    assert back.semantic_by_eagerness == cal.semantic_by_eagerness
    assert back.report["holds"].tolist() == cal.report["holds"].tolist()
    assert back.error_ms_before == pytest.approx(cal.error_ms_before)
    assert load_emulator_options(path) == cal.options  # what `rtlab serve` will read
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"negative_threshold_offset": 0.1}))
    assert load_emulator_options(plain) == EmulatorOptions(negative_threshold_offset=0.1)
    plain.write_text(json.dumps({"negative_threshold_offset": 2.0}))
    with pytest.raises(ConfigError, match="negative_threshold_offset"):
        load_emulator_options(plain)
    plain.write_text("[1, 2]")
    with pytest.raises(ConfigError):
        load_emulator_options(plain)


def test_declined_confirmation_sends_nothing(tmp_path):
    said = []
    result = run_probe(
        tmp_path / "out",
        base_url="ws://127.0.0.1:9/v1",  # nothing listens: sending anything would fail
        say=said.append,
        ask=lambda question: "n",
    )
    assert result is None and not (tmp_path / "out").exists()
    assert "minutes of input audio" in said[0] and "nothing sent" in said[-1]


def test_not_a_probe_folder(tmp_path):
    with pytest.raises(ConfigError, match="folder"):
        calibrate(tmp_path)


def test_estimate_matches_the_probe_audio():
    probes = {p.name: p.duration_ms for p in probe_set()}
    minutes = sum(probes[c.probe] for c in probe_sessions()) / 60000
    cost = estimate()
    assert cost.audio_minutes == pytest.approx(minutes)
    assert cost.cost_usd == pytest.approx(minutes * 0.0192)


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY")
def test_live_api_calibration(tmp_path):  # pragma: no cover - live service
    """The live API (about 4.5 audio minutes, at most $0.09): probe, fit, report."""
    index = run_probe(tmp_path, yes=True)
    cal = calibrate(tmp_path)
    assert index is not None and len(cal.agreement) == len(probe_sessions())
    assert cal.error_ms_after <= cal.error_ms_before
    cal.save(tmp_path / "calibration.json")


@pytest.mark.slow
def test_detect_applies_shifts_and_eagerness_curves(hidden_run):
    import dataclasses

    import rtlab

    *_, cal = hidden_run
    shifted = dataclasses.replace(cal, start_shift_ms=-20.0, end_shift_ms=40.0)
    clip = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=1500, tail_ms=1000)
    session = rtlab.Session()
    plain = rtlab.detect(clip.audio, session, options=cal.options).turns()
    moved = shifted.detect(clip.audio, session).turns()
    assert (moved["start_ms"] == (plain["start_ms"] - 20).clip(lower=0)).all()
    assert (moved["end_ms"] == plain["end_ms"] + 40).all()
    semantic = rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high"))
    curve = dataclasses.replace(
        cal, semantic_by_eagerness={"high": {"semantic_min_wait_ms": 640.0}}
    )
    assert curve.options_for(semantic).semantic_min_wait_ms == 640.0
    assert curve.options_for(session) == cal.options  # server_vad: the joint options
    # semantic_vad turns are never shifted (the fit has its own prefix padding and wait curve)
    assert shifted.detect(clip.audio, semantic) == cal.detect(clip.audio, semantic)


def test_cli_probe_command_asks_first(monkeypatch, tmp_path):
    import argparse

    from rtlab.probe import add_probe_command

    parser = argparse.ArgumentParser(prog="rtlab")
    add_probe_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(
        ["probe", "--out", str(tmp_path / "cal"), "--base-url", "ws://127.0.0.1:9/v1"]
    )
    monkeypatch.setattr("builtins.input", lambda question: "no")
    assert args.func(args) == 1  # declined: exit status 1, nothing written
    assert not (tmp_path / "cal").exists()
