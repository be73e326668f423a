"""Pieces of the Realtime protocol shared by the local server and the recorder.

Pure functions: which API shape a connection speaks, parsing and checking client messages,
decoding appended audio, and building the server events the local server sends. Nothing
here touches a socket.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from rtlab.errors import ProtocolError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from rtlab.session import Session

Api = Literal["beta", "ga"]

API_VALUES: tuple[Api, ...] = ("beta", "ga")

#: The model named in the connection URL when none is given.
DEFAULT_MODEL: dict[str, str] = {"ga": "gpt-realtime", "beta": "gpt-4o-realtime-preview"}

#: Input audio formats the server decodes (beta names; the GA ``audio/pcm``, ``audio/pcmu``
#: and ``audio/pcma`` map onto them through ``Session.from_event``).
INPUT_FORMATS = ("pcm16", "g711_ulaw", "g711_alaw")

#: Client events the local server understands; anything else gets an ``unsupported_event`` error.
SUPPORTED_CLIENT_EVENTS = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "response.create",
    "response.cancel",
    "conversation.item.create",
    "conversation.item.truncate",
    "conversation.item.delete",
    "conversation.item.retrieve",
)

#: The shortest buffer a commit accepts, as the API does (ms).
MIN_COMMIT_MS = 100.0

#: Deepest nesting of arrays and objects a client event may have.
MAX_DEPTH = 64

#: Most digits of an integer in a client event (64-bit integers have at most 19).
MAX_INT_DIGITS = 19


class RequestError(ProtocolError):
    """A client message the server answers with an ``error`` event (the connection stays open).

    Parameters
    ----------
    code : str
        The ``error.code`` sent, e.g. ``"invalid_json"``.
    message : str
        The human-readable ``error.message``.
    param : str, optional
        The ``error.param``: the offending field.
    client_event_id : str, optional
        The ``event_id`` of the client event that caused it, echoed as ``error.event_id``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        param: str | None = None,
        value: Any = None,
        client_event_id: str | None = None,
    ) -> None:
        super().__init__(param, value, None, message=message)
        self.code = code
        self.param = param
        self.client_event_id = client_event_id


def api_from_request(path: str, headers: Mapping[str, str]) -> Api:
    """Tell which API shape a websocket connection speaks.

    The query parameter ``api=beta`` or ``api=ga`` wins; otherwise a connection that sends
    the ``OpenAI-Beta: realtime=v1`` header (as the ``openai`` client's ``beta.realtime``
    does) speaks the beta shape, and every other connection the GA shape.

    Parameters
    ----------
    path : str
        The request target, e.g. ``"/v1/realtime?model=gpt-realtime"``.
    headers : mapping of str to str
        The request headers (looked up case-insensitively).

    Returns
    -------
    {"beta", "ga"}

    Raises
    ------
    RequestError
        If the ``api`` query parameter is neither ``beta`` nor ``ga``.

    Examples
    --------
    >>> api_from_request("/v1/realtime?model=gpt-realtime", {})
    'ga'
    >>> api_from_request("/v1/realtime?model=x", {"OpenAI-Beta": "realtime=v1"})
    'beta'
    >>> api_from_request("/v1/realtime?api=beta", {})
    'beta'
    """
    query = parse_qs(urlsplit(path).query)
    if "api" in query:
        value = query["api"][-1]
        if value not in API_VALUES:
            raise RequestError(
                "invalid_value",
                f"The 'api' query parameter must be 'beta' or 'ga'. Got {value!r}.",
                param="api",
            )
        return value  # type: ignore[return-value]
    for name, value in headers.items():
        if name.lower() == "openai-beta" and "realtime=v1" in value.replace(" ", "").lower():
            return "beta"
    return "ga"


def model_from_path(path: str, api: Api) -> str:
    """The ``model`` query parameter of the request, or the default model of ``api``.

    Examples
    --------
    >>> model_from_path("/v1/realtime?model=gpt-realtime-mini", "ga")
    'gpt-realtime-mini'
    >>> model_from_path("/v1/realtime", "beta")
    'gpt-4o-realtime-preview'
    """
    values = parse_qs(urlsplit(path).query).get("model")
    return values[-1][:200] if values and values[-1] else DEFAULT_MODEL[api]


def parse_client_event(raw: str | bytes) -> dict[str, Any]:
    """Parse one websocket message from a client into an event dict.

    Parameters
    ----------
    raw : str or bytes
        The message as received (text frames arrive as ``str``; binary frames as ``bytes``
        are decoded as UTF-8 JSON too).

    Returns
    -------
    dict
        The event, with a string ``type`` (and ``event_id`` a string when present).

    Raises
    ------
    RequestError
        ``invalid_json`` when the message is not JSON text, ``invalid_event`` when it is not
        an object with a string ``type``, ``invalid_value`` for a non-string ``event_id``.

    Examples
    --------
    >>> parse_client_event('{"type": "input_audio_buffer.clear"}')
    {'type': 'input_audio_buffer.clear'}
    >>> parse_client_event("{oops").code
    Traceback (most recent call last):
    ...
    rtlab.realtime._protocol.RequestError: The message is not valid JSON: Expecting property name enclosed in double quotes (line 1 column 2).
    """  # noqa: E501
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError("invalid_json", "The message is not UTF-8 JSON text.") from exc
    else:
        text = raw
    try:
        obj = json.loads(
            text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except _BadNumber as exc:
        raise RequestError("invalid_value", str(exc)) from None
    except RecursionError:
        raise RequestError(
            "invalid_json",
            f"The message nests arrays and objects deeper than {MAX_DEPTH} levels.",
        ) from None
    except ValueError as exc:
        reason = exc.args[0] if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        if isinstance(exc, json.JSONDecodeError):
            reason = f"{exc.msg} (line {exc.lineno} column {exc.colno})"
        raise RequestError("invalid_json", f"The message is not valid JSON: {reason}.") from exc
    if not isinstance(obj, dict):
        raise RequestError(
            "invalid_event",
            f"A client event must be a JSON object. Got {json_kind(obj)}.",
            param="type",
        )
    if _depth_over(obj, MAX_DEPTH):
        raise RequestError(
            "invalid_json",
            f"The message nests arrays and objects deeper than {MAX_DEPTH} levels.",
        )
    event_id = obj.get("event_id")
    if event_id is not None and not isinstance(event_id, str):
        raise RequestError(
            "invalid_value", "The 'event_id' of a client event must be a string.", param="event_id"
        )
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise RequestError(
            "invalid_event",
            "A client event needs a string 'type'."
            if kind is None
            else "The 'type' must be a string.",
            param="type",
            client_event_id=event_id,
        )
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


class _BadNumber(ValueError):
    pass


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _BadNumber(
            f"Numbers in a client event must fit in 64 bits. Got an integer with {digits} digits."
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"Numbers in a client event must be finite. Got {text[:40]}.")
    return value


def _depth_over(obj: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend(
                (item, depth + 1) for item in value.values() if isinstance(item, dict | list)
            )
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return False


def json_kind(value: Any) -> str:
    """What a parsed JSON value is, as an error message names it ("an array", "null", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def decode_audio(data: Any, audio_format: str, *, client_event_id: str | None = None) -> np.ndarray:
    """Decode the base64 ``audio`` of an ``input_audio_buffer.append`` into int16 samples.

    Parameters
    ----------
    data : str
        Base64 audio in the session's input format.
    audio_format : {"pcm16", "g711_ulaw", "g711_alaw"}
        ``pcm16`` is 24 kHz mono little-endian 16-bit; G.711 is one code per sample at
        8 kHz, decoded to linear int16 at 8 kHz (:func:`G711Resampler` takes it to 24 kHz).
    client_event_id : str, optional
        Echoed in the error.

    Returns
    -------
    numpy.ndarray
        int16 samples: at 24 kHz for pcm16, at 8 kHz for G.711 (possibly empty).

    Raises
    ------
    RequestError
        ``invalid_value`` if ``audio`` is not a string, ``invalid_base64`` if it is not
        base64, ``invalid_audio_format`` if the bytes cannot be the session's format
        (pcm16 needs an even number of bytes).

    Examples
    --------
    >>> decode_audio("AAABAA==", "pcm16").tolist()
    [0, 1]
    >>> decode_audio("AAAB", "pcm16")
    Traceback (most recent call last):
    ...
    rtlab.realtime._protocol.RequestError: pcm16 audio must hold whole 16-bit samples (an even number of bytes). Got 3 bytes.
    """  # noqa: E501
    import numpy as np

    if not isinstance(data, str):
        raise RequestError(
            "invalid_value",
            "'audio' must be a base64 string of audio in the session's input format.",
            param="audio",
            client_event_id=client_event_id,
        )
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise RequestError(
            "invalid_base64",
            "'audio' is not valid base64.",
            param="audio",
            client_event_id=client_event_id,
        ) from exc
    if audio_format == "pcm16":
        if len(raw) % 2:
            raise RequestError(
                "invalid_audio_format",
                "pcm16 audio must hold whole 16-bit samples (an even number of bytes). "
                f"Got {len(raw)} bytes.",
                param="audio",
                client_event_id=client_event_id,
            )
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if audio_format in ("g711_ulaw", "g711_alaw"):
        from rtlab import _g711

        return _g711.decode(raw, audio_format[-4:]).astype(np.int16, copy=False)
    raise RequestError(
        "invalid_audio_format",
        f"The session's input audio format {audio_format!r} is not one of "
        f"{', '.join(INPUT_FORMATS)}.",
        param="audio",
        client_event_id=client_event_id,
    )


class G711Resampler:
    """Streaming 8 kHz -> 24 kHz resampling of decoded G.711, one per connection.

    Resampling each append on its own would add edge artefacts at every chunk boundary;
    a stream keeps the filter state across appends (soxr, HQ, as :meth:`Audio.from_g711`).

    Examples
    --------
    >>> import numpy as np
    >>> stream = G711Resampler()
    >>> out = [stream.push(np.zeros(800, dtype=np.int16)) for _ in range(10)]  # 10 x 100 ms
    >>> 21000 <= sum(len(o) for o in out) <= 24000  # all but the filter's look-ahead
    True
    """

    def __init__(self) -> None:
        import soxr

        self._stream = soxr.ResampleStream(8000, 24000, 1, dtype="float32", quality="HQ")

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next 8 kHz int16 chunk; returns the 24 kHz int16 samples ready so far."""
        import numpy as np

        x = samples.astype(np.float32) / np.float32(32768.0)
        y = self._stream.resample_chunk(x)
        y = np.rint(np.asarray(y, dtype=np.float32) * np.float32(32768.0))
        return np.clip(y, -32768, 32767).astype(np.int16)


# -- server events -------------------------------------------------------------------------


def error_event(
    event_id: str,
    *,
    code: str,
    message: str,
    param: str | None = None,
    client_event_id: str | None = None,
    error_type: str = "invalid_request_error",
) -> dict[str, Any]:
    """An ``error`` server event, in the shape both APIs use.

    Examples
    --------
    >>> error_event("event_0001", code="invalid_json", message="Not JSON.")["error"]["code"]
    'invalid_json'
    """
    return {
        "type": "error",
        "event_id": event_id,
        "error": {
            "type": error_type,
            "code": code,
            "message": message,
            "param": param,
            "event_id": client_event_id,
        },
    }


#: Session fields the server reports itself (``id``, ``model``) or that an API shape lacks.
_NOT_REPORTED = {"beta": ("id", "model"), "ga": ("id", "model", "temperature")}


def _all_set(model: Any) -> Any:
    """A copy of a pydantic model with every field marked as set (nested models too)."""
    values = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if hasattr(type(value), "model_fields"):
            value = _all_set(value)
        values[name] = value
    return model.model_copy(update=values)


def full_session(session: Session, api: Api) -> Session:
    """The same session with every field ``api`` has marked as set, defaults included.

    A ``Session`` omits unset fields from its payload; the server's ``session.created`` and
    ``session.updated`` show the whole configuration in effect, as the API does.
    """
    skip = _NOT_REPORTED[api]
    full = _all_set(session)
    kept = {name: getattr(full, name) for name in type(session).model_fields if name not in skip}
    return type(session).model_construct(_fields_set=set(kept), **{**dict(full), **kept})


def session_payload(session: Session, api: Api, *, session_id: str, model: str) -> dict[str, Any]:
    """The ``session`` object of ``session.created`` / ``session.updated`` for ``api``."""
    body = full_session(session, api).to_event(api=api, strict=True)["session"]
    head: dict[str, Any] = {"id": session_id, "object": "realtime.session", "model": model}
    if api == "ga":
        head = {"type": "realtime", **head}
    else:
        from rtlab.session import BETA_MODELS

        if model not in BETA_MODELS:  # the beta session names only its own models
            del head["model"]
    return {**head, **body}


def session_event(
    kind: Literal["session.created", "session.updated"],
    event_id: str,
    session: Session,
    api: Api,
    *,
    session_id: str,
    model: str,
) -> dict[str, Any]:
    """A ``session.created`` or ``session.updated`` event with the full session."""
    return {
        "type": kind,
        "event_id": event_id,
        "session": session_payload(session, api, session_id=session_id, model=model),
    }


def user_item(item_id: str, transcript: str | None = None) -> dict[str, Any]:
    """The user message item that a commit of the input audio buffer creates."""
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def committed_event(event_id: str, item_id: str, previous_item_id: str | None) -> dict[str, Any]:
    """An ``input_audio_buffer.committed`` event."""
    return {
        "type": "input_audio_buffer.committed",
        "event_id": event_id,
        "previous_item_id": previous_item_id,
        "item_id": item_id,
    }


def item_created_events(
    api: Api, event_ids: list[str], item_id: str, previous_item_id: str | None
) -> list[dict[str, Any]]:
    """The item events that follow a commit.

    Beta sends ``conversation.item.created``; GA sends ``conversation.item.added`` and then
    ``conversation.item.done`` (so ``event_ids`` needs one id for beta, two for GA).
    """
    kinds = (
        ["conversation.item.created"]
        if api == "beta"
        else ["conversation.item.added", "conversation.item.done"]
    )
    return [
        {
            "type": kind,
            "event_id": event_id,
            "previous_item_id": previous_item_id,
            "item": user_item(item_id),
        }
        for kind, event_id in zip(kinds, event_ids, strict=False)
    ]


def transcription_completed_event(
    event_id: str, item_id: str, transcript: str, *, duration_s: float
) -> dict[str, Any]:
    """A ``conversation.item.input_audio_transcription.completed`` event.

    ``usage`` is reported as the audio duration, as the API does for duration-billed models.
    """
    return {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": event_id,
        "item_id": item_id,
        "content_index": 0,
        "transcript": transcript,
        "usage": {"type": "duration", "seconds": round(max(0.0, duration_s), 3)},
    }


def transcription_failed_event(event_id: str, item_id: str, message: str) -> dict[str, Any]:
    """A ``conversation.item.input_audio_transcription.failed`` event."""
    return {
        "type": "conversation.item.input_audio_transcription.failed",
        "event_id": event_id,
        "item_id": item_id,
        "content_index": 0,
        "error": {
            "type": "transcription_error",
            "code": "transcription_failed",
            "message": message,
        },
    }


def cleared_event(event_id: str) -> dict[str, Any]:
    """An ``input_audio_buffer.cleared`` event."""
    return {"type": "input_audio_buffer.cleared", "event_id": event_id}


def ms(samples: int, sample_rate_hz: int = 24000) -> float:
    """Samples to milliseconds."""
    return samples * 1000.0 / sample_rate_hz


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not bool) that is finite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
