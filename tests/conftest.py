"""Shared fixtures: real clips from datasets/, a private score cache, the Agg backend."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ["MPLBACKEND"] = "Agg"
# Tests never read or write the user's cache: one fresh cache per test run.
os.environ["RTLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlab-test-cache-")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The repository's datasets/ folder."""
    return DATASETS
