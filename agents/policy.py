"""Policies in a run: what the nation owns, and the infrastructure that ownership builds.

A policy (``[[policies]]`` in the scenario) names what is owned (depot, tug, isru, relay,
traffic) and its tolls. The infrastructure a run operates is sized once by the study
(:func:`cislink.planner.run_study`) for the case the owned programmes allow, then fixed for the
whole run. Sizing the full horizon can take minutes, so the design is cached on disk by a hash of
the scenario, the case and the code version; a second run starts at once. The bundled scenarios'
designs are shipped sized (``agents/designs``, written by ``bench/designs.py``), so a first run of
them starts at once too and operates the same design on every machine: a study stopped by its time
limit may end elsewhere on a slower machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cislink import __version__
from cislink.errors import CislinkError
from cislink.planner.cases import CASES, MODEL_REVISION
from cislink.planner.inputs import Design
from cislink.scenarios.schema import PolicyDef, Scenario

if TYPE_CHECKING:
    from cislink.orbits.network import Network

log = logging.getLogger(__name__)

_PROGRAMMES = ("depot", "tug", "isru")

#: Designs sized ahead by the study for the bundled scenarios' policies (``python bench/designs.py --write``).
BUNDLED_DESIGNS = Path(__file__).parent / "designs"


def policy_def(scenario: Scenario, name: str) -> PolicyDef:
    """The scenario's policy ``name``; a scenario without policies has one that owns everything."""
    if not scenario.policies:
        if name != "sovereign":
            raise CislinkError(f"unknown policy '{name}'; this scenario defines none, so only 'sovereign' is allowed")
        return PolicyDef(name="sovereign", owns=["depot", "tug", "isru", "relay", "traffic"])
    for p in scenario.policies:
        if p.name == name:
            return p
    raise CislinkError(f"unknown policy '{name}'; allowed: {', '.join(p.name for p in scenario.policies)}")


def case_for(policy: PolicyDef) -> str:
    """The study's ``--infrastructure`` case for the programmes a policy owns."""
    owned = {k for k in policy.owns if k in _PROGRAMMES}
    for case, programmes in CASES.items():
        if set(programmes) == owned:
            return case
    raise CislinkError(f"policy '{policy.name}' owns {sorted(owned)}, which is no study case")


def _cache_path(scenario: Scenario, case: str) -> Path:
    from cislink.orbits.network import cache_dir

    # how re-plans are solved, how the simulation runs and what disrupts it do not change the design
    # (the study plans no disruptions): they do not key it, so a wargame's disruptions file keeps it
    dump = scenario.model_dump(mode="json")
    dump["planner"] = {k: v for k, v in dump["planner"].items() if not k.startswith("window_")}
    for key in ("simulation", "disruptions", "disruption_rates"):
        del dump[key]
    text = json.dumps([dump, case, __version__, MODEL_REVISION], sort_keys=True)
    return cache_dir() / "designs" / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


def bundled_design_path(scenario: Scenario, case: str) -> Path:
    """Where a design sized ahead for ``scenario`` and ``case`` is shipped (it exists only for bundled ones).

    The file has the cache's name, which hashes the scenario, the case, the version and the model
    revision, so a shipped design is found only for exactly the scenario and code it was sized with.
    """
    return _shipped_beside(_cache_path(scenario, case))


def _shipped_beside(cache_path: Path) -> Path:
    """The shipped design that stands for the cached one at ``cache_path`` (it has the cache's name)."""
    return BUNDLED_DESIGNS / cache_path.name


def design_for_policy(
    scenario: Scenario, network: Network, policy: PolicyDef, progress: object = None
) -> tuple[Design, dict[str, float]]:
    """The infrastructure ``policy`` operates, and its one-off and yearly costs.

    Looked up first among the designs shipped for the bundled scenarios (the same on every
    machine), then in the user's cache; otherwise the study sizes it and the cache keeps it.
    """
    case = case_for(policy)
    path = _cache_path(scenario, case)
    for found in (_shipped_beside(path), path):
        try:
            data = json.loads(found.read_text())
            design = Design(data["depots"], data["isru_kg_per_year"], data["fleets"])
            costs = dict(data["costs_usd"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        log.info("design of policy %s (study case %s) from %s", policy.name, case, found)
        return design, costs
    from cislink.planner.solve import SolverSettings
    from cislink.planner.study import run_study

    log.info("sizing the infrastructure of policy %s (study case %s)", policy.name, case)
    result = run_study(scenario, network, case, SolverSettings.from_scenario(scenario), progress)  # type: ignore[arg-type]
    design = result.plan.design
    costs = {k: v for k, v in result.plan.costs_usd.items() if k in ("ddte", "infrastructure_launch", "operations")}
    if result.plan.solve.status == "interrupted":  # a study stopped by the user is not the design to keep
        return design, costs
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump({**design.to_dict(), "costs_usd": costs, "case": case}, fh)
        os.replace(tmp, path)
    except OSError as exc:  # a read-only cache only costs time
        log.warning("could not cache the design: %s", exc)
    return design, costs
