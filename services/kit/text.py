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
