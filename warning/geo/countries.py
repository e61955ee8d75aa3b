"""Country codes, names and the ``countries`` option: the one place that reads ISO 3166.

Every runtime module asks here: which alpha-2 codes exist, a code's name, the
alpha-2 code of an alpha-3 or numeric one or of a name, and the parsers that
options declare (``option(parse=countries.parse_codes)``). pycountry is imported
on first use, inside these functions, so that commands which never meet a country
code (``feeds``, ``alerts``) do not load its tables. The gazetteer's builder
(geo/packages.py) compiles its data from pycountry directly, in its own process.

The parsers raise ValueError, which :class:`~warning.settings.Reader` reports as
``file:line: key: message`` at the key that holds the value.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterator
from typing import Any

#: CAMEO (GDELT) codes that differ from ISO 3166-1 alpha-3.
CAMEO = {"ROM": "RO", "ZAR": "CD", "TMP": "TL"}

_EXAMPLE = "ML, BF, NE"


def _db() -> Any:
    import pycountry

    return pycountry.countries


def _get(**key: str) -> Any:
    """pycountry's record for ``alpha_2=``, ``alpha_3=`` or ``numeric=``; None if none."""
    return _db().get(**key)


@functools.cache
def codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(c.alpha_2 for c in _db())


def is_code(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-1 alpha-2 code as written (upper case)."""
    return code in codes()


def records() -> Iterator[Any]:
    """pycountry's record of every country (for tables of names, like advisories')."""
    return iter(_db())


# --- codes from other codes and from names ------------------------------------------------


@functools.cache
def _alpha3() -> dict[str, str]:
    table = {c.alpha_3: c.alpha_2 for c in _db()}
    table.update(CAMEO)
    return table


def from_alpha3(code: str) -> str | None:
    """``MLI`` -> ``ML`` (CAMEO's few codes of its own too: ``ROM`` -> ``RO``); None if unknown."""
    return _alpha3().get(code.upper())


def alpha3(code: str) -> str | None:
    """``ML`` -> ``MLI``; None if ``code`` is no alpha-2 code."""
    found = _get(alpha_2=code)
    return None if found is None else str(found.alpha_3)


def from_numeric(number: str) -> str | None:
    """ISO 3166-1 numeric (``466``, ``"70"``) -> alpha-2; None if unknown."""
    text = str(number).strip()
    if not text.isdigit():
        return None
    found = _get(numeric=text.zfill(3))
    return None if found is None else str(found.alpha_2)


def numeric(code: str) -> str | None:
    """``ML`` -> ``"466"``; None if ``code`` is no alpha-2 code."""
    found = _get(alpha_2=code)
    return None if found is None else str(found.numeric)


def lookup(text: str) -> str | None:
    """The alpha-2 code of any code or ISO name (``Mali``, ``MLI``, ``466``); None if none."""
    try:
        return str(_db().lookup(text.strip()).alpha_2)
    except LookupError:
        return None


# --- names --------------------------------------------------------------------------------


@functools.cache
def _translation(lang: str) -> gettext.NullTranslations:
    import pycountry

    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@functools.cache
def name(code: str, lang: str = "en") -> str:
    """``Côte d'Ivoire`` for ``CI`` (the common name where ISO has one); the code if unknown.

    ``lang`` other than English translates the name with iso-codes' catalogue
    (``fr``: ``Côte d'Ivoire``, ``Tchad``), in English when it has no translation.
    """
    found = _get(alpha_2=code)
    if found is None:
        return code
    english = str(getattr(found, "common_name", None) or found.name)
    if lang == "en":
        return english
    translated = _translation(lang).gettext(english)
    if translated == english and english != found.name:
        translated = _translation(lang).gettext(found.name)
    return translated


def labelled(code: str) -> str:
    """``Niger (NE)``; the code alone when ISO 3166 has no such country."""
    full = name(code)
    return code if full == code else f"{full} ({code})"


@functools.cache
def subdivisions(code: str) -> tuple[str, ...]:
    """Names of the top-level ISO 3166-2 subdivisions of ``code`` (its admin-1 regions)."""
    import pycountry

    subs = pycountry.subdivisions.get(country_code=code) or ()
    return tuple(s.name for s in subs if s.parent_code is None)


# --- option parsers (raise ValueError; the reader reports it at the key's line) ----------


def parse_code(value: Any) -> str:
    """One ISO 3166-1 alpha-2 code, upper-cased; a name or alpha-3 code gets a suggestion."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a country code like ML, got {value!r}")
    code = value.strip().upper()
    if len(code) == 2 and code.isalpha() and is_code(code):
        return code
    found = lookup(value)
    if found is None:
        raise ValueError(
            f"unknown country code {value!r}; use ISO 3166-1 alpha-2 codes such as {_EXAMPLE}"
        )
    raise ValueError(f"{value!r} is not an alpha-2 code; did you mean {found} ({name(found)})?")


def _parse_list(value: Any, empty: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    found = [parse_code(v) for v in items if v is not None]
    if not found:
        raise ValueError(empty)
    return tuple(dict.fromkeys(found))


def parse_codes(value: Any) -> tuple[str, ...]:
    """One or more alpha-2 codes, upper-cased, duplicates dropped (zones, rules)."""
    return _parse_list(value, f"must list at least one country code, like [{_EXAMPLE}]")


def parse_filter(value: Any) -> tuple[str, ...]:
    """A source's ``countries`` filter: as :func:`parse_codes`; leaving the key out means all."""
    return _parse_list(
        value,
        f"must list at least one country code, like [{_EXAMPLE}]; "
        "leave the key out for every country",
    )
