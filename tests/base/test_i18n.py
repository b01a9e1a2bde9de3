"""The message catalog (nnbench.i18n): every message the sources mark has a current Korean
translation that keeps the msgid's placeholders, and languages are looked up and checked."""

from __future__ import annotations

import gettext as stdlib_gettext
import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

import nnbench
import nnbench.i18n as i18n
from nnbench.errors import NnbenchError
from nnbench.i18n import LANGUAGES, LOCALE_DIR, N_, SOURCE_LANGUAGE, check_language, check_languages

REPO = Path(__file__).resolve().parents[2]
FIX = "run scripts/messages.sh, translate in nnbench/locale/<lang>/LC_MESSAGES/nnbench.po (docs/DEVELOPMENT.md)"


def fresh_extraction() -> Catalog:
    """What scripts/messages.sh extracts now, from the same mapping (nnbench/locale/babel.cfg)."""
    with (LOCALE_DIR / "babel.cfg").open() as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    catalog = Catalog()
    package = os.path.dirname(nnbench.__file__)
    for filename, lineno, message, comments, context in extract_from_dir(package, method_map, options_map):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(path) -> Catalog:
    with open(path, "rb") as stream:
        return read_po(stream)


def _key(message) -> tuple:
    return (message.id, message.context)


def _texts(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifgeExXr%]")


def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields and ``%(name)s`` / ``%s`` conversions of ``text``, sorted."""
    found = []
    try:
        found += ["{" + (field or "") + "}" for _, field, _, _ in string.Formatter().parse(text)
                  if field is not None]
    except ValueError:
        found.append("<unbalanced braces>")
    found += [m.group(0) for m in _PERCENT.finditer(text) if m.group(0) != "%%"]
    return sorted(found)


def catalog_problems(translation: Catalog, extracted: Catalog) -> list[str]:
    """One line per problem of ``translation`` against a fresh ``extracted`` catalog:
    missing, stale, obsolete, fuzzy or untranslated messages, placeholder mismatches
    (ours and Babel's checkers)."""
    problems = []
    have = {_key(m) for m in translation if m.id}
    wanted = {_key(m) for m in extracted if m.id}
    problems += [f"not in the .po (re-extract): {key[0]!r}" for key in sorted(wanted - have, key=str)]
    problems += [f"stale, no longer in the sources: {key[0]!r}" for key in sorted(have - wanted, key=str)]
    problems += [f"obsolete entry: {message.id!r}" for message in translation.obsolete.values()]
    for message in translation:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy (review, then remove the flag): {message.id!r}")
        strings = _texts(message.string)
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
            continue
        ids = _texts(message.id)
        for text in strings:
            if placeholders(text) != placeholders(ids[-1]) and placeholders(text) != placeholders(ids[0]):
                problems.append(f"placeholders differ: {message.id!r} {placeholders(ids[0])} -> "
                                f"{text!r} {placeholders(text)}")
    for message, errors in translation.check():
        problems += [f"{message.id!r}: {error}" for error in errors]
    return problems


def translations():
    return [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


@pytest.fixture(scope="module")
def extracted():
    return fresh_extraction()


@pytest.mark.parametrize("lang", translations())
def test_every_message_has_a_current_translation(lang, extracted):
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "nnbench.po"
    problems = catalog_problems(read_catalog(path), extracted)
    assert not problems, f"{path}: {len(problems)} problems; {FIX}:\n" + "\n".join(problems)


def test_the_template_is_a_current_extraction(extracted):
    template = read_catalog(LOCALE_DIR / "nnbench.pot")
    have = {_key(m) for m in template if m.id}
    wanted = {_key(m) for m in extracted if m.id}
    assert have == wanted, f"nnbench.pot is out of date; {FIX}: missing {sorted(wanted - have, key=str)}, " \
                           f"stale {sorted(have - wanted, key=str)}"


def _catalog(*entries, **flags) -> Catalog:
    catalog = Catalog(locale="ko")
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr, flags=flags.get(msgid, ()))
    return catalog


def test_the_check_names_each_kind_of_problem():
    extracted = _catalog(("kept", None), ("{n} seeds", None), ("new", None), ("guess", None),
                         ("%(n)s runs", None))
    translation = _catalog(("kept", "유지"), ("{n} seeds", "시드 {count}개"), ("gone", "없어짐"),
                           ("guess", "추측"), ("%(n)s runs", "실행 %(m)s회"),
                           guess=("fuzzy",), **{"%(n)s runs": ("python-format",)})
    translation.obsolete["old"] = translation["kept"]
    problems = "\n".join(catalog_problems(translation, extracted))
    assert "not in the .po (re-extract): 'new'" in problems
    assert "stale, no longer in the sources: 'gone'" in problems
    assert "fuzzy (review, then remove the flag): 'guess'" in problems
    assert "placeholders differ: '{n} seeds'" in problems
    assert "placeholders differ: '%(n)s runs'" in problems
    assert "obsolete entry" in problems
    assert catalog_problems(_catalog(("kept", "유지")), _catalog(("kept", None))) == []
    assert "untranslated: 'kept'" in "\n".join(catalog_problems(_catalog(("kept", "")), _catalog(("kept", None))))


def test_placeholders_reads_both_styles():
    assert placeholders("{n} of {total:.1f}") == ["{n}", "{total}"]
    assert placeholders("%(runs)s runs, 100%% done, %d") == ["%(runs)s", "%d"]
    assert placeholders("no fields") == []


def test_marker_returns_its_argument():
    text = "a module-level string"
    assert N_(text) is text


def test_languages_source_first_and_english_translates_nothing():
    assert LANGUAGES == ("en", "ko") and SOURCE_LANGUAGE == LANGUAGES[0]
    assert i18n.gettext("anything at all", "en") == "anything at all"
    assert i18n.translator("ko") is i18n.translator("ko")  # cached


def test_unknown_language_is_one_line_naming_it_and_the_choices():
    with pytest.raises(NnbenchError) as error:
        check_language("kr", "--lang")
    message = str(error.value)
    assert "\n" not in message
    assert message == "unknown --lang 'kr' (did you mean 'ko'?); allowed: en, ko"
    with pytest.raises(NnbenchError, match="unknown languages entry 'fr'.*allowed: en, ko"):
        check_languages(["en", "fr"], "languages")
    with pytest.raises(NnbenchError, match="non-empty list"):
        check_languages([], "languages")
    with pytest.raises(NnbenchError, match="non-empty list"):
        check_languages("ko", "languages")
    assert check_languages(["ko", "en", "ko"]) == ("ko", "en")
    with pytest.raises(NnbenchError):
        i18n.translator("de")


def test_language_suffix_of_file_names():
    assert i18n.language_suffix("en") == "" and i18n.language_suffix("ko") == ".ko"


def _write(path, catalog, compiled=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if compiled:
        from babel.messages.mofile import write_mo

        with path.open("wb") as stream:
            write_mo(stream, catalog)
    else:
        with path.open("wb") as stream:
            write_po(stream, catalog)


def test_a_po_newer_than_its_mo_is_compiled_and_used(tmp_path, monkeypatch):
    folder = tmp_path / "ko" / "LC_MESSAGES"
    _write(folder / "nnbench.mo", _catalog(("holds", "옛 번역")), compiled=True)
    _write(folder / "nnbench.po", _catalog(("holds", "성립")))
    os.utime(folder / "nnbench.mo", (1_000_000, 1_000_000))
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translator.cache_clear()
    try:
        assert isinstance(i18n.translator("ko"), stdlib_gettext.GNUTranslations)
        assert i18n.gettext("holds", "ko") == "성립"
        i18n.translator.cache_clear()
        os.utime(folder / "nnbench.mo")  # now the .mo is the newer: it is read
        assert i18n.gettext("holds", "ko") == "옛 번역"
        assert i18n.gettext("not in the catalog", "ko") == "not in the catalog"
    finally:
        i18n.translator.cache_clear()


def test_the_config_schema_offers_exactly_the_languages():
    from nnbench.config import load_schema

    languages = load_schema()["properties"]["languages"]
    assert languages["items"]["enum"] == list(LANGUAGES)
    assert languages["default"] == list(LANGUAGES)


def test_an_unknown_language_in_the_config_is_one_line_and_exit_2(tmp_path, capsys):
    import yaml

    from nnbench.cli import main
    from nnbench.config import ConfigError, prepare_config

    quick = yaml.safe_load((REPO / "config" / "quick.yaml").read_text())
    assert prepare_config(quick)["languages"] == ["en", "ko"]
    with pytest.raises(ConfigError, match=r"languages\[1\]: unknown value 'kr' \(did you mean 'ko'\?\); allowed: en, ko"):
        prepare_config({**quick, "languages": ["en", "kr"]})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**quick, "languages": ["fr"]}))
    assert main(["grid", "--config", str(bad), "--count"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'fr'" in error and "allowed: en, ko" in error
    assert list(tmp_path.iterdir()) == [bad]
