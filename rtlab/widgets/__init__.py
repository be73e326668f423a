"""Jupyter widgets for rtlab (ipywidgets 8): thin views over the core functions.

- :class:`SessionBuilder`: every field of a :class:`rtlab.Session` as a form in sections,
  errors shown under the field, a live beta / GA ``session.update`` preview beside it,
  copy and save.
- :class:`Tuner`: sliders for turn detection on one clip; the timeline and the metrics
  against the ground truth follow every change (cached scores, < 100 ms per change).
- :class:`Annotator`: mark, play and adjust the true turns of a recording; save a truth CSV.
- :class:`SweepRunner`: choose parameters and ranges, run :func:`rtlab.sweep`, see the
  heatmap and the Pareto front, load a row into a Tuner.

Every widget is an :class:`ipywidgets.VBox`; its controls are attributes (set their
``.value`` to drive it from code) and ``.value`` is the current :class:`rtlab.Session`.
Each fits a 1280x800 JupyterLab window with the file browser open (checked with
screenshots in ``tests/test_browser.py``).
Every callback builds a Session or calls a core function, so all logic is tested without a
browser. Importing this module imports ipywidgets (``import rtlab`` alone does not).

Examples
--------
>>> import rtlab
>>> builder = rtlab.widgets.SessionBuilder(rtlab.Session(voice="marin"))
>>> builder.voice.value
'marin'
"""

from __future__ import annotations

from rtlab.widgets._annotator import Annotator
from rtlab.widgets._builder import SessionBuilder
from rtlab.widgets._sweep_runner import SweepRunner, parse_values
from rtlab.widgets._tuner import Tuner

__all__ = ["Annotator", "SessionBuilder", "SweepRunner", "Tuner", "parse_values"]
