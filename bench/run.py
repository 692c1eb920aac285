"""Run benchmark: wall time of headless runs, split into planning and agent stepping (prints figures).

    python bench/run.py [--months 12,240] [--scenario reference-2035] [--policy sovereign] [--method priced,mip]
        [--step-months 3]

The infrastructure is sized once per scenario and policy and cached, so its time is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import time

from cislink.agents.model import CislinkModel
from cislink.agents.policy import design_for_policy, policy_def
from cislink.agents.run import run
from cislink.orbits import build_network
from cislink.scenarios import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--months", default="12,240")
    ap.add_argument("--scenario", default="reference-2035")
    ap.add_argument("--policy", default=None)
    ap.add_argument("--method", default=None, help="window methods to compare (default: the scenario's)")
    ap.add_argument(
        "--step-months", type=int, default=None, help="planner.window_step_months (default: the scenario's)"
    )
    args = ap.parse_args()
    scenario = load(args.scenario)
    network = build_network(scenario)
    policy = policy_def(scenario, args.policy or scenario.policy)
    design, costs = design_for_policy(scenario, network, policy)
    print(f"{scenario.name}, policy {policy.name}, design {design.to_dict()}")
    methods = args.method.split(",") if args.method else [scenario.planner.window_method]
    print(
        f"{'method':>6} {'months':>6} {'wall s':>8} {'planning s':>10} {'agents s':>9} {'agents %':>8} "
        f"{'plan s/month':>12} {'median solve s':>14} {'cost USD':>16} {'short kg':>10}"
    )
    for method, months in ((x, int(n)) for x in methods for n in args.months.split(",")):
        update: dict[str, object] = {"window_method": method}
        if args.step_months is not None:
            update["window_step_months"] = args.step_months
        planner = scenario.planner.model_copy(update=update)
        sc = scenario.model_copy(update={"planner": planner})
        model = CislinkModel(sc, policy.name, network=network, design=design, design_costs_usd=costs, months=months)
        t0 = time.perf_counter()
        s = run(model, None)
        wall = time.perf_counter() - t0
        t = s["timing"]
        solves = [r["solve_seconds"] for r in model.plan_rows]
        print(
            f"{method:>6} {months:>6} {wall:8.1f} {t['planning_seconds']:10.1f} {t['stepping_seconds']:9.2f} "
            f"{t['stepping_seconds'] / wall:8.1%} {t['planning_seconds'] / months:12.2f} "
            f"{statistics.median(solves):14.2f} {s['total_cost_usd']:16,.0f} {s['shortfall_kg']:10,.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
