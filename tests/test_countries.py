"""geo/countries.py is the one place for country codes, names and the ``countries`` option.

The zones, the GDELT and ACLED filters and the rules all read their codes with it, so a
mistake is reported the same precise way wherever it is written; no runtime module but
it imports pycountry, and importing the modules that use it does not load pycountry.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from warning import config
from warning.errors import ConfigError
from warning.geo import countries

REPO = Path(__file__).resolve().parents[1]

#: The one runtime module that reads ISO 3166, and the gazetteer's builder (its own process).
READERS = {"warning/geo/countries.py", "warning/geo/packages.py"}

FEEDS = """\
feeds:
  - name: events
    kind: gdelt-events
    url: file:///x/lastupdate.txt
    countries: [ML, {code}]
  - name: gkg
    kind: gdelt-gkg
    url: file:///x/lastupdate.txt
    countries: {code}
  - name: acled
    kind: acled
    url: file:///x/export.csv
    countries: [{code}]
zones:
  - name: sahel
    type: countries
    countries: [BF, {code}]
rules: []
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "warning.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Mali", "'Mali' is not an alpha-2 code; did you mean ML (Mali)?"),
        ("NER", "'NER' is not an alpha-2 code; did you mean NE (Niger)?"),
        ("XX", "unknown country code 'XX'; use ISO 3166-1 alpha-2 codes such as ML, BF, NE"),
    ],
)
def test_every_countries_option_reports_a_bad_code_alike_at_its_line(
    tmp_path: Path, code: str, message: str
) -> None:
    assert problems(tmp_path, FEEDS.format(code=code)) == [
        f"5: feeds[0].countries: {message}",
        f"9: feeds[1].countries: {message}",
        f"13: feeds[2].countries: {message}",
        f"17: zones[0].countries: {message}",
    ]


def test_codes_are_upper_cased_and_deduplicated_the_same_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "warning.yaml"
    path.write_text(FEEDS.format(code="ml"))
    settings = config.load(path)
    assert [f.options.countries for f in settings.feeds] == [("ML",), ("ML",), ("ML",)]
    assert settings.zones[0].countries == ("BF", "ML")  # type: ignore[attr-defined]


def test_an_empty_source_filter_says_to_leave_the_key_out(tmp_path: Path) -> None:
    text = FEEDS.format(code="NE").replace("countries: [NE]\n", "countries: []\n")
    assert problems(tmp_path, text) == [
        "13: feeds[2].countries: must list at least one country code, like [ML, BF, NE]; "
        "leave the key out for every country"
    ]


def test_names_codes_and_translations() -> None:
    assert countries.name("CI") == "Côte d'Ivoire"
    assert countries.name("TD", "fr") == "Tchad"
    assert countries.name("XX") == "XX"
    assert countries.labelled("NE") == "Niger (NE)" and countries.labelled("XX") == "XX"
    assert countries.alpha3("ML") == "MLI" and countries.alpha3("XX") is None
    assert countries.from_alpha3("bfa") == "BF" and countries.from_alpha3("ROM") == "RO"  # CAMEO
    assert countries.from_numeric("384") == "CI" and countries.from_numeric("8") == "AL"
    assert countries.numeric("ML") == "466" and countries.from_numeric("x") is None
    assert countries.lookup("Burkina Faso") == "BF" and countries.lookup("Atlantis") is None
    assert "Alibori" in countries.subdivisions("BJ")
    assert countries.is_code("ML") and not countries.is_code("ml") and len(countries.codes()) > 240


def test_no_runtime_module_but_countries_imports_pycountry() -> None:
    readers = set()
    for path in (REPO / "warning").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "pycountry" or n.startswith("pycountry.") for n in names):
                readers.add(str(path.relative_to(REPO)))
    assert readers == READERS


def test_the_modules_that_use_country_codes_load_pycountry_only_when_asked() -> None:
    code = (
        "import sys\n"
        "import warning.config, warning.notify.render, warning.alerting.rules.advisory\n"
        "import warning.sources.acled, warning.sources.advisory, warning.sources.gdelt.events\n"
        "before = 'pycountry' in sys.modules\n"
        "from warning.geo.countries import name\n"
        "print(before, name('BJ'), 'pycountry' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "Benin", "True"]
