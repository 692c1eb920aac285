"""Scenario files: the bundled scenarios, the reference study's inputs, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cislink.cli import main
from cislink.scenarios import Scenario, ScenarioError, bundled, load, loads

REFERENCE = next(b.path for b in bundled() if b.name == "reference-2035")
REFERENCE_TEXT = REFERENCE.read_text()


def test_bundled_scenarios_load() -> None:
    names = {b.name for b in bundled()}
    assert {"reference-2035", "quick-demo"} <= names
    for b in bundled():
        assert isinstance(load(b.path), Scenario)


def test_reference_demands_match_study_table_8() -> None:
    s = load("reference-2035")
    demand = {st.name: st.annual_demand_kg() for st in s.stations}
    table8 = {
        "lunar_habitat": (3650, 668, 5200, 100),
        "gateway": (3650, 668, 5200, 500),
        "iss_replacement": (5110, 1277, 7280, 3629),
        "private_station": (2190, 547, 3120, 3629),
    }
    for name, (water, oxygen, food, prop) in table8.items():
        d = demand[name]
        assert d["water"] == pytest.approx(water, rel=0.002)
        assert d["oxygen"] == pytest.approx(oxygen, rel=0.002)
        assert d["food"] == pytest.approx(food, rel=0.002)
        assert d["propellant"] == pytest.approx(prop)
    servicing = {x.name: x.propellant_kg_per_year() for x in s.servicing}
    assert servicing == {"leo_servicer": pytest.approx(8250), "geo_servicer": pytest.approx(5250)}
    assert s.mars is not None
    assert (s.mars.interval_months, s.mars.duration_months, s.mars.crew) == (60, 36, 4)


def test_reference_vehicles_match_study_tables_2_3_4() -> None:
    s = load("reference-2035")
    tug = next(v for v in s.vehicles if v.role == "tug")
    lander = next(v for v in s.vehicles if v.role == "lander")
    assert (tug.empty_kg, tug.payload_kg, tug.propellant_kg, tug.isp_s) == (2165, 8000, 11587, 445)
    assert (lander.empty_kg, lander.payload_kg, lander.propellant_kg, lander.isp_s) == (3500, 7400, 11000, 450)
    fh = next(v for v in s.launch_vehicles if v.name == "falcon_heavy")
    assert (fh.payload_leo_kg, fh.payload_geo_kg, fh.payload_tli_kg, fh.volume_m3) == (63800, 26700, 17200, 200)
    assert s.infrastructure.depot is not None
    assert s.infrastructure.depot.mass_fraction == 0.25
    assert s.infrastructure.depot.max_storage_months == 6
    assert {st.resupply_interval_months for st in s.stations if st.node == "leo"} == {3}
    assert {st.resupply_interval_months for st in s.stations if st.node in ("lsp", "nrho")} == {6}


def test_every_price_cites_its_source() -> None:
    s = load("reference-2035")
    assert all(lv.price_source for lv in s.launch_vehicles)


# ---- bad input ---------------------------------------------------------------------------------------


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        loads(text, where="test.toml")
    return str(exc.value)


def _error_file(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "s.toml"
    path.write_bytes(data)
    with pytest.raises(ScenarioError) as exc:
        load(path)
    return str(exc.value)


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in _error_file(tmp_path, b"   \n")


def test_binary_or_non_utf8_file(tmp_path: Path) -> None:
    assert "not UTF-8" in _error_file(tmp_path, b'name = "x"\n\xff\xfe\x00garbage')
    assert "NUL" in _error_file(tmp_path, b'name = "x"\x00\n')


def test_toml_syntax_error_names_the_line() -> None:
    msg = _error('name = "x"\n[planner\nhorizon_months = 3\n')
    assert "TOML syntax error" in msg
    assert "line 2" in msg


def test_missing_required_section() -> None:
    text = REFERENCE_TEXT.replace("[planner]", "[planner_typo]")
    msg = _error(text)
    assert "planner: required but missing" in msg


def test_unknown_field_is_refused_and_allowed_fields_listed() -> None:
    msg = _error(REFERENCE_TEXT.replace("crew = 7", "crwe = 7"))
    assert "stations[2].crwe: unknown field 'crwe'; allowed fields:" in msg
    assert "crew" in msg
    assert "line 1" in msg  # a line number is given


def test_wrong_type() -> None:
    msg = _error(REFERENCE_TEXT.replace("crew = 7", 'crew = "seven"'))
    assert "stations[2].crew" in msg
    assert "integer" in msg


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("crew = 7", "crew = -7", "stations[2].crew"),
        ("empty_kg = 2_165", "empty_kg = 0", "vehicles[0].empty_kg"),
        ("price_usd = 97_000_000", "price_usd = -1", "launch_vehicles[1].price_usd"),
        ("disposal_isp_s = 320", "disposal_isp_s = 0", "infrastructure.depot.disposal_isp_s"),
    ],
)
def test_negative_or_zero_where_positive_needed(old: str, new: str, path: str) -> None:
    msg = _error(REFERENCE_TEXT.replace(old, new, 1))
    assert path in msg
    assert "greater than" in msg


@pytest.mark.parametrize("value", ["-1", "45"])
def test_a_burn_wait_outside_a_month_is_refused(value: str) -> None:
    msg = _error(REFERENCE_TEXT.replace("window_burn_wait_days = 15", f"window_burn_wait_days = {value}", 1))
    assert "planner.window_burn_wait_days" in msg
    assert "greater than or equal to 0" in msg or "less than or equal to 31" in msg


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_refused(value: str) -> None:
    msg = _error(REFERENCE_TEXT.replace("isp_s = 445", f"isp_s = {value}"))
    assert "vehicles[0].isp_s" in msg
    assert "finite" in msg


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("water_kg_per_year = 2_920", "water_kg_per_year = 1e308", "mars.water_kg_per_year"),
        ("price_usd = 97_000_000", "price_usd = 1e13", "launch_vehicles[1].price_usd"),
        ("crew = 7", "crew = 9_000_000_000", "stations[2].crew"),
    ],
)
def test_quantities_beyond_any_real_one_are_refused(old: str, new: str, path: str) -> None:
    """A finite but absurd figure once overflowed the planner's sums into a traceback."""
    msg = _error(REFERENCE_TEXT.replace(old, new, 1))
    assert path in msg
    assert "less than or equal to" in msg


def test_unknown_node_is_named_with_the_allowed_ones() -> None:
    msg = _error(REFERENCE_TEXT.replace('node = "nrho"', 'node = "nhro"'))
    assert "stations[1].node: unknown node 'nhro'; allowed: dro, earth, eml1" in msg


def test_unknown_vehicle_is_named() -> None:
    msg = _error(REFERENCE_TEXT.replace('vehicle = "tug"', 'vehicle = "tugg"'))
    assert "infrastructure.tug.vehicle: unknown vehicle 'tugg'; allowed: lander, mars_transfer_vehicle, tug" in msg


def test_duplicate_names() -> None:
    msg = _error(REFERENCE_TEXT.replace('name = "private_station"', 'name = "gateway"'))
    assert "stations: duplicate name(s) 'gateway'" in msg


@pytest.mark.parametrize(
    ("old", "new", "path", "named"),
    [
        ('allowed_nodes = ["leo", ', 'allowed_nodes = ["leo", "leo", ', "infrastructure.depot.allowed_nodes", "'leo'"),
        ('owns = ["depot", "tug"', 'owns = ["depot", "tug", "tug"', "policies[0].owns", "'tug'"),
    ],
)
def test_a_name_listed_twice_is_refused(old: str, new: str, path: str, named: str) -> None:
    # a depot site listed twice once passed, and the study then built the model's rows twice and found no plan
    msg = _error(REFERENCE_TEXT.replace(old, new, 1))
    assert f"{path}: names {named} more than once; allowed: each name once" in msg
    assert "line " in msg


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'allowed_nodes = ["leo", "geo", "llo", "nrho", "dro", "eml1", "eml2"]',
            'allowed_nodes = ["earth"]',
            "infrastructure.depot.allowed_nodes[0]: unknown depot site 'earth'; allowed: dro, eml1, eml2, geo, leo",
        ),
        (
            'allowed_nodes = ["leo", "geo", "llo", "nrho", "dro", "eml1", "eml2"]',
            "allowed_nodes = []",
            "infrastructure.depot.allowed_nodes: no site given; allowed: one or more of dro, eml1",
        ),
        (
            'node = "lsp"\nmax_rate_kg_per_year',
            'node = "leo"\nmax_rate_kg_per_year',
            "infrastructure.isru.node: unknown ISRU site (a surface of the Moon or Mars) 'leo'; allowed: lsp, mars",
        ),
    ],
)
def test_infrastructure_where_it_cannot_stand_is_refused(old: str, new: str, expected: str) -> None:
    text = REFERENCE_TEXT.replace(old, new, 1)
    assert text != REFERENCE_TEXT
    assert expected in _error(text)


def test_resupply_interval_longer_than_horizon() -> None:
    msg = _error(
        REFERENCE_TEXT.replace("horizon_months = 240", "horizon_months = 4").replace(
            "window_months = 24", "window_months = 4"
        )
    )
    assert "resupply_interval_months: 6 months is longer than the planner horizon (4 months)" in msg


def test_window_step_length_is_checked() -> None:
    msg = _error(REFERENCE_TEXT.replace("window_months = 24", "window_months = 24\nwindow_step_months = 0", 1))
    assert "planner.window_step_months" in msg
    assert "greater than or equal to 1" in msg


def test_station_no_vehicle_can_reach() -> None:
    # Without the lander nothing reaches the lunar surface.
    text = REFERENCE_TEXT.replace('nodes = ["lsp", "llo", "nrho"]', 'nodes = ["llo", "nrho"]')
    msg = _error(text)
    assert "stations[0].node: no launch vehicle or vehicle can reach 'lsp'" in msg


def test_cli_validate_exit_codes(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(REFERENCE)]) == 0
    assert capsys.readouterr().out.startswith("ok: reference-2035:")
    bad = tmp_path / "bad.toml"
    bad.write_text(REFERENCE_TEXT.replace("crew = 7", "crew = -1"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "stations[2].crew" in err
    assert "Traceback" not in err
    assert main(["validate", str(tmp_path / "missing.toml")]) == 2


def test_cli_scenarios_json(capsys) -> None:
    assert main(["scenarios", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {"name", "path", "description"} <= set(items[0])


def test_network_uses_scenario_arc_overrides(tmp_path: Path) -> None:
    from cislink.orbits import build_network

    text = (
        REFERENCE_TEXT
        + '\n[[arc_overrides]]\norigin = "leo"\ndestination = "geo"\ndv_m_s = 4300\nnote = "plane change"\n'
    )
    net = build_network(loads(text))
    assert net.arc("leo", "geo").dv_m_s == 4300
    assert net.arc("leo", "geo").source == "scenario override: plane change"


# ---- property: mutated files give a Scenario or a ScenarioError, nothing else ----------------------

LINES = REFERENCE_TEXT.splitlines()


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "dup", "value", "garble", "key"]))
        if op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            val = draw(st.sampled_from(["-1", "0", "nan", "inf", '"x"', "[]", "true", "1e308", "2035-13-01", "{}"]))
            lines[i] = f"{key}= {val}"
        elif op == "garble":
            pos = draw(st.integers(0, max(len(lines[i]), 1)))
            lines[i] = lines[i][:pos] + draw(st.text(max_size=3)) + lines[i][pos:]
        elif op == "key" and "=" in lines[i]:
            lines[i] = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True)) + " =" + lines[i].split("=", 1)[1]
        if not lines:
            break
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_reference_gives_scenario_or_scenario_error(text: str) -> None:
    try:
        result = loads(text, where="mutated.toml")
    except ScenarioError as exc:
        assert str(exc)
        assert "Traceback" not in str(exc)
    else:
        assert isinstance(result, Scenario)


def test_schema_doc_is_generated_from_the_models() -> None:
    from cislink.scenarios.docs import render

    committed = (Path(__file__).resolve().parents[1] / "scenarios" / "README.md").read_text()
    assert committed.strip() == render().strip(), "regenerate: python -m cislink.scenarios.docs > scenarios/README.md"


def test_cross_field_errors_carry_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(REFERENCE_TEXT.replace('node = "nrho"', 'node = "nhro"'))
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "nhro" in t)
    with pytest.raises(ScenarioError, match=rf"line {line}: stations\[1\]\.node: unknown node 'nhro'"):
        load(bad)


@pytest.mark.parametrize(
    ("kind", "target", "allowed"),
    [
        ("launch_failure", "falcon_10", "allowed: falcon_9, falcon_heavy, sls_block_2_cargo"),
        ("vehicle_loss", "tugg", "allowed: lander, mars_transfer_vehicle, tug (or one vehicle: TYPE-N"),
        ("depot_loss", "lsp", "allowed: dro, eml1, eml2, geo, leo, llo, nrho"),
        ("debris_event", "vleo", "allowed: leo, meo, geo"),
        ("relay_outage", "moon_relay", "allowed: "),
    ],
)
def test_a_disruption_whose_target_the_scenario_lacks_is_refused(kind: str, target: str, allowed: str) -> None:
    """Such a disruption was accepted and, in the run, never happened."""
    msg = _error(REFERENCE_TEXT + f'\n[[disruptions]]\nkind = "{kind}"\ntarget = "{target}"\nstart = 2035-03-01\n')
    assert f"disruptions[0].target: unknown target '{target}' for {kind}" in msg
    assert allowed in msg


@pytest.mark.parametrize(
    ("kind", "target"),
    [("vehicle_loss", "tug-2"), ("vehicle_loss", "lander"), ("isru_outage", "isru"), ("embargo", "spacex")],
)
def test_disruptions_with_targets_a_run_can_have_are_accepted(kind: str, target: str) -> None:
    text = REFERENCE_TEXT + f'\n[[disruptions]]\nkind = "{kind}"\ntarget = "{target}"\nstart = 2035-03-01\n'
    assert loads(text).disruptions[0].target == target


def test_the_debris_regimes_a_scenario_may_name_are_the_debris_model_s() -> None:
    from cislink.orbits.debris import DebrisModel
    from cislink.scenarios.nodes import DEBRIS_REGIMES

    assert sorted(DebrisModel().regimes) == sorted(DEBRIS_REGIMES)


def test_a_disruption_before_the_simulation_starts_is_refused() -> None:
    """It would have struck on the first day with its full duration."""
    text = REFERENCE_TEXT + '\n[[disruptions]]\nkind = "relay_outage"\ntarget = "geo_relay"\nstart = 2034-12-01\n'
    msg = _error(text)
    assert "disruptions[0].start: 2034-12-01 is before the simulation starts (2035-01-01)" in msg


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("isp_s = 445", "isp_s = 0.001", "vehicles[0].isp_s", "greater than or equal to 30"),
        ("boiloff_fraction_per_day = 0.0005", "boiloff_fraction_per_day = true", "boiloff_fraction_per_day",
         "must be a valid number"),
        ("boiloff_fraction_per_day = 0.0005", "boiloff_fraction_per_day = 1.0", "boiloff_fraction_per_day",
         "less than 1"),
    ],
)  # fmt: skip
def test_figures_the_planner_cannot_compute_with_are_refused(old: str, new: str, path: str, message: str) -> None:
    """An Isp of 0.001 s overflowed the rocket equation, and `true` (a boil-off of 1 a day) divided by zero."""
    assert old in REFERENCE_TEXT
    msg = _error(REFERENCE_TEXT.replace(old, new, 1))
    assert path in msg and message in msg
