"""Node and arc-override records: the physical description of the orbit network.

These are plain data (pydantic models) so that a scenario file can list, change or add nodes,
and so the orbit layer can compute arcs from them without knowing where they came from.
``REFERENCE_NODES`` is the node set of the reference study (section IV): the launch site, the
Earth orbits, the lunar orbits and staging orbits, the Earth-Moon libration points and Mars.

Figures that are assumptions rather than physics carry their source in the field description
and in ``docs/orbits.md``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NodeKind = Literal["surface", "circular", "libration", "staging"]
BodyName = Literal["earth", "moon", "mars"]

NODE_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
#: the orbital regimes a debris event may close (their densities and margins are in ``orbits/debris.py``)
DEBRIS_REGIMES = ("leo", "meo", "geo", "cislunar", "lunar", "mars", "heliocentric")
_NAME_RE = re.compile(NODE_NAME_PATTERN)


class NodeSpec(BaseModel):
    """One node of the orbit network.

    ``kind`` decides how arcs to and from the node are computed:

    - ``surface``: a launch or landing site on ``body``; arcs are powered ascents/descents.
    - ``circular``: a circular orbit ``altitude_km`` above ``body``; Hohmann transfers within
      one body's sphere of influence, patched conics between bodies.
    - ``libration``: an Earth-Moon Lagrange point (``lagrange_point`` L1 or L2), co-rotating
      with the Moon; its distance comes from the restricted three-body problem.
    - ``staging``: an orbit where circular estimates fail (NRHO, DRO); its arcs use published
      figures recorded with their citation.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NODE_NAME_PATTERN, description="Node id, lower case (e.g. `leo`).")
    kind: NodeKind = Field(description="surface | circular | libration | staging")
    body: BodyName = Field(description="Body the node belongs to: earth | moon | mars.")
    altitude_km: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Circular orbit altitude above the body's mean radius, km.",
    )
    latitude_deg: float = Field(
        default=0.0,
        ge=-90.0,
        le=90.0,
        allow_inf_nan=False,
        strict=True,
        description="Surface site latitude, degrees.",
    )
    ascent_loss_m_s: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Surface site: gravity, drag and steering losses added to the ideal ascent/descent delta-v, m/s.",
    )
    powered_accel_m_s2: float = Field(
        default=10.0,
        gt=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Surface site: mean acceleration of the powered ascent/descent (TOF = delta-v / this), m/s^2.",
    )
    entry_interface_km: float | None = Field(
        default=None,
        gt=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Surface site with an atmosphere: altitude of the entry interface, km. Descents then "
        "lower periapsis to it and brake in the atmosphere instead of burning all the way down.",
    )
    terminal_descent_m_s: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Surface site with an atmosphere: propulsive delta-v after entry (landing burn), m/s.",
    )
    lagrange_point: Literal["L1", "L2"] | None = Field(
        default=None, description="Libration node: which Earth-Moon collinear point."
    )
    # Published figures for lunar-vicinity nodes (staging and libration) where circular estimates
    # fail. ``None`` means "not published": such arcs are composed or computed instead.
    tli_insertion_m_s: float | None = Field(
        default=None,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: delta-v from a trans-lunar trajectory into the orbit, m/s.",
    )
    tli_coast_days: float = Field(
        default=0.0,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: days from lunar arrival to orbit insertion (after the geocentric leg).",
    )
    tei_departure_m_s: float | None = Field(
        default=None,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: delta-v from the orbit onto a trans-Earth (weakly bound) trajectory, m/s.",
    )
    llo_descent_m_s: float | None = Field(
        default=None,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: delta-v to low lunar orbit, m/s.",
    )
    llo_ascent_m_s: float | None = Field(
        default=None,
        ge=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: delta-v from low lunar orbit, m/s.",
    )
    llo_transfer_days: float = Field(
        default=1.0,
        gt=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging/libration: days to or from low lunar orbit.",
    )
    mean_radius_km: float | None = Field(
        default=None,
        gt=0.0,
        allow_inf_nan=False,
        strict=True,
        description="Staging: mean distance from the Moon's centre, km (positions and debris regime).",
    )
    citation: str = Field(default="", description="Where the published figures come from.")
    description: str = ""

    @model_validator(mode="after")
    def _check_kind_fields(self) -> NodeSpec:
        if self.kind == "circular" and self.altitude_km <= 0.0:
            raise ValueError(
                f"node '{self.name}': a circular orbit needs altitude_km > 0 (its radius must exceed "
                f"the body's radius); got {self.altitude_km}"
            )
        if self.kind == "libration":
            if self.lagrange_point is None:
                raise ValueError(f"node '{self.name}': a libration node needs lagrange_point = 'L1' or 'L2'")
            if self.body != "moon":
                raise ValueError(f"node '{self.name}': libration nodes are Earth-Moon points; set body = 'moon'")
        elif self.lagrange_point is not None:
            raise ValueError(f"node '{self.name}': lagrange_point is only allowed on libration nodes")
        if self.kind == "staging":
            if self.body != "moon":
                raise ValueError(f"node '{self.name}': staging orbits are lunar; set body = 'moon'")
            missing = [
                f for f in ("tli_insertion_m_s", "tei_departure_m_s", "mean_radius_km") if getattr(self, f) is None
            ]
            if missing:
                raise ValueError(
                    f"node '{self.name}': a staging orbit needs its published figures: {', '.join(missing)}"
                )
        return self


class ArcOverride(BaseModel):
    """A scenario's own figure for one arc, replacing the computed or published one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origin: str = Field(pattern=NODE_NAME_PATTERN)
    destination: str = Field(pattern=NODE_NAME_PATTERN)
    dv_m_s: float | None = Field(default=None, ge=0.0, le=100_000.0, allow_inf_nan=False, strict=True)
    tof_days: float | None = Field(default=None, gt=0.0, le=36_500.0, allow_inf_nan=False, strict=True)
    note: str = Field(default="", description="Why the figure differs; shown as the arc's source.")
    symmetric: bool = Field(default=False, description="Apply the same figures to the reverse arc.")

    @model_validator(mode="after")
    def _check(self) -> ArcOverride:
        if self.origin == self.destination:
            raise ValueError(f"arc override {self.origin}->{self.destination}: an arc cannot go to itself")
        if self.dv_m_s is None and self.tof_days is None:
            raise ValueError(f"arc override {self.origin}->{self.destination}: give dv_m_s, tof_days or both")
        return self


def is_node_name(name: str) -> bool:
    """Whether ``name`` is a well-formed node id."""
    return bool(_NAME_RE.match(name))


# The reference study's nodes (section IV, Fig. 3 and Table 1).
REFERENCE_NODES: tuple[NodeSpec, ...] = (
    NodeSpec(
        name="earth",
        kind="surface",
        body="earth",
        latitude_deg=28.5,  # Kennedy Space Center, the study's launch site (Table 1 "KSC")
        # Gravity + drag + steering losses of a two-stage ascent: 1.5-2.0 km/s is the usual range
        # (e.g. Wertz & Larson, Space Mission Analysis and Design, 3rd ed., sec. 18.3).
        ascent_loss_m_s=1800.0,
        # Mean acceleration over an ascent of ~9-10 minutes (a Falcon 9 reaches orbit ~9 min
        # after lift-off: SpaceX Falcon User's Guide, 2021).
        powered_accel_m_s2=15.5,
        entry_interface_km=120.0,  # re-entry interface used for capsule returns (NASA: 400,000 ft)
        terminal_descent_m_s=0.0,  # parachutes
        description="Launch site (KSC)",
    ),
    # 200 km is the parking orbit that reproduces the study's LEO-GEO Hohmann figure (Table 1).
    NodeSpec(name="leo", kind="circular", body="earth", altitude_km=200.0, description="Low Earth orbit"),
    NodeSpec(
        name="geo",
        kind="circular",
        body="earth",
        altitude_km=35786.0,
        description="Geostationary orbit",
    ),
    NodeSpec(name="llo", kind="circular", body="moon", altitude_km=100.0, description="Low lunar orbit"),
    NodeSpec(
        name="nrho",
        kind="staging",
        body="moon",
        tli_insertion_m_s=450.0,
        tei_departure_m_s=450.0,
        llo_descent_m_s=740.0,
        llo_ascent_m_s=850.0,
        llo_transfer_days=0.5,
        mean_radius_km=40_000.0,  # 9:2 NRHO: perilune ~3,400 km, apolune ~70,000 km
        citation="Acta Astronautica 177 (2020) 351-372, Table 4 (TLI-NRHO, NRHO-TEI, NRHO-LLO)",
        description="Near-rectilinear halo orbit (Gateway)",
    ),
    NodeSpec(
        name="dro",
        kind="staging",
        body="moon",
        # Artemis I: outbound powered flyby (~260 m/s) + DRO insertion (~110 m/s), 4 days apart;
        # DRO departure (~140 m/s) + return powered flyby (~290 m/s).
        tli_insertion_m_s=370.0,
        tli_coast_days=4.0,
        tei_departure_m_s=430.0,
        mean_radius_km=70_000.0,
        citation="NASA Artemis I mission updates, Nov-Dec 2022 (burns of the DRO mission)",
        description="Distant retrograde orbit",
    ),
    NodeSpec(
        name="eml1",
        kind="libration",
        body="moon",
        lagrange_point="L1",
        tei_departure_m_s=140.0,
        llo_descent_m_s=640.0,
        llo_ascent_m_s=640.0,
        llo_transfer_days=3.0,
        citation="Wikipedia, 'Delta-v budget', Earth-Moon space table (EML1-LLO 0.64, EML-C3=0 0.14 km/s)",
        description="Earth-Moon L1",
    ),
    NodeSpec(
        name="eml2",
        kind="libration",
        body="moon",
        lagrange_point="L2",
        # Reached through a lunar flyby: LEO-EML2 is 3.43 km/s in the same table, ~0.30 km/s above
        # the trans-lunar injection; a direct Hohmann-like transfer costs ~0.75 km/s more.
        tli_insertion_m_s=300.0,
        tli_coast_days=3.0,
        tei_departure_m_s=140.0,
        llo_descent_m_s=640.0,
        llo_ascent_m_s=640.0,
        llo_transfer_days=3.0,
        citation="Wikipedia, 'Delta-v budget', Earth-Moon space table (LEO-EML2 3.43, EML2-LLO 0.64 km/s)",
        description="Earth-Moon L2",
    ),
    NodeSpec(
        name="lsp",
        kind="surface",
        body="moon",
        latitude_deg=-89.5,
        # Powered-descent gravity losses and landing margin: Apollo LM descent budgets ran ~2.0 km/s
        # against ~1.7 km/s ideal from a 100 km orbit; 0.2 km/s is used here.
        ascent_loss_m_s=200.0,
        # A lander's mean deceleration over the powered phase, ~0.6 g0.
        powered_accel_m_s2=6.0,
        description="Lunar south pole",
    ),
    NodeSpec(name="lmo", kind="circular", body="mars", altitude_km=300.0, description="Low Mars orbit"),
    NodeSpec(
        name="mars",
        kind="surface",
        body="mars",
        latitude_deg=18.4,
        # Mars ascent vehicles need ~4.1 km/s to low orbit against ~3.4 km/s ideal (Drake et al.,
        # NASA Mars Design Reference Architecture 5.0, 2009): ~0.6 km/s of losses.
        ascent_loss_m_s=600.0,
        powered_accel_m_s2=8.0,
        # Entry, descent and landing: aerocapture/entry, then a supersonic retro-propulsive landing
        # burn of ~0.6-0.8 km/s (Mars DRA 5.0, 2009).
        entry_interface_km=125.0,
        terminal_descent_m_s=700.0,
        description="Mars surface base",
    ),
)


class TopologyError(ValueError):
    """The nodes cannot form the study's network (e.g. a surface site with no orbit above it)."""


def topology(nodes: list[NodeSpec] | tuple[NodeSpec, ...]) -> list[tuple[str, str]]:
    """The study's arcs: space nodes all connected; each surface site to its body's lowest orbit."""
    space = [n for n in nodes if n.kind != "surface"]
    pairs = [(a.name, b.name) for a in space for b in space if a.name != b.name]
    for site in (n for n in nodes if n.kind == "surface"):
        orbits = [n for n in space if n.body == site.body and n.kind == "circular"]
        if not orbits:
            raise TopologyError(
                f"surface node '{site.name}' on {site.body} has no circular orbit of {site.body} "
                f"to connect to; add one (kind = 'circular', body = '{site.body}')"
            )
        low = min(orbits, key=lambda n: n.altitude_km)
        pairs += [(site.name, low.name), (low.name, site.name)]
    return pairs


def launch_class(node: NodeSpec) -> str | None:
    """Which launch-vehicle payload figure applies to a node: ``leo``, ``geo``, ``tli`` or ``None``.

    Earth orbits below 2,000 km use the LEO figure, higher Earth orbits the GEO figure, lunar-vicinity
    orbits the trans-lunar-injection figure. Surfaces and Mars are not reached by a launch alone.
    """
    if node.kind == "surface" or node.body == "mars":
        return None
    if node.body == "earth":
        return "leo" if node.altitude_km <= 2000.0 else "geo"
    return "tli"
