"""`rtlab demo` and the scripted CLI commands, run for real on shipped clips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

import rtlab
from rtlab import cli
from rtlab.demo import run_demo

PNGS = [
    "timeline_defaults.png",
    "compare.png",
    "events_swimlane.png",
    "sweep_heatmap.png",
    "sweep_pareto.png",
    "sweep_tradeoff.png",
]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    numbers = run_demo(out, quick=True, notebook=False, echo=lines.append)
    return out, numbers, lines


def test_demo_writes_sessions_that_parse_back(demo_out):
    out, _, _ = demo_out
    for api in ("beta", "ga"):
        event = json.loads((out / f"session_defaults.{api}.json").read_text())
        assert event["type"] == "session.update"
        assert rtlab.Session.from_event(event).turn_detection == rtlab.ServerVad()
    recommended = rtlab.Session.load(out / "recommended_session.json")
    assert recommended.turn_detection.type == "server_vad"


def test_demo_writes_the_clip_in_every_api_format(demo_out):
    out, _, _ = demo_out
    audio = rtlab.load_audio(out / "clip.24k.wav")
    assert audio.duration_s == pytest.approx(30.0, abs=0.01)
    ulaw = (out / "clip.g711_ulaw.raw").read_bytes()
    assert len(ulaw) == pytest.approx(30.0 * 8000, abs=8)
    assert rtlab.Audio.from_g711(ulaw, "ulaw").duration_s == pytest.approx(30.0, abs=0.01)


def test_demo_event_logs_show_the_defaults_cutting_the_speaker_off(demo_out):
    out, numbers, _ = demo_out
    defaults = rtlab.EventLog.read_jsonl(out / "events_defaults.jsonl")
    patient = rtlab.EventLog.read_jsonl(out / "events_patient.jsonl")
    assert len(defaults.turns()) > len(patient.turns())
    assert numbers["defaults_false_cutoffs"] > numbers["patient_false_cutoffs"]


def test_demo_sweep_table_and_finding(demo_out):
    out, numbers, lines = demo_out
    table = pd.read_csv(out / "sweep.csv")
    assert {"config_id", "clip", "param_turn_detection.threshold", "false_cutoff_rate"} <= set(
        table
    )
    assert table["config_id"].nunique() == 9
    assert numbers["recommended_false_cutoff_rate"] <= numbers["api_false_cutoff_rate"]
    assert any("recommended" in line for line in lines)


@pytest.mark.parametrize("name", PNGS)
def test_demo_pngs_are_real_pictures(demo_out, name):
    out, _, _ = demo_out
    image = imread(out / name)
    assert image.shape[0] > 200 and image.shape[1] > 300
    assert np.std(image[..., :3]) > 0.05  # not a blank canvas


def test_demo_summary_lists_every_file(demo_out):
    out, _, _ = demo_out
    summary = (out / "summary.md").read_text()
    for name in PNGS:
        assert name in summary


def test_cli_detect_writes_log_and_plot(tmp_path, capsys, datasets_dir):
    wav = datasets_dir / "ami_pyannote_debug" / "dev00.wav"
    session = tmp_path / "s.json"
    rtlab.presets.patient().save(session)
    log_path, png = tmp_path / "log.jsonl", tmp_path / "t.png"
    code = cli.main(
        ["detect", str(wav), "--session", str(session), "--out", str(log_path), "--plot", str(png)]
    )
    assert code == 0
    log = rtlab.EventLog.read_jsonl(log_path)
    assert log.session == rtlab.presets.patient()
    assert "start_ms" in capsys.readouterr().out
    assert imread(png).shape[0] > 200


def test_cli_detect_names_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    assert cli.main(["detect", str(bad)]) == 1
    assert "notes.wav" in capsys.readouterr().err


def test_cli_session_show_prints_a_ga_event(capsys):
    assert cli.main(["session", "show", "--preset", "telephony", "--api", "ga"]) == 0
    event = json.loads(capsys.readouterr().out)
    assert event["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}


def test_cli_datasets_lists_the_shipped_clips(capsys):
    assert cli.main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "ami-debug/dev00" in out and "jfk" in out


def test_cli_sweep_writes_a_table_and_recommends(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    argv = ["sweep", "--clips", "ami-debug/dev0*", "--threshold", "0.4,0.6", "--silence", "300,800"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == 4 * 2
    printed = capsys.readouterr().out
    assert '"turn_detection"' in printed


def test_cli_sweep_without_matching_clips_is_an_error(capsys):
    assert cli.main(["sweep", "--clips", "jfk"]) == 1
    assert "jfk" in capsys.readouterr().err


def test_cli_benchmark_on_files_outside_datasets_prints_and_writes_operating_points(
    tmp_path, capsys, datasets_dir
):
    import shutil

    for stem in ("dev00", "dev01"):  # the user's own files, with their truth beside them
        shutil.copy(datasets_dir / "ami_pyannote_debug" / f"{stem}.wav", tmp_path / f"{stem}.wav")
        shutil.copy(datasets_dir / "ami_pyannote_debug" / f"{stem}.rttm", tmp_path / f"{stem}.rttm")
    files = [str(tmp_path / "dev00.wav"), str(tmp_path / "dev01.wav")]
    out = tmp_path / "bench"
    argv = ["benchmark", *files, "--detectors", "server_vad,vad_baseline", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "false_cutoff_rate_at_300ms" in printed and "vad_baseline" in printed
    points = pd.read_csv(out / "operating_points.csv", index_col=0)
    assert set(points.index) == {"server_vad", "vad_baseline"}
    table = pd.read_csv(out / "benchmark.csv")
    assert table["n_eot_spans"].iloc[0] > 0 and table["n_hold_spans"].iloc[0] > 0
    assert (out / "operating_points.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
