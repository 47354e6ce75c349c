"""Applicability engine over realistic provider scopes; counts come from the facts files.

referentiel-facts.md §3: 22 common indicators (27 only with subcontracting or portage), specific
ones 3/7/16 (certifying), 13 (alternance), 28 (work periods), 8 (AF, CFA), 14/15/20/29 (CFA);
maxima AF 28, BC 22, VAE 24, CFA 32. §3.3: a solo trainer doing plain AF has 22 indicators.
§4: new-entrant indicators 2, 3, 11, 13, 14, 19, 22, 24, 25, 26, 32. rnq-2026-facts.md §3:
same columns plus 33 for CFA only (CFA 33).
"""

from __future__ import annotations

import pytest

from workbench.core.vocab import Category as C
from workbench.core.vocab import Condition as K
from workbench.referential.applicability import Scope, evaluate

SOLO_AF = {1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 17, 18, 19, 21, 22, 23, 24, 25, 26, 30, 31, 32}
COMMON_NO_27 = {1, 2, 4, 5, 6, 9, 10, 11, 12, 17, 18, 19, 21, 22, 23, 24, 25, 26, 30, 31, 32}
ALL_CONDITIONS = frozenset({K.CERTIFYING, K.ALTERNANCE, K.WORK_PERIODS, K.SUBCONTRACTING})

SCENARIOS = [
    # (name, categories, conditions, count 2019, count 2026, exact set 2019 or None)
    ("formateur indépendant, AF simple", {C.AF}, set(), 22, 22, SOLO_AF),
    # 2026: indicator 12 stays, in part (violence, harassment, discrimination duty).
    ("formateur indépendant, formations courtes", {C.AF}, {K.SHORT_COURSES_ONLY}, 21, 22, SOLO_AF - {12}),
    # Alternance implies periods in a company: 28 applies without the separate flag.
    ("AF en alternance sans case « périodes »", {C.AF}, {K.ALTERNANCE}, 24, 24, SOLO_AF | {13, 28}),
    ("AF certifiante", {C.AF}, {K.CERTIFYING}, 25, 25, SOLO_AF | {3, 7, 16}),
    ("AF certifiante + alternance + stages + sous-traitance", {C.AF}, set(ALL_CONDITIONS), 28, 28, None),
    ("AF avec sous-traitance seulement", {C.AF}, {K.SUBCONTRACTING}, 23, 23, SOLO_AF | {27}),
    ("AF avec périodes en entreprise", {C.AF}, {K.WORK_PERIODS}, 23, 23, SOLO_AF | {28}),
    ("centre de bilans de compétences", {C.BC}, set(), 21, 21, COMMON_NO_27),
    ("centre de bilans qui sous-traite", {C.BC}, {K.SUBCONTRACTING}, 22, 22, COMMON_NO_27 | {27}),
    ("accompagnement VAE", {C.VAE}, set(), 23, 23, COMMON_NO_27 | {3, 16}),
    ("accompagnement VAE en portage", {C.VAE}, {K.SUBCONTRACTING}, 24, 24, None),
    ("CFA sans sous-traitance", {C.CFA}, set(), 31, 32, set(range(1, 33)) - {27}),
    ("CFA avec sous-traitance", {C.CFA}, {K.SUBCONTRACTING}, 32, 33, set(range(1, 33))),
    ("organisme AF + BC certifiant", {C.AF, C.BC}, {K.CERTIFYING}, 25, 25, SOLO_AF | {3, 7, 16}),
    ("organisme AF + CFA", {C.AF, C.CFA}, {K.CERTIFYING, K.ALTERNANCE}, 31, 32, None),
    ("organisme toutes catégories", set(C), set(ALL_CONDITIONS), 32, 33, set(range(1, 33))),
    ("BC + VAE", {C.BC, C.VAE}, set(), 23, 23, COMMON_NO_27 | {3, 16}),
]


@pytest.mark.parametrize(
    "name, cats, conds, n2019, n2026, exact", SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_applicable_counts(ref2019, ref2026, name, cats, conds, n2019, n2026, exact):
    scope = Scope(categories=frozenset(cats), conditions=frozenset(conds))
    got2019 = {a.number for a in evaluate(ref2019, scope) if a.applicable}
    got2026 = {a.number for a in evaluate(ref2026, scope) if a.applicable}
    assert len(got2019) == n2019
    assert len(got2026) == n2026
    if exact is not None:
        assert got2019 == exact
    # Indicators 1-32 apply identically under both versions; only 33 (CFA) is added, and 12
    # for a provider of short courses only (in part: the 2026 duty has no duration limit).
    short_only = K.SHORT_COURSES_ONLY in conds and cats == {C.AF}
    assert got2026 - {33} == got2019 | ({12} if short_only else set())
    assert (33 in got2026) == (C.CFA in cats)


def test_every_indicator_gets_a_result_and_a_reason(ref2026):
    results = evaluate(ref2026, Scope(categories=frozenset({C.BC})))
    assert [r.number for r in results] == list(range(1, 34))
    assert all(r.reason for r in results)


@pytest.mark.parametrize(
    "cats, conds, number, applicable, reason",
    [
        ({C.AF}, set(), 14, False, "Spécifique CFA (apprentissage)"),
        ({C.AF}, set(), 33, False, "Spécifique CFA (apprentissage)"),
        ({C.AF}, set(), 3, False, "Uniquement pour les prestations certifiantes (RNCP / RS)"),
        ({C.AF}, set(), 13, False, "Uniquement pour les formations en alternance"),
        ({C.AF}, set(), 27, False, "Sans objet : pas de sous-traitance ni de portage salarial"),
        ({C.AF}, {K.SHORT_COURSES_ONLY}, 12, True,
         "Indicateur commun : applicable — en partie seulement : seule l'obligation de prévenir"),
        ({C.BC}, set(), 8, False, "Non applicable aux catégories du périmètre (BC) : réservé à AF, CFA"),
        ({C.AF}, {K.CERTIFYING}, 7, True, "Applicable pour AF (prestations certifiantes (RNCP / RS))"),
        ({C.VAE}, set(), 16, True, "Applicable pour VAE"),
        ({C.BC}, set(), 1, True, "Indicateur commun : applicable"),
    ],
)
def test_reasons(ref2026, cats, conds, number, applicable, reason):
    result = evaluate(ref2026, Scope(categories=frozenset(cats), conditions=frozenset(conds)))[number - 1]
    assert result.applicable is applicable
    assert result.reason.startswith(reason), result.reason


def test_short_courses_do_not_remove_12_for_bilans(ref2019):
    scope = Scope(categories=frozenset({C.AF, C.BC}), conditions=frozenset({K.SHORT_COURSES_ONLY}))
    r12 = evaluate(ref2019, scope)[11]
    assert r12.applicable and r12.categories == (C.BC,)


@pytest.mark.parametrize(
    "version, cats, conds, new_entrant, per_category, adapted",
    [
        ("rnq-2019-v9", {C.AF}, set(), True, set(), {2, 11, 19, 22, 24, 25, 26, 32}),
        ("rnq-2019-v9", {C.AF}, {K.CERTIFYING, K.ALTERNANCE}, True, set(),
         {2, 3, 11, 13, 19, 22, 24, 25, 26, 32}),
        ("rnq-2026", {C.CFA}, set(), True, set(), {2, 3, 11, 13, 14, 19, 22, 24, 25, 26, 32}),
        # New entrant only for BC while AF is established: every BC indicator also applies through
        # AF, so none is adapted (the arrangement covers the new category's indicators only).
        ("rnq-2019-v9", {C.AF, C.BC}, {K.CERTIFYING}, False, {C.BC}, set()),
        # Starting VAE next to plain AF: 3 applies through VAE alone, so it is adapted; 2 is not.
        ("rnq-2019-v9", {C.AF, C.VAE}, set(), False, {C.VAE}, {3}),
        # New entrant for both categories: everything adapted, as for a first-year provider.
        ("rnq-2019-v9", {C.AF, C.VAE}, set(), False, {C.AF, C.VAE}, {2, 3, 11, 19, 22, 24, 25, 26, 32}),
        ("rnq-2019-v9", {C.AF}, set(), False, set(), set()),
    ],
)
def test_new_entrant_adapted(library, version, cats, conds, new_entrant, per_category, adapted):
    scope = Scope(categories=frozenset(cats), conditions=frozenset(conds), new_entrant=new_entrant,
                  new_entrant_categories=frozenset(per_category))
    results = evaluate(library.get(version), scope)
    assert {r.number for r in results if r.new_entrant_adapted} == adapted
    for r in results:
        if r.new_entrant_adapted:
            d = r.to_dict()
            assert d["new_entrant_at_initial"] or d["new_entrant_deferred"]


def test_json_shape(ref2026):
    rows = [r.to_dict() for r in evaluate(ref2026, Scope(categories=frozenset({C.CFA})))]
    assert rows[32]["nc_grading"] is None  # 33: grading unknown
    assert rows[3]["nc_grading"] == "major_only"
    assert rows[0]["nc_grading"] == "minor_or_major"
    assert all(isinstance(r["applicable"], bool) and isinstance(r["number"], int) for r in rows)


def test_uncertain_applicability_travels_with_the_result(ref2026):
    scope = Scope(categories=frozenset({C.AF}), conditions=frozenset({K.SHORT_COURSES_ONLY}))
    r12 = evaluate(ref2026, scope)[11]
    assert r12.applicable and r12.partial
    assert r12.uncertain and "2 jours" in r12.uncertain
    assert r12.to_dict()["applicability_uncertain"] == r12.uncertain
    assert r12.to_dict()["partial"] == r12.partial
    assert evaluate(ref2026, scope)[3].to_dict()["applicability_uncertain"] is None
