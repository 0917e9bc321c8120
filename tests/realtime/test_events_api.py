"""POST /api/v1/events for each role: only the writable scope (admin) may send events."""

from __future__ import annotations

import pytest
from tests.app.conftest import Server

BATCH = {"events": [
    {"table": "opportunities", "at": "2025-03-25T10:00:00+08:00",
     "row": {"opportunity_id": "o4", "stage": "won", "closed_at": "2025-03-25T10:00:00+08:00"}},
    {"table": "opportunities", "row": {"opportunity_id": "o5", "amount": "lots"}},
]}


@pytest.mark.parametrize(("role", "status"), [
    ("anonymous", 401), ("rep", 403), ("manager", 403), ("executive", 403)])
def test_only_the_writable_scope_sends_events(server: Server, role: str, status: int) -> None:
    answer = server.client.post("/api/v1/events", json=BATCH, headers=server.headers(role))
    assert answer.status_code == status


def test_admin_sends_a_batch_with_a_per_row_error(server: Server) -> None:
    answer = server.client.post("/api/v1/events", json=BATCH, headers=server.headers("admin"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["received"], body["accepted"], body["updated"], body["rejected"]) == (2, 1, 1, 1)
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["column"] == "amount"
    # The KPI read a moment later includes it: r1 won o2 (300) and now o4 (200) in March.
    kpis = server.client.get("/api/v1/kpis/values", params={
        "kpis": "revenue_won", "by": "rep", "period": "2025-03"},
        headers=server.headers("admin"))
    assert kpis.status_code == 200, kpis.text
    r1 = [row for row in kpis.json()["items"] if row["subject"] == "r1"]
    assert float(r1[0]["values"]["revenue_won"]) == 500.0, r1
    again = server.client.post("/api/v1/events", json=BATCH, headers=server.headers("admin"))
    assert again.json()["duplicate"] == 1 and again.json()["accepted"] == 0
