"""The operator console: a Textual app over a running :class:`~cislink.console.session.Session`.

Layout (panes numbered for the ``1``-``5`` keys): a header with the scenario, simulated date,
policy and run state; the network map (1); Inventories (2), Fleet (3), Tolls (4) and Alarms (5);
a footer with the keys. Every slow thing (sizing the infrastructure, stepping, planning) runs in a
thread worker, one at a time; the UI thread only draws :class:`View` objects the worker hands it,
so keys are handled at once even while the solver runs.

Importing this module is cheap: the model, solver and orbit libraries load in the worker, after
the first frame is on screen.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Static

from cislink.console.mapview import NetworkMap
from cislink.console.screens import DetailScreen, DisruptionForm, EventLogScreen, HelpScreen, PolicyScreen
from cislink.console.session import POLICIES, Session, View

if TYPE_CHECKING:
    from textual.screen import Screen

log = logging.getLogger(__name__)

#: run speeds in simulated days per second
SPEEDS = (1, 2, 5, 10, 30)
TICK_S = 0.25
SPARK = "▁▂▃▄▅▆▇█"
PANES = ("map-pane", "inventories-pane", "fleet-pane", "tolls-pane", "alarms-pane")


def sparkline(values: Iterable[float]) -> str:
    vals = list(values)
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-9:
        return SPARK[3] * len(vals) if hi > 0 else SPARK[0] * len(vals)
    return "".join(SPARK[min(int((x - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5), len(SPARK) - 1)] for x in vals)


def kg(x: float) -> str:
    return f"{x:,.0f}"


def usd(x: float) -> str:
    return f"${x / 1e6:,.1f}M"


class CislinkApp(App[None]):
    """``cislink console``: watch and steer the network month by month."""

    CSS_PATH = "console.tcss"
    TITLE = "cislink"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_run", "run/pause"),
        Binding("n", "next_day", "day"),
        Binding("m", "next_month", "month"),
        Binding("plus,equals_sign", "faster", "+speed", key_display="+"),
        Binding("minus", "slower", "-speed", key_display="-"),
        Binding("d", "disrupt", "disrupt"),
        Binding("p", "policy", "policy"),
        Binding("a", "acknowledge", "ack"),
        Binding("e", "event_log", "log"),
        Binding("slash", "filter", "filter", key_display="/"),
        Binding("1", "pane(0)", "map", show=False),
        Binding("2", "pane(1)", "inventories", show=False),
        Binding("3", "pane(2)", "fleet", show=False),
        Binding("4", "pane(3)", "tolls", show=False),
        Binding("5", "pane(4)", "alarms", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("s", "save", "save"),
        Binding("q", "quit_console", "quit"),
        Binding("escape", "clear_filter", "back", show=False),
    ]

    def __init__(self, make_session: Callable[[Callable[[str], None]], Session], label: str = "") -> None:
        """``make_session(status)`` builds the session in a worker, reporting progress through ``status``."""
        super().__init__()
        self.make_session = make_session
        self.session: Session | None = None
        self.view: View | None = None
        self.running = False
        self.speed_index = 0
        self.busy = ""  # what the worker is doing, shown in the header
        #: why the run could not be opened (a bad scenario or run folder); the console then only quits
        self.open_error: str | None = None
        self.filter_text = ""
        self.label = label
        self._credit = 0.0

    # ---- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(self._header_text(), id="header")
        with Horizontal(id="top"):
            with Vertical(id="map-pane", classes="pane"):
                yield NetworkMap(id="map")
            with Vertical(id="alarms-pane", classes="pane"):
                yield DataTable(id="alarms", cursor_type="row")
        with Horizontal(id="bottom"):
            with Vertical(id="inventories-pane", classes="pane"):
                yield DataTable(id="inventories", cursor_type="row", zebra_stripes=True)
            with Vertical(id="right"):
                with Vertical(id="fleet-pane", classes="pane"):
                    yield DataTable(id="fleet", cursor_type="row", zebra_stripes=True)
                with Vertical(id="tolls-pane", classes="pane"):
                    yield DataTable(id="tolls", cursor_type="row")
        yield Input(placeholder="filter rows (esc clears)", id="filter")
        yield Footer()

    def on_mount(self) -> None:
        titles = {
            "map-pane": "1 Network (this month's flows, t)",
            "inventories-pane": "2 Inventories",
            "fleet-pane": "3 Fleet",
            "tolls-pane": "4 Tolls and costs",
            "alarms-pane": "5 Alarms",
        }
        for pane, title in titles.items():
            self.query_one(f"#{pane}").border_title = title
        self.query_one("#inventories", DataTable).add_columns(
            "node", "commodity", "stock kg", "capacity kg", "days", "trend (30 d)", "severity"
        )
        self.query_one("#fleet", DataTable).add_columns("vehicle", "state", "leg", "payload kg", "ETA", "propellant kg")
        self.query_one("#tolls", DataTable).add_columns("customer / cost term", "this month", "cumulative")
        self.query_one("#alarms", DataTable).add_columns("", "date", "kind", "target", "detail")
        self.query_one("#inventories", DataTable).focus()
        self.set_interval(TICK_S, self._tick)
        self._open()

    # ---- the worker ------------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        """Set the busy text from a worker thread."""
        self.call_from_thread(self._set_busy, text)

    def _set_busy(self, text: str) -> None:
        self.busy = text
        self._draw_header()

    @work(thread=True, group="model", exit_on_error=False)
    def _open(self) -> None:
        self._status("opening the run (sizing the infrastructure if it is not cached)…")
        try:
            session = self.make_session(self._status)
        except Exception as exc:  # a bad scenario or folder: say so, keep the console up
            from cislink.errors import CislinkError

            msg = str(exc) if isinstance(exc, CislinkError) else f"{type(exc).__name__}: {exc}"
            log.exception("could not open the run")
            self.call_from_thread(self._failed_to_open, msg)
            return
        view = session.view()
        self.call_from_thread(self._opened, session, view)

    def _failed_to_open(self, msg: str) -> None:
        self.open_error = msg
        self.busy = ""
        self._draw_header()
        self.query_one("#map", NetworkMap).failed(f"could not open the run: {msg}\n\npress q to quit")

    def _opened(self, session: Session, view: View) -> None:
        self.session = session
        self._show(view)
        self._set_busy("")
        if session.plans_next and session.model.month < 0:
            self._advance(1, "planning the first month…")

    def _advance(self, days: int, status: str = "", month: bool = False) -> None:
        if self.session is None or self.busy:
            return
        self.busy = status or ("planning…" if self.session.plans_next else "stepping…")
        self._draw_header()
        self._step_worker(days, month)

    @work(thread=True, group="model", exit_on_error=False)
    def _step_worker(self, days: int, month: bool) -> None:
        s = self.session
        assert s is not None
        try:
            if month:
                if s.plans_next:
                    self._status("planning…")
                s.step_month()
            else:
                for _ in range(days):
                    if s.plans_next:
                        self._status("planning…")
                    if not s.step_days(1):
                        break
            view = s.view()
        except Exception as exc:
            log.exception("step failed")
            self.call_from_thread(self._worker_error, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._stepped, view)

    def _stepped(self, view: View) -> None:
        self.busy = ""
        self._show(view)
        if view.finished and self.running:
            self.running = False
            self.notify("the run is complete; the run folder holds its tables and summary")
        self._draw_header()

    def _worker_error(self, message: str) -> None:
        self.busy = ""
        self.running = False
        self.notify(f"step failed: {message}; the run was saved at its last checkpoint", severity="error")
        self._draw_header()

    def _tick(self) -> None:
        if not self.running or self.session is None or self.busy:
            return
        self._credit += SPEEDS[self.speed_index] * TICK_S
        days = int(self._credit)
        if days >= 1:
            self._credit -= days
            self._advance(days)

    # ---- drawing ---------------------------------------------------------------------------------
    def _header_text(self) -> str:
        v = self.view
        if self.open_error:
            state = f"[bold red]✖ could not open the run[/] (q quits): {escape(self.open_error)}"
        elif self.busy:
            state = f"[bold yellow]⟳ {escape(self.busy)}[/]"
        elif v is not None and v.finished:
            state = "[green]■ complete[/]"
        elif self.running:
            state = f"[green]▶ running ×{SPEEDS[self.speed_index]} d/s[/]"
        else:
            state = f"[cyan]❚❚ paused[/] (×{SPEEDS[self.speed_index]} d/s)"
        if v is None:
            return f"[b]cislink[/b] {escape(self.label)}  {state}"
        alarms = v.unacknowledged
        alarm = f"  [bold red]✖ {alarms} alarm{'s' if alarms != 1 else ''}[/]" if alarms else ""
        flt = f"  [magenta]/ {escape(self.filter_text)}[/]" if self.filter_text else ""
        month = f"month {max(v.month, 0) + 1}/{v.months}"
        when = f"end of {month}" if v.month_complete else month
        return (
            f"[b]cislink[/b] {v.scenario}  [b]{v.date:%Y-%m-%d}[/b] ({when})  "
            f"policy [b]{v.policy}[/b]  {state}{alarm}{flt}  cost {usd(v.summary['total_cost_usd'])}  "
            f"tolls {usd(v.summary['tolls_usd'])}"
        )

    def _draw_header(self) -> None:
        self.query_one("#header", Static).update(self._header_text())

    def _keep(self, *cells: str) -> bool:
        f = self.filter_text.lower()
        return not f or any(f in c.lower() for c in cells)

    def _show(self, view: View) -> None:
        self.view = view
        self._draw_header()
        self.query_one("#map", NetworkMap).update(view)
        self.query_one("#map-pane").border_subtitle = " · ".join(
            f"[{sev.style}]{sev.symbol}[/] {text}" for text, sev in view.infrastructure
        )
        inv = self.query_one("#inventories", DataTable)
        rows = [r for r in view.inventories if self._keep(r.node, r.commodity, r.severity.label)]
        self._refill(
            inv,
            [
                (
                    r.key,
                    (
                        r.node,
                        r.commodity,
                        kg(r.stock_kg),
                        kg(r.capacity_kg) if r.capacity_kg > 0 else "-",
                        "∞" if math.isinf(r.days_of_supply) else f"{r.days_of_supply:,.0f}",
                        sparkline(r.trend),
                        Text(f"{r.severity.symbol} {r.severity.label}", style=r.severity.style),
                    ),
                )
                for r in rows
            ],
        )
        fleet = self.query_one("#fleet", DataTable)
        self._refill(
            fleet,
            [
                (f.name, (f.name, f.state, f.leg, kg(f.payload_kg), f.eta, kg(f.propellant_kg)))
                for f in view.fleet
                if self._keep(f.name, f.state, f.leg)
            ],
        )
        tolls = self.query_one("#tolls", DataTable)
        toll_rows = [(f"toll:{n}", (f"◆ {n}", usd(a), usd(b))) for n, a, b in view.tolls if self._keep(n)]
        if not view.tolls:
            toll_rows.append(("toll:none", (Text("no toll customers under this policy", style="dim"), "", "")))
        cost_rows = [(f"cost:{t}", (f"  {t}", usd(a), usd(b))) for t, a, b in view.costs if self._keep(t)]
        total = sum(b for _, _, b in view.costs)
        self._refill(
            tolls, [*toll_rows, *cost_rows, ("cost:total", (Text("  total cost", style="bold"), "", usd(total)))]
        )
        alarms = self.query_one("#alarms", DataTable)
        self._refill(
            alarms,
            [
                (
                    str(a.index),
                    (
                        Text(a.severity.symbol, style="dim" if a.acknowledged else a.severity.style),
                        Text(a.date),
                        Text(a.kind, style="dim" if a.acknowledged else "bold"),
                        Text(a.target),
                        Text(a.detail + (" (ack)" if a.acknowledged else ""), style="dim" if a.acknowledged else ""),
                    ),
                )
                for a in reversed(view.alarms)
                if self._keep(a.kind, a.target, a.detail)
            ],
        )
        self.query_one("#alarms-pane").border_title = f"5 Alarms ({view.unacknowledged} unacknowledged)"

    @staticmethod
    def _refill(table: DataTable, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Replace the rows, keeping the cursor on the same row key when it is still there.

        Cells are taken literally (names and details may hold brackets); only ``Text`` carries style.
        """
        current = None
        if table.row_count and table.cursor_row >= 0:
            try:
                current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:  # the cursor sits outside the rows
                current = None
        table.clear()
        for key, cells in rows:
            table.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in cells), key=key)
        if current is not None:
            keys = [k for k, _ in rows]
            if current in keys:
                table.move_cursor(row=keys.index(current), animate=False)

    # ---- actions ---------------------------------------------------------------------------------
    def action_toggle_run(self) -> None:
        if self.view is not None and self.view.finished:
            self.notify("the run is complete")
            return
        self.running = not self.running
        self._credit = 0.0
        self._draw_header()

    def action_next_day(self) -> None:
        self._guarded(lambda: self._advance(1))

    def action_next_month(self) -> None:
        self._guarded(lambda: self._advance(0, month=True))

    def _guarded(self, fn: Callable[[], None]) -> None:
        if self.session is None:
            self.notify("the run is still opening", severity="warning")
        elif self.busy:
            self.notify(f"busy: {self.busy} (the key is not queued)", severity="warning")
        elif self.view is not None and self.view.finished:
            self.notify("the run is complete")
        else:
            fn()

    def action_faster(self) -> None:
        self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)
        self._draw_header()

    def action_slower(self) -> None:
        self.speed_index = max(self.speed_index - 1, 0)
        self._draw_header()

    def action_pane(self, index: int) -> None:
        pane = self.query_one(f"#{PANES[index]}")
        target = pane.query(DataTable).first() if pane.query(DataTable) else self.query_one("#map")
        target.can_focus = True
        target.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_event_log(self) -> None:
        if self.view is not None:
            self.push_screen(EventLogScreen(list(self.view.events)))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.filter_text
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display or self.filter_text:
            self.filter_text = ""
            box.value = ""
            box.display = False
            if self.view is not None:
                self._show(self.view)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            if self.view is not None:
                self._show(self.view)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.display = False
            self.action_pane(1)

    def action_acknowledge(self) -> None:
        if self.session is None or self.view is None:
            return
        table = self.query_one("#alarms", DataTable)
        index = None
        if self.focused is table and table.row_count:
            index = int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or -1)
        n = self.session.acknowledge(index)
        if n == 0 and index is not None:
            n = self.session.acknowledge(None)
        if n == 0:
            self.notify("no alarm to acknowledge")
            return
        self._refresh_view()

    @work(thread=True, group="view", exit_on_error=False)
    def _refresh_view(self) -> None:
        if self.session is not None:
            view = self.session.view()
            self.call_from_thread(self._show, view)

    def action_disrupt(self) -> None:
        if self.session is None or self.view is None:
            self.notify("the run is still opening", severity="warning")
            return
        from cislink.agents.disruptions import KINDS, targets

        model = self.session.model
        options = {k: targets(model, k) for k in KINDS}
        kinds = [k for k in KINDS if options[k]]

        def done(result: dict[str, Any] | None) -> None:
            if result is None:
                return
            from cislink.errors import CislinkError

            try:
                what = self.session.inject(**result)  # type: ignore[union-attr]
            except CislinkError as exc:
                self.notify(str(exc), severity="error", timeout=8)
                return
            self.notify(f"disruption scheduled: {what}")
            self._refresh_view()

        self.push_screen(DisruptionForm(kinds, options, self.view.date), done)

    def action_policy(self) -> None:
        if self.session is None or self.view is None:
            self.notify("the run is still opening", severity="warning")
            return
        model = self.session.model
        names = [p.name for p in model.scenario.policies] or list(POLICIES[:1])

        def done(name: str | None) -> None:
            if name is None or name == model.policy.name:
                return
            if self.busy:
                self.notify(f"busy: {self.busy}; try again when it is done", severity="warning")
                return
            self.busy = f"switching to {name} and re-planning…"
            self._draw_header()
            self._switch_worker(name)

        self.push_screen(PolicyScreen(names, model.policy.name), done)

    @work(thread=True, group="model", exit_on_error=False)
    def _switch_worker(self, name: str) -> None:
        assert self.session is not None
        try:
            self.session.switch_policy(name)
            view = self.session.view()
        except Exception as exc:
            log.exception("policy switch failed")
            self.call_from_thread(self._worker_error, f"{type(exc).__name__}: {exc}")
            return
        self.call_from_thread(self._stepped, view)
        self.call_from_thread(self.notify, f"policy is now {name}; this month re-planned")

    def action_save(self) -> None:
        if self.session is None:
            return
        self._save_worker()

    @work(thread=True, group="save", exit_on_error=False)
    def _save_worker(self) -> None:
        assert self.session is not None
        path = self.session.save()
        msg = f"saved to {path}" if path else "this console runs without a run folder; nothing to save"
        self.call_from_thread(self.notify, msg)

    async def action_quit_console(self) -> None:
        self.running = False
        if self.session is not None and self.session.folder is not None:
            # wait for a step in progress, then checkpoint: nothing is lost
            await self.workers.wait_for_complete()
            self.session.save()
        self.exit()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.session is None:
            return
        key = str(event.row_key.value or "")
        if event.data_table.id == "inventories":
            self.push_screen(DetailScreen(self.session, node=key.split("/", 1)[0]))
        elif event.data_table.id == "fleet":
            if "#" in key:
                self.notify("a launch in flight has no detail beyond its row")
                return
            self.push_screen(DetailScreen(self.session, vehicle=key))

    # ---- command palette -------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Run / pause", "Run the simulation or pause it (space)", self.action_toggle_run)
        yield SystemCommand("Next day", "Step one simulated day (n)", self.action_next_day)
        yield SystemCommand("Next month", "Step to the end of the month (m)", self.action_next_month)
        yield SystemCommand("Inject disruption", "Open the disruption form (d)", self.action_disrupt)
        yield SystemCommand("Switch policy", "Sovereign, purchased or hybrid, then re-plan (p)", self.action_policy)
        yield SystemCommand("Acknowledge alarm", "Acknowledge the oldest alarm (a)", self.action_acknowledge)
        yield SystemCommand("Event log", "Every event of the run (e)", self.action_event_log)
        yield SystemCommand("Save run", "Checkpoint the run folder now (s)", self.action_save)
        yield SystemCommand("Keys", "All the console's keys (?)", self.action_help)


def default_folder(scenario_name: str) -> Path:
    """``./cislink-runs/<scenario>-<YYYYmmdd-HHMMSS>``: where a console run is written by default."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("cislink-runs") / f"{scenario_name}-{stamp}"
