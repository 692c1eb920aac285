"""Debris density per orbital regime, conjunctions per transit and avoidance margins.

The model is deliberately simple and documented (``docs/orbits.md``):

- Each regime has a spatial density of catalogued objects (objects/km^3) and a typical encounter
  speed. LEO (up to 2,000 km altitude) holds roughly 27,000 catalogued objects in ~1.3e12 km^3,
  i.e. ~2e-8 /km^3 at ~10 km/s closing speed (ESA Space Environment Report 2024: ~36,000
  catalogued objects, about three quarters in LEO). The GEO protected ring (+-200 km, +-15 deg)
  holds ~1,500 objects in ~2.3e12 km^3 at a few hundred m/s. Cislunar and lunar space are nearly
  empty.
- A conjunction is a pass within the screening radius (1 km). Expected conjunctions during a
  transit = density x speed x screening area x time in the regime.
- A fraction of conjunctions needs an avoidance burn. 7% is chosen so that a station resident in
  LEO makes ~1.5 burns a year, as the ISS did (32 debris-avoidance manoeuvres 1999-2022: NASA
  Orbital Debris Quarterly News).
- The margin added to an arc's delta-v reserves ``dv_per_manoeuvre`` for the expected burns plus
  three standard deviations (Poisson), and at least one burn for every crowded regime crossed.
- End-of-mission disposal (ISO 24113 asks for a disposal plan): LEO lowers perigee to 50 km for
  re-entry, GEO re-orbits 300 km above the ring, lunar orbits lower periapsis to impact, staging,
  libration and Mars orbits escape or lower periapsis at a small published-order cost.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from cislink.orbits import _astro
from cislink.orbits.transfers import SECONDS_PER_DAY, ArcFigures, Geometry
from cislink.scenarios.nodes import NodeSpec

LEO_TOP_ALTITUDE_KM = 2_000.0
GEO_RING_HALF_WIDTH_KM = 200.0
#: Time an escape or capture hyperbola spends near its Earth-orbit endpoint (~half an hour).
HYPERBOLIC_EXIT_DAYS = 0.02


@dataclass(frozen=True)
class Regime:
    """Debris environment of one orbital regime."""

    name: str
    density_per_km3: float
    encounter_speed_km_s: float
    dv_per_manoeuvre_m_s: float
    crowded: bool


@dataclass(frozen=True)
class DebrisModel:
    """Conjunction rates and avoidance margins per regime."""

    regimes: Mapping[str, Regime] = field(
        default_factory=lambda: {
            "leo": Regime("leo", 2.1e-8, 10.0, 0.5, True),
            "meo": Regime("meo", 1.0e-10, 3.0, 0.3, False),
            "geo": Regime("geo", 6.5e-10, 0.5, 0.3, True),
            "cislunar": Regime("cislunar", 1.0e-14, 1.0, 0.3, False),
            "lunar": Regime("lunar", 1.0e-13, 1.6, 0.3, False),
            "mars": Regime("mars", 1.0e-14, 3.0, 0.3, False),
            "heliocentric": Regime("heliocentric", 0.0, 0.0, 0.0, False),
        }
    )
    screening_radius_km: float = 1.0
    action_fraction: float = 0.07

    def conjunctions_per_day(self, regime: str) -> float:
        """Expected screened conjunctions per day for an object resident in ``regime``."""
        r = self.regimes[regime]
        area = math.pi * self.screening_radius_km**2
        return r.density_per_km3 * r.encounter_speed_km_s * area * SECONDS_PER_DAY

    def avoidance_burns_per_day(self, regime: str) -> float:
        """Expected avoidance burns per day for an object resident in ``regime``."""
        return self.conjunctions_per_day(regime) * self.action_fraction

    def margin_m_s(self, days_in_regime: Mapping[str, float]) -> float:
        """Delta-v reserved for avoidance on a transit with the given residence times."""
        total = 0.0
        for name, days in days_in_regime.items():
            r = self.regimes[name]
            burns = self.avoidance_burns_per_day(name) * days
            planned = burns + 3.0 * math.sqrt(burns)
            if r.crowded and days > 0.0:
                planned = max(planned, 1.0)
            total += planned * r.dv_per_manoeuvre_m_s
        return total

    def conjunctions(self, days_in_regime: Mapping[str, float]) -> float:
        """Expected screened conjunctions on a transit with the given residence times."""
        return sum(self.conjunctions_per_day(k) * d for k, d in days_in_regime.items())

    def as_dict(self) -> dict[str, object]:
        """Parameters, for content hashing and documentation."""
        return {
            "regimes": {k: vars(v) for k, v in sorted(self.regimes.items())},
            "screening_radius_km": self.screening_radius_km,
            "action_fraction": self.action_fraction,
        }


def node_regime(node: NodeSpec, g: Geometry) -> str:
    """The debris regime a vehicle parked at ``node`` sits in."""
    if node.body == "mars":
        return "mars"
    if node.body == "moon":
        return "lunar" if node.kind in ("circular", "surface") else "cislunar"
    altitude = node.altitude_km
    if node.kind == "surface" or altitude <= LEO_TOP_ALTITUDE_KM:
        return "leo"
    if abs(g.radius_km(node) - (g.earth.radius_km + 35_786.0)) <= GEO_RING_HALF_WIDTH_KM:
        return "geo"
    return "meo"


def residence_days(arc: ArcFigures, nodes: Mapping[str, NodeSpec], g: Geometry) -> dict[str, float]:
    """Days an arc spends in each debris regime.

    Earth-centred arcs are split along their transfer ellipse (time between the regime boundaries,
    from the library's Kepler solver); ascents spend their whole powered flight in LEO; other arcs
    spend their time in the regime of their frame.
    """
    a, b = nodes[arc.origin], nodes[arc.destination]
    if arc.method in ("ascent", "descent", "entry"):
        site = a if a.kind == "surface" else b
        return {node_regime(site, g): arc.tof_days}
    if arc.frame == "sun":
        # The escape or capture hyperbola crosses the regime of an Earth-orbit endpoint.
        out = {"heliocentric": arc.tof_days}
        for node in (a, b):
            if node.body == "earth":
                out[node_regime(node, g)] = HYPERBOLIC_EXIT_DAYS
        return out
    if arc.frame != "earth":
        return {"lunar" if arc.frame == "moon" and arc.method == "hohmann" else "cislunar": arc.tof_days}
    r_lo, r_hi = sorted((arc.r1_km, arc.r2_km))
    mu = g.earth.mu_km3_s2
    ecc = (r_hi - r_lo) / (r_hi + r_lo)
    half_period_s = math.pi * math.sqrt(((r_lo + r_hi) / 2.0) ** 3 / mu)
    scale = arc.tof_days * SECONDS_PER_DAY / half_period_s  # published arcs add coast time

    def t_at(r: float) -> float:
        r = min(max(r, r_lo), r_hi)
        if ecc <= 1e-9 or r <= r_lo:
            return 0.0
        return _astro.time_from_periapsis_s(mu, r_lo, ecc, r)

    leo_top = g.earth.radius_km + LEO_TOP_ALTITUDE_KM
    geo = g.earth.radius_km + 35_786.0
    t_leo = t_at(leo_top)
    t_geo_lo, t_geo_hi = t_at(geo - GEO_RING_HALF_WIDTH_KM), t_at(geo + GEO_RING_HALF_WIDTH_KM)
    days = {
        "leo": t_leo,
        "geo": t_geo_hi - t_geo_lo,
        "meo": max(t_geo_lo - t_leo, 0.0),
        "cislunar": max(half_period_s - max(t_geo_hi, t_leo), 0.0),
    }
    out = {k: v * scale / SECONDS_PER_DAY for k, v in days.items() if v > 0.0}
    # An arc that starts or ends inside the GEO ring crosses it even if the ellipse grazes it.
    for node in (a, b):
        if node.body == "earth" and node_regime(node, g) == "geo":
            out.setdefault("geo", 1e-6)
    return out


def disposal_dv_m_s(node: NodeSpec, g: Geometry) -> float:
    """End-of-mission disposal delta-v from ``node`` (ISO 24113 disposal plan), m/s."""
    if node.kind == "surface":
        return 0.0
    if node.kind == "circular":
        bd = g.body(node.body)
        r = g.radius_km(node)
        if node.body == "earth" and node_regime(node, g) == "geo":
            dv1, dv2, _ = _astro.hohmann("earth", r, r + 300.0)
            return (dv1 + dv2) * 1000.0
        # Lower periapsis to re-entry (Earth: 50 km) or impact (Moon, Mars): first Hohmann impulse.
        floor = bd.radius_km + (50.0 if node.body == "earth" else 0.0)
        if r <= floor:
            return 0.0
        v_c = math.sqrt(bd.mu_km3_s2 / r)
        a_t = (r + floor) / 2.0
        v_apo = math.sqrt(bd.mu_km3_s2 * (2.0 / r - 1.0 / a_t))
        return (v_c - v_apo) * 1000.0
    # Staging and libration orbits: leave onto a heliocentric escape, of the order of the weakly
    # bound departure figure (EML-C3=0 ~0.14 km/s), capped there.
    return min(node.tei_departure_m_s or 140.0, 140.0)
