"""The realtime session configuration: ``Session`` and its parts.

A :class:`Session` holds every field of the Realtime API's session object (the beta
``RealtimeSession``): model, modalities, instructions, voice, audio formats, input audio
transcription, turn detection (:class:`ServerVad` or :class:`SemanticVad`), input noise
reduction, speed, tracing, tools, tool choice, temperature and the output token limit. It
validates every value against the ranges the API documents, and writes and reads the
``session.update`` client event of both the beta and the GA (generally available) API.

Three states per field
----------------------
* **unset**: not passed. The field is *not* in ``session.model_fields_set``, it is left out
  of every payload (the server keeps its current value), and reading the attribute gives the
  API default, so ``Session().turn_detection == ServerVad()``.
* **None**: "off", sent as JSON ``null``. Only the four fields the API lets you switch off
  accept it: ``turn_detection``, ``input_audio_transcription``,
  ``input_audio_noise_reduction``, ``tracing`` (and ``ServerVad.idle_timeout_ms``).
* **a value**: validated, then sent.

Nested objects are sent whole. ``turn_detection`` is always serialised as the complete
configuration it stands for (``type`` plus every parameter with its value, defaults filled
in), so the server ends up with exactly what the emulator emulates, whatever it held before;
``idle_timeout_ms`` is the exception: it is sent only when it was set. ``Transcription``,
``Tracing`` and ``Tool`` send the parameters that were set. Payloads written by rtlab parse
back to an equal ``Session`` (``Session`` equality means "the same payload").

Beta and GA
-----------
:meth:`Session.to_dict` / :meth:`Session.to_json` / :meth:`Session.save` write the bare
beta-shaped session (rtlab's file format; it may also hold ``turn_detection.idle_timeout_ms``,
which only GA has). :meth:`Session.to_event` writes the ``session.update`` event of either
API, and :meth:`Session.from_event` reads either shape, a bare session, or a
``session.created`` / ``session.updated`` server event. A field that one API lacks is never
dropped silently: :class:`FieldDroppedWarning` names it (``strict=True`` raises instead).

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
``session.update`` (dropped with a warning in both APIs; :meth:`Session.unset` removes it).

Examples
--------
>>> from rtlab.session import Session, ServerVad
>>> s = Session(turn_detection=ServerVad(threshold=0.6), input_audio_format="g711_ulaw")
>>> s
Session(input_audio_format='g711_ulaw', turn_detection=ServerVad(threshold=0.6))
>>> s.to_event(api="beta")["session"]["turn_detection"]["silence_duration_ms"]
500
>>> s.to_event(api="ga")["session"]["audio"]["input"]["format"]
{'type': 'audio/pcmu'}
>>> Session.from_event(s.to_event(api="ga")) == s
True
>>> Session().turn_detection.threshold, "turn_detection" in Session().model_fields_set
(0.5, False)
>>> s.replace(**{"turn_detection.threshold": 0.7}).turn_detection.threshold
0.7
"""

from __future__ import annotations

import copy
import difflib
import html
import json
import math
import numbers
import os
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, SupportsInt, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from rtlab._io import atomic_write
from rtlab.errors import ConfigError
from rtlab.errors import mask_secrets as _mask

__all__ = [
    "FieldDroppedWarning",
    "FrozenConfigError",
    "NoiseReduction",
    "SemanticVad",
    "ServerVad",
    "Session",
    "Tool",
    "Tracing",
    "Transcription",
]

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
#: Built-in voices (beta: the first eight; GA adds ``marin`` and ``cedar``). Any name is accepted.
VOICES: tuple[str, ...] = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip
_TOOL_MODES = ("auto", "none", "required")
_FUNCTION_NAME = r"[A-Za-z0-9_-]{1,64}"
_GA_FORMATS: dict[str, dict[str, Any]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_SESSION_EVENTS = ("session.update", "session.created", "session.updated")


class FrozenConfigError(ConfigError, AttributeError):
    """Assigning to a field of a frozen configuration; use ``replace`` / ``unset`` instead."""


class FieldDroppedWarning(UserWarning):
    """A set field has no counterpart in the target API and was left out of the event.

    Attributes
    ----------
    field : str
        Dotted name of the field, e.g. ``"temperature"`` or ``"turn_detection.idle_timeout_ms"``.
    value : object
        Its value on the session.
    api : {"beta", "ga"}
        The API the event was written for.
    """

    def __init__(self, field: str, value: Any, api: str) -> None:
        self.field = field
        self.value = value
        self.api = api
        other = "ga" if api == "beta" else "beta"
        super().__init__(
            f"'{field}' (set to {_mask(repr(value))}) has no counterpart in the {api} Realtime API "
            f"and was left out of the session.update event. Use api={other!r} to send it, "
            f"unset it with session.unset({field!r}), or pass strict=True to make this an error."
        )


# --------------------------------------------------------------------------------------------
# value checks (each raises ValueError; the model turns it into a ConfigError naming the field)
# --------------------------------------------------------------------------------------------


class _Allowed:
    """Annotation marker: what a field accepts, in the words error messages use."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _real(lo: float, hi: float) -> BeforeValidator:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError("not a number")
        out = float(value)
        if not lo <= out <= hi:  # also rejects NaN
            raise ValueError("out of range")
        return out

    return BeforeValidator(check)


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("a bool is not an integer")
    if isinstance(value, numbers.Integral):
        return int(value)
    if (
        isinstance(value, numbers.Real)
        and isinstance(value, SupportsInt)  # numbers.Real does not declare __int__
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        return int(value)
    raise ValueError("not an integer")


def _integer(lo: int, hi: int | None = None, *, nullable: bool = False) -> BeforeValidator:
    def check(value: Any) -> int | None:
        if value is None and nullable:
            return None
        out = _as_int(value)
        if out < lo or (hi is not None and out > hi):
            raise ValueError("out of range")
        return out

    return BeforeValidator(check)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind == "b" and getattr(value, "ndim", None) == 0:
        return bool(value)  # a numpy bool
    raise ValueError("not a bool")


def _string(*, nonempty: bool = False, pattern: str | None = None) -> BeforeValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or (nonempty and not value):
            raise ValueError("not a string")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ValueError("bad format")
        return value

    return BeforeValidator(check)


def _json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (str keys, finite numbers); ValueError otherwise."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        out = float(value)
        if not math.isfinite(out):
            raise ValueError("not finite")
        return out
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ValueError("keys must be strings")
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_copy(item) for item in value]
    raise ValueError("not JSON")


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError("not a JSON object")
    return _json_copy(value)


# --------------------------------------------------------------------------------------------
# the common base: frozen, strict about names, every error a ConfigError
# --------------------------------------------------------------------------------------------


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())

    #: fields that accept None ("off")
    _NULLABLE: ClassVar[frozenset[str]] = frozenset()
    #: fields sent only when they were set (the others are always sent, defaults filled in)
    _SET_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _to_config_error(type(self), exc) from exc

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise _to_config_error(cls, exc) from exc

    @classmethod
    def model_validate_json(cls, json_data: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate_json(json_data, **kwargs)
        except ValidationError as exc:
            raise _to_config_error(cls, exc) from exc

    @model_validator(mode="before")
    @classmethod
    def _none_means_off(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for name, value in data.items():
                if value is None and name in cls.model_fields and name not in cls._NULLABLE:
                    nullable = ", ".join(sorted(cls._NULLABLE)) or "none of them"
                    raise ConfigError(
                        name,
                        None,
                        _allowed(cls, name),
                        owner=cls.__name__,
                        fix=f"Leave it out to use the API default (of {cls.__name__}'s "
                        f"parameters only {nullable} can be None).",
                    )
        return data

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenConfigError(
            name, value, "unchanged", owner=type(self).__name__,
            message=f"{type(self).__name__} is frozen: '{name}' cannot be assigned. Make a "
            f"changed copy with session.replace({name}=...) instead.",
        )  # fmt: skip

    def __delattr__(self, name: str) -> None:
        raise FrozenConfigError(
            name, None, "unchanged", owner=type(self).__name__,
            message=f"{type(self).__name__} is frozen: '{name}' cannot be deleted. Make a copy "
            f"without it with session.unset({name!r}) instead.",
        )  # fmt: skip

    # payload, equality, hashing, repr -------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            if name in self._SET_ONLY and name not in self.model_fields_set:
                continue
            out[name] = _plain(getattr(self, name))
        return out

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._payload() == other._payload()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, json.dumps(self._payload(), sort_keys=True)))

    def __repr__(self) -> str:
        parts = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            shown = info.is_required() or value != info.default
            shown = shown or (name in self._SET_ONLY and name in self.model_fields_set)
            if shown:
                parts.append(f"{name}={_mask(repr(value))}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__


def _plain(value: Any) -> Any:
    """A model value as plain JSON data (fresh copies, never shared with the model)."""
    if isinstance(value, _Config):
        return value._payload()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


def _allowed(cls: type[_Config], name: str | None) -> str:
    info = cls.model_fields.get(name or "")
    if info is not None:
        for meta in info.metadata:
            if isinstance(meta, _Allowed):
                return meta.text
    return "a valid value"


# Parameters that exist, but on the other kind of turn detection.
_WRONG_VAD = {
    ("SemanticVad", "threshold"): "server_vad",
    ("SemanticVad", "prefix_padding_ms"): "server_vad",
    ("SemanticVad", "silence_duration_ms"): "server_vad",
    ("SemanticVad", "idle_timeout_ms"): "server_vad",
    ("ServerVad", "eagerness"): "semantic_vad",
}


def _unknown(
    owner: str,
    name: str,
    value: Any,
    allowed: list[str],
    *,
    suggest: Mapping[str, str] | None = None,
) -> ConfigError:
    """The error for a parameter name that ``owner`` does not have."""
    listed = ", ".join(repr(item) for item in allowed)
    text = f"The '{name}' parameter of {owner} is unknown (got {_mask(repr(value))})."
    other = _WRONG_VAD.get((owner, name))
    if other == "server_vad":
        text += (
            f" '{name}' belongs to server_vad (ServerVad): semantic_vad has no {name} and is "
            "tuned with 'eagerness' ('low', 'medium', 'high' or 'auto'). Use "
            "ServerVad(...) or turn_detection.type='server_vad' to set it."
        )
    elif other == "semantic_vad":
        text += (
            " 'eagerness' belongs to semantic_vad (SemanticVad): server_vad is tuned with "
            "'threshold', 'prefix_padding_ms' and 'silence_duration_ms'. Use SemanticVad(...) "
            "or turn_detection.type='semantic_vad' to set it."
        )
    else:
        candidates = dict(suggest or {})
        candidates.update({item: item for item in allowed})
        match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
        if match:
            text += f" Did you mean '{candidates[match[0]]}'?"
    text += f" Allowed parameters: {listed}."
    return ConfigError(name, value, f"one of {listed}", owner=owner, message=text)


def _to_config_error(cls: type[_Config], exc: ValidationError) -> ConfigError:
    """Turn pydantic's error into the ConfigError the user sees."""
    errors = exc.errors(include_url=False)
    for err in errors:  # a nested model or a validator already wrote the right error
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, ConfigError):
            return inner
    err = errors[0]
    loc = err.get("loc") or ()
    field = str(loc[0]) if loc else None
    value = err.get("input")
    owner = cls.__name__
    if err["type"] == "extra_forbidden" and field is not None:
        suggest = cls._suggestions() if issubclass(cls, Session) else None
        return _unknown(owner, field, value, list(cls.model_fields), suggest=suggest)
    allowed = _allowed(cls, field)
    if err["type"] == "missing":
        return ConfigError(
            field, None, allowed, owner=owner,
            message=f"The '{field}' parameter of {owner} is required: it must be {allowed}.",
        )  # fmt: skip
    if field is None:
        return ConfigError(
            None, value, f"a mapping of {owner}'s parameters", owner=owner,
            message=f"{owner} takes keyword parameters ({', '.join(cls.model_fields)}); "
            f"got {_mask(repr(value))[:80]}.",
        )  # fmt: skip
    return ConfigError(field, value, allowed, owner=owner)


def _nested(cls: type[_Config], field: str) -> Callable[[Any], Any]:
    """Before-validator: accept ``cls``, a dict of its parameters, or None."""

    def coerce(value: Any) -> Any:
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls(**value)
        raise ConfigError(field, value, _allowed(Session, field), owner="Session")

    return coerce


# --------------------------------------------------------------------------------------------
# the parts
# --------------------------------------------------------------------------------------------

_BOOL = "True or False"
_MS = "an integer number of milliseconds >= 0"


class ServerVad(_Config):
    """Server VAD turn detection: speech starts and stops on the voice activity level.

    Parameters
    ----------
    type : "server_vad"
        The tag of this kind of turn detection.
    threshold : float in [0.0, 1.0], default 0.5
        Activation threshold of the VAD. Higher needs louder speech, which can help in
        noisy rooms.
    prefix_padding_ms : int >= 0, default 300
        Audio kept before the detected start of speech, in milliseconds
        (``speech_started.audio_start_ms`` = onset minus this, never below 0).
    silence_duration_ms : int >= 0, default 500
        Silence that ends the turn, in milliseconds. Shorter answers faster but cuts users
        off in their pauses.
    create_response : bool, default True
        Whether the server answers automatically when speech stops.
    interrupt_response : bool, default True
        Whether speech that starts cancels a response in progress.
    idle_timeout_ms : int in [5000, 30000] or None, default None
        GA only. After this many milliseconds without speech (counted from the end of the
        last response's playback) the server emits ``input_audio_buffer.timeout_triggered``
        and answers. ``None``: no idle timeout. Sent only when set.

    Examples
    --------
    >>> ServerVad(threshold=0.6)
    ServerVad(threshold=0.6)
    >>> ServerVad(threshold=0.6).silence_duration_ms
    500
    >>> ServerVad(threshold=1.5)
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'threshold' parameter of ServerVad must be a float in [0.0, 1.0]. Got 1.5.
    """  # noqa: E501

    _NULLABLE: ClassVar[frozenset[str]] = frozenset({"idle_timeout_ms"})
    _SET_ONLY: ClassVar[frozenset[str]] = frozenset({"idle_timeout_ms"})

    type: Annotated[
        Literal["server_vad"], _Allowed("'server_vad' (use SemanticVad for 'semantic_vad')")
    ] = "server_vad"
    threshold: Annotated[float, _real(0.0, 1.0), _Allowed("a float in [0.0, 1.0]")] = 0.5
    prefix_padding_ms: Annotated[int, _integer(0), _Allowed(_MS)] = 300
    silence_duration_ms: Annotated[int, _integer(0), _Allowed(_MS)] = 500
    create_response: Annotated[bool, BeforeValidator(_boolean), _Allowed(_BOOL)] = True
    interrupt_response: Annotated[bool, BeforeValidator(_boolean), _Allowed(_BOOL)] = True
    idle_timeout_ms: Annotated[
        int | None,
        _integer(5000, 30000, nullable=True),
        _Allowed("an integer number of milliseconds in [5000, 30000], or None (no idle timeout)"),
    ] = None


class SemanticVad(_Config):
    """Semantic VAD turn detection: a turn-end model decides when the user has finished.

    Parameters
    ----------
    type : "semantic_vad"
        The tag of this kind of turn detection.
    eagerness : {"low", "medium", "high", "auto"}, default "auto"
        How soon the model answers. ``low`` waits longest; the maximum waits are 8 s, 4 s
        and 2 s for low, medium and high; ``auto`` is medium.
    create_response : bool, default True
        Whether the server answers automatically when speech stops.
    interrupt_response : bool, default True
        Whether speech that starts cancels a response in progress.

    Examples
    --------
    >>> SemanticVad(eagerness="low")
    SemanticVad(eagerness='low')
    >>> SemanticVad(threshold=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'threshold' parameter of SemanticVad is unknown (got 0.5). 'threshold' belongs to server_vad (ServerVad): ...
    """  # noqa: E501

    type: Annotated[
        Literal["semantic_vad"], _Allowed("'semantic_vad' (use ServerVad for 'server_vad')")
    ] = "semantic_vad"
    eagerness: Annotated[
        Literal["low", "medium", "high", "auto"],
        _Allowed("one of 'low', 'medium', 'high', 'auto'"),
    ] = "auto"
    create_response: Annotated[bool, BeforeValidator(_boolean), _Allowed(_BOOL)] = True
    interrupt_response: Annotated[bool, BeforeValidator(_boolean), _Allowed(_BOOL)] = True


TurnDetection = Annotated[Union[ServerVad, SemanticVad], Field(discriminator="type")]  # noqa: UP007


class Transcription(_Config):
    """Transcription of the input audio (asynchronous, through the transcription models).

    Parameters
    ----------
    model : str, optional
        Transcription model, e.g. ``"gpt-4o-transcribe"``, ``"gpt-4o-mini-transcribe"`` or
        ``"whisper-1"``.
    language : str, optional
        Language of the input audio as an ISO-639-1 code (two lowercase letters, e.g. ``"en"``).
    prompt : str, optional
        Text that guides the transcription (keywords for ``whisper-1``, free text otherwise).

    Only the parameters you set are sent.

    Examples
    --------
    >>> Transcription(model="whisper-1", language="en")
    Transcription(model='whisper-1', language='en')
    """

    _SET_ONLY: ClassVar[frozenset[str]] = frozenset({"model", "language", "prompt"})

    model: Annotated[
        str | None,
        _string(nonempty=True),
        _Allowed("a transcription model name such as 'gpt-4o-transcribe' or 'whisper-1'"),
    ] = None
    language: Annotated[
        str | None,
        _string(pattern=r"[a-z]{2}"),
        _Allowed("an ISO-639-1 language code (two lowercase letters) such as 'en'"),
    ] = None
    prompt: Annotated[str | None, _string(), _Allowed("a string")] = None


class NoiseReduction(_Config):
    """Noise reduction of the input audio, applied before VAD and the model.

    Parameters
    ----------
    type : {"near_field", "far_field"}
        ``near_field`` for close-talking microphones (headsets), ``far_field`` for laptop or
        conference-room microphones.

    Examples
    --------
    >>> NoiseReduction(type="far_field")
    NoiseReduction(type='far_field')
    """

    type: Annotated[Literal["near_field", "far_field"], _Allowed("'near_field' or 'far_field'")]


class Tracing(_Config):
    """Tracing configuration (the traces dashboard). ``"auto"`` on a Session uses defaults.

    Parameters
    ----------
    workflow_name : str, optional
        Name of the trace's workflow.
    group_id : str, optional
        Group id for filtering and grouping traces.
    metadata : dict, optional
        Arbitrary JSON metadata attached to the trace.

    Only the parameters you set are sent. Once tracing is on, the API does not let it change.

    Examples
    --------
    >>> Tracing(workflow_name="support-bot")
    Tracing(workflow_name='support-bot')
    """

    _SET_ONLY: ClassVar[frozenset[str]] = frozenset({"workflow_name", "group_id", "metadata"})

    workflow_name: Annotated[str | None, _string(nonempty=True), _Allowed("a non-empty string")] = (
        None
    )
    group_id: Annotated[str | None, _string(nonempty=True), _Allowed("a non-empty string")] = None
    metadata: Annotated[
        dict[str, Any] | None,
        BeforeValidator(_json_object),
        _Allowed("a JSON object (a dict with string keys and JSON values)"),
    ] = None


class Tool(_Config):
    """A function the model may call.

    Parameters
    ----------
    name : str
        Function name: letters, digits, ``_`` or ``-``, 1 to 64 characters.
    description : str, optional
        When and how to call it (and what to tell the user meanwhile).
    parameters : dict, optional
        JSON Schema of the function's arguments.
    type : "function"
        The tool kind (only function tools are modelled).

    Examples
    --------
    >>> Tool(name="get_weather", parameters={"type": "object", "properties": {}})
    Tool(name='get_weather', parameters={'type': 'object', 'properties': {}})
    """

    _SET_ONLY: ClassVar[frozenset[str]] = frozenset({"description", "parameters"})

    type: Annotated[Literal["function"], _Allowed("'function'")] = "function"
    name: Annotated[
        str,
        _string(pattern=_FUNCTION_NAME),
        _Allowed("a function name of 1 to 64 letters, digits, '_' or '-'"),
    ]
    description: Annotated[str | None, _string(), _Allowed("a string")] = None
    parameters: Annotated[
        dict[str, Any] | None,
        BeforeValidator(_json_object),
        _Allowed("a JSON Schema object (a dict)"),
    ] = None


# --------------------------------------------------------------------------------------------
# Session field checks
# --------------------------------------------------------------------------------------------


def _modalities(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError("not a list")
    given = set(value)
    if len(given) != len(value) or given not in ({"text"}, {"text", "audio"}):
        raise ValueError("unsupported combination")
    return ("text", "audio") if "audio" in given else ("text",)


def _turn_detection(value: Any) -> Any:
    if value is None or isinstance(value, ServerVad | SemanticVad):
        return value
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind == "server_vad":
            return ServerVad(**value)
        if kind == "semantic_vad":
            return SemanticVad(**value)
        raise ConfigError(
            "type", kind, "'server_vad' or 'semantic_vad'", owner="turn_detection",
            fix="Every turn_detection object needs its type.",
        )  # fmt: skip
    raise ConfigError("turn_detection", value, _allowed(Session, "turn_detection"), owner="Session")


def _tracing(value: Any) -> Any:
    if value is None or value == "auto" or isinstance(value, Tracing):
        return value
    if isinstance(value, Mapping):
        return Tracing(**value)
    raise ConfigError("tracing", value, _allowed(Session, "tracing"), owner="Session")


def _tools(value: Any) -> tuple[Tool, ...]:
    if isinstance(value, Tool | Mapping | str) or not isinstance(value, list | tuple):
        raise ConfigError("tools", value, _allowed(Session, "tools"), owner="Session")
    out = []
    for item in value:
        if isinstance(item, Tool):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(Tool(**item))
        else:
            raise ConfigError("tools", item, _allowed(Session, "tools"), owner="Session")
    return tuple(out)


def _tool_choice(value: Any) -> str:
    if not isinstance(value, str) or not (
        value in _TOOL_MODES or re.fullmatch(_FUNCTION_NAME, value)
    ):
        raise ValueError("bad tool choice")
    return value


def _tokens(value: Any) -> int | str:
    if value == "inf" or (isinstance(value, float) and value == math.inf):
        return "inf"
    if isinstance(value, str):
        raise ValueError("not 'inf'")
    out = _as_int(value)
    if not 1 <= out <= 4096:
        raise ValueError("out of range")
    return out


# --------------------------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------------------------

_FORMAT_TEXT = "one of 'pcm16', 'g711_ulaw', 'g711_alaw'"
_NESTED: dict[str, type[_Config]] = {
    "input_audio_transcription": Transcription,
    "input_audio_noise_reduction": NoiseReduction,
    "tracing": Tracing,
}
_TURN_DETECTION_KINDS: dict[str, type[_Config]] = {
    "server_vad": ServerVad,
    "semantic_vad": SemanticVad,
}
# GA and shorthand names users reach for, mapped to the Session field (for "did you mean").
_ALIASES = {
    "output_modalities": "modalities",
    "max_output_tokens": "max_response_output_tokens",
    "max_tokens": "max_response_output_tokens",
    "noise_reduction": "input_audio_noise_reduction",
    "transcription": "input_audio_transcription",
    "format": "input_audio_format",
    "vad": "turn_detection",
}


class Session(_Config):
    """A Realtime API session configuration (every field of the beta ``RealtimeSession``).

    Every parameter is optional. A parameter you leave out is *unset*: it is not sent, and
    reading it gives the API default. ``None`` (only where noted) turns the feature off and is
    sent as ``null``. Values are checked against the API's documented ranges; a bad value
    raises :class:`rtlab.errors.ConfigError` naming the field, the value and what is allowed.

    Parameters
    ----------
    id : str, optional
        Server-assigned session id (``"sess_..."``), read from server events; never sent.
    model : str, optional
        Realtime model name, e.g. ``"gpt-realtime"``. The beta API accepts only
        :data:`BETA_MODELS`.
    modalities : ["text"] or ["text", "audio"], default ["text", "audio"]
        What the model answers with. ``["text"]`` turns audio off.
    instructions : str, optional
        System instructions; ``""`` clears them. Default: the server's own.
    voice : str, optional
        Output voice, e.g. one of :data:`VOICES`. Default: the server's choice.
    input_audio_format, output_audio_format : {"pcm16", "g711_ulaw", "g711_alaw"}, default "pcm16"
        ``pcm16`` is 16-bit little-endian mono PCM at 24 kHz; G.711 is 8 kHz.
    input_audio_transcription : Transcription or None, default None (off)
        Transcription of the user's audio.
    turn_detection : ServerVad, SemanticVad or None, default ServerVad()
        Turn detection; ``None`` turns it off (the client commits the audio buffer).
    input_audio_noise_reduction : NoiseReduction or None, default None (off)
        Noise reduction applied before VAD and the model.
    speed : float in [0.25, 1.5], default 1.0
        Speed of the spoken answer (a multiple of normal speed).
    tracing : "auto", Tracing or None, default None (off)
        Tracing to the traces dashboard.
    tools : list of Tool, default []
        Functions the model may call.
    tool_choice : str, default "auto"
        ``"auto"``, ``"none"``, ``"required"`` or the name of one of the tools.
    temperature : float in [0.6, 1.2], default 0.8
        Sampling temperature (beta only; 0.8 is recommended for audio).
    max_response_output_tokens : int in [1, 4096] or "inf", default "inf"
        Output token limit per response, tool calls included.

    Nested parameters can also be given as dicts (``turn_detection={"type": "semantic_vad"}``).

    Examples
    --------
    >>> s = Session(turn_detection=SemanticVad(eagerness="low"), voice="marin")
    >>> s.turn_detection.eagerness, s.input_audio_format
    ('low', 'pcm16')
    >>> s.to_dict()
    {'voice': 'marin', 'turn_detection': {'type': 'semantic_vad', 'eagerness': 'low', 'create_response': True, 'interrupt_response': True}}
    >>> Session(turn_detection=None).to_event(api="beta")
    {'type': 'session.update', 'session': {'turn_detection': None}}
    >>> Session(max_response_output_tokens=0)
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'max_response_output_tokens' parameter of Session must be an integer in [1, 4096] or 'inf'. Got 0.
    """  # noqa: E501

    _NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"input_audio_transcription", "turn_detection", "input_audio_noise_reduction", "tracing"}
    )

    id: Annotated[
        str | None,
        _string(nonempty=True),
        _Allowed("a session id string such as 'sess_1234567890abcdef'"),
    ] = None
    model: Annotated[
        str | None, _string(nonempty=True), _Allowed("a realtime model name such as 'gpt-realtime'")
    ] = None
    modalities: Annotated[
        tuple[Literal["text", "audio"], ...],
        BeforeValidator(_modalities),
        _Allowed("['text'] or ['text', 'audio']"),
    ] = ("text", "audio")
    instructions: Annotated[
        str | None, _string(), _Allowed("a string ('' clears the instructions)")
    ] = None
    voice: Annotated[
        str | None,
        _string(nonempty=True),
        _Allowed("a voice name such as 'alloy', 'marin' or 'cedar'"),
    ] = None
    input_audio_format: Annotated[
        Literal["pcm16", "g711_ulaw", "g711_alaw"], _Allowed(_FORMAT_TEXT)
    ] = "pcm16"
    output_audio_format: Annotated[
        Literal["pcm16", "g711_ulaw", "g711_alaw"], _Allowed(_FORMAT_TEXT)
    ] = "pcm16"
    input_audio_transcription: Annotated[
        Transcription | None,
        BeforeValidator(_nested(Transcription, "input_audio_transcription")),
        _Allowed("a Transcription, a dict of its parameters, or None (off)"),
    ] = None
    turn_detection: Annotated[
        TurnDetection | None,
        BeforeValidator(_turn_detection),
        _Allowed("ServerVad(...), SemanticVad(...), a dict with a 'type', or None (off)"),
    ] = ServerVad()
    input_audio_noise_reduction: Annotated[
        NoiseReduction | None,
        BeforeValidator(_nested(NoiseReduction, "input_audio_noise_reduction")),
        _Allowed("a NoiseReduction, a dict with its 'type', or None (off)"),
    ] = None
    speed: Annotated[float, _real(0.25, 1.5), _Allowed("a float in [0.25, 1.5]")] = 1.0
    tracing: Annotated[
        Literal["auto"] | Tracing | None,
        BeforeValidator(_tracing),
        _Allowed("'auto', a Tracing, a dict of its parameters, or None (off)"),
    ] = None
    tools: Annotated[
        tuple[Tool, ...],
        BeforeValidator(_tools),
        _Allowed("a list of Tool (or dicts of their parameters)"),
    ] = ()
    tool_choice: Annotated[
        str,
        BeforeValidator(_tool_choice),
        _Allowed("'auto', 'none', 'required', or the name of a function tool"),
    ] = "auto"
    temperature: Annotated[float, _real(0.6, 1.2), _Allowed("a float in [0.6, 1.2]")] = 0.8
    max_response_output_tokens: Annotated[
        int | Literal["inf"], BeforeValidator(_tokens), _Allowed("an integer in [1, 4096] or 'inf'")
    ] = "inf"

    @model_validator(mode="after")
    def _tools_agree(self) -> Session:
        names = [tool.name for tool in self.tools]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(
                    "tools", name, "tools with distinct names", owner="Session",
                    fix=f"More than one tool is named {name!r}.",
                )  # fmt: skip
        if self.tool_choice not in _TOOL_MODES and names and self.tool_choice not in names:
            listed = ", ".join(repr(name) for name in (*_TOOL_MODES, *names))
            raise ConfigError("tool_choice", self.tool_choice, f"one of {listed}", owner="Session")
        return self

    @classmethod
    def _suggestions(cls) -> dict[str, str]:
        out = dict(_ALIASES)
        for name in ServerVad.model_fields:
            out.setdefault(name, f"turn_detection.{name}")
        out["eagerness"] = "turn_detection.eagerness"
        for head, nested in _NESTED.items():
            for name in nested.model_fields:
                out.setdefault(name, f"{head}.{name}")
        out.pop("type", None)
        return out

    # ---------------------------------------------------------------------------- payloads

    def _payload(self) -> dict[str, Any]:
        return {
            name: _plain(getattr(self, name))
            for name in type(self).model_fields
            if name in self.model_fields_set
        }

    def to_dict(self) -> dict[str, Any]:
        """The bare session in the beta shape: set fields only (rtlab's file format).

        Returns
        -------
        dict
            A fresh JSON-ready dict. Unset fields are absent; ``None`` fields are ``None``.
            ``turn_detection.idle_timeout_ms`` (GA only) appears when set.

        Examples
        --------
        >>> Session(speed=1.2, input_audio_noise_reduction=None).to_dict()
        {'input_audio_noise_reduction': None, 'speed': 1.2}
        """
        return self._payload()

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text.

        Examples
        --------
        >>> Session(voice="alloy").to_json(indent=None)
        '{"voice": "alloy"}'
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_event(
        self,
        api: Literal["beta", "ga"] = "beta",
        *,
        strict: bool = False,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """The ``session.update`` client event that sends this configuration.

        Parameters
        ----------
        api : {"beta", "ga"}, default "beta"
            Which Realtime API's shape to write (see the module docstring for the mapping).
        strict : bool, default False
            Raise :class:`ConfigError` instead of warning when a set field has no counterpart
            in ``api``.
        event_id : str, optional
            Client-chosen id for the event.

        Returns
        -------
        dict
            ``{"type": "session.update", "session": {...}}`` (plus ``event_id`` if given).

        Raises
        ------
        ConfigError
            ``api`` is not "beta" or "ga"; ``model`` is not a beta model and ``api="beta"``;
            a set field is dropped and ``strict=True``.

        Warns
        -----
        FieldDroppedWarning
            A set field is left out: ``id`` (both APIs), ``temperature`` (GA),
            ``turn_detection.idle_timeout_ms`` when not None (beta).

        Examples
        --------
        >>> s = Session(turn_detection=SemanticVad(), modalities=["text"], temperature=0.7)
        >>> s.to_event(api="beta")["session"]["modalities"]
        ['text']
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     ga = s.to_event(api="ga")
        >>> ga["session"]["output_modalities"], caught[0].category.__name__
        (['text'], 'FieldDroppedWarning')
        """
        if api not in ("beta", "ga"):
            raise ConfigError("api", api, "'beta' or 'ga'", owner="Session.to_event")
        if event_id is not None and not isinstance(event_id, str):
            raise ConfigError("event_id", event_id, "a string", owner="Session.to_event")
        body, dropped = self._beta_session() if api == "beta" else self._ga_session()
        for field, value in dropped:
            if strict:
                raise ConfigError(
                    field, value, f"unset for api={api!r}", owner="Session.to_event",
                    message=f"'{field}' (set to {_mask(repr(value))}) has no counterpart in the "
                    f"{api} Realtime API; unset it (session.unset({field!r})) or pass strict=False "
                    "to leave it out with a warning.",
                )  # fmt: skip
            warnings.warn(FieldDroppedWarning(field, value, api), stacklevel=2)
        event: dict[str, Any] = {"type": "session.update"}
        if event_id is not None:
            event["event_id"] = event_id
        event["session"] = body
        return event

    def _beta_session(self) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        body = self.to_dict()
        dropped: list[tuple[str, Any]] = []
        if "id" in body:
            dropped.append(("id", body.pop("id")))
        detection = body.get("turn_detection")
        if isinstance(detection, dict) and "idle_timeout_ms" in detection:
            value = detection.pop("idle_timeout_ms")
            if value is not None:  # None (no idle timeout) is what beta does anyway
                dropped.append(("turn_detection.idle_timeout_ms", value))
        if "model" in body and body["model"] not in BETA_MODELS:
            raise ConfigError(
                "model", body["model"], "one of " + ", ".join(map(repr, BETA_MODELS)),
                owner="Session.to_event(api='beta')",
                fix="Newer models are served by the GA API: use api='ga'.",
            )  # fmt: skip
        return body, dropped

    def _ga_session(self) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        is_set = self.model_fields_set
        body: dict[str, Any] = {"type": "realtime"}
        dropped: list[tuple[str, Any]] = []
        for name in ("id", "temperature"):
            if name in is_set:
                dropped.append((name, getattr(self, name)))
        for name in ("model", "instructions"):
            if name in is_set:
                body[name] = getattr(self, name)
        if "modalities" in is_set:
            body["output_modalities"] = ["audio"] if "audio" in self.modalities else ["text"]
        audio_in: dict[str, Any] = {}
        audio_out: dict[str, Any] = {}
        if "input_audio_format" in is_set:
            audio_in["format"] = dict(_GA_FORMATS[self.input_audio_format])
        for name, key in (
            ("input_audio_noise_reduction", "noise_reduction"),
            ("input_audio_transcription", "transcription"),
            ("turn_detection", "turn_detection"),
        ):
            if name in is_set:
                audio_in[key] = _plain(getattr(self, name))
        if "output_audio_format" in is_set:
            audio_out["format"] = dict(_GA_FORMATS[self.output_audio_format])
        for name in ("voice", "speed"):
            if name in is_set:
                audio_out[name] = getattr(self, name)
        if audio_in or audio_out:
            body["audio"] = {
                key: part for key, part in (("input", audio_in), ("output", audio_out)) if part
            }
        if "tracing" in is_set:
            body["tracing"] = _plain(self.tracing)
        if "tools" in is_set:
            body["tools"] = _plain(self.tools)
        if "tool_choice" in is_set:
            choice = self.tool_choice
            body["tool_choice"] = (
                choice if choice in _TOOL_MODES else {"type": "function", "name": choice}
            )
        if "max_response_output_tokens" in is_set:
            body["max_output_tokens"] = self.max_response_output_tokens
        return body, dropped

    # ----------------------------------------------------------------------------- parsing

    @classmethod
    def from_event(cls, payload: Any, *, strict: bool = False) -> Session:
        """Read a session from a ``session.update`` / ``session.created`` / ``session.updated``
        event of either API, or from a bare session dict (beta or GA shape).

        Parameters
        ----------
        payload : dict, str, bytes or pydantic model
            The event or session (JSON text is parsed; an ``openai`` model is dumped first).
            A client-secret response (``{"value", "expires_at", "session"}``) is read for its
            ``session``; the secret itself is never kept.
        strict : bool, default False
            ``False`` (for server JSON) ignores keys rtlab does not model (``object``,
            ``expires_at``, ``include``, GA-only parameters, ...) and ``null`` on keys that
            cannot be null. ``True`` (used by :meth:`load`) rejects both.

        Returns
        -------
        Session
            With exactly the fields present in ``payload`` set.

        Raises
        ------
        ConfigError
            Not a session; a value out of range; an unsupported shape (transcription
            sessions, MCP tools, custom voice objects).

        Examples
        --------
        >>> event = {"type": "session.updated", "event_id": "event_1", "session": {
        ...     "object": "realtime.session", "id": "sess_1", "input_audio_format": "g711_alaw",
        ...     "turn_detection": {"type": "server_vad", "threshold": 0.6}}}
        >>> Session.from_event(event).unset("id")
        Session(input_audio_format='g711_alaw', turn_detection=ServerVad(threshold=0.6))
        >>> Session.from_event({"type": "realtime", "output_modalities": ["text"]}).modalities
        ('text',)
        """
        if isinstance(payload, Session):
            return payload
        if isinstance(payload, BaseModel):
            payload = payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
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
        if kind in _SESSION_EVENTS:
            if strict:
                _check_keys("event", payload, ("type", "event_id", "session"))
            body = payload.get("session")
        elif kind is None and isinstance(payload.get("session"), Mapping):
            body = payload["session"]  # a client-secret / session-create response
        elif kind not in (None, "realtime", "transcription"):
            allowed = ", ".join(repr(name) for name in _SESSION_EVENTS)
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
        is_ga = body.get("type") == "realtime" or any(
            key in body for key in ("audio", "output_modalities", "max_output_tokens")
        )
        data = _read_ga(body, strict) if is_ga else _read_beta(body, strict)
        return cls(**data)

    # ------------------------------------------------------------------------------- files

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` atomically (UTF-8, trailing newline).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "session.json"
        >>> Session(turn_detection=ServerVad(silence_duration_ms=800)).save(path)
        >>> Session.load(path).turn_detection.silence_duration_ms
        800
        """
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_json())
            handle.write("\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Session:
        """Read a session written by :meth:`save` (or any event / session JSON, strictly).

        Raises
        ------
        ConfigError
            The file cannot be read, is not JSON, or holds an invalid or unknown field; the
            message starts with the file name.
        """
        where = Path(path)
        try:
            text = where.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise ConfigError(
                "path", str(where), "a readable JSON session file", owner="Session.load",
                message=f"Cannot read session file {where}: {reason}.",
            ) from exc  # fmt: skip
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "path", str(where), "a JSON session file", owner="Session.load",
                message=f"Session file {where} is not valid JSON: {exc.msg} "
                f"(line {exc.lineno}, column {exc.colno}).",
            ) from exc  # fmt: skip
        try:
            return cls.from_event(payload, strict=True)
        except ConfigError as exc:
            raise ConfigError(
                exc.field, exc.value, exc.allowed, owner=exc.owner, fix=exc.fix,
                message=f"Session file {where}: {exc}",
            ) from exc  # fmt: skip

    # ----------------------------------------------------------------------------- changes

    def replace(self, **changes: Any) -> Session:
        """A new, validated Session with some fields changed; dotted paths reach nested ones.

        Parameters
        ----------
        **changes
            ``field=value`` or ``**{"turn_detection.threshold": 0.7}``. Dotted paths work for
            ``turn_detection``, ``input_audio_transcription``, ``input_audio_noise_reduction``
            and ``tracing``. ``turn_detection.type`` switches the kind of turn detection
            (the new one starts from its defaults). Setting a parameter of a feature that is
            off (None) or unset-and-off turns it on with that parameter.

        Returns
        -------
        Session
            Fields set on ``self`` stay set; changed fields become set.

        Examples
        --------
        >>> s = Session(turn_detection=ServerVad(threshold=0.6))
        >>> s.replace(**{"turn_detection.silence_duration_ms": 900, "input_audio_format": "g711_ulaw"})
        Session(input_audio_format='g711_ulaw', turn_detection=ServerVad(threshold=0.6, silence_duration_ms=900))
        >>> s.replace(**{"turn_detection.type": "semantic_vad"}).turn_detection
        SemanticVad()
        >>> s.replace(**{"turn_detection.eagerness": "low"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rtlab.errors.ConfigError: The 'eagerness' parameter of ServerVad is unknown (got 'low'). 'eagerness' belongs to semantic_vad (SemanticVad): ...
        """  # noqa: E501
        data = {name: getattr(self, name) for name in self.model_fields_set}
        nested: dict[str, dict[str, Any]] = {}
        for path, value in changes.items():
            head, _, rest = path.partition(".")
            if head not in Session.model_fields:
                raise _unknown(
                    "Session", path, value, list(Session.model_fields), suggest=self._suggestions()
                )
            if not rest:
                data[head] = value
            elif head == "turn_detection" or head in _NESTED:
                if "." in rest:
                    raise ConfigError(path, value, "a path one level deep", owner="Session.replace")
                nested.setdefault(head, {})[rest] = value
            else:
                raise ConfigError(
                    path, value, "a dotted path into turn_detection, input_audio_transcription, "
                    "input_audio_noise_reduction or tracing", owner="Session.replace",
                )  # fmt: skip
        for head, sub in nested.items():
            current = data[head] if head in data else getattr(self, head)
            data[head] = _merge(head, current, sub)
        return Session(**data)

    def unset(self, *paths: str) -> Session:
        """A new Session with the given fields unset (not sent; read as the API default).

        Parameters
        ----------
        *paths : str
            Field names, or dotted names of nested parameters
            (``"turn_detection.idle_timeout_ms"``).

        Examples
        --------
        >>> Session(id="sess_1", voice="alloy").unset("id")
        Session(voice='alloy')
        """
        data = {name: getattr(self, name) for name in self.model_fields_set}
        for path in paths:
            if not isinstance(path, str):
                raise ConfigError(
                    "paths", path, "field names as str, e.g. 'id' or 'turn_detection.threshold'",
                    owner="Session.unset",
                )  # fmt: skip
            head, _, rest = path.partition(".")
            if head not in Session.model_fields:
                raise _unknown(
                    "Session", path, None, list(Session.model_fields), suggest=self._suggestions()
                )
            if not rest:
                data.pop(head, None)
                continue
            current = data.get(head)
            if isinstance(current, _Config):
                if rest not in type(current).model_fields:
                    raise _unknown(
                        type(current).__name__, rest, None, list(type(current).model_fields)
                    )
                kept = {k: getattr(current, k) for k in current.model_fields_set if k != rest}
                data[head] = type(current)(**kept)
        return Session(**data)

    # ------------------------------------------------------------------------------ display

    def __repr__(self) -> str:
        parts = [
            f"{name}={_mask(repr(getattr(self, name)))}"
            for name in type(self).model_fields
            if name in self.model_fields_set
        ]
        return f"Session({', '.join(parts)})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows: list[tuple[str, str]] = []
        for name in type(self).model_fields:
            if name in self.model_fields_set:
                rows.extend(_html_rows(name, getattr(self, name)))
        if rows:
            caption = (
                f"rtlab.Session: {len(self.model_fields_set)} field(s) set; "
                "every other field keeps the API default"
            )
        else:
            caption = "rtlab.Session: no field set (the server's defaults apply)"
        body = "".join(
            f"<tr><td style='text-align:left'><code>{html.escape(name)}</code></td>"
            f"<td style='text-align:left'>{html.escape(_mask(text))}</td></tr>"
            for name, text in rows
        )
        return (
            "<table class='rtlab-session'>"
            f"<caption style='text-align:left'>{html.escape(caption)}</caption>"
            "<thead><tr><th style='text-align:left'>field</th>"
            "<th style='text-align:left'>value</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )


def _html_value(value: Any) -> str:
    if value is None:
        return "None (off)"
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:199] + "…"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 200 else text[:199] + "…"
    return repr(value)


def _html_rows(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, _Config):
        return [(f"{name}.{key}", _html_value(item)) for key, item in value._payload().items()]
    if name == "tools":
        rows = []
        for index, tool in enumerate(value):
            rows += [(f"tools[{index}].{k}", _html_value(v)) for k, v in tool._payload().items()]
        return rows or [(name, "[] (no tools)")]
    if name == "modalities":
        return [(name, ", ".join(value))]
    return [(name, _html_value(value))]


def _merge(head: str, current: Any, changes: dict[str, Any]) -> _Config:
    """Apply dotted-path changes to one nested configuration."""
    changes = dict(changes)
    cls: type[_Config]
    if head == "turn_detection":
        if "type" in changes:
            kind = changes.pop("type")
            # a non-string type (e.g. a list) is a config error too, not an unhashable-key TypeError
            if not isinstance(kind, str) or kind not in _TURN_DETECTION_KINDS:
                raise ConfigError(
                    "turn_detection.type", kind, "'server_vad' or 'semantic_vad'",
                    owner="Session.replace",
                    fix="To turn turn detection off, use replace(turn_detection=None).",
                )  # fmt: skip
            cls = _TURN_DETECTION_KINDS[kind]
        else:
            cls = type(current) if isinstance(current, ServerVad | SemanticVad) else ServerVad
    else:
        cls = _NESTED[head]
    base = {}
    if isinstance(current, cls):
        base = {name: getattr(current, name) for name in current.model_fields_set}
    return cls(**{**base, **changes})


# ------------------------------------------------------------------------------------------
# reading the two shapes
# ------------------------------------------------------------------------------------------


def _check_keys(owner: str, mapping: Mapping[str, Any], known: tuple[str, ...] | list[str]) -> None:
    for key, value in mapping.items():
        if key not in known:
            raise _unknown(owner, key, value, list(known))


def _tolerant(cls: type[_Config], value: Any, strict: bool) -> Any:
    """Server JSON for a nested model: drop what rtlab does not model (unless strict)."""
    if strict or not isinstance(value, Mapping):
        return value
    return {
        key: item
        for key, item in value.items()
        if key in cls.model_fields and (item is not None or key in cls._NULLABLE)
    }


def _read_turn_detection(value: Any, strict: bool) -> Any:
    if isinstance(value, Mapping):
        kind = value.get("type")
        if isinstance(kind, str) and kind in _TURN_DETECTION_KINDS:
            return _tolerant(_TURN_DETECTION_KINDS[kind], value, strict)
    return value


def _read_tools(value: Any, strict: bool) -> Any:
    if not isinstance(value, list | tuple):
        return value
    out = []
    for item in value:
        if isinstance(item, Mapping) and item.get("type", "function") != "function":
            raise ConfigError(
                "tools", item.get("type"), "function tools ({'type': 'function', 'name': ...})",
                owner="Session", fix="rtlab models function tools only (no MCP tools).",
            )  # fmt: skip
        out.append(_tolerant(Tool, item, strict))
    return out


def _read_field(name: str, value: Any, strict: bool) -> Any:
    if name == "turn_detection":
        return _read_turn_detection(value, strict)
    if name == "tools":
        return _read_tools(value, strict)
    if name == "tracing" and isinstance(value, Mapping):
        return _tolerant(Tracing, value, strict)
    if name in _NESTED:
        return _tolerant(_NESTED[name], value, strict)
    return value


def _keep(name: str, value: Any, strict: bool) -> bool:
    """Tolerant reading ignores null on a field that cannot be null."""
    return strict or value is not None or name in Session._NULLABLE


def _read_beta(body: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key not in Session.model_fields:
            if strict:
                raise _unknown("Session", key, value, list(Session.model_fields), suggest=_ALIASES)
            continue
        if _keep(key, value, strict):
            data[key] = _read_field(key, value, strict)
    return data


_GA_TOP = (
    "type", "id", "model", "instructions", "output_modalities", "audio", "tracing", "tools",
    "tool_choice", "max_output_tokens",
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


def _read_ga(body: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    if strict:
        _check_keys("the GA session", body, _GA_TOP)
    data: dict[str, Any] = {}
    put = data.__setitem__

    def take(name: str, value: Any) -> None:
        if _keep(name, value, strict):
            put(name, _read_field(name, value, strict))

    for key in ("id", "model", "instructions", "tracing", "tools"):
        if key in body:
            take(key, body[key])
    if "output_modalities" in body:
        value = body["output_modalities"]
        if value is not None or strict:
            if value not in (["text"], ["audio"], ("text",), ("audio",)):
                raise ConfigError(
                    "output_modalities", value, "['audio'] or ['text']", owner="the GA session"
                )
            put("modalities", ("text",) if list(value) == ["text"] else ("text", "audio"))
    if "max_output_tokens" in body:
        take("max_response_output_tokens", body["max_output_tokens"])
    if "tool_choice" in body:
        choice = body["tool_choice"]
        if isinstance(choice, Mapping):
            if strict:
                _check_keys("tool_choice", choice, ("type", "name"))
            if choice.get("type") != "function" or not isinstance(choice.get("name"), str):
                raise ConfigError(
                    "tool_choice", choice.get("type"), "'auto', 'none', 'required' or "
                    "{'type': 'function', 'name': ...}", owner="the GA session",
                    fix="rtlab models function tools only (no MCP tools).",
                )  # fmt: skip
            choice = choice.get("name")
        take("tool_choice", choice)
    audio = body.get("audio")
    if audio is None:
        return data
    if not isinstance(audio, Mapping):
        raise ConfigError("audio", audio, "an object with 'input' and 'output'", owner="GA session")
    if strict:
        _check_keys("audio", audio, ("input", "output"))
    audio_in = audio.get("input") or {}
    audio_out = audio.get("output") or {}
    for where, part in (("audio.input", audio_in), ("audio.output", audio_out)):
        if not isinstance(part, Mapping):
            raise ConfigError(where, part, "an object", owner="the GA session")
    if strict:
        _check_keys(
            "audio.input",
            audio_in,
            ("format", "noise_reduction", "transcription", "turn_detection"),
        )
        _check_keys("audio.output", audio_out, ("format", "voice", "speed"))
    if audio_in.get("format") is not None or (strict and "format" in audio_in):
        put("input_audio_format", _format_from_ga("audio.input.format", audio_in["format"]))
    for key, name in (
        ("noise_reduction", "input_audio_noise_reduction"),
        ("transcription", "input_audio_transcription"),
        ("turn_detection", "turn_detection"),
    ):
        if key in audio_in:
            take(name, audio_in[key])
    if audio_out.get("format") is not None or (strict and "format" in audio_out):
        put("output_audio_format", _format_from_ga("audio.output.format", audio_out["format"]))
    if isinstance(audio_out.get("voice"), Mapping):
        raise ConfigError(
            "voice", audio_out["voice"], "a voice name", owner="the GA session",
            fix="Custom voice objects ({'id': ...}) are not modelled by rtlab.",
        )  # fmt: skip
    for key in ("voice", "speed"):
        if key in audio_out:
            take(key, audio_out[key])
    return data
