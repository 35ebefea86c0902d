"""tutor: derive, verify and train small neural networks by the chain rule.

The public API, for scripts and notebooks::

    import tutor
    problem = tutor.load_problem("problems/xor.yaml")
    d = tutor.derive(problem, ["W1[2,1]"])
    d["W1[2,1]"]          # displays as rendered mathematics in Jupyter
    later = tutor.at_epoch(problem, 5000)   # the same problem after 5000 epochs of training
    tutor.derive(later, ["W1[2,1]"])

Imports are lazy so that ``tutor --help`` stays fast.
"""

__version__ = "0.1.0"

__all__ = ["load_problem", "load_any", "parse_problem", "derive", "train", "at_epoch", "load_params",
           "check", "load_answers", "Problem", "Derivation", "ProblemError"]


def __getattr__(name):
    if name in ("load_problem", "parse_problem", "Problem"):
        from . import problem
        return getattr(problem, name)
    if name == "derive":
        from .printing import jupyter  # noqa: F401  (derivations render in Jupyter)
        return _derive
    if name == "load_any":
        from .problem import load_any
        return load_any
    if name in ("train", "at_epoch"):
        from . import training
        return getattr(training, name)
    if name == "load_params":
        from .snapshots import load_params
        return load_params
    if name == "check":
        from .checking import check
        return check
    if name == "load_answers":
        from .answers import load_answers
        return load_answers
    if name == "Derivation":
        from .printing import jupyter  # noqa: F401
        from .steps import Derivation
        return Derivation
    if name in ("printing", "steps", "engine", "training"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name == "ProblemError":
        from .errors import ProblemError
        return ProblemError
    raise AttributeError(f"module 'tutor' has no attribute {name!r}")


def _derive(problem, *args, **kwargs):
    """``derivation.derive`` for a network; for a computational graph (``load_any`` of a
    file with a ``graph:`` section), ``graph.derive_graph``."""
    from .derivation import derive
    from .problem import Problem
    if isinstance(problem, Problem):
        return derive(problem, *args, **kwargs)
    from .graph import derive_graph
    return derive_graph(problem)
