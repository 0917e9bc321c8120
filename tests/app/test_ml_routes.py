"""``/api/v1/forecast`` and ``/api/v1/predict/win`` for every role, on the tiny organisation
(one quarter of history: the baselines are shown, "not enough data" said): status and which
rows come back."""

from __future__ import annotations

import pytest
from tests.app.conftest import ALL_REPS, Server

AS_OF = "2025-03-31"
WIN_OWNERS = {"admin": {"r1", "r4", "r5"}, "executive": {"r1", "r4", "r5"},
              "manager": {"r4", "r5"}, "sibling_manager": {"r1"}, "rep": {"r1"},
              "other_rep": {"r4"}}


@pytest.mark.parametrize("role", ["anonymous", *WIN_OWNERS])
def test_win_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/predict/win", params={"as_of": AS_OF},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["enough"] is False and body["metrics"] is None
    assert {p["owner_rep_id"] for p in body["predictions"]} == WIN_OWNERS[role]
    assert all(p["probability"] == p["baseline"] for p in body["predictions"])


@pytest.mark.parametrize("role", ["anonymous", "rep", "manager", "admin"])
def test_forecast_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/forecast", params={"as_of": AS_OF, "by": "rep",
                                                          "horizon": 2},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["ahead"] == ["2025-03", "2025-04"] and body["enough"] is False
    reps = {s["key"] for s in body["series"]}
    assert reps == {"rep": {"r1"}, "manager": {"r4", "r5", "r6"}, "admin": ALL_REPS}[role]
    assert all(not s["enough"] and s["accuracy"] is None for s in body["series"])


def test_a_rep_cannot_ask_for_another_reps_deals(server: Server) -> None:
    got = server.client.get("/api/v1/predict/win", params={"as_of": AS_OF, "rep": "r4"},
                            headers=server.headers("rep"))
    assert got.status_code in (403, 404)


ATTAINMENT_REPS = {"admin": ALL_REPS, "manager": {"r4", "r5", "r6"}, "rep": {"r1"}}


@pytest.mark.parametrize("role", ["anonymous", *ATTAINMENT_REPS])
def test_attainment_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/predict/attainment", params={"as_of": AS_OF},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["period"] == "2025-Q1" and body["enough"] is False
    reps = {r["rep_id"]: r for r in body["reps"]}
    assert set(reps) <= ATTAINMENT_REPS[role] and set(reps) & ATTAINMENT_REPS[role]
    assert all(r["low"] is None for r in body["reps"])
    if "r1" in reps:
        assert reps["r1"]["target"] == 800.0


@pytest.mark.parametrize("role", ["anonymous", *ATTAINMENT_REPS])
def test_recommend_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/recommend", params={"as_of": AS_OF},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["enough"] is False
    reps = {r["rep_id"] for r in body["reps"]}
    assert reps and reps <= ATTAINMENT_REPS[role]
    for r in body["reps"]:
        assert all(a["kind"] in ("stale_deal", "quiet_customer") for a in r["actions"])


def test_a_rep_cannot_ask_for_another_reps_actions(server: Server) -> None:
    got = server.client.get("/api/v1/recommend", params={"as_of": AS_OF, "rep": "r4"},
                            headers=server.headers("rep"))
    assert got.status_code in (403, 404)


@pytest.mark.parametrize("role", ["anonymous", *ATTAINMENT_REPS])
def test_recommended_targets_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/targets/recommend", params={"as_of": AS_OF},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["period"] == "2025-Q2" and body["enough"] is False
    reps = {r["rep_id"] for r in body["rows"]}
    assert reps and reps <= ATTAINMENT_REPS[role]


def test_a_manager_accepts_the_teams_targets_and_a_rep_may_not(server: Server) -> None:
    body = {"period": "2025-Q2", "team": "T2"}
    refused = server.client.post("/api/v1/targets/recommend/accept", params={"as_of": AS_OF},
                                 json=body, headers=server.headers("rep"))
    assert refused.status_code in (403, 404), refused.text
    other = server.client.post("/api/v1/targets/recommend/accept", params={"as_of": AS_OF},
                               json={"period": "2025-Q2", "rep": "r1"},
                               headers=server.headers("manager"))
    assert other.status_code in (403, 404, 422), other.text
    got = server.client.post("/api/v1/targets/recommend/accept", params={"as_of": AS_OF},
                             json=body, headers=server.headers("manager"))
    assert got.status_code == 200, got.text
    accepted = got.json()
    assert accepted["reps"] and set(accepted["reps"]) <= {"r4", "r5", "r6"}
    rows = server.client.get("/api/v1/targets", params={"period": "2025-Q2", "scope": "rep"},
                             headers=server.headers("admin")).json()["items"]
    written = {r["scope_id"]: r["value"] for r in rows if r["kpi"] == "revenue_won"}
    for rep, value in zip(accepted["reps"], accepted["values"], strict=True):
        assert written[rep] == pytest.approx(value)
    audit = server.client.get("/api/v1/audit", headers=server.headers("admin"))
    if audit.status_code == 200:
        assert "target.set" in audit.text


@pytest.mark.parametrize("role", ["anonymous", *ATTAINMENT_REPS])
def test_customers_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/predict/customers", params={"as_of": AS_OF},
                            headers=server.headers(role))
    if role == "anonymous":
        assert got.status_code == 401
        return
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["enough"] is False
    assert {c["owner_rep_id"] for c in body["customers"]} <= ATTAINMENT_REPS[role]


@pytest.mark.parametrize("role", ["anonymous", "rep", "manager", "executive", "admin"])
def test_models_per_role(server: Server, role: str) -> None:
    got = server.client.get("/api/v1/models", headers=server.headers(role))
    expected = {"anonymous": 401, "rep": 403, "manager": 403}.get(role, 200)
    assert got.status_code == expected, got.text
    if expected == 200:
        assert isinstance(got.json(), list)
