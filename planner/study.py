"""Study mode: the reference study's design question over the whole horizon, and its sensitivity runs.

Solving the 240-month model in one piece is slow: the first probe of this formulation stopped at
large gaps. Study mode uses the structure of the demand instead.

1. **Representative segments.** Station and servicer demand repeats every ``L`` months (the least
   common multiple of their resupply intervals, 12 in the reference case) and a Mars mission falls
   at a fixed offset of some of those periods. The horizon is cut into periods of ``L`` months; the
   periods with identical demand are one *segment type*, solved once and weighted by how often it
   occurs. The reference horizon (240 months) has two types: 4 periods with a Mars departure and 16
   without. Infrastructure (depots, ISRU, fleet) is shared by all segments; fixed costs count once,
   operating costs by weight. Each period starts and ends with empty depots, so the expanded plan
   is a feasible plan of the full model; stock carried across a period boundary is what the
   decomposition gives up (measured in ``docs/validation.md``).
2. **Programme enumeration.** Whether each programme (depots, tugs, ISRU) is built at all is
   enumerated rather than left to the solver: a DDTE cost behind a big-M gives the weakest possible
   relaxation. Each subset of the allowed programmes is solved with its programmes built; the best
   plan wins and the smallest bound over all subsets is the study's lower bound, so the reported gap
   is a proven gap for the segmented problem. A subset that finds no plan in its share of the time
   is bounded by its linear relaxation (:func:`relaxation_bound`).
3. **First plans.** Subsets are solved smallest first, and a larger one starts from a smaller one's
   plan with its own programmes built empty. An empty depot beside a tug is a plan HiGHS keeps for
   minutes, so that start is first re-planned with its routes held (:func:`_routes_held_start`),
   and each period is solved again with the depots held where that plan built them
   (:func:`_depots_held_by_period`): with two threads or more in a second process while the MIP
   runs on the rest (:func:`_depots_held_beside`), otherwise when the subset has time to spare. A
   subset whose share is too short for that runs its MIP a second time in that process, with another
   seed, and keeps the higher of the two bounds (:func:`_mip_with_another_seed`).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner import interrupt
from cislink.planner.arrays import Problem, optimal
from cislink.planner.beside import Beside
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.cases import CASES, SENSITIVITY
from cislink.planner.decompose import solve_by_month, storage_free
from cislink.planner.inputs import Inputs, Segment, build_inputs, demand_events, mars_months
from cislink.planner.interrupt import INTERRUPTED, NOT_BEGUN
from cislink.planner.model import build_model
from cislink.planner.polish import MIN_GAIN, polish
from cislink.planner.results import Plan, read_plan
from cislink.planner.segments import by_segment, solve_by_segment
from cislink.planner.solve import SolveInfo, SolverSettings, relative_gap, solve_checked
from cislink.planner.warmstart import plan_values, start_from

if TYPE_CHECKING:
    from cislink.orbits.network import Network
    from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

#: Root LP method for subsets with storage. Their LP relaxation (24 steps, tugs and depots) took HiGHS's
#: dual simplex 20.3 s and its interior-point method 1.8 s; inside the MIP the simplex root had not
#: finished after 68 s, so the subset's bound was its fixed costs alone.
STORAGE_ROOT_LP = "ipm"

Progress = Callable[[str], None]


def with_storage(settings: SolverSettings) -> SolverSettings:
    """Settings for a subset with storage: its root LP stalls in dual simplex, interior point solves it."""
    return replace(settings, root_lp=STORAGE_ROOT_LP) if settings.root_lp == "choose" else settings


@dataclass
class SubsetResult:
    """One programme subset of a case: what it cost and how well it was solved."""

    programmes: tuple[str, ...]
    objective_usd: float | None
    bound_usd: float
    status: str
    build_seconds: float
    solve_seconds: float
    #: development (DDTE) cost of the subset's programmes: a fixed sum once they are built, whatever the plan
    ddte_usd: float = 0.0


def programme_ddte_usd(scenario: Scenario, programmes: tuple[str, ...]) -> float:
    """The DDTE the scenario charges for building ``programmes`` (each charged once, as in eq 32)."""
    return float(sum(getattr(scenario.infrastructure, p).ddte_usd for p in programmes))


def ddte_break_even_usd(baseline_usd: float | None, built: SubsetResult) -> float | None:
    """The programmes' DDTE at which the plan with them built would cost as much as the baseline.

    DDTE is a constant once the programmes are built, so raising it by ``x`` raises the cost of the
    best plan with them built by exactly ``x`` and changes no decision: the break-even is the baseline's
    cost less everything else that plan costs. Below it the programmes pay for themselves. It is
    exact for the two plans found; an all-built plan above its optimum (an open gap) makes it an
    underestimate. ``None`` without both plans or without programmes.
    """
    if baseline_usd is None or built.objective_usd is None or not built.programmes:
        return None
    return baseline_usd - (built.objective_usd - built.ddte_usd)


@dataclass
class StudyResult:
    case: str
    plan: Plan
    subsets: list[SubsetResult] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    #: end-of-mission disposal reserve of each vehicle type built (per vehicle) and depot, kg
    disposal_reserve_kg: dict[str, float] = field(default_factory=dict)

    @property
    def all_built(self) -> SubsetResult | None:
        """The subset with every programme of the case built, whether or not it is the cheapest.

        The study's sensitivity runs report this figure: its "tugs alone" is the network with a tug
        programme, which may cost more than the baseline; the best plan of a case never does.
        """
        if not self.subsets:
            return None
        return max(self.subsets, key=lambda r: len(r.programmes))

    def summary(self) -> dict[str, Any]:
        out = self.plan.summary()
        out["case"] = self.case
        built = self.all_built
        baseline = next((r.objective_usd for r in self.subsets if not r.programmes), None)
        out["all_built"] = (
            None
            if built is None
            else {
                "programmes": list(built.programmes),
                "total_cost_usd": built.objective_usd,
                "mip_gap": relative_gap(built.objective_usd, built.bound_usd) if built.objective_usd else None,
                "ddte_usd": built.ddte_usd,
                "ddte_break_even_usd": ddte_break_even_usd(baseline, built),
            }
        )
        limiting = min(self.subsets, key=lambda r: r.bound_usd, default=None)
        out["bound_set_by"] = None if limiting is None else list(limiting.programmes)
        out["disposal_reserve_kg"] = {k: round(v, 1) for k, v in self.disposal_reserve_kg.items()}
        out["segments"] = [
            {"start_month": s.start_month, "months": s.months, "weight": s.weight} for s in self.segments
        ]
        out["subsets"] = [
            {
                "programmes": list(r.programmes),
                "objective_usd": r.objective_usd,
                "bound_usd": r.bound_usd if math.isfinite(r.bound_usd) else None,
                "status": r.status,
                "solve_seconds": round(r.solve_seconds, 3),
            }
            for r in self.subsets
        ]
        return out


def parse_case(case: str) -> tuple[str, ...]:
    try:
        return CASES[case]
    except KeyError:
        raise PlannerError(f"unknown infrastructure '{case}'; allowed: {', '.join(CASES)}") from None


def representative_segments(scenario: Scenario) -> tuple[list[Segment], dict[int, list[int]]]:
    """Segment types of the horizon and, per step of the segments, the months it stands for."""
    horizon = scenario.planner.horizon_months
    intervals = [s.resupply_interval_months for s in scenario.stations] + [
        s.resupply_interval_months for s in scenario.servicing
    ]
    period = reduce(math.lcm, intervals, 1)
    if period > horizon:
        period = horizon
    months = range(horizon)
    events = demand_events(scenario, months)
    mars = set(mars_months(scenario, months))
    signature_of: dict[Any, int] = {}
    segments: list[Segment] = []
    occurrences: list[list[int]] = []
    for start in range(0, horizon, period):
        length = min(period, horizon - start)
        sig = (
            length,
            tuple(
                sorted(
                    (k, c, m - start, round(kg, 6)) for (k, c, m), kg in events.items() if start <= m < start + length
                )
            ),
            tuple(sorted(m - start for m in mars if start <= m < start + length)),
        )
        if sig not in signature_of:
            signature_of[sig] = len(segments)
            segments.append(Segment(start, length, 0.0))
            occurrences.append([])
        occurrences[signature_of[sig]].append(start)
    segments = [replace(s, weight=float(len(occ))) for s, occ in zip(segments, occurrences, strict=True)]
    months_of_step: dict[int, list[int]] = {}
    step = 0
    for seg, occ in zip(segments, occurrences, strict=True):
        for i in range(seg.months):
            months_of_step[step] = [start + i for start in occ]
            step += 1
    return segments, months_of_step


def solve_subsets(
    scenario: Scenario,
    network: Network,
    subsets: list[tuple[str, ...]],
    settings: SolverSettings,
    progress: Progress | None = None,
) -> dict[tuple[str, ...], tuple[SubsetResult, Plan | None]]:
    """Solve each programme subset with its programmes built; the time limit is shared out as it goes."""
    settings.check()
    segments, months_of_step = representative_segments(scenario)
    deadline = time.perf_counter() + settings.time_limit_s - wrap_up_seconds(settings.time_limit_s)
    out: dict[tuple[str, ...], tuple[SubsetResult, Plan | None]] = {}
    values: dict[tuple[str, ...], dict[tuple[str, Any], float]] = {}
    for i, subset in enumerate(subsets):
        label = "+".join(subset) or "no infrastructure"
        if interrupt.requested():  # stopped by the user: what is not begun is not solved
            out[subset] = (SubsetResult(subset, None, -math.inf, NOT_BEGUN, 0.0, 0.0), None)
            continue
        if progress:
            progress(f"solving {label}")
        remaining = max(deadline - time.perf_counter(), 1.0)
        budget = time_share(remaining, len(subsets) - i)
        t0 = time.perf_counter()
        inp = build_inputs(scenario, network, segments, allowed=frozenset(subset), required=frozenset(subset))
        build_s = time.perf_counter() - t0
        lp_first, lp_s = None, 0.0  # SCIP's: its relaxation, solved before its MIP, within the budget
        if settings.solver == "scip" and not storage_free(inp) and not interrupt.requested():
            lp_at = time.perf_counter()
            lp_first = relaxation_bound(inp, replace(settings, time_limit_s=min(WEAK_BOUND_LP_S, budget / 2)))
            lp_s = time.perf_counter() - lp_at
            budget = max(budget - lp_s, 1.0)
        limited = replace(settings, time_limit_s=budget)
        donor = _best_solved_within(subset, out, values)  # a first plan for subsets with storage
        by_month = None
        try:
            if storage_free(inp):
                by_month = solve_by_month(scenario, network, inp, limited)
                m, info, built = by_month.model, by_month.info, by_month.build_seconds
            elif by_segment(inp, segments):
                start = values[donor] if donor is not None else None
                m, info, built = solve_by_segment(scenario, network, inp, segments, with_storage(limited), start)
            else:
                built_at = time.perf_counter()
                m = build_model(inp)
                built = time.perf_counter() - built_at
                limited = with_storage(limited)
                seedable = False
                before = 0.0  # seconds spent on first plans before the MIP
                held_beside = False  # the depots held by period in a second process, beside the MIP
                if donor is not None:
                    start_from(m, values[donor])
                    seedable = _unused_isru(m) and limited.solver == "highs"
                    if _depot_beside_vehicles(m):
                        before = _routes_held_start(m, replace(limited, time_limit_s=routes_held_seconds(budget)))
                        if len(segments) > 1 and not interrupt.requested():
                            if limited.threads >= 2:
                                held_beside = True
                            elif budget * DEPOTS_HELD_SHARE >= DEPOTS_HELD_MIN_S:
                                periods = replace(limited, time_limit_s=budget * DEPOTS_HELD_SHARE)
                                before += _depots_held_by_period(scenario, network, inp, segments, m, periods)
                        limited = replace(limited, time_limit_s=max(budget - before, 1.0))
                if seedable:  # time kept back to polish the MIP's plan with the plant seeded
                    limited = replace(limited, time_limit_s=limited.time_limit_s * (1 - SEED_POLISH_SHARE))
                first_plan = _snapshot(m) if donor is not None else None
                second = None
                if held_beside:  # on a core of its own for as long as the MIP runs
                    second = _second_core(scenario, network, inp, segments, m, limited)
                    if second is not None and second[0].started:
                        limited = replace(limited, threads=limited.threads - 1)
                try:
                    info = solve_checked(m, limited, warm_start=donor is not None)
                    if first_plan is not None:
                        info = _no_dearer_than(m, info, first_plan)
                    if second is not None:
                        info = second[1](info)
                finally:
                    if second is not None:
                        second[0].stop()
                if seedable and info.mip_gap > limited.mip_gap and not interrupt.requested():
                    info = _seed_and_polish(m, info, limited, budget - before - info.solve_seconds)
                info = replace(info, solve_seconds=info.solve_seconds + before)
            build_s += built
        except PlannerError as exc:
            if interrupt.requested():  # stopped before it had a plan: its relaxation still bounds it
                lp = _relaxation_bound_once_stopped(inp, settings)
                spent = time.perf_counter() - t0 - build_s
                out[subset] = (SubsetResult(subset, None, lp, INTERRUPTED, build_s, spent), None)
                continue
            log.warning("%s: %s", label, exc)
            bound = lp_first
            if bound is None:
                left = max(deadline - time.perf_counter(), LP_MIN_S)
                bound = relaxation_bound(inp, replace(settings, time_limit_s=left))
            spent = time.perf_counter() - t0 - build_s
            out[subset] = (SubsetResult(subset, None, bound, "no plan", build_s, spent), None)
            continue
        if interrupt.requested() and not math.isfinite(info.bound_usd):  # stopped before its root LP
            lp = _relaxation_bound_once_stopped(inp, settings)
            info = replace(info, bound_usd=lp, mip_gap=relative_gap(info.objective_usd, lp))
        info = replace(info, solve_seconds=info.solve_seconds + lp_s)
        weak = info.bound_usd < 0.0 or (settings.solver == "scip" and info.status != "optimal")
        if weak and not interrupt.requested():
            info = _bound_from_relaxation(inp, info, settings, lp_first)
        result = SubsetResult(subset, info.objective_usd, info.bound_usd, info.status, build_s, info.solve_seconds)
        if by_month is not None:  # its model holds the distinct months only
            plan = read_plan(m, by_month.inputs, info, build_s, by_month.months_of_step(months_of_step))
            out[subset] = (result, plan)
            values[subset] = by_month.values()
        else:
            out[subset] = (result, read_plan(m, inp, info, build_s, months_of_step))
            values[subset] = plan_values(m)
    _spend_time_left(scenario, network, segments, months_of_step, settings, deadline, out, values, progress)
    return {s: (replace(r, ddte_usd=programme_ddte_usd(scenario, s)), plan) for s, (r, plan) in out.items()}


#: At most this share of the time left at the end polishes the plan of the subset solved again
#: (:mod:`cislink.planner.polish`), before its MIP, which gets the rest and starts from the polished
#: plan. The polish stops once a pass gains nothing, so the bound loses little time. Polishing after
#: the MIP instead (30% of the time left) cost the depot cases' bounds that time: gaps 7.87% to
#: 8.52% (depots), 10.72% to 11.63% (tugs + depots), 3.59% to 4.07% (ISRU + depots).
POLISH_SHARE = 0.3

#: The depots held by period try a further design (one more tug) only if each design tried can have
#: this many seconds. On the reference scenario each design needed 30-60 s to reach its best plan
#: (one thread): the ISRU + tug + depot subset $14.52B to $14.10B in 30 s and $14.02B in 45 s with
#: its one tug held; the tug + depot subset $14.90B to $14.66B in 30 s and $14.56B in 57 s with two
#: tugs held. In 8-15 s neither design had moved the weight-16 period, so a short trial of each
#: cannot tell which to give the time to. A 120 s `tugs+depots` study leaves the search 78-88 s,
#: depending on how long the smaller subsets took: at 40 s a design, a run below 80 s tried the one
#: tug only and reported the tugs plan ($14.72B); the two-tug design reaches its $14.56B in 37 s.
MIN_DESIGN_S = 35.0

#: A subset whose first plan (from a subset without ISRU) has the plant built empty keeps this share
#: of its time back from its MIP; if the MIP stops above the gap, that time polishes its plan with
#: the plant seeded (:func:`_seed_and_polish`). On the reference scenario's ISRU + tug subset, whose
#: MIP in the 15 s a 120 s ``all`` study gives it ends at its first plan ($18.23B), one
#: month-by-month pass took the seeded plan to $14.35B in 4-11 s. Seeding before the MIP instead
#: was worse where the MIP has time: from the seeded plan HiGHS ended at it in 100 s ($14.35B);
#: from the unseeded one its sub-MIP found $12.90B after 20 s. Seeding only plans whose plant the
#: MIP had left unused missed the MIP that sized a small plant in its 17 s ($16.66B): seeded and
#: polished, that plan went to $14.35B in 4.6 s, and the ``all`` study from $14.72B (13.5% gap) to
#: $14.35B (11.2%).
SEED_POLISH_SHARE = 0.4

#: The last subset (every programme of the case built) gets this many shares of the time left, the
#: others one each. It is the hardest, and where a case has a cheaper plan to find it is mostly
#: there: in a 120 s ``all`` study on the reference scenario its ISRU + tug + depot subset got 45 s
#: with equal shares and 58 s with two, and its depots held by period (beside its MIP) went from no
#: gain to a $14.09B plan (the case from $14.35B at 9.60% to $14.09B at 7.94%, one run each). The
#: tug + depot subset, whose bound sets the gap, gave up 8 s and kept its bound ($12.97B).
LAST_SUBSET_WEIGHT = 2.0


#: The subsets share the study's time limit less this share of it (at most :data:`WRAP_UP_MAX_S`), kept
#: for reading the last plan back and for HiGHS's stop after its limit: with the model's hand-over
#: to HiGHS counted in its limit, a 40 s `tugs+depots` study still ended 0.19 s late.
WRAP_UP_SHARE = 0.005
WRAP_UP_MAX_S = 0.5


def wrap_up_seconds(time_limit_s: float) -> float:
    """Seconds of a study's ``time_limit_s`` kept for reading its last plan back."""
    return min(time_limit_s * WRAP_UP_SHARE, WRAP_UP_MAX_S)


def time_share(remaining_s: float, left: int) -> float:
    """Seconds for the next of ``left`` subsets still to solve, out of ``remaining_s``.

    One share each, :data:`LAST_SUBSET_WEIGHT` shares for the last; what a subset leaves unused
    passes on to the rest.
    """
    if left <= 1:
        return remaining_s
    return remaining_s / (left - 1 + LAST_SUBSET_WEIGHT)


#: This share of the time of a subset with depots and in-space vehicles goes to re-planning the
#: launches of its first plan with its routes held (:func:`_routes_held_start`) ...
ROUTES_HELD_SHARE = 0.25
#: ... but at least this many seconds, if that is no more than half its time. On the reference
#: scenario's tug + depot subset the held problem found its $14.90B plan and proved it within the
#: gap in 6.4 s (2 threads); given 6.25 s, a quarter of the 25 s that a 120 s ``all`` or
#: ``--sensitivity`` study gives that subset, it stopped at $15.07B or $15.17B, whichever plan it
#: had when the clock ran out.
ROUTES_HELD_MIN_S = 10.0


def routes_held_seconds(budget_s: float) -> float:
    """Seconds for the routes-held start of a subset given ``budget_s``: its share, raised to the minimum it needs."""
    return min(max(budget_s * ROUTES_HELD_SHARE, ROUTES_HELD_MIN_S), budget_s / 2)


#: At most this share of the time of a subset with depots and in-space vehicles goes to its periods
#: solved apart with the depots held (:func:`_depots_held_by_period`), after the routes-held start.
DEPOTS_HELD_SHARE = 0.6
#: ... and only if that share is at least this many seconds: the weight-16 period needs about 30 s
#: to move from the routes-held plan, and time taken from the subset's MIP is taken from its bound.
DEPOTS_HELD_MIN_S = 90.0
#: The decisions held by :func:`_routes_held_start`: where the in-space vehicles go, and how many there are.
ROUTE_DECISIONS = ("trips", "fleet", "mars_at")

#: Time left at the end is spent on the subset that limits the proven gap only if at least this much.
MIN_SECOND_PASS_S = 10.0


def _spend_time_left(
    scenario: Scenario,
    network: Network,
    segments: list[Segment],
    months_of_step: dict[int, list[int]],
    settings: SolverSettings,
    deadline: float,
    out: dict[tuple[str, ...], tuple[SubsetResult, Plan | None]],
    values: dict[tuple[str, ...], dict[tuple[str, Any], float]],
    progress: Progress | None,
) -> None:
    """Give the time other subsets left unused to the one whose bound limits the gap, starting from its plan.

    Subsets that finish early (the month-decomposed ones, or a subset within 1% of its own plan)
    leave time; the subset with the lowest bound that is not itself proven may be far from proven.
    Its best plan is first polished month by month (:mod:`cislink.planner.polish`, at most
    :data:`POLISH_SHARE` of the time left); it is then solved again from the polished plan with the
    rest, and keeps the better of its two bounds (both are valid) and of its plans.
    """
    left = deadline - time.perf_counter()
    plans = [r.objective_usd for r, p in out.values() if p is not None and r.objective_usd is not None]
    if left < MIN_SECOND_PASS_S or not plans or interrupt.requested():
        return
    best = min(plans)
    open_subsets = [
        (r.bound_usd, s)
        for s, (r, p) in out.items()
        if s in values and r.bound_usd < best * (1 - settings.mip_gap) and r.status != "optimal"
    ]
    if not open_subsets:
        return
    _, subset = min(open_subsets)
    first, _ = out[subset]
    if progress:
        progress(f"solving {'+'.join(subset)} again with {left:.0f} s left")
    inp = build_inputs(scenario, network, segments, allowed=frozenset(subset), required=frozenset(subset))
    if storage_free(inp):  # solved month by month, exactly; a monolithic re-solve would not do better
        return
    m = build_model(inp)
    start_from(m, values[subset])
    settings = with_storage(settings)
    try:
        if settings.solver == "highs":
            gap = relative_gap(first.objective_usd, first.bound_usd)
            plan = SolveInfo(settings.solver, first.status, first.objective_usd, first.bound_usd, gap, 0.0)
            polish(m, plan, settings, left * POLISH_SHARE)
        rest = replace(settings, time_limit_s=max(deadline - time.perf_counter(), 1.0))
        info = solve_checked(m, rest, warm_start=True)
    except PlannerError as exc:
        log.warning("%s again: %s", "+".join(subset), exc)
        return
    bound = max(first.bound_usd, info.bound_usd)
    seconds = first.solve_seconds + info.solve_seconds
    if first.objective_usd <= info.objective_usd:  # subsets in ``values`` have a plan
        out[subset] = (replace(first, bound_usd=min(bound, first.objective_usd), solve_seconds=seconds), out[subset][1])
        return
    info = replace(info, bound_usd=min(bound, info.objective_usd))
    info = replace(info, mip_gap=relative_gap(info.objective_usd, info.bound_usd))
    result = replace(
        first, objective_usd=info.objective_usd, bound_usd=info.bound_usd, status=info.status, solve_seconds=seconds
    )
    out[subset] = (result, read_plan(m, inp, info, first.build_seconds, months_of_step))
    values[subset] = plan_values(m)


#: A subset that found no plan in its share of the time still bounds the study by its linear
#: relaxation, given at least this long (about 1-2 s on the reference scenario's subsets).
LP_MIN_S = 5.0


def relaxation_bound(inp: Inputs, settings: SolverSettings) -> float:
    """The optimum of the linear relaxation of ``inp``'s model, USD: a bound of it (-inf if not solved in time).

    Without it a subset that ran out of time (a short ``--time-limit`` over many subsets) would
    leave its case without a proven gap although the case has a plan.
    """
    try:
        p = Problem(build_model(inp))
    except PlannerError as exc:
        log.info("linear relaxation not built: %s", exc)
        return -math.inf
    every_col, every_row = list(range(len(p.cols))), list(range(len(p.rows)))
    h = p.highs(settings, every_col, every_row, p.cost, integer=False)
    h.setOptionValue("solver", STORAGE_ROOT_LP)
    interrupt.run_highs(h)
    if not optimal(h):
        log.info("linear relaxation not solved: %s", h.modelStatusToString(h.getModelStatus()))
        return -math.inf
    return (h.getInfo().objective_function_value + p.obj_constant) / OBJECTIVE_SCALE


#: Seconds at most the linear relaxation is given where it replaces a weak solver bound. On the
#: reference scenario it takes 1.6 s for the tug + depot subset and 9.9 s with ISRU as well
#: (HiGHS, 2 threads); given 5 s, the larger one was not solved and SCIP's $7.14B stood against the
#: relaxation's $11.84B. With SCIP, a subset with storage solves it before its MIP, given at most
#: half of the subset's time, which the MIP then does not get; solved after the MIP, it ran the
#: study past its time limit (133 s for 120 s).
WEAK_BOUND_LP_S = 15.0


def _bound_from_relaxation(
    inp: Inputs, info: SolveInfo, settings: SolverSettings, solved: float | None = None
) -> SolveInfo:
    """``info`` with the better of its bound and the linear relaxation's (never below zero).

    A study's costs cannot be negative, so a bound below zero says nothing: SCIP stopped in its root
    node reported about -$29,000,000B on the reference scenario's largest subset (a gap of about
    two hundred million percent), and $3.62B on the tug + depot subset, whose relaxation is $12.02B.
    The relaxation (given :data:`WEAK_BOUND_LP_S`) bounds the subset whatever the solver did.
    HiGHS solves that relaxation at its root before it branches, so only its bounds below zero
    (stopped before its root) are checked; SCIP's are whenever it stops short of the gap.
    ``solved`` is the relaxation's bound if it was solved already (-inf if not in its time); it is
    not tried again.
    """
    if solved is None:
        solved = relaxation_bound(inp, replace(settings, time_limit_s=WEAK_BOUND_LP_S))
    bound = max(info.bound_usd, solved, 0.0)
    if bound > info.bound_usd:
        log.info("solver's bound %.6g USD: the linear relaxation's, %.6g USD, instead", info.bound_usd, bound)
    return replace(info, bound_usd=bound, mip_gap=relative_gap(info.objective_usd, bound))


def _relaxation_bound_once_stopped(inp: Inputs, settings: SolverSettings) -> float:
    """:func:`relaxation_bound` after a stop request: not cancelled, and given :data:`LP_MIN_S` at most."""
    with interrupt.shielded():
        return relaxation_bound(inp, replace(settings, time_limit_s=LP_MIN_S))


def _best_solved_within(
    subset: tuple[str, ...],
    solved: dict[tuple[str, ...], tuple[SubsetResult, Plan | None]],
    values: dict[tuple[str, ...], dict[tuple[str, Any], float]],
) -> tuple[str, ...] | None:
    """The cheapest solved subset of ``subset``'s programmes: its plan, with the rest built empty, is a first plan."""
    within = [(r.objective_usd, s) for s, (r, p) in solved.items() if p is not None and set(s) < set(subset)]
    within = [(obj, s) for obj, s in within if obj is not None and s in values]
    return min(within)[1] if within else None


Snapshot = tuple[float, list[tuple[Any, Any]]]


def _snapshot(m: pyo.ConcreteModel) -> Snapshot:
    """The plan ``m`` holds: its cost (USD) and every variable's value."""
    values = [(v, v.value) for v in m.component_data_objects(pyo.Var, descend_into=True)]
    return pyo.value(m.total_cost) / OBJECTIVE_SCALE, values


def _put_back(first: Snapshot) -> None:
    """Give every variable back the value it had in the snapshot."""
    for v, value in first[1]:
        v.set_value(value, skip_validation=True)


def _no_dearer_than(m: pyo.ConcreteModel, info: SolveInfo, first: Snapshot) -> SolveInfo:
    """Put the first plan back if the solver's plan costs more.

    HiGHS takes the first plan as its incumbent and can only improve on it; SCIP is not given it,
    and within a short time limit may end at a plan far dearer (on the reference scenario's tug +
    depot subset, one of pure shortfall at $20.8 trillion against a first plan of $14.89B). The
    solver's bound stands either way.
    """
    cost = first[0]
    if info.objective_usd <= cost * (1 + 1e-9):
        return info
    log.info("solver's plan %.6g USD dearer than the first plan %.6g USD: first plan kept", info.objective_usd, cost)
    _put_back(first)
    return _with_plan_cost(info, cost)


def _with_plan_cost(info: SolveInfo, cost: float) -> SolveInfo:
    """``info`` for another plan of the same model costing ``cost`` USD: its bound stands, capped by that cost."""
    bound = min(info.bound_usd, cost)
    return replace(info, objective_usd=cost, bound_usd=bound, mip_gap=relative_gap(cost, bound))


def _depot_beside_vehicles(m: pyo.ConcreteModel) -> bool:
    """Whether ``m`` may build depots and has in-space trips (routes) whose plan can be held."""
    return hasattr(m, "depot_program") and len(getattr(m, "trips", ())) > 0


def _routes_held_start(m: pyo.ConcreteModel, settings: SolverSettings) -> float:
    """Improve the first plan of a subset with depots by re-planning its launches around its routes.

    The first plan is a smaller subset's, with the depot built empty. Held to its in-space trips,
    fleets and Mars nodes, what is left (launches, depot sizes, stock) is a lot-sizing problem that
    HiGHS solves in seconds: whole launches are bought ahead of need and kept in a depot. That plan
    replaces the first one if cheaper; the trips are then freed again for the subset's MIP, which
    starts from it. Returns the seconds spent. The held problem's bound is not a bound of the
    subset and is dropped.
    """
    start = time.perf_counter()
    held = [
        v
        for name in ROUTE_DECISIONS
        if hasattr(m, name)
        for v in getattr(m, name).values()
        if not v.fixed and v.value is not None
    ]
    first = _snapshot(m)
    for v in held:
        v.fix(round(v.value))
    try:
        info = solve_checked(m, settings, warm_start=True)
    except PlannerError as exc:
        log.info("routes held: %s", exc)
        info = None
    finally:
        for v in held:
            v.unfix()
    if info is None or info.objective_usd >= first[0]:
        _put_back(first)
    else:
        log.info("routes held, launches re-planned with depots: %.6g -> %.6g USD", first[0], info.objective_usd)
    return time.perf_counter() - start


def _depots_held_by_period(
    scenario: Scenario,
    network: Network,
    inp: Inputs,
    segments: list[Segment],
    m: pyo.ConcreteModel,
    settings: SolverSettings,
) -> float:
    """Improve the plan ``m`` holds by solving each period with its depots held where that plan built them.

    The routes-held plan (:func:`_routes_held_start`) builds its depot where whole launches are
    best bought ahead, but HiGHS, solving the whole subset from it, does not move its routes: the
    weight-16 period alone makes every launch worth sixteen, and which node gets a depot is a choice
    among seven. With the depots held, each period is a model of its own that HiGHS improves from the
    plan (:func:`_depots_held_plan`), and the periods' plans joined are a plan of the subset. It
    replaces the plan in ``m`` if cheaper. Returns the seconds spent.
    """
    start = time.perf_counter()
    holds = _held_designs(m, scenario)
    if holds is None:
        return time.perf_counter() - start
    cost = pyo.value(m.total_cost) / OBJECTIVE_SCALE
    found = _depots_held_plan(scenario, network, inp, segments, plan_values(m), holds, settings)
    if found is not None and found[0] < cost * (1 - 1e-9):
        log.info("depots held by period: %.6g -> %.6g USD", cost, found[0])
        start_from(m, found[1])
    return time.perf_counter() - start


def _depots_built(m: pyo.ConcreteModel) -> dict[tuple[str, Any], float] | None:
    """The depots the plan in ``m`` builds, as values to hold; None if it builds none."""
    hold = {("depot_built", i): float(round(v.value)) for i, v in m.depot_built.items() if v.value is not None}
    return hold if any(hold.values()) else None


def _held_designs(m: pyo.ConcreteModel, scenario: Scenario) -> list[dict[tuple[str, Any], float]] | None:
    """The designs the periods are solved with in turn: the plan's depots and fleets, then one more tug.

    With the fleets held as well as the depots, each period's MIP has less to branch on and improves
    the plan further in the same time. Which fleet is best differs by subset: on the reference
    scenario (one thread, 60 s each) the ISRU + tug + depot subset's plan went from $14.52B to $14.02B
    with its one tug held and to $14.19B with two; the tug + depot subset's from $14.90B to $14.56B
    with two tugs and not at all with one (with the fleets free, 120 s studies had found $14.09B and
    $14.66B). None if the plan builds no depot.
    """
    depots = _depots_built(m)
    if depots is None:
        return None
    fleets = {("fleet", v): float(round(x.value)) for v, x in m.fleet.items() if x.value is not None}
    designs = [{**depots, **fleets}]
    tug = scenario.infrastructure.tug
    key = ("fleet", tug.vehicle) if tug is not None else None
    if key in fleets and 1 <= fleets[key] < tug.max_fleet:
        designs.append({**depots, **fleets, key: fleets[key] + 1})
    return designs


def _depots_held_plan(
    scenario: Scenario,
    network: Network,
    inp: Inputs,
    segments: list[Segment],
    start: dict[tuple[str, Any], float],
    holds: list[dict[tuple[str, Any], float]],
    settings: SolverSettings,
    seconds: float | None = None,
    report: Callable[[tuple[float, dict[tuple[str, Any], float]]], None] | None = None,
) -> tuple[float, dict[tuple[str, Any], float]] | None:
    """The periods solved from ``start`` with each design of ``holds`` held in turn, joined: the
    cheapest one's cost (USD) and values (each cheaper one passed to ``report`` as it is found).

    The designs share the time: each gets what is left over the designs not yet tried, and only as
    many are tried as can have :data:`MIN_DESIGN_S` each (the first always). ``seconds``
    replaces the time limit of ``settings`` (:class:`Beside` gives its job one). The bound is that
    of a held problem, not of the subset, and is dropped. None if no design gave a plan.
    """
    total = settings.time_limit_s if seconds is None else seconds
    deadline = time.perf_counter() + total
    designs = len(holds)
    holds = holds[: max(1, math.floor(total / MIN_DESIGN_S))]
    log.info("depots held by period: %d of %d designs in %.0f s", len(holds), designs, total)
    best: tuple[float, dict[tuple[str, Any], float]] | None = None
    for i, hold in enumerate(holds):
        if interrupt.requested():
            break
        left = max((deadline - time.perf_counter()) / (len(holds) - i), 1.0)
        try:
            joined, info, _ = solve_by_segment(
                scenario, network, inp, segments, replace(settings, time_limit_s=left), start, hold=hold
            )
        except PlannerError as exc:
            log.info("depots held by period: %s", exc)
            continue
        held = ", ".join(f"{name} {index} {value:g}" for (name, index), value in sorted(hold.items()) if value)
        log.info("depots held by period (%s): %.6g USD", held, info.objective_usd)
        if best is None or info.objective_usd < best[0]:
            best = (info.objective_usd, plan_values(joined))
            if report is not None:
                report(best)
    return best


def _second_core(
    scenario: Scenario,
    network: Network,
    inp: Inputs,
    segments: list[Segment],
    m: pyo.ConcreteModel,
    settings: SolverSettings,
) -> tuple[Beside, Callable[[SolveInfo], SolveInfo]] | None:
    """What the second core does while the subset's MIP runs for ``settings.time_limit_s``, and
    how its result is folded into the MIP's once that is done.

    The depots held by period (:func:`_depots_held_beside`) if a design can have
    :data:`MIN_DESIGN_S` of that time; otherwise the same MIP with another seed
    (:func:`_mip_with_another_seed`), whose bound may end higher.
    """
    if settings.time_limit_s >= MIN_DESIGN_S:
        beside = _depots_held_beside(scenario, network, inp, segments, m, settings)
        if beside is None:
            return None
        return beside, lambda info: _cheaper_beside(m, info, beside, wait=info.mip_gap > settings.mip_gap)
    race = Beside(_mip_with_another_seed, (inp, plan_values(m), settings), settings.time_limit_s)
    return race, lambda info: _better_of_race(m, info, race, settings)


def _mip_with_another_seed(
    inp: Inputs, start: dict[tuple[str, Any], float], settings: SolverSettings, seconds: float
) -> tuple[float, float, dict[tuple[str, Any], float]]:
    """The subset's MIP from ``start`` with the next seed, on one thread: its plan's cost, its bound, the plan.

    Run in a second process (:class:`Beside`) while the study's MIP runs with its own seed, by a
    subset whose depots held by period could not give a design :data:`MIN_DESIGN_S`: both bounds
    are bounds of the same model, so the higher stands. Where a short MIP's bound ends moves with
    the seed alone: on the reference scenario's tug + depot subset, 19 s from the routes-held plan on
    one thread ended at $13.00B, $13.01B, $13.05B and $13.04B for seeds 0-3, and from the tugs plan
    with an empty depot at $12.98B, $12.73B, $12.63B and $13.00B; the depots held by period, in the
    15 s such a subset leaves them, never moved its plan.
    """
    m = build_model(inp)
    start_from(m, start)
    other = replace(settings, time_limit_s=seconds, threads=1, seed=settings.seed + 1)
    info = solve_checked(m, other, warm_start=True)
    return info.objective_usd, info.bound_usd, plan_values(m)


def _better_of_race(m: pyo.ConcreteModel, info: SolveInfo, race: Beside, settings: SolverSettings) -> SolveInfo:
    """The higher bound of the two MIPs (:func:`_mip_with_another_seed`) and the cheaper plan.

    If the MIP in this process proved its gap, what the other has is not waited for.
    """
    found = race.result(wait=info.mip_gap > settings.mip_gap)
    if found is None:
        return info
    cost, bound, values = found
    log.info(
        "MIP with seed %d beside: plan %.6g USD, bound %.6g USD (seed %d: %.6g, %.6g)",
        settings.seed + 1,
        cost,
        bound,
        settings.seed,
        info.objective_usd,
        info.bound_usd,
    )
    info = replace(info, bound_usd=max(info.bound_usd, bound))
    plan_cost = info.objective_usd
    if cost < plan_cost * (1 - 1e-9):
        start_from(m, values)
        plan_cost = pyo.value(m.total_cost) / OBJECTIVE_SCALE  # the plan as this model prices it
    info = _with_plan_cost(info, plan_cost)
    return replace(info, status="optimal" if info.mip_gap <= settings.mip_gap + 1e-9 else info.status)


def _depots_held_beside(
    scenario: Scenario,
    network: Network,
    inp: Inputs,
    segments: list[Segment],
    m: pyo.ConcreteModel,
    settings: SolverSettings,
) -> Beside | None:
    """Start :func:`_depots_held_plan` from the plan ``m`` holds, in a second process on one thread.

    It gets the MIP's time limit; the MIP, which gains nothing from its second thread, runs beside it
    on the other (:mod:`cislink.planner.beside`). None if the plan builds no depot.
    """
    holds = _held_designs(m, scenario)
    if holds is None:
        return None
    args = (scenario, network, inp, segments, plan_values(m), holds, replace(settings, threads=1))
    return Beside(_depots_held_plan, args, settings.time_limit_s, reports=True)


def _cheaper_beside(m: pyo.ConcreteModel, info: SolveInfo, beside: Beside, wait: bool) -> SolveInfo:
    """Take the plan found beside the MIP if it is cheaper than the MIP's; the MIP's bound stands.

    With ``wait`` false (the MIP proved its plan within the gap) only a plan already found is taken.
    The seconds spent waiting count as solve time.
    """
    t0 = time.perf_counter()
    found = beside.result(wait=wait)
    waited = time.perf_counter() - t0
    info = replace(info, solve_seconds=info.solve_seconds + waited)
    if found is None or found[0] >= info.objective_usd * (1 - 1e-9):
        seen = "no plan" if found is None else f"{found[0]:.6g} USD"
        log.info("depots held by period, beside the MIP: %s, not below the MIP's %.6g USD", seen, info.objective_usd)
        return info
    cost, values = found
    log.info("depots held by period, beside the MIP: %.6g -> %.6g USD", info.objective_usd, cost)
    start_from(m, values)
    return _with_plan_cost(info, pyo.value(m.total_cost) / OBJECTIVE_SCALE)  # the plan as this model prices it


def _unused_isru(m: pyo.ConcreteModel) -> bool:
    """Whether ``m`` holds a plan with an ISRU plant built at rate zero that may be sized."""
    rate = getattr(m, "isru_rate", None)
    if rate is None or rate.fixed:
        return False
    return (m.isru_built.value or 0.0) > 0.5 and (rate.value or 0.0) <= 0.0


def _seed_and_polish(m: pyo.ConcreteModel, info: SolveInfo, settings: SolverSettings, seconds: float) -> SolveInfo:
    """Polish a plan with its ISRU plant first seeded at its largest rate.

    The month polish holds sizes: from a rate of zero it could never route a kilogram of lunar
    output, and from a small rate no more than that rate makes. Seeded at its largest rate the
    plant's output is there for each month's MIP to use, and the polish's closing LP (which moves
    continuous sizes) shrinks the rate to what the months use. The seeded plan costs more than
    ``info``'s; unless the polish gets below it by at least
    :data:`~cislink.planner.polish.MIN_GAIN`, the plan is put back as it was.
    """
    first = _snapshot(m)
    rate = m.isru_rate
    rate.set_value(rate.ub, skip_validation=True)
    seeded = replace(info, objective_usd=pyo.value(m.total_cost) / OBJECTIVE_SCALE, solve_seconds=0.0)
    after = polish(m, seeded, settings, max(seconds, 1.0))
    if info.objective_usd - after.objective_usd > MIN_GAIN * abs(info.objective_usd):
        log.info("ISRU seeded and polished: %.6g -> %.6g USD", info.objective_usd, after.objective_usd)
        return replace(after, solve_seconds=info.solve_seconds + after.solve_seconds)
    _put_back(first)
    return replace(info, solve_seconds=info.solve_seconds + after.solve_seconds)


def available(scenario: Scenario, programmes: tuple[str, ...]) -> tuple[str, ...]:
    """The programmes of ``programmes`` that the scenario offers as infrastructure options."""
    return tuple(p for p in programmes if getattr(scenario.infrastructure, p) is not None)


#: The order programmes are listed in within a subset, whatever order a case names them in, so
#: that cases sharing a subset (``tugs+depots`` and ``all``) name it alike and it is solved once.
PROGRAMME_ORDER = ("depot", "tug", "isru")


def subsets_of(programmes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every subset of ``programmes``, smallest first (the empty one gives a plan fast), in one order."""
    rank = {p: i for i, p in enumerate(PROGRAMME_ORDER)}
    ordered = sorted(programmes, key=lambda p: (rank.get(p, len(rank)), p))
    return [c for r in range(len(ordered) + 1) for c in itertools.combinations(ordered, r)]


def subsets_needed(scenario: Scenario, cases: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The programme subsets the given cases need between them, each once, smallest first."""
    needed = {s for c in cases for s in subsets_of(available(scenario, parse_case(c)))}
    return sorted(needed, key=lambda s: (len(s), s))


def combine(
    case: str,
    solved: dict[tuple[str, ...], tuple[SubsetResult, Plan | None]],
    settings: SolverSettings,
    segments: list[Segment],
) -> StudyResult:
    """The best plan of a case from its solved subsets, with the bound over all of them."""
    allowed = parse_case(case)
    mine = [solved[s] for s in subsets_of(allowed) if s in solved]
    allowed = tuple(p for p in allowed if any(p in r.programmes for r, _ in mine)) or allowed
    plans = [(r, p) for r, p in mine if p is not None]
    if not plans:
        if any(r.status in (NOT_BEGUN, INTERRUPTED) for r, _ in mine):
            raise PlannerError(f"study '{case}': stopped before any plan was found")
        raise PlannerError(f"study '{case}': no programme subset found a plan within {settings.time_limit_s:g} s")
    _, plan = min(plans, key=lambda rp: rp[1].solve.objective_usd)
    bound = min(r.bound_usd for r, _ in mine)
    objective = plan.solve.objective_usd
    gap = relative_gap(objective, bound)
    status = "optimal" if gap <= settings.mip_gap + 1e-9 else "time_limit"
    if status != "optimal" and any(r.status in (NOT_BEGUN, INTERRUPTED) for r, _ in mine):
        status = INTERRUPTED
    best = replace(
        plan,
        solve=SolveInfo(settings.solver, status, objective, bound, gap, sum(r.solve_seconds for r, _ in mine)),
        build_seconds=sum(r.build_seconds for r, _ in mine),
        infrastructure=frozenset(allowed),
    )
    return StudyResult(case, best, [r for r, _ in mine], segments)


def run_study(
    scenario: Scenario,
    network: Network,
    case: str = "all",
    settings: SolverSettings | None = None,
    progress: Progress | None = None,
) -> StudyResult:
    """Best infrastructure and operations over the scenario's horizon for one ``--infrastructure`` case."""
    settings = settings or SolverSettings.from_scenario(scenario)
    solved = solve_subsets(scenario, network, subsets_needed(scenario, (case,)), settings, progress)
    return _with_reserves(combine(case, solved, settings, representative_segments(scenario)[0]), scenario, network)


def run_sensitivity(
    scenario: Scenario,
    network: Network,
    settings: SolverSettings | None = None,
    progress: Progress | None = None,
    cases: tuple[str, ...] = SENSITIVITY,
) -> list[StudyResult]:
    """The study's Fig. 10: every case of ``cases``, each subset of programmes solved once and shared."""
    settings = settings or SolverSettings.from_scenario(scenario)
    solved = solve_subsets(scenario, network, subsets_needed(scenario, cases), settings, progress)
    segments = representative_segments(scenario)[0]
    return [_with_reserves(combine(c, solved, settings, segments), scenario, network) for c in cases]


def _with_reserves(result: StudyResult, scenario: Scenario, network: Network) -> StudyResult:
    """``result`` with the disposal reserves of the infrastructure its plan builds."""
    from cislink.orbits.disposal import design_reserves_kg

    design = result.plan.design
    result.disposal_reserve_kg = design_reserves_kg(network, scenario, design.depots, design.fleets)
    return result
