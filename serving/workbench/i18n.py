"""The workbench's languages: zh-CN (default) and English, from Babel message catalogues.

The page's own words are msgids in English in the templates and page code, translated by
``locales/<locale>/LC_MESSAGES/messages.po`` (``make translations`` re-extracts them; a
test fails when one lacks its Chinese). Catalogues are compiled in memory at start-up, so
no binary ``.mo`` file is committed. Dates and numbers are formatted by Babel's CLDR data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from sources.labels import DEFAULT_LANGUAGE

LOCALES_DIR = Path(__file__).parent / "locales"
# Language tags as the user sees and chooses them → Babel's locale identifiers.
LANGUAGES = {"zh-CN": "zh_CN", "en": "en"}
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (one of ``LANGUAGES``)."""
    locale = LANGUAGES[language]
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is declared; translated where shown."""
    return message


def chosen_language(requested: str | None) -> str:
    """``requested`` if the workbench speaks it, else the default."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Speaker:
    """Everything a page needs to speak one language: words, dates, numbers."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(LANGUAGES[self.language])

    def gettext(self, message: str, **variables: object) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled."""
        text = translations(self.language).gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, n: int, **variables: object) -> str:
        text = translations(self.language).ngettext(singular, plural, n)
        return text % {"num": n, **variables}

    def when(self, moment: datetime | None) -> str:
        return "" if moment is None else format_datetime(moment, "short", locale=self.locale)

    def percent(self, share: float | None, digits: int = 1) -> str:
        if share is None:
            return "–"
        pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
        return format_percent(share, pattern, locale=self.locale)

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, pattern, locale=self.locale)
