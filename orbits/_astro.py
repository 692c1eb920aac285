"""The one adapter to the orbital-mechanics library.

cislink uses poliastro's API. poliastro's last release requires Python < 3.11, so on newer Pythons
the maintained fork ``boinor`` (same API) is used; this module imports whichever is installed and
nothing else in cislink names either. The library is imported lazily: its import and its JIT
compilation cost seconds, and a cached network never needs it.

Everything here takes and returns plain floats in km, km/s and seconds; callers convert.
"""

from __future__ import annotations

import functools
import importlib
import logging
import math
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: Mean Earth-Moon distance, km (NASA Moon fact sheet, semi-major axis 384,400 km).
EARTH_MOON_DISTANCE_KM = 384_400.0
#: Sidereal month, days (NASA Moon fact sheet).
SIDEREAL_MONTH_DAYS = 27.321661
#: Earth's equatorial rotation speed, km/s (2*pi*6378.137 km / 86164.1 s).
EARTH_ROTATION_KM_S = 2.0 * math.pi * 6378.137 / 86164.0905


@functools.cache
def library() -> tuple[str, ModuleType]:
    """Return ``(name, module)`` of the installed orbital library: poliastro first, then boinor."""
    for name in ("poliastro", "boinor"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        log.debug("orbital library: %s", name)
        try:  # the library's JIT warns about array layouts it handles correctly
            from numba.core.errors import NumbaPerformanceWarning

            warnings.filterwarnings("ignore", category=NumbaPerformanceWarning)
        except ImportError:
            pass
        return name, module
    raise ImportError("cislink needs poliastro (Python < 3.11) or boinor installed")


def _sub(path: str) -> Any:
    name, _ = library()
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(f"{name}.{module_name}"), attr)


def body(name: str) -> Any:
    """The library's body object for ``earth``, ``moon``, ``mars`` or ``sun``."""
    return _sub(f"bodies.{name.capitalize()}")


@dataclass(frozen=True)
class BodyData:
    """Gravitational parameter and mean radius of a body, in km^3/s^2 and km."""

    mu_km3_s2: float
    radius_km: float


@functools.cache
def body_data(name: str) -> BodyData:
    """``BodyData`` for a body, read from the library's constants."""
    import astropy.units as u

    b = body(name)
    return BodyData(float(b.k.to_value(u.km**3 / u.s**2)), float(b.R.to_value(u.km)))


@functools.cache
def heliocentric_radius_km(name: str) -> float:
    """Mean heliocentric distance (semi-major axis) of a planet, km, from the library's mean elements."""
    import astropy.units as u

    get_mean_elements = _sub("twobody.mean_elements.get_mean_elements")
    return float(get_mean_elements(body(name)).a.to_value(u.km))


def hohmann(body_name: str, r1_km: float, r2_km: float) -> tuple[float, float, float]:
    """Hohmann transfer between circular orbits of radii ``r1_km`` and ``r2_km`` about a body.

    Returns ``(dv1_km_s, dv2_km_s, tof_s)``: the two impulses and the time of flight, computed by
    the library's ``Maneuver.hohmann`` (study eq. 1).
    """
    import astropy.units as u

    orbit_cls = _sub("twobody.Orbit")
    maneuver_cls = _sub("maneuver.Maneuver")
    b = body(body_name)
    start = orbit_cls.circular(b, (r1_km - body_data(body_name).radius_km) * u.km)
    man = maneuver_cls.hohmann(start, r2_km * u.km)
    dv1, dv2 = (float(np.linalg.norm(imp[1].to_value(u.km / u.s))) for imp in man.impulses)
    return dv1, dv2, float(man.get_total_time().to_value(u.s))


@functools.cache
def lagrange_distances_km(distance_km: float = EARTH_MOON_DISTANCE_KM) -> dict[str, float]:
    """Distances of the Earth-Moon collinear points L1 and L2 from the Earth's centre, km.

    Computed with the library's restricted three-body solution (``lagrange_points``).
    """
    import astropy.units as u

    lagrange_points = _sub("threebody.restricted.lagrange_points")
    earth, moon = body("earth"), body("moon")
    points = lagrange_points(distance_km * u.km, earth.mass, moon.mass)
    xs = [float(p) for p in points.to_value(u.km)]
    return {"L1": xs[0], "L2": xs[1]}


def time_from_periapsis_s(mu_km3_s2: float, rp_km: float, ecc: float, r_km: float) -> float:
    """Time from periapsis to radius ``r_km`` (outbound) on a conic, via the library's Kepler solver."""
    delta_t_from_nu = _sub("core.propagation.farnocchia.delta_t_from_nu")
    p = rp_km * (1.0 + ecc)
    cos_nu = (p / r_km - 1.0) / ecc if ecc > 0 else 1.0
    # The library's solver takes nu in [-pi, pi): an apoapsis arrival is nudged inside.
    nu = min(math.acos(max(-1.0, min(1.0, cos_nu))), math.pi - 1e-12)
    return float(delta_t_from_nu(nu, ecc, mu_km3_s2, rp_km))


def propagate_conic(
    mu_km3_s2: float, rp_km: float, ecc: float, tofs_s: np.ndarray, argp_rad: float = 0.0
) -> np.ndarray:
    """Positions (n x 3, km) on a planar conic ``tofs_s`` seconds after periapsis.

    The conic has periapsis radius ``rp_km``, eccentricity ``ecc`` and periapsis direction at
    ``argp_rad`` in the reference plane. Propagated with the library's Farnocchia propagator.
    """
    farnocchia_coe = _sub("core.propagation.farnocchia.farnocchia_coe")
    p = rp_km * (1.0 + ecc)
    tofs = np.asarray(tofs_s, dtype=float)
    nu = np.fromiter(
        (farnocchia_coe(mu_km3_s2, p, ecc, 0.0, 0.0, argp_rad, 0.0, t) for t in tofs),
        dtype=float,
        count=len(tofs),
    )
    r = p / (1.0 + ecc * np.cos(nu))
    out = np.zeros((len(tofs), 3))
    out[:, 0] = r * np.cos(nu + argp_rad)
    out[:, 1] = r * np.sin(nu + argp_rad)
    return out
