"""Random malformed problems: only the clean one-line error ever comes out."""

from __future__ import annotations

import copy

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from tutor.cli import main
from tutor.errors import ProblemError
from tutor.problem import parse_problem

BASE = yaml.safe_load((ROOT / "problems" / "xor.yaml").read_text())

values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for k, v in enumerate(doc):
            yield from _paths(v, prefix + (k,))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" or not isinstance(parent, (dict, list)):
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
        else:
            parent.append(draw(values))
    return yaml.safe_dump(doc, allow_unicode=True)


def _check_error(e: ProblemError):
    s = str(e)
    assert s and "\n" not in s


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_problems_load_or_fail_cleanly(text):
    try:
        parse_problem(text, file="fuzz.yaml")
    except ProblemError as e:
        _check_error(e)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_loads_or_fails_cleanly(text):
    try:
        parse_problem(text, file="fuzz.yaml")
    except ProblemError as e:
        _check_error(e)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_cli_never_shows_a_traceback(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["derive", str(path), "-p", "b2", "-f", "json"])
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        assert len(r.output.strip().splitlines()) == 1
    assert r.exception is None or isinstance(r.exception, SystemExit)
