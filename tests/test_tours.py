"""Tour order: the month's legs of every vehicle type, ordered against one stock in time."""

from __future__ import annotations

import itertools

from cislink.agents.agents import Leg
from cislink.agents.tours import Tour, walk_tours


def _tour(start: str, legs: list[tuple[str, str, float, float, float, float]]) -> Tour:
    """Legs as (origin, destination, cargo kg of P, burn kg of P, vehicle days, flight days)."""
    made = [Leg("x", o, d, {"P": cargo} if cargo else {}) for o, d, cargo, _, _, _ in legs]
    needs = [{"P": cargo + burn} for _, _, cargo, burn, _, _ in legs]
    return Tour(made, start, 0.0, [x[4] for x in legs], [x[5] for x in legs], needs)


LANDER = [
    ("llo", "lsp", 0.0, 2.0, 2.0, 1.0),  # down, empty
    ("lsp", "llo", 10.0, 2.0, 2.0, 1.0),  # up with 10 of ISRU propellant
    ("llo", "nrho", 8.0, 2.0, 4.0, 3.0),  # the load the tug takes on
    ("nrho", "llo", 0.0, 2.0, 4.0, 3.0),
]
TUG = [("nrho", "eml1", 8.0, 1.0, 5.0, 4.0), ("eml1", "nrho", 0.0, 1.0, 5.0, 4.0)]
STOCK = {("llo", "P"): 10.0, ("nrho", "P"): 3.0, ("lsp", "P"): 50.0, ("eml1", "P"): 5.0}


def test_a_lander_alone_flies_down_first_when_its_load_would_leave_it_short_of_its_landing() -> None:
    (order,) = walk_tours({"lander": _tour("llo", LANDER)}, STOCK, 30.0).order.values()
    assert [g.destination for g in order] == ["lsp", "llo", "nrho", "llo"]


def test_a_lander_flies_the_load_a_tug_waits_for_first() -> None:
    # the tug at NRHO carries the lander's load on; flown last, the tug leaves without it (6 short);
    # flown first, the tug waits three days for it and only the lander's landing is 2 short
    tours = {"lander": _tour("llo", LANDER), "tug": _tour("nrho", TUG)}
    order = walk_tours(tours, STOCK, 30.0).order
    assert [g.destination for g in order["lander"]] == ["nrho", "llo", "lsp", "llo"]
    assert [g.destination for g in order["tug"]] == ["eml1", "nrho"]


def test_every_tour_closes_and_keeps_its_legs() -> None:
    tours = {"lander": _tour("llo", LANDER + LANDER), "tug": _tour("nrho", TUG + TUG)}
    for vt, order in walk_tours(tours, {}, 30.0).order.items():
        assert sorted(map(id, order)) == sorted(map(id, tours[vt].legs))
        assert order[0].origin == tours[vt].start and order[-1].destination == tours[vt].start
        assert all(a.destination == b.origin for a, b in itertools.pairwise(order))


def test_the_walk_expects_each_leg_to_arrive_after_the_waits_for_its_cargo() -> None:
    # the lander brings the tug's load to NRHO on day 3; the tug waits for it there, so its legs
    # arrive on days 3 + 4 and 3 + 5 + 4, and the lander's after its own days in turn
    tours = {"lander": _tour("llo", LANDER), "tug": _tour("nrho", TUG)}
    walk = walk_tours(tours, STOCK, 30.0)
    assert walk.arrive_days["tug"] == [7.0, 12.0]
    assert walk.arrive_days["lander"] == [3.0, 7.0, 9.0, 11.0]
    # a leg that would leave after the horizon is not expected this month
    assert walk_tours(tours, STOCK, 8.0).arrive_days["lander"][-1] is None
