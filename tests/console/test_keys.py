"""Every key of the console, driven through Textual's pilot: the state changes and no error is raised."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from textual.widgets import DataTable, Input, Select

from cislink.agents.disruptions import KINDS
from cislink.console.app import CislinkApp
from cislink.console.screens import DetailScreen, DisruptionForm, EventLogScreen, HelpScreen, PolicyScreen
from cislink.planner.inputs import Design
from cislink.scenarios import load

SIZE = (200, 60)


async def test_opens_plans_and_shows_every_pane(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session is not None and app.view is not None
        assert app.view.month == 0 and app.view.day == 1  # the first day is stepped: month 0 planned
        for pane in ("Network", "Inventories", "Fleet", "Tolls", "Alarms"):
            assert any(pane in str(w.border_title or "") for w in app.query(".pane"))
        assert app.query_one("#inventories", DataTable).row_count > 0
        assert app.query_one("#fleet", DataTable).row_count > 0
        assert app.errors == [] if hasattr(app, "errors") else True


async def test_n_and_m_step_a_day_and_a_month(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        day = app.view.day
        await pilot.press("n")
        await settle(pilot)
        assert app.view.day == day + 1
        await pilot.press("m")
        await settle(pilot)
        assert app.view.date == dt.date(2035, 2, 1)  # the end of January
        assert "2035-02-01[/b] (end of month 1/3)" in app._header_text()
        assert (app.session.folder.parts / "ledger-0000.parquet").exists()  # month written as it goes


async def test_space_runs_and_pauses_and_speed_keys_change_speed(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("plus", "plus")
        assert app.speed_index == 2
        await pilot.press("minus")
        assert app.speed_index == 1
        day = app.view.day
        await pilot.press("space")
        assert app.running
        assert "running" in app._header_text()
        for _ in range(40):
            await pilot.pause(0.1)
            if app.view.day >= day + 2:
                break
        await pilot.press("space")
        assert not app.running
        await settle(pilot)
        assert app.view.day >= day + 2
        assert "paused" in app._header_text()


async def test_keys_answer_while_the_planner_solves(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")  # to the month end
        await settle(pilot)
        # the solve waits for the test to let it go, however fast the planner is
        model = app.session.model
        solve, release = model.plan_window_fn, threading.Event()

        def held(*args, **kwargs):
            release.wait(60)
            return solve(*args, **kwargs)

        model.plan_window_fn = held
        await pilot.press("n")  # the next day starts a month: the planner solves in the worker
        await pilot.pause()
        assert app.busy  # the header says so
        assert "planning" in app._header_text() or "stepping" in app._header_text()
        await pilot.press("plus")  # handled at once, while it solves
        assert app.speed_index == 1
        release.set()
        await settle(pilot)
        assert not app.busy
        assert app.view.date == dt.date(2035, 2, 2)


async def test_every_disruption_type_through_the_form_raises_its_alarm(tmp_path, make_app, settle) -> None:
    ref = load("reference-2035")
    design = Design(depots={"nrho": 20_000.0}, isru_kg_per_year=30_000.0, fleets={"tug": 1, "lander": 1})
    app = make_app(tmp_path / "run", months=1, scenario=ref, design=design)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for kind in KINDS:
            await pilot.press("d")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, DisruptionForm)
            form.query_one("#kind", Select).value = kind
            await pilot.pause()
            target = form.targets[kind][0]
            form.query_one("#target", Select).value = target
            form.query_one("#duration", Input).value = "5"
            await pilot.click("#ok")
            await pilot.pause()
            assert not isinstance(app.screen, DisruptionForm), f"{kind}: the form did not close"
        await pilot.press("n")  # the disruptions apply at the start of the next day
        await settle(pilot)
        kinds = {a.kind for a in app.view.alarms}
        assert set(KINDS) <= kinds, f"missing alarms: {set(KINDS) - kinds}"
        # the line under the map says which infrastructure is out, and until when
        status = str(app.query_one("#map-pane").border_subtitle)
        relays = len(ref.relays)
        assert "ISRU lsp out until" in status
        assert f"relays {relays - 1} of {relays} up" in status
        out = form.targets["relay_outage"][0]  # a relay's node
        assert any(f"{r.name} out until" in status for r in ref.relays if out in (r.name, r.node))
        # and what was destroyed in service, so can no longer be disposed of (ISO 24113)
        lost = form.targets["vehicle_loss"][0]
        assert "disposal ready 1 of 3 (" in status and "depot nrho" in status and lost in status, status


async def test_the_form_names_what_is_wrong_and_keeps_the_input(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        form = app.screen
        form.query_one("#start", Input).value = "next tuesday"
        await pilot.click("#ok")
        await pilot.pause()
        assert isinstance(app.screen, DisruptionForm)
        assert "YYYY-MM-DD" in str(form.query_one("#form-error").render())
        form.query_one("#start", Input).value = ""
        form.query_one("#duration", Input).value = "-3"
        form.query_one("#duration", Input).focus()
        await pilot.press("enter")  # enter in a field submits the form too
        await pilot.pause()
        assert "allowed: 0 to 3650" in str(form.query_one("#form-error").render())
        assert form.query_one("#duration", Input).value == "-3"  # nothing lost
        await pilot.press("escape")
        assert not isinstance(app.screen, DisruptionForm)


async def test_p_switches_policy_and_replans(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PolicyScreen)
        screen = app.screen
        screen.dismiss("purchased")
        await settle(pilot)
        assert app.view.policy == "purchased"
        assert any(e["kind"] == "policy_switch" for e in app.view.events)
        assert app.view.tolls == ()  # a purchased network sells nothing


async def test_a_acknowledges_an_alarm(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.inject("embargo", "spacex", 5, None)
        await pilot.press("n")
        await settle(pilot)
        before = app.view.unacknowledged
        assert before >= 1
        await pilot.press("5", "a")
        await settle(pilot)
        assert app.view.unacknowledged == before - 1
        assert app.query_one("#alarms", DataTable).has_focus


async def test_slash_filters_rows_and_escape_clears(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one("#inventories", DataTable)
        full = table.row_count
        await pilot.press("slash")
        await pilot.press(*"food")
        await pilot.pause()
        assert 0 < table.row_count < full
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert table.row_count == full and app.filter_text == ""


@pytest.mark.parametrize(("key", "table"), [("2", "inventories"), ("3", "fleet"), ("4", "tolls"), ("5", "alarms")])
async def test_number_keys_jump_to_panes(app: CislinkApp, key: str, table: str, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        assert app.query_one(f"#{table}", DataTable).has_focus


async def test_1_focuses_the_map(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("1")
        assert app.query_one("#map").has_focus


async def test_help_event_log_and_drill_down_screens(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("e")
        assert isinstance(app.screen, EventLogScreen)
        await pilot.press("escape")
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and app.screen.node
        await pilot.press("escape")
        await pilot.press("3", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen) and app.screen.vehicle == "tug-1"
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_command_palette_opens(app: CislinkApp, settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press(*"next month", "enter")
        await settle(pilot)
        assert app.view.date == dt.date(2035, 2, 1)


async def test_s_saves_and_q_quits_and_the_run_reopens(tmp_path, make_app, settle) -> None:
    from cislink.console.session import Session

    out = tmp_path / "run"
    app = make_app(out)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "n")
        await settle(pilot)
        day = app.view.day
        (out / "checkpoint.pkl").unlink()
        await pilot.press("s")
        await app.workers.wait_for_complete()
        assert (out / "checkpoint.pkl").exists()
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert Session.resume(out).model.day == day + 1  # quitting saved the last day too


async def test_a_solver_failure_is_an_alarm_and_the_console_goes_on(app: CislinkApp, settle) -> None:
    from cislink.errors import PlannerError

    def failing(*_args, **_kwargs):
        raise PlannerError("highs stopped (time limit) without finding any plan")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.model.plan_window_fn = failing
        await pilot.press("m")  # to the month end
        await settle(pilot)
        await pilot.press("n")  # the next month's re-plan fails
        await settle(pilot)
        assert any(a.kind == "planner_fallback" for a in app.view.alarms)
        day = app.view.day
        await pilot.press("n")
        await settle(pilot)
        assert app.view.day == day + 1


async def test_a_run_that_cannot_be_opened_says_why_and_q_quits(tmp_path) -> None:
    """A corrupt run folder: the reason in the header and in place of the map, no spinner, and q quits."""
    from textual.widgets import Static

    from cislink.console.mapview import NetworkMap
    from cislink.console.session import Session

    (tmp_path / "checkpoint.pkl").write_bytes(b"not a checkpoint")

    def make(status):
        status("reopening…")
        return Session.resume(tmp_path)

    app = CislinkApp(make, label="broken")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session is None and app.open_error is not None
        assert "checkpoint.pkl cannot be read" in app.open_error
        header = str(app.query_one("#header", Static).render())
        assert "could not open the run" in header and "⟳" not in header
        assert "press q to quit" in str(app.query_one("#map", NetworkMap).render())
        await pilot.press("n", "m", "space")  # nothing to step, and no error either
        await pilot.press("q")
        await pilot.pause()
    assert not app.return_code
    assert (tmp_path / "checkpoint.pkl").read_bytes() == b"not a checkpoint"  # the folder is left as it was
