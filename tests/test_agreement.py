"""rtlab.compare: agreement of a reference log (live API) and an emulated log."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rtlab
from rtlab.agreement import TABLE_COLUMNS, Agreement, compare
from rtlab.events import EventLog


def make_log(turns, *, duration_ms=10_000.0) -> EventLog:
    """A log with one speech_started / speech_stopped / committed per (start, end) turn."""
    events, times = [], []
    n = 0
    for index, (start, end) in enumerate(turns, start=1):
        item = f"item_{index:04d}"
        n += 1
        events.append(
            {
                "type": "input_audio_buffer.speech_started",
                "event_id": f"event_{n:04d}",
                "audio_start_ms": start,
                "item_id": item,
            }
        )
        times.append(start + 300.0)
        if end is not None:
            n += 1
            events.append(
                {
                    "type": "input_audio_buffer.speech_stopped",
                    "event_id": f"event_{n:04d}",
                    "audio_end_ms": end,
                    "item_id": item,
                }
            )
            times.append(float(end))
    order = np.argsort(times, kind="stable")
    return EventLog(
        tuple(events[i] for i in order), tuple(times[i] for i in order), duration_ms=duration_ms
    )


@pytest.fixture(scope="module")
def clip():
    return rtlab.datasets.load("ami-debug/trn01")


def test_identical_logs_agree_fully(clip):
    log = rtlab.detect(clip.audio, rtlab.Session())
    result = compare(log, log)
    n = len(log.turns())
    assert n >= 2
    assert (result.matched, result.missing, result.extra) == (n, 0, 0)
    assert result.start_offset_ms_median == 0.0
    assert result.end_offset_ms_median == 0.0 or math.isnan(result.end_offset_ms_median)
    assert list(result.table.columns) == list(TABLE_COLUMNS)


def test_a_longer_silence_moves_turn_ends_later(clip):
    short = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
    long = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=900))
    result = compare(short, long)
    ref_turns, emu_turns = short.turns(), long.turns()
    assert result.matched + result.missing == len(ref_turns)
    assert result.matched + result.extra == len(emu_turns)
    matched = result.table[result.table["status"] == "matched"]
    # offsets are emulated minus reference, read from the logs' own turns
    ref_end = dict(zip(ref_turns["item_id"], ref_turns["end_ms"], strict=True))
    emu_end = dict(zip(emu_turns["item_id"], emu_turns["end_ms"], strict=True))
    for row in matched.itertuples():
        expected = emu_end[row.emulated_item_id] - ref_end[row.reference_item_id]
        assert row.end_offset_ms == expected or (
            math.isnan(expected) and math.isnan(row.end_offset_ms)
        )
    # a longer silence never ends a matched turn earlier; on this clip it ends later
    finite = matched["end_offset_ms"].dropna()
    assert (finite >= 0).all()
    assert result.end_offset_ms_median >= 400 - 32
    assert matched["reference_item_id"].is_unique and matched["emulated_item_id"].is_unique


def test_greedy_matching_by_overlap_missing_and_extra():
    reference = make_log([(0, 1000), (2000, 3000)])
    emulated = make_log([(100, 2900), (5000, 5500)])
    result = compare(reference, emulated)
    assert (result.matched, result.missing, result.extra) == (1, 1, 1)
    row = result.table[result.table["status"] == "matched"].iloc[0]
    # both reference turns overlap the merged one by 900 ms: the nearer start wins
    assert row["reference_item_id"] == "item_0001" and row["emulated_item_id"] == "item_0001"
    assert (
        row["start_offset_ms"] == 100 and row["end_offset_ms"] == 1900 and row["overlap_ms"] == 900
    )
    assert result.table["status"].tolist() == ["matched", "missing", "extra"]


def test_tolerance_matches_near_starts_without_overlap():
    reference = make_log([(0, 100)])
    emulated = make_log([(300, 400)])
    assert compare(reference, emulated, tolerance_ms=500).matched == 1
    strict = compare(reference, emulated, tolerance_ms=100)
    assert (strict.matched, strict.missing, strict.extra) == (0, 1, 1)
    assert math.isnan(strict.start_offset_ms_median)


def test_an_open_turn_runs_to_the_end_of_the_audio():
    reference = make_log([(1000, 2000), (6000, None)], duration_ms=9000.0)
    emulated = make_log([(1000, 2000), (8000, 8500)], duration_ms=9000.0)
    result = compare(reference, emulated, tolerance_ms=0)
    assert result.matched == 2
    open_row = result.table.iloc[1]
    assert math.isnan(open_row["reference_end_ms"]) and math.isnan(open_row["end_offset_ms"])
    assert open_row["start_offset_ms"] == 2000
    assert result.end_offset_ms_median == 0.0


def test_summary_repr_and_html(clip):
    reference = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
    emulated = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=200))
    result = compare(reference, emulated, names=("live", "emulator"))
    summary = result.summary()
    assert summary["matched"] == result.matched and summary["extra"] == result.extra
    assert repr(result).startswith(f"Agreement(matched={result.matched}, missing={result.missing}")
    page = result._repr_html_()
    assert "live vs emulator" in page and page.count("<tr") == len(result.table) + 1
    assert isinstance(result, Agreement)


def test_plot_draws_both_logs(clip):
    reference = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
    emulated = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=800))
    figure = compare(reference, emulated, names=("live API", "emulator")).plot(
        clip.audio, truth=clip.truth
    )
    labels = " ".join(ax.get_ylabel() + " " + ax.get_title() for ax in figure.axes)
    labels += " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert "live API" in labels and "emulator" in labels


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tolerance_ms": -1}, "tolerance_ms"),
        ({"tolerance_ms": float("nan")}, "tolerance_ms"),
        ({"names": ("a",)}, "names"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs, field):
    log = make_log([(0, 100)])
    with pytest.raises(rtlab.ConfigError) as info:
        compare(log, log, **kwargs)
    assert info.value.field == field


def test_logs_must_be_event_logs():
    with pytest.raises(rtlab.ConfigError, match="EventLog"):
        compare([], make_log([]))
