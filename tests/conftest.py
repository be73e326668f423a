"""Shared fixtures: real clips from datasets/, a private score cache, the Agg backend, a server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"
# Tests never read or write the user's cache: one fresh cache per test run.
os.environ["RTLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlab-test-cache-")

import pytest
from _helpers import ROOT

DATASETS = ROOT / "datasets"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The repository's datasets/ folder."""
    return DATASETS


@pytest.fixture(scope="module")
def server():
    """A local Realtime server (``rtlab.realtime.serve``), one per test module."""
    from rtlab.realtime import serve

    with serve() as handle:
        yield handle
