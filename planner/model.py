"""Assemble the planning model from its blocks.

``build_model(inputs)`` returns a Pyomo ``ConcreteModel``; the order of the blocks matters only in
that the storage-age constraints read the inflows the other blocks registered, and the balances and
objective read everything.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.balance import define_balance
from cislink.planner.blocks.context import Context
from cislink.planner.blocks.cuts import define_cuts
from cislink.planner.blocks.demand import define_demand
from cislink.planner.blocks.isru import define_isru
from cislink.planner.blocks.launches import define_launches
from cislink.planner.blocks.mars import define_mars
from cislink.planner.blocks.objective import define_objective
from cislink.planner.blocks.storage import define_storage
from cislink.planner.blocks.transfers import define_transfers

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

log = logging.getLogger(__name__)

BLOCKS = (
    define_launches,
    define_transfers,
    define_isru,
    define_demand,
    define_mars,
    define_cuts,
    define_storage,
    define_balance,
    define_objective,
)


def build_model(inp: Inputs) -> pyo.ConcreteModel:
    """The time-expanded network-flow MILP of ``inp``."""
    start = time.perf_counter()
    m = pyo.ConcreteModel(name=f"cislink-{inp.scenario.name}")
    ctx = Context()
    for define in BLOCKS:
        define(m, inp, ctx)
    m._cislink_inputs = inp
    log.debug("built model with %d steps in %.2f s", len(inp.steps), time.perf_counter() - start)
    return m
