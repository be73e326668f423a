"""Audio in and out: every clip becomes 24 kHz mono int16, the Realtime API's ``pcm16``.

:func:`load_audio` reads files (WAV, FLAC, OGG, MP3 through libsndfile; anything else
through audioread when it has a decoder such as ffmpeg), raw ``pcm16`` / G.711 bytes,
numpy arrays and file-like objects, mixes or picks channels, resamples with soxr and
rounds to int16 with clipping. :class:`Audio` is the frozen value everything downstream
takes; it converts back to the API's input formats (:meth:`Audio.pcm16`,
:meth:`Audio.to_g711`, :meth:`Audio.append_events`) and plays in a notebook.

Conventions
-----------
- Float samples are full scale at ±1.0; they become int16 by ``round(x * 32768)``, clipped
  to [-32768, 32767] (never wrapped), so a PCM16 file read as float comes back exactly.
  int32 is full scale at ±2**31, uint8 is centred on 128 (8-bit WAV), int8 on 0.
- Resampling uses soxr at quality ``"HQ"`` (20-bit precision, about 120 dB stop-band
  rejection, pass band to 95 % of Nyquist), the same filter ``librosa.load`` uses by
  default: far below int16's own noise floor and faster than ``"VHQ"``.
- ``channel="mix"`` averages all channels; an int picks one (negative ints count from
  the last channel, as in Python).
- A 2-D array's *smaller* axis is its channel axis, so both soundfile's
  ``(n_samples, n_channels)`` and librosa's ``(n_channels, n_samples)`` work; a square
  array is read as ``(n_samples, n_channels)``; more than 64 channels is refused (the
  array is probably something else, e.g. a spectrogram).
- A missing file raises the builtin :class:`FileNotFoundError`; every other problem with
  the input raises :class:`rtlab.errors.AudioFormatError` (a ``ValueError``) naming what
  was wrong and what is accepted.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import numbers
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from rtlab import _check
from rtlab.errors import AudioFormatError

__all__ = ["SAMPLE_RATE_HZ", "Audio", "load_audio"]

SAMPLE_RATE_HZ = 24000
"""The rate of every :class:`Audio`: the Realtime API's ``pcm16`` rate, in Hz."""

G711_RATE_HZ = 8000
_RESAMPLE_QUALITY = "HQ"
_MAX_CHANNELS = 64
_MIN_RATE_HZ = 1000.0
_MAX_RATE_HZ = 768000.0
_HTML_MAX_S = 60.0
_RAW_FORMATS = ("pcm16", "g711_ulaw", "g711_alaw")
_RAW_DEFAULT_RATE = {"pcm16": SAMPLE_RATE_HZ, "g711_ulaw": G711_RATE_HZ, "g711_alaw": G711_RATE_HZ}
# GA names of the same input formats (session.audio.input.format.type)
_GA_FORMATS = {"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}
_SOURCES = (
    "a file path, bytes (with format= for raw samples), a numpy array (with sample_rate_hz=), "
    "a file-like object or an Audio"
)
_FILE_TYPES = "an audio file libsndfile (WAV, FLAC, OGG, MP3, AIFF, ...) or audioread decodes"
# Containers libsndfile does not read, which audioread decodes only through ffmpeg/GStreamer.
_DECODER_SUFFIXES = frozenset({".m4a", ".aac", ".mp4", ".m4b", ".wma", ".webm", ".opus", ".amr"})
# How audio files begin: raw samples passed with format= must not start like one.
_FILE_MAGIC = {
    b"RIFF": "WAV",
    b"RIFX": "WAV",
    b"RF64": "WAV",
    b"fLaC": "FLAC",
    b"OggS": "OGG",
    b"FORM": "AIFF",
}

# sample types an array may have: dtype -> (full scale, zero offset)
_INT_SCALES = {
    np.dtype(np.int16): (32768.0, 0.0),
    np.dtype(np.int32): (2147483648.0, 0.0),
    np.dtype(np.int8): (128.0, 0.0),
    np.dtype(np.uint8): (128.0, 128.0),
}
_DTYPES = "int16, int32, int8, uint8, float16, float32 or float64"


# --------------------------------------------------------------------------- the value type


@dataclass(frozen=True, eq=False)
class Audio:
    """A mono 24 kHz int16 clip: the one audio value every rtlab stage takes.

    Parameters
    ----------
    samples : numpy.ndarray of int16, 1-D
        The samples at 24,000 Hz. A read-only, C-contiguous int16 array is taken as is
        (no copy); anything else that is int16 and 1-D is copied once and made
        read-only, so changing the caller's array later never changes the clip. Other
        dtypes, rates and channel layouts go through :func:`load_audio`.
    source : str, default "<array>"
        Where the samples came from (a file name, ``"<pcm16>"``, ...), for display.

    Raises
    ------
    rtlab.errors.AudioFormatError
        If ``samples`` is not a 1-D int16 array or ``source`` is not a string.

    Notes
    -----
    ``audio[1.0:2.5]`` slices by *seconds* (negative or missing bounds as in Python; a
    step is not allowed) and shares memory with ``audio``. Equality compares the samples
    and the source; the hash uses :attr:`fingerprint`. There is deliberately no
    ``len()``: use :attr:`n_samples` or :attr:`duration_s`.

    Examples
    --------
    >>> import numpy as np
    >>> from rtlab import Audio, load_audio
    >>> audio = load_audio("datasets/jfk_whisper/jfk.flac")
    >>> audio
    Audio(source='jfk.flac', duration_s=11.0)
    >>> audio.sample_rate_hz, audio.n_samples, audio.samples.dtype
    (24000, 264000, dtype('int16'))
    >>> audio[1.0:2.5].duration_ms
    1500.0
    >>> Audio(np.zeros(240, dtype=np.int16)).duration_s
    0.01
    """

    samples: np.ndarray
    source: str = "<array>"

    def __post_init__(self) -> None:
        samples = self.samples
        if not isinstance(samples, np.ndarray):
            samples = np.asarray(samples)
        if samples.dtype != np.int16:
            raise AudioFormatError(
                "samples",
                samples.dtype,
                "a 1-D int16 array at 24,000 Hz",
                owner="Audio",
                fix="Convert other sample types, rates or channel layouts with "
                "rtlab.load_audio(array, sample_rate_hz=...).",
            )
        if samples.ndim != 1:
            raise AudioFormatError(
                "samples",
                f"an array of shape {samples.shape}",
                "a 1-D int16 array at 24,000 Hz",
                owner="Audio",
                fix="Mix or pick channels with rtlab.load_audio(array, sample_rate_hz=24000, "
                "channel='mix').",
            )
        if samples.flags.writeable or not samples.flags.c_contiguous or not samples.dtype.isnative:
            samples = np.array(samples, dtype=np.int16, order="C", copy=True)
            samples.setflags(write=False)
        if not isinstance(self.source, str):
            raise AudioFormatError("source", self.source, "a str", owner="Audio")
        object.__setattr__(self, "samples", samples)

    # ------------------------------------------------------------------ derived values
    @property
    def sample_rate_hz(self) -> int:
        """Always 24000 (Hz)."""
        return SAMPLE_RATE_HZ

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.samples.shape[0])

    @property
    def duration_s(self) -> float:
        """Length in seconds (``n_samples / 24000``)."""
        return self.n_samples / SAMPLE_RATE_HZ

    @property
    def duration_ms(self) -> float:
        """Length in milliseconds."""
        return self.n_samples * 1000.0 / SAMPLE_RATE_HZ

    @functools.cached_property
    def fingerprint(self) -> str:
        """Hex SHA-1 of the samples as little-endian int16 bytes (computed once, cached)."""
        if sys.byteorder == "little":
            return hashlib.sha1(self.samples.data.cast("B")).hexdigest()
        return hashlib.sha1(self.pcm16()).hexdigest()

    # ------------------------------------------------------------------ python protocol
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Audio):
            return NotImplemented
        return self.source == other.source and np.array_equal(self.samples, other.samples)

    def __hash__(self) -> int:
        return hash((self.fingerprint, self.source))

    def __repr__(self) -> str:
        return f"Audio(source={self.source!r}, duration_s={round(self.duration_s, 3)!r})"

    def __getitem__(self, key: slice) -> Audio:
        if not isinstance(key, slice):
            raise TypeError(
                f"Audio slices by seconds, e.g. audio[1.0:2.5]; got an index {key!r}. "
                "Use audio.samples[i] for single samples."
            )
        if key.step is not None:
            raise AudioFormatError(
                "step", key.step, "None (Audio slices by seconds: audio[1.0:2.5])", owner="Audio"
            )
        n = self.n_samples

        def to_index(bound: Any, default: int, name: str) -> int:
            if bound is None:
                return default
            seconds = _check.number(
                bound, name, owner="Audio", unit="of seconds", error=AudioFormatError
            )
            index = round(seconds * SAMPLE_RATE_HZ)
            if index < 0:
                index += n
            return min(max(index, 0), n)

        start = to_index(key.start, 0, "start")
        stop = max(to_index(key.stop, n, "stop"), start)
        label = f"{self.source}[{start / SAMPLE_RATE_HZ:g}:{stop / SAMPLE_RATE_HZ:g}]"
        return Audio(self.samples[start:stop], source=label)

    def _repr_html_(self) -> str:
        n_shown = min(self.n_samples, int(_HTML_MAX_S * SAMPLE_RATE_HZ))
        data = base64.b64encode(_wav_bytes(self.samples[:n_shown])).decode("ascii")
        note = ""
        if n_shown < self.n_samples:
            note = f" · the player holds the first {_HTML_MAX_S:g} s"
        return (
            '<div class="rtlab-audio">'
            f'<audio controls preload="metadata" src="data:audio/wav;base64,{data}"></audio>'
            f"<div><code>{html.escape(self.source)}</code> · {self.duration_s:.3f} s"
            f" · 24 kHz mono PCM16{note}</div></div>"
        )

    # ------------------------------------------------------------------ encodings
    def wav(self) -> bytes:
        """The samples as a mono 16-bit 24 kHz WAV file, in memory.

        Examples
        --------
        >>> from rtlab import load_audio
        >>> data = load_audio("datasets/jfk_whisper/jfk.flac").wav()
        >>> data[:4], data[8:12]
        (b'RIFF', b'WAVE')
        """
        return _wav_bytes(self.samples)

    def pcm16(self) -> bytes:
        """The samples as little-endian 16-bit PCM bytes (the API's ``pcm16`` at 24 kHz).

        Examples
        --------
        >>> from rtlab import Audio, load_audio
        >>> audio = load_audio("datasets/jfk_whisper/jfk.flac")
        >>> data = audio.pcm16()
        >>> len(data) == 2 * audio.n_samples
        True
        >>> Audio.from_pcm16(data) == Audio(audio.samples, source="<pcm16>")
        True
        """
        return self.samples.astype("<i2", copy=False).tobytes()

    @classmethod
    def from_pcm16(
        cls,
        data: bytes | bytearray | memoryview,
        *,
        sample_rate_hz: float = SAMPLE_RATE_HZ,
        source: str = "<pcm16>",
    ) -> Audio:
        """Read mono little-endian 16-bit PCM bytes.

        Parameters
        ----------
        data : bytes-like
            An even number of bytes (2 per sample). Empty bytes give an empty clip.
        sample_rate_hz : float, default 24000
            Rate of ``data`` in Hz, in [1000, 768000]; resampled to 24 kHz if different.
        source : str, default "<pcm16>"

        Returns
        -------
        Audio

        Raises
        ------
        rtlab.errors.AudioFormatError
            If the byte count is odd or the rate is not allowed.
        """
        rate = _check_rate(sample_rate_hz)
        buffer = _as_buffer(data, "data", "Audio.from_pcm16")
        if buffer.nbytes % 2:
            raise AudioFormatError(
                "data",
                f"{buffer.nbytes} bytes",
                "an even number of bytes (pcm16 has 2 bytes per sample)",
                owner="Audio.from_pcm16",
                fix="The data is cut mid-sample or is not pcm16.",
            )
        samples = np.frombuffer(buffer, dtype="<i2")
        if samples.dtype != np.int16:  # big-endian machine
            samples = samples.astype(np.int16)
        return _finish(samples, rate, source, owned=False)

    def to_g711(self, law: Literal["ulaw", "alaw"] = "ulaw") -> bytes:
        """Encode as G.711 at 8 kHz, one byte per sample (``g711_ulaw`` / ``g711_alaw``).

        The clip is resampled 24 kHz → 8 kHz with soxr (HQ), rounded to int16 with clipping
        and encoded exactly as ``audioop.lin2ulaw`` / ``audioop.lin2alaw`` would.

        Parameters
        ----------
        law : {"ulaw", "alaw"}, default "ulaw"
            Also accepted as ``"g711_ulaw"`` / ``"g711_alaw"``.

        Returns
        -------
        bytes
            ``ceil(n_samples / 3)`` codes.

        Examples
        --------
        >>> from rtlab import Audio, load_audio
        >>> audio = load_audio("datasets/jfk_whisper/jfk.flac")
        >>> codes = audio.to_g711("alaw")
        >>> len(codes)
        88000
        >>> Audio.from_g711(codes, "alaw").n_samples
        264000
        """
        law = _check_law(law, "to_g711")
        from rtlab import _g711

        return _g711.encode(self._at_rate(G711_RATE_HZ), law)

    @classmethod
    def from_g711(
        cls,
        data: bytes | bytearray | memoryview,
        law: Literal["ulaw", "alaw"] = "ulaw",
        *,
        sample_rate_hz: float = G711_RATE_HZ,
        source: str | None = None,
    ) -> Audio:
        """Decode G.711 bytes (one code per sample) and resample to 24 kHz.

        Parameters
        ----------
        data : bytes-like
            G.711 codes. Empty bytes give an empty clip.
        law : {"ulaw", "alaw"}, default "ulaw"
            Also accepted as ``"g711_ulaw"`` / ``"g711_alaw"``.
        sample_rate_hz : float, default 8000
            Rate of the codes in Hz (G.711 is defined at 8000).
        source : str, optional
            Defaults to ``"<g711_ulaw>"`` / ``"<g711_alaw>"``.

        Returns
        -------
        Audio
        """
        law = _check_law(law, "Audio.from_g711")
        rate = _check_rate(sample_rate_hz)
        from rtlab import _g711

        samples = _g711.decode(_as_buffer(data, "data", "Audio.from_g711"), law)
        return _finish(samples, rate, source or f"<g711_{law}>", owned=True)

    def append_events(
        self, chunk_ms: float = 100, *, format: Any = "pcm16"
    ) -> list[dict[str, str]]:
        """Split the clip into ``input_audio_buffer.append`` client events.

        Parameters
        ----------
        chunk_ms : float > 0, default 100
            Audio per event in ms, rounded to whole samples of the output format (at least
            one sample); the last event may be shorter.
        format : {"pcm16", "g711_ulaw", "g711_alaw"} or Session, default "pcm16"
            The session's input audio format: pcm16 at 24 kHz, or G.711 at 8 kHz (one byte
            per sample). A :class:`rtlab.Session` (or anything with
            ``input_audio_format``) is read for it; the GA names ``"audio/pcm"``,
            ``"audio/pcmu"``, ``"audio/pcma"`` (or ``{"type": "audio/pcmu"}``) work too.

        Returns
        -------
        list of dict
            ``{"type": "input_audio_buffer.append", "audio": <base64 str>}`` per chunk,
            ready to send; empty for an empty clip.

        Examples
        --------
        >>> from rtlab import load_audio
        >>> audio = load_audio("datasets/jfk_whisper/jfk.flac")
        >>> events = audio.append_events(chunk_ms=200)
        >>> len(events), events[0]["type"]
        (55, 'input_audio_buffer.append')
        >>> len(audio.append_events(format="g711_ulaw"))
        110
        """
        fmt = _input_format(format)
        chunk = _check.number(
            chunk_ms,
            "chunk_ms",
            owner="append_events",
            allowed="a number of ms > 0",
            error=AudioFormatError,
        )
        if not chunk > 0:
            raise AudioFormatError(
                "chunk_ms", chunk_ms, "a number of ms > 0", owner="append_events"
            )
        if fmt == "pcm16":
            data, rate, width = self.pcm16(), SAMPLE_RATE_HZ, 2
        else:
            data, rate, width = self.to_g711(fmt[5:]), G711_RATE_HZ, 1  # type: ignore[arg-type]
        step = max(1, round(rate * chunk / 1000.0)) * width
        view = memoryview(data)
        return [
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(view[i : i + step]).decode("ascii"),
            }
            for i in range(0, len(data), step)
        ]

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the clip as a 24 kHz mono 16-bit PCM WAV file, atomically.

        Parameters
        ----------
        path : str or os.PathLike
            Target file; must end in ``.wav``. Parent folders are created. An existing
            file is replaced only once the new one is complete.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        rtlab.errors.AudioFormatError
            If the suffix is not ``.wav``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rtlab import load_audio
        >>> audio = load_audio("datasets/jfk_whisper/jfk.flac")
        >>> out = audio.save(pathlib.Path(tempfile.mkdtemp()) / "jfk_24k.wav")
        >>> load_audio(out).samples.tolist() == audio.samples.tolist()
        True
        """
        from rtlab._io import atomic_write

        target = Path(path)
        if target.suffix.lower() != ".wav":
            raise AudioFormatError(
                "path",
                str(path),
                "a path ending in '.wav'",
                owner="Audio.save",
                fix="Audio.save writes 24 kHz mono PCM16 WAV files only.",
            )
        with atomic_write(target, "wb") as handle:
            handle.write(_wav_header(self.n_samples))
            handle.write(self.pcm16())
        return target

    # ------------------------------------------------------------------ internals
    def _at_rate(self, rate_hz: int) -> np.ndarray:
        """The samples resampled to ``rate_hz`` as int16 (soxr HQ, rounded, clipped)."""
        if rate_hz == SAMPLE_RATE_HZ:
            return self.samples
        x = self.samples.astype(np.float32)
        x *= np.float32(1 / 32768)
        return _float_to_int16(_resample(x, SAMPLE_RATE_HZ, rate_hz), owned=True)


# --------------------------------------------------------------------------- loading


def load_audio(
    src: Any,
    *,
    channel: Literal["mix"] | int = "mix",
    format: Literal["pcm16", "g711_ulaw", "g711_alaw"] | None = None,
    sample_rate_hz: float | None = None,
    source: str | None = None,
) -> Audio:
    """Read audio from a file, bytes, an array or a file-like object as 24 kHz mono int16.

    Parameters
    ----------
    src : path, bytes, numpy.ndarray, file-like or Audio
        - a path (``str`` or ``os.PathLike``) to an audio file: WAV, FLAC, OGG/Vorbis/Opus,
          MP3, AIFF, ... through libsndfile (soundfile); files it cannot open (e.g. m4a)
          go to audioread, which needs a system decoder such as ffmpeg. With ``format``
          set, the file holds raw samples instead (e.g. a ``.ulaw`` capture);
        - ``bytes`` / ``bytearray`` / ``memoryview``: raw samples when ``format`` is given,
          otherwise the bytes of an encoded file (e.g. a WAV in memory);
        - a numpy array (or list) of samples, 1-D or 2-D, needing ``sample_rate_hz``;
          dtype int16, int32, int8, uint8 (centred on 128) or float16/32/64 (full scale
          ±1.0, finite); for 2-D the smaller axis is the channel axis (at most 64);
        - a binary file-like object (``.read()``), decoded like a file;
        - an :class:`Audio`, returned unchanged.
    channel : "mix" or int, default "mix"
        ``"mix"`` averages the channels; an int picks one (``-1`` is the last).
    format : {"pcm16", "g711_ulaw", "g711_alaw"}, optional
        Set for headerless data only: little-endian 16-bit PCM, or G.711 codes.
    sample_rate_hz : float, optional
        Rate of raw bytes (default 24000 for pcm16, 8000 for G.711) or of an array
        (required), in Hz, in [1000, 768000]. Files carry their own rate; giving a
        different one is an error.
    source : str, optional
        Label for :attr:`Audio.source`; defaults to the file's name, ``"<pcm16>"``,
        ``"<array>"``, ...

    Returns
    -------
    Audio
        int16, 24,000 Hz, mono. Resampled with soxr ``"HQ"`` when the rate differs; a
        24 kHz PCM16 mono input comes back sample for sample.

    Raises
    ------
    FileNotFoundError
        If a path does not exist (the builtin error, as ``open`` raises).
    rtlab.errors.AudioFormatError
        For input that is not audio or is malformed: empty or truncated files, text or
        unknown formats, an odd byte count for pcm16, NaN/inf samples, unsupported dtypes,
        arrays with more than 64 channels on both axes or more than 2 dimensions, rates
        that are 0, negative or out of range, a channel out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from rtlab import load_audio
    >>> round(load_audio("datasets/ami_pyannote_debug/trn01.wav").duration_s, 3)
    30.0
    >>> audio = load_audio("datasets/jfk_whisper/jfk.flac", channel=0)  # left channel only
    >>> audio.n_samples
    264000
    >>> load_audio(np.zeros((8000, 2), dtype=np.float32), sample_rate_hz=16000).n_samples
    12000
    >>> load_audio(audio.to_g711("ulaw"), format="g711_ulaw").duration_s
    11.0
    """
    if isinstance(src, Audio):
        if sample_rate_hz is not None and sample_rate_hz != SAMPLE_RATE_HZ:
            raise AudioFormatError(
                "sample_rate_hz", sample_rate_hz, "None or 24000 for an Audio", owner="load_audio"
            )
        return src
    fmt = _check_format(format)
    rate = None if sample_rate_hz is None else _check_rate(sample_rate_hz)
    _check_channel_arg(channel)

    if isinstance(src, (str, os.PathLike)):
        path = Path(os.fspath(src))
        label = source or path.name
        if not path.exists():
            raise FileNotFoundError(2, "No such audio file", str(path))
        if path.is_dir():
            raise AudioFormatError(
                "src", str(path), _FILE_TYPES, owner="load_audio", fix="The path is a folder."
            )
        if path.stat().st_size == 0:
            raise AudioFormatError(
                "src",
                str(path),
                _FILE_TYPES,
                owner="load_audio",
                fix="The file is empty (0 bytes).",
            )
        try:
            with open(path, "rb") as probe:  # an unreadable file is not a decoder problem
                probe.read(1)
        except OSError as err:
            raise AudioFormatError(
                "src",
                str(path),
                "an audio file rtlab may read",
                owner="load_audio",
                fix=f"It cannot be opened: {err.strerror or err}.",
            ) from err
        if fmt is not None:
            return _from_raw(path.read_bytes(), fmt, rate, channel, label)
        return _from_file(path, rate, channel, label)

    if isinstance(src, (bytes, bytearray, memoryview)):
        buffer = _as_buffer(src, "src", "load_audio")
        if buffer.nbytes == 0:
            raise AudioFormatError(
                "src", b"", "non-empty bytes", owner="load_audio", fix="The bytes hold no audio."
            )
        if fmt is not None:
            return _from_raw(buffer, fmt, rate, channel, source or f"<{fmt}>")
        return _from_encoded_bytes(buffer, rate, channel, source or "<bytes>")

    if isinstance(src, (np.ndarray, list, tuple)):
        if fmt is not None:
            raise AudioFormatError(
                "format",
                fmt,
                "None for an array",
                owner="load_audio",
                fix="format= describes raw bytes; arrays need only sample_rate_hz=.",
            )
        if rate is None:
            raise AudioFormatError(
                "sample_rate_hz",
                None,
                "the array's rate in Hz",
                owner="load_audio",
                fix="An array carries no rate: pass e.g. load_audio(x, sample_rate_hz=16000).",
            )
        return _from_array(src, rate, channel, source or "<array>")

    if hasattr(src, "read"):
        label = source or Path(str(getattr(src, "name", "<file>"))).name
        if fmt is not None:
            data = src.read()
            if isinstance(data, str):
                raise _text_mode_error()
            if len(data) == 0:
                raise AudioFormatError(
                    "src",
                    b"",
                    "non-empty data",
                    owner="load_audio",
                    fix="The file object is at its end or empty.",
                )
            return _from_raw(_as_buffer(data, "src", "load_audio"), fmt, rate, channel, label)
        return _from_file(src, rate, channel, label)

    raise AudioFormatError("src", src, _SOURCES, owner="load_audio")


# --------------------------------------------------------------------------- validation


def _text_mode_error() -> AudioFormatError:
    return AudioFormatError(
        "src", "a text-mode file", "a binary file object", owner="load_audio",
        fix="Open the file with mode 'rb'.",
    )  # fmt: skip


def _check_format(fmt: Any) -> str | None:
    if fmt is None or fmt in _RAW_FORMATS:
        return fmt
    raise AudioFormatError(
        "format",
        fmt,
        "None, 'pcm16', 'g711_ulaw' or 'g711_alaw'",
        owner="load_audio",
        fix="format= is for raw samples only; files (WAV, FLAC, MP3, ...) are recognised "
        "from their content, so leave it out for them.",
    )


def _check_law(law: Any, owner: str) -> Literal["ulaw", "alaw"]:
    if law in ("ulaw", "alaw"):
        return law  # type: ignore[no-any-return]
    if law in ("g711_ulaw", "g711_alaw"):
        return law[5:]  # type: ignore[no-any-return]
    raise AudioFormatError("law", law, "'ulaw' or 'alaw'", owner=owner)


def _check_rate(rate: Any) -> float:
    try:
        return _check.number(
            rate,
            "sample_rate_hz",
            low=_MIN_RATE_HZ,
            high=_MAX_RATE_HZ,
            unit="of Hz",
            error=AudioFormatError,
        )
    except AudioFormatError as err:
        if isinstance(rate, numbers.Real) and rate <= 0:
            fix = "0 Hz or negative rates are never valid."
            raise AudioFormatError(err.field, rate, err.allowed, fix=fix) from None
        raise


def _check_channel_arg(channel: Any) -> None:
    if not (channel == "mix" and isinstance(channel, str)):
        _check.integer(
            channel,
            "channel",
            owner="load_audio",
            allowed="'mix' or an int channel index",
            error=AudioFormatError,
        )


def _input_format(fmt: Any) -> str:
    """Normalise a session input format (beta string, GA string or dict, or a Session)."""
    if not isinstance(fmt, (str, Mapping)) and hasattr(fmt, "input_audio_format"):
        fmt = fmt.input_audio_format
    if isinstance(fmt, Mapping):
        fmt = fmt.get("type")
    if isinstance(fmt, str):
        fmt = _GA_FORMATS.get(fmt, fmt)
    if fmt not in _RAW_FORMATS:
        raise AudioFormatError(
            "format", fmt, "'pcm16', 'g711_ulaw', 'g711_alaw' or a Session", owner="append_events"
        )
    return fmt  # type: ignore[no-any-return]


def _as_buffer(data: Any, field: str, owner: str) -> memoryview:
    try:
        view = memoryview(data)
    except TypeError as err:
        raise AudioFormatError(field, data, "bytes, bytearray or memoryview", owner=owner) from err
    return view.cast("B") if view.ndim != 1 or view.format != "B" else view


def _pick_channel(channel: Any, n_channels: int) -> int | None:
    """Index of the channel to keep, or None to mix; raises when out of range."""
    if isinstance(channel, str):
        return None if n_channels > 1 else 0
    index = int(channel)
    if not -n_channels <= index < n_channels:
        raise AudioFormatError(
            "channel",
            channel,
            f"'mix' or an int in [{-n_channels}, {n_channels - 1}]",
            owner="load_audio",
            fix=f"The audio has {n_channels} channel{'s' if n_channels > 1 else ''}.",
        )
    return index % n_channels


# --------------------------------------------------------------------------- conversions


def _resample(x: np.ndarray, in_rate: float, out_rate: float) -> np.ndarray:
    import soxr

    return soxr.resample(x, in_rate, out_rate, quality=_RESAMPLE_QUALITY)


def _float_to_int16(y: np.ndarray, *, owned: bool) -> np.ndarray:
    """Full-scale ±1.0 floats → int16 by round(y * 32768), clipped; read-only result."""
    if owned:
        y *= 32768
    else:
        y = y * np.asarray(32768, dtype=y.dtype)
    np.rint(y, out=y)
    np.clip(y, -32768, 32767, out=y)
    out = y.astype(np.int16)
    out.setflags(write=False)
    return out


def _check_finite(x: np.ndarray, owner: str) -> None:
    """Raise on NaN/inf anywhere in ``x`` (1-D, or 2-D with frames on axis 0 or 1)."""
    if not np.isfinite(x).all():
        bad = np.argwhere(~np.isfinite(x))
        frame = int(bad[0][0] if x.ndim == 1 or x.shape[0] >= x.shape[1] else bad[0][1])
        raise AudioFormatError(
            "samples",
            f"{len(bad)} NaN or infinite values, the first at sample {frame}",
            "finite numbers",
            owner=owner,
            fix="Replace them first, e.g. with numpy.nan_to_num.",
        )


def _mono(x: np.ndarray, channel: Any) -> tuple[np.ndarray, bool]:
    """(frames, channels) → 1-D; mixing gives float (owned), picking keeps the dtype (view)."""
    index = _pick_channel(channel, x.shape[1])
    if index is not None:
        return x[:, index], False
    n = x.shape[1]
    if x.dtype.kind == "f":
        work = np.float64 if x.dtype == np.float64 else np.float32
        acc = np.add(x[:, 0], x[:, 1], dtype=work)
        for c in range(2, n):
            acc += x[:, c]
        acc *= work(1.0 / n)
        return acc, True
    scale, offset = _INT_SCALES[x.dtype]
    work = np.float64 if x.dtype == np.int32 else np.float32
    acc = np.add(x[:, 0], x[:, 1], dtype=work)
    for c in range(2, n):
        acc += x[:, c]
    if offset:
        acc -= work(offset * n)
    acc *= work(1.0 / (n * scale))
    return acc, True


def _finish(y: np.ndarray, rate: float, source: str, *, owned: bool) -> Audio:
    """A 1-D array at ``rate`` (int in its own scale, or float at ±1.0) → Audio."""
    if y.dtype == np.int16 and rate == SAMPLE_RATE_HZ:
        if owned:
            y.setflags(write=False)
        return Audio(y, source=source)
    if y.dtype.kind in "iu":
        scale, offset = _INT_SCALES[y.dtype]
        work = np.float64 if y.dtype == np.int32 else np.float32
        z: np.ndarray[Any, np.dtype[np.floating]] = y.astype(work)
        if offset:
            z -= work(offset)
        z *= work(1.0 / scale)
        y, owned = z, True
    elif y.dtype == np.float16:
        y, owned = y.astype(np.float32), True
    if rate != SAMPLE_RATE_HZ:
        y, owned = _resample(np.ascontiguousarray(y), rate, SAMPLE_RATE_HZ), True
    return Audio(_float_to_int16(y, owned=owned), source=source)


def _from_array(src: Any, rate: float, channel: Any, source: str) -> Audio:
    try:
        x = np.asarray(src)
    except (TypeError, ValueError) as err:  # e.g. a ragged list of lists
        raise AudioFormatError(
            "src",
            src,
            f"an array of {_DTYPES}",
            owner="load_audio",
            fix=f"numpy cannot make an array of it ({err}).",
        ) from err
    if x.dtype.byteorder not in ("=", "|") and x.dtype.kind in "iuf":
        x = x.astype(x.dtype.newbyteorder("="))
    if x.dtype not in _INT_SCALES and x.dtype not in (np.float16, np.float32, np.float64):
        hint = None
        if x.dtype == np.int64:
            hint = (
                "int64 is ambiguous: cast to int16 (PCM16 values) or int32, or scale to "
                "floats in [-1, 1]."
            )
        elif x.dtype.kind == "c":
            hint = "Audio samples are real numbers; take the real part or the magnitude first."
        elif x.dtype.kind == "O":
            hint = "The array holds Python objects; build it with a numeric dtype."
        raise AudioFormatError(
            "src",
            f"an array of dtype {x.dtype}",
            f"an array of {_DTYPES}",
            owner="load_audio",
            fix=hint,
        )
    if x.size == 0:
        raise AudioFormatError(
            "src", f"an array of shape {x.shape}", "at least one sample", owner="load_audio"
        )
    if x.dtype.kind == "f":
        _check_finite(x, "load_audio")
    if x.ndim == 1:
        _pick_channel(channel, 1)
        mono, owned = x, False
    elif x.ndim == 2:
        frames_axis = 1 if x.shape[0] < x.shape[1] else 0
        n_channels = x.shape[1 - frames_axis]
        if n_channels > _MAX_CHANNELS:
            raise AudioFormatError(
                "src",
                f"an array of shape {x.shape}",
                f"a 1-D array or a 2-D array with at most {_MAX_CHANNELS} channels",
                owner="load_audio",
                fix="Pass (n_samples, n_channels) or (n_channels, n_samples); the smaller "
                "axis is taken as the channels.",
            )
        mono, owned = _mono(x if frames_axis == 0 else x.T, channel)
    else:
        raise AudioFormatError(
            "src",
            f"an array of shape {x.shape}",
            "a 1-D array or a 2-D (samples × channels) array",
            owner="load_audio",
        )
    return _finish(mono, rate, source, owned=owned)


def _from_raw(
    buffer: memoryview | bytes, fmt: str, rate: float | None, channel: Any, source: str
) -> Audio:
    _pick_channel(channel, 1)
    container = _container(buffer)
    if container is not None:
        head = bytes(buffer[:4])
        raise AudioFormatError(
            "format",
            fmt,
            f"None for a {container} file",
            owner="load_audio",
            fix=f"The data starts with a {container} header ({head!r}), so it is an audio file, "
            f"not raw {fmt} samples; leave format= out and it is decoded from its header.",
        )
    rate = _RAW_DEFAULT_RATE[fmt] if rate is None else rate
    if fmt == "pcm16":
        return Audio.from_pcm16(buffer, sample_rate_hz=rate, source=source)
    return Audio.from_g711(buffer, fmt[5:], sample_rate_hz=rate, source=source)  # type: ignore[arg-type]


def _container(buffer: memoryview | bytes) -> str | None:
    """The kind of audio file ``buffer`` starts like (``"WAV"``, ``"FLAC"``, ...), else None."""
    head = bytes(buffer[:4])
    return "MP3" if head[:3] == b"ID3" else _FILE_MAGIC.get(head)


def _from_encoded_bytes(buffer: memoryview, rate: float | None, channel: Any, source: str) -> Audio:
    try:
        return _from_file(io.BytesIO(buffer), rate, channel, source, fallback=False)
    except AudioFormatError as err:
        if _container(buffer) is not None:  # a file's header, so not raw samples: say why
            raise
        raise AudioFormatError(
            "format",
            None,
            "'pcm16', 'g711_ulaw' or 'g711_alaw' for raw bytes",
            owner="load_audio",
            fix=f"The bytes are not an audio file libsndfile reads ({err.fix}); raw samples "
            "carry no header, so pass format= (and sample_rate_hz= if not the default).",
        ) from err


def _from_file(
    src: Path | IO[bytes], rate: float | None, channel: Any, source: str, *, fallback: bool = True
) -> Audio:
    import soundfile as sf

    shown = str(src) if isinstance(src, Path) else source
    handle: Any = src
    if not isinstance(src, Path):
        if isinstance(src.read(0), str):
            raise _text_mode_error()
        seekable = getattr(src, "seekable", None)
        if not (callable(seekable) and seekable()):
            handle = io.BytesIO(src.read())
    try:
        f = sf.SoundFile(handle)
    except sf.SoundFileRuntimeError as err:
        if fallback and isinstance(src, Path):
            return _from_audioread(src, rate, channel, source, soundfile_error=err)
        raise AudioFormatError(
            "src",
            shown,
            _FILE_TYPES,
            owner="load_audio",
            fix=f"libsndfile says: {_sf_message(err)}.",
        ) from err
    with f:
        native = _file_rate(f.samplerate, shown)
        if rate is not None and rate != native:
            raise AudioFormatError(
                "sample_rate_hz",
                rate,
                f"None or {f.samplerate} (the file's own rate)",
                owner="load_audio",
                fix="sample_rate_hz describes raw bytes and arrays only.",
            )
        declared = f.frames
        _check_wav_complete(handle, f.format, shown)
        index = _pick_channel(channel, f.channels)
        as_int16 = native == SAMPLE_RATE_HZ and f.subtype == "PCM_16"
        try:
            if as_int16 and (f.channels == 1 or index is not None):
                x = f.read(dtype="int16", always_2d=True)
            else:
                x = f.read(dtype="float32", always_2d=True)
        except sf.SoundFileRuntimeError as err:
            raise AudioFormatError(
                "src",
                shown,
                _FILE_TYPES,
                owner="load_audio",
                fix=f"The file is damaged or truncated; libsndfile says: {_sf_message(err)}.",
            ) from err
        short_ok = declared // 20 if f.format == "MP3" else 0
        if f.subtype in ("FLOAT", "DOUBLE"):
            _check_finite(x, "load_audio")
    if x.shape[0] == 0:
        raise AudioFormatError(
            "src",
            shown,
            "a file with at least one sample",
            owner="load_audio",
            fix="The file holds no samples.",
        )
    if x.shape[0] < declared - short_ok:
        raise AudioFormatError(
            "src",
            shown,
            _FILE_TYPES,
            owner="load_audio",
            fix=f"The file is truncated: its header declares {declared} frames but only "
            f"{x.shape[0]} could be read.",
        )
    if index is not None:
        mono, owned = x[:, index], True
    else:
        mono, owned = _mono(x, channel)
    return _finish(mono, native, source, owned=owned)


def _file_rate(rate: float, shown: str) -> float:
    """A file's own sample rate, if in [1000, 768000] Hz (a header can say anything)."""
    if not _MIN_RATE_HZ <= rate <= _MAX_RATE_HZ:
        raise AudioFormatError(
            "src",
            shown,
            "an audio file whose sample rate is in [1000, 768000] Hz",
            owner="load_audio",
            fix=f"Its header gives a sample rate of {rate:g} Hz, which no recording has; "
            "the file is damaged or was written wrongly.",
        )
    return float(rate)


def _sf_message(err: Exception) -> str:
    return str(getattr(err, "error_string", err)).strip().rstrip(".")


def _check_wav_complete(handle: Any, container: str, source: str) -> None:
    """Raise if a RIFF/WAVE file's data chunk declares more bytes than the file holds.

    libsndfile silently shortens such files to the bytes present, so a WAV cut in its
    data would otherwise load as a shorter clip. Streamed WAVs that declare a data size of
    0 or 0xFFFFFFFF are accepted (their length is unknown by design).
    """
    if container not in ("WAV", "WAVEX"):
        return
    opened = isinstance(handle, Path)
    fh = open(handle, "rb") if opened else handle  # noqa: SIM115
    position = None if opened else fh.tell()
    try:
        fh.seek(0, io.SEEK_END)
        size = fh.tell()
        fh.seek(0)
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        offset = 12
        for _ in range(10_000):  # bounded walk over the chunks
            if offset + 8 > size:
                return
            fh.seek(offset)
            chunk = fh.read(8)
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:8], "little")
            if chunk_id == b"data":
                available = size - offset - 8
                if chunk_size not in (0, 0xFFFFFFFF) and available < chunk_size:
                    raise AudioFormatError(
                        "src",
                        source,
                        _FILE_TYPES,
                        owner="load_audio",
                        fix=f"The WAV file is truncated: its data chunk declares {chunk_size} "
                        f"bytes but the file holds {available}.",
                    )
                return
            offset += 8 + chunk_size + (chunk_size & 1)
    finally:
        if opened:
            fh.close()
        elif position is not None:  # always set when the caller's handle is used
            fh.seek(position)


def _from_audioread(
    path: Path, rate: float | None, channel: Any, source: str, *, soundfile_error: Exception
) -> Audio:
    """Decode what libsndfile cannot (m4a, aac, wma, ...) with audioread, if it has a backend."""
    backends: list[Any] = []
    try:
        with warnings.catch_warnings():
            # audioread's stdlib backend imports aifc/sunau/audioop, deprecated since 3.11
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioread

            # its stdlib backend reads only WAV/AIFF/AU, which libsndfile already handles
            # (and it leaks the file handle on a damaged file): use the decoder backends only
            backends = [b for b in audioread.available_backends() if b.__name__ != "RawAudioFile"]
            with audioread.audio_open(str(path), backends=backends) as f:
                native, n_channels = _file_rate(f.samplerate, str(path)), int(f.channels)
                data = b"".join(f)
    except AudioFormatError:
        raise
    except Exception as err:
        if path.suffix.lower() in _DECODER_SUFFIXES and not backends:
            why = f"no decoder for {path.suffix} files is installed (install ffmpeg)"
        else:
            why = "it is not audio in a format rtlab reads, or it is damaged"
        raise AudioFormatError(
            "src",
            str(path),
            _FILE_TYPES,
            owner="load_audio",
            fix=f"libsndfile says: {_sf_message(soundfile_error)}; audioread: {why} "
            f"({type(err).__name__}).",
        ) from err
    if rate is not None and rate != native:
        raise AudioFormatError(
            "sample_rate_hz", rate, f"None or {native:g} (the file's own rate)", owner="load_audio"
        )
    x = np.frombuffer(data, dtype="<i2").astype(np.int16, copy=False)
    if x.size == 0 or x.size % max(n_channels, 1):
        raise AudioFormatError(
            "src", str(path), "a file with at least one whole frame", owner="load_audio"
        )
    mono, owned = _mono(x.reshape(-1, n_channels), channel)
    return _finish(mono, native, source, owned=owned)


# --------------------------------------------------------------------------- WAV writing


def _wav_header(n_samples: int) -> bytes:
    data_bytes = 2 * n_samples
    return b"".join(
        [
            b"RIFF",
            (36 + data_bytes).to_bytes(4, "little"),
            b"WAVEfmt ",
            (16).to_bytes(4, "little"),
            (1).to_bytes(2, "little"),  # PCM
            (1).to_bytes(2, "little"),  # mono
            SAMPLE_RATE_HZ.to_bytes(4, "little"),
            (SAMPLE_RATE_HZ * 2).to_bytes(4, "little"),  # byte rate
            (2).to_bytes(2, "little"),  # block align
            (16).to_bytes(2, "little"),  # bits per sample
            b"data",
            data_bytes.to_bytes(4, "little"),
        ]
    )


def _wav_bytes(samples: np.ndarray) -> bytes:
    return _wav_header(samples.shape[0]) + samples.astype("<i2", copy=False).tobytes()
