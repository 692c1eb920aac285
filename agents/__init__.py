"""The network in operation: Mesa agents execute the plan day by day, re-planned every month.

- :mod:`~cislink.agents.model`: :class:`CislinkModel` (one step is one day) and the monthly re-plan;
- :mod:`~cislink.agents.agents`: launch providers, tugs and landers, depots, the ISRU plant, relays,
  customers and allied operators;
- :mod:`~cislink.agents.disruptions`: scripted, random and injected disruptions;
- :mod:`~cislink.agents.ledger`: the mass ledger and its invariant;
- :mod:`~cislink.agents.policy`: policies and the infrastructure they own;
- :mod:`~cislink.agents.run`: run folders, month-end checkpoints and resume.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "CislinkModel": "cislink.agents.model",
    "Event": "cislink.agents.disruptions",
    "Ledger": "cislink.agents.ledger",
    "RunFolder": "cislink.agents.run",
    "run": "cislink.agents.run",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cislink.agents' has no attribute {name!r}")
