"""Snapshots of the console (SVG, committed under __snapshots__): main screen, help, disruption form, drill-down.

Regenerate after an intended change of the screen with ``pytest tests/console --snapshot-update``.
"""

from __future__ import annotations

SIZE = (160, 48)


def test_main_screen(snap_compare, app, settle) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, app, settle) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("m")  # a month on: no payload lands while the screen is captured
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_disruption_form(snap_compare, app, settle) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_drill_down_into_a_node(snap_compare, app, settle) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        await pilot.press("2", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
