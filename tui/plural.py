"""Counted nouns in messages: "1 retry", "2 retries", never "1 retries"."""

from __future__ import annotations


def plural(noun: str) -> str:
    """The English plural of a (regular) noun: block → blocks, retry → retries, match → matches."""
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def counted(number: int, noun: str, plural_form: str | None = None) -> str:
    """`number` and the noun agreeing with it; `plural_form` for an irregular noun."""
    return f"{number:,} {noun if number == 1 else plural_form or plural(noun)}"
