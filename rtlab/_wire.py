"""The two JSON shapes of a realtime session: beta and GA, to and from rtlab's own dict.

rtlab's own dict is the bare beta-shaped session that :meth:`rtlab.Session.to_dict` writes
(set fields only; it may also hold ``turn_detection.idle_timeout_ms``, which only GA has).
This module knows nothing of the models: :func:`to_beta` and :func:`to_ga` turn that dict
into the ``session`` of a ``session.update`` event of either API, and :func:`read` turns an
event or session of either shape back into it, for :class:`rtlab.Session` to validate.

===============================  ===========================  ======================================
rtlab ``Session`` field          beta ``session`` key         GA ``session`` key
===============================  ===========================  ======================================
(always)                         (none)                       ``type``: ``"realtime"``
``id``                           ``id`` (server events only)  ``id`` (server events only)
``model``                        ``model`` (8 beta names)     ``model`` (any model name)
``modalities``                   ``modalities``               ``output_modalities``:
                                                              ``["text"]`` -> ``["text"]``,
                                                              ``["text", "audio"]`` -> ``["audio"]``
``instructions``                 ``instructions``             ``instructions``
``voice``                        ``voice``                    ``audio.output.voice``
``input_audio_format``           ``input_audio_format``       ``audio.input.format``: ``pcm16``
                                                              -> ``{"type": "audio/pcm",``
                                                              ``"rate": 24000}``, ``g711_ulaw``
                                                              -> ``{"type": "audio/pcmu"}``,
                                                              ``g711_alaw`` ->
                                                              ``{"type": "audio/pcma"}``
``output_audio_format``          ``output_audio_format``      ``audio.output.format`` (same)
``input_audio_transcription``    ``input_audio_``             ``audio.input.transcription``
                                 ``transcription``
``turn_detection``               ``turn_detection`` (without  ``audio.input.turn_detection``
                                 ``idle_timeout_ms``)
``input_audio_noise_reduction``  ``input_audio_noise_``       ``audio.input.noise_reduction``
                                 ``reduction``
``speed``                        ``speed``                    ``audio.output.speed``
``tracing``                      ``tracing``                  ``tracing``
``tools``                        ``tools``                    ``tools`` (function tools)
``tool_choice``                  ``tool_choice`` (a string)   ``tool_choice``: the mode string,
                                                              or ``{"type": "function",``
                                                              ``"name": ...}``
``temperature``                  ``temperature``              (none: dropped with a warning)
``max_response_output_tokens``   ``max_response_output_``     ``max_output_tokens``
                                 ``tokens``
===============================  ===========================  ======================================

``id`` is assigned by the server: it is read from server events but has no place in a
``session.update`` (dropped in both APIs).

Reading keeps apart what rtlab models from what it does not: :func:`read` returns the
fields and, separately, the keys of the GA shape it does not model (``Read.unmodelled``, in
the GA shape), so that they can one day be sent back unchanged.

Examples
--------
>>> from rtlab import _wire
>>> body, dropped = _wire.to_ga({"input_audio_format": "g711_ulaw", "temperature": 0.7})
>>> body, dropped
({'type': 'realtime', 'audio': {'input': {'format': {'type': 'audio/pcmu'}}}}, [('temperature', 0.7)])
>>> _wire.read({"type": "session.update", "session": body}).fields
{'input_audio_format': 'g711_ulaw'}
"""  # noqa: E501

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from rtlab.errors import ConfigError, mask_secrets

#: The model names the beta API's ``session.update`` accepts (``openai.types.beta.realtime``).
BETA_MODELS: tuple[str, ...] = (
    "gpt-realtime",
    "gpt-realtime-2025-08-28",
    "gpt-4o-realtime-preview",
    "gpt-4o-realtime-preview-2024-10-01",
    "gpt-4o-realtime-preview-2024-12-17",
    "gpt-4o-realtime-preview-2025-06-03",
    "gpt-4o-mini-realtime-preview",
    "gpt-4o-mini-realtime-preview-2024-12-17",
)
TOOL_MODES = ("auto", "none", "required")
GA_FORMATS: dict[str, dict[str, Any]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
SESSION_EVENTS = ("session.update", "session.created", "session.updated")
GA_KEYS = (
    "type", "id", "model", "instructions", "output_modalities", "audio", "tracing", "tools",
    "tool_choice", "max_output_tokens",
)  # fmt: skip
GA_INPUT_KEYS = ("format", "noise_reduction", "transcription", "turn_detection")
GA_OUTPUT_KEYS = ("format", "voice", "speed")
#: rtlab field -> key under ``audio.input`` / ``audio.output`` of the GA session
GA_INPUT = {
    "input_audio_noise_reduction": "noise_reduction",
    "input_audio_transcription": "transcription",
    "turn_detection": "turn_detection",
}
GA_OUTPUT = {"voice": "voice", "speed": "speed"}


def unknown(
    owner: str,
    name: str,
    value: Any,
    allowed: list[str],
    *,
    suggest: Mapping[str, str] | None = None,
    note: str = "",
) -> ConfigError:
    """The error for a parameter name that ``owner`` does not have ("did you mean ...")."""
    listed = ", ".join(repr(item) for item in allowed)
    text = f"The '{name}' parameter of {owner} is unknown (got {mask_secrets(repr(value))})."
    if note:
        text += f" {note}"
    else:
        candidates = dict(suggest or {})
        candidates.update({item: item for item in allowed})
        match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        if match:
            text += f" Did you mean '{candidates[match[0]]}'?"
    text += f" Allowed parameters: {listed}."
    return ConfigError(name, value, f"one of {listed}", owner=owner, message=text)


def check_keys(owner: str, mapping: Mapping[str, Any], known: tuple[str, ...]) -> None:
    """Raise :func:`unknown` for the first key of ``mapping`` not in ``known``."""
    for key, value in mapping.items():
        if key not in known:
            raise unknown(owner, key, value, list(known))


# ---------------------------------------------------------------------------------- writing


def to_beta(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The beta ``session`` for rtlab's dict, and the (field, value) pairs left out."""
    out = dict(body)
    dropped: list[tuple[str, Any]] = []
    if "id" in out:
        dropped.append(("id", out.pop("id")))
    detection = out.get("turn_detection")
    if isinstance(detection, dict) and "idle_timeout_ms" in detection:
        out["turn_detection"] = detection = dict(detection)
        value = detection.pop("idle_timeout_ms")
        if value is not None:  # None (no idle timeout) is what beta does anyway
            dropped.append(("turn_detection.idle_timeout_ms", value))
    if "model" in out and out["model"] not in BETA_MODELS:
        raise ConfigError(
            "model", out["model"], "one of " + ", ".join(map(repr, BETA_MODELS)),
            owner="Session.to_event(api='beta')",
            fix="Newer models are served by the GA API: use api='ga'.",
        )  # fmt: skip
    return out, dropped


def to_ga(body: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The GA ``session`` for rtlab's dict, and the (field, value) pairs left out."""
    out: dict[str, Any] = {"type": "realtime"}
    dropped = [(name, body[name]) for name in ("id", "temperature") if name in body]
    for name in ("model", "instructions"):
        if name in body:
            out[name] = body[name]
    if "modalities" in body:
        out["output_modalities"] = ["audio"] if "audio" in body["modalities"] else ["text"]
    audio_in = {key: body[name] for name, key in GA_INPUT.items() if name in body}
    audio_out = {key: body[name] for name, key in GA_OUTPUT.items() if name in body}
    if "input_audio_format" in body:
        audio_in = {"format": dict(GA_FORMATS[body["input_audio_format"]]), **audio_in}
    if "output_audio_format" in body:
        audio_out = {"format": dict(GA_FORMATS[body["output_audio_format"]]), **audio_out}
    audio = {key: part for key, part in (("input", audio_in), ("output", audio_out)) if part}
    if audio:
        out["audio"] = audio
    for name in ("tracing", "tools"):
        if name in body:
            out[name] = body[name]
    if "tool_choice" in body:
        choice = body["tool_choice"]
        out["tool_choice"] = (
            choice if choice in TOOL_MODES else {"type": "function", "name": choice}
        )
    if "max_response_output_tokens" in body:
        out["max_output_tokens"] = body["max_response_output_tokens"]
    return out, dropped


# ---------------------------------------------------------------------------------- reading


class Read(NamedTuple):
    """What :func:`read` found: rtlab's dict, and the GA keys rtlab does not model."""

    fields: dict[str, Any]
    unmodelled: dict[str, Any]


def session_body(payload: Any) -> Mapping[str, Any]:
    """The session object inside an event, a client-secret response or a bare session."""
    if isinstance(payload, str | bytes | bytearray):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "payload", payload, "a JSON object", owner="Session.from_event",
                message=f"Session.from_event got text that is not JSON: {exc.msg} "
                f"(line {exc.lineno}, column {exc.colno}).",
            ) from exc  # fmt: skip
    if not isinstance(payload, Mapping):
        raise ConfigError(
            "payload", payload, "a session.update / session.created / session.updated "
            "event or a session dict", owner="Session.from_event",
        )  # fmt: skip
    kind = payload.get("type")
    body: Any = payload
    if kind in SESSION_EVENTS:
        body = payload.get("session")
    elif kind is None and isinstance(payload.get("session"), Mapping):
        body = payload["session"]  # a client-secret / session-create response
    elif kind not in (None, "realtime", "transcription"):
        allowed = ", ".join(repr(name) for name in SESSION_EVENTS)
        raise ConfigError(
            "type", kind, f"one of {allowed} (or a bare session)", owner="Session.from_event"
        )
    if not isinstance(body, Mapping):
        raise ConfigError("session", body, "a session object", owner="Session.from_event")
    if body.get("type") == "transcription":
        raise ConfigError(
            "type", "transcription", "'realtime'", owner="Session.from_event",
            fix="Transcription sessions are not modelled by rtlab.",
        )  # fmt: skip
    return body


def read(payload: Any, *, strict: bool = False) -> Read:
    """rtlab's dict for an event or session of either API (JSON text is parsed first).

    ``strict=False`` (server JSON) leaves out the GA keys rtlab does not model and the nulls
    where GA allows none (``audio.input.format``, ``output_modalities``); ``strict=True``
    rejects both. Keys of the beta shape are passed on as they are: the model judges them.
    """
    if strict and isinstance(payload, Mapping) and payload.get("type") in SESSION_EVENTS:
        check_keys("event", payload, ("type", "event_id", "session"))
    body = session_body(payload)
    is_ga = body.get("type") == "realtime" or any(
        key in body for key in ("audio", "output_modalities", "max_output_tokens")
    )
    if not is_ga:
        return Read(_function_tools({k: v for k, v in body.items()}), {})
    return _read_ga(body, strict)


def _function_tools(fields: dict[str, Any]) -> dict[str, Any]:
    """Reject tools that are not function tools (rtlab does not model MCP tools)."""
    for item in fields.get("tools") or ():
        if isinstance(item, Mapping) and item.get("type", "function") != "function":
            raise ConfigError(
                "tools", item.get("type"), "function tools ({'type': 'function', 'name': ...})",
                owner="Session", fix="rtlab models function tools only (no MCP tools).",
            )  # fmt: skip
    return fields


def _format_from_ga(where: str, value: Any) -> str:
    if isinstance(value, Mapping):
        kind, rate = value.get("type"), value.get("rate")
        if kind == "audio/pcm" and rate in (None, 24000):
            return "pcm16"
        if kind == "audio/pcmu":
            return "g711_ulaw"
        if kind == "audio/pcma":
            return "g711_alaw"
    raise ConfigError(
        where, value,
        "{'type': 'audio/pcm', 'rate': 24000}, {'type': 'audio/pcmu'} or {'type': 'audio/pcma'}",
        owner="the GA session",
    )  # fmt: skip


def _part(body: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = body.get(key) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(where, value, "an object", owner="the GA session")
    return value


def _read_ga(body: Mapping[str, Any], strict: bool) -> Read:
    if strict:
        check_keys("the GA session", body, GA_KEYS)
    unmodelled = {key: value for key, value in body.items() if key not in GA_KEYS}
    fields: dict[str, Any] = {
        key: body[key] for key in ("id", "model", "instructions", "tracing", "tools") if key in body
    }
    if "output_modalities" in body:
        value = body["output_modalities"]
        if value is not None or strict:
            if value not in (["text"], ["audio"], ("text",), ("audio",)):
                raise ConfigError(
                    "output_modalities", value, "['audio'] or ['text']", owner="the GA session"
                )
            fields["modalities"] = ["text"] if list(value) == ["text"] else ["text", "audio"]
    if "max_output_tokens" in body:
        fields["max_response_output_tokens"] = body["max_output_tokens"]
    if "tool_choice" in body:
        choice = body["tool_choice"]
        if isinstance(choice, Mapping):
            if strict:
                check_keys("tool_choice", choice, ("type", "name"))
            if choice.get("type") != "function" or not isinstance(choice.get("name"), str):
                raise ConfigError(
                    "tool_choice", choice.get("type"), "'auto', 'none', 'required' or "
                    "{'type': 'function', 'name': ...}", owner="the GA session",
                    fix="rtlab models function tools only (no MCP tools).",
                )  # fmt: skip
            choice = choice["name"]
        fields["tool_choice"] = choice
    audio = body.get("audio")
    if audio is None:
        return Read(_function_tools(fields), unmodelled)
    if not isinstance(audio, Mapping):
        raise ConfigError("audio", audio, "an object with 'input' and 'output'", owner="GA session")
    if strict:
        check_keys("audio", audio, ("input", "output"))
    audio_in = _part(audio, "input", "audio.input")
    audio_out = _part(audio, "output", "audio.output")
    if strict:
        check_keys("audio.input", audio_in, GA_INPUT_KEYS)
        check_keys("audio.output", audio_out, GA_OUTPUT_KEYS)
    extra_in = {k: v for k, v in audio_in.items() if k not in GA_INPUT_KEYS}
    extra_out = {k: v for k, v in audio_out.items() if k not in GA_OUTPUT_KEYS}
    if extra_in or extra_out:
        unmodelled["audio"] = {
            key: part for key, part in (("input", extra_in), ("output", extra_out)) if part
        }
    if audio_in.get("format") is not None or (strict and "format" in audio_in):
        fields["input_audio_format"] = _format_from_ga("audio.input.format", audio_in["format"])
    if audio_out.get("format") is not None or (strict and "format" in audio_out):
        fields["output_audio_format"] = _format_from_ga("audio.output.format", audio_out["format"])
    fields.update({name: audio_in[key] for name, key in GA_INPUT.items() if key in audio_in})
    if isinstance(audio_out.get("voice"), Mapping):
        raise ConfigError(
            "voice", audio_out["voice"], "a voice name", owner="the GA session",
            fix="Custom voice objects ({'id': ...}) are not modelled by rtlab.",
        )  # fmt: skip
    fields.update({name: audio_out[key] for name, key in GA_OUTPUT.items() if key in audio_out})
    return Read(_function_tools(fields), unmodelled)
