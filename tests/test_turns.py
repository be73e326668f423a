"""The turn-detection emulator: exact timing on crafted scores, real clips, streaming == offline."""

from __future__ import annotations

import functools
import hashlib
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rtlab
from rtlab import datasets, vad
from rtlab.errors import AudioFormatError, ConfigError
from rtlab.turns import (
    EAGERNESS_MAX_WAIT_MS,
    Detector,
    EmulatorOptions,
    detect,
    semantic_wait_ms,
)
from rtlab.vad import FrameScores

HOP = 32.0
STARTED = "input_audio_buffer.speech_started"
STOPPED = "input_audio_buffer.speech_stopped"
COMMITTED = "input_audio_buffer.committed"
TIMEOUT = "input_audio_buffer.timeout_triggered"
LIBRIVOX = ["librivox/0870", "librivox/0880", "librivox/0890", "librivox/0920", "librivox/0930"]


def scores_of(*segments: tuple[float, int]) -> FrameScores:
    """FrameScores from (probability, n_frames) segments, 32 ms frames."""
    p = np.concatenate([np.full(n, value, dtype=np.float32) for value, n in segments])
    fingerprint = hashlib.sha1(p.tobytes()).hexdigest()
    return FrameScores(
        p, hop_ms=HOP, model="silero", fingerprint=fingerprint, duration_ms=p.size * HOP
    )


def raw_scores(p) -> FrameScores:
    p = np.asarray(p, dtype=np.float32)
    return FrameScores(p, HOP, "silero", hashlib.sha1(p.tobytes()).hexdigest(), p.size * HOP)


def kinds(log) -> list[str]:
    return [e["type"].split(".")[-1] for e in log]


DEFAULT_OPTIONS = EmulatorOptions()


def stream_scores(scores: FrameScores, config, *, options=DEFAULT_OPTIONS, pieces=3, audio=None):
    """Feed the probabilities to a Detector in a few uneven pieces; return its log."""
    detector = Detector(config, options=options)
    p = scores.probabilities
    cuts = sorted({0, p.size, *np.linspace(0, p.size, pieces + 1).astype(int)[1:-1] + 1})
    events = []
    for lo, hi in itertools.pairwise(cuts):
        events += detector.feed_scores(p[lo:hi], audio=audio)
    events += detector.flush()
    assert events == list(detector.log)
    return detector.log


def coverage(log, n_frames: int) -> np.ndarray:
    """Frames inside a detected turn, from speech_started.audio_start_ms to the stop (or end)."""
    mask = np.zeros(n_frames, dtype=bool)
    for row in log.turns().itertuples():
        end = n_frames if np.isnan(row.end_ms) else int(row.end_ms // HOP)
        mask[int(row.start_ms // HOP) : end] = True
    return mask


# ------------------------------------------------------------------ documented timing, exactly


def test_server_vad_timing_is_exactly_as_documented():
    # 20 frames quiet, 20 speech (640–1280 ms), 40 quiet
    log = detect(scores_of((0.1, 20), (0.9, 20), (0.1, 40)), rtlab.Session())
    assert list(log) == [
        {
            "type": STARTED,
            "event_id": "event_0001",
            "audio_start_ms": 640 - 300,
            "item_id": "item_0001",
        },
        # 500 ms of silence = 16 whole frames: stop at the end of frame 40 + 15
        {
            "type": STOPPED,
            "event_id": "event_0002",
            "audio_end_ms": (40 + 16) * 32,
            "item_id": "item_0001",
        },
        {
            "type": COMMITTED,
            "event_id": "event_0003",
            "previous_item_id": None,
            "item_id": "item_0001",
        },
    ]
    # speech_started is sent once its first frame has been heard; stop and commit together
    assert log.emitted_ms == (21 * 32.0, 56 * 32.0, 56 * 32.0)
    assert log.duration_ms == 80 * 32.0
    assert log.session == rtlab.Session()


def test_prefix_padding_is_clamped_at_zero_and_at_the_previous_commit():
    early = detect(scores_of((0.1, 3), (0.9, 10), (0.1, 30)), rtlab.ServerVad())
    assert early[0]["audio_start_ms"] == 0  # 96 - 300 < 0
    cfg = rtlab.ServerVad(prefix_padding_ms=1000, silence_duration_ms=100)  # 100 ms -> 4 frames
    log = detect(scores_of((0.1, 10), (0.9, 10), (0.1, 10), (0.9, 5), (0.1, 10)), cfg)
    assert kinds(log) == ["speech_started", "speech_stopped", "committed"] * 2
    assert log[0]["audio_start_ms"] == 0
    assert log[1]["audio_end_ms"] == (20 + 4) * 32  # 768
    # second onset at 960 ms: 960 - 1000 would reach into item_0001's committed audio
    assert log[3]["audio_start_ms"] == 768
    assert log[5]["previous_item_id"] == "item_0001" and log[5]["item_id"] == "item_0002"


@pytest.mark.parametrize(
    ("silence_ms", "n_turns"), [(480, 2), (481, 1), (500, 1), (512, 1), (513, 1)]
)
def test_silence_duration_counts_whole_frames(silence_ms, n_turns):
    # a 15-frame (480 ms) pause inside speech, then a long pause
    scores = scores_of((0.0, 5), (0.9, 10), (0.0, 15), (0.9, 10), (0.0, 40))
    log = detect(scores, rtlab.ServerVad(silence_duration_ms=silence_ms))
    assert len(log.turns()) == n_turns
    assert log.turns()["committed"].all()
    frames = -(-silence_ms // 32)  # ceil
    assert log.turns()["end_ms"].iloc[-1] == (40 + frames) * 32  # counted from the last pause


def test_zero_silence_duration_stops_on_the_first_quiet_frame():
    log = detect(scores_of((0.9, 4), (0.0, 2)), rtlab.ServerVad(silence_duration_ms=0))
    assert log[1]["audio_end_ms"] == 5 * 32


def test_speech_ongoing_at_the_end_is_never_stopped():
    log = detect(scores_of((0.0, 10), (0.9, 30)), rtlab.Session())
    assert kinds(log) == ["speech_started"]
    turns = log.turns()
    assert np.isnan(turns["end_ms"].iloc[0]) and not turns["committed"].iloc[0]
    # 15 quiet frames at the end are not yet 500 ms
    assert kinds(detect(scores_of((0.9, 30), (0.0, 15)), rtlab.Session())) == ["speech_started"]


def test_threshold_is_inclusive():
    scores = scores_of((0.0, 5), (0.5, 5), (0.0, 40))
    assert len(detect(scores, rtlab.ServerVad(threshold=0.5)).turns()) == 1
    assert len(detect(scores, rtlab.ServerVad(threshold=0.51)).turns()) == 0


def test_idle_timeout_repeats_over_silence_exactly_to_the_frame():
    # 20 s of silence; 5000 ms = 156.25 frames -> the timer runs out after 157 frames (5024 ms)
    log = detect(scores_of((0.0, 625)), rtlab.ServerVad(idle_timeout_ms=5000))
    assert kinds(log) == ["timeout_triggered", "committed"] * 3
    timeouts = log.timeouts()
    assert timeouts[["start_ms", "end_ms"]].values.tolist() == [
        [0, 5024],
        [5024, 10048],
        [10048, 15072],
    ]
    assert timeouts["emitted_ms"].tolist() == [5024.0, 10048.0, 15072.0]
    assert [e.get("previous_item_id") for e in log if e["type"] == COMMITTED] == [
        None,
        "item_0001",
        "item_0002",
    ]
    assert timeouts["item_id"].tolist() == ["item_0001", "item_0002", "item_0003"]


def test_idle_timer_restarts_at_each_commit():
    cfg = rtlab.ServerVad(idle_timeout_ms=5000)
    log = detect(scores_of((0.0, 10), (0.9, 20), (0.0, 300)), cfg)
    # speech stops at frame 30 + 16 = 46 (1472 ms); the timer starts there
    assert kinds(log) == [
        "speech_started",
        "speech_stopped",
        "committed",
        "timeout_triggered",
        "committed",
    ]
    assert (log[3]["audio_start_ms"], log[3]["audio_end_ms"]) == (1472, 1472 + 5024)
    assert log[4]["previous_item_id"] == "item_0001" and log[4]["item_id"] == "item_0002"


@pytest.mark.parametrize(("onset", "timeout_first"), [(155, False), (156, False), (157, True)])
def test_speech_start_on_the_timeout_frame_wins(onset, timeout_first):
    cfg = rtlab.ServerVad(idle_timeout_ms=5000)
    log = detect(scores_of((0.0, onset), (0.9, 20), (0.0, 10)), cfg)
    assert kinds(log)[0] == ("timeout_triggered" if timeout_first else "speech_started")
    if timeout_first:
        # the padding may not reach back into the committed (timed-out) audio
        assert log[2]["audio_start_ms"] == 5024 > onset * 32 - 300


def test_no_idle_timeout_while_speaking():
    log = detect(scores_of((0.9, 400)), rtlab.ServerVad(idle_timeout_ms=5000))
    assert kinds(log) == ["speech_started"]


def test_min_speech_ms_and_hysteresis_options():
    # a one-frame blip (frame 10), then two speech frames (31, 32)
    blip = scores_of((0.0, 10), (0.9, 1), (0.0, 20), (0.9, 2), (0.0, 30))
    strict = EmulatorOptions(min_speech_ms=64)  # two frames
    assert len(detect(blip, rtlab.ServerVad(), options=EmulatorOptions()).turns()) == 2
    log = detect(blip, rtlab.ServerVad(prefix_padding_ms=0), options=strict)
    assert len(log.turns()) == 1
    assert log[0]["audio_start_ms"] == 31 * 32  # the onset is still the first speech frame
    assert log.emitted_ms[0] == 33 * 32  # but the start is sent after two frames
    # 0.4 is below the 0.5 threshold but above 0.5 - 0.15: silence only without hysteresis
    dip = scores_of((0.0, 5), (0.9, 10), (0.4, 20), (0.9, 5), (0.0, 30))
    assert len(detect(dip, rtlab.ServerVad()).turns()) == 2
    sticky = detect(dip, rtlab.ServerVad(), options=EmulatorOptions(negative_threshold_offset=0.15))
    assert len(sticky.turns()) == 1


def test_turn_detection_none_gives_no_events():
    scores = scores_of((0.0, 10), (0.9, 30), (0.0, 30))
    off = rtlab.Session(turn_detection=None)
    log = detect(scores, off)
    assert len(log) == 0 and log.session == off and log.duration_ms == 70 * 32
    detector = Detector(off)
    assert detector.feed(np.zeros(24000, np.int16)) == [] and detector.flush() == []
    assert len(detector.log) == 0


def test_accepted_configurations():
    scores = scores_of((0.0, 10), (0.9, 30), (0.0, 30))
    default = detect(scores)
    assert default.session == rtlab.Session() and len(default.turns()) == 1
    vad_only = detect(scores, rtlab.ServerVad(threshold=0.95))
    assert vad_only.session.turn_detection.threshold == 0.95 and len(vad_only) == 0
    parsed = detect(scores, {"turn_detection": {"type": "server_vad", "silence_duration_ms": 200}})
    assert parsed.session.turn_detection.silence_duration_ms == 200
    with pytest.raises(ConfigError, match="session_or_turn_detection"):
        detect(scores, "server_vad")
    with pytest.raises(ConfigError):
        detect(scores.probabilities, rtlab.Session())
    with pytest.raises(ConfigError, match="options"):
        detect(scores, options={"vad_model": "energy"})


def test_runs_cache_keys_on_the_array_not_the_fingerprint():
    a = scores_of((0.0, 10), (0.9, 30), (0.0, 30))
    b = FrameScores(np.zeros(70, np.float32), HOP, "silero", a.fingerprint, a.duration_ms)
    assert len(detect(a).turns()) == 1
    assert len(detect(b).turns()) == 0
    assert len(detect(a).turns()) == 1


# ------------------------------------------------------------------ options and the semantic map


def test_emulator_options_validate_and_show_only_changes():
    assert repr(EmulatorOptions()) == "EmulatorOptions()"
    assert repr(EmulatorOptions(min_speech_ms=96)) == "EmulatorOptions(min_speech_ms=96)"
    for bad in (
        {"vad_model": "webrtc"},
        {"negative_threshold_offset": 1.5},
        {"min_speech_ms": -1},
        {"semantic_threshold": float("nan")},
        {"semantic_wait_exponent": 0},
        {"semantic_min_wait_ms": True},
    ):
        with pytest.raises(ConfigError) as info:
            EmulatorOptions(**bad)
        assert info.value.field == next(iter(bad))
    assert EmulatorOptions().replace(vad_model="energy").vad_model == "energy"


def test_semantic_wait_mapping():
    p = np.linspace(0, 1, 101)
    for eagerness, cap in EAGERNESS_MAX_WAIT_MS.items():
        wait = semantic_wait_ms(p, eagerness)
        assert wait[0] == cap and wait[-1] == 200.0  # doubt -> the cap, certainty -> min wait
        assert np.all(np.diff(wait) < 0)  # more confident, shorter wait
    assert semantic_wait_ms(0.3, "auto") == semantic_wait_ms(0.3, "medium")
    assert np.all(semantic_wait_ms(p, "high") <= semantic_wait_ms(p, "medium"))
    assert np.all(semantic_wait_ms(p, "medium") <= semantic_wait_ms(p, "low"))
    assert semantic_wait_ms(0.5, "medium") == pytest.approx(200 + 3800 * 0.5)
    curved = EmulatorOptions(semantic_wait_exponent=2.0, semantic_min_wait_ms=100)
    assert semantic_wait_ms(0.5, "high", options=curved) == pytest.approx(100 + 1900 * 0.25)
    with pytest.raises(ConfigError):
        semantic_wait_ms(0.5, "eager")


# ------------------------------------------------------------------ properties (hypothesis)

LEVELS = st.sampled_from([0.0, 0.05, 0.3, 0.45, 0.5, 0.55, 0.7, 0.95, 1.0])
SEQUENCES = st.lists(st.tuples(LEVELS, st.integers(1, 40)), min_size=0, max_size=25)
SERVER = st.builds(
    rtlab.ServerVad,
    threshold=st.sampled_from([0.3, 0.5, 0.55, 0.7]),
    prefix_padding_ms=st.sampled_from([0, 100, 300, 1000]),
    silence_duration_ms=st.sampled_from([0, 31, 32, 100, 500, 800]),
    idle_timeout_ms=st.sampled_from([None, None, 5000, 6000]),
)
OPTIONS = st.builds(
    EmulatorOptions,
    negative_threshold_offset=st.sampled_from([0.0, 0.0, 0.15]),
    min_speech_ms=st.sampled_from([0.0, 0.0, 32.0, 64.0, 100.0]),
)


def _segments_scores(segments) -> FrameScores:
    return scores_of(*segments) if segments else raw_scores([])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=SEQUENCES, config=SERVER, options=OPTIONS, pieces=st.integers(1, 6))
def test_streaming_state_machine_equals_vectorised_detect(segments, config, options, pieces):
    scores = _segments_scores(segments)
    offline = detect(scores, config, options=options)
    streamed = stream_scores(scores, config, options=options, pieces=pieces)
    assert list(streamed) == list(offline)
    assert streamed.emitted_ms == offline.emitted_ms


@settings(max_examples=150, deadline=None)
@given(segments=SEQUENCES, config=SERVER, options=OPTIONS, extra_ms=st.integers(1, 700))
def test_longer_silence_never_gives_more_turns(segments, config, options, extra_ms):
    scores = _segments_scores(segments)
    longer = config.model_copy(
        update={"silence_duration_ms": config.silence_duration_ms + extra_ms}
    )
    assert len(detect(scores, longer, options=options).turns()) <= len(
        detect(scores, config, options=options).turns()
    )


@settings(max_examples=150, deadline=None)
@given(
    segments=SEQUENCES,
    options=OPTIONS,
    silence=st.sampled_from([0, 100, 500]),
    low=st.sampled_from([0.3, 0.5]),
    high=st.sampled_from([0.55, 0.7, 0.96]),
)
def test_higher_threshold_never_gives_more_speech_frames(segments, options, silence, low, high):
    scores = _segments_scores(segments)
    base = dict(prefix_padding_ms=0, silence_duration_ms=silence)
    loose = detect(scores, rtlab.ServerVad(threshold=low, **base), options=options)
    strict = detect(scores, rtlab.ServerVad(threshold=high, **base), options=options)
    strict_mask = coverage(strict, scores.n_frames)
    loose_mask = coverage(loose, scores.n_frames)
    assert not (strict_mask & ~loose_mask).any()  # every strict speech frame is loose speech


@settings(max_examples=100, deadline=None)
@given(segments=SEQUENCES, config=SERVER)
def test_events_are_well_formed(segments, config):
    scores = _segments_scores(segments)
    log = detect(scores, config)
    assert [e["event_id"] for e in log] == [f"event_{i:04d}" for i in range(1, len(log) + 1)]
    assert list(log.emitted_ms) == sorted(log.emitted_ms)
    assert all(t <= scores.duration_ms for t in log.emitted_ms)
    open_item = None
    for event, t in zip(log, log.emitted_ms, strict=True):
        if event["type"] == STARTED:
            assert open_item is None
            open_item = event["item_id"]
            assert 0 <= event["audio_start_ms"] <= t
        elif event["type"] == STOPPED:
            assert event["item_id"] == open_item and event["audio_end_ms"] == t
            open_item = None
        elif event["type"] == TIMEOUT:
            assert open_item is None
            assert event["audio_end_ms"] - event["audio_start_ms"] >= config.idle_timeout_ms
    _validate_all(log)


# ------------------------------------------------------------------ the openai package's types


@functools.cache
def _server_event_type(api: str):
    from pydantic import TypeAdapter

    if api == "beta":
        from openai.types.beta.realtime import RealtimeServerEvent
    else:
        from openai.types.realtime import RealtimeServerEvent
    return TypeAdapter(RealtimeServerEvent)


def _validate(event: dict, api: str) -> None:
    model = _server_event_type(api).validate_python(event)
    assert model.type == event["type"]
    assert set(event) <= set(type(model).model_fields), "a field the API does not define"
    assert model.model_dump(exclude_unset=True) == event


def _validate_all(log) -> None:
    for event in log:
        _validate(event, "ga")
        if event["type"] != TIMEOUT:  # idle timeouts exist in the GA API only
            _validate(event, "beta")


def test_every_event_type_matches_the_openai_types():
    log = detect(
        scores_of((0.0, 170), (0.9, 20), (0.0, 40), (0.9, 10)),
        rtlab.ServerVad(idle_timeout_ms=5000),
    )
    assert set(kinds(log)) == {"speech_started", "speech_stopped", "committed", "timeout_triggered"}
    _validate_all(log)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": STARTED, "event_id": "event_0001", "audio_start_ms": 1.5, "item_id": "item_0001"},
        {"type": STARTED, "event_id": "event_0001", "audio_start_ms": 10},
        {"type": STOPPED, "event_id": "event_0001", "audio_start_ms": 10, "item_id": "item_0001"},
        {
            "type": "input_audio_buffer.speech_start",
            "event_id": "e",
            "audio_start_ms": 1,
            "item_id": "i",
        },
        {"type": COMMITTED, "event_id": "event_0001", "item_id": "item_0001", "audio_end_ms": 3},
    ],
)
def test_the_type_oracle_rejects_wrong_events(bad):
    with pytest.raises(Exception):  # noqa: B017 - pydantic ValidationError or our AssertionError
        _validate(bad, "ga")


# ------------------------------------------------------------------ real audio


@pytest.fixture(scope="module")
def track():
    """Five LibriVox sentences with known pauses between them (2–4.5 s) and a long tail."""
    return datasets.compose(LIBRIVOX, gaps_ms=[2500, 3000, 2000, 4500], tail_ms=9000)


@pytest.fixture(scope="module")
def track_scores(track):
    return vad.score(track.audio)


def test_server_vad_on_a_track_with_known_pauses(track, track_scores):
    log = detect(track_scores, rtlab.Session())
    turns = log.turns()
    truth = track.truth.turns
    assert len(turns) == len(truth)  # each sentence one turn: no pause inside is 500 ms long
    assert turns["committed"].all()
    for (start, end), turn in zip(turns[["start_ms", "end_ms"]].values, truth, strict=True):
        # onset minus 300 ms of padding; Silero fires up to ~5 frames after the (forced
        # alignment's) first word starts
        assert turn.start_s * 1000 - 300 - 2 * HOP <= start <= turn.start_s * 1000 - 300 + 5 * HOP
        # the stop includes the 500 ms of silence, plus the VAD's trailing decay
        assert turn.end_s * 1000 + 500 <= end <= turn.end_s * 1000 + 500 + 400
    _validate_all(log)


def test_a_real_log_survives_jsonl(track_scores, tmp_path):
    from rtlab.events import EventLog

    session = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.6, idle_timeout_ms=5000))
    log = detect(track_scores, session)
    assert "timeout_triggered" in kinds(log)
    back = EventLog.read_jsonl(log.to_jsonl(tmp_path / "log.jsonl"))
    assert back == log and back.session == session


def test_audio_and_its_scores_give_the_same_log(track, track_scores):
    session = rtlab.Session(turn_detection=rtlab.ServerVad(silence_duration_ms=300))
    assert detect(track.audio, session) == detect(track_scores, session)


def test_g711_input_format_is_heard_through_the_codec(track):
    session = rtlab.Session(input_audio_format="g711_ulaw")
    heard = rtlab.Audio.from_g711(track.audio.to_g711("ulaw"), "ulaw")
    expected = detect(vad.score(heard), session)
    assert detect(track.audio, session) == expected
    plain = detect(track.audio, session, options=EmulatorOptions(emulate_input_format=False))
    assert plain == detect(vad.score(track.audio), session)


def test_noise_reduction_is_applied_before_scoring():
    from rtlab import noise

    clip = datasets.load("ami-lhotse/ES2011a")
    session = rtlab.Session(input_audio_noise_reduction={"type": "far_field"})
    expected = detect(vad.score(noise.reduce(clip.audio, "far_field")), session)
    assert detect(clip.audio, session) == expected


@pytest.mark.parametrize(
    ("name", "model", "chunk"),
    [
        ("ami-debug/trn04", "silero", 4800),
        ("librivox/0890", "silero", 0),
        ("ami-debug/trn07", "energy", 0),
    ],
)
def test_streaming_audio_equals_offline_on_real_clips(name, model, chunk):
    audio = datasets.load(name).audio
    options = EmulatorOptions(vad_model=model)
    config = rtlab.ServerVad(silence_duration_ms=300, idle_timeout_ms=5000)
    offline = detect(audio, config, options=options)
    detector = Detector(config, options=options)
    rng = np.random.default_rng(7)
    events, at = [], 0
    samples = audio.samples
    while at < samples.size:
        size = chunk or int(rng.integers(1, 9000))
        piece = samples[at : at + size]
        events += detector.feed(piece.tobytes() if at % 2 else piece)  # bytes and arrays
        at += size
    events += detector.flush()
    assert events == list(offline)
    assert detector.log.emitted_ms == offline.emitted_ms
    assert detector.position_ms == vad.score(audio, model=model).n_frames * HOP


def test_streaming_scores_equal_offline_on_every_ami_clip():
    for clip in datasets.load_all("ami-debug/*"):
        scores = vad.score(clip.audio)
        for config in (
            rtlab.ServerVad(),
            rtlab.ServerVad(threshold=0.3, silence_duration_ms=200, idle_timeout_ms=5000),
        ):
            streamed, offline = stream_scores(scores, config), detect(scores, config)
            assert streamed.events == offline.events and streamed.emitted_ms == offline.emitted_ms


@pytest.mark.slow
def test_semantic_vad_eagerness_and_streaming(track, track_scores):
    logs = {
        e: detect(track_scores, rtlab.SemanticVad(eagerness=e)) for e in ("high", "medium", "low")
    }
    n = track_scores.n_frames
    for eager, patient in (("high", "medium"), ("medium", "low")):
        # a more eager detector ends turns no later: it covers no frame the patient one does not
        assert not (coverage(logs[eager], n) & ~coverage(logs[patient], n)).any()
        assert len(logs[eager].turns()) >= len(logs[patient].turns())
    first_stop = {e: log.turns()["end_ms"].iloc[0] for e, log in logs.items()}
    assert first_stop["high"] <= first_stop["medium"] <= first_stop["low"]
    for log in logs.values():
        assert len(log.turns()) >= 1
        ends = log.turns()["end_ms"].dropna()
        truth_end_ms = track.truth.turns[0].end_s * 1000
        # the first sentence is complete: it ends within min wait and the eagerness cap
        assert truth_end_ms + 200 - 2 * HOP <= ends.iloc[0]
        _validate_all(log)
    high = logs["high"].turns()
    assert (
        high["end_ms"].iloc[0] < track.truth.turns[0].end_s * 1000 + EAGERNESS_MAX_WAIT_MS["high"]
    )
    # semantic_vad never emits idle timeouts
    assert all(e["type"] != TIMEOUT for log in logs.values() for e in log)
    # streaming (audio fed in 100 ms chunks, Smart Turn on the audio so far) == offline
    detector = Detector(rtlab.SemanticVad(eagerness="low"))
    events = []
    for at in range(0, track.audio.n_samples, 2400):
        events += detector.feed(track.audio.samples[at : at + 2400])
    events += detector.flush()
    assert events == list(logs["low"])
    streamed = stream_scores(track_scores, rtlab.SemanticVad(eagerness="high"), audio=track.audio)
    assert streamed.events == logs["high"].events
    assert streamed.emitted_ms == logs["high"].emitted_ms


def test_semantic_vad_needs_the_audio():
    scores = scores_of((0.0, 10), (0.9, 30), (0.0, 30))
    with pytest.raises(ConfigError, match="audio"):
        detect(scores, rtlab.SemanticVad())
    with pytest.raises(ConfigError, match="audio"):
        Detector(rtlab.SemanticVad()).feed_scores(scores.probabilities)
    # no pause long enough to ask the model: nothing to ask, no audio needed
    assert kinds(detect(scores_of((0.0, 3), (0.9, 30)), rtlab.SemanticVad())) == ["speech_started"]


def test_detector_rejects_bad_input_and_use_after_flush():
    detector = Detector(rtlab.Session(), options=EmulatorOptions(vad_model="energy"))
    with pytest.raises(AudioFormatError):
        detector.feed(b"\x00\x01\x02")
    with pytest.raises(AudioFormatError):
        detector.feed(np.zeros(10, np.float32))
    detector.feed(np.zeros(800, np.int16))
    detector.flush()
    with pytest.raises(ConfigError, match="flush"):
        detector.feed(np.zeros(800, np.int16))
    with pytest.raises(ConfigError):
        Detector(rtlab.Session(), options="fast")


def test_streaming_semantic_vad_keeps_bounded_audio_and_matches_offline():
    """A long stream keeps only recent audio for Smart Turn and still equals detect()."""
    from rtlab import datasets
    from rtlab.turns import _KEEP_16K

    clips = [datasets.load(f"librivox/{n}") for n in ("0870", "0880", "0890", "0920", "0930")]
    track = datasets.compose(
        clips * 2, gaps_ms=[1200, 2500, 900, 3000, 1500, 1200, 2500, 900, 3000], seed=3
    )
    assert track.audio.duration_s > 40
    session = rtlab.Session(turn_detection=rtlab.SemanticVad(eagerness="high"))
    offline = rtlab.detect(track.audio, session)
    detector = Detector(session)
    pcm = track.audio.pcm16()
    for start in range(0, len(pcm), 4800):
        detector.feed(pcm[start : start + 4800])
        assert detector._n_recent16 <= 2 * _KEEP_16K
    detector.flush()
    assert detector._dropped16 > 0
    assert detector.log.turns()["end_ms"].tolist() == offline.turns()["end_ms"].tolist()
    assert list(detector.log.emitted_ms) == list(offline.emitted_ms)


@pytest.mark.parametrize("hop_ms", [0, -32.0, math.nan, "32"])
def test_feed_scores_rejects_a_bad_hop(hop_ms):
    with pytest.raises(ConfigError, match=r"'hop_ms' parameter of Detector\.feed_scores"):
        Detector(rtlab.Session()).feed_scores([0.9, 0.9], hop_ms=hop_ms)


@pytest.mark.parametrize("probabilities", [[0.9, math.nan], [1.5], ["speech"], "ab"])
def test_feed_scores_rejects_values_that_are_not_probabilities(probabilities):
    detector = Detector(rtlab.Session())
    with pytest.raises(ConfigError, match="'probabilities' parameter"):
        detector.feed_scores(probabilities)
    assert detector.feed_scores([0.9]) != []  # still usable: nothing was fed
