"""Console tests: a small run (quick demo, a tug and a Gateway depot) the app opens without sizing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cislink.console import planning
from cislink.console.app import CislinkApp
from cislink.console.session import Session
from cislink.orbits import build_network
from cislink.planner.inputs import Design
from cislink.scenarios import load

planning.start()  # before any app replaces standard output and error (see cislink.console.planning)

DEMO = load("quick-demo")
NETWORK = build_network(DEMO)
DESIGN = Design(depots={"nrho": 5_000.0}, isru_kg_per_year=0.0, fleets={"tug": 1})


def make_app(out: Path | None, months: int = 3, scenario=DEMO, design: Design = DESIGN) -> CislinkApp:
    def make(status: Callable[[str], None]) -> Session:
        status("opening…")
        return Session.start(scenario, "sovereign", 7, months, out, design=design, design_costs_usd={"ddte": 1e9})

    return CislinkApp(make, label=scenario.name)


async def settle(pilot) -> None:
    """Wait until the worker is done (opening, stepping, planning) and the screen is drawn."""
    app = pilot.app
    for _ in range(600):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.session is not None and not app.busy:
            break
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def app(tmp_path: Path) -> CislinkApp:
    return make_app(tmp_path / "run")


@pytest.fixture(name="make_app")
def make_app_fixture() -> Callable[..., CislinkApp]:
    return make_app


@pytest.fixture(name="settle")
def settle_fixture() -> Callable:
    return settle
