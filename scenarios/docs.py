"""Generate ``scenarios/README.md`` (the scenario schema) from the pydantic models.

python -m cislink.scenarios.docs > scenarios/README.md
"""

from __future__ import annotations

import typing

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from cislink.scenarios.schema import Scenario


def _type_name(ann: object) -> str:
    text = (
        str(ann).replace("typing.", "").replace("cislink.scenarios.schema.", "").replace("cislink.scenarios.nodes.", "")
    )
    return text.replace("<class '", "").replace("'>", "").replace("Annotated[", "").replace("NoneType", "None")


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    if model.__name__ in seen:
        return
    seen[model.__name__] = model
    for f in model.model_fields.values():
        for cand in [f.annotation, *typing.get_args(f.annotation)]:
            for c in [cand, *typing.get_args(cand)]:
                if isinstance(c, type) and issubclass(c, BaseModel):
                    _models(c, seen)


def render() -> str:
    seen: dict[str, type[BaseModel]] = {}
    _models(Scenario, seen)
    out = [
        "# Scenario files",
        "",
        "A scenario is a TOML file validated by the models in `scenarios/schema.py`; this page is generated",
        "from them (`python -m cislink.scenarios.docs > scenarios/README.md`). Units are in the field names.",
        "Unknown fields are errors. Bundled scenarios: `cislink scenarios`; check a file: `cislink validate FILE`.",
        "",
    ]
    for name, model in seen.items():
        out += [
            f"## {name}",
            "",
            ((model.__doc__ or "").strip().splitlines() or [""])[0],
            "",
            "| field | type | default | description |",
            "|---|---|---|---|",
        ]
        for fname, f in model.model_fields.items():
            default = "required" if f.is_required() else _default_text(f)
            desc = (f.description or "").replace("|", "\\|")
            type_text = _type_name(f.annotation).replace("|", "\\|")
            out.append(f"| `{fname}` | {type_text} | {default} | {desc} |")
        out.append("")
    return "\n".join(out)


def _default_text(f: FieldInfo) -> str:
    """A field's default as the table shows it: a short list of names in full, a long one as (list)."""
    if not f.default_factory:
        return repr(f.default)
    value = f.default_factory()  # type: ignore[call-arg]
    text = repr(value)
    return text if isinstance(value, list) and all(isinstance(x, str) for x in value) and len(text) <= 80 else "(list)"


if __name__ == "__main__":
    print(render())
