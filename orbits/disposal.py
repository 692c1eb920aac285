"""End-of-mission disposal reserves (ISO 24113): the propellant each vehicle and depot keeps for it.

ISO 24113 asks that a spacecraft leave its orbit or the protected region at the end of its mission,
and that the means to do so be kept, not left to chance. The network gives the disposal delta-v of
every node (:func:`cislink.orbits.debris.disposal_dv_m_s`). From it:

- A tug or lander ends its mission at its base, the first node of its list (where it is launched to
  and where its tours start), and keeps, for as long as it flies, the propellant that takes its empty
  mass through that node's disposal delta-v::

      reserve_kg = empty_kg * (exp(dv / (g0 * isp_s)) - 1)

  The reserve is never burned in operations: the planner and the agents count it as dry mass the
  vehicle carries on every leg and take it out of the usable tank, and it is launched with the
  vehicle at the infrastructure price. The flight home at the end is an ordinary leg. (Sizing it
  for the worst node the vehicle may reach instead, 140 m/s at a libration orbit, made the reference
  tug 71 kg heavier rather than 22 kg, and the study's tugs plan needed a second tug: $14.92B
  against $14.72B.) A lander based on the Moon's surface needs none.
- A depot's dry mass (``mass_fraction * capacity``) keeps the reserve for its own node's disposal,
  burned by its own thrusters (``disposal_isp_s`` of the scenario's depot option), launched with it.
- The ISRU plant and anything else on a surface need none.

The scale: the reference tug (2,165 kg, based in LEO, 45 m/s) keeps 22 kg; a depot's dry mass in
LEO gains 1.4%, at a libration orbit 4.6%.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from cislink.orbits.network import Network
from cislink.scenarios.schema import Scenario, Vehicle

G0_M_S2 = 9.80665
#: vehicle roles the network operates (and so plans the disposal of)
OPERATED_ROLES = ("tug", "lander")


@dataclass(frozen=True)
class Reserve:
    """A disposal reserve: what sets it and how much propellant it is per kg of dry mass."""

    target: str  # a vehicle type, or "depot <node>"
    node: str  # the node whose disposal sets it ("" if none needs one)
    dv_m_s: float
    isp_s: float

    @property
    def kg_per_dry_kg(self) -> float:
        return math.expm1(self.dv_m_s / (self.isp_s * G0_M_S2)) if self.dv_m_s > 0 else 0.0

    def kg(self, dry_kg: float) -> float:
        """The reserve for ``dry_kg`` of dry mass, kg."""
        return dry_kg * self.kg_per_dry_kg


def vehicle_nodes(network: Network, spec: Vehicle) -> list[str]:
    """The nodes a vehicle may fly to: its own list, else every node in cislunar space."""
    if spec.nodes:
        return [n for n in spec.nodes if n in network.graph]
    specs = [network.node(n).spec for n in network.node_names]
    return [s.name for s in specs if s.kind != "surface" and s.body != "mars"]


def vehicle_reserve(network: Network, spec: Vehicle) -> Reserve:
    """The disposal reserve of a vehicle type (none for vehicles the network does not operate)."""
    nodes = vehicle_nodes(network, spec)
    if spec.role not in OPERATED_ROLES or not nodes:
        return Reserve(spec.name, "", 0.0, spec.isp_s)
    base = nodes[0]
    return Reserve(spec.name, base, network.node(base).disposal_dv_m_s, spec.isp_s)


def vehicle_reserve_kg(network: Network, spec: Vehicle) -> float:
    """Propellant a vehicle of type ``spec`` keeps for its disposal, kg."""
    return vehicle_reserve(network, spec).kg(spec.empty_kg)


def depot_reserve(network: Network, scenario: Scenario, node: str) -> Reserve:
    """The disposal reserve of a depot at ``node`` (per kg of its dry mass)."""
    option = scenario.infrastructure.depot
    isp = option.disposal_isp_s if option is not None else 1.0
    dv = network.node(node).disposal_dv_m_s if node in network.graph else 0.0
    return Reserve(f"depot {node}", node if dv > 0 else "", dv, isp)


def depot_dry_factor(network: Network, scenario: Scenario, node: str) -> float:
    """Mass launched per kg of depot capacity at ``node``: dry mass and its disposal reserve."""
    option = scenario.infrastructure.depot
    if option is None:
        return 0.0
    return option.mass_fraction * (1.0 + depot_reserve(network, scenario, node).kg_per_dry_kg)


def design_reserves_kg(
    network: Network, scenario: Scenario, depots: Mapping[str, float], fleets: Mapping[str, int]
) -> dict[str, float]:
    """The disposal reserve of each vehicle type built (per vehicle) and of each depot, kg."""
    out: dict[str, float] = {}
    for spec in scenario.vehicles:
        if fleets.get(spec.name, 0) > 0 and spec.role in OPERATED_ROLES:
            out[spec.name] = vehicle_reserve_kg(network, spec)
    option = scenario.infrastructure.depot
    for node, capacity_kg in sorted(depots.items()):
        if option is not None and capacity_kg > 0:
            out[f"depot {node}"] = depot_reserve(network, scenario, node).kg(option.mass_fraction * capacity_kg)
    return out
