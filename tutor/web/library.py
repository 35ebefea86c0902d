"""The problems a server offers: those of a directory, read once at start, and those uploaded,
kept in memory only and found by their id alone.

Problems are found by id alone (the file's stem, or ``u-`` and a hash of an upload's text): no
part of a URL is ever joined to a path.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from ..errors import ProblemError, TutorError
from ..problem import Problem, parse_any, read_text_file
from ..i18n import N_, _

MAX_UPLOADS = 100          # the oldest upload is forgotten beyond this
UPLOAD_BYTES = 64 * 1024 * 1024   # or beyond this much memory held by uploads
MAX_LISTED = 1000          # parameter names in a summary (param_count says how many)
UPLOAD = "upload"          # the file name in an uploaded problem's errors
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Entry:
    """A problem as served: its id, its YAML text, the name its errors use, and the problem."""

    id: str
    text: str
    file: str
    problem: Problem
    uploaded: bool = False

    @property
    def is_graph(self) -> bool:
        return not isinstance(self.problem, Problem)

    def summary(self) -> dict:
        p = self.problem
        if self.is_graph:
            return {"id": self.id, "name": p.name, "description": p.description,
                    "kind": "graph", "inputs": [n.name for n in p.inputs],
                    "output": p.output, "uploaded": self.uploaded,
                    "url": f"/problems/{self.id}"}
        return {
            "kind": "network",
            "id": self.id,
            "name": p.name,
            "description": p.description,
            "network": {"sizes": list(p.network.sizes),
                        "activations": [layer.activation for layer in p.network.layers]},
            "loss_function": p.loss,
            "samples": p.n_samples,
            # The names of the first MAX_LISTED parameters only: a network of millions would
            # make megabytes of names (``param_count`` says how many there are).
            "params": [r.name for r in islice(p.network.iter_param_refs(), MAX_LISTED)],
            "param_count": p.network.n_params,
            "uploaded": self.uploaded,
            "url": f"/problems/{self.id}",
        }


def _footprint(entry: Entry) -> int:
    """The bytes an upload holds: its text, its arrays (parameters, data)."""
    p = entry.problem
    if entry.is_graph:
        return len(entry.text) + 200 * len(p.nodes)
    return (len(entry.text) + p.inputs.nbytes + p.targets.nbytes
            + sum(a.nbytes for a in p.params.values()))


def _first_names(p: Problem, limit: int) -> list[str]:
    names = []
    for l, (fan_in, units) in enumerate(zip(p.network.sizes, p.network.sizes[1:]), start=1):
        for j in range(1, units + 1):
            for i in range(1, fan_in + 1):
                if len(names) == limit:
                    return names
                names.append(f"W{l}[{j},{i}]")
        for j in range(1, units + 1):
            if len(names) == limit:
                return names
            names.append(f"b{l}[{j}]")
    return names


class Library:
    def __init__(self, entries: list[Entry] = (), skipped: list[str] = (),
                 errors: list[str] = ()):
        self._files = {e.id: e for e in entries}
        self._uploads: OrderedDict[str, Entry] = OrderedDict()
        self._bytes: dict[str, int] = {}
        self.skipped = list(skipped)   # one line for each file that could not be used
        self.errors = list(errors)     # the same with full errors, for the server's log

    @classmethod
    def from_dir(cls, directory: Path) -> "Library":
        """Every ``*.yaml`` and ``*.yml`` directly in ``directory`` (networks) or in its
        ``graphs`` folder (computational graphs) that is a valid problem.

        The others are listed in ``skipped`` with tutor's own words only (file, line, field,
        and what kind of mistake), never a word of their content, since every visitor sees
        the list; the full error goes to ``errors`` for the server's log. A symbolic link is
        followed only to a file inside the directory, and anything that is not a regular file
        (a FIFO, a device) is skipped without being opened for long."""
        if not directory.is_dir():
            raise TutorError(_("{directory}: not a directory of problems").format(
                                 directory=directory))
        inside = directory.resolve()
        entries, skipped, errors = [], [], []
        paths = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
        graphs = directory / "graphs"
        if graphs.is_dir() and not graphs.is_symlink():
            paths += sorted(p for p in graphs.iterdir() if p.suffix in (".yaml", ".yml"))
        seen: set[str] = set()
        for path in paths:
            if not _ID.match(path.stem):
                skipped.append(f"{path.name}: the name is not a usable id (letters, digits, "
                               "- and _)")
                errors.append(skipped[-1])
                continue
            if path.stem in seen:
                skipped.append(f"{path.name}: another file has the id {path.stem!r}")
                errors.append(skipped[-1])
                continue
            if path.is_symlink() and path.resolve().parent != path.parent.resolve() or \
                    not path.resolve().is_relative_to(inside):
                skipped.append(f"{path.name}: a symbolic link out of the directory; not read")
                errors.append(skipped[-1])
                continue
            try:
                text, file = read_text_file(path, N_("a problem file"))
                entries.append(Entry(path.stem, text, path.name, parse_any(text, path.name)))
                seen.add(path.stem)
            except ProblemError as e:
                errors.append(str(e))
                where = ":".join([path.name] + ([str(e.line)] if e.line else []))
                field = f" in {e.field}" if e.field else ""
                skipped.append(f"{where}: not a usable problem{field} (tutor derive "
                               f"{path.name} says why)")
        return cls(entries, skipped, errors)

    def get(self, id: str) -> Entry | None:
        entry = self._files.get(id) or self._uploads.get(id)
        if entry is not None and entry.uploaded:
            self._uploads.move_to_end(id)
        return entry

    def entries(self) -> list[Entry]:
        """The problems of the directory. Uploads are not listed: each is reached by its id,
        which only its uploader was given."""
        return list(self._files.values())

    @staticmethod
    def upload_id(text: str) -> str:
        # 128 bits: an id cannot be guessed nor two texts made to share one.
        return "u-" + hashlib.sha256(text.encode()).hexdigest()[:32]

    def upload(self, text: str, problem: Problem) -> Entry:
        """Keep an uploaded problem in memory: ``problem`` is ``text`` parsed (by
        ``parse_problem(text, UPLOAD)``). The same text gives the same id."""
        id = self.upload_id(text)
        if id in self._uploads:
            return self.get(id)
        entry = Entry(id, text, UPLOAD, problem, uploaded=True)
        self._uploads[id] = entry
        self._bytes[id] = _footprint(entry)
        while len(self._uploads) > MAX_UPLOADS or sum(self._bytes.values()) > UPLOAD_BYTES:
            old, _entry = self._uploads.popitem(last=False)
            del self._bytes[old]
        return entry
