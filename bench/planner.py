"""Planner benchmark: build and solve times on the reference scenario (prints figures; not a test).

    python bench/planner.py [--cases none,isru,...] [--time-limit S] [--repeat N] [--windows-only]

For every ``--infrastructure`` case of the full 240-month study it prints the Pyomo build time,
the solve time, their ratio, the cost and the proven gap; then the time of a 24-month rolling
window with the infrastructure fixed (the agents' monthly re-plan), solved as one MIP with all
months integer, as one MIP with the first month integer, and by the priced look-ahead (the
default in runs), unless ``--window-months 0``. Medians over ``--repeat`` runs. With
``--windows-only``, no study is run: the windows use the design the reference scenario's policy
operates (the shipped one), and the all-integer MIP (60 s a window) is left out.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cislink.orbits import build_network
from cislink.planner.cases import CASES
from cislink.planner.inputs import Design
from cislink.planner.solve import SolverSettings
from cislink.planner.study import run_study
from cislink.planner.window import WindowState, plan_window
from cislink.scenarios import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", default="none,isru,tugs,depots,tugs+depots,isru+tugs,isru+depots,all")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--window-months", type=int, default=24)
    ap.add_argument("--windows-only", action="store_true", help="only the windows, with the policy's shipped design")
    args = ap.parse_args()
    scenario = load("reference-2035")
    network = build_network(scenario)
    settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit)
    print(
        f"reference-2035, {scenario.planner.horizon_months} months, HiGHS, {settings.threads} threads, "
        f"time limit {args.time_limit:g} s per case, median of {args.repeat}"
    )
    print(
        f"{'case':<12} {'build s':>8} {'solve s':>8} {'build/solve':>11} {'wall s':>7} {'cost USD':>16} {'gap':>8}"
        "  bound set by"
    )
    designs: dict[str, Design] = {}
    if args.windows_only:
        from cislink.agents.policy import design_for_policy, policy_def

        designs["all"], _ = design_for_policy(scenario, network, policy_def(scenario, scenario.policy))
    for case in args.cases.split(",") if not args.windows_only else ():
        if case not in CASES:
            raise SystemExit(f"unknown case {case}; allowed: {', '.join(CASES)}")
        builds, solves, walls, result = [], [], [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = run_study(scenario, network, case, settings)
            walls.append(time.perf_counter() - t0)
            builds.append(result.plan.build_seconds)
            solves.append(result.plan.solve.solve_seconds)
        assert result is not None
        designs[case] = result.plan.design
        b, s = statistics.median(builds), statistics.median(solves)
        print(
            f"{case:<12} {b:8.2f} {s:8.1f} {b / s:11.1%} {statistics.median(walls):7.1f} "
            f"{result.plan.total_cost_usd:16,.0f} {result.plan.solve.mip_gap:8.2%}  "
            f"{'+'.join(result.summary()['bound_set_by'] or []) or 'no infrastructure'}"
        )
    design = designs.get("all") or next(iter(designs.values()))
    variants = (
        (args.window_months, "mip", "one MIP, all months integer"),
        (1, "mip", "one MIP, first month integer"),
        (1, "priced", "priced look-ahead, first month integer"),
    )
    if args.windows_only:
        variants = variants[1:]
    for integer_months, method, label in variants if args.window_months > 0 else ():
        times, gaps, costs = [], [], []
        for month in (0, 12, 36, 60, 96):
            t0 = time.perf_counter()
            plan = plan_window(
                scenario,
                network,
                WindowState(month, design),
                months=args.window_months,
                settings=SolverSettings.from_scenario(scenario, time_limit_s=60),
                integer_months=integer_months,
                method=method,
            )
            times.append(time.perf_counter() - t0)
            gaps.append(plan.solve.mip_gap)
            costs.append(plan.solve.objective_usd)
        print(
            f"rolling window ({args.window_months} months, {label}, design of 'all' fixed: {design.to_dict()}): "
            f"median {statistics.median(times):.2f} s over 5 start months (min {min(times):.2f}, "
            f"max {max(times):.2f}); median gap {statistics.median(gaps):.2%}; "
            f"total cost of the 5 windows {sum(costs):,.0f} USD"
        )


if __name__ == "__main__":
    main()
