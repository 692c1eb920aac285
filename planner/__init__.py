"""The planner: the reference study's time-expanded network-flow model as a MILP (Pyomo).

- :mod:`~cislink.planner.inputs` precomputes plain arrays from a scenario and the orbit network;
- :mod:`~cislink.planner.blocks` holds one ``define_*`` function per concern (launches, transfers,
  storage, ISRU, demand, Mars, balances, objective) and :mod:`~cislink.planner.model` assembles them;
- :mod:`~cislink.planner.solve` runs HiGHS or SCIP; :mod:`~cislink.planner.results` reads a
  :class:`~cislink.planner.results.Plan`;
- :mod:`~cislink.planner.study` is study mode (the whole horizon, representative segments and
  programme enumeration); :mod:`~cislink.planner.window` plans a rolling-horizon window from a state.

Names are imported lazily so ``import cislink.planner.cases`` does not load the solver stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Design": "cislink.planner.inputs",
    "Segment": "cislink.planner.inputs",
    "build_inputs": "cislink.planner.inputs",
    "build_model": "cislink.planner.model",
    "Plan": "cislink.planner.results",
    "SolverSettings": "cislink.planner.solve",
    "SolveInfo": "cislink.planner.solve",
    "run_study": "cislink.planner.study",
    "run_sensitivity": "cislink.planner.study",
    "plan_window": "cislink.planner.window",
    "WindowState": "cislink.planner.window",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cislink.planner' has no attribute {name!r}")
