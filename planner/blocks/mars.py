"""Crewed Mars missions: the transfer vehicle is supplied at a node the model chooses (study eqs 5-6).

In each mission's departure month the vehicle must be loaded, at one node of the model's choosing
(binary per node, exactly one), with the mission's supplies and the propellant for its round trip
from that node to low Mars orbit and back (precomputed per node with the rocket equation; nodes
from which the round trip does not fit the vehicle are left out, which is eq 6). What is not
loaded is a shortfall with the same penalty as any other demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs


def define_mars(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    missions = [t for _, t in inp.mars_missions]
    if not missions or not inp.mars_nodes:
        return
    commodities = sorted({c for _, c in inp.mars_need})
    need = inp.mars_need
    m.mars_missions = pyo.Set(initialize=missions)
    m.mars_at = pyo.Var(m.mars_missions, inp.mars_nodes, domain=pyo.Binary)
    supply_keys = [(t, n, c) for t in missions for n in inp.mars_nodes for c in commodities if need.get((n, c), 0) > 0]
    m.mars_supply = pyo.Var(supply_keys, domain=pyo.NonNegativeReals)
    m.mars_shortfall = pyo.Var(missions, commodities, domain=pyo.NonNegativeReals)
    m.mars_one_node = pyo.Constraint(
        missions, rule=lambda _m, t: linear([(1.0, m.mars_at[t, n]) for n in inp.mars_nodes]) == 1.0
    )
    m.mars_supply_link = pyo.Constraint(
        supply_keys, rule=lambda _m, t, n, c: m.mars_supply[t, n, c] <= need[(n, c)] * m.mars_at[t, n]
    )

    def loaded_rule(_m: pyo.ConcreteModel, t: int, c: str) -> object:
        terms = [(1.0, m.mars_supply[t, n, c]) for n in inp.mars_nodes if (t, n, c) in m.mars_supply]
        terms += [(-need.get((n, c), 0.0), m.mars_at[t, n]) for n in inp.mars_nodes]
        return linear([*terms, (1.0, m.mars_shortfall[t, c])]) >= 0.0

    m.mars_loaded = pyo.Constraint(missions, commodities, rule=loaded_rule)
    weight = {s.index: s.weight for s in inp.steps}
    for t, n, c in supply_keys:
        ctx.add(n, c, t, -1.0, m.mars_supply[t, n, c])
    for t in missions:
        for c in commodities:
            ctx.cost("shortfall_penalty", weight[t] * inp.shortfall_penalty_usd_per_kg, m.mars_shortfall[t, c])
