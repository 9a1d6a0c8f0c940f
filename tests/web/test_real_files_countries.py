"""Every country of the ledger is offered by the dashboard and the API, on the six real IATI files
(issue 11, item 3): the US files put the recipient country on transactions only."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.shared
@pytest.fixture(scope="module")
def client(real_iati_path):
    from fastapi.testclient import TestClient

    from kizuna.web.app import create_app

    with TestClient(create_app(real_iati_path), raise_server_exceptions=False) as c:
        yield c


def test_the_api_lists_every_country_of_the_ledger(client):
    rows = client.get("/api/v1/countries").json()["items"]
    assert {r["country"]: r["activities"] for r in rows} == {"SS": 413, "CF": 318, "AF": 182}


@pytest.mark.parametrize("path", ["/", "/presence", "/overlaps", "/division"])
def test_every_page_offers_every_country(client, path):
    html = client.get(path).text
    select = re.search(r'<select[^>]*name="country".*?</select>', html, re.S)
    assert select, path
    assert set(re.findall(r'<option value="([A-Z]{2})"', select.group(0))) == {"SS", "CF", "AF"}


@pytest.mark.parametrize("country", ["AF", "af", "CF"])
def test_a_country_given_only_on_transactions_is_reachable(client, country):
    body = client.get(f"/api/v1/activities?country={country}&limit=1").json()
    assert body["total"] == {"AF": 182, "CF": 318}[country.upper()]
