"""The situation page in a real headless Chromium (Selenium): shading, a click, no console
errors, no script from a hostile headline; a screenshot of each page in the test's folder.

Debian's ``chromium`` and ``chromium-driver`` (installed by .ci/run); skipped without them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_scenario import END, build
from warning.web.server import WebServer, open_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is the test extra's")
if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver (.ci/run installs them)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = open_site(build(tmp_path_factory.mktemp("situation")), lambda: ())
    site.clock = lambda: END
    server = WebServer("127.0.0.1", 0, site).start()
    yield "http://{}:{}".format(*server.address)
    server.close()


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _errors(driver: object) -> list[dict[str, object]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def test_the_map_renders_shaded_and_a_click_opens_the_country(
    base: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(base + "/")  # type: ignore[attr-defined]
    mali = d.find_element(By.CSS_SELECTOR, 'a.country[data-code="ML"] path')  # type: ignore[attr-defined]
    senegal = d.find_element(By.CSS_SELECTOR, 'a.country[data-code="SN"] path')  # type: ignore[attr-defined]
    # The style sheet applied: the levels' own colours, computed by the browser.
    assert mali.value_of_css_property("fill") == "rgb(142, 27, 27)"
    assert senegal.value_of_css_property("fill") == "rgb(244, 241, 234)"
    assert mali.size["width"] > 20
    d.save_screenshot(str(tmp_path / "index.png"))  # type: ignore[attr-defined]
    d.find_element(By.CSS_SELECTOR, 'a.country[data-code="BF"]').click()  # type: ignore[attr-defined]
    assert d.current_url == base + "/country/BF"  # type: ignore[attr-defined]
    assert "Burkina Faso" in d.find_element(By.TAG_NAME, "h1").text  # type: ignore[attr-defined]
    d.save_screenshot(str(tmp_path / "country.png"))  # type: ignore[attr-defined]
    d.get(base + "/alerts/1")  # type: ignore[attr-defined]
    d.save_screenshot(str(tmp_path / "alert.png"))  # type: ignore[attr-defined]
    assert _errors(d) == []
    assert all(
        (tmp_path / f).stat().st_size > 10_000 for f in ("index.png", "country.png", "alert.png")
    )


def test_no_script_from_a_hostile_headline_runs(base: str, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(base + "/country/ML")  # type: ignore[attr-defined]
    assert d.title == "Mali · warning"  # type: ignore[attr-defined]
    headline = next(
        e
        for e in d.find_elements(By.CSS_SELECTOR, ".headline")
        if "seize state TV" in e.text  # type: ignore[attr-defined]
    )
    assert headline.text.startswith("<script>")  # shown as text
    assert headline.find_elements(By.TAG_NAME, "a") == []  # the javascript: link is not a link
    assert d.find_elements(By.CSS_SELECTOR, "main img, main script") == []  # type: ignore[attr-defined]
    assert d.title == "Mali · warning"  # type: ignore[attr-defined]
    assert _errors(d) == []
    d.save_screenshot(str(tmp_path / "hostile.png"))  # type: ignore[attr-defined]
