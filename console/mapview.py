"""The network map: nodes at schematic places, this month's flows on the arcs, vehicles where they are.

Drawn on a character grid: arcs with planned flow are lines of dots (heavier for more mass), each
labelled with its tonnes; vehicles in flight are drawn at the fraction of their leg they have flown
(``▲`` tug or lander, ``◆`` launch). Positions are a schematic, not to scale: Earth's orbits on the
left, the Earth-Moon Lagrange points between, the Moon's orbits and surface on the right, Mars above.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from cislink.console.session import View

#: schematic places as fractions of the pane (x to the right, y down)
PLACES: dict[str, tuple[float, float]] = {
    "earth": (0.04, 0.55),
    "leo": (0.16, 0.75),
    "geo": (0.22, 0.30),
    "eml1": (0.45, 0.55),
    "nrho": (0.66, 0.22),
    "dro": (0.72, 0.82),
    "llo": (0.78, 0.50),
    "lsp": (0.93, 0.62),
    "eml2": (0.95, 0.30),
    "lmo": (0.50, 0.08),
    "mars": (0.64, 0.04),
}


def _line(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Cells of a straight line (Bresenham), ends included."""
    cells = []
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    while True:
        cells.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return cells
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


class NetworkMap(Widget):
    """Renders the latest :class:`View` as a map; ``update(view)`` redraws."""

    DEFAULT_CSS = """
    NetworkMap { height: 1fr; }
    """

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.view: View | None = None
        self.error = ""

    def update(self, view: View) -> None:
        self.view = view
        self.refresh()

    def failed(self, message: str) -> None:
        """Show why there is no network to draw, in place of the map."""
        self.error = message
        self.refresh()

    def render(self) -> Text:
        w, h = max(self.size.width, 20), max(self.size.height, 6)
        v = self.view
        if v is None:
            return Text(self.error, style="bold red") if self.error else Text("loading the network…", style="dim")
        grid = [[" "] * w for _ in range(h)]
        style = [[""] * w for _ in range(h)]

        def at(node: str) -> tuple[int, int]:
            fx, fy = PLACES.get(node, (0.5, 0.5))
            return min(int(fx * (w - 8)) + 1, w - 2), min(int(fy * (h - 1)), h - 1)

        def put(x: int, y: int, ch: str, st: str = "") -> None:
            if 0 <= x < w and 0 <= y < h:
                grid[y][x] = ch
                style[y][x] = st

        shown = [n for n in v.nodes if n in PLACES]
        flows = {k: kg for k, kg in v.arc_flows_kg.items() if kg > 1.0}
        busiest = max(flows.values(), default=1.0)
        for (o, d), kg in sorted(flows.items(), key=lambda x: x[1]):
            if o not in PLACES or d not in PLACES:
                continue
            cells = _line(*at(o), *at(d))
            ch, st = ("•", "bold cyan") if kg > busiest / 3 else ("·", "cyan")
            for x, y in cells[1:-1]:
                put(x, y, ch, st)
            mx, my = cells[len(cells) // 2]
            label = f"{kg / 1000:.1f}t"
            for i, c in enumerate(label):
                put(mx + 1 + i, my, c, "cyan")
        for f in v.fleet:
            if f.origin in PLACES and f.destination in PLACES and f.state != "idle":
                (x0, y0), (x1, y1) = at(f.origin), at(f.destination)
                x = round(x0 + (x1 - x0) * f.progress)
                y = round(y0 + (y1 - y0) * f.progress)
                put(x, y, "◆" if f.kind == "launch" else "▲", "bold yellow")
        worst: dict[str, int] = {}
        for r in v.inventories:
            worst[r.node] = max(worst.get(r.node, 0), int(r.severity))
        from cislink.console.severity import Severity

        for node in shown:
            x, y = at(node)
            sev = Severity(worst.get(node, 0))
            label = f"{sev.symbol}{node.upper()}"
            for i, c in enumerate(label):
                put(x + i, y, c, f"bold {sev.style}" if i == 0 else "bold")
        idle = [f for f in v.fleet if f.state == "idle" and f.node in PLACES]
        for f in idle:
            x, y = at(f.node)
            put(x - 1, y, "▲", "yellow")
        text = Text()
        for y in range(h):
            row = grid[y]
            for x in range(w):
                text.append(row[x], style=style[y][x] or None)
            if y < h - 1:
                text.append("\n")
        return text
