"""The one checking helper for values a user passes to a public function.

Public functions check their options here, once, at the boundary; internal code trusts
what it is given. Each check returns the value in its plain Python type or raises the
:class:`~rtlab.errors.RtlabError` subclass the caller names (``ConfigError`` unless told
otherwise), with the message shape of :func:`rtlab.errors.describe`.

``bool`` is never accepted as a number (``True`` is an ``int`` to Python, never a
threshold or a sample rate to a user); NaN and infinities are never in range; an integer
too large for a float is refused rather than raising ``OverflowError``.

Examples
--------
>>> from rtlab import _check
>>> _check.number(0.5, "threshold", owner="ServerVad", low=0.0, high=1.0)
0.5
>>> try:
...     _check.number(True, "threshold", owner="ServerVad", low=0.0, high=1.0)
... except ValueError as err:
...     print(err)
The 'threshold' parameter of ServerVad must be a number in [0, 1]. Got True.
>>> _check.integer(3, "seed", owner="babble", low=0)
3
>>> _check.choice("ulaw", "law", ("ulaw", "alaw"), owner="to_g711")
'ulaw'
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, TypeVar

from rtlab.errors import ConfigError, RtlabError

T = TypeVar("T")


def _range_text(low: float, high: float, unit: str) -> str:
    unit = f" {unit}" if unit else ""
    if low == -math.inf and high == math.inf:
        return f"a finite number{unit}"
    if high == math.inf:
        return f"a number{unit} >= {low:g}"
    if low == -math.inf:
        return f"a number{unit} <= {high:g}"
    return f"a number{unit} in [{low:g}, {high:g}]"


def number(
    value: Any,
    field: str,
    *,
    owner: str | None = None,
    low: float = -math.inf,
    high: float = math.inf,
    unit: str = "",
    allowed: str | None = None,
    error: type[RtlabError] = ConfigError,
) -> float:
    """``value`` as a finite float in ``[low, high]``, or ``error`` naming ``field``.

    ``unit`` (e.g. ``"of ms"``) only words the message; ``allowed`` replaces it whole.
    """
    text = allowed or _range_text(low, high, unit)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(field, value, text, owner=owner)
    try:
        out = float(value)
    except OverflowError as err:  # an int beyond the float range
        raise error(field, value, text, owner=owner) from err
    if not (math.isfinite(out) and low <= out <= high):
        raise error(field, value, text, owner=owner)
    return out


def integer(
    value: Any,
    field: str,
    *,
    owner: str | None = None,
    low: int | None = None,
    high: int | None = None,
    allowed: str | None = None,
    error: type[RtlabError] = ConfigError,
) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (``None`` = unbounded), never a bool."""
    if allowed is None:
        if low is not None and high is not None:
            allowed = f"an int in [{low}, {high}]"
        elif low is not None:
            allowed = f"an int >= {low}"
        elif high is not None:
            allowed = f"an int <= {high}"
        else:
            allowed = "an int"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(field, value, allowed, owner=owner)
    out = int(value)
    if (low is not None and out < low) or (high is not None and out > high):
        raise error(field, value, allowed, owner=owner)
    return out


def seed(value: Any, *, owner: str | None = None) -> int:
    """A seed for :func:`numpy.random.default_rng`: an int >= 0."""
    return integer(value, "seed", owner=owner, low=0)


def choice(
    value: Any,
    field: str,
    options: Iterable[T],
    *,
    owner: str | None = None,
    allowed: str | None = None,
    error: type[RtlabError] = ConfigError,
) -> T:
    """``value`` if it is one of ``options`` (compared with ``==``, bools kept apart).

    ``allowed`` replaces the message's list of options (e.g. to name more accepted forms).
    """
    options = tuple(options)
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    if allowed is None:
        allowed = (
            " or ".join(repr(o) for o in options) if len(options) <= 3 else f"one of {options}"
        )
    raise error(field, value, allowed, owner=owner)
