"""Bounds and plans of one programme subset of the study, by several relaxations (prints figures; not a test).

    python bench/subset_bound.py [--subset tug,depot] [--time-limit S] [--window 3] [--locations-only] [--branching]

The ``tugs+depots`` and ``all`` cases stop above a 1% gap because the subset that must build a tug
and a depot keeps a weak bound. This prints what other relaxations of that subset give, so that a
change to the formulation can be judged by the bound it buys:

- the LP relaxation (interior point with crossover);
- a Lagrangian bound by steps: every row whose columns belong to more than one step (stock
  balances, storage age, fleet days, depot capacity limits, launch cover) is priced at the LP's
  duals, and each step (and the columns of no step) is solved as a MIP on its own. Any duals of the
  right signs give a valid bound; at the LP's duals it is at least the LP bound;
- the subset with the launch counts continuous (trips, fleets and depots whole), and with the trip
  counts continuous (launches whole): each is a relaxation, so its bound bounds the subset;
- a relax-and-fix plan: steps are made whole ``--window`` at a time (later steps relaxed, earlier
  ones fixed), each window a MIP with the time limit; its cost is a plan of the subset;
- the study's first plan with depots beside a tug: the plan of the subset without depots, its
  launches re-planned with its routes held (``_routes_held_start`` in ``planner/study.py``);
- by depot location: the subset with its one depot held at each allowed node in turn, then with
  two depots or more, each solved with the cost of the plan without depots as a cutoff (HiGHS
  ``objective_bound``). A location whose tree is pruned whole cannot beat that plan; the subset's
  bound is the least of the parts' bounds, so the parts that stay open show where the gap lies;
- by launch mix (``--launch-mix``): each period type alone, paying its share of the infrastructure,
  with its depot held at ``--depot-at``, split by how many launches of each vehicle it makes in its
  months (one row per vehicle). A mix is ruled out by its launch price plus the least the rest
  can cost (an LP without launch prices), by its LP, or by its MIP with the period's plan as
  HiGHS's ``objective_bound``. The period's bound is the least over the mixes
  left open; beside it the whole period's own bound after the same time.
- by tug fleet and launch mix (``--by-fleet``): the subset with its depot held at ``--depot-at``
  (a node, ``any`` or ``two-or-more``) and its tug fleet held at each size in turn; each period
  type alone (the heaviest first), split by launch mix as above. A mix its price or LP does not
  rule out is solved as a MIP at cost with one more row: its total shortfall is capped at what the
  cutoff leaves room for (a plan leaving more short pays more in penalties than the mix could
  save), so a MIP that finds no plan rules the mix out. The bound of a fleet is the sum over the
  periods of the least bound of their mixes left open; the cutoff is ``--incumbent`` (USD
  billions, the best plan known) less the other periods' bounds, and the incumbent is lowered to
  each fleet's plan (its periods joined, every shared size built to the largest) once cheaper.
- what the branching is given (``--branching``): the whole subset's MIP (interior-point root, as
  the study) as it is; with one more whole column per period type and vehicle type for its launches
  and for its trips (each equal to the sum of its months'), which HiGHS may branch on as the launch
  mix split does; the same with the months' launch counts continuous (a relaxation: launches whole
  only in each period's sum); and with the tug fleet held at one and at two or more (the subset's
  bound is the lesser of the two).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from dataclasses import replace

import highspy
import numpy as np
import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.orbits import build_network
from cislink.planner.arrays import Problem, has_plan, step_of
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.decompose import solve_by_month, storage_free
from cislink.planner.inputs import Inputs, Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.segments import shares
from cislink.planner.solve import SolverSettings, solve_model
from cislink.planner.study import _routes_held_start, representative_segments, with_storage
from cislink.planner.warmstart import plan_values, start_from
from cislink.scenarios import load


def usd(p: Problem, objective: float) -> str:
    return f"${(objective + p.obj_constant) / OBJECTIVE_SCALE / 1e9:,.3f}B"


def whole_model(p: Problem, settings: SolverSettings, integer: bool) -> highspy.Highs:
    h = p.highs(settings, list(range(len(p.cols))), list(range(len(p.rows))), p.cost, integer=integer)
    h.setOptionValue("mip_lp_solver", "ipm")
    return h


def set_type(h: highspy.Highs, cols: list[int], kind: highspy.HighsVarType) -> None:
    if cols:
        h.changeColsIntegrality(len(cols), np.asarray(cols, dtype=np.int32), np.asarray([kind] * len(cols)))


def lagrangian(p: Problem, duals: np.ndarray, group: np.ndarray) -> tuple[float, int]:
    """Bound with the rows linking groups priced at ``duals``; each group solved as a MIP on its own."""
    g_of_entry = group[p.index]
    lo = np.full(len(p.rows), np.iinfo(np.int64).max)
    hi = np.full(len(p.rows), np.iinfo(np.int64).min)
    np.minimum.at(lo, p.entry_row, g_of_entry)
    np.maximum.at(hi, p.entry_row, g_of_entry)
    linking = lo != hi
    y = np.where(linking, duals, 0.0)
    y = np.where((y > 0) & ~np.isfinite(p.lower), 0.0, y)  # signs the row's bounds allow
    y = np.where((y < 0) & ~np.isfinite(p.upper), 0.0, y)
    reduced = p.priced(np.flatnonzero(linking), y[linking])
    total = p.obj_constant + float(
        np.sum(np.where(y > 0, y * np.nan_to_num(p.lower, neginf=0.0), 0.0))
        + np.sum(np.where(y < 0, y * np.nan_to_num(p.upper, posinf=0.0), 0.0))
    )
    settings = SolverSettings(threads=1, time_limit_s=60.0, mip_gap=1e-4)
    for g in np.unique(group):
        cols = np.flatnonzero(group == g).tolist()
        rows = np.flatnonzero(~linking & (lo == g)).tolist()
        h = p.highs(settings, cols, rows, reduced[cols], integer=True)
        h.run()
        bound = h.getInfo().mip_dual_bound
        if not math.isfinite(bound):
            return -math.inf, int(linking.sum())
        total += bound
    return total, int(linking.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subset", default="tug,depot", help="programmes built, comma-separated")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds for each MIP")
    ap.add_argument("--window", type=int, default=3, help="steps made whole at a time by relax-and-fix")
    ap.add_argument(
        "--locations-only", action="store_true", help="only the routes-held plan and the parts by depot location"
    )
    ap.add_argument("--launch-mix", action="store_true", help="only the periods split by launch mix")
    ap.add_argument(
        "--depot-at",
        default="leo",
        help="the node whose depot is held built (--launch-mix, --by-fleet; 'any' or 'two-or-more' for --by-fleet)",
    )
    ap.add_argument("--branching", action="store_true", help="only the whole MIP with what its branching is given")
    ap.add_argument("--by-fleet", action="store_true", help="only the subset by tug fleet and launch mix")
    ap.add_argument("--fleets", default="1,2,3", help="tug fleet sizes held in turn (--by-fleet)")
    ap.add_argument("--incumbent", type=float, default=14.72, help="best plan known, USD billions (--by-fleet)")
    args = ap.parse_args()
    scenario = load("reference-2035")
    network = build_network(scenario)
    subset = frozenset(args.subset.split(","))
    segments, _ = representative_segments(scenario)
    if args.launch_mix:
        settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit, mip_gap=1e-4)
        for segment, share in zip(segments, shares(segments, scenario.planner.horizon_months), strict=True):
            part = build_inputs(scenario, network, [segment], allowed=subset, required=subset, fixed_cost_share=share)
            by_launch_mix(part, segment, settings, args.depot_at)
        return
    if args.by_fleet:
        settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit, mip_gap=1e-3)
        fleets = [int(f) for f in args.fleets.split(",")]
        parts = [
            build_inputs(scenario, network, [segment], allowed=subset, required=subset, fixed_cost_share=share)
            for segment, share in zip(segments, shares(segments, scenario.planner.horizon_months), strict=True)
        ]
        by_fleet_and_mix(parts, settings, args.depot_at, fleets, args.incumbent * 1e9)
        return
    inp = build_inputs(scenario, network, segments, allowed=subset, required=subset)
    if args.branching:
        settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit, mip_gap=1e-3)
        branching(Problem(build_model(inp)), with_storage(settings), [s.months for s in segments])
        return
    p = Problem(build_model(inp))
    names = [v.parent_component().name for v in p.cols]
    steps = [step_of(v.index()) for v in p.cols]
    whole = [j for j in range(len(p.cols)) if p.whole(j)]
    settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit, mip_gap=1e-3)
    print(
        f"reference-2035, subset {'+'.join(sorted(subset))}: {len(p.rows)} rows, {len(p.cols)} columns "
        f"({len(whole)} whole), {len(segments)} segment types, {settings.threads} threads"
    )

    if not args.locations_only:  # the relaxations and relax-and-fix
        t = time.perf_counter()
        h = whole_model(p, settings, integer=False)
        h.setOptionValue("solver", "ipm")
        h.run()
        duals = np.asarray(h.getSolution().row_dual)
        lp = usd(p, h.getInfo().objective_function_value)
        print(f"{'LP relaxation':<40} bound {lp}  {time.perf_counter() - t:6.1f} s")

        t = time.perf_counter()
        group = np.asarray([-1 if s is None else s for s in steps], dtype=np.int64)
        bound, linking = lagrangian(p, duals, group)
        label = f"Lagrangian by steps ({linking} rows priced)"
        print(f"{label:<40} bound ${bound / OBJECTIVE_SCALE / 1e9:,.3f}B  {time.perf_counter() - t:6.1f} s")

        for relaxed in ("launches", "trips"):
            t = time.perf_counter()
            h = whole_model(p, settings, integer=True)
            set_type(h, [j for j in whole if names[j] == relaxed], highspy.HighsVarType.kContinuous)
            h.run()
            info = h.getInfo()
            plan = usd(p, info.objective_function_value) if math.isfinite(info.objective_function_value) else "none"
            label = f"{relaxed} continuous"
            print(
                f"{label:<40} bound {usd(p, info.mip_dual_bound)}  {time.perf_counter() - t:6.1f} s  "
                f"(its plan {plan}, {h.modelStatusToString(h.getModelStatus())})"
            )

        t = time.perf_counter()
        h = whole_model(p, settings, integer=False)
        global_cols = [j for j in whole if steps[j] is None]
        last = max(s for s in steps if s is not None)
        cost = math.nan
        for k in range(0, last + 1, args.window):
            window = [j for j in whole if steps[j] is not None and k <= steps[j] < k + args.window]
            window += global_cols if k == 0 else []
            set_type(h, window, highspy.HighsVarType.kInteger)
            h.run()
            if not math.isfinite(h.getInfo().objective_function_value):
                cost = math.nan  # a window without a plan: no plan of the subset
                break
            x = np.asarray(h.getSolution().col_value)
            cost = h.getInfo().objective_function_value
            for j in window:
                h.changeColBounds(j, round(x[j]), round(x[j]))
        label = f"relax-and-fix, {args.window} steps at a time"
        found = usd(p, cost) if math.isfinite(cost) else "none (a window found no plan)"
        print(f"{label:<40} plan  {found}  {time.perf_counter() - t:6.1f} s")

    if "depot" in subset and len(subset) > 1:
        t = time.perf_counter()
        smaller = subset - {"depot"}
        donor_inp = build_inputs(scenario, network, segments, allowed=smaller, required=smaller)
        if storage_free(donor_inp):
            by_month = solve_by_month(scenario, network, donor_inp, settings)
            donor, donor_values = by_month.model, by_month.values()
        else:
            donor = build_model(donor_inp)
            solve_model(donor, settings)
            donor_values = plan_values(donor)
        m = build_model(inp)
        start_from(m, donor_values)
        _routes_held_start(m, settings)
        label = f"routes held ({'+'.join(sorted(smaller))} plan's)"
        plan_usd = pyo.value(m.total_cost) / OBJECTIVE_SCALE
        print(f"{label:<40} plan  ${plan_usd / 1e9:,.3f}B  {time.perf_counter() - t:6.1f} s")
        cutoff_usd = pyo.value(donor.total_cost) / OBJECTIVE_SCALE
        by_depot_location(inp, settings, cutoff_usd, f"the {'+'.join(sorted(smaller))} plan")


def lp_optimum(h: highspy.Highs) -> float:
    """An LP's optimum, or minus infinity if it stopped short of one (its value then bounds nothing)."""
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return -math.inf
    return h.getInfo().objective_function_value


def by_launch_mix(inp: Inputs, segment: Segment, settings: SolverSettings, depot_at: str) -> None:
    """One period's bound with its depot held at ``depot_at``, mix by mix (module docstring)."""
    per = HeldPeriod(inp, depot_at)
    p, launch, vehicles, price = per.p, per.launch, per.vehicles, per.price
    print(
        f"period from month {segment.start_month} (weight {segment.weight:g}), depot held at {depot_at}, "
        f"{len(vehicles)} launch vehicles, {settings.time_limit_s:g} s per MIP:"
    )

    def solver(integer: bool, cost: np.ndarray | None = None) -> highspy.Highs:
        h = per.solver(settings, None, integer, cost)
        h.setOptionValue("mip_lp_solver" if integer else "solver", "ipm")
        return h

    t = time.perf_counter()
    h = solver(True)
    h.run()
    plan, whole_bound = h.getInfo().objective_function_value, h.getInfo().mip_dual_bound
    if not math.isfinite(plan):
        print("  the whole period found no plan; no mix can be ruled out")
        return
    print(f"  {'whole period':<34} plan {usd(p, plan)}, bound {usd(p, whole_bound)}  {time.perf_counter() - t:6.1f} s")
    free_launches = p.cost.copy()
    free_launches[launch] = 0.0
    rest = solver(False, free_launches)
    rest.run()
    least_rest = lp_optimum(rest)  # the least the other costs can be
    if not math.isfinite(least_rest):
        print("  the LP of the costs other than launches stopped short of its optimum; no mix can be ruled out")
        return
    lp, mip = solver(False), solver(True)
    mip.setOptionValue("objective_bound", plan)
    set_mix = per.set_mix
    most = [int((plan - least_rest) // price[lv]) for lv in vehicles]

    def mix_price(mix: tuple[int, ...]) -> float:
        return sum(n * price[lv] for lv, n in zip(vehicles, mix, strict=True))

    mixes = sorted(itertools.product(*(range(n + 1) for n in most)), key=mix_price)
    open_bound, counts = math.inf, {"price": 0, "LP": 0, "MIP": 0, "open": 0}
    for mix in mixes:
        if mix_price(mix) + least_rest >= plan:
            counts["price"] += 1
            continue
        t = time.perf_counter()
        set_mix(lp, mix)
        run_for(lp, settings.time_limit_s)
        relaxed = lp_optimum(lp)
        if relaxed >= plan:
            counts["LP"] += 1
            continue
        set_mix(mip, mix)
        mip.clearSolver()
        run_for(mip, settings.time_limit_s)
        info = mip.getInfo()
        ruled_out = not has_plan(mip) and mip.getModelStatus() != highspy.HighsModelStatus.kTimeLimit
        b = plan if ruled_out else max(info.mip_dual_bound, relaxed)
        if has_plan(mip) and info.objective_function_value < plan:
            b = min(b, info.objective_function_value)  # a cheaper plan: the cutoff stays, the bound is noted
        label = "ruled out" if b >= plan else f"open, bound {usd(p, b)}"
        counts["MIP" if b >= plan else "open"] += 1
        if b < plan:
            open_bound = min(open_bound, b)
        mix_text = ", ".join(f"{n} {lv}" for lv, n in zip(vehicles, mix, strict=True) if n)
        print(f"  {mix_text or 'no launch':<34} LP {usd(p, relaxed)}, {label}  {time.perf_counter() - t:6.1f} s")
    print(
        f"  period bound by launch mix {usd(p, min(plan, open_bound))} against the whole period's "
        f"{usd(p, whole_bound)} (plan {usd(p, plan)}); mixes ruled out by price {counts['price']}, "
        f"by LP {counts['LP']}, by MIP {counts['MIP']}; open {counts['open']}"
    )


#: Seconds for each LP of ``--by-fleet``.
LP_LIMIT_S = 60.0


def run_for(h: highspy.Highs, seconds: float) -> None:
    """Run ``h`` for at most ``seconds`` more: HiGHS counts its time limit over every run of an instance."""
    h.setOptionValue("time_limit", h.getRunTime() + seconds)
    h.run()


def lp_by(h: highspy.Highs, method: str) -> float:
    """An LP's optimum by ``method`` (``simplex`` warm-starts from the last solve; ``ipm`` does not)."""
    h.setOptionValue("solver", method)
    run_for(h, LP_LIMIT_S)
    return lp_optimum(h)


class HeldPeriod:
    """One period type alone with its depot held (at a node, or ``any``, or ``two-or-more``), as arrays.

    With the columns the splits by launch mix and by fleet need: launches, the tug fleet, shortfalls
    and the sizes the periods share.
    """

    def __init__(self, inp: Inputs, depot_at: str) -> None:
        m = build_model(inp)
        if not hasattr(m, "depot_built"):
            depot_at = "any"  # no depot to hold
        if depot_at == "two-or-more":
            m.two_or_more = pyo.Constraint(expr=sum(m.depot_built[n] for n in m.depot_nodes) >= 2)
        for n in m.depot_nodes if depot_at not in ("any", "two-or-more") else ():
            m.depot_built[n].fix(1 if n == depot_at else 0)
            if n != depot_at:
                m.depot_capacity[n].fix(0)
        self.weight = inp.steps[0].weight
        # with the depots free, dual simplex stalls on this LP (60 s against about 1 s by interior point)
        self.lp_method = "ipm" if depot_at in ("any", "two-or-more") else "simplex"
        self.p = p = Problem(m)
        names = [v.parent_component().name for v in p.cols]
        launch = [j for j, name in enumerate(names) if name == "launches" and not p.cols[j].fixed]
        self.vehicles = sorted({p.cols[j].index()[0] for j in launch})
        self.launch = launch
        self.cols_of = {lv: [j for j in launch if p.cols[j].index()[0] == lv] for lv in self.vehicles}
        self.price = {lv: float(p.cost[self.cols_of[lv][0]]) for lv in self.vehicles}  # the same in every month
        self.tug = next((j for j, name in enumerate(names) if name == "fleet" and p.cols[j].index() == "tug"), None)
        self.short = [j for j, name in enumerate(names) if name in ("shortfall", "mars_shortfall")]
        self.penalty_usd_per_kg = min(float(p.cost[j]) for j in self.short) / OBJECTIVE_SCALE
        #: the sizes the periods share: their plans are joined by building the largest of each
        self.sizes = {
            (name, p.cols[j].index()): j
            for j, name in enumerate(names)
            if name in ("fleet", "depot_capacity", "isru_rate")
        }

    def usd(self, objective: float) -> float:
        return (objective + self.p.obj_constant) / OBJECTIVE_SCALE

    def mix_price(self, mix: tuple[int, ...]) -> float:
        return sum(n * self.price[lv] for lv, n in zip(self.vehicles, mix, strict=True)) / OBJECTIVE_SCALE

    def solver(
        self, settings: SolverSettings, tugs: int | None, integer: bool, cost: np.ndarray | None = None
    ) -> highspy.Highs:
        """The period with ``tugs`` tugs (None: as the model has them) and one row per launch vehicle for its mix.

        The mix rows are free until :meth:`set_mix` sets them.
        """
        p = self.p
        every_col, every_row = list(range(len(p.cols))), list(range(len(p.rows)))
        h = p.highs(settings, every_col, every_row, p.cost if cost is None else cost, integer)
        if tugs is not None:
            if self.tug is None:
                raise SystemExit("--by-fleet needs a subset with a tug")
            h.changeColBounds(self.tug, tugs, tugs)
        for lv in self.vehicles:
            cols = self.cols_of[lv]
            h.addRow(0.0, highspy.kHighsInf, len(cols), np.asarray(cols, dtype=np.int32), np.ones(len(cols)))
        return h

    def set_mix(self, h: highspy.Highs, mix: tuple[int, ...]) -> None:
        first = len(self.p.rows)
        for k, n in enumerate(mix):
            h.changeRowBounds(first + k, n, n)


def by_fleet_and_mix(
    parts: list[Inputs], settings: SolverSettings, depot_at: str, fleets: list[int], incumbent: float
) -> None:
    """The subset's bound with its depot at ``depot_at``, fleet size by fleet size (module docstring)."""
    # the heaviest period first: its bound leaves the lighter ones a tighter cutoff
    periods = sorted((HeldPeriod(inp, depot_at) for inp in parts), key=lambda per: -per.weight)
    print(
        f"depot held at {depot_at}, {len(periods)} period types, incumbent ${incumbent / 1e9:,.3f}B, "
        f"{settings.time_limit_s:g} s per MIP, {settings.threads} threads"
    )
    started = time.perf_counter()
    least_bound = math.inf
    for tugs in fleets:
        lps = []
        for per in periods:
            lp = per.solver(settings, tugs, integer=False)
            lps.append(per.usd(lp_by(lp, per.lp_method)))
        bounds, plans = list(lps), [math.inf] * len(periods)
        chosen: list[np.ndarray | None] = [None] * len(periods)  # each period's cheapest plan
        print(f"  {tugs} tug(s): LP by period {', '.join(f'${b / 1e9:,.3f}B' for b in lps)}")
        for k, per in enumerate(periods):
            cutoff = incumbent - sum(b for i, b in enumerate(bounds) if i != k)
            free = per.p.cost.copy()
            free[per.launch] = 0.0
            rest = per.solver(settings, tugs, integer=False, cost=free)
            least_rest = per.usd(lp_by(rest, per.lp_method))
            lp = per.solver(settings, tugs, integer=False)
            most = [max(int((cutoff - least_rest) * OBJECTIVE_SCALE // per.price[lv]), 0) for lv in per.vehicles]
            mixes = sorted(itertools.product(*(range(n + 1) for n in most)), key=per.mix_price)
            other = per.p.cost.copy()
            other[per.launch + per.short] = 0.0
            least_other_lp = per.solver(settings, tugs, integer=False, cost=other)
            least_other = per.usd(lp_by(least_other_lp, per.lp_method))  # the least a plan's other costs can be
            least, counts = math.inf, {"price": 0, "LP": 0, "MIP": 0, "open": 0, "flown": 0}
            for mix in mixes:
                limit = min(cutoff, plans[k])
                if per.mix_price(mix) + least_rest >= limit:
                    counts["price"] += 1
                    continue
                per.set_mix(lp, mix)
                relaxed = per.usd(lp_by(lp, per.lp_method))
                if relaxed >= limit:
                    counts["LP"] += 1
                    continue
                t = time.perf_counter()
                # a plan leaving more than this short pays more in penalties than it could save
                budget_kg = (limit - per.mix_price(mix) - least_other) / per.penalty_usd_per_kg
                h = per.solver(settings, tugs, integer=True)
                per.set_mix(h, mix)
                short = np.asarray(per.short, dtype=np.int32)
                h.addRow(0.0, max(budget_kg, 0.0), len(short), short, np.ones(len(short)))
                h.setOptionValue("objective_bound", limit * OBJECTIVE_SCALE - per.p.obj_constant)
                h.run()
                info = h.getInfo()
                stopped = h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
                if has_plan(h):
                    if per.usd(info.objective_function_value) < plans[k]:
                        chosen[k] = np.asarray(h.getSolution().col_value)
                    plans[k] = min(plans[k], per.usd(info.objective_function_value))
                    least = min(least, max(relaxed, per.usd(info.mip_dual_bound)))
                    counts["flown"] += 1
                    verdict = f"flown at ${per.usd(info.objective_function_value) / 1e9:,.3f}B"
                elif stopped:
                    least = min(least, max(relaxed, per.usd(info.mip_dual_bound)))
                    counts["open"] += 1
                    verdict = f"open, bound ${max(relaxed, per.usd(info.mip_dual_bound)) / 1e9:,.3f}B"
                else:
                    counts["MIP"] += 1
                    verdict = f"ruled out (no plan below ${limit / 1e9:,.3f}B with at most {budget_kg:,.1f} kg short)"
                mix_text = ", ".join(f"{n} {lv}" for lv, n in zip(per.vehicles, mix, strict=True) if n)
                print(
                    f"    weight {per.weight:g}: {mix_text:<30} LP ${relaxed / 1e9:,.3f}B, {verdict}  "
                    f"{time.perf_counter() - t:5.1f} s",
                    flush=True,
                )
            bounds[k] = max(bounds[k], min(least, plans[k], cutoff))
            print(
                f"    weight {per.weight:g}: bound ${bounds[k] / 1e9:,.3f}B, plan ${plans[k] / 1e9:,.3f}B; "
                f"mixes ruled out by price {counts['price']}, by LP {counts['LP']}, by MIP {counts['MIP']}; "
                f"flown {counts['flown']}, open {counts['open']}",
                flush=True,
            )
        joined, sizes = joined_usd(periods, chosen, plans)
        joined_text = f"${joined / 1e9:,.3f}B ({sizes})" if math.isfinite(joined) else "none"
        print(
            f"  {tugs} tug(s): bound ${sum(bounds) / 1e9:,.3f}B, periods' plans ${sum(plans) / 1e9:,.3f}B "
            f"(before joining), joined {joined_text}  {time.perf_counter() - started:6.1f} s",
            flush=True,
        )
        least_bound = min(least_bound, sum(bounds))
        incumbent = min(incumbent, joined)  # the next fleets need only beat the best plan so far
    print(
        f"  over the fleets tried: bound ${min(least_bound, incumbent) / 1e9:,.3f}B, best plan ${incumbent / 1e9:,.3f}B"
    )


def joined_usd(periods: list[HeldPeriod], chosen: list[np.ndarray | None], plans: list[float]) -> tuple[float, str]:
    """The cost (USD) of the periods' plans joined into one, every shared size built to the largest a period uses.

    A larger fleet, depot or plant leaves each period's plan feasible, so the joined plan is a plan of
    the subset; each period pays its share of what its own plan did not build.
    """
    if any(x is None for x in chosen):
        return math.inf, ""
    largest: dict[tuple[str, object], float] = {}
    for per, x in zip(periods, chosen, strict=True):
        for key, j in per.sizes.items():
            largest[key] = max(largest.get(key, 0.0), float(x[j]))
    extra = sum(
        float(per.p.cost[j]) * (largest[key] - float(x[j]))
        for per, x in zip(periods, chosen, strict=True)
        for key, j in per.sizes.items()
    )
    total = sum(plans) + extra / OBJECTIVE_SCALE
    sizes = ", ".join(
        f"{name}[{index}] {value:,.0f}" for (name, index), value in sorted(largest.items(), key=str) if value > 0.5
    )
    return total, sizes


def branching(p: Problem, settings: SolverSettings, segment_months: list[int]) -> None:
    """The whole subset's MIP bound: as it is, with whole columns per period, and split by tug fleet.

    See the module docstring; each MIP has the time limit of ``settings``.
    """
    names = [v.parent_component().name for v in p.cols]
    steps = [step_of(v.index()) for v in p.cols]
    period_of = [k for k, months in enumerate(segment_months) for _ in range(months)]  # one step a month
    every_col, every_row = list(range(len(p.cols))), list(range(len(p.rows)))

    def run(label: str, h: highspy.Highs) -> float:
        t = time.perf_counter()
        h.run()
        info = h.getInfo()
        plan = usd(p, info.objective_function_value) if has_plan(h) else "none"
        print(f"{label:<48} bound {usd(p, info.mip_dual_bound)}  plan {plan}  {time.perf_counter() - t:6.1f} s")
        return info.mip_dual_bound

    run("as it is", p.highs(settings, every_col, every_row, p.cost, integer=True))
    groups: dict[tuple[str, str, int], list[int]] = {}
    for j, name in enumerate(names):
        if name in ("launches", "trips") and p.whole(j):
            groups.setdefault((name, p.cols[j].index()[0], period_of[steps[j]]), []).append(j)

    def with_period_columns(months_whole: bool) -> highspy.Highs:
        h = p.highs(settings, every_col, every_row, p.cost, integer=True)
        for (name, _, _), cols in groups.items():  # a whole column equal to the period's sum of the months' counts
            if name == "launches" and not months_whole:
                set_type(h, cols, highspy.HighsVarType.kContinuous)
            k = h.getNumCol()
            h.addCol(0.0, 0.0, highspy.kHighsInf, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
            h.changeColIntegrality(k, highspy.HighsVarType.kInteger)
            coefs = np.asarray([1.0] * len(cols) + [-1.0])
            h.addRow(0.0, 0.0, len(cols) + 1, np.asarray([*cols, k], dtype=np.int32), coefs)
        return h

    run(f"with {len(groups)} whole columns per period", with_period_columns(months_whole=True))
    # a relaxation: a period's launches whole in sum only, so a launch may be spread over its months
    run("the same, the months' launch counts continuous", with_period_columns(months_whole=False))
    tug = next((j for j, name in enumerate(names) if name == "fleet" and p.cols[j].index() == "tug"), None)
    if tug is None:
        return
    parts = []
    for label, low, high in (("tug fleet held at 1", 1, 1), ("tug fleet held at 2 or more", 2, p.bounds(tug)[1])):
        h = p.highs(settings, every_col, every_row, p.cost, integer=True)
        h.changeColBounds(tug, low, high)
        parts.append(run(label, h))
    print(f"{'split by tug fleet: the lesser bound':<48} bound {usd(p, min(parts))}")


def by_depot_location(inp: Inputs, settings: SolverSettings, cutoff_usd: float, beaten: str) -> None:
    """The subset's bound part by part: one depot at each allowed node, then two or more depots."""
    settings = replace(with_storage(settings), cutoff_usd=cutoff_usd)  # interior-point root, as the study
    print(f"by depot location, cutoff ${cutoff_usd / 1e9:,.3f}B ({beaten}):")
    for part in [*inp.depot_nodes, "two or more"]:
        m = build_model(inp)
        if part == "two or more":
            m.two_or_more = pyo.Constraint(expr=sum(m.depot_built[n] for n in m.depot_nodes) >= 2)
        else:
            for n in m.depot_nodes:
                m.depot_built[n].fix(1 if n == part else 0)
                if n != part:
                    m.depot_capacity[n].fix(0)
        t = time.perf_counter()
        try:
            info = solve_model(m, settings)
        except PlannerError:  # the whole tree pruned before any plan was found
            info = None
        seconds = time.perf_counter() - t
        if info is None or (info.status == "optimal" and info.objective_usd >= cutoff_usd):
            line = "no plan below the cutoff (pruned)"
        else:
            line = f"bound ${info.bound_usd / 1e9:,.3f}B, plan ${info.objective_usd / 1e9:,.3f}B"
        print(f"  {part:<38} {line}  {seconds:6.1f} s")


if __name__ == "__main__":
    main()
