"""Table-driven cases for warning.normalize."""

from __future__ import annotations

import hashlib

import pytest

from warning.normalize import canonical_url, content_hash, guid_key, html_to_text, lang_code


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # fast path: nothing to strip or unescape, only whitespace
        ("Plain headline", "Plain headline"),
        ("  spaced \n\t out  ", "spaced out"),
        ("", ""),
        # tags
        ("<p>Coup attempt in <b>Bamako</b></p>", "Coup attempt in Bamako"),
        ("<b>bold</b>er", "bolder"),
        ("one</p><p>two", "one two"),
        ("line<br>break<br/>again", "line break again"),
        ("<li>a</li><li>b</li>", "a b"),
        ('<a href="/x" title="a > b">link</a> text', "link text"),
        ("<brand>x</brand>", "x"),
        ("<IMG SRC='x.jpg'>caption", "caption"),
        # '<' that starts no tag is text
        ("x < y and 3<4", "x < y and 3<4"),
        # script, style, comments: contents dropped
        ('<script>var s = "<p>hidden</p>";</script>Shown', "Shown"),
        ("<STYLE type='text/css'>p { color: red }</STYLE>Shown", "Shown"),
        ("before<!-- a <b>comment</b> -->after", "before after"),
        ("text <script>never closed", "text"),
        # entities: unescaped exactly once, after tags are gone
        ("&eacute;lection", "élection"),
        ("&amp;eacute;", "&eacute;"),
        ("AT&amp;T", "AT&T"),
        ("&lt;b&gt;not a tag&lt;/b&gt;", "<b>not a tag</b>"),
        ("C&ocirc;te d&#8217;Ivoire &#x2014; Abidjan", "Côte d’Ivoire — Abidjan"),
        ("R&D", "R&D"),
        # non-breaking and other Unicode spaces collapse too
        ("«&nbsp;Mali&nbsp;»", "« Mali »"),
        ("a\u00a0\u202fb", "a b"),
        ("<p>\n  Deux <em>chercheurs</em>\n</p>", "Deux chercheurs"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo",
        ),
        (
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo#0",
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo",
        ),
        ("HTTPS://WWW.Example.COM/Path/Keeps/Case", "https://www.example.com/Path/Keeps/Case"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        (
            "http://example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=x",
            "http://example.com/a?id=7",
        ),
        (
            "http://example.com/a?gclid=1&mc_cid=2&mc_eid=3&ocid=4&cmpid=5&xtor=RSS-3208",
            "http://example.com/a",
        ),
        (
            "http://example.com/a?ns_mchannel=rss&ns_source=PublicRSS20-sa&story=1",
            "http://example.com/a?story=1",
        ),
        ("http://example.com/a?UTM_Source=x&q=Mali", "http://example.com/a?q=Mali"),
        ("http://example.com/a?utm_source=x", "http://example.com/a"),
        # parameters are kept as written, never re-encoded
        (
            "http://example.com/s?q=C%C3%B4te+d%27Ivoire&x",
            "http://example.com/s?q=C%C3%B4te+d%27Ivoire&x",
        ),
        ("http://example.com/a?12345#section", "http://example.com/a?12345"),
        ("  https://example.com/padded  ", "https://example.com/padded"),
        ("http://user:secret@example.com/a", "http://example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        # not a usable http(s) URL
        ("", None),
        (None, None),
        ("ftp://example.com/file", None),
        ("mailto:desk@example.org", None),
        ("/relative/path", None),
        ("javascript:alert(1)", None),
        ("http://example.com:notaport/", None),
        ("http:///no-host", None),
    ],
)
def test_canonical_url(url: str | None, canonical: str | None) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("guid", "outlet", "key"),
    [
        # URL-like: canonical and global; BBC's revision suffixes disappear
        (
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo#0",
            "bbc",
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo",
        ),
        (
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo#1",
            "other",
            "https://www.bbc.co.uk/news/articles/c62kzr1jg0jo",
        ),
        ("HTTP://Example.com/story?utm_source=x", "ex", "http://example.com/story"),
        # anything else is only unique within its publisher
        ("12345", "lemonde", "lemonde:12345"),
        ("12345", "bbc", "bbc:12345"),
        ("  story-42 ", "ex", "ex:story-42"),
        ("tag:example.com,2026:story-1", "ex", "ex:tag:example.com,2026:story-1"),
        (
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
            "ex",
            "ex:urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        ),
        ("http://bad:port/x", "ex", "ex:http://bad:port/x"),
        ("", "ex", None),
        ("   ", "ex", None),
        (None, "ex", None),
    ],
)
def test_guid_key(guid: str | None, outlet: str, key: str | None) -> None:
    assert guid_key(guid, outlet) == key


def test_content_hash_is_sha256_of_normalised_title_and_text() -> None:
    expected = hashlib.sha256(b"coup in mali\nsoldiers seized the radio.").hexdigest()
    assert content_hash("Coup in Mali", "Soldiers seized the radio.") == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            ("Coup in Mali", "Soldiers seized the radio."),
            ("COUP IN MALI", "soldiers   seized\nthe radio."),
        ),
        (("  Coup in Mali ", "Text"), ("Coup in Mali", "  Text  ")),
        (("Élection", "x"), ("E\u0301lection", "x")),  # composed vs decomposed accent
        (("Straße", "x"), ("STRASSE", "x")),  # casefold, not lower
        (("« Mali »", "x"), ("«\u00a0Mali\u00a0»", "x")),
    ],
)
def test_content_hash_stable(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert content_hash(*a) == content_hash(*b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Coup in Mali", "text"), ("Coup in Niger", "text")),
        # the title/text boundary counts
        (("Coup in", "Mali"), ("Coup", "in Mali")),
    ],
)
def test_content_hash_differs(a: tuple[str, str], b: tuple[str, str]) -> None:
    assert content_hash(*a) != content_hash(*b)


@pytest.mark.parametrize(("title", "text"), [("", ""), ("  ", "\n\t"), ("\u00a0", "")])
def test_content_hash_none_when_empty(title: str, text: str) -> None:
    assert content_hash(title, text) is None


def test_content_hash_with_only_one_part() -> None:
    assert content_hash("Title only", "") is not None
    assert content_hash("", "Text only") is not None
    assert content_hash("Same", "") != content_hash("", "Same")


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en-GB", "en"),
        ("en-gb", "en"),
        ("fr-fr", "fr"),
        ("fr", "fr"),
        ("FR", "fr"),
        ("en_US", "en"),
        (" fr-FR ", "fr"),
        ("zh-Hant-TW", "zh"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("eng", "en"),
        ("ful", "ful"),
        ("und", None),
        ("mul", None),
        ("english", None),
        ("e", None),
        ("x-klingon", None),
        ("en-", None),
        ("12", None),
        ("fr;q=0.8", None),
        ("", None),
        (None, None),
    ],
)
def test_lang_code(tag: str | None, code: str | None) -> None:
    assert lang_code(tag) == code
