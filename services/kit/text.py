"""Text from clients that the service reads rather than stores: search terms."""

from __future__ import annotations

from services.errors import InvalidInput

MAX_SEARCH = 100
"""A search term is at most this many characters: longer ones name nothing anyway, and a LIKE
pattern built from a long one (50,000 characters, or `%_` repeated) exceeded SQLite's limit."""


def search_term(search: str | None, *, field: str = "search") -> str | None:
    """The search text without surrounding blanks (None when empty); InvalidInput on `field`
    when it is longer than MAX_SEARCH characters."""
    if search is None:
        return None
    term = search.strip()
    if len(term) > MAX_SEARCH:
        raise InvalidInput(f"Search for at most {MAX_SEARCH} characters.", field=field)
    return term or None


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """A mainland mobile number as its 11 digits ("+86 138-0013-8000" → "13800138000");
    InvalidInput on `field` when it is not one."""
    digits = "".join(ch for ch in raw if ch not in " -()\u3000\t")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()) or digits[0] != "1":
        raise InvalidInput("Not a mobile phone number (11 digits starting with 1).", field=field)
    return digits


def mask_phone(phone: str) -> str:
    """The phone with its middle four digits hidden ("138****8000"), as exports show it."""
    if len(phone) != 11:
        return phone
    return f"{phone[:3]}****{phone[7:]}"
