"""The agent's side of the local server: responses made of real speech, in the API's events.

Pure builders, like :mod:`rtlab.realtime._protocol`: the server decides when to answer and
sends what these return. A response speaks one of the shipped LibriVox utterances
(``datasets/librivox_pocketsphinx``, the n-th response of a connection the n-th clip, in
turn), as PCM16 at 24 kHz (or G.711 when the session's output format asks for it), in
100 ms audio deltas, with the words of the clip's transcript as transcript deltas at the
times they are spoken. The events themselves, in the connection's API shape, are built by
:mod:`rtlab._response_events` (shared with the full-duplex simulator, :mod:`rtlab.duplex`).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rtlab.audio import SAMPLE_RATE_HZ

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


#: The clips a response speaks, in turn (shipped LibriVox utterances, one reader).
VOICE_CLIPS = (
    "librivox/0870",
    "librivox/0880",
    "librivox/0890",
    "librivox/0920",
    "librivox/0930",
)

#: Audio per ``audio.delta`` event (ms).
DELTA_MS = 100


Status = Literal["completed", "cancelled", "incomplete"]


@dataclass(frozen=True, eq=False)
class Utterance:
    """One spoken answer: its samples (int16, 24 kHz) and its words with their times (ms)."""

    samples: np.ndarray
    words: tuple[tuple[float, str], ...]  # (start_ms, word)
    name: str

    @property
    def duration_ms(self) -> float:
        return self.samples.size * 1000.0 / SAMPLE_RATE_HZ

    @property
    def transcript(self) -> str:
        return " ".join(word for _, word in self.words)


def load_utterances() -> tuple[Utterance, ...]:
    """The shipped clips a response speaks (read from ``datasets/``; a few hundred kB)."""
    import numpy as np

    from rtlab import datasets

    out = []
    for name in VOICE_CLIPS:
        clip = datasets.load(name)
        frame = clip.truth.to_frame()
        words = frame[frame["kind"] == "word"].sort_values("start_s")
        samples = np.array(clip.audio.samples, dtype=np.int16)
        samples.flags.writeable = False
        out.append(
            Utterance(
                samples,
                tuple(
                    (float(s) * 1000.0, str(w))
                    for s, w in zip(words["start_s"], words["text"], strict=True)
                ),
                name,
            )
        )
    return tuple(out)


def new_id(prefix: str) -> str:
    """An id in the API's style, e.g. ``resp_3f2a...``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def encode_audio(samples: np.ndarray, audio_format: str) -> str:
    """Base64 audio in the session's output format (pcm16 24 kHz, or G.711 at 8 kHz)."""
    import numpy as np

    if audio_format in ("g711_ulaw", "g711_alaw"):
        from rtlab.audio import Audio

        data = Audio(np.array(samples, dtype=np.int16)).to_g711(audio_format[-4:])  # type: ignore[arg-type]
    else:
        data = np.asarray(samples, dtype="<i2").tobytes()
    return base64.b64encode(data).decode("ascii")
