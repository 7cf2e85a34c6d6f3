"""The workbench's message catalogues against its code and templates: every word a page
shows has its Chinese, with the same placeholders (what `make translations` maintains)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from serving.workbench.i18n import LOCALES_DIR, Speaker

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map)
    }


def _catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_every_message_of_the_pages_has_its_chinese_with_the_same_placeholders():
    extracted = _extracted()
    assert len(extracted) > 100  # the extraction saw the templates and the page code
    chinese = {m.id: m.string for m in _catalog("zh_CN") if m.id}
    missing = sorted(m for m in extracted if not chinese.get(m))
    assert not missing, f"untranslated (run `make translations`, then translate): {missing}"
    for message in extracted:
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(chinese[message]))
        assert re.search(r"[\u4e00-\u9fff]", chinese[message]) or not re.search(
            r"[a-z]{3}", message.replace("%(", "")
        ), message


def test_english_is_the_message_itself_and_chinese_the_default():
    assert Speaker("en").gettext("Sign in") == "Sign in"
    assert Speaker("zh-CN").gettext("Sign in") == "登录"
    assert Speaker("zh-CN").gettext("Page %(page)s of %(pages)s", page=2, pages=5) == (
        "第 2 页，共 5 页"
    )
