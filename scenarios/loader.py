"""Loading scenario files, with messages a person can act on.

``load(path)`` reads a TOML file and returns a validated :class:`~cislink.scenarios.schema.Scenario`
or raises :class:`ScenarioError`, whose message names the file, the line where it can be found,
the field path (``stations[2].crew``), what was wrong and what is allowed. Nothing else escapes:
not a ``tomllib`` error, not a ``UnicodeDecodeError``, not a pydantic traceback.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cislink.errors import CislinkError
from cislink.scenarios.schema import Disruption, Scenario

BUNDLED_PACKAGE = "cislink.scenarios"
MAX_BYTES = 5_000_000


class ScenarioError(CislinkError):
    """A scenario file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class BundledScenario:
    name: str
    path: Path
    description: str


@functools.cache
def bundled() -> tuple[BundledScenario, ...]:
    """The scenarios shipped with cislink (read once per process)."""
    out = []
    for entry in sorted(resources.files(BUNDLED_PACKAGE).joinpath("data").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            path = Path(str(entry))
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            out.append(BundledScenario(data.get("name", path.stem), path, data.get("description", "")))
    return tuple(out)


def resolve(name_or_path: str | Path) -> Path:
    """A bundled scenario's name (``reference-2035``) or a file path, as a path."""
    text = str(name_or_path)
    for b in bundled():
        if text in (b.name, b.path.stem):
            return b.path
    path = Path(text)
    if not path.exists():
        names = ", ".join(b.name for b in bundled())
        raise ScenarioError(f"no scenario file '{text}' and no bundled scenario of that name; bundled: {names}")
    return path


def load(name_or_path: str | Path) -> Scenario:
    """Read and validate a scenario file (or a bundled scenario by name)."""
    path = resolve(name_or_path)
    where = f"scenario file '{path}'"
    text = _read_text(path, where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: TOML syntax error: {exc}") from None
    return validate(data, text=text, where=where)


def load_disruptions(path: str | Path, scenario: Scenario) -> list[Disruption]:
    """The ``[[disruptions]]`` of a TOML file, checked against ``scenario`` as its own would be.

    Each must name a target the scenario has; errors name the file's own lines. The file holds
    nothing but ``[[disruptions]]`` tables.
    """
    path = Path(path)
    where = f"disruptions file '{path}'"
    if not path.exists():
        raise ScenarioError(f"{where}: no such file")
    text = _read_text(path, where, "give one or more [[disruptions]] tables")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: TOML syntax error: {exc}") from None
    other = sorted(set(data) - {"disruptions"})
    if other:
        named = ", ".join(repr(k) for k in other)
        raise ScenarioError(f"{where}: unknown table or key {named}; allowed: [[disruptions]]")
    if not isinstance(data.get("disruptions", []), list):
        raise ScenarioError(f"{where}: 'disruptions' must be [[disruptions]] tables")
    # the scenario with only the file's disruptions: the same checks, and indices that are the file's
    alone = {**scenario.model_dump(mode="json"), "disruptions": data.get("disruptions", [])}
    return list(validate(alone, text=text, where=where).disruptions)


def _read_text(path: Path, where: str, empty_hint: str = "start from a bundled scenario (cislink scenarios)") -> str:
    """A scenario-like TOML file's text, refused with a message if it is not one."""
    if path.is_dir():
        raise ScenarioError(f"{where}: is a folder; give a .toml file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{where}: {len(raw):,} bytes; scenario files are limited to {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{where}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise ScenarioError(f"{where}: contains NUL bytes; a scenario is a UTF-8 TOML text file")
    if not text.strip():
        raise ScenarioError(f"{where}: is empty; {empty_hint}")
    return text


def loads(text: str, where: str = "scenario text") -> Scenario:
    """Validate scenario TOML given as a string."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: TOML syntax error: {exc}") from None
    return validate(data, text=text, where=where)


def validate(data: dict[str, Any], *, text: str = "", where: str = "scenario") -> Scenario:
    """Validate parsed scenario data."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format(exc, text, where)) from None
    except (RecursionError, OverflowError) as exc:  # absurd nesting or numbers
        raise ScenarioError(f"{where}: cannot be validated ({type(exc).__name__})") from None


# ---- messages ----------------------------------------------------------------------------------------


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('stations', 2, 'crew')`` -> ``stations[2].crew``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class whose field ``loc`` names the last part of (for listing allowed fields)."""
    import typing

    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        ann = model.model_fields[part].annotation
        model = None
        for cand in [ann, *typing.get_args(ann), *(a for x in typing.get_args(ann) for a in typing.get_args(x))]:
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                model = cand
                break
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _describe(err: dict[str, Any]) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    value = err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = ", ".join(sorted(model.model_fields)) if model else "see scenarios/README.md"
        return f"unknown field '{loc[-1]}'; allowed fields: {allowed}"
    if kind == "missing":
        return "required but missing"
    if kind == "literal_error":
        return f"{err['msg'].replace('Input should be', 'must be')}; got {value!r}"
    if kind in ("finite_number",) or (isinstance(value, float) and not math.isfinite(value)):
        return f"must be a finite number; got {value!r}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    msg = msg.replace("Input should be", "must be")
    if value is not None and not isinstance(value, dict | list):
        msg += f"; got {value!r}"
    return msg


def _format(exc: ValidationError, text: str, where: str) -> str:
    errors = exc.errors(include_url=False)
    lines = []
    for err in errors[:5]:
        loc = tuple(err["loc"])
        path = field_path(loc)
        if not loc:  # a cross-field check: its message starts with the field path
            loc = _path_to_loc(_describe(err).split(":", 1)[0])
        line = _find_line(text, loc) if text else None
        at = f"{where}, line {line}" if line else where
        detail = _describe(err)
        # Cross-field checks carry their own path at the front of the message.
        lines.append(f"{at}: {path + ': ' if path else ''}{detail}")
    if len(errors) > 5:
        lines.append(f"... and {len(errors) - 5} more problem(s)")
    return "\n".join(lines)


_PATH = re.compile(r"^[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*$")


def _path_to_loc(path: str) -> tuple[int | str, ...]:
    """``stations[2].crew`` -> ``('stations', 2, 'crew')``; ``()`` if it is not a field path."""
    if not _PATH.match(path):
        return ()
    loc: list[int | str] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        loc.append(name)
        if rest:
            loc.append(int(rest.rstrip("]")))
    return tuple(loc)


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")


def _find_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line number of the field at ``loc`` in the TOML ``text``."""
    if not loc:
        return None
    parts = [p for p in loc if isinstance(p, str)]
    index = next((p for p in loc if isinstance(p, int)), None)
    lines = text.splitlines()
    section, key = parts[0], parts[-1]
    start = None
    seen = -1
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m and m.group(1).strip() == section:
            seen += 1
            if index is None or seen == index:
                start = i
                break
    if start is None:
        for i, line in enumerate(lines):  # a top-level key
            if re.match(rf"^\s*{re.escape(section)}\s*=", line):
                return i + 1
        return None
    if len(parts) == 1:
        return start + 1
    for i in range(start + 1, len(lines)):
        if _HEADER.match(lines[i]) and not lines[i].strip().startswith(f"[{section}."):
            break
        if re.match(rf"^\s*{re.escape(str(key))}\s*=", lines[i]):
            return i + 1
    return start + 1
