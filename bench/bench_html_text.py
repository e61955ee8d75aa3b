"""Benchmark of html_to_text and RSS parsing on ordinary and hostile text; asserts nothing.

    .venv/bin/python bench/bench_html_text.py [--repeat 5]

Prints, on this machine:
1. html_to_text calls a second on the strings it is really given when ordinary feeds are
   parsed: generated headline+lede feeds (tests/feedgen.py) and, when ../shared/data is
   present, the real BBC and Le Monde feeds there;
2. parse_feed items a second on the generated feeds (the hot path it sits on);
3. seconds taken by hostile inputs of 50 KB and 200 KB: the ratio between the two shows
   whether the cost is linear (about 4) or worse (16 for quadratic, 64 for cubic).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import make_rss, sample_items  # noqa: E402
from warning import normalize  # noqa: E402
from warning.sources import caps, rss  # noqa: E402

SHARED_FEEDS = REPO.parent / "shared" / "data" / "feeds" / "news"

#: Hostile inputs by name, as functions of a length in characters.
HOSTILE: dict[str, Callable[[int], str]] = {
    "<a repeated": lambda n: "<a" * (n // 2),
    "<a + quotes": lambda n: "<a " + '"' * n,
    "<a + ' and \"": lambda n: "<a " + "'\"" * (n // 2),
    "<!-- repeated": lambda n: "<!--" * (n // 4),
    "<script repeated": lambda n: "<script" * (n // 7),
    "< + a= repeated": lambda n: "<" + "a=" * (n // 2),
    '<a "x> nested': lambda n: '<a "x>' * (n // 6),
    "<p repeated": lambda n: "<p " * (n // 3),
}


def feeds() -> list[bytes]:
    bodies = [make_rss(sample_items(25, seed=seed)) for seed in range(40)]
    if SHARED_FEEDS.is_dir():
        bodies += [p.read_bytes() for p in sorted(SHARED_FEEDS.glob("*.xml"))]
    return bodies


def recorded_inputs(bodies: list[bytes]) -> list[str]:
    """The strings html_to_text is called with while these feeds are parsed."""
    seen: list[str] = []
    real = caps.html_to_text  # the parsers reach it through the caps

    def record(s: str) -> str:
        seen.append(s)
        return real(s)

    caps.html_to_text = record  # type: ignore[assignment]
    try:
        for body in bodies:
            rss.parse_feed(body, feed="bench", outlet="bench", base_url="https://example.org/")
    finally:
        caps.html_to_text = real  # type: ignore[assignment]
    return seen


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--ordinary",
        action="store_true",
        help="skip the hostile inputs (a cubic version takes hours on them)",
    )
    args = parser.parse_args()

    bodies = feeds()
    inputs = recorded_inputs(bodies)
    with_markup = [s for s in inputs if "<" in s]
    for label, strings in (("all", inputs), ("with markup", with_markup)):
        seconds = best_of(args.repeat, lambda s=strings: [normalize.html_to_text(x) for x in s])
        rate = len(strings) / seconds
        print(f"html_to_text, {label}: {rate:,.0f} calls/s ({len(strings)} strings)")

    generated = bodies[:40]
    count = sum(
        len(rss.parse_feed(b, feed="b", outlet="b", base_url="https://e/").items) for b in generated
    )

    def parse_all() -> None:
        for body in generated:
            rss.parse_feed(body, feed="b", outlet="b", base_url="https://e/")

    seconds = best_of(args.repeat, parse_all)
    print(f"parse_feed, generated feeds: {count / seconds:,.0f} items/s")

    for name, make in () if args.ordinary else HOSTILE.items():
        small, large = make(50_000), make(200_000)
        t_small = best_of(1, lambda s=small: normalize.html_to_text(s))
        t_large = best_of(1, lambda s=large: normalize.html_to_text(s))
        print(
            f"hostile {name!r}: 50 KB {t_small:.4f} s, 200 KB {t_large:.4f} s, "
            f"ratio {t_large / max(t_small, 1e-9):.1f}"
        )


if __name__ == "__main__":
    main()
