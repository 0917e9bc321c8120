"""Kept answers: shared by callers with the same scope and language only, dropped by every
change made through the server, and by age."""

from __future__ import annotations

import pytest
from tests.app.conftest import Server, shown, sign_in

from salescore.app.cache import ResponseCache


@pytest.fixture(scope="module")
def backend() -> str:
    return "duckdb"


def test_answers_are_kept_per_scope_and_language(server: Server) -> None:
    cache = server.client.app.state.salescore.cache  # type: ignore[attr-defined]
    cache.clear()
    params = {"kpis": "deals_won", "by": "rep", "period": "2025-Q1"}
    first = server.client.get("/api/v1/kpis/values", params=params,
                              headers=server.headers("admin"))
    hits = cache.hits
    again = server.client.get("/api/v1/kpis/values", params=params,
                              headers=server.headers("executive"))  # the same scope, not user
    assert cache.hits == hits  # executive is read-only: another scope, its own answer
    admin_again = server.client.get("/api/v1/kpis/values", params=params,
                                    headers=server.headers("admin"))
    assert cache.hits == hits + 1 and admin_again.json() == first.json() == again.json()
    rep = server.client.get("/api/v1/kpis/values", params=params,
                            headers=server.headers("rep"))
    assert {i["subject"] for i in rep.json()["items"]} == {"r1"}
    assert first.headers["content-type"] == "application/json"


def test_a_change_through_the_server_drops_every_kept_answer(server: Server) -> None:
    admin = server.headers("admin")
    params = {"period": "2025-Q3", "scope_id": "T2X"}
    assert server.client.get("/api/v1/targets", params=params, headers=admin).json()["items"] \
        == []
    assert server.client.get("/api/v1/targets", params=params, headers=admin).json()["items"] \
        == []
    assert server.client.put("/api/v1/targets", headers=admin, json={
        "scope": "team", "scope_id": "T2X", "period": "2025-Q3", "kpi": "revenue_won",
        "value": 10, "reason": "cache test"}).status_code == 200
    after = server.client.get("/api/v1/targets", params=params, headers=admin).json()["items"]
    assert [(t["scope_id"], t["value"]) for t in after] == [("T2X", 10.0)]


def test_answers_age_out() -> None:
    now = [0.0]
    cache = ResponseCache(seconds=10, entries=2, clock=lambda: now[0])
    cache.put("a", b"1")
    now[0] = 9.9
    assert cache.get("a") == b"1"
    now[0] = 10.0
    assert cache.get("a") is None
    cache.put("a", b"1")
    cache.put("b", b"2")
    cache.put("c", b"3")
    assert (cache.get("a"), cache.get("c")) == (None, b"3")
    off = ResponseCache(seconds=0)
    off.put("a", b"1")
    assert off.get("a") is None


def test_a_pages_view_is_kept_per_scope_until_a_change(server: Server) -> None:
    """The Team page's view is worked out once for a manager's scope and question; the same
    visit again is given it (the page itself is rendered anew: its CSRF token is the
    session's), and any change through the server drops it."""
    cache = server.client.app.state.salescore.cache  # type: ignore[attr-defined]
    cache.clear()
    client = server.client
    client.cookies.clear()
    sign_in(client, server.username("manager"))
    first = client.get("/team", params={"period": "2025-Q1"})
    hits = cache.hits
    again = client.get("/team", params={"period": "2025-Q1"})
    assert first.status_code == again.status_code == 200
    assert cache.hits == hits + 1
    assert shown(again.text) == shown(first.text)
    other = client.get("/team", params={"period": "2025-Q2"})  # another question: computed
    assert other.status_code == 200 and cache.hits == hits + 1
    cache.clear()  # what every change through the server does
    client.get("/team", params={"period": "2025-Q1"})
    assert cache.hits == hits + 1
