"""A fast path for plain, well-formed RSS 2.0 and Atom 1.0: expat directly, no feedparser.

feedparser reads every dialect, encoding and breakage there is, at about 5,000 headline
items a second; most feeds we poll are plain RSS 2.0 or Atom 1.0 in UTF-8, which expat
alone reads several times faster. :func:`read_plain_feed` reads those and builds the
entry dictionaries feedparser 6 would build — for the keys rss.py reads (``title``,
``title_detail``, ``summary``, ``summary_detail``, ``content``, ``link``, ``id``,
``published_parsed``, ``updated_parsed``) and the feed's ``language`` — by feedparser's own
rules, using its own helpers for dates, links, guessing HTML in plain-text fields and
repairing double-encoded text. rss.py turns either kind of entry into items the same way,
so caps and normalisation are shared. The helpers and tables are feedparser 6's own
(imported, not copied), and tests/test_fastfeed.py holds both paths equal, item by item, on
feedparser's corpus, real news feeds, generated and written cases: an upgrade of feedparser
that changes its rules fails those tests rather than drifting silently.

The rule. The fast path reads a body only when all of these hold; otherwise it returns
None and feedparser reads the body, under the guards of xmlfeeds.py:

1. UTF-8: no UTF-16/32 byte-order mark or NUL bytes at the start, the body decodes as
   UTF-8, and the XML declaration, if any, declares UTF-8 or no encoding (read both as
   expat reads it and as feedparser's own pattern does).
2. Well-formed XML (expat, with namespaces) without any DOCTYPE: the parse stops at a
   DOCTYPE's first byte, before any entity could be declared, so nothing is ever expanded
   (xmlfeeds.refuse_entities then refuses an entity declaration, as before); an undeclared
   entity is an XML error.
3. RSS 2.0 — a root ``rss`` whose ``version`` starts with "2." (feedparser's ``rss20``) and
   one ``channel`` holding every ``item`` directly — or Atom 1.0 (``atom10``: ``entry``
   directly under ``feed``). RSS 0.9x, RSS 1.0 (RDF), Atom 0.3 and CDF go to feedparser.
4. No ``xml:base`` (nor ``base``) attribute anywhere: relative links are then left as they
   are and resolved by rss.py against the feed's URL, exactly as on the feedparser path.
5. Each element is judged by the name feedparser dispatches on (the namespace's usual
   prefix + local name, lower-cased; ``media:title`` is ``media_title``):

   - Read, directly under an entry, holding text only (a child element sends the body to
     feedparser): title, link, description, summary, content, content:encoded, guid, id,
     pubDate, published, updated, dc:date and RSS source (which only resets which title
     counts); media:description at any depth below the entry. Their ``type`` is text or
     html (never xhtml), with no ``mode`` or ``src`` attribute (no base64, no remote
     content). An Atom link without ``href`` goes to feedparser.
   - Skipped inside an entry: author, category, enclosure, rights and the like, and
     media:content, media:thumbnail and the other media elements except media:title; any
     element feedparser has no rule for, unless its name is a key we read.
   - Any other element feedparser has a rule for, inside an entry (media:title,
     itunes:*, dc:title, dc:language, image, xhtml:body, …), sends the body to feedparser.
   - At any level, an element feedparser reads as content (title, description, summary,
     rights, subtitle, …) holds text only: markup inside one makes feedparser run end rules
     of elements it never started.
   - Feed level: language or dc:language directly under the channel (or Atom feed) sets
     the feed's language, as does ``xml:lang`` on the root; summary- and content-like
     elements (which would leak into the first entry) and misplaced entries send the body
     to feedparser; the rest is skipped.

Every case of feedparser's own behaviour that shapes these keys is kept: the first
non-empty title wins; a second description (or a media:description after the description)
becomes content, a deeper one never overrides the summary's text, but a summary-mode one
still replaces ``summary_detail``; a permalink guid is the link when no link came before;
an Atom ``id`` counts as a permalink guid; a plain-text RSS field that looks like HTML is
HTML; ``xml:lang`` is inherited.
"""

from __future__ import annotations

from feedparser.encodings import RE_XML_PI_ENCODING

from .reader import Entry, PlainFeed, Reader, StandIn

__all__ = ["Entry", "PlainFeed", "StandIn", "read_plain_feed"]


def read_plain_feed(body: bytes, stand_in: StandIn | None = None) -> PlainFeed | None:
    """The feed in ``body`` when it is plain RSS 2.0 or Atom 1.0 (module docstring); else None.

    None means "let feedparser read it", never "no feed": malformed or unusual bodies,
    and any failure of this path itself, are feedparser's to judge and report.
    ``stand_in(index, entry)``, when given, replaces each entry as soon as it is read
    (``index`` its place in the document): a share of a large body keeps only what it
    needs of the other shares' entries (sources/rss.py).
    """
    head = body[:4]
    if head[:2] in (b"\xfe\xff", b"\xff\xfe") or b"\x00" in head:
        return None  # UTF-16/32: feedparser's
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    declared = RE_XML_PI_ENCODING.match(body, start)  # the encoding feedparser would pick
    if declared is not None and declared.group(1).lower() != b"utf-8":
        return None
    try:
        body.decode("utf-8")  # what feedparser checks before it hands the body to expat
    except UnicodeDecodeError:
        return None
    try:
        return Reader(stand_in).read(body)
    except Exception:  # expat's errors, our Unsupported, and anything unforeseen
        return None
