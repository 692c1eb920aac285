"""Segment decomposition: a study subset with storage solved one representative segment at a time.

The study cuts the horizon into representative segments (:func:`cislink.planner.study.representative_segments`):
on the reference scenario a 12-month period with a Mars departure, weighted 4, and one without,
weighted 16. Every segment starts and ends with empty depots, so once the infrastructure is
decided (which depots, their capacities, the ISRU rate, the fleets) the segments are independent
problems. Solved as one model, the branch-and-bound tree must close the small integer gaps of both
segments at once, and a launch in the weight-16 segment is worth sixteen launches: the depot
subsets stopped at 5-8% after 120 s. Each segment alone is a 12-month model that HiGHS solves
exactly in a few seconds when there is no tug.

**Bound.** Give each segment its own copy of the infrastructure and a share ``phi_s`` of the
infrastructure's costs (``fixed_cost_share``; the shares sum to 1, here the segment's share of the
horizon, ``weight * months / horizon``, which is exact for costs per year such as operations).
Any plan of the whole model gives every segment model a plan costing exactly its share of the
infrastructure plus its own operations, so the sum of the segment models' optima is at most the
whole model's optimum, and the sum of their proven bounds is a lower bound of the whole (a
Lagrangian relaxation of "every segment has the same infrastructure", with the shares as its
multipliers). Where the segments agree on the infrastructure the bound is tight.

**Plan.** The union of the segments' infrastructure (every depot any segment built, the larger
fleet) serves every segment's plan, since more infrastructure never makes a plan infeasible. The
whole model is solved with each segment's launches, trips and Mars nodes fixed and that union
fixed, a linear program that sizes the depots and the ISRU rate for both segments at once. What
the union costs beyond the shares is the gap the decomposition leaves; the time left then goes to
the whole model's MIP, started from that plan, and the bound reported is the larger of the two.

Each segment is solved to half the gap asked for, leaving the other half to what the union adds.
Measured on the reference scenario (``bench/planner.py``, 120 s per case, 2 threads): ``depots``
went from a 6.60% gap after 120 s to 0.49% in 40 s, ``isru+depots`` from 5.29% after 120 s to
0.19% in 50 s (both walls include the case's other subsets). A subset with a tug is not solved this
way (:func:`by_segment`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner import interrupt
from cislink.planner.arrays import moved_step, step_of
from cislink.planner.beside import Beside
from cislink.planner.inputs import build_inputs
from cislink.planner.model import build_model
from cislink.planner.solve import SolveInfo, SolverSettings, relative_gap, solve_checked, solve_model
from cislink.planner.warmstart import Values, plan_values, start_from

if TYPE_CHECKING:
    from cislink.orbits.network import Network
    from cislink.planner.inputs import Inputs, Segment
    from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

#: The whole-number decisions of a month, fixed from a segment's plan in the whole model.
MONTH_DECISIONS = ("launches", "trips", "mars_at")
#: Infrastructure decisions that take the largest value any segment chose.
UNION_DECISIONS = ("depot_built", "fleet")


def by_segment(inp: Inputs, segments: list[Segment]) -> bool:
    """Whether a study subset with storage is solved segment by segment: several segments, no tug.

    With a tug, each segment's MIP routes the tug through months tied together by stock, and takes
    about as long as the whole model; and the segments, each paying its share of the ISRU plant,
    size it differently, which the union pays for. On the reference scenario's ISRU + tug subset the
    whole model reached 0.37% in 40 s, the segments 0.46% in 96 s (each segment to half the gap,
    then the whole model from the joined plan), so a subset with a tug is solved whole.
    """
    return len(segments) > 1 and "tug" not in inp.allowed


def shares(segments: list[Segment], horizon_months: int) -> list[float]:
    """Each segment's share of the horizon: the share of the infrastructure's costs its model pays."""
    total = sum(s.weight * s.months for s in segments) or float(horizon_months)
    return [s.weight * s.months / total for s in segments]


def shift_values(values: Values, first: int, count: int) -> Values:
    """A whole model's plan restricted to steps ``first .. first + count - 1``, renumbered from 0.

    Values of no step (the infrastructure) are kept; those of other steps are left out.
    """
    out: Values = {}
    for (name, index), value in values.items():
        t = step_of(index)
        if t is None or first <= t < first + count:
            out[(name, moved_step(index, -first))] = value
    return out


def solve_by_segment(
    scenario: Scenario,
    network: Network,
    inp: Inputs,
    segments: list[Segment],
    settings: SolverSettings,
    start: Values | None = None,
    hold: Values | None = None,
) -> tuple[pyo.ConcreteModel, SolveInfo, float]:
    """Solve the study subset ``inp`` (with storage) segment by segment (module docstring).

    ``start`` is a plan of the whole model (from a smaller subset) that each segment starts from.
    ``hold`` fixes infrastructure decisions (values of no step, say where depots are built) in every
    segment and in the whole model: the plan is then one of a restricted problem, and so is the
    bound returned, which is not a bound of the subset.
    Returns the whole model with the plan loaded, what the solve reached (its seconds exclude model
    building) and the seconds spent building models.
    """
    t0 = time.perf_counter()
    deadline = t0 + settings.time_limit_s
    build_s = 0.0
    phi = shares(segments, scenario.planner.horizon_months)
    # each segment closer than the whole, so that what the union of their infrastructure adds fits the gap
    part_settings = replace(settings, mip_gap=settings.mip_gap / 2.0)
    parts: list[_Part] = []
    first = 0
    for seg, share in zip(segments, phi, strict=True):
        b0 = time.perf_counter()
        part_inp = build_inputs(
            scenario, network, [seg], allowed=inp.allowed, required=inp.required, fixed_cost_share=share
        )
        part = build_model(part_inp)
        build_s += time.perf_counter() - b0
        part_start = shift_values(start, first, seg.months) if start is not None else None
        if part_start is not None:
            start_from(part, part_start)
        if hold:
            _hold(part, hold)
        parts.append(_Part(seg, share, first, part_inp, part, part_start))
        first += seg.months

    solved = _solve_parts(parts, part_settings, hold, deadline)
    bound = sum(info.bound_usd for info in solved)
    plans = [(p.first, p.model) for p in parts]

    b0 = time.perf_counter()
    m = build_model(inp)
    build_s += time.perf_counter() - b0
    if hold:
        _hold(m, hold)
    fixed = _fix_segment_plans(m, plans)
    with interrupt.shielded():  # a linear program that joins the segments' plans
        info = solve_model(m, replace(settings, time_limit_s=max(deadline - time.perf_counter(), 10.0)))
    for v in fixed:
        v.unfix()
    best = info.objective_usd
    log.info("segments joined: %.6g USD against the segments' bound %.6g USD", best, bound)
    if (
        not hold
        and relative_gap(best, bound) > settings.mip_gap
        and deadline - time.perf_counter() > MIN_WHOLE_S
        and not interrupt.requested()
    ):
        joined = [(v, v.value) for v in m.component_data_objects(pyo.Var, descend_into=True)]
        try:
            # the segments' bound already proves any plan within the gap of it: stop at the first such plan
            target = bound / (1.0 - settings.mip_gap)
            rest = replace(settings, time_limit_s=deadline - time.perf_counter(), target_usd=target)
            whole = solve_checked(m, rest, warm_start=True)
        except PlannerError as exc:  # no plan of its own: the joined plan is still loaded
            log.warning("whole model after the segments: %s", exc)
        else:
            bound = max(bound, whole.bound_usd)
            if whole.objective_usd < best:
                best = whole.objective_usd
            else:
                for v, value in joined:
                    v.set_value(value, skip_validation=True)
    bound = min(bound, best)
    gap = relative_gap(best, bound)
    status = "optimal" if gap <= settings.mip_gap + 1e-9 else "time_limit"
    if status != "optimal" and interrupt.requested():
        status = interrupt.INTERRUPTED
    seconds = time.perf_counter() - t0 - build_s
    return m, SolveInfo(settings.solver, status, best, bound, gap, seconds), build_s


#: Share of the time left that the segment MIPs may use; the rest closes what the union leaves.
SEGMENT_SHARE = 0.9

#: The whole model's MIP runs after the segments only with at least this many seconds left.
MIN_WHOLE_S = 5.0


@dataclass
class _Part:
    """One segment's model, with what it needs to be solved again elsewhere."""

    segment: Segment
    share: float
    first: int
    inputs: Inputs
    model: pyo.ConcreteModel
    start: Values | None


def _solve_parts(parts: list[_Part], settings: SolverSettings, hold: Values | None, deadline: float) -> list[SolveInfo]:
    """Solve every segment's MIP in :data:`SEGMENT_SHARE` of the time to ``deadline``; each model keeps its plan.

    With two threads or more, every second segment is solved in a second process on one thread
    (:class:`~cislink.planner.beside.Beside`) while this process solves the others on the rest:
    the segments are independent problems, and HiGHS's branch and bound gains little from a
    second thread. On the reference scenario's depot subset, the weight-4 period took 13.3 s on
    one thread and 13.5 s on two, the weight-16 period 9.4 s and 5.4 s; in sequence on two threads
    they took 18.9 s. A segment the second process does not hand back is solved here afterwards,
    and so are its segments if it is still starting (imports, its arguments read) when this
    process is done with its own: on an easy subset that is quicker than waiting for it.
    """
    until = time.perf_counter() + (deadline - time.perf_counter()) * SEGMENT_SHARE
    theirs = parts[1::2] if settings.threads >= 2 and len(parts) > 1 and not interrupt.requested() else []
    beside = None
    if theirs:
        job = [(p.segment, p.share, p.inputs, p.start) for p in theirs]
        beside = Beside(_parts_beside, (job, hold, replace(settings, threads=1)), until - time.perf_counter(), True)
        if not beside.started:
            beside = None
    mine = parts[0::2] if beside is not None else parts
    own = replace(settings, threads=settings.threads - 1) if beside is not None else settings
    solved: dict[int, SolveInfo] = {}
    try:
        for i, p in enumerate(mine):
            budget = max((until - time.perf_counter()) / (len(mine) - i), 1.0)
            solved[id(p)] = _solve_part(p.model, p.segment, p.share, own, budget, p.start is not None)
        if beside is not None and not beside.has_reported():  # still starting: quicker to solve them here
            beside.stop()
            beside = None
        if beside is not None:
            for p, (info, values) in zip(theirs, beside.result(wait=True) or [], strict=False):
                start_from(p.model, values)
                solved[id(p)] = info
    finally:
        if beside is not None:
            beside.stop()
    rest = [p for p in parts if id(p) not in solved]
    for i, p in enumerate(rest):  # not handed back by the second process: solved here in the time left
        budget = max((deadline - time.perf_counter()) * SEGMENT_SHARE / (len(rest) - i), 1.0)
        solved[id(p)] = _solve_part(p.model, p.segment, p.share, settings, budget, p.start is not None)
    return [solved[id(p)] for p in parts]


def _solve_part(
    part: pyo.ConcreteModel, seg: Segment, share: float, settings: SolverSettings, seconds: float, warm: bool
) -> SolveInfo:
    """One segment's MIP, given ``seconds``; logged."""
    info = solve_checked(part, replace(settings, time_limit_s=seconds), warm_start=warm)
    log.info(
        "segment from month %d (weight %g, share %.2f): %.6g USD, bound %.6g USD, %s, %.1f s",
        seg.start_month,
        seg.weight,
        share,
        info.objective_usd,
        info.bound_usd,
        info.status,
        info.solve_seconds,
    )
    return info


def _parts_beside(
    parts: list[tuple[Segment, float, Inputs, Values | None]],
    hold: Values | None,
    settings: SolverSettings,
    seconds: float,
    report: Callable[[list[tuple[SolveInfo, Values]]], None],
) -> list[tuple[SolveInfo, Values]]:
    """Segments solved in turn in a second process (:func:`_solve_parts`): each one's result and plan, reported."""
    deadline = time.perf_counter() + seconds
    done: list[tuple[SolveInfo, Values]] = []
    report(done)  # running: the parent waits for it rather than solving these segments itself
    for i, (seg, share, part_inp, part_start) in enumerate(parts):
        part = build_model(part_inp)
        if part_start is not None:
            start_from(part, part_start)
        if hold:
            _hold(part, hold)
        budget = max((deadline - time.perf_counter()) / (len(parts) - i), 1.0)
        done.append((_solve_part(part, seg, share, settings, budget, part_start is not None), plan_values(part)))
        report(list(done))
    return done


def _hold(m: pyo.ConcreteModel, hold: Values) -> None:
    """Fix the variables named in ``hold`` at their values."""
    for (name, index), value in hold.items():
        getattr(m, name)[index].fix(value)


def _fix_segment_plans(m: pyo.ConcreteModel, plans: list[tuple[int, pyo.ConcreteModel]]) -> list[Any]:
    """Fix in ``m`` each segment's month decisions and the union of their infrastructure; the fixed variables."""
    fixed: list[Any] = []
    union: dict[tuple[str, Any], float] = {}
    for first, part in plans:
        for name in MONTH_DECISIONS:
            if not hasattr(part, name):
                continue
            for index, v in getattr(part, name).items():
                if v.fixed:
                    continue
                target = getattr(m, name)[moved_step(index, first)]
                target.fix(round(v.value or 0.0))
                fixed.append(target)
        for name in UNION_DECISIONS:
            for index, v in getattr(part, name, {}).items():
                union[(name, index)] = max(union.get((name, index), 0.0), round(v.value or 0.0))
    for (name, index), value in union.items():
        target = getattr(m, name)[index]
        if not target.fixed:
            target.fix(value)
            fixed.append(target)
    return fixed
