"""Ctrl-C during a study: the solve in progress keeps its best plan, the rest is reported as not begun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cislink.orbits import build_network
from cislink.planner import interrupt
from cislink.planner.report import summary_rows
from cislink.planner.solve import SolverSettings
from cislink.planner.study import run_study
from cislink.scenarios import load


def _stop_at_call(n: int) -> object:
    """A progress callback that asks for a stop when the ``n``-th programme subset begins."""
    calls: list[str] = []

    def progress(message: str) -> None:
        calls.append(message)
        if len(calls) == n:
            interrupt.request_stop()

    return progress


def test_a_stop_keeps_the_plans_found_and_names_what_was_not_begun() -> None:
    scenario = load("quick-demo")
    network = build_network(scenario)
    settings = SolverSettings.from_scenario(scenario, time_limit_s=60)
    before = signal.getsignal(signal.SIGINT)
    with interrupt.stop_on_interrupt(message=None):
        # subsets are solved smallest first: none, depot, tug, depot + tug; stop as the depot one begins
        result = run_study(scenario, network, "tugs+depots", settings, progress=_stop_at_call(2))
    by_subset = {r.programmes: r for r in result.subsets}
    assert by_subset[()].status == "optimal"
    # the depot subset was cancelled at once; it still has the plan it was started from and a bound
    assert by_subset[("depot",)].status == interrupt.INTERRUPTED
    assert by_subset[("depot",)].objective_usd is not None
    for later in (("tug",), ("depot", "tug")):
        assert by_subset[later].status == interrupt.NOT_BEGUN
        assert by_subset[later].objective_usd is None
    summary = result.summary()
    assert summary["status"] == interrupt.INTERRUPTED
    found = [r.objective_usd for r in by_subset.values() if r.objective_usd is not None]
    assert summary["total_cost_usd"] == pytest.approx(min(found))
    # subsets never begun have no bound, so no gap is claimed, and the reader is told why
    assert summary["mip_gap"] is None
    gap_row = dict(summary_rows(summary))["gap"]
    assert "stopped by Ctrl-C" in gap_row and "no gap is proven" in gap_row
    # leaving the block forgets the request and gives Ctrl-C back its usual meaning
    assert not interrupt.requested()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_stop_before_any_plan_is_an_error_saying_so() -> None:
    from cislink.errors import PlannerError

    scenario = load("quick-demo")
    network = build_network(scenario)
    settings = SolverSettings.from_scenario(scenario, time_limit_s=60)
    with interrupt.stop_on_interrupt(message=None), pytest.raises(PlannerError, match="stopped before any plan"):
        run_study(scenario, network, "tugs", settings, progress=_stop_at_call(1))


@pytest.mark.slow
def test_ctrl_c_during_a_study_prints_the_best_plan_so_far_and_exits_130(stderr_until) -> None:
    # a real SIGINT while HiGHS solves the reference scenario's depot subset (about 15 s of MIPs)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "cislink.cli", "study", "--infrastructure", "tugs+depots", "--json"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    err = stderr_until(p, "solving depot", "its depot subset")
    time.sleep(2.0)  # inside the depot subset's first MIP
    p.send_signal(signal.SIGINT)
    out, rest = p.communicate(timeout=300)
    err += rest
    assert p.returncode == 130, err
    assert "stopping: the solve in progress keeps its best plan so far" in err
    assert "Traceback" not in err
    summary = json.loads(out)
    assert summary["status"] == "interrupted"
    ended = {tuple(s["programmes"]): s["status"] for s in summary["subsets"]}
    assert ended[()] == "optimal"
    assert ended[("depot",)] in ("interrupted", "optimal")  # optimal if the stop came in its last linear program
    assert ended[("tug",)] == ended[("depot", "tug")] == "not_begun"
    assert summary["total_cost_usd"] <= 18.3e9  # no dearer than the plan without infrastructure


def test_a_design_sized_by_a_stopped_study_is_not_cached(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cislink.agents.policy import _cache_path, case_for, design_for_policy, policy_def

    monkeypatch.setenv("CISLINK_CACHE_DIR", str(tmp_path))
    demo = load("quick-demo")
    scenario = demo.model_copy(update={"planner": demo.planner.model_copy(update={"time_limit_s": 10.0})})
    network = build_network(scenario)
    policy = policy_def(scenario, scenario.policy)
    with interrupt.stop_on_interrupt(message=None):
        design_for_policy(scenario, network, policy, progress=_stop_at_call(2))
    assert not _cache_path(scenario, case_for(policy)).exists()
    # and sized without a stop, it is
    design_for_policy(scenario, network, policy)
    assert _cache_path(scenario, case_for(policy)).exists()
