"""The GDELT sources: event exports and GKG files, real and made up, whole cycles included.

Fixtures in tests/fixtures/gdelt are invented rows in GDELT's layouts (make_fixtures.py
writes them); the real files under ../shared/data/gdelt are used when present.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pycountry
import pytest
import yaml

from tests.conftest import shared_data
from tests.feedgen import make_rss
from tests.feedserver import FeedServer
from tests.publicnames import PublicNames, loopback_names
from tests.support import poll_once, write_config
from warning.classify import LABELS
from warning.errors import ConfigError, FetchError, ParseError
from warning.geo.fips import FIPS_TO_ISO, fips_to_iso
from warning.geo.zones import BorderBandZone, CircleZone
from warning.records import FeedState, FetchResult
from warning.sources import REGISTRY
from warning.sources.addresses import ForbiddenAddress
from warning.sources.base import Feed
from warning.sources.gdelt import (
    EXPORT_COLUMNS,
    EventsOptions,
    GdeltEventsSource,
    load_cameo_table,
    parse_export,
    unpack,
)
from warning.sources.gdelt.gkg import (
    GKG_COLUMNS,
    KEPT_PREFIXES,
    KEPT_THEMES,
    GdeltGkgSource,
    GkgOptions,
    parse_gkg,
)
from warning.sources.http import Fetcher
from warning.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "gdelt"
STAMP = "20201024143000"
EXPORT = FIXTURES / f"{STAMP}.export.CSV"
REAL_EXPORT = ("gdelt", "20191024143000.export.CSV")
ADDED = datetime(2020, 10, 24, 14, 30, tzinfo=UTC)


def events(body: bytes, **options: Any) -> dict[str, Any]:
    """GLOBALEVENTID -> (item, assessment) of a parsed export."""
    result = parse_export(body, feed="gdelt", options=EventsOptions(**options))
    return {
        item.guid_key.removeprefix("gdelt:"): (item, a)
        for item, a in zip(result.items, result.assessments, strict=True)
        if item.guid_key
    }


def labels(assessment: Any) -> dict[str, tuple[float, bool]]:
    return {s.label: (s.probability, s.above) for s in assessment.scores}


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def index_line(body: bytes, url: str) -> str:
    return f"{len(body)} {hashlib.md5(body).hexdigest()} {url}"


# --- FIPS 10-4 -> ISO 3166-1 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fips", "iso"),
    [
        ("NI", "NG"),  # Nigeria
        ("NG", "NE"),  # Niger
        ("UV", "BF"),  # Burkina Faso
        ("IV", "CI"),  # Côte d'Ivoire
        ("ML", "ML"),
        ("CD", "TD"),  # Chad
        ("TO", "TG"),  # Togo
        ("BN", "BJ"),  # Benin
        ("GH", "GH"),
        ("GV", "GN"),  # Guinea
        ("PU", "GW"),  # Guinea-Bissau
        ("SG", "SN"),  # Senegal
        ("MR", "MR"),
        ("CI", "CL"),  # Chile, not Côte d'Ivoire
        ("NE", "NU"),  # Niue, not Niger
        ("UK", "GB"),
        ("GM", "DE"),
        ("YI", "RS"),
        ("GZ", "PS"),
        (" iv ", "CI"),
    ],
)
def test_fips_to_iso(fips: str, iso: str) -> None:
    assert fips_to_iso(fips) == iso


@pytest.mark.parametrize("code", ["", "OS", "XX", "NT", "N", "NIG"])
def test_fips_codes_with_no_country_give_none(code: str) -> None:
    assert fips_to_iso(code) is None


def test_every_fips_target_is_an_iso_country() -> None:
    assert len(FIPS_TO_ISO) > 250
    unknown = {iso for iso in FIPS_TO_ISO.values() if pycountry.countries.get(alpha_2=iso) is None}
    assert unknown == {"XK"}  # Kosovo: user-assigned, documented
    # every ISO country has a FIPS code that leads to it
    missing = {c.alpha_2 for c in pycountry.countries} - set(FIPS_TO_ISO.values())
    assert missing <= {"AX", "BQ", "UM", "SS", "CW", "SX", "PS"} - set(FIPS_TO_ISO.values())


# --- the CAMEO table ------------------------------------------------------------------------------


def test_cameo_table_labels_and_codes() -> None:
    table = load_cameo_table()
    assert tuple(table.floors) == LABELS
    none: frozenset[str] = frozenset()
    assert table.weights("145", none, none, False) == {"unrest": 0.9}
    assert table.weights("1832", none, none, False) == {"attack": 0.95}  # via 183
    assert table.weights("191", none, none, False) == {}  # a blockade is no attack
    assert table.weights("202", none, none, False) == {"attack": 0.95}  # via 20
    assert table.weights("040", none, none, False) == {}
    assert table.weights("173", none, none, False) == {}  # an arrest alone is nothing
    mil, gov, opp = frozenset({"MIL"}), frozenset({"GOV"}), frozenset({"OPP"})
    assert table.weights("173", mil, gov, True) == {"coup": 0.75}
    assert table.weights("173", mil, gov, False) == {}  # not their own government
    assert table.weights("193", mil, gov, True) == {"coup": 0.75, "attack": 0.85}
    assert table.weights("1411", opp, gov, False) == {"unrest": 0.8, "election_dispute": 0.7}
    assert table.weights("1231", gov, opp, False) == {"election_dispute": 0.6}
    assert table.name("1832") == "Car bombing" and table.name("1934") == "Fighting with small arms"


def test_cameo_table_codes_exist_in_the_codebook() -> None:
    codebook = json.loads(shared_data("gdelt", "schema", "cameoCodes.json").read_text("utf-8"))
    known = set(codebook["Description"])
    table = load_cameo_table()
    assert set(table.rules) | set(table.names) <= known


def test_corroboration_formula() -> None:
    table = load_cameo_table()
    assert table.corroboration(1, 1) == pytest.approx(0.5)
    assert table.corroboration(2, 2) == pytest.approx(0.75)
    assert table.corroboration(1, 11) == pytest.approx(0.75)  # ten extra articles = one source
    assert table.corroboration(0, 0) == pytest.approx(0.5)  # counted as one
    assert table.corroboration(3, 3) < table.corroboration(3, 9) < table.corroboration(4, 4)


# --- the real export ------------------------------------------------------------------------------


def _expected_from_raw(rows: list[list[str]]) -> dict[str, set[str]]:
    """Label -> GLOBALEVENTIDs, computed here from the raw columns and docs/gdelt.md's table."""
    iso3 = {c.alpha_3 for c in pycountry.countries}
    out: dict[str, set[str]] = {label: set() for label in LABELS}
    for r in rows:
        code, root = r[26], r[28]
        types1, types2 = set(r[12:15]), set(r[22:25])
        has_country = fips_to_iso(r[53]) is not None or r[7] in iso3 or r[17] in iso3
        if not has_country:
            continue
        # blockades, and assaults that are mostly ordinary crime, are excluded
        if (root in ("18", "19", "20") and code not in ("191",) and code[:3] != "182") or (
            code == "1823"
        ):
            out["attack"].add(r[0])
        if (root == "14" and code[:3] != "142") or code in ("175", "1723", "1724"):
            out["unrest"].add(r[0])
        same = bool(r[7]) and r[7] == r[17]
        if "MIL" in types1 and (
            ("GOV" in types2 and same and (code[:3] in ("173", "175") or root in ("18", "19")))
            or code in ("0341", "1041", "1722", "1724")
        ):
            out["coup"].add(r[0])
        if ("OPP" in types1 and code in ("1041", "1411", "1431", "1441", "1451")) or (
            "OPP" in types2 and code == "1231"
        ):
            out["election_dispute"].add(r[0])
    return out


def test_real_export_keeps_the_mapped_events_and_skips_nothing() -> None:
    body = shared_data(*REAL_EXPORT).read_bytes()
    rows = [line.split("\t") for line in body.decode("utf-8").splitlines()]
    assert len(rows) == 2111 and {len(r) for r in rows} == {EXPORT_COLUMNS}
    # The SOURCE file's own counts of root codes, as a check on this reading of the columns.
    roots = Counter(r[28] for r in rows)
    assert (roots["14"], roots["18"], roots["19"], roots["20"]) == (31, 43, 176, 0)

    result = parse_export(body, feed="gdelt")
    assert result.entries_skipped == 0 and result.warnings == ()
    expected = _expected_from_raw(rows)
    kept: dict[str, set[str]] = {label: set() for label in LABELS}
    for item, assessment in zip(result.items, result.assessments, strict=True):
        for score in assessment.scores:
            kept[score.label].add(item.guid_key.removeprefix("gdelt:"))
    assert kept == expected
    assert len(result.items) == len(set().union(*expected.values()))
    assert len(expected["attack"]) > 150 and len(expected["unrest"]) > 20

    by_id = {r[0]: r for r in rows}
    for item, assessment in zip(result.items, result.assessments, strict=True):
        row = by_id[item.guid_key.removeprefix("gdelt:")]
        assert item.published == datetime(2019, 10, 24, 14, 30, tzinfo=UTC)
        assert item.link == row[60] and item.url_key is None and item.content_hash is None
        assert item.outlet and item.outlet in row[60] and not item.outlet.startswith("www.")
        assert f"cameo:{row[26]}" in item.tags and f"sources:{row[32]}" in item.tags
        assert assessment.model == "gdelt-cameo-1"
        primary = fips_to_iso(row[53])
        if primary:
            assert assessment.geo.countries[0].code == primary
            assert assessment.geo.countries[0].score == 1.0
        for place in assessment.geo.places:
            assert place.name == row[52] and place.country == primary
            if place.kind == "event":
                assert (place.lat, place.lon) == (float(row[56]), float(row[57]))
        for score in assessment.scores:
            assert score.terms == (f"CAMEO {row[26]}",) and 0 < score.probability < 1
    # FIPS NI (Nigeria) and GH (Ghana) rows come out as ISO NG and GH
    countries = Counter(a.geo.primary for a in result.assessments)
    raw = Counter(r[53] for r in rows if r[0] in set().union(*expected.values()))
    assert countries["NG"] == raw["NI"] and countries["GH"] == raw["GH"]
    assert countries["NE"] == raw["NG"]


# --- made-up exports ------------------------------------------------------------------------------


def test_fixture_export_items_countries_places_and_labels() -> None:
    found = events(EXPORT.read_bytes())
    # 4 (a meeting), 9 (a blockade) and 10 (at sea, no country) are not stored
    assert sorted(found) == [f"100000000{n}" for n in (1, 2, 3, 5, 6, 7, 8)]
    item, a = found["1000000001"]
    assert (
        item.title
        == "Fighting with small arms in Kafolo, Savanes, Cote d'Ivoire (Gunman → Soldier)"
    )
    assert item.outlet == "abidjan-news.example"
    assert item.link == "https://www.abidjan-news.example/securite/kafolo-attaque"
    assert item.guid_key == "gdelt:1000000001" and item.url_key is None
    assert item.published == ADDED and item.lang is None
    assert item.tags == ("cameo:193", "goldstein:-10", "sources:3", "articles:6")
    assert "GDELT event 1000000001" in item.summary and "2020-10-24" in item.summary
    assert a.geo.codes == ("CI",)
    (place,) = a.geo.places
    assert (place.country, place.kind, place.admin1, place.lat, place.lon) == (
        "CI",
        "event",
        "Savanes",
        9.58333,
        -4.3,
    )
    # 0.85 × (1 − 0.5^(3 + 0.1 × 3))
    assert labels(a) == {"attack": (pytest.approx(0.85 * (1 - 0.5**3.3), abs=1e-4), True)}
    # Niger and Nigeria, the right way round
    assert found["1000000002"][1].geo.codes == ("NE",)
    assert found["1000000003"][1].geo.codes == ("NG",)
    assert labels(found["1000000003"][1]) == {"attack": (0.3, False)}  # one source, below
    assert labels(found["1000000005"][1])["coup"][1] is True
    assert labels(found["1000000006"][1]).keys() == {"unrest", "election_dispute"}
    riot = found["1000000007"][1]
    assert riot.geo.places[0].kind == "country" and riot.geo.places[0].lat is None
    # two events of one article: both kept, same link, no URL key to merge them
    assert found["1000000008"][0].link == item.link


def test_actor_countries_weigh_less_than_the_place() -> None:
    body = shared_data(*REAL_EXPORT).read_bytes()
    result = parse_export(body, feed="gdelt")
    mixed = [a for a in result.assessments if len(a.geo.countries) > 1]
    assert mixed
    for a in mixed:
        assert [c.score for c in a.geo.countries[1:]] == [0.5] * (len(a.geo.countries) - 1)
        assert len(set(a.geo.codes)) == len(a.geo.codes)


def test_malformed_rows_are_counted_and_skipped() -> None:
    result = parse_export((FIXTURES / "malformed.export.CSV").read_bytes(), feed="gdelt")
    assert [i.guid_key for i in result.items] == ["gdelt:1000000101", "gdelt:1000000102"]
    assert result.entries_skipped == 9
    (warning,) = result.warnings
    assert warning.startswith("9 of 12 rows skipped (")
    for kind in ("2 wrong column count", "2 bad date", "2 bad coordinates", "3 bad number"):
        assert kind in warning
    assert "first: line 4: 60 column(s), expected 61" in warning


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        (1, "2020-10-24", "bad date"),
        (1, "20200230", "bad date"),
        (59, "20201024146000", "bad date"),
        (56, "nan", "bad coordinates"),
        (57, "181", "bad coordinates"),
        (56, "", "bad coordinates"),  # a longitude without a latitude
        (32, "-1", "bad number"),
        (33, "", "bad number"),
        (30, "11", "bad number"),
        (34, "tone", "bad number"),
        (26, "19x", "bad event code"),
    ],
)
def test_each_bad_value_skips_its_row(column: int, value: str, kind: str) -> None:
    good = EXPORT.read_text("utf-8").splitlines()[0].split("\t")
    bad = list(good)
    bad[column] = value
    body = ("\t".join(good) + "\n" + "\t".join(bad) + "\n").encode()
    result = parse_export(body, feed="gdelt")
    assert len(result.items) == 1 and result.entries_skipped == 1
    assert f"1 {kind}" in result.warnings[0]


def test_a_body_without_one_good_row_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no GDELT event row"):
        parse_export(b"", feed="gdelt")
    with pytest.raises(ParseError, match=r"1 column\(s\), expected 61"):
        parse_export(b"<html><body>Not found</body></html>\n", feed="gdelt")
    bad = (FIXTURES / "malformed.export.CSV").read_bytes().split(b"\n")[3:]
    with pytest.raises(ParseError, match=r"60 column\(s\), expected 61"):
        parse_export(b"\n".join(bad), feed="gdelt")


def test_options_filter_events() -> None:
    body = EXPORT.read_bytes()
    several = ["1000000001", "1000000002", "1000000005", "1000000006", "1000000008"]
    assert sorted(events(body, min_sources=2)) == several
    assert sorted(events(body, countries=("CI",))) == ["1000000001", "1000000006", "1000000008"]
    coup = events(body, labels=("coup", "election_dispute"))
    assert sorted(coup) == ["1000000005", "1000000006"]
    assert labels(coup["1000000006"][1]).keys() == {"election_dispute"}


def test_options_are_validated_with_their_lines(tmp_path: Path) -> None:
    from warning import config

    path = tmp_path / "warning.yaml"
    path.write_text(
        "feeds:\n"
        "  - name: g\n"
        "    kind: gdelt-events\n"
        "    url: http://data.gdeltproject.org/gdeltv2/lastupdate.txt\n"
        "    min_sources: 0\n"
        "    countries: [ML, Mali]\n"
        "    labels: [coup, riot]\n"
        "    max_unzipped: lots\n"
        "    lang: en\n"
        "  - name: k\n"
        "    kind: gdelt-gkg\n"
        "    url: file:///var/lib/gdelt/lastupdate.txt\n"
        "    min_sources: 2\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        config.load(path)
    text = [str(p) for p in info.value.problems]
    assert any(":5: feeds[0].min_sources: must be greater than zero" in t for t in text), text
    expected = ":6: feeds[0].countries: 'Mali' is not an alpha-2 code; did you mean ML (Mali)?"
    assert any(t.endswith(expected) for t in text), text
    assert any(":7: feeds[0].labels: expected a list of labels" in t for t in text), text
    assert any(":8: feeds[0].max_unzipped: 'lots' is not a size" in t for t in text), text
    assert any(":13: feeds[1].min_sources: unknown key" in t for t in text), text

    path.write_text(
        "feeds:\n"
        "  - {name: g, kind: gdelt-events, url: 'file:///x/lastupdate.txt', min_sources: 3,\n"
        "     countries: [ml, BF], labels: coup, max_bytes: 20MB}\n"
        "  - {name: k, kind: gdelt-gkg, url: 'file:///x/lastupdate.txt', countries: NE}\n",
        encoding="utf-8",
    )
    settings = config.load(path)
    assert settings.feeds[0].options == EventsOptions(
        min_sources=3, countries=("ML", "BF"), labels=("coup",), max_bytes=20_000_000
    )
    assert settings.feeds[1].options == GkgOptions(countries=("NE",))
    assert REGISTRY["gdelt-events"] is GdeltEventsSource
    assert REGISTRY["gdelt-gkg"] is GdeltGkgSource


# --- zip archives ---------------------------------------------------------------------------------


def test_zip_archive_parses_like_the_plain_file() -> None:
    plain = EXPORT.read_bytes()
    archive = (FIXTURES / f"{STAMP}.export.CSV.zip").read_bytes()
    assert unpack(archive, 10_000) == plain
    assert unpack(plain, 10) == plain  # not a zip: left alone
    source = GdeltEventsSource(
        Feed(
            "g", "gdelt-events", "file:///x.zip", timedelta(minutes=15), "x", None, EventsOptions()
        )
    )
    fetched = FetchResult(status="ok", url="file:///x.zip", final_url="file:///x.zip", body=archive)
    assert source.parse(fetched).items == parse_export(plain, feed="g").items


def test_zip_bombs_and_odd_archives_are_refused() -> None:
    bomb = zipped("x.CSV", b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(ParseError, match="would unpack to 5,000,000 bytes, over the cap"):
        unpack(bomb, 1_000_000)
    two = io.BytesIO()
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("a.CSV", "a")
        archive.writestr("b.CSV", "b")
    with pytest.raises(ParseError, match="holds 2 files"):
        unpack(two.getvalue(), 1000)
    with pytest.raises(ParseError, match="unreadable"):
        unpack(zipped("x.CSV", b"a" * 1000)[:-30], 10_000)
    # a directory that understates the member's size fails its check, not our memory
    lying = bytearray(zipped("x.CSV", b"a" * 100_000))
    central = lying.rfind(b"PK\x01\x02")
    lying[central + 24 : central + 28] = (100).to_bytes(4, "little")
    lying[22:26] = (100).to_bytes(4, "little")
    with pytest.raises(ParseError, match="unreadable"):
        unpack(bytes(lying), 1000)


# --- fetching: files, zips and the index ----------------------------------------------------------


def _source(url: str, **options: Any) -> GdeltEventsSource:
    return GdeltEventsSource(
        Feed("g", "gdelt-events", url, timedelta(minutes=15), "x", None, EventsOptions(**options))
    )


def test_file_urls_plain_zip_and_index() -> None:
    with Fetcher() as fetcher:
        for name in (f"{STAMP}.export.CSV", f"{STAMP}.export.CSV.zip"):
            source = _source((FIXTURES / name).as_uri())
            fetched = source.fetch(fetcher, FeedState("g"))
            assert len(source.parse(fetched).items) == 7
        source = _source((FIXTURES / "lastupdate.txt").as_uri())
        fetched = source.fetch(fetcher, FeedState("g"))
        export = (FIXTURES / f"{STAMP}.export.CSV.zip").as_uri()
        assert fetched.status == "ok" and fetched.etag == export
        assert fetched.final_url == export
        assert len(source.parse(fetched).items) == 7
        # the same index again: nothing to fetch
        state = FeedState("g", etag=fetched.etag, last_modified=fetched.last_modified)
        again = source.fetch(fetcher, state)
        assert again.status == "not_modified" and source.parse(again).items == ()
        # the index rewritten, still naming the same export: nothing either
        again = source.fetch(fetcher, FeedState("g", etag=fetched.etag))
        assert again.status == "not_modified" and again.etag == export


def test_index_over_http_follows_the_newest_export(feed_server: FeedServer) -> None:
    first = (FIXTURES / f"{STAMP}.export.CSV.zip").read_bytes()
    feed_server.add(f"/{STAMP}.export.CSV.zip", first, content_type="application/zip")
    modified = "Sat, 24 Oct 2020 14:31:00 GMT"
    index = index_line(first, feed_server.url(f"/{STAMP}.export.CSV.zip"))
    feed_server.add("/lastupdate.txt", f"{index}\n".encode(), last_modified=modified)
    source = _source(feed_server.url("/lastupdate.txt"))
    with Fetcher() as fetcher:
        fetched = source.fetch(fetcher, FeedState("g"))
        assert fetched.status == "ok" and fetched.etag.endswith(".export.CSV.zip")
        assert fetched.last_modified == modified
        assert len(source.parse(fetched).items) == 7
        state = FeedState("g", etag=fetched.etag, last_modified=fetched.last_modified)
        feed_server.reset_stats()
        assert source.fetch(fetcher, state).status == "not_modified"
        assert feed_server.stats()["status_304"] == 1 and feed_server.stats()["requests"] == 1

        # a new export appears
        later = zipped("x.export.CSV", (FIXTURES / "malformed.export.CSV").read_bytes())
        feed_server.add("/20201024144500.export.CSV.zip", later)
        index = index_line(later, "20201024144500.export.CSV.zip")  # relative: resolved
        feed_server.add("/lastupdate.txt", f"{index}\n".encode(), last_modified="later")
        fetched = source.fetch(fetcher, state)
        assert fetched.etag == feed_server.url("/20201024144500.export.CSV.zip")
        assert len(source.parse(fetched).items) == 2

        # an index whose md5 does not match what is served
        bad = index_line(b"something else", f"/{STAMP}.export.CSV.zip")
        feed_server.add("/lastupdate.txt", f"{bad}\n".encode())
        with pytest.raises(FetchError, match="bytes but the index"):
            source.fetch(fetcher, FeedState("g"))
        wrong = f"{len(first)} {'0' * 32} /{STAMP}.export.CSV.zip"
        feed_server.add("/lastupdate.txt", f"{wrong}\n".encode())
        with pytest.raises(FetchError, match="md5"):
            source.fetch(fetcher, FeedState("g"))
        # no export line, or one that points at this machine's disk
        feed_server.add("/lastupdate.txt", b"12 abc http://x.example/y.gkg.csv.zip\n")
        with pytest.raises(ParseError, match="no line for"):
            source.fetch(fetcher, FeedState("g"))
        feed_server.add("/lastupdate.txt", b"12 abc file:///etc/x.export.CSV.zip\n")
        with pytest.raises(ParseError, match="not an http"):
            source.fetch(fetcher, FeedState("g"))


def test_feed_max_bytes_overrides_the_poll_cap(feed_server: FeedServer) -> None:
    body = (FIXTURES / f"{STAMP}.export.CSV.zip").read_bytes()
    feed_server.add("/e.CSV.zip", body)
    with Fetcher() as fetcher:
        with pytest.raises(FetchError, match="cap of 100 bytes"):
            _source(feed_server.url("/e.CSV.zip"), max_bytes=100).fetch(fetcher, FeedState("g"))
        assert _source(feed_server.url("/e.CSV.zip")).fetch(fetcher, FeedState("g")).body == body


def test_a_public_index_cannot_name_a_file_in_private_space(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The index's server picks the export url: from a public index, a loopback (or
    # private) one is refused before any request, as a redirect there would be.
    loopback_names(monkeypatch)
    export = (FIXTURES / f"{STAMP}.export.CSV.zip").read_bytes()
    with FeedServer() as public, FeedServer() as inner, Fetcher(resolve=PublicNames()) as fetcher:
        inner.add(f"/{STAMP}.export.CSV.zip", export)
        target = inner.url(f"/{STAMP}.export.CSV.zip")
        public.add("/lastupdate.txt", f"{index_line(export, target)}\n".encode())
        index = public.url("/lastupdate.txt", host="data.example")

        with pytest.raises(ForbiddenAddress) as caught:
            _source(index).fetch(fetcher, FeedState("g"))

        assert inner.requests == []
        assert f"the answer from {index} names {target}: refused" in str(caught.value)
        assert "a loopback address" in str(caught.value) and caught.value.hint

        # the same index naming a public host is followed
        public.add(f"/{STAMP}.export.CSV.zip", export)
        elsewhere = public.url(f"/{STAMP}.export.CSV.zip", host="files.example")
        public.add("/lastupdate.txt", f"{index_line(export, elsewhere)}\n".encode())
        fetched = _source(index).fetch(fetcher, FeedState("g"))
        assert fetched.etag == elsewhere and fetched.body == export


# --- whole cycles ---------------------------------------------------------------------------------


def test_poll_cycle_stores_events_and_an_unchanged_index_costs_nothing(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    export = (FIXTURES / f"{STAMP}.export.CSV.zip").read_bytes()
    feed_server.add(f"/{STAMP}.export.CSV.zip", export)
    index = index_line(export, feed_server.url(f"/{STAMP}.export.CSV.zip"))
    feed_server.add("/lastupdate.txt", f"{index}\n".encode(), etag=None)  # no Last-Modified
    feeds = [{"name": "gdelt", "kind": "gdelt-events", "url": feed_server.url("/lastupdate.txt")}]
    path = write_config(tmp_path, feeds, poll={"processes": 0})
    first = poll_once(path, capsys)
    assert (first["feeds_failed"], first["items_new"]) == (0, 7)

    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        stored = {i.title: i for i in store.items()}
        kafolo = stored[
            "Fighting with small arms in Kafolo, Savanes, Cote d'Ivoire (Gunman → Soldier)"
        ]
        assert kafolo.countries == ("CI",) and kafolo.labels == ("attack",)
        assert kafolo.outlets == ("abidjan-news.example",) and "cameo:193" in kafolo.tags
        coup = next(i for i in stored.values() if i.title.startswith("Arrest"))
        assert coup.countries == ("ML",) and coup.labels == ("coup",)
        niamey = next(i for i in stored.values() if "Niamey" in i.title)
        assert niamey.countries == ("NE",)
        # places with coordinates feed the watch zones
        now = datetime.now(UTC)
        start, end = now - timedelta(hours=1), now + timedelta(hours=1)
        band = BorderBandZone("coastal-north", ("CI", "GH", "TG", "BJ"), ("BF", "ML", "NE"), 100.0)
        inside = store.alerts.zone_evidence("attack", start, end, band)
        assert {e.title.split(" in ")[0] for e in inside} == {"Fighting with small arms", "Killing"}
        around = CircleZone("niamey", 13.5, 2.1, 50.0)
        assert [e.title for e in store.alerts.zone_evidence("unrest", start, end, around)] == [
            niamey.title
        ]
        per_country = store.alerts.evidence("election_dispute", start, end)
        assert list(per_country) == ["CI"]
    finally:
        store.close()

    feed_server.reset_stats()
    second = poll_once(path, capsys)
    assert second["items_new"] == 0 and second["feeds_failed"] == 0
    assert [f["status"] for f in second["feeds"]] == ["not_modified"]
    assert [r[1] for r in feed_server.requests] == ["/lastupdate.txt"]  # the export is not fetched


def test_gkg_and_rss_copies_of_one_article_are_stored_once(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    rss = make_rss(
        [
            {
                "title": "Ghana opposition rejects election results",
                "link": "https://www.example-news.com/world/africa/ghana-results-rejected",
                "description": "The opposition alleges fraud and calls for protests.",
            }
        ]
    )
    feed_server.add("/news.xml", rss)
    feeds = [
        {"name": "news", "url": feed_server.url("/news.xml"), "outlet": "example-news.com"},
        {"name": "gkg", "kind": "gdelt-gkg", "url": (FIXTURES / "lastupdate.txt").as_uri()},
    ]
    path = write_config(tmp_path, feeds, poll={"processes": 0})
    report = poll_once(path, capsys)
    assert report["feeds_failed"] == 0
    assert (report["items_new"], report["items_duplicate"]) == (3, 1)
    store = Store(f"sqlite:///{tmp_path / 'warning.db'}")
    try:
        stored = store.items()
    finally:
        store.close()
    ghana = next(i for i in stored if "Ghana" in i.title)
    assert sorted(ghana.feeds) == ["gkg", "news"]
    burkina = next(i for i in stored if "Djibo" in i.title)
    assert "BF" in burkina.countries  # geotagged from the title like any headline
    assert "theme:TERROR" in burkina.tags and "location:NE" in burkina.tags
    second = poll_once(path, capsys)
    assert second["items_new"] == 0
    assert {f["name"]: f["status"] for f in second["feeds"]}["gkg"] == "not_modified"


# --- GKG ------------------------------------------------------------------------------------------


def test_gkg_fixture_rows() -> None:
    result = parse_gkg((FIXTURES / f"{STAMP}.gkg.csv").read_bytes(), feed="gkg", lang="en")
    assert result.entries_skipped == 3
    (warning,) = result.warnings
    for kind in ("1 no page title", "1 wrong column count", "1 bad date"):
        assert kind in warning
    djibo, ghana, mali = result.items
    assert djibo.title == "Burkina : une attaque jihadiste fait 12 morts près de Djibo"
    assert djibo.lang == "fr"  # the translation info names the source language
    assert djibo.guid_key == f"gkg:{STAMP}-T1" and djibo.outlet == "lefaso.net"
    assert djibo.published == ADDED and djibo.summary == "" and djibo.content_hash is None
    assert djibo.tags == (
        "theme:TERROR",
        "theme:KILL",
        "theme:MILITARY",
        "theme:UNREST_CHECKPOINT",
        "theme:TAX_TERROR_GROUP_JNIM",
        "location:BF",
        "location:NE",
    )
    assert ghana.title == "Ghana opposition rejects election results, alleges fraud & vows protests"
    assert ghana.url_key == "https://www.example-news.com/world/africa/ghana-results-rejected"
    assert ghana.lang == "en" and ghana.tags == (
        "theme:ELECTION_FRAUD",
        "theme:PROTEST",
        "location:GH",
    )
    assert mali.link is None and mali.url_key is None and mali.outlet == "bbc monitoring"
    only_niger = parse_gkg(
        (FIXTURES / f"{STAMP}.gkg.csv").read_bytes(), feed="gkg", options=GkgOptions(("NE",))
    )
    assert [i.guid_key for i in only_niger.items] == [djibo.guid_key]
    archive = (FIXTURES / f"{STAMP}.gkg.csv.zip").read_bytes()
    source = GdeltGkgSource(
        Feed("gkg", "gdelt-gkg", "file:///g.zip", timedelta(minutes=15), "x", "en", GkgOptions())
    )
    fetched = FetchResult(status="ok", url="file:///g.zip", final_url="file:///g.zip", body=archive)
    assert source.parse(fetched).items == result.items
    with pytest.raises(ParseError, match="no GDELT GKG row"):
        parse_gkg(b"a\tb\n", feed="gkg")


def test_gkg_2017_sample_has_no_titles() -> None:
    body = shared_data("gdelt", "20170701234500.gkg.sample50.csv").read_bytes()
    result = parse_gkg(body, feed="gkg")
    assert result.items == () and result.entries_skipped == 50
    assert "50 no page title" in result.warnings[0]


def test_gkg_2025_record_with_page_title() -> None:
    body = shared_data("gdelt", "20251025080000.gkg.record0_with_page_title.csv").read_bytes()
    result = parse_gkg(body, feed="gkg")
    assert result.entries_skipped == 0
    (item,) = result.items
    assert item.title == "Rick Applegate: Protecting your constitutional rights and yourselves"
    assert item.outlet == "bozemandailychronicle.com"
    assert item.link and item.link.startswith("https://www.bozemandailychronicle.com/opinions/")
    assert item.url_key == item.link  # already canonical
    assert item.guid_key == "gkg:20251025080000-0"
    assert item.published == datetime(2025, 10, 25, 8, 0, tzinfo=UTC)
    assert "location:US" in item.tags


def test_gkg_2017_rows_with_a_title_added_keep_real_themes_and_locations() -> None:
    """The 2017 rows' real V2Themes and V2Locations, read once a title is present."""
    rows = shared_data("gdelt", "20170701234500.gkg.sample50.csv").read_text("utf-8").splitlines()
    titled = []
    for row in rows:
        cols = row.split("\t")
        assert len(cols) == GKG_COLUMNS
        cols[-1] += f"<PAGE_TITLE>Story {cols[0]}</PAGE_TITLE>"
        titled.append("\t".join(cols))
    result = parse_gkg("\n".join(titled).encode(), feed="gkg")
    assert len(result.items) == 50 and result.entries_skipped == 0
    tags = {i.guid_key.removeprefix("gkg:"): i.tags for i in result.items}
    themes = {t.removeprefix("theme:") for ts in tags.values() for t in ts if t[:6] == "theme:"}
    assert themes and all(t in KEPT_THEMES or t.startswith(KEPT_PREFIXES) for t in themes)
    assert {"TERROR", "PROTEST", "ELECTION_FRAUD", "KILL", "ARMEDCONFLICT"} <= themes
    raw = {cols[0]: cols for cols in (r.split("\t") for r in rows)}
    for record, item_tags in tags.items():
        fips = {e.split("#")[2] for e in raw[record][10].split(";") if e.count("#") > 2}
        assert {t[9:] for t in item_tags if t.startswith("location:")} == {
            iso for iso in map(fips_to_iso, fips) if iso
        }
    assert "location:NG" in tags["20170701234500-11"]  # FIPS NI: Nigeria
    assert "location:ML" in tags["20170701234500-16"] and "location:SS" in tags["20170701234500-16"]
    assert "location:CI" in tags["20170701234500-24"]  # FIPS IV


def test_gkg_themes_named_in_the_docs_are_real_theme_names() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "gdelt.md").read_text("utf-8")
    for theme in KEPT_THEMES:
        assert f"`{theme}`" in doc, theme


def test_cameo_table_is_valid_yaml_with_documented_model() -> None:
    path = Path(__file__).resolve().parents[1] / "warning" / "sources" / "data"
    data = yaml.safe_load((path / "cameo_labels.yaml").read_text("utf-8"))
    doc = (Path(__file__).resolve().parents[1] / "docs" / "gdelt.md").read_text("utf-8")
    assert data["model"] in doc
    for entry in data["codes"]:
        if entry.get("labels"):
            assert f"`{entry['code']}`" in doc, entry["code"]


def test_gkg_v1_themes_and_locations_when_v2_is_empty() -> None:
    cols = (FIXTURES / f"{STAMP}.gkg.csv").read_text("utf-8").splitlines()[0].split("\t")
    cols[8], cols[9], cols[10] = "", "4#Djibo, Sahel, Burkina Faso#UV#UV13#14.1#-1.63#-2357050", ""
    (item,) = parse_gkg("\t".join(cols).encode(), feed="gkg").items
    assert item.tags == (
        "theme:TERROR",
        "theme:KILL",
        "theme:MILITARY",
        "theme:UNREST_CHECKPOINT",
        "theme:TAX_TERROR_GROUP_JNIM",
        "location:BF",
    )
