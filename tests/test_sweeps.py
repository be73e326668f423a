"""Sweeps: grid expansion and validation, tidy tables equal to detect + score, Dask == local."""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pandas as pd
import pytest

import rtlab
from rtlab import datasets, metrics, sweeps
from rtlab.errors import ConfigError
from rtlab.sweeps import (
    ParameterGrid,
    pareto,
    recommend,
    sample_grid,
    session_for,
    summarize,
    sweep,
)
from rtlab.turns import EmulatorOptions, detect

METRICS = list(metrics.METRIC_NAMES)
DEFAULT_OPTIONS = EmulatorOptions()


@pytest.fixture(scope="module")
def meeting_clips():
    return datasets.load_all("ami-debug/trn0[4-8]")


@pytest.fixture(scope="module")
def small_clips():
    return [
        datasets.load("ami-debug/trn08"),
        datasets.load("ami-lhotse/ES2011a"),
        datasets.load("librivox/0890"),
    ]


# -- grids ---------------------------------------------------------------------------------


def test_grid_order_size_and_aliases():
    grid = ParameterGrid(
        {"threshold": [0.3, 0.5], "turn_detection.silence_duration_ms": [200, 500, 800]}
    )
    assert len(grid) == 6
    configs = list(grid)
    # keys sorted, the last one varies fastest (scikit-learn's ParameterGrid order)
    assert [c["turn_detection.silence_duration_ms"] for c in configs] == [
        200,
        200,
        500,
        500,
        800,
        800,
    ]
    assert [c["turn_detection.threshold"] for c in configs] == [0.3, 0.5] * 3
    assert [grid[i] for i in range(6)] == configs
    assert grid[-1] == configs[-1]
    with pytest.raises(IndexError):
        grid[6]


def test_list_of_grids_and_numpy_values():
    grid = ParameterGrid(
        [
            {"threshold": np.array([0.25, 0.75]), "prefix_padding_ms": range(100, 301, 100)},
            {"type": ["semantic_vad"], "eagerness": ["low", "medium", "high"]},
            {},
        ]
    )
    assert len(grid) == 2 * 3 + 3 + 1
    assert grid[6] == {"turn_detection.eagerness": "low", "turn_detection.type": "semantic_vad"}
    assert grid[9] == {}
    assert type(grid[0]["turn_detection.threshold"]) is float
    assert grid.keys == (
        "turn_detection.eagerness",
        "turn_detection.prefix_padding_ms",
        "turn_detection.threshold",
        "turn_detection.type",
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"threshold": 0.5},
        {"threshold": "0.5"},
        {"threshold": []},
        {"threshold": [0.5], "turn_detection.threshold": [0.6]},
        [],
        "threshold",
        [{"threshold": [0.5]}, ["silence_duration_ms"]],
    ],
)
def test_malformed_grids(bad):
    with pytest.raises(ConfigError):
        ParameterGrid(bad)


def test_invalid_configuration_fails_before_anything_runs(monkeypatch, small_clips):
    def no_scoring(*args, **kwargs):
        raise AssertionError("scored before validating")

    monkeypatch.setattr(rtlab.vad, "score_many", no_scoring)
    with pytest.raises(ConfigError, match=r"Configuration 2 .*threshold"):
        sweep(small_clips, {"threshold": [0.5, 0.9, 1.5]}, progress=False)
    with pytest.raises(ConfigError, match="eagerness"):
        sweep(small_clips, {"eagerness": ["low"]}, progress=False)
    with pytest.raises(ConfigError, match="metrics"):
        sweep(small_clips, {"threshold": [0.5]}, metrics=["f2"], progress=False)
    with pytest.raises(ConfigError, match="n_jobs"):
        sweep(small_clips, {"threshold": [0.5]}, n_jobs=0, progress=False)
    with pytest.raises(ConfigError, match="scheduler"):
        sweep(small_clips, {"threshold": [0.5]}, scheduler="tcp://nowhere:8786", progress=False)


def test_sample_grid():
    space = {
        "threshold": (0.3, 0.8),
        "silence_duration_ms": (200, 1200),
        "prefix_padding_ms": [100, 300],
    }
    configs = sample_grid(space, 50, seed=1)
    assert configs == sample_grid(space, 50, seed=1)
    assert len(ParameterGrid(configs)) == 50
    thresholds = [c["turn_detection.threshold"][0] for c in configs]
    silences = [c["turn_detection.silence_duration_ms"][0] for c in configs]
    assert all(0.3 <= t <= 0.8 for t in thresholds) and len(set(thresholds)) == 50
    assert all(type(s) is int and 200 <= s <= 1200 for s in silences)
    assert {c["turn_detection.prefix_padding_ms"][0] for c in configs} == {100, 300}
    finite = sample_grid(
        {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [300, 600]}, 6, seed=0
    )
    assert sorted(map(str, finite)) == sorted(
        map(
            str,
            (
                {k: [v] for k, v in c.items()}
                for c in ParameterGrid(
                    {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [300, 600]}
                )
            ),
        )
    )
    with pytest.raises(ConfigError, match="at most 6"):
        sample_grid({"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [300, 600]}, 7)
    with pytest.raises(ConfigError):
        sample_grid({"threshold": (0.8, 0.3)}, 2)
    with pytest.raises(ConfigError):
        sample_grid({"threshold": (0.1, 0.2, 0.3)}, 2)


# -- the sweep table -----------------------------------------------------------------------


def assert_rows_match_detect(table, clips, *, options=DEFAULT_OPTIONS, **score_options):
    by_name = {clip.name: clip for clip in clips}
    for row in table.itertuples(index=False):
        row = row._asdict()
        session = session_for(table, row["config_id"])
        clip = by_name[row["clip"]]
        expected = metrics.score(
            detect(clip.audio, session, options=options), clip.truth, **score_options
        )
        got = np.array([row[name] for name in METRICS], dtype=float)
        np.testing.assert_allclose(
            got,
            expected.to_numpy(),
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
            err_msg=f"config {row['config_id']} on {row['clip']}",
        )


def test_sweep_rows_equal_detect_then_score(small_clips, monkeypatch):
    one_by_one = []
    cell = sweeps._cell
    monkeypatch.setattr(
        sweeps,
        "_cell",
        lambda clip, task, payload: one_by_one.append(task.config_id) or cell(clip, task, payload),
    )
    grid = [
        {
            "threshold": [0.3, 0.6],
            "silence_duration_ms": [0, 200, 500, 1200],
            "prefix_padding_ms": [0, 300],
        },
        {"silence_duration_ms": [500], "idle_timeout_ms": [5000]},
    ]
    table = sweep(small_clips, grid, progress=False)
    assert len(table) == 17 * 3
    assert table["config_id"].tolist() == [i for i in range(17) for _ in range(3)]
    assert table["clip"].tolist()[:3] == [clip.name for clip in small_clips]
    assert table["error"].isna().all()
    assert [c for c in table.columns if c.startswith("param_")] == [
        "param_turn_detection.idle_timeout_ms",
        "param_turn_detection.prefix_padding_ms",
        "param_turn_detection.silence_duration_ms",
        "param_turn_detection.threshold",
    ]
    assert (
        table.loc[table["config_id"] == 16, "param_turn_detection.idle_timeout_ms"].eq(5000).all()
    )
    assert table.loc[table["config_id"] < 16, "param_turn_detection.idle_timeout_ms"].isna().all()
    assert not table["is_default"].any()  # threshold 0.5 is not in the first sub-grid
    # only the idle-timeout configuration leaves the batched engine
    assert one_by_one == [16, 16, 16]
    assert_rows_match_detect(table, small_clips)


def test_sweep_with_emulator_and_metric_options(small_clips):
    options = EmulatorOptions(negative_threshold_offset=0.15, min_speech_ms=96)
    score = functools.partial(
        metrics.score, collar_ms=250, hop_ms=10, tolerance_ms=0, min_turn_gap_ms=300
    )
    table = sweep(
        small_clips[:2],
        {"threshold": [0.4, 0.7], "silence_duration_ms": [300, 900]},
        options=options,
        metrics=score,
        progress=False,
    )
    assert_rows_match_detect(
        table,
        small_clips[:2],
        options=options,
        collar_ms=250,
        hop_ms=10,
        tolerance_ms=0,
        min_turn_gap_ms=300,
    )


def test_semantic_vad_and_metric_subset():
    # real utterances with known ends and long pauses, so every eagerness can end a turn
    clip = datasets.compose(
        ["librivox/0880", "librivox/0930", "ami-lhotse/ES2011a"], gaps_ms=[3000, 9000], tail_ms=9000
    )
    grid = [
        {"silence_duration_ms": [500]},
        {"type": ["semantic_vad"], "eagerness": ["low", "medium", "high"]},
    ]
    names = ["false_cutoff_rate", "latency_ms_median", "missed_turns"]
    table = sweep([clip], grid, metrics=names, progress=False)
    assert list(table.columns[-4:]) == [*names, "error"]
    assert table["is_default"].tolist() == [True, False, False, False]
    assert table["param_turn_detection.type"].tolist()[1:] == ["semantic_vad"] * 3
    for row in table.itertuples(index=False):
        expected = metrics.score(detect(clip.audio, session_for(table, row.config_id)), clip.truth)
        assert [row.false_cutoff_rate, row.latency_ms_median, row.missed_turns] == pytest.approx(
            expected[names].tolist(), nan_ok=True
        )
    latency = dict(
        zip(table["param_turn_detection.eagerness"], table["latency_ms_median"], strict=True)
    )
    assert latency["low"] > latency["medium"] > latency["high"]


def failing_metric(log, truth):
    """Frame metrics need timed speech: the transcript-only 'jfk' clip makes this raise."""
    mask = truth.speech_mask(32)
    return {"speech_frames": float(mask.sum()), "n_events": float(len(log))}


def test_failing_cell_gives_nan_and_a_warning():
    clips = [datasets.load("librivox/0930"), datasets.load("jfk")]
    with pytest.warns(RuntimeWarning, match=r"2 of 4 sweep cells failed.*jfk.*ConfigError"):
        table = sweep(clips, {"threshold": [0.4, 0.6]}, metrics=failing_metric, progress=False)
    failed = table[table["clip"] == "jfk"]
    assert failed["speech_frames"].isna().all() and failed["n_events"].isna().all()
    assert failed["error"].str.contains("speech_mask").all()
    ok = table[table["clip"] == "librivox/0930"]
    assert ok["error"].isna().all() and (ok["speech_frames"] > 0).all()
    with pytest.raises(ConfigError, match="speech_mask"):
        sweep(clips, {"threshold": [0.4]}, metrics=failing_metric, on_error="raise", progress=False)


# -- summaries -----------------------------------------------------------------------------


def test_summarize_pools_clips(meeting_clips):
    table = sweep(
        meeting_clips, {"threshold": [0.5], "silence_duration_ms": [300, 500, 1000]}, progress=False
    )
    summary = summarize(table)
    assert summary["config_id"].tolist() == [0, 1, 2]
    assert summary["n_clips"].tolist() == [5, 5, 5] and summary["n_failed"].tolist() == [0, 0, 0]
    assert summary["is_default"].tolist() == [False, True, False]
    for config_id, rows in table.groupby("config_id"):
        pooled = summary.set_index("config_id").loc[config_id]
        turns_cut = (rows["false_cutoff_rate"] * rows["n_true_turns"]).sum()
        assert pooled["false_cutoff_rate"] == pytest.approx(turns_cut / rows["n_true_turns"].sum())
        assert pooled["missed_turn_rate"] == pytest.approx(
            rows["missed_turns"].sum() / rows["n_true_turns"].sum()
        )
        assert pooled["false_cutoffs"] == rows["false_cutoffs"].sum()
        correct = rows["true_speech_ms"].sum() - rows["missed_speech_ms"].sum()
        assert pooled["precision"] == pytest.approx(
            correct / (correct + rows["false_alarm_ms"].sum())
        )
        assert pooled["latency_ms_median"] == pytest.approx(rows["latency_ms_median"].median())
    assert summarize(summary) is summary
    # longer silence: fewer cut-offs, more latency
    assert summary["false_cutoffs"].is_monotonic_decreasing
    assert summary["latency_ms_median"].is_monotonic_increasing


def test_pareto_keeps_ties_and_drops_dominated():
    summary = pd.DataFrame(
        {
            "config_id": range(6),
            "n_clips": 1,
            "latency_ms_median": [300.0, 500.0, 500.0, 900.0, 300.0, np.nan],
            "false_cutoff_rate": [0.5, 0.2, 0.2, 0.2, 0.6, 0.0],
        }
    )
    assert pareto(summary)["config_id"].tolist() == [0, 1, 2]
    assert pareto(summary, x="false_cutoff_rate", y="latency_ms_median")["config_id"].tolist() == [
        1,
        2,
        0,
    ]
    with pytest.raises(ConfigError):
        pareto(summary, x="latency")


def test_recommend_and_session_for(meeting_clips):
    base = rtlab.Session(input_audio_format="g711_ulaw")
    table = sweep(
        meeting_clips,
        {"threshold": [0.4, 0.6], "silence_duration_ms": [300, 800, 1500]},
        base=base,
        progress=False,
    )
    summary = summarize(table)
    budget = float(summary["latency_ms_median"].median())
    best = recommend(table, max_latency_ms=budget)
    fits = summary[summary["latency_ms_median"] <= budget]
    order = ["false_cutoff_rate", "latency_ms_median", "missed_turn_rate", "onset_clipping_ms_mean"]
    winner = fits.sort_values(order).iloc[0]
    assert best.turn_detection.threshold == winner["param_turn_detection.threshold"]
    assert (
        best.turn_detection.silence_duration_ms
        == winner["param_turn_detection.silence_duration_ms"]
    )
    assert best.input_audio_format == "g711_ulaw"  # the base the table remembers
    assert recommend(summary, max_latency_ms=budget) == best
    lowest = summary["latency_ms_median"].min()
    with pytest.raises(ConfigError, match=f"at least {lowest:.0f} ms"):
        recommend(table, max_latency_ms=lowest - 1)
    # through a CSV file the base is lost: pass it again
    reread = pd.read_csv(pd.io.common.StringIO(table.to_csv(index=False)))
    assert session_for(reread, 4, base=base) == session_for(table, 4)
    assert session_for(reread, 4).input_audio_format == "pcm16"
    with pytest.raises(ConfigError):
        session_for(table, 99)


def test_recommend_does_not_trade_cut_offs_for_missed_turns():
    summary = pd.DataFrame(
        {
            "config_id": [0, 1, 2, 3],
            "param_turn_detection.threshold": [0.5, 0.8, 0.4, 0.45],
            "is_default": [True, False, False, False],
            "n_clips": 1,
            "false_cutoff_rate": [0.3, 0.05, 0.2, 0.2],
            "latency_ms_median": [400.0, 350.0, 450.0, 450.0],
            "missed_turn_rate": [0.15, 0.4, 0.1, 0.1],
            "onset_clipping_ms_mean": [0.0, 0.0, 100.0, 50.0],
        }
    )
    # config 1 cuts least but misses more turns than the API defaults do
    assert recommend(summary, max_latency_ms=500).turn_detection.threshold == 0.45
    chosen = recommend(summary, max_latency_ms=500, max_missed_turn_rate=1.0)
    assert chosen.turn_detection.threshold == 0.8
    with pytest.raises(ConfigError, match=r"at least 0\.400"):
        recommend(summary, max_latency_ms=380)
    with pytest.raises(ConfigError, match="max_missed_turn_rate"):
        recommend(summary, max_latency_ms=500, max_missed_turn_rate=1.5)


# -- parallel runs -------------------------------------------------------------------------


@pytest.mark.slow
def test_processes_equal_local(small_clips):
    grid = [
        {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [200, 600]},
        {"type": ["semantic_vad"], "eagerness": ["high"]},
    ]
    local = sweep(small_clips[1:], grid, progress=False)
    parallel = sweep(small_clips[1:], grid, n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(local, parallel)


@pytest.mark.slow
def test_dask_local_cluster_equals_local(small_clips):
    distributed = pytest.importorskip("distributed")
    grid = [
        {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [200, 500, 900]},
        {"type": ["semantic_vad"], "eagerness": ["low", "high"]},
    ]
    local = sweep(small_clips, grid, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = sweep(small_clips, grid, scheduler=client, progress=False)
        assert len(client.nthreads()) == 2
        # the sweep releases what it put on the cluster (the scattered scores, the results)
        deadline = time.monotonic() + 10
        while any(client.has_what().values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(client.has_what().values())
    pd.testing.assert_frame_equal(local, remote)
    assert remote.attrs == local.attrs
    assert math.isclose(
        summarize(remote)["false_cutoff_rate"].sum(), summarize(local)["false_cutoff_rate"].sum()
    )


@pytest.mark.parametrize(
    ("call", "owner"),
    [
        (lambda table: rtlab.summarize(table), "summarize"),
        (lambda table: rtlab.pareto(table), "pareto"),
        (lambda table: rtlab.recommend(table, max_latency_ms=800), "recommend"),
    ],
)
@pytest.mark.parametrize("table", [None, [1, 2], {"config_id": [0]}])
def test_table_that_is_not_a_dataframe_is_a_config_error(call, owner, table):
    with pytest.raises(ConfigError, match=f"'table' parameter of {owner}") as info:
        call(table)
    assert info.value.field == "table"


# -- display -------------------------------------------------------------------------------


def test_short_labels_shortens_parameter_columns_for_display(small_clips):
    table = sweep(
        small_clips[:2],
        {
            "silence_duration_ms": [300, 800],
            "threshold": [0.5],
            "input_audio_noise_reduction.type": ["near_field"],
        },
        progress=False,
    )
    summary = summarize(table)
    shown = sweeps.short_labels(summary)
    params = [c for c in summary.columns if c.startswith("param_")]
    renamed = dict(zip(summary.columns, shown.columns, strict=True))
    assert {long: short for long, short in renamed.items() if long != short} == {
        "param_turn_detection.silence_duration_ms": "silence_duration_ms",
        "param_turn_detection.threshold": "threshold",
        "param_input_audio_noise_reduction.type": "input_audio_noise_reduction.type",
    }
    assert not [c for c in shown.columns if c.startswith("param_")]
    # the data and the other columns are unchanged; the input is not modified
    assert shown.to_numpy().tolist() == summary.to_numpy().tolist()
    assert [c for c in shown.columns if c in summary.columns] == [
        c for c in summary.columns if not c.startswith("param_")
    ]
    assert params and all(c in summary.columns for c in params)
    # a row of the summary: its index is renamed
    row = sweeps.short_labels(summary.iloc[0])
    assert row["silence_duration_ms"] == 300 and row["threshold"] == 0.5
    # a short name another column has already keeps its long name
    clash = summary.assign(threshold=1.0)
    assert "param_turn_detection.threshold" in sweeps.short_labels(clash).columns
    with pytest.raises(ConfigError, match="short_labels"):
        sweeps.short_labels([1, 2])
