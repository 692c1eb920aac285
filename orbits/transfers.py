"""Delta-v and time of flight of one arc between two nodes.

Each arc is computed by the method its two nodes call for (study section IV):

- ``hohmann``: circular orbits about the same body (study eq. 1), with the library's
  ``Maneuver.hohmann``.
- ``patched-conic``: a circular Earth orbit to a circular lunar orbit (study eq. 2): a Hohmann-type
  departure to the Moon's distance, then a hyperbolic capture from the arrival excess speed.
  Time of flight is the geocentric half-ellipse (the minimum-energy transfer).
- ``libration``: a circular Earth orbit to an Earth-Moon Lagrange point, whose distance comes from
  the restricted three-body solution; the arrival burn matches the point's co-rotating speed.
- ``entry``: down to a site with an atmosphere (Earth, Mars): a deorbit burn lowering periapsis
  to the entry interface, atmospheric braking, then the site's terminal landing burn.
- ``ascent`` / ``descent``: a surface site to the lowest circular orbit of its body: the ideal
  impulsive ascent (circular speed at the surface, then Hohmann to the orbit), less the site's
  rotation speed, plus the site's published gravity/drag losses; time = delta-v / mean acceleration.
- ``interplanetary``: to or from low Mars orbit: heliocentric Hohmann between the planets' mean
  orbits, escape from the departure node (by the cheapest of a direct escape or a drop to an
  Earth perigee burn) and hyperbolic capture at Mars.
- ``published``: lunar staging and libration nodes use figures published for them, recorded with
  their citation; pairs without a published figure are ``composed`` through a weakly bound
  trans-lunar state (departure of one plus insertion of the other), an upper bound.

All figures are plain floats: km, km/s, m/s and days as the names say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from cislink.errors import NetworkError
from cislink.orbits import _astro
from cislink.scenarios.nodes import NodeSpec

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class ArcFigures:
    """Computed figures of one directed arc, before debris margins are added."""

    origin: str
    destination: str
    dv_m_s: float
    tof_days: float
    method: str
    source: str
    frame: str  # body whose centre the arc's positions are given in: earth, moon, sun
    r1_km: float  # departure radius in ``frame``
    r2_km: float  # arrival radius in ``frame``


@dataclass(frozen=True)
class Geometry:
    """Constants shared by every arc computation (from the orbital library)."""

    earth: _astro.BodyData
    moon: _astro.BodyData
    mars: _astro.BodyData
    sun: _astro.BodyData
    moon_distance_km: float
    moon_rate_rad_s: float
    lagrange_km: Mapping[str, float]
    earth_sun_km: float
    mars_sun_km: float

    @classmethod
    def from_library(cls) -> Geometry:
        return cls(
            earth=_astro.body_data("earth"),
            moon=_astro.body_data("moon"),
            mars=_astro.body_data("mars"),
            sun=_astro.body_data("sun"),
            moon_distance_km=_astro.EARTH_MOON_DISTANCE_KM,
            moon_rate_rad_s=2.0 * math.pi / (_astro.SIDEREAL_MONTH_DAYS * SECONDS_PER_DAY),
            lagrange_km=_astro.lagrange_distances_km(),
            earth_sun_km=_astro.heliocentric_radius_km("earth"),
            mars_sun_km=_astro.heliocentric_radius_km("mars"),
        )

    def body(self, name: str) -> _astro.BodyData:
        return {"earth": self.earth, "moon": self.moon, "mars": self.mars, "sun": self.sun}[name]

    def radius_km(self, node: NodeSpec) -> float:
        """Orbit radius of a circular or surface node about its body."""
        return self.body(node.body).radius_km + node.altitude_km

    def moon_speed_km_s(self) -> float:
        return math.sqrt(self.earth.mu_km3_s2 / self.moon_distance_km)


def _circ(mu: float, r: float) -> float:
    return math.sqrt(mu / r)


def _hyperbolic_burn(v_inf: float, mu: float, r: float) -> float:
    """Burn at a circular orbit of radius ``r`` between it and a hyperbola of excess speed ``v_inf``."""
    return math.sqrt(v_inf**2 + 2.0 * mu / r) - math.sqrt(mu / r)


class ArcCalculator:
    """Computes arcs between the nodes of one network; caches the library calls it repeats."""

    def __init__(self, nodes: Mapping[str, NodeSpec], geometry: Geometry | None = None) -> None:
        self.nodes = dict(nodes)
        self.g = geometry or Geometry.from_library()
        self._hohmann_cache: dict[tuple[str, float, float], tuple[float, float, float]] = {}

    # ---- library calls -------------------------------------------------------------------
    def _hohmann(self, body: str, r1: float, r2: float) -> tuple[float, float, float]:
        key = (body, round(r1, 6), round(r2, 6))
        if key not in self._hohmann_cache:
            if r2 < r1:  # the library's Hohmann starts from r1; the reverse transfer costs the same
                dv1, dv2, tof = _astro.hohmann(body, r2, r1)
                self._hohmann_cache[key] = (dv2, dv1, tof)
            else:
                self._hohmann_cache[key] = _astro.hohmann(body, r1, r2)
        return self._hohmann_cache[key]

    # ---- building blocks ---------------------------------------------------------------------
    def _trans_lunar(self, earth_node: NodeSpec) -> tuple[float, float, float]:
        """Departure burn (km/s), arrival excess speed at the Moon (km/s), geocentric TOF (s)."""
        dv1, dv2, tof = self._hohmann("earth", self.g.radius_km(earth_node), self.g.moon_distance_km)
        # The Moon moves on the circular orbit the Hohmann ends on, so the circularisation impulse
        # the library reports at the Moon's distance is exactly the excess speed relative to it.
        return dv1, dv2, tof

    def _lunar_capture(self, moon_node: NodeSpec, v_inf: float) -> float:
        return _hyperbolic_burn(v_inf, self.g.moon.mu_km3_s2, self.g.radius_km(moon_node))

    def _tei_equivalent(self, node: NodeSpec) -> tuple[float, float]:
        """Delta-v (km/s) and TOF (days) from a lunar-vicinity node onto a weakly bound trans-Earth state."""
        if node.kind == "circular" and node.body == "moon":
            reference_leo = self.g.earth.radius_km + 200.0
            v_inf = self._hohmann("earth", reference_leo, self.g.moon_distance_km)[1]
            return self._lunar_capture(node, v_inf), 0.0
        assert node.tei_departure_m_s is not None
        return node.tei_departure_m_s / 1000.0, node.tli_coast_days

    def _tli_insertion(self, node: NodeSpec) -> float:
        """Delta-v (km/s) from a weakly bound trans-lunar state into a lunar-vicinity node."""
        if node.tli_insertion_m_s is not None:
            return node.tli_insertion_m_s / 1000.0
        assert node.tei_departure_m_s is not None
        return node.tei_departure_m_s / 1000.0

    def _lunar_vicinity_radius(self, node: NodeSpec) -> float:
        """Distance from the Moon's centre, km, used for positions."""
        if node.kind == "circular":
            return self.g.radius_km(node)
        if node.kind == "libration":
            return abs(self.g.lagrange_km[node.lagrange_point or "L1"] - self.g.moon_distance_km)
        return node.mean_radius_km or 0.0

    def _earth_distance(self, node: NodeSpec) -> float:
        """Distance from the Earth's centre of a cislunar node, km."""
        if node.body == "earth":
            return self.g.radius_km(node)
        if node.kind == "libration":
            return self.g.lagrange_km[node.lagrange_point or "L1"]
        return self.g.moon_distance_km

    # ---- arc methods ---------------------------------------------------------------------------
    def compute(self, origin: str, destination: str) -> ArcFigures:
        """Figures of the arc ``origin -> destination``; raises :class:`NetworkError` if none exists."""
        if origin == destination:
            raise NetworkError(f"no arc from '{origin}' to itself: an arc joins two different nodes")
        for name in (origin, destination):
            if name not in self.nodes:
                raise NetworkError(f"unknown node '{name}'; known nodes: {', '.join(sorted(self.nodes))}")
        a, b = self.nodes[origin], self.nodes[destination]
        if a.kind == "surface" or b.kind == "surface":
            return self._surface(a, b)
        if "mars" in (a.body, b.body):
            if a.body == b.body:
                return self._same_body(a, b)
            return self._interplanetary(a, b)
        if a.body == "earth" and b.body == "earth":
            return self._same_body(a, b)
        if a.body == "earth" or b.body == "earth":
            if a.body == "earth":
                return self._earth_to_moon(a, b)
            return self._reverse(self._earth_to_moon(b, a, inbound=True))
        return self._lunar_vicinity(a, b)

    @staticmethod
    def _reverse(f: ArcFigures) -> ArcFigures:
        return ArcFigures(
            f.destination,
            f.origin,
            f.dv_m_s,
            f.tof_days,
            f.method,
            f.source,
            f.frame,
            f.r2_km,
            f.r1_km,
        )

    def _arc(
        self,
        a: NodeSpec,
        b: NodeSpec,
        dv_km_s: float,
        tof_s: float,
        method: str,
        source: str,
        frame: str,
        r1: float,
        r2: float,
    ) -> ArcFigures:
        return ArcFigures(a.name, b.name, dv_km_s * 1000.0, tof_s / SECONDS_PER_DAY, method, source, frame, r1, r2)

    def _surface(self, a: NodeSpec, b: NodeSpec) -> ArcFigures:
        site, orbit = (a, b) if a.kind == "surface" else (b, a)
        if orbit.kind != "circular" or orbit.body != site.body:
            raise NetworkError(
                f"no arc between '{a.name}' and '{b.name}': a surface site connects only to the "
                f"lowest circular orbit of its body"
            )
        bd = self.g.body(site.body)
        r_orbit = self.g.radius_km(orbit)
        if b is site and site.entry_interface_km is not None:
            return self._entry(orbit, site, r_orbit)
        dv1, dv2, _ = self._hohmann(site.body, bd.radius_km, r_orbit)
        rotation = _astro.EARTH_ROTATION_KM_S if site.body == "earth" else 0.0
        if site.body != "earth":
            sidereal_day_s = {
                "moon": _astro.SIDEREAL_MONTH_DAYS * SECONDS_PER_DAY,
                "mars": 88_642.7,
            }[site.body]
            rotation = 2.0 * math.pi * bd.radius_km / sidereal_day_s
        rotation *= math.cos(math.radians(site.latitude_deg))
        ideal = _circ(bd.mu_km3_s2, bd.radius_km) + dv1 + dv2 - rotation
        dv = ideal + site.ascent_loss_m_s / 1000.0
        tof_s = dv * 1000.0 / site.powered_accel_m_s2
        method = "ascent" if a is site else "descent"
        source = (
            f"computed: ideal {method} {ideal * 1000:.0f} m/s (circular speed at the surface, Hohmann to "
            f"orbit, less rotation) + {site.ascent_loss_m_s:.0f} m/s losses"
        )
        r1, r2 = (bd.radius_km, r_orbit) if a is site else (r_orbit, bd.radius_km)
        return self._arc(a, b, dv, tof_s, method, source, site.body, r1, r2)

    def _entry(self, orbit: NodeSpec, site: NodeSpec, r_orbit: float) -> ArcFigures:
        """Descent through an atmosphere: lower periapsis to the entry interface, brake, land."""
        bd = self.g.body(site.body)
        r_entry = bd.radius_km + (site.entry_interface_km or 0.0)
        if r_entry >= r_orbit:
            deorbit, coast_s = 0.0, 0.0
        else:
            deorbit, _dv2, coast_s = self._hohmann(site.body, r_entry, r_orbit)
            deorbit = _dv2  # the impulse at the orbit's radius
        dv = deorbit + site.terminal_descent_m_s / 1000.0
        entry_s = 15.0 * 60.0  # entry to touchdown, ~15 minutes
        source = (
            f"computed: deorbit {deorbit * 1000:.0f} m/s to the {site.entry_interface_km:.0f} km entry "
            f"interface + {site.terminal_descent_m_s:.0f} m/s landing burn (atmospheric braking)"
        )
        return self._arc(orbit, site, dv, coast_s + entry_s, "entry", source, site.body, r_orbit, bd.radius_km)

    def _same_body(self, a: NodeSpec, b: NodeSpec) -> ArcFigures:
        if a.kind != "circular" or b.kind != "circular":
            raise NetworkError(f"no method for arc {a.name}->{b.name} ({a.kind} to {b.kind} about {a.body})")
        r1, r2 = self.g.radius_km(a), self.g.radius_km(b)
        dv1, dv2, tof = self._hohmann(a.body, r1, r2)
        return self._arc(a, b, dv1 + dv2, tof, "hohmann", "computed: Hohmann transfer", a.body, r1, r2)

    def _earth_to_moon(self, a: NodeSpec, b: NodeSpec, inbound: bool = False) -> ArcFigures:
        """``a`` is a circular Earth orbit; ``b`` any lunar-vicinity node.

        With ``inbound`` the figures are for the way back (``b`` to ``a``): published staging and
        libration figures then use the node's departure figure instead of its insertion figure.
        """
        if a.kind != "circular":
            raise NetworkError(f"no method for arc {a.name}->{b.name}")
        r1 = self.g.radius_km(a)
        dv_dep, v_inf, tof = self._trans_lunar(a)
        if b.kind == "circular":
            capture = self._lunar_capture(b, v_inf)
            return self._arc(
                a,
                b,
                dv_dep + capture,
                tof,
                "patched-conic",
                f"computed: patched conics (departure {dv_dep * 1000:.0f} + capture {capture * 1000:.0f} m/s)",
                "earth",
                r1,
                self.g.moon_distance_km,
            )
        if b.kind == "libration":
            r_l = self.g.lagrange_km[b.lagrange_point or "L1"]
            d1, d2, tof_l = self._hohmann("earth", r1, r_l)
            v_apo = _circ(self.g.earth.mu_km3_s2, r_l) - d2
            match = abs(self.g.moon_rate_rad_s * r_l - v_apo)
            direct = d1 + match
            if b.tli_insertion_m_s is not None:
                via = dv_dep + self._published_leg(b, inbound)
                if via < direct:
                    return self._arc(
                        a,
                        b,
                        via,
                        tof + b.tli_coast_days * SECONDS_PER_DAY,
                        "published",
                        f"computed trans-lunar leg {dv_dep * 1000:.0f} m/s + published lunar-flyby "
                        f"{'departure' if inbound else 'insertion'} {self._published_leg(b, inbound) * 1000:.0f} m/s "
                        f"({b.citation})",
                        "earth",
                        r1,
                        r_l,
                    )
            return self._arc(
                a,
                b,
                direct,
                tof_l,
                "libration",
                f"computed: Hohmann to {b.lagrange_point} at {r_l:,.0f} km + match co-rotation",
                "earth",
                r1,
                r_l,
            )
        leg = self._published_leg(b, inbound)
        return self._arc(
            a,
            b,
            dv_dep + leg,
            tof + b.tli_coast_days * SECONDS_PER_DAY,
            "published",
            f"computed trans-lunar leg {dv_dep * 1000:.0f} m/s + published "
            f"{'departure' if inbound else 'insertion'} {leg * 1000:.0f} m/s ({b.citation})",
            "earth",
            r1,
            self.g.moon_distance_km,
        )

    @staticmethod
    def _published_leg(node: NodeSpec, inbound: bool) -> float:
        """The node's published insertion (outbound) or departure (inbound) figure, km/s."""
        value = node.tei_departure_m_s if inbound else node.tli_insertion_m_s
        assert value is not None
        return value / 1000.0

    def _lunar_vicinity(self, a: NodeSpec, b: NodeSpec) -> ArcFigures:
        r1, r2 = self._lunar_vicinity_radius(a), self._lunar_vicinity_radius(b)
        if a.kind == "circular" and b.kind == "circular":
            return self._same_body(a, b)
        # Published figures between a low lunar orbit and a staging / libration node.
        if a.kind == "circular" and b.llo_ascent_m_s is not None:
            return self._arc(
                a,
                b,
                b.llo_ascent_m_s / 1000.0,
                b.llo_transfer_days * SECONDS_PER_DAY,
                "published",
                f"published: {b.citation}",
                "moon",
                r1,
                r2,
            )
        if b.kind == "circular" and a.llo_descent_m_s is not None:
            return self._arc(
                a,
                b,
                a.llo_descent_m_s / 1000.0,
                a.llo_transfer_days * SECONDS_PER_DAY,
                "published",
                f"published: {a.citation}",
                "moon",
                r1,
                r2,
            )
        pair = PUBLISHED_PAIRS.get((a.name, b.name)) or PUBLISHED_PAIRS.get((b.name, a.name))
        if pair is not None:
            dv_m_s, tof_days, citation = pair
            return self._arc(
                a,
                b,
                dv_m_s / 1000.0,
                tof_days * SECONDS_PER_DAY,
                "published",
                f"published: {citation}",
                "moon",
                r1,
                r2,
            )
        # Composed through a weakly bound trans-lunar state: an upper bound.
        dep, dep_days = self._tei_equivalent(a)
        ins = (
            self._lunar_capture(b, self._trans_lunar_reference_v_inf())
            if b.kind == "circular"
            else self._tli_insertion(b)
        )
        days = dep_days + (b.tli_coast_days if b.kind != "circular" else 0.0) + COMPOSED_TRANSIT_DAYS
        return self._arc(
            a,
            b,
            dep + ins,
            days * SECONDS_PER_DAY,
            "composed",
            f"composed: departure {dep * 1000:.0f} + insertion {ins * 1000:.0f} m/s through a trans-lunar "
            f"state (upper bound; no published figure)",
            "moon",
            r1,
            r2,
        )

    def _trans_lunar_reference_v_inf(self) -> float:
        return self._hohmann("earth", self.g.earth.radius_km + 200.0, self.g.moon_distance_km)[1]

    def _interplanetary(self, a: NodeSpec, b: NodeSpec) -> ArcFigures:
        mars_node, other = (a, b) if a.body == "mars" else (b, a)
        if mars_node.kind != "circular":
            raise NetworkError(f"no method for arc {a.name}->{b.name}")
        v_dep, v_arr, tof = self._hohmann("sun", self.g.earth_sun_km, self.g.mars_sun_km)
        capture = _hyperbolic_burn(v_arr, self.g.mars.mu_km3_s2, self.g.radius_km(mars_node))
        escape, how = self._earth_escape(other, v_dep)
        detail = (
            f"heliocentric Hohmann ({v_dep:.2f}/{v_arr:.2f} km/s excess), {how}, Mars capture {capture * 1000:.0f} m/s"
        )
        figures = ArcFigures(
            other.name,
            mars_node.name,
            (escape + capture) * 1000.0,
            tof / SECONDS_PER_DAY,
            "interplanetary",
            f"computed: {detail}",
            "sun",
            self.g.earth_sun_km,
            self.g.mars_sun_km,
        )
        return figures if a is other else self._reverse(figures)

    def _earth_escape(self, node: NodeSpec, v_inf: float) -> tuple[float, str]:
        """Cheapest escape (km/s) from a cislunar node to heliocentric excess speed ``v_inf``."""
        mu = self.g.earth.mu_km3_s2
        if node.body == "earth":
            r = self.g.radius_km(node)
            return _hyperbolic_burn(v_inf, mu, r), f"escape from {node.name}"
        r = self._earth_distance(node)
        local = self.g.moon_rate_rad_s * r
        direct = math.sqrt(v_inf**2 + 2.0 * mu / r) - local
        if node.kind == "circular":  # climb out of the Moon's well first
            w = direct
            direct = _hyperbolic_burn(w, self.g.moon.mu_km3_s2, self.g.radius_km(node))
        # Or fall to a low Earth perigee and burn there (Oberth effect).
        rp = self.g.earth.radius_km + 200.0
        tei, _ = self._tei_equivalent(node)
        perigee = tei + math.sqrt(v_inf**2 + 2.0 * mu / rp) - math.sqrt(2.0 * mu / rp)
        if perigee < direct:
            return perigee, f"trans-Earth {tei * 1000:.0f} m/s + perigee burn at 200 km"
        return direct, f"direct escape from {node.name}"


#: Published figures for pairs of lunar-vicinity nodes: (dv_m_s, tof_days, citation).
PUBLISHED_PAIRS: dict[tuple[str, str], tuple[float, float, str]] = {
    ("eml1", "eml2"): (
        140.0,
        14.0,
        "Wikipedia, 'Delta-v budget', Earth-Moon space table (EML1-EML2 0.14 km/s)",
    ),
}

#: Days allowed for the transit of a composed lunar-vicinity arc, beyond its published coasts.
COMPOSED_TRANSIT_DAYS = 4.0
