"""The scenario schema: every input of a study or a simulation, as validated data.

A scenario is a TOML file; this module's pydantic models are its schema. Units are in the field
names (``_kg``, ``_m_s``, ``_days``, ``_usd``, ``_kg_per_day``) or said in the field's description.
Unknown fields are refused, so a typo is an error rather than a silently ignored line. Cross-field
checks (a station at a node that exists and that some vehicle can reach, names unique, a resupply
interval that fits the horizon) run after the fields themselves are valid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cislink.scenarios.nodes import (
    DEBRIS_REGIMES,
    NODE_NAME_PATTERN,
    REFERENCE_NODES,
    ArcOverride,
    NodeSpec,
    launch_class,
    topology,
)

Name = Annotated[str, Field(pattern=NODE_NAME_PATTERN, description="lower-case id: letters, digits, _")]


def _once(values: list[str]) -> list[str]:
    """A list of names that names each at most once (a repeated depot site once built the model twice)."""
    repeated = sorted(v for v, c in Counter(values).items() if c > 1)
    if repeated:
        raise ValueError(f"names {', '.join(repr(r) for r in repeated)} more than once; allowed: each name once")
    return values


Names = Annotated[list[Name], AfterValidator(_once)]
#: the largest quantity any field takes (kg, USD, m/s, days, ...): far above any real one, and small
#: enough that the planner's sums over a horizon stay finite
MAX_QUANTITY = 1e12
#: the largest random seed HiGHS and SCIP accept (a C int); HiGHS ignores a larger one
SOLVER_SEED_MAX = 2**31 - 1
# strict: a number, never a boolean (TOML's ``true`` once passed for a boil-off fraction of 1)
PositiveFloat = Annotated[float, Field(gt=0.0, le=MAX_QUANTITY, allow_inf_nan=False, strict=True)]
NonNegFloat = Annotated[float, Field(ge=0.0, le=MAX_QUANTITY, allow_inf_nan=False, strict=True)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]
#: a specific impulse, s: from cold gas (about 70 s) to electric propulsion; below 30 s the rocket
#: equation's mass ratios over the network's arcs leave floating point
Isp = Annotated[float, Field(ge=30.0, le=20_000.0, allow_inf_nan=False, strict=True)]

COMMODITIES = ("water", "oxygen", "food", "propellant", "lox", "lh2", "mmh", "nto", "cargo")
PropellantType = Literal["lox_lh2", "mmh_nto"]
DisruptionKind = Literal[
    "launch_failure", "vehicle_loss", "depot_loss", "isru_outage", "relay_outage", "debris_event", "embargo"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LaunchVehicle(_Model):
    """An Earth launch vehicle (study Table 3)."""

    name: Name
    provider: Name = Field(description="Who sells the launch (embargoes act on providers).")
    payload_leo_kg: NonNegFloat
    payload_geo_kg: NonNegFloat = 0.0
    payload_tli_kg: NonNegFloat = 0.0
    volume_m3: PositiveFloat
    propellant_kg: NonNegFloat = 0.0
    price_usd: PositiveFloat
    reliability: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False, strict=True)] = 0.98
    price_source: str = ""

    def payload_kg(self, cls: str) -> float:
        return {"leo": self.payload_leo_kg, "geo": self.payload_geo_kg, "tli": self.payload_tli_kg}[cls]


class Vehicle(_Model):
    """An in-space vehicle: tug, lander, Mars transfer vehicle or return capsule (Tables 2 and 4)."""

    name: Name
    role: Literal["tug", "lander", "mars_transfer", "return_capsule"]
    empty_kg: PositiveFloat
    payload_kg: PositiveFloat
    propellant_kg: PositiveFloat
    isp_s: Isp
    propellant_type: PropellantType = "lox_lh2"
    nodes: Names = Field(
        default_factory=list, description="Nodes the vehicle may fly between; empty means every space node."
    )
    reliability: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False, strict=True)] = 0.995
    turnaround_days: NonNegFloat = Field(
        default=1.0, description="Docking, loading and refuelling time added to every leg (planner fleet sizing)."
    )


class Commodity(_Model):
    """A commodity that flows on the network."""

    name: Literal["water", "oxygen", "food", "propellant", "lox", "lh2", "mmh", "nto", "cargo"]
    cryogenic: bool = False
    boiloff_fraction_per_day: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False, strict=True)] = Field(
        default=0.0, description="Share of the stock lost a day; below 1 (all of it gone in a day is no store)."
    )
    density_kg_m3: PositiveFloat = 1000.0

    @model_validator(mode="after")
    def _check(self) -> Commodity:
        if self.boiloff_fraction_per_day > 0 and not self.cryogenic:
            raise ValueError(f"commodity '{self.name}': only cryogenic commodities boil off; set cryogenic = true")
        return self


class DailyUse(_Model):
    """Per-person daily use before recycling (study Table 7), kg/person/day."""

    water_kg_per_day: NonNegFloat = 11.0
    oxygen_kg_per_day: NonNegFloat = 0.834
    food_kg_per_day: NonNegFloat = 2.85


class Station(_Model):
    """A customer station (study Tables 5, 8, 9)."""

    name: Name
    node: Name
    crew: Annotated[int, Field(ge=0, le=100_000)]
    use: DailyUse = DailyUse()
    water_reuse_kg_per_person_day: NonNegFloat = 0.0
    oxygen_generation_kg_per_day: NonNegFloat = 0.0
    propellant_kg_per_year: NonNegFloat = 0.0
    propellant_type: PropellantType = "mmh_nto"
    resupply_interval_months: Annotated[int, Field(ge=1, le=600)]
    days_of_supply_limit: PositiveFloat = Field(default=30.0, description="Alarm when supply falls below this.")

    def annual_demand_kg(self) -> dict[str, float]:
        """Net yearly demand per commodity after recycling, kg."""
        days = 365.0
        water = max(self.use.water_kg_per_day - self.water_reuse_kg_per_person_day, 0.0) * self.crew * days
        oxygen = max(self.use.oxygen_kg_per_day * self.crew - self.oxygen_generation_kg_per_day, 0.0) * days
        return {
            "water": water,
            "oxygen": oxygen,
            "food": self.use.food_kg_per_day * self.crew * days,
            "propellant": self.propellant_kg_per_year,
        }


class Servicing(_Model):
    """Satellite servicing demand: propellant only (study section VI.A)."""

    name: Name
    node: Name
    satellites: Annotated[int, Field(ge=0, le=1_000_000)]
    serviced_fraction_per_year: Fraction
    propellant_kg_per_satellite: NonNegFloat
    share: Fraction = Field(description="Share of the satellite population in this regime.")
    resupply_interval_months: Annotated[int, Field(ge=1, le=600)] = 12
    propellant_type: PropellantType = "mmh_nto"

    def propellant_kg_per_year(self) -> float:
        return self.satellites * self.serviced_fraction_per_year * self.propellant_kg_per_satellite * self.share


class MarsCampaign(_Model):
    """Crewed Mars missions (study Tables 8 and 9, eqs 5-6)."""

    crew: Annotated[int, Field(ge=1, le=100_000)]
    interval_months: Annotated[int, Field(ge=1, le=600)] = 60
    duration_months: Annotated[int, Field(ge=1, le=600)] = 36
    first_month: Annotated[int, Field(ge=0, le=600)] = 0
    water_kg_per_year: NonNegFloat
    oxygen_kg_per_year: NonNegFloat
    food_kg_per_year: NonNegFloat
    transfer_vehicle: Name = Field(description="A vehicle with role 'mars_transfer'.")
    aggregation_nodes: Names = Field(
        default_factory=list, description="Where the vehicle may be supplied; empty = any non-Earth space node."
    )


class DepotOption(_Model):
    allowed_nodes: Names
    mass_fraction: Fraction = Field(default=0.25, description="Depot dry mass per kg of capacity (study: 0.25).")
    max_capacity_kg: PositiveFloat = 1_000_000.0
    max_storage_months: Annotated[int, Field(ge=1, le=600)] = 6
    ddte_usd: NonNegFloat
    operations_usd_per_year: NonNegFloat = 0.0
    disposal_isp_s: Isp = Field(
        default=320.0,
        description="Specific impulse of the depot's thrusters for its end-of-mission disposal (ISO 24113), s.",
    )
    cost_source: str = ""


class TugOption(_Model):
    vehicle: Name
    max_fleet: Annotated[int, Field(ge=0, le=1_000)] = 10
    ddte_usd: NonNegFloat
    operations_usd_per_year: NonNegFloat = 0.0
    cost_source: str = ""


class IsruOption(_Model):
    node: Name
    max_rate_kg_per_year: PositiveFloat = 1_000_000.0
    fixed_mass_kg: NonNegFloat = Field(description="Plant mass = fixed_mass_kg + mass_per_rate_kg * rate (kg/yr).")
    mass_per_rate_kg: NonNegFloat
    ddte_usd: NonNegFloat
    operations_usd_per_year: NonNegFloat = 0.0
    cost_source: str = ""


class Infrastructure(_Model):
    depot: DepotOption | None = None
    tug: TugOption | None = None
    isru: IsruOption | None = None
    infrastructure_launch_vehicle: Name | None = Field(
        default=None, description="Launch vehicle whose price per kg prices infrastructure mass (eq 33)."
    )


class Relay(_Model):
    """A relay satellite: carries commands to the nodes it serves (a vehicle docks only under cover)."""

    name: Name
    node: Name = Field(description="Where the relay sits; a relay serves its own node as a co-located host.")
    serves: Names = Field(default_factory=list, description="Nodes it relays for (its own node always).")
    processing_ms: NonNegFloat = Field(default=5.0, description="Fixed ground and on-board latency, ms.")


class Ally(_Model):
    """An allied operator that buys propellant from the network's depots at the policy's toll price."""

    name: Name
    node: Name
    propellant_kg_per_year: NonNegFloat
    propellant_type: PropellantType = "lox_lh2"
    resupply_interval_months: Annotated[int, Field(ge=1, le=600)] = 1


class PolicyDef(_Model):
    """A policy: what the nation owns and what it buys (data, so users can add their own)."""

    name: Name
    owns: Annotated[list[Literal["depot", "tug", "isru", "relay", "traffic"]], AfterValidator(_once)] = Field(
        default_factory=list
    )
    toll_propellant_usd_per_kg: NonNegFloat = 0.0
    toll_payload_usd_per_kg: NonNegFloat = 0.0
    toll_service_usd: NonNegFloat = 0.0
    market_launch_usd_per_kg: NonNegFloat = 0.0
    market_transfer_usd_per_kg: NonNegFloat = 0.0
    market_propellant_usd_per_kg: NonNegFloat = 0.0
    market_availability: Fraction = 1.0
    embargo_probability_per_year: Fraction = 0.0


class Disruption(_Model):
    """A scripted disruption: what happens, to what, when and for how long."""

    kind: DisruptionKind
    target: str = Field(description="Node, vehicle, launch vehicle, provider or regime the event hits.")
    start: dt.date
    duration_days: NonNegFloat = 0.0
    note: str = ""


class DisruptionRates(_Model):
    """Random disruption draws for wargames, events per year."""

    depot_loss_per_year: NonNegFloat = 0.0
    isru_outage_per_year: NonNegFloat = 0.0
    relay_outage_per_year: NonNegFloat = 0.0
    debris_event_per_year: NonNegFloat = 0.0
    mean_outage_days: PositiveFloat = 14.0


class PlannerSettings(_Model):
    horizon_months: Annotated[int, Field(ge=1, le=600)]
    window_months: Annotated[int, Field(ge=1, le=600)] = 24
    solver: Literal["highs", "scip"] = "highs"
    time_limit_s: PositiveFloat = 120.0
    mip_gap: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False, strict=True)] = 0.01
    threads: Annotated[int, Field(ge=1, le=256)] = 2
    seed: Annotated[int, Field(ge=0, le=SOLVER_SEED_MAX)] = Field(
        default=0, description="The solvers' random seed (HiGHS and SCIP take 0 to 2,147,483,647)."
    )
    shortfall_penalty_usd_per_kg: PositiveFloat = 1.0e7
    window_time_limit_s: PositiveFloat = Field(
        default=30.0, description="Time limit of each monthly re-plan in a run, s (the study uses time_limit_s)."
    )
    window_integer_months: Annotated[int, Field(ge=1, le=600)] = Field(
        default=1,
        description="Months of each re-plan solved with integer launches and trips; later months are relaxed.",
    )
    window_step_months: Annotated[int, Field(ge=1, le=12)] = Field(
        default=1,
        description="Length of each step of a re-plan's look-ahead after its first window_monthly_months, months "
        "(1: every month planned on its own; 3: three months planned as one, a faster re-plan).",
    )
    window_monthly_months: Annotated[int, Field(ge=1, le=600)] = Field(
        default=6,
        description="Months at the start of each re-plan planned month by month (at least window_integer_months) "
        "when window_step_months is above 1.",
    )
    window_method: Literal["priced", "mip"] = Field(
        default="priced",
        description="How a re-plan is solved: 'priced' solves the executed months alone with the later months "
        "priced by the relaxation's duals, then the whole window with those decisions fixed; 'mip' solves the "
        "window as one MIP.",
    )
    window_gap_launches: Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False, strict=True)] = Field(
        default=0.1,
        description="A re-plan stops once proven within this share of the cheapest launch's price of the best plan "
        "(or within mip_gap).",
    )
    window_burn_wait_days: Annotated[float, Field(ge=0.0, le=31.0, allow_inf_nan=False, strict=True)] = Field(
        default=15.0,
        description="Days the propellant a leg burns waits at the leg's origin before the leg leaves, in a "
        "re-plan: the plan puts there what boils off meanwhile as well (0: nothing, as the study's monthly "
        "balances, in which what arrives and leaves within a month does not boil off).",
    )
    window_isru_same_month_share: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)] = Field(
        default=0.5,
        description="Share of a month's ISRU output a re-plan lets that month's departures use; the rest is made "
        "too late in the month and serves the next one (1: the whole month's output at once, as the study).",
    )


class SimulationSettings(_Model):
    start_date: dt.date
    months: Annotated[int, Field(ge=1, le=600)]
    seed: Annotated[int, Field(ge=0)] = 0
    command_latency_limit_ms: PositiveFloat = Field(default=100.0, description="A vehicle docks only under this.")
    vehicle_replacement_days: NonNegFloat = Field(
        default=180.0, description="A lost tug or lander is replaced after this many days (0: never replaced)."
    )
    reflight_days: NonNegFloat = Field(
        default=0.0,
        description="A failed launch's payload is launched again on the same vehicle this many days later, "
        "if that day is still in the month (0: never re-flown; the next month's re-plan makes up for it).",
    )
    replan_on: Annotated[list[DisruptionKind], AfterValidator(_once)] = Field(
        default_factory=lambda: ["vehicle_loss", "depot_loss", "isru_outage", "embargo"],
        description="Disruptions after which the rest of the month is planned again at once, from the state the "
        "network is in then; after the others the next month's plan answers. A vehicle lost in flight counts as "
        "`vehicle_loss`, a launch that fails as `launch_failure`.",
    )


class Scenario(_Model):
    """A whole scenario. ``nodes`` defaults to the reference study's network."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", description="lower-case id; '-' allowed")]
    description: str = ""
    nodes: list[NodeSpec] = Field(default_factory=lambda: list(REFERENCE_NODES))
    arc_overrides: list[ArcOverride] = Field(default_factory=list)
    launch_vehicles: Annotated[list[LaunchVehicle], Field(min_length=1)]
    vehicles: list[Vehicle] = Field(default_factory=list)
    commodities: Annotated[list[Commodity], Field(min_length=1)]
    stations: list[Station] = Field(default_factory=list)
    servicing: list[Servicing] = Field(default_factory=list)
    mars: MarsCampaign | None = None
    relays: list[Relay] = Field(default_factory=list)
    allies: list[Ally] = Field(default_factory=list)
    infrastructure: Infrastructure = Infrastructure()
    policies: list[PolicyDef] = Field(default_factory=list)
    policy: Name = Field(default="sovereign", description="The policy in force; one of `policies`.")
    disruptions: list[Disruption] = Field(default_factory=list)
    disruption_rates: DisruptionRates = DisruptionRates()
    planner: PlannerSettings
    simulation: SimulationSettings

    # ---- cross-field checks -------------------------------------------------------------------
    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        _unique("nodes", [n.name for n in self.nodes])
        _unique("launch_vehicles", [v.name for v in self.launch_vehicles])
        _unique("vehicles", [v.name for v in self.vehicles])
        _unique("commodities", [c.name for c in self.commodities])
        _unique("stations", [s.name for s in self.stations])
        _unique("servicing", [s.name for s in self.servicing])
        _unique("policies", [p.name for p in self.policies])
        _unique("relays", [r.name for r in self.relays])
        _unique("allies", [a.name for a in self.allies])
        node_names = [n.name for n in self.nodes]
        vehicle_names = [v.name for v in self.vehicles]
        try:
            arcs = topology(self.nodes)
        except ValueError as exc:
            raise ValueError(f"nodes: {exc}") from None

        def need(path: str, value: str, allowed: list[str], what: str) -> None:
            if value not in allowed:
                raise ValueError(f"{path}: unknown {what} '{value}'; allowed: {', '.join(sorted(allowed)) or 'none'}")

        for i, ov in enumerate(self.arc_overrides):
            need(f"arc_overrides[{i}].origin", ov.origin, node_names, "node")
            need(f"arc_overrides[{i}].destination", ov.destination, node_names, "node")
        for i, v in enumerate(self.vehicles):
            for j, n in enumerate(v.nodes):
                need(f"vehicles[{i}].nodes[{j}]", n, node_names, "node")
        for i, s in enumerate(self.stations):
            need(f"stations[{i}].node", s.node, node_names, "node")
            if s.resupply_interval_months > self.planner.horizon_months:
                raise ValueError(
                    f"stations[{i}].resupply_interval_months: {s.resupply_interval_months} months is longer "
                    f"than the planner horizon ({self.planner.horizon_months} months); allowed: 1 to "
                    f"{self.planner.horizon_months}"
                )
        for i, s in enumerate(self.servicing):
            need(f"servicing[{i}].node", s.node, node_names, "node")
        for i, r in enumerate(self.relays):
            need(f"relays[{i}].node", r.node, node_names, "node")
            for j, n in enumerate(r.serves):
                need(f"relays[{i}].serves[{j}]", n, node_names, "node")
        for i, a in enumerate(self.allies):
            need(f"allies[{i}].node", a.node, node_names, "node")
        if self.mars is not None:
            need("mars.transfer_vehicle", self.mars.transfer_vehicle, vehicle_names, "vehicle")
            mtv = next(v for v in self.vehicles if v.name == self.mars.transfer_vehicle)
            if mtv.role != "mars_transfer":
                raise ValueError(
                    f"mars.transfer_vehicle: vehicle '{mtv.name}' has role '{mtv.role}'; it needs role 'mars_transfer'"
                )
            for j, n in enumerate(self.mars.aggregation_nodes):
                need(f"mars.aggregation_nodes[{j}]", n, node_names, "node")
        infra = self.infrastructure
        if infra.depot is not None:
            # a depot stores what launches bring: anywhere in space or on another body, not at the launch site
            sites = [n.name for n in self.nodes if not (n.kind == "surface" and n.body == "earth")]
            if not infra.depot.allowed_nodes:
                raise ValueError(
                    "infrastructure.depot.allowed_nodes: no site given; allowed: one or more of "
                    f"{', '.join(sorted(sites))} (or leave out [infrastructure.depot] for no depots)"
                )
            for j, n in enumerate(infra.depot.allowed_nodes):
                need(f"infrastructure.depot.allowed_nodes[{j}]", n, node_names, "node")
                need(f"infrastructure.depot.allowed_nodes[{j}]", n, sites, "depot site")
        if infra.tug is not None:
            need("infrastructure.tug.vehicle", infra.tug.vehicle, vehicle_names, "vehicle")
        if infra.isru is not None:
            need("infrastructure.isru.node", infra.isru.node, node_names, "node")
            # the plant mines ice: it stands on the surface of the Moon or Mars
            mines = [n.name for n in self.nodes if n.kind == "surface" and n.body != "earth"]
            need("infrastructure.isru.node", infra.isru.node, mines, "ISRU site (a surface of the Moon or Mars)")
        if infra.infrastructure_launch_vehicle is not None:
            need(
                "infrastructure.infrastructure_launch_vehicle",
                infra.infrastructure_launch_vehicle,
                [v.name for v in self.launch_vehicles],
                "launch vehicle",
            )
        if self.policies:
            need("policy", self.policy, [p.name for p in self.policies], "policy")
        if self.planner.window_months > self.planner.horizon_months:
            raise ValueError(
                f"planner.window_months: {self.planner.window_months} exceeds horizon_months "
                f"({self.planner.horizon_months}); allowed: 1 to {self.planner.horizon_months}"
            )
        targets = self.disruption_targets()
        types = "|".join(re.escape(v.name) for v in self.vehicles)
        for i, d in enumerate(self.disruptions):
            one_vehicle = d.kind == "vehicle_loss" and types and re.fullmatch(rf"(?:{types})-[1-9][0-9]*", d.target)
            if d.start < self.simulation.start_date:
                raise ValueError(
                    f"disruptions[{i}].start: {d.start} is before the simulation starts "
                    f"({self.simulation.start_date}); allowed: {self.simulation.start_date} or later"
                )
            if d.target not in targets[d.kind] and not one_vehicle:
                extra = " (or one vehicle: TYPE-N, e.g. tug-1)" if d.kind == "vehicle_loss" and types else ""
                raise ValueError(
                    f"disruptions[{i}].target: unknown target '{d.target}' for {d.kind}; allowed: "
                    f"{', '.join(targets[d.kind]) or 'none in this scenario'}{extra}"
                )
        reachable = self.reachable_nodes(arcs)
        for i, s in enumerate(self.stations):
            if s.node not in reachable:
                raise ValueError(
                    f"stations[{i}].node: no launch vehicle or vehicle can reach '{s.node}'; reachable nodes: "
                    f"{', '.join(sorted(reachable))}"
                )
        for i, s in enumerate(self.servicing):
            if s.node not in reachable:
                raise ValueError(f"servicing[{i}].node: no launch vehicle or vehicle can reach '{s.node}'")
        for i, a in enumerate(self.allies):
            if a.node not in reachable:
                raise ValueError(f"allies[{i}].node: no launch vehicle or vehicle can reach '{a.node}'")
        return self

    def disruption_targets(self) -> dict[str, list[str]]:
        """What each kind of disruption may hit in some run of this scenario (a run may have fewer)."""
        lvs = self.launch_vehicles
        infra = self.infrastructure
        return {
            "launch_failure": sorted(lv.name for lv in lvs),
            "embargo": sorted({lv.name for lv in lvs} | {lv.provider for lv in lvs}),
            "vehicle_loss": sorted(v.name for v in self.vehicles),
            "depot_loss": sorted(infra.depot.allowed_nodes) if infra.depot is not None else [],
            "isru_outage": [infra.isru.node, "isru"] if infra.isru is not None else [],
            "relay_outage": sorted({r.name for r in self.relays} | {r.node for r in self.relays}),
            "debris_event": list(DEBRIS_REGIMES),
        }

    def reachable_nodes(self, arcs: list[tuple[str, str]] | None = None) -> set[str]:
        """Nodes supplies can reach: launch destinations, then wherever a vehicle can fly from there."""
        arcs = arcs if arcs is not None else topology(self.nodes)
        reach: set[str] = set()
        for n in self.nodes:
            cls = launch_class(n)
            if cls is not None and any(lv.payload_kg(cls) > 0 for lv in self.launch_vehicles):
                reach.add(n.name)
        space = {n.name for n in self.nodes if n.kind != "surface"}
        changed = True
        while changed:
            changed = False
            for v in self.vehicles:
                allowed = set(v.nodes) if v.nodes else space
                for o, d in arcs:
                    if o in reach and d not in reach and o in allowed and d in allowed:
                        reach.add(d)
                        changed = True
        return reach

    def node(self, name: str) -> NodeSpec:
        return next(n for n in self.nodes if n.name == name)


def _unique(section: str, names: list[str]) -> None:
    dupes = sorted(n for n, c in Counter(names).items() if c > 1)
    if dupes:
        raise ValueError(f"{section}: duplicate name(s) {', '.join(repr(d) for d in dupes)}; names must be unique")
