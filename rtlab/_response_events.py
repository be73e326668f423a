"""The agent's events in the API's two shapes: response, item, content part, truncation.

Pure builders shared by the local server (:mod:`rtlab.realtime._responses`) and the
full-duplex simulator (:mod:`rtlab.duplex`), so both speak the same events. Event names
follow the API shape:

========================  ===================================  ===================================
what                      GA                                   beta
========================  ===================================  ===================================
audio                     ``response.output_audio.delta/done`` ``response.audio.delta/done``
its transcript            ``response.output_audio_transcript`` ``response.audio_transcript``
                          ``.delta/done``                      ``.delta/done``
text (text-only session)  ``response.output_text.delta/done``  ``response.text.delta/done``
the assistant item        ``conversation.item.added/done``     ``conversation.item.created``
item content type         ``output_audio`` / ``output_text``   ``audio`` / ``text``
========================  ===================================  ===================================

Every shape is validated against the installed ``openai`` package's server event types in
``tests/test_realtime_server.py`` and ``tests/test_duplex.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Api = Literal["beta", "ga"]

__all__ = ["Names", "assistant_item", "names", "part", "response_object", "truncated_event"]


@dataclass(frozen=True)
class Names:
    """The event and content names of one API shape for one output modality."""

    delta: str
    done: str
    transcript_delta: str | None
    transcript_done: str | None
    part_type: str
    content_type: str
    item_events: tuple[str, ...]


def names(api: Api, *, audio: bool) -> Names:
    """Event names for ``api`` (see the module table).

    Examples
    --------
    >>> names("ga", audio=True).delta, names("beta", audio=True).delta
    ('response.output_audio.delta', 'response.audio.delta')
    """
    if api == "ga":
        if audio:
            return Names(
                "response.output_audio.delta",
                "response.output_audio.done",
                "response.output_audio_transcript.delta",
                "response.output_audio_transcript.done",
                "audio",
                "output_audio",
                ("conversation.item.added", "conversation.item.done"),
            )
        return Names(
            "response.output_text.delta",
            "response.output_text.done",
            None,
            None,
            "text",
            "output_text",
            ("conversation.item.added", "conversation.item.done"),
        )
    if audio:
        return Names(
            "response.audio.delta",
            "response.audio.done",
            "response.audio_transcript.delta",
            "response.audio_transcript.done",
            "audio",
            "audio",
            ("conversation.item.created",),
        )
    return Names(
        "response.text.delta",
        "response.text.done",
        None,
        None,
        "text",
        "text",
        ("conversation.item.created",),
    )


def assistant_item(item_id: str, names_: Names, *, status: str, text: str | None) -> dict[str, Any]:
    """The assistant message item of a response (no content while it is being created)."""
    content: list[dict[str, Any]] = []
    if text is not None:
        key = "transcript" if names_.part_type == "audio" else "text"
        content = [{"type": names_.content_type, key: text}]
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def response_object(
    response_id: str,
    *,
    api: Api,
    status: str,
    output: list[dict[str, Any]],
    audio: bool,
    reason: str | None = None,
    voice: str | None = None,
) -> dict[str, Any]:
    """The ``response`` of ``response.created`` / ``response.done``."""
    body: dict[str, Any] = {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        "status_details": None,
        "output": output,
        "usage": None,
    }
    if status == "cancelled":
        body["status_details"] = {"type": "cancelled", "reason": reason or "client_cancelled"}
    modalities = ["audio"] if audio else ["text"]
    if api == "ga":
        body["conversation_id"] = "conv_rtlab"
        body["output_modalities"] = modalities
        if audio:
            body["audio"] = {"output": {"voice": voice or "marin"}}
    else:
        body["modalities"] = ["audio", "text"] if audio else ["text"]
        if audio:
            body["voice"] = voice or "alloy"
    return body


def part(names_: Names, text: str) -> dict[str, Any]:
    key = "transcript" if names_.part_type == "audio" else "text"
    return {"type": names_.part_type, key: text}


def truncated_event(event_id: str, item_id: str, content_index: int, audio_end_ms: int) -> dict:
    """A ``conversation.item.truncated`` event."""
    return {
        "type": "conversation.item.truncated",
        "event_id": event_id,
        "item_id": item_id,
        "content_index": content_index,
        "audio_end_ms": audio_end_ms,
    }
