"""cislink: plan and operate a cislunar logistics network.

The package root holds the version, the command-line interface and the few types every layer
shares (errors, identifiers). The layers live in their own folders and depend on each other in
one direction only: scenarios -> orbits -> planner -> agents -> console / wargame.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
