"""Read a solved planning model into a :class:`Plan`: tidy tables, cost terms and a summary.

Values are read only through :func:`_val`, which refuses a variable the solver left without a value,
so a solve that stopped early can never be read as a plan of zeros. A step of a representative
segment stands for several months; ``months_of_step`` maps each step to the months it stands for,
and the tables hold one row per real month.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner.blocks.objective import COST_TERMS
from cislink.planner.inputs import Design

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs
    from cislink.planner.solve import SolveInfo

EPS = 1e-6


def _val(var: Any) -> float:
    v = var.value
    if v is None:
        raise PlannerError(f"no value for {var.name}: the solver stopped without a complete plan")
    return float(v)


def _count(var: Any) -> float:
    """A launch or trip count: whole where the model keeps it whole, as planned where it is relaxed.

    A window's look-ahead months plan fractions of launches and trips; rounding them would drop a
    third of a trip whose cargo the flows still show, and misstate the propellant it burns.
    """
    x = _val(var)
    return float(round(x)) if var.is_integer() else x


@dataclass
class Plan:
    """A solved plan: what to launch, fly, build and store, month by month, and what it costs."""

    scenario: str
    infrastructure: frozenset[str]
    design: Design
    costs_usd: dict[str, float]
    solve: SolveInfo
    build_seconds: float
    launches: pd.DataFrame
    launched: pd.DataFrame
    trips: pd.DataFrame
    flows: pd.DataFrame
    inventory: pd.DataFrame
    shortfall: pd.DataFrame
    isru: pd.DataFrame
    mars: pd.DataFrame
    vehicle_roles: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def total_cost_usd(self) -> float:
        return sum(v for k, v in self.costs_usd.items() if k != "terminal_stock_value")

    def summary(self) -> dict[str, Any]:
        """The study's Table 10 figures, as one JSON-ready object."""
        by_vehicle = self.launches.groupby("launch_vehicle")["count"].sum() if len(self.launches) else pd.Series()
        trips_by_role: Counter[str] = Counter()
        for v, n in self.trips.groupby("vehicle")["trips"].sum().items() if len(self.trips) else []:
            trips_by_role[self.vehicle_roles.get(v, v)] += round(n)
        tug_nodes: list[str] = []
        if len(self.trips):
            tugs = self.trips[self.trips["vehicle"].map(self.vehicle_roles) == "tug"]
            loaded = tugs[tugs["cargo_kg"] > 1.0]
            tug_nodes = list(loaded.groupby("origin")["trips"].sum().sort_values(ascending=False).index)
        short = self.shortfall
        return {
            "scenario": self.scenario,
            "infrastructure": sorted(self.infrastructure),
            "total_cost_usd": round(self.total_cost_usd, 2),
            "cost_terms_usd": {k: round(v, 2) for k, v in self.costs_usd.items()},
            "earth_launches": round(float(by_vehicle.sum())) if len(by_vehicle) else 0,
            "earth_launches_by_vehicle": {k: round(float(v)) for k, v in by_vehicle.items() if v > EPS},
            "earth_launch_mass_kg": round(float(self.launched["kg"].sum()), 1) if len(self.launched) else 0.0,
            "tug_trips": trips_by_role.get("tug", 0),
            "lander_trips": trips_by_role.get("lander", 0),
            "depots": [{"node": n, "capacity_kg": round(q, 1)} for n, q in self.design.depots.items()],
            "isru_kg_per_year": round(self.design.isru_kg_per_year, 1),
            "fleets": dict(self.design.fleets),
            "tug_locations": tug_nodes,
            "mars_vehicle_nodes": sorted(set(self.mars["node"])) if len(self.mars) else [],
            "shortfall_kg": round(float(short["kg"].sum()), 3) if len(short) else 0.0,
            "solver": self.solve.solver,
            "status": self.solve.status,
            "mip_gap": self.solve.mip_gap if math.isfinite(self.solve.mip_gap) else None,
            "bound_usd": self.solve.bound_usd if math.isfinite(self.solve.bound_usd) else None,
            "build_seconds": round(self.build_seconds, 3),
            "solve_seconds": round(self.solve.solve_seconds, 3),
            "notes": list(self.notes),
        }


def read_plan(
    m: pyo.ConcreteModel,
    inp: Inputs,
    info: SolveInfo,
    build_seconds: float,
    months_of_step: dict[int, list[int]] | None = None,
) -> Plan:
    """Tables and terms of the solved model ``m``."""
    months = months_of_step or {s.index: [s.month] for s in inp.steps}

    def rows(records: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
        return [{"month": mo, **rec} for t, rec in records for mo in months[t]]

    launches = [
        (t, {"launch_vehicle": lv, "node": d, "count": _count(m.launches[lv, d, t])})
        for lv, d, t in m.launches
        if _count(m.launches[lv, d, t]) > EPS
    ]
    launched = [
        (t, {"node": d, "commodity": c, "kg": _val(m.launched[d, c, t])})
        for d, c, t in m.launched
        if _val(m.launched[d, c, t]) > EPS
    ]
    arcs = {(va.vehicle, va.origin, va.destination): va for va in inp.vehicle_arcs}
    cargo: dict[tuple[str, str, str, int], float] = defaultdict(float)
    flows = []
    for v, o, d, c, t in m.cargo_index:
        kg = _val(m.cargo[v, o, d, c, t])
        if kg > EPS:
            cargo[(v, o, d, t)] += kg
            flows.append((t, {"vehicle": v, "origin": o, "destination": d, "commodity": c, "kg": kg}))
    trips = []
    flown: set[tuple[str, str, str, int]] = set()
    for v, o, d, t in m.trip_index:
        n = _count(m.trips[v, o, d, t])
        if n > EPS:
            flown.add((v, o, d, t))
            load = cargo.get((v, o, d, t), 0.0)
            burn = arcs[(v, o, d)].k * (inp.vehicle_empty_kg[v] * n + load)
            trips.append(
                (t, {"vehicle": v, "origin": o, "destination": d, "trips": n, "cargo_kg": load, "propellant_kg": burn})
            )
    # an interior-point relaxation (a window's months past its plan's first ones) leaves grams of
    # cargo on millionths of a trip; cargo is listed only on the trips listed
    flows = [(t, f) for t, f in flows if (f["vehicle"], f["origin"], f["destination"], t) in flown]
    inventory = [
        (t, {"node": n, "commodity": c, "kg": _val(m.stock[n, c, t])})
        for n, c, t in m.stock_index
        if _val(m.stock[n, c, t]) > EPS
    ]
    shortfall = [
        (t, {"demand": k, "node": inp.demand_node[k], "commodity": c, "kg": _val(m.shortfall[k, c, t])})
        for k, c, t in m.demand_index
        if _val(m.shortfall[k, c, t]) > EPS
    ]
    mars = []
    if hasattr(m, "mars_at"):
        for t, n in m.mars_at:
            if _val(m.mars_at[t, n]) > 0.5:
                goods = {c for _, c in inp.mars_need}
                loaded = sum(_val(m.mars_supply[t, n, c]) for c in goods if (t, n, c) in m.mars_supply)
                mars.append((t, {"node": n, "loaded_kg": loaded}))
        for (t, c), var in m.mars_shortfall.items():
            if _val(var) > EPS:
                shortfall.append((t, {"demand": "mars", "node": "mars", "commodity": c, "kg": _val(var)}))
    isru = []
    if hasattr(m, "isru_output"):
        isru = [
            (t, {"product": p, "kg": _val(m.isru_output[p, t])})
            for p, t in m.isru_output
            if _val(m.isru_output[p, t]) > EPS
        ]

    design = Design(
        depots={n: _val(m.depot_capacity[n]) for n in m.depot_capacity if _val(m.depot_capacity[n]) > 1.0},
        isru_kg_per_year=_val(m.isru_rate) if hasattr(m, "isru_rate") else 0.0,
        fleets={v: round(_val(m.fleet[v])) for v in m.fleet if _val(m.fleet[v]) > 0.5},
    )
    costs = {t: float(pyo.value(m.cost[t])) for t in COST_TERMS if t in m.cost_terms}

    def frame(records: list[tuple[int, dict[str, Any]]], columns: list[str]) -> pd.DataFrame:
        df = pd.DataFrame(rows(records), columns=["month", *columns])
        return df.sort_values(["month", *columns[:-1]], kind="stable").reset_index(drop=True)

    return Plan(
        scenario=inp.scenario.name,
        infrastructure=inp.allowed,
        design=design,
        costs_usd=costs,
        solve=info,
        build_seconds=build_seconds,
        launches=frame(launches, ["launch_vehicle", "node", "count"]),
        launched=frame(launched, ["node", "commodity", "kg"]),
        trips=frame(trips, ["vehicle", "origin", "destination", "trips", "cargo_kg", "propellant_kg"]),
        flows=frame(flows, ["vehicle", "origin", "destination", "commodity", "kg"]),
        inventory=frame(inventory, ["node", "commodity", "kg"]),
        shortfall=frame(shortfall, ["demand", "node", "commodity", "kg"]),
        isru=frame(isru, ["product", "kg"]),
        mars=frame(mars, ["node", "loaded_kg"]),
        vehicle_roles=dict(inp.vehicle_role),
        notes=list(inp.notes),
    )
