"""Fit the emulator to recordings of a Realtime server, and report which documented rules hold.

:func:`calibrate` reads a folder written by :func:`rtlab.probe.run_probe` (the probe audio,
each session sent, the server's ``session.created`` / ``session.updated`` and every event)
and fits :class:`~rtlab.turns.EmulatorOptions` so that :func:`rtlab.detect` on the same
audio, with the session the server says it used, gives the events the server sent.

What is compared
    The *timed events*: ``speech_started.audio_start_ms``, ``speech_stopped.audio_end_ms``
    and ``timeout_triggered.audio_end_ms``. Per recording and event type, the recorded and
    the emulated times are aligned in order (dynamic programming); a matched pair costs
    ``|emulated − recorded|`` ms, an event only one log has costs :data:`UNMATCHED_MS`.
    A recording's *event-timing error* is that cost over the number of events
    (recorded plus unmatched emulated); :attr:`Calibration.error_ms_before` /
    :attr:`~Calibration.error_ms_after` are its median over the recordings, with the
    documented emulator (``EmulatorOptions()``) and with the fit.

What is fitted (grid searches on the summed cost; ties keep the value nearer the default)
    1. On the ``server_vad`` recordings: ``negative_threshold_offset`` (0 to 0.5 by 0.05)
       and ``min_speech_ms`` (1 to 10 VAD frames of 32 ms; one frame is reported as 0).
    2. Two constant shifts a server may add that no option of today's emulator has:
       :attr:`Calibration.start_shift_ms` (added to ``audio_start_ms``) and
       :attr:`~Calibration.end_shift_ms` (added to ``audio_end_ms``) of ``server_vad``
       turns: the median residual, kept only when it lowers the cost.
    3. On the ``semantic_vad`` recordings: ``semantic_prefix_padding_ms`` (from the median
       start residual), then ``semantic_min_wait_ms`` (1 to 25 frames) and
       ``semantic_wait_exponent`` (2^(k/4), k = -8..8: 0.25 to 4) jointly; the same pair is
       also fitted on each eagerness alone (:attr:`Calibration.semantic_by_eagerness`: the
       per-eagerness wait curve).
    4. ``min_speech_ms`` once more on all recordings (the semantic ones have onsets too),
       and if it changes, step 3 again.
    Session defaults are not emulator options: they are read from ``session.created``
    (:attr:`Calibration.session_defaults`) and the fit always uses the session the server
    reported in ``session.updated``.

:class:`Calibration` keeps the result: ``.options`` (plugs into :func:`rtlab.detect`,
:func:`rtlab.sweep` and :func:`rtlab.realtime.serve`), ``.report`` (the rules),
``.agreement`` (per recording, before and after, from :func:`rtlab.compare`), and
``.detect()``, which applies the per-eagerness curve and the shifts too.

Examples
--------
>>> import tempfile
>>> from rtlab.calibration import calibrate
>>> from rtlab.probe import probe_set, probe_sessions, run_probe
>>> from rtlab.realtime import serve
>>> from rtlab.turns import EmulatorOptions
>>> pauses = [p for p in probe_set() if p.name == "pauses"]
>>> cells = [c for c in probe_sessions() if c.probe == "pauses"]
>>> folder = tempfile.mkdtemp()
>>> with serve(options=EmulatorOptions(negative_threshold_offset=0.3)) as server:
...     _ = run_probe(folder, base_url=server.url, yes=True, probes=pauses, cells=cells,
...                   say=lambda text: None)
>>> cal = calibrate(folder)
>>> cal.options.negative_threshold_offset
0.3
>>> cal.error_ms_after < 0.2 * cal.error_ms_before
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtlab.errors import ConfigError
from rtlab.turns import EAGERNESS_MAX_WAIT_MS, EmulatorOptions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from rtlab.audio import Audio
    from rtlab.events import EventLog
    from rtlab.session import Session
    from rtlab.vad import FrameScores

__all__ = [
    "REPORT_COLUMNS",
    "UNMATCHED_MS",
    "Calibration",
    "calibrate",
    "event_errors",
    "load_emulator_options",
]

#: Cost (ms) of an event only one of two logs has.
UNMATCHED_MS = 1000.0

#: Columns of :attr:`Calibration.report`.
REPORT_COLUMNS = (
    "rule",
    "applies_to",
    "n_cases",
    "n_held",
    "held_rate",
    "holds",
    "residual_ms_before",
    "residual_ms_after",
    "documented",
    "observed",
)

#: Version of the JSON :meth:`Calibration.save` writes.
FILE_VERSION = 1

_OFFSETS = tuple(round(0.05 * k, 2) for k in range(11))
_MIN_SPEECH_FRAMES = tuple(range(1, 11))
_MIN_WAIT_FRAMES = tuple(range(1, 26))
_EXPONENTS = tuple(2.0 ** (k / 4.0) for k in range(-8, 9))
_SEMANTIC_KEYS = ("semantic_min_wait_ms", "semantic_wait_exponent")
_KINDS = ("start", "stop", "timeout")


# ---------------------------------------------------------------------------------------
# emulator options from JSON


def _option_names() -> tuple[str, ...]:
    if dataclasses.is_dataclass(EmulatorOptions):
        return tuple(f.name for f in dataclasses.fields(EmulatorOptions))
    return tuple(getattr(EmulatorOptions, "model_fields", {}))  # a pydantic EmulatorOptions


def _options_to_dict(options: EmulatorOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in _option_names()}


def _options_from_dict(values: Any, source: str) -> EmulatorOptions:
    owner = "load_emulator_options"
    names = _option_names()
    if not isinstance(values, dict):
        raise ConfigError(source, values, "a JSON object of EmulatorOptions fields", owner=owner)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(
            unknown[0],
            values[unknown[0]],
            "one of the EmulatorOptions fields: " + ", ".join(names),
            owner=owner,
        )
    return EmulatorOptions(**values)


def load_emulator_options(path: str | os.PathLike[str]) -> EmulatorOptions:
    """Read emulator options from a JSON file (``rtlab serve --emulator-options FILE``).

    Accepts a plain JSON object of :class:`~rtlab.turns.EmulatorOptions` fields (fields
    left out keep their defaults) or a file written by :meth:`Calibration.save` (its
    ``emulator_options``).

    Parameters
    ----------
    path : path
        The JSON file.

    Returns
    -------
    EmulatorOptions

    Raises
    ------
    ConfigError
        Not JSON, not an object, an unknown field, or a value EmulatorOptions refuses.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from rtlab.calibration import load_emulator_options
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "options.json"
    >>> _ = path.write_text(json.dumps({"min_speech_ms": 96, "negative_threshold_offset": 0.2}))
    >>> load_emulator_options(path)
    EmulatorOptions(negative_threshold_offset=0.2, min_speech_ms=96)
    >>> _ = path.write_text(json.dumps({"silence_ms": 5}))
    >>> load_emulator_options(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rtlab.errors.ConfigError: The 'silence_ms' parameter of load_emulator_options must be one of ...
    """
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            "path", str(path), "a readable JSON file", owner="load_emulator_options"
        ) from exc
    if isinstance(payload, dict) and payload.get("type") == "rtlab.calibration":
        payload = payload.get("emulator_options")
    return _options_from_dict(payload, "path")


# ---------------------------------------------------------------------------------------
# event timing


def _timed(log: EventLog) -> dict[str, np.ndarray]:
    """Sorted times (ms) of each timed event kind in a log."""
    out: dict[str, list[float]] = {kind: [] for kind in _KINDS}
    for event in log:
        kind = event.get("type")
        if kind == "input_audio_buffer.speech_started":
            out["start"].append(float(event["audio_start_ms"]))
        elif kind == "input_audio_buffer.speech_stopped":
            out["stop"].append(float(event["audio_end_ms"]))
        elif kind == "input_audio_buffer.timeout_triggered":
            out["timeout"].append(float(event["audio_end_ms"]))
    return {kind: np.sort(np.asarray(times, dtype=np.float64)) for kind, times in out.items()}


def _align(recorded: np.ndarray, emulated: np.ndarray) -> tuple[list[tuple[int, int]], float]:
    """Order-keeping alignment of two sorted time lists; (matched index pairs, total cost)."""
    n, m = recorded.size, emulated.size
    if n == 0 or m == 0:
        return [], UNMATCHED_MS * (n + m)
    cost = np.empty((n + 1, m + 1))
    cost[:, 0] = np.arange(n + 1) * UNMATCHED_MS
    cost[0, :] = np.arange(m + 1) * UNMATCHED_MS
    diff = np.abs(recorded[:, None] - emulated[None, :])
    for i in range(1, n + 1):
        row, prev = cost[i], cost[i - 1]
        d = diff[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + d[j - 1], prev[j] + UNMATCHED_MS, row[j - 1] + UNMATCHED_MS)
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + diff[i - 1, j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + UNMATCHED_MS:
            i -= 1
        else:
            j -= 1
    return pairs[::-1], float(cost[n, m])


def event_errors(recorded: EventLog, emulated: EventLog) -> pd.DataFrame:
    """Each timed event of two logs of the same audio, aligned: the timing error per event.

    Parameters
    ----------
    recorded, emulated : EventLog
        Typically a recording of a server and :func:`rtlab.detect` on the same audio.

    Returns
    -------
    pandas.DataFrame
        One row per recorded event and per emulated event left unmatched: ``kind``
        (``"start"``, ``"stop"``, ``"timeout"``), ``recorded_ms``, ``emulated_ms`` (NaN
        when the other log has no such event), ``delta_ms`` (emulated − recorded) and
        ``error_ms`` (``|delta_ms|``, or :data:`UNMATCHED_MS` when unmatched).

    Examples
    --------
    >>> import rtlab
    >>> from rtlab.calibration import event_errors
    >>> clip = rtlab.datasets.compose(["librivox/0880", "librivox/0930"], gaps_ms=1500,
    ...                               tail_ms=1000)
    >>> a = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
    >>> b = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=700))
    >>> event_errors(a, b)[["kind", "delta_ms"]].values.tolist()
    [['start', 0.0], ['start', 0.0], ['stop', 192.0], ['stop', 192.0]]
    >>> merged = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=2000))
    >>> event_errors(a, merged)["error_ms"].tolist()  # one long turn: three events unmatched
    [0.0, 1000.0, 1000.0, 1000.0]
    """
    import pandas as pd

    rows = []
    rec, emu = _timed(recorded), _timed(emulated)
    for kind in _KINDS:
        pairs, _ = _align(rec[kind], emu[kind])
        matched_r = {i: j for i, j in pairs}
        matched_e = {j for _, j in pairs}
        for i, t in enumerate(rec[kind].tolist()):
            if i in matched_r:
                e = float(emu[kind][matched_r[i]])
                rows.append((kind, t, e, e - t, abs(e - t)))
            else:
                rows.append((kind, t, math.nan, math.nan, UNMATCHED_MS))
        for j, e in enumerate(emu[kind].tolist()):
            if j not in matched_e:
                rows.append((kind, math.nan, e, math.nan, UNMATCHED_MS))
    return pd.DataFrame(
        rows, columns=["kind", "recorded_ms", "emulated_ms", "delta_ms", "error_ms"]
    ).astype({"recorded_ms": float, "emulated_ms": float, "delta_ms": float, "error_ms": float})


def _cost(rec: dict[str, np.ndarray], emu: dict[str, np.ndarray]) -> tuple[float, int]:
    """(total cost, number of events counted) of two timed-event sets."""
    total, count = 0.0, 0
    for kind in _KINDS:
        pairs, cost = _align(rec[kind], emu[kind])
        total += cost
        count += rec[kind].size + emu[kind].size - len(pairs)
    return total, count


def _deltas(rec: dict[str, np.ndarray], emu: dict[str, np.ndarray], kind: str) -> np.ndarray:
    pairs, _ = _align(rec[kind], emu[kind])
    return np.array([emu[kind][j] - rec[kind][i] for i, j in pairs], dtype=np.float64)


# ---------------------------------------------------------------------------------------
# recordings


@dataclass(frozen=True, eq=False)
class _Recording:
    id: str
    probe: str
    label: str
    audio: Audio
    truth: dict[str, Any]
    sent: Session
    session: Session  # what the server says it uses (session.updated), else what was sent
    created: dict[str, Any] | None
    log: EventLog
    scores: FrameScores
    timed: dict[str, np.ndarray]

    @property
    def kind(self) -> str:
        td = self.session.turn_detection
        return "off" if td is None else str(td.type)

    @property
    def eagerness(self) -> str:
        return str(getattr(self.session.turn_detection, "eagerness", "auto") or "auto")


def _effective_session(log: EventLog, sent: Session) -> Session:
    from rtlab.session import Session

    for event in log.of_type("session.updated"):
        try:
            return Session.from_event(event, warn=False)
        except (ValueError, TypeError):  # an unexpected shape: fall back to what was sent
            break
    return sent


def _load(folder: Path) -> list[_Recording]:
    from rtlab import vad
    from rtlab.audio import load_audio
    from rtlab.events import EventLog
    from rtlab.probe import read_index
    from rtlab.session import Session

    index = read_index(folder)
    audio_cache: dict[str, Audio] = {}
    scores_cache: dict[str, FrameScores] = {}
    truth_cache: dict[str, dict[str, Any]] = {}
    probes = {p["name"]: p for p in index.get("probes", [])}
    out = []
    for entry in index.get("recordings", []):
        name = entry["audio"]
        if name not in audio_cache:
            audio_cache[name] = load_audio(folder / name)
            scores_cache[name] = vad.score(audio_cache[name])
        probe = probes.get(entry["probe"], {})
        truth_path = probe.get("truth")
        if truth_path and truth_path not in truth_cache:
            truth_cache[truth_path] = json.loads((folder / truth_path).read_text("utf-8"))
        sent = Session.load(folder / entry["session"])
        log = EventLog.read_jsonl(folder / entry["events"])
        created_path = folder / entry["session_created"]
        created = json.loads(created_path.read_text("utf-8")) if created_path.exists() else None
        out.append(
            _Recording(
                id=entry["id"],
                probe=entry["probe"],
                label=entry["label"],
                audio=audio_cache[name],
                truth=truth_cache.get(truth_path, {}) if truth_path else {},
                sent=sent,
                session=_effective_session(log, sent),
                created=created,
                log=log,
                scores=scores_cache[name],
                timed=_timed(log),
            )
        )
    if not out:
        raise ConfigError(
            "folder", str(folder), "a probe folder with recordings", owner="calibrate"
        )
    return out


# ---------------------------------------------------------------------------------------
# the calibration value


@dataclass(frozen=True, eq=False)
class Calibration:
    """Emulator settings fitted to a server's recordings, and the evidence (see :func:`calibrate`).

    Attributes
    ----------
    options : EmulatorOptions
        The fitted options: pass to :func:`rtlab.detect`, :func:`rtlab.sweep`,
        :func:`rtlab.realtime.serve` (``options=``) or save them for
        ``rtlab serve --emulator-options``.
    report : pandas.DataFrame
        One row per documented rule (columns :data:`REPORT_COLUMNS`): how many cases were
        checked, how many held, whether the rule holds (every case), the median timing
        residual (ms) of the documented emulator and of the fitted one, the documented
        value and what was observed.
    agreement : pandas.DataFrame
        One row per recording: :func:`rtlab.compare` of the recording with the documented
        emulator (``*_before``) and with the fitted one (``*_after``): matched / missing /
        extra turns, median start and end offsets, and the event-timing error.
    start_shift_ms, end_shift_ms : float
        Added to ``audio_start_ms`` / ``audio_end_ms`` of ``server_vad`` turns by
        :meth:`detect` (0 when the evidence shows none).
    semantic_by_eagerness : dict
        ``{eagerness: {"semantic_min_wait_ms": ..., "semantic_wait_exponent": ...}}`` fitted
        on each eagerness's recordings alone (``options`` holds the joint fit).
    session_defaults : dict
        The ``turn_detection`` (and ``input_audio_format``) the server announced in
        ``session.created``, as recorded (empty when none was recorded).
    error_ms_before, error_ms_after : float
        Median over recordings of the event-timing error (ms), documented vs fitted.
    source : str
        The folder the recordings came from.
    """

    options: EmulatorOptions
    report: pd.DataFrame
    agreement: pd.DataFrame
    start_shift_ms: float = 0.0
    end_shift_ms: float = 0.0
    semantic_by_eagerness: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    session_defaults: dict[str, Any] = dataclasses.field(default_factory=dict)
    error_ms_before: float = math.nan
    error_ms_after: float = math.nan
    source: str = ""

    @property
    def error_reduction(self) -> float:
        """``1 − error_ms_after / error_ms_before`` (NaN when there was no error before)."""
        if not self.error_ms_before > 0:
            return math.nan
        return 1.0 - self.error_ms_after / self.error_ms_before

    def options_for(self, session: Session | None) -> EmulatorOptions:
        """The options for one session: ``options`` with the eagerness's own wait curve."""
        td = getattr(session, "turn_detection", None)
        if td is not None and td.type == "semantic_vad":
            eagerness = td.eagerness or "auto"
            key = "medium" if eagerness == "auto" else eagerness
            curve = self.semantic_by_eagerness.get(key)
            if curve:
                return self.options.replace(**curve)
        return self.options

    def detect(
        self, audio_or_scores: Audio | FrameScores, session: Session | None = None
    ) -> EventLog:
        """:func:`rtlab.detect` with the calibration: per-eagerness curve and shifts applied.

        Parameters
        ----------
        audio_or_scores : Audio or FrameScores
        session : Session, optional
            Default ``Session()``.

        Returns
        -------
        EventLog
        """
        from rtlab.session import Session
        from rtlab.turns import detect

        session = session if session is not None else Session()
        log = detect(audio_or_scores, session, options=self.options_for(session))
        return _shifted(log, self.start_shift_ms, self.end_shift_ms)

    # -- files ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON object :meth:`save` writes."""
        return {
            "type": "rtlab.calibration",
            "version": FILE_VERSION,
            "emulator_options": _options_to_dict(self.options),
            "start_shift_ms": self.start_shift_ms,
            "end_shift_ms": self.end_shift_ms,
            "semantic_by_eagerness": self.semantic_by_eagerness,
            "session_defaults": self.session_defaults,
            "error_ms_before": _json_number(self.error_ms_before),
            "error_ms_after": _json_number(self.error_ms_after),
            "source": self.source,
            "report": _records(self.report),
            "agreement": _records(self.agreement),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the calibration as JSON, atomically; :meth:`load` reads it back.

        Its ``emulator_options`` object is what ``rtlab serve --emulator-options`` reads
        (:func:`load_emulator_options` accepts the whole file).
        """
        from rtlab._io import atomic_write

        target = Path(path)
        with atomic_write(target, encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2, allow_nan=False)
            handle.write("\n")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Calibration:
        """Read a file written by :meth:`save`.

        Raises
        ------
        ConfigError
            Not a calibration file.
        """
        import pandas as pd

        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(
                "path", str(path), "a calibration JSON file", owner="Calibration.load"
            ) from exc
        if not isinstance(payload, dict) or payload.get("type") != "rtlab.calibration":
            raise ConfigError(
                "path", str(path), "a file written by Calibration.save", owner="Calibration.load"
            )
        report = pd.DataFrame(payload.get("report") or [], columns=list(REPORT_COLUMNS))
        return cls(
            options=_options_from_dict(payload.get("emulator_options"), "emulator_options"),
            report=report,
            agreement=pd.DataFrame(payload.get("agreement") or []),
            start_shift_ms=float(payload.get("start_shift_ms", 0.0)),
            end_shift_ms=float(payload.get("end_shift_ms", 0.0)),
            semantic_by_eagerness=dict(payload.get("semantic_by_eagerness") or {}),
            session_defaults=dict(payload.get("session_defaults") or {}),
            error_ms_before=_nan_if_none(payload.get("error_ms_before")),
            error_ms_after=_nan_if_none(payload.get("error_ms_after")),
            source=str(payload.get("source", "")),
        )

    def __repr__(self) -> str:
        shifts = ""
        if self.start_shift_ms or self.end_shift_ms:
            shifts = f", start_shift_ms={self.start_shift_ms:g}, end_shift_ms={self.end_shift_ms:g}"
        return (
            f"Calibration({self.options!r}{shifts}, error_ms {self.error_ms_before:.0f} -> "
            f"{self.error_ms_after:.0f}, {len(self.agreement)} recordings)"
        )

    def _repr_html_(self) -> str:
        import html

        head = html.escape(repr(self))
        return f"<div><p><b>{head}</b></p>{self.report.to_html(index=False, border=0)}</div>"


def _json_number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _nan_if_none(value: Any) -> float:
    return math.nan if value is None else float(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            clean[str(key)] = value
        out.append(clean)
    return out


def _shifted(log: EventLog, start_shift_ms: float, end_shift_ms: float) -> EventLog:
    """Move ``audio_start_ms`` / ``audio_end_ms`` of server_vad turns (never below 0)."""
    td = getattr(log.session, "turn_detection", None)
    if (not start_shift_ms and not end_shift_ms) or td is None or td.type != "server_vad":
        return log
    events = []
    for event in log:
        kind = event.get("type")
        if kind == "input_audio_buffer.speech_started" and start_shift_ms:
            event = {
                **event,
                "audio_start_ms": max(0, round(event["audio_start_ms"] + start_shift_ms)),
            }
        elif kind == "input_audio_buffer.speech_stopped" and end_shift_ms:
            event = {**event, "audio_end_ms": max(0, round(event["audio_end_ms"] + end_shift_ms))}
        events.append(event)
    from rtlab.events import EventLog

    return EventLog(
        tuple(events),
        log.emitted_ms,
        session=log.session,
        source=log.source,
        duration_ms=log.duration_ms,
    )


# ---------------------------------------------------------------------------------------
# fitting


class _Fitter:
    """Runs the emulator on every recording for candidate options, and scores the result."""

    def __init__(self, recordings: list[_Recording]) -> None:
        self.recordings = recordings

    def emulate(
        self, rec: _Recording, options: EmulatorOptions, shifts: tuple[float, float] = (0.0, 0.0)
    ) -> EventLog:
        from rtlab.turns import detect

        return _shifted(detect(rec.scores, rec.session, options=options), *shifts)

    def cost(
        self,
        recs: list[_Recording],
        options: EmulatorOptions,
        shifts: tuple[float, float] = (0.0, 0.0),
    ) -> list[float]:
        return [_cost(r.timed, _timed(self.emulate(r, options, shifts)))[0] for r in recs]

    def deltas(self, recs: list[_Recording], options: EmulatorOptions, kind: str) -> np.ndarray:
        parts = [_deltas(r.timed, _timed(self.emulate(r, options)), kind) for r in recs]
        return np.concatenate(parts) if parts else np.zeros(0)


def _hop_ms(recordings: list[_Recording]) -> float:
    return float(recordings[0].scores.hop_ms)


def _fit_server(
    fitter: _Fitter, recs: list[_Recording], base: EmulatorOptions, hop: float
) -> tuple[EmulatorOptions, tuple[float, float]]:
    if not recs:
        return base, (0.0, 0.0)
    best, best_cost = base, sum(fitter.cost(recs, base))
    for frames in _MIN_SPEECH_FRAMES:
        for offset in _OFFSETS:
            candidate = base.replace(
                negative_threshold_offset=offset,
                min_speech_ms=0.0 if frames == 1 else frames * hop,
            )
            total = sum(fitter.cost(recs, candidate))
            if total < best_cost - 1e-9:
                best, best_cost = candidate, total
    shifts = [0.0, 0.0]
    for position, kind in ((0, "start"), (1, "stop")):
        delta = fitter.deltas(recs, best, kind)
        if delta.size == 0:
            continue
        trial = list(shifts)
        trial[position] = -float(np.round(np.median(delta)))
        if trial[position] and sum(fitter.cost(recs, best, (trial[0], trial[1]))) < best_cost:
            shifts = trial
            best_cost = sum(fitter.cost(recs, best, (shifts[0], shifts[1])))
    return best, (shifts[0], shifts[1])


def _fit_min_speech(
    fitter: _Fitter, recs: list[_Recording], base: EmulatorOptions, hop: float
) -> EmulatorOptions:
    best, best_cost = base, sum(fitter.cost(recs, base))
    for frames in _MIN_SPEECH_FRAMES:
        candidate = base.replace(min_speech_ms=0.0 if frames == 1 else frames * hop)
        total = sum(fitter.cost(recs, candidate))
        if total < best_cost - 1e-9:
            best, best_cost = candidate, total
    return best


def _fit_semantic(
    fitter: _Fitter, recs: list[_Recording], base: EmulatorOptions, hop: float
) -> tuple[EmulatorOptions, dict[str, dict[str, float]]]:
    if not recs:
        return base, {}
    # prefix padding from the start residuals (emulated − recorded = true − assumed padding)
    delta = fitter.deltas(recs, base, "start")
    if delta.size:
        prefix = max(0.0, base.semantic_prefix_padding_ms + float(np.round(np.median(delta))))
        candidate = base.replace(semantic_prefix_padding_ms=prefix)
        if sum(fitter.cost(recs, candidate)) < sum(fitter.cost(recs, base)):
            base = candidate
    # the wait curve, jointly and per eagerness. The turn-end model is asked when a pause has
    # lasted min_wait (whole frames), so each frame count costs one Smart Turn run per pause:
    # a coarse pass every third frame (through the default's), then the frames around the
    # best; within the best frame count only the curve changes (no model runs), so the
    # value in ms is refined there in eighths of a frame.
    default_frames = math.ceil(base.semantic_min_wait_ms / hop - 1e-9)
    default_ms = base.semantic_min_wait_ms
    default_exponent = base.semantic_wait_exponent
    costs: dict[tuple[float, float], list[float]] = {}

    def evaluate(min_wait_ms: float) -> None:
        for exponent in _EXPONENTS:
            if (min_wait_ms, exponent) not in costs:
                candidate = base.replace(
                    semantic_min_wait_ms=min_wait_ms, semantic_wait_exponent=exponent
                )
                costs[(min_wait_ms, exponent)] = fitter.cost(recs, candidate)

    def frame_value(frames: int) -> float:
        # the default's own value for its frame count, else the frame's upper edge
        return default_ms if frames == default_frames else frames * hop

    def pick(columns: list[int], keys: Any = None) -> tuple[float, float]:
        def rank(key: tuple[float, float]) -> tuple[float, float]:
            total = sum(costs[key][c] for c in columns)
            distance = abs(key[0] - default_ms) / hop + abs(math.log2(key[1] / default_exponent))
            return round(total, 6), distance  # ties: the pair nearest the default

        return min(keys if keys is not None else costs, key=rank)

    everyone = list(range(len(recs)))
    coarse = sorted(
        {f for f in _MIN_WAIT_FRAMES if (f - default_frames) % 3 == 0} | {default_frames}
    )
    for frames in coarse:
        evaluate(frame_value(frames))
    best_frames = math.ceil(pick(everyone)[0] / hop - 1e-9)
    for frames in range(best_frames - 2, best_frames + 3):
        if frames in _MIN_WAIT_FRAMES:
            evaluate(frame_value(frames))

    def refine(columns: list[int]) -> tuple[float, float]:
        frames = math.ceil(pick(columns)[0] / hop - 1e-9)
        for eighth in range(1, 9):
            evaluate((frames - 1) * hop + hop * eighth / 8.0)
        return pick(columns)

    min_wait_ms, exponent = refine(everyone)
    fitted = base.replace(semantic_min_wait_ms=min_wait_ms, semantic_wait_exponent=exponent)
    by_eagerness: dict[str, dict[str, float]] = {}
    for eagerness in sorted({r.eagerness for r in recs}):
        columns = [i for i, r in enumerate(recs) if r.eagerness == eagerness]
        m, e = refine(columns)
        key = "medium" if eagerness == "auto" else eagerness
        by_eagerness[key] = {"semantic_min_wait_ms": m, "semantic_wait_exponent": e}
    return fitted, by_eagerness


def calibrate(
    folder: str | os.PathLike[str], *, tolerance_ms: float = 32.0, margin_ms: float = 250.0
) -> Calibration:
    """Fit the emulator to the recordings in a probe folder and check the documented rules.

    Parameters
    ----------
    folder : path
        Written by :func:`rtlab.probe.run_probe` (``rtlab probe --out DIR``).
    tolerance_ms : float >= 0, default 32
        A timing rule "holds" for an event when the recorded time is within this of the
        emulated one (one VAD frame: another server's VAD may differ by a frame).
    margin_ms : float >= 0, default 250
        Slack of the rules checked against the probes' truth (word times from forced
        alignment; a VAD hears a word end some frames late).

    Returns
    -------
    Calibration

    Raises
    ------
    ConfigError
        Not a probe folder, or a bad tolerance.

    Notes
    -----
    The module docstring lists what is compared and fitted. Turn detection is re-run on
    the probe audio as saved (``probes/*.wav``) with the session each recording's
    ``session.updated`` reports.
    """
    import pandas as pd

    from rtlab import _check

    tolerance_ms = _check.number(
        tolerance_ms, "tolerance_ms", owner="calibrate", low=0.0, unit="ms"
    )
    margin_ms = _check.number(margin_ms, "margin_ms", owner="calibrate", low=0.0, unit="ms")
    root = Path(folder)
    recordings = _load(root)
    fitter = _Fitter(recordings)
    hop = _hop_ms(recordings)
    server = [r for r in recordings if r.kind == "server_vad"]
    semantic = [r for r in recordings if r.kind == "semantic_vad"]
    documented = EmulatorOptions()
    options, shifts = _fit_server(fitter, server, documented, hop)
    options, by_eagerness = _fit_semantic(fitter, semantic, options, hop)
    if semantic:
        # onsets in the semantic recordings can tell a minimum speech length the server_vad
        # probes could not: refit it on every recording, then the wait curve again
        refit = _fit_min_speech(fitter, server + semantic, options, hop)
        if refit != options:
            options, by_eagerness = _fit_semantic(fitter, semantic, refit, hop)

    before = {r.id: fitter.emulate(r, documented) for r in recordings}
    partial = Calibration(
        options=options,
        report=pd.DataFrame(columns=list(REPORT_COLUMNS)),
        agreement=pd.DataFrame(),
        semantic_by_eagerness=by_eagerness,
        start_shift_ms=shifts[0],
        end_shift_ms=shifts[1],
    )
    after = {r.id: partial.detect(r.scores, r.session) for r in recordings}
    agreement = _agreement(recordings, before, after)
    report = _report(recordings, before, after, tolerance_ms, margin_ms)
    return Calibration(
        options=options,
        report=report,
        agreement=agreement,
        semantic_by_eagerness=by_eagerness,
        session_defaults=_session_defaults(recordings),
        error_ms_before=float(agreement["error_ms_before"].median()),
        error_ms_after=float(agreement["error_ms_after"].median()),
        source=str(root),
        start_shift_ms=shifts[0],
        end_shift_ms=shifts[1],
    )


# ---------------------------------------------------------------------------------------
# agreement and the report


def _mean_error(rec: dict[str, np.ndarray], emu: dict[str, np.ndarray]) -> float:
    total, count = _cost(rec, emu)
    return total / count if count else 0.0


def _agreement(
    recordings: list[_Recording], before: dict[str, EventLog], after: dict[str, EventLog]
) -> pd.DataFrame:
    import pandas as pd

    from rtlab.agreement import compare

    rows = []
    for r in recordings:
        row: dict[str, Any] = {"recording": r.id, "probe": r.probe, "label": r.label}
        for tag, logs in (("before", before), ("after", after)):
            result = compare(r.log, logs[r.id], names=("recorded", f"emulated ({tag})"))
            row[f"matched_{tag}"] = result.matched
            row[f"missing_{tag}"] = result.missing
            row[f"extra_{tag}"] = result.extra
            row[f"start_offset_ms_{tag}"] = result.start_offset_ms_median
            row[f"end_offset_ms_{tag}"] = result.end_offset_ms_median
            row[f"error_ms_{tag}"] = _mean_error(r.timed, _timed(logs[r.id]))
        rows.append(row)
    return pd.DataFrame(rows)


def _median_abs(values: list[float]) -> float:
    array = np.abs(np.asarray(values, dtype=np.float64))
    return float(np.median(array)) if array.size else math.nan


def _timing_rule(
    rule: str,
    applies_to: str,
    recs: list[_Recording],
    kind: str,
    before: dict[str, EventLog],
    after: dict[str, EventLog],
    tolerance_ms: float,
    documented: str,
) -> dict[str, Any]:
    """A rule checked event by event against the documented emulator."""
    n_cases = n_held = 0
    res_before: list[float] = []
    res_after: list[float] = []
    for r in recs:
        rec = r.timed[kind]
        n_cases += rec.size
        emu_b = _timed(before[r.id])[kind]
        pairs, _ = _align(rec, emu_b)
        deltas = [emu_b[j] - rec[i] for i, j in pairs]
        res_before += deltas
        n_held += sum(abs(d) <= tolerance_ms for d in deltas)
        emu_a = _timed(after[r.id])[kind]
        pairs, _ = _align(rec, emu_a)
        res_after += [emu_a[j] - rec[i] for i, j in pairs]
    observed = (
        f"median emulated − recorded {float(np.median(res_before)):+.0f} ms"
        if res_before
        else "no events"
    )
    return _row(rule, applies_to, n_cases, n_held, res_before, res_after, documented, observed)


def _row(
    rule: str,
    applies_to: str,
    n_cases: int,
    n_held: int,
    res_before: list[float] | None,
    res_after: list[float] | None,
    documented: str,
    observed: str,
) -> dict[str, Any]:
    return {
        "rule": rule,
        "applies_to": applies_to,
        "n_cases": int(n_cases),
        "n_held": int(n_held),
        "held_rate": n_held / n_cases if n_cases else math.nan,
        "holds": bool(n_cases) and n_held == n_cases,
        "residual_ms_before": _median_abs(res_before) if res_before is not None else math.nan,
        "residual_ms_after": _median_abs(res_after) if res_after is not None else math.nan,
        "documented": documented,
        "observed": observed,
    }


def _silence_ms(rec: _Recording) -> float:
    return float(getattr(rec.session.turn_detection, "silence_duration_ms", 500))


def _speech_end_before(truth: dict[str, Any], at_ms: float) -> float | None:
    ends = [b for a, b in truth.get("speech_ms", []) if b <= at_ms]
    return max(ends) if ends else None


def _session_defaults(recordings: list[_Recording]) -> dict[str, Any]:
    from rtlab.session import Session

    for r in recordings:
        if r.created:
            try:
                session = Session.from_event(r.created, warn=False)
            except (ValueError, TypeError):
                continue
            td = session.turn_detection
            return {
                "turn_detection": None if td is None else td.model_dump(mode="json"),
                "input_audio_format": session.input_audio_format,
            }
    return {}


def _report(
    recordings: list[_Recording],
    before: dict[str, EventLog],
    after: dict[str, EventLog],
    tolerance_ms: float,
    margin_ms: float,
) -> pd.DataFrame:
    import pandas as pd

    from rtlab.agreement import compare
    from rtlab.session import Session

    server = [r for r in recordings if r.kind == "server_vad"]
    semantic = [r for r in recordings if r.kind == "semantic_vad"]
    rows = []
    rows.append(
        _timing_rule(
            "speech_started.audio_start_ms = onset − prefix_padding_ms (>= 0, >= last commit)",
            "server_vad",
            server,
            "start",
            before,
            after,
            tolerance_ms,
            "onset − prefix_padding_ms",
        )
    )
    rows.append(
        _timing_rule(
            "speech_stopped.audio_end_ms = last speech + silence_duration_ms",
            "server_vad",
            server,
            "stop",
            before,
            after,
            tolerance_ms,
            "last speech frame + silence_duration_ms",
        )
    )

    # truth: a pause ends the turn when it is longer than silence_duration_ms
    n_cases = n_held = 0
    split_wrong = []
    for r in (r for r in server if r.probe == "pauses"):
        silence = _silence_ms(r)
        stops = r.timed["stop"]
        for fact in r.truth.get("facts", []):
            if fact.get("kind") != "pause":
                continue
            pause = float(fact["pause_ms"])
            if silence < pause < silence + margin_ms:
                continue  # too close to call with word times from forced alignment
            expected = pause >= silence + margin_ms
            split = bool(np.any((stops > fact["start_ms"]) & (stops <= fact["end_ms"] + margin_ms)))
            n_cases += 1
            n_held += split == expected
            if split != expected:
                split_wrong.append(f"{pause:.0f} ms at silence {silence:.0f}")
    rows.append(
        _row(
            "a pause ends the turn only when it lasts silence_duration_ms",
            "server_vad (probe truth)",
            n_cases,
            n_held,
            None,
            None,
            f"pauses <= silence_duration_ms keep the turn; >= silence + {margin_ms:.0f} ms end it",
            "as documented" if not split_wrong else "differs: " + "; ".join(split_wrong[:4]),
        )
    )

    # truth: audio_end_ms − the last word's end − silence_duration_ms is the VAD's lag
    lags = []
    for r in (r for r in server if r.probe in ("pauses", "idle")):  # clean, full-level speech
        silence = _silence_ms(r)
        for stop in r.timed["stop"].tolist():
            end = _speech_end_before(r.truth, stop)
            if end is not None:
                lags.append(stop - end - silence)
    held = sum(-tolerance_ms <= lag <= margin_ms for lag in lags)
    rows.append(
        _row(
            "speech_stopped.audio_end_ms − last word end = silence_duration_ms (+ VAD lag)",
            "server_vad (probe truth: pauses, idle)",
            len(lags),
            held,
            None,
            None,
            f"lag in [-{tolerance_ms:.0f}, {margin_ms:.0f}] ms",
            f"median lag {float(np.median(lags)):.0f} ms" if lags else "no stops",
        )
    )

    # protocol: every speech_stopped is followed by the commit of the same item
    n_cases = n_held = 0
    for r in server + semantic:
        events = list(r.log)
        for k, event in enumerate(events):
            if event.get("type") != "input_audio_buffer.speech_stopped":
                continue
            n_cases += 1
            later = [e for e in events[k + 1 :] if e.get("type") == "input_audio_buffer.committed"]
            n_held += bool(later) and later[0].get("item_id") == event.get("item_id")
    rows.append(
        _row(
            "each speech_stopped is followed by input_audio_buffer.committed of its item",
            "server_vad, semantic_vad",
            n_cases,
            n_held,
            None,
            None,
            "committed with the same item_id",
            f"{n_held} of {n_cases}",
        )
    )

    # idle timeout
    n_cases = n_held = 0
    res_before: list[float] = []
    res_after: list[float] = []
    spans = []
    for r in server:
        idle = getattr(r.session.turn_detection, "idle_timeout_ms", None)
        if idle is None:
            continue
        for event in r.log.of_type("input_audio_buffer.timeout_triggered"):
            span = float(event["audio_end_ms"]) - float(event["audio_start_ms"])
            spans.append(span)
            n_cases += 1
            n_held += abs(span - float(idle)) <= tolerance_ms
        for logs, out in ((before, res_before), (after, res_after)):
            emu = _timed(logs[r.id])["timeout"]
            pairs, _ = _align(r.timed["timeout"], emu)
            out += [emu[j] - r.timed["timeout"][i] for i, j in pairs]
    rows.append(
        _row(
            "timeout_triggered after idle_timeout_ms of silence (audio_end_ms − audio_start_ms)",
            "server_vad idle_timeout_ms",
            n_cases,
            n_held,
            res_before,
            res_after,
            "idle_timeout_ms (rounded up to a VAD frame)",
            f"spans {sorted({round(s) for s in spans})} ms" if spans else "no timeouts",
        )
    )

    rows.append(
        _timing_rule(
            "speech_started.audio_start_ms = onset − 300 ms (rtlab's assumption)",
            "semantic_vad",
            semantic,
            "start",
            before,
            after,
            tolerance_ms,
            "onset − semantic_prefix_padding_ms (300)",
        )
    )
    rows.append(
        _timing_rule(
            "speech_stopped.audio_end_ms = pause start + wait(turn-end probability, eagerness)",
            "semantic_vad",
            semantic,
            "stop",
            before,
            after,
            tolerance_ms,
            "min_wait + (cap − min_wait)·(1 − p)^exponent",
        )
    )

    # truth: semantic_vad never waits longer than the eagerness cap
    n_cases = n_held = 0
    worst: dict[str, float] = {}
    for r in semantic:
        cap = EAGERNESS_MAX_WAIT_MS.get(r.eagerness, EAGERNESS_MAX_WAIT_MS["auto"])
        for stop in r.timed["stop"].tolist():
            end = _speech_end_before(r.truth, stop)
            if end is None:
                continue
            wait = stop - end
            n_cases += 1
            n_held += wait <= cap + margin_ms
            worst[r.eagerness] = max(worst.get(r.eagerness, 0.0), wait)
    rows.append(
        _row(
            "semantic_vad ends a turn no later than the eagerness cap (8 / 4 / 2 s)",
            "semantic_vad (probe truth)",
            n_cases,
            n_held,
            None,
            None,
            "low 8000, medium/auto 4000, high 2000 ms",
            ", ".join(f"{e}: longest wait {w:.0f} ms" for e, w in sorted(worst.items()))
            or "no stops",
        )
    )

    # turns: the documented emulator finds the same turns
    n_cases = n_held = 0
    err_before, err_after = [], []
    for r in server + semantic:
        result = compare(r.log, before[r.id])
        n_cases += result.matched + result.missing + result.extra
        n_held += result.matched
        err_before.append(_mean_error(r.timed, _timed(before[r.id])))
        err_after.append(_mean_error(r.timed, _timed(after[r.id])))
    rows.append(
        _row(
            "the server finds the turns the documented emulator finds, and no others",
            "server_vad, semantic_vad",
            n_cases,
            n_held,
            err_before,
            err_after,
            "same turns (rtlab.compare)",
            f"{n_held} of {n_cases} turns matched",
        )
    )

    # session.updated echoes what was sent
    n_cases = n_held = 0
    differ = []
    for r in recordings:
        td_sent = r.sent.turn_detection
        if td_sent is None or not r.log.of_type("session.updated"):
            continue
        td = r.session.turn_detection
        for name in sorted(td_sent.model_fields_set):
            n_cases += 1
            ok = td is not None and getattr(td, name, None) == getattr(td_sent, name)
            n_held += ok
            if not ok:
                differ.append(f"{r.label}.{name}")
    rows.append(
        _row(
            "session.updated echoes every turn_detection value sent",
            "session.update",
            n_cases,
            n_held,
            None,
            None,
            "the values sent",
            "as sent" if not differ else "differs: " + ", ".join(sorted(set(differ))[:5]),
        )
    )

    # documented defaults, as announced in session.created
    documented_td = Session().turn_detection
    checks: list[tuple[str, Any]] = [
        ("turn_detection.type", "server_vad"),
        ("turn_detection.threshold", getattr(documented_td, "threshold", 0.5)),
        ("turn_detection.prefix_padding_ms", getattr(documented_td, "prefix_padding_ms", 300)),
        ("turn_detection.silence_duration_ms", getattr(documented_td, "silence_duration_ms", 500)),
        ("input_audio_format", "pcm16"),
    ]
    created = []
    for r in recordings:
        if not r.created:
            continue
        try:
            created.append(Session.from_event(r.created, warn=False))
        except (ValueError, TypeError):
            continue
    for path, value in checks:
        seen: list[Any] = []
        for session in created:
            if path == "input_audio_format":
                seen.append(session.input_audio_format)
            else:
                td = session.turn_detection
                seen.append(None if td is None else getattr(td, path.split(".")[1], None))
        held = sum(v == value for v in seen)
        observed = ", ".join(sorted({repr(v) for v in seen})) if seen else "no session.created"
        rows.append(
            _row(
                f"session.created default {path} = {value!r}",
                "session.created",
                len(seen),
                held,
                None,
                None,
                repr(value),
                observed,
            )
        )
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
