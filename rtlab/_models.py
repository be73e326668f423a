"""Where rtlab's neural models come from, and the onnxruntime sessions that run them.

No weights are downloaded: Silero VAD (``silero_vad.onnx``) and Smart Turn v3
(``smart-turn-v3*.onnx``) are data files inside the installed ``pipecat-ai`` wheel. They are
found through the distribution's file list (:mod:`importlib.metadata`), so ``pipecat`` itself
is never imported (it logs on import).

Sessions are cached per process: :func:`session` checks the name, then returns a session
from a :func:`functools.cache`, so each model file is loaded once and shared by every caller
(onnxruntime sessions are safe to ``run`` from several threads at once).
``session.cache_clear()`` drops them.

Examples
--------
>>> from rtlab._models import model_path
>>> model_path("silero_vad").name
'silero_vad.onnx'
>>> model_path("smart_turn").name.startswith("smart-turn-v3")
True
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.metadata
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from rtlab.errors import ConfigError, ModelNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    import onnxruntime

__all__ = ["MODEL_NAMES", "model_path", "session"]

ModelName = Literal["silero_vad", "smart_turn"]

DISTRIBUTION = "pipecat-ai"
_INSTALL_HINT = "Install it with `pip install pipecat-ai` (its wheel ships the model files)."

# model name -> glob on the file name inside the pipecat-ai distribution
_PATTERNS: dict[str, str] = {
    "silero_vad": "silero_vad.onnx",
    "smart_turn": "smart-turn-v3*.onnx",
}
MODEL_NAMES: tuple[str, ...] = tuple(_PATTERNS)

# intra-op threads per model on a small machine: Silero is run from up to two Python threads
# at once (onnxruntime releases the GIL), each single-threaded, which measured faster than one
# run with two intra-op threads; Smart Turn's transformer uses both cores within one run.
_INTRA_OP_THREADS: dict[str, int] = {"silero_vad": 1, "smart_turn": 2}


def _check_name(name: object, owner: str = "model_path") -> ModelName:
    if not isinstance(name, str) or name not in _PATTERNS:
        allowed = " or ".join(repr(n) for n in _PATTERNS)
        raise ConfigError("name", name, allowed, owner=owner)
    return cast("ModelName", name)


def model_path(name: ModelName) -> Path:
    """Locate a model file inside the installed ``pipecat-ai`` distribution.

    Parameters
    ----------
    name : {"silero_vad", "smart_turn"}
        ``"silero_vad"`` finds ``silero_vad.onnx`` (Silero VAD v5);
        ``"smart_turn"`` finds ``smart-turn-v3*.onnx`` (the newest v3.x if several).

    Returns
    -------
    pathlib.Path
        Absolute path of the existing ``.onnx`` file.

    Raises
    ------
    ModelNotFoundError
        ``pipecat-ai`` is not installed, or its wheel holds no such file.
    ConfigError
        ``name`` is not one of the names above.

    Examples
    --------
    >>> model_path("silero_vad").suffix
    '.onnx'
    """
    pattern = _PATTERNS[_check_name(name)]
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            "name",
            name,
            f"a model shipped by the '{DISTRIBUTION}' package, which is not installed",
            owner="model_path",
            fix=_INSTALL_HINT,
        ) from exc
    candidates = sorted(
        (f for f in (dist.files or ()) if fnmatch.fnmatch(f.name, pattern)),
        key=lambda f: f.name,
    )
    for record in reversed(candidates):  # newest version name last in sort order
        located = dist.locate_file(record)
        if not isinstance(located, os.PathLike):  # e.g. inside a zip: no file to load
            continue
        path = Path(os.fspath(located)).resolve()
        if path.is_file():
            return path
    raise ModelNotFoundError(
        "name",
        name,
        f"a model whose file matches {pattern!r} inside the installed '{DISTRIBUTION}' "
        f"{dist.version}, which holds none",
        owner="model_path",
        fix=_INSTALL_HINT,
    )


def session(name: ModelName) -> onnxruntime.InferenceSession:
    """Return the process-wide onnxruntime session for a model (loaded on first use).

    The session is cached with :func:`functools.cache`: one per model per process.
    It runs on the CPU execution provider, sequential execution, one inter-op thread, and
    ``1`` (Silero) or ``min(2, cpu_count)`` (Smart Turn) intra-op threads.

    Parameters
    ----------
    name : {"silero_vad", "smart_turn"}

    Returns
    -------
    onnxruntime.InferenceSession

    Raises
    ------
    ModelNotFoundError
        See :func:`model_path`.
    ConfigError
        ``name`` is not one of the names above (checked before the cache is consulted, so
        unhashable values fail the same way).

    Examples
    --------
    >>> [i.name for i in session("silero_vad").get_inputs()]
    ['input', 'state', 'sr']
    """
    return _session(_check_name(name, owner="session"))


@functools.cache
def _session(name: ModelName) -> onnxruntime.InferenceSession:
    import onnxruntime as ort

    path = model_path(name)
    options = ort.SessionOptions()
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = max(1, min(_INTRA_OP_THREADS[name], os.cpu_count() or 1))
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


session.cache_clear = _session.cache_clear  # type: ignore[attr-defined]
