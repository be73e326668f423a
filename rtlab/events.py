"""The event log: the server events turn detection sends, with when each was sent.

An :class:`EventLog` is what every source of turn-detection results hands on: the local
emulator (:func:`rtlab.detect`), a recording of the live API, and a saved JSONL file. The
events are plain dicts in the API's own shape (``input_audio_buffer.speech_started``,
``…speech_stopped``, ``…committed``, ``…timeout_triggered``,
``conversation.item.input_audio_transcription.completed``), so they can be checked
against the ``openai`` package's server event types or sent on a websocket as they are.

The JSONL file holds one header object on its first line (``"type": "rtlab.event_log"``,
with the session, the source, the audio duration and the number of events) and then one
line per event: ``{"emitted_ms": 544.0, "event": {...}}``.

Examples
--------
>>> from rtlab.events import EventLog
>>> log = EventLog(
...     events=(
...         {"type": "input_audio_buffer.speech_started", "event_id": "event_0001",
...          "audio_start_ms": 0, "item_id": "item_0001"},
...         {"type": "input_audio_buffer.speech_stopped", "event_id": "event_0002",
...          "audio_end_ms": 1500, "item_id": "item_0001"},
...     ),
...     emitted_ms=(224.0, 1500.0),
...     duration_ms=2000.0,
... )
>>> log
EventLog(2 events: speech_started=1, speech_stopped=1; source='emulator', duration_ms=2000.0)
>>> [event["type"].split(".")[-1] for event in log]
['speech_started', 'speech_stopped']
"""

from __future__ import annotations

import html
import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtlab._io import atomic_write
from rtlab.errors import ProtocolError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.session import Session

__all__ = ["EventLog"]

SPEECH_STARTED = "input_audio_buffer.speech_started"
SPEECH_STOPPED = "input_audio_buffer.speech_stopped"
COMMITTED = "input_audio_buffer.committed"
TIMEOUT_TRIGGERED = "input_audio_buffer.timeout_triggered"
TRANSCRIPTION_COMPLETED = "conversation.item.input_audio_transcription.completed"

HEADER_TYPE = "rtlab.event_log"
FORMAT_VERSION = 1

FRAME_COLUMNS = (
    "emitted_ms",
    "type",
    "event_id",
    "item_id",
    "audio_start_ms",
    "audio_end_ms",
    "transcript",
)
TURN_COLUMNS = ("item_id", "start_ms", "end_ms", "committed", "transcript")
TIMEOUT_COLUMNS = ("item_id", "start_ms", "end_ms", "emitted_ms")

_HTML_MAX_ROWS = 60


def _short_type(event_type: str) -> str:
    """``input_audio_buffer.speech_started`` -> ``speech_started`` (other prefixes kept)."""
    prefix = "input_audio_buffer."
    return event_type[len(prefix) :] if event_type.startswith(prefix) else event_type


@dataclass(frozen=True, eq=False)
class EventLog:
    """Server events of one session, in the order they were emitted.

    Parameters
    ----------
    events : tuple of dict
        Server events exactly in the API's shape (each has at least ``"type"``). Treat the
        dicts as read-only: the log is a value.
    emitted_ms : tuple of float
        For each event, when it was emitted, in ms: the audio position at which the
        emulator (or the server) sends it, or the receive time since the first audio was
        sent for a live recording. Finite, non-decreasing, one per event.
    session : Session or None, default None
        The session configuration that produced the events (``None`` if unknown).
    source : str, default "emulator"
        Where the events come from: ``"emulator"``, ``"realtime"``, a file name, ...
    duration_ms : float or None, default None
        Length of the audio the events are about, in ms (``None`` if unknown).

    Raises
    ------
    ProtocolError
        If an event is not a dict with a string ``"type"``, if the two tuples differ in
        length, or if ``emitted_ms`` is not finite and non-decreasing.

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.events import EventLog
    >>> log = EventLog((), (), session=rtlab.Session(turn_detection=None), duration_ms=3000.0)
    >>> len(log), log.session.turn_detection is None
    (0, True)
    """

    events: tuple[dict[str, Any], ...]
    emitted_ms: tuple[float, ...]
    session: Session | None = None
    source: str = "emulator"
    duration_ms: float | None = None

    def __post_init__(self) -> None:
        events = tuple(self.events)
        emitted = _times_ms(self.emitted_ms, "EventLog")
        _check_one_time_each(events, emitted, "EventLog")
        if not all(type(e) is dict and type(e.get("type")) is str for e in events):
            events = tuple(_plain_event(event, index) for index, event in enumerate(events))
        ordered = all(map(math.isfinite, emitted)) and all(
            a <= b for a, b in itertools.pairwise(emitted)
        )
        if not ordered:
            previous = -math.inf
            for index, t in enumerate(emitted):
                if not math.isfinite(t) or t < previous:
                    raise ProtocolError(
                        f"emitted_ms[{index}]",
                        t,
                        f"a finite time in ms, not before the previous one ({previous})",
                        owner="EventLog",
                    )
                previous = t
        duration = self.duration_ms
        if duration is not None:
            duration = float_or_nan(duration)
            if not math.isfinite(duration) or duration < 0:
                raise ProtocolError(
                    "duration_ms",
                    self.duration_ms,
                    "a finite number of ms >= 0, or None",
                    owner="EventLog",
                )
        object.__setattr__(self, "events", events)
        object.__setattr__(self, "emitted_ms", emitted)
        object.__setattr__(self, "duration_ms", duration)

    @classmethod
    def _trusted(
        cls,
        events: list[dict[str, Any]],
        emitted_ms: list[float],
        *,
        session: Session | None,
        source: str = "emulator",
        duration_ms: float | None,
    ) -> EventLog:
        """Build without the checks, for the emulator's own (already well-formed) output."""
        log = object.__new__(cls)
        object.__setattr__(log, "events", tuple(events))
        object.__setattr__(log, "emitted_ms", tuple(emitted_ms))
        object.__setattr__(log, "session", session)
        object.__setattr__(log, "source", source)
        object.__setattr__(log, "duration_ms", None if duration_ms is None else float(duration_ms))
        return log

    # -- container protocol -------------------------------------------------------------

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.events[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventLog):
            return NotImplemented
        return (
            self.events == other.events
            and self.emitted_ms == other.emitted_ms
            and self.session == other.session
            and self.source == other.source
            and self.duration_ms == other.duration_ms
        )

    __hash__ = None  # type: ignore[assignment]

    # -- summaries ----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Number of events of each type, in order of first appearance.

        Returns
        -------
        dict of str to int
            Keys are the full event types.

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> EventLog(({"type": "input_audio_buffer.committed"},), (0.0,)).counts()
        {'input_audio_buffer.committed': 1}
        """
        return dict(Counter(event["type"] for event in self.events))

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """The events of one type (full name, or the short one without ``input_audio_buffer.``).

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> committed = {"type": "input_audio_buffer.committed", "item_id": "item_0001"}
        >>> log = EventLog((committed,), (5.0,))
        >>> log.of_type("committed")[0]["item_id"]
        'item_0001'
        """
        return [
            e
            for e in self.events
            if e["type"] == event_type or _short_type(e["type"]) == event_type
        ]

    def __repr__(self) -> str:
        counts = ", ".join(f"{_short_type(k)}={v}" for k, v in self.counts().items())
        n = len(self.events)
        head = f"{n} event{'s' if n != 1 else ''}" + (f": {counts}" if counts else "")
        extras = [f"source={self.source!r}"]
        if self.duration_ms is not None:
            extras.append(f"duration_ms={round(self.duration_ms, 1)!r}")
        if self.session is not None:
            td = getattr(self.session, "turn_detection", None)
            extras.append(f"turn_detection={getattr(td, 'type', None)!r}")
        return f"EventLog({head}; {', '.join(extras)})"

    def _repr_html_(self) -> str:
        rows = []
        for event, t in zip(
            self.events[:_HTML_MAX_ROWS], self.emitted_ms[:_HTML_MAX_ROWS], strict=True
        ):
            cells = [
                f"{t:.0f}",
                _short_type(event["type"]),
                event.get("item_id"),
                event.get("audio_start_ms"),
                event.get("audio_end_ms"),
                event.get("transcript"),
            ]
            rows.append(
                "<tr>"
                + "".join(f"<td>{'' if c is None else html.escape(str(c))}</td>" for c in cells)
                + "</tr>"
            )
        if len(self.events) > _HTML_MAX_ROWS:
            rows.append(
                f"<tr><td colspan='6'>… {len(self.events) - _HTML_MAX_ROWS} more events</td></tr>"
            )
        header = "".join(
            f"<th>{name}</th>"
            for name in (
                "emitted_ms",
                "type",
                "item_id",
                "audio_start_ms",
                "audio_end_ms",
                "transcript",
            )
        )
        caption = html.escape(repr(self))
        return (
            f"<table class='rtlab-eventlog'><caption>{caption}</caption>"
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    # -- tables -------------------------------------------------------------------------

    def to_frame(self) -> pd.DataFrame:
        """One row per event.

        Returns
        -------
        pandas.DataFrame
            Columns ``emitted_ms, type, event_id, item_id, audio_start_ms, audio_end_ms,
            transcript``; times in ms (float, NaN where the event has no such field),
            missing strings are ``None``/NaN.

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> log = EventLog(({"type": "input_audio_buffer.speech_started", "event_id": "event_0001",
        ...                  "audio_start_ms": 0, "item_id": "item_0001"},), (32.0,))
        >>> log.to_frame()[["emitted_ms", "type", "audio_start_ms"]].values.tolist()
        [[32.0, 'input_audio_buffer.speech_started', 0.0]]
        """
        import pandas as pd

        data: dict[str, list[Any]] = {name: [] for name in FRAME_COLUMNS}
        for event, t in zip(self.events, self.emitted_ms, strict=True):
            data["emitted_ms"].append(t)
            data["type"].append(event["type"])
            data["event_id"].append(event.get("event_id"))
            data["item_id"].append(event.get("item_id"))
            data["audio_start_ms"].append(float_or_nan(event.get("audio_start_ms")))
            data["audio_end_ms"].append(float_or_nan(event.get("audio_end_ms")))
            data["transcript"].append(event.get("transcript"))
        frame = pd.DataFrame(data, columns=list(FRAME_COLUMNS))
        for name in ("emitted_ms", "audio_start_ms", "audio_end_ms"):
            frame[name] = frame[name].astype("float64")
        return frame

    def turns(self) -> pd.DataFrame:
        """One row per ``speech_started`` event: the turns turn detection found.

        Returns
        -------
        pandas.DataFrame
            Columns ``item_id`` (str), ``start_ms`` (the speech_started ``audio_start_ms``),
            ``end_ms`` (the ``audio_end_ms`` of the speech_stopped of the same item, NaN if
            speech never stopped), ``committed`` (bool: a committed event names the item),
            ``transcript`` (from a transcription.completed event of the item, else None).

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> log = EventLog(({"type": "input_audio_buffer.speech_started", "event_id": "event_0001",
        ...                  "audio_start_ms": 100, "item_id": "item_0001"},), (432.0,))
        >>> log.turns().iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
        {'item_id': 'item_0001', 'start_ms': 100.0, 'end_ms': nan, 'committed': False,
         'transcript': None}
        """
        import pandas as pd

        rows = [
            {
                "item_id": turn.item_id,
                "start_ms": turn.start_ms,
                "end_ms": turn.end_ms,
                "committed": turn.committed,
                "transcript": turn.transcript,
            }
            for turn in read_turns(self.events, self.emitted_ms).turns
            if turn.started
        ]
        frame = pd.DataFrame(rows, columns=list(TURN_COLUMNS))
        frame["start_ms"] = frame["start_ms"].astype("float64")
        frame["end_ms"] = frame["end_ms"].astype("float64")
        frame["committed"] = frame["committed"].astype(bool)
        frame["transcript"] = pd.Series([row["transcript"] for row in rows], dtype=object)
        return frame

    def timeouts(self) -> pd.DataFrame:
        """One row per ``input_audio_buffer.timeout_triggered`` event.

        Returns
        -------
        pandas.DataFrame
            Columns ``item_id``, ``start_ms`` / ``end_ms`` (the silent stretch the timeout
            spans, ms), ``emitted_ms``.

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> timeout = {"type": "input_audio_buffer.timeout_triggered", "event_id": "event_0001",
        ...            "audio_start_ms": 0, "audio_end_ms": 5024, "item_id": "item_0001"}
        >>> log = EventLog((timeout,), (5024.0,))
        >>> log.timeouts()[["start_ms", "end_ms"]].values.tolist()
        [[0.0, 5024.0]]
        """
        import pandas as pd

        rows = [
            {
                "item_id": event.get("item_id"),
                "start_ms": float_or_nan(event.get("audio_start_ms")),
                "end_ms": float_or_nan(event.get("audio_end_ms")),
                "emitted_ms": t,
            }
            for event, t in zip(self.events, self.emitted_ms, strict=True)
            if event["type"] == TIMEOUT_TRIGGERED
        ]
        frame = pd.DataFrame(rows, columns=list(TIMEOUT_COLUMNS))
        for name in ("start_ms", "end_ms", "emitted_ms"):
            frame[name] = frame[name].astype("float64")
        return frame

    # -- change -------------------------------------------------------------------------

    def with_events(
        self, events: Iterable[Mapping[str, Any]], emitted_ms: Iterable[float]
    ) -> EventLog:
        """A new log with more events merged in emitted order.

        The merge is stable: at equal ``emitted_ms`` the events already in the log come
        first, then the new ones in the order given. Nothing else changes (event ids are
        kept as they are).

        Parameters
        ----------
        events : iterable of dict
            Server events to add.
        emitted_ms : iterable of float
            When each was emitted, in ms; need not be sorted.

        Returns
        -------
        EventLog

        Examples
        --------
        >>> from rtlab.events import EventLog
        >>> started = {"type": "input_audio_buffer.speech_started", "event_id": "event_0001",
        ...            "audio_start_ms": 0, "item_id": "item_0001"}
        >>> log = EventLog((started,), (224.0,))
        >>> done = {"type": "conversation.item.input_audio_transcription.completed",
        ...         "event_id": "event_0009", "item_id": "item_0001", "content_index": 0,
        ...         "transcript": "hello"}
        >>> log.with_events([done], [1200.0]).turns()["transcript"].tolist()
        ['hello']
        """
        new_events = list(events)
        new_times = _times_ms(emitted_ms, "EventLog.with_events")
        _check_one_time_each(new_events, new_times, "EventLog.with_events")
        merged = [
            (t, 0, i, e) for i, (e, t) in enumerate(zip(self.events, self.emitted_ms, strict=True))
        ]
        merged += [
            (t, 1, i, dict(_plain_event(e, i, "EventLog.with_events")))
            for i, (e, t) in enumerate(zip(new_events, new_times, strict=True))
        ]
        merged.sort(key=lambda row: (row[0], row[1], row[2]))
        return EventLog(
            events=tuple(row[3] for row in merged),
            emitted_ms=tuple(row[0] for row in merged),
            session=self.session,
            source=self.source,
            duration_ms=self.duration_ms,
        )

    # -- files --------------------------------------------------------------------------

    def to_jsonl(self, path: str | os.PathLike[str]) -> Path:
        """Write the log as JSON lines, atomically.

        The first line is a header object: ``{"type": "rtlab.event_log", "version": 1,
        "source": ..., "duration_ms": ..., "n_events": ..., "session": ...}`` (the session as
        its JSON, or null); every further line is ``{"emitted_ms": t, "event": {...}}``.
        The file is written to a temporary file beside ``path`` and moved into place, so a
        crash leaves any previous file untouched.

        Parameters
        ----------
        path : str or os.PathLike
            Where to write (parent folders are created).

        Returns
        -------
        pathlib.Path
            The path written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rtlab.events import EventLog
        >>> log = EventLog(({"type": "input_audio_buffer.committed", "event_id": "event_0001",
        ...                  "previous_item_id": None, "item_id": "item_0001"},), (512.0,))
        >>> path = log.to_jsonl(pathlib.Path(tempfile.mkdtemp()) / "log.jsonl")
        >>> EventLog.read_jsonl(path) == log
        True
        """
        header = {
            "type": HEADER_TYPE,
            "version": FORMAT_VERSION,
            "source": self.source,
            "duration_ms": self.duration_ms,
            "n_events": len(self.events),
            "session": None if self.session is None else _session_to_json(self.session),
        }
        lines = [json.dumps(header, allow_nan=False)]
        for index, (event, t) in enumerate(zip(self.events, self.emitted_ms, strict=True)):
            try:
                lines.append(json.dumps({"emitted_ms": t, "event": event}, allow_nan=False))
            except (TypeError, ValueError) as exc:
                raise ProtocolError(
                    f"events[{index}]",
                    event,
                    "an event of JSON values (str, finite numbers, bool, None, lists, dicts)",
                    owner="EventLog.to_jsonl",
                ) from exc
        target = Path(path)
        with atomic_write(target, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        return target

    @classmethod
    def read_jsonl(cls, path: str | os.PathLike[str]) -> EventLog:
        """Read a log written by :meth:`to_jsonl`.

        Parameters
        ----------
        path : str or os.PathLike
            A JSONL file: an optional header line, then ``{"emitted_ms", "event"}`` lines.
            Blank lines are skipped.

        Returns
        -------
        EventLog
            With the session, source and duration of the header (without a header:
            ``session=None``, ``source`` = the file name, ``duration_ms=None``).

        Raises
        ------
        ProtocolError
            If a line is not JSON, is not an event line, the header is not the first line,
            the number of events does not match the header, or the file is empty. The
            error's ``field`` names the line (``"line 3"``).
        FileNotFoundError
            If there is no such file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from rtlab.events import EventLog
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "bad.jsonl"
        >>> _ = path.write_text('{"emitted_ms": 0, "event": {"type": "x"}}\\n{oops\\n')
        >>> EventLog.read_jsonl(path)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rtlab.errors.ProtocolError: The 'line 2' parameter of bad.jsonl must be a JSON object. ...
        """
        target = Path(path)
        owner = target.name
        try:
            text = target.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(
                "encoding", f"byte {exc.start}", "UTF-8 text (an rtlab event log)", owner=owner
            ) from exc
        header: dict[str, Any] | None = None
        events: list[dict[str, Any]] = []
        times: list[float] = []
        seen_line = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            field = f"line {number}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ProtocolError(field, line, "a JSON object", owner=owner) from exc
            if not isinstance(obj, dict):
                raise ProtocolError(field, line, "a JSON object", owner=owner)
            if obj.get("type") == HEADER_TYPE:
                if seen_line:
                    raise ProtocolError(
                        field, line, "an event line (the header comes first)", owner=owner
                    )
                header = _check_header(obj, field, owner)
            else:
                event = obj.get("event")
                t = obj.get("emitted_ms")
                if (
                    not isinstance(event, dict)
                    or not isinstance(event.get("type"), str)
                    or isinstance(t, bool)
                    or not isinstance(t, int | float)
                    or not math.isfinite(t)
                    or (times and t < times[-1])
                ):
                    raise ProtocolError(
                        field,
                        line,
                        'an event line {"emitted_ms": <ms, not before the previous line>, '
                        '"event": {"type": ...}}',
                        owner=owner,
                    )
                events.append(event)
                times.append(float(t))
            seen_line = True
        if not seen_line:
            raise ProtocolError(
                "line 1", "", "an rtlab event log (a header or event line)", owner=owner
            )
        if header is None:
            return cls(tuple(events), tuple(times), source=owner)
        if header["partial"]:  # written by rtlab.realtime.record while recording
            import warnings

            warnings.warn(
                f"{owner} is a partial recording: the recorder stopped before the end, so "
                f"these {len(events)} events may not be all of them.",
                UserWarning,
                stacklevel=2,
            )
        if header["n_events"] is not None and header["n_events"] != len(events):
            raise ProtocolError(
                "n_events",
                len(events),
                f"{header['n_events']} event lines as the header says (the file is truncated?)",
                owner=owner,
            )
        session = None
        if header["session"] is not None:
            try:
                session = _session_from_json(header["session"])
            except Exception as exc:
                raise ProtocolError(
                    "line 1", header["session"], "a valid session", owner=owner
                ) from exc
        return cls(
            tuple(events),
            tuple(times),
            session=session,
            source=header["source"],
            duration_ms=header["duration_ms"],
        )


@dataclass(frozen=True)
class TurnRecord:
    """One turn of an event log as :func:`read_turns` finds it (ms; NaN where the log is silent)."""

    item_id: Any
    started: bool  # a speech_started names it (else only a stop or a commit: a client commit)
    start_ms: float  # audio_start_ms of its speech_started
    started_at_ms: float  # when that speech_started was emitted
    end_ms: float  # audio_end_ms of the item's first speech_stopped that has one
    committed_at_ms: float  # when the item's first committed event was emitted
    committed: bool
    transcript: str | None  # the item's last transcription.completed transcript


@dataclass(frozen=True)
class LogTurns:
    """The turns, stops and idle timeouts of an event log (see :func:`read_turns`)."""

    turns: tuple[TurnRecord, ...]
    stops: tuple[tuple[float, Any], ...]  # (audio_end_ms, item_id) of every timed stop, by time
    timeouts: tuple[tuple[float, float, float], ...]  # (start_ms, end_ms, emitted_ms)


def read_turns(events: Sequence[Mapping[str, Any]], emitted_ms: Sequence[float]) -> LogTurns:
    """The turns of an event log, read once for :meth:`EventLog.turns`, metrics and plots.

    A turn per ``speech_started`` event, in log order, plus one per item that a
    ``speech_stopped`` or ``committed`` event names before any ``speech_started`` does (a
    client commit: ``started`` False), in order of appearance. Stops are the
    ``speech_stopped`` times (``audio_end_ms``) and the times of client commits (a
    ``committed`` of an item no ``speech_started``, ``speech_stopped`` or idle timeout named
    first: with ``turn_detection`` null the client ends the turn). Events are joined by
    ``item_id`` over the whole log (``None`` stands for an event without one). Times that
    are missing or not numbers are NaN; a timeout without its audio times spans its
    emission time.

    Examples
    --------
    >>> from rtlab.events import read_turns
    >>> events = [{"type": "input_audio_buffer.speech_started", "audio_start_ms": 100,
    ...            "item_id": "a"},
    ...           {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 900,
    ...            "item_id": "a"},
    ...           {"type": "input_audio_buffer.committed", "item_id": "a"}]
    >>> turn = read_turns(events, [400.0, 950.0, 950.0]).turns[0]
    >>> turn.start_ms, turn.started_at_ms, turn.end_ms, turn.committed_at_ms
    (100.0, 400.0, 900.0, 950.0)
    """
    stop_of: dict[Any, float] = {}
    commit_of: dict[Any, float] = {}
    transcript_of: dict[Any, str] = {}
    stops: list[tuple[float, Any]] = []
    timeouts: list[tuple[float, float, float]] = []
    rows: list[tuple[Any, bool, float, float]] = []  # item, started, start, started at
    seen: set[Any] = set()
    timed_out: set[Any] = set()  # items an idle timeout committed (not a turn end)
    for event, emitted in zip(events, emitted_ms, strict=True):
        kind, item = event["type"], event.get("item_id")
        if kind == SPEECH_STARTED:
            rows.append((item, True, float_or_nan(event.get("audio_start_ms")), float(emitted)))
            seen.add(item)
        elif kind in (SPEECH_STOPPED, COMMITTED):
            if item not in seen:
                rows.append((item, False, math.nan, math.nan))
                seen.add(item)
                if kind == COMMITTED and item not in timed_out:
                    # a client commit (turn_detection null): the client ended the turn here
                    stops.append((float(emitted), item))
                    stop_of.setdefault(item, float(emitted))
            if kind == COMMITTED:
                commit_of.setdefault(item, float(emitted))
                continue
            end = float_or_nan(event.get("audio_end_ms"))
            if math.isfinite(end):
                stops.append((end, item))
                stop_of.setdefault(item, end)
        elif kind == TIMEOUT_TRIGGERED:
            timed_out.add(item)
            start, end = (float_or_nan(event.get(k)) for k in ("audio_start_ms", "audio_end_ms"))
            at = float(emitted)
            timeouts.append(
                (at if math.isnan(start) else start, at if math.isnan(end) else end, at)
            )
        elif kind == TRANSCRIPTION_COMPLETED and event.get("transcript") is not None:
            transcript_of[item] = event["transcript"]
    stops.sort(key=lambda pair: pair[0])
    turns = tuple(
        TurnRecord(
            item_id=item,
            started=started,
            start_ms=start,
            started_at_ms=started_at,
            end_ms=stop_of.get(item, math.nan),
            committed_at_ms=commit_of.get(item, math.nan),
            committed=item in commit_of,
            transcript=transcript_of.get(item),
        )
        for item, started, start, started_at in rows
    )
    return LogTurns(turns, tuple(stops), tuple(timeouts))


def _check_one_time_each(events: Sequence[Any], times: Sequence[float], owner: str) -> None:
    if len(events) != len(times):
        raise ProtocolError(
            "emitted_ms", f"{len(times)} times for {len(events)} events", "one time per event",
            owner=owner,
        )  # fmt: skip


def _plain_event(event: Any, index: int, owner: str = "EventLog") -> dict[str, Any]:
    """A mapping with a string ``"type"`` as a plain dict, else a ProtocolError."""
    if isinstance(event, Mapping) and isinstance(event.get("type"), str):
        return event if type(event) is dict else dict(event)
    raise ProtocolError(f"events[{index}]", event, "a dict with a string 'type'", owner=owner)


def _times_ms(times: Iterable[Any], owner: str) -> tuple[float, ...]:
    """Emission times as floats; a value that is not a number is a ProtocolError."""
    out = []
    for index, t in enumerate(times):
        value = float_or_nan(t)
        if math.isnan(value) and not (isinstance(t, float | int) and not isinstance(t, bool)):
            raise ProtocolError(f"emitted_ms[{index}]", t, "a finite time in ms", owner=owner)
        out.append(value)
    return tuple(out)


def float_or_nan(value: Any) -> float:
    """An event's time field as a float; NaN when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _check_header(obj: dict[str, Any], field: str, owner: str) -> dict[str, Any]:
    source = obj.get("source", owner)
    duration = obj.get("duration_ms")
    n_events = obj.get("n_events")
    session = obj.get("session")
    version = obj.get("version", FORMAT_VERSION)
    ok = (
        version == FORMAT_VERSION
        and isinstance(source, str)
        and (
            duration is None
            or (isinstance(duration, int | float) and not isinstance(duration, bool))
        )
        and (n_events is None or (isinstance(n_events, int) and not isinstance(n_events, bool)))
        and (session is None or isinstance(session, dict))
    )
    if not ok:
        raise ProtocolError(
            field,
            obj,
            f'a header {{"type": "{HEADER_TYPE}", "version": {FORMAT_VERSION}, "source": str, '
            '"duration_ms": number|null, "n_events": int, "session": object|null}',
            owner=owner,
        )
    return {
        "source": source,
        "duration_ms": duration,
        "n_events": n_events,
        "session": session,
        "partial": obj.get("partial") is True,
    }


def _session_to_json(session: Session) -> dict[str, Any]:
    """The session as a JSON object that :func:`_session_from_json` restores exactly."""
    return json.loads(session.to_json())


def _session_from_json(obj: dict[str, Any]) -> Session:
    from rtlab.session import Session

    return Session.from_event(obj)
