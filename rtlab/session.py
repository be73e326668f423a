"""The realtime session configuration: ``Session`` and its parts, as pydantic models.

A :class:`Session` holds every field of the Realtime API's session object (the beta
``RealtimeSession``): model, modalities, instructions, voice, audio formats, input audio
transcription, turn detection (:class:`ServerVad` or :class:`SemanticVad`, a union tagged by
``type``), input noise reduction, speed, tracing, tools, tool choice, temperature and the
output token limit. The models are frozen, strict (no bool as a number, no ``"0.5"`` as a
float) and forbid unknown names; every field states its description, unit, default, range
and the API that lacks it once, in its ``Field``, and the forms in :mod:`rtlab.widgets` are
built from that. A bad value raises :class:`rtlab.errors.ConfigError` naming the field, the
value and what is allowed (pydantic's ``ValidationError`` is its ``__cause__``).

Three states per field
----------------------
* **unset**: not passed. The field is *not* in ``session.model_fields_set``, it is left out
  of every payload (the server keeps its current value), and reading the attribute gives the
  API default, so ``Session().turn_detection == ServerVad()``.
* **None**: "off", sent as JSON ``null``. Only the fields the API lets you switch off accept
  it: ``turn_detection``, ``input_audio_transcription``, ``input_audio_noise_reduction``,
  ``tracing`` (and ``ServerVad.idle_timeout_ms``).
* **a value**: validated, then sent.

Nested objects are sent whole: a parameter whose default is a value is always sent (so
``turn_detection`` goes out as the complete configuration the emulator emulates), a
parameter whose default is None (``idle_timeout_ms``, the parameters of ``Transcription``,
``Tracing`` and ``Tool``) only when it was set. Payloads written by rtlab parse back to an
equal ``Session`` (``Session`` equality means "the same payload").

Beta and GA
-----------
:meth:`Session.to_dict` / :meth:`Session.to_json` / :meth:`Session.save` write the bare
beta-shaped session (rtlab's file format). :meth:`Session.to_event` writes the
``session.update`` event of either API, and :meth:`Session.from_event` reads either shape, a
bare session, or a ``session.created`` / ``session.updated`` server event; the mapping
between the two shapes is in :mod:`rtlab._wire`. A field that one API lacks is never dropped
silently: :class:`FieldDroppedWarning` names it (``strict=True`` raises instead).

Nothing read is dropped silently either: :meth:`Session.from_event` keeps the keys rtlab does
not model (newer API parameters, misspelled keys) in :attr:`Session.unmodelled`, warns with
:class:`rtlab.errors.UnmodelledFieldWarning` (``strict=True`` raises), and
:meth:`Session.to_event` sends them back unchanged in the shape they were read in. Which keys
of the installed ``openai`` package's session types rtlab models or passes through is
:func:`known_paths`; a test walks those types so that an ``openai`` upgrade shows any drift.

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

import difflib
import html
import json
import os
import types
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from rtlab import _wire
from rtlab._io import atomic_write
from rtlab._wire import BETA_MODELS as BETA_MODELS  # the beta model names, re-exported
from rtlab.errors import ConfigError, UnmodelledFieldWarning
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

#: Built-in voices (beta: the first eight; GA adds ``marin`` and ``cedar``). Any name is accepted.
VOICES: tuple[str, ...] = (
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
)  # fmt: skip


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

    def __init__(self, field: str, value: Any, api: str, reason: str | None = None) -> None:
        self.field = field
        self.value = value
        self.api = api
        other = "ga" if api == "beta" else "beta"
        if isinstance(value, dict | list):  # a kept object can hold a token: name its size only
            shown = f"<a {'JSON object' if isinstance(value, dict) else 'list'} of {len(value)}>"
        else:
            shown = _mask(repr(value))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
        why = reason or (
            f"has no counterpart in the {api} Realtime API and was left out of the "
            f"session.update event. Use api={other!r} to send it, unset it with "
            f"session.unset({field!r})"
        )
        super().__init__(
            f"'{field}' (set to {shown}) {why}, or pass strict=True to make this an error."
        )


# --------------------------------------------------------------------------------------------
# field metadata: written once per field, read by error messages, docstrings and widgets
# --------------------------------------------------------------------------------------------


def _field(
    default: Any = PydanticUndefined,
    description: str = "",
    *,
    unit: str | None = None,
    api: Literal["beta", "ga"] | None = None,
    off: str | None = None,
    allowed: str | None = None,
    bound: str | None = None,
    **constraints: Any,
) -> Any:
    """A pydantic ``Field`` with rtlab's metadata in ``json_schema_extra``.

    ``unit`` ("ms"), ``api`` (the only API that has the field), ``off`` (None is accepted
    and means this), ``allowed`` (what error messages say the field accepts, where its
    type and range cannot say it) and ``bound`` (why a bound is rtlab's own, where the API
    documents none).
    """
    extra = {"unit": unit, "api": api, "off": off, "allowed": allowed, "bound": bound}
    return Field(
        default,
        description=description,
        json_schema_extra={key: value for key, value in extra.items() if value is not None},
        **constraints,
    )


def meta(cls: type[BaseModel], name: str) -> dict[str, Any]:
    """rtlab's metadata of one field: ``unit``, ``api``, ``off``, ``allowed``, ``bound``."""
    extra = cls.model_fields[name].json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _constraints(annotation: Any, metadata: list[Any]) -> list[Any]:
    out = list(metadata)
    for arg in get_args(annotation):
        if isinstance(arg, FieldInfo):
            out += arg.metadata
        elif get_args(arg):
            out += _constraints(arg, [])
    return out


def limits(cls: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """The (low, high) bounds of a number field (None where unbounded).

    Examples
    --------
    >>> limits(ServerVad, "threshold"), limits(ServerVad, "silence_duration_ms")
    ((0.0, 1.0), (0, 600000))
    """
    info = cls.model_fields[name]
    low = high = None
    for item in _constraints(info.annotation, info.metadata):
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
    return low, high  # type: ignore[return-value]


def _describe(annotation: Any, metadata: list[Any], unit: str | None) -> str:
    """What a type with constraints accepts, in the words of an error message."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _describe(get_args(annotation)[0], _constraints(annotation, metadata), unit)
    if origin in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        glue = ", " if len(members) < len(get_args(annotation)) else " or "  # ", or None" follows
        return glue.join(_describe(arg, metadata, unit) for arg in members)
    if origin is Literal:
        options = [repr(option) for option in get_args(annotation)]
        return " or ".join(options) if len(options) <= 2 else "one of " + ", ".join(options)
    if annotation is bool:
        return "True or False"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"a {annotation.__name__} (or a dict of its parameters)"
    low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
    span = f" in [{low}, {high}]" if high is not None else f" >= {low}" if low is not None else ""
    if annotation is float:
        return f"a float{span}"
    if annotation is int:
        return ("an integer number of milliseconds" if unit == "ms" else "an integer") + span
    if annotation is str:
        nonempty = any(isinstance(m, annotated_types.MinLen) for m in metadata)
        return "a non-empty string" if nonempty else "a string"
    return "a valid value"


def allowed(cls: type[BaseModel], name: str) -> str:
    """What a field accepts, as error messages say it.

    Examples
    --------
    >>> allowed(ServerVad, "idle_timeout_ms")
    'an integer number of milliseconds in [5000, 30000], or None (no idle timeout)'
    """
    info = cls.model_fields.get(name)
    if info is None:
        return "a valid value"
    extra = meta(cls, name)
    if "allowed" in extra:
        return extra["allowed"]
    text = _describe(info.annotation, info.metadata, extra.get("unit"))
    return text + f", or None ({extra['off']})" if "off" in extra else text


def _parameters_section(cls: type[BaseModel]) -> str:
    """The numpydoc ``Parameters`` of a model, written from its fields."""
    lines = ["Parameters", "----------"]
    for name, info in cls.model_fields.items():
        head = f"{name} : {allowed(cls, name)}"
        if not info.is_required():
            head += f", default {info.default!r}"
        lines.append(head)
        text = info.description or ""
        if meta(cls, name).get("api"):
            text += f" Only the {meta(cls, name)['api']} API has it."
        if meta(cls, name).get("bound"):
            text += f" {meta(cls, name)['bound']}"
        lines.append(f"    {text.strip()}")
    return "\n    ".join(lines)


# --------------------------------------------------------------------------------------------
# the one translation of pydantic's ValidationError into ConfigError
# --------------------------------------------------------------------------------------------


def _step(value: Any, part: str | int) -> Any:
    if isinstance(value, Mapping) and part in value:
        return value[part]
    if isinstance(value, list | tuple) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    if isinstance(value, BaseModel) and isinstance(part, str) and part in type(value).model_fields:
        return getattr(value, part)
    return value  # a union label such as 'server_vad' or 'Tracing'


def _models(annotation: Any) -> list[type[_Config]]:
    if isinstance(annotation, type) and issubclass(annotation, _Config):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def _locate(cls: type[_Config], err: Any, given: Any) -> tuple[Any, ...]:
    """(owner model, field name, value given for it, depth) of an error's location.

    The last name of an ``extra_forbidden`` location is a name the model does not have.
    """
    loc, unknown = tuple(err["loc"]), err["type"] == "extra_forbidden"
    owner, field, value, depth = cls, None, given, 0
    candidates = [cls]
    current = given
    for index, part in enumerate(loc):
        current = _step(current, part)
        if not isinstance(part, str):
            continue  # an item of a tuple
        last = index == len(loc) - 1
        match = [m for m in candidates if part in m.model_fields]
        labelled = [m for m in candidates if part in (m.__name__, _tag(m))]
        if match:
            owner, field, value, depth = match[0], part, current, depth + 1
            candidates = _models(match[0].model_fields[part].annotation)
        elif labelled and not last:  # the member of a union that failed
            candidates = labelled
        elif last and unknown and len(candidates) == 1:
            owner, field, value, depth = candidates[0], part, current, depth + 1
    return owner, field, value, depth


def _tag(model: type[BaseModel]) -> Any:
    info = model.model_fields.get("type")
    return info.default if info is not None and not info.is_required() else None


def _config_error(cls: type[_Config], exc: ValidationError, given: Any) -> ConfigError:
    """The ConfigError for pydantic's error (``given``: what was validated)."""
    errors = exc.errors(include_url=False)
    for err in errors:  # a validator of ours already wrote the right error
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, ConfigError):
            return inner
    # an unknown name first (the shallowest), else the error that reaches deepest
    found = [(_locate(cls, err, given), err) for err in errors]
    unknowns = [item for item in found if item[1]["type"] == "extra_forbidden"]
    if unknowns:
        (owner, field, value, _), err = min(unknowns, key=lambda item: item[0][3])
    else:
        (owner, field, value, _), err = max(found, key=lambda item: item[0][3])
    kind, name = err["type"], owner.__name__
    if kind == "frozen_instance":
        return FrozenConfigError(
            field, err["input"], "unchanged", owner=name,
            message=f"{name} is frozen: '{field}' cannot be changed. Make a changed copy with "
            f"session.replace({field}=...) or session.unset({field!r}) instead.",
        )  # fmt: skip
    if field is None:
        return ConfigError(
            None, given, f"a mapping of {name}'s parameters", owner=name,
            message=f"{name} takes keyword parameters ({', '.join(owner.model_fields)}); "
            f"got {_mask(repr(given))[:80]}.",
        )  # fmt: skip
    if kind == "extra_forbidden":
        return _unknown(owner, field, value)
    if kind == "missing":
        return ConfigError(
            field, None, allowed(owner, field), owner=name,
            message=f"The '{field}' parameter of {name} is required: it must be "
            f"{allowed(owner, field)}.",
        )  # fmt: skip
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        members = _models(owner.model_fields[field].annotation)
        tags = " or ".join(repr(_tag(model)) for model in members)
        kind_given = value.get("type") if isinstance(value, Mapping) else None
        return ConfigError(
            "type", kind_given, tags, owner=field, fix=f"Every {field} object needs its type."
        )
    return ConfigError(field, value, allowed(owner, field), owner=name)


# Parameters that exist, but on the other kind of turn detection.
_OTHER_VAD = {
    "SemanticVad": (
        ("threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms"),
        "'{name}' belongs to server_vad (ServerVad): semantic_vad has no {name} and is tuned "
        "with 'eagerness' ('low', 'medium', 'high' or 'auto'). Use ServerVad(...) or "
        "turn_detection.type='server_vad' to set it.",
    ),
    "ServerVad": (
        ("eagerness",),
        "'eagerness' belongs to semantic_vad (SemanticVad): server_vad is tuned with "
        "'threshold', 'prefix_padding_ms' and 'silence_duration_ms'. Use SemanticVad(...) or "
        "turn_detection.type='semantic_vad' to set it.",
    ),
}


def _unknown(owner: type[BaseModel], name: str, value: Any) -> ConfigError:
    names, note = _OTHER_VAD.get(owner.__name__, ((), ""))
    return _wire.unknown(
        owner.__name__, name, value, list(owner.model_fields),
        suggest=_SUGGESTIONS if owner is Session else None,
        note=note.format(name=name) if name in names else "",
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# the common base: frozen, strict, unknown names forbidden, every error a ConfigError
# --------------------------------------------------------------------------------------------


def _python_scalar(value: Any) -> Any:
    """A numpy scalar (from a sweep grid) as the Python number or bool it holds."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return value.item()
    return value


def _whole(value: Any) -> Any:
    """An integral float (``700.0``) as the int it is; anything else for pydantic to judge."""
    value = _python_scalar(value)
    return int(value) if isinstance(value, float) and value.is_integer() else value


Flag = Annotated[bool, BeforeValidator(_python_scalar)]
Whole = Annotated[int, BeforeValidator(_whole)]
FunctionName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
JsonObject = dict[str, JsonValue]


#: rtlab's upper bound of ``prefix_padding_ms`` and ``silence_duration_ms`` (10 minutes).
MAX_MS = 600_000
_MS_BOUND = (
    "The API documents no maximum; rtlab's is 600000 ms (10 minutes), longer than any pause or "
    "padding a turn detector can mean, so that no value from JSON overflows the emulator."
)


#: The serialization context that writes payloads (see ``_Config.payload``).
PAYLOAD: dict[str, bool] = {"payload": True}


class _Config(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, allow_inf_nan=False, protected_namespaces=()
    )

    #: Session sends only the fields that were set; its parts send a field whose default is a
    #: value even when unset (the part goes out whole).
    _send_defaults: ClassVar[bool] = True

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.__doc__ and "\n    Examples\n" in cls.__doc__:
            head, _, tail = cls.__doc__.partition("\n    Examples\n")
            cls.__doc__ = f"{head}\n    {_parameters_section(cls)}\n\n    Examples\n{tail}"

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _config_error(type(self), exc, data) from exc

    # It only translates the error: nested models are still validated by pydantic itself
    # (with the caller's context and ``extra``), as for pydantic's own RootModel.__init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise _config_error(cls, exc, obj) from exc

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise _config_error(type(self), exc, self) from exc

    def __delattr__(self, name: str) -> None:
        try:
            super().__delattr__(name)
        except ValidationError as exc:
            raise _config_error(type(self), exc, self) from exc

    @model_validator(mode="before")
    @classmethod
    def _null_only_turns_off(cls, data: Any, info: ValidationInfo) -> Any:
        """None only where it means "off"; in server JSON (``tolerant``) other nulls are unset."""
        if not isinstance(data, Mapping):
            return data
        nulls = [k for k, v in data.items() if v is None and k in cls.model_fields]
        nulls = [name for name in nulls if "off" not in meta(cls, name)]
        if info.context and info.context.get("tolerant"):
            return {key: value for key, value in data.items() if key not in nulls}
        if not nulls or any(key not in cls.model_fields for key in data):
            return data  # an unknown name is the first thing to tell
        can_be_none = ", ".join(n for n in cls.model_fields if "off" in meta(cls, n)) or "none"
        raise ConfigError(
            nulls[0], None, allowed(cls, nulls[0]), owner=cls.__name__,
            fix=f"Leave it out to use the API default (of {cls.__name__}'s parameters only "
            f"{can_be_none} can be None).",
        )  # fmt: skip

    @model_serializer(mode="wrap")
    def _payload(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """With ``context=PAYLOAD``: what is sent (plain ``model_dump()`` gives every field)."""
        data = handler(self)
        if not (isinstance(info.context, dict) and info.context.get("payload")):
            return data
        fields, is_set, whole = type(self).model_fields, self.model_fields_set, self._send_defaults
        return {
            key: value
            for key, value in data.items()
            if key in is_set or (whole and fields[key].default is not None)
        }

    def payload(self) -> dict[str, Any]:
        """What this configuration sends, as fresh JSON-ready data (beta shape)."""
        return self.model_dump(mode="json", context=PAYLOAD)

    # equality means "the same payload" (an unset field differs from one set to its default)
    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self.payload() == other.payload()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, json.dumps(self.payload(), sort_keys=True)))

    def __repr_args__(self) -> Any:
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            is_set = name in self.model_fields_set
            if not self._send_defaults:  # Session shows what it sends
                if is_set:
                    yield name, value
            elif info.is_required() or value != info.default or (is_set and info.default is None):
                yield name, value

    def __repr__(self) -> str:
        return _mask(super().__repr__())

    __str__ = __repr__


# --------------------------------------------------------------------------------------------
# the parts
# --------------------------------------------------------------------------------------------


class ServerVad(_Config):
    """Server VAD turn detection: speech starts and stops on the voice activity level.

    ``speech_started.audio_start_ms`` is the onset minus ``prefix_padding_ms`` (never below
    0); ``idle_timeout_ms`` is sent only when set.

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

    type: Literal["server_vad"] = _field("server_vad", "The tag of this kind of turn detection.")
    threshold: float = _field(
        0.5,
        "Activation threshold of the VAD. Higher needs louder speech, which can help in noisy "
        "rooms.",
        ge=0.0,
        le=1.0,
    )
    prefix_padding_ms: Whole = _field(
        300,
        "Audio kept before the detected start of speech, ms.",
        unit="ms",
        bound=_MS_BOUND,
        ge=0,
        le=MAX_MS,
    )
    silence_duration_ms: Whole = _field(
        500,
        "Silence that ends the turn, ms. Shorter answers faster but cuts users off in their "
        "pauses.",
        unit="ms",
        bound=_MS_BOUND,
        ge=0,
        le=MAX_MS,
    )
    create_response: Flag = _field(True, "Whether the server answers when speech stops.")
    interrupt_response: Flag = _field(
        True, "Whether speech that starts cancels a response in progress."
    )
    idle_timeout_ms: Whole | None = _field(
        None,
        "After this many ms without speech (counted from the end of the last response's "
        "playback) the server emits input_audio_buffer.timeout_triggered and answers.",
        unit="ms",
        api="ga",
        off="no idle timeout",
        ge=5000,
        le=30000,
    )


class SemanticVad(_Config):
    """Semantic VAD turn detection: a turn-end model decides when the user has finished.

    Examples
    --------
    >>> SemanticVad(eagerness="low")
    SemanticVad(eagerness='low')
    >>> SemanticVad(threshold=0.5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'threshold' parameter of SemanticVad is unknown (got 0.5). 'threshold' belongs to server_vad (ServerVad): ...
    """  # noqa: E501

    type: Literal["semantic_vad"] = _field(
        "semantic_vad", "The tag of this kind of turn detection."
    )
    eagerness: Literal["low", "medium", "high", "auto"] = _field(
        "auto",
        "How soon the model answers: low waits longest; the maximum waits are 8 s, 4 s and "
        "2 s for low, medium and high; auto is medium.",
    )
    create_response: Flag = _field(True, "Whether the server answers when speech stops.")
    interrupt_response: Flag = _field(
        True, "Whether speech that starts cancels a response in progress."
    )


TurnDetection = Annotated[Union[ServerVad, SemanticVad], Field(discriminator="type")]  # noqa: UP007


class Transcription(_Config):
    """Transcription of the input audio (asynchronous, through the transcription models).

    Only the parameters you set are sent.

    Examples
    --------
    >>> Transcription(model="whisper-1", language="en")
    Transcription(model='whisper-1', language='en')
    """

    model: str | None = _field(
        None,
        "Transcription model, e.g. 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe' or 'whisper-1'.",
        allowed="a transcription model name such as 'gpt-4o-transcribe' or 'whisper-1'",
        examples=["gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-1"],
        min_length=1,
    )
    language: str | None = _field(
        None,
        "Language of the input audio (ISO-639-1, e.g. 'en').",
        allowed="an ISO-639-1 language code (two lowercase letters) such as 'en'",
        examples=["en"],
        pattern=r"^[a-z]{2}$",
    )
    prompt: str | None = _field(
        None, "Text that guides the transcription (keywords for whisper-1, free text otherwise)."
    )


class NoiseReduction(_Config):
    """Noise reduction of the input audio, applied before VAD and the model.

    Examples
    --------
    >>> NoiseReduction(type="far_field")
    NoiseReduction(type='far_field')
    """

    type: Literal["near_field", "far_field"] = _field(
        description="near_field for close-talking microphones (headsets), far_field for laptop "
        "or conference-room microphones."
    )


class Tracing(_Config):
    """Tracing configuration (the traces dashboard). ``"auto"`` on a Session uses defaults.

    Only the parameters you set are sent. Once tracing is on, the API does not let it change.

    Examples
    --------
    >>> Tracing(workflow_name="support-bot")
    Tracing(workflow_name='support-bot')
    """

    workflow_name: str | None = _field(None, "Name of the trace's workflow.", min_length=1)
    group_id: str | None = _field(None, "Group id for filtering and grouping traces.", min_length=1)
    metadata: JsonObject | None = _field(
        None,
        "Arbitrary JSON metadata attached to the trace.",
        allowed="a JSON object (a dict with string keys and JSON values)",
        examples=[{"team": "voice"}],
    )

    @field_validator("metadata", mode="before")
    @classmethod
    def _not_too_deep(cls, value: Any) -> Any:
        _wire.check_depth(value, "metadata", owner=cls.__name__)  # before pydantic recurses
        return value


class Tool(_Config):
    """A function the model may call (only function tools are modelled).

    Examples
    --------
    >>> Tool(name="get_weather", parameters={"type": "object", "properties": {}})
    Tool(name='get_weather', parameters={'type': 'object', 'properties': {}})
    """

    type: Literal["function"] = _field("function", "The tool kind.")
    name: FunctionName = _field(
        description="Function name.",
        allowed="a function name of 1 to 64 letters, digits, '_' or '-'",
    )
    description: str | None = _field(
        None, "When and how to call it (and what to tell the user meanwhile)."
    )
    parameters: JsonObject | None = _field(
        None, "JSON Schema of the function's arguments.", allowed="a JSON Schema object (a dict)"
    )

    @field_validator("parameters", mode="before")
    @classmethod
    def _not_too_deep(cls, value: Any) -> Any:
        _wire.check_depth(value, "parameters", owner=cls.__name__)  # before pydantic recurses
        return value


# --------------------------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------------------------

_NESTED: dict[str, type[_Config]] = {
    "input_audio_transcription": Transcription,
    "input_audio_noise_reduction": NoiseReduction,
    "tracing": Tracing,
}
_TURN_DETECTION_KINDS: dict[str, type[_Config]] = {_tag(m): m for m in _models(TurnDetection)}
_FORMAT = Literal["pcm16", "g711_ulaw", "g711_alaw"]
_FORMATS_TEXT = "pcm16 is 16-bit little-endian mono PCM at 24 kHz; G.711 is 8 kHz."


class Session(_Config):
    """A Realtime API session configuration (every field of the beta ``RealtimeSession``).

    Every parameter is optional. A parameter you leave out is *unset*: it is not sent, and
    reading it gives the API default. ``None`` (only where noted) turns the feature off and is
    sent as ``null``. Values are checked against the API's documented ranges; a bad value
    raises :class:`rtlab.errors.ConfigError` naming the field, the value and what is allowed.
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

    _send_defaults: ClassVar[bool] = False
    # what from_event kept and does not model: (path in the payload's shape, JSON text), sorted
    _unmodelled: tuple[tuple[tuple[str | int, ...], str], ...] = PrivateAttr(default=())
    _unmodelled_api: str | None = PrivateAttr(default=None)

    id: str | None = _field(
        None,
        "Server-assigned session id, read from server events; never sent.",
        allowed="a session id string such as 'sess_1234567890abcdef'",
        min_length=1,
    )
    model: str | None = _field(
        None,
        "Realtime model name, e.g. 'gpt-realtime'. The beta API accepts only BETA_MODELS.",
        allowed="a realtime model name such as 'gpt-realtime'",
        examples=list(BETA_MODELS),
        min_length=1,
    )
    modalities: tuple[Literal["text", "audio"], ...] = _field(
        ("text", "audio"),
        "What the model answers with; ['text'] turns audio off.",
        allowed="['text'] or ['text', 'audio']",
    )
    instructions: str | None = _field(
        None, "System instructions; '' clears them. Default: the server's own."
    )
    voice: str | None = _field(
        None,
        "Output voice, e.g. one of VOICES. Default: the server's choice.",
        allowed="a voice name such as 'alloy', 'marin' or 'cedar'",
        examples=list(VOICES),
        min_length=1,
    )
    input_audio_format: _FORMAT = _field("pcm16", f"Format of the input audio: {_FORMATS_TEXT}")
    output_audio_format: _FORMAT = _field("pcm16", f"Format of the output audio: {_FORMATS_TEXT}")
    input_audio_transcription: Transcription | None = _field(
        None, "Transcription of the user's audio.", off="off"
    )
    turn_detection: TurnDetection | None = _field(
        ServerVad(),
        "Turn detection; None turns it off (the client commits the audio buffer).",
        off="off",
        allowed="ServerVad(...), SemanticVad(...), a dict with a 'type', or None (off)",
    )
    input_audio_noise_reduction: NoiseReduction | None = _field(
        None, "Noise reduction applied before VAD and the model.", off="off"
    )
    speed: float = _field(
        1.0, "Speed of the spoken answer (a multiple of normal speed).", ge=0.25, le=1.5
    )
    tracing: Literal["auto"] | Tracing | None = _field(
        None, "Tracing to the traces dashboard ('auto': default settings).", off="off"
    )
    tools: tuple[Tool, ...] = _field(
        (),
        "Functions the model may call.",
        allowed="a list of Tool (or dicts of their parameters)",
        strict=False,  # a list is welcome
    )
    tool_choice: FunctionName = _field(
        "auto",
        "'auto', 'none', 'required' or the name of one of the tools.",
        allowed="'auto', 'none', 'required', or the name of a function tool",
        examples=list(_wire.TOOL_MODES),
    )
    temperature: float = _field(
        0.8, "Sampling temperature (0.8 is recommended for audio).", api="beta", ge=0.6, le=1.2
    )
    max_response_output_tokens: Annotated[Whole, Field(ge=1, le=4096)] | Literal["inf"] = _field(
        "inf", "Output token limit per response, tool calls included.", union_mode="left_to_right"
    )

    @field_validator("modalities", mode="before")
    @classmethod
    def _text_or_text_and_audio(cls, value: Any) -> Any:
        texts = isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
        if texts and sorted(value) in (["text"], ["audio", "text"]):
            return ("text", "audio") if "audio" in value else ("text",)
        raise ValueError("['text'] or ['text', 'audio']")

    @model_validator(mode="after")
    def _tools_agree(self) -> Session:
        names = [tool.name for tool in self.tools]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(
                    "tools", name, "tools with distinct names", owner="Session",
                    fix=f"More than one tool is named {name!r}.",
                )  # fmt: skip
        modes = _wire.TOOL_MODES
        if self.tool_choice not in modes and names and self.tool_choice not in names:
            listed = ", ".join(repr(name) for name in (*modes, *names))
            raise ConfigError("tool_choice", self.tool_choice, f"one of {listed}", owner="Session")
        return self

    # ---------------------------------------------------------------------------- payloads

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
        return self.payload()

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
        api: Literal["beta", "ga"] = "ga",
        *,
        strict: bool = False,
        event_id: str | None = None,
    ) -> dict[str, Any]:
        """The ``session.update`` client event that sends this configuration.

        Parameters
        ----------
        api : {"ga", "beta"}, default "ga"
            Which Realtime API's shape to write: GA (the current interface) or beta (the
            mapping is in :mod:`rtlab._wire`).
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
        body, lost = (_wire.to_beta if api == "beta" else _wire.to_ga)(self.to_dict())
        dropped: list[tuple[str, Any, str | None]] = [(field, value, None) for field, value in lost]
        source = self._unmodelled_api
        for path, text in self._unmodelled:
            value = json.loads(text)
            if source == api and _wire.put(body, path, value):
                continue
            name = _wire.dotted(path)
            if source != api:
                why = (
                    f"was read from a {source} session and has no {api} counterpart that rtlab "
                    f"knows, so it was left out of the session.update event. Use api={source!r} "
                    "to send it"
                )
            else:
                why = (
                    "belongs to an object this session does not send (off or unset), so it was "
                    "left out of the session.update event. Set that object to send it"
                )
            dropped.append((name, value, why))
        for field, value, given in dropped:
            if strict:
                reason = given or (
                    f"has no counterpart in the {api} Realtime API; unset it "
                    f"(session.unset({field!r}))"
                )
                raise ConfigError(
                    field, value, f"unset for api={api!r}", owner="Session.to_event",
                    message=f"'{field}' {reason} or pass "
                    "strict=False to leave it out with a warning.",
                )  # fmt: skip
            warnings.warn(FieldDroppedWarning(field, value, api, given), stacklevel=2)
        event: dict[str, Any] = {"type": "session.update"}
        if event_id is not None:
            event["event_id"] = event_id
        event["session"] = body
        return event

    # ----------------------------------------------------------------------------- parsing

    @classmethod
    def from_event(cls, payload: Any, *, strict: bool = False, warn: bool = True) -> Session:
        """Read a session from a ``session.update`` / ``session.created`` / ``session.updated``
        event of either API, or from a bare session dict (beta or GA shape).

        Parameters
        ----------
        payload : dict, str, bytes or pydantic model
            The event or session (JSON text is parsed; an ``openai`` model is dumped first).
            A client-secret response (``{"value", "expires_at", "session"}``) is read for its
            ``session``; the secret itself is never kept.
        strict : bool, default False
            ``False`` (for server JSON) keeps the keys rtlab does not model (GA ``include``,
            ``prompt``, ``truncation``, transcription ``languages`` / ``keywords`` /
            ``delay``, MCP tools, custom voices, unknown or misspelled keys of either shape)
            in :attr:`unmodelled`, and :meth:`to_event` sends them back unchanged in that
            shape; it reads ``null`` on keys that cannot be null as absent, and never keeps
            what describes the server's object (``object``, ``expires_at``,
            ``client_secret``). ``True`` (used by :meth:`load`) rejects all of these, in a
            ConfigError naming every key rtlab does not model.
        warn : bool, default True
            Warn (:class:`rtlab.errors.UnmodelledFieldWarning`) when keys were kept. Code
            that reports them itself (the local server) passes ``False`` and reads
            :attr:`unmodelled`.

        Returns
        -------
        Session
            With exactly the fields present in ``payload`` set, plus what was kept.

        Raises
        ------
        ConfigError
            Not a session; a value out of range, NaN or infinite; JSON nested deeper than
            100 levels in a value; a transcription session; with ``strict=True``, any key
            rtlab does not model.

        Warns
        -----
        UnmodelledFieldWarning
            Keys were kept that rtlab does not model (naming them, with "did you mean" for
            keys that no API shape rtlab knows has).

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
        found = _wire.read(payload, known=_KNOWN)
        if strict:
            if found.unmodelled:
                raise _unmodelled_error(cls, payload, found)
            return cls.model_validate(_wire.read(payload, strict=True).fields)
        session = cls.model_validate(found.fields, context={"tolerant": True})
        if not found.unmodelled:
            return session
        session = session._keeping(found.api, found.unmodelled)
        if warn:
            warnings.warn(_unmodelled_warning(found), stacklevel=2)
        return session

    def _keeping(self, api: str, entries: Mapping[tuple[str | int, ...], Any]) -> Session:
        """A copy of this session that also sends ``entries`` in the ``api`` shape."""
        kept = []
        for path, value in entries.items():
            try:
                text = json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)
            except ValueError as exc:  # NaN or an infinity
                raise ConfigError(
                    _wire.dotted(path), value, "finite JSON numbers", owner="Session.from_event"
                ) from exc
            kept.append((path, text))
        copy = self.model_copy()
        copy._unmodelled = tuple(sorted(kept, key=lambda item: _wire.dotted(item[0])))
        copy._unmodelled_api = api if kept else None
        return copy

    def _carry(self, new: Session, replaced: set[str]) -> Session:
        """``new`` keeping this session's unmodelled fields, except under ``replaced`` fields."""
        api = self._unmodelled_api
        if api is None:
            return new
        kept = {
            path: json.loads(text)
            for path, text in self._unmodelled
            if _wire.owner_field(api, path) not in replaced
        }
        return new._keeping(api, kept)

    @property
    def unmodelled(self) -> dict[str, Any]:
        """Fields :meth:`from_event` read and kept but rtlab does not model.

        Dotted paths in the shape of :attr:`unmodelled_api` (``"include"``,
        ``"audio.input.transcription.languages"``, ``"tools"`` for the non-function tools)
        -> a fresh copy of each value. :meth:`to_event` sends them back unchanged in that
        shape; :meth:`replace` / :meth:`unset` of the field they belong to drop them.

        Examples
        --------
        >>> import warnings
        >>> ga = {"type": "realtime", "audio": {"input": {"transcription": {
        ...     "model": "gpt-4o-transcribe", "languages": ["en", "de"]}}}}
        >>> with warnings.catch_warnings(record=True):
        ...     warnings.simplefilter("always")
        ...     s = Session.from_event(ga)
        >>> s.unmodelled, s.unmodelled_api
        ({'audio.input.transcription.languages': ['en', 'de']}, 'ga')
        >>> s.to_event(api="ga")["session"]["audio"]["input"]["transcription"]
        {'model': 'gpt-4o-transcribe', 'languages': ['en', 'de']}
        """
        return {_wire.dotted(path): json.loads(text) for path, text in self._unmodelled}

    @property
    def unmodelled_api(self) -> str | None:
        """The API shape (``"beta"`` or ``"ga"``) of :attr:`unmodelled`; None when empty."""
        return self._unmodelled_api

    def __eq__(self, other: object) -> bool:
        same = super().__eq__(other)
        if same is not True:
            return same
        assert isinstance(other, Session)
        return (self._unmodelled, self._unmodelled_api) == (
            other._unmodelled,
            other._unmodelled_api,
        )

    def __hash__(self) -> int:
        return hash((super().__hash__(), self._unmodelled, self._unmodelled_api))

    def __repr__(self) -> str:
        text = super().__repr__()
        if self._unmodelled:
            names = ", ".join(_wire.dotted(path) for path, _ in self._unmodelled)
            text += f"  # and {self._unmodelled_api} fields rtlab does not model: {names}"
        return _mask(text)

    __str__ = __repr__

    # ------------------------------------------------------------------------------- files

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_json` to ``path`` atomically (UTF-8, trailing newline).

        The file holds the fields rtlab models; each kept field of :attr:`unmodelled` is
        left out with a :class:`FieldDroppedWarning` (send those with :meth:`to_event`).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "session.json"
        >>> Session(turn_detection=ServerVad(silence_duration_ms=800)).save(path)
        >>> Session.load(path).turn_detection.silence_duration_ms
        800
        """
        for name, value in self.unmodelled.items():
            why = (
                "is not written by save (rtlab's session files hold the fields rtlab models); "
                "send it with to_event"
            )
            warnings.warn(
                FieldDroppedWarning(name, value, self._unmodelled_api or "beta", why), stacklevel=2
            )
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
            payload = _wire.parse_json(text, owner="Session.load")
        except ConfigError as exc:
            cause = exc.__cause__
            detail = (
                f"{cause.msg} (line {cause.lineno}, column {cause.colno})"
                if isinstance(cause, json.JSONDecodeError)
                else f"it must be {exc.allowed}"
            )
            raise ConfigError(
                "path", str(where), "a JSON session file", owner="Session.load",
                message=f"Session file {where} is not valid JSON: {detail}.",
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
                raise _wire.unknown(
                    "Session", path, value, list(Session.model_fields), suggest=_SUGGESTIONS
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
        replaced = {path.partition(".")[0] for path in changes if "." not in path}
        if "turn_detection.type" in changes:
            replaced.add("turn_detection")
        return self._carry(Session(**data), replaced)

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
                raise _wire.unknown(
                    "Session", path, None, list(Session.model_fields), suggest=_SUGGESTIONS
                )
            if not rest:
                data.pop(head, None)
                continue
            current = data.get(head)
            if isinstance(current, _Config):
                if rest not in type(current).model_fields:
                    raise _unknown(type(current), rest, None)
                kept = {k: getattr(current, k) for k in current.model_fields_set if k != rest}
                data[head] = type(current)(**kept)
        return self._carry(Session(**data), {path for path in paths if "." not in path})

    # ------------------------------------------------------------------------------ display

    def _repr_html_(self) -> str:
        rows: list[tuple[str, str]] = []
        for name in type(self).model_fields:
            if name in self.model_fields_set:
                rows.extend(_html_rows(name, getattr(self, name)))
        for name, value in self.unmodelled.items():  # objects named, not shown (tokens)
            shown = (
                f"{type(value).__name__} of {len(value)}, sent back unchanged"
                if isinstance(value, dict | list)
                else f"{_html_value(value)} (sent back unchanged)"
            )
            rows.append((f"{name} ({self._unmodelled_api}, not modelled)", shown))
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


# The keys rtlab models, for _wire.read to keep the others apart.
_KNOWN: dict[str, tuple[str, ...]] = {
    "session": tuple(Session.model_fields),
    **{tag: tuple(model.model_fields) for tag, model in _TURN_DETECTION_KINDS.items()},
    **{name: tuple(model.model_fields) for name, model in _NESTED.items()},
    "tools": tuple(Tool.model_fields),
}


def _unmodelled_text(found: _wire.Read) -> tuple[tuple[str, ...], str]:
    """The names of what was kept apart, and a sentence on each kind (passed through / unknown)."""
    names = tuple(_wire.dotted(path) for path in found.unmodelled)
    passed = _wire.PASSED[found.api]
    known = [
        _wire.dotted(p) for p, v in found.unmodelled.items() if _wire.passed_key(p, v) in passed
    ]
    unknown = [name for name in names if name not in known]
    label = "GA" if found.api == "ga" else "beta"
    parts = []
    if known:
        parts.append(
            f"parameters of the {label} API that rtlab passes through without modelling "
            f"(the emulator ignores them): {', '.join(map(repr, known))}"
        )
    if unknown:
        hints = []
        vocabulary = {name for names in _KNOWN.values() for name in names} | set(_wire.GA_KEYS)
        for name in unknown:
            last = name.rpartition(".")[2]
            match = difflib.get_close_matches(last, sorted(vocabulary), n=1, cutoff=0.6)
            hints.append(f"{name!r}" + (f" (did you mean {match[0]!r}?)" if match else ""))
        parts.append(
            f"keys rtlab does not know as {label} parameters (a typo, or newer than rtlab): "
            + ", ".join(hints)
        )
    return names, "; ".join(parts)


def _unmodelled_warning(found: _wire.Read) -> UnmodelledFieldWarning:
    names, text = _unmodelled_text(found)
    return UnmodelledFieldWarning(
        names, found.api,
        f"Session.from_event kept {len(names)} field(s) it does not model, {text}. "
        f"to_event(api={found.api!r}) sends them back unchanged (Session.unmodelled lists "
        "them); pass strict=True to make this an error.",
    )  # fmt: skip


def _unmodelled_error(cls: type[Session], payload: Any, found: _wire.Read) -> ConfigError:
    names, text = _unmodelled_text(found)
    first: ConfigError | None = None
    try:  # the first one, with its own message ("did you mean ...")
        cls.model_validate(_wire.read(payload, strict=True).fields)
    except ConfigError as exc:
        first = exc
    head = f"{first} " if first is not None else ""
    error = ConfigError(
        first.field if first is not None else names[0],
        first.value if first is not None else found.unmodelled[next(iter(found.unmodelled))],
        "only the parameters rtlab models (strict=True)", owner="Session.from_event",
        message=f"{head}The session holds {len(names)} field(s) rtlab does not model, {text}. "
        "Pass strict=False to keep them (with a warning) and send them back unchanged.",
    )  # fmt: skip
    error.__cause__ = first
    return error


def known_paths(api: Literal["beta", "ga"]) -> dict[str, str]:
    """Every session key rtlab knows in one API's shape: path -> how rtlab treats it.

    ``"modelled"`` (a field of :class:`Session` or of its parts), ``"passed through"``
    (:data:`rtlab._wire.PASSED`: kept and sent back unchanged, with everything under it) or
    ``"read only"`` (describes the server's object; never kept). Paths are dotted; ``[]`` is
    a list item and ``@tag`` the member of a union tagged by ``type``. The drift test walks
    the ``openai`` package's session types and fails on any key not covered here.

    Examples
    --------
    >>> known_paths("ga")["audio.input.turn_detection@server_vad.silence_duration_ms"]
    'modelled'
    >>> known_paths("ga")["audio.input.transcription.languages"]
    'passed through'
    >>> known_paths("beta")["turn_detection.eagerness"]
    'modelled'
    """
    if api not in ("beta", "ga"):
        raise ConfigError("api", api, "'beta' or 'ga'", owner="known_paths")
    out: dict[str, str] = {}

    def add(base: str, model: type[BaseModel]) -> None:
        out[base] = "modelled"
        out.update({f"{base}.{name}": "modelled" for name in model.model_fields})

    if api == "beta":
        out.update({name: "modelled" for name in Session.model_fields})
        for model in _TURN_DETECTION_KINDS.values():
            add("turn_detection", model)
        for name, model in _NESTED.items():
            add(name, model)
        add("tools[]", Tool)
    else:
        top = ("type", "id", "model", "instructions", "output_modalities", "max_output_tokens")
        out.update({name: "modelled" for name in top})
        for side in ("input", "output"):
            out[f"audio.{side}.format"] = "modelled"
            for spec in _wire.GA_FORMATS.values():
                out.update(
                    {f"audio.{side}.format@{spec['type']}.{key}": "modelled" for key in spec}
                )
        for tag, model in _TURN_DETECTION_KINDS.items():
            add(f"audio.input.turn_detection@{tag}", model)
        for name, model in _NESTED.items():
            add(".".join(_wire.NESTED_PATHS[name]["ga"]), model)
        out.update({f"audio.output.{key}": "modelled" for key in _wire.GA_OUTPUT.values()})
        add("tools[]@function", Tool)
        out.update({"tool_choice": "modelled", "tool_choice@function.type": "modelled"})
        out["tool_choice@function.name"] = "modelled"
    out.update(dict.fromkeys(_wire.PASSED[api], "passed through"))
    out.update(dict.fromkeys(_wire.READ_ONLY, "read only"))
    return out


# GA and shorthand names users reach for, mapped to the Session field (for "did you mean"),
# and the nested parameters a user may pass to Session by mistake.
_SUGGESTIONS = {
    "output_modalities": "modalities",
    "max_output_tokens": "max_response_output_tokens",
    "max_tokens": "max_response_output_tokens",
    "noise_reduction": "input_audio_noise_reduction",
    "transcription": "input_audio_transcription",
    "format": "input_audio_format",
    "vad": "turn_detection",
    **{name: f"turn_detection.{name}" for name in ServerVad.model_fields if name != "type"},
    "eagerness": "turn_detection.eagerness",
    **{
        name: f"{head}.{name}"
        for head, part in reversed(_NESTED.items())
        for name in part.model_fields
        if name not in ("type", "model")
    },
}


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
        return [(f"{name}.{key}", _html_value(item)) for key, item in value.payload().items()]
    if name == "tools":
        rows = []
        for index, tool in enumerate(value):
            rows += [(f"tools[{index}].{k}", _html_value(v)) for k, v in tool.payload().items()]
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
