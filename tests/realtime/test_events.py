"""Events in through the workspace: the same import as a file (per-row errors), idempotent by
key, the newest event of a record winning, and the KPI including it at once."""

from __future__ import annotations

from typing import Any

from salescore.workspace import Workspace


def won(opp: str, at: str, *, stage: str = "won", closed: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"opportunity_id": opp, "stage": stage}
    if stage in ("won", "lost"):
        row["closed_at"] = closed or at
    return {"table": "opportunities", "row": row, "at": at}


def r1_march(ws: Workspace) -> tuple[int, float]:
    row = ws.owner().kpis(["deals_won", "revenue_won"], by="rep", period="2025-03",
                          subjects=["r1"]).to_pylist()[0]
    return row["deals_won"], float(row["revenue_won"])


def test_an_update_a_new_record_and_a_bad_row(workspace: Workspace) -> None:
    assert r1_march(workspace) == (1, 300.0)  # o2 alone
    outcome = workspace.owner().realtime.accept_events({"events": [
        won("o4", "2025-03-25T10:00:00+08:00"),  # r1's open 200 is won: a partial update
        {"table": "opportunities", "at": "2025-03-26T09:00:00+08:00", "row": {
            "opportunity_id": "x1", "customer_id": "c1", "owner_rep_id": "r1",
            "created_at": "2025-03-20T09:00:00+08:00", "stage": "won",
            "closed_at": "2025-03-26T09:00:00+08:00", "amount": "50", "currency": "CNY"}},
        {"table": "opportunities", "row": {
            "opportunity_id": "x2", "customer_id": "c1", "owner_rep_id": "r1",
            "created_at": "2025-03-20T09:00:00+08:00", "stage": "lead", "amount": "abc",
            "currency": "CNY"}},
        {"table": "nope", "row": {"x": 1}},
    ]})
    assert (outcome.received, outcome.accepted, outcome.rejected) == (4, 2, 2)
    assert (outcome.inserted, outcome.updated) == (1, 1)
    bad = {e.index: e for e in outcome.errors}
    assert bad[2].column == "amount" and bad[2].value == "abc"
    assert bad[3].column == "table"
    assert r1_march(workspace) == (3, 550.0)
    # The import runs record the events as any import.
    runs = workspace.owner().import_runs()
    assert {r.source for r in runs} == {"events"}


def test_delivered_twice_counts_once_and_the_newest_wins(workspace: Workspace) -> None:
    rt = workspace.owner().realtime
    event = won("o4", "2025-03-25T10:00:00+08:00")
    first = rt.accept_events([event])
    again = rt.accept_events([event])
    assert (first.accepted, again.accepted, again.duplicate) == (1, 0, 1)
    assert r1_march(workspace) == (2, 500.0)
    # An older state of o4 arriving late (lost, a day earlier) does not undo the newer one.
    late = rt.accept_events([won("o4", "2025-03-24T10:00:00+08:00", stage="lost")])
    assert (late.accepted, late.stale) == (0, 1)
    assert r1_march(workspace) == (2, 500.0)
    # In one batch, out of order: the newest (won on the 27th) is applied, the older folded.
    both = rt.accept_events([won("o4", "2025-03-27T10:00:00+08:00"),
                             won("o4", "2025-03-26T10:00:00+08:00", stage="proposal")])
    assert (both.accepted, both.superseded) == (1, 1)
    assert r1_march(workspace) == (2, 500.0)


def test_a_partial_update_of_a_record_not_stored_is_an_error(workspace: Workspace) -> None:
    outcome = workspace.owner().realtime.accept_events([won("zz", "2025-03-25T10:00:00Z")])
    assert outcome.accepted == 0
    assert "not stored" in outcome.errors[0].reason.en


def test_the_quality_report_follows_events_on_the_schedule(workspace: Workspace) -> None:
    rt = workspace.owner().realtime
    rt.accept_events([won("o4", "2025-03-25T10:00:00+08:00")])
    assert workspace.owner().saved_quality() is None  # not made for each batch
    rt.tick()
    assert workspace.owner().saved_quality() is not None
