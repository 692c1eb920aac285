"""Screens over the main one: help, the disruption form, policy choice, drill-down detail, event log."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, OptionList, Select, Sparkline, Static

if TYPE_CHECKING:
    from cislink.console.session import Session

#: every key of the main screen, as the help screen and README list them
KEYS: tuple[tuple[str, str], ...] = (
    ("space", "run / pause"),
    ("n", "next day"),
    ("m", "next month"),
    ("+ / -", "faster / slower (days per second)"),
    ("d", "inject a disruption (type, target, start, duration)"),
    ("p", "switch policy (sovereign / purchased / hybrid) and re-plan"),
    ("a", "acknowledge the selected (or oldest) alarm"),
    ("e", "event log: the full history"),
    ("enter", "drill down into the selected node or vehicle"),
    ("/", "filter the rows of every table"),
    ("1-5", "jump to Network, Inventories, Fleet, Tolls, Alarms"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("s", "save the run (checkpoint now)"),
    ("q", "quit (the run is saved first)"),
    ("esc", "back / close"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        table = DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
        table.add_columns("key", "does")
        for k, what in KEYS:
            table.add_row(k, what)
        with Vertical(id="help", classes="dialog"):
            yield Label("[b]cislink console: keys[/b]")
            yield table
            yield Label(
                "Severities: [green]● ok[/]  [cyan]◐ watch[/]  [yellow]▲ warning[/]  [bold red]✖ critical[/]\n"
                "Days of supply: critical under the station's limit, warning under 2x, watch under 3x.",
            )
            yield Label("[dim]esc to close[/]")


class DisruptionForm(ModalScreen[dict[str, Any] | None]):
    """Type, target, start date and duration; checked by the model before it is accepted."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, kinds: list[str], targets: dict[str, list[str]], today: dt.date) -> None:
        super().__init__()
        self.kinds = kinds
        self.targets = targets
        self.today = today

    def compose(self) -> ComposeResult:
        first = self.kinds[0]
        with Vertical(id="disruption", classes="dialog"):
            yield Label("[b]Inject a disruption[/b]")
            yield Label("type")
            yield Select([(k, k) for k in self.kinds], value=first, allow_blank=False, id="kind")
            yield Label("target")
            yield Select([(t, t) for t in self.targets[first]], allow_blank=False, id="target")
            yield Label("start (YYYY-MM-DD, empty for today)")
            yield Input(placeholder=self.today.isoformat(), id="start")
            yield Label("duration in days (0 for a one-off)")
            yield Input(value="10", id="duration")
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Inject", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "kind" and event.value in self.targets:
            target = self.query_one("#target", Select)
            target.set_options([(t, t) for t in self.targets[str(event.value)]])

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(f"[bold red]✖ {message}[/]")

    def _submit(self) -> None:
        kind = self.query_one("#kind", Select).value
        target = self.query_one("#target", Select).value
        start_text = self.query_one("#start", Input).value.strip()
        duration_text = self.query_one("#duration", Input).value.strip() or "0"
        if target is Select.BLANK or target is None:
            self.show_error(f"choose a target; allowed for {kind}: {', '.join(self.targets.get(str(kind), []))}")
            return
        try:
            start = dt.date.fromisoformat(start_text) if start_text else None
        except ValueError:
            self.show_error(f"start '{start_text}' is not a date; write YYYY-MM-DD, on or after {self.today}")
            return
        if start is not None and start < self.today:
            self.show_error(f"start {start} is in the past; allowed: {self.today} or later")
            return
        try:
            duration = float(duration_text)
        except ValueError:
            self.show_error(f"duration '{duration_text}' is not a number; allowed: 0 to 3650 days")
            return
        if not 0 <= duration <= 3650:
            self.show_error(f"duration {duration_text}: allowed: 0 to 3650 days")
            return
        self.dismiss({"kind": str(kind), "target": str(target), "start": start, "duration_days": duration})


class PolicyScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, policies: list[str], current: str) -> None:
        super().__init__()
        self.policies = policies
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="policy", classes="dialog"):
            yield Label(f"[b]Switch policy[/b] (now: {self.current})\nthe rest of this month is re-planned")
            options = OptionList(*self.policies, id="policies")
            yield options
            yield Label("[dim]enter to switch, esc to cancel[/]")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.highlighted = self.policies.index(self.current) if self.current in self.policies else 0
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.policies[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class DetailScreen(Screen[None]):
    """A node's stock history, planned legs and ledger, or a vehicle's legs and ledger."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "back")]

    def __init__(self, session: Session, node: str | None = None, vehicle: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.node = node
        self.vehicle = vehicle

    def compose(self) -> ComposeResult:
        s = self.session
        title = f"node {self.node}" if self.node else f"vehicle {self.vehicle}"
        with VerticalScroll(id="detail"):
            yield Label(f"[b]{title}[/b]  [dim](esc to go back)[/]", id="detail-title")
            if self.node:
                history = s.history_of(self.node)
                with Vertical(id="history", classes="pane") as box:
                    box.border_title = "Inventory history (kg per day, last 120 days)"
                    if not history:
                        yield Label("[dim]no stock here yet[/]")
                    for c, series in sorted(history.items()):
                        lo, hi = (min(series), max(series)) if series else (0.0, 0.0)
                        yield Label(f"{c}: now {series[-1] if series else 0:,.0f} kg (min {lo:,.0f}, max {hi:,.0f})")
                        yield Sparkline(series, classes="history")
            vtype = self.vehicle.rsplit("-", 1)[0] if self.vehicle else None
            legs = s.planned_legs(vehicle_type=vtype, node=self.node)
            table = DataTable(id="legs", cursor_type="row")
            table.add_columns("vehicle", "from", "to", "cargo kg")
            for vt, o, d, kg in legs:
                table.add_row(*(Text(x) for x in (vt, o, d, f"{kg:,.0f}")))
            with Vertical(classes="pane") as box:
                box.border_title = f"Planned legs still to fly this month ({len(legs)})"
                yield table
            ledger = DataTable(id="ledger", cursor_type="row", zebra_stripes=True)
            ledger.add_columns("date", "kind", "node", "commodity", "kg", "detail")
            rows = s.ledger_rows(node=self.node, vehicle=self.vehicle)
            for date, kind, node, c, kg, detail in rows:
                ledger.add_row(*(Text(x) for x in (date, kind, node, c, f"{kg:,.1f}", detail)))
            with Vertical(classes="pane") as box:
                box.border_title = f"Ledger (latest {len(rows)} entries)"
                yield ledger
        yield Footer()


class EventLogScreen(Screen[None]):
    """Every event of the run so far, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "back")]

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__()
        self.events = events

    def compose(self) -> ComposeResult:
        from cislink.console.severity import for_alarm

        table = DataTable(id="event-log", cursor_type="row", zebra_stripes=True)
        table.add_columns("date", "", "kind", "target", "source", "detail")
        for e in reversed(self.events):
            sev = for_alarm(e["kind"])
            mark = Text(f"{sev.symbol} {sev.label}", style=sev.style) if e["alarm"] else Text("")
            table.add_row(
                *(Text(str(x)) for x in (e["date"],)),
                mark,
                *(Text(str(e[k])) for k in ("kind", "target", "source", "detail")),
            )
        with Vertical(classes="pane", id="log") as box:
            box.border_title = f"Event log ({len(self.events)} events, newest first; esc to go back)"
            yield table
        yield Footer()
