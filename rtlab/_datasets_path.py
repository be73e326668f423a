"""Where the shipped clips are: a checkout, an installed wheel, or a folder the user names.

The clips live in one folder with a ``manifest.json``. It is looked for, in this order:

1. ``$RTLAB_DATASETS`` when set (a folder of the user's own clips, or a checkout's
   ``datasets/``), taken as given so that a wrong setting is reported, not skipped;
2. ``rtlab/_data`` inside the installed package: a wheel built from the repository maps
   ``datasets/`` there as package data (see ``pyproject.toml``);
3. ``datasets/`` beside the ``rtlab`` package folder: a checkout, or an editable install.

Examples
--------
>>> from rtlab._datasets_path import clips_folder
>>> (clips_folder() / "manifest.json").is_file()
True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["MANIFEST", "candidate_folders", "clips_folder"]

#: The file that marks a folder of clips and lists them.
MANIFEST = "manifest.json"


def candidate_folders() -> list[Path]:
    """The folders :func:`clips_folder` would consider, in order of preference.

    Returns
    -------
    list of pathlib.Path
        ``[$RTLAB_DATASETS]`` when that variable is set and not empty; otherwise the package
        data folder ``rtlab/_data`` and then the checkout's ``datasets/``.

    Examples
    --------
    >>> [p.name for p in candidate_folders()][-2:] if "RTLAB_DATASETS" not in os.environ else []
    ['_data', 'datasets']
    """
    env = os.environ.get("RTLAB_DATASETS")
    if env:
        return [Path(env)]
    package = Path(__file__).resolve().parent
    return [package / "_data", package.parent / "datasets"]


def clips_folder() -> Path:
    """The folder the clips are read from (not checked: the caller reports a missing one).

    Returns
    -------
    pathlib.Path
        The first of :func:`candidate_folders` that holds a ``manifest.json``; when none
        does, the first candidate (``$RTLAB_DATASETS``, else ``rtlab/_data``), so that the
        caller's error names where the clips were expected.

    Examples
    --------
    >>> clips_folder().is_dir()
    True
    """
    folders = candidate_folders()
    for folder in folders:
        if (folder / MANIFEST).is_file():
            return folder
    return folders[0]
