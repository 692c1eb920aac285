"""The objective: DDTE + infrastructure launch + supply launches (+ operations) (study eqs 31-34).

Every block registered its cost terms by name; each becomes a named Pyomo ``Expression`` (so each
term can be reported after the solve) and the objective is their sum, plus the shortfall penalty
and, in rolling windows, minus the value of stock left at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

OBJECTIVE_SCALE = 1e-6
COST_TERMS = (
    "ddte",
    "infrastructure_launch",
    "supply_launches",
    "operations",
    "shortfall_penalty",
    "terminal_stock_value",
)


def define_objective(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    terms = [t for t in COST_TERMS if ctx.costs.get(t)]
    m.cost_terms = pyo.Set(initialize=terms)
    m.cost = pyo.Expression(m.cost_terms, rule=lambda _m, t: linear(ctx.costs[t], ctx.cost_constant.get(t, 0.0)))
    # In millions of USD, so objective coefficients sit near 1 for the solver.
    m.total_cost = pyo.Objective(expr=OBJECTIVE_SCALE * sum(m.cost[t] for t in terms), sense=pyo.minimize)
