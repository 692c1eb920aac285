"""The disk cache: a second start reads arcs without importing the orbital library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cislink.orbits import build_network

PROBE = """
import sys, json
from cislink.orbits import build_network
net = build_network()
print(json.dumps({"arcs": len(net), "library_imported": any(m in sys.modules for m in ("boinor", "poliastro"))}))
"""


def _probe(cache: Path) -> dict:
    env = {**os.environ, "CISLINK_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_second_start_reads_the_cache_without_the_library(tmp_path: Path, network) -> None:
    # ``network`` (session fixture) has filled the session cache; copy it to a fresh folder.
    src = Path(os.environ["CISLINK_CACHE_DIR"])
    for f in src.glob("network-*.json"):
        (tmp_path / f.name).write_text(f.read_text())
    result = _probe(tmp_path)
    assert result == {"arcs": 62, "library_imported": False}


def test_cache_key_changes_with_node_data(tmp_path: Path, monkeypatch) -> None:
    from cislink.scenarios.nodes import REFERENCE_NODES

    monkeypatch.setenv("CISLINK_CACHE_DIR", str(tmp_path))
    build_network()
    nodes = [n.model_copy(update={"altitude_km": 400.0}) if n.name == "leo" else n for n in REFERENCE_NODES]
    net = build_network(nodes=nodes)
    assert len(list(tmp_path.glob("network-*.json"))) == 2
    assert net.arc("leo", "geo").dv_m_s < 3900  # a higher LEO needs less to reach GEO


def test_corrupt_cache_is_recomputed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CISLINK_CACHE_DIR", str(tmp_path))
    build_network()
    (path,) = tmp_path.glob("network-*.json")
    path.write_text("{not json")
    assert len(build_network()) == 62
    json.loads(path.read_text())  # rewritten whole
