"""Month decomposition: an exact solve of a study subset that stores nothing.

Without depots and without an ISRU plant nothing is held from one month to the next, so once the
fleet sizes are fixed every month of the plan is a problem of its own. Solved in one piece, the
MIP must close the small integrality gaps of every month (whole launches, whole trips) in one
branch-and-bound tree, and their product is what made the tug cases stop at 20-40% gaps. Solved
month by month, each gap closes in about a second.

The fleet is what couples the months. With ``V_t(f)`` the least cost of month ``t`` with at most
``f`` vehicles, ``w_t`` its weight and ``c`` the cost per vehicle over the horizon, the subset's
optimum is ``min_f c.f + sum_t w_t V_t(f)``. ``V_t`` does not increase with ``f``, so:

1. every distinct month (months with the same demand are solved once) is solved with the largest
   fleet allowed: its bound ``B_t`` is a lower bound of ``V_t(f)`` for every ``f``, and the fleet its
   plan uses gives a first complete plan;
2. fleet vectors are tried from the cheapest up; a vector is skipped once ``c.f + sum_t w_t B_t``
   is no better than the best plan (every dearer vector is then skipped too), and otherwise only the
   months whose plan needs more vehicles than ``f`` are solved again;
3. the chosen months' launches, trips and Mars nodes are fixed in the full model, whose remaining
   (continuous) problem is solved once to give the plan in the usual form.

The lower bound reported is the smallest of ``c.f + sum_t w_t (bound of month t at f)`` over the
vectors tried and ``c.f + sum_t w_t B_t`` over those skipped, so the gap is proven.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner import interrupt
from cislink.planner.blocks.transfers import fleet_costs_usd
from cislink.planner.inputs import DAYS_PER_MONTH, Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.solve import SolveInfo, SolverSettings, relative_gap, solve_checked, solve_model

if TYPE_CHECKING:
    from cislink.orbits.network import Network
    from cislink.planner.inputs import Inputs
    from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

Fleet = tuple[int, ...]


def storage_free(inp: Inputs) -> bool:
    """Whether nothing can be held between months (no depots, no ISRU store, no starting stock)."""
    return not inp.storage_nodes and not inp.initial_stock


@dataclass
class MonthPlan:
    """One distinct month solved with a fleet limit."""

    objective_usd: float
    bound_usd: float
    usage: dict[str, int]
    integers: dict[tuple[str, tuple[Any, ...]], float]  # (component, index without the step) -> value


class _Month:
    """A distinct month's model, solved again for each fleet limit asked of it."""

    def __init__(self, inp: Inputs) -> None:
        start = time.perf_counter()
        self.model = build_model(inp)
        self.build_seconds = time.perf_counter() - start
        self.legs = {(va.vehicle, va.origin, va.destination): va.leg_days for va in inp.vehicle_arcs}
        self.plans: dict[Fleet, MonthPlan] = {}

    def solve(self, vehicles: list[str], fleet: Fleet, settings: SolverSettings) -> MonthPlan:
        m = self.model
        for v, n in zip(vehicles, fleet, strict=True):
            if v in m.fleet:
                m.fleet[v].setub(n)
        info = solve_checked(m, settings)
        days = dict.fromkeys(vehicles, 0.0)
        for (v, o, d, _), x in m.trips.items():
            days[v] += self.legs[(v, o, d)] * round(x.value)
        usage = {v: math.ceil(days[v] / DAYS_PER_MONTH - 1e-6) for v in vehicles}
        integers: dict[tuple[str, tuple[Any, ...]], float] = {}
        for (lv, d, _), x in m.launches.items():
            integers[("launches", (lv, d))] = round(x.value)
        for (v, o, d, _), x in m.trips.items():
            integers[("trips", (v, o, d))] = round(x.value)
        if hasattr(m, "mars_at"):
            for (_, n), x in m.mars_at.items():
                integers[("mars_at", (n,))] = round(x.value)
        plan = MonthPlan(info.objective_usd, info.bound_usd, usage, integers)
        self.plans[fleet] = plan
        return plan


def _signature(inp: Inputs) -> tuple[Any, ...]:
    demand = tuple(sorted((k, c, round(kg, 6)) for (k, c, _), kg in inp.demand.items()))
    return demand, len(inp.mars_missions)


def solve_by_month(
    scenario: Scenario, network: Network, inp: Inputs, settings: SolverSettings
) -> tuple[pyo.ConcreteModel, SolveInfo, float]:
    """Solve the storage-free problem ``inp`` month by month.

    Returns the full model with the plan loaded, what the solve reached (its seconds exclude model
    building) and the seconds spent building models.
    """
    if not storage_free(inp):
        raise PlannerError("month decomposition needs a problem that stores nothing between months")
    start = time.perf_counter()
    deadline = start + settings.time_limit_s
    month_settings = replace(settings, mip_gap=min(settings.mip_gap / 10.0, 1e-3))

    months: dict[tuple[Any, ...], _Month] = {}
    weight: dict[tuple[Any, ...], float] = {}
    sig_of_step: dict[int, tuple[Any, ...]] = {}
    for step in inp.steps:
        one = build_inputs(scenario, network, [Segment(step.month, 1, 1.0)], allowed=inp.allowed, fixed_cost_share=0.0)
        sig = _signature(one)
        if sig not in months:
            months[sig] = _Month(one)
            weight[sig] = 0.0
        weight[sig] += step.weight
        sig_of_step[step.index] = sig
    log.info("%d steps, %d distinct months", len(inp.steps), len(months))

    vehicles = list(inp.vehicles)
    unit = [sum(fleet_costs_usd(inp, v).values()) for v in vehicles]
    low = [1 if inp.vehicle_role[v] == "tug" and "tug" in inp.required else 0 for v in vehicles]
    high = tuple(inp.max_fleet[v] for v in vehicles)

    def fleet_cost(f: Fleet) -> float:
        return sum(u * n for u, n in zip(unit, f, strict=True))

    def within(plan: MonthPlan, f: Fleet) -> bool:
        return all(plan.usage[v] <= n for v, n in zip(vehicles, f, strict=True))

    def budget() -> SolverSettings:
        left = deadline - time.perf_counter()
        if left <= 0 or interrupt.requested():
            raise TimeoutError
        return replace(month_settings, time_limit_s=left)

    def month_plan(sig: tuple[Any, ...], f: Fleet) -> MonthPlan:
        month = months[sig]
        base = month.plans[high]
        if within(base, f):
            return base
        return month.plans.get(f) or month.solve(vehicles, f, budget())

    try:
        for month in months.values():
            month.solve(vehicles, high, budget())
    except TimeoutError:
        if interrupt.requested():
            raise PlannerError("stopped before every month was solved") from None
        raise PlannerError(
            f"no plan within {settings.time_limit_s:g} s: not every month was solved; allow more time (--time-limit)"
        ) from None
    floor = sum(weight[s] * months[s].plans[high].bound_usd for s in months)
    first = tuple(
        max(lo, *(months[s].plans[high].usage[v] for s in months)) for v, lo in zip(vehicles, low, strict=True)
    )
    best = first
    best_ub = fleet_cost(first) + sum(weight[s] * months[s].plans[high].objective_usd for s in months)
    lower = fleet_cost(first) + floor
    tolerance = settings.mip_gap / 2.0
    candidates = sorted(
        itertools.product(*(range(lo, hi + 1) for lo, hi in zip(low, high, strict=True))), key=fleet_cost
    )
    tried = 0
    for f in candidates:
        if fleet_cost(f) + floor >= best_ub * (1.0 - tolerance):
            lower = min(lower, fleet_cost(f) + floor)
            break
        try:
            plans = {s: month_plan(s, f) for s in months}
        except TimeoutError:
            lower = min(lower, fleet_cost(f) + floor)
            log.warning("month decomposition stopped after %d fleet sizes", tried)
            break
        tried += 1
        ub = fleet_cost(f) + sum(weight[s] * p.objective_usd for s, p in plans.items())
        lower = min(lower, fleet_cost(f) + sum(weight[s] * p.bound_usd for s, p in plans.items()))
        if ub < best_ub:
            best, best_ub = f, ub
    log.info("fleet %s chosen after %d fleet sizes", dict(zip(vehicles, best, strict=True)), tried)

    # the chosen months' integer decisions, fixed in the full model; what is left is a linear program
    built = time.perf_counter()
    m = build_model(inp)
    build_seconds = time.perf_counter() - built + sum(month.build_seconds for month in months.values())
    for v, n in zip(vehicles, best, strict=True):
        m.fleet[v].fix(n)
    for t, sig in sig_of_step.items():
        plan = month_plan(sig, best)
        for (name, index), value in plan.integers.items():
            getattr(m, name)[(*index, t) if name != "mars_at" else (t, *index)].fix(value)
    with interrupt.shielded():  # a linear program that turns the months' decisions into the plan
        info = solve_model(m, replace(settings, time_limit_s=max(deadline - time.perf_counter(), 10.0)))
    # the programme costs (DDTE) are in the full model's objective but in no month's
    constant = info.objective_usd - best_ub
    bound = min(lower + constant, info.objective_usd)
    seconds = time.perf_counter() - start - build_seconds
    status = "optimal" if relative_gap(info.objective_usd, bound) <= settings.mip_gap + 1e-9 else "time_limit"
    if status != "optimal" and interrupt.requested():
        status = interrupt.INTERRUPTED
    return (
        m,
        replace(
            info,
            status=status,
            bound_usd=bound,
            mip_gap=relative_gap(info.objective_usd, bound),
            solve_seconds=seconds,
        ),
        build_seconds,
    )
