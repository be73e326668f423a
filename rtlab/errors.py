"""The exceptions rtlab raises.

Every error rtlab raises on purpose is a subclass of :class:`RtlabError`, and also of the
builtin exception a user would catch for the same mistake::

    RtlabError(Exception)
    ├── ConfigError(RtlabError, ValueError)        a session / option value is not allowed
    ├── AudioFormatError(RtlabError, ValueError)   audio that cannot be read or is malformed
    ├── ModelNotFoundError(RtlabError, LookupError)  a model file is not installed
    ├── ProtocolError(RtlabError)                  a realtime message breaks the protocol
    └── StorageError(RtlabError, OSError)          a file or folder cannot be written

    UnmodelledFieldWarning(UserWarning)            kept a field rtlab does not model

Each error carries ``field`` (what was wrong), ``value`` (what was given) and ``allowed``
(what would have been accepted), and its message is written by :func:`describe`, so every
message has the same shape::

    The 'threshold' parameter of ServerVad must be a float in [0.0, 1.0]. Got 1.5.

Examples
--------
>>> from rtlab.errors import ConfigError
>>> err = ConfigError("threshold", 1.5, "a float in [0.0, 1.0]", owner="ServerVad")
>>> str(err)
"The 'threshold' parameter of ServerVad must be a float in [0.0, 1.0]. Got 1.5."
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "AudioFormatError",
    "ConfigError",
    "ModelNotFoundError",
    "ProtocolError",
    "RtlabError",
    "StorageError",
    "UnmodelledFieldWarning",
    "describe",
    "mask_secrets",
]

_MAX_VALUE_CHARS = 80
# what looks like an OpenAI API key or client secret ("sk-...", "rk-...", "ek_...")
_SECRET = re.compile(r"\b(sk|rk|ek)([-_])[A-Za-z0-9_\-]{4,}")
# the value of an HTTP "Authorization: Bearer ..." header
_BEARER = re.compile(r"(?i)\b(bearer\s+)\S+")


def mask_secrets(text: str, secret: str | None = None) -> str:
    """Mask API keys, client secrets and bearer tokens in ``text`` (the one place rtlab does).

    Every error message, every log line of the realtime server and recorder, and every
    transcription error goes through here. ``secret``, when given, is masked wherever it
    appears, whatever it looks like.

    Examples
    --------
    >>> mask_secrets("key='sk-proj-abc123def456'")
    "key='sk-***'"
    >>> mask_secrets("Authorization: Bearer abc.def")
    'Authorization: Bearer ***'
    >>> mask_secrets("token=local-key-1", secret="local-key-1")
    'token=***'
    """
    if secret:
        text = text.replace(secret, "***")
    return _SECRET.sub(r"\1\2***", _BEARER.sub(r"\1***", text))


def _short(value: Any) -> str:
    text = mask_secrets(repr(value))  # before shortening, which could cut a key's prefix
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


def describe(
    field: str | None,
    value: Any,
    allowed: str | None,
    *,
    owner: str | None = None,
    fix: str | None = None,
) -> str:
    """Write the one-sentence message every rtlab error uses.

    Parameters
    ----------
    field : str or None
        Name of the offending parameter, e.g. ``"threshold"``.
    value : object
        The value that was given (shown with ``repr``, shortened).
    allowed : str or None
        What would have been accepted, e.g. ``"a float in [0.0, 1.0]"``.
    owner : str, optional
        The type or function the parameter belongs to, e.g. ``"ServerVad"``.
    fix : str, optional
        A sentence telling the user how to fix it.

    Returns
    -------
    str
        Anything in it that looks like an API key (``sk-...``) is masked as ``sk-***``.

    Examples
    --------
    >>> describe("law", "mulaw", "'ulaw' or 'alaw'", owner="to_g711")
    "The 'law' parameter of to_g711 must be 'ulaw' or 'alaw'. Got 'mulaw'."
    """
    where = f"The '{field}' parameter" if field else "The value"
    if owner:
        where += f" of {owner}"
    text = (
        f"{where} must be {allowed}. Got {_short(value)}."
        if allowed
        else f"{where} is invalid: {_short(value)}."
    )
    if fix:
        text += f" {fix}"
    return mask_secrets(text)


class RtlabError(Exception):
    """Base class of every error rtlab raises on purpose.

    Parameters
    ----------
    field : str or None
        The parameter that was wrong.
    value : object
        The value given.
    allowed : str or None
        What is accepted.
    owner : str, optional
        The type or function the parameter belongs to.
    fix : str, optional
        How to fix it.
    message : str, optional
        A complete message, used instead of the one :func:`describe` writes.
    """

    def __init__(
        self,
        field: str | None = None,
        value: Any = None,
        allowed: str | None = None,
        *,
        owner: str | None = None,
        fix: str | None = None,
        message: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.owner = owner
        self.fix = fix
        text = message or describe(field, value, allowed, owner=owner, fix=fix)
        super().__init__(mask_secrets(text))


class ConfigError(RtlabError, ValueError):
    """A session or emulator option has a value that is not allowed."""


class AudioFormatError(RtlabError, ValueError):
    """Audio that cannot be decoded, or bytes/arrays that are not valid audio."""


class ModelNotFoundError(RtlabError, LookupError):
    """A model file (Silero VAD, Smart Turn, pocketsphinx) is not installed."""


class ProtocolError(RtlabError):
    """A realtime protocol message is malformed or not supported."""


class UnmodelledFieldWarning(UserWarning):
    """A session read from JSON holds fields rtlab does not model; they were kept.

    :meth:`rtlab.Session.from_event` keeps them and :meth:`rtlab.Session.to_event` sends them
    back unchanged in the API shape they were read in; ``strict=True`` raises a
    :class:`ConfigError` instead.

    Attributes
    ----------
    fields : tuple of str
        Their dotted paths in the payload's shape, e.g. ``"audio.input.transcription.languages"``.
    api : {"beta", "ga"}
        The shape they were read in.
    """

    def __init__(self, fields: tuple[str, ...], api: str, message: str) -> None:
        self.fields = fields
        self.api = api
        super().__init__(mask_secrets(message))


class StorageError(RtlabError, OSError):
    """A file or folder rtlab must write cannot be created or written (permissions, a
    missing parent it cannot create, a full disk)."""
