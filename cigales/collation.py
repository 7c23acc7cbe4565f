"""French alphabetical order for names people read (regions, members, companies).

Python's ``sorted`` orders by code point: "Île-de-France" after "Occitanie", "élodie" after
"Zoé". The Unicode Collation Algorithm (pyuca, with its default table) folds accents and
case first and uses them only to break ties, which is the order a French reader expects.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from pyuca import Collator


@functools.cache
def _collator() -> Collator:
    return Collator()


def sort_key(text: str) -> tuple[int, ...]:
    key: tuple[int, ...] = _collator().sort_key(text)
    return key


def sorted_fr(names: Iterable[str]) -> list[str]:
    return sorted(names, key=sort_key)


def folded(text: str) -> str:
    """Accents, case and surrounding spaces removed: to match what a person typed."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
