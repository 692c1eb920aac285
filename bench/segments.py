"""What the study's 12-month periods give up: a short horizon solved by periods and in one piece (prints figures).

    python bench/segments.py [--subsets depot isru depot,isru] [--months 24] [--time-limit S]

Study mode cuts the horizon into periods that start and end with empty depots, so stock is never
carried over a period boundary. On a horizon of ``--months`` (the reference scenario's first
months, two periods at the default 24) each programme subset is solved both ways with its
programmes built: by the study's periods (``solve_subsets``, to a 0.1% gap) and as one model with
stock free to cross the boundary (HiGHS to a 0.1% gap or the time limit). The one-piece model's
plan and bound bracket its optimum; the difference to the periods' plan is what the boundary costs.
"""

from __future__ import annotations

import argparse
import time

from cislink.orbits import build_network
from cislink.planner.inputs import Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.solve import SolverSettings, solve_checked
from cislink.planner.study import solve_subsets, with_storage
from cislink.scenarios import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subsets", nargs="+", default=["depot", "isru", "depot,isru"])
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds for each solve")
    args = ap.parse_args()
    scenario = load("reference-2035")
    planner = scenario.planner.model_copy(update={"horizon_months": args.months})
    scenario = scenario.model_copy(update={"planner": planner})
    network = build_network(scenario)
    settings = SolverSettings.from_scenario(scenario, time_limit_s=args.time_limit, mip_gap=0.001)
    print(f"reference-2035, first {args.months} months, HiGHS, {settings.threads} threads, 0.1% gap")
    header = f"{'subset':<12} {'by periods':>11} {'s':>6} {'one piece':>11} {'its bound':>11} {'s':>6}"
    print(f"{header} {'periods cost more by':>22}")
    for name in args.subsets:
        subset = tuple(sorted(name.split(",")))
        t0 = time.perf_counter()
        result, _ = solve_subsets(scenario, network, [subset], settings)[subset]
        periods_s = time.perf_counter() - t0
        inp = build_inputs(
            scenario,
            network,
            [Segment(0, args.months, 1.0)],
            allowed=frozenset(subset),
            required=frozenset(subset),
        )
        t0 = time.perf_counter()
        info = solve_checked(build_model(inp), with_storage(settings))
        whole_s = time.perf_counter() - t0
        periods = result.objective_usd or float("nan")
        low = (periods - info.objective_usd) / info.objective_usd
        high = (periods - info.bound_usd) / info.bound_usd
        print(
            f"{'+'.join(subset):<12} ${periods / 1e9:9.4f}B {periods_s:6.1f} ${info.objective_usd / 1e9:9.4f}B "
            f"${info.bound_usd / 1e9:9.4f}B {whole_s:6.1f} {low:+6.2%}..{high:+6.2%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
