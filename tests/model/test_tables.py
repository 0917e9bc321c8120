from __future__ import annotations

import pytest

from salescore.model.tables import TABLES, DataType, NotBefore, RequiredWhen, table


def test_every_design_table_is_declared_once() -> None:
    names = [t.name for t in TABLES]
    assert names == [
        "teams", "reps", "customers", "opportunities", "stage_changes", "opportunity_history",
        "activities", "orders",
        "surveys", "peer_reviews", "assists", "trainings", "targets", "fx_rates",
    ]


def test_keys_come_first_and_are_required() -> None:
    for t in TABLES:
        assert t.column_names[: len(t.key)] == t.key, t.name
        for k in t.key:
            assert t.column(k).required, (t.name, k)


def test_references_point_at_declared_keys() -> None:
    for t in TABLES:
        for c in t.columns:
            if c.references:
                target = table(c.references.table)
                assert target.key == (c.references.column,), (t.name, c.name)


def test_money_columns_have_a_currency_beside_them() -> None:
    for t in TABLES:
        if any(c.type is DataType.DECIMAL for c in t.columns):
            assert "currency" in t.column_names, t.name


def test_every_column_is_documented_in_both_languages() -> None:
    for t in TABLES:
        assert t.doc_en and t.doc_zh
        for c in t.columns:
            assert c.doc_en and c.doc_zh, (t.name, c.name)


def test_ranges_and_allowed_values_from_design() -> None:
    assert table("surveys").column("csat").minimum == 1
    assert table("surveys").column("nps").maximum == 10
    assert table("opportunities").column("status").allowed == ("open", "won", "lost")
    assert "social" in table("activities").column("kind").allowed
    assert NotBefore("created_at", "closed_at") in table("opportunities").rules
    assert RequiredWhen("closed_at", "status", ("won", "lost")) in table("opportunities").rules


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="opportunities"):
        table("opportunity")
