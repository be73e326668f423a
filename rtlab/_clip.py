"""The clip: a recording with its ground truth (what every stage measures on).

Defined below :mod:`rtlab.datasets` and the corpus readers so that all of them can build
clips without importing one another; :mod:`rtlab.datasets` re-exports it as
``rtlab.datasets.Clip`` (and ``rtlab.Clip``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rtlab.annotation import Annotation
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio

__all__ = ["Clip"]


@dataclass(frozen=True)
class Clip:
    """A clip of audio with its ground truth.

    Parameters
    ----------
    name : str
        The clip's name, e.g. ``"librivox/0870"``; composed clips are ``"composed/..."``.
    audio : rtlab.Audio
        24 kHz mono int16 samples.
    truth : rtlab.annotation.Annotation
        Speech spans, turns, words and transcript, in seconds from the start of ``audio``.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("jfk")
    >>> clip.truth.kinds, round(clip.duration_s, 2)
    (('transcript',), 11.0)
    """

    name: str
    audio: Audio
    truth: Annotation

    def __post_init__(self) -> None:
        from rtlab.audio import Audio

        if not isinstance(self.name, str):
            raise ConfigError("name", self.name, "a str", owner="Clip")
        if not isinstance(self.audio, Audio):
            raise ConfigError(
                "audio", self.audio, "an rtlab.Audio", owner="Clip", fix="Use rtlab.load_audio()."
            )
        if not isinstance(self.truth, Annotation):
            raise ConfigError("truth", self.truth, "an rtlab.annotation.Annotation", owner="Clip")

    @property
    def duration_s(self) -> float:
        """Length of the audio in seconds."""
        return float(self.audio.duration_s)

    def __repr__(self) -> str:
        kinds = "+".join(self.truth.kinds) or "no truth"
        return f"Clip({self.name!r}, {self.duration_s:.2f} s, {kinds})"

    def _repr_html_(self) -> str:
        player = getattr(self.audio, "_repr_html_", None)
        return (
            f"<div><p><b>{html.escape(self.name)}</b> ({self.duration_s:.2f} s)</p>"
            f"{player() if player else ''}{self.truth._repr_html_()}</div>"
        )
