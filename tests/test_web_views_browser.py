"""The data views in a real headless Chromium: map status and popups, a fish chart with its
food limit, the time window, lab against lab, the in-browser proof check, a Chinese page.

The instance holds real ORBS files chosen for what each view needs: TEPCO's T-0 and
T-0-1A near the outlet, T-D5 as both NRA (ORBS id 216) and TEPCO (id 15) measure it, and
TEPCO's fish at T-S3. Expected numbers come from the rule files' published limits (MHLW
100 Bq/kg Cs-134+Cs-137; GB 14882 800 Bq/kg Cs-137) and from the API's own records,
counted here independently of the page. Each test saves a screenshot (in the directory
``SEAWITNESS_SCREENSHOTS`` names, else under pytest's temporary directory).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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

FILES = (
    "Seawater_10_1.csv",  # TEPCO T-0
    "Seawater_10_5.csv",  # TEPCO T-0-1A
    "Seawater_10_15.csv",  # TEPCO T-D5
    "Seawater_10_216.csv",  # NRA T-D5
    "Fishes_20_267.csv",  # TEPCO T-S3 fish
)
DISCHARGE = datetime(2023, 8, 24, 4, 3, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = os.environ.get("SEAWITNESS_SCREENSHOTS")
    d = Path(env) if env else tmp_path_factory.mktemp("screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    from conftest import load_files
    from seawitness.app import create_app
    from seawitness.data import bundled_path
    from seawitness.instance import Instance

    root = tmp_path_factory.mktemp("webviews")
    inst = Instance.create(root / "inst", db_url=str(root / "web.db"), origin="test.local/views")
    orbs = bundled_path("orbs")
    load_files(inst, [next(orbs.rglob(name)) for name in FILES])
    port = _free_port()
    app = create_app(inst)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
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
        "--window-size=1280,1000",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=ChromeService(executable_path=str(DRIVER)), options=opts)
    driver.set_page_load_timeout(90)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _get(browser: Any, url: str) -> None:
    browser.get(url)
    assert browser.execute_script("return document.readyState") == "complete"


def _shot(browser: Any, shots: Path, name: str) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 900), 6000))
    assert browser.save_screenshot(str(shots / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def _wait(browser: Any, script: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = browser.execute_script(script)
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def test_map_colours_places_by_status_and_shows_a_popup(
    server: str, browser: Any, shots: Path
) -> None:
    import httpx

    from seawitness.charts.datamap import STATUS_COLOURS

    _get(browser, f"{server}/?lang=en")
    near = browser.find_element(By.CSS_SELECTOR, "svg#map-near")
    marks = {
        a.get_attribute("data-codes"): a for a in near.find_elements(By.CSS_SELECTOR, "a.place")
    }
    # T-0-1A: newest H-3 is far under TEPCO's 350/700 Bq/L levels -> "below", green
    a = marks["T-0-1A"]
    assert a.get_attribute("data-status") == "below"
    circle = a.find_element(By.CSS_SELECTOR, "circle.mk")
    assert circle.get_attribute("fill") == STATUS_COLOURS["below"]
    # T-D5 is one place with two organisations (NRA and TEPCO), drawn once, ringed
    td5 = [x for x in marks.values() if "T-D5" in (x.get_attribute("data-codes") or "")]
    assert len(td5) == 1 and td5[0].get_attribute("data-orgs") == "NRA,TEPCO"
    assert td5[0].find_elements(By.CSS_SELECTOR, "circle.colocated")
    # fish at T-S3: no TEPCO sea level applies to fish -> "none"; under MHLW -> "below"
    region = browser.find_element(By.CSS_SELECTOR, "svg#map-region")
    s3 = region.find_element(By.CSS_SELECTOR, 'a.place[data-codes="T-S3"]')
    assert s3.get_attribute("data-status") == "none"
    # every station with coordinates is on the map, in exactly one place
    stations = httpx.get(f"{server}/api/v1/stations").json()["results"]
    with_coords = {s["code"] for s in stations if s["coords_known"]}
    drawn = [
        c
        for a in region.find_elements(By.CSS_SELECTOR, "a.place")
        for c in (a.get_attribute("data-codes") or "").split(" / ")
    ]
    assert set(drawn) == with_coords
    # legend: the outlet, a scale bar, the class counts add up to the places drawn
    legend = browser.find_element(By.ID, "map-legend").text
    assert "Discharge outlet" in legend
    # the 10 km square's 20 Bq/L investigation level is graded LOW in the rule file
    assert "square-10km/H-3/investigation" in browser.find_element(By.ID, "map-low").text
    assert near.find_element(By.CSS_SELECTOR, "g.scalebar").get_attribute("data-km") == "2"
    assert near.find_elements(By.CSS_SELECTOR, "g.outlet-mark")
    # the popup: a click shows the place's latest results with links to their records
    a.click()
    pop = browser.find_element(By.ID, "popup-open")
    assert pop.is_displayed() and "T-0-1A" in pop.text
    assert "1F 港湾口北東側" in pop.text  # TEPCO's own name of the point
    assert pop.find_elements(By.CSS_SELECTOR, 'a[href^="/records/"]')
    _shot(browser, shots, "map-popup-en")
    # another rule set recolours: the fish place is "below" under MHLW (Cs far under 100)
    _get(browser, f"{server}/?lang=en&rules=jp-mhlw")
    s3 = browser.find_element(By.CSS_SELECTOR, 'svg#map-region a.place[data-codes="T-S3"]')
    assert s3.get_attribute("data-status") == "below"


def test_fish_chart_draws_the_food_limit_of_the_chosen_jurisdiction(
    server: str, browser: Any, shots: Path
) -> None:
    _get(browser, f"{server}/stations/TEPCO/T-S3?lang=en&food=jp-mhlw")
    chart = browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-nuclide="Cs-137"]')
    lines = chart.find_elements(By.CSS_SELECTOR, "line.limit-line")
    assert [float(x.get_attribute("data-limit")) for x in lines] == [100.0]
    assert all(x.is_displayed() for x in lines)
    caption = chart.find_element(By.XPATH, "..").text
    assert "Cs-134 + Cs-137" in caption and "HIGH" in caption
    _shot(browser, shots, "fish-chart-mhlw-en")
    _get(browser, f"{server}/stations/TEPCO/T-S3?lang=en&food=cn-gb14882")
    chart = browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-nuclide="Cs-137"]')
    limits = [
        float(x.get_attribute("data-limit"))
        for x in chart.find_elements(By.CSS_SELECTOR, "line.limit-line")
    ]
    assert limits == [800.0]


def test_time_window_keeps_the_results_it_names_with_and_without_script(
    server: str, browser: Any, shots: Path
) -> None:
    import httpx

    pts = httpx.get(
        f"{server}/api/v1/stations/TEPCO/T-0-1A/series", params={"nuclide": "H-3"}
    ).json()["points"]

    def drawn() -> int:
        chart = browser.find_element(By.CSS_SELECTOR, 'svg.chart[data-nuclide="H-3"]')
        return len(chart.find_elements(By.CSS_SELECTOR, "circle.pt"))

    def when(p: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(p["sampled_at"].replace("Z", "+00:00"))

    drawable = [p for p in pts if p["value"] is not None or p["detection_limit"] is not None]
    _get(browser, f"{server}/stations/TEPCO/T-0-1A?lang=en")
    assert drawn() == len(drawable)
    assert browser.find_elements(By.CSS_SELECTOR, 'svg.chart[data-nuclide="H-3"] rect.band')
    # the form is a plain GET: choose a window and submit
    browser.find_element(By.CSS_SELECTOR, 'input[name="window"][value="since-discharge"]').click()
    browser.find_element(By.CSS_SELECTOR, "#chart-controls button[type=submit]").click()
    _wait(browser, "return location.search.includes('window=since-discharge')")
    assert drawn() == sum(1 for p in drawable if when(p) >= DISCHARGE)
    _shot(browser, shots, "time-window-en")
    browser.execute_script("document.querySelectorAll('script').forEach(s => s.remove())")
    _get(browser, f"{server}/stations/TEPCO/T-0-1A?lang=en&window=12m")
    year_ago = datetime.now(UTC) - timedelta(days=365)
    assert drawn() == sum(1 for p in drawable if when(p) >= year_ago)
    ba = browser.find_element(By.CSS_SELECTOR, ".beforeafter").text
    assert "Peto-Prentice" in ba and "p =" in ba


def test_lab_page_pairs_nra_and_tepco_at_t_d5(server: str, browser: Any, shots: Path) -> None:
    import httpx

    def rows(org: str) -> list[dict[str, Any]]:
        got = httpx.get(
            f"{server}/api/v1/measurements",
            params={"org": org, "station": "T-D5", "nuclide": "Cs-137", "limit": 10000},
        ).json()["results"]
        return [r for r in got if r["medium"] == "seawater"]

    def t(r: dict[str, Any]) -> float:
        return datetime.fromisoformat(r["sampled_at"].replace("Z", "+00:00")).timestamp()

    nra, tepco = rows("NRA"), rows("TEPCO")
    # independent count: NRA results with a TEPCO result at most a day away (one-to-one,
    # nearest first; at T-D5 the samplings are days apart, so greedy = any matching)
    cands = sorted(
        (abs(t(a) - t(b)), i, j)
        for i, a in enumerate(nra)
        for j, b in enumerate(tepco)
        if abs(t(a) - t(b)) <= 86400
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    for _, i, j in cands:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
    expected = len(used_a)
    assert expected > 0
    _get(browser, f"{server}/labs?lang=en&window=1")
    series = browser.find_elements(By.CSS_SELECTOR, "#labs-series tbody tr")
    row = [r.text for r in series if "T-D5" in r.text and "Cs-137" in r.text and "NRA" in r.text]
    assert row, [r.text for r in series]
    assert f" {expected} " in f" {row[0]} "
    plot = browser.find_element(By.CSS_SELECTOR, "#labs-plot svg")
    detected_pairs = browser.find_elements(By.CSS_SELECTOR, "#labs-pairs tbody tr")
    assert len(plot.find_elements(By.CSS_SELECTOR, "circle.pair")) == len(detected_pairs) > 0
    assert "split samples" in browser.find_element(By.ID, "splits-count").text
    _shot(browser, shots, "labs-en")


def test_proof_check_passes_on_a_real_record_and_fails_when_tampered(
    server: str, browser: Any, shots: Path
) -> None:
    import httpx

    leaf = httpx.get(
        f"{server}/api/v1/measurements", params={"station": "T-D5", "limit": 1}
    ).json()["results"][0]["leaf_index"]
    _get(browser, f"{server}/records/{leaf}?lang=en")
    box = browser.find_element(By.ID, "proofcheck")
    _wait(browser, "return document.getElementById('proofcheck').dataset.result")
    assert box.get_attribute("data-result") == "pass", box.text
    steps = {
        li.get_attribute("data-step"): li.get_attribute("data-ok")
        for li in box.find_elements(By.CSS_SELECTOR, "li[data-step]")
    }
    assert steps == {"leaf": "yes", "root": "yes", "sig": "yes"}  # Chromium has Ed25519
    summary = browser.find_element(By.ID, "record-summary").text
    assert "T-D5" in summary and "DEMO key" in summary
    assert browser.find_element(By.ID, "station-link").get_attribute("href").endswith("/T-D5")
    _shot(browser, shots, "proof-pass-en")
    # change one byte of the logged entry: the recomputed root no longer matches
    browser.execute_script(
        """const b = document.getElementById('proofcheck');
        const bytes = atob(b.dataset.leaf);
        const i = bytes.indexOf('"station":"T-D5"') + 12;
        b.dataset.leaf = btoa(bytes.slice(0, i) + 'X' + bytes.slice(i + 1));
        b.removeAttribute('data-result');
        window.seawitnessCheckProof();"""
    )
    _wait(browser, "return document.getElementById('proofcheck').dataset.result")
    assert box.get_attribute("data-result") == "fail"
    root = box.find_element(By.CSS_SELECTOR, 'li[data-step="root"]')
    assert root.get_attribute("data-ok") == "no"
    _shot(browser, shots, "proof-tampered-en")
    # a forged checkpoint signature fails at step 3
    _get(browser, f"{server}/records/{leaf}?lang=en")
    _wait(browser, "return document.getElementById('proofcheck').dataset.result")
    browser.execute_script(
        """const b = document.getElementById('proofcheck');
        const [body, sig] = b.dataset.note.split('\\n\\n');
        const cut = sig.lastIndexOf(' ') + 10;
        const c = sig[cut] === 'A' ? 'B' : 'A';
        b.dataset.note = body + '\\n\\n' + sig.slice(0, cut) + c + sig.slice(cut + 1);
        b.removeAttribute('data-result');
        window.seawitnessCheckProof();"""
    )
    _wait(browser, "return document.getElementById('proofcheck').dataset.result")
    box = browser.find_element(By.ID, "proofcheck")
    assert box.get_attribute("data-result") == "fail"
    sig = box.find_element(By.CSS_SELECTOR, 'li[data-step="sig"]')
    assert sig.get_attribute("data-ok") == "no"


def test_chinese_pages_translate_rule_titles_and_name_the_water_neutrally(
    server: str, browser: Any, shots: Path
) -> None:
    _get(browser, f"{server}/food?lang=zh")
    rules = browser.find_element(By.ID, "food-rules").text
    assert "一般食品（含鱼类和海产品）：Cs-134 + Cs-137" in rules
    assert "General foods" not in rules
    assert "日本厚生劳动省" in browser.find_element(By.ID, "food-answer").text
    _shot(browser, shots, "food-zh")
    _get(browser, f"{server}/?lang=zh")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "东京电力海域监测" in page  # the map's rule-set choice
    assert "处理水" not in page and "核污染水" not in page  # neither government's term
    _shot(browser, shots, "overview-zh")
    _get(browser, f"{server}/about?lang=zh")
    water = browser.find_element(By.ID, "water-names").text
    assert "ALPS处理水" in water and "核污染水" in water  # each term, explained
    for lang in ("en", "ja", "ko"):
        _get(browser, f"{server}/log?lang={lang}")
        assert browser.find_element(By.CSS_SELECTOR, "#log-growth svg circle.cp")
        _shot(browser, shots, f"log-{lang}")
