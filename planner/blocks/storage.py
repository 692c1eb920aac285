"""Depots and storage: stock, capacity, boil-off and the 6-month storage limit (study eqs 16-17, 32-33).

Stock is held where a depot may be built, at the ISRU plant and wherever the initial state puts it.
The plant's store holds only what the plant makes (water, oxygen, LOX/LH2): it has no capacity or
cost of its own, so letting it keep food or storable propellant too would be a free depot on the
Moon. Elsewhere stock may only fall from what the initial state puts there.

Each month the stock carried over keeps ``(1 - boil-off per day)^days`` of itself (cryogenic
commodities only). A depot exists or not (binary, one per allowed node); its capacity is sized
(eq 17, all commodities together) and its mass, ``mass_fraction * capacity``, is launched with the
propellant for its end-of-mission disposal (``orbits.disposal``) at the infrastructure price
(eq 33). The depot programme's DDTE is paid once if any depot is built (eq 32); operations cost per
depot-year.

Storage limit (eq 16). Stock at a node may not exceed what entered that node in the last A months
(A = ``max_storage_months``): first in, first out, nothing older than A months. Eq 16 as written can
be reset by moving stock out and back in (the round trip counts as a new arrival), so a second
constraint closes the loophole at system level: the stock of a commodity held anywhere may not
exceed the *new* mass of that commodity (launched from Earth or produced by ISRU) in the last A
months. Moving stock between nodes creates no new mass, so it cannot make old stock young.

What entered a node in a step is a variable of its own (``inflow``), equal to the sum of that
step's arrivals, and a node's limit row sums at most A of those. With every arrival of the window
written into the row instead, the rows made HiGHS's dual simplex stall: on the LP relaxation of the
reference study's tug + depot subset (24 steps) it had not finished after 218,000 iterations and
60 s, against 25,000 iterations and 9 s with the sums (the interior-point method takes about 1 s
either way; the optimum is the same).

A rolling window may write off stock it starts with (at a small charge per kg): the stock stays
where it is, the plan just stops counting on it. Without that, stock stranded where no vehicle can
reach any more would make the storage rules infeasible.

A step of several months (a rolling window's far look-ahead) boils off for all its days and counts
every one of its months towards the storage limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, by_index, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

#: A small charge per kg of starting stock written off, so the solver keeps what it can use.
WRITE_OFF_USD_PER_KG = 10.0


def define_storage(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    steps = inp.steps
    m.stock_index = pyo.SetOf([(n, c, s.index) for n in inp.storage_nodes for c in inp.commodities for s in steps])
    m.stock = pyo.Var(m.stock_index, domain=pyo.NonNegativeReals)
    stock = by_index(m.stock)
    for (n, c, t), var in stock.items():
        keep = inp.keep_per_step[c] ** steps[t].months
        prev = steps[t].prev
        ctx.add(n, c, t, -1.0, var)
        if prev is None:
            ctx.constant[(n, c, t)] += keep * inp.initial_stock.get((n, c), 0.0)
        else:
            ctx.add(n, c, t, keep, stock[n, c, prev])
        if not inp.can_accumulate(n, c):
            var.setub(inp.initial_stock.get((n, c), 0.0))

    # stock the window starts with may be written off (left where it is, no longer counted on): stock
    # no vehicle can move any more (its lander lost, say) would otherwise break the storage rules below
    start = [(n, c) for (n, c), kg in sorted(inp.initial_stock.items()) if kg > 0 and n in inp.storage_nodes]
    m.write_off_index = pyo.SetOf(start)
    m.write_off = pyo.Var(
        m.write_off_index, domain=pyo.NonNegativeReals, bounds=lambda _m, n, c: (0.0, inp.initial_stock[(n, c)])
    )
    if steps:
        for n, c in start:
            ctx.add(n, c, steps[0].index, -1.0, m.write_off[n, c])
            ctx.cost("operations", WRITE_OFF_USD_PER_KG, m.write_off[n, c])

    # capacity (eq 17)
    dep = inp.depot_nodes
    m.depot_nodes = pyo.Set(initialize=dep)
    m.depot_built = pyo.Var(m.depot_nodes, domain=pyo.Binary)
    m.depot_capacity = pyo.Var(
        m.depot_nodes, domain=pyo.NonNegativeReals, bounds=lambda _m, n: (0, inp.depot_max_kg[n])
    )
    if inp.design is not None:
        for n in dep:
            m.depot_built[n].fix(1)
            m.depot_capacity[n].fix(inp.depot_max_kg[n])
    m.depot_size_link = pyo.Constraint(
        m.depot_nodes, rule=lambda _m, n: m.depot_capacity[n] <= inp.depot_max_kg[n] * m.depot_built[n]
    )
    m.depot_capacity_limit = pyo.Constraint(
        pyo.SetOf([(n, s.index) for n in dep for s in steps]),
        rule=lambda _m, n, t: (
            linear([(1.0, stock[n, c, t]) for c in inp.commodities] + [(-1.0, m.depot_capacity[n])]) <= 0.0
        ),
    )

    # storage age (eq 16), per node and for the whole system
    age = inp.max_storage_months
    aged_nodes = [n for n in inp.storage_nodes if n in dep or n == inp.isru_node]

    def window(t: int) -> tuple[list[int], bool]:
        """The steps of t's segment in its last ``age`` months, and whether they reach the segment start."""
        out, months = [t], steps[t].months
        while months < age and steps[out[-1]].prev is not None:
            out.append(steps[out[-1]].prev)  # type: ignore[arg-type]
            months += steps[out[-1]].months
        return out, months < age or steps[out[-1]].prev is None

    windows = {s.index: window(s.index) for s in steps}

    # what entered an aged node in a step, one variable per node, commodity and step, defined by an
    # equality: an age row then sums at most ``age`` of these rather than every arrival of its
    # window. Same plans; the rows with every arrival were what stalled the dual simplex.
    inflow_keys = [
        (n, c, s.index)
        for n in aged_nodes
        for c in inp.commodities
        for s in steps
        if ctx.node_inflow.get((n, c, s.index))
    ]
    m.inflow = pyo.Var(pyo.SetOf(inflow_keys), domain=pyo.NonNegativeReals)
    inflow = by_index(m.inflow)
    m.inflow_sum = pyo.Constraint(
        pyo.SetOf(inflow_keys),
        rule=lambda _m, n, c, t: linear([*ctx.node_inflow[(n, c, t)], (-1.0, inflow[n, c, t])]) == 0.0,
    )
    m._cislink_defined = [(inflow[k], ctx.node_inflow[k]) for k in inflow_keys]

    def node_age_rule(_m: pyo.ConcreteModel, n: str, c: str, t: int) -> object:
        span, from_start = windows[t]
        terms = [(-1.0, inflow[n, c, tau]) for tau in span if (n, c, tau) in inflow]
        initial = inp.initial_stock.get((n, c), 0.0) if from_start else 0.0
        return linear([(1.0, stock[n, c, t]), *terms], -initial) <= 0.0

    m.storage_age = pyo.Constraint(
        pyo.SetOf([(n, c, s.index) for n in aged_nodes for c in inp.commodities for s in steps]), rule=node_age_rule
    )

    def system_age_rule(_m: pyo.ConcreteModel, c: str, t: int) -> object:
        span, from_start = windows[t]
        new = [(-coef, v) for tau in span for coef, v in ctx.new_mass.get((c, tau), [])]
        initial = sum(inp.initial_stock.get((n, c), 0.0) for n in aged_nodes) if from_start else 0.0
        return linear([(1.0, stock[n, c, t]) for n in aged_nodes] + new, -initial) <= 0.0

    if aged_nodes:
        m.storage_age_system = pyo.Constraint(
            [(c, s.index) for c in inp.commodities for s in steps], rule=system_age_rule
        )

    # value of stock left at the end (rolling windows)
    if inp.terminal_value:
        last = [s.index for s in steps if not any(x.prev == s.index for x in steps)]
        for n, c in inp.terminal_value:
            for t in last:
                ctx.cost("terminal_stock_value", -inp.terminal_value[(n, c)] * steps[t].weight, stock[n, c, t])

    option = inp.scenario.infrastructure.depot
    share = inp.fixed_cost_share
    if not dep or option is None or share == 0:
        return
    m.depot_program = pyo.Var(domain=pyo.Binary)
    m.depot_program_link = pyo.Constraint(m.depot_nodes, rule=lambda _m, n: m.depot_built[n] <= m.depot_program)
    if inp.design is not None or "depot" in inp.required:
        m.depot_program.fix(1)
        m.depot_any = pyo.Constraint(expr=linear([(1.0, m.depot_built[n]) for n in dep]) >= 1.0)
    ctx.cost("ddte", share * option.ddte_usd, m.depot_program)
    for n in dep:
        launched = inp.depot_launch_kg_per_kg.get(n, option.mass_fraction)  # dry mass and disposal reserve
        ctx.cost("infrastructure_launch", share * inp.infra_price_per_kg[n] * launched, m.depot_capacity[n])
        ctx.cost("operations", share * option.operations_usd_per_year * inp.years, m.depot_built[n])
