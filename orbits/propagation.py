"""Where a vehicle is during a leg: transfers propagated in time with the orbital library.

``Transfer(origin, destination, depart)`` models the leg as the conic of its arc in the arc's
frame (Earth-, Moon-, Mars- or Sun-centred): the transfer ellipse between the two radii, flown from
periapsis outward or from apoapsis inward, propagated with the library's Kepler solver. Arcs whose
published time of flight differs from the ellipse's half period are flown at a scaled clock, so a
vehicle always leaves at ``depart`` and arrives at ``depart + tof``. Powered ascents and descents
move radially. Positions are in km in the arc's frame, with the x axis along the departure point.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from cislink.errors import NetworkError
from cislink.orbits import _astro
from cislink.orbits.network import Arc, Network, build_network

SECONDS_PER_DAY = 86_400.0
_MU = {"earth": "earth", "moon": "moon", "mars": "mars", "sun": "sun"}


def _to_datetime(when: Any) -> dt.datetime:
    if isinstance(when, dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    if isinstance(when, dt.date):
        return dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    if hasattr(when, "to_datetime"):  # astropy Time
        return _to_datetime(when.to_datetime())
    raise NetworkError(f"a departure time must be a date, datetime or astropy Time; got {when!r}")


class Transfer:
    """One leg of a vehicle along an arc, departing at ``depart`` (a date, datetime or astropy Time)."""

    def __init__(self, origin: str, destination: str, depart: Any, network: Network | None = None) -> None:
        self.network = network or build_network()
        self.arc: Arc = self.network.arc(origin, destination)
        self.depart = _to_datetime(depart)
        self.tof_days = self.arc.tof_days
        self.arrive = self.depart + dt.timedelta(days=self.tof_days)
        self.frame = self.arc.frame
        r1, r2 = self.arc.r1_km, self.arc.r2_km
        self._radial = self.arc.method in ("ascent", "descent", "entry")
        self._rp, self._ra = min(r1, r2), max(r1, r2)
        self._outbound = r2 >= r1
        self._ecc = (self._ra - self._rp) / (self._ra + self._rp)
        mu = _astro.body_data(_MU[self.frame]).mu_km3_s2
        self._mu = mu
        self._half_period_s = math.pi * math.sqrt(((self._rp + self._ra) / 2.0) ** 3 / mu)

    def elapsed_days(self, when: Any) -> np.ndarray:
        """Days since departure for one time or a sequence of times."""
        if isinstance(when, Sequence) and not isinstance(when, str):
            return np.array([(_to_datetime(w) - self.depart).total_seconds() / SECONDS_PER_DAY for w in when])
        return np.array([(_to_datetime(when) - self.depart).total_seconds() / SECONDS_PER_DAY])

    def positions_km(self, elapsed_days: np.ndarray) -> np.ndarray:
        """Positions (n x 3, km, in ``frame``) at ``elapsed_days`` after departure, clipped to the leg."""
        s = np.clip(np.asarray(elapsed_days, dtype=float), 0.0, self.tof_days) / max(self.tof_days, 1e-12)
        if self._radial:
            r = self.arc.r1_km + (self.arc.r2_km - self.arc.r1_km) * s
            return np.column_stack([r, np.zeros_like(r), np.zeros_like(r)])
        t = s * self._half_period_s if self._outbound else self._half_period_s * (1.0 + s)
        pos = _astro.propagate_conic(self._mu, self._rp, self._ecc, t)
        if not self._outbound:  # put the departure point (apoapsis) on +x
            pos[:, :2] *= -1.0
        return pos

    def position(self, when: Any) -> Any:
        """Position at ``when`` as an astropy Quantity (km), shape (3,)."""
        import astropy.units as u

        return self.positions_km(self.elapsed_days(when))[0] * u.km

    def positions(self, when: Sequence[Any]) -> Any:
        """Positions at several times as an astropy Quantity (km), shape (n, 3)."""
        import astropy.units as u

        return self.positions_km(self.elapsed_days(when)) * u.km

    def __repr__(self) -> str:
        return (
            f"Transfer({self.arc.origin}->{self.arc.destination}, depart={self.depart:%Y-%m-%d %H:%M}, "
            f"tof={self.tof_days:.2f} d, frame={self.frame})"
        )
