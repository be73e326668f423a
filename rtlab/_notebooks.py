"""Execute a notebook headless (for ``rtlab demo`` and the notebook tests)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from rtlab._io import atomic_write


def execute_notebook(path: str | Path, out: str | Path | None = None, *, timeout_s: int = 600):
    """Run every cell of the notebook at ``path`` in a fresh kernel and return it.

    The notebook runs with its own folder as working directory. ``out``, when given,
    receives the executed notebook (written atomically).

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell fails; the message shows the cell and the traceback.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout_s,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    # The kernel's own stderr carries only start-up chatter (e.g. ipykernel's warning about
    # unencrypted local TCP); errors and warnings of the cells arrive as cell outputs.
    client.execute(stderr=subprocess.DEVNULL)
    if out is not None:
        with atomic_write(out) as handle:
            nbformat.write(nb, handle)
    return nb
