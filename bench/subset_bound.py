"""Bounds and plans of one programme subset of the study, by several relaxations (prints figures; not a test).

    python bench/subset_bound.py [--subset tug,depot] [--time-limit S] [--window 3] [--locations-only]

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
  bound is the least of the parts' bounds, so the parts that stay open show where the gap lies.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import highspy
import numpy as np
import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.orbits import build_network
from cislink.planner.arrays import Problem, step_of
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.decompose import solve_by_month, storage_free
from cislink.planner.inputs import Inputs, build_inputs
from cislink.planner.model import build_model
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
    args = ap.parse_args()
    scenario = load("reference-2035")
    network = build_network(scenario)
    subset = frozenset(args.subset.split(","))
    segments, _ = representative_segments(scenario)
    inp = build_inputs(scenario, network, segments, allowed=subset, required=subset)
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
            donor, _, _ = solve_by_month(scenario, network, donor_inp, settings)
        else:
            donor = build_model(donor_inp)
            solve_model(donor, settings)
        m = build_model(inp)
        start_from(m, plan_values(donor))
        _routes_held_start(m, settings)
        label = f"routes held ({'+'.join(sorted(smaller))} plan's)"
        plan_usd = pyo.value(m.total_cost) / OBJECTIVE_SCALE
        print(f"{label:<40} plan  ${plan_usd / 1e9:,.3f}B  {time.perf_counter() - t:6.1f} s")
        cutoff_usd = pyo.value(donor.total_cost) / OBJECTIVE_SCALE
        by_depot_location(inp, settings, cutoff_usd, f"the {'+'.join(sorted(smaller))} plan")


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
