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
fields and, separately, every key it does not model (``Read.unmodelled``: path in the
payload's own shape -> value), so that :meth:`rtlab.Session.to_event` can send them back
unchanged in that shape. :data:`PASSED` lists the keys of the installed ``openai``
package's session types that rtlab knows and passes through without modelling them (a test
walks those types and fails on any key that is neither modelled nor listed here);
:data:`READ_ONLY` lists the keys that describe the server's object, not the configuration
(never kept). A key with a ``null`` value that rtlab does not model is read as absent
(server events list every key, ``null`` where there is no value).

Examples
--------
>>> from rtlab import _wire
>>> body, dropped = _wire.to_ga({"input_audio_format": "g711_ulaw", "temperature": 0.7})
>>> body, dropped
({'type': 'realtime', 'audio': {'input': {'format': {'type': 'audio/pcmu'}}}}, [('temperature', 0.7)])
>>> _wire.read({"type": "session.update", "session": body}).fields
{'input_audio_format': 'g711_ulaw'}
>>> _wire.read({"type": "realtime", "include": ["item.input_audio_transcription.logprobs"]})
Read(fields={}, unmodelled={('include',): ['item.input_audio_transcription.logprobs']}, api='ga')
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
#: rtlab field -> where it sits in each API's session (the objects whose own keys are read
#: one by one: keys rtlab does not model are kept apart, at this path plus the key)
NESTED_PATHS: dict[str, dict[str, tuple[str, ...]]] = {
    "input_audio_transcription": {
        "beta": ("input_audio_transcription",), "ga": ("audio", "input", "transcription"),
    },
    "input_audio_noise_reduction": {
        "beta": ("input_audio_noise_reduction",), "ga": ("audio", "input", "noise_reduction"),
    },
    "turn_detection": {"beta": ("turn_detection",), "ga": ("audio", "input", "turn_detection")},
    "tracing": {"beta": ("tracing",), "ga": ("tracing",)},
}  # fmt: skip
#: Keys of the ``openai`` package's session types that rtlab passes through unchanged
#: without modelling them (in the path format of the drift test: ``[]`` is a list item,
#: ``@tag`` the member of a union tagged by ``type``). Neither API has the other's
#: counterpart of any of them, so they go back only in the shape they were read in.
PASSED: dict[str, dict[str, str]] = {
    "ga": {
        "include": "extra output (transcription logprobs)",
        "prompt": "a stored prompt template and its variables",
        "truncation": "how the conversation is truncated",
        "reasoning": "reasoning effort of reasoning models",
        "parallel_tool_calls": "whether tools may be called in parallel",
        "audio.input.transcription.delay": "latency/accuracy trade-off of the transcription",
        "audio.input.transcription.keywords": "words the transcription should expect",
        "audio.input.transcription.languages": "several expected input languages",
        "audio.input.noise_reduction.strength": "strength of the noise reduction",
        "audio.output.voice.id": "a custom voice ({'id': ...})",
        "tools[]@mcp": "MCP tools (rtlab models function tools)",
        "tool_choice@mcp": "forcing an MCP tool",
    },
    "beta": {},
}
#: Keys that describe the server's object rather than the configuration: read, never kept
#: (``client_secret`` holds a secret, or the options for minting one).
READ_ONLY = ("object", "expires_at", "client_secret")
#: Deepest nesting rtlab reads in a JSON value (tracing metadata, tool parameters): far more
#: than any JSON Schema or metadata needs, far less than Python's recursion limit.
MAX_DEPTH = 100


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
    """What :func:`read` found.

    Attributes
    ----------
    fields : dict
        rtlab's dict (beta-shaped field names), for :class:`rtlab.Session` to validate.
    unmodelled : dict
        Every key rtlab does not model: its path in the payload's shape (a tuple of keys and
        list indices) -> its value. ``("tools",)`` holds the non-function tools (a list).
    api : {"beta", "ga"}
        The shape the payload was written in.
    """

    fields: dict[str, Any]
    unmodelled: dict[tuple[str | int, ...], Any]
    api: str


def session_body(payload: Any) -> Mapping[str, Any]:
    """The session object inside an event, a client-secret response or a bare session."""
    if isinstance(payload, str | bytes | bytearray):
        payload = parse_json(payload, owner="Session.from_event")
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
    check_depth(body, "", owner="Session.from_event", limit=2 * MAX_DEPTH)
    return body


def parse_json(text: str | bytes | bytearray, *, owner: str) -> Any:
    """JSON text as Python data; text that is not JSON (or nests too deep) is a ConfigError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "payload", text, "a JSON object", owner=owner,
            message=f"{owner} got text that is not JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno}).",
        ) from exc  # fmt: skip
    except RecursionError as exc:  # the standard reader recurses once per level
        raise ConfigError(
            "payload", f"<JSON text of {len(text)} characters>",
            f"JSON nested at most {MAX_DEPTH} levels deep", owner=owner,
        ) from exc  # fmt: skip
    except ValueError as exc:  # an integer of more digits than Python converts
        raise ConfigError(
            "payload", f"<JSON text of {len(text)} characters>",
            "JSON whose integers have at most 4300 digits", owner=owner, fix=str(exc),
        ) from exc  # fmt: skip


def dotted(path: tuple[str | int, ...]) -> str:
    """A path as text: ``("tools", 0, "name")`` -> ``"tools[0].name"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def check_depth(value: Any, where: str, *, owner: str, limit: int = MAX_DEPTH) -> None:
    """Raise a ConfigError if ``value`` nests lists and objects more than ``limit`` deep.

    Checked without recursion, so that no later step (validation, repr, JSON) recurses into
    a value deeper than Python's recursion limit.
    """
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.items()
        elif isinstance(node, list | tuple):
            children = enumerate(node)
        else:
            continue
        if depth > limit:
            field = dotted((where, *path[:2])) if where else dotted(path[:2])
            raise ConfigError(
                field, f"<a JSON value nested more than {limit} levels deep>",
                f"JSON nested at most {limit} levels deep", owner=owner,
            )  # fmt: skip
        stack.extend((child, depth + 1, (*path, key)) for key, child in children)


def read(
    payload: Any, *, strict: bool = False, known: Mapping[str, tuple[str, ...]] | None = None
) -> Read:
    """rtlab's dict for an event or session of either API (JSON text is parsed first).

    ``strict=False`` (server JSON) keeps every key rtlab does not model apart, in
    ``Read.unmodelled`` (so nothing is lost), and leaves out the nulls where GA allows none
    (``audio.input.format``, ``output_modalities``). ``known`` names the keys rtlab models
    in the beta session (``"session"``) and in each nested object (``"server_vad"``,
    ``"semantic_vad"``, ``"input_audio_transcription"``, ``"input_audio_noise_reduction"``,
    ``"tracing"``, ``"tools"``); without it the beta keys and nested keys are all passed on
    to the model, which judges them. ``strict=True`` passes everything on (the first key
    rtlab does not model is then an error, with its own message) and rejects those nulls.
    """
    if strict and isinstance(payload, Mapping) and payload.get("type") in SESSION_EVENTS:
        check_keys("event", payload, ("type", "event_id", "session"))
    body = session_body(payload)
    is_ga = body.get("type") == "realtime" or any(
        key in body for key in ("audio", "output_modalities", "max_output_tokens")
    )
    if is_ga:
        found = _read_ga(body, strict)
    else:
        found = Read({k: v for k, v in body.items()}, {}, "beta")
        if not strict and known is not None:
            for key in list(found.fields):
                value = found.fields.pop(key)
                if key in known["session"]:
                    found.fields[key] = value
                elif key not in READ_ONLY and value is not None:
                    found.unmodelled[(key,)] = value
    if not strict and known is not None:
        _nested_apart(found, known)
    _function_tools(found, strict)
    return found


def _nested_apart(found: Read, known: Mapping[str, tuple[str, ...]]) -> None:
    """Move the keys of nested objects that rtlab does not model to ``found.unmodelled``."""
    fields, apart = found.fields, found.unmodelled
    for name, paths in NESTED_PATHS.items():
        value = fields.get(name)
        if not isinstance(value, Mapping):
            continue
        kind = value.get("type")
        if name == "turn_detection":
            names = known.get(kind) if isinstance(kind, str) else None
        else:
            names = known.get(name)
        if names is None:
            continue  # an unknown kind of turn detection: the model reports it
        fields[name] = {k: v for k, v in value.items() if k in names}
        base = paths[found.api]
        apart.update({(*base, k): v for k, v in value.items() if k not in names and v is not None})
    tools = fields.get("tools")
    if isinstance(tools, list | tuple):
        kept: list[Any] = []
        for item in tools:
            if isinstance(item, Mapping) and item.get("type", "function") != "function":
                apart.setdefault(("tools",), []).append(item)
                continue
            if isinstance(item, Mapping):
                extra = {k: v for k, v in item.items() if k not in known["tools"]}
                apart.update(
                    {("tools", len(kept), k): v for k, v in extra.items() if v is not None}
                )
                item = {k: v for k, v in item.items() if k in known["tools"]}
            kept.append(item)
        if kept or not tools:
            fields["tools"] = kept
        else:  # only non-function tools: they are sent back, the modelled tools stay unset
            del fields["tools"]


def _function_tools(found: Read, strict: bool) -> None:
    """Tools that are not function tools: an error when strict (rtlab models function tools)."""
    for item in found.fields.get("tools") or ():
        if isinstance(item, Mapping) and item.get("type", "function") != "function":
            raise ConfigError(
                "tools", item.get("type"), "function tools ({'type': 'function', 'name': ...})",
                owner="Session", fix="rtlab models function tools only (no MCP tools).",
            )  # fmt: skip


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
    unmodelled: dict[tuple[str | int, ...], Any] = {
        (key,): value
        for key, value in body.items()
        if key not in GA_KEYS and key not in READ_ONLY and value is not None
    }
    found = Read({}, unmodelled, "ga")
    fields = found.fields
    fields.update(
        {
            key: body[key]
            for key in ("id", "model", "instructions", "tracing", "tools")
            if key in body
        }
    )
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
        if isinstance(choice, Mapping) and choice.get("type") == "mcp" and not strict:
            unmodelled[("tool_choice",)] = choice
        elif isinstance(choice, Mapping):
            if strict:
                check_keys("tool_choice", choice, ("type", "name"))
            if choice.get("type") != "function" or not isinstance(choice.get("name"), str):
                raise ConfigError(
                    "tool_choice", choice.get("type"), "'auto', 'none', 'required' or "
                    "{'type': 'function', 'name': ...}", owner="the GA session",
                    fix="rtlab models function tools only (no MCP tools).",
                )  # fmt: skip
            fields["tool_choice"] = choice["name"]
        else:
            fields["tool_choice"] = choice
    audio = body.get("audio")
    if audio is None:
        return found
    if not isinstance(audio, Mapping):
        raise ConfigError("audio", audio, "an object with 'input' and 'output'", owner="GA session")
    if strict:
        check_keys("audio", audio, ("input", "output"))
    audio_in = _part(audio, "input", "audio.input")
    audio_out = _part(audio, "output", "audio.output")
    if strict:
        check_keys("audio.input", audio_in, GA_INPUT_KEYS)
        check_keys("audio.output", audio_out, GA_OUTPUT_KEYS)
    unmodelled.update(
        {
            ("audio", k): v
            for k, v in audio.items()
            if k not in ("input", "output") and v is not None
        }
    )
    for side, part, names in (
        ("input", audio_in, GA_INPUT_KEYS),
        ("output", audio_out, GA_OUTPUT_KEYS),
    ):
        unmodelled.update(
            {("audio", side, k): v for k, v in part.items() if k not in names and v is not None}
        )
    if audio_in.get("format") is not None or (strict and "format" in audio_in):
        fields["input_audio_format"] = _format_from_ga("audio.input.format", audio_in["format"])
    if audio_out.get("format") is not None or (strict and "format" in audio_out):
        fields["output_audio_format"] = _format_from_ga("audio.output.format", audio_out["format"])
    fields.update({name: audio_in[key] for name, key in GA_INPUT.items() if key in audio_in})
    voice = audio_out.get("voice")
    if isinstance(voice, Mapping) and not strict:
        unmodelled[("audio", "output", "voice")] = voice
    elif isinstance(voice, Mapping):
        raise ConfigError(
            "voice", voice, "a voice name", owner="the GA session",
            fix="Custom voice objects ({'id': ...}) are not modelled by rtlab.",
        )  # fmt: skip
    fields.update({name: audio_out[key] for name, key in GA_OUTPUT.items() if key in audio_out})
    if isinstance(voice, Mapping):
        del fields["voice"]
    return found


# ---------------------------------------------------------------------------------- writing back


def put(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> bool:
    """Put a kept value back at ``path`` in a session ``body`` of its own shape.

    ``("tools",)`` (the non-function tools) extends the tools; the ``audio`` containers are
    made when missing. Returns False (and changes nothing) where the value's parent is not
    sent as an object (e.g. a transcription key when transcription is off or unset).
    """
    if path == ("tools",):
        body["tools"] = [*body.get("tools", []), *value]
        return True
    node: Any = body
    for depth, key in enumerate(path[:-1]):
        if (
            isinstance(node, dict)
            and key not in node
            and path[: depth + 1] in (("audio",), ("audio", "input"), ("audio", "output"))
        ):
            node[key] = {}
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
            continue
        if not (isinstance(node, dict) and isinstance(node.get(key), dict | list)):
            return False
        node = node[key]
    if not isinstance(node, dict):
        return False
    node[path[-1]] = value
    return True


def owner_field(api: str, path: tuple[str | int, ...]) -> str | None:
    """The rtlab field a kept key belongs to (replacing that field drops it), or None."""
    for name, paths in NESTED_PATHS.items():
        base = paths[api]
        if path[: len(base)] == base and len(path) > len(base):
            return name
    if path[0] == "tools":
        return "tools"
    if path == ("tool_choice",):
        return "tool_choice"
    if path == ("audio", "output", "voice"):
        return "voice"
    return None


def passed_key(path: tuple[str | int, ...], value: Any) -> str:
    """The :data:`PASSED` key of a kept value (the drift test's path format)."""
    if path == ("tools",):
        kinds = {item.get("type") for item in value if isinstance(item, Mapping)}
        return f"tools[]@{kinds.pop()}" if len(kinds) == 1 else "tools[]"
    if path == ("tool_choice",) and isinstance(value, Mapping):
        return f"tool_choice@{value.get('type')}"
    if path == ("audio", "output", "voice") and isinstance(value, Mapping):
        return "audio.output.voice.id"
    if path[0] == "tools" and len(path) > 2:
        return "tools[]@function." + dotted(path[2:])
    return dotted(path)
