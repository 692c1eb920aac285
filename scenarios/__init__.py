"""Scenario files: schema, loader and the bundled scenarios (data, not code)."""

from __future__ import annotations

from cislink.scenarios.nodes import REFERENCE_NODES, ArcOverride, NodeSpec

__all__ = ["REFERENCE_NODES", "ArcOverride", "NodeSpec"]
