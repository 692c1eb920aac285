"""Wargame throughput: runs per minute with 1 and 2 Dask workers and the scaling ratio (prints figures).

    python bench/wargame.py [--scenario quick-demo] [--runs 4] [--months 3]

Each measurement is a fresh sweep (a new local cluster, designs cached) of ``--runs`` futures for
every policy of the scenario; cluster start-up is included, as a user would see it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cislink.scenarios import load
from cislink.wargame.sweep import Sweep, run_sweep


def rate(sweep: Sweep, workers: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rows = run_sweep(sweep, Path(tmp), workers=workers)
        wall = time.perf_counter() - t0
    return len(rows) / wall * 60.0, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="quick-demo")
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--months", type=int, default=3)
    args = ap.parse_args()
    scenario = load(args.scenario)
    policies = tuple(p.name for p in scenario.policies) or ("sovereign",)
    sweep = Sweep(scenario, policies, args.runs, args.months, scenario.simulation.seed)
    run_sweep(Sweep(scenario, policies, 1, 1, 0), Path(tempfile.mkdtemp()), workers=1)  # size designs once
    one, wall1 = rate(sweep, 1)
    two, wall2 = rate(sweep, 2)
    n = len(sweep.tasks())
    print(f"{args.scenario}: {n} runs of {args.months} months ({', '.join(policies)})")
    print(f"1 worker:  {one:6.1f} runs/min  ({wall1:.1f} s)")
    print(f"2 workers: {two:6.1f} runs/min  ({wall2:.1f} s)")
    print(f"scaling 2 vs 1: {two / one:.2f}x")


if __name__ == "__main__":
    main()
