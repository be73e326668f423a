"""rtlab.audio: loading real clips, conversions, the Audio value, codecs, events, bad input."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

import rtlab
from rtlab import Audio, load_audio
from rtlab.audio import SAMPLE_RATE_HZ
from rtlab.errors import AudioFormatError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"
JFK = DATA / "jfk_whisper" / "jfk.flac"
TRN01 = DATA / "ami_pyannote_debug" / "trn01.wav"
LIBRI = DATA / "librivox_pocketsphinx"
L0870 = LIBRI / "sense_and_sensibility_01_austen_64kb-0870.wav"
L0880 = LIBRI / "sense_and_sensibility_01_austen_64kb-0880.wav"
ES2011A = DATA / "ami_lhotse" / "ES2011a.Headset-0-40s-46s.wav"
CLIPS = [JFK, TRN01, L0870, L0880, ES2011A]


def snr(reference: np.ndarray, test: np.ndarray) -> float:
    reference = reference.astype(np.float64)
    error = test.astype(np.float64) - reference
    return float(10 * np.log10(np.sum(reference**2) / np.sum(error**2)))


def as_int16(x: np.ndarray) -> np.ndarray:
    """Independent float → int16 reference conversion (round, clip)."""
    return np.clip(np.rint(np.asarray(x, np.float64) * 32768), -32768, 32767).astype(np.int16)


@pytest.fixture(scope="module")
def jfk() -> Audio:
    return load_audio(JFK)


@pytest.fixture(scope="module")
def libri() -> Audio:
    return load_audio(L0880)


# --------------------------------------------------------------------------- real clips


@pytest.mark.parametrize("path", CLIPS, ids=lambda p: p.name)
def test_real_clips_load_as_24k_mono_int16(path: Path) -> None:
    info = sf.info(str(path))
    audio = load_audio(path)
    assert audio.samples.dtype == np.int16 and audio.samples.ndim == 1
    assert audio.sample_rate_hz == 24000
    assert not audio.samples.flags.writeable
    assert audio.source == path.name
    expected = info.frames * SAMPLE_RATE_HZ / info.samplerate
    assert abs(audio.n_samples - expected) <= 1
    assert abs(audio.duration_s - info.duration) <= 1 / SAMPLE_RATE_HZ
    assert np.abs(audio.samples).max() > 1000  # real speech, not silence


def test_known_durations() -> None:
    assert load_audio(JFK).duration_s == 11.0  # 44.1 kHz stereo 24-bit FLAC
    assert round(load_audio(TRN01).duration_s, 3) == 30.0  # 16 kHz float32 WAV
    assert load_audio(L0880).duration_s == 2.99  # 16 kHz PCM16 WAV
    assert load_audio(L0870).duration_ms == 7100.0


def test_stereo_channels_mix_and_pick() -> None:
    left, right, mixed = (load_audio(JFK, channel=c) for c in (0, 1, "mix"))
    raw, rate = sf.read(str(JFK), dtype="float64")
    assert rate == 44100 and raw.shape[1] == 2
    expected_left = as_int16(soxr.resample(raw[:, 0], rate, 24000, quality="HQ"))
    assert np.abs(left.samples.astype(int) - expected_left).max() <= 1
    halfway = (left.samples.astype(np.int32) + right.samples.astype(np.int32)) / 2
    assert np.abs(mixed.samples - halfway).max() <= 1.5
    assert load_audio(JFK, channel=-1) == right
    assert load_audio(JFK, channel=-2) == left


def test_pcm16_at_24k_loads_sample_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-32768, 32768, 24000, dtype=np.int16)
    sf.write(tmp_path / "x.wav", x, 24000, subtype="PCM_16")
    assert np.array_equal(load_audio(tmp_path / "x.wav").samples, x)
    stereo = np.stack([x, -x // 2], axis=1)
    sf.write(tmp_path / "s.wav", stereo, 24000, subtype="PCM_16")
    assert np.array_equal(load_audio(tmp_path / "s.wav", channel=1).samples, stereo[:, 1])
    mixed = load_audio(tmp_path / "s.wav").samples
    assert np.abs(mixed - (stereo.astype(np.int32).sum(axis=1) / 2)).max() <= 0.5


# --------------------------------------------------------------------------- conversions


def test_resampling_keeps_frequency_and_amplitude() -> None:
    """A 1 kHz sine at 44.1 kHz comes out at 1 kHz, same amplitude, no added distortion."""
    t = np.arange(2 * 44100) / 44100
    audio = load_audio(0.5 * np.sin(2 * np.pi * 1000 * t), sample_rate_hz=44100)
    assert audio.n_samples == 48000
    x = audio.samples.astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    assert np.fft.rfftfreq(x.size, 1 / 24000)[np.argmax(spectrum)] == 1000.0
    middle = slice(2400, -2400)  # away from the edges' filter transients
    tt = np.arange(x.size)[middle] / 24000
    basis = np.stack([np.sin(2 * np.pi * 1000 * tt), np.cos(2 * np.pi * 1000 * tt)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x[middle], rcond=None)
    assert abs(np.hypot(*coef) - 0.5 * 32768) < 0.0005 * 16384
    residual = x[middle] - basis @ coef
    assert 10 * np.log10(np.mean((basis @ coef) ** 2) / np.mean(residual**2)) > 90


def test_resampling_removes_content_above_the_new_nyquist() -> None:
    """A 15 kHz tone cannot exist at 24 kHz: it must be filtered, not aliased to 9 kHz."""
    t = np.arange(2 * 44100) / 44100
    audio = load_audio(0.5 * np.sin(2 * np.pi * 15000 * t), sample_rate_hz=44100)
    assert np.abs(audio.samples[2400:-2400]).max() <= 1


@pytest.mark.parametrize("rate", [24000, 16000])
def test_floats_beyond_full_scale_clip_and_never_wrap(rate: int) -> None:
    t = np.arange(rate) / rate
    x = 2.0 * np.sin(2 * np.pi * 50 * t)
    audio = load_audio(x, sample_rate_hz=rate)
    y = audio.samples
    assert y.max() == 32767 and y.min() == -32768
    if rate == 24000:
        assert np.all(y[x >= 1.0] == 32767) and np.all(y[x <= -1.0] == -32768)
    x_at_24k = x if rate == 24000 else np.sin(2 * np.pi * 50 * np.arange(24000) / 24000)
    loud = np.abs(x_at_24k) > 0.05
    assert np.all(np.sign(y[loud]) == np.sign(x_at_24k[loud]))  # a wrap would flip the sign


def test_dtypes_agree(libri: Audio) -> None:
    x16, rate = sf.read(str(L0880), dtype="int16")
    as16 = load_audio(x16, sample_rate_hz=rate)
    assert as16 == Audio(libri.samples, source="<array>")
    assert (
        load_audio(x16.astype(np.float32) / 32768, sample_rate_hz=rate).samples.tolist()
        == as16.samples.tolist()
    )
    assert np.array_equal(
        load_audio(x16.astype(np.float64) / 32768, sample_rate_hz=rate).samples, as16.samples
    )
    assert np.array_equal(
        load_audio(x16.astype(np.int32) << 16, sample_rate_hz=rate).samples, as16.samples
    )
    u8 = ((x16.astype(np.int32) >> 8) + 128).astype(np.uint8)
    s8 = (x16.astype(np.int32) >> 8).astype(np.int8)
    from_u8 = load_audio(u8, sample_rate_hz=rate).samples
    assert np.array_equal(from_u8, load_audio(s8, sample_rate_hz=rate).samples)
    coarse = load_audio((u8.astype(np.int16) - 128) << 8, sample_rate_hz=rate).samples
    assert np.array_equal(from_u8, coarse)
    big_endian = x16.astype(">i2")
    assert np.array_equal(load_audio(big_endian, sample_rate_hz=rate).samples, as16.samples)
    half = load_audio(x16.astype(np.float16) / np.float16(32768), sample_rate_hz=rate)
    assert snr(as16.samples, half.samples) > 50  # float16 keeps 11 bits


def test_array_layouts() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.5, 0.5, (16000, 3)).astype(np.float32)
    frames_first = load_audio(x, sample_rate_hz=16000)
    channels_first = load_audio(x.T, sample_rate_hz=16000)
    assert frames_first.samples.tolist() == channels_first.samples.tolist()
    assert frames_first.n_samples == 24000
    picked = load_audio(x.T, sample_rate_hz=16000, channel=2)
    assert np.array_equal(picked.samples, load_audio(x[:, 2], sample_rate_hz=16000).samples)
    assert load_audio([0.0, 0.5, -0.5], sample_rate_hz=24000).samples.tolist() == [0, 16384, -16384]


def test_input_arrays_are_copied_not_shared() -> None:
    x = np.arange(-100, 100, dtype=np.int16)
    audio = load_audio(x, sample_rate_hz=24000)
    x[:] = 0
    assert audio.samples[0] == -100
    assert not np.shares_memory(audio.samples, x)


@pytest.mark.parametrize(
    ("fmt", "subtype", "min_snr_db"),
    [
        ("WAV", "PCM_16", None),
        ("WAV", "PCM_24", None),
        ("WAV", "PCM_32", None),
        ("WAV", "FLOAT", None),
        ("FLAC", "PCM_16", None),
        ("AIFF", "PCM_16", None),
        ("WAV", "PCM_U8", 15),
        ("OGG", "VORBIS", 10),
        ("OGG", "OPUS", 8),
        ("MP3", "MPEG_LAYER_III", 10),
    ],
)
def test_file_formats(
    tmp_path: Path, libri: Audio, fmt: str, subtype: str, min_snr_db: float | None
) -> None:
    x, rate = sf.read(str(L0880), dtype="int16")
    path = tmp_path / f"clip.{fmt.lower()}"
    data = x / 32768 if subtype == "FLOAT" else x  # libsndfile stores int data in floats unscaled
    sf.write(str(path), data, rate, format=fmt, subtype=subtype)
    audio = load_audio(path)
    assert audio.n_samples == libri.n_samples
    if min_snr_db is None:  # lossless: identical to the original
        assert np.array_equal(audio.samples, libri.samples)
    else:
        assert snr(libri.samples, audio.samples) > min_snr_db


def test_file_like_objects(tmp_path: Path, libri: Audio) -> None:
    data = L0880.read_bytes()
    assert np.array_equal(load_audio(io.BytesIO(data)).samples, libri.samples)
    assert np.array_equal(load_audio(data).samples, libri.samples)  # WAV bytes, no format
    with open(L0880, "rb") as handle:
        from_handle = load_audio(handle)
    assert from_handle.source == L0880.name and np.array_equal(from_handle.samples, libri.samples)

    class Stream(io.RawIOBase):
        """A pipe-like stream: readable, not seekable."""

        def __init__(self, payload: bytes) -> None:
            self._inner = io.BytesIO(payload)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            return self._inner.readinto(buffer)

    assert np.array_equal(load_audio(Stream(data)).samples, libri.samples)
    assert load_audio(io.BytesIO(libri.pcm16()), format="pcm16") == Audio(
        libri.samples, source="<file>"
    )


# --------------------------------------------------------------------------- Audio value


def test_audio_value_semantics(jfk: Audio) -> None:
    assert jfk.n_samples == 264000 and jfk.duration_ms == 11000.0
    with pytest.raises(ValueError, match="read-only"):
        jfk.samples[0] = 1
    with pytest.raises(AttributeError):
        jfk.source = "x"  # type: ignore[misc]
    again = load_audio(JFK)
    assert again == jfk and hash(again) == hash(jfk) and again is not jfk
    assert jfk != Audio(jfk.samples, source="other")
    assert jfk != Audio(jfk.samples[:-1], source=jfk.source)
    assert jfk.fingerprint == hashlib.sha1(jfk.pcm16()).hexdigest()
    assert jfk.fingerprint is jfk.fingerprint  # cached
    assert repr(jfk) == "Audio(source='jfk.flac', duration_s=11.0)"
    assert {jfk: 1}[again] == 1
    with pytest.raises(TypeError):
        len(jfk)


def test_audio_construction_copies_only_when_needed() -> None:
    frozen = np.arange(10, dtype=np.int16)
    frozen.setflags(write=False)
    assert Audio(frozen).samples is frozen
    writable = np.arange(10, dtype=np.int16)
    audio = Audio(writable)
    assert audio.samples is not writable and not audio.samples.flags.writeable
    strided = np.arange(20, dtype=np.int16)[::2]
    strided.setflags(write=False)
    assert Audio(strided).samples.flags.c_contiguous
    assert Audio(memoryview(np.arange(3, dtype=np.int16))).n_samples == 3  # not an ndarray
    with pytest.raises(AudioFormatError, match="int16"):
        Audio(np.zeros(10, dtype=np.float32))
    with pytest.raises(AudioFormatError, match=r"shape \(10, 2\)"):
        Audio(np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(AudioFormatError, match="source"):
        Audio(frozen, source=3)  # type: ignore[arg-type]


def test_slicing_by_seconds(jfk: Audio) -> None:
    part = jfk[1.0:2.5]
    assert part.n_samples == 36000 and part.duration_s == 1.5
    assert np.array_equal(part.samples, jfk.samples[24000:60000])
    assert np.shares_memory(part.samples, jfk.samples)
    assert part.source == "jfk.flac[1:2.5]"
    assert np.array_equal(jfk[-1.0:].samples, jfk.samples[-24000:])
    assert np.array_equal(jfk[:0.5].samples, jfk.samples[:12000])
    assert jfk[:].samples is not None and jfk[:].n_samples == jfk.n_samples
    assert jfk[5:3].n_samples == 0
    assert jfk[100:200].n_samples == 0
    assert jfk[-100:0.001].n_samples == 24
    with pytest.raises(AudioFormatError, match="step"):
        jfk[1:2:1]
    with pytest.raises(TypeError, match="slices by seconds"):
        jfk[1]
    with pytest.raises(AudioFormatError, match="finite"):
        jfk[float("nan") :]
    with pytest.raises(AudioFormatError, match="number of seconds"):
        jfk["1":]


def test_repr_html_is_a_player(libri: Audio) -> None:
    page = libri._repr_html_()
    assert "<audio controls" in page and "2.990 s" in page and "first" not in page
    data = re.search(r'src="data:audio/wav;base64,([^"]+)"', page).group(1)
    samples, rate = sf.read(io.BytesIO(base64.b64decode(data)), dtype="int16")
    assert rate == 24000 and np.array_equal(samples, libri.samples)
    odd = Audio(libri.samples, source="<b>&</b>")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in odd._repr_html_()


def test_repr_html_caps_long_clips() -> None:
    trn = load_audio(TRN01)
    long = Audio(np.concatenate([trn.samples] * 3), source="90s")
    page = long._repr_html_()
    assert "first 60 s" in page and "90.000 s" in page
    data = re.search(r"base64,([^\"]+)", page).group(1)
    assert sf.info(io.BytesIO(base64.b64decode(data))).frames == 60 * 24000


def test_save_writes_24k_pcm16_wav_atomically(tmp_path: Path, jfk: Audio) -> None:
    target = tmp_path / "sub" / "jfk.wav"
    assert jfk.save(target) == target
    info = sf.info(str(target))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (
        24000,
        1,
        "PCM_16",
        "WAV",
    )
    samples, _ = sf.read(str(target), dtype="int16")
    assert np.array_equal(samples, jfk.samples)
    jfk[0:1].save(target)  # overwrite
    assert sf.info(str(target)).frames == 24000
    before = target.read_bytes()
    with pytest.raises(AudioFormatError, match=r"\.wav"):
        jfk.save(tmp_path / "sub" / "jfk.flac")
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["jfk.wav"]  # no temp files left


# --------------------------------------------------------------------------- codecs


def test_pcm16_bytes_round_trip_exactly(jfk: Audio) -> None:
    data = jfk.pcm16()
    assert len(data) == 2 * jfk.n_samples
    assert data == np.asarray(jfk.samples, dtype="<i2").tobytes()
    assert np.array_equal(Audio.from_pcm16(data).samples, jfk.samples)
    assert np.array_equal(load_audio(data, format="pcm16").samples, jfk.samples)
    assert np.array_equal(Audio.from_pcm16(bytearray(data)).samples, jfk.samples)
    assert Audio.from_pcm16(b"").n_samples == 0
    assert Audio.from_pcm16(data).source == "<pcm16>"


def test_pcm16_bytes_at_another_rate(libri: Audio) -> None:
    x, rate = sf.read(str(L0880), dtype="int16")
    from_bytes = load_audio(x.tobytes(), format="pcm16", sample_rate_hz=rate)
    assert np.array_equal(from_bytes.samples, libri.samples)


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_matches_audioop_on_the_8k_codes(libri: Audio, law: str) -> None:
    codes = libri.to_g711(law)
    assert isinstance(codes, bytes) and len(codes) == libri.n_samples // 3
    pcm8k = as_int16(soxr.resample(libri.samples / 32768, 24000, 8000, quality="HQ"))
    assert codes == getattr(audioop, f"lin2{law}")(pcm8k.tobytes(), 2)
    decoded = Audio.from_g711(codes, law)
    linear = np.frombuffer(getattr(audioop, f"{law}2lin")(codes, 2), dtype=np.int16)
    expected = as_int16(soxr.resample(linear / 32768, 8000, 24000, quality="HQ"))
    assert np.array_equal(decoded.samples, expected)
    assert decoded.source == f"<g711_{law}>" and decoded.n_samples == libri.n_samples
    assert Audio.from_g711(codes, f"g711_{law}") == decoded
    assert load_audio(codes, format=f"g711_{law}").samples.tolist() == decoded.samples.tolist()


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_g711_round_trip_error_is_the_codec_s(libri: Audio, law: str) -> None:
    """Against the same clip band-limited to 8 kHz, G.711 adds only its ~38 dB of noise."""
    round_trip = Audio.from_g711(libri.to_g711(law), law)
    at_8k = soxr.resample(libri.samples / 32768, 24000, 8000, quality="HQ")
    band_limited = as_int16(soxr.resample(at_8k, 8000, 24000, quality="HQ"))
    assert 30 < snr(band_limited, round_trip.samples) < 45


def test_raw_file_with_a_format(tmp_path: Path, libri: Audio) -> None:
    path = tmp_path / "call.ulaw"
    path.write_bytes(libri.to_g711("ulaw"))
    audio = load_audio(path, format="g711_ulaw")
    assert audio.source == "call.ulaw"
    assert np.array_equal(audio.samples, Audio.from_g711(path.read_bytes(), "ulaw").samples)


# --------------------------------------------------------------------------- events


def test_append_events_pcm16(libri: Audio) -> None:
    from openai.types.beta.realtime import InputAudioBufferAppendEvent as BetaAppend
    from openai.types.realtime import InputAudioBufferAppendEvent as GaAppend

    events = libri.append_events(chunk_ms=100)
    assert len(events) == -(-libri.n_samples // 2400)
    chunks = [base64.b64decode(e["audio"]) for e in events]
    assert all(len(c) == 4800 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 4800
    assert b"".join(chunks) == libri.pcm16()
    for event in events:
        assert set(event) == {"type", "audio"}
        for model in (BetaAppend, GaAppend):
            parsed = model.model_validate(event)
            assert parsed.type == "input_audio_buffer.append" and parsed.audio == event["audio"]
    with pytest.raises(ValueError):
        BetaAppend.model_validate({"type": "input_audio_buffer.append"})  # the types do check


@pytest.mark.parametrize("law", ["ulaw", "alaw"])
def test_append_events_g711(libri: Audio, law: str) -> None:
    events = libri.append_events(chunk_ms=250, format=f"g711_{law}")
    chunks = [base64.b64decode(e["audio"]) for e in events]
    assert all(len(c) == 2000 for c in chunks[:-1])
    assert b"".join(chunks) == libri.to_g711(law)


def test_append_events_from_a_session_and_ga_names(libri: Audio) -> None:
    session = rtlab.Session(input_audio_format="g711_alaw")
    assert libri.append_events(format=session) == libri.append_events(format="g711_alaw")
    assert libri.append_events(format="audio/pcmu") == libri.append_events(format="g711_ulaw")
    assert libri.append_events(format={"type": "audio/pcm", "rate": 24000}) == libri.append_events()
    assert (
        libri.append_events(chunk_ms=0.01)[0]["audio"]
        == base64.b64encode(libri.pcm16()[:2]).decode()
    )
    assert Audio(np.zeros(0, np.int16)).append_events() == []


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def wav_bytes() -> bytes:
    return L0880.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.wav", b"", "empty"),
        ("header_cut.wav", 30, "data"),
        ("no_data.wav", 44, "truncated"),
        ("data_cut.wav", "half", "truncated"),
        ("half_sample.wav", -1, "truncated"),
        ("notes.txt", b"these are meeting notes, not audio\n" * 40, "Format not recognised"),
        (
            "fake.wav",
            b"RIFF is a container; this file is just text pretending.\n" * 10,
            "libsndfile",
        ),
    ],
)
def test_bad_files(
    tmp_path: Path, wav_bytes: bytes, name: str, content: object, message: str
) -> None:
    if content == "half":
        content = wav_bytes[: len(wav_bytes) // 2]
    elif isinstance(content, int):
        content = wav_bytes[:content]
    path = tmp_path / name
    path.write_bytes(content)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match=message) as info:
        load_audio(path)
    assert info.value.field == "src" and "WAV, FLAC" in str(info.value)


@pytest.mark.parametrize(("fmt", "subtype"), [("FLAC", "PCM_16"), ("MP3", "MPEG_LAYER_III")])
def test_truncated_compressed_files(tmp_path: Path, fmt: str, subtype: str) -> None:
    x, rate = sf.read(str(L0880), dtype="int16")
    path = tmp_path / f"cut.{fmt.lower()}"
    sf.write(str(path), x, rate, format=fmt, subtype=subtype)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(AudioFormatError, match="truncated"):
        load_audio(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioFormatError, match="folder"):
        load_audio(tmp_path)


def test_bad_bytes(libri: Audio) -> None:
    with pytest.raises(AudioFormatError, match="even number of bytes"):
        load_audio(b"\x00\x01\x02", format="pcm16")
    with pytest.raises(AudioFormatError, match="even number of bytes"):
        Audio.from_pcm16(b"\x00")
    with pytest.raises(AudioFormatError, match="pass format="):
        load_audio(libri.pcm16())  # raw samples without format
    with pytest.raises(AudioFormatError, match="non-empty"):
        load_audio(b"", format="pcm16")
    with pytest.raises(AudioFormatError, match="'pcm16', 'g711_ulaw' or 'g711_alaw'"):
        load_audio(libri.pcm16(), format="opus")
    with pytest.raises(AudioFormatError, match="leave it out"):
        load_audio(L0880, format="wav")
    with pytest.raises(AudioFormatError, match="bytes"):
        Audio.from_pcm16("text")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="'ulaw' or 'alaw'"):
        Audio.from_g711(b"\x00", "mulaw")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="'ulaw' or 'alaw'"):
        libri.to_g711("pcm16")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "rate", [0, -16000, float("nan"), float("inf"), 10, 10_000_000, True, "16000"]
)
def test_bad_rates(rate: object) -> None:
    with pytest.raises(AudioFormatError, match="sample_rate_hz") as info:
        load_audio(np.zeros(100, np.float32), sample_rate_hz=rate)  # type: ignore[arg-type]
    if rate in (0, -16000):
        assert "0 Hz or negative" in str(info.value)
    with pytest.raises(AudioFormatError, match="sample_rate_hz"):
        Audio.from_pcm16(b"\x00\x00", sample_rate_hz=rate)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.array([0.0, np.nan, 0.5, np.inf], np.float32),
            "2 NaN or infinite values, the first at sample 1",
        ),
        (
            np.array([[0.1] * 100, [0.2] * 99 + [-np.inf]]),
            "1 NaN or infinite values, the first at sample 99",
        ),
        (
            np.array([[np.inf] * 10, [-np.inf] * 10]).T,
            "20 NaN or infinite values, the first at sample 0",
        ),
        (np.zeros(10, np.complex64), "real part"),
        (np.array([1, "a"], dtype=object), "Python objects"),
        (np.zeros(10, np.int64), "int64 is ambiguous"),
        (np.zeros(10, np.uint16), "int16, int32"),
        (np.zeros(10, bool), "int16, int32"),
        (np.zeros((100, 100), np.float32), "at most 64 channels"),
        (np.zeros((2, 3, 100), np.float32), r"shape \(2, 3, 100\)"),
        (np.zeros(0, np.float32), "at least one sample"),
        (np.zeros((0, 2), np.float32), "at least one sample"),
    ],
)
def test_bad_arrays(array: np.ndarray, message: str) -> None:
    with pytest.raises(AudioFormatError, match=message):
        load_audio(array, sample_rate_hz=16000)


def test_bad_options(jfk: Audio) -> None:
    with pytest.raises(AudioFormatError, match=r"'mix' or an int in \[-2, 1\]"):
        load_audio(JFK, channel=2)
    with pytest.raises(AudioFormatError, match="channel"):
        load_audio(JFK, channel=True)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="channel"):
        load_audio(JFK, channel="left")  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match=r"'mix' or an int in \[-1, 0\]"):
        load_audio(np.zeros(100, np.float32), sample_rate_hz=16000, channel=1)
    with pytest.raises(AudioFormatError, match="the file's own rate"):
        load_audio(JFK, sample_rate_hz=16000)
    with pytest.raises(AudioFormatError, match="array carries no rate"):
        load_audio(np.zeros(100, np.float32))
    with pytest.raises(AudioFormatError, match="src"):
        load_audio(12345)  # type: ignore[arg-type]
    with pytest.raises(AudioFormatError, match="format"):
        load_audio(np.zeros(100, np.float32), sample_rate_hz=16000, format="pcm16")
    with pytest.raises(AudioFormatError, match="sample_rate_hz"):
        load_audio(jfk, sample_rate_hz=16000)
    assert load_audio(jfk) is jfk
    with pytest.raises(AudioFormatError, match="chunk_ms"):
        jfk.append_events(chunk_ms=0)
    with pytest.raises(AudioFormatError, match="chunk_ms"):
        jfk.append_events(chunk_ms=float("nan"))
    with pytest.raises(AudioFormatError, match="format"):
        jfk.append_events(format="opus")


def test_text_mode_file_object(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not audio")
    with open(path) as handle, pytest.raises(AudioFormatError, match="mode 'rb'"):
        load_audio(handle)
    with open(path) as handle, pytest.raises(AudioFormatError, match="mode 'rb'"):
        load_audio(handle, format="pcm16")


# --------------------------------------------------------------------------- review fixes


def test_save_gives_the_file_ordinary_permissions(jfk, tmp_path):
    mask = os.umask(0o022)
    try:
        path = jfk[0:0.5].save(tmp_path / "clip.wav")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0o600 of a temporary file


def test_ragged_list_is_an_audio_format_error():
    with pytest.raises(AudioFormatError, match="'src' parameter of load_audio"):
        load_audio([[0.1, 0.2], [0.3]], sample_rate_hz=16000)


def test_rate_beyond_float_range_is_an_audio_format_error():
    with pytest.raises(AudioFormatError, match="'sample_rate_hz' parameter"):
        load_audio(np.zeros(100, np.float32), sample_rate_hz=10**400)
