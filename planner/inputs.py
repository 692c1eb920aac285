"""Plain inputs of the planning model, precomputed once from a scenario and the orbit network.

Everything the Pyomo blocks need is computed here as floats, tuples and dictionaries keyed by
index tuples, so no constraint rule ever scans a list: demand per (node, commodity, step), the
rocket-equation factors and per-trip payload limits of every vehicle arc, launch options and their
capacities, infrastructure prices per kg, Mars mission requirements per candidate node.

Time is a list of *steps*. A step is one month of the plan, or a few consecutive months planned as
one (a rolling window's far look-ahead); it carries the absolute index of its first month, its
length in months, a weight (how many times the step counts in the objective; 1 unless a
representative segment stands for several identical ones) and its predecessor (``None`` at a segment
start, where stock comes from the initial state instead). One step list serves the full horizon, a
rolling window and the representative segments of the study's decomposition alike.

Units inside: kg, m/s, days, USD, plain floats.
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cislink.errors import PlannerError
from cislink.scenarios.nodes import launch_class

if TYPE_CHECKING:
    from cislink.orbits.network import Network
    from cislink.scenarios.schema import Scenario

G0_M_S2 = 9.80665
DAYS_PER_MONTH = 365.25 / 12.0
#: Oxidiser-to-fuel mass ratios of the two propellant types.
LOX_LH2_MIXTURE = 6.0
NTO_MMH_MIXTURE = 1.65
#: Electrolysis of water: 8/9 of the mass is oxygen, 1/9 hydrogen (study eqs 11-13 use 0.89 / 0.11).
H2O_SPLIT = (0.89, 0.11)
#: Largest share of electrolysed oxygen kept as breathing oxygen (study eq 15).
K_O2_MAX = 0.26
#: A small cost per trip so that the solver does not fly pointless legs; far below any real cost.
TRIP_TIE_BREAK_USD = 1_000.0
#: Pseudo-customers for propellant a stranded vehicle needs are named ``refuel@NODE``.
REFUEL_PREFIX = "refuel@"

#: Longest a commodity may be stored (months) when the scenario has no depot option to say otherwise.
DEFAULT_STORAGE_MONTHS = 6

INFRASTRUCTURE_KINDS = ("depot", "tug", "isru")


@dataclass(frozen=True)
class Step:
    """One month of the plan, or ``months`` consecutive months from ``month`` planned as one."""

    index: int
    month: int
    weight: float
    prev: int | None
    months: int = 1


@dataclass(frozen=True)
class Segment:
    """Consecutive months that start from the initial state; ``weight`` is how often they count.

    ``step_months`` gives the length of each step (months), summing to ``months``; empty: one step
    per month.
    """

    start_month: int
    months: int
    weight: float = 1.0
    step_months: tuple[int, ...] = ()


@dataclass(frozen=True)
class Design:
    """Infrastructure already decided: depot capacities by node, ISRU rate, fleet sizes."""

    depots: dict[str, float] = field(default_factory=dict)
    isru_kg_per_year: float = 0.0
    fleets: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"depots": dict(self.depots), "isru_kg_per_year": self.isru_kg_per_year, "fleets": dict(self.fleets)}


@dataclass(frozen=True)
class VehicleArc:
    """A vehicle type on one arc: rocket-equation factor and the most payload one trip can carry."""

    vehicle: str
    origin: str
    destination: str
    k: float  # propellant per kg of (dry + payload) mass: exp(dv / (isp g0)) - 1
    max_payload_kg: float  # min(payload capacity, tank-limited payload); >= 0
    leg_days: float  # time of flight plus turnaround


def mixture(scenario: Scenario, propellant_type: str) -> dict[str, float]:
    """Commodities (and mass fractions) a propellant type is made of in this scenario.

    LOX/LH2 is the commodity ``propellant`` or, if the scenario splits it, ``lox`` and ``lh2`` at 6:1.
    MMH/NTO is ``mmh`` and ``nto`` at 1:1.65 where the scenario has them, else ``propellant``, so a
    scenario that keeps propellant types apart never lets lunar LOX/LH2 stand in for storables.
    """
    names = {c.name for c in scenario.commodities}
    if propellant_type == "lox_lh2":
        if "propellant" in names:
            return {"propellant": 1.0}
        if {"lox", "lh2"} <= names:
            total = LOX_LH2_MIXTURE + 1.0
            return {"lox": LOX_LH2_MIXTURE / total, "lh2": 1.0 / total}
    elif propellant_type == "mmh_nto":
        if {"mmh", "nto"} <= names:
            total = NTO_MMH_MIXTURE + 1.0
            return {"mmh": 1.0 / total, "nto": NTO_MMH_MIXTURE / total}
        if "propellant" in names:
            return {"propellant": 1.0}
    raise PlannerError(
        f"scenario '{scenario.name}': propellant type '{propellant_type}' needs the commodity 'propellant' "
        f"or {'lox and lh2' if propellant_type == 'lox_lh2' else 'mmh and nto'} in [[commodities]]"
    )


@dataclass
class Inputs:
    """Everything the blocks need, as plain data."""

    scenario: Scenario
    steps: list[Step]
    horizon_months: int
    allowed: frozenset[str]
    design: Design | None
    commodities: list[str]
    density: dict[str, float]
    keep_per_step: dict[str, float]  # 1 - boil-off over one month, per commodity
    nodes: list[str]
    launch_options: list[tuple[str, str]]  # (launch vehicle, destination node)
    launch_payload_kg: dict[tuple[str, str], float]
    launch_volume_m3: dict[str, float]
    launch_price_usd: dict[str, float]
    launch_nodes: list[str]
    vehicles: list[str]
    vehicle_role: dict[str, str]
    vehicle_empty_kg: dict[str, float]
    vehicle_payload_kg: dict[str, float]
    vehicle_tank_kg: dict[str, float]
    vehicle_mixture: dict[str, dict[str, float]]
    vehicle_arcs: list[VehicleArc]
    max_fleet: dict[str, int]
    demand: dict[tuple[str, str, int], float]  # (demand name, commodity, step) -> kg
    demand_node: dict[str, str]
    depot_nodes: list[str]
    depot_max_kg: dict[str, float]
    storage_nodes: list[str]
    initial_stock: dict[tuple[str, str], float]
    max_storage_months: int
    isru_node: str | None
    isru_max_kg_per_year: float
    isru_products: dict[str, dict[str, float]]  # product -> commodity mixture
    isru_availability: dict[int, float]  # month -> share of the month the plant runs (outages)
    mars_missions: list[tuple[int, int]]  # (mission number, step)
    mars_need: dict[tuple[str, str], float]  # (candidate node, commodity) -> kg per mission
    mars_nodes: list[str]
    infra_price_per_kg: dict[str, float]  # by node
    shortfall_penalty_usd_per_kg: float
    terminal_value: dict[tuple[str, str], float]
    fixed_cost_share: float  # share of the infrastructure's costs this model pays (0: none)
    required: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    vehicle_home: dict[str, str] = field(default_factory=dict)  # type -> node every month's tour passes
    isru_same_month_share: float = 1.0  # share of a month's ISRU output usable in that month (the rest: next step)
    vehicle_busy_days: dict[str, float] = field(default_factory=dict)  # type -> vehicle-days of step 0 taken already
    vehicle_disposal_kg: dict[str, float] = field(default_factory=dict)  # type -> disposal reserve (in empty_kg)
    depot_launch_kg_per_kg: dict[str, float] = field(default_factory=dict)  # node -> dry mass + reserve per kg capacity
    #: commodity -> kg drawn at a leg's origin per kg burned: the burn's propellant waits there first, boiling off
    burn_draw_factor: dict[str, float] = field(default_factory=dict)

    # ---- derived indexes (filled in __post_init__) --------------------------------------------
    arcs_out: dict[str, list[VehicleArc]] = field(default_factory=dict)
    arcs_in: dict[str, list[VehicleArc]] = field(default_factory=dict)
    demand_at: dict[tuple[str, str, int], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        out: dict[str, list[VehicleArc]] = defaultdict(list)
        inn: dict[str, list[VehicleArc]] = defaultdict(list)
        for va in self.vehicle_arcs:
            out[va.origin].append(va)
            inn[va.destination].append(va)
        self.arcs_out = dict(out)
        self.arcs_in = dict(inn)
        at: dict[tuple[str, str, int], list[str]] = defaultdict(list)
        for name, c, s in self.demand:
            at[(self.demand_node[name], c, s)].append(name)
        self.demand_at = dict(at)

    @property
    def years(self) -> float:
        return self.horizon_months / 12.0

    @property
    def isru_commodities(self) -> frozenset[str]:
        """The commodities the ISRU plant makes (none without a plant)."""
        if self.isru_node is None:
            return frozenset()
        return frozenset(c for mix in self.isru_products.values() for c in mix)

    def can_accumulate(self, node: str, commodity: str) -> bool:
        """Whether stock of ``commodity`` at ``node`` may grow: a depot holds anything, the plant its products."""
        return node in self.depot_nodes or (node == self.isru_node and commodity in self.isru_commodities)


def demand_events(scenario: Scenario, months: range, allies: bool = False) -> dict[tuple[str, str, int], float]:
    """Demand lumps per (demand name, commodity, month): Table 5's expansion of Tables 8-9.

    A customer with a resupply interval of r months needs r/12 of its yearly demand at the end of
    months r, 2r, ... (0-based month m is due when (m + 1) is a multiple of r). With ``allies``,
    the propellant allied operators buy is demand too (a run under a policy that sells it).
    """
    out: dict[tuple[str, str, int], float] = {}
    for st in scenario.stations:
        r = st.resupply_interval_months
        annual = st.annual_demand_kg()
        prop = annual.pop("propellant")
        split = dict(annual)
        for c, frac in mixture(scenario, st.propellant_type).items() if prop > 0 else []:
            split[c] = split.get(c, 0.0) + prop * frac
        for m in months:
            if (m + 1) % r == 0:
                for c, kg in split.items():
                    if kg > 0:
                        out[(st.name, c, m)] = kg * r / 12.0
    for sv in scenario.servicing:
        r = sv.resupply_interval_months
        kg = sv.propellant_kg_per_year()
        if kg <= 0:
            continue
        for m in months:
            if (m + 1) % r == 0:
                for c, frac in mixture(scenario, sv.propellant_type).items():
                    out[(sv.name, c, m)] = kg * frac * r / 12.0
    for al in scenario.allies if allies else []:
        r = al.resupply_interval_months
        for m in months:
            if (m + 1) % r == 0 and al.propellant_kg_per_year > 0:
                for c, frac in mixture(scenario, al.propellant_type).items():
                    out[(al.name, c, m)] = al.propellant_kg_per_year * frac * r / 12.0
    return out


def mars_months(scenario: Scenario, months: range) -> list[int]:
    """Months in which a Mars transfer vehicle departs (every ``interval_months`` from ``first_month``)."""
    mars = scenario.mars
    if mars is None:
        return []
    return [m for m in months if m >= mars.first_month and (m - mars.first_month) % mars.interval_months == 0]


def mars_requirements(scenario: Scenario, network: Network) -> tuple[dict[tuple[str, str], float], list[str]]:
    """Supplies and round-trip propellant the Mars vehicle needs at each node it may be supplied at (eqs 5-6).

    The vehicle leaves with the mission's supplies and the propellant for both legs, and returns
    empty (the supplies are consumed on the mission). Nodes from which the round trip does not fit
    its tank or payload are left out.
    """
    mars = scenario.mars
    if mars is None:
        return {}, []
    mtv = next(v for v in scenario.vehicles if v.name == mars.transfer_vehicle)
    years = mars.duration_months / 12.0
    supplies = {"water": mars.water_kg_per_year * years, "oxygen": mars.oxygen_kg_per_year * years}
    supplies["food"] = mars.food_kg_per_year * years
    names = {c.name for c in scenario.commodities}
    missing = sorted(c for c, kg in supplies.items() if kg > 0 and c not in names)
    if missing:
        raise PlannerError(f"mars: the campaign needs commodities {', '.join(missing)} in [[commodities]]")
    orbit = next((n for n in scenario.nodes if n.body == "mars" and n.kind == "circular"), None)
    if orbit is None:
        raise PlannerError("mars: the scenario has no circular Mars orbit node for the transfer vehicle")
    candidates = list(mars.aggregation_nodes) or [
        n.name for n in scenario.nodes if n.kind != "surface" and n.body != "mars"
    ]
    ve = mtv.isp_s * G0_M_S2
    payload = sum(supplies.values())
    need: dict[tuple[str, str], float] = {}
    feasible: list[str] = []
    least_needed = math.inf
    for n in candidates:
        if not network.graph.has_edge(n, orbit.name) or not network.graph.has_edge(orbit.name, n):
            continue
        k_out = math.expm1(network.arc(n, orbit.name).dv_total_m_s / ve)
        k_back = math.expm1(network.arc(orbit.name, n).dv_total_m_s / ve)
        back = mtv.empty_kg * k_back
        out = (mtv.empty_kg + payload + back) * k_out
        least_needed = min(least_needed, out + back)
        if out + back > mtv.propellant_kg or payload > mtv.payload_kg:
            continue
        feasible.append(n)
        for c, kg in supplies.items():
            need[(n, c)] = kg
        for c, frac in mixture(scenario, mtv.propellant_type).items():
            need[(n, c)] = need.get((n, c), 0.0) + (out + back) * frac
    if not feasible:
        raise PlannerError(
            f"mars: vehicle '{mtv.name}' cannot carry {payload:,.0f} kg of supplies to {orbit.name} and back from any "
            f"node: the best round trip needs {least_needed:,.0f} kg of propellant, "
            f"its tank holds {mtv.propellant_kg:,.0f} kg"
        )
    return need, feasible


def build_inputs(
    scenario: Scenario,
    network: Network,
    segments: list[Segment],
    *,
    allowed: frozenset[str] = frozenset(INFRASTRUCTURE_KINDS),
    design: Design | None = None,
    initial_stock: dict[tuple[str, str], float] | None = None,
    terminal_value_fraction: float = 0.0,
    fixed_cost_share: float = 1.0,
    isru_availability: dict[int, float] | None = None,
    required: frozenset[str] = frozenset(),
    extra_demand: dict[tuple[str, str], float] | None = None,
    allies: bool = False,
    refuel_kg: dict[tuple[str, str], float] | None = None,
    homes: dict[str, str] | None = None,
    isru_same_month_share: float = 1.0,
    daily_legs: bool = False,
    busy_days: dict[str, float] | None = None,
    mars_from_month: int = 0,
    burn_wait_days: float = 0.0,
) -> Inputs:
    """Precompute the inputs of one planning problem.

    ``allowed`` names the infrastructure the model may build (a subset of depot, tug, isru);
    with ``design`` given, the infrastructure is fixed to it instead and only operations are planned.
    ``required`` names programmes that are built (their DDTE paid) for sure: the study enumerates the
    on/off choices of the three programmes, which removes the weakest big-M terms from the model.
    ``fixed_cost_share`` is the share of the infrastructure's costs (DDTE, its launch, its operations)
    the model pays: 1 for a whole plan, 0 for operations alone (rolling windows, single months), a
    representative segment's share of the horizon in the study's segment decomposition.
    ``terminal_value_fraction`` values stock left at the end of the last step at that fraction of the
    cheapest launch price per kg to its node (rolling windows: leftover stock is not worthless).
    ``extra_demand`` adds kg per (customer, commodity) due in the first step (a rolling window's
    catch-up for a customer whose stock ran below what it needs until its next resupply);
    ``allies`` adds the allied operators' purchases as demand.
    ``refuel_kg`` adds kg per (node, commodity) due in the first step at a pseudo-customer named
    ``refuel@NODE``: the propellant a vehicle left away from home needs to fly back (the window
    does not otherwise know where vehicles are, since its trips circulate from home).
    ``homes`` names, per vehicle type, the node its vehicles start every month from: a month's trips
    of that type must then include a leg from there (a fleet cannot fly a tour it is not on).
    ``isru_same_month_share`` of a month's ISRU output can serve that month; the rest is made too late
    in the month for its departures and arrives in the next step's balance (a rolling window's months
    are executed day by day; the study's months are not).
    ``daily_legs`` counts each leg's vehicle time as the day-by-day simulation flies it
    (:func:`simulated_leg_days`) instead of its time of flight plus turnaround.
    ``busy_days`` gives, per vehicle type, the vehicle-days of the first step its fleet spends before
    the month's tour can start (a leg still in flight, the way home from where a vehicle is): the
    first step's trips fit in the fleet's days less these.
    ``mars_from_month`` drops the Mars missions of earlier months (a re-plan later in the month of a
    departure that has left).
    ``burn_wait_days``: the propellant a leg burns waits this many days at its origin, boiling off,
    before the leg leaves; the leg draws that much more there (:attr:`Inputs.burn_draw_factor`). The
    study's months are balances, in which what arrives and leaves within a month does not boil off;
    the day-by-day simulation stores it until the vehicle is there to load it.
    """
    from cislink.orbits.disposal import depot_dry_factor, vehicle_reserve_kg

    bad = sorted(set(allowed) - set(INFRASTRUCTURE_KINDS))
    if bad:
        raise PlannerError(f"unknown infrastructure {', '.join(bad)}; allowed: {', '.join(INFRASTRUCTURE_KINDS)}")
    infra = scenario.infrastructure
    if design is not None:
        allowed = frozenset(
            k
            for k, present in (
                ("depot", bool(design.depots)),
                ("isru", design.isru_kg_per_year > 0),
                ("tug", infra.tug is not None and design.fleets.get(infra.tug.vehicle, 0) > 0),
            )
            if present
        )
    allowed = frozenset(k for k in allowed if getattr(infra, k) is not None)

    steps: list[Step] = []
    for seg in segments:
        lengths = seg.step_months or (1,) * seg.months
        if sum(lengths) != seg.months or min(lengths, default=1) < 1:
            raise PlannerError(f"step lengths {list(lengths)}: allowed: whole months summing to {seg.months}")
        month = seg.start_month
        for i, span in enumerate(lengths):
            idx = len(steps)
            steps.append(Step(idx, month, seg.weight, None if i == 0 else idx - 1, span))
            month += span
    horizon = scenario.planner.horizon_months

    commodities = [c.name for c in scenario.commodities]
    density = {c.name: c.density_kg_m3 for c in scenario.commodities}
    keep = {c.name: (1.0 - c.boiloff_fraction_per_day) ** DAYS_PER_MONTH for c in scenario.commodities}

    node_specs = {n.name: n for n in scenario.nodes}
    space_nodes = [n.name for n in scenario.nodes if n.kind != "surface" and n.body != "mars"]

    # ---- launch options (eqs 18-19) -----------------------------------------------------------
    launch_options: list[tuple[str, str]] = []
    launch_payload: dict[tuple[str, str], float] = {}
    for n in scenario.nodes:
        cls = launch_class(n)
        if cls is None or n.body == "mars":
            continue
        for lv in scenario.launch_vehicles:
            q = lv.payload_kg(cls)
            if q > 0:
                launch_options.append((lv.name, n.name))
                launch_payload[(lv.name, n.name)] = q
    launch_nodes = sorted({d for _, d in launch_options}, key=[n.name for n in scenario.nodes].index)

    # ---- in-space vehicles (eqs 7, 20-22, 26) -----------------------------------------------------
    vehicles: list[str] = []
    vehicle_arcs: list[VehicleArc] = []
    max_fleet: dict[str, int] = {}
    notes: list[str] = []
    tug_name = infra.tug.vehicle if infra.tug is not None else None
    # the end-of-mission disposal reserve rides as dry mass and is not in the usable tank (orbits.disposal)
    reserve = {v.name: vehicle_reserve_kg(network, v) for v in scenario.vehicles}
    for v in scenario.vehicles:
        if v.role == "tug":
            if v.name != tug_name or "tug" not in allowed:
                continue
            assert infra.tug is not None
            max_fleet[v.name] = infra.tug.max_fleet
        elif v.role == "lander":
            max_fleet[v.name] = 20
        else:
            continue
        if design is not None:
            max_fleet[v.name] = design.fleets.get(v.name, 0)
        if max_fleet[v.name] <= 0:
            continue
        ve = v.isp_s * G0_M_S2
        allowed_nodes = set(v.nodes) if v.nodes else set(space_nodes)
        arcs = []
        for a in network.arcs():
            if a.origin not in allowed_nodes or a.destination not in allowed_nodes:
                continue
            if "earth" in (node_specs[a.origin].body, node_specs[a.destination].body) and (
                node_specs[a.origin].kind == "surface" or node_specs[a.destination].kind == "surface"
            ):
                continue
            leg = simulated_leg_days(a.tof_days, v.turnaround_days) if daily_legs else a.tof_days + v.turnaround_days
            if leg > DAYS_PER_MONTH:
                continue
            k = math.expm1(a.dv_total_m_s / ve)
            usable, carried = v.propellant_kg - reserve[v.name], v.empty_kg + reserve[v.name]
            tank_payload = usable / k - carried if k > 0 else math.inf
            if tank_payload < 0:
                notes.append(f"{v.name} cannot fly {a.origin}->{a.destination} even empty ({a.dv_total_m_s:.0f} m/s)")
                continue
            arcs.append(VehicleArc(v.name, a.origin, a.destination, k, min(v.payload_kg, tank_payload), leg))
        if arcs:
            vehicles.append(v.name)
            vehicle_arcs.extend(arcs)
    role = {v.name: v.role for v in scenario.vehicles}
    empty = {v.name: v.empty_kg + reserve[v.name] for v in scenario.vehicles}
    payload = {v.name: v.payload_kg for v in scenario.vehicles}
    tank = {v.name: v.propellant_kg - reserve[v.name] for v in scenario.vehicles}
    vmix = {v: mixture(scenario, next(x for x in scenario.vehicles if x.name == v).propellant_type) for v in vehicles}

    # ---- demand (eq 4, Table 5) ---------------------------------------------------------------
    events = demand_events(
        scenario,
        range(min((s.month for s in steps), default=0), max((s.month + s.months for s in steps), default=0)),
        allies=allies,
    )
    demand_node = (
        {s.name: s.node for s in scenario.stations}
        | {s.name: s.node for s in scenario.servicing}
        | {a.name: a.node for a in scenario.allies}
    )
    for node, _c in sorted(refuel_kg or {}):
        known = [n.name for n in scenario.nodes]
        if node not in known:
            raise PlannerError(f"refuel demand at unknown node '{node}'; known: {', '.join(known)}")
        demand_node[f"{REFUEL_PREFIX}{node}"] = node
    extra_demand = dict(extra_demand or {})
    for (node, c), kg in (refuel_kg or {}).items():
        key = (f"{REFUEL_PREFIX}{node}", c)
        extra_demand[key] = extra_demand.get(key, 0.0) + kg
    for (name, c), kg in extra_demand.items():
        if name not in demand_node:
            raise PlannerError(f"extra demand names unknown customer '{name}'; known: {', '.join(sorted(demand_node))}")
        if kg > 0 and steps:
            events[(name, c, steps[0].month)] = events.get((name, c, steps[0].month), 0.0) + kg
    step_of_month: dict[int, list[int]] = defaultdict(list)
    for s in steps:
        for month in range(s.month, s.month + s.months):
            step_of_month[month].append(s.index)
    demand: dict[tuple[str, str, int], float] = {}
    for (name, c, m), kg in events.items():
        if c not in density:
            raise PlannerError(f"demand of '{name}' needs commodity '{c}', which the scenario does not list")
        for si in step_of_month.get(m, []):
            demand[(name, c, si)] = demand.get((name, c, si), 0.0) + kg

    # ---- Mars (eqs 5-6) -------------------------------------------------------------------------
    mars_need, mars_nodes = mars_requirements(scenario, network)
    mars_missions: list[tuple[int, int]] = []
    for k, m in enumerate(mars_months(scenario, range(horizon))):
        if m < mars_from_month:
            continue
        for si in step_of_month.get(m, []):
            mars_missions.append((k, si))

    # ---- depots, ISRU, storage ----------------------------------------------------------------
    depot_nodes: list[str] = []
    depot_max: dict[str, float] = {}
    if "depot" in allowed and infra.depot is not None:
        if design is not None:
            depot_nodes = [n for n, q in design.depots.items() if q > 0]
            depot_max = {n: design.depots[n] for n in depot_nodes}
        else:
            depot_nodes = [n for n in infra.depot.allowed_nodes if n in space_nodes]
            depot_max = {n: infra.depot.max_capacity_kg for n in depot_nodes}
    isru_node = infra.isru.node if ("isru" in allowed and infra.isru is not None) else None
    isru_max = 0.0
    if isru_node is not None:
        assert infra.isru is not None
        isru_max = design.isru_kg_per_year if design is not None else infra.isru.max_rate_kg_per_year
    products: dict[str, dict[str, float]] = {}
    if isru_node is not None:
        names = set(commodities)
        if "water" in names:
            products["water"] = {"water": 1.0}
        if "oxygen" in names:
            products["oxygen"] = {"oxygen": 1.0}
        with contextlib.suppress(PlannerError):
            products["propellant"] = mixture(scenario, "lox_lh2")
    stock0 = {k: v for k, v in (initial_stock or {}).items() if v > 0}
    for (n, c), _ in stock0.items():
        if n not in node_specs or c not in density:
            raise PlannerError(f"initial stock names unknown node or commodity: {n}/{c}")
    storage = [n for n in node_specs if n in depot_nodes or n == isru_node or any(k[0] == n for k in stock0)]
    max_storage = storage_limit_months(scenario)

    # ---- node set -----------------------------------------------------------------------------
    used = set(launch_nodes) | set(demand_node.values()) | set(storage) | set(mars_nodes)
    for va in vehicle_arcs:
        used |= {va.origin, va.destination}
    nodes = [n for n, spec in node_specs.items() if n in used and not (spec.kind == "surface" and spec.body == "earth")]

    # ---- prices per kg for infrastructure mass (eq 33) -------------------------------------------
    price_per_kg = infrastructure_prices(scenario, nodes)

    terminal: dict[tuple[str, str], float] = {}
    if terminal_value_fraction > 0:
        cheapest = {}
        for (lv, d), q in launch_payload.items():
            p = next(x.price_usd for x in scenario.launch_vehicles if x.name == lv) / q
            cheapest[d] = min(cheapest.get(d, math.inf), p)
        for n in storage:
            base = cheapest.get(n, min(cheapest.values(), default=0.0))
            for c in commodities:
                terminal[(n, c)] = terminal_value_fraction * base

    return Inputs(
        scenario=scenario,
        steps=steps,
        horizon_months=horizon,
        allowed=allowed,
        design=design,
        commodities=commodities,
        density=density,
        keep_per_step=keep,
        nodes=nodes,
        launch_options=launch_options,
        launch_payload_kg=launch_payload,
        launch_volume_m3={lv.name: lv.volume_m3 for lv in scenario.launch_vehicles},
        launch_price_usd={lv.name: lv.price_usd for lv in scenario.launch_vehicles},
        launch_nodes=launch_nodes,
        vehicles=vehicles,
        vehicle_role=role,
        vehicle_empty_kg=empty,
        vehicle_payload_kg=payload,
        vehicle_tank_kg=tank,
        vehicle_mixture=vmix,
        vehicle_arcs=vehicle_arcs,
        max_fleet=max_fleet,
        demand=demand,
        demand_node=demand_node,
        depot_nodes=depot_nodes,
        depot_max_kg=depot_max,
        storage_nodes=storage,
        initial_stock=stock0,
        max_storage_months=max_storage,
        isru_node=isru_node,
        isru_max_kg_per_year=isru_max,
        isru_products=products,
        isru_availability=dict(isru_availability or {}),
        mars_missions=mars_missions,
        mars_need=mars_need,
        mars_nodes=mars_nodes,
        infra_price_per_kg=price_per_kg,
        vehicle_disposal_kg=reserve,
        depot_launch_kg_per_kg={n: depot_dry_factor(network, scenario, n) for n in depot_nodes},
        shortfall_penalty_usd_per_kg=scenario.planner.shortfall_penalty_usd_per_kg,
        terminal_value=terminal,
        fixed_cost_share=fixed_cost_share,
        required=frozenset(required) & allowed,
        notes=notes,
        vehicle_home={v: n for v, n in (homes or {}).items() if v in vehicles},
        vehicle_busy_days={v: d for v, d in (busy_days or {}).items() if v in vehicles and d > 0},
        isru_same_month_share=isru_same_month_share,
        burn_draw_factor={
            c.name: (1.0 - c.boiloff_fraction_per_day) ** -burn_wait_days
            for c in scenario.commodities
            if c.boiloff_fraction_per_day > 0 and burn_wait_days > 0
        },
    )


def simulated_leg_days(tof_days: float, turnaround_days: float) -> int:
    """Days a leg keeps a vehicle busy in the day-by-day simulation (:mod:`cislink.agents`).

    A vehicle that leaves on day ``d`` is seen to arrive at the first day's step at or after
    ``d + tof``, and never on the day it left; it may leave again ``ceil(turnaround)`` days after
    it arrived. A lander's hop between the lunar surface and LLO (a time of flight of about an hour,
    a day's turnaround) so takes two days, not one: plans that counted one day asked a lander for
    twice the legs it flies.
    """
    return max(1, math.ceil(tof_days)) + math.ceil(turnaround_days)


def trip_load_limit_kg(payload_kg: float, tank_kg: float, empty_kg: float, k: float) -> float:
    """The most one trip lifts on an arc of propellant fraction ``k`` (study eqs 20 and 22).

    Propellant of the vehicle's own type may ride in the tanks' room, so cargo and burn together
    fit in payload plus tank (eq 20: ``C + k (m_empty + C) <= payload + tank``), and the burn fits
    in the tank (eq 22). Dry cargo is further held to the payload (eq 21) by its caller. Negative
    where the vehicle cannot fly the arc even empty.
    """
    total = (payload_kg + tank_kg - k * empty_kg) / (1.0 + k)
    burn = tank_kg / k - empty_kg if k > 0 else tank_kg
    return min(total, burn)


def storage_limit_months(scenario: Scenario) -> int:
    """Longest a commodity may be held anywhere (eq 16): the depot option's limit, or the default."""
    depot = scenario.infrastructure.depot
    return depot.max_storage_months if depot is not None else DEFAULT_STORAGE_MONTHS


def infrastructure_prices(scenario: Scenario, nodes: list[str]) -> dict[str, float]:
    """Launch price per kg of infrastructure delivered to each node (eq 33).

    The scenario's infrastructure launch vehicle prices the mass; a node it cannot reach directly
    (the lunar surface) is priced at its trans-lunar figure. If that vehicle has no figure for the
    node's orbit class, the cheapest vehicle that has one prices it; if none has, the dearest per-kg
    figure of any vehicle to any class does, so an unreachable class is never priced cheap.
    """
    infra_lv = scenario.infrastructure.infrastructure_launch_vehicle
    lvs = [lv for lv in scenario.launch_vehicles if lv.name == infra_lv] or list(scenario.launch_vehicles)
    dearest = max(
        (
            lv.price_usd / lv.payload_kg(c)
            for lv in scenario.launch_vehicles
            for c in ("leo", "geo", "tli")
            if lv.payload_kg(c) > 0
        ),
        default=0.0,
    )
    out: dict[str, float] = {}
    for name in nodes:
        spec = scenario.node(name)
        cls = launch_class(spec) or ("tli" if spec.body == "moon" else "geo")
        prices = [lv.price_usd / lv.payload_kg(cls) for lv in lvs if lv.payload_kg(cls) > 0]
        if not prices:
            prices = [
                lv.price_usd / lv.payload_kg(cls) for lv in scenario.launch_vehicles if lv.payload_kg(cls) > 0
            ] or [dearest]
        out[name] = min(prices)
    return out
