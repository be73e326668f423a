"""Small pieces every rtlab widget uses: error labels, PNG rendering, value parsing."""

from __future__ import annotations

import html
import io
import json
from typing import Any

import ipywidgets as w

from rtlab.errors import RtlabError

#: Marker for "the field is not set" (left out of the payload, read as the API default).
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()

ERROR_STYLE = "color:#b00020;font-size:0.9em;line-height:1.3;white-space:normal"
NOTE_STYLE = "color:#555;font-size:0.9em;line-height:1.3;white-space:normal"
LABEL_WIDTH = "190px"


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


def describe_style() -> dict[str, str]:
    return {"description_width": LABEL_WIDTH}


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
