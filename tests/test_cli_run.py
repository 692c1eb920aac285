"""`cislink run`: headless runs, their folder, bad input, and resume after SIGKILL."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from cislink.cli import main

SUMMARY_KEYS = {
    "months", "seed", "policy", "total_cost_usd", "earth_launches", "delivered_kg", "consumed_kg", "lost_kg",
    "shortfall_kg", "station_days_short", "tolls_usd", "mass_balance_error_kg",
}  # fmt: skip
TABLES = ("inventories", "vehicles", "launches", "shortfalls", "ledger", "events", "costs")


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cislink.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_run_writes_summary_and_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["run", "quick-demo", "--months", "2", "--out", str(out), "--seed", "5", "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    bars = [line for line in captured.err.splitlines() if line.startswith("run [")]
    # one line per month finished, the bar half full after the first and full after the last
    assert [b.split("] ")[0] for b in bars] == ["run [" + "#" * 12 + "-" * 12, "run [" + "#" * 24]
    summary = json.loads((out / "summary.json").read_text())
    assert summary.keys() >= SUMMARY_KEYS
    assert printed == summary
    assert summary["months"] == 2 and summary["seed"] == 5 and summary["policy"] == "sovereign"
    assert abs(summary["mass_balance_error_kg"]) < 1e-6
    for t in TABLES:
        assert (out / f"{t}.parquet").exists(), t
    inv = pd.read_parquet(out / "inventories.parquet")
    assert {"day", "date", "node", "commodity", "kg"} <= set(inv.columns)
    assert inv["day"].nunique() == summary["days"]
    assert "progress" in pd.read_parquet(out / "vehicles.parquet").columns or summary["design"]["fleets"] == {}


def test_run_table_gives_the_mass_launched_from_earth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["run", "quick-demo", "--months", "2", "--out", str(out), "--seed", "5"]) == 0
    printed = capsys.readouterr().out.splitlines()
    row = next(line for line in printed if line.startswith("mass from Earth kg"))
    assert any(line.startswith("cost, investment spread") for line in printed)
    launches = pd.read_parquet(out / "launches.parquet")
    flown = launches[launches["outcome"] != "scrubbed"]["payload_kg"].sum()
    assert flown > 0
    assert row.split()[-1] == f"{flown:,.0f}"


def test_verbose_run_logs_the_planner_not_every_simulated_day(tmp_path: Path) -> None:
    p = _cli("-v", "run", "quick-demo", "--months", "1", "--out", str(tmp_path / "r"))
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert "INFO cislink" in err
    assert "calling model.step" not in err  # Mesa's line per day, 30 of them here


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "quick-demo", "--months", "0", "--out", "X"], "allowed: 1 or more"),
        (["run", "quick-demo", "--months", "601", "--out", "X"], "allowed: 1 to 600"),
        (["run", "quick-demo", "--seed", "-3", "--out", "X"], "allowed: 0 or more"),
        (["run", "quick-demo", "--policy", "piracy", "--out", "X"], "allowed: sovereign, purchased"),
        (["run", "quick-demo"], "--out DIR is required"),
        (["run", "--resume", "NOPE"], "no run to resume"),
        (["run", "no-such-scenario", "--out", "X"], "no-such-scenario"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(args))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        ["run", "quick-demo", "--months", "1"],
        ["console", "quick-demo"],
        ["wargame", "quick-demo", "--runs", "1", "--months", "1"],
        ["study", "quick-demo", "--sensitivity"],
    ],
)
@pytest.mark.parametrize(("where", "message"), [("{file}", "is a file"), ("{file}/sub", "cannot write there")])
def test_an_out_folder_that_cannot_be_written_is_refused_before_any_work(
    command: list[str], where: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "taken"
    afile.write_text("x")
    assert main([*command, "--out", where.format(file=afile)]) == 2
    err = capsys.readouterr().err
    assert f"--out {afile}" in err and message in err and "Traceback" not in err
    assert afile.read_text() == "x"


def test_a_full_disk_during_a_run_is_reported_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cislink.agents.run import RunFolder

    def full(self: RunFolder, model: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path / "checkpoint.pkl"))

    monkeypatch.setattr(RunFolder, "start", full)
    assert main(["run", "quick-demo", "--months", "1", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "checkpoint.pkl" in err and "Traceback" not in err


def test_resume_refuses_new_settings_and_out_refuses_an_existing_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert main(["run", "quick-demo", "--months", "1", "--out", str(out)]) == 0
    assert main(["run", "quick-demo", "--months", "1", "--out", str(out)]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["run", "--resume", str(out), "--seed", "3"]) == 2
    assert "as it was started" in capsys.readouterr().err
    assert main(["run", "--resume", str(out), "--months", "3"]) == 2
    assert "has 1 month, set when it started" in capsys.readouterr().err


def _whole_and_signalled(args: list[str], whole: Path, other: Path, sig: int) -> subprocess.Popen[str]:
    """Run ``args`` to its end into ``whole``, then again into ``other``, sent ``sig`` once a month is saved."""
    p = _cli(*args, "--out", str(whole))
    assert p.wait(timeout=600) == 0, p.stderr.read() if p.stderr else ""
    p = _cli(*args, "--out", str(other))
    deadline = time.monotonic() + 300
    while not (other / "summary-partial.json").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    p.send_signal(sig)
    return p


def _assert_same_tables(a: Path, b: Path) -> None:
    for t in ("ledger", "inventories", "events"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{t}.parquet"), pd.read_parquet(b / f"{t}.parquet"))


def test_sigkill_then_resume_gives_the_uninterrupted_summary(tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    args = ["run", "quick-demo", "--months", "12", "--seed", "9"]
    p = _whole_and_signalled(args, whole, killed, signal.SIGKILL)
    p.wait(timeout=60)
    if (killed / "summary.json").exists():
        pytest.skip("the run finished before it could be killed")
    r = _cli("run", "--resume", str(killed), "--json")
    out, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    a = json.loads((whole / "summary.json").read_text())
    b = json.loads((killed / "summary.json").read_text())
    assert a == b
    assert json.loads(out) == b
    _assert_same_tables(whole, killed)


def test_ctrl_c_finishes_the_month_then_resume_gives_the_uninterrupted_summary(tmp_path: Path) -> None:
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    args = ["run", "quick-demo", "--months", "3", "--seed", "9"]
    # SIGINT during month 2: it is finished and saved, month 3 is not begun
    p = _whole_and_signalled(args, whole, stopped, signal.SIGINT)
    out, err = p.communicate(timeout=300)
    if p.returncode == 0:
        pytest.skip("the run finished before it could be stopped")
    assert p.returncode == 130, err
    assert "stopping after this month" in err and f"cislink run --resume {stopped}" in err
    assert "Traceback" not in err and "stopped after month" in out
    assert not (stopped / "summary.json").exists()
    partial = json.loads((stopped / "summary-partial.json").read_text())
    assert partial["months"] in (1, 2)
    r = _cli("run", "--resume", str(stopped), "--json")
    out, err = r.communicate(timeout=600)
    assert r.returncode == 0, err
    assert json.loads((whole / "summary.json").read_text()) == json.loads((stopped / "summary.json").read_text())
    _assert_same_tables(whole, stopped)
