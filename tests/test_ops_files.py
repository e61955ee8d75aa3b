"""docs/ops: the Prometheus alert rules and the Grafana dashboard shipped for the daemon.

Every metric they name is one the daemon exports, with the labels they use: the names
come from the exposition a fresh process writes after recording one of each outcome
through warning.metrics (what /metrics serves). The rules file has the structure
Prometheus loads, and passes ``promtool check rules`` where promtool is installed
(Debian's ``prometheus`` package).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "docs" / "ops" / "prometheus-rules.yml"
DASHBOARD = REPO / "docs" / "ops" / "grafana-dashboard.json"

#: One of each outcome recorded through the module's own functions, then the exposition.
EXPOSE = """\
from prometheus_client import generate_latest
from warning import metrics
from warning.alerting.verdicts import RuleReport
from warning.records import Decided, PollOutcome

for status in ("new", "not_modified", "error", "skipped"):
    metrics.poll_done(PollOutcome("feed", status, items_new=1, elapsed=0.2), 1.0)
metrics.alerts_decided(
    [Decided(1, "coup", "NE", "coup", d) for d in ("new", "escalated", "ongoing", "resolved")],
    0.1,
    2.0,
)
for result in ("sent", "retrying", "failed"):
    metrics.delivery_done("webhook", result, 1.5)
metrics.PARSE_TIMEOUTS.inc()
metrics.QUEUE_DEPTH.set(1)
report = RuleReport("coup", "coup", alerts=2)
report.counts["confirmed"] = 1
metrics.verdicts_reported([report])
print(generate_latest(metrics.REGISTRY).decode())
"""
#: Labels Prometheus adds to every scraped series, and the histogram bucket label.
TARGET_LABELS = {"job", "instance"}
_METRIC = re.compile(r"\b(?:warning_[a-z_]+|process_[a-z_]+|up)\b")
_MATCHER = re.compile(r"([a-z_]+)\s*(?:=~|!~|!=|=)\s*\"")
_BY = re.compile(r"\bby\s*\(([^)]*)\)")


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Sample name -> label names, as the daemon exports them; plus Prometheus' ``up``."""
    done = subprocess.run(
        [sys.executable, "-c", EXPOSE],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found: dict[str, set[str]] = {"up": set()}
    for family in text_string_to_metric_families(done.stdout):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in data["panels"] for t in panel["targets"]]
    exprs += [v["query"] for v in data["templating"]["list"] if v["type"] == "query"]
    return exprs


def problems(expr: str, exported: dict[str, set[str]]) -> list[str]:
    """Metric names the daemon does not export, and labels none of the expression's metrics has."""
    expr = re.sub(r"\$\w+", "x", expr)  # Grafana's variables ($job, $__rate_interval)
    names = set(_METRIC.findall(expr))
    found = [f"unknown metric {n}" for n in sorted(names) if n not in exported]
    labels = set().union(*(exported.get(n, set()) for n in names)) | TARGET_LABELS
    used = set(_MATCHER.findall(expr))
    for group in _BY.findall(expr):
        used |= {label.strip() for label in group.split(",") if label.strip()}
    found += [f"label {label} on none of {sorted(names)}" for label in sorted(used - labels)]
    return found


def test_the_exposition_holds_what_the_files_rely_on(exported: dict[str, set[str]]) -> None:
    """The fixture itself: a labelled counter and a histogram, as scraped."""
    assert exported["warning_deliveries_total"] == {"notifier", "result"}
    assert "le" in exported["warning_poll_seconds_bucket"]
    assert problems('warning_polls_total{stauts="error"}', exported) == [
        "label stauts on none of ['warning_polls_total']"
    ]
    assert problems("warning_poll_total", exported) == ["unknown metric warning_poll_total"]


def test_every_rule_names_exported_metrics_and_labels(exported: dict[str, set[str]]) -> None:
    for rule in rules():
        assert problems(rule["expr"], exported) == [], rule["alert"]


def test_every_dashboard_query_names_exported_metrics_and_labels(
    exported: dict[str, set[str]],
) -> None:
    exprs = dashboard_exprs()
    assert len(exprs) >= 15
    for expr in exprs:
        assert problems(expr, exported) == [], expr


def test_the_rules_have_the_structure_prometheus_loads() -> None:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    assert set(data) == {"groups"}
    for group in data["groups"]:
        assert set(group) == {"name", "rules"} and group["rules"]
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert {"summary", "description"} <= rule["annotations"].keys()
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"])
    # What issue 20 asks the rules to watch, each by its metric.
    watched = " ".join(rule["expr"] for rule in rules())
    for metric in (
        "up{",
        "warning_last_successful_poll_timestamp_seconds",
        "warning_polls_total",
        "warning_delivery_queue_depth",
        'result="failed"',
    ):
        assert metric in watched


def test_the_dashboard_is_grafana_json_over_a_chosen_datasource() -> None:
    data = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert data["uid"] and data["title"] and data["schemaVersion"] >= 30
    variables = {v["name"]: v for v in data["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    ids = [panel["id"] for panel in data["panels"]]
    assert len(ids) == len(set(ids))
    for panel in data["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout
