"""rtlab.smart_turn: Smart Turn v3 features, probabilities on real speech, cache."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rtlab import _models, datasets, smart_turn
from rtlab.audio import Audio
from rtlab.errors import ConfigError
from rtlab.smart_turn import turn_end_probability


@pytest.fixture(scope="module")
def pipecat_features():
    """pipecat's own numpy Whisper feature extractor (vendored from transformers), loaded from
    its file in the wheel without importing the pipecat package."""
    dist = importlib.metadata.distribution("pipecat-ai")
    (record,) = [f for f in dist.files if str(f).endswith("smart_turn/_whisper_features.py")]
    spec = importlib.util.spec_from_file_location(
        "_pipecat_whisper_features", dist.locate_file(record)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def librivox():
    return {n: datasets.load(f"librivox/{n}") for n in ("0870", "0880", "0890", "0920", "0930")}


@pytest.fixture()
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RTLAB_CACHE_DIR", str(tmp_path))
    return tmp_path / "smart_turn"


@pytest.fixture()
def model_windows(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = smart_turn.run_model

    def counting(windows):
        calls.append(windows.shape[0])
        return real(windows)

    monkeypatch.setattr(smart_turn, "run_model", counting)
    return calls


# -- features ---------------------------------------------------------------------------------


def test_mel_filterbank_is_whispers(pipecat_features):
    ours = smart_turn._mel_filters()
    theirs = pipecat_features._MEL_FILTERS.T  # (80, 201), built with transformers' formulas
    assert ours.shape == theirs.shape == (80, 201)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_log_mel_matches_pipecats_extractor_on_real_speech(pipecat_features, librivox):
    audio = librivox["0870"].audio  # 7.1 s: a padded window, then a full 8-s window of AMI
    signal = smart_turn.signal_16k(audio)
    long = smart_turn.signal_16k(datasets.load("ami-debug/trn07").audio)
    windows = np.concatenate(
        [
            smart_turn.windows_16k(signal, np.array([0, 0]), np.array([signal.size, 40000])),
            smart_turn.windows_16k(long, np.array([0]), np.array([long.size])),
        ]
    )
    ours = smart_turn.log_mel_features(windows)
    assert ours.shape == (3, 80, 800) and ours.dtype == np.float32
    for w, f in zip(windows, ours, strict=True):
        theirs = pipecat_features.compute_whisper_log_mel_features(w, do_normalize=True)
        np.testing.assert_allclose(f, theirs, rtol=0, atol=1e-4)  # measured max 4.3e-6


def test_probability_equals_the_model_on_pipecats_features(pipecat_features, librivox):
    audio = librivox["0890"].audio
    ends = np.array([1000.0, 2500.0, audio.duration_ms])
    ours = turn_end_probability(audio, ends, cache=False)
    signal = smart_turn.signal_16k(audio)
    windows = smart_turn.windows_16k(
        signal, np.zeros(3, np.int64), np.rint(ends * 16).astype(np.int64)
    )
    features = np.stack([pipecat_features.compute_whisper_log_mel_features(w) for w in windows])
    (theirs,) = _models.session("smart_turn").run(None, {"input_features": features})
    np.testing.assert_allclose(ours, theirs[:, 0], rtol=0, atol=1e-4)
    assert ((ours >= 0) & (ours <= 1)).all()


def test_windows_keep_the_last_8_s_zero_padded_at_the_start():
    signal = np.arange(1, 200001, dtype=np.float32)
    w = smart_turn.windows_16k(signal, np.array([0, 0, 50000]), np.array([16000, 200000, 60000]))
    assert (w[0, :112000] == 0).all() and np.array_equal(w[0, 112000:], signal[:16000])
    assert np.array_equal(w[1], signal[72000:200000])
    assert (w[2, :118000] == 0).all() and np.array_equal(w[2, 118000:], signal[50000:60000])


# -- on real speech (the facts DESIGN.md relies on) -------------------------------------------


def test_complete_utterances_score_high_and_cut_ones_low(librivox):
    # measured: the three clips that end a sentence score 0.908-0.987 at their end;
    # at word ends inside the sentence between 40 % and 60 % of the speech, 13 of 14 cuts
    # (all 5 clips) score 0.007-0.17, the median 0.04; the exception is a phrase end
    # ("... rather cold hearted", 0.92)
    complete = {}
    cuts: dict[str, np.ndarray] = {}
    for name, clip in librivox.items():
        first, last = clip.truth.speech[0][0], clip.truth.speech[-1][1]
        words = [w for w in clip.truth.words if w.text != "<sil>"][:-1]
        inside = [w.end_s * 1000 for w in words if 0.4 <= (w.end_s - first) / (last - first) <= 0.6]
        p = turn_end_probability(clip.audio, [clip.audio.duration_ms, *inside])
        complete[name], cuts[name] = float(p[0]), p[1:]
    for name in ("0870", "0890", "0920"):  # a full stop follows these in the book
        assert complete[name] >= 0.85, (name, complete[name])
        assert complete[name] - np.median(cuts[name]) >= 0.7, name
    every_cut = np.concatenate(list(cuts.values()))
    assert every_cut.size >= 12
    assert np.median(every_cut) <= 0.1
    assert np.mean(every_cut < 0.2) >= 0.85


def test_start_ms_leaves_out_earlier_audio(librivox):
    audio = librivox["0920"].audio
    end = audio.duration_ms
    whole = turn_end_probability(audio, [end], cache=False)
    assert turn_end_probability(audio, [end], start_ms=0.0, cache=False) == whole
    # nothing heard: an all-zero window
    silent = turn_end_probability(audio, [end], start_ms=end, cache=False)
    zeros = smart_turn.run_model(np.zeros((1, 128000), np.float32))
    assert silent == zeros


# -- cache and errors ---------------------------------------------------------------------------


def test_cache_adds_new_positions_and_never_reruns_old_ones(librivox, private_cache, model_windows):
    audio = librivox["0880"].audio
    first = turn_end_probability(audio, [500.0, 1500.0, 2500.0])
    assert model_windows == [3]
    again = turn_end_probability(audio, [2500.0, 500.0])
    assert model_windows == [3]
    assert again.tolist() == [first[2], first[0]]
    more = turn_end_probability(audio, [1500.0, 2000.0, 2000.0])
    assert model_windows == [3, 1]  # only the new position, once
    assert more[0] == first[1] and more[1] == more[2]
    (path,) = private_cache.glob("*.npz")
    assert audio.fingerprint in path.name
    path.write_bytes(path.read_bytes()[:100])  # corrupt: recomputed, not trusted
    assert np.array_equal(turn_end_probability(audio, [500.0, 2000.0]), [first[0], more[1]])
    assert model_windows == [3, 1, 2]


def test_results_do_not_depend_on_batching(librivox):
    audio = librivox["0870"].audio
    ends = np.linspace(300, audio.duration_ms, 6)
    together = turn_end_probability(audio, ends, cache=False)
    alone = np.concatenate([turn_end_probability(audio, [e], cache=False) for e in ends[:3]])
    np.testing.assert_allclose(together[:3], alone, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"end_ms": [-1.0]}, "end_ms"),
        ({"end_ms": [1e9]}, "end_ms"),
        ({"end_ms": [float("nan")]}, "end_ms"),
        ({"end_ms": ["soon"]}, "end_ms"),
        ({"end_ms": [1000.0, 2000.0], "start_ms": [0.0, 0.0, 0.0]}, "start_ms"),
        ({"end_ms": [1000.0], "start_ms": [1500.0]}, "start_ms"),
    ],
)
def test_bad_positions(kw, field):
    audio = Audio(np.zeros(24000 * 2, np.int16))
    with pytest.raises(ConfigError) as info:
        turn_end_probability(audio, cache=False, **kw)
    assert info.value.field == field


def test_no_positions():
    out = turn_end_probability(Audio(np.zeros(2400, np.int16)), [], cache=False)
    assert out.shape == (0,) and out.dtype == np.float32


# -- review fixes -----------------------------------------------------------------------------


def test_a_path_is_loaded_like_vad_does_and_junk_is_an_rtlab_error():
    from rtlab.errors import AudioFormatError

    path = Path(__file__).resolve().parents[1] / "datasets" / "jfk_whisper" / "jfk.flac"
    p = turn_end_probability(path, [11000.0], cache=False)
    assert p.shape == (1,) and 0.0 <= float(p[0]) <= 1.0
    with pytest.raises(AudioFormatError, match="'src' parameter of load_audio"):
        turn_end_probability(5, [1.0])  # type: ignore[arg-type]


def test_log_mel_features_rejects_text_and_nan():
    with pytest.raises(ConfigError, match="'windows' parameter of log_mel_features"):
        smart_turn.log_mel_features("x")  # type: ignore[arg-type]
    x = np.zeros(smart_turn._N_SAMPLES)
    x[5] = np.nan
    with pytest.raises(ConfigError, match="NaN or inf"):
        smart_turn.log_mel_features(x)
