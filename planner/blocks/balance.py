"""Node balances: what arrives equals what leaves, is used or is stored (study eqs 4, 8, 9, 16).

One equality per (node, commodity, month) that any block touched: launches, vehicle arrivals,
ISRU output and stock carried in, minus departures, propellant drawn for departures, demand met,
Mars loading and stock carried out. Earth is the unlimited source and has no balance; nothing
flows back into it (eq 9) because no vehicle arc ends there.

A month's balance is one equation, so it lets a vehicle's tour fuel itself: a tug based at LEO
could leave LEO on propellant it only brings back to LEO at the end of the same tour. A vehicle
starts its month at home (a rolling window gives each vehicle type a home its month's legs pass),
so what it draws there for its own departures (cargo and the propellant it burns) must come from
elsewhere: stock carried in, launches, ISRU output, other vehicles' arrivals. With the balance
``D + A + I - O - d = 0`` at the home (``D`` the vehicle's own departures, negative, ``A`` its
arrivals, ``I`` every other inflow, ``O`` every other outflow including stock carried out, ``d``
the demand due), "``-D <= I``" is the same as ``A - O - d <= 0``: what the vehicle brings home
in a month leaves again with someone else, stays in stock or meets demand. One row per vehicle
type, commodity of its propellant mixture and month (``home_start``); vehicles without a home
(the study) have none.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, Terms, by_index, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs


def define_balance(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    keys = sorted(set(ctx.balance) | {k for k, v in ctx.constant.items() if v != 0})
    m.balance = pyo.Constraint(
        pyo.SetOf(keys),
        rule=lambda _m, n, c, t: linear(ctx.balance.get((n, c, t), []), ctx.constant.get((n, c, t), 0.0)) == 0.0,
    )

    if inp.vehicle_home:
        define_home_start(m, inp, ctx)


def define_home_start(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    """The ``home_start`` rows (module docstring): a vehicle's arrivals home do not fuel its own departures."""
    mine: dict[tuple[str, int], set[int]] = defaultdict(set)  # (vehicle, step) -> its legs' variables at home
    cargo = by_index(m.cargo)
    for (v, o, d, t), x in m.trips.items():
        home = inp.vehicle_home.get(v)
        if home in (o, d):
            mine[(v, t)].add(id(x))
            mine[(v, t)].update(id(cargo[v, o, d, c, t]) for c in inp.commodities)
    keys: list[tuple[str, str, int]] = []
    rows: dict[tuple[str, str, int], tuple[Terms, float]] = {}
    for v, home in sorted(inp.vehicle_home.items()):
        for c in sorted(inp.vehicle_mixture.get(v, {})):
            for s in inp.steps:
                own = mine.get((v, s.index))
                terms = ctx.balance.get((home, c, s.index), [])
                arrivals = [(k, x) for k, x in terms if k > 0 and own and id(x) in own]
                if not arrivals:
                    continue
                others_out = [(k, x) for k, x in terms if k < 0 and id(x) not in own]
                keys.append((v, c, s.index))
                rows[(v, c, s.index)] = (arrivals + others_out, -ctx.demand.get((home, c, s.index), 0.0))
    m.home_start = pyo.Constraint(pyo.SetOf(keys), rule=lambda _m, v, c, t: linear(*rows[(v, c, t)]) <= 0.0)
