"""Where the shipped clips live: the datasets folder and its manifest.

Below both :mod:`rtlab.datasets` (which reads clips and their truth) and :mod:`rtlab.noise`
(whose babble is made of the shipped speech), so neither imports the other for it.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtlab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rtlab.audio import Audio

MANIFEST = "manifest.json"
#: The clips babble is made of by default: the LibriVox reader and the AMI meetings.
BABBLE_PATTERNS = ("librivox/*", "ami-*")


def candidate_folders() -> list[Path]:
    """The folders the clips are looked for in, in order of preference.

    ``[$RTLAB_DATASETS]`` when that variable is set and not empty (taken as given, so a
    wrong setting is reported, not skipped); otherwise ``rtlab/_data`` inside the installed
    package (a wheel maps ``datasets/`` there as package data, see ``pyproject.toml``) and
    then ``datasets/`` beside the package folder (a checkout or an editable install).

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


def root() -> Path:
    """The first of :func:`candidate_folders` with a manifest; ConfigError if none has one."""
    folders = candidate_folders()
    for folder in folders:
        if (folder / MANIFEST).is_file():
            return folder
    env = os.environ.get("RTLAB_DATASETS")
    where = "$RTLAB_DATASETS" if env else "the rtlab package (rtlab/_data) or its checkout"
    raise ConfigError(
        "RTLAB_DATASETS",
        str(folders[0]),
        f"a folder holding rtlab's clips and their {MANIFEST}",
        owner="rtlab.datasets",
        fix=f"No {MANIFEST} in {where} ({folders[0]}). Reinstall rtlab (its wheel carries "
        "the clips) or set RTLAB_DATASETS to a folder of clips with a manifest.json.",
    )


def manifest() -> tuple[Path, dict[str, Any]]:
    """The folder and its parsed manifest (``clips`` list, ``collections`` dict)."""
    folder = root()
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{path}:{err.lineno}",
            err.msg,
            "valid JSON",
            message=f"Line {err.lineno} of {path} is not valid JSON: {err.msg}.",
        ) from err
    if not isinstance(data, dict) or not isinstance(data.get("clips"), list):
        raise ConfigError(str(path), type(data).__name__, "an object with a 'clips' list")
    data.setdefault("collections", {})
    return folder, data


def speech(patterns: Sequence[str] = BABBLE_PATTERNS) -> tuple[Audio, ...]:
    """The audio of the shipped clips whose names match ``patterns`` (sorted by name).

    Kept per folder and manifest version (path, size, modification time), so a changed
    manifest or ``$RTLAB_DATASETS`` is read afresh.
    """
    folder = root()
    stat = (folder / MANIFEST).stat()
    return _speech(str(folder), stat.st_size, stat.st_mtime_ns, tuple(patterns))


@functools.lru_cache(maxsize=2)
def _speech(folder: str, size: int, mtime_ns: int, patterns: tuple[str, ...]) -> tuple[Audio, ...]:
    from rtlab.audio import load_audio

    base, data = manifest()
    entries = sorted(data["clips"], key=lambda e: e["name"])
    return tuple(
        load_audio(base / entry["audio"])
        for pattern in patterns
        for entry in entries
        if fnmatch.fnmatchcase(entry["name"], pattern)
    )
