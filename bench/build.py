"""Model build benchmark: Pyomo build time of the planner's models (prints figures; not a test).

    python bench/build.py [--repeat N]

Times ``build_model`` alone (inputs precomputed) on the reference scenario, for the models the
study and the runs build most: the full study model of each programme subset (24 representative
steps), one month, the model of the distinct months the month decomposition builds instead of the
full model, and a 24-month rolling window with the design of the ``all`` case fixed (the agents'
monthly re-plan). Prints the median and the fastest of ``--repeat`` builds, with the model's size.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyomo.environ as pyo

from cislink.orbits import build_network
from cislink.planner.decompose import distinct_months
from cislink.planner.inputs import Design, Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.study import representative_segments
from cislink.planner.window import window_steps
from cislink.scenarios import load

#: The design the reference study's ``all`` case chooses (bench/planner.py prints it).
ALL_DESIGN = Design(depots={}, isru_kg_per_year=678_617.0, fleets={"tug": 1, "lander": 1})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    scenario = load("reference-2035")
    network = build_network(scenario)
    segments, _ = representative_segments(scenario)
    cases = {
        f"study, {'+'.join(sorted(p)) or 'no infrastructure'}": build_inputs(
            scenario, network, segments, allowed=frozenset(p), required=frozenset(p)
        )
        for p in ((), ("isru",), ("tug",), ("depot", "tug"), ("depot", "tug", "isru"))
    }
    cases["one month, no infrastructure"] = build_inputs(
        scenario, network, [Segment(0, 1, 1.0)], allowed=frozenset(), fixed_cost_share=0.0
    )
    full = cases["study, no infrastructure"]
    distinct, _ = distinct_months(scenario, network, full)
    label = f"study's {len(distinct)} distinct months, none"
    cases[label] = build_inputs(scenario, network, distinct, allowed=frozenset())
    cases["24-month window, design of 'all'"] = build_inputs(
        scenario,
        network,
        [Segment(12, 24, step_months=window_steps(scenario, 24, 1))],
        design=ALL_DESIGN,
        fixed_cost_share=0.0,
    )
    print(f"reference-2035, build_model only, {args.repeat} builds each")
    print(f"{'model':<36} {'vars':>7} {'rows':>7} {'median ms':>10} {'min ms':>8}")
    for label, inp in cases.items():
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            m = build_model(inp)
            times.append(time.perf_counter() - t0)
        n_vars = sum(1 for _ in m.component_data_objects(pyo.Var))
        n_rows = sum(1 for _ in m.component_data_objects(pyo.Constraint))
        print(f"{label:<36} {n_vars:7d} {n_rows:7d} {statistics.median(times) * 1e3:10.1f} {min(times) * 1e3:8.1f}")


if __name__ == "__main__":
    main()
