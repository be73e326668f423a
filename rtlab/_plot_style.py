"""The one palette and the font sizes every rtlab plot uses (no rcParams are touched).

Colours are the Okabe–Ito set, which stays distinguishable under the common forms of
colour-vision deficiency; each role in a plot (speech, padding, silence tail, truth, ...)
maps to one of them, so the same thing has the same colour in every picture.
"""

from __future__ import annotations

from types import MappingProxyType

_OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

#: Named colours: the eight Okabe–Ito colours plus grey, and the role each plays in rtlab's
#: plots. Read-only; pass ``color=...`` to a plotting function to override one drawing.
PALETTE = MappingProxyType(
    {
        **_OKABE_ITO,
        "waveform": "#6E6E6E",
        "probability": _OKABE_ITO["blue"],
        "threshold": _OKABE_ITO["vermillion"],
        "speech": _OKABE_ITO["blue"],
        "padding": _OKABE_ITO["sky_blue"],
        "silence": _OKABE_ITO["orange"],
        "open": _OKABE_ITO["grey"],
        "commit": _OKABE_ITO["black"],
        "timeout": _OKABE_ITO["purple"],
        "truth": _OKABE_ITO["green"],
        "false_cutoff": _OKABE_ITO["vermillion"],
        "missed": _OKABE_ITO["orange"],
        "false_turn": _OKABE_ITO["purple"],
        "hit": _OKABE_ITO["green"],
        "transcript": _OKABE_ITO["black"],
        "faint": _OKABE_ITO["grey"],
        "front": _OKABE_ITO["vermillion"],
        "default": _OKABE_ITO["black"],
        "recommended": _OKABE_ITO["green"],
    }
)

#: Font sizes in points, chosen to read well in a notebook cell at the default figure widths.
FONTSIZE = MappingProxyType(
    {"title": 13, "label": 11, "tick": 10, "legend": 10, "annotation": 9, "small": 8}
)

#: Colour map for heatmaps: perceptually uniform and readable with colour-vision deficiency.
SEQUENTIAL_CMAP = "cividis"


def axes_or_current(ax):
    """``ax``, or when it is None the current Axes of pyplot (``plt.gca()``)."""
    if ax is None:
        import matplotlib.pyplot as plt

        return plt.gca()
    return ax


def style_axes(ax, *, grid: bool = False) -> None:
    """Apply rtlab's tick sizes and a light look to one Axes (the Axes only, never rcParams)."""
    ax.tick_params(labelsize=FONTSIZE["tick"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(True, color=PALETTE["grey"], alpha=0.25, linewidth=0.6)
        ax.set_axisbelow(True)
