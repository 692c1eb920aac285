"""The orbit network: nodes, arcs with delta-v and time of flight, propagation, debris margins.

Public entry points: :func:`build_network` (-> :class:`Network`), :class:`Transfer` for where a
vehicle is during a leg, and :class:`DebrisModel`. Only ``_astro`` talks to the orbital library.
"""

from __future__ import annotations

from cislink.orbits.network import Arc, Network, NodeInfo, build_network, cache_dir
from cislink.scenarios.nodes import topology

__all__ = ["Arc", "Network", "NodeInfo", "Transfer", "build_network", "cache_dir", "topology"]


def __getattr__(name: str) -> object:
    # Transfer pulls in numpy-heavy code; import it on first use.
    if name == "Transfer":
        from cislink.orbits.propagation import Transfer

        return Transfer
    raise AttributeError(name)
