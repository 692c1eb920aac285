"""Wargame: paired futures per policy on Dask, the same rows whatever the number of workers, a report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cislink.cli import main
from cislink.scenarios import load
from cislink.wargame.sweep import Sweep, load_rows, run_sweep

DEMO = load("quick-demo")


@pytest.fixture(scope="module")
def sweep() -> Sweep:
    return Sweep(DEMO, ("sovereign", "purchased"), 2, 1, 11)


def test_same_seed_same_rows_with_one_or_two_workers(sweep: Sweep, tmp_path) -> None:
    one = run_sweep(sweep, tmp_path / "one", workers=1)
    two = run_sweep(sweep, tmp_path / "two", workers=2)
    assert [(r["policy"], r["run"], r["seed"]) for r in one] == [
        ("sovereign", 0, 11), ("sovereign", 1, 12), ("purchased", 0, 11), ("purchased", 1, 12),
    ]  # fmt: skip
    assert one == two


def test_more_local_workers_than_cores_are_cut_to_the_cores(sweep: Sweep, tmp_path, monkeypatch, caplog) -> None:
    from cislink.planner import solve

    monkeypatch.setattr(solve, "machine_cores", lambda: 1)
    rows = run_sweep(sweep, tmp_path, workers=8)
    assert len(rows) == len(sweep.tasks())
    assert "8 local workers asked for; cores on this machine: 1; using 1" in caplog.text


def test_finished_runs_are_kept_and_only_missing_ones_run(sweep: Sweep, tmp_path) -> None:
    rows = run_sweep(sweep, tmp_path, workers=1)
    (tmp_path / "runs" / "purchased-00001.json").unlink()
    marker = tmp_path / "runs" / "sovereign-00000.json"
    before = marker.stat().st_mtime_ns
    seen = []
    again = run_sweep(sweep, tmp_path, workers=1, on_done=lambda done, total: seen.append((done, total)))
    assert again == rows
    assert marker.stat().st_mtime_ns == before  # not run again
    assert seen[0] == (3, 4) and seen[-1] == (4, 4)


def test_a_report_of_runs_kept_from_an_earlier_version_marks_the_figure_they_lack(sweep: Sweep, tmp_path) -> None:
    from cislink.wargame.report import write_report

    rows = run_sweep(sweep, tmp_path / "a", workers=1)
    old = [{k: v for k, v in r.items() if k != "launched_kg"} for r in rows]
    (tmp_path / "b").mkdir()
    meta = {"scenario": DEMO.name, "runs": sweep.runs, "months": sweep.months, "seed": sweep.seed}
    text = write_report(old, list(sweep.policies), tmp_path / "b", meta).read_text()
    assert "| mass from Earth, t | sovereign | - | - | - |" in text
    assert "| purchased - sovereign | mass from Earth, t | - | - | - | - |" in text
    assert "| total cost, $M | sovereign | nan" not in text and "nan" not in text


def test_policies_meet_the_same_disruptions() -> None:
    from cislink.agents.model import CislinkModel
    from cislink.planner.inputs import Design

    rates = DEMO.disruption_rates.model_copy(update={"relay_outage_per_year": 6.0, "debris_event_per_year": 4.0})
    sc = DEMO.model_copy(update={"disruption_rates": rates})
    a = CislinkModel(sc, "sovereign", 5, design=Design(depots={"nrho": 1e4}), months=6)
    b = CislinkModel(sc, "purchased", 5, design=Design(), months=6)

    def drawn(m):
        return [(e.kind, e.target, e.day, e.duration_days) for e in m.pending_events if e.kind != "embargo"]

    assert drawn(a) and drawn(a) == drawn(b)


def test_a_runs_first_months_meet_the_same_disruptions_whatever_its_length() -> None:
    # the console runs the whole horizon, a user checks its first months with ``run --months``: the
    # random disruptions of those months must not depend on how many months follow
    from cislink.agents.model import CislinkModel, add_months
    from cislink.planner.inputs import Design

    rates = DEMO.disruption_rates.model_copy(
        update={"relay_outage_per_year": 6.0, "debris_event_per_year": 4.0, "isru_outage_per_year": 3.0}
    )
    sc = DEMO.model_copy(update={"disruption_rates": rates})

    def drawn(months: int) -> list[tuple]:
        m = CislinkModel(sc, "sovereign", 5, design=Design(depots={"nrho": 1e4}), months=months)
        return [(e.kind, e.target, e.day, e.duration_days) for e in m.pending_events if e.source == "random"]

    short, long = drawn(14), drawn(60)
    start = sc.simulation.start_date
    days = (add_months(start, 14) - start).days
    assert short and len(long) > len(short)
    assert short == [e for e in long if e[2] < days]


def test_purchased_pays_market_prices_per_kg() -> None:
    from cislink.agents.model import CislinkModel
    from cislink.agents.run import run

    design, costs = _design("purchased")
    m = CislinkModel(DEMO, "purchased", 3, design=design, design_costs_usd=costs, months=3)
    s = run(m, None)
    policy = next(p for p in DEMO.policies if p.name == "purchased")
    assert s["earth_launches"] >= 1
    # every kg launched costs at least the market launch price (plus transfer beyond LEO), per kg
    paid = s["costs_usd"]["supply_launches"]
    assert paid >= policy.market_launch_usd_per_kg * s["launched_kg"] * 0.999
    assert paid <= (policy.market_launch_usd_per_kg + policy.market_transfer_usd_per_kg) * s["launched_kg"] * 1.001


def _design(policy: str):
    from cislink.agents.policy import design_for_policy, policy_def
    from cislink.orbits import build_network

    return design_for_policy(DEMO, build_network(DEMO), policy_def(DEMO, policy))


def test_cli_writes_runs_report_and_plots(tmp_path, capsys) -> None:
    out = tmp_path / "wg"
    code = main(["wargame", "quick-demo", "--runs", "2", "--months", "1", "--seed", "4", "--out", str(out)])
    assert code == 0
    runs = pd.read_parquet(out / "runs.parquet")
    for col in ("policy", "run", "seed", "total_cost_usd", "shortfall_kg", "station_days_short", "earth_launches",
                "launched_kg", "tolls_usd"):  # fmt: skip
        assert col in runs.columns
    assert len(runs) == 2 * len(DEMO.policies)
    # mass from Earth: what the run's launches carried, none where it launched nothing
    assert ((runs["launched_kg"] > 0) == (runs["earth_launches"] > 0)).all() and runs["launched_kg"].max() > 0
    # the investment spread over the 12-month horizon (365 days): a 31-day run counts 31/365 of it
    spread = runs["total_cost_usd"] - runs["investment_usd"] * (1 - 31 / 365)
    assert ((runs["cost_spread_usd"] - spread).abs() < 1e-3).all()
    report = (out / "report.md").read_text()
    assert "Paired differences" in report and "p95" in report and "mass from Earth, t" in report
    assert "cost, investment spread, $M" in report
    for png in ("cost.png", "supply_assurance.png", "shortfall_by_station.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out_text = capsys.readouterr().out
    assert "sovereign" in out_text and "report.md" in out_text
    # the share of futures fully supplied reads as in the report, a percentage
    sovereign = next(line for line in out_text.splitlines() if line.startswith("sovereign"))
    assert sovereign.split()[-1].endswith("%")


def test_bad_arguments_exit_2(tmp_path, capsys) -> None:
    assert main(["wargame", "quick-demo", "--policies", "sovereign,barter", "--out", str(tmp_path)]) == 2
    assert "allowed: sovereign" in capsys.readouterr().err
    bad = tmp_path / "d.toml"
    bad.write_text('[[disruptions]]\nkind = "meteor"\ntarget = "leo"\nstart = 2035-02-01\n')
    assert main(["wargame", "quick-demo", "--disruptions", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "meteor" in capsys.readouterr().err
    bad.write_text('[[disruptions]]\nkind = "launch_failure"\ntarget = "falcon_10"\nstart = 2035-02-01\n')
    assert main(["wargame", "quick-demo", "--disruptions", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err  # the file's own line, and what the scenario has
    assert "line 3: disruptions[0].target: unknown target 'falcon_10'" in err and "allowed: falcon_9" in err
    assert not (tmp_path / "x" / "sweep.json").exists()
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "sweep.json").write_text(json.dumps({"months": 99}))
    assert main(["wargame", "quick-demo", "--months", "1", "--out", str(tmp_path / "y")]) == 2
    assert "other settings" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["wargame", "--runs", "0", "--out", str(tmp_path)])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:  # run files are numbered with five digits
        main(["wargame", "--runs", "100000", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "allowed: 1 to 99,999 futures per policy" in capsys.readouterr().err
    args = ["wargame", "quick-demo", "--runs", "1", "--months", "1", "--scheduler", "nonsense"]
    assert main([*args, "--out", str(tmp_path / "z")]) == 2
    assert "--scheduler nonsense: not a scheduler address" in capsys.readouterr().err


def sweep_with(tmp_path, disruption: str, scenario: str, runs: int, months: int) -> Path:
    """A sovereign sweep with one scripted disruption (TOML lines) in a ``--disruptions`` file; its folder."""
    extra = tmp_path / "extra.toml"
    extra.write_text(f"[[disruptions]]\n{disruption}\n")
    out = tmp_path / "wg"
    args = ["wargame", scenario, "--runs", str(runs), "--months", str(months), "--policies", "sovereign"]
    assert main([*args, "--out", str(out), "--disruptions", str(extra)]) == 0
    return out


def test_disruptions_file_applies_to_every_run(tmp_path) -> None:
    embargo = 'kind = "embargo"\ntarget = "spacex"\nstart = 2035-01-01\nduration_days = 90'
    runs = pd.read_parquet(sweep_with(tmp_path, embargo, "quick-demo", 2, 2) / "runs.parquet")
    assert len(runs) == 2 and (runs["earth_launches"] == 0).all()  # the only provider is embargoed


def test_assets_lost_in_service_are_counted_per_run(tmp_path) -> None:
    # a vehicle destroyed in service can no longer be disposed of (ISO 24113): planners see how often;
    # the quick demo's sovereign design builds nothing, the reference scenario's (shipped) has a tug
    loss = 'kind = "vehicle_loss"\ntarget = "tug"\nstart = 2035-01-10'
    out = sweep_with(tmp_path, loss, "reference-2035", 1, 1)
    assert (pd.read_parquet(out / "runs.parquet")["assets_lost"] == 1).all()
    assert "| assets lost (left as debris) | sovereign | 1" in (out / "report.md").read_text()


def test_a_sweep_beside_another_cluster_prints_no_port_warning(tmp_path) -> None:
    # Dask's default HTTP port may be held by another sweep or a notebook's cluster; a sweep must
    # not warn about it in the user's terminal
    import socket
    import warnings

    held = socket.socket()
    try:
        held.bind(("0.0.0.0", 8787))
        held.listen()
    except OSError:
        pass  # already held by something else, which is the case under test
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            args = ["wargame", "quick-demo", "--runs", "1", "--months", "1", "--policies", "sovereign"]
            assert main([*args, "--out", str(tmp_path / "wg")]) == 0
    finally:
        held.close()
    assert not [w for w in seen if "already in use" in str(w.message)]


def test_ctrl_c_stops_the_sweep_cleanly_and_the_same_command_continues(tmp_path, stderr_until) -> None:
    import os
    import signal
    import subprocess
    import sys

    out = tmp_path / "sweep"
    # 20 runs: with the cluster warm a 2-month run takes a fraction of a second, and with 8 runs the
    # sweep was seen to finish in the second it took the Ctrl-C to be acted on
    cmd = [sys.executable, "-m", "cislink.cli", "wargame", "quick-demo", "--runs", "10", "--months", "2",
           "--seed", "11", "--out", str(out)]  # fmt: skip
    # a terminal's Ctrl-C: one SIGINT to every process of the command, the Dask workers included
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    err = stderr_until(p, "1/20 runs done", "its first run")
    os.killpg(p.pid, signal.SIGINT)
    _, rest = p.communicate(timeout=300)
    err += rest
    if p.returncode == 0:
        pytest.skip("the sweep finished before it could be stopped")
    assert p.returncode == 130, err
    assert "Traceback" not in err
    assert "runs are saved in" in err and "the same command continues from there" in err
    kept = len(list((out / "runs").glob("*.json")))
    assert 1 <= kept < 20
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    # the stopped and continued sweep has the rows of one never stopped
    same = Sweep(DEMO, ("sovereign", "purchased"), 10, 2, 11)
    assert load_rows(out, same) == run_sweep(same, tmp_path / "whole", workers=2)


def test_paired_differences_tell_ties_from_losses() -> None:
    """Equal figures once read as 'better in 0%', as if the policy lost in every future."""
    import pandas as pd

    from cislink.wargame.report import FIGURES, paired_table

    def run(policy: str, i: int, cost: float, tolls: float) -> dict:
        row = {col: 0.0 for col, _, _ in FIGURES}
        return {**row, "policy": policy, "run": i, "total_cost_usd": cost, "tolls_usd": tolls}

    runs = pd.DataFrame(
        [run("sovereign", i, 100.0, 10.0) for i in range(4)]
        + [run("purchased", 0, 90.0, 5.0), run("purchased", 1, 110.0, 20.0)]
        + [run("purchased", i, 100.0, 10.0) for i in (2, 3)]
    )
    table = paired_table(runs, ["sovereign", "purchased"]).set_index("figure")
    cost, tolls, short = table.loc["total cost, $M"], table.loc["tolls, $M"], table.loc["shortfall, t"]
    assert (cost["better in"], cost["worse in"]) == (0.25, 0.25)  # cheaper once, dearer once, two ties
    assert (tolls["better in"], tolls["worse in"]) == (0.25, 0.25)  # higher tolls are the better ones
    assert (short["better in"], short["worse in"]) == (0.0, 0.0)  # tied in every future


@pytest.mark.parametrize("short_days", [(0, 0), (10, 0)], ids=["nothing short", "one policy short"])
def test_the_plots_draw_when_no_future_or_only_one_policy_went_short(tmp_path, short_days) -> None:
    import warnings

    import pandas as pd

    from cislink.wargame.report import FIGURES, plots

    policies = ["sovereign", "purchased"]
    runs, stations = [], []
    for p, days in zip(policies, short_days, strict=True):
        for i in range(3):
            d = days if i == 0 else 0
            runs.append({**{c: 1e9 for c, _, _ in FIGURES}, "policy": p, "run": i, "station_days_short": d,
                         "shortfall_kg": 30.0 * d})  # fmt: skip
            stations.append({"policy": p, "run": i, "station": "lunar_habitat", "shortfall_kg": 30.0 * d})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a policy with no short future leaves an empty box: no warning either
        paths = plots(pd.DataFrame(runs), pd.DataFrame(stations), policies, tmp_path)
    assert [p.name for p in paths] == ["cost.png", "supply_assurance.png", "shortfall_by_station.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
