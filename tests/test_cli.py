"""The ``rtlab`` command line on a user's own files: copies of shipped clips in tmp_path."""

from __future__ import annotations

import argparse
import json
import re
import shutil

import pandas as pd
import pytest
from matplotlib.image import imread

import rtlab
from rtlab import cli


@pytest.fixture
def calls(tmp_path, datasets_dir):
    """Two meeting recordings with their RTTM beside them, and one without truth, outside
    datasets/ (as a user keeps them)."""
    folder = tmp_path / "calls"
    folder.mkdir()
    for stem in ("dev00", "dev01"):
        for suffix in (".wav", ".rttm"):
            src = datasets_dir / "ami_pyannote_debug" / f"{stem}{suffix}"
            shutil.copy(src, folder / f"{stem}{suffix}")
    shutil.copy(datasets_dir / "ami_pyannote_debug" / "trn04.wav", folder / "bare.wav")
    return folder


def printed_number(text: str, pattern: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return float(match.group(1))


def test_detect_scores_files_with_their_truth_beside_them(calls, capsys, tmp_path):
    files = [str(calls / "dev00.wav"), str(calls / "dev01.wav")]
    plots, logs = tmp_path / "plots", tmp_path / "logs"
    assert cli.main(["detect", *files, "--plot", str(plots), "--out", str(logs)]) == 0
    out = capsys.readouterr().out
    for stem in ("dev00", "dev01"):
        clip = rtlab.corpora.from_files([calls / f"{stem}.wav"])[0]
        log = rtlab.EventLog.read_jsonl(logs / f"{stem}.jsonl")
        row = rtlab.metrics.score(log, clip.truth)
        block = out.split(f"{stem}.wav (")[1].split("\n\n")[0]
        cut = printed_number(block, r"(\d+) false cut-offs")
        assert cut == row["false_cutoffs"]
        assert printed_number(block, r"/ (\d+) true turns") == row["n_true_turns"]
        assert imread(plots / f"{stem}.png").shape[0] > 200
    # no empty transcript column: the emulator transcribes nothing here
    assert "transcript" not in out and "None" not in out
    assert "start_ms" in out and "end_ms" in out


def test_detect_takes_truth_files_given_and_says_when_it_cannot_score(calls, capsys, tmp_path):
    truth = tmp_path / "elsewhere" / "reference.rttm"
    truth.parent.mkdir()
    shutil.copy(calls / "dev00.rttm", truth)
    text = truth.read_text().replace(" dev00 ", " bare ")
    truth.write_text(text)
    session = tmp_path / "patient.json"
    rtlab.presets.patient().save(session)
    argv = ["detect", str(calls / "bare.wav"), "--truth", str(truth), "--session", str(session)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    silence_ms = rtlab.presets.patient().turn_detection.silence_duration_ms
    assert f"silence_duration_ms {silence_ms}:" in out
    assert "scored against reference.rttm" in out
    assert cli.main(["detect", str(calls / "bare.wav")]) == 0
    assert "not scored" in capsys.readouterr().out


def test_detect_names_missing_files_and_wrong_truth_counts(calls, capsys):
    assert cli.main(["detect", str(calls / "absent.wav")]) == 1
    assert "absent.wav" in capsys.readouterr().err
    argv = ["detect", str(calls / "dev00.wav"), "--truth", "a.csv", "b.csv"]
    assert cli.main(argv) == 1
    assert "one per audio file" in capsys.readouterr().err


def test_sweep_files_with_semantic_vad_and_any_session_field(calls, capsys, tmp_path):
    out = tmp_path / "sweep.csv"
    argv = [
        "sweep",
        str(calls / "dev00.wav"),
        str(calls / "dev01.wav"),
        "--type",
        "server_vad,semantic_vad",
        "--threshold",
        "0.5",
        "--silence",
        "300,800",
        "--param",
        "turn_detection.eagerness=low,high",
        "--param",
        "input_audio_noise_reduction.type=near_field",
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out)
    assert set(table["clip"]) == {"dev00", "dev01"}
    assert table["config_id"].nunique() == 2 + 2  # two silences, two eagernesses
    assert set(table["param_turn_detection.type"]) == {"server_vad", "semantic_vad"}
    assert set(table["param_turn_detection.eagerness"].dropna()) == {"low", "high"}
    assert set(table["param_input_audio_noise_reduction.type"]) == {"near_field"}
    # the printed table is the pooled summary of the written one
    summary = rtlab.summarize(table)
    low = summary[summary["param_turn_detection.eagerness"] == "low"].iloc[0]
    (line,) = [ln for ln in printed.splitlines() if " low " in ln]
    assert f"{low['false_cutoff_rate']:.3g}" in line.split()
    # the recommendation is a GA session.update event rtlab reads back
    event = json.loads(printed[printed.index("{") :])
    assert event["session"]["type"] == "realtime"
    best = rtlab.Session.from_event(event)
    assert best.input_audio_noise_reduction.type == "near_field"


def test_sweep_grid_file_and_shipped_clips(capsys, tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps([{"type": ["semantic_vad"], "eagerness": ["low", "auto"]}]))
    out = tmp_path / "t.csv"
    argv = ["sweep", "--clips", "ami-debug/dev0*", "--grid", str(grid), "--out", str(out)]
    assert cli.main([*argv, "--api", "beta"]) == 0
    table = pd.read_csv(out)
    assert sorted(set(table["param_turn_detection.eagerness"])) == ["auto", "low"]
    assert len(table) == 2 * 2
    printed = capsys.readouterr().out
    event = json.loads(printed[printed.index("{") :])
    assert event["session"]["turn_detection"]["type"] == "semantic_vad"  # the beta shape
    # a grid file says it all: value options with it are refused
    assert cli.main([*argv, "--threshold", "0.4"]) == 1
    assert "--grid takes the whole grid" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--type", "server"], "server_vad or semantic_vad"),
        (["--param", "silence_duration_ms"], "PATH=V1,V2"),
        (["--type", "semantic_vad", "--param", "silence_duration_ms=200"], "eagerness"),
        (["--param", "type=semantic_vad"], "--type"),
    ],
)
def test_sweep_rejects_bad_grids_with_one_line(calls, capsys, extra, message):
    assert cli.main(["sweep", str(calls / "dev00.wav"), *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rtlab: error:") and message in err
    assert len(err.strip().splitlines()) == 1


def test_sweep_refuses_files_without_timed_truth(calls, capsys):
    assert cli.main(["sweep", str(calls / "bare.wav")]) == 1
    assert "bare.wav" in capsys.readouterr().err


def test_session_show_turns_a_session_file_into_either_api(tmp_path, capsys):
    session = rtlab.presets.noisy_room()
    path = tmp_path / "mine.json"
    session.save(path)
    for api in ("ga", "beta"):
        assert cli.main(["session", "show", str(path), "--api", api]) == 0
        event = json.loads(capsys.readouterr().out)
        assert event == session.to_event(api=api)
        assert rtlab.Session.from_event(event) == session
    # a GA event file works as input too
    ga = tmp_path / "ga.json"
    ga.write_text(json.dumps(session.to_event(api="ga")))
    assert cli.main(["session", "show", str(ga), "--api", "beta"]) == 0
    assert json.loads(capsys.readouterr().out) == session.to_event(api="beta")
    assert cli.main(["session", "show", str(ga), "--preset", "patient"]) == 1
    capsys.readouterr()
    # GA is the current interface: the default of the command and of Session.to_event
    assert cli.main(["session", "show", str(path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == session.to_event() == session.to_event(api="ga") != session.to_event("beta")
    assert shown["session"]["type"] == "realtime"


def test_help_is_plain_text_and_every_option_explains_itself(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for markup in ("``", ":func:", ":class:", "::"):
        assert markup not in text
    assert "rtlab detect call.wav" in text
    missing = []

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
            elif not action.help:
                missing.append(" ".join([*path, action.dest]))

    walk(cli.build_parser(), ["rtlab"])
    assert missing == []
