"""rtlab.plot: what each plot draws (spans, markers, limits, labels), image baselines, hygiene.

Image baselines live in tests/baseline_images/. Regenerate them after an intended change with

    RTLAB_UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/test_plot.py -k baseline

and look at the new PNGs before committing them. They are compared with matplotlib's
``compare_images`` at an RMS tolerance of ``TOLERANCE`` (fixed figure size and dpi; inputs are
shipped clips scored by the real Silero model, which is deterministic).
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images

import rtlab
from rtlab import datasets, metrics, plot
from rtlab.errors import ConfigError
from rtlab.vad import FrameScores

ROOT = Path(__file__).resolve().parents[1]
BASELINES = Path(__file__).resolve().parent / "baseline_images"
TOLERANCE = 10.0
UPDATE = os.environ.get("RTLAB_UPDATE_BASELINES") == "1"
PLOT_SOURCES = [ROOT / "rtlab" / "plot.py", *sorted((ROOT / "rtlab").glob("_plot_*.py"))]


# -- fixtures: real clips, real Silero scores ------------------------------------------------


@pytest.fixture(scope="module")
def trn04():
    clip = datasets.load("ami-debug/trn04")
    scores = rtlab.vad.score(clip.audio)
    return clip, scores, rtlab.detect(scores, rtlab.Session())


@pytest.fixture(scope="module")
def trn09():
    clip = datasets.load("ami-debug/trn09")
    scores = rtlab.vad.score(clip.audio)
    logs = {
        "silence 200 ms": rtlab.detect(scores, rtlab.ServerVad(silence_duration_ms=200)),
        "API defaults": rtlab.detect(scores, rtlab.Session()),
        "threshold 0.7, silence 1000 ms": rtlab.detect(
            scores, rtlab.ServerVad(threshold=0.7, silence_duration_ms=1000)
        ),
    }
    return clip, scores, logs


@pytest.fixture(scope="module")
def sweep_table():
    clips = [datasets.load(f"ami-debug/trn0{i}") for i in (4, 6, 9)]
    grid = {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [200, 500, 1000]}
    return rtlab.sweep(clips, grid, progress=False)


@pytest.fixture(scope="module")
def long_call(trn04):
    """A 30 min call: the trn04 meeting excerpt 60 times over, with its real Silero scores."""
    clip, scores, _ = trn04
    audio = rtlab.Audio(np.tile(clip.audio.samples, 60), source="long_call.wav")
    n_frames = int(audio.duration_ms // scores.hop_ms)
    probabilities = np.resize(np.asarray(scores.probabilities), n_frames)
    long_scores = FrameScores(
        probabilities=probabilities.astype(np.float32),
        hop_ms=scores.hop_ms,
        model=scores.model,
        fingerprint=audio.fingerprint,
        duration_ms=audio.duration_ms,
        audio=audio,
    )
    return audio, long_scores, rtlab.detect(long_scores, rtlab.Session())


# -- helpers ---------------------------------------------------------------------------------


def lane(fig, name):
    (axis,) = [ax for ax in fig.axes if ax.get_ylabel() == name]
    return axis


def collection(ax, label):
    found = [c for c in ax.collections if c.get_label() == label]
    assert len(found) == 1, f"{label!r}: {[c.get_label() for c in ax.collections]}"
    return found[0]


def spans(poly: PolyCollection) -> np.ndarray:
    """(x0, x1) of every bar of a broken_barh collection, sorted, shape (n, 2)."""
    out = sorted((p.vertices[:, 0].min(), p.vertices[:, 0].max()) for p in poly.get_paths())
    return np.asarray(out, dtype=float).reshape(-1, 2)


def assert_spans(poly: PolyCollection, starts, ends) -> None:
    np.testing.assert_allclose(spans(poly), np.column_stack([starts, ends]), atol=1e-9)


def line(ax, label):
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, f"{label!r}: {[ln.get_label() for ln in ax.get_lines()]}"
    return found[0]


def check_baseline(fig: Figure, name: str, tmp_path: Path) -> None:
    expected = BASELINES / name
    if UPDATE:
        BASELINES.mkdir(exist_ok=True)
        fig.savefig(expected, dpi=72)
        pytest.skip(f"baseline {name} written")
    actual = tmp_path / name
    fig.savefig(actual, dpi=72)
    assert expected.exists(), f"missing {expected}: run with RTLAB_UPDATE_BASELINES=1"
    result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert result is None, result


# -- timeline --------------------------------------------------------------------------------


def test_timeline_draws_each_turn_as_padding_speech_and_silence_tail(trn04):
    clip, scores, log = trn04
    fig = plot.timeline(clip.audio, log, scores=scores, truth=clip.truth)
    assert isinstance(fig, Figure)
    assert [ax.get_ylabel() for ax in fig.axes] == ["audio", "VAD", "detected", "truth"]
    for ax in fig.axes:
        assert ax.get_xlim() == pytest.approx((0.0, clip.audio.duration_s))
    assert fig.axes[-1].get_xlabel() == "time (s)"

    turns = log.turns()
    stopped = turns[np.isfinite(turns["end_ms"])]
    assert len(stopped) >= 3
    start_s = stopped["start_ms"].to_numpy() / 1000
    end_s = stopped["end_ms"].to_numpy() / 1000
    detected = lane(fig, "detected")
    # defaults: 300 ms of prefix padding, then speech, then the 500 ms silence tail
    assert_spans(collection(detected, "prefix padding"), start_s, start_s + 0.3)
    assert_spans(collection(detected, "silence tail"), end_s - 0.5, end_s)
    assert_spans(collection(detected, "detected speech"), start_s + 0.3, end_s - 0.5)
    # the last turn is still going when the clip ends
    open_turns = turns[~np.isfinite(turns["end_ms"])]
    if len(open_turns):
        assert spans(collection(detected, "not stopped"))[0][0] == pytest.approx(
            open_turns["start_ms"].iloc[0] / 1000
        )
    frame = log.to_frame()
    commits = frame.loc[frame["type"] == "input_audio_buffer.committed", "emitted_ms"] / 1000
    segments = collection(detected, "commit")
    assert isinstance(segments, LineCollection)
    assert sorted(s[0, 0] for s in segments.get_segments()) == pytest.approx(sorted(commits))


def test_timeline_vad_lane_shows_probabilities_and_threshold(trn04):
    clip, scores, log = trn04
    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.65))
    log = rtlab.detect(scores, session)
    fig = plot.timeline(clip.audio, log, scores=scores)
    vad = lane(fig, "VAD")
    assert line(vad, "threshold 0.65").get_ydata() == pytest.approx([0.65, 0.65])
    (steps,) = [p for p in vad.patches if p.get_label() == "speech probability"]
    values, edges, _ = steps.get_data()
    assert values == pytest.approx(np.asarray(scores.probabilities)[: len(values)])
    assert len(values) >= scores.n_frames - 1
    assert edges[1] - edges[0] == pytest.approx(scores.hop_ms / 1000)


def test_timeline_truth_lane_and_outcome_markers(trn04):
    clip, scores, log = trn04
    fig = plot.timeline(clip.audio, log, scores=scores, truth=clip.truth)
    truth = lane(fig, "truth")
    assert_spans(collection(truth, "true speech"), clip.truth.speech[:, 0], clip.truth.speech[:, 1])
    ticks = [t.get_text() for t in truth.get_yticklabels()]
    assert ticks[0] == "speech" and set(ticks[1:]) == set(clip.truth.speakers)
    outcomes = metrics.turn_outcomes(log, clip.truth)
    cut = outcomes[outcomes["outcome"] == "false_cutoff"]
    assert len(cut) >= 1  # trn04 has a speaker pausing inside a turn
    marks = line(lane(fig, "detected"), "false cut-off")
    assert sorted(marks.get_xdata()) == pytest.approx(sorted(cut["time_s"]))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for entry in ("prefix padding", "detected speech", "silence tail", "commit", "true speech"):
        assert entry in legend
    no_marks = plot.timeline(clip.audio, log, truth=clip.truth, mark_outcomes=False)
    assert not [
        ln for ln in lane(no_marks, "detected").get_lines() if ln.get_label() == "false cut-off"
    ]


def test_timeline_marks_idle_timeouts():
    clip = datasets.load("ami-debug/trn01")  # long silences
    scores = rtlab.vad.score(clip.audio)
    log = rtlab.detect(scores, rtlab.ServerVad(idle_timeout_ms=5000))
    emitted = log.timeouts()["emitted_ms"].to_numpy() / 1000
    assert len(emitted) >= 1
    fig = plot.timeline(clip.audio, log)
    marks = line(lane(fig, "detected"), "idle timeout")
    assert marks.get_xdata() == pytest.approx(emitted)
    assert marks.get_marker() == "X"


def test_timeline_zoom_window_limits_and_labels(trn04):
    clip, scores, log = trn04
    items = log.turns()
    texts = {item: f"turn {item}" for item in items["item_id"]}
    fig = plot.timeline(clip.audio, log, scores=scores, transcript=texts, start_s=10.0, end_s=20.0)
    audio_lane = lane(fig, "audio")
    assert audio_lane.get_xlim() == (10.0, 20.0)
    xs = collection(audio_lane, "_envelope").get_paths()[0].vertices[:, 0]
    assert xs.min() >= 10.0 - 1e-3 and xs.max() <= 20.0 + 1e-3
    # a quarter of a second: the samples themselves
    close = plot.timeline(clip.audio, log, start_s=12.0, end_s=12.25)
    (wave,) = [ln for ln in lane(close, "audio").get_lines() if ln.get_label() == "_waveform"]
    i0 = 12 * 24000
    np.testing.assert_array_equal(wave.get_ydata(), clip.audio.samples[i0 : i0 + 6000] / 32768)
    end_ms = items["end_ms"].fillna(clip.audio.duration_ms)
    inside = items[(items["start_ms"] <= 20000) & (end_ms >= 10000)]
    shown = [t for t in lane(fig, "detected").texts if t.get_label() == "_transcript"]
    assert 1 <= len(shown) <= len(inside)
    assert all(10.0 <= t.get_position()[0] <= 20.0 for t in shown)
    with pytest.raises(ConfigError, match="start_s"):
        plot.timeline(clip.audio, log, start_s=5.0, end_s=5.0)


def test_timeline_of_a_30_minute_call_uses_an_envelope_and_hides_dense_text(long_call):
    audio, scores, log = long_call
    assert audio.duration_s == pytest.approx(1800.0, abs=0.01)
    texts = {item: "some words said in this turn" for item in log.turns()["item_id"]}
    assert len(texts) > 100
    started = time.perf_counter()
    fig = plot.timeline(audio, log, scores=scores, transcript=texts)
    FigureCanvasAgg(fig).draw()
    elapsed = time.perf_counter() - started
    assert elapsed < 10.0
    audio_lane = lane(fig, "audio")
    assert not [ln for ln in audio_lane.get_lines() if len(ln.get_xdata()) > 10_000]
    envelope = collection(audio_lane, "_envelope")
    assert len(envelope.get_paths()[0].vertices) < 5000
    # the envelope keeps the loudest samples
    peak = np.abs(audio.samples.astype(np.float64)).max() / 32768
    assert np.abs(envelope.get_paths()[0].vertices[:, 1]).max() == pytest.approx(peak, rel=1e-3)
    detected = lane(fig, "detected")
    assert not [t for t in detected.texts if t.get_label() == "_transcript"]
    assert [t for t in detected.texts if "zoom in" in t.get_text()]
    # zoomed to 30 s: the envelope covers the window only, and the transcripts come back
    zoom = plot.timeline(audio, log, transcript=texts, start_s=600.0, end_s=630.0)
    xs = collection(lane(zoom, "audio"), "_envelope").get_paths()[0].vertices[:, 0]
    assert xs.min() >= 600.0 - 1e-3 and xs.max() <= 630.0 + 1e-3
    shown = [t for t in lane(zoom, "detected").texts if t.get_label() == "_transcript"]
    assert shown and all(600.0 <= t.get_position()[0] <= 630.0 for t in shown)


def test_timeline_in_a_given_axes_replaces_it(trn04):
    clip, scores, log = trn04
    fig = Figure()
    ax = fig.add_subplot(2, 1, 2)
    top = fig.add_subplot(2, 1, 1)
    out = plot.timeline(clip.audio, log, scores=scores, ax=ax)
    assert out is fig
    assert ax not in fig.axes and top in fig.axes
    assert [a.get_ylabel() for a in fig.axes[1:]] == ["audio", "VAD", "detected"]


# -- compare ---------------------------------------------------------------------------------


def test_compare_stacks_configurations_against_the_same_truth(trn09):
    clip, scores, logs = trn09
    fig = plot.side_by_side(clip.audio, logs, truth=clip.truth, scores=scores)
    assert [ax.get_ylabel() for ax in fig.axes] == ["audio", "VAD", "truth", *logs]
    for name, log in logs.items():
        ax = lane(fig, name)
        stopped = log.turns()["end_ms"].notna().sum()
        assert len(spans(collection(ax, "silence tail"))) == stopped
        outcomes = metrics.turn_outcomes(log, clip.truth)
        n_cut = int((outcomes["outcome"] == "false_cutoff").sum())
        (summary,) = [t for t in ax.texts if t.get_label() == "_summary"]
        assert summary.get_text().startswith(f"{n_cut} false cut-off")
        cut_marks = [ln for ln in ax.get_lines() if ln.get_label() == "false cut-off"]
        assert sum(len(ln.get_xdata()) for ln in cut_marks) == n_cut
    # shorter silence, more cut-offs: the picture shows it
    short = metrics.turn_outcomes(logs["silence 200 ms"], clip.truth)
    default = metrics.turn_outcomes(logs["API defaults"], clip.truth)
    assert (short["outcome"] == "false_cutoff").sum() > (default["outcome"] == "false_cutoff").sum()
    vad = lane(fig, "VAD")
    thresholds = sorted(
        ln.get_ydata()[0] for ln in vad.get_lines() if ln.get_label().startswith("threshold")
    )
    assert thresholds == pytest.approx([0.5, 0.7])
    with pytest.raises(ConfigError, match="logs"):
        plot.side_by_side(clip.audio, {})


def test_compare_keeps_counts_off_the_markers_and_shows_server_vad_thresholds_once(trn09):
    clip, scores, logs = trn09
    logs = {
        **logs,
        "same threshold": rtlab.detect(scores, rtlab.ServerVad(silence_duration_ms=800)),
        "semantic_vad": rtlab.detect(scores, rtlab.SemanticVad()),
    }
    fig = plot.side_by_side(clip.audio, logs, truth=clip.truth, scores=scores)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    for name in logs:
        ax = lane(fig, name)
        (summary,) = [t for t in ax.texts if t.get_label() == "_summary"]
        box = summary.get_window_extent(renderer)
        # the counts sit above the lane, so no marker or bar inside it can cover them
        assert box.y0 >= ax.get_window_extent(renderer).y1 - 0.5
        for marks in ax.get_lines():
            for x, y in zip(marks.get_xdata(), marks.get_ydata(), strict=True):
                px, py = ax.transData.transform((x, y))
                half = marks.get_markersize() / 72 * fig.dpi / 2
                assert not (box.x0 - half < px < box.x1 + half and box.y0 - half < py < box.y1)
    vad = lane(fig, "VAD")
    lines = [ln for ln in vad.get_lines() if ln.get_label().startswith("threshold")]
    # server_vad thresholds only (0.5 shared by three configurations, 0.7), each once
    assert sorted(ln.get_label() for ln in lines) == ["threshold 0.5", "threshold 0.7"]
    assert not [t for t in vad.texts if t.get_label() == "_threshold names"]


def test_titles_name_composed_and_noisy_audio_readably():
    track = datasets.compose(["librivox/0870", "librivox/0880"], seed=1, tail_ms=2000)
    noisy = rtlab.noise.mix(track.audio, "babble", snr_db=5, seed=7)
    log = rtlab.detect(noisy, rtlab.Session())
    fig = plot.side_by_side(noisy, {"API defaults": log}, truth=track.truth)
    title = fig.get_suptitle()
    assert title == "composed of librivox/0870, 0880 + babble noise at 5 dB SNR"
    assert track.name.removeprefix("composed/") not in title
    # a file path loses its folders (pictures do not depend on where the file is)
    audio = rtlab.Audio(track.audio.samples, source="/home/me/calls/monday.wav")
    fig = plot.timeline(audio, rtlab.detect(audio, rtlab.Session()))
    assert fig.get_suptitle().startswith("monday.wav — server_vad: threshold 0.5")


# -- events ----------------------------------------------------------------------------------


def test_events_swimlane_places_each_event_at_its_emitted_time(trn04):
    _, _, log = trn04
    ax = plot.events(log, ax=Figure().add_subplot())
    frame = log.to_frame()
    rows = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert list(rows)[:3] == ["speech_started", "speech_stopped", "committed"]
    for label, full in (
        ("speech_started", "input_audio_buffer.speech_started"),
        ("speech_stopped", "input_audio_buffer.speech_stopped"),
        ("committed", "input_audio_buffer.committed"),
    ):
        (points,) = [c for c in ax.collections if c.get_label() == label]
        offsets = points.get_offsets()
        expected = frame.loc[frame["type"] == full, "emitted_ms"].to_numpy() / 1000
        assert sorted(offsets[:, 0]) == pytest.approx(sorted(expected))
        assert set(offsets[:, 1]) == {rows[label]}
    assert ax.get_xlabel().startswith("emitted at")
    # the lag back to the audio a speech_started refers to is drawn
    lags = [ln for ln in ax.get_lines() if ln.get_label() == "_audio time"]
    assert len(lags) == frame["audio_start_ms"].notna().sum() + frame["audio_end_ms"].notna().sum()


def test_events_title_names_the_configuration_or_what_the_caller_says(trn04):
    _, _, log = trn04
    ax = plot.events(log, ax=Figure().add_subplot())
    assert ax.get_title(loc="left") == (
        "server events — server_vad: threshold 0.5, prefix_padding_ms 300, silence_duration_ms 500"
    )
    ax = plot.events(log, title="trn04, API defaults", ax=Figure().add_subplot())
    assert ax.get_title(loc="left") == "trn04, API defaults"


def test_single_axes_plots_default_to_the_current_axes(trn04, sweep_table):
    _, _, log = trn04
    fig = plt.figure()
    try:
        current = plt.gca()
        assert plot.events(log) is current
        plt.clf()
        current = plt.gca()
        assert plot.pareto_front(sweep_table) is current
    finally:
        plt.close(fig)


# -- sweep plots -----------------------------------------------------------------------------


def test_sweep_heatmap_cells_match_the_pooled_summary(sweep_table):
    summary = rtlab.summarize(sweep_table)
    ax = plot.sweep_heatmap(
        sweep_table,
        x="silence_duration_ms",
        y="threshold",
        metric="false_cutoff_rate",
        ax=Figure().add_subplot(),
    )
    pivot = summary.pivot_table(
        index="param_turn_detection.threshold",
        columns="param_turn_detection.silence_duration_ms",
        values="false_cutoff_rate",
    )
    cells = [t for t in ax.texts if t.get_text() != "API default" and "unended" not in t.get_text()]
    assert len(cells) == 9
    for text in cells:
        j, i = text.get_position()
        value = pivot.iloc[round(i), round(j)]
        assert float(text.get_text()) == pytest.approx(value, abs=0.0051)
    # beside each value, the share of turn ends the configuration never answered
    unended = summary.pivot_table(
        index="param_turn_detection.threshold",
        columns="param_turn_detection.silence_duration_ms",
        values="missed_end_rate",
    )
    notes = [t for t in ax.texts if t.get_text().endswith(" unended")]
    assert len(notes) == int((unended.to_numpy() > 0).sum()) > 0
    for text in notes:
        j, i = text.get_position()
        share = unended.iloc[round(i + 0.22), round(j)]
        assert text.get_text() == f"{share:.0%} unended"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["200", "500", "1000"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.3", "0.5", "0.7"]
    assert ax.get_xlabel() == "silence duration (ms)"
    colourbar = ax.figure.axes[-1]
    assert colourbar.get_ylabel() == "false cut-off rate (share of true turns)"
    # the API default (0.5, 500 ms) is outlined
    (box,) = [p for p in ax.patches if p.get_label() == "API default"]
    assert box.get_xy() == pytest.approx((0.5, 0.5))
    # full column names work the same; unknown or ambiguous ones are refused
    same = plot.sweep_heatmap(
        summary,
        x="param_turn_detection.silence_duration_ms",
        y="turn_detection.threshold",
        metric="false_cutoff_rate",
        ax=Figure().add_subplot(),
    )
    assert [t.get_text() for t in same.texts] == [t.get_text() for t in ax.texts]
    with pytest.raises(ConfigError, match="'x' parameter of sweep_heatmap"):
        plot.sweep_heatmap(summary, x="eagerness", y="threshold", metric="f1")
    latency = plot.sweep_heatmap(
        summary,
        x="silence_duration_ms",
        y="threshold",
        metric="latency_ms_median",
        ax=Figure().add_subplot(),
    )
    assert latency.figure.axes[-1].get_ylabel() == "end-of-turn latency, median (ms)"


def test_sweep_heatmap_needs_only_the_table_and_says_what_it_averages(sweep_table):
    ax = plot.sweep_heatmap(sweep_table, ax=Figure().add_subplot())
    explicit = plot.sweep_heatmap(
        sweep_table,
        x="silence_duration_ms",
        y="threshold",
        metric="false_cutoff_rate",
        ax=Figure().add_subplot(),
    )
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("silence duration (ms)", "threshold")
    assert [t.get_text() for t in ax.texts] == [t.get_text() for t in explicit.texts]
    (note,) = [a for a in ax.artists if a.get_label() == "_averaged over"]
    assert note.txt.get_text() == "pooled over 3 clips"
    # a third varied parameter: each cell is a mean over it, and the title says so
    clips = [datasets.load(f"ami-debug/trn0{i}") for i in (4, 6)]
    grid = {
        "threshold": [0.4, 0.6],
        "silence_duration_ms": [300, 800],
        "prefix_padding_ms": [100, 300, 500],
    }
    table = rtlab.sweep(clips, grid, progress=False)
    ax = plot.sweep_heatmap(table, ax=Figure().add_subplot())
    (note,) = [a for a in ax.artists if a.get_label() == "_averaged over"]
    assert note.txt.get_text() == "pooled over 2 clips; mean over prefix_padding_ms 100–500"
    summary = rtlab.summarize(table)
    cell = summary[
        np.isclose(summary["param_turn_detection.threshold"], 0.4)
        & (summary["param_turn_detection.silence_duration_ms"] == 300)
    ]["false_cutoff_rate"].mean()
    (text,) = [t for t in ax.texts if t.get_position() == (0, 0)]
    assert float(text.get_text()) == pytest.approx(cell, abs=0.0051)
    # one varied parameter is not enough for a grid: a clear error
    single = rtlab.sweep(clips, {"threshold": [0.4, 0.6]}, progress=False)
    with pytest.raises(ConfigError, match="two parameters that vary"):
        plot.sweep_heatmap(single, ax=Figure().add_subplot())


def test_pareto_highlights_the_non_dominated_configurations(sweep_table):
    summary = rtlab.summarize(sweep_table)
    ax = plot.pareto_front(sweep_table, ax=Figure().add_subplot())
    xy = summary[["latency_ms_median", "false_cutoff_rate"]].dropna().to_numpy()

    def dominated(p):
        return any((q <= p).all() and (q < p).any() for q in xy)

    expected = sorted(tuple(p) for p in xy if not dominated(p))
    front = line(ax, "Pareto front")
    drawn = sorted(zip(front.get_xdata(), front.get_ydata(), strict=True))
    np.testing.assert_allclose(np.asarray(drawn), np.asarray(expected))
    (everything,) = [c for c in ax.collections if c.get_label() == "all configurations"]
    assert len(everything.get_offsets()) == len(summary)
    default = summary[summary["is_default"]]
    star = line(ax, "API default")
    assert star.get_marker() == "*"
    assert star.get_xdata() == pytest.approx(default["latency_ms_median"].to_numpy())
    assert "latency" in ax.get_xlabel() and "(ms)" in ax.get_xlabel()


def test_tradeoff_annotates_the_recommended_configuration(sweep_table):
    summary = rtlab.summarize(sweep_table)
    ax = plot.tradeoff(sweep_table, ax=Figure().add_subplot())
    best = rtlab.recommend(sweep_table).turn_detection
    row = summary[
        np.isclose(summary["param_turn_detection.threshold"], best.threshold)
        & (summary["param_turn_detection.silence_duration_ms"] == best.silence_duration_ms)
    ]
    assert len(row) == 1
    circle = line(ax, "recommended")
    assert circle.get_xdata()[0] == pytest.approx(row["latency_ms_median"].iloc[0])
    assert circle.get_ydata()[0] == pytest.approx(row["false_cutoff_rate"].iloc[0])
    (note,) = [t for t in ax.texts if t.get_text().startswith("recommended\n")]
    assert f"silence {best.silence_duration_ms}" in note.get_text()
    budget = rtlab.sweeps.LATENCY_BUDGET_MS
    assert line(ax, f"latency budget {budget:g} ms").get_xdata()[0] == budget
    assert line(ax, "API default").get_marker() == "*"
    colourbar = ax.figure.axes[-1]
    assert colourbar.get_ylabel() == "silence duration (ms)"
    # a budget nothing meets: a note, no recommendation
    budget = float(summary["latency_ms_median"].min()) - 1.0
    tight = plot.tradeoff(sweep_table, max_latency_ms=budget, ax=Figure().add_subplot())
    assert not [ln for ln in tight.get_lines() if ln.get_label() == "recommended"]
    assert any("no configuration within" in t.get_text() for t in tight.texts)


# -- hygiene: no show(), no rcParams changes, the palette ----------------------------------------


def test_plots_leave_rcparams_alone_and_never_show(trn04, trn09, sweep_table, monkeypatch):
    clip, scores, log = trn04
    before = copy.deepcopy(dict(matplotlib.rcParams))
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(1))
    monkeypatch.setattr(Figure, "show", lambda *a, **k: shown.append(1))
    plot.timeline(clip.audio, log, scores=scores, truth=clip.truth)
    plot.side_by_side(trn09[0].audio, trn09[2], truth=trn09[0].truth)
    plot.events(log, ax=Figure().add_subplot())
    plot.sweep_heatmap(
        sweep_table, "silence_duration_ms", "threshold", "f1", ax=Figure().add_subplot()
    )
    plot.pareto_front(sweep_table, ax=Figure().add_subplot())
    plot.tradeoff(sweep_table, ax=Figure().add_subplot())
    assert shown == []
    after = dict(matplotlib.rcParams)
    changed = [k for k in before if before[k] != after[k]]
    assert changed == []


def test_plot_sources_have_no_show_and_no_rcparams():
    assert len(PLOT_SOURCES) >= 3
    for path in PLOT_SOURCES:
        text = path.read_text()
        assert ".show(" not in text, path
        assert "rcParams[" not in text and "rcParams.update" not in text, path
        assert "rc_context" not in text and "matplotlib.rc(" not in text, path
        assert "style.use" not in text, path


def test_palette_is_okabe_ito_and_read_only():
    okabe_ito = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    roles = (
        "speech",
        "padding",
        "silence",
        "truth",
        "threshold",
        "false_cutoff",
        "missed",
        "commit",
    )
    assert {plot.PALETTE[r] for r in roles} <= okabe_ito
    # roles drawn next to each other stay distinct
    assert len({plot.PALETTE[r] for r in ("speech", "padding", "silence", "truth")}) == 4
    with pytest.raises(TypeError):
        plot.PALETTE["speech"] = "red"  # type: ignore[index]


# -- image baselines -------------------------------------------------------------------------


def test_baseline_timeline(trn04, tmp_path):
    clip, scores, log = trn04
    fig = plot.timeline(
        clip.audio,
        log,
        scores=scores,
        truth=clip.truth,
        title="trn04 — API defaults",
        figsize=(12, 6.5),
    )
    check_baseline(fig, "timeline_trn04.png", tmp_path)


def test_baseline_compare(trn09, tmp_path):
    clip, scores, logs = trn09
    fig = plot.side_by_side(
        clip.audio, logs, truth=clip.truth, scores=scores, title="trn09", figsize=(12, 7)
    )
    check_baseline(fig, "compare_trn09.png", tmp_path)


def test_baseline_events(trn04, tmp_path):
    _, _, log = trn04
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    plot.events(log, ax=fig.add_subplot())
    check_baseline(fig, "events_trn04.png", tmp_path)


def test_baseline_sweep_plots(sweep_table, tmp_path):
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    left, middle, right = fig.subplots(1, 3)
    plot.sweep_heatmap(
        sweep_table, x="silence_duration_ms", y="threshold", metric="false_cutoff_rate", ax=left
    )
    plot.pareto_front(sweep_table, ax=middle)
    plot.tradeoff(sweep_table, ax=right)
    check_baseline(fig, "sweeps.png", tmp_path)


def test_the_old_plot_names_still_work_and_say_the_new_ones():
    with pytest.warns(DeprecationWarning, match="side_by_side"):
        assert plot.compare is plot.side_by_side
    with pytest.warns(DeprecationWarning, match="pareto_front"):
        assert plot.pareto is plot.pareto_front


def test_a_negative_latency_on_the_axis_is_explained():
    import pandas as pd

    table = pd.DataFrame(
        {
            "config_id": [0, 1],
            "param_turn_detection.silence_duration_ms": [200, 500],
            "latency_ms_median": [-50.0, 400.0],
            "false_cutoff_rate": [0.5, 0.2],
        }
    )
    for draw in (plot.tradeoff, plot.pareto_front):
        ax = draw(
            table,
            ax=Figure().add_subplot(),
            **({"max_latency_ms": None} if draw is plot.tradeoff else {}),
        )
        assert "200 ms tolerance" in ax.get_xlabel()
    positive = table.assign(latency_ms_median=[50.0, 400.0])
    ax = plot.tradeoff(positive, ax=Figure().add_subplot(), max_latency_ms=None)
    assert "tolerance" not in ax.get_xlabel()
