"""The gazetteer: name folding, the table built from the packages, curated files, the cache."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from tests.geo_fixtures import ACTORS
from warning.errors import ConfigError
from warning.geo import build as geo_build
from warning.geo import gazetteer as gz
from warning.geo.build import build
from warning.geo.curated import load_curated
from warning.geo.gazetteer import (
    CACHE_FILE,
    Entry,
    Gazetteer,
    cache_dir,
    cache_key,
    load,
    open_cached,
)
from warning.geo.names import fold, name_key, tokens

CURATED = """\
demonyms:
  - {country: ML, names: [Malian, Malians, malien, malienne, maliens, maliennes]}
  - {countries: [NE], names: [Nigerien, nigérien, nigérienne]}
regions:
  - {names: [nord du Bénin, northern Benin], countries: [BJ], lat: 10.8, lon: 2.3, source: test}
  - names: [Liptako-Gourma, zone des trois frontières]
    countries: [ML, BF, NE]
    lat: 14.9
    lon: 0.9
places:
  - {name: Kpendjal, aliases: [Mandouri], country: TG, admin1: Savanes, lat: 10.9, lon: 0.7}
  - {name: Man, country: CI, lat: 7.41, lon: -7.55}
  - {name: Grand, country: CI, lat: 5.2, lon: -3.7}
stop:
  - man
  - Grand Prix
  - {name: chad, unless_followed_by_capitalised: false}
not_places:
  - {names: [River Niger, fleuve Niger], countries: []}
  - {names: [Niger Delta, delta du Niger], countries: [NG]}
"""


@pytest.fixture(scope="module")
def curated_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("curated")
    (d / "curated.yaml").write_text(CURATED, encoding="utf-8")
    (d / "actors.yaml").write_text(ACTORS, encoding="utf-8")
    return d / "curated.yaml", d / "actors.yaml"


@pytest.fixture(scope="module")
def small(curated_files: tuple[Path, Path]) -> Gazetteer:
    """Countries, demonyms and the test's curated entries (no towns: fast)."""
    return build(*curated_files, places=False)


@pytest.fixture(scope="module")
def full() -> Gazetteer:
    """The shipped gazetteer, from the user's cache (built on first use)."""
    return load()


def kinds(g: Gazetteer, name: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.kind, e.countries) for e in g.lookup(name)]


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Côte d’Ivoire", "cote d'ivoire"),
        ("COTE D'IVOIRE", "cote d'ivoire"),
        ("Cote-d`Ivoire", "cote d'ivoire"),
        ("Guinea–Bissau", "guinea bissau"),
        ("  Tillabéri\n region ", "tillaberi region"),
        ("Burkinabè", "burkinabe"),
        ("Ségou ʼ Œuvre", "segou ' oeuvre"),
        ("Straße", "strasse"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded
    assert fold(folded) == folded  # idempotent


def test_tokens_keep_offsets_and_capitals() -> None:
    text = "Attaque près d'Abidjan, en Côte-d’Ivoire"
    toks = tokens(text)
    assert [t.folded for t in toks] == [
        "attaque",
        "pres",
        "d",
        "abidjan",
        "en",
        "cote",
        "d",
        "ivoire",
    ]
    assert [t.cap for t in toks] == [True, False, False, True, False, True, False, True]
    for t in toks:
        assert text[t.start : t.end] == t.text
    assert toks[3].text == "Abidjan"


def test_name_keys_meet_across_spellings() -> None:
    keys = {
        name_key(n) for n in ("Côte d’Ivoire", "COTE D'IVOIRE", "Cote-d'Ivoire", "côte d ivoire")
    }
    assert keys == {"cote d ivoire"}
    assert name_key("N'Djamena") == "n djamena"


# --- the table from the packages ------------------------------------------------------


def test_countries_in_english_and_french(full: Gazetteer) -> None:
    cases = {
        "Niger": "NE",
        "Nigeria": "NG",
        "Nigéria": "NG",
        "Tchad": "TD",
        "Côte d'Ivoire": "CI",
        "Ivory Coast": "CI",
        "Cote d'Ivoire": "CI",
        "Guinée": "GN",
        "Guinea-Bissau": "GW",
        "Guinée équatoriale": "GQ",
        "Papua New Guinea": "PG",
        "Papouasie-Nouvelle-Guinée": "PG",
        "République démocratique du Congo": "CD",
        "RDC": "CD",
        "Congo-Brazzaville": "CG",
        "South Sudan": "SS",
        "Soudan du Sud": "SS",
        "Burkina": "BF",
        "Centrafrique": "CF",
        "États-Unis": "US",
    }
    for name, code in cases.items():
        first = full.lookup(name)[0]
        assert (first.kind, first.countries) == ("country", (code,)), name


def test_congo_alone_defaults_to_kinshasa(full: Gazetteer) -> None:
    assert kinds(full, "Congo")[:2] == [("country", ("CD",)), ("country", ("CG",))]


def test_english_demonyms_from_countryinfo(full: Gazetteer) -> None:
    assert ("demonym", ("NE",)) in kinds(full, "Nigerien")
    assert ("demonym", ("NG",)) in kinds(full, "Nigerians")
    assert ("demonym", ("CI",)) in kinds(full, "Ivorian")


def test_towns_of_first_concern_with_points(full: Gazetteer) -> None:
    for name, code in [
        ("Kidal", "ML"),
        ("Ménaka", "ML"),
        ("Djibo", "BF"),
        ("Tillabéri", "NE"),
        ("Tanguiéta", "BJ"),
        ("Bawku", "GH"),
    ]:
        e = full.lookup(name)[0]
        assert e.kind == "city" and e.countries == (code,), name
        assert e.lat is not None and e.lon is not None and e.population > 0
    kidal = full.lookup("Kidal")[0]
    assert abs(kidal.lat - 18.44) < 0.1 and abs(kidal.lon - 1.41) < 0.1
    assert kidal.admin1 == "Kidal"  # GeoNames' code mapped to the ISO 3166-2 name


def test_capitals(full: Gazetteer) -> None:
    for name, code in [("Bamako", "ML"), ("Ouagadougou", "BF"), ("N'Djamena", "TD")]:
        e = full.lookup(name)[0]
        assert (e.kind, e.countries) == ("capital", (code,)), name


def test_subdivisions_and_their_usual_forms(full: Gazetteer) -> None:
    assert ("admin1", ("TG",)) in kinds(full, "Savanes")
    assert kinds(full, "Kaduna State") == [("admin1", ("NG",))]
    assert kinds(full, "région de Tillabéri") == [("admin1", ("NE",))]
    # A neighbour's state sharing a country's name is not the country...
    assert {c for _kind, c in kinds(full, "Niger State")} == {("NG",)}
    # ...and never stands for it alone.
    assert kinds(full, "Niger") == [("country", ("NE",))]
    # A region named for a direction is no name at all.
    assert not [k for k in kinds(full, "Nord") if k[0] == "admin1"]


def test_georgia_keeps_the_us_state_as_second_reading(full: Gazetteer) -> None:
    assert kinds(full, "Georgia")[:2] == [("country", ("GE",)), ("admin1", ("US",))]


def test_small_foreign_towns_left_out(full: Gazetteer) -> None:
    # Villages are kept only in the countries of first concern.
    assert all(
        e.kind != "city" or e.countries[0] in gz.FIRST_CONCERN or e.population >= gz.CITY_FLOOR
        for e in (full.entry(i) for i in range(len(full.entries)))
    )


def test_codes_and_lowercase_transliterations_are_not_names(full: Gazetteer) -> None:
    assert not full.lookup("XDJ")  # Djibo's airport code among GeoNames' alternate names
    assert full.names[name_key("Kidal")][0] & gz.CAP  # a town must be written capitalised
    assert full.names[name_key("DRC")][0] & gz.ACRONYM


# --- curated files ----------------------------------------------------------------------


def test_curated_entries(small: Gazetteer) -> None:
    assert kinds(small, "malienne") == [("demonym", ("ML",))]
    assert kinds(small, "zone des trois frontières") == [("region", ("ML", "BF", "NE"))]
    kpendjal = small.lookup("Mandouri")[0]
    assert (kpendjal.name, kpendjal.kind, kpendjal.admin1) == ("Kpendjal", "city", "Savanes")
    assert kinds(small, "fleuve Niger") == [("not_place", ())]
    assert kinds(small, "Niger Delta") == [("not_place", ("NG",))]
    cnsp = small.lookup("CNSP")
    assert {(e.countries, e.years) for e in cnsp} == {
        (("ML",), (2020, 2021)),
        (("NE",), (2023, 9999)),
    }
    assert small.lookup("JNIM")[0].role == "armed_group"
    # Lowercase French demonyms match in any case; capitalised names need capitals.
    assert not small.names[name_key("malienne")][0] & gz.CAP
    assert small.names[name_key("Mali")][0] & gz.CAP


def test_stop_list(small: Gazetteer) -> None:
    assert not small.lookup("Man")
    assert small.lookup("Grand")  # a place, except inside the stopped phrase
    assert kinds(small, "Grand Prix") == [("not_place", ())]
    assert "chad" in small.person_names
    assert kinds(small, "Chad")[0] == ("country", ("TD",))  # still a country


def test_missing_curated_files_are_empty(tmp_path: Path) -> None:
    cur = load_curated(tmp_path / "none.yaml", tmp_path / "none2.yaml")
    assert cur.demonyms == () and cur.actors == ()


@pytest.mark.parametrize(
    ("curated", "actors", "where"),
    [
        ("demonyms:\n  - {country: XX, names: [Foo]}\n", "", "curated.yaml:2: demonyms[0].country"),
        ("demonyms:\n  - {country: ML}\n", "", "demonyms[0].names: missing"),
        ("regions:\n  - {names: [Foo], countries: [ML], lat: 12}\n", "", "regions[0].lon"),
        ("places:\n  - {name: Foo, country: ML, kind: town}\n", "", "places[0].kind"),
        (
            "places:\n  - {name: Foo, country: ML, colour: red}\n",
            "",
            "places[0].colour: unknown key",
        ),
        ("borders: []\n", "", "borders: unknown section"),
        ("stop:\n  - 12\n", "", "stop[0]"),
        ("", "- {names: [X], country: ML, from: soon}\n", "actors.yaml:1: [0].from"),
        ("", "- {names: [X], country: ML, from: 2024, to: 2020}\n", "[0].to: ends"),
        ("", "- {country: ML, kind: junta}\n", "[0].names: missing"),
    ],
)
def test_malformed_curated_files_name_file_entry_and_key(
    tmp_path: Path, curated: str, actors: str, where: str
) -> None:
    (tmp_path / "curated.yaml").write_text(curated, encoding="utf-8")
    (tmp_path / "actors.yaml").write_text(actors, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_curated(tmp_path / "curated.yaml", tmp_path / "actors.yaml")
    assert where in str(err.value)


def test_unquoted_norway_is_norway(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("demonyms:\n  - {country: NO, names: [Norwegian]}\n")
    cur = load_curated(tmp_path / "c.yaml", tmp_path / "a.yaml")
    assert cur.demonyms[0].countries == ("NO",)


def test_shipped_curated_files_are_valid() -> None:
    load_curated(gz.DATA_DIR / "curated.yaml", gz.DATA_DIR / "actors.yaml")


# --- the cache ------------------------------------------------------------------------


@pytest.fixture
def fast_build(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make open_cached build the small table, and count builds."""
    calls: list[int] = []
    real = geo_build.build

    def counting(curated: Path | None = None, actors: Path | None = None) -> Gazetteer:
        calls.append(1)
        return real(curated, actors, places=False)

    monkeypatch.setattr(geo_build, "build", counting)
    return calls


def test_cache_written_once_then_read(
    tmp_path: Path, curated_files: tuple[Path, Path], fast_build: list[int]
) -> None:
    first = open_cached(tmp_path / "cache", *curated_files)
    path = tmp_path / "cache" / CACHE_FILE
    assert path.is_file() and fast_build == [1]
    again = open_cached(tmp_path / "cache", *curated_files)
    assert fast_build == [1]
    assert again.names == first.names and again.entries == first.entries
    assert again.lookup("CNSP") == first.lookup("CNSP")
    assert path.read_bytes().startswith(b"WARNING-GAZETTEER\n")
    assert not [p for p in path.parent.iterdir() if p.name != CACHE_FILE]  # no temp files left


def test_changed_curated_file_rebuilds(
    tmp_path: Path, curated_files: tuple[Path, Path], fast_build: list[int]
) -> None:
    curated = tmp_path / "curated.yaml"
    curated.write_text(curated_files[0].read_text(encoding="utf-8"), encoding="utf-8")
    open_cached(tmp_path, curated, curated_files[1])
    assert not open_cached(tmp_path, curated, curated_files[1]).lookup("Wakanda")
    curated.write_text(curated.read_text() + "  - {name: Wakanda, country: ML, lat: 1, lon: 1}\n")
    assert cache_key(curated, curated_files[1]) != cache_key(curated_files[0], curated_files[1])
    assert open_cached(tmp_path, curated, curated_files[1]).lookup("Wakanda")
    assert len(fast_build) == 2


def test_damaged_cache_rebuilds(
    tmp_path: Path, curated_files: tuple[Path, Path], fast_build: list[int]
) -> None:
    open_cached(tmp_path, *curated_files)
    path = tmp_path / CACHE_FILE
    path.write_bytes(path.read_bytes()[:200])
    assert open_cached(tmp_path, *curated_files).lookup("Mali")
    assert len(fast_build) == 2


def test_unwritable_cache_dir_falls_back_to_memory(
    tmp_path: Path,
    curated_files: tuple[Path, Path],
    fast_build: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="warning.geo.gazetteer"):
        g = open_cached(blocker / "cache", *curated_files)
    assert g.lookup("Mali")
    assert "cannot write the gazetteer cache" in caplog.text


def test_cache_dir_follows_systemd_then_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CACHE_DIRECTORY", f"{tmp_path}/sd:{tmp_path}/other")
    assert cache_dir() == tmp_path / "sd"
    monkeypatch.delenv("CACHE_DIRECTORY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "warning"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "warning"


def test_load_is_process_wide_and_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    barrier = threading.Barrier(8)
    sentinel = Gazetteer(build(places=False).payload())

    def slow_open(directory: Path | None = None) -> Gazetteer:
        made.append(1)
        return sentinel

    monkeypatch.setattr(gz, "_INSTANCE", None)
    monkeypatch.setattr(gz, "open_cached", slow_open)
    got: list[Gazetteer] = []

    def worker() -> None:
        barrier.wait()
        got.append(gz.load())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1]
    assert all(g is sentinel for g in got)


def test_entry_record_shape() -> None:
    e = Entry("Kidal", "city", ("ML",), "Kidal", 18.4, 1.4, 40030)
    assert e.years is None and e.role is None
    assert Entry._make(tuple(e)) == e  # stored as a plain tuple in the cache


def test_ensure_cached_writes_once_and_keeps_nothing(tmp_path: Path, fast_build: list[int]) -> None:
    gz.ensure_cached(tmp_path)
    assert (tmp_path / CACHE_FILE).is_file() and len(fast_build) == 1
    gz.ensure_cached(tmp_path)  # fresh: only the header is read
    assert len(fast_build) == 1
