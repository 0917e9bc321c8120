"""Each deal's stage history walks the pipeline in order and ends where the deal stands."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from salescore.demo import DemoData
from salescore.model.org import Pipeline

PIPELINE = Pipeline()
OPEN = PIPELINE.open_stage_names()  # lead, qualified, discovery, proposal, negotiation
ORDER = {name: i for i, name in enumerate(PIPELINE.stage_names())}


def _histories(small: DemoData) -> dict[str, list[tuple[str, datetime]]]:
    changes = small["stage_changes"].to_pydict()
    history: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    for opp, stage, at in zip(changes["opportunity_id"], changes["stage"], changes["entered_at"],
                              strict=True):
        history[opp].append((stage, at))
    for rows in history.values():
        rows.sort(key=lambda row: ORDER[row[0]])
    return history


def test_stage_history_matches_each_opportunity(small: DemoData) -> None:
    history = _histories(small)
    opps = small["opportunities"].to_pydict()
    assert len(history) == len(opps["opportunity_id"])  # every deal has a history, no stray ones
    counts = {"open": 0, "won": 0, "lost": 0}
    for opp, stage, status, created, closed in zip(
            opps["opportunity_id"], opps["stage"], opps["status"], opps["created_at"],
            opps["closed_at"], strict=True):
        rows = history[opp]
        names = [name for name, _ in rows]
        times = [at for _, at in rows]
        assert times == sorted(times), f"{opp}: entered_at goes back in time: {rows}"
        assert rows[0] == ("lead", created), f"{opp}: does not start as a lead when created"
        assert names[-1] == stage, f"{opp}: history ends in {names[-1]}, deal is in {stage}"
        opened = [n for n in names if n in OPEN]
        assert opened == list(OPEN[: len(opened)]), f"{opp}: skips a stage: {names}"
        counts[status] += 1
        match status:
            case "won":
                assert names == [*OPEN, "won"] and times[-1] == closed
            case "lost":
                assert names[-1] == "lost" and "won" not in names and times[-1] == closed
            case "open":
                assert names == opened and closed is None
    assert min(counts.values()) > 0


def test_lost_deals_drop_out_at_every_stage(small_en: DemoData) -> None:
    """Lost deals leave from each open stage, early stages most often."""
    history = _histories(small_en)
    last_open: dict[str, int] = defaultdict(int)
    for rows in history.values():
        names = [n for n, _ in rows]
        if names[-1] == "lost":
            last_open[names[-2]] += 1
    assert set(last_open) == set(OPEN)
    assert last_open["lead"] > last_open["qualified"] > last_open["negotiation"]


def test_some_deals_are_open_at_the_window_end(small: DemoData) -> None:
    status = small["opportunities"].column("status").to_pylist()
    share = status.count("open") / len(status)
    assert 0.06 < share < 0.14
