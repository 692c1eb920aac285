"""The network in operation: a Mesa model whose step is one day, re-planned on the first of every month.

``CislinkModel(scenario, policy=..., seed=...)`` builds the agents from the scenario and the
infrastructure the policy owns (:mod:`cislink.agents.policy`). On day 1 of every month it calls the
planner once (:func:`cislink.planner.plan_window`) with the state the agents have reached: stock
where it is (a customer's stock beyond what it needs until its next resupply; a deficit becomes
extra demand), launches still in flight counted at their destination, the built infrastructure
fixed, ISRU availability after outages. The month's part of the plan is then scheduled: launches
spread over the first ten days, trips queued at their origin for a vehicle to take. If the planner
fails, the previous plan's remainder is executed and an alarm is raised.

A disruption named in ``simulation.replan_on`` (a vehicle lost, a depot lost, an ISRU outage, an
embargo by default) has the rest of the month planned again at the start of the next day (the same
day for a disruption applied at the day's start): what is still to come this month is dropped and
the window is solved from that day's state, with the days of the month gone counted as the fleet's
busy days and only the rest of the month's ISRU output.

Order of a day: disruptions due, launches, vehicles (every arrival, then every departure), ISRU, customers,
boil-off, data collection. Everything random draws from ``self.rng`` (seeded), so a seed fixes a run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

import mesa
import networkx as nx
import pandas as pd

from cislink.agents.agents import (
    C_KM_PER_MS,
    PARTIAL_LOAD_DAY,
    REPOSITION_DAY,
    Customer,
    Depot,
    IsruPlant,
    LaunchProvider,
    Leg,
    Relay,
    Shipment,
    Vehicle,
)
from cislink.agents.disruptions import Event, apply_event, check_event, draw_random_events, start_day
from cislink.agents.ledger import Ledger
from cislink.agents.policy import design_for_policy, policy_def
from cislink.agents.tours import Tour, walk_tours
from cislink.errors import CislinkError, PlannerError
from cislink.orbits.debris import DebrisModel
from cislink.planner.inputs import (
    DAYS_PER_MONTH,
    G0_M_S2,
    Design,
    demand_events,
    mixture,
    simulated_leg_days,
)
from cislink.planner.results import Plan
from cislink.planner.solve import SolverSettings
from cislink.planner.window import WindowState, plan_window
from cislink.scenarios.nodes import launch_class
from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

#: Launches of a month fly over its first this many days.
LAUNCH_SPREAD_DAYS = 10
#: Ground stations give command cover to Earth orbits this close (one-way light time + processing).
GROUND_PROCESSING_MS = 5.0
EARTH_RADIUS_KM = 6378.0


def with_market_vehicles(scenario: Scenario, policy: Any, design: Design) -> tuple[Design, set[str]]:
    """Add the transfer vehicles a policy buys as a service (one of each needed type) to ``design``.

    A policy with a market transfer price buys in-space transfer where no launch reaches: every
    vehicle type serving a node without a launch class (a surface) is hired, one vehicle, unless
    the policy already owns one. Hired vehicles cost nothing to build; each kg they carry pays the
    market transfer price.
    """
    if policy.market_transfer_usd_per_kg <= 0:
        return design, set()
    unreachable = {n.name for n in scenario.nodes if launch_class(n) is None and n.body != "mars"}
    fleets = dict(design.fleets)
    hired = set()
    for v in scenario.vehicles:
        if v.role in ("tug", "lander") and set(v.nodes) & unreachable and fleets.get(v.name, 0) == 0:
            fleets[v.name] = 1
            hired.add(v.name)
    return Design(dict(design.depots), design.isru_kg_per_year, fleets), hired


#: Cost terms paid once for the whole horizon when a programme is built.
INVESTMENT_TERMS = ("ddte", "infrastructure_launch")


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class CislinkModel(mesa.Model):
    """The network run day by day. See the module docstring for the order of a day."""

    #: disruptions seen since the last plan that call for the rest of the month to be planned again
    _replan_due: tuple[str, ...] = ()
    #: the month whose Mars transfer vehicle has left (a re-plan later that month plans no second one)
    mars_departed_month: int = -1

    def __init__(
        self,
        scenario: Scenario,
        policy: str | None = None,
        seed: int | None = None,
        *,
        network: Any = None,
        design: Design | None = None,
        design_costs_usd: dict[str, float] | None = None,
        months: int | None = None,
        debug: bool = False,
        random_disruptions: bool = True,
    ) -> None:
        seed = scenario.simulation.seed if seed is None else seed
        super().__init__(seed=seed)
        from cislink.orbits import build_network

        self.scenario = scenario
        self.policy = policy_def(scenario, policy or scenario.policy)
        self.seed = seed
        self.network = network or build_network(scenario)
        self.debug = debug
        self.months = months or scenario.simulation.months
        self.start_date = scenario.simulation.start_date
        if design is None:
            design, design_costs_usd = design_for_policy(scenario, self.network, self.policy)
        design, self.market_vehicles = with_market_vehicles(scenario, self.policy, design)
        self.design = design
        self.design_costs_usd = dict(design_costs_usd or {})
        self.debris = DebrisModel()
        self.latency_limit_ms = scenario.simulation.command_latency_limit_ms
        self.boiloff = {c.name: c.boiloff_fraction_per_day for c in scenario.commodities}
        self.mixtures = {p: mixture(scenario, p) for p in ("lox_lh2", "mmh_nto")}
        self.propellant_commodities = {c for mix in self.mixtures.values() for c in mix}
        self.sells = "depot" in self.policy.owns and bool(scenario.allies)

        # ---- clock and counters -------------------------------------------------------------
        self.day = 0
        self.month = -1
        self.month_start_day = 0
        self.month_days = 0
        self.ledger = Ledger()
        self.costs: dict[tuple[int, str], float] = defaultdict(float)
        self.tolls_usd = 0.0
        self.delivered_kg = 0.0
        self.consumed_kg = 0.0
        self.sold_kg = 0.0
        self.burned_kg = 0.0
        self.station_days_short = 0
        self.mars_short_kg = 0.0
        self.dock_wait_days = 0
        self.max_balance_error_kg = 0.0
        self.events: list[dict[str, Any]] = []
        self.pending_events: list[Event] = []
        self.closures: dict[str, int] = {}
        self.embargoes: dict[str, int] = {}
        self.shipments: list[Shipment] = []
        self.legs: list[Leg] = []
        self.legs_dropped = 0
        self._leg_ids = 0
        self.plan: Plan | None = None
        self.plan_month = -1
        self.plan_rows: list[dict[str, Any]] = []
        self.planning_seconds = 0.0
        #: replaces :func:`plan_window` (same arguments) when set, e.g. to solve in another process;
        #: not saved with the model
        self.plan_window_fn: Callable[..., Plan] | None = None
        self.stepping_seconds = 0.0
        # month buffers, flushed to disk by the run folder
        self.launch_rows: list[tuple[Any, ...]] = []
        self.shortfall_rows: list[tuple[Any, ...]] = []
        self.inventory_rows: list[tuple[Any, ...]] = []
        self.vehicle_rows: list[tuple[Any, ...]] = []

        # ---- agents ---------------------------------------------------------------------------
        self.depots: dict[str, Depot] = {}
        for node in self.network.node_names:
            if node != "earth":
                self.depots[node] = Depot(self, node, design.depots.get(node, 0.0))
        for lv in scenario.launch_vehicles:
            LaunchProvider(self, lv.name, lv.provider, lv.reliability, lv.price_usd)
        self.relays = [Relay(self, r.name, r.node, list(r.serves), r.processing_ms) for r in scenario.relays]
        self.isru: IsruPlant | None = None
        infra = scenario.infrastructure
        if infra.isru is not None and design.isru_kg_per_year > 0:
            self.isru = IsruPlant(self, infra.isru.node, design.isru_kg_per_year)
        self._make_customers()
        self._vehicles_to_place = {v: n for v, n in design.fleets.items() if n > 0}
        self._serial: dict[str, int] = defaultdict(int)
        self._home_paths: dict[tuple[str, str], list[str]] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "stock_kg": "stock_kg",
                "in_transit_kg": "transit_kg",
                "delivered_kg": "delivered_kg",
                "consumed_kg": "consumed_kg",
                "shortfall_kg": "shortfall_kg",
                "cost_usd": "total_cost_usd",
                "tolls_usd": "tolls_usd",
                "balance_error_kg": "balance_error_kg",
            }
        )
        self.invested_usd = 0.0  # DDTE and infrastructure launches paid for the whole horizon (see _invest)
        self.depots_lost: list[str] = []  # depots destroyed in service (left as debris, see disposal_plan)
        for key, usd in self.design_costs_usd.items():
            if key in INVESTMENT_TERMS:
                self._invest(key, usd, month=0)
        for d in scenario.disruptions:
            self.pending_events.append(Event(d.kind, d.target, start_day(self, d.start), d.duration_days, "scripted"))
        if random_disruptions:
            self.pending_events.extend(draw_random_events(self))
        self.pending_events.sort(key=lambda e: (e.day, e.kind, e.target))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state["plan_window_fn"] = None
        return state

    # ---- set-up helpers -------------------------------------------------------------------------
    def _make_customers(self) -> None:
        sc = self.scenario
        per_year = self._yearly_use()
        self.customers: list[Customer] = []
        for st in sc.stations:
            daily = {c: kg / 365.25 for c, kg in per_year.get(st.name, {}).items()}
            self.customers.append(
                Customer(self, st.name, st.node, "station", daily, st.resupply_interval_months, st.days_of_supply_limit)
            )
        for sv in sc.servicing:
            daily = {c: kg / 365.25 for c, kg in per_year.get(sv.name, {}).items()}
            self.customers.append(Customer(self, sv.name, sv.node, "servicing", daily, sv.resupply_interval_months, 30))
        self._sync_allies(per_year)
        # each customer starts with what it needs until its first resupply covers it
        for cu in self.customers:
            days = (add_months(self.start_date, cu.resupply_months) - self.start_date).days
            for c, kg in cu.daily_kg.items():
                self.depot(cu.node).put(c, kg * days)
                self.ledger.record(0, "initial", cu.node, c, kg * days, cu.name)

    def _yearly_use(self) -> dict[str, dict[str, float]]:
        """kg per customer and commodity over the first year (allies included)."""
        per_year: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (name, c, _), kg in demand_events(self.scenario, range(12), allies=True).items():
            per_year[name][c] += kg
        return per_year

    def _sync_allies(self, per_year: dict[str, dict[str, float]] | None = None) -> None:
        """Allied operators are customers while the policy sells to them (at its toll), else not."""
        for cu in [c for c in self.customers if c.kind == "ally"]:
            self.customers.remove(cu)
            cu.remove()
        if self.sells:
            per_year = per_year or self._yearly_use()
            for al in self.scenario.allies:
                daily = {c: kg / 365.25 for c, kg in per_year.get(al.name, {}).items()}
                self.customers.append(
                    Customer(
                        self, al.name, al.node, "ally", daily, al.resupply_interval_months, 30,
                        toll_usd_per_kg=self.policy.toll_propellant_usd_per_kg,
                    )
                )  # fmt: skip
        self._node_use: dict[str, dict[str, float]] = {}
        for cu in self.customers:
            use = self._node_use.setdefault(cu.node, {})
            for c, kg in cu.daily_kg.items():
                use[c] = use.get(c, 0.0) + kg

    # ---- queries the agents use -----------------------------------------------------------------
    @property
    def date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.day)

    @property
    def day_of_month(self) -> int:
        return self.day - self.month_start_day + 1

    def depot(self, node: str) -> Depot:
        return self.depots[node]

    def node_use(self, node: str) -> dict[str, float]:
        return self._node_use.get(node, {})

    def latency_ms(self, node: str) -> float:
        """Best one-way command latency to ``node`` from ground stations or a relay that is up."""
        info = self.network.node(node)
        best = math.inf
        if info.frame == "earth" and info.radius_km < 1e6:
            best = max(info.radius_km - EARTH_RADIUS_KM, 0.0) / C_KM_PER_MS + GROUND_PROCESSING_MS
        for r in self.relays:
            best = min(best, r.latency_ms(node))
        return best

    def regime(self, node: str) -> str:
        return self.network.node(node).regime

    def arc_closed(self, origin: str, destination: str) -> bool:
        return any(self.closures.get(self.regime(n), -1) > self.day for n in (origin, destination))

    def avoidance_dv_m_s(self, origin: str, destination: str) -> float:
        return max(self.debris.regimes[self.regime(n)].dv_per_manoeuvre_m_s for n in (origin, destination))

    def embargoed(self, launch_vehicle: str, provider: str) -> bool:
        return any(self.embargoes.get(k, -1) > self.day for k in (launch_vehicle, provider))

    def launch_days(self, node: str) -> float:
        tof = self.network.arc("earth", "leo").tof_days
        return tof + (self.network.arc("leo", node).tof_days if node != "leo" else 0.0)

    @cached_property
    def _reach_days(self) -> dict[str, float]:
        g = nx.DiGraph()
        g.add_weighted_edges_from((a.origin, a.destination, a.tof_days) for a in self.network)
        return nx.single_source_dijkstra_path_length(g, "earth") if "earth" in g else {}

    def reach_days(self, node: str) -> float:
        """The fewest days in which anything sent from Earth today could reach ``node`` (its quickest arcs)."""
        return self._reach_days.get(node, math.inf)

    @property
    def vehicles(self) -> list[Vehicle]:
        return list(self.agents_by_type[Vehicle]) if Vehicle in self.agents_by_type else []

    @property
    def launch_providers(self) -> list[LaunchProvider]:
        return list(self.agents_by_type[LaunchProvider])

    @property
    def stock_kg(self) -> float:
        return sum(d.total_kg for d in self.depots.values())

    @property
    def transit_kg(self) -> float:
        ships = sum(sum(s.payload_kg.values()) for s in self.shipments)
        return ships + sum(v.onboard_kg for v in self.vehicles if not v.lost)

    @property
    def shortfall_kg(self) -> float:
        """Supplies stations, servicers and the Mars campaign did not get (allies' unmet purchases apart)."""
        return sum(c.short_kg for c in self.customers if c.kind != "ally") + self.mars_short_kg

    @property
    def unsold_kg(self) -> float:
        """What allied operators wanted to buy and the network could not sell them."""
        return sum(c.short_kg for c in self.customers if c.kind == "ally")

    @property
    def total_cost_usd(self) -> float:
        return sum(self.costs.values())

    @property
    def balance_error_kg(self) -> float:
        return self.ledger.balance_error_kg(self.stock_kg, self.transit_kg)

    def add_cost(self, term: str, usd: float, month: int | None = None) -> None:
        self.costs[(self.month if month is None else month, term)] += usd

    def _invest(self, term: str, usd: float, month: int | None = None) -> None:
        """Pay for building infrastructure (a cost of the whole horizon, see :attr:`cost_spread_usd`)."""
        invested = self.investment_usd  # also right for a model resumed from an earlier version's checkpoint
        self.add_cost(term, usd, month)
        self.invested_usd = invested + usd

    def log_event(
        self, kind: str, target: str, detail: str = "", duration_days: float = 0.0, source: str = "system",
        alarm: bool = False,
    ) -> None:  # fmt: skip
        self.events.append(
            {
                "day": self.day,
                "date": self.date.isoformat(),
                "kind": kind,
                "target": target,
                "duration_days": duration_days,
                "source": source,
                "alarm": alarm,
                "detail": detail,
            }
        )
        (log.info if alarm else log.debug)("%s %s %s: %s", self.date, kind, target, detail)

    # ---- legs -----------------------------------------------------------------------------------
    def next_leg(self, vehicle: Vehicle) -> Leg | None:
        """The leg ``vehicle`` should fly now from where it is, or a repositioning leg, or None."""
        home = self.home(vehicle.vehicle_type)
        if vehicle.return_first and home and vehicle.node != home:
            # left away from home last month: the planner's trips start at home, so go there first
            return self._reposition(vehicle)
        vehicle.return_first = False
        here = [g for g in self.legs if g.vehicle_type == vehicle.vehicle_type and g.origin == vehicle.node]
        if here:
            # legs are queued in tour order: the first one from here goes once its cargo is there
            leg = here[0]
            depot = self.depot(vehicle.node)
            short = [c for c, kg in leg.cargo_kg.items() if depot.stock.get(c, 0.0) < kg - 1e-6]
            wait = short and self.day_of_month < PARTIAL_LOAD_DAY and self.supply_due(vehicle.node, short, vehicle)
            return None if wait else leg
        if self.day_of_month < REPOSITION_DAY:
            return None
        # nothing to do here: fly home empty, where the planner's round trips start (the window
        # planned the propellant for it as a refuel@NODE demand, see window_state)
        if home and vehicle.node != home:
            return self._reposition(vehicle)
        return None

    def supply_due(self, node: str, commodities: Iterable[str], waiting: Vehicle) -> bool:
        """Whether more of ``commodities`` is still to reach ``node`` this month for ``waiting``.

        By a launch queued or on its way, a vehicle in flight there, a planned leg there not yet
        flown (by another vehicle: the waiting one cannot fly its own later legs meanwhile), or the
        ISRU plant producing there. A leg whose cargo is short waits for it only while something is
        due; otherwise it leaves with what there is (or is dropped, as before).
        """
        wanted = set(commodities)
        end = self.month_start_day + self.month_days

        def brings(kg: dict[str, float]) -> bool:
            return any(kg.get(c, 0.0) > 1e-6 for c in wanted)

        if self.isru is not None and self.isru.node == node and self.isru.running and brings(self.isru.daily_kg):
            return True
        if any(s.node == node and s.arrive_day < end and brings(s.payload_kg) for s in self.shipments):
            return True
        if any(n == node and day < end and brings(kg) for p in self.launch_providers for day, n, kg in p.queue):
            return True
        flights = [v.flight for v in self.vehicles if not v.lost and v.flight is not None]
        if any(f.leg.destination == node and (brings(f.cargo_kg) or brings(f.propellant_kg)) for f in flights):
            return True
        others = {v.vehicle_type for v in self.vehicles if v is not waiting and not v.lost}
        return any(g.destination == node and g.vehicle_type in others and brings(g.cargo_kg) for g in self.legs)

    def supply_coming(self, node: str) -> dict[str, list[tuple[float, float]]]:
        """What is on its way to ``node``, per commodity: (days from today, kg), soonest first.

        Launch payloads in flight and launches scheduled (at their launch day plus the flight), and
        the cargo of vehicles in flight there (one waiting to dock, for want of relay cover, is
        expected a day later each day it waits). Legs a vehicle has not yet begun are not counted.
        """
        out: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for s in self.shipments:
            if s.node == node:
                for c, kg in s.payload_kg.items():
                    out[c].append((max(s.arrive_day - self.day, 0.0), kg))
        fly: int | None = None  # days from launch to ``node``, as a launch's shipment counts them
        for p in self.launch_providers:
            for day, n, payload in p.queue:
                if n != node:
                    continue
                fly = max(1, math.ceil(self.launch_days(node))) if fly is None else fly
                for c, kg in payload.items():
                    out[c].append((max(day - self.day, 0.0) + fly, kg))
        for v in self.vehicles:
            f = v.flight
            if not v.lost and f is not None and f.leg.destination == node:
                # past its arrival and still in flight: waiting to dock, so tomorrow at the soonest
                days = f.arrive_day - self.day if f.arrive_day > self.day else 1.0
                for c, kg in f.cargo_kg.items():
                    out[c].append((days, kg))
        return {c: sorted(x) for c, x in out.items()}

    def supply_planned(self, node: str) -> dict[str, list[tuple[float, float]]]:
        """What the month's legs not yet under way bring to ``node``, per commodity: (days from today, kg).

        Only legs the month's tour walk placed in time (``Leg.due_day``) and whose vehicle type still
        has a vehicle. A leg cannot arrive sooner than its flight from today, and what a type's
        earlier legs slip past the walk's days its later legs slip too: a leg that waits is expected
        a day later each day it waits, and so is every leg queued behind it.
        """
        out: dict[str, list[tuple[float, float]]] = defaultdict(list)
        flying = {v.vehicle_type for v in self.vehicles if not v.lost}
        slip: dict[str, float] = defaultdict(float)  # days a type's queue runs behind the walk
        for g in self.legs:  # in the order they fly
            if g.reposition or g.due_day is None or g.vehicle_type not in flying:
                continue
            soonest = self.day + math.ceil(self.network.arc(g.origin, g.destination).tof_days)
            slip[g.vehicle_type] = max(slip[g.vehicle_type], soonest - g.due_day)
            if g.destination != node:
                continue
            days = g.due_day + slip[g.vehicle_type] - self.day
            for c, kg in g.cargo_kg.items():
                if kg > 0:
                    out[c].append((days, kg))
        return {c: sorted(x) for c, x in out.items()}

    def replace_vehicle(self, vehicle_type: str) -> None:
        """A replacement for a lost vehicle arrives: the fleet grows back and its launch is paid."""
        from cislink.planner.inputs import infrastructure_prices

        home = self.home(vehicle_type) or "leo"
        price = infrastructure_prices(self.scenario, [home])[home] * self.carried_empty_kg(vehicle_type)
        if vehicle_type in self.market_vehicles:
            price = 0.0  # a hired vehicle is the provider's to replace
        self.add_cost("infrastructure_launch", price)
        fleets = dict(self.design.fleets)
        fleets[vehicle_type] = fleets.get(vehicle_type, 0) + 1
        self.design = Design(dict(self.design.depots), self.design.isru_kg_per_year, fleets)
        self._vehicles_to_place[vehicle_type] = self._vehicles_to_place.get(vehicle_type, 0) + 1
        self.log_event(
            "vehicle_replacement", vehicle_type, detail=f"a new {vehicle_type} from next month (${price / 1e6:,.1f}M)"
        )

    def _reposition(self, vehicle: Vehicle) -> Leg | None:
        """The next empty leg on the vehicle's way home (None if no route home exists)."""
        path = self.home_path(vehicle.vehicle_type, vehicle.node)
        if len(path) < 2:
            return None
        for g in self.legs:
            if g.reposition and g.origin == vehicle.node and g.vehicle_type == vehicle.vehicle_type:
                return g
        leg = Leg(vehicle.vehicle_type, path[0], path[1], {}, note="return home", reposition=True)
        self.legs.append(leg)
        return leg

    def home_path(self, vehicle_type: str, node: str) -> list[str]:
        """Least delta-v route from ``node`` to the type's home over the nodes it may fly ([] if none)."""
        key = (vehicle_type, node)
        if key not in self._home_paths:
            spec = next(v for v in self.scenario.vehicles if v.name == vehicle_type)
            home = self.home(vehicle_type)
            allowed = set(spec.nodes) if spec.nodes else set(self.network.graph.nodes)
            sub = self.network.graph.subgraph(allowed | {node})
            try:
                path = nx.shortest_path(sub, node, home, weight=lambda a, b, _d: self.network.arc(a, b).dv_total_m_s)
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                path = []
            self._home_paths[key] = list(path)
        return self._home_paths[key]

    @property
    def market_prices(self) -> bool:
        """The policy buys launches at market prices per kg (instead of paying launch vehicles' list prices)."""
        return self.policy.market_launch_usd_per_kg > 0

    def market_cost_usd(self, payload: dict[str, float], node: str) -> float:
        """What a launch's payload costs bought on the market.

        Every kg pays the launch price; beyond LEO it also pays the in-space transfer price, except
        propellant where the policy names a propellant price (bought from a commercial depot instead).
        """
        p = self.policy
        usd = 0.0
        for c, kg in payload.items():
            if node == "leo":
                usd += kg * p.market_launch_usd_per_kg
            elif p.market_propellant_usd_per_kg > 0 and c in self.propellant_commodities:
                usd += kg * p.market_propellant_usd_per_kg
            else:
                usd += kg * (p.market_launch_usd_per_kg + p.market_transfer_usd_per_kg)
        return usd

    def mars_hold_kg(self, node: str) -> dict[str, float]:
        """Goods already loaded into a Mars transfer vehicle waiting at ``node`` (kg per commodity)."""
        held: dict[str, float] = defaultdict(float)
        for e in self.pending_events:
            if e.kind == "mars_departure" and e.target == node:
                for c, kg in e.payload.items():
                    held[c] += kg
        return held

    def carried_empty_kg(self, vehicle_type: str) -> float:
        """A vehicle type's empty mass with the disposal reserve it carries on every leg (orbits.disposal)."""
        from cislink.orbits.disposal import vehicle_reserve_kg

        spec = next(v for v in self.scenario.vehicles if v.name == vehicle_type)
        return spec.empty_kg + vehicle_reserve_kg(self.network, spec)

    def home(self, vehicle_type: str) -> str | None:
        """Where a vehicle type is based and its month's round trips start.

        The first node its scenario entry lists where propellant can be had at a month's start: the
        ISRU plant's node while it produces, or a node launches reach. (A lander listed from the
        lunar surface is based there with ISRU, and in low lunar orbit without it.)
        """
        spec = next(v for v in self.scenario.vehicles if v.name == vehicle_type)
        for n in spec.nodes:
            if self.supplied_without_vehicles(n):
                return n
        return spec.nodes[0] if spec.nodes else None

    def supplied_without_vehicles(self, node: str) -> bool:
        """Whether propellant can reach ``node`` other than in a vehicle: by launch, or from the producing plant."""
        isru = self.isru.node if self.isru is not None and self.isru.rate_kg_per_year > 0 else None
        cls = launch_class(self.scenario.node(node))
        return node == isru or (cls is not None and any(lv.payload_kg(cls) > 0 for lv in self.scenario.launch_vehicles))

    def hop_propellant_kg(self, vehicle: Vehicle, origin: str, destination: str) -> dict[str, float]:
        """Propellant per commodity the empty vehicle burns from ``origin`` to ``destination``."""
        kg = math.expm1(self.network.arc(origin, destination).dv_total_m_s / vehicle.ve_m_s) * vehicle.empty_kg
        return {c: kg * frac for c, frac in vehicle.mixture.items()}

    def return_propellant_kg(self, vehicle: Vehicle, node: str) -> dict[str, float]:
        """Propellant per commodity for the first hop of the vehicle's way home from ``node``."""
        path = self.home_path(vehicle.vehicle_type, node)
        return self.hop_propellant_kg(vehicle, path[0], path[1]) if len(path) > 1 else {}

    def others_draw_kg(self, node: str, vehicle_type: str) -> dict[str, float]:
        """What the month's legs of other vehicle types still take at ``node``: cargo, and burn beyond their tanks."""
        out: dict[str, float] = defaultdict(float)
        for g in self.legs:
            if g.origin == node and g.vehicle_type != vehicle_type:
                for c, kg in self.leg_draw_kg(g).items():
                    out[c] += kg
        for v in self.vehicles:  # what they hold in their tanks there is theirs already
            if not v.lost and v.node == node and v.vehicle_type != vehicle_type:
                for c, kg in v.reserve_kg.items():
                    out[c] = max(out.get(c, 0.0) - kg, 0.0)
        return dict(out)

    def refuel_needs_kg(self) -> dict[tuple[str, str], float]:
        """Propellant (node, commodity) that vehicles away from home need to fly back empty.

        Each hop's propellant is due at the hop's origin; what a vehicle keeps in its tanks counts
        against its first hop.
        """
        need: dict[tuple[str, str], float] = defaultdict(float)
        for v in self.vehicles:
            if v.lost:
                continue
            at = v.node or (v.flight.leg.destination if v.flight is not None else "")
            path = self.home_path(v.vehicle_type, at) if at else []
            for i, (a, b) in enumerate(itertools.pairwise(path)):
                for c, kg in self.hop_propellant_kg(v, a, b).items():
                    have = v.reserve_kg.get(c, 0.0) if i == 0 and v.flight is None else 0.0
                    if kg > have:
                        need[(a, c)] += kg - have
        return dict(need)

    def take_leg(self, leg: Leg) -> None:
        self.legs.remove(leg)

    def drop_leg(self, leg: Leg, why: str) -> None:
        if leg in self.legs:
            self.legs.remove(leg)
            self.legs_dropped += 1
            self.log_event("leg_dropped", f"{leg.vehicle_type} {leg.origin}->{leg.destination}", detail=why)

    def new_leg_id(self) -> int:
        self._leg_ids += 1
        return self._leg_ids

    @property
    def replan_due(self) -> bool:
        """The next step plans the rest of the month again (a disruption seen, or one due today, in ``replan_on``)."""
        kinds = self.scenario.simulation.replan_on
        return bool(self._replan_due) or any(
            e.day <= self.day and e.kind in kinds and e.kind != "launch_failure" for e in self.pending_events
        )

    def request_replan(self, kind: str, target: str) -> None:
        """Plan the rest of the month again at the next step if ``kind`` is in ``simulation.replan_on``."""
        if self.month >= 0 and kind in self.scenario.simulation.replan_on:
            self._replan_due = (*self._replan_due, f"{kind} {target}")

    def lose_vehicle(self, vehicle: Vehicle, why: str, source: str = "system") -> None:
        where = vehicle.node or (vehicle.flight.leg.destination if vehicle.flight else "")
        for c, kg in vehicle.reserve_kg.items():
            self.ledger.record(self.day, "loss", where, c, kg, f"{vehicle.name} lost")
        vehicle.reserve_kg = {}
        if vehicle.flight is not None:
            for c, kg in list(vehicle.flight.cargo_kg.items()) + list(vehicle.flight.propellant_kg.items()):
                self.ledger.record(self.day, "loss", where, c, kg, f"{vehicle.name} lost")
            vehicle.flight = None
        vehicle.lost = True
        fleets = dict(self.design.fleets)
        fleets[vehicle.vehicle_type] = max(fleets.get(vehicle.vehicle_type, 0) - 1, 0)
        self.design = Design(dict(self.design.depots), self.design.isru_kg_per_year, fleets)
        self.log_event("vehicle_loss", vehicle.name, detail=why, source=source, alarm=True)
        self.request_replan("vehicle_loss", vehicle.name)
        lead = self.scenario.simulation.vehicle_replacement_days
        if lead > 0:
            self.pending_events.append(
                Event("vehicle_replacement", vehicle.vehicle_type, self.day + math.ceil(lead), 0.0, "system")
            )
            self.pending_events.sort(key=lambda e: (e.day, e.kind, e.target))

    # ---- the day --------------------------------------------------------------------------------
    def step(self) -> None:
        if self.day == self.month_start_day + self.month_days or self.month < 0:
            self._start_month()
        t0, planned0 = time.perf_counter(), self.planning_seconds
        while self.pending_events and self.pending_events[0].day <= self.day:
            apply_event(self, self.pending_events.pop(0))
        arrived = [s for s in self.shipments if s.arrive_day <= self.day]
        self.shipments = [s for s in self.shipments if s.arrive_day > self.day]
        for s in arrived:
            for c, kg in s.payload_kg.items():
                self.depot(s.node).put(c, kg)
                self.ledger.record(self.day, "delivery", s.node, c, kg, s.source)
            self.delivered_kg += sum(s.payload_kg.values())
        if self._replan_due:
            why = "; ".join(dict.fromkeys(self._replan_due))
            self._replan_due = ()
            self.log_event("replan", "planner", detail=f"rest of the month planned again after {why}")
            self.replan_now(trigger=why)
        for kind in (LaunchProvider, Vehicle, IsruPlant, Customer, Depot):
            if kind is Vehicle and kind in self.agents_by_type:
                # every arrival of the day before any departure: what a vehicle brings today can go on today
                self.agents_by_type[kind].do("arrive")
                self.agents_by_type[kind].do("leave")
            elif kind in self.agents_by_type:
                self.agents_by_type[kind].do("step")
        self._record_day()
        self.datacollector.collect(self)
        err = self.balance_error_kg
        if self.debug and abs(err) > 1e-6 * max(1.0, self.ledger.total("initial", "launch", "production")):
            raise CislinkError(f"mass ledger out of balance by {err:.6f} kg on {self.date}")
        self.max_balance_error_kg = max(self.max_balance_error_kg, abs(err))
        # a re-plan within the day counts as planning, not as the agents' stepping
        self.stepping_seconds += time.perf_counter() - t0 - (self.planning_seconds - planned0)
        if (
            self.day + 1 == self.month_start_day + self.month_days
            and self.month == self.scenario.planner.horizon_months - 1
        ):
            self._end_of_mission()  # on the horizon's last day
        self.day += 1
        if self.day == self.month_start_day + self.month_days and self.month == self.months - 1:
            self.running = False

    @property
    def month_complete(self) -> bool:
        """True after the last day of a month has been stepped."""
        return self.day == self.month_start_day + self.month_days

    def _record_day(self) -> None:
        d = self.day
        for node, depot in self.depots.items():
            for c, kg in depot.stock.items():
                if kg > 1e-9:
                    self.inventory_rows.append((d, node, c, kg, depot.capacity_kg))
        for v in self.vehicles:
            f = v.flight
            if f is None:
                self.vehicle_rows.append((d, v.name, v.vehicle_type, v.state, v.node, "", "", 0.0, 0.0, 0.0, 0))
            else:
                progress = min(max((d - f.depart_day) / max(f.arrive_day - f.depart_day, 1e-9), 0.0), 1.0)
                self.vehicle_rows.append(
                    (
                        d, v.name, v.vehicle_type, v.state, "", f.leg.origin, f.leg.destination, progress,
                        sum(f.cargo_kg.values()), sum(f.propellant_kg.values()), f.leg_id,
                    )
                )  # fmt: skip

    # ---- month start: re-plan and schedule ------------------------------------------------------
    def _start_month(self) -> None:
        self.month += 1
        self.month_start_day = self.day
        first = add_months(self.start_date, self.month)
        self.month_days = (add_months(self.start_date, self.month + 1) - first).days
        dropped = sum(1 for g in self.legs if not g.reposition)
        if dropped:
            self.legs_dropped += dropped
            self.log_event("legs_unflown", f"month {self.month - 1}", detail=f"{dropped} planned legs not flown")
        self.legs = []
        if self.design_costs_usd.get("operations"):
            self.add_cost("operations", self.design_costs_usd["operations"] / self.scenario.planner.horizon_months)
        if self.month > 0 and self.sells and self.policy.toll_service_usd > 0:
            for cu in self.customers:
                if cu.kind == "ally":
                    cu.tolls_usd += self.policy.toll_service_usd / 12.0
                    self.tolls_usd += self.policy.toll_service_usd / 12.0
        self._plan_and_schedule("month start")

    def _plan_and_schedule(self, trigger: str) -> None:
        """Solve the window from now and queue this month's part (the previous plan's, if it fails)."""
        t0 = time.perf_counter()
        plan, rows = self._replan(trigger)
        self.planning_seconds += time.perf_counter() - t0
        self.plan_rows.append(rows)
        if plan is not None:
            self.plan, self.plan_month = plan, self.month
        self._schedule(self.month - self.plan_month if self.plan is not None else -1)

    def _stock_and_shipments(self) -> defaultdict[tuple[str, str], float]:
        """Kg by (node, commodity) in the depots and in launches on their way there."""
        stock: defaultdict[tuple[str, str], float] = defaultdict(float)
        for node, depot in self.depots.items():
            for c, kg in depot.stock.items():
                stock[(node, c)] += kg
        for s in self.shipments:
            for c, kg in s.payload_kg.items():
                stock[(s.node, c)] += kg
        return stock

    def window_state(self) -> WindowState:
        """The state the planner starts the window from (see the module docstring)."""
        stock = self._stock_and_shipments()
        for v in self.vehicles:
            if v.flight is not None:
                for c, kg in list(v.flight.cargo_kg.items()) + list(v.flight.propellant_kg.items()):
                    stock[(v.flight.leg.destination, c)] += kg
        extra: dict[tuple[str, str], float] = {}
        need_at: dict[tuple[str, str], float] = defaultdict(float)
        owner: dict[tuple[str, str], list[Customer]] = defaultdict(list)
        for cu in self.customers:
            # months until a resupply lump (due at the end of month k, (k+1) % r == 0) covers the customer
            r = cu.resupply_months
            k = self.month + (r - 1 - self.month % r)
            days = (add_months(self.start_date, k + 1) - self.date).days
            for c, kg in cu.daily_kg.items():
                need_at[(cu.node, c)] += kg * days
                owner[(cu.node, c)].append(cu)
        for key, need in need_at.items():
            have = stock.get(key, 0.0)
            if have >= need - 1e-6:
                stock[key] = max(have - need, 0.0)
            else:
                stock[key] = 0.0
                users = owner[key]
                total = sum(u.daily_kg[key[1]] for u in users)
                for u in users:
                    extra[(u.name, key[1])] = (need - have) * u.daily_kg[key[1]] / total
        avail = self._isru_share()
        return WindowState(
            self.month,
            self.design,
            {k: v for k, v in stock.items() if v > 1e-6},
            {0: avail} if avail < 1.0 else {},
            extra,
            self.sells,
            self.refuel_needs_kg(),
            {t: h for t in sorted(self._vehicle_types()) if (h := self.home(t)) is not None},
            self.busy_days(),
            mars_done=self.mars_departed_month == self.month,
        )

    def _isru_share(self) -> float:
        """The share of a month's ISRU output still to come: the days left, less those of an outage."""
        if self.isru is None:
            return 1.0
        left = self.month_start_day + self.month_days - self.day
        out = max(self.isru.out_until - self.day, 0)
        return min(max(left - out, 0) / max(self.month_days, 1), 1.0)

    def busy_days(self) -> dict[str, float]:
        """Days of this month each vehicle type's fleet spends before its tour from home can start.

        A leg still in flight (to its arrival and turnaround), a turnaround not yet over, and the way
        home from where a vehicle ends up, each hop counted as the simulation flies it. The window
        fits the month's trips in the fleet's days less these, so it plans no more than can be flown.
        """
        busy: dict[str, float] = defaultdict(float)
        gone = self.day - self.month_start_day  # a re-plan in the month: the days already flown or idle
        for v in self.vehicles:
            if v.lost:
                continue
            days = self._days_to_home(v) + gone
            if days > 0:
                # no more than the planner's month: a vehicle busy all of it leaves the window no days
                busy[v.vehicle_type] += min(days, self.month_days, DAYS_PER_MONTH)
        return dict(busy)

    def _days_to_home(self, v: Vehicle) -> float:
        """Days from today until ``v`` is free at home: its flight, its turnaround, its way home."""
        if v.flight is not None:
            at = v.flight.leg.destination
            days = max(math.ceil(v.flight.arrive_day) - self.day, 0) + math.ceil(v.turnaround_days)
        else:
            at, days = v.node, max(v.ready_day - self.day, 0)
        home = self.home(v.vehicle_type)
        if home and at != home:
            path = self.home_path(v.vehicle_type, at)
            days += sum(
                simulated_leg_days(self.network.arc(a, b).tof_days, v.turnaround_days)
                for a, b in itertools.pairwise(path)
            )
        return days

    def _vehicle_types(self) -> set[str]:
        """The vehicle types this run flies: those in service and those still to be placed."""
        types = {v.vehicle_type for v in self.vehicles} | set(self._vehicles_to_place)
        return types | {t for t, n in self.design.fleets.items() if n > 0}

    def planning_scenario(self) -> Scenario:
        """The scenario as the planner should see it now: embargoed launch vehicles removed."""
        keep = [lv for lv in self.scenario.launch_vehicles if not self.embargoed(lv.name, lv.provider)]
        if len(keep) == len(self.scenario.launch_vehicles):
            return self.scenario
        return self.scenario.model_copy(update={"launch_vehicles": keep})

    def _replan(self, trigger: str) -> tuple[Plan | None, dict[str, Any]]:
        sc = self.scenario
        settings = SolverSettings.from_scenario(sc, time_limit_s=sc.planner.window_time_limit_s)
        row: dict[str, Any] = {
            "month": self.month,
            "day": self.day,
            "trigger": trigger,
            "status": "",
            "mip_gap": math.nan,
            "solve_seconds": 0.0,
        }
        scenario = self.planning_scenario()
        if not scenario.launch_vehicles:
            row["status"] = "no launch vehicle available"
            self.log_event("planner_fallback", "planner", detail=row["status"], alarm=True)
            return None, row
        try:
            plan = (self.plan_window_fn or plan_window)(
                scenario,
                self.network,
                self.window_state(),
                months=sc.planner.window_months,
                settings=settings,
                integer_months=sc.planner.window_integer_months,
            )
        except (PlannerError, CislinkError) as exc:
            row["status"] = f"failed: {exc}"
            self.log_event("planner_fallback", "planner", detail=f"keeping the previous plan: {exc}", alarm=True)
            return None, row
        row.update(status=plan.solve.status, mip_gap=plan.solve.mip_gap, solve_seconds=plan.solve.solve_seconds)
        short = float(plan.shortfall[plan.shortfall["month"] == self.month]["kg"].sum()) if len(plan.shortfall) else 0
        if short > 1.0:
            self.log_event(
                "plan_shortfall", "planner", detail=f"plan leaves {short:,.0f} kg short this month", alarm=True
            )
        return plan, row

    def _schedule(self, offset: int) -> None:
        """Queue this month's launches and legs from the plan (``offset`` months into it)."""
        if self.plan is None or offset < 0:
            return
        plan = self.plan
        sel = self.plan_month + offset
        if offset > 0:
            self.log_event(
                "plan_remainder", "planner", detail=f"executing month {sel} of the plan made in month {self.plan_month}"
            )
        trips = plan.trips[plan.trips["month"] == sel]
        flows = plan.flows[plan.flows["month"] == sel]
        for r in trips.itertuples(index=False):
            n = max(round(r.trips), 0)
            if n == 0:
                continue
            f = flows[
                (flows["vehicle"] == r.vehicle)
                & (flows["origin"] == r.origin)
                & (flows["destination"] == r.destination)
            ]
            per_trip = {x.commodity: x.kg / n for x in f.itertuples(index=False)}
            for _ in range(n):
                self.legs.append(Leg(r.vehicle, r.origin, r.destination, dict(per_trip)))
        self._place_vehicles()
        for v in self.vehicles:
            home = self.home(v.vehicle_type)
            v.return_first = bool(home) and (v.node or (v.flight.leg.destination if v.flight else home)) != home
        launched = plan.launched[plan.launched["month"] == sel]
        on_hand = self._stock_and_shipments()
        for r in launched.itertuples(index=False):
            on_hand[(r.node, r.commodity)] += r.kg
        self.legs = self._tour_order(self.legs, on_hand)
        launches = plan.launches[plan.launches["month"] == sel]
        # one entry per launch, payload split by each launch's share of the capacity to its node
        by_node: dict[str, list[tuple[str, float]]] = defaultdict(list)
        lvs = {lv.name: lv for lv in self.scenario.launch_vehicles}
        for r in launches.itertuples(index=False):
            cls = launch_class(self.scenario.node(r.node))
            cap = lvs[r.launch_vehicle].payload_kg(cls) if cls else 0.0
            for _ in range(math.ceil(r.count - 1e-6)):
                by_node[r.node].append((r.launch_vehicle, cap))
        total = sum(len(v) for v in by_node.values())
        i = 0
        providers = {p.name: p for p in self.agents_by_type[LaunchProvider]}
        need = self._launch_need_days()
        spread = min(LAUNCH_SPREAD_DAYS, max(self.month_start_day + self.month_days - 1 - self.day, 0))
        for node in sorted(by_node, key=lambda n: (need.get(n, math.inf) - self.launch_days(n), n)):
            rows = launched[launched["node"] == node]
            cap_total = sum(c for _, c in by_node[node]) or 1.0
            for lv, cap in by_node[node]:
                payload = {r.commodity: r.kg * cap / cap_total for r in rows.itertuples(index=False)}
                day = self.day + (i * spread) // max(total, 1)
                providers[lv].queue.append((day, node, payload))
                i += 1
        if self.isru is not None:
            isru = plan.isru[plan.isru["month"] == sel]
            daily: dict[str, float] = defaultdict(float)
            # at the plan's rate per day of its (30.4-day) month, on the days left in which the plant runs
            days = DAYS_PER_MONTH * self._isru_share()
            for r in isru.itertuples(index=False):
                parts = {"water": {"water": 1.0}, "oxygen": {"oxygen": 1.0}}.get(r.product, self.mixtures["lox_lh2"])
                for c, frac in parts.items():
                    daily[c] += r.kg * frac / days if days > 0 else 0.0
            self.isru.daily_kg = dict(daily)
        self._schedule_mars(sel)

    def _launch_need_days(self) -> dict[str, float]:
        """Days into the month when the first queued leg leaves each node, flown in tour order.

        The month's launches go up first to where the vehicles' tours need them first: a tug whose
        tour starts at LEO with propellant from that month's LEO launch cannot leave before the
        launch arrives. Nodes no leg leaves (stations, the Mars vehicle's node) are not in it.
        """
        need: dict[str, float] = {}
        for vtype in {g.vehicle_type for g in self.legs}:
            spec = next(v for v in self.scenario.vehicles if v.name == vtype)
            days = 0.0
            for g in self.legs:
                if g.vehicle_type != vtype:
                    continue
                need[g.origin] = min(need.get(g.origin, math.inf), days)
                days += simulated_leg_days(self.network.arc(g.origin, g.destination).tof_days, spec.turnaround_days)
        return need

    def _tour_order(self, legs: list[Leg], on_hand: dict[tuple[str, str], float] | None = None) -> list[Leg]:
        """Order each vehicle type's legs as a round tour from where its vehicles are.

        The planner's trips balance at every node (vehicles return, eqs 24-25), so the legs of one
        type form an Eulerian multigraph; flying them along an Euler circuit that starts where the
        vehicles are means every leg starts where the previous one ended. Legs that do not close
        into a circuit (a fallback plan's remainder) keep the planner's order.

        With ``on_hand`` (stock, cargo on its way and the month's launches, by node and commodity)
        the circuits are re-ordered by :func:`cislink.agents.tours.walk_tours`: all types' tours
        walked together against that stock in days, where several legs leave a vehicle's node the one
        after which the month's loads are least short going first; each walked leg keeps the day the
        walk expects it to arrive (``Leg.due_day``).
        """
        out: list[Leg] = []
        tours: dict[str, Tour] = {}
        for vtype in sorted({g.vehicle_type for g in legs}):
            mine = [g for g in legs if g.vehicle_type == vtype]
            g = nx.MultiDiGraph()
            for i, leg in enumerate(mine):
                g.add_edge(leg.origin, leg.destination, key=i)
            # from home, where the propellant the plan routes starts (stranded vehicles go home first)
            home = self.home(vtype)
            fleet = [v for v in self.vehicles if v.vehicle_type == vtype and not v.lost]
            at = [home or ""] + [v.node for v in fleet if v.node]
            start = next((n for n in at if n in g), None)
            if start is None or not nx.is_eulerian(g):
                out.extend(mine)
                continue
            circuit = [mine[k] for _, _, k in nx.eulerian_circuit(g, source=start, keys=True)]
            if on_hand is None:
                out.extend(circuit)
                continue
            ready = min((self._days_to_home(v) for v in fleet), default=0.0) if start == home else 0.0
            tours[vtype] = self._tour(vtype, circuit, start, ready)
        if tours:
            horizon = self.month_start_day + self.month_days - self.day
            walk = walk_tours(tours, on_hand, horizon)
            for vtype, ordered in walk.order.items():
                for leg, days in zip(ordered, walk.arrive_days[vtype], strict=True):
                    leg.due_day = None if days is None else self.day + days
                out.extend(ordered)
        return out

    def _tour(self, vtype: str, circuit: list[Leg], start: str, ready_day: float) -> Tour:
        """What each leg of a type's circuit takes: days, flight days, cargo and burn at its origin."""
        spec = next(v for v in self.scenario.vehicles if v.name == vtype)
        days, tof = [], []
        for g in circuit:
            arc = self.network.arc(g.origin, g.destination)
            days.append(simulated_leg_days(arc.tof_days, spec.turnaround_days))
            tof.append(float(math.ceil(arc.tof_days)))
        return Tour(circuit, start, ready_day, days, tof, [self.leg_draw_kg(g) for g in circuit])

    def leg_draw_kg(self, g: Leg) -> dict[str, float]:
        """What leg ``g`` takes at its origin: its cargo, and its burn with that cargo in the vehicle's mixture."""
        spec = next(v for v in self.scenario.vehicles if v.name == g.vehicle_type)
        arc = self.network.arc(g.origin, g.destination)
        burn = math.expm1(arc.dv_total_m_s / (spec.isp_s * G0_M_S2)) * (
            self.carried_empty_kg(g.vehicle_type) + g.cargo_total_kg
        )
        need = dict(g.cargo_kg)
        for c, frac in self.mixtures[spec.propellant_type].items():
            need[c] = need.get(c, 0.0) + burn * frac
        return need

    def _place_vehicles(self) -> None:
        """Put newly built vehicles where the first planned legs of their type start."""
        for vtype, count in list(self._vehicles_to_place.items()):
            home = self.home(vtype)
            origins = [home] if home else [g.origin for g in self.legs if g.vehicle_type == vtype]
            origins = origins or ["leo"]
            for i in range(count):
                self._serial[vtype] += 1
                Vehicle(self, vtype, self._serial[vtype], origins[i % len(origins)])
            del self._vehicles_to_place[vtype]

    def _schedule_mars(self, sel: int) -> None:
        plan = self.plan
        if plan is None or not len(plan.mars):
            return
        rows = plan.mars[plan.mars["month"] == sel]
        if not len(rows):
            return
        from cislink.planner.inputs import mars_requirements

        need, _ = mars_requirements(self.scenario, self.network)
        for r in rows.itertuples(index=False):
            goods = {c: kg for (n, c), kg in need.items() if n == r.node}
            last = self.month_start_day + self.month_days - 1
            self.pending_events.append(
                Event("mars_departure", r.node, min(self.day + 1, last), 0.0, "plan", payload=goods, latest_day=last)
            )
        self.pending_events.sort(key=lambda e: (e.day, e.kind, e.target))

    # ---- operator commands (the console's entry points) ----------------------------------------
    def switch_policy(self, name: str, design: Design | None = None, costs: dict[str, float] | None = None) -> None:
        """Run on under policy ``name`` from today and re-plan the rest of this month.

        The infrastructure becomes the new policy's (its sized design): depots and the ISRU plant take
        the new sizes, vehicles the new fleets are placed (surplus ones stay idle), and programmes the
        network did not own before are paid for now. Allied operators are served only if it sells.
        """
        policy = policy_def(self.scenario, name)
        if design is None:
            design, costs = design_for_policy(self.scenario, self.network, policy)
        costs = dict(costs or {})
        design, self.market_vehicles = with_market_vehicles(self.scenario, policy, design)
        old = self.policy.name
        for key in INVESTMENT_TERMS:
            extra = costs.get(key, 0.0) - self.design_costs_usd.get(key, 0.0)
            if extra > 0:
                self._invest(key, extra)
        self.policy, self.design, self.design_costs_usd = policy, design, costs
        self.sells = "depot" in policy.owns and bool(self.scenario.allies)
        for node, depot in self.depots.items():
            depot.capacity_kg = design.depots.get(node, 0.0)
        infra = self.scenario.infrastructure
        if self.isru is not None:
            self.isru.rate_kg_per_year = design.isru_kg_per_year
            self.isru.daily_kg = {}
        elif infra.isru is not None and design.isru_kg_per_year > 0:
            self.isru = IsruPlant(self, infra.isru.node, design.isru_kg_per_year)
        have = defaultdict(int)
        for v in self.vehicles:
            if not v.lost:
                have[v.vehicle_type] += 1
        for vtype, n in design.fleets.items():
            if n > have[vtype]:
                self._vehicles_to_place[vtype] = n - have[vtype]
        self._sync_allies()
        self._home_paths = {}  # homes depend on the ISRU plant
        self.log_event(
            "policy_switch", "network", detail=f"{old} -> {name}; design {design.to_dict()}", source="operator"
        )
        self.replan_now(trigger=f"policy switch to {name}")

    def replan_now(self, trigger: str = "operator") -> None:
        """Drop what is still to come this month (unflown legs, launches not yet flown) and plan again.

        The window then starts from today: the days of the month gone count as the fleet's busy
        days, the ISRU plant makes only the rest of the month's output, and a Mars departure that
        has left this month is not planned again.
        """
        if self.month < 0:
            return
        kept = list(self.legs), [list(p.queue) for p in self.launch_providers], list(self.pending_events)
        self.legs = [g for g in self.legs if g.reposition]
        for p in self.launch_providers:
            p.queue = [q for q in p.queue if q[0] < self.day]
        self.pending_events = [e for e in self.pending_events if e.kind != "mars_departure"]
        t0 = time.perf_counter()
        plan, row = self._replan(trigger)
        self.planning_seconds += time.perf_counter() - t0
        self.plan_rows.append(row)
        if plan is None:
            # the month's plan stands: what it still had to do is put back (a launch flown is not flown again)
            self.legs, queues, self.pending_events = kept
            for p, q in zip(self.launch_providers, queues, strict=True):
                p.queue = q
            return
        self.plan, self.plan_month = plan, self.month
        self._schedule(0)

    # ---- injected disruptions (the console's entry point) --------------------------------------
    def inject(self, kind: str, target: str, duration_days: float = 0.0, start: dt.date | None = None) -> Event:
        """Schedule a disruption now (or on ``start``); it is applied at the start of that day's step."""
        day = self.day if start is None else start_day(self, start)
        event = Event(kind, target, max(day, self.day), duration_days, "injected")
        check_event(self, event)
        self.pending_events.append(event)
        self.pending_events.sort(key=lambda e: (e.day, e.kind, e.target))
        return event

    # ---- outputs --------------------------------------------------------------------------------
    def disposal_plan(self) -> list[dict[str, Any]]:
        """How every vehicle and depot of the network ends its mission (ISO 24113), as rows.

        Each row: ``target``, ``kind`` (vehicle or depot), ``node`` it disposes from, ``dv_m_s``,
        ``reserve_kg`` it keeps for it, ``status``: ``ready`` (at its base with its reserve, or a
        depot holding it), ``flies home first`` (a vehicle away from its base: an ordinary leg takes
        it there), or ``lost`` (destroyed in service: left where it was, nothing to dispose of).
        """
        from cislink.orbits.disposal import depot_reserve, vehicle_reserve

        rows: list[dict[str, Any]] = []
        option = self.scenario.infrastructure.depot
        for v in sorted(self.vehicles, key=lambda x: x.name):
            if v.vehicle_type in self.market_vehicles:
                continue  # a hired vehicle is its provider's to dispose of
            spec = next(x for x in self.scenario.vehicles if x.name == v.vehicle_type)
            r = vehicle_reserve(self.network, spec)
            at = v.node or (f"in flight to {v.flight.leg.destination}" if v.flight else "")
            status = "lost" if v.lost else ("ready" if v.node == r.node or not r.node else "flies home first")
            rows.append(
                {"target": v.name, "kind": "vehicle", "node": r.node or at, "at": at, "dv_m_s": r.dv_m_s,
                 "reserve_kg": r.kg(spec.empty_kg), "status": status}
            )  # fmt: skip
        for node in self.__dict__.get("depots_lost", []):  # absent from an earlier version's checkpoint
            rows.append({"target": f"depot {node}", "kind": "depot", "node": node, "at": node, "dv_m_s": 0.0,
                         "reserve_kg": 0.0, "status": "lost"})  # fmt: skip
        if option is not None and "depot" in self.policy.owns:
            for node, depot in sorted(self.depots.items()):
                if depot.capacity_kg <= 0:
                    continue
                r = depot_reserve(self.network, self.scenario, node)
                rows.append(
                    {"target": f"depot {node}", "kind": "depot", "node": node, "at": node, "dv_m_s": r.dv_m_s,
                     "reserve_kg": r.kg(option.mass_fraction * depot.capacity_kg), "status": "ready"}
                )  # fmt: skip
        return rows

    def _end_of_mission(self) -> None:
        """The scenario's horizon is over: every vehicle and depot still in service is disposed of."""
        for r in self.disposal_plan():
            if r["status"] == "lost":
                continue  # its loss was logged when it happened
            if r["dv_m_s"] > 0:
                how = (
                    f"disposed of from {r['node']}: {r['dv_m_s']:,.0f} m/s on {r['reserve_kg']:,.0f} kg of its reserve"
                )
            else:
                how = f"stays at {r['node'] or r['at']}, on a surface (no disposal burn)"
            if r["status"] == "flies home first":
                how = f"flies home to {r['node']} (at {r['at']}), then {how}"
            self.log_event("disposal", r["target"], detail=f"end of mission: {how}")

    def disposal_summary(self) -> dict[str, float]:
        """Counts of :meth:`disposal_plan`: ready (or flying home first), lost, and the reserve kept (kg)."""
        rows = self.disposal_plan()
        held = [r for r in rows if r["status"] != "lost"]
        return {
            "ready": len(held),
            "lost": len(rows) - len(held),
            "reserve_kg": sum(r["reserve_kg"] for r in held),
        }

    def summary(self) -> dict[str, Any]:
        """Figures of the run so far (JSON-ready)."""
        launches = sum(p.launches for p in self.agents_by_type[LaunchProvider])
        lost = self.ledger.total("loss")
        return {
            "scenario": self.scenario.name,
            "months": self.month + (1 if self.month_complete else 0),
            "days": self.day,
            "seed": self.seed,
            "policy": self.policy.name,
            "design": self.design.to_dict(),
            "total_cost_usd": self.total_cost_usd,
            "investment_usd": self.investment_usd,
            "cost_spread_usd": self.cost_spread_usd,
            "costs_usd": self.cost_terms(),
            "earth_launches": launches,
            "launch_failures": sum(p.failures for p in self.agents_by_type[LaunchProvider]),
            "launched_kg": self.ledger.total("launch"),
            "produced_kg": self.ledger.total("production"),
            "delivered_kg": self.delivered_kg,
            "consumed_kg": self.consumed_kg,
            "propellant_burned_kg": self.burned_kg,
            "sold_kg": self.sold_kg,
            "lost_kg": lost + self.ledger.total("boiloff"),
            "boiloff_kg": self.ledger.total("boiloff"),
            "shortfall_kg": self.shortfall_kg,
            "unsold_to_allies_kg": self.unsold_kg,
            "station_days_short": self.station_days_short,
            "dock_wait_days": self.dock_wait_days,
            "legs_dropped": self.legs_dropped,
            "tolls_usd": self.tolls_usd,
            "stock_kg": self.stock_kg,
            "in_transit_kg": self.transit_kg,
            "mass_balance_error_kg": self.balance_error_kg,
            "max_mass_balance_error_kg": self.max_balance_error_kg,
            "alarms": sum(1 for e in self.events if e["alarm"]),
            "planner_fallbacks": sum(1 for e in self.events if e["kind"] == "planner_fallback"),
            "replans_in_month": sum(1 for r in self.plan_rows if r.get("trigger", "month start") != "month start"),
            "disposal": self.disposal_summary(),
        }

    @property
    def investment_usd(self) -> float:
        """What building the infrastructure cost: DDTE and launching it, paid when a programme is built.

        A lost vehicle's replacement is not part of it: it is a cost of the run that lost it.
        """
        if "invested_usd" not in self.__dict__:  # a checkpoint of an earlier version: its design's share
            terms = self.cost_terms()
            return sum(min(terms.get(k, 0.0), self.design_costs_usd.get(k, 0.0)) for k in INVESTMENT_TERMS)
        return self.invested_usd

    @property
    def cost_spread_usd(self) -> float:
        """The cost so far with the investment spread evenly over the scenario's horizon.

        The investment is paid on day 0 for the whole horizon; a run shorter than the horizon counts
        the share of it that its days are of the horizon's, so that a policy that owns infrastructure
        and one that buys capacity compare fairly over a few months.
        """
        horizon = self.scenario.planner.horizon_months
        horizon_days = (add_months(self.start_date, horizon) - self.start_date).days
        share = min(self.day / horizon_days, 1.0)
        investment = self.investment_usd
        return self.total_cost_usd - investment + investment * share

    def cost_terms(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for (_, term), usd in self.costs.items():
            out[term] += usd
        return dict(out)

    def take_month_tables(self) -> dict[str, pd.DataFrame]:
        """This month's rows of every table, as frames; the buffers are emptied."""
        base = self.start_date

        def dates(days: pd.Series) -> pd.Series:
            return pd.to_datetime(base) + pd.to_timedelta(days, unit="D")

        inv = pd.DataFrame(self.inventory_rows, columns=["day", "node", "commodity", "kg", "capacity_kg"])
        veh = pd.DataFrame(
            self.vehicle_rows,
            columns=[
                "day", "vehicle", "vehicle_type", "state", "node", "origin", "destination", "progress",
                "payload_kg", "propellant_kg", "leg_id",
            ],
        )  # fmt: skip
        veh = _with_positions(veh, self.network, base)
        launches = pd.DataFrame(
            self.launch_rows,
            columns=["day", "launch_vehicle", "provider", "node", "payload_kg", "outcome", "price_usd"],
        )
        short = pd.DataFrame(self.shortfall_rows, columns=["day", "customer", "node", "commodity", "kg"])
        ledger = self.ledger.take_new()
        events = pd.DataFrame([e for e in self.events if e["day"] >= self.month_start_day])
        costs = pd.DataFrame(
            [{"month": m, "term": t, "usd": u} for (m, t), u in self.costs.items() if m == self.month],
            columns=["month", "term", "usd"],
        )
        plans = pd.DataFrame([r for r in self.plan_rows if r["month"] == self.month])
        tables = {
            "inventories": inv,
            "vehicles": veh,
            "launches": launches,
            "shortfalls": short,
            "ledger": ledger,
            "events": events,
            "costs": costs,
            "plans": plans,
        }
        for name, df in tables.items():
            if "day" in df.columns and name != "events":
                df.insert(1, "date", dates(df["day"]))
        self.inventory_rows, self.vehicle_rows, self.launch_rows, self.shortfall_rows = [], [], [], []
        return tables


def _with_positions(veh: pd.DataFrame, network: Any, base: dt.date) -> pd.DataFrame:
    """Add x/y/z (km, in the leg's frame) for vehicles in flight, from the propagated transfer."""
    for col in ("x_km", "y_km", "z_km"):
        veh[col] = math.nan
    veh["frame"] = ""
    moving = veh[veh["leg_id"] > 0]
    if not len(moving):
        return veh
    from cislink.orbits.propagation import Transfer

    for (_, origin, dest), rows in moving.groupby(["leg_id", "origin", "destination"], sort=False):
        tr = Transfer(origin, dest, base, network)
        elapsed = rows["progress"].to_numpy() * tr.tof_days
        pos = tr.positions_km(elapsed)
        veh.loc[rows.index, ["x_km", "y_km", "z_km"]] = pos
        veh.loc[rows.index, "frame"] = tr.frame
    return veh
