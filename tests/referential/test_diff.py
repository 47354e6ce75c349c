"""Version diff 2019/V9 → 2026, overall and for a client's scope."""

from __future__ import annotations

from workbench.core.vocab import Category, ChangeKind, Condition, NCGrading
from workbench.referential.applicability import Scope
from workbench.referential.diff import diff, diff_for_scope

CHANGED_2026 = {1, 2, 3, 7, 12, 14, 15, 19, 20, 27, 30, 31, 32}


def test_full_diff(ref2019, ref2026):
    d = diff(ref2019, ref2026)
    assert [c.number for c in d.added] == [33]
    assert d.added[0].kind == ChangeKind.NEW and d.added[0].summary
    assert d.removed == ()
    assert {c.number for c in d.changed} == CHANGED_2026
    assert {c.number: c.kind for c in d.changed}[31] == ChangeKind.WORDING
    assert set(d.unchanged) == set(range(1, 33)) - CHANGED_2026
    for change in d.changed:
        assert change.summary, change.number
    # The requirement text of a substantive change differs, and the diff says so.
    ind12 = next(c for c in d.changed if c.number == 12)
    assert "requirement" in {f.field for f in ind12.fields}
    payload = d.to_dict()
    assert payload["from"] == "rnq-2019-v9" and payload["to"] == "rnq-2026"


def test_diff_of_same_version_is_empty(ref2026):
    d = diff(ref2026, ref2026)
    assert d.added == () and d.removed == ()
    # Declared change kinds are only trusted between a version and its predecessor.
    assert d.changed == ()


def test_structural_change_detected_without_declaration(ref2019):
    ind4 = ref2019.indicator(4)
    changed = ind4.model_copy(update={"nc": ind4.nc.model_copy(update={"grading": NCGrading.MINOR_OR_MAJOR})})
    other = ref2019.model_copy(update={"indicators": (*ref2019.indicators[:3], changed, *ref2019.indicators[4:])})
    d = diff(ref2019, other)
    assert [c.number for c in d.changed] == [4]
    assert d.changed[0].fields[0].field == "nc.grading"


def test_what_changes_for_a_solo_trainer(ref2019, ref2026):
    d = diff_for_scope(ref2019, ref2026, Scope(categories=frozenset({Category.AF})))
    assert d.added == ()  # 33 is CFA only
    # 3, 7 (certifying), 14, 15, 20 (CFA) and 27 (subcontracting) do not concern a solo trainer.
    assert {c.number for c in d.changed} == {1, 2, 12, 19, 30, 31, 32}


def test_what_changes_for_a_cfa(ref2019, ref2026):
    scope = Scope(categories=frozenset({Category.CFA}), conditions=frozenset({Condition.SUBCONTRACTING}))
    d = diff_for_scope(ref2019, ref2026, scope)
    assert [c.number for c in d.added] == [33]
    assert {c.number for c in d.changed} == CHANGED_2026
