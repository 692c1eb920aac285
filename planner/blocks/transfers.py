"""Tugs and landers: trips, cargo, propellant, routing and fleet (study eqs 7, 20-22, 24-28).

For each vehicle type, arc and month: an integer number of trips and the cargo per commodity they
carry. Propellant for the trips is the rocket equation, linear in payload for a fixed arc::

    P = k_a * (m_empty * trips + cargo),     k_a = exp(dv_a / (Isp g0)) - 1

where ``dv_a`` includes the orbit network's debris margin and ``m_empty`` the propellant the vehicle
keeps for its end-of-mission disposal (``orbits.disposal``: carried on every leg, never burned in
operations, and not part of the usable ``tank``). (The study's eq 7 writes
``(m_e + m_p) e^{dv/v_e} - m_e``; the rocket equation for a vehicle arriving with dry mass
``m_e + m_p`` is the form above.) The propellant is drawn from the departure node in the vehicle's
propellant mixture.

Capacity per trip, aggregated over the month's trips:
- eq 21: dry cargo (everything the vehicle cannot pump into its tanks) <= payload capacity * trips;
- eq 20: cargo + propellant burned <= (payload + tank) * trips (propellant of its own type may ride
  in the tanks for a later leg);
- eq 22: propellant burned <= tank * trips.

With the burn linear in the cargo, eqs 20 and 22 both bound the same sum, all cargo ``F``, per trip::

    eq 20:  F <= (payload + tank - k m_empty) / (1 + k) * trips
    eq 22:  F <= (tank / k - m_empty) * trips

so on each arc only the smaller of the two limits is written (the other is implied), and eq 21
only where the payload is below that limit (otherwise all cargo within the limit is within the
payload too). On the reference scenario that is 81 rows per month instead of 138 for the 46 tug
and lander arcs (a 24-month window's relaxation solves 10-15% faster, same optimum); the eq 22
limit binds on arcs out of and into LEO, the eq 20 limit on the others.

Routing: trips into a node equal trips out of it every month (eq 25), so every vehicle returns to
where it started; legs longer than a month cannot be flown (eq 26); the month's legs, each with the
vehicle's turnaround time, fit in the fleet's vehicle-days (eqs 27-28 with the month as the delivery
window; a rolling window counts each leg in the whole days the day-by-day simulation flies it,
:func:`cislink.planner.inputs.simulated_leg_days`). Where a vehicle type has a home its vehicles
start every month from (a rolling window knows it), any trip of the month requires a trip out of
home, so the month's legs are a tour the fleet is on rather than a cycle elsewhere it would first
have to fly to.

The fleet size is an integer decision; tugs carry a DDTE cost when any is built, and every
vehicle's empty mass, with its disposal reserve, is launched at the infrastructure price (eq 33).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, Terms, by_index, linear
from cislink.planner.inputs import DAYS_PER_MONTH, TRIP_TIE_BREAK_USD, trip_load_limit_kg

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs, VehicleArc


def define_transfers(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    steps = [s.index for s in inp.steps]
    weight = {s.index: s.weight for s in inp.steps}
    days_of = {s.index: DAYS_PER_MONTH * s.months for s in inp.steps}
    arcs = {(va.vehicle, va.origin, va.destination): va for va in inp.vehicle_arcs}
    m.vehicle_types = pyo.SetOf(inp.vehicles)
    m.trip_index = pyo.SetOf([(*a, t) for a in arcs for t in steps])
    m.cargo_index = pyo.SetOf([(*a, c, t) for a in arcs for c in inp.commodities for t in steps])

    def trip_bounds(_m: pyo.ConcreteModel, v: str, o: str, d: str, t: int) -> tuple[int, int]:
        return 0, math.floor(days_of[t] * inp.max_fleet[v] / arcs[(v, o, d)].leg_days)

    m.trips = pyo.Var(m.trip_index, domain=pyo.NonNegativeIntegers, bounds=trip_bounds)
    m.cargo = pyo.Var(m.cargo_index, domain=pyo.NonNegativeReals)
    m.fleet = pyo.Var(m.vehicle_types, domain=pyo.NonNegativeIntegers, bounds=lambda _m, v: (0, inp.max_fleet[v]))
    trips, cargo = by_index(m.trips), by_index(m.cargo)
    if inp.design is not None:
        for v in inp.vehicles:
            m.fleet[v].fix(inp.max_fleet[v])

    def burn_terms(v: str, o: str, d: str, t: int) -> list[tuple[float, object]]:
        k = arcs[(v, o, d)].k
        terms = [(k * inp.vehicle_empty_kg[v], trips[v, o, d, t])]
        terms += [(k, cargo[v, o, d, c, t]) for c in inp.commodities]
        return terms

    carry = {a: cargo_limit_kg(inp, va) for a, va in arcs.items()}
    dry_arcs = [
        (v, o, d, t)
        for v, o, d, t in m.trip_index
        if inp.vehicle_payload_kg[v] < carry[(v, o, d)]
        and any(c not in inp.vehicle_mixture[v] for c in inp.commodities)
    ]

    def dry_rule(_m: pyo.ConcreteModel, v: str, o: str, d: str, t: int) -> object:
        tank = inp.vehicle_mixture[v]
        terms = [(1.0, cargo[v, o, d, c, t]) for c in inp.commodities if c not in tank]
        return linear([*terms, (-inp.vehicle_payload_kg[v], trips[v, o, d, t])]) <= 0.0

    def limit_rule(_m: pyo.ConcreteModel, v: str, o: str, d: str, t: int) -> object:
        terms = [(1.0, cargo[v, o, d, c, t]) for c in inp.commodities]
        return linear([*terms, (-carry[(v, o, d)], trips[v, o, d, t])]) <= 0.0

    m.cargo_dry = pyo.Constraint(pyo.SetOf(dry_arcs), rule=dry_rule)
    m.cargo_limit = pyo.Constraint(m.trip_index, rule=limit_rule)

    # routing: vehicles return (eq 25); fleet time (eqs 27-28)
    out: dict[tuple[str, str, int], list[object]] = defaultdict(list)
    inn: dict[tuple[str, str, int], list[object]] = defaultdict(list)
    days: dict[tuple[str, int], list[tuple[float, object]]] = defaultdict(list)
    for (v, o, d, t), x in trips.items():
        out[(v, o, t)].append(x)
        inn[(v, d, t)].append(x)
        days[(v, t)].append((arcs[(v, o, d)].leg_days, x))
    circ_keys = sorted(set(out) | set(inn))
    m.circulation = pyo.Constraint(
        pyo.SetOf(circ_keys),
        rule=lambda _m, v, n, t: (
            linear([(1.0, x) for x in inn.get((v, n, t), [])] + [(-1.0, x) for x in out.get((v, n, t), [])]) == 0.0
        ),
    )
    homes = inp.vehicle_home
    m.home_tour = pyo.Constraint(
        [(v, o, d, t) for v, o, d, t in m.trip_index if v in homes and o != homes[v] and d != homes[v]],
        rule=lambda _m, v, o, d, t: (
            linear([(1.0, trips[v, o, d, t])] + [(-trips[v, o, d, t].ub, x) for x in out.get((v, homes[v], t), [])])
            <= 0.0
        ),
    )
    first = steps[0]
    busy = inp.vehicle_busy_days
    m.fleet_days = pyo.Constraint(
        sorted(days),
        rule=lambda _m, v, t: (
            linear([*days[(v, t)], (-days_of[t], m.fleet[v])]) <= (-busy.get(v, 0.0) if t == first else 0.0)
        ),
    )

    # balances: cargo leaves the origin and arrives at the destination; propellant is drawn at the origin
    for (_, o, d, c, t), f in cargo.items():
        ctx.add(o, c, t, -1.0, f)
        ctx.add(d, c, t, 1.0, f)
        ctx.node_inflow[(d, c, t)].append((1.0, f))
    for (v, o, d, t), x in trips.items():
        burn = burn_terms(v, o, d, t)
        for c, frac in inp.vehicle_mixture[v].items():
            drawn = frac * inp.burn_draw_factor.get(c, 1.0)
            for coef, var in burn:
                ctx.add(o, c, t, -drawn * coef, var)
        ctx.cost("operations", weight[t] * TRIP_TIE_BREAK_USD, x)

    # costs: vehicles launched (eq 33), tug DDTE (eq 32), operations per vehicle-year
    tug = inp.scenario.infrastructure.tug
    share = inp.fixed_cost_share
    if share == 0:
        return
    for v in inp.vehicles:
        for term, usd in fleet_costs_usd(inp, v).items():
            ctx.cost(term, share * usd, m.fleet[v])
        if inp.vehicle_role[v] == "tug" and tug is not None:
            m.tug_program = pyo.Var(domain=pyo.Binary)
            m.tug_program_link = pyo.Constraint(expr=m.fleet[v] <= tug.max_fleet * m.tug_program)
            if inp.design is not None or "tug" in inp.required:
                m.tug_program.fix(1)
                m.fleet[v].setlb(1)
            ctx.cost("ddte", share * tug.ddte_usd, m.tug_program)


def cargo_limit_kg(inp: Inputs, va: VehicleArc) -> float:
    """The most cargo one trip on arc ``va`` carries: the smaller of the eq 20 and eq 22 limits (module docstring).

    Negative where the vehicle cannot fly the arc even empty, which then allows no trip.
    """
    payload = inp.vehicle_payload_kg[va.vehicle]
    limit = trip_load_limit_kg(payload, inp.vehicle_tank_kg[va.vehicle], inp.vehicle_empty_kg[va.vehicle], va.k)
    if not any(c not in inp.vehicle_mixture[va.vehicle] for c in inp.commodities):
        limit = min(limit, payload)  # everything it carries is dry cargo (eq 21)
    return limit


def fleet_costs_usd(inp: Inputs, vehicle: str) -> dict[str, float]:
    """What one more vehicle of a type costs over the horizon, by cost term.

    Its empty mass and disposal reserve launched to its first node with an infrastructure price
    (eq 33), and for tugs the operations cost per tug-year.
    """
    spec = next(x for x in inp.scenario.vehicles if x.name == vehicle)
    home = next((n for n in (spec.nodes or inp.nodes) if n in inp.infra_price_per_kg), inp.nodes[0])
    out = {"infrastructure_launch": inp.infra_price_per_kg[home] * inp.vehicle_empty_kg[vehicle]}
    tug = inp.scenario.infrastructure.tug
    if spec.role == "tug" and tug is not None:
        out["operations"] = tug.operations_usd_per_year * inp.years
    return out


def define_tour_cuts(m: pyo.ConcreteModel, inp: Inputs, steps: list[int]) -> None:
    """Rows ``tour_cut``: in ``steps``, every leg of a vehicle type is on a tour through its home.

    Every vehicle of a type with a home starts its month there, so trips among a set ``S`` of other
    nodes need a vehicle that came into ``S`` and leaves it again. ``home_tour`` says so for ``S``
    the whole network but home; alone it lets a month's legs fall into cycles of their own (the tug
    from LEO to GEO and back, and three rounds between EML2 and LLO that no tug was at EML2 to fly:
    a Mars departure's propellant that never came). For every such ``S`` with legs inside it::

        sum(trips inside S) <= (sum of their upper bounds) * sum(trips from S to the rest)

    A small network has few sets (63 for a tug over seven nodes); a window adds them only to the
    months it decides in whole numbers.
    """
    trips = by_index(m.trips)
    rows: list[Terms] = []
    for v, home in sorted(inp.vehicle_home.items()):
        arcs = [(va.origin, va.destination) for va in inp.vehicle_arcs if va.vehicle == v]
        others = sorted({n for arc in arcs for n in arc} - {home})
        for size in range(1, len(others)):  # the whole set but home is home_tour's
            for inside in itertools.combinations(others, size):
                within = [(o, d) for o, d in arcs if o in inside and d in inside]
                leaving = [(o, d) for o, d in arcs if o in inside and d not in inside]
                if not within or not leaving:
                    continue
                for t in steps:
                    xs = [trips[v, o, d, t] for o, d in within]
                    big = sum(x.ub for x in xs)
                    rows.append([(1.0, x) for x in xs] + [(-big, trips[v, o, d, t]) for o, d in leaving])
    m.tour_cut = pyo.Constraint(pyo.SetOf(range(len(rows))), rule=lambda _m, i: linear(rows[i]) <= 0.0)
