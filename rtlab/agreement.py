"""How well two event logs of the same audio agree: calibrating the emulator to the live API.

Record the live API on your own audio (:func:`rtlab.realtime.record`), run the emulator on
the same audio (:func:`rtlab.detect`), and :func:`compare` the two: which turns both found,
which only the reference found (*missing* from the emulated log), which only the emulator
found (*extra*), and by how many ms the turn boundaries differ. Change the emulator's
options (or the session) until the offsets are small, then trust its sweeps.

Examples
--------
>>> import rtlab
>>> clip = rtlab.datasets.load("ami-debug/trn01")
>>> reference = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
>>> emulated = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=800))
>>> result = rtlab.compare(reference, emulated)
>>> result.matched + result.missing == len(reference.turns())
True
>>> result.start_offset_ms_median
0.0
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rtlab import _check
from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from rtlab.annotation import Annotation
    from rtlab.audio import Audio
    from rtlab.events import EventLog

__all__ = ["Agreement", "compare"]

#: Columns of :attr:`Agreement.table`.
TABLE_COLUMNS = (
    "status",
    "reference_item_id",
    "emulated_item_id",
    "reference_start_ms",
    "emulated_start_ms",
    "start_offset_ms",
    "reference_end_ms",
    "emulated_end_ms",
    "end_offset_ms",
    "overlap_ms",
)


@dataclass(frozen=True, eq=False)
class Agreement:
    """The agreement of two event logs of the same audio (made by :func:`compare`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per turn, in time order, columns :data:`TABLE_COLUMNS`: ``status``
        (``"matched"``, ``"missing"``: only in the reference, ``"extra"``: only in the
        emulated log), both logs' ``item_id`` / start / end (ms, NaN where a log has no
        such turn or the turn never stopped), ``start_offset_ms`` and ``end_offset_ms``
        (emulated minus reference: positive means the emulator is later) and
        ``overlap_ms`` of the two spans.
    matched, missing, extra : int
        Counts of the three statuses.
    start_offset_ms_median, end_offset_ms_median : float
        Median boundary offsets over matched turns (NaN when there are none).
    tolerance_ms : float
        The matching tolerance used.
    reference, emulated : EventLog
        The two logs.
    names : tuple of str
        Labels of the two logs in plots and tables.
    """

    table: pd.DataFrame
    matched: int
    missing: int
    extra: int
    start_offset_ms_median: float
    end_offset_ms_median: float
    tolerance_ms: float
    reference: EventLog
    emulated: EventLog
    names: tuple[str, str] = ("reference", "emulated")

    def summary(self) -> pd.Series:
        """The numbers as a pandas Series (counts, medians, mean absolute offsets).

        Examples
        --------
        >>> import rtlab
        >>> clip = rtlab.datasets.load("ami-lhotse/ES2011a")
        >>> log = rtlab.detect(clip.audio, rtlab.Session())
        >>> summary = rtlab.compare(log, log).summary()
        >>> float(summary["matched"]), float(summary["end_offset_ms_abs_mean"])
        (1.0, 0.0)
        """
        import pandas as pd

        matched = self.table[self.table["status"] == "matched"]
        return pd.Series(
            {
                "matched": self.matched,
                "missing": self.missing,
                "extra": self.extra,
                "start_offset_ms_median": self.start_offset_ms_median,
                "end_offset_ms_median": self.end_offset_ms_median,
                "start_offset_ms_abs_mean": _nanmean(matched["start_offset_ms"].abs()),
                "end_offset_ms_abs_mean": _nanmean(matched["end_offset_ms"].abs()),
                "tolerance_ms": self.tolerance_ms,
            }
        )

    def plot(self, audio: Audio, *, truth: Annotation | None = None, **kwargs: Any) -> Figure:
        """Draw both logs one above the other with :func:`rtlab.plot.side_by_side`.

        Parameters
        ----------
        audio : Audio
            The clip both logs were made from.
        truth : Annotation, optional
            Ground truth to draw and mark outcomes against.
        **kwargs
            Passed to :func:`rtlab.plot.side_by_side` (``start_s``, ``end_s``, ``scores``, ...).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from rtlab.plot import side_by_side

        logs = {self.names[0]: self.reference, self.names[1]: self.emulated}
        return side_by_side(audio, logs, truth=truth, **kwargs)

    def __repr__(self) -> str:
        return (
            f"Agreement(matched={self.matched}, missing={self.missing}, extra={self.extra}, "
            f"start_offset_ms_median={_fmt(self.start_offset_ms_median)}, "
            f"end_offset_ms_median={_fmt(self.end_offset_ms_median)}, "
            f"tolerance_ms={self.tolerance_ms:g})"
        )

    def _repr_html_(self) -> str:
        caption = html.escape(
            f"{self.names[0]} vs {self.names[1]}: {self.matched} matched, {self.missing} missing, "
            f"{self.extra} extra; median offset start {_fmt(self.start_offset_ms_median)} ms, "
            f"end {_fmt(self.end_offset_ms_median)} ms (emulated − reference)"
        )
        body = self.table.to_html(
            index=False, na_rep="", float_format=lambda v: f"{v:.0f}", border=0
        )
        return f"<div class='rtlab-agreement'><p><b>{caption}</b></p>{body}</div>"


def _fmt(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:g}"


def _nanmean(values: Any) -> float:
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    return float(array.mean()) if array.size else math.nan


def _nanmedian(values: list[float]) -> float:
    import numpy as np

    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    return float(np.median(array)) if array.size else math.nan


def _spans(log: EventLog) -> list[dict[str, Any]]:
    """Each turn of ``log`` with a span to match on (an open turn runs to the audio's end)."""
    turns = log.turns()
    rows = []
    for row in turns.itertuples(index=False):
        start = float(row.start_ms)
        end = float(row.end_ms)
        if math.isnan(start):
            continue
        if math.isnan(end):
            span_end = max(start, float(log.duration_ms)) if log.duration_ms is not None else start
        else:
            span_end = max(start, end)
        rows.append({"item_id": row.item_id, "start": start, "end": end, "span_end": span_end})
    return rows


def compare(
    reference_log: EventLog,
    emulated_log: EventLog,
    *,
    tolerance_ms: float = 500.0,
    names: tuple[str, str] = ("reference", "emulated"),
) -> Agreement:
    """Compare the turns of two event logs of the same audio.

    Two turns (one per log) are the same turn when their spans (``audio_start_ms`` of
    ``speech_started`` to ``audio_end_ms`` of ``speech_stopped``; a turn that never
    stopped runs to the end of the audio) overlap, or their starts lie within
    ``tolerance_ms`` of each other. Each turn is matched at most once: pairs are taken
    greedily by largest overlap, then smallest start offset, so when one log merges two
    turns of the other, the merged turn matches the one it overlaps most and the other
    counts as missing (or extra).

    Parameters
    ----------
    reference_log : EventLog
        The log taken as truth, typically a recording of the live API
        (:func:`rtlab.realtime.record`).
    emulated_log : EventLog
        The log to check, typically :func:`rtlab.detect` on the same audio.
    tolerance_ms : float >= 0, default 500
        Starts this close (ms) match even if the spans do not overlap.
    names : tuple of two str, default ("reference", "emulated")
        Labels for plots and the HTML table.

    Returns
    -------
    Agreement
        ``table`` (per turn), ``matched`` / ``missing`` / ``extra`` counts, median start
        and end offsets (emulated − reference, ms), ``plot(audio, truth=None)``.

    Raises
    ------
    ConfigError
        If a log is not an EventLog or ``tolerance_ms`` is not a finite number >= 0.

    Examples
    --------
    >>> import rtlab
    >>> clip = rtlab.datasets.load("ami-debug/trn01")
    >>> api_like = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=500))
    >>> slower = rtlab.detect(clip.audio, rtlab.ServerVad(silence_duration_ms=700))
    >>> result = rtlab.compare(api_like, slower)
    >>> result.matched, result.missing, result.extra
    (2, 0, 0)
    >>> result.end_offset_ms_median  # 200 ms more silence, in whole 32 ms frames
    192.0
    """
    import pandas as pd

    from rtlab.events import EventLog

    for name, log in (("reference_log", reference_log), ("emulated_log", emulated_log)):
        if not isinstance(log, EventLog):
            raise ConfigError(name, type(log).__name__, "an rtlab EventLog", owner="compare")
    tolerance_ms = _check.number(
        tolerance_ms, "tolerance_ms", owner="compare", low=0.0, allowed="a finite number of ms >= 0"
    )
    if not (
        isinstance(names, tuple | list)
        and len(names) == 2
        and all(isinstance(n, str) for n in names)
    ):
        raise ConfigError("names", names, "a tuple of two strings", owner="compare")

    ref = _spans(reference_log)
    emu = _spans(emulated_log)
    candidates = []
    for i, r in enumerate(ref):
        for j, e in enumerate(emu):
            overlap = min(r["span_end"], e["span_end"]) - max(r["start"], e["start"])
            start_gap = abs(e["start"] - r["start"])
            if overlap > 0 or start_gap <= tolerance_ms:
                candidates.append((-max(overlap, 0.0), start_gap, i, j, max(overlap, 0.0)))
    candidates.sort()
    pair_of_ref: dict[int, tuple[int, float]] = {}
    used_emu: set[int] = set()
    for _, _, i, j, overlap in candidates:
        if i in pair_of_ref or j in used_emu:
            continue
        pair_of_ref[i] = (j, overlap)
        used_emu.add(j)

    rows = []
    for i, r in enumerate(ref):
        if i in pair_of_ref:
            j, overlap = pair_of_ref[i]
            e = emu[j]
            rows.append(
                {
                    "status": "matched",
                    "reference_item_id": r["item_id"],
                    "emulated_item_id": e["item_id"],
                    "reference_start_ms": r["start"],
                    "emulated_start_ms": e["start"],
                    "start_offset_ms": e["start"] - r["start"],
                    "reference_end_ms": r["end"],
                    "emulated_end_ms": e["end"],
                    "end_offset_ms": e["end"] - r["end"],
                    "overlap_ms": overlap,
                }
            )
        else:
            rows.append(_lone("missing", r, reference=True))
    rows += [_lone("extra", e, reference=False) for j, e in enumerate(emu) if j not in used_emu]
    rows.sort(key=lambda row: min(_start_of(row), math.inf))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for column in TABLE_COLUMNS[3:]:
        table[column] = table[column].astype("float64")
    table["reference_item_id"] = table["reference_item_id"].astype(object)
    table["emulated_item_id"] = table["emulated_item_id"].astype(object)
    matched = table[table["status"] == "matched"]
    return Agreement(
        table=table,
        matched=len(matched),
        missing=int((table["status"] == "missing").sum()),
        extra=int((table["status"] == "extra").sum()),
        start_offset_ms_median=_nanmedian(matched["start_offset_ms"].tolist()),
        end_offset_ms_median=_nanmedian(matched["end_offset_ms"].tolist()),
        tolerance_ms=float(tolerance_ms),
        reference=reference_log,
        emulated=emulated_log,
        names=(str(names[0]), str(names[1])),
    )


def _lone(status: str, turn: dict[str, Any], *, reference: bool) -> dict[str, Any]:
    mine, other = ("reference", "emulated") if reference else ("emulated", "reference")
    return {
        "status": status,
        f"{mine}_item_id": turn["item_id"],
        f"{other}_item_id": None,
        f"{mine}_start_ms": turn["start"],
        f"{other}_start_ms": math.nan,
        "start_offset_ms": math.nan,
        f"{mine}_end_ms": turn["end"],
        f"{other}_end_ms": math.nan,
        "end_offset_ms": math.nan,
        "overlap_ms": 0.0,
    }


def _start_of(row: dict[str, Any]) -> float:
    values = [row["reference_start_ms"], row["emulated_start_ms"]]
    finite = [v for v in values if not math.isnan(v)]
    return min(finite) if finite else math.inf
