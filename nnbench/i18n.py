"""The languages a reader sees: one gettext message catalog, managed with Babel.

English is the source language: every reader-visible string is written in English in the
code or a template and looked up in the catalog at render time. The catalog lives in the
package: the template ``nnbench/locale/nnbench.pot`` (extracted from the sources) and one
``nnbench/locale/<lang>/LC_MESSAGES/nnbench.po`` per translation (docs/DEVELOPMENT.md,
"Messages and languages"; ``scripts/messages.sh`` re-extracts and updates them).

Marking strings:

* at module level, where no language is known yet, wrap the text in :func:`N_` (it returns
  the text unchanged; the extractor finds it) and translate it later with
  :func:`gettext` (``gettext(TITLE, lang)``);
* where the language is known, ``_ = translator(lang).gettext`` and ``_("text")``;
* in drawing code that many functions share (the figures), :func:`_` translates into the
  language of the enclosing ``with using_language(lang):`` (English outside one), so a
  figure function needs no language argument;
* in jinja2 templates, ``{% trans %}...{% endtrans %}`` and ``_("...")`` (jinja2's i18n
  extension, installed with :func:`translator`'s object).

Placeholders are ``{name}`` (``str.format``) in Python and ``%(name)s`` in templates; a
translation must keep the msgid's placeholders (tests/base/test_i18n.py).

Compiled catalogs: a wheel carries ``nnbench.mo`` files compiled by the build (setup.py's
``build_py``); where there is none, or the ``.po`` beside it is newer (an editable install,
a translator's edit), the ``.po`` is compiled in memory with Babel on first use, so the
text a reader sees is always the ``.po`` in the checkout.

Base layer: imports only :mod:`nnbench.errors` and :mod:`nnbench.validation` (its one
builder of "unknown X (did you mean Y?); allowed: ...").
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext as _gettext
import io
from pathlib import Path

from nnbench.errors import NnbenchError

__all__ = ["LANGUAGES", "SOURCE_LANGUAGE", "DOMAIN", "LOCALE_DIR", "LanguageError", "N_", "_",
           "check_language", "check_languages", "translator", "gettext", "language_suffix",
           "current_language", "using_language"]

#: Every language nnbench renders, the source language first.
LANGUAGES = ("en", "ko")
#: The language the code and templates are written in (and the default).
SOURCE_LANGUAGE = "en"
#: gettext domain: the catalogs' file name.
DOMAIN = "nnbench"
LOCALE_DIR = Path(__file__).parent / "locale"


class LanguageError(NnbenchError):
    """An unknown language code (on the command line or in a config)."""


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (module-level strings)."""
    return message


def check_language(code, what: str = "language") -> str:
    """``code`` if nnbench renders that language, else :class:`LanguageError` naming it
    and the languages available (``what`` names where it came from, e.g. ``--lang``)."""
    from nnbench.validation import unknown_name_error

    if isinstance(code, str) and code in LANGUAGES:
        return code
    raise unknown_name_error(what, code, LANGUAGES, error=LanguageError)


def check_languages(codes, what: str = "languages") -> tuple[str, ...]:
    """A non-empty list of language codes, each checked, duplicates removed (in order)."""
    if isinstance(codes, str) or not codes:
        raise LanguageError(f"{what} must be a non-empty list of language codes, got {codes!r}; "
                            f"allowed: {', '.join(LANGUAGES)}")
    return tuple(dict.fromkeys(check_language(code, f"{what} entry") for code in codes))


def language_suffix(lang: str) -> str:
    """The part of a file name that says its language: '' for English, '.ko' for Korean
    (``report.html``, ``report.ko.html``)."""
    return "" if check_language(lang) == SOURCE_LANGUAGE else f".{lang}"


def _catalog_paths(lang: str) -> tuple[Path, Path]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"


def _compiled_po(po_path: Path) -> bytes:
    """The ``.mo`` bytes of ``po_path``, compiled with Babel."""
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError as error:  # pragma: no cover - babel is a dependency
        raise NnbenchError(f"cannot compile the message catalog {str(po_path)!r}: Babel is not "
                           "installed (pip install babel)") from error
    with po_path.open("rb") as stream:
        catalog = read_po(stream, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@functools.lru_cache(maxsize=None)
def translator(lang: str = SOURCE_LANGUAGE) -> _gettext.NullTranslations:
    """The gettext translations of ``lang`` (cached per process): ``.gettext(msg)``,
    ``.ngettext(singular, plural, n)``. English, the source language, translates nothing."""
    check_language(lang)
    if lang == SOURCE_LANGUAGE:
        return _gettext.NullTranslations()
    po_path, mo_path = _catalog_paths(lang)
    if mo_path.is_file() and (not po_path.is_file() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        data = mo_path.read_bytes()
    elif po_path.is_file():
        data = _compiled_po(po_path)
    else:
        raise NnbenchError(f"no message catalog for language {lang!r} ({str(po_path)!r} is missing); "
                           "reinstall nnbench")
    return _gettext.GNUTranslations(io.BytesIO(data))


_CURRENT = contextvars.ContextVar("nnbench_language", default=SOURCE_LANGUAGE)


def current_language() -> str:
    """The language of the enclosing :func:`using_language` block (English outside one)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using_language(lang: str):
    """Within the block, :func:`_` and :func:`gettext` without a language translate into ``lang``."""
    token = _CURRENT.set(check_language(lang))
    try:
        yield lang
    finally:
        _CURRENT.reset(token)


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` (an English msgid) in ``lang`` (default: :func:`current_language`)."""
    return translator(lang or _CURRENT.get()).gettext(message)


def _(message: str) -> str:
    """``message`` in the :func:`current_language`."""
    return translator(_CURRENT.get()).gettext(message)
