"""Node balances: what arrives equals what leaves, is used or is stored (study eqs 4, 8, 9, 16).

One equality per (node, commodity, month) that any block touched: launches, vehicle arrivals,
ISRU output and stock carried in, minus departures, propellant drawn for departures, demand met,
Mars loading and stock carried out. Earth is the unlimited source and has no balance; nothing
flows back into it (eq 9) because no vehicle arc ends there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs


def define_balance(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    keys = sorted(set(ctx.balance) | {k for k, v in ctx.constant.items() if v != 0})
    m.balance = pyo.Constraint(
        keys, rule=lambda _m, n, c, t: linear(ctx.balance.get((n, c, t), []), ctx.constant.get((n, c, t), 0.0)) == 0.0
    )
