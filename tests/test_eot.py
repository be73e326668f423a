"""rtlab.eot (eot-bench style evaluation), rtlab._eot_bench and rtlab._plot_eot."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rtlab
from rtlab import eot
from rtlab._eot_bench import from_eot_bench, write_eot_bench
from rtlab.annotation import Annotation
from rtlab.errors import ConfigError


@pytest.fixture(scope="module")
def dev00():
    return rtlab.datasets.load("ami-debug/dev00")


@pytest.fixture(scope="module")
def es2011a():
    return rtlab.datasets.load("ami-lhotse/ES2011a")


# -- true turns ---------------------------------------------------------------------------


def test_true_turns_never_merge_speakers_and_keep_backchannels():
    a = Annotation.from_segments(
        [[0.0, 2.0], [2.5, 4.0], [4.6, 5.0], [4.8, 5.2], [5.4, 8.0], [8.3, 9.0]],
        speakers=["A", "B", "B", "A", "B", "A"],
    )
    turns = eot.true_turns(a)
    # A, hand-over to B (B's pause 4.0-4.6 is a hold), A's 0.4 s "yeah" inside B's pause
    # is a backchannel, B goes on; then A takes the floor.
    assert [(t.speaker, t.start_s, t.end_s) for t in turns] == [
        ("A", 0.0, 2.0),
        ("B", 2.5, 8.0),
        ("A", 8.3, 9.0),
    ]


def test_true_turns_pause_limit_and_unlabelled_turns():
    a = Annotation.from_segments([[0.0, 1.0], [7.0, 8.0]], speakers=["A", "A"])
    assert len(eot.true_turns(a)) == 2  # 6 s > the 5 s limit
    assert len(eot.true_turns(a, max_pause_ms=6500)) == 1
    single = Annotation.from_segments([[0.0, 1.0], [1.5, 2.0]])  # no speakers
    assert len(eot.true_turns(single)) == 2  # kept as the reader split them
    with pytest.raises(ConfigError, match="max_pause_ms"):
        eot.true_turns(a, max_pause_ms=-1)


def test_two_speaker_hand_over_is_a_true_end(es2011a):
    # Checked against the lhotse supervisions: Headset-1 "I'M ABIGAIL CLAFLIN" 1.46-2.82 s,
    # Headset-2 "YOU CAN CALL ME ABBIE" 3.36-4.36 s; the VAD hears speaker 1 until 2.88 s and
    # speaker 2 until 4.45 s.
    spans = eot.silence_spans([es2011a])
    assert spans[["speaker", "kind", "start_ms", "end_ms"]].to_numpy().tolist() == [
        ["ES2011a.Headset-1", "eot", 2880.0, 3360.0],
        ["ES2011a.Headset-2", "eot", 4448.0, 6000.0],
    ]
    scored = eot.evaluate(spans, {es2011a.name: [3100.0]})
    first = scored.iloc[0]
    assert not first["false_cutoff"] and not first["missed_end"]
    assert first["latency_ms"] == pytest.approx(220.0)
    assert scored.iloc[1]["missed_end"]  # nothing fired after speaker 2


# -- spans on a hand-checked clip ----------------------------------------------------------


def test_spans_on_ami_dev00(dev00):
    spans = eot.silence_spans([dev00])
    assert spans.groupby("kind").size().to_dict() == {"eot": 3, "hold": 9}
    first = spans[spans["turn"] == 0]
    # MEE009's monologue (RTTM 1.44-13.31 s, one segment): four pauses, then MEE012 takes over
    assert first["kind"].tolist() == ["hold"] * 4 + ["eot"]
    assert first[["start_ms", "end_ms"]].to_numpy().tolist() == [
        [3872.0, 5696.0],
        [5920.0, 6688.0],
        [9984.0, 10496.0],
        [11200.0, 12064.0],
        [12800.0, 13152.0],
    ]
    # independent of Silero: every pause of the monologue is >= 15 dB below its speech
    x = dev00.audio.samples.astype(float)

    def level_db(a_ms, b_ms):
        seg = x[int(a_ms * 24) : int(b_ms * 24)]
        return 10 * np.log10(np.mean(seg**2))

    speech_db = level_db(1440, 12800)
    for row in first.itertuples():
        assert level_db(row.start_ms, row.end_ms) < speech_db - 15
    assert (spans["duration_ms"] >= eot.MIN_SPAN_MS).all()


def test_spans_from_words_on_librivox():
    clip = rtlab.datasets.load("librivox/0870")
    spans = eot.silence_spans([clip])  # forced-aligned words have no gap >= 100 ms
    assert spans["kind"].tolist() == ["eot"]
    assert spans["start_ms"].iloc[0] == pytest.approx(6790.0, abs=1)  # after "them"
    assert spans["end_ms"].iloc[0] == pytest.approx(clip.audio.duration_ms)


# -- missed ends --------------------------------------------------------------------------


def test_a_turn_that_never_ends_is_a_missed_end():
    clip = rtlab.datasets.load("librivox/0880")  # audio ends 250 ms after the last word
    table = eot.benchmark(
        [clip],
        detectors=["server_vad"],
        server_vad_grid={"threshold": [0.5], "silence_duration_ms": [100, 1200]},
        progress=False,
    )
    fast, slow = table.iloc[0], table.iloc[1]
    assert fast["missed_end_rate"] == 0.0
    assert slow["missed_ends"] == 1 and slow["missed_end_rate"] == 1.0
    assert slow["detect_rate"] == 0.0
    assert slow["latency_ms"] >= 1200.0  # charged, never perfect
    assert not math.isnan(slow["latency_ms"])
    assert fast["latency_ms"] < 300.0


# -- the client-side policy sweep ---------------------------------------------------------


def _random_spans(rng, n):
    kinds = rng.choice(["hold", "eot"], size=n, p=[0.7, 0.3])
    grid = np.array([100.0, 200.0, 300.0, 1000.0, 1500.0, 5000.0])
    durations = np.where(
        rng.random(n) < 0.3, rng.choice(grid, size=n), rng.uniform(100, 6000, size=n)
    )
    probabilities = np.where(
        rng.random(n) < 0.2, rng.choice([0.0, 0.5, 0.99], size=n), rng.random(n)
    )
    spans = pd.DataFrame({"kind": kinds, "duration_ms": durations})
    return spans, probabilities


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_sweep_equals_the_loop(seed):
    rng = np.random.default_rng(seed)
    spans, p = _random_spans(rng, 300)
    thresholds = [0.0, 0.3, 0.5, 0.99, 1.0]
    delays = [100.0, 200.0, 1000.0, 1500.0]
    timeouts = [200.0, 1000.0, 1500.0, 5000.0]
    table = eot.client_policies(
        spans, p, thresholds=thresholds, action_delays_ms=delays, timeouts_ms=timeouts
    )
    assert len(table) == len(thresholds) * len(delays) * len(timeouts)
    for row in table.itertuples():
        ref = eot.evaluate_policy(
            spans,
            p,
            threshold=row.param_threshold,
            action_delay_ms=row.param_action_delay_ms,
            timeout_ms=row.param_timeout_ms,
        )
        for key, value in ref.items():
            assert getattr(row, key) == pytest.approx(value, nan_ok=True), key


def test_sweep_on_real_spans_matches_eot_bench_rules(dev00):
    spans = eot.silence_spans([dev00])
    p = eot.policy_probabilities([dev00], spans)
    row = eot.evaluate_policy(spans, p, threshold=0.5, action_delay_ms=300, timeout_ms=2000)
    hold = spans[(spans["kind"] == "hold") & spans["duration_ms"].between(200, 5000)]
    ph = p[hold.index]
    fired = ((ph >= 0.5) & (hold["duration_ms"] > 300)) | (hold["duration_ms"] > 2000)
    assert row["false_cutoff_rate"] == pytest.approx(fired.mean())
    pe = p[spans["kind"] == "eot"]
    assert row["latency_ms"] == pytest.approx(np.where(pe >= 0.5, 300.0, 2000.0).mean())


def test_vad_baseline_is_timeout_only():
    spans = pd.DataFrame(
        {"kind": ["hold", "hold", "hold", "eot"], "duration_ms": [250.0, 800.0, 150.0, 400.0]}
    )
    table = eot.vad_baseline(spans, timeouts_ms=[300, 900])
    # the 150 ms hold is below eot-bench's 200 ms minimum and not counted
    assert table["false_cutoff_rate"].tolist() == [0.5, 0.0]
    assert table["latency_ms"].tolist() == [300.0, 900.0]
    assert table["missed_end_rate"].tolist() == [0.0, 1.0]


# -- operating points and frontier ---------------------------------------------------------

_metric = st.one_of(st.floats(0, 3000, allow_nan=False), st.just(math.nan))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), _metric, st.floats(0, 1) | st.just(math.nan)),
        min_size=1,
        max_size=40,
    )
)
def test_operating_points_equal_brute_force(rows):
    table = pd.DataFrame(rows, columns=["detector", "latency_ms", "false_cutoff_rate"])
    points = eot.operating_points(table)
    for detector in table["detector"].unique():
        mine = [r for r in rows if r[0] == detector]
        for budget in (300, 600):
            ok = [c for _, lat, c in mine if lat <= budget and not math.isnan(c)]
            want = min(ok) if ok else math.nan
            got = points.loc[detector, f"false_cutoff_rate_at_{budget}ms"]
            assert got == pytest.approx(want, nan_ok=True)
        for budget, name in ((0.05, "5pct"), (0.10, "10pct")):
            ok = [lat for _, lat, c in mine if c <= budget and not math.isnan(lat)]
            want = min(ok) if ok else math.nan
            assert points.loc[detector, f"latency_ms_at_{name}"] == pytest.approx(want, nan_ok=True)
    front = eot.frontier(table)
    for row in front.itertuples():
        same = table[(table["detector"] == row.detector)].dropna()
        dominated = (
            (same["latency_ms"] <= row.latency_ms)
            & (same["false_cutoff_rate"] <= row.false_cutoff_rate)
            & (
                (same["latency_ms"] < row.latency_ms)
                | (same["false_cutoff_rate"] < row.false_cutoff_rate)
            )
        )
        assert not dominated.any()


def test_operating_points_refuses_a_table_without_metrics():
    with pytest.raises(ConfigError, match="table"):
        eot.operating_points(pd.DataFrame({"detector": ["a"]}))


# -- benchmark, client session, live logs ---------------------------------------------------


def test_benchmark_side_by_side(dev00, es2011a):
    clips = [dev00, es2011a]
    log = rtlab.detect(rtlab.vad.score(dev00.audio), rtlab.Session())
    table = eot.benchmark(
        clips,
        detectors=["server_vad", "smart_turn", "vad_baseline"],
        server_vad_grid={"threshold": [0.5], "silence_duration_ms": [300, 800]},
        logs={"recorded": {dev00.name: log}},
        progress=False,
    )
    assert set(table["detector"]) == {"server_vad", "smart_turn", "vad_baseline", "recorded"}
    assert (table["n_eot_spans"] == 5).all()
    assert len(table[table["detector"] == "smart_turn"]) == 100 * 9 * 6
    points = eot.operating_points(table)
    assert list(points.columns[:4]) == [
        "false_cutoff_rate_at_300ms",
        "false_cutoff_rate_at_600ms",
        "latency_ms_at_5pct",
        "latency_ms_at_10pct",
    ]
    # a recorded log is one fixed policy, scored like the emulator that made it: the
    # API-default emulation on dev00 only, so fewer spans than the emulated grid
    recorded = table[table["detector"] == "recorded"].iloc[0]
    assert 0 <= recorded["false_cutoff_rate"] <= 1
    with pytest.raises(ConfigError, match="detectors"):
        eot.benchmark(clips, detectors=["magic"], progress=False)


def test_client_commits_session_and_events():
    track = rtlab.datasets.compose(["librivox/0870", "librivox/0890"], gaps_ms=1500, tail_ms=1000)
    session, commits = eot.client_commits(
        track, threshold=0.5, action_delay_ms=300, timeout_ms=2000
    )
    assert session.turn_detection is None
    assert session.to_event(api="beta")["session"]["turn_detection"] is None
    assert [e["type"] for _, e in commits] == ["input_audio_buffer.commit"] * 2
    ends = [t.end_s * 1000 for t in track.truth.turns]
    for (at, _), end in zip(commits, ends, strict=True):
        assert end < at < end + 600  # after the true end, within delay + VAD lag
    _, none = eot.client_commits(track, threshold=1.0, action_delay_ms=300, timeout_ms=5000)
    assert none == []  # p never reaches 1.0 and no pause lasts 5 s


# -- eot-bench parquet ---------------------------------------------------------------------


@pytest.mark.parametrize("decoded", [False, True])
def test_from_eot_bench_round_trip(tmp_path, dev00, es2011a, decoded):
    rows = []
    for ident, clip in (("d0", dev00), ("e1", es2011a)):
        spans = eot.silence_spans([clip])
        first = spans[spans["turn"] == 0]
        rows.append((ident, "en", clip.audio, (first[["start_ms", "end_ms"]] / 1000).values))
    write_eot_bench(tmp_path / "en.parquet", rows[:1], decoded=decoded)
    write_eot_bench(tmp_path / "sub" / "x.parquet", [("e1", "de", *rows[1][2:])], decoded=decoded)
    clips = from_eot_bench(tmp_path)
    assert [c.name for c in clips] == ["eot-bench/en/d0", "eot-bench/de/e1"]
    if not decoded:
        assert np.array_equal(clips[0].audio.samples, dev00.audio.samples)
    else:
        diff = np.abs(clips[0].audio.samples.astype(int) - dev00.audio.samples.astype(int))
        assert diff.max() <= 1
    got = eot.silence_spans(clips[:1], source="speech")
    want = eot.silence_spans([dev00])
    want = want[want["turn"] == 0]
    assert got["kind"].tolist() == want["kind"].tolist()
    np.testing.assert_allclose(got[["start_ms", "end_ms"]], want[["start_ms", "end_ms"]], atol=1e-6)
    assert clips[0].truth.turns[0].speaker == "user"
    assert [c.name for c in from_eot_bench(tmp_path, language="de")] == ["eot-bench/de/e1"]


def test_from_eot_bench_errors(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pytest.raises(ConfigError, match="path"):
        from_eot_bench(tmp_path / "missing")
    with pytest.raises(ConfigError, match="parquet"):
        from_eot_bench(tmp_path)
    pq.write_table(pa.Table.from_pylist([{"id": "x", "language": "en"}]), tmp_path / "bad.parquet")
    with pytest.raises(ConfigError, match="silence_spans"):
        from_eot_bench(tmp_path)


# -- plot ---------------------------------------------------------------------------------


def test_operating_points_draws_frontier_and_budgets():
    from matplotlib.figure import Figure

    from rtlab._plot_eot import operating_points

    table = pd.DataFrame(
        {
            "detector": ["a", "a", "a", "b"],
            "latency_ms": [250.0, 500.0, 700.0, 900.0],
            "false_cutoff_rate": [0.3, 0.35, 0.04, 0.2],
        }
    )
    ax = operating_points(table, ax=Figure().add_subplot(), color="k")
    lines = ax.get_lines()
    front = next(ln for ln in lines if ln.get_label() == "a")
    assert list(front.get_xdata()) == [250.0, 700.0]
    assert list(front.get_ydata()) == pytest.approx([30.0, 4.0])
    assert front.get_color() == "k"
    vertical = sorted(
        ln.get_xdata()[0]
        for ln in lines
        if len(set(ln.get_xdata())) == 1 and ln.get_label().startswith("_")
    )
    assert vertical == [300, 600]
    horizontal = sorted(
        ln.get_ydata()[0]
        for ln in lines
        if len(set(ln.get_ydata())) == 1 and ln.get_label().startswith("_")
    )
    assert horizontal == pytest.approx([5.0, 10.0])
    assert "latency (ms)" in ax.get_xlabel()


def test_recorded_log_commits_count_but_idle_timeouts_do_not(es2011a):
    from rtlab.events import EventLog

    events = (
        {"type": "input_audio_buffer.timeout_triggered", "event_id": "e1", "item_id": "i1",
         "audio_start_ms": 0, "audio_end_ms": 3000},
        {"type": "input_audio_buffer.committed", "event_id": "e2", "item_id": "i1",
         "previous_item_id": None},
        {"type": "input_audio_buffer.committed", "event_id": "e3", "item_id": "i2",
         "previous_item_id": "i1"},
    )  # fmt: skip
    log = EventLog(events=events, emitted_ms=(3000.0, 3000.0, 4700.0))
    table = eot.benchmark(
        [es2011a], detectors=[], logs={"client": {es2011a.name: log}}, progress=False
    )
    row = table.iloc[0]
    # the idle prompt at 3.0 s is not an answer to speaker 1's end (2.88-3.36 s): missed;
    # the client's commit at 4.7 s answers speaker 2's end (from 4.448 s) after 252 ms
    assert row["missed_ends"] == 1
    assert row["latency_ms_median"] == pytest.approx((eot.MISSED_END_MS + 252.0) / 2)
