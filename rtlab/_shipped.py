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


def root() -> Path:
    """``$RTLAB_DATASETS``, else ``datasets/`` beside the package; ConfigError if no manifest."""
    import rtlab

    env = os.environ.get("RTLAB_DATASETS")
    folder = Path(env) if env else Path(rtlab.__file__).resolve().parents[1] / "datasets"
    if not (folder / MANIFEST).is_file():
        where = "$RTLAB_DATASETS" if env else "the datasets/ folder beside the rtlab package"
        raise ConfigError(
            "RTLAB_DATASETS",
            str(folder),
            f"a folder holding rtlab's clips and their {MANIFEST}",
            owner="rtlab.datasets",
            fix=f"No {MANIFEST} in {where} ({folder}). Install rtlab from a checkout "
            "(pip install -e .) or set RTLAB_DATASETS to the datasets/ folder of one.",
        )
    return folder


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
