"""Country names as the advisory publishers write them, to ISO 3166-1 alpha-2 codes.

The names come from :mod:`warning.geo.countries` (ISO names, common and official
names); this module adds only what the publishers spell otherwise (gov.uk slugs,
the State Department's names) and matches both after folding case, accents and
punctuation into a slug. Exact names only: a near miss is None, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ...geo.countries import records as country_records

__all__ = ["country_from_name"]

#: Names (as slugs, see _slug) the publishers use that ISO 3166 spells otherwise.
_ALIASES = {
    "bolivia": "BO",
    "brunei": "BN",
    "burma": "MM",
    "burma-myanmar": "MM",
    "cape-verde": "CV",
    "congo": "CG",
    "czech-republic": "CZ",
    "democratic-republic-of-congo": "CD",
    "democratic-republic-of-the-congo": "CD",
    "drc": "CD",
    "east-timor": "TL",
    "iran": "IR",
    "israel-the-west-bank-and-gaza": "IL",
    "ivory-coast": "CI",
    "kosovo": "XK",
    "laos": "LA",
    "macau": "MO",
    "micronesia": "FM",
    "moldova": "MD",
    "north-korea": "KP",
    "occupied-palestinian-territories": "PS",
    "palestine": "PS",
    "pitcairn-island": "PN",
    "republic-of-congo": "CG",
    "republic-of-the-congo": "CG",
    "russia": "RU",
    "sint-maarten": "SX",
    "south-korea": "KR",
    "st-maarten": "SX",
    "st-martin": "MF",
    "swaziland": "SZ",
    "syria": "SY",
    "taiwan": "TW",
    "tanzania": "TZ",
    "turkey": "TR",
    "united-states": "US",
    "usa": "US",
    "vatican-city": "VA",
    "venezuela": "VE",
    "vietnam": "VN",
}

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SAINT = re.compile(r"\bsaint\b")


def _slug(text: str) -> str:
    """``"Côte d’Ivoire"`` -> ``"cote-d-ivoire"``; ``"The Gambia"`` -> ``"gambia"``."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("&", " and ")
    text = _SAINT.sub("st", _NOT_SLUG.sub("-", text).strip("-"))
    return text[4:] if text.startswith("the-") else text


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for country in country_records():
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if name:
                out.setdefault(_slug(name), country.alpha_2)
    out.update(_ALIASES)
    return out


def country_from_name(name: str) -> str | None:
    """ISO code of a country name or gov.uk slug (``Burkina Faso``, ``cote-d-ivoire``), or None.

    Exact names only (ISO names, common and official names, and the publishers'
    own spellings): a near miss is None, never a guess.
    """
    key = _slug(name)
    return _names().get(key) if key else None
