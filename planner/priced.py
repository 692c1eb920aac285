"""Priced look-ahead: a rolling window's executed months solved alone, the months after priced by duals.

A window with integer months ``0..k-1`` and relaxed months ``k..W-1`` is a small MIP (the executed
months' launches and trips) coupled to a large LP (the look-ahead). Solved as one MIP, every branch
and bound node re-solves the whole look-ahead LP, and with a tug the bound stays a launch below the
best plan: the relaxation flies a tenth of a launch where every whole plan flies one, and proving
which whole launch is cheapest takes branching the solver cannot afford at that LP size (a 24-month
window of the reference scenario: 6,000 rows, 10,000 columns, 60 integers; HiGHS finds no plan
without shortfall in 60 s in one window of twelve).

Write the window as ``min c_e x_e + c_l x_l`` subject to executed rows ``A_ee x_e = b_e`` and rows
that reach the look-ahead ``A_fe x_e + A_fl x_l = b_f`` (``x_e``: variables of the executed months
and those of no month; ``x_l``: variables of later months; a row belongs to the look-ahead if any of
its variables does). With ``y`` the duals of the look-ahead rows in the window's linear relaxation,
the look-ahead's cost as a function of the executed decisions is bounded below by its supporting
plane at the relaxation's optimum (linear programming duality):

    V(x_e) >= y (b_f - A_fe x_e) - const,    so the executed months' problem is
    min (c_e - y A_fe) x_e   subject to   A_ee x_e = b_e,  x_e integer where it must be.

That MIP has the executed months' rows only (a few hundred) and solves in a fraction of a second to a
few seconds. Its whole-number decisions (launches, trips, the Mars node of a mission in those months)
are then fixed and the whole window is solved again as an LP, which gives the plan: the executed
months' continuous flows and the look-ahead are chosen together, with the executed integers exact.
The price vector is one cut of a Benders decomposition, not the converged one, so the plan is a
heuristic; its cost is reported against the window's LP relaxation, a true lower bound.

Only the executed months are flown before the next re-plan, so that last LP need not cover the
whole window. By default (``plan_months``, set by the window to the executed months plus the
storage limit, past which nothing bought in an executed month is still held) it covers the
window's first months only, and the rows that reach past them are priced by the same duals; the
months past them keep the relaxation's values. That LP is a quarter of the window and is solved
cold, with presolve. The reported cost is the window's with the months past the head at their
supporting plane: never below the relaxation, and never above the whole-window LP with the same
decisions fixed. Measured on six windows recorded in a 240-month run (ISRU plant, LEO depot, tug
and lander; seven months against the whole window): the same launch and trip counts in every window, the
LP 0.18 s against 1.17 s (median), the window 2.08 s against 3.00 s, the reported cost within
0.01%; the executed month's continuous flows differed in five of the six, mostly in the ISRU
plant's output, which the whole-window LP leaves as free as this one. If the first months have no
plan alone, the LP over the whole window is solved instead.

Measured on the twelve windows of a 12-month run of the reference scenario with ISRU, one tug and
one lander (24 months, first month integer, HiGHS): the priced plan cost the same as the best plan
the one-window MIP found in 60 s (within 0.01%) in eight windows, 0.96% more in one, and less in
three (3.2% and 61% less where the MIP stopped at 60 s, and in one the MIP found only plans with
shortfall); solve time median 2.3 s (1.1-5.6 s) against 15.5 s (1.6 s to the 60 s limit).

If the plan leaves demand short where the relaxation did not, the executed months are solved again
with their shortfall held to the relaxation's, and the LP after them as before. The duals price the
look-ahead at the margin only, so the executed months may leave a few kg short rather than fly a
whole launch the relaxation bought a sliver of, although that launch would serve the look-ahead as
well. Seen in a 240-month run of the reference scenario (seed 2035): three windows left the tug
7.7-8.2 kg short of its way home from NRHO or EML2. Solved again, each had a plan without it in
2.2-3.2 s, at 0.00-0.66% above the one MIP's (which took 10-19 s).

If the LP with the executed integers fixed has no solution (stock the look-ahead cannot dispose of,
say), or the plan still leaves demand short where the relaxation did not, the window is solved as
one MIP from that plan instead, with the remaining time. "Short" here means more than a cheapest launch's price
in shortfall penalty: a few kg short cost less than another launch, and the one MIP leaves them
short as well (seen in a run: 1-2 kg short in three months; the one MIP took 12-31 s for each and
left the same).

A plan of the first months alone is no plan of the window (the months past them keep the
relaxation's values, and stock balances break at the border), so before the one MIP it is
replaced by the LP over the whole window with the same decisions fixed. HiGHS would otherwise
repair the start itself, by a dual simplex LP with no cap, which in one window of a 240-month run
ran 28.9 s of its 30 (222,465 iterations) before the MIP's 4.2 s. On six recorded windows that
fell back, the consistent start took them from 76.4 s to 56.9 s together (the longest from 34.8 s
to 3.3 s; two went from 10.9 s to 14.1 s and from 6.1 s to 8.5 s), with the same plans.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pyomo.environ as pyo

from cislink.planner.arrays import Problem, has_plan, lp_solved, solve_with_scip, step_of
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.solve import SolveInfo, relative_gap, shortfall_kg, shortfall_vars, solve_checked

if TYPE_CHECKING:
    import highspy

    from cislink.planner.solve import SolverSettings

log = logging.getLogger(__name__)

#: HiGHS options for the executed months' MIP. Its sub-MIP heuristics (RINS, RENS) cost more than
#: they find on a MIP of a few hundred rows: on twelve windows of a run of the reference scenario the
#: MIPs took 16.5 s of CPU time together without them and 20.2 s with them (median of two), and the
#: plans with them were 0.3% dearer in their priced cost.
EXECUTED_MIP_OPTIONS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}

#: How the window's two linear programs are solved. Each attempt in turn until one does not reach
#: its iteration cap (a count, not a time, so that the same state gives the same plan on any
#: machine). A simplex attempt's cap is a number of iterations per row of the LP.
#:
#: The relaxation goes to interior point first, without crossover: only its duals and its shortfall
#: are used, and the LP with the executed decisions fixed is the plan's first months, solved cold
#: (:func:`_head_plan`), so a basis would serve nothing. Interior point takes 60-70 iterations and
#: 0.8-0.95 s on every window of a 240-month run of the reference scenario (6,200 rows); the dual
#: simplex (Devex pricing) took 0.56 s early in the run and 1.0-2.1 s later, as the windows' stock
#: grew (8,500 to 23,400 iterations; recorded windows, docs/performance.md). A 240-month run (seed
#: 2035) took 345.1 s against 429.6 s, median window 1.21 s against 1.48 s, 5 windows of 251 over
#: 2 s against 37 of 249; seeds 1 and 4 likewise. The first 24 months are slower (0.8 s against
#: 0.6 s a relaxation). Should interior point reach its cap, the dual simplex takes over.
#:
#: The relaxation's simplex prices by Devex rather than by HiGHS's default (dual steepest edge): in
#: the second half of a 240-month run with the ISRU plant the default took 12,000-15,000 iterations
#: (up to 3 per row) at 1.2-2.8 s and reached a cap of 3 per row in most windows (5-7 s a window,
#: with interior point and crossover after it); Devex took about as many iterations in 0.6-0.9 s.
#:
#: The fixed LP over the whole window (used when the plan's first months have no plan alone, and
#: before a fall-back to one MIP, as its start) starts from the relaxation's basis when it has one,
#: and must end at a vertex, hence crossover: an interior point leaves grams of cargo on arcs no
#: trip flies.
RELAXATION_SIMPLEX_ITERATIONS_PER_ROW = 4.0
FIXED_LP_SIMPLEX_ITERATIONS_PER_ROW = 4.0
#: Interior point's cap on the relaxation: several times the 60-70 iterations it takes.
RELAXATION_IPM_ITERATIONS = 300
RELAXATION_LP_ATTEMPTS: tuple[dict[str, object], ...] = (
    {"solver": "ipm", "run_crossover": "off", "ipm_iteration_limit": RELAXATION_IPM_ITERATIONS},
    {
        "solver": "simplex",
        "simplex_strategy": 1,
        "simplex_dual_edge_weight_strategy": 1,
        "iterations_per_row": RELAXATION_SIMPLEX_ITERATIONS_PER_ROW,
    },
)
#: Shortfall, kg, an executed month may leave beyond the relaxation's when it is planned again
#: without the shortfall it first chose (:func:`solve_priced`).
SHORTFALL_CAP_SLACK_KG = 1e-3
FIXED_LP_ATTEMPTS: tuple[dict[str, object], ...] = (
    {"solver": "simplex", "simplex_strategy": 1, "iterations_per_row": FIXED_LP_SIMPLEX_ITERATIONS_PER_ROW},
    {"solver": "ipm", "run_crossover": "on"},
)

#: How the LP over the plan's first months is solved: cold (its own instance, presolved, with no
#: basis to start from), so the dual simplex may take more iterations a row than the whole-window
#: LP's before interior point takes over. At the whole window's cap of 4 a row, one window of a
#: 240-month run reached it (8,522 iterations were needed on 1,850 rows) and interior point's
#: crossover then ran into the window's 30 s limit, leaving the window to one MIP with a tenth of the
#: time and a plan short by tonnes; with the cap at 12 a row the simplex finished in 0.62 s.
PLAN_LP_SIMPLEX_ITERATIONS_PER_ROW = 12.0
PLAN_LP_ATTEMPTS: tuple[dict[str, object], ...] = (
    {"solver": "simplex", "simplex_strategy": 1, "iterations_per_row": PLAN_LP_SIMPLEX_ITERATIONS_PER_ROW},
    FIXED_LP_ATTEMPTS[-1],
)

#: Constraint components that only restate what other rows imply (see :mod:`cislink.planner.blocks.cuts`).
VALID_INEQUALITIES = ("launch_cover",)


def solve_priced(
    m: pyo.ConcreteModel,
    settings: SolverSettings,
    integer_months: int,
    shortfall_tolerance_kg: float = 1.0,
    plan_months: int | None = None,
) -> SolveInfo:
    """Solve window ``m`` in place by the priced look-ahead (module docstring).

    Its linear programs are HiGHS's; the executed months' MIP is the settings' solver's (HiGHS or
    SCIP, :func:`cislink.planner.arrays.solve_with_scip`), as is the one MIP it may fall back to.

    With ``plan_months``, the LP with the executed decisions fixed covers only the window's first
    ``plan_months`` steps, the rows past them priced (module docstring); None: the whole window.
    The window falls back to one MIP if the priced plan leaves more than ``shortfall_tolerance_kg``
    short beyond what the relaxation leaves short.
    """
    t0 = time.perf_counter()
    p = Problem(m)
    steps = [step_of(v.index()) for v in p.cols]
    executed = np.array([t is None or t < integer_months for t in steps])
    reaches_ahead = p.rows_touching(~executed)
    now = np.flatnonzero(~reaches_ahead).tolist()
    cuts = {r for r in np.flatnonzero(reaches_ahead) if p.rows[r].parent_component().local_name in VALID_INEQUALITIES}

    # 1. the window's linear relaxation and the duals of its rows; valid inequalities that reach the
    # look-ahead are left out: implied by the other rows they change no LP optimum, but a dual on one
    # would price a launch for its capacity rather than for what it carries
    every = list(range(len(p.cols)))
    lp_rows = [r for r in range(len(p.rows)) if r not in cuts]
    relaxed = p.highs(settings, every, lp_rows, p.cost, integer=False)
    t_build = time.perf_counter()
    lp_iterations = run_lp(relaxed, RELAXATION_LP_ATTEMPTS)
    t_lp = time.perf_counter()
    if not lp_solved(relaxed):
        log.warning(
            "priced window: relaxation %s; solving the window as one MIP",
            relaxed.modelStatusToString(relaxed.getModelStatus()),
        )
        return _fallback(m, settings, t0)
    bound_usd = (relaxed.getInfo().objective_function_value + p.obj_constant) / OBJECTIVE_SCALE
    row_dual = relaxed.getSolution().row_dual
    x_relaxed = list(relaxed.getSolution().col_value)
    short_relaxed = sum(x_relaxed[p.col[id(v)]] for v in shortfall_vars(m) if id(v) in p.col)

    # 2. the executed months alone, the look-ahead priced by the duals
    lp_at = np.asarray(lp_rows)
    priced_rows = reaches_ahead[lp_at]
    price = p.priced(lp_at[priced_rows], np.asarray(row_dual)[priced_rows])
    mine = np.flatnonzero(executed).tolist()
    shortfall_cols = {p.col[id(v)] for v in shortfall_vars(m) if id(v) in p.col}

    def attempt(capped: bool) -> tuple[tuple[list[float], float, str], float, bool] | None:
        """The executed months' MIP, then the plan's LP; with ``capped``, no shortfall beyond the relaxation's.

        Returns the plan (values, objective, iterations), the seconds of the MIP and whether the
        plan is the whole window's LP; None if either step finds no plan.
        """
        short = p.highs(settings, mine, now, price[mine], integer=True)
        for option, value in EXECUTED_MIP_OPTIONS.items():
            short.setOptionValue(option, value)
        if capped:
            for k, j in enumerate(mine):
                if j in shortfall_cols:
                    short.changeColBounds(k, 0.0, x_relaxed[j] + SHORTFALL_CAP_SLACK_KG)
        t_mip0 = time.perf_counter()
        if settings.solver == "scip":  # the same part, read out of HiGHS and solved by SCIP
            x_short = solve_with_scip(short, settings)
        else:
            short.run()
            x_short = short.getSolution().col_value if has_plan(short) else None
        mip_s = time.perf_counter() - t_mip0
        if x_short is None:
            return None
        whole = {j: float(round(x_short[k])) for k, j in enumerate(mine) if p.whole(j)}
        head = None
        if plan_months is not None and any(t is not None and t >= plan_months for t in steps):
            # 3. the plan's first months as an LP with the executed whole numbers fixed, the rest priced
            left = max(settings.time_limit_s - (time.perf_counter() - t0), 1.0)
            in_head = [t is None or t < plan_months for t in steps]
            head = _head_plan(p, settings, in_head, whole, lp_rows, row_dual, x_relaxed, left)
        whole_window = head is None
        if head is None:
            # 3'. the whole window as an LP with the executed whole numbers fixed (same instance as step 1)
            head = _whole_plan(relaxed, whole, settings, t0)
            if head is None:
                return None
        _load(m, p, head[0])
        if shortfall_kg(m) > short_relaxed + shortfall_tolerance_kg and not whole_window:
            # the months past the plan's head keep the relaxation's values, so the head's plan and
            # they disagree at their border: not a plan of the window to start the one MIP from. The
            # whole window's LP is one, and may not leave that shortfall at all.
            log.info(
                "priced window: the plan's first months leave %.0f kg short; the whole window's LP", shortfall_kg(m)
            )
            again = _whole_plan(relaxed, whole, settings, t0)
            if again is not None:
                head, whole_window = again, True
                _load(m, p, head[0])
        return head, mip_s, whole_window

    planned = attempt(capped=False)
    if planned is None:
        log.warning("priced window: the executed months found no plan; solving the window as one MIP")
        return _fallback(m, settings, t0)
    short_kg = shortfall_kg(m)
    if short_kg > short_relaxed + shortfall_tolerance_kg:
        # the executed months chose a shortfall over a whole launch the relaxation bought a sliver
        # of; that launch may serve the look-ahead too, which the duals price only at the margin
        log.info("priced window: the plan leaves %.0f kg short; the executed months again without it", short_kg)
        again = attempt(capped=True)
        if again is not None and shortfall_kg(m) <= short_relaxed + shortfall_tolerance_kg:
            planned, short_kg = again, shortfall_kg(m)
        else:  # the model may hold the second attempt's values: back to the first plan
            _load(m, p, planned[0][0])
    (_, objective, fixed_iterations), mip_s, _ = planned
    objective_usd = (objective + p.obj_constant) / OBJECTIVE_SCALE
    seconds = time.perf_counter() - t0
    if short_kg > short_relaxed + shortfall_tolerance_kg:
        # a step of the method, not a fault: the one MIP below plans the window instead (``-v`` shows it)
        log.info("priced window: the plan leaves %.0f kg short the relaxation did not", short_kg)
        return _fallback(m, settings, t0, warm_start=True)
    log.info(
        "priced window: %.6g USD against relaxation %.6g USD in %.2f s (arrays %.2f, relaxation %.2f, "
        "executed months %.2f, fixed LP %.2f; %d rows, iterations %s and %s)",
        objective_usd,
        bound_usd,
        seconds,
        t_build - t0,
        t_lp - t_build,
        mip_s,
        time.perf_counter() - t_lp - mip_s,
        relaxed.getNumRow(),
        lp_iterations,
        fixed_iterations,
    )
    gap = relative_gap(objective_usd, bound_usd)
    proven = gap <= settings.mip_gap or objective_usd - bound_usd <= settings.abs_gap_usd
    return SolveInfo(settings.solver, "optimal" if proven else "priced", objective_usd, bound_usd, gap, seconds)


def _head_plan(
    p: Problem,
    settings: SolverSettings,
    in_head: list[bool],
    whole: dict[int, float],
    lp_rows: list[int],
    row_dual: list[float],
    x_relaxed: list[float],
    time_limit_s: float,
) -> tuple[list[float], float, str] | None:
    """The columns ``in_head`` as an LP with ``whole`` (column -> value) fixed, the rest at the relaxation.

    Rows that reach past the head are priced by the relaxation's duals ``row_dual`` (one per row of
    ``lp_rows``), as for the executed months. Returns every column's value, the window's objective
    (scaled, without the constant) with the months past the head at their supporting plane, and the
    LP's iterations; None if the LP has no solution.
    """
    head = np.asarray(in_head)
    lp_at = np.asarray(lp_rows)
    beyond = p.rows_touching(~head)[lp_at]
    price = p.priced(lp_at[beyond], np.asarray(row_dual)[beyond])
    cols = np.flatnonzero(head)
    x_star = np.asarray(x_relaxed)
    h = p.highs(settings, cols.tolist(), lp_at[~beyond].tolist(), price[cols], integer=False)
    local = np.full(len(p.cols), -1)
    local[cols] = np.arange(len(cols))
    for j, value in whole.items():
        h.changeColBounds(int(local[j]), value, value)
    h.setOptionValue("time_limit", time_limit_s)
    iterations = run_lp(h, PLAN_LP_ATTEMPTS)
    if not lp_solved(h):
        log.info(
            "priced window: the plan's first months have no plan alone (%s)", h.modelStatusToString(h.getModelStatus())
        )
        return None
    x = x_star.copy()
    x[cols] = h.getSolution().col_value
    # V(x_h) >= V(x_h*) - y A (x_h - x_h*): the head LP's objective is c_h x_h - y A x_h
    after = np.flatnonzero(~head)
    constant = float(p.cost[after] @ x_star[after] + (p.cost - price)[cols] @ x_star[cols])
    return x.tolist(), h.getInfo().objective_function_value + constant, iterations


def _load(m: pyo.ConcreteModel, p: Problem, x: list[float]) -> None:
    """Write a plan's column values ``x`` into ``m``; variables in no row take the value nearest zero."""
    for j, v in enumerate(p.cols):
        if not v.fixed:
            v.set_value(x[j], skip_validation=True)
    _fill_unused(m)


def _whole_plan(
    relaxed: highspy.Highs, whole: dict[int, float], settings: SolverSettings, t0: float
) -> tuple[list[float], float, str] | None:
    """The whole window as an LP with ``whole`` (column -> value) fixed, in the relaxation's instance.

    Returns every column's value, the objective (scaled, without the constant) and the LP's
    iterations; None if the LP has no solution.
    """
    for j, value in whole.items():
        relaxed.changeColBounds(j, value, value)
    # HiGHS counts an instance's time limit from its first run: the time already spent is spent
    left = max(settings.time_limit_s - (time.perf_counter() - t0), 1.0)
    relaxed.setOptionValue("time_limit", relaxed.getRunTime() + left)
    iterations = run_lp(relaxed, FIXED_LP_ATTEMPTS if relaxed.getBasis().valid else FIXED_LP_ATTEMPTS[-1:])
    if not lp_solved(relaxed):
        log.warning(
            "priced window: the executed decisions leave the look-ahead without a plan (%s)",
            relaxed.modelStatusToString(relaxed.getModelStatus()),
        )
        return None
    return list(relaxed.getSolution().col_value), relaxed.getInfo().objective_function_value, iterations


def run_lp(h: highspy.Highs, attempts: tuple[dict[str, object], ...]) -> str:
    """Solve the LP in ``h`` with the first of ``attempts`` (option sets) that does not reach its cap.

    An attempt's ``iterations_per_row`` caps its simplex iterations at that many per row of the LP;
    an attempt that reaches its cap hands the LP to the next. Each attempt starts from the options
    ``h`` had on entry, and ``h`` is left with them. Returns the iterations each attempt took, for
    the log.
    """
    import highspy

    keys = {k for options in attempts for k in options if k != "iterations_per_row"} | {"simplex_iteration_limit"}
    entry = {k: _option(h, k) for k in keys}
    done = []
    try:
        for k, options in enumerate(attempts):
            for option, value in entry.items():
                h.setOptionValue(option, value)
            for option, value in options.items():
                if option == "iterations_per_row":
                    h.setOptionValue("simplex_iteration_limit", max(int(float(value) * h.getNumRow()), 1))
                else:
                    h.setOptionValue(option, value)
            h.run()
            info = h.getInfo()
            ipm = options.get("solver") == "ipm"
            done.append(
                f"{info.ipm_iteration_count} interior-point" if ipm else f"{info.simplex_iteration_count} simplex"
            )
            if h.getModelStatus() != highspy.HighsModelStatus.kIterationLimit or k == len(attempts) - 1:
                break
            log.info("priced window: an LP reached %s iterations; solving it again by %s", done[-1], attempts[k + 1])
    finally:
        for option, value in entry.items():
            h.setOptionValue(option, value)
    return ", then ".join(done)


def _option(h: highspy.Highs, name: str) -> object:
    """An option's value (highspy returns it alone or with a status, by version)."""
    value = h.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def _fill_unused(m: pyo.ConcreteModel) -> None:
    """Variables in no active row or objective take the value nearest zero their bounds allow."""
    for v in m.component_data_objects(pyo.Var, descend_into=True):
        if v.value is None and not v.fixed:
            lo = v.lb if v.lb is not None else -math.inf
            hi = v.ub if v.ub is not None else math.inf
            v.set_value(min(max(0.0, lo), hi), skip_validation=True)


def _fallback(m: pyo.ConcreteModel, settings: SolverSettings, t0: float, warm_start: bool = False) -> SolveInfo:
    spent = time.perf_counter() - t0
    rest = replace(settings, time_limit_s=max(settings.time_limit_s - spent, settings.time_limit_s / 10))
    info = solve_checked(m, rest, warm_start=warm_start)
    return replace(info, solve_seconds=info.solve_seconds + spent)
