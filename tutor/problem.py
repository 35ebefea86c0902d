"""Problem files: the YAML schema, its validation, and the frozen dataclasses it loads into.

A problem is a small fully connected network, a loss, a data set and initial parameters::

    name: XOR
    network: {inputs: 2, layers: [{units: 3, activation: sigmoid}, {units: 1, activation: sigmoid}]}
    loss: bce
    data: {inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]]}
    init: {seed: 0}
    training: {lr: 0.1, epochs: 5000}

Parameters are named as in PyTorch's ``nn.Linear``: ``W<l>`` has shape (units, fan_in) and
``b<l>`` shape (units,). Elements are named 1-based: ``W1[2,1]`` is w⁽¹⁾₂₁, the weight into
neuron 2 of layer 1 from input 1. Every error names the file, the field path and the line.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

from . import activations, losses
from .errors import ProblemError, TutorError
from .i18n import N_, _

MAX_FILE_BYTES = 1_000_000
MAX_LAYERS = 16
MAX_UNITS = 512
MAX_SAMPLES = 100_000
MAX_EPOCHS = 10_000_000
# Numbers in a problem are at most this large: enough for any exercise, small enough that
# the forward pass of a network of the largest allowed size cannot overflow a float64 in one layer.
MAX_MAGNITUDE = 1e6
MAX_NODES = 1_000_000   # values in one YAML document, each use of an alias counted
DEFAULT_LR = 0.1
DEFAULT_EPOCHS = 1000


@dataclass(frozen=True)
class Layer:
    """One dense layer: ``units`` neurons, each a = f(Σᵢ wⱼᵢ aᵢ + bⱼ)."""

    units: int
    activation: str
    options: tuple[tuple[str, float], ...] = ()  # (name, value): leaky_relu's slope, …

    @cached_property
    def act(self) -> activations.Activation:
        return activations.get(self.activation, dict(self.options))

    @property
    def slope(self) -> float | None:
        """leaky_relu's slope (None for other activations)."""
        return self.act.slope

    def __getstate__(self):
        # Pickled without its activation, which holds functions; it is looked up again.
        return {k: v for k, v in self.__dict__.items() if k != "act"}


@dataclass(frozen=True)
class Network:
    """``inputs`` inputs, then ``layers``; layer l (1-based) maps a⁽ˡ⁻¹⁾ to a⁽ˡ⁾."""

    inputs: int
    layers: tuple[Layer, ...]

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    @property
    def sizes(self) -> tuple[int, ...]:
        """(inputs, units of layer 1, …, outputs), e.g. (2, 3, 1) for XOR."""
        return (self.inputs,) + tuple(layer.units for layer in self.layers)

    @cached_property
    def param_names(self) -> tuple[tuple[str, str], ...]:
        """(('W1', 'b1'), ('W2', 'b2'), …): the parameter arrays of each layer."""
        return tuple((f"W{l}", f"b{l}") for l in range(1, len(self.layers) + 1))

    def shapes(self) -> dict[str, tuple[int, ...]]:
        """{'W1': (units, fan_in), 'b1': (units,), …} in layer order."""
        out: dict[str, tuple[int, ...]] = {}
        for l, (fan_in, units) in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            out[f"W{l}"] = (units, fan_in)
            out[f"b{l}"] = (units,)
        return out

    @property
    def n_params(self) -> int:
        """How many scalar parameters (weights and biases) the network has."""
        return sum(math.prod(shape) for shape in self.shapes().values())

    def iter_param_refs(self):
        """Every scalar parameter, layer by layer: W1 row by row, then b1, then W2, …, one at
        a time (the first few of millions without making them all)."""
        for l, (fan_in, units) in enumerate(zip(self.sizes, self.sizes[1:]), start=1):
            for j in range(1, units + 1):
                for i in range(1, fan_in + 1):
                    yield ParamRef("W", l, j, i)
            for j in range(1, units + 1):
                yield ParamRef("b", l, j)

    def param_refs(self) -> list["ParamRef"]:
        """Every scalar parameter, in the order of ``iter_param_refs``."""
        return list(self.iter_param_refs())

    def describe(self) -> str:
        """'2-3-1 sigmoid/sigmoid'."""
        acts = "/".join(layer.activation for layer in self.layers)
        return "-".join(map(str, self.sizes)) + " " + acts


# W (or w, as formulas write it) or b, a layer, and indices or none (the whole array).
_REF = re.compile(r"\s*([Wwb])(\d+)(?:\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])?\s*")


@dataclass(frozen=True, order=True)
class ParamRef:
    """One scalar parameter: ``W`` (layer, row j, column i) or ``b`` (layer, row j), 1-based."""

    kind: str
    layer: int
    row: int
    col: int | None = None

    @property
    def name(self) -> str:
        """'W1[2,1]' or 'b1[2]'."""
        if self.kind == "W":
            return f"W{self.layer}[{self.row},{self.col}]"
        return f"b{self.layer}[{self.row}]"

    @property
    def array(self) -> str:
        """The parameter array it belongs to: 'W1'."""
        return f"{self.kind}{self.layer}"

    @property
    def index(self) -> tuple[int, ...]:
        """Its 0-based index into that array."""
        return (self.row - 1, self.col - 1) if self.kind == "W" else (self.row - 1,)

    def __str__(self) -> str:
        return self.name


def parse_param_refs(text: str, network: Network) -> list[ParamRef]:
    """``'W1[2,1]'``, ``'b2'`` or a comma-separated list of them -> the ParamRefs they name.

    A whole array (``W1``) names all its elements. Raises ProblemError (field ``--param``) for
    anything that is not a parameter of ``network``. Names are tutor's own (``W1[2,1]``: into
    neuron 2 from input 1); what a reader types in another convention is turned into them at
    the edge (``conventions.read``).
    """
    shapes = network.shapes()
    refs: list[ParamRef] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _REF.match(text, pos)
        if not m or (m.end() < len(text) and text[m.end()] != ","):
            raise ProblemError(_("cannot read {text!r} as parameter names; expected names "
                                 "like W1[2,1], b1[2] or W1").format(text=text), field="--param")
        kind, layer, row, col = m.group(1).replace("w", "W"), int(m.group(2)), m.group(3), \
            m.group(4)
        array = f"{kind}{layer}"
        if array not in shapes:
            raise ProblemError(_("no parameter {array}: this network has {items}").format(
                                   array=array, items=', '.join(shapes)), field="--param")
        shape = shapes[array]
        if row is None:
            refs += [r for r in network.param_refs() if r.array == array]
        else:
            idx = (int(row),) if col is None else (int(row), int(col))
            if len(idx) != len(shape) or not all(1 <= k <= n for k, n in zip(idx, shape)):
                want = (f"{array}[j,i] with 1 ≤ j ≤ {shape[0]}, 1 ≤ i ≤ {shape[1]}"
                        if kind == "W" else f"{array}[j] with 1 ≤ j ≤ {shape[0]}")
                raise ProblemError(_("no parameter {name}: expected {want}").format(
                                       name=m.group(0).strip(), want=want),
                                   field="--param")
            refs.append(ParamRef(kind, layer, *idx))
        pos = m.end() + 1
    # Keep the user's order, once each.
    return list(dict.fromkeys(refs))


def parse_param_ref(text: str, network: Network) -> ParamRef:
    """The one parameter ``text`` names (``'W1[2,1]'``, ``'b1[2]'``); ProblemError otherwise."""
    refs = parse_param_refs(text, network)
    if len(refs) != 1:
        raise ProblemError(_("expected one parameter, like W1[2,1] or b1[2]"), field="--param")
    return refs[0]


@dataclass(frozen=True)
class Training:
    """Gradient-descent settings: full batch unless ``batch_size``; SGD momentum as in PyTorch."""

    lr: float = DEFAULT_LR
    epochs: int = DEFAULT_EPOCHS
    batch_size: int | None = None
    momentum: float = 0.0


@dataclass(frozen=True, eq=False)
class Problem:
    """A validated problem.

    inputs: (n_samples, n_inputs); targets: (n_samples, n_outputs); params: {'W1': (units,
    fan_in), 'b1': (units,), …} the initial values, read-only arrays.
    """

    name: str
    description: str
    network: Network
    loss: str
    inputs: np.ndarray
    targets: np.ndarray
    params: Mapping[str, np.ndarray]
    seed: int | None
    training: Training
    file: str = "<problem>"
    # Whose parameter values these are, as the documents say it ("at the problem's
    # parameters", "at the parameters of variant 3 of seed 7").
    origin: str = N_("the problem's parameters")
    loss_options: tuple[tuple[str, float], ...] = ()   # (name, value): huber's delta
    # How the file, its readers and its students write the weights (tutor.conventions):
    # "pytorch" W<l> of shape (units, fan_in), "dlfs" (inputs, units). params are always
    # (units, fan_in) inside.
    convention: str = "pytorch"

    @cached_property
    def loss_fn(self) -> "losses.Loss":
        """The loss, configured with its options."""
        return losses.get(self.loss, dict(self.loss_options))

    def __getstate__(self):
        # Pickled without the configured loss, which holds functions; it is made again.
        return {k: v for k, v in self.__dict__.items() if k != "loss_fn"}

    @property
    def n_samples(self) -> int:
        return self.inputs.shape[0]

    @property
    def exercise_sample(self) -> int:
        """The sample (1-based) shown step by step by default: the first with the most
        non-zero inputs, so that no input weight's gradient is trivially 0."""
        return int(np.argmax(np.count_nonzero(self.inputs, axis=1))) + 1

    def value(self, ref: ParamRef) -> float:
        return float(self.params[ref.array][ref.index])

    def with_params(self, params: Mapping[str, np.ndarray], origin: str = N_("these parameters")
                    ) -> "Problem":
        """The same problem at other parameter values (explicit ones: no longer from a seed),
        ``origin`` saying whose they are."""
        import dataclasses
        return dataclasses.replace(self, params=_frozen_params(params), seed=None,
                                   origin=origin)


def init_params(network: Network, rng: np.random.Generator, copies: tuple[int, ...] = ()
                ) -> dict[str, np.ndarray]:
    """The common framework default (PyTorch's ``nn.Linear``): weights and biases uniform in
    (−1/√fan_in, 1/√fan_in), drawn layer by layer, W before b. ``copies`` prepends dimensions
    for independently initialised copies."""
    params = {}
    for name, shape in network.shapes().items():
        fan_in = network.sizes[int(name[1:]) - 1]
        bound = 1.0 / np.sqrt(fan_in)
        params[name] = rng.uniform(-bound, bound, size=copies + shape)
    return params


def _frozen_params(params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    out = {}
    for k, v in params.items():
        a = np.array(v, dtype=float)
        a.setflags(write=False)
        out[k] = a
    return out


# --- Loading ---------------------------------------------------------------------------------


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file. Raises ProblemError with file, field and line."""
    text, file = read_text_file(path, N_("a problem file"))
    return parse_problem(text, file=file)


def read_text_file(path: str | Path, what: str) -> tuple[str, str]:
    """(text, file name) of a small UTF-8 regular file; ProblemError naming the file otherwise
    (a device, a FIFO or a file over MAX_FILE_BYTES is refused without reading it all)."""
    from .files import FileTooLarge, read_bytes
    file = str(path)
    try:
        data = read_bytes(path, MAX_FILE_BYTES)
    except FileTooLarge:
        raise ProblemError(_("{what} is at most {limit} bytes; this one is larger").format(
                               what=_(what), limit=f"{MAX_FILE_BYTES:,}"), file=file) from None
    except TutorError as e:
        raise ProblemError(str(e), file=file) from None
    try:
        return data.decode("utf-8"), file
    except UnicodeDecodeError as e:
        raise ProblemError(_("not UTF-8 text (byte {start})").format(
                               start=e.start), file=file) from None


def load_any(path: str | Path):
    """A problem file of either kind: a network (Problem) or a computational graph
    (graph.GraphProblem)."""
    text, file = read_text_file(path, N_("a problem file"))
    return parse_any(text, file)


def parse_any(text: str, file: str = "<problem>"):
    doc, lines = _read_yaml(text, file)
    v = _Validator(file, lines)
    if isinstance(doc, dict) and "graph" in doc:
        from .graph import parse_graph
        return parse_graph(doc, v, file)
    return v.problem(doc)


def parse_problem(text: str, file: str = "<problem>") -> Problem:
    """Validate a problem given as YAML text."""
    doc, lines = _read_yaml(text, file)
    return _Validator(file, lines).problem(doc)


class _Loader(yaml.SafeLoader):
    """YAML that builds only the plain types tutor reads: text, numbers, booleans, null, lists
    and mappings. A date is read as text; other tags (!!binary, !!set, !!timestamp, …) and
    values their tag cannot hold (!!float abc, a 5000-digit integer) are errors with a line,
    never an exception from deep inside PyYAML. And 1e-3 is a number, as in YAML 1.2 and JSON
    (YAML 1.1 wants a dot in the mantissa and reads 1e-3 as text)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    yaml_constructors = {}


MAX_DIGITS = 100   # a longer number is no weight, input or setting tutor can use


def _guarded(construct, what: str):
    def constructor(loader, node):
        value = loader.construct_scalar(node)
        if len(value) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of more than {MAX_DIGITS} characters", node.start_mark)
        try:
            return construct(loader, node)
        except (ValueError, TypeError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f"{value!r} is not {what}", node.start_mark) from None
    return constructor


def _unsupported(loader, node):
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {tag} is not used in problem files; write plain text, numbers, "
        "lists and mappings", node.start_mark)


_S = yaml.constructor.SafeConstructor
for _tag, _fn in [("null", _S.construct_yaml_null), ("bool", _S.construct_yaml_bool),
                  ("str", _S.construct_yaml_str), ("seq", _S.construct_yaml_seq),
                  ("map", _S.construct_yaml_map)]:
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _fn)
_Loader.add_constructor("tag:yaml.org,2002:int", _guarded(_S.construct_yaml_int, "an integer"))
_Loader.add_constructor("tag:yaml.org,2002:float", _guarded(_S.construct_yaml_float, "a number"))
_Loader.add_constructor(None, _unsupported)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _read_yaml(text: str, file: str, scalars: dict[str, str] | None = None
               ) -> tuple[Any, dict[str, int]]:
    """The document and, for every field path, the line (1-based) where it stands; and in
    ``scalars``, when given, every scalar's text as written (0.6450, not 0.645)."""
    loader = None
    lines: dict[str, int] = {}
    node = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ProblemError(_("the file is empty; expected a problem (name, network, loss, "
                                 "data)"), file=file)
        _walk(node, "", lines, file, scalars, [MAX_NODES])
        doc = loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        what = getattr(e, "problem", None) or str(e).splitlines()[0]
        line = mark.line + 1 if mark else None
        # A value that cannot be built stands in a field the walk has seen: name it.
        field = _field_at(node, mark) if node is not None and mark else None
        raise ProblemError(_("not valid YAML: {what}").format(what=what), file=file, line=line,
                           field=field) from None
    except RecursionError:
        raise ProblemError(_("not valid YAML: nested too deeply"), file=file) from None
    finally:
        if loader is not None:
            loader.dispose()
    return doc, lines


def _field_at(node: yaml.Node, mark, path: str = "") -> str | None:
    """The field path of the node that starts at ``mark`` (line and column), if any."""
    if (node.start_mark.line, node.start_mark.column) == (mark.line, mark.column) and path:
        return path
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            found = _field_at(value, mark, f"{path}.{name}" if path else name)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            found = _field_at(item, mark, f"{path}[{k}]")
            if found:
                return found
    return None


def _text(node: yaml.ScalarNode, file: str) -> str:
    """A scalar's text. PyYAML reads the JSON escape of 😀, "\\ud83d\\ude00", as two halves
    of a surrogate pair: they are joined here. A lone half is no character (it cannot be
    printed or written as UTF-8): ProblemError."""
    if any("\ud800" <= ch <= "\udfff" for ch in node.value):
        try:
            node.value = node.value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise ProblemError(_("not valid text: an escape such as \\ud800 alone stands for "
                                 "no character"), file=file,
                               line=node.start_mark.line + 1) from None
    return node.value


def _walk(node: yaml.Node, path: str, lines: dict[str, int], file: str,
          scalars: dict[str, str] | None, budget: list[int]) -> None:
    # Aliases (*name) make a small text stand for a huge document (a "billion laughs"):
    # count every value as it would be read, and stop early.
    budget[0] -= 1
    if budget[0] < 0:
        raise ProblemError(_("more than {max_nodes:,} values (counting each use of an alias); "
                             "a problem is small").format(
                                 max_nodes=MAX_NODES), file=file, line=node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        _text(node, file)
        if scalars is not None:
            scalars[path] = node.value
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            name = _text(key, file) if isinstance(key, yaml.ScalarNode) else "?"
            sub = f"{path}.{name}" if path else name
            if name in seen:
                raise ProblemError(_("the key {name!r} appears twice").format(
                                       name=name), file=file, field=sub,
                                   line=key.start_mark.line + 1)
            seen.add(name)
            lines[sub] = key.start_mark.line + 1
            _walk(value, sub, lines, file, scalars, budget)
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            _walk(item, f"{path}[{k}]", lines, file, scalars, budget)


def _spelling(name: str) -> str:
    """A name without case and separators: 'BCELoss', 'bce_loss' and 'bce-loss' alike."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _aliases(registry) -> dict[str, str]:
    """Every spelling of every entry's name and aliases → the entry's name."""
    out = {}
    for name, entry in registry.items():
        for alias in (name, *entry.aliases):
            out[_spelling(alias)] = name
            out[_spelling(alias).removesuffix("loss")] = name
    return out


# The nouns the checkers name (``what``), marked for the translation catalog.
_NOUNS = (N_("activation"), N_("loss"), N_("convention"), N_("inputs"), N_("targets"),
          N_("weights"), N_("biases"))


def _type_name(v: Any) -> str:
    if v is None:
        return _("nothing")
    if isinstance(v, bool):
        return _("{value} (a boolean)").format(value=str(v).lower())
    if isinstance(v, dict):
        return _("a mapping")
    if isinstance(v, list):
        return _("a list")
    if isinstance(v, str):
        return _("the text {text!r}").format(text=v[:40])
    return repr(v)


class _Validator:
    """Turns a loaded YAML document into a Problem, naming file, field and line on any error."""

    def __init__(self, file: str, lines: dict[str, int]):
        self.file = file
        self.lines = lines

    def error(self, field: str, message: str) -> ProblemError:
        # The line of the field, or of the nearest enclosing field that has one.
        probe = field
        while True:
            line = self.lines.get(probe)
            if line is not None or not probe:
                break
            shorter = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", probe)
            probe = shorter if shorter != probe else ""
        return ProblemError(message, file=self.file, field=field or None, line=line)

    # -- small checkers --

    def mapping(self, v: Any, field: str, required: tuple[str, ...], optional: tuple[str, ...]):
        if not isinstance(v, dict):
            raise self.error(field, _("expected a mapping with {keys}; got {got}").format(
                keys=", ".join(required + optional), got=_type_name(v)))
        allowed = required + optional
        for key in v:
            if not isinstance(key, str) or key not in allowed:
                sub = f"{field}.{key}" if field else str(key)
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                more = _(" (did you mean {name!r}?)").format(name=hint[0]) if hint else ""
                raise self.error(sub, _("unknown key {key!r}{more}; expected one of "
                                        "{allowed}").format(key=key, more=more,
                                                            allowed=", ".join(allowed)))
        for key in required:
            if key not in v:
                raise self.error(field, _("missing {key!r}").format(key=key))
        return v

    def integer(self, v: Any, field: str, lo: int, hi: int) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(field, _("expected a whole number from {lo} to {hi}; got "
                                      "{got}").format(lo=lo, hi=hi, got=_type_name(v)))
        if not lo <= v <= hi:
            raise self.error(field, _("expected a whole number from {lo} to {hi}; got "
                                      "{got}").format(lo=lo, hi=hi, got=v))
        return v

    def number(self, v: Any, field: str) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(field, _("expected a number; got {got}").format(
                got=_type_name(v)))
        x = float(v) if not isinstance(v, int) or abs(v) < 2**1000 else math.inf
        if not math.isfinite(x):
            raise self.error(field, _("expected a finite number; got {got}").format(got=v))
        if abs(x) > MAX_MAGNITUDE:
            raise self.error(field, _("expected a number between −{m} and {m}; got "
                                      "{got}").format(m=f"{MAX_MAGNITUDE:g}", got=v))
        return x

    def choice(self, v: Any, field: str, names: tuple[str, ...], what: str,
               aliases: dict[str, str] | None = None) -> str:
        """``v`` if it is one of ``names``; else an error suggesting the name that ``aliases``
        (another framework's spelling → tutor's) or spelling nearness suggests."""
        if not isinstance(v, str) or v not in names:
            hint = difflib.get_close_matches(str(v), names, n=1) if isinstance(v, str) else []
            if isinstance(v, str) and aliases:
                key = _spelling(v)
                hint = [aliases[key]] if key in aliases else hint
            more = _(" (did you mean {name!r}?)").format(name=hint[0]) if hint else ""
            got = repr(v) if isinstance(v, str) else _type_name(v)
            raise self.error(field, _("unknown {what} {got}{more}; expected one of "
                                      "{names}").format(what=_(what), got=got, more=more,
                                                        names=", ".join(names)))
        return v

    def text(self, v: Any, field: str, limit: int) -> str:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            raise self.error(field, _("expected text; got {got}").format(got=_type_name(v)))
        if len(v) > limit:
            raise self.error(field, _("expected at most {n} characters; got {got}").format(
                n=limit, got=len(v)))
        return v

    def array(self, v: Any, field: str, shape: tuple[int, ...], what: str) -> np.ndarray:
        """A nested list of finite numbers of exactly ``shape``."""
        def walk(x, f, dims):
            if not dims:
                return self.number(x, f)
            if not isinstance(x, list):
                raise self.error(f, _("expected {what} of shape {shape}; got {got}").format(
                    what=_(what), shape=_shape(shape), got=_type_name(x)))
            if len(x) != dims[0]:
                raise self.error(f, _("expected {what} of shape {shape}; this list has {n} "
                                      "entries, expected {want}").format(
                    what=_(what), shape=_shape(shape), n=len(x), want=dims[0]))
            return [walk(item, f"{f}[{k}]", dims[1:]) for k, item in enumerate(x)]
        return np.array(walk(v, field, shape), dtype=float).reshape(shape)

    # -- the sections --

    def problem(self, doc: Any) -> Problem:
        if isinstance(doc, dict) and "graph" in doc:
            raise self.error("graph", _("this is a computational-graph problem: `tutor "
                                        "derive` derives it; this command works on networks"))
        doc = self.mapping(doc, "", ("name", "network", "loss", "data"),
                           ("description", "init", "training", "convention"))
        name = self.text(doc["name"], "name", 200)
        description = self.text(doc.get("description", ""), "description", 5000)
        network = self.network(doc["network"])
        loss, loss_options = self.loss(doc["loss"], network)
        X, Y = self.data(doc["data"], network, loss)
        from . import conventions
        convention = self.choice(doc.get("convention", conventions.DEFAULT), "convention",
                                 tuple(conventions.CONVENTIONS), "convention", {})
        seed, params = self.init(doc.get("init", {"seed": 0}), network,
                                 conventions.CONVENTIONS[convention])
        training = self.training(doc.get("training", {}), len(X))
        return Problem(name=name, description=description, network=network, loss=loss,
                       inputs=X, targets=Y, params=params, seed=seed, training=training,
                       file=self.file, loss_options=loss_options, convention=convention)

    def network(self, v: Any) -> Network:
        v = self.mapping(v, "network", ("inputs", "layers"), ())
        inputs = self.integer(v["inputs"], "network.inputs", 1, MAX_UNITS)
        raw = v["layers"]
        if not isinstance(raw, list) or not raw:
            raise self.error("network.layers", _("expected a list of at least one layer, each "
                                                 "{units: N, activation: NAME}"))
        if len(raw) > MAX_LAYERS:
            raise self.error("network.layers", _("expected at most {max_layers} layers; got "
                                                 "{n}").format(max_layers=MAX_LAYERS, n=len(raw)))
        layers = []
        for k, item in enumerate(raw):
            f = f"network.layers[{k}]"
            # Every activation's options (leaky_relu's slope, elu's alpha) may be given; each
            # only with the activation that takes it.
            takes = activations.option_owners(activations.ACTIVATIONS)
            item = self.mapping(item, f, ("units", "activation"), tuple(takes))
            units = self.integer(item["units"], f"{f}.units", 1, MAX_UNITS)
            act = self.choice(item["activation"], f"{f}.activation", activations.NAMES,
                              "activation", _aliases(activations.ACTIVATIONS))
            options = []
            for option in activations.ACTIVATIONS[act].options:
                if option.name in item:
                    v = self.number(item[option.name], f"{f}.{option.name}")
                    if not option.allowed(v):
                        raise self.error(f"{f}.{option.name}",
                                         _("expected {expected}; got {v:g}").format(
                                             expected=option.expected, v=v))
                    options.append((option.name, v))
            for name, owners in takes.items():
                if name in item and act not in owners:
                    raise self.error(f"{f}.{name}", _("{name} goes only with {items}").format(
                        name=name, items=", ".join(owners)))
            if not activations.ACTIVATIONS[act].elementwise and k != len(raw) - 1:
                # (softmax mixes its layer's neurons: the derivations take it at the output)
                raise self.error(f"{f}.activation", _("{act} goes only on the output layer").format(
                                                        act=act))
            layers.append(Layer(units, act, tuple(options)))
        return Network(inputs, tuple(layers))

    def loss(self, v: Any, network: Network) -> tuple[str, tuple[tuple[str, float], ...]]:
        """The loss's name and its options: ``loss: mse``, or with options as a mapping,
        ``loss: {name: huber, delta: 0.5}``."""
        options = []
        if isinstance(v, dict):
            takes = tuple(activations.option_owners(losses.LOSSES))
            v = self.mapping(v, "loss", ("name",), takes)
            name = self.choice(v["name"], "loss.name", losses.NAMES, "loss",
                               _aliases(losses.LOSSES))
            entry = losses.LOSSES[name]
            for key in v:
                if key == "name":
                    continue
                option = next((o for o in entry.options if o.name == key), None)
                if option is None:
                    raise self.error(f"loss.{key}", _("the loss {name} takes no {key}").format(
                                                        name=name, key=key))
                value = self.number(v[key], f"loss.{key}")
                if not option.allowed(value):
                    raise self.error(f"loss.{key}", _("expected {expected}; got {value:g}").format(
                                                        expected=option.expected, value=value))
                options.append((key, value))
            v = name
        loss = self.choice(v, "loss", losses.NAMES, "loss", _aliases(losses.LOSSES))
        entry = losses.LOSSES[loss]
        out = network.layers[-1].activation
        last = f"network.layers[{len(network.layers) - 1}].activation"
        if not activations.ACTIVATIONS[out].elementwise:
            if entry.output != out:
                partners = [n for n, e in losses.LOSSES.items() if e.output == out]
                raise self.error(last, _("a {out} output goes with the loss {items}, not "
                                         "{loss}").format(out=out, items=", ".join(partners),
                                                          loss=loss))
            if network.outputs < 2:
                raise self.error(f"network.layers[{len(network.layers) - 1}].units",
                                 _("a {out} output needs at least 2 units").format(out=out))
        if entry.output is not None and out != entry.output:
            raise self.error("loss", _("{loss} needs {output_needs}; {last} is {out}").format(
                                         loss=loss, output_needs=_(entry.output_needs), last=last,
                                         out=out))
        return loss, tuple(options)

    def data(self, v: Any, network: Network, loss: str) -> tuple[np.ndarray, np.ndarray]:
        v = self.mapping(v, "data", ("inputs", "targets"), ())
        raw_x, raw_y = v["inputs"], v["targets"]
        if not isinstance(raw_x, list) or not raw_x:
            raise self.error("data.inputs", _("expected a list of samples, each a list of "
                                              "{inputs} numbers").format(inputs=network.inputs))
        n = len(raw_x)
        if n > MAX_SAMPLES:
            raise self.error("data.inputs", _("expected at most {max_samples} samples; got "
                                              "{n}").format(max_samples=MAX_SAMPLES, n=n))
        X = self.array(raw_x, "data.inputs", (n, network.inputs), "inputs")
        if not isinstance(raw_y, list) or len(raw_y) != n:
            got = (_("{n} entries").format(n=len(raw_y)) if isinstance(raw_y, list)
                   else _type_name(raw_y))
            raise self.error("data.targets", _("expected one target per sample ({n}); got "
                                               "{got}").format(n=n, got=got))
        K = network.outputs
        if K == 1 and all(not isinstance(t, list) for t in raw_y):
            raw_y = [[t] for t in raw_y]  # a flat list of scalars for a single output
        Y = self.array(raw_y, "data.targets", (n, K), "targets")
        bad = losses.LOSSES[loss].bad_targets(Y)
        if bad is not None:
            raise self.error(f"data.targets{bad[0]}", bad[1])
        X.setflags(write=False)
        Y.setflags(write=False)
        return X, Y

    def init(self, v: Any, network: Network, convention=None
             ) -> tuple[int | None, dict[str, np.ndarray]]:
        """Explicit weights are read in the problem's convention: (fan_in, units) in dlfs,
        transposed to tutor's own (units, fan_in)."""
        shapes = network.shapes()
        v = self.mapping(v, "init", (), ("seed",) + tuple(shapes))
        seed = None
        if "seed" in v:
            seed = self.integer(v["seed"], "init.seed", 0, 2**63 - 1)
        missing = [name for name in shapes if name not in v]
        if missing and seed is None:
            raise self.error("init", _("no value for {items}: give every one of {items2}, or "
                                       "a seed").format(
                                           items=', '.join(missing), items2=', '.join(shapes)))
        params = init_params(network, np.random.default_rng(seed)) if seed is not None else {}
        swapped = convention is not None and convention.swapped
        for name, shape in shapes.items():
            if name in v:
                if name[0] == "W" and swapped:
                    params[name] = self.array(v[name], f"init.{name}", shape[::-1],
                                              "weights").T.copy()
                else:
                    params[name] = self.array(v[name], f"init.{name}", shape,
                                              "weights" if name[0] == "W" else "biases")
        return seed, _frozen_params(params)

    def training(self, v: Any, n_samples: int) -> Training:
        v = self.mapping(v, "training", (), ("lr", "epochs", "batch_size", "momentum"))
        t = Training()
        lr = self.number(v.get("lr", t.lr), "training.lr")
        if lr <= 0:
            raise self.error("training.lr", _("expected a learning rate > 0; got {lr:g}").format(
                                                lr=lr))
        epochs = self.integer(v.get("epochs", t.epochs), "training.epochs", 0, MAX_EPOCHS)
        batch = None
        if v.get("batch_size") is not None:
            batch = self.integer(v["batch_size"], "training.batch_size", 1, n_samples)
        momentum = self.number(v.get("momentum", 0.0), "training.momentum")
        if not 0 <= momentum < 1:
            raise self.error("training.momentum", _("expected a momentum in [0, 1); got "
                                                    "{momentum:g}").format(momentum=momentum))
        return Training(lr=lr, epochs=epochs, batch_size=batch, momentum=momentum)


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"
