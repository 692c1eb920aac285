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

Away from home the same loophole has a second form. A tour that visits a node ``n`` twice, say
LEO -> EML2 -> LLO -> EML2 -> GEO -> LEO, may in a month's balance fuel its leg EML2 -> LLO with
propellant that only its later leg LLO -> EML2 brings: the return of the very excursion that leg
starts. A tug flying it waits at EML2 with empty tanks. For a vehicle type ``v``, a node ``n`` and
a node ``x`` (neither its home) with legs both ways, the propellant the legs ``n -> x`` draw at
``n`` (their burn and propellant cargo, ``P_nx``) may come from ``n``'s other inflows ``I_n``
(stock, launches, ISRU output, other vehicles), from ``v``'s arrivals at ``n`` from elsewhere
(``A_yn``, ``y != x``), and from the legs ``x -> n`` only for trips that are not those legs'
returns: at most one full load ``Q_xn`` per trip on ``x -> n`` beyond the trips ``n -> x`` whose
excursion ends there, counted as ``T_xn - T_nx`` plus the trips that leave ``x`` for elsewhere::

    P_nx <= I_n + sum_{y != x} A_yn + Q_xn (T_xn - T_nx + sum_{z != n} T_xz)

One row per such pair, commodity of ``v``'s mixture and month (``no_return_fuel``). It is a
rule of thumb, not a sequencing model: longer excursions (``n -> x -> z -> n``) are not seen, and
a leg ``n -> x`` flown twice with one return is allowed less than a sequence could give it.
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
        define_no_return_fuel(m, inp, ctx)


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


def define_no_return_fuel(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    """The ``no_return_fuel`` rows (module docstring): an excursion's return does not fuel its start."""
    from cislink.planner.blocks.transfers import cargo_limit_kg

    trips, cargo = by_index(m.trips), by_index(m.cargo)
    arcs = {(va.vehicle, va.origin, va.destination): va for va in inp.vehicle_arcs}
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    inn: dict[tuple[str, str], list[str]] = defaultdict(list)
    for v, o, d in arcs:
        out[(v, o)].append(d)
        inn[(v, d)].append(o)
    supply: dict[tuple[str, str, str, int], tuple[Terms, float]] = {}

    def other_supply(v: str, n: str, c: str, t: int) -> tuple[Terms, float]:
        """``n``'s inflows of ``c`` other than ``v``'s arrivals (negated, for the row), and its stock."""
        if (v, n, c, t) not in supply:
            mine = {id(cargo[v, y, n, c, t]) for y in inn[(v, n)]}
            terms = [(-k, var) for k, var in ctx.balance.get((n, c, t), []) if k > 0 and id(var) not in mine]
            supply[(v, n, c, t)] = (terms, ctx.constant.get((n, c, t), 0.0) + ctx.demand.get((n, c, t), 0.0))
        return supply[(v, n, c, t)]

    rows: dict[tuple[str, str, str, str, int], tuple[Terms, float]] = {}
    for (v, n, x), va in sorted(arcs.items()):
        home = inp.vehicle_home.get(v)
        if home is None or home in (n, x) or (v, x, n) not in arcs:
            continue
        q = max(cargo_limit_kg(inp, arcs[(v, x, n)]), 0.0)
        for c, frac in sorted(inp.vehicle_mixture.get(v, {}).items()):
            for s in inp.steps:
                t = s.index
                others_in, stock = other_supply(v, n, c, t)
                terms: Terms = [(frac * va.k * inp.vehicle_empty_kg[v], trips[v, n, x, t])]
                terms += [(frac * va.k, cargo[v, n, x, k, t]) for k in inp.commodities]
                terms.append((1.0, cargo[v, n, x, c, t]))
                terms += others_in
                terms += [(-1.0, cargo[v, y, n, c, t]) for y in inn[(v, n)] if y != x]
                terms += [(-q, trips[v, x, n, t]), (q, trips[v, n, x, t])]
                terms += [(-q, trips[v, x, z, t]) for z in out[(v, x)] if z != n]
                rows[(v, n, x, c, t)] = (terms, -max(stock, 0.0))
    m.no_return_fuel = pyo.Constraint(
        pyo.SetOf(sorted(rows)), rule=lambda _m, v, n, x, c, t: linear(*rows[(v, n, x, c, t)]) <= 0.0
    )
