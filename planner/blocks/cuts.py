"""Valid inequalities: the Earth launches that demand makes unavoidable.

The launch count is what makes the relaxation weak: a linear program flies 0.1 of a launch to
deliver a quarter's supplies. The model's rows do imply that a demand lump must be launched at most
``A`` months (the storage limit) before it is due, but only through the balances and storage-age
rows of every node; the solver's cut generators do not find that chain. These rows state it
directly, so that rounding cuts (mixed-integer rounding on the launch counts) follow from them.

For every run of demand months ``a..b`` of a segment, the commodities that only Earth can supply
(everything but what the ISRU plant makes, when one may be built), due in ``a..b`` and not short,
were launched in months ``a - A .. b`` (only ``a .. b`` when no depot may be built to keep them)::

    sum_{tau in a-A..b} sum_{lv,d} payload_max[lv] * launches[lv, d, tau] + shortfall(a..b) >= demand(a..b)

``payload_max`` is the vehicle's largest payload to any destination, so the row holds whatever the
routing. Where in-space vehicles do not link every node (no tugs, say), the same rows are written
per group of demand nodes with the launches to the destinations that can reach them (a LEO station
without tugs is supplied by LEO launches only) and the payload to each such destination.

A rolling window starts with stock on hand, which can serve demand without any launch: each row's
demand is reduced, commodity by commodity, by all the stock of that commodity the window starts
with, wherever it is (a weaker row, but still one the model implies). In a window the first
month's row matters most: only that month has whole launch counts, and the row tells the solver at
once that its residual demand needs a whole launch rather than a tenth of one.

Each row is implied by the model's own rows: it removes no plan.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, Terms, by_index, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs


def define_cuts(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    if not inp.launch_options:
        return
    earth = [c for c in inp.commodities if c not in inp.isru_commodities]
    payload_max: dict[str, float] = defaultdict(float)
    for (lv, _), kg in inp.launch_payload_kg.items():
        payload_max[lv] = max(payload_max[lv], kg)
    everywhere = frozenset(inp.launch_nodes)
    reach = _launch_sources(inp)

    # demand due per (group of launch destinations that can supply it, step), and its shortfall
    due: dict[tuple[frozenset[str], int, str], float] = defaultdict(float)
    short: dict[tuple[frozenset[str], int], Terms] = defaultdict(list)
    shortfall = by_index(m.shortfall)
    groups = {everywhere} | {s for s in reach.values() if s}
    for (name, c, t), kg in inp.demand.items():
        if c in earth:
            sources = reach.get(inp.demand_node[name], everywhere)
            for g in groups:
                if sources <= g:
                    due[(g, t, c)] += kg
                    short[(g, t)].append((1.0, shortfall[name, c, t]))
    if hasattr(m, "mars_at"):
        # the least Earth mass any supply node needs; with stock on hand, commodity by commodity
        # (the stock may cover one commodity of one node's need better than another's)
        need = inp.mars_need
        cheapest = min(inp.mars_nodes, key=lambda n: sum(need.get((n, c), 0.0) for c in earth))
        for t in m.mars_missions:
            for c in earth:
                kg = (
                    min(need.get((n, c), 0.0) for n in inp.mars_nodes)
                    if inp.initial_stock
                    else need.get((cheapest, c), 0.0)
                )
                due[(everywhere, t, c)] += kg
            short[(everywhere, t)] += [(1.0, m.mars_shortfall[t, c]) for c in earth if (t, c) in m.mars_shortfall]

    launches_at: dict[int, list[tuple[str, str, object]]] = defaultdict(list)
    for (lv, d, t), x in m.launches.items():
        launches_at[t].append((lv, d, x))

    def launch_terms(g: frozenset[str], t: int) -> Terms:
        return [
            (payload_max[lv] if g == everywhere else inp.launch_payload_kg[(lv, d)], x)
            for lv, d, x in launches_at[t]
            if d in g
        ]

    # only a depot keeps what Earth alone supplies (the plant stores its own products, other nodes only
    # run down what the window starts with, which ``on_hand`` accounts for)
    age = inp.max_storage_months if inp.depot_nodes else 0
    on_hand: dict[str, float] = defaultdict(float)
    for (_, c), kg in inp.initial_stock.items():
        on_hand[c] += kg
    due_months: dict[frozenset[str], set[int]] = defaultdict(set)
    for g, t, _ in due:
        due_months[g].add(t)

    # running totals of what is due, so a row's demand is a difference of two of them
    n_steps = len(inp.steps)
    upto: dict[tuple[frozenset[str], str], list[float]] = {}
    for g in groups:
        for c in earth:
            acc, run = [0.0], 0.0
            for t in range(n_steps):
                run += due.get((g, t, c), 0.0)
                acc.append(run)
            upto[(g, c)] = acc

    def residual(g: frozenset[str], a: int, b: int) -> float:
        """Earth-only demand due in steps a..b that the stock on hand cannot cover, commodity by commodity."""
        return sum(max(upto[(g, c)][b + 1] - upto[(g, c)][a] - on_hand[c], 0.0) for c in earth)

    rows: dict[tuple[frozenset[str], tuple[int, ...]], tuple[Terms, float]] = {}
    segment: list[int] = []
    for step in [*inp.steps, None]:
        if segment and (step is None or step.prev is None):
            for g in groups:
                demand_months = [t for t in segment if t in due_months[g]]
                for i, a in enumerate(demand_months):
                    # the first step with a month no more than the storage limit before a's month
                    oldest = inp.steps[a].month - age
                    first = next(k for k, t in enumerate(segment) if inp.steps[t].month + inp.steps[t].months > oldest)
                    for b in demand_months[i:]:
                        span = tuple(segment[first : segment.index(b) + 1])
                        kg = residual(g, a, b)
                        if kg > max(rows.get((g, span), ((), 0.0))[1], 1e-6):
                            terms = [x for tau in span for x in launch_terms(g, tau)]
                            terms += [x for t in demand_months if a <= t <= b for x in short[(g, t)]]
                            rows[(g, span)] = (terms, kg)
            segment = []
        if step is not None:
            segment.append(step.index)
    keys = sorted(rows, key=lambda k: (sorted(k[0]), k[1]))
    m.launch_cover = pyo.Constraint(range(len(keys)), rule=lambda _m, i: linear(rows[keys[i]][0]) >= rows[keys[i]][1])


def _launch_sources(inp: Inputs) -> dict[str, frozenset[str]]:
    """For each node, the launch destinations from which some in-space vehicle can bring goods to it."""
    forward: dict[str, set[str]] = defaultdict(set)
    for va in inp.vehicle_arcs:
        forward[va.origin].add(va.destination)
    sources: dict[str, set[str]] = defaultdict(set)
    for d in inp.launch_nodes:
        seen, todo = {d}, [d]
        while todo:
            for nxt in forward[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        for n in seen:
            sources[n].add(d)
    return {n: frozenset(s) for n, s in sources.items()}
