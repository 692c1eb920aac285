"""Scenario files: schema, loader and the bundled scenarios (data, not code).

``load(path_or_name)`` returns a validated :class:`Scenario` or raises :class:`ScenarioError` with a
message naming the file, line, field path, the problem and what is allowed.
"""

from __future__ import annotations

from cislink.scenarios.loader import (
    BundledScenario,
    ScenarioError,
    bundled,
    load,
    load_disruptions,
    loads,
    resolve,
    validate,
)
from cislink.scenarios.nodes import REFERENCE_NODES, ArcOverride, NodeSpec
from cislink.scenarios.schema import Scenario

__all__ = [
    "REFERENCE_NODES",
    "ArcOverride",
    "BundledScenario",
    "NodeSpec",
    "Scenario",
    "ScenarioError",
    "bundled",
    "load",
    "load_disruptions",
    "loads",
    "resolve",
    "validate",
]
