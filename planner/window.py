"""Rolling-horizon planning: the next W months from the state the network is actually in.

The agents call :func:`plan_window` on the first day of every month. Infrastructure already built is
fixed (``WindowState.design``): capacities decided in past months are never re-opened, so a window
cannot pay for a depot again or quietly resize it. Stock where it is now is the initial stock; stock
left at the window's end is valued at a fraction of what it would cost to launch it again, so a
window does not run its depots dry for lack of a future.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cislink.planner.inputs import Design, Segment, build_inputs
from cislink.planner.model import build_model
from cislink.planner.results import Plan, read_plan
from cislink.planner.solve import SolverSettings, solve_checked

if TYPE_CHECKING:
    from cislink.orbits.network import Network
    from cislink.scenarios.schema import Scenario

#: Stock left at a window's end is worth this share of the cheapest launch price per kg to its node.
TERMINAL_VALUE_FRACTION = 0.5


@dataclass(frozen=True)
class WindowState:
    """Where the network is at the start of a window."""

    month: int
    design: Design
    stocks_kg: dict[tuple[str, str], float] = field(default_factory=dict)
    isru_availability: dict[int, float] = field(default_factory=dict)


def plan_window(
    scenario: Scenario,
    network: Network,
    state: WindowState,
    months: int | None = None,
    settings: SolverSettings | None = None,
) -> Plan:
    """Plan months ``state.month`` to ``state.month + months - 1`` with the design fixed."""
    months = months or scenario.planner.window_months
    settings = settings or SolverSettings.from_scenario(scenario)
    t0 = time.perf_counter()
    inp = build_inputs(
        scenario,
        network,
        [Segment(state.month, months)],
        design=state.design,
        initial_stock=state.stocks_kg,
        terminal_value_fraction=TERMINAL_VALUE_FRACTION,
        fixed_costs=False,
        isru_availability=state.isru_availability,
    )
    m = build_model(inp)
    build_s = time.perf_counter() - t0
    info = solve_checked(m, settings)
    return read_plan(m, inp, info, build_s)
