"""The parts of the shipped JSON Schema (tutor/schema/problem.schema.json) that the registries
decide: the activations and their options, the losses and theirs. ``python -m tutor.schemas``
writes them into the file; a test keeps the shipped file equal to what this makes."""

from __future__ import annotations

import json
from importlib import resources

from . import activations, conventions, losses


def _option(registry: dict, name: str):
    """The Option called ``name`` (the first entry that takes it says its range)."""
    return next(o for e in registry.values() for o in e.options if o.name == name)


def problem_schema() -> dict:
    """The problem schema, its enums and options from the registries."""
    text = resources.files("tutor").joinpath("schema", "problem.schema.json").read_text("utf-8")
    schema = json.loads(text)
    layer = schema["$defs"]["layer"]["properties"]
    layer["activation"] = {"enum": list(activations.NAMES)}
    for name in [k for k in layer if k not in ("units", "activation")]:
        del layer[name]
    for option_name, owners in activations.option_owners(activations.ACTIVATIONS).items():
        layer[option_name] = _option(activations.ACTIVATIONS, option_name).schema(owners)
    plain, mapping = schema["properties"]["loss"]["oneOf"]
    plain["enum"] = list(losses.NAMES)
    mapping["properties"] = {"name": {"enum": list(losses.NAMES)}}
    for option_name, owners in activations.option_owners(losses.LOSSES).items():
        mapping["properties"][option_name] = _option(losses.LOSSES, option_name).schema(owners)
    schema["properties"]["convention"] = {
        "enum": list(conventions.CONVENTIONS), "default": conventions.DEFAULT,
        "description": "How the weights are written: " + "; ".join(
            f"{c.name}: {c.title}" for c in conventions.CONVENTIONS.values())
        + ". Explicit weights in init are read in it, and names (W1[i,j]) are printed and "
          "read in it."}
    return schema


def write() -> None:
    """Rewrite the shipped schema (made in full before the file is touched)."""
    from .files import write_file
    text = json.dumps(problem_schema(), indent=2, ensure_ascii=False) + "\n"
    write_file(str(resources.files("tutor").joinpath("schema", "problem.schema.json")), text)


if __name__ == "__main__":
    write()
