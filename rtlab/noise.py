"""Background noise: generate it, mix it in at a chosen SNR, and reduce it like the API does.

- :func:`white`, :func:`pink`, :func:`babble` make noise as :class:`~rtlab.Audio` (24 kHz).
- :func:`mix` adds noise to a clip at a speech-to-noise ratio in dB.
- :func:`reduce` emulates the session's ``input_audio_noise_reduction``
  (``near_field`` / ``far_field``) with spectral gating from the ``noisereduce`` library.

SNR convention
--------------
Everywhere here, the SNR is the ratio of *whole-signal* mean powers over the clip's full
length: ``10 * log10(mean(speech**2) / mean(noise**2))``, pauses included (no voice
activity weighting). A clip that is half silence therefore has about 3 dB more SNR while
someone speaks than the number says. Levels in dBFS are RMS relative to full scale: an RMS
of 32768 (int16) is 0 dBFS, so a full-scale sine is -3 dBFS.

Examples
--------
>>> import rtlab
>>> from rtlab import noise
>>> speech = rtlab.load_audio(
...     "datasets/librivox_pocketsphinx/sense_and_sensibility_01_austen_64kb-0870.wav"
... )
>>> noisy = noise.mix(speech, "pink", snr_db=5, seed=1)
>>> round(noise.snr_db(speech, noisy), 1)
5.0
>>> cleaned = noise.reduce(noisy, "far_field")
>>> noise.snr_db(speech, cleaned) > noise.snr_db(speech, noisy)
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np

from rtlab import _check, _shipped
from rtlab.audio import SAMPLE_RATE_HZ, Audio, load_audio
from rtlab.errors import AudioFormatError, ConfigError

__all__ = ["babble", "mix", "pink", "reduce", "snr_db", "white"]

NoiseKind = Literal["white", "pink", "babble"]
_GENERATORS = ("white", "pink", "babble")
_PINK_LOW_HZ = 20.0


class _Generator(Protocol):
    """What ``white``, ``pink`` and ``babble`` share: a length in seconds and a seed."""

    def __call__(self, duration_s: float, /, *, seed: int) -> Audio: ...


# noisereduce settings per session noise-reduction type (see reduce()).
_REDUCTION: dict[str, dict[str, Any]] = {
    "near_field": {
        "stationary": True,
        "prop_decrease": 0.6,
        "n_std_thresh_stationary": 1.0,
        "n_fft": 512,
    },
    "far_field": {
        "stationary": False,
        "prop_decrease": 0.8,
        "time_constant_s": 4.0,
        "thresh_n_mult_nonstationary": 1.5,
        "freq_mask_smooth_hz": 250,
        "n_fft": 512,
    },
}
_CHUNK_SAMPLES = 60 * SAMPLE_RATE_HZ
# bounds that keep arrays allocatable and powers of ten representable as floats
_MAX_DURATION_S = 24 * 3600.0
_MAX_TALKERS = 1000
_CHUNK_PADDING = 5 * SAMPLE_RATE_HZ


# --------------------------------------------------------------------------- helpers


def _duration_samples(duration_s: Any, owner: str) -> int:
    value = _check.number(
        duration_s, "duration_s", owner=owner, low=0.0, high=_MAX_DURATION_S, unit="of seconds"
    )
    return round(value * SAMPLE_RATE_HZ)


def _level(level_dbfs: Any, owner: str) -> float:
    return _check.number(
        level_dbfs, "level_dbfs", owner=owner, low=-300.0, high=100.0, unit="of dBFS"
    )


def _to_audio(x: np.ndarray, source: str) -> Audio:
    """float64 samples in int16 units → Audio, rounded and clipped to int16."""
    out = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    out.setflags(write=False)
    return Audio(out, source=source)


def _at_level(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """Scale ``x`` to an RMS of ``level_dbfs`` (0 dBFS = RMS 32768)."""
    rms = math.sqrt(float(np.mean(np.square(x)))) if x.size else 0.0
    if rms == 0:
        return x
    return x * (32768.0 * 10 ** (level_dbfs / 20) / rms)


def _power(samples: np.ndarray) -> float:
    return float(np.mean(np.square(samples, dtype=np.float64))) if samples.size else 0.0


def _fit(noise: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Loop or crop ``noise`` to ``n`` samples, starting at a random offset."""
    if n == 0:
        return noise[:0]
    start = int(rng.integers(noise.size))
    return np.take(noise, np.arange(start, start + n) % noise.size)


def snr_db(clean: Audio, noisy: Audio) -> float:
    """SNR in dB of ``noisy`` against the ``clean`` clip it was made from.

    ``10 * log10(sum(clean**2) / sum((noisy - clean)**2))`` over the samples both have:
    everything in ``noisy`` that is not ``clean`` counts as noise (including any distortion
    of the speech by noise reduction).

    Parameters
    ----------
    clean, noisy : Audio
        The same recording before and after adding or removing noise.

    Returns
    -------
    float
        dB; ``inf`` when the clips are identical.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import noise
    >>> speech = rtlab.load_audio("datasets/jfk_whisper/jfk.flac")
    >>> round(noise.snr_db(speech, noise.mix(speech, "white", snr_db=10)), 1)
    10.0
    """
    n = min(clean.n_samples, noisy.n_samples)
    s = clean.samples[:n].astype(np.float64)
    e = noisy.samples[:n].astype(np.float64) - s
    noise_power = float(np.sum(np.square(e)))
    if noise_power == 0:
        return math.inf
    return 10 * math.log10(float(np.sum(np.square(s))) / noise_power)


# --------------------------------------------------------------------------- generators


def white(duration_s: float, *, seed: int = 0, level_dbfs: float = -30.0) -> Audio:
    """Gaussian white noise: flat spectrum up to 12 kHz.

    Parameters
    ----------
    duration_s : float in [0, 86400]
        Length in seconds (rounded to whole samples at 24 kHz).
    seed : int >= 0, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same noise.
    level_dbfs : float in [-300, 100], default -30
        RMS level in dBFS (0 dBFS = RMS 32768); -30 dBFS peaks well below clipping.

    Returns
    -------
    Audio
        Source ``"white(seed=0)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rtlab import noise
    >>> hiss = noise.white(2.0, seed=3)
    >>> hiss.duration_s, round(float(20 * np.log10(hiss.samples.std() / 32768)), 1)
    (2.0, -30.0)
    """
    n = _duration_samples(duration_s, "white")
    level = _level(level_dbfs, "white")
    seed = _check.seed(seed, owner="white")
    x = np.random.default_rng(seed).standard_normal(n)
    return _to_audio(_at_level(x, level), f"white(seed={seed})")


def pink(duration_s: float, *, seed: int = 0, level_dbfs: float = -30.0) -> Audio:
    """Pink (1/f) noise made by shaping white Gaussian noise in the frequency domain.

    The spectrum of white noise is multiplied by ``1 / sqrt(f)`` (so the power falls by
    3 dB per octave, equal power in every octave) from 20 Hz to 12 kHz; bins below 20 Hz
    are zeroed, since infrasound would take a large share of the power without being heard.

    Parameters
    ----------
    duration_s : float in [0, 86400]
        Length in seconds.
    seed : int >= 0, default 0
        Seed of :func:`numpy.random.default_rng`.
    level_dbfs : float in [-300, 100], default -30
        RMS level in dBFS (0 dBFS = RMS 32768).

    Returns
    -------
    Audio
        Source ``"pink(seed=0)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from rtlab import noise
    >>> x = noise.pink(10.0, seed=0).samples.astype(float)
    >>> power = np.abs(np.fft.rfft(x)) ** 2
    >>> f = np.fft.rfftfreq(x.size, 1 / 24000)
    >>> octave = lambda lo: power[(f >= lo) & (f < 2 * lo)].sum()
    >>> bool(abs(10 * np.log10(octave(2000) / octave(250))) < 0.5)  # equal power per octave
    True
    """
    n = _duration_samples(duration_s, "pink")
    level = _level(level_dbfs, "pink")
    seed = _check.seed(seed, owner="pink")
    rng = np.random.default_rng(seed)
    if n == 0:
        return _to_audio(np.zeros(0), f"pink(seed={seed})")
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / SAMPLE_RATE_HZ)
    shape = np.zeros_like(freqs)
    audible = freqs >= _PINK_LOW_HZ
    shape[audible] = 1.0 / np.sqrt(freqs[audible])
    x = np.fft.irfft(spectrum * shape, n)
    return _to_audio(_at_level(x, level), f"pink(seed={seed})")


def babble(
    clips: Sequence[Audio] | float | None = None,
    duration_s: float | None = None,
    *,
    n_talkers: int = 6,
    seed: int = 0,
    level_dbfs: float = -30.0,
) -> Audio:
    """Babble noise: several real talkers at once, like a busy room or a café.

    Each talker is one of ``clips`` (drawn with ``seed``), started at a random point and
    looped to the length; every talker is scaled to the same RMS before summing, so no
    single voice dominates, and the sum is scaled to ``level_dbfs``.

    Parameters
    ----------
    clips : sequence of Audio, optional
        Speech to build the babble from. Left out, the shipped speech clips are used: the
        audio of ``rtlab.datasets.load_all("librivox/*")`` and ``load_all("ami-*")``, read
        from the datasets folder and kept while its manifest is unchanged. As a shorthand,
        ``babble(duration_s, seed=...)`` (a number first) uses them too, like :func:`white`
        and :func:`pink`.
    duration_s : float in [0, 86400]
        Length in seconds.
    n_talkers : int in [1, 1000], default 6
        Voices summed; clips are reused (at other offsets) when there are fewer clips.
    seed : int >= 0, default 0
        Seeds the choice of clips and their offsets.
    level_dbfs : float in [-300, 100], default -30
        RMS level in dBFS (0 dBFS = RMS 32768).

    Returns
    -------
    Audio
        Source ``"babble(n_talkers=6, seed=0)"``.

    Raises
    ------
    rtlab.errors.ConfigError
        If no clip has non-silent samples, or an option is out of range.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import noise
    >>> talkers = [rtlab.load_audio(p) for p in [
    ...     "datasets/librivox_pocketsphinx/sense_and_sensibility_01_austen_64kb-0870.wav",
    ...     "datasets/ami_pyannote_debug/trn01.wav",
    ...     "datasets/jfk_whisper/jfk.flac"]]
    >>> noise.babble(talkers, 5.0, n_talkers=4, seed=2)
    Audio(source='babble(n_talkers=4, seed=2)', duration_s=5.0)
    """
    if duration_s is None and not isinstance(clips, Sequence | Audio | None):
        clips, duration_s = None, clips  # babble(duration_s, ...), like white and pink
    if duration_s is None:
        raise ConfigError("duration_s", None, "a number of seconds >= 0", owner="babble")
    n = _duration_samples(duration_s, "babble")
    level = _level(level_dbfs, "babble")
    seed = _check.seed(seed, owner="babble")
    n_talkers = _check.integer(n_talkers, "n_talkers", owner="babble", low=1, high=_MAX_TALKERS)
    if clips is None:
        clips = _shipped.speech()
    if isinstance(clips, Audio) or not all(isinstance(c, Audio) for c in clips):  # type: ignore[union-attr]
        raise ConfigError("clips", clips, "a list of Audio clips of speech", owner="babble")
    pool = [c.samples.astype(np.float64) for c in clips if np.any(c.samples)]  # type: ignore[union-attr]
    if not pool:
        raise ConfigError("clips", clips, "at least one clip that is not silent", owner="babble")
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    for _ in range(int(n_talkers)):
        voice = pool[int(rng.integers(len(pool)))]
        total += _fit(voice, n, rng) / math.sqrt(_power(voice))
    return _to_audio(_at_level(total, level), f"babble(n_talkers={n_talkers}, seed={seed})")


# --------------------------------------------------------------------------- mixing


def mix(
    audio: Audio,
    noise: Audio | str | os.PathLike[str],
    *,
    snr_db: float,
    seed: int = 0,
) -> Audio:
    """Add noise to a clip at a given speech-to-noise ratio.

    The noise is scaled so that ``10 * log10(mean(audio**2) / mean(noise**2)) == snr_db``
    over the clip's whole length (see the module's SNR convention), added, rounded and
    clipped to int16. At ordinary levels nothing clips and the result is within 0.01 dB of
    ``snr_db``; if the sum exceeds int16 it is clipped (not wrapped), which lowers the SNR.

    Parameters
    ----------
    audio : Audio
        The clean clip (not silent).
    noise : Audio, path, or {"white", "pink", "babble"}
        Noise to add: a clip (looped or cropped to ``audio``'s length from a random start
        drawn with ``seed``), a file read with :func:`rtlab.load_audio`, or a generator
        name (:func:`white`, :func:`pink`, :func:`babble` of the shipped speech), made with
        ``seed``. A name wins over a file of the same name in the working folder.
    snr_db : float in [-300, 300]
        Target SNR in dB (0 means equal power, negative means more noise than speech).
    seed : int >= 0, default 0
        Seeds the noise offset or generator.

    Returns
    -------
    Audio
        Same length as ``audio``; source ``"<audio source>+<noise>@<snr>dB"``.

    Raises
    ------
    rtlab.errors.AudioFormatError
        If ``audio`` or the noise is silent (an SNR is then undefined) or the noise is empty.
    rtlab.errors.ConfigError
        If ``snr_db`` is not a number in range, or ``seed`` is not an int >= 0.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import noise
    >>> speech = rtlab.load_audio("datasets/ami_lhotse/ES2011a.Headset-0-40s-46s.wav")
    >>> noisy = noise.mix(speech, noise.pink(2.0, seed=4), snr_db=0, seed=4)
    >>> noisy.duration_s == speech.duration_s, abs(noise.snr_db(speech, noisy)) < 0.01
    (True, True)
    """
    if not isinstance(audio, Audio):
        raise AudioFormatError(
            "audio",
            audio,
            "an rtlab.Audio",
            owner="mix",
            fix="Load it first with rtlab.load_audio(...).",
        )
    target = _check.number(snr_db, "snr_db", owner="mix", low=-300.0, high=300.0, unit="of dB")
    seed = _check.seed(seed, owner="mix")
    n = audio.n_samples
    if isinstance(noise, str) and noise in _GENERATORS:
        makers: dict[str, _Generator] = {"white": white, "pink": pink, "babble": babble}
        maker = makers[noise]
        noise_audio = maker(n / SAMPLE_RATE_HZ, seed=seed)
        label = noise
    elif isinstance(noise, Audio):
        noise_audio, label = noise, noise.source
    elif isinstance(noise, (str, os.PathLike)):
        noise_audio = load_audio(noise)
        label = noise_audio.source
    else:
        raise AudioFormatError(
            "noise", noise, "an Audio, a path, or 'white', 'pink', 'babble'", owner="mix"
        )
    speech_power = _power(audio.samples)
    if speech_power == 0:
        raise AudioFormatError(
            "audio",
            audio,
            "a clip that is not silent",
            owner="mix",
            fix="The SNR is relative to the clip's power, which is zero.",
        )
    if noise_audio.n_samples == 0:
        raise AudioFormatError("noise", noise_audio, "a noise clip with samples", owner="mix")
    rng = np.random.default_rng(seed)
    noise_samples = noise_audio.samples.astype(np.float64)
    if noise_audio.n_samples != n:
        noise_samples = _fit(noise_samples, n, rng)
    noise_power = _power(noise_samples)
    if noise_power == 0:
        raise AudioFormatError("noise", noise_audio, "noise that is not silent", owner="mix")
    gain = math.sqrt(speech_power / (noise_power * 10 ** (target / 10)))
    mixed = audio.samples.astype(np.float64) + gain * noise_samples
    return _to_audio(mixed, f"{audio.source}+{label}@{target:g}dB")


# --------------------------------------------------------------------------- reduction


def reduce(audio: Audio, kind: Any = "near_field") -> Audio:
    """Reduce background noise the way the session's ``input_audio_noise_reduction`` would.

    The API's filter is not public; this emulates it with spectral gating from the
    maintained ``noisereduce`` library (Sainburg et al.), tuned per type:

    - ``"near_field"``: a close-talking microphone (headset, phone at the mouth). Speech
      dominates and the noise is mostly the microphone's and room's steady hiss and hum, so
      *stationary* gating is used: one noise threshold per frequency from the whole clip's
      statistics (mean + 1.0 standard deviation), attenuating gated bins by 60 %
      (``prop_decrease=0.6``) to keep the voice natural.
    - ``"far_field"``: a laptop or conference-room microphone. The voice is farther away and
      weaker and the noise changes over time (people, HVAC, keyboards), so
      *non-stationary* gating is used: the noise floor is tracked over a 4 s time constant
      and bins less than 1.5x above it are attenuated by 80 %.

    Both use 512-sample windows (21 ms at 24 kHz). Measured on the shipped LibriVox, AMI
    and JFK clips mixed with white or pink noise, the SNR against the clean speech rises by
    about 4.5-7 dB from 0 dB input and 3-4 dB from 5 dB input, is unchanged near 10 dB, and
    falls on clean speech (20 dB and up: the gate's own distortion of the speech then
    outweighs the noise it removes), so it helps exactly where the API's option is meant
    to be switched on.

    Parameters
    ----------
    audio : Audio
    kind : {"near_field", "far_field"}, NoiseReduction or None, default "near_field"
        A :class:`rtlab.NoiseReduction` is read for its ``type``; ``None`` (reduction off,
        as in the API) returns ``audio`` unchanged.

    Returns
    -------
    Audio
        Same length; source ``"<source>|near_field"`` or ``"<source>|far_field"``.

    Raises
    ------
    rtlab.errors.ConfigError
        For another ``kind``.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab import noise
    >>> speech = rtlab.load_audio("datasets/jfk_whisper/jfk.flac")
    >>> noisy = noise.mix(speech, "white", snr_db=0, seed=7)
    >>> cleaned = noise.reduce(noisy, "near_field")
    >>> cleaned.n_samples == noisy.n_samples, noise.snr_db(speech, cleaned) > 3
    (True, True)
    """
    if kind is None:
        return audio
    if not isinstance(kind, str) and hasattr(kind, "type"):
        kind = kind.type
    kind = _check.choice(
        kind, "kind", tuple(_REDUCTION), owner="reduce", allowed="'near_field', 'far_field' or None"
    )
    if not isinstance(audio, Audio):
        raise AudioFormatError("audio", audio, "an rtlab.Audio", owner="reduce")
    settings = _REDUCTION[kind]
    if audio.n_samples < 2 * settings["n_fft"] or not np.any(audio.samples):
        return Audio(audio.samples, source=f"{audio.source}|{kind}")
    import noisereduce

    x = audio.samples.astype(np.float32)
    x *= np.float32(1 / 32768)
    y = noisereduce.reduce_noise(
        y=x,
        sr=SAMPLE_RATE_HZ,
        chunk_size=_CHUNK_SAMPLES,
        padding=_CHUNK_PADDING,
        use_tqdm=False,
        n_jobs=1,
        **settings,
    )
    return _to_audio(np.asarray(y, dtype=np.float64) * 32768.0, f"{audio.source}|{kind}")
