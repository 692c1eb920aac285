"""The agents of a run: launch providers, vehicles, depots, the ISRU plant, relays, customers, allies.

Each agent's ``step`` is one day. Agents read and change the stores (``Depot.stock``) and write
every movement of mass to the model's ledger; the model decides the order in which kinds of agent
act each day (launches, then arrivals and departures, production, consumption, boil-off).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa

from cislink.planner.inputs import G0_M_S2, trip_load_limit_kg

if TYPE_CHECKING:
    from cislink.agents.model import CislinkModel

#: Light speed in km per millisecond, for command latency.
C_KM_PER_MS = 299.792458
#: A leg whose avoidance burns exceed its debris margin waits a day; after this many waits it is aborted.
MAX_DEBRIS_DELAYS = 3
#: Days into a month after which a vehicle leaves with part of its planned cargo rather than wait.
PARTIAL_LOAD_DAY = 20
#: Days into a month after which an idle vehicle flies empty to a node where legs wait for a vehicle.
REPOSITION_DAY = 5


@dataclass
class Shipment:
    """Mass on its way: a launch's payload until it reaches its destination."""

    arrive_day: int
    node: str
    payload_kg: dict[str, float]
    source: str


@dataclass
class Leg:
    """One planned trip of a vehicle type along an arc, with the cargo it should carry."""

    vehicle_type: str
    origin: str
    destination: str
    cargo_kg: dict[str, float]
    delays: int = 0
    note: str = ""
    #: an empty leg that brings the vehicle back to where its planned trips start; never dropped
    reposition: bool = False
    #: model day the month's tour walk expects it to arrive (None: not walked, or not this month)
    due_day: float | None = field(default=None, compare=False)

    @property
    def cargo_total_kg(self) -> float:
        return sum(self.cargo_kg.values())


@dataclass
class Flight:
    """A vehicle's leg in progress."""

    leg: Leg
    depart_day: int
    arrive_day: float
    cargo_kg: dict[str, float]
    propellant_kg: dict[str, float]
    avoidance_m_s: float
    leg_id: int
    waited_days: int = 0

    @property
    def onboard_kg(self) -> float:
        return sum(self.cargo_kg.values()) + sum(self.propellant_kg.values())


class Depot(mesa.Agent):
    """The store at one node: stock per commodity; a built depot also has a capacity.

    Nodes without a built depot still hold what is delivered there (a station's supplies, launch
    payloads waiting for a tug); ``capacity_kg`` is 0 for them.
    """

    def __init__(self, model: CislinkModel, node: str, capacity_kg: float = 0.0) -> None:
        super().__init__(model)
        self.node = node
        self.capacity_kg = capacity_kg
        self.stock: dict[str, float] = {}

    @property
    def built(self) -> bool:
        return self.capacity_kg > 0

    @property
    def total_kg(self) -> float:
        return sum(self.stock.values())

    def put(self, commodity: str, kg: float) -> None:
        if kg > 0:
            self.stock[commodity] = self.stock.get(commodity, 0.0) + kg

    def take(self, commodity: str, kg: float) -> float:
        """Remove up to ``kg``; returns what was taken."""
        have = self.stock.get(commodity, 0.0)
        got = min(have, max(kg, 0.0))
        if got > 0:
            left = have - got
            self.stock[commodity] = left if left > 1e-9 else 0.0
        return got

    def step(self) -> None:
        """Daily boil-off of cryogenic commodities.

        Propellant loaded for a Mars departure pending here is in the transfer vehicle's actively
        cooled tanks (it is built for a multi-year round trip), so it does not boil off.
        """
        m = self.model
        held = m.mars_hold_kg(self.node)
        for c, kg in self.stock.items():
            rate = m.boiloff.get(c, 0.0)
            exposed = kg - min(kg, held.get(c, 0.0))
            if rate > 0 and exposed > 0:
                lost = exposed * rate
                self.stock[c] = kg - lost
                m.ledger.record(m.day, "boiloff", self.node, c, lost)


class LaunchProvider(mesa.Agent):
    """One launch vehicle line: flies the launches scheduled for today, or fails, or is embargoed."""

    def __init__(self, model: CislinkModel, name: str, provider: str, reliability: float, price_usd: float) -> None:
        super().__init__(model)
        self.name = name
        self.provider = provider
        self.reliability = reliability
        self.price_usd = price_usd
        self.queue: list[tuple[int, str, dict[str, float]]] = []  # (day, node, payload)
        self.forced_failures = 0
        self.launches = 0
        self.failures = 0

    def step(self) -> None:
        m = self.model
        today = [q for q in self.queue if q[0] <= m.day]
        self.queue = [q for q in self.queue if q[0] > m.day]
        for _, node, payload in today:
            total = sum(payload.values())
            if m.embargoed(self.name, self.provider):
                m.log_event("launch_scrubbed", self.name, detail=f"embargo: {total:,.0f} kg for {node} not launched")
                m.launch_rows.append((m.day, self.name, self.provider, node, total, "scrubbed", 0.0))
                continue
            if m.market_prices and m.rng.random() > m.policy.market_availability:
                # bought capacity not available today: the launch slips a day
                self.queue.append((m.day + 1, node, payload))
                m.log_event("market_slip", self.name, detail=f"no market capacity today for {total:,.0f} kg to {node}")
                continue
            self.launches += 1
            m.add_cost("supply_launches", m.market_cost_usd(payload, node) if m.market_prices else self.price_usd)
            for c, kg in payload.items():
                m.ledger.record(m.day, "launch", node, c, kg, self.name)
            failed = self.forced_failures > 0 or m.rng.random() > self.reliability
            if failed:
                self.forced_failures = max(self.forced_failures - 1, 0)
                self.failures += 1
                for c, kg in payload.items():
                    m.ledger.record(m.day, "loss", node, c, kg, f"{self.name} launch failure")
                m.log_event("launch_failure", self.name, detail=f"{total:,.0f} kg for {node} lost", alarm=True)
                m.launch_rows.append((m.day, self.name, self.provider, node, total, "failed", self.price_usd))
                if "launch_failure" in m.scenario.simulation.replan_on:
                    m.request_replan("launch_failure", self.name)  # the re-plan makes up for it
                else:
                    self._reflight(node, payload)
                continue
            arrive = m.day + max(1, math.ceil(m.launch_days(node)))
            m.shipments.append(Shipment(arrive, node, dict(payload), self.name))
            m.launch_rows.append((m.day, self.name, self.provider, node, total, "launched", self.price_usd))

    def _reflight(self, node: str, payload: dict[str, float]) -> None:
        """Launch a failed launch's payload again after ``simulation.reflight_days``, within this month.

        Later than the month's end it is left to the next re-plan, which sees the loss (a re-flight
        then would come on top of what that plan launches to make up for it).
        """
        m = self.model
        wait = m.scenario.simulation.reflight_days
        if wait <= 0:
            return
        day = m.day + max(1, math.ceil(wait))
        if day >= m.month_start_day + m.month_days:
            return
        self.queue.append((day, node, dict(payload)))
        on = (m.date + dt.timedelta(days=day - m.day)).isoformat()
        m.log_event("launch_reflight", self.name, detail=f"{sum(payload.values()):,.0f} kg for {node} again on {on}")


#: :attr:`Customer.low` while what is on its way will restore the supply in time
COVERED = "covered"
#: :attr:`Customer.low` while the month's legs not yet under way will, by the tour walk's days
PLANNED = "planned"
_LOW_KIND = {COVERED: "low_supply_covered", PLANNED: "low_supply_planned"}


class Vehicle(mesa.Agent):
    """A tug or lander: takes planned legs from where it is, flies them, docks under relay cover."""

    def __init__(self, model: CislinkModel, vehicle_type: str, serial: int, node: str) -> None:
        super().__init__(model)
        spec = next(v for v in model.scenario.vehicles if v.name == vehicle_type)
        self.name = f"{vehicle_type}-{serial}"
        self.vehicle_type = vehicle_type
        self.role = spec.role
        #: empty mass with the end-of-mission disposal reserve, which rides on every leg and is not in
        #: the usable tank (cislink.orbits.disposal)
        self.empty_kg = model.carried_empty_kg(vehicle_type)
        self.disposal_kg = self.empty_kg - spec.empty_kg
        self.payload_max_kg = spec.payload_kg
        self.tank_kg = spec.propellant_kg - self.disposal_kg
        self.ve_m_s = spec.isp_s * G0_M_S2
        self.reliability = spec.reliability
        self.turnaround_days = spec.turnaround_days
        self.mixture = model.mixtures[spec.propellant_type]
        self.node = node
        self.flight: Flight | None = None
        self.ready_day = 0
        self.lost = False
        self.legs_flown = 0
        self.wait_days = 0
        #: set at a month start when the vehicle is away from its home: it flies home first
        self.return_first = False
        #: propellant kept in the tanks on arrival away from home, for the next hop towards home
        self.reserve_kg: dict[str, float] = {}

    @property
    def state(self) -> str:
        if self.lost:
            return "lost"
        if self.flight is None:
            return "idle"
        return "waiting_dock" if self.model.day >= self.flight.arrive_day else "in_transit"

    @property
    def onboard_kg(self) -> float:
        reserve = sum(self.reserve_kg.values())
        return reserve + (self.flight.onboard_kg if self.flight is not None else 0.0)

    def step(self) -> None:
        self.arrive()
        self.leave()

    def arrive(self) -> None:
        """Finish a flight that is due today (the model lets every vehicle arrive before any leaves)."""
        if not self.lost and self.flight is not None:
            self._fly()

    def leave(self) -> None:
        """Fly the vehicle's next leg if it is ready and the leg can go today."""
        if not self.lost and self.flight is None and self.model.day >= self.ready_day:
            self._depart()

    # ---- arriving -------------------------------------------------------------------------------
    def _fly(self) -> None:
        m, f = self.model, self.flight
        assert f is not None
        if m.day < f.arrive_day:
            return
        dest = f.leg.destination
        latency = m.latency_ms(dest)
        if latency > m.latency_limit_ms:
            f.waited_days += 1
            self.wait_days += 1
            if f.waited_days == 1:
                m.log_event(
                    "dock_wait", self.name, detail=f"no relay cover at {dest} (latency {latency:,.0f} ms)", alarm=False
                )
            m.dock_wait_days += 1
            return
        depot = m.depot(dest)
        arriving: dict[str, float] = defaultdict(float)
        for c, kg in list(f.cargo_kg.items()) + list(f.propellant_kg.items()):
            arriving[c] += kg
        # keep what the next hop home needs in the tanks, so that no customer draws it down meanwhile
        for c, kg in m.return_propellant_kg(self, dest).items():
            keep = min(kg, arriving.get(c, 0.0))
            if keep > 1e-9:
                self.reserve_kg[c] = keep
                arriving[c] -= keep
        for c, kg in arriving.items():
            if kg > 0:
                depot.put(c, kg)
                m.ledger.record(m.day, "delivery", dest, c, kg, self.name)
        m.delivered_kg += sum(f.cargo_kg.values())
        if self.vehicle_type in m.market_vehicles:
            m.add_cost("market_transfer", sum(f.cargo_kg.values()) * m.policy.market_transfer_usd_per_kg)
        self.node = dest
        self.flight = None
        self.legs_flown += 1
        self.ready_day = m.day + math.ceil(self.turnaround_days)

    # ---- departing ------------------------------------------------------------------------------
    def _depart(self) -> None:
        m = self.model
        leg = m.next_leg(self)
        if leg is None:
            return
        arc = m.network.arc(leg.origin, leg.destination)
        if m.arc_closed(leg.origin, leg.destination):
            self._delay(leg, "debris closure")
            return
        # avoidance burns drawn from the debris model; each spends margin, none may exceed it
        conj = int(m.rng.poisson(arc.conjunctions_per_transit))
        burns = int(m.rng.binomial(conj, m.debris.action_fraction)) if conj else 0
        spent = burns * m.avoidance_dv_m_s(leg.origin, leg.destination)
        if spent > arc.debris_margin_m_s:
            self._delay(leg, f"{burns} avoidance burns exceed the {arc.debris_margin_m_s:.1f} m/s margin")
            return
        depot = m.depot(leg.origin)
        # what can be loaded: the node's stock plus the propellant kept in the tanks
        stock = dict(depot.stock)
        for c, kg in self.reserve_kg.items():
            stock[c] = stock.get(c, 0.0) + kg
        cargo = {c: min(kg, stock.get(c, 0.0)) for c, kg in leg.cargo_kg.items()}
        k_total = math.expm1(arc.dv_total_m_s / self.ve_m_s)
        scale = self._capacity_share(cargo, k_total)
        cargo = {c: kg * scale for c, kg in cargo.items() if kg * scale > 1e-6}
        k_min = math.expm1(arc.dv_m_s / self.ve_m_s)
        k_burn = math.expm1((arc.dv_m_s + spent) / self.ve_m_s)
        shrink = self._cargo_share(stock, cargo, k_min)

        def early() -> bool:
            """Waiting helps only while more of the cargo or propellant is still due here this month."""
            return m.day_of_month < PARTIAL_LOAD_DAY and m.supply_due(leg.origin, [*leg.cargo_kg, *self.mixture], self)

        if shrink <= 0.0 or (shrink < 1.0 and early()):
            # not even the empty vehicle can go, or the cargo is not all there yet: wait
            if self._give_up(leg):
                m.drop_leg(leg, f"too little propellant at {leg.origin} for {self.name}")
            self.wait_days += 1
            return
        cargo = {c: kg * shrink for c, kg in cargo.items() if kg * shrink > 1e-6}
        back = self._way_back_kg(leg.destination)
        if back and m.supplied_without_vehicles(leg.destination):
            back = self._way_back_spared(back, leg, stock, cargo, k_min)
        room = self._room_with_way_back(back, stock, cargo, k_min, k_total)
        if room < 0.0 or (room < 1.0 and early()):
            # only a vehicle brings propellant there and the way back does not fit yet: do not go
            if self._give_up(leg):
                why = f"{self.name} would be stranded at {leg.destination}: too little propellant for the way back"
                m.drop_leg(leg, why)
            self.wait_days += 1
            return
        cargo = _with_way_back(back, {c: kg * room for c, kg in cargo.items() if kg * room > 1e-6})
        loaded = self.empty_kg + sum(cargo.values())
        # propellant on hand at the origin once the cargo is set aside, in the vehicle's mixture
        avail = min((stock.get(c, 0.0) - cargo.get(c, 0.0)) / frac for c, frac in self.mixture.items() if frac > 0)
        need = min(k_total * loaded, self.tank_kg, max(avail, 0.0))
        if need < k_burn * loaded - 1e-3:  # the room above is found to a share of 1e-9
            self._delay(leg, f"{burns} avoidance burns exceed the propellant margin on board")
            return
        prop_need = {c: need * frac for c, frac in self.mixture.items()}
        # the tanks' reserve goes first (it is already on board: no transfer), the rest from the node
        reserve = self.reserve_kg
        self.reserve_kg = {}
        for c, kg in list(cargo.items()) + list(prop_need.items()):
            from_tanks = min(kg, reserve.get(c, 0.0))
            if from_tanks > 0:
                reserve[c] -= from_tanks
            if kg - from_tanks > 0:
                depot.take(c, kg - from_tanks)
                m.ledger.record(m.day, "transfer", leg.origin, c, kg - from_tanks, self.name)
        m.take_leg(leg)
        burn = min(k_burn * loaded, need)
        propellant = {}
        for c, frac in self.mixture.items():
            m.ledger.record(m.day, "consumption", leg.origin, c, burn * frac, f"{self.name} burn")
            propellant[c] = prop_need[c] - burn * frac
        # what the tanks kept for the way home from here and this leg does not use stays here: the
        # plan draws it here, and the way home from the destination rides as cargo if it must
        for c, kg in reserve.items():
            if kg > 1e-12:
                depot.put(c, kg)
                m.ledger.record(m.day, "delivery", leg.origin, c, kg, self.name)
        m.burned_kg += burn
        if spent > 0:
            m.log_event("debris_avoidance", self.name, detail=f"{burns} burns, {spent:.1f} m/s of margin")
        self.flight = Flight(leg, m.day, m.day + arc.tof_days, cargo, propellant, spent, m.new_leg_id())
        self.node = ""
        if m.rng.random() > self.reliability:
            m.lose_vehicle(self, "failure in flight")

    def _give_up(self, leg: Leg) -> bool:
        """Whether a leg that cannot fly for lack of propellant at its origin is dropped today.

        Not before :data:`PARTIAL_LOAD_DAY`, nor while propellant of the vehicle's mixture is still
        due at the origin this month (a vehicle or launch on its way there, the plant producing
        there): a lander at NRHO that gave up its leg down with the habitat's food three days before
        the tug brought its propellant flew down without the food. A leg that only brings the vehicle
        home is never dropped.
        """
        m = self.model
        if leg.reposition or m.day_of_month < PARTIAL_LOAD_DAY:
            return False
        return not m.supply_due(leg.origin, list(self.mixture), self)

    def _way_back_spared(
        self, back: dict[str, float], leg: Leg, stock: dict[str, float], cargo: dict[str, float], k: float
    ) -> dict[str, float]:
        """``back`` cut to what the origin's stock spares once the month's other vehicles' legs from there are served.

        Where a launch can bring propellant, a vehicle without its way back waits there for it;
        taking it here could take what another vehicle's planned leg needs: a tug that took 2.8 t
        of lunar-orbit propellant for its way home from NRHO left the lander too little for its
        descent with the habitat's food, and the habitat went 17 days without food.
        """
        held = self.model.others_draw_kg(leg.origin, self.vehicle_type)
        total = sum(back.values())
        if total <= 0:
            return back
        most = total
        load = self.empty_kg + sum(cargo.values())
        for c, frac in self.mixture.items():
            if frac <= 0:
                continue
            # the way back rides as cargo of this commodity (the larger of the two), its extra burns too
            spare = stock.get(c, 0.0) - cargo.get(c, 0.0) - held.get(c, 0.0) - k * load * frac
            most = min(most, (cargo.get(c, 0.0) + max(spare, 0.0) / (1.0 + k)) / frac)
        share = most / total
        return {c: kg * share for c, kg in back.items() if kg * share > 1e-6}

    def _way_back_kg(self, destination: str) -> dict[str, float]:
        """Propellant the vehicle must arrive with at ``destination`` to fly its first hop home.

        Nothing at home. Where only a vehicle brings propellant (the lunar surface without a
        producing plant), a vehicle that arrives without its way back is stranded for good. Where a
        launch or the ISRU plant can bring it, the vehicle need not carry what is there already or
        still due there this month; without either it would sit there until a later month's re-plan
        sends a launch, and the month's tour would stop. There it carries only what the stock lacks:
        a tug bringing 1.2 t of propellant to GEO, where 2.0 t of its 3.2 t way home were already
        stocked, had carried all 3.2 t, and the 4.9 t of LEO propellant that cost (the extra with its
        own burn) left its next leg, to the Mars vehicle, with 4% of its cargo.
        """
        m = self.model
        if destination == m.home(self.vehicle_type):
            return {}
        need = m.return_propellant_kg(self, destination)
        if not m.supplied_without_vehicles(destination):
            return need
        stock = m.depot(destination).stock
        return {
            c: kg - stock.get(c, 0.0)
            for c, kg in need.items()
            if stock.get(c, 0.0) < kg - 1e-6 and not m.supply_due(destination, [c], self)
        }

    def _capacity_share(self, cargo: dict[str, float], k: float) -> float:
        """The largest share of ``cargo`` the vehicle can lift on an arc of propellant fraction ``k``.

        The planner's limits per trip (``planner/blocks/transfers.py``, eqs 20-22): dry cargo (what
        cannot be pumped into the tanks) within the payload capacity; propellant of the vehicle's own
        type may also ride in the tanks' room, so cargo and burn together within payload and tank;
        and the burn ``k (m_empty + cargo)`` within the tank.
        """
        total = sum(cargo.values())
        dry = sum(kg for c, kg in cargo.items() if c not in self.mixture)
        share = 1.0
        if dry > 1e-9:
            share = min(share, self.payload_max_kg / dry)
        if total > 1e-9:
            share = min(share, trip_load_limit_kg(self.payload_max_kg, self.tank_kg, self.empty_kg, k) / total)
        return max(0.0, share)

    def _room_with_way_back(
        self, back: dict[str, float], stock: dict[str, float], cargo: dict[str, float], k: float, k_total: float
    ) -> float:
        """The largest share of ``cargo`` that still lets the vehicle carry ``back`` (its way back) too.

        1 where no way back is needed or all fits (capacity at ``k_total``, and with the burn at ``k``
        the stock), -1 where not even the way back alone fits.
        """
        if not back:
            return 1.0

        def fits(share: float) -> bool:
            full = _with_way_back(back, {c: kg * share for c, kg in cargo.items()})
            return self._capacity_share(full, k_total) >= 1 - 1e-9 and self._cargo_share(stock, full, k) >= 1 - 1e-9

        if fits(1.0):
            return 1.0
        if not fits(0.0):
            return -1.0
        low, high = 0.0, 1.0
        for _ in range(30):
            mid = (low + high) / 2
            low, high = (mid, high) if fits(mid) else (low, mid)
        return low

    def _cargo_share(self, stock: dict[str, float], cargo: dict[str, float], k: float) -> float:
        """The largest share of ``cargo`` that leaves enough propellant in ``stock`` for the burn.

        Cargo and propellant may be the same commodity (a lander lifting ISRU propellant), so for
        every commodity ``c`` of the mixture: ``s cargo_c + k (m_empty + s C) f_c <= stock_c``.
        Returns 1 when all fits, 0 when not even the empty vehicle can fly.
        """
        total = sum(cargo.values())
        share = 1.0
        for c, frac in self.mixture.items():
            if frac <= 0:
                continue
            room = stock.get(c, 0.0) - k * self.empty_kg * frac
            if room < -1e-9:
                return 0.0
            per_share = cargo.get(c, 0.0) + k * total * frac
            if per_share > 1e-12:
                share = min(share, room / per_share)
        return max(0.0, min(1.0, share))

    def _delay(self, leg: Leg, why: str) -> None:
        m = self.model
        leg.delays += 1
        if leg.delays > MAX_DEBRIS_DELAYS:
            m.drop_leg(leg, f"aborted after {MAX_DEBRIS_DELAYS} delays: {why}")
            m.log_event("leg_aborted", self.name, detail=f"{leg.origin}->{leg.destination}: {why}", alarm=True)
        else:
            m.log_event("leg_delayed", self.name, detail=f"{leg.origin}->{leg.destination}: {why}")
        self.wait_days += 1


class IsruPlant(mesa.Agent):
    """The ISRU plant: produces each day what this month's plan asks of it, unless it is out."""

    def __init__(self, model: CislinkModel, node: str, rate_kg_per_year: float) -> None:
        super().__init__(model)
        self.node = node
        self.rate_kg_per_year = rate_kg_per_year
        self.out_until = -1
        self.daily_kg: dict[str, float] = {}

    @property
    def running(self) -> bool:
        return self.model.day >= self.out_until and self.rate_kg_per_year > 0

    def step(self) -> None:
        m = self.model
        if not self.running:
            return
        depot = m.depot(self.node)
        for c, kg in self.daily_kg.items():
            depot.put(c, kg)
            m.ledger.record(m.day, "production", self.node, c, kg, "isru")


class Relay(mesa.Agent):
    """A command relay at ``node`` serving ``serves``; down while ``out_until`` is in the future."""

    def __init__(self, model: CislinkModel, name: str, node: str, serves: list[str], processing_ms: float) -> None:
        super().__init__(model)
        self.name = name
        self.node = node
        self.serves = sorted({node, *serves})
        self.processing_ms = processing_ms
        self.out_until = -1

    @property
    def up(self) -> bool:
        return self.model.day >= self.out_until

    def latency_ms(self, node: str) -> float:
        """One-way command latency to ``node`` (inf if not served or down)."""
        if not self.up or node not in self.serves:
            return math.inf
        if node == self.node:
            return self.processing_ms
        a, b = self.model.network.node(self.node), self.model.network.node(node)
        if a.frame != b.frame:
            return math.inf
        return math.hypot(a.radius_km, b.radius_km) / C_KM_PER_MS + self.processing_ms


class Customer(mesa.Agent):
    """A customer drawing supplies every day: a crewed station, a servicer, or an allied operator.

    ``daily_kg`` is the net daily use per commodity (after recycling). Allies buy what they draw
    (a ``sale`` at the policy's toll); stations and servicers consume it. What cannot be drawn is a
    shortfall, and a day with any shortfall is a day short.
    """

    def __init__(
        self,
        model: CislinkModel,
        name: str,
        node: str,
        kind: str,
        daily_kg: dict[str, float],
        resupply_months: int,
        days_limit: float,
        toll_usd_per_kg: float = 0.0,
    ) -> None:
        super().__init__(model)
        self.name = name
        self.node = node
        self.kind = kind  # station | servicing | ally
        self.daily_kg = {c: kg for c, kg in daily_kg.items() if kg > 0}
        self.resupply_months = resupply_months
        self.days_limit = days_limit
        self.toll_usd_per_kg = toll_usd_per_kg
        self.days_short = 0
        self.short_kg = 0.0
        self.used_kg = 0.0
        self.tolls_usd = 0.0
        #: under its days-of-supply limit: False, COVERED (what is on its way restores it in time),
        #: PLANNED (the month's legs not yet under way do, on the days the tour walk expects them; both
        #: checked daily) or True (alarm raised, once per spell)
        self.low: bool | str = False

    def days_of_supply(self) -> float:
        depot = self.model.depot(self.node)
        share = self.model.node_use(self.node)
        days = math.inf
        for c in self.daily_kg:
            if share.get(c, 0.0) > 0:
                days = min(days, depot.stock.get(c, 0.0) / share[c])
        return days

    def step(self) -> None:
        m = self.model
        depot = m.depot(self.node)
        short_today = False
        for c, want in self.daily_kg.items():
            got = depot.take(c, want)
            if got > 0:
                if self.kind == "ally":
                    m.ledger.record(m.day, "sale", self.node, c, got, self.name)
                    m.tolls_usd += got * self.toll_usd_per_kg
                    self.tolls_usd += got * self.toll_usd_per_kg
                    m.sold_kg += got
                else:
                    m.ledger.record(m.day, "consumption", self.node, c, got, self.name)
                    m.consumed_kg += got
                self.used_kg += got
            if want - got > 1e-6:
                short_today = True
                self.short_kg += want - got
                if self.kind != "ally":  # an ally's unmet purchase is a sale not made, not a shortfall
                    m.shortfall_rows.append((m.day, self.name, self.node, c, want - got))
        if self.kind == "ally":
            return
        if short_today:
            self.days_short += 1
            m.station_days_short += 1
        days = self.days_of_supply()
        if days >= self.days_limit:
            if self.low:
                self.low = False
                m.log_event("supply_restored", self.name, detail=f"{days:,.0f} days of supply")
            return
        if self.low is True:  # alarmed already in this spell
            return
        coming = m.supply_coming(self.node)
        planned = m.supply_planned(self.node)
        state: str | None = None
        if self._restored_in_time(coming):
            state = COVERED
        elif planned and self._restored_in_time(_merged(coming, planned), m.reach_days(self.node)):
            state = PLANNED
        if state and self.low:  # noted already; still covered (checked daily)
            return
        self.low = state or True
        kind = _LOW_KIND.get(state or "", "low_supply")
        m.log_event(kind, self.name, detail=self._low_detail(days, coming, planned), alarm=state is None)

    def _low_detail(
        self, days: float, coming: dict[str, list[tuple[float, float]]], planned: dict[str, list[tuple[float, float]]]
    ) -> str:
        """Days left, what is on its way and what the month's plan still brings by vehicle, and when."""
        m = self.model
        text = f"{days:,.0f} days of supply left (limit {self.days_limit:g})"
        first = min((d for c in self.daily_kg for d, _ in coming.get(c, ())), default=None)
        if first is not None:
            on = (m.date + dt.timedelta(days=math.ceil(first))).isoformat()
            due = sum(kg for c in self.daily_kg for _, kg in coming.get(c, ()))
            text += f"; {due:,.0f} kg on its way, the first on {on}"
        by_type: dict[str, float] = defaultdict(float)  # legs not yet under way
        for g in m.legs:
            if g.destination == self.node and not g.reposition:
                by_type[g.vehicle_type] += sum(kg for c, kg in g.cargo_kg.items() if c in self.daily_kg)
        if any(kg > 0.5 for kg in by_type.values()):
            by = ", ".join(f"{kg:,.0f} kg by {t}" for t, kg in sorted(by_type.items()) if kg > 0.5)
            text += f"; this month's plan brings {by} (not yet under way"
            first = min((d for c in self.daily_kg for d, _ in planned.get(c, ())), default=None)
            if first is not None:
                text += f", the first due about {(m.date + dt.timedelta(days=math.ceil(first))).isoformat()}"
            text += ")"
        return text

    def _restored_in_time(self, coming: dict[str, list[tuple[float, float]]], margin_days: float = 0.0) -> bool:
        """Whether what is on its way arrives before each supply runs out and lifts it over the limit.

        With ``margin_days``, each arrival must come while that many days of each supply are left: a
        leg not yet under way may still slip, and when it does the alarm comes while supply sent from
        Earth by the quickest arcs could still reach the station.
        """
        m = self.model
        stock = m.depot(self.node).stock
        for c, use in m.node_use(self.node).items():
            if use <= 0 or c not in self.daily_kg:
                continue
            kg, now = stock.get(c, 0.0), 0.0
            for day, more in coming.get(c, ()):
                kg -= use * (day - now)
                if kg < use * margin_days - 1e-6:  # runs out (or into the margin) before this arrives
                    return False
                kg, now = kg + more, day
            if kg / use < self.days_limit:
                return False
        return True


def _merged(*supplies: dict[str, list[tuple[float, float]]]) -> dict[str, list[tuple[float, float]]]:
    """Arrivals (days from today, kg) per commodity from several sources, soonest first."""
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for supply in supplies:
        for c, rows in supply.items():
            out[c].extend(rows)
    return {c: sorted(rows) for c, rows in out.items()}


def _with_way_back(back: dict[str, float], cargo: dict[str, float]) -> dict[str, float]:
    """``cargo`` with the propellant of ``back`` (a way back) added where it falls short."""
    out = dict(cargo)
    for c, kg in back.items():
        out[c] = max(out.get(c, 0.0), kg)
    return out
