"""The ``cislink`` command line.

Every subcommand is a small function that parses, calls a layer and prints. Errors a user can fix
(:class:`~cislink.errors.CislinkError`) are printed as a message and exit with code 2; argparse's
own usage errors exit with 2 as well; a file that cannot be read or written past those checks (a
full disk, say) is one line naming it and exit code 1. Imports of the heavy layers happen inside the subcommands,
so ``cislink --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cislink import __version__
from cislink.errors import CislinkError, StoppedError

if TYPE_CHECKING:
    from cislink.planner.solve import SolverSettings

log = logging.getLogger("cislink")

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse with a message that names the command and what is allowed, exit code 2."""

    #: the subcommands' parsers by name (on the top-level parser), to name the command in its errors
    commands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\nRun '{self.prog} --help' for the options.\n")


# ---- network ------------------------------------------------------------------------------------


def _cmd_network(args: argparse.Namespace) -> int:
    from cislink.orbits import build_network

    if args.scenario and args.scenario_option and args.scenario != args.scenario_option:
        raise CislinkError(f"two scenarios given ('{args.scenario}' and --scenario {args.scenario_option}); give one")
    given = args.scenario or args.scenario_option
    scenario = _load_scenario_arg(given) if given else None
    network = build_network(scenario, use_cache=not args.no_cache)
    for name in (args.origin, args.destination):
        if name is not None:
            network.node(name)  # raises a NetworkError naming the known nodes
    arcs = [
        a
        for a in network.arcs()
        if (args.origin is None or a.origin == args.origin)
        and (args.destination is None or a.destination == args.destination)
    ]
    if args.json:
        keys = (
            "origin",
            "destination",
            "dv_m_s",
            "tof_days",
            "source",
            "debris_margin_m_s",
            "dv_total_m_s",
            "conjunctions_per_transit",
            "method",
        )
        print(json.dumps([{k: a.to_record()[k] for k in keys} for a in arcs], indent=2))
        return 0
    rows = [
        (
            a.origin,
            a.destination,
            f"{a.dv_m_s:,.0f}",
            f"{a.debris_margin_m_s:.1f}",
            f"{a.tof_days:.4g}",
            f"{a.conjunctions_per_transit:.1e}",
            a.method,
            a.source,
        )
        for a in arcs
    ]
    header = (
        "from",
        "to",
        "dv m/s",
        "margin m/s",
        "TOF days",
        "conj.",
        "method",
        "source (full: --json)",
    )
    print(f"Orbit network: {len(network.node_names)} nodes, {len(arcs)} of {len(network)} arcs")
    print(format_table(header, rows, right={2, 3, 4, 5}))
    return 0


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] = frozenset()) -> str:
    """A plain fixed-width table; the last column is cut to the terminal's width."""
    import shutil

    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    total = shutil.get_terminal_size((120, 40)).columns
    used = sum(widths[:-1]) + 2 * (len(widths) - 1)
    widths[-1] = max(12, min(widths[-1], total - used))

    def fmt(row: Sequence[str]) -> str:
        cells = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            text = str(cell)
            if len(text) > w:
                text = text[: w - 1] + "…"
            cells.append(text.rjust(w) if i in right else text.ljust(w))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])


def _load_scenario_arg(path: str) -> Any:
    from cislink.scenarios import load

    return load(path)


# ---- scenarios -----------------------------------------------------------------------------------


def _writable_folder(path: Path, option: str = "--out") -> Path:
    """Create ``path`` if needed and make sure files can be written there, before any slow work starts."""
    if path.exists() and not path.is_dir():
        raise CislinkError(f"{option} {path}: is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise CislinkError(
            f"{option} {path}: cannot write there ({exc.strerror or exc}); give a folder you can create and write"
        ) from None
    return path


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from cislink.scenarios import bundled

    items = bundled()
    if args.json:
        print(
            json.dumps([{"name": b.name, "path": str(b.path), "description": b.description} for b in items], indent=2)
        )
        return 0
    print(format_table(("name", "description", "path"), [(b.name, b.description, str(b.path)) for b in items]))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from cislink.scenarios import load

    s = load(args.file)
    demand = sum(sum(st.annual_demand_kg().values()) for st in s.stations)

    def count(items: Sequence[object], noun: str) -> str:
        return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"

    print(
        f"ok: {s.name}: {count(s.nodes, 'node')}, {count(s.launch_vehicles, 'launch vehicle')}, "
        f"{count(s.vehicles, 'vehicle')}, {count(s.stations, 'station')} ({demand:,.0f} kg/yr), "
        f"{count(s.disruptions, 'disruption')}, horizon {s.planner.horizon_months} months, policy {s.policy}"
    )
    return 0


# ---- study ----------------------------------------------------------------------------------------


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, one line per step otherwise.

    Each call counts one step: one begun (the bar shows the steps before it as done), or with
    ``finished`` one completed (the bar is full at the last).
    """

    def __init__(self, total: int, label: str, *, finished: bool = False) -> None:
        self.total, self.done, self.label = max(total, 1), 0, label
        self.finished = finished
        self.tty = sys.stderr.isatty()

    def __call__(self, message: str) -> None:
        self.done = min(self.done + 1, self.total)
        width = 24
        filled = round(width * (self.done - (0 if self.finished else 1)) / self.total)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {self.done}/{self.total} {message}"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number; allowed: a positive number") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"'{text}': allowed: a positive number")
    return value


def _gap(text: str) -> float:
    allowed = "allowed: a relative gap between 0 and 1, e.g. 0.01"
    try:
        value = _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"'{text}': {allowed}") from None
    if value >= 1:
        raise argparse.ArgumentTypeError(f"'{text}': {allowed}")
    return value


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number; allowed: {minimum} or more") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"'{text}': allowed: {minimum} or more")
    return value


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1)


#: Exit code of a command stopped by Ctrl-C, also when it printed what it had found.
STOPPED_EXIT = StoppedError.exit_code


def _stoppable(work: Callable[[], Any], partial_is_useless: bool = False) -> Any:
    """Run ``work`` with the first Ctrl-C asking the solver to stop and keep its best plan (the second quits).

    With ``partial_is_useless`` (the design a run is to operate) a stopped ``work`` is an error.
    """
    from cislink.planner import interrupt

    with interrupt.stop_on_interrupt():
        try:
            result = work()
        except CislinkError as exc:
            if interrupt.requested():
                raise StoppedError(str(exc)) from None
            raise
        if partial_is_useless and interrupt.requested():
            raise StoppedError("stopped while the infrastructure was being sized; nothing was run")
        return result


def _cmd_study(args: argparse.Namespace) -> int:
    from cislink.orbits import build_network
    from cislink.planner.cases import SENSITIVITY
    from cislink.planner.interrupt import INTERRUPTED
    from cislink.planner.report import (
        SENSITIVITY_HEADER,
        SUBSET_HEADER,
        plot_sensitivity,
        sensitivity_rows,
        subset_rows,
        summary_rows,
    )
    from cislink.planner.solve import SolverSettings
    from cislink.planner.study import run_sensitivity, run_study, subsets_needed

    if args.sensitivity and args.infrastructure is not None:
        raise CislinkError(
            f"--infrastructure {args.infrastructure} cannot be used with --sensitivity, which runs every case of "
            "the study's Fig. 10; give one or the other"
        )
    if not args.sensitivity and args.out is not None:
        raise CislinkError("--out DIR is only used with --sensitivity (where its PNG and JSON are written)")
    if args.sensitivity:
        _writable_folder(Path(args.out or "."))
    infrastructure = args.infrastructure or "all"
    scenario = _load_scenario_arg(args.scenario)
    settings = SolverSettings.from_scenario(
        scenario,
        solver=args.solver,
        time_limit_s=args.time_limit,
        mip_gap=args.gap,
        threads=args.threads,
        seed=args.seed,
    )
    settings.check()
    network = build_network(scenario)
    if args.sensitivity:
        bar = Progress(len(subsets_needed(scenario, SENSITIVITY)), "study")
        try:
            results = _stoppable(lambda: run_sensitivity(scenario, network, settings, progress=bar))
        finally:
            bar.close()
        out = Path(args.out or ".")
        png = plot_sensitivity(results, out / f"{scenario.name}-sensitivity.png")
        summaries = [r.summary() for r in results]
        (out / f"{scenario.name}-sensitivity.json").write_text(json.dumps(summaries, indent=2) + "\n")
        stopped = any(r.plan.solve.status == INTERRUPTED for r in results)
        if args.json:
            print(json.dumps({"cases": summaries, "plot": str(png), "settings": _settings_summary(settings)}, indent=2))
            return STOPPED_EXIT if stopped else 0
        print(f"Infrastructure sensitivity: {scenario.name}, {scenario.planner.horizon_months} months\n")
        print(format_table(SENSITIVITY_HEADER, sensitivity_rows(results), right=set(range(1, len(SENSITIVITY_HEADER)))))
        if stopped:
            print("\nstopped by Ctrl-C: a case whose gap is '-' has programme subsets that were not begun")
        print(f"\nchart: {png}\ntables: {out / (scenario.name + '-sensitivity.json')}")
        return STOPPED_EXIT if stopped else 0
    bar = Progress(len(subsets_needed(scenario, (infrastructure,))), "study")
    try:
        result = _stoppable(lambda: run_study(scenario, network, infrastructure, settings, progress=bar))
    finally:
        bar.close()
    summary = result.summary()
    summary["settings"] = _settings_summary(settings)
    stopped = summary["status"] == INTERRUPTED
    if args.json:
        print(json.dumps(summary, indent=2))
        return STOPPED_EXIT if stopped else 0
    print(f"Study: {scenario.name}, infrastructure {infrastructure}, {scenario.planner.horizon_months} months\n")
    print(format_table(("attribute", "value"), summary_rows(summary)))
    print("\nprogramme subsets solved (the plan above is the cheapest; its bound the least of theirs):\n")
    print(format_table(SUBSET_HEADER, subset_rows(summary), right={1, 2, 3, 4}))
    return STOPPED_EXIT if stopped else 0


def _settings_summary(settings: SolverSettings) -> dict[str, Any]:
    """What a study was solved with, so that its figures can be reproduced."""
    return {
        "solver": settings.solver,
        "time_limit_s": settings.time_limit_s,
        "mip_gap": settings.mip_gap,
        "threads": settings.threads,
        "seed": settings.seed,
    }


#: What the first Ctrl-C during ``cislink run`` prints: the month in progress is finished and saved.
RUN_STOP_MESSAGE = "stopping after this month, which is saved for a resume (Ctrl-C again to quit at once)"


def _cmd_run(args: argparse.Namespace) -> int:
    import datetime as dt

    from cislink.agents.model import CislinkModel
    from cislink.agents.run import RunFolder, run

    if args.resume:
        _refuse_settings_on_resume(args)
        folder = RunFolder(Path(args.resume))
        model = folder.load()
        if args.months is not None and args.months != model.months:
            raise CislinkError(
                f"--months {args.months}: the run in {args.resume} has {model.months} "
                f"month{'s' if model.months != 1 else ''}, set when it started; resume it without --months "
                "(a run is not lengthened: start a new one with --out for more months)"
            )
    else:
        if not args.out:
            raise CislinkError("--out DIR is required: the run is written there as it goes (or use --resume DIR)")
        scenario = _load_scenario_arg(args.scenario or "reference-2035")
        folder = RunFolder(Path(args.out))
        folder.check_free()
        _writable_folder(folder.path)
        months = args.months or scenario.simulation.months
        from cislink.agents.policy import design_for_policy, policy_def
        from cislink.orbits import build_network

        policy = policy_def(scenario, args.policy or scenario.policy)
        network = build_network(scenario)
        design, costs = _stoppable(lambda: design_for_policy(scenario, network, policy), partial_is_useless=True)
        model = CislinkModel(
            scenario, policy.name, args.seed, network=network, design=design, design_costs_usd=costs,
            months=months, debug=args.debug,
        )  # fmt: skip
        folder.start(model)
    from cislink.planner import interrupt

    done = model.month + 1 if model.month_complete else 0
    bar = Progress(model.months, "run", finished=True)
    bar.done = done
    with interrupt.stop_on_interrupt(RUN_STOP_MESSAGE, cancel_solves=False):
        summary = run(
            model,
            folder,
            on_month=lambda m: bar(f"{m.date - dt.timedelta(days=1):%Y-%m} cost ${m.total_cost_usd / 1e9:,.2f}B"),
            stop=interrupt.requested,
        )
    bar.close()
    timing = summary.pop("timing")
    stopped = summary.get("stopped_after_month")
    if stopped:
        print(
            f"stopped by Ctrl-C after month {stopped} of {model.months}; "
            f"continue with: cislink run --resume {folder.path}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(summary, indent=2))
        return STOPPED_EXIT if stopped else 0
    disposal = summary["disposal"]
    rows = [
        ("months", f"{summary['months']}"),
        ("policy / seed", f"{summary['policy']} / {summary['seed']}"),
        ("total cost", f"${summary['total_cost_usd']:,.0f}"),
        ("  investment (DDTE, infra launch)", f"${summary['investment_usd']:,.0f}"),
        ("cost, investment spread", f"${summary['cost_spread_usd']:,.0f}"),
        ("Earth launches (failed)", f"{summary['earth_launches']} ({summary['launch_failures']})"),
        ("mass from Earth kg", f"{summary['launched_kg']:,.0f}"),
        ("delivered kg", f"{summary['delivered_kg']:,.0f}"),
        ("consumed kg", f"{summary['consumed_kg']:,.0f}"),
        ("lost kg (boil-off)", f"{summary['lost_kg']:,.0f} ({summary['boiloff_kg']:,.0f})"),
        ("shortfall kg", f"{summary['shortfall_kg']:,.0f}"),
        ("station-days short", f"{summary['station_days_short']}"),
        ("tolls", f"${summary['tolls_usd']:,.0f}"),
        ("alarms (planner fallbacks)", f"{summary['alarms']} ({summary['planner_fallbacks']})"),
        ("re-plans within a month", f"{summary['replans_in_month']}"),
        ("disposal ready (lost)", f"{disposal['ready']} ({disposal['lost']}); "
         f"reserve {disposal['reserve_kg']:,.0f} kg"),
        ("mass balance error kg", f"{summary['mass_balance_error_kg']:.3g}"),
        ("wall s (planning, agents)", f"{timing['wall_seconds']:.1f} ({timing['planning_seconds']:.1f}, "
         f"{timing['stepping_seconds']:.1f})"),
    ]  # fmt: skip
    note = f" (stopped after month {stopped})" if stopped else ""
    print(f"Run: {summary['scenario']} -> {folder.path}{note}\n")
    print(format_table(("figure", "value"), rows))
    return STOPPED_EXIT if stopped else 0


def _cmd_console(args: argparse.Namespace) -> int:
    from cislink.agents.run import RunFolder
    from cislink.console.app import CislinkApp, default_folder
    from cislink.console.session import Session

    if args.resume:
        _refuse_settings_on_resume(args, months=True)
        folder = Path(args.resume)
        RunFolder(folder).check_resumable()
        label = str(folder)

        def make(status: Callable[[str], None]) -> Session:
            status(f"reopening {folder}…")
            return Session.resume(folder)

    else:
        scenario = _load_scenario_arg(args.scenario or "reference-2035")
        folder = Path(args.out) if args.out else default_folder(scenario.name)
        RunFolder(folder).check_free()
        _writable_folder(folder)
        from cislink.agents.policy import policy_def

        policy = policy_def(scenario, args.policy or scenario.policy).name
        label = scenario.name

        def make(status: Callable[[str], None]) -> Session:
            status(f"sizing the {policy} infrastructure (cached after the first time)…")
            return Session.start(scenario, policy, args.seed, args.months, folder)

    folder.mkdir(parents=True, exist_ok=True)
    # the terminal belongs to the console: log to the run folder instead
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.FileHandler(folder / "console.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    from cislink.console import planning

    planning.start(folder / "console.log")
    app = CislinkApp(make, label=label)
    try:
        app.run()
    finally:
        # whatever ended the console (quit, a crash, ctrl+c), save the run as it stands
        if app.session is not None and app.session.folder is not None:
            app.session.save()
        planning.shutdown()
    if app.return_code:
        print(f"the console stopped on an error; the run is saved (see {folder / 'console.log'})", file=sys.stderr)
        return app.return_code
    if app.open_error is not None:  # nothing was opened, so there is nothing to reopen
        raise CislinkError(app.open_error)
    print(f"run folder: {folder} (reopen with: cislink console --resume {folder})")
    return 0


#: What the first Ctrl-C during ``cislink wargame`` prints.
WARGAME_STOP_MESSAGE = "stopping: runs finished so far are kept (Ctrl-C again to quit at once)"


def _cmd_wargame(args: argparse.Namespace) -> int:
    from cislink.agents.policy import policy_def
    from cislink.scenarios import load_disruptions
    from cislink.wargame.report import write_report
    from cislink.wargame.sweep import Sweep, run_sweep

    scenario = _load_scenario_arg(args.scenario or "reference-2035")
    known = [p.name for p in scenario.policies] or ["sovereign"]
    policies = [p.strip() for p in (args.policies or ",".join(known)).split(",") if p.strip()]
    if not policies or len(set(policies)) != len(policies):
        raise CislinkError(f"--policies {args.policies!r}: name each policy once; allowed: {', '.join(known)}")
    for p in policies:
        policy_def(scenario, p)
    if args.disruptions:
        extra = load_disruptions(args.disruptions, scenario)
        scenario = scenario.model_copy(update={"disruptions": [*scenario.disruptions, *extra]})
    seed = scenario.simulation.seed if args.seed is None else args.seed
    out = _writable_folder(Path(args.out))
    meta = {"scenario": scenario.name, "policies": policies, "runs": args.runs, "months": args.months, "seed": seed,
            "scenario_data": scenario.model_dump(mode="json")}  # fmt: skip
    meta_path = out / "sweep.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        same = {k: old.get(k) for k in ("scenario_data", "months", "seed")} == {
            k: meta[k] for k in ("scenario_data", "months", "seed")
        }
        if not same:
            raise CislinkError(
                f"{out} holds a sweep of other settings (scenario, months or seed); choose another --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True, default=str))
    sweep = Sweep(scenario, tuple(policies), args.runs, args.months, seed)
    bar = Progress(len(sweep.tasks()), "wargame", finished=True)

    def progress(done: int, total: int) -> None:
        bar.done = done - 1 if done else 0
        if done:
            bar("runs done")

    from cislink.planner import interrupt

    try:
        with interrupt.stop_on_interrupt(WARGAME_STOP_MESSAGE):
            rows = run_sweep(sweep, out, workers=args.workers, scheduler=args.scheduler, on_done=progress)
    finally:
        bar.close()
    report = write_report(rows, policies, out, meta)
    from cislink.wargame.report import cell, frames, summary_table

    table = summary_table(frames(rows)[0], policies)
    shown = {  # the summary's columns, and shorter headers for a terminal
        "policy": "policy",
        "total cost, $M mean": "total cost, $M",
        "cost, investment spread, $M mean": "cost, investment spread, $M",
        "shortfall, t mean": "shortfall, t",
        "station-days short mean": "station-days short",
        "futures fully supplied": "fully supplied",
    }
    cols = list(shown)
    cells = [[cell(c, v) for c, v in zip(cols, r, strict=True)] for r in table[cols].values]
    print(f"means over {args.runs} futures per policy (percentiles and paired differences in the report)")
    print(format_table(list(shown.values()), cells, right=set(range(1, len(cols)))))
    print(f"\nreport: {report}; runs: {out / 'runs.parquet'}; plots: cost.png, supply_assurance.png, "
          f"shortfall_by_station.png")  # fmt: skip
    return 0


def _refuse_settings_on_resume(args: argparse.Namespace, months: bool = False) -> None:
    """A resumed run goes on as it was started: refuse new settings alongside --resume."""
    given = args.out or args.policy or args.seed is not None or args.scenario is not None
    if given or (months and args.months):
        extra = ", --seed or --months" if months else " or --seed"
        raise CislinkError(
            f"--resume DIR goes on with a run as it was started; give no SCENARIO, --out, --policy{extra}"
        )


def _add_run_arguments(p: argparse.ArgumentParser) -> None:
    """The scenario and run settings ``run`` and ``console`` share."""
    p.add_argument("scenario", nargs="?", default=None, help="scenario file or bundled name (default reference-2035)")
    p.add_argument("--months", type=_months_arg, metavar="N", help="months to run (default: the scenario's)")
    p.add_argument("--policy", metavar="P", help="policy from the scenario's [[policies]] (default: its policy)")
    p.add_argument("--seed", type=_seed_arg, metavar="S", help="random seed (default: the scenario's)")


def _months_arg(text: str) -> int:
    value = _positive_int(text)
    if value > 600:
        raise argparse.ArgumentTypeError(f"'{text}': allowed: 1 to 600 months")
    return value


def _seed_arg(text: str) -> int:
    return _int_at_least(text, 0)


#: the most futures per policy a sweep holds (its run files are numbered with five digits)
MAX_RUNS = 99_999


def _runs_arg(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_RUNS:
        raise argparse.ArgumentTypeError(f"'{text}': allowed: 1 to {MAX_RUNS:,} futures per policy")
    return value


def _solver_seed_arg(text: str) -> int:
    from cislink.scenarios.schema import SOLVER_SEED_MAX

    value = _int_at_least(text, 0)
    if value > SOLVER_SEED_MAX:
        raise argparse.ArgumentTypeError(f"'{text}': allowed: 0 to {SOLVER_SEED_MAX:,} (the solvers' seed range)")
    return value


# ---- parser ---------------------------------------------------------------------------------------


def build_parser() -> _Parser:
    parser = _Parser(
        prog="cislink",
        description="Plan and operate a cislunar logistics network.",
    )
    parser.add_argument("--version", action="version", version=f"cislink {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    parser.commands = sub.choices

    p = sub.add_parser("network", help="print the orbit network's arcs (delta-v, time of flight, margins)")
    p.add_argument("--json", action="store_true", help="print a JSON list of arcs instead of a table")
    p.add_argument("scenario", nargs="?", help="scenario file or bundled name whose nodes and arc overrides to use")
    p.add_argument("--scenario", dest="scenario_option", metavar="FILE", help="the same, as an option")
    p.add_argument("--from", dest="origin", metavar="NODE", help="only arcs leaving NODE")
    p.add_argument("--to", dest="destination", metavar="NODE", help="only arcs arriving at NODE")
    p.add_argument("--no-cache", action="store_true", help="recompute instead of reading the disk cache")
    p.set_defaults(handler=_cmd_network)

    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.add_argument("--json", action="store_true", help="print a JSON list (name, path, description)")
    p.set_defaults(handler=_cmd_scenarios)

    p = sub.add_parser("validate", help="check a scenario file and print a one-line summary")
    p.add_argument("file", metavar="FILE", help="a scenario .toml file or a bundled scenario's name")
    p.set_defaults(handler=_cmd_validate)

    from cislink.planner.cases import CASES

    p = sub.add_parser(
        "study",
        help="plan the whole horizon: which infrastructure, launches and trips meet demand at least cost",
        description="Solve the scenario's design problem over its horizon and print the study's Table-10 figures.",
    )
    p.add_argument("scenario", nargs="?", default="reference-2035", help="scenario file or bundled name")
    p.add_argument("--infrastructure", choices=list(CASES), help="what may be built (default: all)")
    p.add_argument("--sensitivity", action="store_true", help="run the study's Fig. 10 combinations, write a PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--solver", choices=["highs", "scip"], help="MILP solver (default: the scenario's, highs)")
    p.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds for the whole study")
    p.add_argument("--gap", type=_gap, metavar="G", help="relative optimality gap to stop at, e.g. 0.01")
    p.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="solver threads (SCIP solves on one; with two or more the study searches plans beside it on another)",
    )
    p.add_argument("--seed", type=_solver_seed_arg, metavar="S", help="solver random seed (default: the scenario's)")
    p.add_argument("--out", metavar="DIR", help="where --sensitivity writes its PNG and JSON (default: here)")
    p.set_defaults(handler=_cmd_study)

    p = sub.add_parser(
        "run",
        help="operate the network day by day with monthly re-planning, disruptions and a mass ledger",
        description="Run the scenario headless; the run folder is written and checkpointed every month.",
    )
    _add_run_arguments(p)
    p.add_argument("--out", metavar="DIR", help="run folder to write (must not hold a run)")
    p.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last month-end checkpoint")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--debug", action="store_true", help="check the mass ledger every simulated day")
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser(
        "console",
        help="the operator console: watch and steer the network month by month (Textual terminal UI)",
        description="Open the operator console on a scenario (default reference-2035) or reopen a run folder.",
    )
    _add_run_arguments(p)
    p.add_argument("--out", metavar="DIR", help="run folder (default ./cislink-runs/SCENARIO-DATE-TIME)")
    p.add_argument("--resume", metavar="DIR", help="reopen the run in DIR at its last checkpoint")
    p.set_defaults(handler=_cmd_console)

    p = sub.add_parser(
        "wargame",
        help="many randomised futures per policy on Dask, paired by seed; runs.parquet, report.md, plots",
        description="Run N randomised futures per policy in parallel and compare the policies.",
    )
    p.add_argument("scenario", nargs="?", default=None, help="scenario file or bundled name (default reference-2035)")
    p.add_argument("--runs", type=_runs_arg, default=20, metavar="N", help="futures per policy (default 20)")
    p.add_argument("--policies", default=None, metavar="P,Q", help="comma-separated (default: all the scenario's)")
    p.add_argument("--months", type=_months_arg, default=12, metavar="M", help="months per run (default 12)")
    p.add_argument("--seed", type=_seed_arg, default=None, metavar="S", help="first seed (default: the scenario's)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for runs, report and plots")
    p.add_argument("--disruptions", metavar="FILE", help="TOML with [[disruptions]] added to every run")
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=_positive_int, default=2, metavar="W", help="local workers (default 2)")
    p.set_defaults(handler=_cmd_wargame)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return parser


#: Subcommands registered by later layers (scenarios, planner, ...): functions adding a parser.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the command they were given to, with its own usage
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:  # Mesa logs every model step at INFO, a line per simulated day: only with -vv
        logging.getLogger("MESA").setLevel(logging.WARNING)
    handler: Handler = args.handler
    try:
        return handler(args)
    except CislinkError as exc:
        print(f"cislink {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return STOPPED_EXIT
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file that could not be read or written after the checks (a full disk, say)
        logging.getLogger(__name__).debug("%s failed", args.command, exc_info=True)
        where = f" '{exc.filename}'" if exc.filename else ""
        print(f"cislink {args.command}: error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
