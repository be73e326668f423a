"""rtlab.noise: generators, mixing at an SNR, and noise reduction, on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rtlab
from rtlab import Audio, load_audio, noise
from rtlab.errors import AudioFormatError, ConfigError

DATA = Path(__file__).resolve().parents[1] / "datasets"
L0870 = DATA / "librivox_pocketsphinx" / "sense_and_sensibility_01_austen_64kb-0870.wav"
ES2011A = DATA / "ami_lhotse" / "ES2011a.Headset-0-40s-46s.wav"
JFK = DATA / "jfk_whisper" / "jfk.flac"
TRN01 = DATA / "ami_pyannote_debug" / "trn01.wav"


@pytest.fixture(scope="module")
def speech() -> Audio:
    return load_audio(L0870)


def band_power(x: np.ndarray, low_hz: float, high_hz: float) -> float:
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / 24000)
    return float(power[(freqs >= low_hz) & (freqs < high_hz)].sum())


def level_dbfs(audio: Audio) -> float:
    return float(10 * np.log10(np.mean(audio.samples.astype(np.float64) ** 2) / 32768**2))


def measured_snr(clean: Audio, noisy: Audio) -> float:
    """Independent of noise.snr_db: power of the clean clip over power of the difference."""
    s = clean.samples.astype(np.float64)
    e = noisy.samples.astype(np.float64) - s
    return float(10 * np.log10(np.mean(s**2) / np.mean(e**2)))


# --------------------------------------------------------------------------- generators


def test_white() -> None:
    hiss = noise.white(4.0, seed=1)
    assert hiss.n_samples == 96000 and hiss.source == "white(seed=1)"
    assert abs(level_dbfs(hiss) - -30.0) < 0.01
    assert noise.white(4.0, seed=1) == hiss and noise.white(4.0, seed=2) != hiss
    assert abs(level_dbfs(noise.white(1.0, level_dbfs=-12)) - -12.0) < 0.01
    low, high = band_power(hiss.samples, 1000, 2000), band_power(hiss.samples, 9000, 10000)
    assert abs(10 * np.log10(low / high)) < 0.3  # flat spectrum
    assert noise.white(0).n_samples == 0


def test_pink_has_equal_power_per_octave() -> None:
    x = noise.pink(20.0, seed=3).samples
    assert abs(level_dbfs(noise.pink(20.0, seed=3)) - -30.0) < 0.01
    octaves = [band_power(x, f, 2 * f) for f in (125, 250, 500, 1000, 2000, 4000)]
    spread_db = 10 * np.log10(max(octaves) / min(octaves))
    assert spread_db < 0.5
    # per-Hz density falls 3 dB per octave (10 dB per decade)
    density = [band_power(x, f, f + 50) for f in (200, 2000)]
    assert abs(10 * np.log10(density[0] / density[1]) - 10.0) < 1.0
    assert band_power(x, 0, 19.9) < 1e-6 * band_power(x, 20, 12000)  # nothing below 20 Hz
    assert noise.pink(1.0, seed=3) != noise.pink(1.0, seed=4)


def test_babble_from_real_clips() -> None:
    talkers = [load_audio(p) for p in (L0870, ES2011A, JFK)]
    crowd = noise.babble(talkers, 8.0, n_talkers=5, seed=2)
    assert crowd.n_samples == 192000 and abs(level_dbfs(crowd) - -30.0) < 0.01
    assert noise.babble(talkers, 8.0, n_talkers=5, seed=2) == crowd
    # speech-shaped: most power below 4 kHz, unlike white noise
    x = crowd.samples
    assert band_power(x, 100, 4000) > 20 * band_power(x, 4000, 12000)


def test_babble_single_talker_is_a_looped_clip() -> None:
    clip = load_audio(ES2011A)  # 6 s, looped to 10 s
    one = noise.babble([clip], 10.0, n_talkers=1, seed=5).samples.astype(np.float64)
    source = clip.samples.astype(np.float64)
    n = source.size
    circular = np.fft.irfft(np.conj(np.fft.rfft(one[:n])) * np.fft.rfft(source), n)
    start = int(np.argmax(circular))  # where in the clip the talker starts
    looped = np.take(source, np.arange(start, start + one.size) % source.size)
    scale = np.dot(one, looped) / np.dot(looped, looped)
    assert np.corrcoef(one, looped)[0, 1] > 0.999 and scale > 0


def test_babble_shorthand_uses_the_shipped_speech() -> None:
    crowd = noise.babble(3.0, seed=1)
    assert crowd.duration_s == 3.0 and crowd.source == "babble(n_talkers=6, seed=1)"
    assert noise.babble(None, 3.0, seed=1) == crowd


def test_generator_errors() -> None:
    with pytest.raises(ConfigError, match="duration_s"):
        noise.white(-1.0)
    with pytest.raises(ConfigError, match="duration_s"):
        noise.pink(float("nan"))
    with pytest.raises(ConfigError, match="level_dbfs"):
        noise.white(1.0, level_dbfs=float("inf"))
    with pytest.raises(ConfigError, match="n_talkers"):
        noise.babble([noise.white(1.0)], 1.0, n_talkers=0)
    with pytest.raises(ConfigError, match="not silent"):
        noise.babble([Audio(np.zeros(100, np.int16))], 1.0)
    with pytest.raises(ConfigError, match="Audio clips"):
        noise.babble(["speech.wav"], 1.0)  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="duration_s"):
        noise.babble([noise.white(1.0)])


# --------------------------------------------------------------------------- mixing


@pytest.mark.parametrize("kind", ["white", "pink", "babble"])
@pytest.mark.parametrize("snr", [-5.0, 0.0, 5.0, 10.0, 20.0])
def test_mix_hits_the_requested_snr(speech: Audio, kind: str, snr: float) -> None:
    noisy = noise.mix(speech, kind, snr_db=snr, seed=3)
    assert noisy.n_samples == speech.n_samples
    assert abs(measured_snr(speech, noisy) - snr) < 0.1
    assert abs(noise.snr_db(speech, noisy) - snr) < 0.1
    assert noisy.source == f"{speech.source}+{kind}@{snr:g}dB"


def test_mix_loops_short_noise_and_reads_paths(speech: Audio, tmp_path: Path) -> None:
    short = load_audio(ES2011A)[0:0.5]  # 0.5 s of real room sound, looped over 7.1 s
    noisy = noise.mix(speech, short, snr_db=6.0, seed=1)
    assert abs(measured_snr(speech, noisy) - 6.0) < 0.1
    residual = noisy.samples.astype(np.float64) - speech.samples
    period = short.n_samples
    assert np.corrcoef(residual[:period], residual[period : 2 * period])[0, 1] > 0.99
    path = noise.white(2.0, seed=9).save(tmp_path / "hiss.wav")
    from_path = noise.mix(speech, path, snr_db=10.0, seed=1)
    assert from_path == noise.mix(speech, load_audio(path), snr_db=10.0, seed=1)
    long = load_audio(TRN01)  # longer than the speech: cropped
    assert abs(measured_snr(speech, noise.mix(speech, long, snr_db=3.0)) - 3.0) < 0.1


def test_mix_is_seeded(speech: Audio) -> None:
    a = noise.mix(speech, "pink", snr_db=5.0, seed=1)
    assert a == noise.mix(speech, "pink", snr_db=5.0, seed=1)
    assert a != noise.mix(speech, "pink", snr_db=5.0, seed=2)


def test_mix_clips_loud_results_without_wrapping(speech: Audio) -> None:
    noisy = noise.mix(speech, "white", snr_db=-40.0, seed=0)
    x = noisy.samples
    assert x.max() == 32767 and x.min() == -32768
    residual = x.astype(np.float64) - speech.samples
    clipped_high = x == 32767
    assert np.all(residual[clipped_high] >= -32768)  # a wrap would jump to the other rail
    assert measured_snr(speech, noisy) > -40.0  # clipping removes noise power


def test_mix_errors(speech: Audio) -> None:
    silent = Audio(np.zeros(24000, np.int16))
    with pytest.raises(AudioFormatError, match="not silent"):
        noise.mix(silent, "white", snr_db=10)
    with pytest.raises(AudioFormatError, match="not silent"):
        noise.mix(speech, silent, snr_db=10)
    with pytest.raises(AudioFormatError, match="with samples"):
        noise.mix(speech, Audio(np.zeros(0, np.int16)), snr_db=10)
    with pytest.raises(ConfigError, match="snr_db"):
        noise.mix(speech, "white", snr_db=float("nan"))
    with pytest.raises(ConfigError, match="snr_db"):
        noise.mix(speech, "white", snr_db=None)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        noise.mix(speech, "purple", snr_db=10)  # not a generator name: read as a path
    with pytest.raises(AudioFormatError, match=r"rtlab\.Audio"):
        noise.mix(speech.samples, "white", snr_db=10)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="noise"):
        noise.mix(speech, 3, snr_db=10)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- reduction


@pytest.mark.parametrize("kind", ["near_field", "far_field"])
@pytest.mark.parametrize("noise_kind", ["white", "pink"])
def test_reduce_raises_snr_on_noisy_speech(speech: Audio, kind: str, noise_kind: str) -> None:
    noisy = noise.mix(speech, noise_kind, snr_db=0.0, seed=11)
    cleaned = noise.reduce(noisy, kind)
    assert cleaned.n_samples == noisy.n_samples and cleaned.source.endswith(f"|{kind}")
    before, after = measured_snr(speech, noisy), measured_snr(speech, cleaned)
    assert after - before > 2.0, (before, after)


def test_reduce_far_field_is_stronger_than_near_field(speech: Audio) -> None:
    """far_field gates harder: it removes more power from noise-only input."""
    hiss = noise.pink(speech.duration_s, seed=4)
    noisy = noise.mix(speech, hiss, snr_db=0.0)
    residual = {k: level_dbfs(noise.reduce(noisy, k)) for k in ("near_field", "far_field")}
    assert residual["far_field"] < residual["near_field"] < level_dbfs(noisy)


def test_reduce_accepts_session_values(speech: Audio) -> None:
    clip = speech[0:2.0]
    by_object = noise.reduce(clip, rtlab.NoiseReduction(type="far_field"))
    assert by_object == noise.reduce(clip, "far_field")
    assert noise.reduce(clip, None) is clip
    assert noise.reduce(clip, rtlab.Session().input_audio_noise_reduction) is clip  # off by default
    with pytest.raises(ConfigError, match="'near_field', 'far_field' or None"):
        noise.reduce(clip, "studio")
    with pytest.raises(AudioFormatError, match=r"rtlab\.Audio"):
        noise.reduce(clip.samples, "near_field")  # type: ignore[arg-type]


def test_reduce_handles_tiny_and_silent_clips() -> None:
    assert noise.reduce(Audio(np.zeros(0, np.int16)), "near_field").n_samples == 0
    silent = Audio(np.zeros(24000, np.int16))
    assert np.array_equal(noise.reduce(silent, "far_field").samples, silent.samples)
    tiny = noise.white(0.01, seed=1)
    assert np.array_equal(noise.reduce(tiny, "near_field").samples, tiny.samples)


@pytest.mark.slow
def test_reduce_on_audio_longer_than_one_chunk() -> None:
    """Clips over 60 s go through noisereduce in chunks; the result keeps its length."""
    trn = load_audio(TRN01)
    long = Audio(np.concatenate([trn.samples] * 3), source="90s")
    noisy = noise.mix(long, "white", snr_db=0.0, seed=2)
    cleaned = noise.reduce(noisy, "far_field")
    assert cleaned.n_samples == long.n_samples
    assert measured_snr(long, cleaned) > measured_snr(long, noisy) + 2.0


# --------------------------------------------------------------------------- bad input

HUGE = 10**400  # an int no float can hold


def _check(err: pytest.ExceptionInfo[Exception], field: str, value: object) -> None:
    assert err.value.field == field  # type: ignore[attr-defined]
    assert err.value.value is value or err.value.value == value  # type: ignore[attr-defined]
    message = str(err.value)
    assert f"'{field}' parameter" in message
    assert repr(value)[:60] in message


@pytest.mark.parametrize("maker", [noise.white, noise.pink, noise.babble])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_s", HUGE),
        ("duration_s", 1e300),
        ("duration_s", -1),
        ("level_dbfs", HUGE),
        ("level_dbfs", 1e300),
        ("level_dbfs", "loud"),
        ("seed", -1),
        ("seed", "x"),
        ("seed", 1.5),
        ("seed", True),
        ("seed", [1, 2]),
    ],
)
def test_generators_reject_bad_options(maker, field: str, value: object) -> None:
    options: dict[str, object] = {"duration_s": 0.5, field: value}
    duration = options.pop("duration_s")
    with pytest.raises(ConfigError) as err:
        maker(duration, **options)
    _check(err, field, value)


@pytest.mark.parametrize("value", [HUGE, 10**6, 2.5, "6", None])
def test_babble_rejects_bad_talker_counts(value: object) -> None:
    with pytest.raises(ConfigError) as err:
        noise.babble([noise.white(1.0)], 0.5, n_talkers=value)  # type: ignore[arg-type]
    _check(err, "n_talkers", value)


@pytest.mark.parametrize("noise_arg", ["white", "babble", "clip"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", -1),
        ("seed", "x"),
        ("seed", 2.0),
        ("seed", None),
        ("snr_db", HUGE),
        ("snr_db", 1e300),
        ("snr_db", -1e300),
        ("snr_db", "10"),
    ],
)
def test_mix_rejects_bad_options(speech: Audio, noise_arg: str, field: str, value: object) -> None:
    source = noise.pink(1.0, seed=5) if noise_arg == "clip" else noise_arg
    options: dict[str, object] = {"snr_db": 10.0, field: value}
    with pytest.raises(ConfigError) as err:
        noise.mix(speech, source, **options)  # type: ignore[arg-type]
    _check(err, field, value)


@pytest.mark.parametrize("kind", [["near_field"], {"type": "far_field"}, {"x"}, 1, "nearfield"])
def test_reduce_rejects_bad_kinds(speech: Audio, kind: object) -> None:
    with pytest.raises(ConfigError) as err:
        noise.reduce(speech, kind=kind)
    _check(err, "kind", kind)
    assert "'near_field', 'far_field' or None" in str(err.value)
