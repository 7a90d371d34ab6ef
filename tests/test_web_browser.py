"""The dashboard in a real headless Chromium, served by uvicorn on 127.0.0.1.

These tests look at what a visitor gets: the map draws the stations, a station's chart
draws its limit lines, the language switch changes the page, a phone-sized window does
not scroll sideways, and nothing is fetched from any host but ours. They need the
``chromium`` and ``chromium-driver`` packages and are skipped, saying so, without them.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as ChromeService
    from selenium.webdriver.common.by import By
except ImportError:  # pragma: no cover - the test extra installs it
    webdriver = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None or webdriver is None,
    reason="needs chromium, chromium-driver (Debian packages) and selenium (pip)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small real instance (four ORBS files, SQLite) served by uvicorn in a thread."""
    import uvicorn

    from conftest import load_files, small_orbs_paths
    from seawitness.app import create_app
    from seawitness.instance import Instance

    root = tmp_path_factory.mktemp("web")
    inst = Instance.create(root / "inst", db_url=str(root / "web.db"), origin="test.local/web")
    load_files(inst, small_orbs_paths())
    port = _free_port()
    app = create_app(inst)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    while app.state.service.warming.is_set():  # pages show everything once it is done
        if time.monotonic() > deadline:
            raise RuntimeError("the warm-up did not finish")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    inst.store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="sw-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=ChromeService(executable_path=str(DRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _get(browser: Any, url: str) -> None:
    browser.get(url)
    assert browser.execute_script("return document.readyState") == "complete"


def _requested_hosts(browser: Any) -> set[str]:
    """Hosts of every resource the page loaded, and of every src/href it references
    for loading (scripts, styles, images, frames)."""
    urls = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat([location.href])"
        ".concat([...document.querySelectorAll('script[src],img[src],iframe[src],"
        "source[src],link[href],use[href],image[href]')]"
        ".map(e => e.src || e.href.baseVal || e.href))"
    )
    return {urlparse(u).hostname or "" for u in urls if u}


def test_overview_map_shows_the_stations(server: str, browser: Any) -> None:
    import httpx

    stations = httpx.get(f"{server}/api/v1/stations").json()["results"]
    with_coords = [s for s in stations if s["coords_known"]]
    _get(browser, f"{server}/?lang=en")
    maps = browser.find_elements(By.CSS_SELECTOR, "svg.map")
    assert len(maps) == 2
    assert all(m.size["width"] > 250 and m.size["height"] > 200 for m in maps)
    drawn = maps[0].find_elements(By.CSS_SELECTOR, "a.station circle")
    assert len(drawn) == len(with_coords) > 0
    codes = {
        a.get_attribute("data-code") for a in maps[0].find_elements(By.CSS_SELECTOR, "a.station")
    }
    assert codes == {s["code"] for s in with_coords}
    near = maps[1].find_elements(By.CSS_SELECTOR, "a.station")
    assert any(a.get_attribute("data-zone") == "outlet-3km" for a in near)
    assert _requested_hosts(browser) == {"127.0.0.1"}


def test_station_chart_draws_limit_lines_and_non_detects(server: str, browser: Any) -> None:
    _get(browser, f"{server}/?lang=en")
    outlet = browser.find_elements(By.CSS_SELECTOR, "#latest-tritium tbody a")
    assert outlet, "the latest tritium table lists stations near the outlet"
    outlet[0].click()
    assert "/stations/" in browser.current_url
    chart = browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-nuclide="H-3"]')
    assert chart.size["width"] > 300 and chart.size["height"] > 100
    lines = chart.find_elements(By.CSS_SELECTOR, "line.limit-line")
    levels = {ln.get_attribute("data-level"): float(ln.get_attribute("data-limit")) for ln in lines}
    assert levels == {"investigation": 350.0, "suspension": 700.0}
    for ln in lines:
        assert ln.is_displayed()
    points = chart.find_elements(By.CSS_SELECTOR, "circle.pt")
    assert points
    nd = chart.find_elements(By.CSS_SELECTOR, 'circle[data-role="nondetect"]')
    for c in nd[:20]:  # open markers: no fill colour of a value
        assert browser.execute_script("return getComputedStyle(arguments[0]).fill", c) in (
            "rgb(255, 255, 255)",
            "none",
        )
    assert _requested_hosts(browser) == {"127.0.0.1"}


def test_language_switch_to_japanese(server: str, browser: Any) -> None:
    import tomllib

    ja = tomllib.loads(
        (Path(__file__).parents[1] / "src/seawitness/web/i18n/ja.toml").read_text("utf-8")
    )
    _get(browser, f"{server}/?lang=en")
    en_heading = browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.CSS_SELECTOR, 'a[data-lang="ja"]').click()
    assert browser.find_element(By.TAG_NAME, "h1").text == ja["overview_title"] != en_heading
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    h2 = [e.text for e in browser.find_elements(By.TAG_NAME, "h2")]
    assert ja["key_numbers"] in h2 and ja["latest_title"] in h2
    # the choice is remembered on the next page
    browser.find_element(By.CSS_SELECTOR, 'a[href="/data"]').click()
    assert browser.find_element(By.TAG_NAME, "h1").text == ja["data_title"]
    browser.find_element(By.CSS_SELECTOR, 'a[data-lang="en"]').click()


@pytest.mark.parametrize("page", ["/", "/data", "/about", "/food", "/labs", "/log"])
def test_pages_load_nothing_from_other_hosts(server: str, browser: Any, page: str) -> None:
    _get(browser, f"{server}{page}?lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert _requested_hosts(browser) == {"127.0.0.1"}
    html = browser.page_source
    for ref in ('src="http', "url(http", "@import"):
        assert ref not in html


def test_readable_on_a_phone(server: str, browser: Any) -> None:
    browser.set_window_size(390, 844)
    try:
        for page in ("/", "/data", "/about", "/food", "/labs", "/log"):
            _get(browser, f"{server}{page}?lang=ja")
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, f"{page} scrolls sideways by {overflow}px"
    finally:
        browser.set_window_size(1280, 900)


def test_record_page_shows_history_and_proof(server: str, browser: Any) -> None:
    _get(browser, f"{server}/data?lang=en")
    browser.find_element(By.CSS_SELECTOR, 'a[href^="/records/"]').click()
    assert browser.find_element(By.CSS_SELECTOR, "#history tbody tr")
    assert browser.find_elements(By.CSS_SELECTOR, "ol.proof li")


def test_the_about_pages_verify_command_works_as_written(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command a visitor copies from the About page, run as written against the
    server that showed it: the audit passes, and says that it trusted the server's keys."""
    import html
    import re
    import shlex

    import httpx
    from click.testing import CliRunner

    from seawitness.cli.main import cli

    page = httpx.get(f"{server}/about", timeout=30).text
    block = re.search(r'<pre class="cmd"[^>]*><code>(.*?)</code></pre>', page, re.S)
    assert block, "the About page shows no command"
    lines = [html.unescape(line).strip() for line in block.group(1).splitlines() if line]
    assert lines and all(line.startswith("seawitness ") for line in lines), lines
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for line in lines:
        res = CliRunner().invoke(cli, shlex.split(line)[1:], env={"COLUMNS": "80"})
        assert res.exit_code == 0, res.output
        assert "AUDIT PASSED" in res.output
        assert "trusting the mirror's own log.vkey" in res.output
    assert "trust on first use" in page
