"""Small file helpers shared by every stage: atomic writes and the user cache folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rtlab.errors import StorageError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **kwargs: object) -> Iterator[IO]:
    """Open a temporary file beside ``path`` and move it into place only if the block succeeds.

    A crash or exception inside the block leaves any existing file at ``path`` untouched and no
    half-written file behind. The file gets the permissions ``open`` would give a new file
    (``0o666`` less the umask), not the private ``0o600`` of a temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> with atomic_write(target) as f:
    ...     _ = f.write("{}")
    >>> target.read_text()
    '{}'
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise StorageError(
            "path",
            str(target),
            "a file in a folder rtlab can create and write to",
            fix=f"{exc.strerror or exc}.",
        ) from exc
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, mode, **kwargs) as handle:  # type: ignore[call-overload]
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)  # elsewhere the only way to read it; set straight back
    os.umask(mask)
    return mask


def cache_dir() -> Path:
    """Where rtlab caches computed values: ``$RTLAB_CACHE_DIR`` or ``~/.cache/rtlab``."""
    root = os.environ.get("RTLAB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rtlab"
    )
    return Path(root)


def write_cache(path: Path, write: Any) -> None:
    """Write a cache file atomically with ``write(handle)``; warn instead of failing.

    A cache only saves time: when its folder cannot be written (``$RTLAB_CACHE_DIR``
    unwritable, a full disk) the value is still returned to the caller, and a
    ``RuntimeWarning`` says the cache was not kept and how to choose another folder.
    """
    import warnings

    try:
        with atomic_write(path, "wb") as handle:
            write(handle)
    except StorageError as exc:
        warnings.warn(
            f"rtlab could not keep a cache file ({exc}); it will compute the value again next "
            "time. Set RTLAB_CACHE_DIR to a writable folder, or pass cache=False.",
            RuntimeWarning,
            stacklevel=3,
        )
