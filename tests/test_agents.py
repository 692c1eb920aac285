"""The agents: runs balance their mass, disruptions act and are logged, runs are reproducible and resumable."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cislink.agents.agents import Customer, Leg, Shipment, Vehicle
from cislink.agents.disruptions import KINDS, Event, targets
from cislink.agents.model import CislinkModel
from cislink.agents.run import RunFolder, run
from cislink.errors import CislinkError
from cislink.orbits import build_network
from cislink.planner.inputs import Design, simulated_leg_days
from cislink.scenarios import load

DEMO = load("quick-demo")
NETWORK = build_network(DEMO)
#: a tug and a Gateway depot, so vehicles fly and a depot can be lost
DESIGN = Design(depots={"nrho": 5_000.0}, isru_kg_per_year=0.0, fleets={"tug": 1})


def demo_model(seed: int = 7, months: int = 2, **kw: object) -> CislinkModel:
    return CislinkModel(
        DEMO, "sovereign", seed, network=NETWORK, design=DESIGN, design_costs_usd={"ddte": 3e9}, months=months, **kw
    )


def test_run_meets_demand_and_balances_mass_every_day() -> None:
    m = demo_model(months=3, debug=True)  # debug: the ledger is checked every simulated day
    s = run(m, None)
    assert s["months"] == 3 and s["days"] == 90
    assert s["earth_launches"] > 0 and s["delivered_kg"] > 0 and s["consumed_kg"] > 0
    assert abs(s["mass_balance_error_kg"]) < 1e-6
    # totals agree with the ledger's own invariant
    total_in = m.ledger.total("initial", "launch", "production")
    total_out = m.ledger.total("consumption", "boiloff", "loss", "sale")
    assert total_in - total_out == pytest.approx(m.stock_kg + m.transit_kg, abs=1e-6)
    assert s["costs_usd"]["ddte"] == 3e9 and s["total_cost_usd"] > 3e9
    assert len(m.datacollector.get_model_vars_dataframe()) == 90
    # the investment, paid on day 0 for the horizon (12 months, 365 days), counts 90/365 of it when spread
    assert s["investment_usd"] == 3e9
    assert s["cost_spread_usd"] == pytest.approx(s["total_cost_usd"] - 3e9 * (1 - 90 / 365))


def test_customers_draw_daily_and_go_short_when_supply_stops() -> None:
    m = demo_model(months=1)
    m.inject("embargo", "spacex", 0)  # the only provider: no launches at all from day 0
    run(m, None)
    gateway = next(c for c in m.customers if c.name == "gateway")
    # it started with 6 months of supplies, so a month without launches costs it nothing
    assert gateway.days_short == 0 and gateway.used_kg > 0
    assert any(e["kind"] == "embargo" for e in m.events)
    assert m.summary()["earth_launches"] == 0


def test_same_seed_same_run_and_seed_matters_for_failures() -> None:
    a, b = run(demo_model(seed=3), None), run(demo_model(seed=3), None)
    a.pop("timing"), b.pop("timing")
    assert a == b


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "isru_outage"])
def test_every_disruption_kind_applies_and_raises_an_alarm(kind: str) -> None:
    m = demo_model(months=1, random_disruptions=False)
    m.step()  # month 0 planned and vehicles placed
    target = targets(m, kind)[0]
    m.inject(kind, target, 5)
    m.step()
    hit = [e for e in m.events if e["kind"] == kind and e["source"] == "injected"]
    assert hit and hit[0]["alarm"]
    assert hit[0]["target"] == target or hit[0]["target"].startswith(f"{target}-")
    assert abs(m.balance_error_kg) < 1e-6


def test_isru_outage_stops_production_for_its_days() -> None:
    ref = load("reference-2035")
    design = Design(depots={}, isru_kg_per_year=40_000.0, fleets={"lander": 1})
    m = CislinkModel(ref, "sovereign", 1, design=design, months=1, random_disruptions=False)
    for _ in range(3):
        m.step()
    made = m.ledger.total("production")
    assert made > 0  # the plan asks the plant for output
    m.inject("isru_outage", "lsp", 4)
    for _ in range(4):
        m.step()
    assert m.ledger.total("production") == made
    assert any(e["kind"] == "isru_outage" and e["alarm"] for e in m.events)
    m.step()
    assert m.ledger.total("production") > made


def test_depot_loss_loses_its_contents_and_the_planner_stops_using_it() -> None:
    m = demo_model(months=1, random_disruptions=False)
    m.step()
    m.depot("nrho").put("propellant", 1000.0)
    m.ledger.record(m.day, "initial", "nrho", "propellant", 1000.0, "test")
    before = m.ledger.total("loss")
    stock = m.depot("nrho").total_kg
    m.inject("depot_loss", "nrho")
    m.step()
    assert m.ledger.total("loss") - before == pytest.approx(stock, rel=1e-9)
    assert "nrho" not in m.design.depots and not m.depot("nrho").built
    assert abs(m.balance_error_kg) < 1e-6


def test_relay_outage_makes_arriving_vehicles_wait() -> None:
    m = demo_model(months=3, random_disruptions=False)
    m.inject("relay_outage", "gateway_relay", 95)
    run(m, None)
    assert m.latency_ms("nrho") == math.inf
    assert m.latency_ms("leo") < 100  # ground stations
    arrivals = [f for f in m.ledger.detail if f.startswith("tug")]
    if any(v.flight and v.flight.leg.destination == "nrho" for v in m.vehicles) or m.dock_wait_days:
        assert m.dock_wait_days > 0
    assert arrivals  # the tug flew


def test_bad_disruption_names_what_is_allowed() -> None:
    m = demo_model(months=1)
    with pytest.raises(CislinkError, match="allowed: launch_failure"):
        m.inject("meteor", "leo")
    with pytest.raises(CislinkError, match=r"allowed: .*gateway_relay"):
        m.inject("relay_outage", "nowhere")
    with pytest.raises(CislinkError, match="duration"):
        m.inject("debris_event", "leo", -1)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(0, 55), st.integers(0, 20), st.integers(0, 5)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 10_000),
)
def test_ledger_balances_under_random_disruptions(events: list[tuple[str, int, int, int]], seed: int) -> None:
    m = demo_model(seed=seed, months=2, debug=True)
    start = m.start_date
    for kind, day, duration, pick in events:
        options = targets(m, kind)
        if options:
            m.inject(kind, options[pick % len(options)], duration, start + dt.timedelta(days=day))
    s = run(m, None)  # debug: raises if the ledger is off on any day
    assert abs(s["mass_balance_error_kg"]) < 1e-6
    assert s["lost_kg"] >= 0 and s["shortfall_kg"] >= 0


def test_resume_from_a_checkpoint_gives_the_uninterrupted_result(tmp_path) -> None:
    whole = RunFolder(tmp_path / "whole")
    m = demo_model(seed=11, months=3)
    whole.start(m)
    a = run(m, whole)
    part = RunFolder(tmp_path / "part")
    m2 = demo_model(seed=11, months=3)
    part.start(m2)
    run(m2, part, months=1)
    # simulate a crash after month 2's parts were written but before its checkpoint
    resumed = part.load()
    assert resumed.month == 0 and resumed.month_complete
    b = run(resumed, part)
    a.pop("timing"), b.pop("timing")
    assert a == b
    assert json.loads((tmp_path / "whole" / "summary.json").read_text()) == json.loads(
        (tmp_path / "part" / "summary.json").read_text()
    )
    import pandas as pd

    for table in ("ledger", "inventories", "launches", "vehicles"):
        x = pd.read_parquet(tmp_path / "whole" / f"{table}.parquet")
        y = pd.read_parquet(tmp_path / "part" / f"{table}.parquet")
        pd.testing.assert_frame_equal(x, y)


def test_a_model_from_an_earlier_versions_checkpoint_counts_its_designs_investment() -> None:
    m = demo_model(months=1)
    m.step()
    del m.__dict__["invested_usd"]  # what a checkpoint of a version without the figure unpickles to
    assert m.investment_usd == 3e9
    m._invest("ddte", 1e9)  # a policy switch that builds another programme
    assert m.investment_usd == 4e9 and m.cost_terms()["ddte"] == 4e9


def _station_with_days_left(days: float) -> tuple[CislinkModel, Customer]:
    """The demo's first station after a day, holding ``days`` of each supply and nothing on its way."""
    m = demo_model(months=1)
    m.step()
    cu = next(c for c in m.customers if c.kind == "station")
    m.legs.clear()
    m.shipments = [s for s in m.shipments if s.node != cu.node]
    for p in m.launch_providers:
        p.queue.clear()
    for v in m.vehicles:
        v.flight = None
    depot = m.depot(cu.node)
    for c, use in m.node_use(cu.node).items():
        depot.stock[c] = use * days
    cu.low = False
    return m, cu


def _ship(m: CislinkModel, cu: Customer, in_days: int, days_of_use: float) -> None:
    """A launch payload on its way to the station: ``days_of_use`` of each supply, ``in_days`` from today."""
    payload = {c: kg * days_of_use for c, kg in m.node_use(cu.node).items()}
    m.shipments.append(Shipment(m.day + in_days, cu.node, payload, "test"))


def _supply_events(m: CislinkModel) -> list[tuple[str, bool]]:
    return [(e["kind"], e["alarm"]) for e in m.events if e["kind"].startswith("low_supply")]


def test_low_supply_with_supply_on_its_way_in_time_is_noted_not_alarmed() -> None:
    m, cu = _station_with_days_left(10)
    _ship(m, cu, in_days=5, days_of_use=90)
    cu.step()
    assert _supply_events(m) == [("low_supply_covered", False)]
    assert "on its way, the first on" in m.events[-1]["detail"]


def test_low_supply_alarms_when_what_is_coming_arrives_too_late_or_too_little() -> None:
    m, cu = _station_with_days_left(10)
    _ship(m, cu, in_days=20, days_of_use=90)  # after the 10 days run out
    cu.step()
    assert _supply_events(m) == [("low_supply", True)]
    m, cu = _station_with_days_left(10)
    _ship(m, cu, in_days=2, days_of_use=5)  # in time, but short of the 30-day limit
    cu.step()
    assert _supply_events(m) == [("low_supply", True)]


def test_low_supply_covered_turns_into_an_alarm_when_the_covering_supply_is_gone() -> None:
    m, cu = _station_with_days_left(10)
    _ship(m, cu, in_days=5, days_of_use=90)
    cu.step()
    m.shipments = [s for s in m.shipments if s.source != "test"]  # say its vehicle was lost
    cu.step()
    cu.step()
    assert _supply_events(m) == [("low_supply_covered", False), ("low_supply", True)]


def test_a_vehicle_waiting_to_dock_is_not_counted_as_arriving_today() -> None:
    from cislink.agents.agents import Flight

    m, cu = _station_with_days_left(0.5)
    tug = m.vehicles[0]
    payload = {c: kg * 90 for c, kg in m.node_use(cu.node).items()}
    tug.node = ""  # due yesterday, still waiting for relay cover to dock
    tug.flight = Flight(Leg("tug", "nrho", cu.node, payload), m.day - 6, m.day - 1, payload, {}, 0.0, 99)
    cu.step()
    assert _supply_events(m) == [("low_supply", True)]  # runs out before it can dock tomorrow
    m, cu = _station_with_days_left(3)
    tug = m.vehicles[0]
    tug.node = ""
    tug.flight = Flight(Leg("tug", "nrho", cu.node, payload), m.day - 6, m.day - 1, payload, {}, 0.0, 99)
    cu.step()
    assert _supply_events(m) == [("low_supply_covered", False)]
    assert f"the first on {(m.date + dt.timedelta(days=1)).isoformat()}" in m.events[-1]["detail"]


def _plan_round_trip(m: CislinkModel, cu: Customer, back_in_days: float, days_of_use: float) -> Leg:
    """The month's plan: the tug out to NRHO and back with ``days_of_use`` of each supply, walked to arrive in time."""
    payload = {c: kg * days_of_use for c, kg in m.node_use(cu.node).items()}
    out = Leg("tug", cu.node, "nrho", {}, due_day=m.day + back_in_days - 6)
    back = Leg("tug", "nrho", cu.node, payload, due_day=m.day + back_in_days)
    m.legs[:] = [out, back]
    return back


def test_low_supply_that_the_months_plan_restores_in_time_is_noted_not_alarmed() -> None:
    m, cu = _station_with_days_left(16)
    _plan_round_trip(m, cu, back_in_days=12, days_of_use=90)
    cu.step()
    assert _supply_events(m) == [("low_supply_planned", False)]
    assert "not yet under way, the first due about" in m.events[-1]["detail"]
    m, cu = _station_with_days_left(12)
    _plan_round_trip(m, cu, back_in_days=12, days_of_use=90)  # as the 12 days run out
    cu.step()
    assert _supply_events(m) == [("low_supply", True)]


def test_a_planned_resupply_that_does_not_leave_turns_into_an_alarm_while_a_launch_could_still_help() -> None:
    m, cu = _station_with_days_left(20)
    _plan_round_trip(m, cu, back_in_days=12, days_of_use=90)  # out by day 6, back on day 12: if it leaves
    start = m.day
    cu.step()
    while cu.low is not True and m.day < start + 20:  # the tug never leaves: its return is expected later each day
        m.day += 1
        cu.step()
    assert _supply_events(m) == [("low_supply_planned", False), ("low_supply", True)]
    assert m.day > start + 1 and cu.days_short == 0
    # raised while what is left still outlasts the tug's out-and-back flights: there is time to act
    assert cu.days_of_supply() >= 2 * math.ceil(m.network.arc(cu.node, "nrho").tof_days) > m.reach_days(cu.node)


def test_a_planned_resupply_whose_vehicle_is_lost_turns_into_an_alarm() -> None:
    m, cu = _station_with_days_left(16)
    _plan_round_trip(m, cu, back_in_days=12, days_of_use=90)
    cu.step()
    for v in m.vehicles:
        v.lost = True
    cu.step()
    assert _supply_events(m) == [("low_supply_planned", False), ("low_supply", True)]


def test_a_run_folder_refuses_to_be_overwritten(tmp_path) -> None:
    f = RunFolder(tmp_path / "r")
    f.start(demo_model(months=1))
    with pytest.raises(CislinkError, match="already holds a run"):
        RunFolder(tmp_path / "r").start(demo_model(months=1))
    with pytest.raises(CislinkError, match="no run to resume"):
        RunFolder(tmp_path / "empty").load()


def test_a_vehicle_left_away_from_home_is_refuelled_and_flies_home() -> None:
    m = demo_model(months=2, random_disruptions=False)
    while not m.month_complete or m.month < 0:
        m.step()
    tug = m.vehicles[0]
    assert tug.flight is None, "the tug should be idle at the month end of this seed"
    tug.node = "geo"  # left at GEO: the planner's trips start at home (leo)
    need = m.refuel_needs_kg()
    assert need and all(node == "geo" for node, _ in need)
    assert m.window_state().refuel_kg == need
    m.step()  # month 1 re-plan from geo
    assert tug.return_first
    while not m.month_complete:
        m.step()
    homes = [r for r in m.vehicle_rows if r[1] == tug.name and r[4] == "leo" and r[0] >= 31]
    assert homes, "the stranded tug never got home"
    assert abs(m.balance_error_kg) < 1e-6


def test_cargo_and_burn_share_one_stock() -> None:
    m = demo_model(months=1)
    m.step()
    tug = m.vehicles[0]
    c = next(iter(tug.mixture))
    stock = {x: 1_000.0 for x in tug.mixture}
    k = 0.5
    share = tug._cargo_share(stock, {c: 1_000.0}, k)
    # s * 1000 + k * (empty + s * 1000) * f_c <= 1000 for the commodity carried, the others leave more room
    f = tug.mixture[c]
    expected = (1_000.0 - k * tug.empty_kg * f) / (1_000.0 + k * 1_000.0 * f)
    assert share == pytest.approx(max(0.0, min(1.0, expected)))
    assert tug._cargo_share({x: 0.0 for x in tug.mixture}, {}, k) == 0.0


def test_propellant_held_for_a_mars_departure_does_not_boil_off() -> None:
    m = demo_model(months=1, random_disruptions=False)
    m.step()
    depot = m.depot("nrho")
    cryo = next(c for c, r in m.boiloff.items() if r > 0)
    depot.put(cryo, 2_000.0)
    m.ledger.record(m.day, "launch", "nrho", cryo, 2_000.0, "test")
    before = depot.stock[cryo]
    m.pending_events.append(Event("mars_departure", "nrho", m.day + 5, 0.0, "plan", payload={cryo: before}))
    depot.step()
    assert depot.stock[cryo] == pytest.approx(before)
    m.pending_events.clear()
    depot.step()
    assert depot.stock[cryo] < before


def test_a_lost_vehicle_is_replaced_after_the_lead_time() -> None:
    sim = DEMO.simulation.model_copy(update={"vehicle_replacement_days": 10.0})
    scenario = DEMO.model_copy(update={"simulation": sim})
    m = CislinkModel(scenario, "sovereign", 7, network=NETWORK, design=DESIGN, months=2, random_disruptions=False)
    m.step()
    m.inject("vehicle_loss", "tug-1")
    m.step()
    assert m.design.fleets["tug"] == 0
    cost = m.total_cost_usd
    while not m.month_complete or m.month < 1:
        m.step()
    kinds = [e["kind"] for e in m.events]
    assert "vehicle_replacement" in kinds
    assert m.design.fleets["tug"] == 1 and m.total_cost_usd > cost
    assert m.investment_usd == 0.0  # a replacement is a cost of the run that lost the vehicle, not spread
    assert [v.name for v in m.vehicles if not v.lost] == ["tug-2"]  # placed at the next month start
    assert abs(m.balance_error_kg) < 1e-6


def test_a_vehicle_does_not_fly_where_it_would_be_stranded() -> None:
    # without a trans-lunar launch only the tug brings propellant to the Gateway's orbit: a tug that
    # cannot carry the propellant for its way back stays at home, one that can arrives with it on board
    from cislink.agents.agents import Leg

    lvs = [lv.model_copy(update={"payload_tli_kg": 0.0}) for lv in DEMO.launch_vehicles]
    scenario = DEMO.model_copy(update={"launch_vehicles": lvs})
    m = CislinkModel(
        scenario, "sovereign", 7, network=NETWORK, design=Design(fleets={"tug": 1}), months=1, random_disruptions=False
    )
    m.step()
    tug = m.vehicles[0]
    tug.flight, tug.node, tug.reserve_kg = None, "leo", {}
    m.legs.clear()
    leo = m.depot("leo")
    for c, kg in list(leo.stock.items()):
        m.ledger.record(m.day, "loss", "leo", c, leo.take(c, kg), "test")

    def stock(c: str, kg: float) -> None:
        leo.put(c, kg)
        m.ledger.record(m.day, "launch", "leo", c, kg, "test")

    (fuel,) = tug.mixture
    k = math.expm1(NETWORK.arc("leo", "nrho").dv_total_m_s / tug.ve_m_s)
    back = m.return_propellant_kg(tug, "nrho")[fuel]
    stock("food", 1_000.0)
    stock(fuel, 1.01 * k * (tug.empty_kg + 1_000.0))  # enough to go, not to come back
    m.legs.append(Leg("tug", "leo", "nrho", {"food": 1_000.0}))
    tug._depart()
    assert tug.flight is None and tug.node == "leo"
    stock(fuel, 1.01 * back * (1 + k))
    tug._depart()
    assert tug.flight is not None
    assert tug.flight.cargo_kg[fuel] >= back - 1e-6
    tug.model.day = tug.flight.arrive_day
    tug._fly()
    assert tug.node == "nrho" and tug.reserve_kg[fuel] >= back - 1e-6
    assert abs(m.balance_error_kg) < 1e-6


def test_vehicles_fly_their_legs_as_often_as_plans_count_them() -> None:
    # a re-plan counts each leg's vehicle time as the day-by-day simulation flies it; a lander's
    # hop between the lunar surface and LLO (about an hour) takes it two days, not one
    ref = load("reference-2035")
    design = Design(depots={}, isru_kg_per_year=678_617.0, fleets={"tug": 1, "lander": 1})
    m = CislinkModel(ref, "sovereign", 2035, design=design, months=1, random_disruptions=False)
    run(m, None)
    specs = {v.name: v for v in ref.vehicles}
    first_day: dict[tuple[str, int], tuple[int, str, str, str]] = {}
    for day, name, kind, _, _, origin, destination, *_, leg_id in m.vehicle_rows:
        if leg_id:
            first_day.setdefault((name, leg_id), (day, kind, origin, destination))
    gaps = []
    for (name, _), (day, kind, origin, destination) in sorted(first_day.items(), key=lambda kv: kv[1][0]):
        later = [d for (n, _), (d, *_) in first_day.items() if n == name and d > day]
        if later:
            need = simulated_leg_days(m.network.arc(origin, destination).tof_days, specs[kind].turnaround_days)
            gaps.append((kind, min(later) - day, need))
    assert gaps and all(gap >= need for _, gap, need in gaps)
    assert ("lander", 2, 2) in gaps  # back to back: the plan's count is the simulation's pace


def test_a_tugs_way_home_is_planned_with_what_boils_off_while_it_waits() -> None:
    # seed 2035, February 2035: the tug leaves propellant for its way home at EML2 on the 8th, flies
    # on to lunar orbit and back, and on the 20th 1,898 kg remain of it: 4.9 kg short of the hop to
    # LEO, boiled off in the eleven days it waited. Planned as the study's monthly balances (nothing
    # bought and burned within a month boils off), the leg is dropped and the tug stranded for a
    # month; a re-plan that lets the propellant wait 15 days puts there what boils off meanwhile
    def stranded(wait_days: float) -> list[str]:
        ref = load("reference-2035")
        planner = ref.planner.model_copy(update={"window_burn_wait_days": wait_days})
        m = CislinkModel(ref.model_copy(update={"planner": planner}), "sovereign", 2035, months=2)
        run(m, None)
        return [e["detail"] for e in m.events if e["kind"] == "leg_dropped"]

    assert any("too little propellant at eml2" in d for d in stranded(0.0))
    assert not any("too little propellant" in d for d in stranded(15.0))


def _idle_tug_at(node: str, months: int = 1) -> tuple[CislinkModel, Vehicle]:
    """A demo model on its first day with the tug idle at ``node``, no legs and nothing queued or stocked there."""
    m = CislinkModel(DEMO, "sovereign", 7, network=NETWORK, design=DESIGN, months=months, random_disruptions=False)
    m.step()
    tug = m.vehicles[0]
    tug.flight, tug.node, tug.reserve_kg, tug.ready_day = None, node, {}, 0
    m.legs.clear()
    for s in m.shipments:
        for c, kg in s.payload_kg.items():
            m.ledger.record(m.day, "loss", s.node, c, kg, "test")
    m.shipments.clear()
    for p in m.launch_providers:
        p.queue.clear()
    depot = m.depot(node)
    for c, kg in list(depot.stock.items()):
        m.ledger.record(m.day, "loss", node, c, depot.take(c, kg), "test")
    return m, tug


def _stock(m: CislinkModel, node: str, commodity: str, kg: float) -> None:
    m.depot(node).put(commodity, kg)
    m.ledger.record(m.day, "launch", node, commodity, kg, "test")


def test_a_vehicle_carries_its_own_propellant_in_its_tanks_as_plans_count_it() -> None:
    # the planner lets propellant of the vehicle's own type ride in the tanks' room beside the payload
    # (eqs 20-22); the vehicle flying the leg must lift the same, and no more dry cargo than its payload
    from cislink.agents.agents import Leg

    m, tug = _idle_tug_at("nrho")
    (fuel,) = tug.mixture
    k = math.expm1(NETWORK.arc("nrho", "geo").dv_total_m_s / tug.ve_m_s)
    limit = (tug.payload_max_kg + tug.tank_kg - k * tug.empty_kg) / (1 + k)
    assert limit > tug.payload_max_kg + 4_000  # this arc leaves the tanks room for more than the payload
    _stock(m, "nrho", fuel, 60_000.0)
    _stock(m, "nrho", "food", 20_000.0)
    m.legs.append(Leg("tug", "nrho", "geo", {fuel: limit - 1_000.0, "food": 1_000.0}))
    tug._depart()
    assert tug.flight is not None
    assert tug.flight.cargo_kg[fuel] == pytest.approx(limit - 1_000.0)
    assert tug.flight.cargo_kg["food"] == pytest.approx(1_000.0)

    m, tug = _idle_tug_at("nrho")
    _stock(m, "nrho", fuel, 60_000.0)
    _stock(m, "nrho", "food", 20_000.0)
    m.legs.append(Leg("tug", "nrho", "geo", {"food": 12_000.0}))
    tug._depart()
    assert tug.flight is not None
    assert tug.flight.cargo_kg["food"] == pytest.approx(tug.payload_max_kg)  # dry cargo: the payload only
    assert abs(m.balance_error_kg) < 1e-6


def test_a_vehicle_leaves_the_way_home_it_kept_here_when_it_flies_elsewhere_first() -> None:
    # a tug arriving away from home keeps the next hop home's propellant in its tanks; when its tour
    # first goes on elsewhere, what that leg does not use stays at the node, where the plan draws it
    # for the way home later. Carried along, 0.5 t of EML2 propellant once rode to lunar orbit and
    # was unloaded there, and the tug came back to EML2 5 kg short of its way home.
    from cislink.agents.agents import Leg

    m, tug = _idle_tug_at("nrho")
    (fuel,) = tug.mixture
    kept = 3_000.0
    tug.reserve_kg = {fuel: kept}
    m.ledger.record(m.day, "launch", "nrho", fuel, kept, "test")  # the tanks' propellant came from somewhere
    m.ledger.record(m.day, "transfer", "nrho", fuel, kept, "test")
    _stock(m, "nrho", "food", 1_000.0)
    _stock(m, "llo", fuel, 20_000.0)  # its way home from there is there already
    m.legs.append(Leg("tug", "nrho", "llo", {"food": 1_000.0}))
    tug._depart()
    assert tug.flight is not None and set(tug.flight.cargo_kg) == {"food"}
    used = sum(k for k, kind, d in zip(m.ledger.kg, m.ledger.kind, m.ledger.detail, strict=True)
               if kind == "consumption" and d == f"{tug.name} burn")  # fmt: skip
    riding = tug.flight.propellant_kg.get(fuel, 0.0)
    assert used > 0 and riding < 0.05 * used  # only the margin for avoidance burns rides along
    assert m.depot("nrho").stock[fuel] == pytest.approx(kept - used - riding)
    assert tug.reserve_kg == {}
    assert abs(m.balance_error_kg) < 1e-6


def test_a_leg_waits_for_missing_cargo_only_while_more_is_due() -> None:
    # a leg short of its cargo waits for what is still to come this month (a launch, a vehicle, the
    # plant); with nothing due, waiting cannot help, and the vehicle leaves at once with what there is
    from cislink.agents.agents import Leg

    for due in (False, True):
        m, tug = _idle_tug_at("leo")
        (fuel,) = tug.mixture
        _stock(m, "leo", fuel, 30_000.0)
        _stock(m, "leo", "food", 900.0)
        m.legs.append(Leg("tug", "leo", "geo", {"food": 1_000.0}))
        if due:
            provider = m.launch_providers[0]
            provider.queue.append((m.day + 3, "leo", {"food": 500.0}))
        assert m.day_of_month < 20
        tug._depart()
        if due:
            assert tug.flight is None and tug.node == "leo", "the launch due in 3 days brings the rest"
        else:
            assert tug.flight is not None and tug.flight.cargo_kg["food"] == pytest.approx(900.0)
        assert abs(m.balance_error_kg) < 1e-6


def test_a_vehicle_away_from_home_leaves_the_window_fewer_days_for_its_tour() -> None:
    # the re-plan is told how many of the month's days the fleet spends getting home first
    m, tug = _idle_tug_at("leo")
    m.month_start_day = m.day  # as on the month's first day
    assert m.busy_days() == {}
    tug.node = "geo"
    path = m.home_path("tug", "geo")
    days = sum(simulated_leg_days(NETWORK.arc(a, b).tof_days, tug.turnaround_days) for a, b in itertools.pairwise(path))
    assert path[-1] == "leo" and days >= 1
    assert m.busy_days() == {"tug": days}
    assert m.window_state().busy_days == {"tug": days}
    # a re-plan later in the month: the days gone are spent as well
    m.month_start_day = m.day - 5
    assert m.busy_days() == {"tug": days + 5}


def test_a_vehicle_carries_its_way_home_where_no_propellant_is_coming() -> None:
    # GEO can be refuelled by launch, but only a launch this month helps the month's tour: without
    # one due (or stock there), the tug takes its first hop home along instead of sitting at GEO
    from cislink.agents.agents import Leg

    for due in (False, True):
        m, tug = _idle_tug_at("nrho")
        (fuel,) = tug.mixture
        _stock(m, "nrho", fuel, 30_000.0)
        _stock(m, "nrho", "food", 2_000.0)
        m.legs.append(Leg("tug", "nrho", "geo", {"food": 2_000.0}))
        if due:
            m.launch_providers[0].queue.append((m.day + 3, "geo", {fuel: 5_000.0}))
        back = m.return_propellant_kg(tug, "geo")[fuel]
        assert back > 0 and m.home_path("tug", "geo")[-1] == "leo"
        tug._depart()
        assert tug.flight is not None
        assert tug.flight.cargo_kg.get(fuel, 0.0) == pytest.approx(0.0 if due else back)
        assert abs(m.balance_error_kg) < 1e-6


def test_a_vehicle_carries_only_the_part_of_its_way_home_not_stocked_there() -> None:
    # the stock at the destination and the leg's own propellant cargo count towards the way home:
    # carrying all of it again spends the origin's propellant on the legs after this one
    from cislink.agents.agents import Leg

    m, tug = _idle_tug_at("nrho")
    (fuel,) = tug.mixture
    back = m.return_propellant_kg(tug, "geo")[fuel]
    for cargo_fuel in (0.0, 0.8 * back):
        m, tug = _idle_tug_at("nrho")
        _stock(m, "nrho", fuel, 30_000.0)
        _stock(m, "nrho", "food", 2_000.0)
        _stock(m, "geo", fuel, 0.4 * back)
        m.legs.append(Leg("tug", "nrho", "geo", {"food": 2_000.0, fuel: cargo_fuel}))
        tug._depart()
        assert tug.flight is not None
        assert tug.flight.cargo_kg.get(fuel, 0.0) == pytest.approx(max(0.6 * back, cargo_fuel))
        assert abs(m.balance_error_kg) < 1e-6


def test_launches_go_up_first_where_the_vehicles_tours_start() -> None:
    # a tug whose tour starts at LEO waits for that month's LEO launch; a launch to a node no leg
    # leaves from (a station's) can come later in the month
    from dataclasses import replace

    import pandas as pd

    m, tug = _idle_tug_at("leo")
    month = m.month
    (fuel,) = tug.mixture
    m.plan = replace(
        m.plan,
        launches=pd.DataFrame(
            [
                {"month": month, "launch_vehicle": "falcon_heavy", "node": "geo", "count": 1.0},
                {"month": month, "launch_vehicle": "falcon_9", "node": "leo", "count": 1.0},
            ]
        ),
        launched=pd.DataFrame(
            [
                {"month": month, "node": "geo", "commodity": "food", "kg": 3_000.0},
                {"month": month, "node": "leo", "commodity": fuel, "kg": 15_000.0},
            ]
        ),
        trips=pd.DataFrame(
            [
                {"month": month, "vehicle": "tug", "origin": o, "destination": d, "trips": 1.0}
                for o, d in (("leo", "nrho"), ("nrho", "leo"))
            ]
        ),
        flows=pd.DataFrame(columns=["month", "vehicle", "origin", "destination", "commodity", "kg"]),
        mars=m.plan.mars.iloc[0:0],
        isru=m.plan.isru.iloc[0:0],
    )
    m.plan_month = month
    m._schedule(0)
    queued = {node: day for p in m.launch_providers for day, node, _ in p.queue}
    assert set(queued) == {"geo", "leo"}
    assert queued["leo"] == m.day < queued["geo"]


@pytest.mark.parametrize("reflight_days", [0.0, 5.0, 40.0])
def test_a_failed_launch_flies_again_within_the_month(reflight_days: float) -> None:
    # the payload of a failed launch goes up again reflight_days later if that is still this month;
    # otherwise (or with 0) it is left to the next month's re-plan
    sim = DEMO.simulation.model_copy(update={"reflight_days": reflight_days})
    scenario = DEMO.model_copy(update={"simulation": sim})
    m = CislinkModel(scenario, "sovereign", 7, network=NETWORK, design=DESIGN, months=1, random_disruptions=False)
    m.step()
    provider = m.launch_providers[0]
    day, node, payload = m.day + 1, "leo", {"food": 1_000.0}
    provider.queue = [(day, node, payload)]  # the launch that fails is this one
    provider.forced_failures = 1
    while m.day <= day:
        m.step()
    assert provider.failures == 1
    again = [q for q in provider.queue if q[1:] == (node, payload)]
    if reflight_days == 5.0:
        assert again and again[0][0] == day + 5
        while m.day <= day + 5:
            m.step()
        flown = [r for r in m.launch_rows if r[0] == day + 5 and r[3] == node]
        assert flown and flown[0][-2] == "launched" and flown[0][4] == pytest.approx(sum(payload.values()))
        assert any(e["kind"] == "launch_reflight" for e in m.events)
    else:
        assert not again
    assert abs(m.balance_error_kg) < 1e-6


def test_a_failed_launch_named_in_replan_on_is_planned_again_not_re_flown() -> None:
    # with launch_failure in replan_on (as in reference-2035), the rest of the month is planned again
    # from the state the failure left, the next day; the payload is not re-flown blind
    sim = DEMO.simulation.model_copy(update={"reflight_days": 5.0, "replan_on": ["launch_failure"]})
    scenario = DEMO.model_copy(update={"simulation": sim})
    m = CislinkModel(scenario, "sovereign", 7, network=NETWORK, design=DESIGN, months=1, random_disruptions=False)
    m.step()
    provider = m.launch_providers[0]
    day, node, payload = m.day + 1, "leo", {"food": 1_000.0}
    provider.queue = [(day, node, payload)]
    provider.forced_failures = 1
    while m.day <= day + 1:
        m.step()
    assert provider.failures == 1
    kinds = [e["kind"] for e in m.events]
    assert "launch_reflight" not in kinds
    replans = [e for e in m.events if e["kind"] == "replan"]
    assert replans and "launch_failure" in replans[0]["detail"]
    again = [r for r in m.plan_rows if r.get("trigger", "month start") != "month start"]
    assert again and "launch_failure" in again[0]["trigger"]
    assert abs(m.balance_error_kg) < 1e-6


def test_a_sized_design_is_shared_by_runs_that_differ_only_in_how_they_run() -> None:
    # the design comes from the study, which reads neither the simulation settings nor the re-plans'
    from cislink.agents.policy import _cache_path

    sim = DEMO.simulation.model_copy(update={"reflight_days": 9.0, "seed": 3, "months": 5})
    planner = DEMO.planner.model_copy(update={"window_months": 6})
    same = DEMO.model_copy(update={"simulation": sim, "planner": planner})
    assert _cache_path(same, "all") == _cache_path(DEMO, "all")
    other = DEMO.model_copy(update={"planner": DEMO.planner.model_copy(update={"horizon_months": 7})})
    assert _cache_path(other, "all") != _cache_path(DEMO, "all")


def test_the_reference_scenario_ships_a_sized_design_for_every_policy() -> None:
    # the first console or run on the reference scenario starts at once, with the same design on
    # every machine; a design sized with other code or another scenario text is not used
    from cislink.agents.policy import bundled_design_path, case_for, policy_def

    ref = load("reference-2035")
    for policy in ref.policies:
        case = case_for(policy_def(ref, policy.name))
        path = bundled_design_path(ref, case)
        assert path.exists(), f"no design for {policy.name} ({case}): run python bench/designs.py --write"
        data = json.loads(path.read_text())
        assert data["case"] == case and data["scenario"] == "reference-2035"
        assert data["study"]["status"] != "interrupted"
        allowed = ref.infrastructure.depot.allowed_nodes
        assert set(data["depots"]) <= set(allowed) and all(q > 0 for q in data["depots"].values())
        assert 0 <= data["isru_kg_per_year"] <= ref.infrastructure.isru.max_rate_kg_per_year
        vehicles = {v.name for v in ref.vehicles}
        assert set(data["fleets"]) <= vehicles
        assert 0 <= data["fleets"].get("tug", 0) <= ref.infrastructure.tug.max_fleet


def test_a_shipped_design_is_used_without_a_study_and_an_edited_scenario_is_sized(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    import cislink.planner.study as study
    from cislink.agents.policy import bundled_design_path, design_for_policy, policy_def
    from cislink.scenarios.schema import Disruption

    monkeypatch.setenv("CISLINK_CACHE_DIR", str(tmp_path))
    ref = load("reference-2035")
    network = build_network(ref)

    class SizedError(Exception):
        pass

    def no_study(*_a: object, **_k: object) -> None:
        raise SizedError

    monkeypatch.setattr(study, "run_study", no_study)
    design, costs = design_for_policy(ref, network, policy_def(ref, "sovereign"))
    shipped = json.loads(bundled_design_path(ref, "all").read_text())
    assert design.to_dict() == {k: shipped[k] for k in ("depots", "isru_kg_per_year", "fleets")}
    assert costs == shipped["costs_usd"] and costs["ddte"] > 0
    assert not (tmp_path / "designs").exists()  # nothing sized, nothing cached
    # scripted disruptions (a wargame's --disruptions file) and their rates do not change the design
    rates = ref.disruption_rates.model_copy(update={"depot_loss_per_year": 0.5})
    embargo = Disruption(kind="embargo", target="spacex", start=dt.date(2036, 1, 1), duration_days=30)
    disrupted = ref.model_copy(update={"disruptions": [*ref.disruptions, embargo], "disruption_rates": rates})
    assert design_for_policy(disrupted, network, policy_def(disrupted, "sovereign"))[0] == design
    planner = ref.planner.model_copy(update={"mip_gap": 0.02})
    dearer = ref.model_copy(update={"planner": planner})
    with pytest.raises(SizedError):
        design_for_policy(dearer, network, policy_def(dearer, "sovereign"))


def _leo_nrho_geo_tour(fuel: str) -> list[Leg]:
    """A tug's month from LEO: a load of propellant to NRHO and back, food to GEO and 30 t back."""
    return [
        Leg("tug", "leo", "nrho", {fuel: 8_000.0}),
        Leg("tug", "nrho", "leo", {}),
        Leg("tug", "leo", "geo", {"food": 100.0}),
        Leg("tug", "geo", "leo", {fuel: 30_000.0}),
    ]


def test_a_tour_flies_first_the_leg_whose_load_is_there() -> None:
    # the plan says how many legs, not in which order; where the stock at the vehicle's node cannot
    # load the circuit's next leg yet, a leg that can go (and brings propellant back) goes first

    m, tug = _idle_tug_at("leo")
    (fuel,) = tug.mixture
    legs = _leo_nrho_geo_tour(fuel)
    plenty = {("leo", fuel): 80_000.0, ("leo", "food"): 500.0, ("geo", fuel): 60_000.0}
    circuit = m._tour_order(list(legs))
    assert m._tour_order(list(legs), plenty) == circuit  # all loads there: the circuit's order
    no_fuel = {**plenty, ("leo", fuel): 12_000.0}  # leo -> nrho cannot load its 8 t and burn
    no_food = {**plenty, ("leo", "food"): 0.0}
    for on_hand, first in ((no_fuel, "geo"), (no_food, "nrho")):
        tour = m._tour_order(list(legs), on_hand)
        assert sorted(map(id, tour)) == sorted(map(id, legs))
        assert tour[0].origin == "leo" and tour[0].destination == first
        assert all(a.destination == b.origin for a, b in itertools.pairwise(tour))
        assert tour[-1].destination == "leo"


def test_a_vehicle_lost_mid_month_has_the_rest_of_the_month_planned_again() -> None:
    # the month's legs for the lost tug would never be flown; the re-plan that day knows the fleet is gone
    m = demo_model(months=1, random_disruptions=False)
    for _ in range(5):
        m.step()
    assert any(g.vehicle_type == "tug" for g in m.legs) or m.plan is not None
    assert not m.replan_due
    m.inject("vehicle_loss", "tug")
    assert m.replan_due  # the console shows "planning" for this step
    planning, stepping = m.planning_seconds, m.stepping_seconds
    t0 = time.perf_counter()
    m.step()
    wall = time.perf_counter() - t0
    assert not m.replan_due
    # the re-plan counts as planning, not as the agents' stepping: the two add up to no more than the day
    replanned = m.planning_seconds - planning
    assert replanned > 0 and 0 <= m.stepping_seconds - stepping <= wall - replanned + 1e-6
    replans = [e for e in m.events if e["kind"] == "replan"]
    assert len(replans) == 1 and "vehicle_loss tug-1" in replans[0]["detail"]
    row = m.plan_rows[-1]
    assert row["month"] == 0 and row["day"] == 5 and row["trigger"] == "vehicle_loss tug-1"
    assert m.plan_month == 0 and not any(g.vehicle_type == "tug" for g in m.legs)
    assert len(m.plan_rows) == 2 and m.plan_rows[0]["trigger"] == "month start"
    assert m.summary()["replans_in_month"] == 1
    assert abs(m.balance_error_kg) < 1e-6


def test_a_disruption_not_in_replan_on_waits_for_the_next_month() -> None:
    sim = DEMO.simulation.model_copy(update={"replan_on": []})
    m = CislinkModel(
        DEMO.model_copy(update={"simulation": sim}), "sovereign", 7, network=NETWORK, design=DESIGN, months=1,
        random_disruptions=False,
    )  # fmt: skip
    m.step()
    m.inject("vehicle_loss", "tug")
    for _ in range(3):
        m.step()
    assert not any(e["kind"] == "replan" for e in m.events) and len(m.plan_rows) == 1


def test_a_re_plan_late_in_the_month_launches_within_the_month() -> None:
    from dataclasses import replace

    import pandas as pd

    m, _ = _idle_tug_at("leo")
    m.month_start_day = m.day - (m.month_days - 4)  # four days of the month left, today included
    m.plan = replace(
        m.plan,
        launches=pd.DataFrame([{"month": m.month, "launch_vehicle": "falcon_9", "node": "leo", "count": 6.0}]),
        launched=pd.DataFrame([{"month": m.month, "node": "leo", "commodity": "food", "kg": 6_000.0}]),
        trips=m.plan.trips.iloc[0:0],
        mars=m.plan.mars.iloc[0:0],
        isru=m.plan.isru.iloc[0:0],
    )
    m.plan_month = m.month
    m._schedule(0)
    queued = sorted(q[0] for p in m.launch_providers for q in p.queue)
    assert len(queued) == 6 and queued[0] == m.day and queued[-1] <= m.day + 3  # the month's last day
    assert m.busy_days()["tug"] == m.month_days - 4  # the days gone are the fleet's


def test_a_re_plan_in_the_month_has_the_plant_make_the_plans_output_at_its_rate_in_the_days_left() -> None:
    ref = load("reference-2035")
    design = Design(depots={}, isru_kg_per_year=40_000.0, fleets={"lander": 1})
    m = CislinkModel(ref, "sovereign", 1, design=design, months=1, random_disruptions=False)
    for _ in range(16):
        m.step()
    m.replan_now(trigger="test")
    assert m.plan is not None and m.plan_rows[-1]["day"] == 16
    planned = float(m.plan.isru[m.plan.isru["month"] == 0]["kg"].sum())
    left = m.month_start_day + m.month_days - m.day
    assert planned > 0 and m.window_state().isru_availability == {0: pytest.approx(left / m.month_days)}
    made = m.ledger.total("production")
    while not m.month_complete:
        m.step()
    # the plan's rate per day of its month (30.4 days), on each of the days left: January makes a bit more
    rate = planned / (365.25 / 12 * left / m.month_days)
    assert m.ledger.total("production") - made == pytest.approx(rate * left, rel=1e-9)


def test_a_mars_departure_that_has_left_is_not_planned_again_in_its_month() -> None:
    m = demo_model(months=1, random_disruptions=False)
    m.step()
    assert not m.window_state().mars_done
    m.mars_departed_month = m.month
    assert m.window_state().mars_done


def test_a_re_plan_that_fails_in_the_month_keeps_what_the_months_plan_still_had_to_do() -> None:
    from cislink.errors import PlannerError

    m = demo_model(months=1, random_disruptions=False)
    for _ in range(3):
        m.step()
    legs, queues = list(m.legs), [list(p.queue) for p in m.launch_providers]
    assert legs or any(queues)

    def fails(*_: object, **__: object) -> None:
        raise PlannerError("no solution in the time limit")

    m.plan_window_fn = fails
    m.replan_now(trigger="test")
    assert m.legs == legs and [p.queue for p in m.launch_providers] == queues  # nothing queued twice
    assert m.plan_rows[-1]["status"].startswith("failed") and m.events[-1]["kind"] == "planner_fallback"


def test_a_vehicle_busy_all_month_leaves_the_window_no_days_and_no_infeasible_plan() -> None:
    # a re-plan late in a 31-day month with the tug away from home: busy for more than the planner's
    # 30.4-day month, which must not make the window's fleet-time row infeasible
    m, tug = _idle_tug_at("leo")
    m.month_start_day = m.day - 29
    tug.node = "geo"
    assert m.busy_days()["tug"] == pytest.approx(365.25 / 12)
    m.replan_now(trigger="test")
    assert m.plan_rows[-1]["status"] in ("optimal", "priced") and m.plan_month == m.month
    assert not any(g.vehicle_type == "tug" and not g.reposition for g in m.legs)


def test_a_tour_flies_first_the_leg_that_leaves_the_rest_of_the_tour_least_short() -> None:
    # at LEO the tug has propellant for one of two legs: its load to NRHO (all there) or its trip to
    # GEO for 30 t more (its food 1 kg short); flying the load first leaves it without the burn to
    # GEO, so the trip that brings propellant back goes first although its own load is short

    m, tug = _idle_tug_at("leo")
    (fuel,) = tug.mixture
    legs = _leo_nrho_geo_tour(fuel)

    def need(leg: Leg) -> float:
        k = math.expm1(NETWORK.arc(leg.origin, leg.destination).dv_total_m_s / tug.ve_m_s)
        return k * (tug.empty_kg + sum(leg.cargo_kg.values())) + leg.cargo_kg.get(fuel, 0.0)

    at_leo = max(need(legs[0]), need(legs[2])) + 100.0
    assert at_leo < need(legs[0]) + need(legs[2])  # one of the two, not both
    on_hand = {("leo", fuel): at_leo, ("leo", "food"): 99.0, ("geo", fuel): 90_000.0, ("nrho", fuel): 90_000.0}
    tour = m._tour_order(list(legs), on_hand)
    assert [g.destination for g in tour] == ["geo", "leo", "nrho", "leo"]
    assert all(a.destination == b.origin for a, b in itertools.pairwise(tour))


def test_a_runs_first_months_are_the_same_whatever_its_length() -> None:
    # same seed, same result, for a run's first months too: a 2-month run and the first 2 months of a
    # 5-month run meet the same disruptions and plan, fly and record the same, day by day
    rates = DEMO.disruption_rates.model_copy(
        update={"relay_outage_per_year": 6.0, "debris_event_per_year": 6.0, "isru_outage_per_year": 6.0}
    )
    sc = DEMO.model_copy(update={"disruption_rates": rates})

    def ran(months: int) -> CislinkModel:
        m = CislinkModel(
            sc, "sovereign", 3, network=NETWORK, design=DESIGN, design_costs_usd={"ddte": 3e9}, months=months
        )
        run(m, None, months=2)
        return m

    short, long = ran(2), ran(5)
    assert short.events and short.events == long.events
    a = short.datacollector.get_model_vars_dataframe()
    b = long.datacollector.get_model_vars_dataframe()
    assert len(a) > 50 and a.equals(b)


def test_vehicles_and_depots_keep_their_disposal_reserve_until_lost() -> None:
    # ISO 24113: the tug carries the propellant to dispose of itself from its base on every leg (it
    # is not in the usable tank), the depot keeps its own; what is destroyed in service is left as debris
    m = demo_model(months=1, random_disruptions=False)
    m.step()
    spec = next(v for v in DEMO.vehicles if v.name == "tug")
    tug = next(v for v in m.vehicles if v.vehicle_type == "tug")
    base_dv = NETWORK.node(spec.nodes[0] if spec.nodes else "leo").disposal_dv_m_s
    reserve = spec.empty_kg * math.expm1(base_dv / (spec.isp_s * 9.80665))
    assert reserve > 1.0
    assert tug.disposal_kg == pytest.approx(reserve)
    assert tug.empty_kg == pytest.approx(spec.empty_kg + reserve)
    assert tug.tank_kg == pytest.approx(spec.propellant_kg - reserve)
    plan = {r["target"]: r for r in m.disposal_plan()}
    assert plan[tug.name]["status"] in ("ready", "flies home first") and plan[tug.name]["reserve_kg"] == pytest.approx(
        reserve
    )
    depot = plan["depot nrho"]
    assert depot["status"] == "ready" and depot["dv_m_s"] == NETWORK.node("nrho").disposal_dv_m_s
    assert depot["reserve_kg"] == pytest.approx(0.25 * 5_000.0 * math.expm1(depot["dv_m_s"] / (320.0 * 9.80665)))
    assert m.summary()["disposal"] == {
        "ready": 2,
        "lost": 0,
        "reserve_kg": pytest.approx(reserve + depot["reserve_kg"]),
    }
    m.inject("vehicle_loss", tug.name)
    m.inject("depot_loss", "nrho")
    m.step()
    plan = {r["target"]: r for r in m.disposal_plan()}
    assert plan[tug.name]["status"] == "lost" and plan["depot nrho"]["status"] == "lost"
    assert m.summary()["disposal"] == {"ready": 0, "lost": 2, "reserve_kg": 0.0}


def test_at_the_end_of_the_horizon_every_asset_in_service_is_disposed_of() -> None:
    planner = DEMO.planner.model_copy(update={"horizon_months": 2, "window_months": 2})
    scenario = DEMO.model_copy(update={"planner": planner})
    m = CislinkModel(scenario, "sovereign", 7, network=NETWORK, design=DESIGN, months=2, random_disruptions=False)
    while not m.month_complete or m.month < 0:
        m.step()
    assert not any(e["kind"] == "disposal" for e in m.events)  # not before the horizon's end
    while m.running:
        m.step()
    ends = {e["target"]: e["detail"] for e in m.events if e["kind"] == "disposal"}
    assert set(ends) == {"tug-1", "depot nrho"}
    assert "disposed of from nrho" in ends["depot nrho"] and "m/s on" in ends["depot nrho"]
    assert not any(e["alarm"] for e in m.events if e["kind"] == "disposal")


def test_a_way_home_is_not_taken_from_what_another_vehicles_leg_needs() -> None:
    # a tug leaving lunar orbit for NRHO (launches reach it) must not carry its way home out of the
    # propellant the lander's planned descent with the habitat's food needs there
    ref = load("reference-2035")
    m = CislinkModel(ref, "sovereign", 1, months=1, random_disruptions=False)
    tug = Vehicle(m, "tug", 1, "llo")
    lander = Vehicle(m, "lander", 1, "llo")
    descent = Leg("lander", "llo", "lsp", {"food": 2_600.0})
    out = Leg("tug", "llo", "nrho", {"food": 800.0})
    m.legs = [out, descent]
    fuel = next(iter(lander.mixture))
    k_down = math.expm1(m.network.arc("llo", "lsp").dv_total_m_s / lander.ve_m_s)
    needs = k_down * (lander.empty_kg + 2_600.0)
    assert m.others_draw_kg("llo", "tug") == {"food": pytest.approx(2_600.0), fuel: pytest.approx(needs)}
    stock = {fuel: needs + 1_000.0, "food": 3_400.0}
    back = m.return_propellant_kg(tug, "nrho")
    assert back[fuel] > 2_000.0
    k = math.expm1(m.network.arc("llo", "nrho").dv_m_s / tug.ve_m_s)
    spared = tug._way_back_spared(back, out, stock, {"food": 800.0}, k)
    taken = spared[fuel] + k * (tug.empty_kg + 800.0 + spared[fuel])  # carried and burned
    assert 0.0 < spared[fuel] < back[fuel]
    assert stock[fuel] - taken == pytest.approx(needs, rel=1e-6)  # the lander's descent is left whole
    lander.reserve_kg = {fuel: needs}  # with the descent already in the lander's tanks, the tug may take all
    assert tug._way_back_spared(back, out, stock, {"food": 800.0}, k) == pytest.approx(back)


def test_a_leg_short_of_propellant_late_in_the_month_waits_for_propellant_on_its_way() -> None:
    # after the day partial loads go, a leg that cannot fly is dropped only if nothing more of the
    # vehicle's propellant is due at its origin this month; else it waits and flies once it is there
    from cislink.agents.agents import PARTIAL_LOAD_DAY

    for due in (False, True):
        m, tug = _idle_tug_at("nrho")
        m.month_start_day = m.day - PARTIAL_LOAD_DAY - 1  # late in the month
        (fuel,) = tug.mixture
        _stock(m, "nrho", "food", 2_000.0)
        leg = Leg("tug", "nrho", "geo", {"food": 2_000.0})
        m.legs.append(leg)
        if due:
            m.launch_providers[0].queue.append((m.day + 2, "nrho", {fuel: 20_000.0}))
        tug._depart()
        assert tug.flight is None
        if not due:
            assert leg not in m.legs and m.legs_dropped == 1
            continue
        assert leg in m.legs and m.legs_dropped == 0, "the launch due in 2 days brings the propellant"
        m.launch_providers[0].queue.clear()
        _stock(m, "nrho", fuel, 20_000.0)  # as the launch delivers it
        tug._depart()
        assert tug.flight is not None and tug.flight.cargo_kg["food"] == pytest.approx(2_000.0)
        assert abs(m.balance_error_kg) < 1e-6


def test_what_a_vehicle_brings_today_can_leave_today_on_another() -> None:
    # every vehicle arrives before any leaves: a tug stepped before the one bringing its propellant
    # still flies that day
    from cislink.agents.agents import Flight

    m, tug = _idle_tug_at("nrho")
    (fuel,) = tug.mixture
    _stock(m, "nrho", "food", 2_000.0)
    m.legs.append(Leg("tug", "nrho", "geo", {"food": 2_000.0}))
    other = Vehicle(m, "tug", 2, "")
    _stock(m, "leo", fuel, 20_000.0)
    m.ledger.record(m.day, "transfer", "leo", fuel, m.depot("leo").take(fuel, 20_000.0), other.name)
    other.flight = Flight(Leg("tug", "leo", "nrho", {fuel: 20_000.0}), m.day - 5, m.day, {fuel: 20_000.0}, {}, 0.0, 99)
    assert [v.name for v in m.vehicles] == [tug.name, other.name]  # the waiting tug is stepped first
    m.step()
    assert other.node == "nrho"
    assert tug.flight is not None and tug.flight.leg.destination == "geo"
    assert tug.flight.cargo_kg["food"] == pytest.approx(2_000.0)
    assert abs(m.balance_error_kg) < 1e-6
