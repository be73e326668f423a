"""Metrics: hand-made logs with hand-computed answers, pyannote on real clips, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rtlab
from rtlab import datasets, metrics
from rtlab.annotation import Annotation, Turn
from rtlab.errors import ConfigError
from rtlab.events import EventLog
from rtlab.turns import detect

STARTED = "input_audio_buffer.speech_started"
STOPPED = "input_audio_buffer.speech_stopped"
COMMITTED = "input_audio_buffer.committed"
TRANSCRIBED = "conversation.item.input_audio_transcription.completed"


DEFAULTS = rtlab.Session()


def make_log(turns, *, session=DEFAULTS, duration_ms=10_000.0, transcripts=None, source="emulator"):
    """A log from (audio_start_ms, started_emitted_ms, audio_end_ms or None, commit_emitted_ms)."""
    timed = []
    for k, (start, started_at, end, commit_at) in enumerate(turns, start=1):
        item = f"item_{k:04d}"
        timed.append((started_at, {"type": STARTED, "audio_start_ms": start, "item_id": item}))
        if end is not None:
            timed.append((end, {"type": STOPPED, "audio_end_ms": end, "item_id": item}))
            timed.append(
                (commit_at, {"type": COMMITTED, "item_id": item, "previous_item_id": None})
            )
        if transcripts and item in transcripts:
            text = transcripts[item]
            timed.append(
                (
                    commit_at + 300,
                    {"type": TRANSCRIBED, "item_id": item, "content_index": 0, "transcript": text},
                )
            )
    timed.sort(key=lambda pair: pair[0])
    return EventLog(
        tuple(e for _, e in timed),
        tuple(float(t) for t, _ in timed),
        session=session,
        duration_ms=duration_ms,
        source=source,
    )


# A 10 s clip: turn A = 1.0-3.0 s with a pause 2.0-2.3 s inside it, turn B = 6.0-7.0 s.
TRUTH = Annotation(
    [[1.0, 2.0], [2.3, 3.0], [6.0, 7.0]],
    turns=(Turn(1.0, 3.0, speaker="A"), Turn(6.0, 7.0, speaker="B")),
    duration_s=10.0,
)
# server_vad defaults: prefix 300 ms, silence 500 ms.
#  item 1: buffer from 700 (speech 1000-1700), stops at 2200 inside turn A  -> a false cut-off
#  item 2: buffer from 2100 (speech 2400-3100), stops at 3600               -> A ends, 600 ms late
#  item 3: buffer from 4200 (speech 4500-4600), stops at 5100               -> over no speech
#  item 4: buffer from 6100 (speech 6400-6900), stops at 7400, commit 7500  -> B ends, 400 ms late
LOG = make_log(
    [
        (700, 1032, 2200, 2200),
        (2100, 2432, 3600, 3600),
        (4200, 4532, 5100, 5100),
        (6100, 6432, 7400, 7500),
    ]
)


def test_hand_made_log_frame_metrics():
    row = metrics.score(LOG, TRUTH)
    true = 1000 + 700 + 1000
    detected = 700 + 700 + 100 + 500
    correct = 700 + (3000 - 2400) + 0 + 500
    assert row["true_speech_ms"] == pytest.approx(true)
    assert row["false_alarm_ms"] == pytest.approx(detected - correct)
    assert row["missed_speech_ms"] == pytest.approx(true - correct)
    assert row["precision"] == pytest.approx(correct / detected)
    assert row["recall"] == pytest.approx(correct / true)
    p, r = correct / detected, correct / true
    assert row["f1"] == pytest.approx(2 * p * r / (p + r))
    assert row["detection_error_rate"] == pytest.approx(
        ((detected - correct) + (true - correct)) / true
    )


def test_hand_made_log_turn_metrics():
    row = metrics.score(LOG, TRUTH)
    assert row["n_true_turns"] == 2
    assert row["n_detected_turns"] == 4
    assert row["false_cutoffs"] == 1
    assert row["false_cutoff_rate"] == 0.5
    assert row["missed_turns"] == 0 and row["missed_turn_rate"] == 0.0
    assert row["false_turns"] == 1
    assert row["latency_ms_median"] == pytest.approx((600 + 400) / 2)
    assert row["latency_ms_p90"] == pytest.approx(400 + 0.9 * (600 - 400))
    assert row["onset_clipping_ms_mean"] == pytest.approx((0 + 100) / 2)
    assert row["onset_clipped_rate"] == 0.5
    assert row["time_to_commit_ms_median"] == pytest.approx((600 + 500) / 2)
    assert list(row.index) == list(metrics.METRIC_NAMES)


def test_hand_made_log_on_a_frame_grid():
    # 1 s frames, speech when the frame centre (0.5 s, 1.5 s, ...) is inside a span:
    # truth frames 1, 2, 6; detected frames 1, 2, 4 (4500-4600 holds 4.5 s), 6
    row = metrics.frame_metrics(LOG, TRUTH, hop_ms=1000)
    assert row["precision"] == pytest.approx(3 / 4)
    assert row["recall"] == 1.0
    assert row["detection_error_rate"] == pytest.approx(1 / 3)


def test_tolerance_moves_a_stop_from_cut_off_to_end():
    # the stop at 2200 ms is 800 ms before the true end of turn A
    assert metrics.score(LOG, TRUTH, tolerance_ms=700)["false_cutoffs"] == 1
    relaxed = metrics.score(LOG, TRUTH, tolerance_ms=800)
    assert relaxed["false_cutoffs"] == 0
    assert relaxed["latency_ms_median"] == pytest.approx((-800 + 400) / 2)


def test_turn_table_and_outcomes():
    table = metrics.turn_table(LOG, TRUTH)
    assert table["false_cutoffs"].tolist() == [1, 0]
    assert table["item_id"].tolist() == ["item_0002", "item_0004"]
    assert table["latency_ms"].tolist() == [600.0, 400.0]
    assert table["onset_clipping_ms"].tolist() == [0.0, 100.0]
    assert table["time_to_commit_ms"].tolist() == [600.0, 500.0]
    outcomes = metrics.turn_outcomes(LOG, TRUTH)
    assert list(outcomes.columns) == ["outcome", "time_s", "start_s", "end_s", "item_id"]
    assert outcomes["outcome"].tolist() == ["false_cutoff", "false_turn", "hit"]
    assert outcomes["time_s"].tolist() == [2.2, 4.2, 7.4]
    assert outcomes["item_id"].tolist() == ["item_0001", "item_0003", "item_0004"]
    assert outcomes.iloc[0][["start_s", "end_s"]].tolist() == [1.0, 3.0]


def test_stop_that_ends_a_late_detection_is_not_the_turn_end():
    # detection starts in the silence after turn A and stops before turn B
    log = make_log([(3500, 3832, 4600, 4600)])
    row = metrics.score(log, TRUTH)
    assert math.isnan(row["latency_ms_median"])
    assert row["missed_turns"] == 2 and row["false_turns"] == 1


def test_missed_turn_and_merged_turns():
    # one detection over both turns: no end for A (it ran into B), B ends 500 ms late
    log = make_log([(700, 1032, 7500, 7500)])
    row = metrics.score(log, TRUTH)
    assert row["missed_turns"] == 0 and row["false_cutoffs"] == 0
    assert row["latency_ms_median"] == 500
    only_b = make_log([(5800, 6132, 7500, 7500)])
    row = metrics.score(only_b, TRUTH)
    assert row["missed_turns"] == 1 and row["missed_turn_rate"] == 0.5
    outcomes = metrics.turn_outcomes(only_b, TRUTH)
    missed = outcomes[outcomes["outcome"] == "missed"].iloc[0]
    assert (missed["start_s"], missed["end_s"], missed["time_s"]) == (1.0, 3.0, 2.0)
    assert missed["item_id"] is None


def test_open_turn_runs_to_the_end_of_the_audio():
    log = make_log([(5700, 6032, None, None)])
    row = metrics.score(log, TRUTH)
    # speech part 6000 .. 10000 ms: all of turn B, 3000 ms false alarm, nothing of A
    assert row["false_alarm_ms"] == pytest.approx(3000)
    assert row["missed_speech_ms"] == pytest.approx(1700)
    assert math.isnan(row["latency_ms_median"])


def test_padding_clipped_at_the_start_uses_the_emitted_time():
    truth = Annotation([[0.1, 1.0]], turns=(Turn(0.1, 1.0),), duration_s=3.0)
    # onset at 100 ms: the 300 ms padding is clipped to 0; speech_started sent at 132 ms
    log = make_log([(0, 132, 1532, 1532)], duration_ms=3000.0)
    assert metrics.score(log, truth)["false_alarm_ms"] == pytest.approx(32)
    # a live log (receive times) uses audio_start_ms + padding as it is
    live = make_log([(0, 132, 1532, 1532)], duration_ms=3000.0, source="realtime")
    assert metrics.score(live, truth)["missed_speech_ms"] == pytest.approx(200)


def test_without_session_the_committed_span_is_the_detection():
    log = make_log([(700, 1032, 3500, 3500)], session=None)
    row = metrics.frame_metrics(log, TRUTH)
    # 700 .. 3500 ms against 1000-2000 and 2300-3000
    assert row["precision"] == pytest.approx(1700 / 2800)


def test_no_truth_and_no_detection():
    empty = Annotation(np.empty((0, 2)), duration_s=5.0)
    log = make_log([], duration_ms=5000.0)
    row = metrics.score(log, empty)
    assert (row["precision"], row["recall"], row["f1"], row["detection_error_rate"]) == (
        1.0,
        1.0,
        1.0,
        0.0,
    )
    assert row["n_true_turns"] == 0 and row["false_cutoffs"] == 0 and row["false_turns"] == 0
    for name in (
        "false_cutoff_rate",
        "missed_turn_rate",
        "latency_ms_median",
        "latency_ms_p90",
        "onset_clipping_ms_mean",
        "onset_clipped_rate",
        "time_to_commit_ms_median",
    ):
        assert math.isnan(row[name]), name


def test_detection_over_silence_only():
    empty = Annotation(np.empty((0, 2)), duration_s=5.0)
    row = metrics.score(make_log([(700, 1032, 2200, 2200)], duration_ms=5000.0), empty)
    assert row["false_turns"] == 1 and row["precision"] == 0.0
    assert row["detection_error_rate"] == 1.0 and math.isnan(row["false_cutoff_rate"])


def test_truth_without_detection():
    row = metrics.score(make_log([]), TRUTH)
    assert row["missed_turns"] == 2 and row["missed_turn_rate"] == 1.0
    assert row["false_cutoff_rate"] == 0.0 and row["recall"] == 0.0 and row["precision"] == 1.0
    assert row["f1"] == 0.0 and math.isnan(row["latency_ms_median"])


def test_transcript_only_truth_gives_nan():
    clip = datasets.load("jfk")
    log = detect(rtlab.vad.score(clip.audio), rtlab.Session())
    row = metrics.score(log, clip.truth)
    assert row["n_detected_turns"] >= 1
    assert row.drop("n_detected_turns").isna().all()
    assert metrics.turn_outcomes(log, clip.truth).empty


def test_bad_options():
    for kwargs in (
        {"collar_ms": -1},
        {"hop_ms": 0},
        {"tolerance_ms": float("nan")},
        {"min_turn_gap_ms": "x"},
    ):
        with pytest.raises(ConfigError):
            metrics.score(LOG, TRUTH, **kwargs)


def test_truth_turns_floor_or_as_given():
    trn01 = datasets.load("ami-debug/trn01").truth  # overlapping speakers at the end
    floor = [(t.start_s, t.end_s) for t in trn01.floor_turns()]
    assert metrics.truth_turns(trn01).tolist() == [list(t) for t in floor]
    assert metrics.truth_turns(TRUTH).tolist() == [[1.0, 3.0], [6.0, 7.0]]
    # non-overlapping turns are kept even when a short gap separates them
    two = Annotation([[1.0, 2.0], [2.1, 3.0]], turns=(Turn(1.0, 2.0, "A"), Turn(2.1, 3.0, "B")))
    assert len(metrics.truth_turns(two)) == 2


# -- against pyannote.metrics on real clips ------------------------------------------------

REAL = [
    "ami-debug/trn04",
    "ami-debug/trn08",
    "ami-debug/dev00",
    "ami-lhotse/ES2011a",
    "librivox/0890",
]
SESSIONS = [
    rtlab.Session(),
    rtlab.Session(
        turn_detection=rtlab.ServerVad(threshold=0.3, prefix_padding_ms=0, silence_duration_ms=200)
    ),
]


def pyannote_numbers(log, truth, collar_s):
    from pyannote.core import Annotation as PyAnnotation
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.detection import DetectionErrorRate, DetectionPrecision, DetectionRecall

    detection = log.session.turn_detection
    frame = log.to_frame()
    emitted = dict(
        zip(
            frame.loc[frame["type"] == STARTED, "item_id"],
            frame.loc[frame["type"] == STARTED, "emitted_ms"],
            strict=True,
        )
    )
    reference, hypothesis = PyAnnotation(), PyAnnotation()
    for start, end in truth.speech:
        reference[Segment(start, end)] = "speech"
    for turn in log.turns().itertuples():
        onset = min(turn.start_ms + detection.prefix_padding_ms, emitted[turn.item_id])
        end = (
            log.duration_ms
            if math.isnan(turn.end_ms)
            else turn.end_ms - detection.silence_duration_ms
        )
        end = min(max(end, onset), log.duration_ms)
        if end > onset:
            hypothesis[Segment(onset / 1000, end / 1000)] = "speech"
    uem = Timeline([Segment(0, log.duration_ms / 1000)])
    return [
        cls(collar=collar_s)(reference, hypothesis, uem=uem)
        for cls in (DetectionPrecision, DetectionRecall, DetectionErrorRate)
    ]


@pytest.mark.parametrize("name", REAL)
def test_frame_metrics_match_pyannote(name):
    clip = datasets.load(name)
    scores = rtlab.vad.score(clip.audio)
    checked = 0
    for session in SESSIONS:
        log = detect(scores, session)
        for collar_ms in (0.0, 250.0):
            ours = metrics.frame_metrics(log, clip.truth, collar_ms=collar_ms)
            theirs = pyannote_numbers(log, clip.truth, collar_ms / 1000)
            assert ours[["precision", "recall", "detection_error_rate"]].tolist() == pytest.approx(
                theirs, abs=1e-9
            )
            checked += 1
    assert checked == 4


def test_frame_grid_approaches_exact_durations():
    clip = datasets.load("ami-debug/trn08")
    log = detect(rtlab.vad.score(clip.audio), rtlab.Session())
    exact = metrics.frame_metrics(log, clip.truth)
    grid = metrics.frame_metrics(log, clip.truth, hop_ms=10)
    assert grid["true_speech_ms"] % 10 == 0
    assert abs(grid["true_speech_ms"] - exact["true_speech_ms"]) <= 10 * len(clip.truth.speech)
    assert grid["detection_error_rate"] == pytest.approx(exact["detection_error_rate"], abs=0.02)


def test_real_clip_defaults_cut_a_meeting_speaker_off():
    # AMI trn08: the API defaults end turns inside the annotated speech of one speaker
    clip = datasets.load("ami-debug/trn08")
    log = detect(rtlab.vad.score(clip.audio), rtlab.Session())
    patient = detect(rtlab.vad.score(clip.audio), rtlab.ServerVad(silence_duration_ms=1500))
    default_row, patient_row = metrics.score(log, clip.truth), metrics.score(patient, clip.truth)
    assert default_row["false_cutoffs"] >= 1
    assert patient_row["false_cutoffs"] < default_row["false_cutoffs"]
    assert patient_row["latency_ms_median"] > default_row["latency_ms_median"]


# -- transcripts ---------------------------------------------------------------------------


def test_normalisation_and_wer():
    assert metrics.normalize_text("Well-known, ISN’T it?  'Yes'.") == "well known isn't it yes"
    assert metrics.wer("And so, my fellow Americans", "and so my fellow americans") == 0.0
    # one substitution (your -> you're) and two deletions (for, you) in 9 words
    assert metrics.wer(
        "Ask not what your country can do for you.", "ask not what you're country can do"
    ) == pytest.approx(3 / 9)
    assert metrics.wer("", "") == 0.0
    assert math.isnan(metrics.wer("...", "words"))
    assert metrics.wer("two words", "") == 1.0
    with pytest.raises(ConfigError):
        metrics.wer(None, "x")


def test_transcript_table_uses_words_in_each_turn():
    words = (
        Turn(1.0, 1.5, text="hello"),
        Turn(1.5, 2.0, text="there"),
        Turn(6.0, 6.5, text="good"),
        Turn(6.5, 7.0, text="bye"),
    )
    truth = Annotation([[1.0, 2.0], [6.0, 7.0]], words=words, duration_s=10.0)
    log = make_log(
        [(700, 1032, 2600, 2600), (5700, 6032, 7500, 7500)],
        transcripts={"item_0001": "Hello there!", "item_0002": "good pie"},
    )
    table = metrics.transcript_table(log, truth)
    assert table["reference"].tolist() == ["hello there", "good bye"]
    assert table["hypothesis"].tolist() == ["Hello there!", "good pie"]
    assert table["wer"].tolist() == [0.0, 0.5]


def test_transcript_table_single_turn_uses_the_transcript():
    clip = datasets.load("jfk")
    log = detect(rtlab.vad.score(clip.audio), rtlab.ServerVad(silence_duration_ms=3000))
    table = metrics.transcript_table(log, clip.truth)
    assert len(table) == 1
    assert table["reference"].iloc[0] == clip.truth.transcript
    assert table["hypothesis"].isna().all() and table["wer"].isna().all()


@pytest.mark.parametrize(
    "function",
    [
        metrics.score,
        metrics.frame_metrics,
        metrics.turn_metrics,
        metrics.turn_table,
        metrics.turn_outcomes,
        metrics.transcript_table,
    ],
)
def test_wrong_log_or_truth_type_is_a_config_error_naming_it(function):
    clip = datasets.load("ami-lhotse/ES2011a")
    log = EventLog((), (), duration_ms=clip.audio.duration_ms)
    with pytest.raises(ConfigError, match="'truth' parameter") as info:
        function(log, None)
    assert info.value.field == "truth"
    with pytest.raises(ConfigError, match="'log' parameter") as info:
        function([{"type": "input_audio_buffer.speech_started"}], clip.truth)
    assert info.value.field == "log"


# -- true turns per speaker, owed and missed ends (issue 12) ------------------------------


def _log(events_and_times, duration_ms):
    events = tuple(e for e, _ in events_and_times)
    return EventLog(events, tuple(float(t) for _, t in events_and_times), duration_ms=duration_ms)


def _started(item, start_ms):
    return {
        "type": "input_audio_buffer.speech_started",
        "audio_start_ms": start_ms,
        "item_id": item,
    }


def _stopped(item, end_ms):
    return {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": end_ms, "item_id": item}


def test_a_turn_that_never_ends_is_a_missed_end_not_a_perfect_score():
    truth = Annotation.from_segments([[1.0, 3.0]], duration_s=5.0)
    never = _log([(_started("a", 800), 1000)], 5000.0)
    row = metrics.score(never, truth)
    assert row["n_true_ends"] == 1
    assert row["missed_ends"] == 1 and row["missed_end_rate"] == 1.0
    assert row["false_cutoffs"] == 0 and np.isnan(row["latency_ms_median"])
    ended = _log([(_started("a", 800), 1000), (_stopped("a", 3500), 3500)], 5000.0)
    row = metrics.score(ended, truth)
    assert row["missed_ends"] == 0 and row["missed_end_rate"] == 0.0
    assert row["latency_ms_median"] == 500.0


def test_a_clip_that_ends_before_the_silence_runs_out_misses_the_end():
    # the last word ends 300 ms before the audio: a 500 ms silence_duration cannot answer
    truth = Annotation.from_segments([[1.0, 3.0]], duration_s=3.3)
    log = _log([(_started("a", 800), 1000)], 3300.0)
    assert metrics.score(log, truth)["missed_end_rate"] == 1.0


def test_a_hand_over_between_two_speakers_is_a_true_end():
    # A speaks, B answers after 500 ms: two turns; a stop in the gap ends A's turn
    truth = Annotation.from_segments([[0.0, 2.0], [2.5, 4.0]], speakers=["A", "B"], duration_s=6.0)
    log = _log(
        [
            (_started("a", 0), 100),
            (_stopped("a", 2300), 2300),
            (_started("b", 2400), 2600),
            (_stopped("b", 4400), 4400),
        ],
        6000.0,
    )
    row = metrics.score(log, truth)
    assert row["n_true_turns"] == 2 and row["n_true_ends"] == 2
    assert row["false_cutoffs"] == 0 and row["missed_ends"] == 0
    assert row["latency_ms_median"] == pytest.approx(350.0)


def test_an_overlapped_hand_over_answered_at_the_speakers_end_is_not_a_cut_off():
    # B starts 150 ms before A stops (as AMI's loose times often have it); a stop right at
    # A's end is A's end detection, not a cut-off of B
    truth = Annotation.from_segments([[0.0, 3.0], [2.85, 5.0]], speakers=["A", "B"], duration_s=6.0)
    log = _log([(_started("a", 0), 100), (_stopped("a", 3010), 3010)], 6000.0)
    row = metrics.score(log, truth)
    assert row["false_cutoffs"] == 0
    assert row["latency_ms_median"] == pytest.approx(10.0)
    assert row["n_true_ends"] == 1  # A's end is overlapped: found, but not owed


def test_a_short_answer_by_another_speaker_is_a_backchannel_only_if_the_speaker_goes_on():
    a = Annotation.from_segments(
        [[0.0, 2.0], [2.1, 2.5], [2.8, 5.0]], speakers=["A", "B", "A"], duration_s=6.0
    )
    assert [(t.speaker, t.end_s) for t in a.speaker_turns()] == [("A", 5.0)]
    b = Annotation.from_segments(
        [[0.0, 2.0], [2.1, 2.5], [5.0, 6.0]], speakers=["A", "B", "A"], duration_s=7.0
    )
    assert [t.speaker for t in b.speaker_turns()] == ["A", "B", "A"]


@pytest.mark.parametrize(
    ("name", "n_turns"),
    [
        # counted by hand from debug.rttm / dev00.rttm (speaker, start, end):
        # dev00: MEE009 1.44-13.31 | MEE012 13.15-16.92, 18.06-18.40 | MEE009 18.20-20.64 |
        # MEE012 20.56-21.62 | MEE009 21.95-26.27 (MEE012 23.07-23.81 inside: backchannel) |
        # MEE012 26.19-28.38 | MEE009 28.22-30.00  -> 7 turns, two speakers
        ("ami-debug/dev00", 7),
        # trn05: FEE078 0-1.47 (FEO079 0-0.38 inside: backchannel) | FEE081 1.46-2.11 (FEE078
        # does not go on for 3.8 s) | FEE078 5.94-6.28, 8.02-30.00 (FEE081 8.50-9.28 and
        # FEE080 19.16-19.58 inside: backchannels) -> 3 turns
        ("ami-debug/trn05", 3),
    ],
)
def test_true_turn_counts_on_shipped_meetings_match_a_hand_count(name, n_turns):
    clip = rtlab.datasets.load(name)
    assert len(metrics.truth_turns(clip.truth)) == n_turns
    log = rtlab.detect(rtlab.vad.score(clip.audio), rtlab.Session())
    assert metrics.score(log, clip.truth)["n_true_turns"] == n_turns


def test_client_commits_end_turns_when_turn_detection_is_off():
    truth = Annotation.from_segments([[1.0, 3.0]], duration_s=5.0)
    commit = {"type": "input_audio_buffer.committed", "item_id": "c1", "previous_item_id": None}
    row = metrics.score(_log([(commit, 3400)], 5000.0), truth)
    assert row["missed_ends"] == 0 and row["latency_ms_median"] == 400.0
    timeout = {"type": "input_audio_buffer.timeout_triggered", "item_id": "t1",
               "audio_start_ms": 3000, "audio_end_ms": 3400}  # fmt: skip
    idle = {"type": "input_audio_buffer.committed", "item_id": "t1", "previous_item_id": None}
    row = metrics.score(_log([(timeout, 3400), (idle, 3400)], 5000.0), truth)
    assert row["missed_ends"] == 1  # an idle timeout's commit does not end the user's turn
