"""Wargame throughput: runs per minute with 1 and 2 Dask workers and the scaling ratio (prints figures).

    python bench/wargame.py [--scenario quick-demo] [--runs 6] [--months 12]

For each worker count a local cluster is started and its workers warmed (libraries imported, the
network cache read), then a fresh sweep of ``--runs`` futures for every policy of the scenario is
timed. Cluster start-up (a few seconds, paid once per sweep) is printed apart.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

from cislink.scenarios import load
from cislink.wargame.sweep import Sweep, run_sweep


def warm() -> bool:
    from cislink.agents.model import CislinkModel  # noqa: F401
    from cislink.orbits import build_network

    build_network(load("quick-demo"))
    return True


def rate(sweep: Sweep, workers: int) -> tuple[float, float, float]:
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.WARNING
    )
    client = Client(cluster)
    client.run(warm)
    start = time.perf_counter() - t0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            rows = run_sweep(sweep, Path(tmp), client=client)
            wall = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    return len(rows) / wall * 60.0, wall, start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="quick-demo")
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--months", type=int, default=12)
    args = ap.parse_args()
    logging.getLogger("distributed").setLevel(logging.WARNING)
    scenario = load(args.scenario)
    policies = tuple(p.name for p in scenario.policies) or ("sovereign",)
    sweep = Sweep(scenario, policies, args.runs, args.months, scenario.simulation.seed)
    one, wall1, start1 = rate(sweep, 1)
    two, wall2, start2 = rate(sweep, 2)
    n = len(sweep.tasks())
    print(f"{args.scenario}: {n} runs of {args.months} months ({', '.join(policies)})")
    print(f"1 worker:  {one:6.1f} runs/min  ({wall1:.1f} s; cluster start {start1:.1f} s)")
    print(f"2 workers: {two:6.1f} runs/min  ({wall2:.1f} s; cluster start {start2:.1f} s)")
    print(f"scaling 2 vs 1: {two / one:.2f}x")


if __name__ == "__main__":
    main()
