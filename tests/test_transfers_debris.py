"""Transfers in time and the debris model."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from cislink.orbits import Transfer
from cislink.orbits.debris import DebrisModel

DEPART = dt.datetime(2035, 3, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("origin", "destination"),
    [("leo", "geo"), ("leo", "llo"), ("llo", "leo"), ("earth", "leo"), ("leo", "lmo")],
)
def test_transfer_starts_and_ends_at_the_arc_radii(network, origin: str, destination: str) -> None:
    tr = Transfer(origin, destination, DEPART, network)
    r = np.linalg.norm(tr.positions_km(np.array([0.0, tr.tof_days])), axis=1)
    assert r[0] == pytest.approx(tr.arc.r1_km, rel=1e-6)
    assert r[1] == pytest.approx(tr.arc.r2_km, rel=1e-6)


def test_outbound_transfer_climbs_monotonically(network) -> None:
    tr = Transfer("leo", "llo", DEPART, network)
    r = np.linalg.norm(tr.positions_km(np.linspace(0, tr.tof_days, 50)), axis=1)
    assert np.all(np.diff(r) > 0)
    assert tr.arrive - tr.depart == dt.timedelta(days=tr.tof_days)


def test_positions_are_clipped_to_the_leg_and_carry_units(network) -> None:
    tr = Transfer("leo", "geo", DEPART, network)
    before = tr.position(DEPART - dt.timedelta(days=1))
    after = tr.position(DEPART + dt.timedelta(days=3))
    assert before.unit.to_string() == "km"
    assert np.linalg.norm(before.value) == pytest.approx(tr.arc.r1_km)
    assert np.linalg.norm(after.value) == pytest.approx(tr.arc.r2_km)
    assert tr.positions([DEPART, DEPART + dt.timedelta(hours=2)]).shape == (2, 3)


def test_bad_departure_time_is_a_clear_error(network) -> None:
    from cislink.errors import NetworkError

    with pytest.raises(NetworkError, match="departure time"):
        Transfer("leo", "geo", "next tuesday", network)


def test_leo_resident_makes_iss_like_avoidance_burns() -> None:
    per_year = DebrisModel().avoidance_burns_per_day("leo") * 365.25
    assert 0.5 < per_year < 3.0  # ISS: 32 manoeuvres in 1999-2022


def test_margins_follow_the_regimes_crossed(network) -> None:
    assert network.arc("leo", "geo").debris_margin_m_s > network.arc("geo", "llo").debris_margin_m_s > 0
    assert network.arc("nrho", "llo").debris_margin_m_s == 0.0
    assert network.arc("leo", "lmo").debris_margin_m_s > 0.0
    assert network.arc("leo", "geo").conjunctions_per_transit > network.arc("nrho", "dro").conjunctions_per_transit


def test_disposal_delta_v_per_node(network) -> None:
    assert 20 < network.node("leo").disposal_dv_m_s < 80  # perigee to 50 km from 200 km
    assert network.node("geo").disposal_dv_m_s == pytest.approx(10.9, abs=0.5)  # +300 km re-orbit
    assert network.node("earth").disposal_dv_m_s == 0.0


def test_disposal_reserve_is_set_by_the_base_node(network) -> None:
    from cislink.orbits.disposal import depot_dry_factor, vehicle_reserve
    from cislink.scenarios import load

    sc = load("reference-2035")
    tug = next(v for v in sc.vehicles if v.role == "tug")
    lander = next(v for v in sc.vehicles if v.role == "lander")
    mtv = next(v for v in sc.vehicles if v.role == "mars_transfer")
    r = vehicle_reserve(network, tug)
    assert r.node == tug.nodes[0] == "leo" and r.dv_m_s == network.node("leo").disposal_dv_m_s
    assert r.kg(tug.empty_kg) == pytest.approx(tug.empty_kg * math.expm1(r.dv_m_s / (tug.isp_s * 9.80665)))
    assert 10 < r.kg(tug.empty_kg) < 50  # 2,165 kg through ~45 m/s at 445 s
    assert vehicle_reserve(network, lander).kg(lander.empty_kg) == 0.0  # based on the surface
    assert vehicle_reserve(network, mtv).kg(mtv.empty_kg) == 0.0  # the campaign's vehicle, not the network's
    assert depot_dry_factor(network, sc, "eml2") > depot_dry_factor(network, sc, "leo") > 0.25
