"""Benchmark of the classifier; prints figures, asserts nothing.

    .venv/bin/python bench/bench_classify.py

Targets (issue: classifier): scoring at least 5,000 items a second on one core;
loading the shipped model in at most 1 s. Scoring is measured with and without
explanations (the cycle asks for them), on generated headline-plus-lede items.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.feedgen import sample_items  # noqa: E402
from warning.classify import artifact  # noqa: E402

LOAD = (
    "import time, skops.io, sklearn.calibration; from warning.classify.artifact import load; "
    "t = time.perf_counter(); load(); print(time.perf_counter() - t)"
)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    model = artifact.load()
    texts = [f"{i['title']}\n{i['description']}" for i in sample_items(5000, seed=3)]
    for explain in (False, True):
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            model.score(texts, explain=explain)
            best = max(best, len(texts) / (time.perf_counter() - start))
        print(f"score{' with explanations' if explain else ''}: {best:,.0f} items/s")
    times, inner = [], []
    for _ in range(5):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", LOAD], cwd=REPO, check=True, capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        inner.append(float(out.stdout))
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sklearn, skops.io"], cwd=REPO, check=True)
        bare.append(time.perf_counter() - start)
    print(f"load the model in a fresh interpreter: median {statistics.median(times):.2f} s")
    print(f"  of which load() itself, libraries imported: median {statistics.median(inner):.2f} s")
    print(f"  of which importing scikit-learn and skops: median {statistics.median(bare):.2f} s")
    print(f"model: {model.version}, file {artifact.default_path().stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
