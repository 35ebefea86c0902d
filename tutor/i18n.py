"""Languages. English is the source: every message is written in English in the code, marked
``_("…")`` where it is shown (``N_("…")`` where it is only defined, as a registry's titles);
a translation is a gettext catalog, ``tutor/locale/<lang>/LC_MESSAGES/tutor.po``, compiled to
``tutor.mo`` by Babel (see the README's "Translations"). A third language is a catalog, not
code.

The language is chosen, first to last: ``--lang`` (or a web page's choice), ``TUTOR_LANG``, then
the locale variables as gettext reads them (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``: ``ko_KR.UTF-8`` is Korean, ``C`` and ``POSIX`` English). It is held in a context
variable, so that the web tutor serves each request in its own language.

Messages with slots are ``str.format`` templates with named slots (``"{n} samples"``): the
template is the message id, a translation keeps every slot and may reorder them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import os
from importlib import resources

DOMAIN = "tutor"
SOURCE = "en"

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("tutor_language",
                                                                    default=None)


def _catalog_file(lang: str):
    return resources.files("tutor").joinpath("locale", lang, "LC_MESSAGES", f"{DOMAIN}.mo")


@functools.cache
def languages() -> tuple[str, ...]:
    """English and every language with a compiled catalog."""
    found = [SOURCE]
    root = resources.files("tutor").joinpath("locale")
    if root.is_dir():
        found += sorted(d.name for d in root.iterdir()
                        if d.is_dir() and _catalog_file(d.name).is_file())
    return tuple(found)


def normalise(tag: str | None) -> str | None:
    """A supported language from a tag as people and systems write it ('ko', 'ko_KR.UTF-8',
    'ko-KR', 'KO'), or None."""
    if not tag:
        return None
    base = tag.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if base in ("c", "posix"):
        return SOURCE
    return base if base in languages() else None


def from_environment(env=None) -> str:
    """The language the environment asks for: TUTOR_LANG, then gettext's locale variables
    (LANGUAGE may list several, separated by colons); English when none is supported."""
    env = os.environ if env is None else env
    chosen = normalise(env.get("TUTOR_LANG"))
    if chosen:
        return chosen
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if not value:
            continue
        for tag in value.split(":"):
            chosen = normalise(tag)
            if chosen:
                return chosen
        if var != "LANGUAGE":
            # (as gettext: the first locale variable that is set decides)
            return SOURCE
    return SOURCE


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an HTTP Accept-Language header, or None."""
    if not header:
        return None
    ranked = []
    for k, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _eq, value = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = normalise(tag)
        if lang and q > 0:
            ranked.append((-q, k, lang))
    return min(ranked)[2] if ranked else None


@functools.cache
def _from_environment() -> str:
    # (read once per process: messages are looked up hundreds of thousands of times)
    return from_environment()


def current() -> str:
    """The language of this command, request or ``using`` block; else the environment's, as
    it was when first asked."""
    return _chosen.get() or _from_environment()


def set_language(lang: str | None) -> None:
    """Choose the language for the rest of this context (None: the environment's)."""
    _chosen.set(normalise(lang) if lang else None)


@contextlib.contextmanager
def using(lang: str | None):
    """``with using("ko"): …``: messages in that language inside the block."""
    token = _chosen.set(normalise(lang) if lang else None)
    try:
        yield
    finally:
        _chosen.reset(token)


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE:
        return gettext.NullTranslations()
    f = _catalog_file(lang)
    if not f.is_file():
        return gettext.NullTranslations()
    with f.open("rb") as fp:
        return gettext.GNUTranslations(fp)


def _(message) -> str:
    """The message in the current language (English when it has no translation); a message
    may also be ``Words`` whose slots hold numbers, text or other such words (an entry's
    title with its option, "leaky relu (slope 0.01)")."""
    if isinstance(message, str):
        return translations(current()).gettext(message)
    slots = {k: v if isinstance(v, (int, float)) else _(v) for k, v in message.slots.items()}
    return translations(current()).gettext(message.template).format(**slots)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return translations(current()).ngettext(singular, plural, n)


def name(lang: str) -> str:
    """The language's name in itself ("한국어"), for the web tutor's language switch: its own
    catalog's translation of "English" in the context "the language's own name", so that a
    new language brings its name with it."""
    return translations(lang).pgettext("the language's own name", "English")


def pgettext(context: str, message: str) -> str:
    """The message in the current language, told apart by its ``context`` from the same
    English in another role (the button "Check" and the section "Check")."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is defined; ``_`` translates it where it is
    shown."""
    return message
