"""`cislink console` refuses bad arguments before the terminal UI starts: exit code 2 and a message."""

from __future__ import annotations

from cislink.cli import main


def test_resume_of_a_folder_without_a_run_is_refused(tmp_path, capsys) -> None:
    assert main(["console", "--resume", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "holds no run to resume" in err and "--out" in err


def test_resume_with_new_settings_is_refused(tmp_path, capsys) -> None:
    assert main(["console", "quick-demo", "--resume", str(tmp_path)]) == 2
    assert "give no SCENARIO" in capsys.readouterr().err


def test_unknown_scenario_and_policy_are_refused(tmp_path, capsys) -> None:
    assert main(["console", str(tmp_path / "missing.toml")]) == 2
    assert main(["console", "quick-demo", "--policy", "bartering", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "allowed: sovereign" in err


def test_a_folder_holding_a_run_is_refused(tmp_path, capsys) -> None:
    (tmp_path / "run.json").write_text("{}")
    assert main(["console", "quick-demo", "--out", str(tmp_path)]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_bad_months_are_refused(capsys) -> None:
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["console", "--months", "0"])
    assert exc.value.code == 2
    assert "--months" in capsys.readouterr().err
