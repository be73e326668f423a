"""Checking client events against the ``openai`` package's own parameter types.

The local server answers a ``session.update`` with a field the API does not know the way
the API does: an ``invalid_request_error`` naming the parameter
(``Unknown parameter: 'session.turn_detection.silence_duration'.``), instead of dropping
it. The known fields, their JSON types and their closed sets of values are read from the
installed ``openai`` package's ``TypedDict`` parameter types (GA
``openai.types.realtime``, beta ``openai.types.beta.realtime``), so an ``openai`` upgrade
moves the server with it; rtlab keeps no copy of the API's shapes here.

A :class:`Schemas` is built once per server (reading the types imports ``openai``, about
a second) and is then read-only.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

import typing_extensions

from rtlab.realtime._protocol import RequestError, json_kind

__all__ = ["Schemas", "check", "session_shape"]

#: Integers must fit in 32 bits signed (every integer parameter of the session is far smaller).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1

# -- the tree of a parameter type ---------------------------------------------------------


@dataclass(frozen=True)
class Obj:
    """A JSON object with these known keys (a ``TypedDict``)."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class Seq:
    """A JSON array of ``item``."""

    item: Any


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (a ``Union``)."""

    options: tuple[Any, ...]


@dataclass(frozen=True)
class Lit:
    """One of a closed set of values (a ``Literal``)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Scalar:
    """A JSON string, integer, number or boolean (``str``, ``int``, ``float``, ``bool``)."""

    kind: type


ANY = "any"  # free-form JSON (``object``, ``Dict[str, object]``): not looked into
NULL = "null"


def _tree(annotation: Any, seen: dict[Any, Any]) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated or str(origin).endswith(("Required", "NotRequired")):
        return _tree(args[0], seen)
    if annotation is type(None) or annotation is None:
        return NULL
    if origin in (typing.Union, types.UnionType):
        return Choice(tuple(_tree(arg, seen) for arg in args))
    if origin is typing.Literal:
        return Lit(tuple(args))
    if annotation in (str, int, float, bool):
        return Scalar(annotation)
    if typing_extensions.is_typeddict(annotation):
        if annotation not in seen:
            node = Obj({})
            seen[annotation] = node
            hints = typing_extensions.get_type_hints(annotation, include_extras=True)
            node.fields.update({key: _tree(hint, seen) for key, hint in hints.items()})
        return seen[annotation]
    if origin is not None and args and str(origin) not in ("<class 'dict'>",):
        name = getattr(origin, "__name__", "")
        if name in ("list", "Iterable", "Sequence", "tuple", "SequenceNotStr"):
            return Seq(_tree(args[0], seen))
    return ANY


@dataclass(frozen=True)
class Schemas:
    """The known client-event shapes of both APIs, read from the ``openai`` package.

    Attributes
    ----------
    session : dict
        ``{"ga": tree, "beta": tree}``: the ``session`` object of ``session.update``.
    event_keys : dict
        Top-level keys of each supported client event, per API.
    """

    session: dict[str, Any]
    event_keys: dict[str, dict[str, frozenset[str]]]

    @classmethod
    def from_openai(cls) -> Schemas:
        """Read the installed ``openai`` package's parameter types."""
        from openai.types import realtime as ga
        from openai.types.beta import realtime as beta

        events = {
            "session.update": "SessionUpdateEventParam",
            "input_audio_buffer.append": "InputAudioBufferAppendEventParam",
            "input_audio_buffer.commit": "InputAudioBufferCommitEventParam",
            "input_audio_buffer.clear": "InputAudioBufferClearEventParam",
        }
        session: dict[str, Any] = {}
        keys: dict[str, dict[str, frozenset[str]]] = {}
        for api, module in (("ga", ga), ("beta", beta)):
            seen: dict[Any, Any] = {}
            keys[api] = {}
            for kind, name in events.items():
                param = getattr(module, name)
                hints = typing_extensions.get_type_hints(param, include_extras=True)
                keys[api][kind] = frozenset(hints)
                if kind == "session.update":
                    session[api] = _tree(hints["session"], seen)
        return cls(session=session, event_keys=keys)

    def top_keys(self, api: str) -> frozenset[str]:
        """The keys a ``session`` object of ``api`` may hold."""
        return frozenset(k for node in _objects(self.session[api]) for k in node.fields)


def _objects(node: Any) -> list[Obj]:
    if isinstance(node, Obj):
        return [node]
    if isinstance(node, Choice):
        return [o for option in node.options for o in _objects(option)]
    return []


def session_shape(body: dict[str, Any], api: str, schemas: Schemas) -> str:
    """Which API shape a ``session`` object is written in.

    A body with keys only one shape has is read in that shape (so a beta-shaped session
    sent on a GA connection still works, as ``Session.from_event`` reads both); a body
    mixing both shapes, or with keys common to both, is read in the connection's shape
    ``api``, so the keys of the other shape are reported as unknown.
    """
    ga, beta = schemas.top_keys("ga"), schemas.top_keys("beta")
    has_ga = any(key in ga and key not in beta for key in body)
    has_beta = any(key in beta and key not in ga for key in body)
    if has_ga and not has_beta:
        return "ga"
    if has_beta and not has_ga:
        return "beta"
    return api


# -- checking a value ----------------------------------------------------------------------


def _expected(node: Any) -> str:
    if node == NULL:
        return "null"
    if isinstance(node, Obj):
        return "an object"
    if isinstance(node, Seq):
        return "an array"
    if isinstance(node, Lit):
        return "one of " + ", ".join(repr(v) for v in node.values)
    if isinstance(node, Scalar):
        return {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}[node.kind]
    if isinstance(node, Choice):
        return " or ".join(dict.fromkeys(_expected(o) for o in node.options))
    return "a JSON value"


def _fits(value: Any, node: Any) -> bool:
    """Whether ``value`` has the JSON kind of ``node`` (not yet its contents)."""
    if node == ANY:
        return True
    if node == NULL:
        return value is None
    if isinstance(node, Obj):
        return isinstance(value, dict)
    if isinstance(node, Seq):
        return isinstance(value, list)
    if isinstance(node, Lit):
        return any(type(value) is type(v) and value == v for v in node.values)
    if isinstance(node, Scalar):
        if node.kind is bool:
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False
        if node.kind is float:
            return isinstance(value, int | float)
        if node.kind is int:
            return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        return isinstance(value, node.kind)
    return False


def _error(code: str, message: str, param: str, client_event_id: str | None) -> RequestError:
    return RequestError(code, message, param=param, client_event_id=client_event_id)


def check(value: Any, node: Any, path: str, client_event_id: str | None = None) -> None:
    """Check a JSON value against a parameter tree; raise the API's error for the first problem.

    Raises
    ------
    RequestError
        ``unknown_parameter``, ``invalid_type``, ``invalid_value`` or
        ``integer_above_max_value`` / ``integer_below_min_value``, with ``param`` the dotted
        path, e.g. ``session.audio.input.turn_detection.silence_duration``.

    Examples
    --------
    >>> tree = Obj({"threshold": Scalar(float), "type": Lit(("server_vad",))})
    >>> check({"type": "server_vad", "silence": 1}, tree, "session.turn_detection")
    Traceback (most recent call last):
    ...
    rtlab.realtime._protocol.RequestError: Unknown parameter: 'session.turn_detection.silence'.
    """
    stack: list[tuple[Any, Any, str]] = [(value, node, path)]
    while stack:
        value, node, path = stack.pop()
        if node == ANY or value is None:  # null: the session model says where it is allowed
            continue
        if isinstance(node, Choice):
            node = _pick(value, node, path, client_event_id)
            if node == ANY:
                continue
        if isinstance(node, Lit):
            if not _fits(value, node):
                shown = ", ".join(repr(v) for v in node.values)
                raise _error(
                    "invalid_value",
                    f"Invalid value: {_short(value)}. Supported values are: {shown}.",
                    path,
                    client_event_id,
                )
            continue
        if not _fits(value, node):
            raise _error(
                "invalid_type",
                f"Invalid type for '{path}': expected {_expected(node)}, "
                f"but got {json_kind(value)} instead.",
                path,
                client_event_id,
            )
        if isinstance(node, Scalar) and node.kind in (int, float):
            _check_number(value, node.kind, path, client_event_id)
        elif isinstance(node, Obj):
            for key, item in value.items():
                where = f"{path}.{key}"
                if key not in node.fields:
                    raise _error(
                        "unknown_parameter",
                        f"Unknown parameter: '{where}'.",
                        where,
                        client_event_id,
                    )
                stack.append((item, node.fields[key], where))
        elif isinstance(node, Seq):
            stack.extend((item, node.item, f"{path}[{i}]") for i, item in enumerate(value))


def _pick(value: Any, node: Choice, path: str, client_event_id: str | None) -> Any:
    """The option of a union that ``value`` is meant as (by JSON kind, then by ``type``)."""
    options = [
        o for o in node.options if _fits(value, o) or (isinstance(o, Lit) and _same(value, o))
    ]
    if not options:
        raise _error(
            "invalid_type",
            f"Invalid type for '{path}': expected {_expected(node)}, "
            f"but got {json_kind(value)} instead.",
            path,
            client_event_id,
        )
    if len(options) > 1 and isinstance(value, dict):
        tagged = [
            o
            for o in options
            if isinstance(o, Obj)
            and isinstance(o.fields.get("type"), Lit)
            and value.get("type") in o.fields["type"].values
        ]
        if tagged:
            return tagged[0]
        objects = [o for o in options if isinstance(o, Obj)]
        if objects and "type" in value:  # a tag no option has: report it on the first
            return objects[0]
        if objects:  # untagged: the union of the options' keys
            return Obj({k: v for o in reversed(objects) for k, v in o.fields.items()})
    return options[0]


def _same(value: Any, node: Lit) -> bool:
    return any(type(value) is type(v) for v in node.values)


def _check_number(value: Any, kind: type, path: str, client_event_id: str | None) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise _error(
            "invalid_value", f"Invalid '{path}': numbers must be finite.", path, client_event_id
        )
    if kind is float and abs(value) > 1e300:
        raise _error(
            "decimal_above_max_value",
            f"Invalid '{path}': number too large. Got {_short(value)}.",
            path,
            client_event_id,
        )
    if kind is int:
        if value > INT_MAX:
            raise _error(
                "integer_above_max_value",
                f"Invalid '{path}': integer above maximum value. Expected a value <= {INT_MAX}, "
                f"but got {_short(value)} instead.",
                path,
                client_event_id,
            )
        if value < INT_MIN:
            raise _error(
                "integer_below_min_value",
                f"Invalid '{path}': integer below minimum value. Expected a value >= {INT_MIN}, "
                f"but got {_short(value)} instead.",
                path,
                client_event_id,
            )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
