"""Benchmark of the classifier; prints figures, asserts nothing.

    taskset -c 0 .venv/bin/python bench/bench_classify.py [--repeat 5]

On one core (it pins itself to one too): items scored per second, with the
explanations the pipeline asks for, by the scoring pack (what runs) and by the
fitted scikit-learn model (the reference it reproduces), on

- generated headline-plus-lede items (``tests.feedgen``, 130-230 characters),
- generated 800-character texts (items run together, cut at 800: the scored opening),
- the training corpus (real-looking headlines and ledes, many distinct words);

then the time to load each in a fresh interpreter, imports included.
Targets (issue 15): the pack scores >= 20,000 headline-plus-lede items/s and
>= 5,000 800-character texts/s on one core; scoring never imports scikit-learn.

"pack" is the best pass of ``--repeat`` over the same texts (the piece cache warm,
as in a worker that has scored for a while); "pack, cold" is one pass of a freshly
loaded pack; "pack, no why" leaves the explanations out (as ``warning evaluate``
does). The machine may be shared: each line gives the best pass and the spread
(slowest-fastest) of the passes.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import sample_items  # noqa: E402
from warning.classify import artifact, pack, scorer  # noqa: E402

LOAD_PACK = (
    "import sys, time; t = time.perf_counter(); from warning.classify import scorer; "
    "m = scorer.load(); m.score(['Coup in Mali']); "
    "heavy = {n.split('.')[0] for n in sys.modules} & {'sklearn', 'scipy', 'skops'}; "
    "print(time.perf_counter() - t, ','.join(sorted(heavy)) or '-')"
)
LOAD_SKOPS = (
    "import sys, time; t = time.perf_counter(); from warning.classify import artifact; "
    "m = artifact.load(); m.score(['Coup in Mali']); "
    "heavy = {n.split('.')[0] for n in sys.modules} & {'sklearn', 'scipy', 'skops'}; "
    "print(time.perf_counter() - t, ','.join(sorted(heavy)) or '-')"
)


def headline_texts(n: int) -> list[str]:
    return [f"{i['title']}\n{i['description']}" for i in sample_items(n, seed=3)]


def long_texts(n: int, size: int = 800) -> list[str]:
    items = headline_texts(8 * n)
    out, k = [], 0
    for _ in range(n):
        text = ""
        while len(text) < size:
            text += items[k % len(items)] + " "
            k += 1
        out.append(text[:size])
    return out


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted((REPO / "models" / "corpus").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    return texts


def rates(score: Callable[[Sequence[str]], object], texts: list[str], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        score(texts)
        out.append(len(texts) / (time.perf_counter() - start))
    return out


def line(name: str, values: list[float]) -> str:
    if len(values) == 1:
        return f"  {name:<13}{values[0]:>9,.0f} items/s"
    return (
        f"  {name:<13}{max(values):>9,.0f} items/s  (spread {min(values):,.0f}-"
        f"{max(values):,.0f}, median {statistics.median(values):,.0f}, {len(values)} passes)"
    )


def fresh(code: str, repeat: int) -> tuple[list[float], list[float], str]:
    walls, inner, heavy = [], [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True
        )
        walls.append(time.perf_counter() - start)
        seconds, heavy = out.stdout.split()
        inner.append(float(seconds))
    return walls, inner, heavy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes per figure (default 5)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    fitted = artifact.load()
    sets = {
        "headline+lede": headline_texts(5000),
        "800 characters": long_texts(2000),
        "corpus": corpus_texts(),
    }
    for name, texts in sets.items():
        mean = statistics.mean(len(t) for t in texts)
        print(f"{name}: {len(texts)} texts, {mean:.0f} characters on average")
        cold = [rates(scorer.load().score, texts, 1)[0] for _ in range(max(1, args.repeat // 2))]
        packed = scorer.load()
        packed.score(texts)  # warm the piece cache
        print(line("pack", rates(packed.score, texts, args.repeat)))
        print(line("pack, cold", cold))
        bare = rates(partial(packed.score, explain=False), texts, args.repeat)
        print(line("pack, no why", bare))
        print(line("scikit-learn", rates(fitted.score, texts, max(2, args.repeat // 2))))
    for name, code in (("pack", LOAD_PACK), ("scikit-learn", LOAD_SKOPS)):
        walls, inner, heavy = fresh(code, args.repeat)
        print(
            f"load and score one text in a fresh interpreter, {name}: median "
            f"{statistics.median(walls):.2f} s wall (best {min(walls):.2f}); imports and load "
            f"{statistics.median(inner):.2f} s; scikit-learn/SciPy/skops imported: {heavy}"
        )
    print(
        f"model: {fitted.version}, pack {pack.default_path().stat().st_size / 1e6:.1f} MB, "
        f"skops {artifact.default_path().stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
