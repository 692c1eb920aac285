"""The order of a month's legs: every vehicle type's tour walked against one stock, in time.

The plan counts each vehicle type's legs per month; it does not say in which order they go, only
that the month's stock and arrivals cover them all. The order matters when vehicles feed each
other: a lander that lifts ISRU propellant to low lunar orbit for the tug, a tug that waits at NRHO
for the lander's load for the Mars vehicle. :func:`walk_tours` walks all the types' tours together
in simulated days: the type whose vehicle is free first takes its next leg, drawing its cargo and
burn from the stock at the leg's origin; the cargo reaches the destination when the leg arrives. A
leg whose load is short waits for cargo already on its way there (as the agents do), else goes
with what there is. A leg that would leave after the month's end carries nothing this month.

Where several legs leave a vehicle's node, each is tried first and the rest of every tour walked
after it greedily (at each step the least short leg); the leg whose trial leaves least short in all
goes (a rollout). A leg that would cut the vehicle off from legs still to fly goes only when no
other leaves there (Fleury's rule), so every tour still closes.

With the order comes the day each leg is expected to arrive: the walk's own estimate, waits for
cargo included. Stations use it to tell a resupply the plan has in hand from one that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cislink.agents.agents import Leg

Stock = dict[tuple[str, str], float]


@dataclass(frozen=True)
class Tour:
    """One vehicle type's legs for the month, in Euler-circuit order, and what each takes."""

    legs: list[Leg]
    start: str
    #: days from now until a vehicle of the type is at ``start`` and free
    ready_day: float
    #: per leg: vehicle days (flight and turnaround), flight days, kg drawn at the origin (cargo and burn)
    days: list[float]
    tof_days: list[float]
    needs: list[dict[str, float]]


@dataclass
class _Walk:
    """Where a partial walk of all the tours stands."""

    stock: Stock
    arrivals: list[tuple[float, str, str, float]]  # (day, node, commodity, kg), not yet in stock
    at: dict[str, str]
    day: dict[str, float]
    left: dict[str, list[int]]
    short_kg: float = 0.0
    order: dict[str, list[int]] = field(default_factory=dict)
    #: (type, leg index) -> days from now until the leg arrives, for legs flown before the horizon
    arrive: dict[tuple[str, int], float] = field(default_factory=dict)

    def copy(self) -> _Walk:
        return _Walk(
            dict(self.stock),
            list(self.arrivals),
            dict(self.at),
            dict(self.day),
            {t: list(v) for t, v in self.left.items()},
            self.short_kg,
            {t: list(v) for t, v in self.order.items()},
            dict(self.arrive),
        )


@dataclass(frozen=True)
class TourWalk:
    """Each type's legs in the order to fly them, and the days from now until each is expected to arrive."""

    order: dict[str, list[Leg]]
    #: aligned with ``order``; None for a leg the walk could not fit before the horizon
    arrive_days: dict[str, list[float | None]]


def walk_tours(tours: dict[str, Tour], on_hand: Stock, horizon_days: float) -> TourWalk:
    """Each type's legs in the order that leaves the month's loads least short (see the module
    docstring), with each leg's expected arrival (days from now)."""

    def settle(w: _Walk, day: float) -> None:
        if not w.arrivals:
            return
        keep = []
        for a in w.arrivals:
            if a[0] <= day:
                w.stock[(a[1], a[2])] = w.stock.get((a[1], a[2]), 0.0) + a[3]
            else:
                keep.append(a)
        w.arrivals = keep

    def short(w: _Walk, vt: str, i: int) -> float:
        tour = tours[vt]
        if w.day[vt] >= horizon_days:  # not flown this month: its cargo is missing where it goes
            return sum(tour.legs[i].cargo_kg.values())
        o = tour.legs[i].origin
        return sum(max(kg - w.stock.get((o, c), 0.0), 0.0) for c, kg in tour.needs[i].items())

    def fly(w: _Walk, vt: str, i: int) -> None:
        tour = tours[vt]
        leg = tour.legs[i]
        w.short_kg += short(w, vt, i)
        if w.day[vt] < horizon_days:
            for c, kg in tour.needs[i].items():
                have = w.stock.get((leg.origin, c), 0.0)
                took = min(kg, have)
                w.stock[(leg.origin, c)] = have - took
                moved = min(leg.cargo_kg.get(c, 0.0), took)
                if moved > 0:
                    w.arrivals.append((w.day[vt] + tour.tof_days[i], leg.destination, c, moved))
            w.arrive[(vt, i)] = w.day[vt] + tour.tof_days[i]
        w.day[vt] += tour.days[i]
        w.at[vt] = leg.destination
        w.left[vt].remove(i)
        w.order.setdefault(vt, []).append(i)

    def keeps_tour(vt: str, i: int, left: list[int]) -> bool:
        legs = tours[vt].legs
        out: dict[str, list[str]] = {}
        for j in left:
            if j != i:
                out.setdefault(legs[j].origin, []).append(legs[j].destination)
        if not out:
            return True
        seen, todo = {legs[i].destination}, [legs[i].destination]
        while todo:
            for n in out.get(todo.pop(), ()):
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return all(n in seen for n in out)

    def choices(w: _Walk, vt: str) -> list[int]:
        legs, left = tours[vt].legs, w.left[vt]
        here = [i for i in left if legs[i].origin == w.at[vt]]
        if len(here) <= 1:
            return here
        distinct: dict[tuple[str, tuple[tuple[str, float], ...]], int] = {}
        for i in here:  # identical legs are one choice (the first in the circuit)
            distinct.setdefault((legs[i].destination, tuple(sorted(legs[i].cargo_kg.items()))), i)
        here = list(distinct.values())
        return [i for i in here if keeps_tour(vt, i, left)] or here

    def next_type(w: _Walk) -> str | None:
        busy = [(w.day[vt], vt) for vt in sorted(tours) if w.left[vt]]
        return min(busy)[1] if busy else None

    def go(w: _Walk, vt: str, i: int) -> None:
        """Fly leg ``i``, or wait for the first cargo on its way to its origin that it lacks."""
        if short(w, vt, i) > 0:
            leg, needs = tours[vt].legs[i], tours[vt].needs[i]
            due = [a[0] for a in w.arrivals if a[1] == leg.origin and a[2] in needs and w.day[vt] < a[0] < horizon_days]
            if due:
                w.day[vt] = min(due)
                return
        fly(w, vt, i)

    def greedy(w: _Walk) -> None:
        while (vt := next_type(w)) is not None:
            settle(w, w.day[vt])
            here = choices(w, vt)
            if not here:  # cannot happen on a circuit
                w.left[vt] = []
                continue
            go(w, vt, min(here, key=lambda j: (round(short(w, vt, j), 3), j)))

    walk = _Walk(
        dict(on_hand),
        [],
        {vt: t.start for vt, t in tours.items()},
        {vt: t.ready_day for vt, t in tours.items()},
        {vt: list(range(len(t.legs))) for vt, t in tours.items()},
    )
    while (vt := next_type(walk)) is not None:
        settle(walk, walk.day[vt])
        here = choices(walk, vt)
        if not here:  # cannot happen on a circuit; the rest keeps the circuit's order
            walk.order.setdefault(vt, []).extend(walk.left[vt])
            walk.left[vt] = []
            continue
        if len(here) == 1:
            go(walk, vt, here[0])
            continue

        def rollout(i: int, vt: str = vt) -> float:
            trial = walk.copy()
            go(trial, vt, i)
            greedy(trial)
            return trial.short_kg

        go(walk, vt, min(here, key=lambda j: (round(rollout(j), 3), round(short(walk, vt, j), 3), j)))
    order = {vt: walk.order.get(vt, []) for vt in tours}
    return TourWalk(
        {vt: [tours[vt].legs[i] for i in idx] for vt, idx in order.items()},
        {vt: [walk.arrive.get((vt, i)) for i in idx] for vt, idx in order.items()},
    )
