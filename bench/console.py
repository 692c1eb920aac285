"""Console start-up: wall time from launching a fresh interpreter to the console's first frame (prints figures).

    python bench/console.py [--runs 5] [--scenario reference-2035]

Each run starts ``cislink console`` in a new process (headless, warm caches: the network and the
policy's design are cached by an earlier run) and reports two times: the first frame on screen,
and the first month planned and shown (the planner's process started, its libraries loaded and
the first window solved). Medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from cislink.console import planning
from cislink.console.app import CislinkApp
from cislink.console.session import Session
from cislink.scenarios import load

scenario = load(sys.argv[1])
planning.start()

def make(status):
    return Session.start(scenario, None, None, None, Path(sys.argv[2]))

app = CislinkApp(make, label=scenario.name)

async def pilot_run(pilot):
    print("FIRST_FRAME", flush=True)
    while app.view is None or app.busy:
        await pilot.pause(0.05)
    print("FIRST_MONTH", flush=True)
    app.exit()

app.run(headless=True, auto_pilot=pilot_run)
planning.shutdown()
"""


def one(scenario: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, scenario, f"{tmp}/run"], stdout=subprocess.PIPE, text=True
        )
        marks: dict[str, float] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() in ("FIRST_FRAME", "FIRST_MONTH"):
                marks[line.strip()] = time.perf_counter() - t0
        proc.wait()
    return marks["FIRST_FRAME"], marks["FIRST_MONTH"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scenario", default="reference-2035")
    args = ap.parse_args()
    one(args.scenario)  # warm the caches (network, design, bytecode)
    frames, months = [], []
    for _ in range(args.runs):
        f, m = one(args.scenario)
        frames.append(f)
        months.append(m)
    print(f"{args.scenario}, {args.runs} runs, warm caches")
    print(
        f"first frame:        median {statistics.median(frames):.2f} s  (min {min(frames):.2f}, max {max(frames):.2f})"
    )
    print(
        f"first month shown:  median {statistics.median(months):.2f} s  (min {min(months):.2f}, max {max(months):.2f})"
    )


if __name__ == "__main__":
    main()
