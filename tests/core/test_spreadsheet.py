"""The CSV-injection escape: nothing a spreadsheet runs, and exactly the same text back."""

from __future__ import annotations

import pyarrow as pa

from salescore.core.spreadsheet import TRIGGERS, neutralise, restore
from salescore.ingest.formulas import neutralise_array, restore_array

TEXTS = ['=HYPERLINK("http://x","y")', "+1", "+cmd", "-", "-2+3", "@me", "\tx", "\rx", "'",
         "''", "'=x", "''=x", "'-5", "'plain", "plain", "", "-12.5", "+3", "-1,234.50", "1e-3",
         "-.5", "=", "@", "x=1", "中文=1"]
NUMBERS = ("+1", "-12.5", "+3", "-1,234.50", "-.5")  # a spreadsheet reads these as numbers


def test_no_neutralised_text_starts_with_a_formula_character_unless_it_is_a_number() -> None:
    for text in TEXTS:
        shown = neutralise(text)
        assert not shown[:1] or shown[0] not in TRIGGERS or text in NUMBERS, text
    assert neutralise("-12.5") == "-12.5" and neutralise("+3") == "+3"
    assert neutralise("=1") == "'=1" and neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"
    assert neutralise("'=x") == "''=x" and neutralise("'plain") == "'plain"


def test_restore_undoes_exactly_what_neutralise_did() -> None:
    assert [restore(neutralise(t)) for t in TEXTS] == TEXTS
    # A quote the escape did not add is kept.
    assert restore("'plain") == "'plain" and restore("'") == "'" and restore("'-5") == "-5"


def test_the_arrow_versions_agree_with_the_text_ones() -> None:
    values = pa.array([*TEXTS, None])
    shown = neutralise_array(values)
    assert shown.to_pylist() == [neutralise(t) for t in TEXTS] + [None]
    assert restore_array(shown).to_pylist() == [*TEXTS, None]
    assert neutralise_array(pa.array(["a", "b"])).to_pylist() == ["a", "b"]
