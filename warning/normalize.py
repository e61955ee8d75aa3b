"""Pure text and URL normalisation: what items are shown as and deduplicated by.

Every function here is on the hot path of parsing (called several times per
feed entry), so each has a cheap early exit for the common case and uses
compiled regexes and C-implemented helpers. Their input is feed text, which is
hostile: no pattern here may backtrack, so each costs time linear in its input.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "KEY_MAX_CHARS",
    "canonical_url",
    "content_hash",
    "guid_key",
    "html_to_text",
    "lang_code",
    "truncate",
]

# --- html_to_text --------------------------------------------------------------

# Block-level elements separate words ("a</p><p>b" is "a b"); inline ones do not
# ("<b>bold</b>er" is "bolder").
_BLOCK_NAMES = frozenset(
    {
        "p", "br", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
        "tr", "td", "th", "table", "thead", "tbody", "tfoot", "caption", "blockquote", "pre",
        "hr", "section", "article", "aside", "header", "footer", "nav", "figure", "figcaption",
        "address", "main", "img", "iframe", "video", "audio", "object", "embed", "noscript",
        "option", "select",
    }
)  # fmt: skip
# The rest of a tag after its name, read as a browser reads it: up to the first
# '>', except inside an attribute value quoted after '=' ('title="a > b"'); a
# quote anywhere else is an ordinary character. A tag or value never closed runs
# to the end of the text. Every quantifier is possessive and the alternatives
# start with different characters, so nothing can backtrack; and since the
# pattern matches whatever follows the name, a tag never fails half-way and is
# never rescanned from a later '<': the whole scan is linear in the input.
_TAG_REST = r"""(?:[^>"'=]++|=\s*+(?:"[^"]*+"?|'[^']*+'?)?|["'])*+>?"""
_MARKUP = re.compile(
    r"<(?:"
    # Comments, and elements whose content is never text a reader sees; an
    # unclosed one runs to the end, as a browser would treat it.
    r"!--.*?(?:-->|\Z)"
    r"|(?P<hidden>script|style|template)(?=[\s/>]|\Z)" + _TAG_REST + r".*?(?:</(?P=hidden)\s*+>|\Z)"
    # Any other tag: '<' then a letter ("a < b" and "3<4" are text).
    r"|/?(?P<name>[a-zA-Z][^\s/>]*+)" + _TAG_REST +
    # CDATA markers (their content is text), declarations, processing instructions.
    r"|!\[CDATA\[|![a-zA-Z][^>]*+>?|\?[^>]*+>?"
    r")|\]\]>",
    re.IGNORECASE | re.DOTALL,
)


def _markup_replacement(m: re.Match[str]) -> str:
    name = m["name"]
    if name is not None:
        # Most names are lowercase already; lower() only when the first test misses.
        return " " if name in _BLOCK_NAMES or name.lower() in _BLOCK_NAMES else ""
    if m.group("hidden") is not None or m.string.startswith("<!--", m.start()):
        return " "
    return ""


def html_to_text(s: str) -> str:
    """Plain text of an HTML fragment, on one line, in time linear in its length.

    Tags are removed (block-level ones become a space), script, style and
    template contents and comments are dropped, a tag left open at the end is
    dropped (as a browser drops it), entities are unescaped once
    (``&amp;eacute;`` is the text ``&eacute;``), and runs of whitespace,
    including non-breaking spaces, become one space.
    """
    if "<" in s:
        s = _MARKUP.sub(_markup_replacement, s)
    if "&" in s:
        # After tag stripping, so that escaped markup ("&lt;b&gt;") stays text.
        s = html.unescape(s)
    return " ".join(s.split())


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with a trailing "…".

    The cut falls at a word boundary when one is in the second half, and never
    between a letter and its combining accent.
    """
    if len(text) <= limit:
        return text
    end = limit - 1
    while end > 0 and unicodedata.combining(text[end]):
        end -= 1  # the next character is an accent: cut before the letter it belongs to
    cut = text[:end]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


# --- dedup keys ------------------------------------------------------------------

#: Longest deduplication key kept as it is. Keys are unique-indexed, and PostgreSQL
#: refuses an index entry over about 2,700 bytes (512 characters are at most 2,048):
#: a longer GUID or URL is keyed by its sha256, still equal for equal inputs.
KEY_MAX_CHARS = 512


def _bounded_key(key: str) -> str:
    if len(key) <= KEY_MAX_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


# --- canonical_url ---------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only say where a click came from, never which page it
# is. BBC feeds add at_medium/at_campaign; Le Monde links carry xtor.
_TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "hsa_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "xtor",
        "_ga",
        "_gl",
        "smid",
        "cmp",
        "ito",
        "wt.mc_id",
        "__twitter_impression",
    }
)


def _is_tracking(param: str) -> bool:
    name = param.split("=", 1)[0].lower()
    return name in _TRACKING_NAMES or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The form of an http(s) URL that equal pages share, for deduplication.

    Scheme and host are lowercased, a default port and the fragment are
    dropped, tracking parameters (``utm_*``, ``at_*``, ``fbclid``, ``xtor``…)
    are removed and the others sorted; the path keeps its case. User info
    (``user:password@``) is dropped: a key must never carry a secret. A result
    longer than :data:`KEY_MAX_CHARS` is replaced by ``sha256:`` and its hash.
    Returns None for an empty, malformed or non-http(s) URL.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        host = parts.hostname  # lowercased, IPv6 brackets removed
        port = parts.port  # ValueError when not a number or out of range
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = parts.query
    if query:
        # Raw pieces, never decoded and re-encoded, so nothing but the order changes.
        kept = sorted(p for p in query.split("&") if p and not _is_tracking(p))
        query = "&".join(kept)
    return _bounded_key(urlunsplit((scheme, host, parts.path or "/", query, "")))


# --- guid_key ------------------------------------------------------------------


def guid_key(guid: str | None, outlet: str) -> str | None:
    """Deduplication key of an entry's GUID, or None when there is none.

    A URL GUID is canonicalised (BBC's ``#0``/``#1`` revision suffixes go) and
    is global, so the same page seen through two outlets' feeds matches. Any
    other GUID is only unique within its publisher and is scoped as
    ``"{outlet}:{guid}"``; one longer than :data:`KEY_MAX_CHARS` is hashed.
    """
    if not guid:
        return None
    guid = guid.strip()
    if not guid:
        return None
    if guid[:8].lower().startswith(("http://", "https://")):
        key = canonical_url(guid)
        if key is not None:
            return key
    return _bounded_key(f"{outlet}:{guid}")


# --- content_hash ----------------------------------------------------------------


def content_hash(title: str, text: str) -> str | None:
    """sha256 hex of the normalised title and text, or None when both are empty.

    Normalised means NFKC, casefolded and whitespace-collapsed, so a copy that
    differs only in case, spacing or Unicode form hashes the same.
    """
    title = " ".join(unicodedata.normalize("NFKC", title).casefold().split())
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    if not title and not text:
        return None
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


# --- lang_code -------------------------------------------------------------------

_LANG_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")
# Three-letter codes that have a two-letter one; the rest of the program uses
# the two-letter form.
_ISO639_2 = {"eng": "en", "fra": "fr", "fre": "fr", "ara": "ar", "por": "pt", "spa": "es"}
_NOT_A_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})


def lang_code(s: str | None) -> str | None:
    """Primary language subtag of a language tag: ``"en-GB"`` -> ``"en"``.

    Returns None for a missing or malformed tag, or one that names no
    language (``und``, ``mul``).
    """
    if not s:
        return None
    m = _LANG_TAG.fullmatch(s.strip().lower())
    if m is None:
        return None
    code = m.group(1)
    if code in _NOT_A_LANGUAGE:
        return None
    return _ISO639_2.get(code, code)


def title_and_body(text: str) -> tuple[str, str]:
    """Split free text (``warning score``, an evaluation row) into headline and body.

    The first line is the headline when the text has several lines; otherwise the
    first sentence is, so that title-weighted stages see the same shape as a feed item.
    """
    text = text.strip()
    if "\n" in text:
        title, _, body = text.partition("\n")
        return title.strip(), body.strip()
    match = _SENTENCE_END.search(text)
    if match and match.end() < len(text):
        return text[: match.start() + 1].strip(), text[match.end() :].strip()
    return text, ""


# A full stop, question or exclamation mark followed by space and a capital (or a quote):
# "M. Bazoum" or "St. Louis" are rare enough in headlines not to matter here.
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"«“A-ZÀ-Ý])\s+")
