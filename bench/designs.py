"""Size the bundled scenarios' designs ahead, as the runs would on first use (prints figures; not a test).

    python bench/designs.py [--scenario reference-2035] [--write]

For each policy of the scenario, the study sizes the infrastructure of the policy's case with the
scenario's solver settings, and the design, its costs and how the study ended are printed. With
``--write`` each design is stored in ``agents/designs`` under the name the runs look it up by (a
hash of the scenario, the case, the version and the model revision), and the stored designs of the
scenarios sized here that no current key names are removed; a study stopped before its end is not
written. Run it after a change that raises the version or the model revision, or edits the
reference scenario: the test suite names the designs that are missing. Only the reference scenario
ships designs; the quick demo's take seconds to size, and the tests of sizing run on it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time

from cislink import __version__
from cislink.agents.policy import BUNDLED_DESIGNS, bundled_design_path, case_for, policy_def
from cislink.orbits import build_network
from cislink.planner.cases import MODEL_REVISION
from cislink.planner.solve import SolverSettings
from cislink.planner.study import run_study
from cislink.scenarios import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", action="append", help="bundled scenario (repeatable; default: reference-2035)")
    ap.add_argument("--write", action="store_true", help="store the designs in agents/designs")
    args = ap.parse_args()
    keep: set[str] = set()
    sized = args.scenario or ["reference-2035"]
    for name in sized:
        scenario = load(name)
        network = build_network(scenario)
        settings = SolverSettings.from_scenario(scenario)
        names = [p.name for p in scenario.policies] or ["sovereign"]
        cases = sorted({case_for(policy_def(scenario, p)) for p in names})
        for case in cases:
            t = time.perf_counter()
            result = run_study(scenario, network, case, settings)
            wall = time.perf_counter() - t
            plan = result.plan
            summary = result.summary()
            gap = "-" if summary["mip_gap"] is None else f"{summary['mip_gap']:.2%}"
            print(
                f"{name} {case}: {plan.design.to_dict()}  ${summary['total_cost_usd'] / 1e9:.3f}B, "
                f"gap {gap}, {plan.solve.status}, {wall:.1f} s",
                flush=True,
            )
            path = bundled_design_path(scenario, case)
            keep.add(path.name)
            if not args.write or plan.solve.status == "interrupted":
                continue
            costs = {k: v for k, v in plan.costs_usd.items() if k in ("ddte", "infrastructure_launch", "operations")}
            study = {
                "total_cost_usd": summary["total_cost_usd"],
                "mip_gap": summary["mip_gap"],
                "status": plan.solve.status,
                "wall_seconds": round(wall, 1),
                "threads": settings.threads,
                "time_limit_s": settings.time_limit_s,
                "version": __version__,
                "model_revision": MODEL_REVISION,
                "sized_on": datetime.date.today().isoformat(),
            }
            data = {**plan.design.to_dict(), "costs_usd": costs, "case": case, "scenario": name, "study": study}
            BUNDLED_DESIGNS.mkdir(exist_ok=True)
            path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
            print(f"  written {path}")
    if args.write:  # designs of the scenarios sized here whose key no current case has
        for stale in BUNDLED_DESIGNS.glob("*.json"):
            try:
                of = json.loads(stale.read_text()).get("scenario")
            except ValueError:
                of = None
            if stale.name not in keep and (of is None or of in sized):
                stale.unlink()
                print(f"  removed {stale} (no current case of {of or 'any scenario'} has its key)")


if __name__ == "__main__":
    main()
