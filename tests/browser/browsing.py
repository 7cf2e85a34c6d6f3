"""Steps the browser tests share: screenshots and signing in."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).parent / "screenshots"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, key: str) -> None:
    page.goto(f"{base}/workbench/")
    page.get_by_label("个人密钥").or_(page.get_by_label("Personal key")).fill(key)
    with page.expect_navigation():  # the form's answer: the page asked for, or a refusal
        page.keyboard.press("Enter")
