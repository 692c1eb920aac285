"""The orbit network: a directed graph of nodes and arcs with delta-v, time of flight and margins.

``build_network`` computes every arc of the study's topology (section IV: all space nodes are
connected to each other; a surface site connects only to the lowest circular orbit of its body,
so earth-leo, lsp-llo and mars-lmo), adds debris margins, applies a scenario's overrides and
returns a :class:`Network` wrapping a ``networkx.DiGraph``.

The computed arcs are cached on disk by a hash of the node data, the debris model and the code
version, so a second start neither imports the orbital library nor pays its JIT compilation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import networkx as nx

from cislink import __version__
from cislink.errors import NetworkError
from cislink.scenarios.nodes import REFERENCE_NODES, ArcOverride, NodeSpec, TopologyError, topology

log = logging.getLogger(__name__)

#: Bump when the arc physics changes, so cached networks are recomputed.
MODEL_VERSION = "orbits-1"


@dataclass(frozen=True)
class Arc:
    """One directed arc. ``dv_m_s`` excludes ``debris_margin_m_s``; ``dv_total_m_s`` includes it."""

    origin: str
    destination: str
    dv_m_s: float
    tof_days: float
    debris_margin_m_s: float
    conjunctions_per_transit: float
    method: str
    source: str
    frame: str
    r1_km: float
    r2_km: float

    @property
    def dv_total_m_s(self) -> float:
        return self.dv_m_s + self.debris_margin_m_s

    @property
    def dv(self) -> Any:
        """Delta-v as an astropy Quantity (m/s)."""
        import astropy.units as u

        return self.dv_m_s * (u.m / u.s)

    @property
    def tof(self) -> Any:
        """Time of flight as an astropy Quantity (days)."""
        import astropy.units as u

        return self.tof_days * u.day

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "dv_total_m_s": self.dv_total_m_s}


@dataclass(frozen=True)
class NodeInfo:
    """A node with the figures derived for it."""

    spec: NodeSpec
    radius_km: float  # distance from the centre of ``frame``
    frame: str
    regime: str
    disposal_dv_m_s: float
    conjunctions_per_day: float


class HasNodes(Protocol):
    """Anything with node specs and arc overrides, e.g. a scenario."""

    @property
    def nodes(self) -> Sequence[NodeSpec]: ...

    @property
    def arc_overrides(self) -> Sequence[ArcOverride]: ...


class Network:
    """The orbit network: ``graph`` is a ``networkx.DiGraph`` whose edges carry the arc figures."""

    def __init__(self, nodes: Mapping[str, NodeInfo], arcs: Iterable[Arc]) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()
        for name, info in nodes.items():
            self.graph.add_node(name, info=info, **{"kind": info.spec.kind, "body": info.spec.body})
        for arc in arcs:
            self.graph.add_edge(arc.origin, arc.destination, arc=arc, **arc.to_record())

    @property
    def node_names(self) -> list[str]:
        return list(self.graph.nodes)

    def node(self, name: str) -> NodeInfo:
        self._check_node(name)
        return self.graph.nodes[name]["info"]

    def _check_node(self, name: str) -> None:
        if name not in self.graph:
            raise NetworkError(f"unknown node '{name}'; known nodes: {', '.join(sorted(self.graph))}")

    def arc(self, origin: str, destination: str) -> Arc:
        """The arc ``origin -> destination``; a :class:`NetworkError` names the allowed ones."""
        self._check_node(origin)
        self._check_node(destination)
        if origin == destination:
            raise NetworkError(f"no arc from '{origin}' to itself: an arc joins two different nodes")
        if not self.graph.has_edge(origin, destination):
            allowed = ", ".join(sorted(self.graph.successors(origin))) or "none"
            raise NetworkError(f"no arc {origin}->{destination}; from '{origin}' the arcs go to: {allowed}")
        return self.graph.edges[origin, destination]["arc"]

    def arcs(self) -> list[Arc]:
        return [data["arc"] for _, _, data in self.graph.edges(data=True)]

    def __iter__(self) -> Iterator[Arc]:
        return iter(self.arcs())

    def __len__(self) -> int:
        return self.graph.number_of_edges()

    def to_records(self) -> list[dict[str, Any]]:
        return [arc.to_record() for arc in self.arcs()]


# ---- building ----------------------------------------------------------------------------------


def cache_dir() -> Path:
    """Where computed networks are cached: ``$CISLINK_CACHE_DIR``, else the user cache folder."""
    env = os.environ.get("CISLINK_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cislink"


def _check_nodes(nodes: Sequence[NodeSpec]) -> None:
    seen: set[str] = set()
    for n in nodes:
        if n.name in seen:
            raise NetworkError(f"node '{n.name}' is defined twice; node names must be unique")
        seen.add(n.name)
    if not nodes:
        raise NetworkError("the network has no nodes")


def _content_hash(nodes: Sequence[NodeSpec], debris_params: Mapping[str, Any]) -> str:
    payload = {
        "version": [__version__, MODEL_VERSION],
        "nodes": [n.model_dump(mode="json") for n in sorted(nodes, key=lambda n: n.name)],
        "debris": debris_params,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _compute(nodes: Sequence[NodeSpec], debris: Any) -> dict[str, Any]:
    """Compute every arc and node figure with the orbital library (slow on a cold start)."""
    from cislink.orbits.debris import disposal_dv_m_s, node_regime, residence_days
    from cislink.orbits.transfers import ArcCalculator, Geometry

    g = Geometry.from_library()
    by_name = {n.name: n for n in nodes}
    calc = ArcCalculator(by_name, g)
    arcs = []
    try:
        pairs = topology(nodes)
    except TopologyError as exc:
        raise NetworkError(str(exc)) from None
    for origin, destination in pairs:
        fig = calc.compute(origin, destination)
        days = residence_days(fig, by_name, g)
        arcs.append(
            Arc(
                origin=fig.origin,
                destination=fig.destination,
                dv_m_s=round(fig.dv_m_s, 3),
                tof_days=round(fig.tof_days, 6),
                debris_margin_m_s=round(debris.margin_m_s(days), 3),
                conjunctions_per_transit=debris.conjunctions(days),
                method=fig.method,
                source=fig.source,
                frame=fig.frame,
                r1_km=fig.r1_km,
                r2_km=fig.r2_km,
            )
        )
    infos = {}
    for n in nodes:
        regime = node_regime(n, g)
        if n.body == "earth" or (n.kind == "surface" and n.body != "moon"):
            frame, radius = n.body, g.radius_km(n)
        elif n.body == "mars":
            frame, radius = "mars", g.radius_km(n)
        elif n.kind == "libration":
            frame, radius = "earth", g.lagrange_km[n.lagrange_point or "L1"]
        else:
            frame, radius = (
                "moon",
                calc._lunar_vicinity_radius(n) if n.kind != "surface" else g.moon.radius_km,
            )
        infos[n.name] = {
            "radius_km": radius,
            "frame": frame,
            "regime": regime,
            "disposal_dv_m_s": round(disposal_dv_m_s(n, g), 3),
            "conjunctions_per_day": debris.conjunctions_per_day(regime),
        }
    return {
        "arcs": [asdict(a) for a in arcs],
        "nodes": infos,
        "moon_distance_km": g.moon_distance_km,
    }


def _load_cached(path: Path) -> dict[str, Any] | None:
    try:
        with path.open() as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable network cache %s: %s", path, exc)
        return None


def _store(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home must not stop the run
        log.warning("could not write network cache %s: %s", path, exc)


def build_network(
    scenario: HasNodes | None = None,
    *,
    nodes: Sequence[NodeSpec] | None = None,
    overrides: Sequence[ArcOverride] = (),
    use_cache: bool = True,
) -> Network:
    """Build the orbit network of a scenario (or of ``nodes``; default: the reference study's).

    Arc overrides from the scenario (or ``overrides``) replace computed figures and record
    ``scenario override: <note>`` as the arc's source.
    """
    from cislink.orbits.debris import DebrisModel

    if scenario is not None:
        nodes = list(scenario.nodes)
        overrides = list(scenario.arc_overrides)
    nodes = list(nodes if nodes is not None else REFERENCE_NODES)
    _check_nodes(nodes)
    debris = DebrisModel()
    key = _content_hash(nodes, debris.as_dict())
    path = cache_dir() / f"network-{key}.json"
    data = _load_cached(path) if use_cache else None
    if data is None:
        log.info("computing the orbit network (%d nodes); cached afterwards", len(nodes))
        data = _compute(nodes, debris)
        if use_cache:
            _store(path, data)
    by_name = {n.name: n for n in nodes}
    infos = {name: NodeInfo(spec=by_name[name], **fig) for name, fig in data["nodes"].items()}
    arcs = {(a["origin"], a["destination"]): Arc(**a) for a in data["arcs"]}
    for ov in overrides:
        for o, d in [(ov.origin, ov.destination)] + ([(ov.destination, ov.origin)] if ov.symmetric else []):
            for name in (o, d):
                if name not in by_name:
                    raise NetworkError(
                        f"arc override {o}->{d}: unknown node '{name}'; known nodes: {', '.join(sorted(by_name))}"
                    )
            if (o, d) not in arcs:
                allowed = ", ".join(sorted(dd for oo, dd in arcs if oo == o)) or "none"
                raise NetworkError(f"arc override {o}->{d}: no such arc; from '{o}' the arcs go to: {allowed}")
            old = arcs[(o, d)]
            arcs[(o, d)] = replace(
                old,
                dv_m_s=ov.dv_m_s if ov.dv_m_s is not None else old.dv_m_s,
                tof_days=ov.tof_days if ov.tof_days is not None else old.tof_days,
                method="override",
                source=f"scenario override: {ov.note or 'no note given'}",
            )
    return Network(infos, arcs.values())
