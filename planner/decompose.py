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
3. the chosen months' launches, trips and Mars nodes are fixed in a model of the distinct months
   (one step each, weighted by how often it occurs), whose remaining (continuous) problem is solved
   once to give the plan. That model holds the same plan as the full one at a fifth of its size on
   the reference scenario (5 distinct months of 24 steps): the full model's build alone was more
   than a tenth of the whole solve. :class:`ByMonth` maps its steps back to the problem's.

The lower bound reported is the smallest of ``c.f + sum_t w_t (bound of month t at f)`` over the
vectors tried and ``c.f + sum_t w_t B_t`` over those skipped, so the gap is proven.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner import interrupt
from cislink.planner.arrays import Problem, has_plan, moved_step, optimal, step_of
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.blocks.transfers import fleet_costs_usd
from cislink.planner.inputs import DAYS_PER_MONTH, Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.solve import SolveInfo, SolverSettings, relative_gap, solve_checked
from cislink.planner.warmstart import Values, plan_values

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

    objective_usd: float  # weighted by how often the month occurs
    bound_usd: float
    usage: dict[str, int]
    integers: list[tuple[Any, float]]  # the month's whole-number variables of the plan's model, with values


@dataclass
class ByMonth:
    """A storage-free problem solved month by month.

    ``model`` has one step per distinct month, weighted by how often that month occurs, and holds
    the plan; ``steps_of`` maps each of its steps to the steps of the problem it stands for.
    """

    model: pyo.ConcreteModel
    inputs: Inputs
    info: SolveInfo
    build_seconds: float
    steps_of: dict[int, list[int]]

    def months_of_step(self, months_of_step: dict[int, list[int]]) -> dict[int, list[int]]:
        """The months each of the model's steps stands for, given those of the problem's steps."""
        return {s: sorted(mo for t in steps for mo in months_of_step[t]) for s, steps in self.steps_of.items()}

    def values(self) -> Values:
        """The plan by component and index of the problem's model (every step of it), for warm starts."""
        out: Values = {}
        for (name, index), value in plan_values(self.model).items():
            s = step_of(index)
            if s is None:
                out[(name, index)] = value
                continue
            for t in self.steps_of[s]:
                out[(name, moved_step(index, t - s))] = value
        return out


class _ArrayMonths:
    """The distinct months as parts of the plan's model read into arrays, each solved by HiGHS on its own.

    A month's part is its columns and the rows they enter, with the fleet columns (shared by all
    months, bounded by the fleet limit asked for) at no cost. Each part is handed to HiGHS directly,
    which takes a few milliseconds where Pyomo's interface took tens.
    """

    def __init__(self, m: pyo.ConcreteModel, inp: Inputs) -> None:
        self.m = m
        self.p = p = Problem(m)
        legs = {(va.vehicle, va.origin, va.destination): va.leg_days for va in inp.vehicle_arcs}
        self.cols: dict[int, list[int]] = defaultdict(list)
        self.shared: list[int] = []
        self.leg: dict[int, tuple[str, float]] = {}  # trip column -> (vehicle, leg days)
        self.short: set[int] = set()  # shortfall columns
        for j, v in enumerate(p.cols):
            name = v.parent_component().local_name
            t = step_of(v.index())
            if t is None:
                self.shared.append(j)
                continue
            self.cols[t].append(j)
            if name == "trips":
                vehicle, o, d, _ = v.index()
                self.leg[j] = (vehicle, legs[(vehicle, o, d)])
            elif name in ("shortfall", "mars_shortfall"):
                self.short.add(j)
        self.rows = {t: np.flatnonzero(p.rows_touching(self._mask(cols))).tolist() for t, cols in self.cols.items()}
        in_months = np.zeros(len(p.cols), dtype=bool)
        for rows in self.rows.values():
            at, _ = p.entries(np.asarray(rows, dtype=np.int64))
            in_months[p.index[at]] = True
        fleet = {id(v) for v in m.fleet.values()}
        self.shared = [j for j in self.shared if in_months[j]]
        others = [p.cols[j].name for j in self.shared if id(p.cols[j]) not in fleet]
        if others:  # the months would each choose their own value of what they share
            raise PlannerError(f"month decomposition: months share more than the fleet ({', '.join(others)})")
        self.plans: dict[tuple[int, Fleet], MonthPlan] = {}

    def _mask(self, cols: list[int]) -> np.ndarray:
        mask = np.zeros(len(self.p.cols), dtype=bool)
        mask[cols] = True
        return mask

    def solve(self, step: int, vehicles: list[str], fleet: Fleet, settings: SolverSettings) -> MonthPlan:
        for v, n in zip(vehicles, fleet, strict=True):
            if v in self.m.fleet:
                self.m.fleet[v].setub(n)
        cols = self.cols[step] + self.shared
        cost = self.p.cost[cols].copy()
        cost[len(self.cols[step]) :] = 0.0  # the fleet's cost is counted apart
        h = self.p.highs(settings, cols, self.rows.get(step, []), cost, integer=True)
        x, objective, bound = self._run(h, len(cols), settings)
        short = [k for k, j in enumerate(cols) if j in self.short]
        if sum(x[k] for k in short) > 1.0:  # a claim of shortfall is checked as the whole model's are
            for k in short:
                h.changeColBounds(k, 0.0, 0.0)
            # HiGHS counts an instance's time limit from its first run
            h.setOptionValue("time_limit", h.getRunTime() + max(settings.time_limit_s / 10.0, 1.0))
            h.clearSolver()
            try:
                again = self._run(h, len(cols), settings)
            except PlannerError:
                again = None
            if again is not None and again[1] < objective:
                x, objective, bound = again[0], again[1], min(bound, again[2])
        days = dict.fromkeys(vehicles, 0.0)
        integers: list[tuple[Any, float]] = []
        for k, j in enumerate(cols[: len(self.cols[step])]):
            if self.p.whole(j):
                integers.append((self.p.cols[j], round(x[k])))
            if j in self.leg:
                vehicle, leg_days = self.leg[j]
                days[vehicle] += leg_days * round(x[k])
        usage = {v: math.ceil(days[v] / DAYS_PER_MONTH - 1e-6) for v in vehicles}
        plan = MonthPlan(objective / OBJECTIVE_SCALE, bound / OBJECTIVE_SCALE, usage, integers)
        self.plans[(step, fleet)] = plan
        return plan

    @staticmethod
    def _run(h: Any, n: int, settings: SolverSettings) -> tuple[np.ndarray, float, float]:
        interrupt.run_highs(h)
        if not has_plan(h):
            if interrupt.interrupted(h):
                raise PlannerError("stopped before every month was solved")
            raise PlannerError(
                f"a month found no plan within {settings.time_limit_s:.1f} s; allow more time (--time-limit)"
            )
        info = h.getInfo()
        x = np.asarray(h.getSolution().col_value)[:n]
        objective = info.objective_function_value
        return x, objective, min(info.mip_dual_bound, objective)


class _PyomoMonths:
    """The distinct months as Pyomo models of their own, for solvers other than HiGHS (SCIP)."""

    def __init__(self, m: pyo.ConcreteModel, scenario: Scenario, network: Network, inp: Inputs) -> None:
        self.m = m
        self.weight = {s.index: s.weight for s in inp.steps}
        self.legs = {(va.vehicle, va.origin, va.destination): va.leg_days for va in inp.vehicle_arcs}
        start = time.perf_counter()
        self.models = {
            s.index: build_model(
                build_inputs(scenario, network, [Segment(s.month, 1, 1.0)], allowed=inp.allowed, fixed_cost_share=0.0)
            )
            for s in inp.steps
        }
        self.build_seconds = time.perf_counter() - start
        self.plans: dict[tuple[int, Fleet], MonthPlan] = {}

    def solve(self, step: int, vehicles: list[str], fleet: Fleet, settings: SolverSettings) -> MonthPlan:
        one = self.models[step]
        for v, n in zip(vehicles, fleet, strict=True):
            if v in one.fleet:
                one.fleet[v].setub(n)
        info = solve_checked(one, settings)
        days = dict.fromkeys(vehicles, 0.0)
        for (v, o, d, _), x in one.trips.items():
            days[v] += self.legs[(v, o, d)] * round(x.value)
        usage = {v: math.ceil(days[v] / DAYS_PER_MONTH - 1e-6) for v in vehicles}
        integers: list[tuple[Any, float]] = []
        for name in ("launches", "trips", "mars_at"):
            for index, x in getattr(one, name, {}).items():
                integers.append((getattr(self.m, name)[moved_step(index, step)], round(x.value)))
        w = self.weight[step]
        plan = MonthPlan(w * info.objective_usd, w * info.bound_usd, usage, integers)
        self.plans[(step, fleet)] = plan
        return plan


def distinct_months(scenario: Scenario, network: Network, inp: Inputs) -> tuple[list[Segment], dict[int, list[int]]]:
    """One single-month segment per distinct month of ``inp``, and the steps of ``inp`` each stands for.

    A segment's weight is how often its month occurs. Months are the same when their demand and Mars departures are.
    """
    single = build_inputs(
        scenario, network, [Segment(s.month, 1, s.weight) for s in inp.steps], allowed=inp.allowed, fixed_cost_share=0.0
    )
    demand: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for (k, c, t), kg in single.demand.items():
        demand[t].append((k, c, round(kg, 6)))
    mars = Counter(t for _, t in single.mars_missions)
    segments: list[Segment] = []
    steps_of: dict[int, list[int]] = {}
    index: dict[tuple[Any, ...], int] = {}
    for step in inp.steps:
        signature = (tuple(sorted(demand[step.index])), mars[step.index])
        if signature not in index:
            index[signature] = len(segments)
            segments.append(Segment(step.month, 1, 0.0))
            steps_of[index[signature]] = []
        i = index[signature]
        segments[i] = replace(segments[i], weight=segments[i].weight + step.weight)
        steps_of[i].append(step.index)
    return segments, steps_of


def solve_by_month(scenario: Scenario, network: Network, inp: Inputs, settings: SolverSettings) -> ByMonth:
    """Solve the storage-free problem ``inp`` month by month.

    The plan is held by a model of the distinct months (:class:`ByMonth`); its seconds exclude model
    building.
    """
    if not storage_free(inp):
        raise PlannerError("month decomposition needs a problem that stores nothing between months")
    start = time.perf_counter()
    deadline = start + settings.time_limit_s
    month_settings = replace(settings, mip_gap=min(settings.mip_gap / 10.0, 1e-3))

    segments, steps_of = distinct_months(scenario, network, inp)
    log.info("%d steps, %d distinct months", len(inp.steps), len(segments))
    plan_inp = build_inputs(
        scenario, network, segments, allowed=inp.allowed, required=inp.required, fixed_cost_share=inp.fixed_cost_share
    )
    built = time.perf_counter()
    m = build_model(plan_inp)
    build_seconds = time.perf_counter() - built
    months: _ArrayMonths | _PyomoMonths
    if settings.solver == "highs":
        months = _ArrayMonths(m, plan_inp)
    else:
        months = _PyomoMonths(m, scenario, network, plan_inp)
        build_seconds += months.build_seconds
    distinct = [s.index for s in plan_inp.steps]

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

    def month_plan(t: int, f: Fleet) -> MonthPlan:
        base = months.plans[(t, high)]
        if within(base, f):
            return base
        return months.plans.get((t, f)) or months.solve(t, vehicles, f, budget())

    try:
        for t in distinct:
            months.solve(t, vehicles, high, budget())
    except TimeoutError:
        if interrupt.requested():
            raise PlannerError("stopped before every month was solved") from None
        raise PlannerError(
            f"no plan within {settings.time_limit_s:g} s: not every month was solved; allow more time (--time-limit)"
        ) from None
    floor = sum(months.plans[(t, high)].bound_usd for t in distinct)
    first = tuple(
        max(lo, *(months.plans[(t, high)].usage[v] for t in distinct)) for v, lo in zip(vehicles, low, strict=True)
    )
    best = first
    best_ub = fleet_cost(first) + sum(months.plans[(t, high)].objective_usd for t in distinct)
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
            plans = [month_plan(t, f) for t in distinct]
        except TimeoutError:
            lower = min(lower, fleet_cost(f) + floor)
            log.warning("month decomposition stopped after %d fleet sizes", tried)
            break
        tried += 1
        ub = fleet_cost(f) + sum(p.objective_usd for p in plans)
        lower = min(lower, fleet_cost(f) + sum(p.bound_usd for p in plans))
        if ub < best_ub:
            best, best_ub = f, ub
    log.info("fleet %s chosen after %d fleet sizes", dict(zip(vehicles, best, strict=True)), tried)

    # the chosen months' whole numbers fixed; what is left is a linear program
    for v, n in zip(vehicles, best, strict=True):
        m.fleet[v].setub(inp.max_fleet[v])
        m.fleet[v].fix(n)
    for t in distinct:
        for var, value in month_plan(t, best).integers:
            var.fix(value)
    p = months.p if isinstance(months, _ArrayMonths) else Problem(m)  # read once where the months were
    objective = _continuous(p, replace(settings, time_limit_s=max(deadline - time.perf_counter(), 10.0)))
    # the programme costs (DDTE) and the fleet's are in the model's objective but in no month's
    constant = objective - best_ub
    bound = min(lower + constant, objective)
    seconds = time.perf_counter() - start - build_seconds
    gap = relative_gap(objective, bound)
    status = "optimal" if gap <= settings.mip_gap + 1e-9 else "time_limit"
    if status != "optimal" and interrupt.requested():
        status = interrupt.INTERRUPTED
    info = SolveInfo(settings.solver, status, objective, bound, gap, seconds)
    return ByMonth(m, plan_inp, info, build_seconds, steps_of)


def _continuous(p: Problem, settings: SolverSettings) -> float:
    """Solve the model read into ``p`` as a linear program; load its plan and return its cost (USD).

    Its whole numbers are all fixed by now; ``p`` reads the variables' bounds as they are at this call.
    """
    h = p.highs(settings, list(range(len(p.cols))), list(range(len(p.rows))), p.cost, integer=False)
    with interrupt.shielded():  # it turns the months' decisions into the plan
        interrupt.run_highs(h)
    if not optimal(h):
        raise PlannerError(
            f"the months' decisions together have no plan (HiGHS: {h.modelStatusToString(h.getModelStatus())})"
        )
    x = np.asarray(h.getSolution().col_value)
    p.load(x)
    return (float(p.cost @ x) + p.obj_constant) / OBJECTIVE_SCALE
