"""``tutor serve``: the derivations, the checker and the worksheets as a local web tutor.

Needs the ``web`` extra (Starlette, uvicorn): ``pip install -e '.[web]'`` in a source checkout. The pages and the
JSON API call the same library as the command line; see ``app`` for the routes.
"""

from __future__ import annotations

from ..errors import TutorError
from ..i18n import _

INSTALL = ("tutor serve needs Starlette and uvicorn: pip install starlette uvicorn (in tutor's "
           "source directory: pip install -e '.[web]', the web extra of the backprop-tutor "
           "distribution)")


def require_web() -> None:
    """TutorError with the install command when Starlette or uvicorn is missing."""
    import importlib.util
    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise TutorError(_("{install} ({items} not installed)").format(
                             install=INSTALL, items=' and '.join(missing)))
