"""Small pieces every rtlab widget uses: error labels, PNG rendering, value parsing."""

from __future__ import annotations

import html
import io
import json
import typing
from typing import Any

import ipywidgets as w
from pydantic import BaseModel

from rtlab.errors import RtlabError
from rtlab.session import limits, meta

#: Marker for "the field is not set" (left out of the payload, read as the API default).
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()

ERROR_STYLE = "color:#b00020;font-size:0.9em;line-height:1.3;white-space:normal"
NOTE_STYLE = "color:#555;font-size:0.9em;line-height:1.3;white-space:normal"


def error_label() -> w.HTML:
    """An empty HTML label that shows an error next to a field."""
    return w.HTML("", layout=w.Layout(margin="0 0 0 8px", flex="1 1 auto"))


def show_error(label: w.HTML, error: BaseException | str | None) -> None:
    """Write ``error`` (an exception or text) into ``label``, or clear it when None."""
    if error is None:
        label.value = ""
        return
    label.value = f"<span style='{ERROR_STYLE}'>⚠ {html.escape(str(error))}</span>"


def note_html(text: str) -> str:
    """A grey explanatory note."""
    return f"<span style='{NOTE_STYLE}'>{html.escape(text)}</span>"


def row(widget: w.Widget, label: w.HTML) -> w.HBox:
    """A field and its error label side by side."""
    return w.HBox([widget, label], layout=w.Layout(align_items="center"))


def hint(cls: type[BaseModel], name: str) -> str:
    """A field's default, range, null, API and example, read from the model's field.

    Examples
    --------
    >>> from rtlab.session import ServerVad, Session, Tracing
    >>> hint(Session, "temperature"), hint(ServerVad, "idle_timeout_ms")
    ('default 0.8 (0.6 to 1.2; beta only)', 'unset (5000 to 30000 or null; GA only)')
    >>> hint(Tracing, "metadata")
    'unset (e.g. {"team": "voice"})'
    """
    info, extra = cls.model_fields[name], meta(cls, name)
    low, high = limits(cls, name)
    span = [f"{low} to {high}"] if low is not None and high is not None else []
    if "off" in extra:
        span.append("or null")
    notes = [" ".join(span)] if span else []
    if "api" in extra:
        notes.append(f"{'GA' if extra['api'] == 'ga' else 'beta'} only")
    if info.default is None and info.examples:
        notes.append(f"e.g. {json.dumps(info.examples[0], ensure_ascii=False).strip(chr(34))}")
    head = "unset" if info.default is None else f"default {info.default}"
    return f"{head} ({'; '.join(notes)})" if notes else head


def field_values(cls: type[BaseModel], name: str) -> list[Any]:
    """The values of a ``Literal`` field, or the ``examples`` of a free one, from the model."""
    info = cls.model_fields[name]
    if typing.get_origin(info.annotation) is typing.Literal:
        return list(typing.get_args(info.annotation))
    return list(info.examples or ())


def parse_text(text: str) -> Any:
    """Read a free-text field: ``""`` = unset, ``null``/``None`` = None, numbers as numbers.

    Anything else stays a string, so the session's own validation judges it (and its error
    message shows exactly what was typed).
    """
    text = text.strip()
    if not text:
        return UNSET
    if text in ("null", "None", "none"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def text_of(value: Any) -> str:
    """The inverse of :func:`parse_text` for showing a value in a text field."""
    if value is UNSET:
        return ""
    if value is None:
        return "null"
    return str(value)


def json_block(payload: Any) -> str:
    """Indented JSON text (non-ASCII kept)."""
    return json.dumps(payload, indent=2, ensure_ascii=False)


def figure_png(fig) -> bytes:
    """PNG bytes of a :class:`matplotlib.figure.Figure`, drawn with the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def canvas_png(canvas) -> bytes:
    """PNG bytes of what an Agg canvas holds now (no redraw; fast, level-1 compression)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def is_rtlab_error(exc: BaseException) -> bool:
    return isinstance(exc, RtlabError)
