"""``cislink network`` and the CLI's handling of bad input."""

from __future__ import annotations

import json

import pytest

from cislink.cli import main


def test_network_json_lists_every_arc_with_the_documented_keys(network, capsys) -> None:
    assert main(["network", "--json"]) == 0
    arcs = json.loads(capsys.readouterr().out)
    assert len(arcs) == 62
    for key in ("origin", "destination", "dv_m_s", "tof_days", "source", "debris_margin_m_s"):
        assert key in arcs[0]


def test_network_table_filters(network, capsys) -> None:
    assert main(["network", "--from", "lsp"]) == 0
    out = capsys.readouterr().out
    assert "lsp    llo" in out or "lsp   llo" in out
    assert "1 of 62 arcs" in out


def test_unknown_node_exits_2_with_the_allowed_names(network, capsys) -> None:
    assert main(["network", "--from", "moon"]) == 2
    err = capsys.readouterr().err
    assert "unknown node 'moon'" in err and "leo" in err and "Traceback" not in err


def test_unknown_option_exits_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["network", "--bogus"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "cislink network: error: unrecognized arguments: --bogus" in err  # named by its command
    assert "cislink network --help" in err


def test_the_scenario_may_be_given_as_other_commands_take_it(network, capsys) -> None:
    assert main(["network", "reference-2035", "--from", "lsp", "--json"]) == 0
    positional = json.loads(capsys.readouterr().out)
    assert main(["network", "--scenario", "reference-2035", "--from", "lsp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == positional and len(positional) == 1
    assert main(["network", "quick-demo", "--scenario", "reference-2035"]) == 2
    assert "two scenarios given" in capsys.readouterr().err


def test_help_lists_the_subcommands(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "network" in capsys.readouterr().out
