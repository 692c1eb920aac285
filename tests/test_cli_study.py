"""``cislink study``: the summary a user reads, its JSON, the sensitivity chart and bad input."""

from __future__ import annotations

import json

import pytest

from cislink.cli import main

pytestmark = pytest.mark.slow


def test_study_json_has_the_table_10_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "quick-demo", "--infrastructure", "none", "--json", "--time-limit", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "total_cost_usd",
        "earth_launches",
        "earth_launch_mass_kg",
        "tug_trips",
        "lander_trips",
        "depots",
        "isru_kg_per_year",
        "mip_gap",
        "build_seconds",
        "solve_seconds",
    ):
        assert key in out
    assert out["earth_launches"] == sum(out["earth_launches_by_vehicle"].values()) > 0
    assert out["total_cost_usd"] == pytest.approx(sum(out["cost_terms_usd"].values()))
    assert out["mip_gap"] <= 0.01


def test_study_table_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "quick-demo", "--infrastructure", "tugs", "--time-limit", "60"]) == 0
    captured = capsys.readouterr()
    assert "Earth launches" in captured.out
    assert "gap" in captured.out
    assert "lower bound" in captured.out and "(set by the plans with " in captured.out
    assert "study [" in captured.err  # progress bar
    # one row per programme subset solved, so a gap can be traced to the programmes that leave it open
    table = captured.out.split("programme subsets solved")[1].splitlines()
    rows = {line.split("  ")[0]: line.split() for line in table if line.startswith(("none ", "tug "))}
    assert set(rows) == {"none", "tug"}
    assert all(row[-1] in ("optimal", "time_limit") and row[-3].endswith("%") for row in rows.values())


def test_study_names_the_subset_whose_bound_limits_the_gap(capsys: pytest.CaptureFixture[str]) -> None:
    # the case's bound is the smallest of its subsets' bounds: the summary says which one it is, so
    # that a gap above the one asked for can be traced to the programmes that leave it open
    assert main(["study", "quick-demo", "--infrastructure", "tugs", "--json", "--time-limit", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    limiting = next(s for s in out["subsets"] if s["programmes"] == out["bound_set_by"])
    assert limiting["bound_usd"] == pytest.approx(out["bound_usd"])
    assert all(s["bound_usd"] >= out["bound_usd"] - 1e-6 for s in out["subsets"])


def test_a_gap_left_by_the_time_limit_says_more_time_may_help(capsys: pytest.CaptureFixture[str]) -> None:
    from cislink.planner.report import summary_rows

    assert main(["study", "quick-demo", "--infrastructure", "tugs", "--json", "--time-limit", "60"]) == 0
    out = json.loads(capsys.readouterr().out)
    gap = {status: dict(summary_rows({**out, "status": status}))["gap"] for status in ("optimal", "time_limit")}
    assert "--time-limit" not in gap["optimal"]
    assert gap["time_limit"].startswith(gap["optimal"]) and "longer --time-limit" in gap["time_limit"]


def test_the_sensitivity_chart_bands_only_a_proven_bound() -> None:
    # the hatched band runs from a case's proven lower bound to its plan; a case stopped before every
    # subset began has no proven bound (its gap is None), and no band may suggest one
    import math

    from cislink.planner.report import _proven_bound_usd

    assert _proven_bound_usd({"bound_usd": 12.8e9, "mip_gap": 0.084}) == 12.8e9
    assert math.isnan(_proven_bound_usd({"bound_usd": 12.8e9, "mip_gap": None}))
    assert math.isnan(_proven_bound_usd({"bound_usd": None, "mip_gap": 0.01}))
    assert math.isnan(_proven_bound_usd({"bound_usd": -math.inf, "mip_gap": 0.01}))


def test_sensitivity_writes_a_png_and_one_table(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "quick-demo", "--sensitivity", "--time-limit", "60", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for case in ("none", "tugs", "tugs+depots", "all"):
        assert f"\n{case} " in out
    png = tmp_path / "quick-demo-sensitivity.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    rows = json.loads((tmp_path / "quick-demo-sensitivity.json").read_text())
    assert next(r["case"] for r in rows) == "none"
    # beside each case's best plan, the cost with every one of its programmes built
    assert "all built" in out
    by_case = {r["case"]: r for r in rows}
    assert by_case["none"]["all_built"]["programmes"] == []
    assert by_case["tugs+depots"]["all_built"]["programmes"] == ["depot", "tug"]
    # and the development cost at which those programmes would stop paying, beside the one assumed
    assert "DDTE break-even / assumed" in out
    assert by_case["none"]["all_built"]["ddte_break_even_usd"] is None
    assert by_case["tugs+depots"]["all_built"]["ddte_usd"] == 3e9
    tugs_even = by_case["tugs"]["all_built"]["ddte_break_even_usd"]
    tugs_row = next(line for line in out.splitlines() if line.startswith("tugs "))
    assert f"${tugs_even / 1e6:,.1f}M / $1.00B" in tugs_row
    # a subset two cases share is solved once: both report the same plan for it
    shared = [
        next(s for s in by_case[c]["subsets"] if s["programmes"] == ["depot", "tug"]) for c in ("tugs+depots", "all")
    ]
    assert shared[0] == shared[1]
    for r in rows:
        built = r["all_built"]
        assert built["total_cost_usd"] >= r["total_cost_usd"] * (1 - 1e-9)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gap", "2"], "allowed: a relative gap between 0 and 1"),
        (["--gap", "-1"], "'-1': allowed: a relative gap between 0 and 1"),
        (["--gap", "tight"], "'tight': allowed: a relative gap between 0 and 1"),
        (["--time-limit", "-5"], "allowed: a positive number"),
        (["--time-limit", "soon"], "'soon' is not a number"),
        (["--infrastructure", "lasers"], "invalid choice: 'lasers'"),
        (["--solver", "cplex"], "invalid choice: 'cplex'"),
        (["--threads", "0"], "allowed: 1 or more"),
        (["--seed", "-1"], "allowed: 0 or more"),
        (["--seed", "2147483648"], "allowed: 0 to 2,147,483,647"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["study", "quick-demo", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sensitivity", "--infrastructure", "tugs"], "--infrastructure tugs cannot be used with --sensitivity"),
        (["--infrastructure", "tugs", "--out", "."], "--out DIR is only used with --sensitivity"),
        (["--sensitivity", "--out", "{file}"], "is a file; give a folder"),
    ],
)
def test_options_that_would_be_ignored_exit_2_before_solving(
    argv, message, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "taken"
    afile.write_text("x")
    assert main(["study", "quick-demo", *(a.format(file=afile) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert afile.read_text() == "x"


def test_missing_scenario_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "no-such-scenario" in err
    assert "Traceback" not in err


def test_more_solver_threads_than_cores_are_capped_with_a_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from cislink.planner import solve
    from cislink.scenarios import load

    monkeypatch.setattr(solve, "machine_cores", lambda: 2)
    args = ["study", "quick-demo", "--infrastructure", "none", "--json", "--time-limit", "60", "--threads", "64"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["total_cost_usd"] > 0
    assert "64 solver threads asked for; cores on this machine: 2; using 2" in caplog.text
    caplog.clear()  # said once: a run reads the settings at every re-plan
    assert solve.SolverSettings.from_scenario(load("quick-demo"), threads=64).threads == 2
    assert "solver threads asked for" not in caplog.text


def test_the_seed_given_reaches_every_highs_solve_and_is_reported(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """HiGHS silently ignores a seed above its range; the CLI refuses one, and passes the rest on."""
    from cislink.planner import solve

    seeds: list[int] = []
    real = solve.highs_options

    def spy(s: solve.SolverSettings) -> dict:
        seeds.append(s.seed)
        return real(s)

    monkeypatch.setattr(solve, "highs_options", spy)
    monkeypatch.setattr("cislink.planner.arrays.highs_options", spy)
    argv = ["study", "quick-demo", "--infrastructure", "depots", "--json", "--time-limit", "60", "--seed", "4321"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    settings = {k: v for k, v in out["settings"].items() if k != "threads"}  # threads are capped at the cores
    assert settings == {"solver": "highs", "time_limit_s": 60.0, "mip_gap": 0.01, "seed": 4321}
    assert seeds and set(seeds) == {4321}
