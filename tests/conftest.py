"""Shared fixtures: an isolated network cache and the reference network, built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the tests' network cache apart from the user's."""
    path = tmp_path_factory.mktemp("cislink-cache")
    old = os.environ.get("CISLINK_CACHE_DIR")
    os.environ["CISLINK_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("CISLINK_CACHE_DIR", None)
    else:
        os.environ["CISLINK_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def network(_isolated_cache: Path):
    from cislink.orbits import build_network

    return build_network()


@pytest.fixture
def stderr_until():
    """Read a running command's standard error line by line until ``marker`` shows; what was read."""

    def read(p, marker: str, what: str) -> str:
        err = ""
        while marker not in err:
            line = p.stderr.readline()
            assert line, f"the command ended before {what}: {err}"
            err += line
        return err

    return read
