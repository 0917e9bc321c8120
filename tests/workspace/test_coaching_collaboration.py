"""Review cycles and kudos land in the warehouse exactly as the same rows imported from a file.

Two data folders hold the ``KPIS`` organisation (``tests/tiny_org.py``: T1 is r1, r2, r3; T2
is r4, r5; T2X is r6) and plan ``collab``. In the first, sam (manager of T1) opens a 2025-Q1
cycle; rita (r1) reviews r2 (collaboration 5, communication 4), r3 (3, 2) and herself (5, 5),
and sam reviews r1 (4, 4); rita thanks r4 for a joint visit on 2025-03-10 and otto (r4) thanks
r1 for a referral on 2025-02-14. In the second, the two peer reviews and the two assists are
imported from CSV files. A self review and the review by sam (no rep of the warehouse) stay
in the app store.

Worked by hand, 2025-Q1 (before: ``PEER_REVIEWS`` p1 r2→r1 4, p2 r3→r1 2; ``ASSISTS`` x1
r2→r1 referral 3 points, x2 r4→r1 joint visit 2 points, cross-team):

* peer_collaboration_score: r1 (4 + 2) / 2 = 3 (unchanged), r2 5, r3 3;
* assist_points: r1 3, r2 3, r4 2 + 2 = 4; cross_team_assists: r1 1, r4 2;
* collaboration credit (1 per assist point, 2 per cross-team assist, cap 10): r1 3 + 2 = 5,
  r2 3, r4 4 + 4 = 8.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.tiny_org import KPIS, L

from salescore.core.access import Principal
from salescore.ingest import ImportOptions
from salescore.workspace import Workspace

PLAN = """\
name: collab
title: {en: Collaboration, zh: 协作}
grain: quarter
lines:
  - kpi: revenue_won
    weight: 0.5
    target: {source: fixed, value: 1000}
    scoring: {method: linear, floor: 0, cap: 1.5}
  - kpi: peer_collaboration_score
    weight: 0.5
    target: {source: fixed, value: 4}
    scoring: {method: linear, floor: 0, cap: 1.25}
collaboration:
  points_per_assist_point: 1
  points_per_cross_team_assist: 2
  cap: 10
ratings:
  - {label: A, min: 100}
  - {label: B}
"""
TODAY = date(2025, 5, 6)
NOW = datetime(2025, 5, 6, 2, 0)  # given after the quarter: dated at noon on 31 March
SAM = Principal(3, "sam", "Sam", "en", "manager", team_id="T1")
RITA = Principal(1, "rita", "Rita", "en", "rep", rep_id="r1")
OTTO = Principal(2, "otto", "Otto", "en", "rep", rep_id="r4")
MIA = Principal(4, "mia", "Mia", "en", "manager", team_id="T2")


def _home(home: Path) -> Workspace:
    ws = Workspace.init(home, KPIS.settings)
    KPIS.load(ws._warehouse)
    ws.owner().adopt_plan(text=PLAN, effective_from=L(2025, 1, 1).date(), actor="test")
    cli = ws.accounts.owner()
    for p in (RITA, OTTO, SAM, MIA):
        ws.accounts.add_user(cli, username=p.username, password="correct horse battery",
                             role=p.role, rep_id=p.rep_id, team_id=p.team_id)
    return ws


def _me(ws: Workspace, who: Principal) -> tuple[Any, Principal]:
    return ws.session(who.scope()).coaching, who


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    entered = _home(tmp_path_factory.mktemp("entered"))
    imported = _home(tmp_path_factory.mktemp("imported"))
    before = _scores(entered)
    coaching, sam = _me(entered, SAM)
    cycle = coaching.reviews.create_cycle(sam, "Q1 360", "2025-Q1")
    mine, rita = _me(entered, RITA)
    todo = {(r.kind, r.reviewee_rep_id or r.reviewee): r.id
            for r in mine.reviews.reviews(rita, to_give=True)}
    answers = {("peer", "r2"): (5, 4), ("peer", "r3"): (3, 2), ("self", "r1"): (5, 5)}
    given = {key: mine.reviews.answer(rita, todo[key], *score, comment="ok", now=NOW)
             for key, score in answers.items()}
    by_sam = {(r.kind, r.reviewee_rep_id): r.id
              for r in coaching.reviews.reviews(sam, to_give=True)}
    coaching.reviews.answer(sam, by_sam[("manager", "r1")], 4, 4, now=NOW)
    kudos = [mine.kudos.give(rita, "r4", "joint_visit", "Thanks for coming along to C1",
                             opportunity_id="o2", occurred_on=date(2025, 3, 10), today=TODAY)]
    theirs, otto = _me(entered, OTTO)
    kudos.append(theirs.kudos.give(otto, "r1", "referral", "Thanks for the lead",
                                   occurred_on=date(2025, 2, 14), today=TODAY))

    folder = tmp_path_factory.mktemp("files")
    reviews = folder / "reviews.csv"
    reviews.write_text(
        "review_id,reviewer_rep_id,reviewee_rep_id,reviewed_at,collaboration,communication,"
        "comment\n"
        f"{given['peer', 'r2'].review_id},r1,r2,2025-03-31 04:00:00,5,4,ok\n"
        f"{given['peer', 'r3'].review_id},r1,r3,2025-03-31 04:00:00,3,2,ok\n")
    assists = folder / "assists.csv"
    assists.write_text(
        "assist_id,helper_rep_id,helped_rep_id,opportunity_id,occurred_at,kind,points\n"
        f"{kudos[0].assist_id},r4,r1,o2,2025-03-10 04:00:00,joint_visit,2\n"
        f"{kudos[1].assist_id},r1,r4,,2025-02-14 04:00:00,referral,3\n")
    owner = imported.owner()
    utc = ImportOptions(timezone="UTC")
    for table, path in (("peer_reviews", reviews), ("assists", assists)):
        assert owner.import_file(table, path, options=utc).inserted == 2
    yield {"entered": entered, "imported": imported, "cycle": cycle, "given": given,
           "kudos": kudos, "before": before, "todo": todo}
    entered.close()
    imported.close()


def _scores(ws: Workspace) -> dict[str, Any]:
    owner = ws.owner()
    kpis = owner.kpis(["peer_collaboration_score", "assist_points", "cross_team_assists"],
                      period="2025-Q1").to_pylist()
    owner.score("2025-Q1", "collab")
    scores = {s.subject_id: (s.score, dict(s.breakdown or {}))
              for s in owner.stored_scores("2025-Q1", "collab") if s.subject_kind == "rep"}
    rows = owner.runner.rows(_table("peer_reviews")) + owner.runner.rows(_table("assists"))
    return {"kpis": {r["rep_id"]: r for r in kpis}, "scores": scores,
            "rows": sorted((sorted(r.items()) for r in rows), key=str)}


def _table(name: str) -> Any:
    from salescore.workspace.session import unbound

    return unbound(name)


def test_entered_and_imported_rows_score_the_same(both: dict[str, Any]) -> None:
    entered, imported = _scores(both["entered"]), _scores(both["imported"])
    assert entered["rows"] == imported["rows"]
    assert entered["kpis"] == imported["kpis"]
    assert entered["scores"] == imported["scores"]
    assert entered["scores"] != both["before"]["scores"]


def test_the_figures_worked_by_hand(both: dict[str, Any]) -> None:
    got = _scores(both["entered"])
    kpis = {rep: (r["peer_collaboration_score"], r["assist_points"], r["cross_team_assists"])
            for rep, r in got["kpis"].items()}
    assert kpis["r1"] == (3.0, 3.0, 1)
    assert kpis["r2"][:2] == (5.0, 3.0)
    assert kpis["r3"][0] == 3.0
    assert kpis["r4"][1:] == (4.0, 2)
    credits = {rep: breakdown.get("credit") for rep, (_, breakdown) in got["scores"].items()}
    assert (credits["r1"], credits["r2"], credits["r4"]) == (5.0, 3.0, 8.0)
    before = {rep: r["peer_collaboration_score"] for rep, r in both["before"]["kpis"].items()}
    assert before.get("r2") is None


def test_self_and_non_rep_reviews_stay_in_the_app_store(both: dict[str, Any]) -> None:
    given = both["given"]
    assert given["self", "r1"].review_id is None
    assert given["peer", "r2"].review_id == f"rc{both['cycle'].id}-{given['peer', 'r2'].id}"
    ids = {r["review_id"] for r in both["entered"].owner().runner.rows(_table("peer_reviews"))}
    assert ids == {"p1", "p2", given["peer", "r2"].review_id, given["peer", "r3"].review_id}


def test_the_cycle_lists_who_reviews_whom(both: dict[str, Any]) -> None:
    # T1's reps with an account: rita (r1) alone. She reviews herself, r2 and r3 and, upward,
    # sam; sam reviews r1, r2 and r3. Nobody in T2 takes part.
    assert sorted(both["todo"]) == [("peer", "r2"), ("peer", "r3"), ("self", "r1"),
                                    ("upward", "sam")]
    assert (both["cycle"].reviews, both["cycle"].kinds) == (
        7, ("self", "peer", "manager", "upward"))


def test_answering_again_updates_the_row(both: dict[str, Any]) -> None:
    ws = both["entered"]
    mine, rita = _me(ws, RITA)
    review = both["given"]["peer", "r3"]
    mine.reviews.answer(rita, review.id, 3, 2, comment="ok", now=NOW)  # the same: no change
    rows = [r for r in ws.owner().runner.rows(_table("peer_reviews"))
            if r["review_id"] == review.review_id]
    assert [(r["collaboration"], r["communication"]) for r in rows] == [(3, 2)]


def test_kudos_confirm_an_assist_without_counting_it_twice(both: dict[str, Any]) -> None:
    ws = both["entered"]
    mine, rita = _me(ws, RITA)
    before = len(ws.owner().runner.rows(_table("assists")))
    confirmed = mine.kudos.give(rita, "r2", "referral", "Thanks for x1", assist_id="x1",
                                today=TODAY)
    assert (confirmed.confirmed, confirmed.assist_id, confirmed.points) == (True, "x1", None)
    assert confirmed.occurred_on == date(2025, 1, 20)
    assert len(ws.owner().runner.rows(_table("assists"))) == before
