"""Remediation data, due dates and the action plan in a real SQLite store."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from workbench.core.errors import ReferentialError
from workbench.core.vocab import ActionStatus, Category, MissionType, Role, Verdict
from workbench.domain.plan import STATE_KEY, GapKind, propose_actions
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Evidence
from workbench.referential.remediation import REMEDIATION_DIR, load_remediation, load_remediation_file
from workbench.services.analysis import load_mission, update_plan

TODAY = dt.date(2026, 11, 21)


# -- remediation data -------------------------------------------------------------------------


def test_every_indicator_of_every_version_has_one_to_three_actions(library):
    for ref in library.versions:
        rem = load_remediation(ref)
        assert [i.number for i in rem.indicators] == [i.number for i in ref.indicators]
        for item in rem.indicators:
            assert 1 <= len(item.actions) <= 3
            for action in item.actions:
                assert isinstance(action.owner, Role)
                assert action.title[0].isupper() and len(action.detail) > 20


def test_fresh_evidence_indicators_are_data(ref2019, ref2026):
    # Results (2, 3), watch (23-25), feedback and improvement (30, 32), CFA governance minutes (20),
    # and in 2026 the learners' evaluation of teaching (33).
    assert set(load_remediation(ref2019).evidence_max_age) == {2, 3, 20, 23, 24, 25, 30, 32}
    assert set(load_remediation(ref2026).evidence_max_age) == {2, 3, 20, 23, 24, 25, 30, 32, 33}


def test_2026_suggestions_cover_what_changed(ref2026):
    rem = load_remediation(ref2026)
    texts = {i.number: " ".join(a.title + " " + a.detail for a in i.actions).lower() for i in rem.indicators}
    assert "trompeuse" in texts[1]
    assert "violences" in texts[12]
    assert "médiateur" in texts[15]
    assert "analyse des risques" in texts[32]
    assert "distincte" in texts[33] or "distinct" in texts[33]


def _copy(tmp_path, ref):
    target = tmp_path / f"{ref.id}.yaml"
    shutil.copy(REMEDIATION_DIR / f"{ref.id}.yaml", target)
    return target, yaml.safe_load(target.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["indicators"].pop(4), "sans suggestion : 5"),
        (lambda d: d["indicators"].append(dict(d["indicators"][0])), "en double : 1"),
        (lambda d: d["indicators"][2].update(extra="x"), "champ inconnu"),
        (lambda d: d["indicators"][2]["actions"][0].update(owner="stagiaire"), "valeur non permise"),
        (lambda d: d["indicators"][3].update(actions=[]), "liste vide"),
        (lambda d: d.update(referential="rnq-2026"), "attendu 'rnq-2019-v9'"),
    ],
    ids=["missing", "duplicate", "unknown-field", "bad-owner", "no-action", "wrong-version"],
)
def test_invalid_remediation_file_is_refused_in_french(tmp_path, ref2019, mutate, message):
    path, data = _copy(tmp_path, ref2019)
    mutate(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReferentialError) as exc:
        load_remediation_file(path, ref2019)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)


# -- due dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "audit", "expected"),
    [
        (GapKind.MAJOR, dt.date(2027, 3, 1), dt.date(2027, 1, 30)),        # A − 30 days
        (GapKind.MINOR, dt.date(2027, 3, 1), dt.date(2027, 2, 14)),        # A − 15 days
        (GapKind.NOT_EVALUATED, dt.date(2027, 3, 1), dt.date(2026, 12, 31)),  # A − 60 days
        (GapKind.STALE, dt.date(2027, 3, 1), dt.date(2027, 2, 14)),
        (GapKind.MAJOR, dt.date(2026, 12, 10), dt.date(2027, 3, 10)),      # too close: A + 3 months
        (GapKind.MINOR, dt.date(2026, 12, 1), dt.date(2027, 6, 1)),        # too close: A + 6 months
        (GapKind.NOT_EVALUATED, dt.date(2027, 1, 5), dt.date(2027, 1, 5)),  # too close: the audit day
        (GapKind.NOT_EVALUATED, dt.date(2026, 10, 1), dt.date(2026, 11, 28)),  # past: never before T + 7
        (GapKind.MAJOR, dt.date(2026, 1, 10), dt.date(2026, 11, 28)),
    ],
)
def test_due_date_rule(kind, audit, expected):
    from workbench.domain.plan import due_date

    assert due_date(kind, audit, TODAY) == expected


# -- plan in the store ------------------------------------------------------------------------


@pytest.fixture
def mission(workspace):
    workspace.store.create_client(ClientProfile(id="organisme-a", name="Organisme A", categories=[Category.AF]))
    m = workspace.new_mission("organisme-a", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 3, 1))
    ref = workspace.library.get(m.referential_id)
    for number, verdict in {1: Verdict.NC_MINEURE, 4: Verdict.NC_MAJEURE, 5: Verdict.CONFORME,
                            6: Verdict.CONFORME, 8: Verdict.NC_MINEURE}.items():
        workspace.store.save_answer(m.id, ref.indicator(number).id, verdict=verdict)
    for n in (2, 9, 10, 11, 12, 17, 18, 19, 21, 22, 23, 24, 25, 26, 31, 32):
        workspace.store.save_answer(m.id, ref.indicator(n).id, verdict=Verdict.CONFORME)
    workspace.store.add_evidence(Evidence(mission_id=m.id, indicator_id=ref.indicator(30).id,
                                          label="Enquête 2024", represents_date=dt.date(2024, 5, 1)))
    return m


def test_proposals_are_ordered_major_minor_unevaluated_stale(workspace, mission):
    data = load_mission(workspace, "organisme-a")
    proposals = propose_actions(data.analysis, data.remediation, data.referential.id, today=TODAY)
    kinds = [p.kind for p in proposals]
    assert kinds == sorted(kinds, key=lambda k: k.priority)
    assert [p.number for p in proposals if p.kind == GapKind.MAJOR] == [4] * len(data.remediation.for_number(4).actions)
    assert {p.number for p in proposals if p.kind == GapKind.MINOR} == {1, 8}
    assert [p.number for p in proposals if p.kind == GapKind.NOT_EVALUATED] == [30]
    # 30 has an old proof; 2, 23-25 and 32 are judged conforme with no dated proof at all.
    assert [p.number for p in proposals if p.kind == GapKind.STALE] == [2, 23, 24, 25, 30, 32]
    major = next(p for p in proposals if p.kind == GapKind.MAJOR)
    assert major.title == data.remediation.for_number(4).actions[0].title
    assert major.owner == data.remediation.for_number(4).actions[0].owner.label
    assert major.due_date == dt.date(2027, 1, 30)


def test_generate_twice_never_duplicates(workspace, mission):
    _, first = update_plan(workspace, "organisme-a", today=TODAY)
    assert first.created and not first.kept
    stored = workspace.store.list_actions(mission.id)
    assert len(stored) == len(first.created)
    assert [a.priority for a in stored] == sorted(a.priority for a in stored)
    _, second = update_plan(workspace, "organisme-a", today=TODAY)
    assert second.created == [] and len(second.kept) == len(first.created)
    assert len(workspace.store.list_actions(mission.id)) == len(stored)
    assert len(workspace.store.get_state(mission.id, STATE_KEY)) == len(stored)


def test_edited_action_is_not_recreated_and_manual_duplicate_is_detected(workspace, mission):
    ref = workspace.library.get(mission.referential_id)
    title = load_remediation(ref).for_number(8).actions[0].title
    manual = workspace.store.add_action(Action(mission_id=mission.id, indicator_id=ref.indicator(8).id,
                                               title=title, owner="Mme Durand"))
    _, result = update_plan(workspace, "organisme-a", today=TODAY)
    assert manual.id in {a.id for a in result.kept}
    first_major = next(a for a in result.created if a.priority == 1)
    workspace.store.update_action(first_major.id, title="Grille d'analyse du besoin (version client)",
                                  status=ActionStatus.EN_COURS)
    _, again = update_plan(workspace, "organisme-a", today=TODAY)
    assert again.created == []
    titles = [a.title for a in workspace.store.list_actions(mission.id)]
    assert titles.count(title) == 1
    assert "Grille d'analyse du besoin (version client)" in titles


def test_severity_change_updates_priority_with_history_and_lists_obsolete(workspace, mission):
    ref = workspace.library.get(mission.referential_id)
    _, first = update_plan(workspace, "organisme-a", today=TODAY)
    minor_on_1 = [a for a in first.created if a.indicator_id == ref.indicator(1).id]
    assert minor_on_1 and all(a.priority == 2 for a in minor_on_1)
    workspace.store.save_answer(mission.id, ref.indicator(1).id, verdict=Verdict.NC_MAJEURE)
    workspace.store.save_answer(mission.id, ref.indicator(8).id, verdict=Verdict.CONFORME)
    _, second = update_plan(workspace, "organisme-a", today=TODAY)
    assert {a.id for a in second.updated} == {a.id for a in minor_on_1}
    assert all(a.priority == 1 and a.due_date == dt.date(2027, 1, 30) for a in second.updated)
    history = workspace.store.history(mission.id, ref.indicator(1).id)
    assert any(h.entity == "action" and h.field == "priority" and h.before == 2 and h.after == 1 for h in history)
    assert {a.indicator_id for a in second.obsolete} == {ref.indicator(8).id}
    assert second.created == []
    assert "mise(s) à jour" in second.summary()
