"""The /reports page: the same report as the command line, its PDF and its command; the
alerts' Atom feed."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from seawitness.app import create_app
from seawitness.report import ReportRequest, build, render_html


@pytest.fixture
def client(instance: Any) -> TestClient:
    return TestClient(create_app(instance, warm=False))


def test_form_lists_rule_sets_and_regions(client: TestClient) -> None:
    page = client.get("/reports", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'value="cn-gb14882"' in page.text and 'value="fukushima"' in page.text


def test_report_page_links_the_same_bytes_and_the_command(
    client: TestClient, instance: Any
) -> None:
    q = {"rules": "jp-tepco-sea", "region": "10km", "from": "2025-01-01", "report_lang": "ja"}
    page = client.get("/reports", params=q, headers={"accept": "text/html"})
    assert page.status_code == 200
    size = instance.store.tree_size()
    command = (
        "seawitness report --rules jp-tepco-sea --region 10km --from 2025-01-01 "
        f"--checkpoint {size} --lang ja --out report.html"
    )
    assert command in page.text
    html = client.get("/reports/report.html", params=q)
    assert html.status_code == 200
    cli_html = render_html(
        build(instance.store, ReportRequest("jp-tepco-sea", "10km", "2025-01-01", None, size, "ja"))
    )
    assert html.text == cli_html
    pdf = client.get("/reports/report.pdf", params=q)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ({"rules": "xx", "region": "fukushima"}, "unknown rule set"),
        ({"rules": "jp-mhlw", "region": "mars"}, "unknown region"),
        ({"rules": "jp-mhlw", "region": "3km", "from": "not-a-date"}, "--from"),
    ],
)
def test_bad_requests_are_400_pages(client: TestClient, q: dict[str, str], message: str) -> None:
    got = client.get("/reports", params=q, headers={"accept": "text/html"})
    assert got.status_code == 400
    assert message in got.text


def test_alerts_feed_is_atom(client: TestClient) -> None:
    got = client.get("/alerts.atom")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(got.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
