"""Issue 10: the referential corrections from the domain review, one test per fix.

Sources: V9 guide (preamble on new entrants and subcontracting, note under 28, glossary under
18), the 2026 annex as reported in rnq-2026-facts.md, the arrêté of 31 May 2023 on the
certificate display (referentiel-facts.md §5).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import run_cli, seed_mission
from workbench.apps.interview.model import InterviewModel
from workbench.core.errors import ProfileError
from workbench.core.vocab import Category as C
from workbench.core.vocab import Condition as K
from workbench.domain.profile import profile_from_data
from workbench.domain.templates import load_template, profile_from_template
from workbench.referential.applicability import Scope, evaluate
from workbench.referential.grids import GridKind, default_grids

SHORT_AF = Scope(categories=frozenset({C.AF}), conditions=frozenset({K.SHORT_COURSES_ONLY}))


# -- 1. alternance implies periods in a company ------------------------------------------------

@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
def test_alternance_without_the_work_periods_flag_keeps_28(library, version):
    scope = Scope(categories=frozenset({C.AF}), conditions=frozenset({K.ALTERNANCE}))
    assert K.WORK_PERIODS in scope.conditions
    r28 = evaluate(library.get(version), scope)[27]
    assert r28.applicable and r28.categories == (C.AF,)


def test_short_courses_and_alternance_are_refused_with_a_french_message():
    with pytest.raises(ValueError, match="situations incompatibles"):
        Scope(categories=frozenset({C.AF}), conditions=frozenset({K.ALTERNANCE, K.SHORT_COURSES_ONLY}))
    with pytest.raises(ProfileError, match="alternance"):
        profile_from_data({"id": "x", "name": "X", "categories": ["AF"],
                                 "conditions": ["alternance", "short_courses_only"]})
    r = run_cli("referentiel", "applicable", "--version", "rnq-2026", "--categories", "AF",
                "--alternance", "--short-courses-only")
    assert r.code == 2 and "Situations incompatibles" in r.err and "Traceback" not in r.err


# -- 2. 2026, indicator 12 and short courses ---------------------------------------------------

def test_2026_short_courses_keep_the_violence_part_of_12(ref2019, ref2026):
    assert not evaluate(ref2019, SHORT_AF)[11].applicable
    r12 = evaluate(ref2026, SHORT_AF)[11]
    assert r12.applicable and "violences" in r12.partial and "2 jours" in r12.partial
    assert "en partie seulement" in r12.reason
    # A provider that also runs bilans gets the whole indicator through BC.
    both = Scope(categories=frozenset({C.AF, C.BC}), conditions=frozenset({K.SHORT_COURSES_ONLY}))
    assert evaluate(ref2026, both)[11].partial is None
    assert "aucune limite de durée" in ref2026.indicator(12).applicability.note


def test_interview_asks_the_2026_duty_to_a_short_courses_provider(workspace):
    profile = profile_from_template(load_template("formateur-independant"), "solo-court", "Solo court")
    mission = seed_mission(workspace, profile, audit_date=dt.date(2026, 12, 1))
    model = InterviewModel(workspace, mission.id)
    entry = model.entry_by_number(12)
    assert entry.applicable
    asked = [q.id for q in entry.questions]
    assert "dispositif-violences" in asked and "contact-signalement" in asked
    assert "procedure-abandon" not in asked and "duree-formations" not in asked
    # The full grid still holds every question for other providers.
    full = default_grids().for_referential("rnq-2026", GridKind.FULL).entry(entry.id)
    assert "procedure-abandon" in [q.id for q in full.questions]


# -- 3. indicator 27: CPF subcontracting as the texts say it -----------------------------------

@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
def test_27_states_the_cpf_rules_with_their_exemptions(library, version):
    ind = library.get(version).indicator(27)
    rules = " ".join(ind.specific_rules)
    for item in ("R.6333-6-2", "sanction", "conditions de réalisation et de suivi", "montant",
                 "sauf exemptions", "micro-entrepreneur", "interventions partielles", "80 %"):
        assert item in rules, item
    assert "sous-traitant lui-même certifié ;" not in rules  # no longer an absolute
    assert any("Légifrance" in u for u in ind.uncertain)


# -- 4. new entrants: 22, 26 and 32 are adapted like the others --------------------------------

@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
@pytest.mark.parametrize("number", [22, 26, 32])
def test_new_entrant_formalisation_checked_at_initial(library, version, number):
    ne = library.get(version).indicator(number).new_entrant
    assert ne.adapted and not ne.deferred_entirely
    assert "formalis" in ne.at_initial and "Rien" not in ne.at_initial
    assert "surveillance" in ne.deferred and "Aucun report" not in ne.deferred


# -- 5. certificate display: a rule, not a practice --------------------------------------------

@pytest.mark.parametrize("grid_id", ["surveillance-rnq-2019-v9", "surveillance-rnq-2026"])
def test_certificate_display_is_a_major_nc_by_rule(grid_id):
    grid = default_grids().get(grid_id)
    q = next(q for e in grid.indicators.values() for q in e.questions if q.id == "affichage-certificat")
    assert "NC majeure" in q.help and "arrêté" in q.help
    assert "incertain" not in q.help.lower() and "en pratique" not in q.help


# -- 6. 2026 indicator 7: the decree's meaning, the interpretation marked ---------------------

def test_2026_indicator_7_keeps_the_decree_meaning(ref2026):
    ind = ref2026.indicator(7)
    assert "dispenser cette certification" in ind.requirement
    assert "organisme habilité" in ind.requirement
    assert "présenter les candidats" not in ind.requirement
    assert ind.change.uncertain and ind.change.uncertain.startswith("Interprétation")


# -- 7. NC grading under 2026 ------------------------------------------------------------------

def test_2026_grading_source_recorded(ref2026):
    assert "article 5 de l'arrêté du 6 juin 2019" in ref2026.status_note
    n33 = ref2026.indicator(33).nc
    assert n33.grading.value == "unknown" and "gradable par défaut" in n33.uncertain
    assert all("provisoire, faute de guide V10" not in (i.nc.note or "") for i in ref2026.indicators)


# -- 8. texts -----------------------------------------------------------------------------------

def test_new_entrant_template_counts_the_adapted_indicators_that_apply(ref2019):
    template = load_template("nouvel-entrant")
    profile = profile_from_template(template, "neuf", "Neuf")
    adapted = sorted(a.number for a in evaluate(ref2019, profile.scope()) if a.new_entrant_adapted)
    assert adapted == [2, 11, 19, 22, 24, 25, 26, 32]
    assert "huit" in template.description and "2, 11, 19, 22, 24, 25, 26" in template.description


@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
def test_indicator_1_is_dated_and_21_counts_subcontractors(library, version):
    ref = library.get(version)
    assert "datée" in ref.indicator(1).expected_level
    i21 = ref.indicator(21)
    assert not i21.uncertain and "glossaire du guide V9" in i21.expected_level


# -- 9. CLI table: « Critère » then « Intitulé » -------------------------------------------------

def test_applicable_table_columns_in_the_right_order(tmp_path):
    r = run_cli("referentiel", "applicable", "--version", "rnq-2026", "--categories", "AF",
                workspace=tmp_path)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    header = next(line for line in lines if line.startswith("N°"))
    assert header.index("Critère") < header.index("Intitulé")
    row = next(line for line in lines if line.startswith("1 "))
    cells = row.split()
    assert cells[:3] == ["1", "1", "Information"], row
