"""Helpers shared by test modules: ``from _helpers import ...`` (pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: 6 s of an AMI headset recording (two speakers), read with rtlab.load_audio.
AMI_WAV = ROOT / "datasets" / "ami_lhotse" / "ES2011a.Headset-0-40s-46s.wav"

#: The server events of turn detection.
VAD_TYPES = (
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "input_audio_buffer.timeout_triggered",
)


def vad_events(events) -> list[dict]:
    """The VAD events without their event ids (ids are numbered per connection)."""
    return [
        {k: v for k, v in e.items() if k != "event_id"} for e in events if e["type"] in VAD_TYPES
    ]
