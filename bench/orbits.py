"""Benchmark: building the orbit network cold (library import + JIT + arc physics) vs from the cache.

Each measurement runs in a fresh interpreter so the cold build pays what a first start pays.
Prints medians over the repeats; not a test.

    python bench/orbits.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = """
import time, json
t0 = time.perf_counter()
from cislink.orbits import build_network
net = build_network()
t1 = time.perf_counter()
import datetime as dt, numpy as np
from cislink.orbits import Transfer
legs = [("leo", "geo"), ("geo", "llo"), ("llo", "nrho"), ("earth", "leo"), ("leo", "lmo")] * 4
transfers = [Transfer(o, d, dt.date(2035, 1, 1), net) for o, d in legs]
days = np.arange(30.0)
t2 = time.perf_counter()
for tr in transfers:
    tr.positions_km(days)
t3 = time.perf_counter()
for tr in transfers:
    tr.positions_km(days + 0.5)
t4 = time.perf_counter()
print(json.dumps({"build_s": t1 - t0, "positions_first_s": t3 - t2, "positions_s": t4 - t3, "arcs": len(net)}))
"""


def run(cache: str, fresh: bool) -> dict[str, float]:
    if fresh:
        for name in os.listdir(cache):
            os.remove(os.path.join(cache, name))
    env = {**os.environ, "CISLINK_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        cold = [run(cache, fresh=True) for _ in range(args.repeats)]
        warm = [run(cache, fresh=False) for _ in range(args.repeats)]
    cold_s = statistics.median(r["build_s"] for r in cold)
    warm_s = statistics.median(r["build_s"] for r in warm)
    pos_s = statistics.median(r["positions_first_s"] for r in warm)
    print(f"orbit network ({cold[0]['arcs']} arcs), median of {args.repeats} fresh interpreters")
    print(f"  cold build (library import + JIT + physics): {cold_s:6.2f} s")
    print(f"  cached build:                                {warm_s:6.2f} s   (target < 1 s)")
    print(f"  speed-up cached vs cold:                     {cold_s / warm_s:6.1f} x")
    pos2 = statistics.median(r["positions_s"] for r in warm)
    print(f"  20 vehicles x 30 daily positions, first call (incl. propagator JIT): {pos_s:.2f} s")
    print(f"  20 vehicles x 30 daily positions, afterwards:                       {pos2 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
