"""Client templates: every archetype loads, yields a valid profile and the right indicators.

Expected indicator sets are derived here from the reference facts (referentiel-facts.md §3),
independently of the referential YAML files, so a wrong applicability rule or a wrong template
both make these tests fail.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.core.errors import ProfileError, UsageError
from workbench.domain.profile import ClientProfile
from workbench.domain.templates import (
    TEMPLATES_DIR,
    Template,
    list_templates,
    load_template,
    load_template_file,
    profile_from_template,
)
from workbench.referential.applicability import evaluate

EXPECTED_NAMES = {
    "formateur-independant", "organisme-multi-activites", "cfa", "centre-bilans", "accompagnement-vae",
    "reseau-multi-sites", "nouvel-entrant",
}

# Facts §3.1/§3.2. Indicators common to every category, without 27 (27 is common but only applies
# with subcontracting or portage): 21 indicators. Ind. 12 applies to AF only beyond 2-day courses.
COMMON_NO_27 = {1, 2, 4, 5, 6, 9, 10, 11, 12, 17, 18, 19, 21, 22, 23, 24, 25, 26, 30, 31, 32}
# Plain AF adds entry positioning (8): the 22-indicator "solo" list of §3.1/§3.3.
AF_PLAIN = COMMON_NO_27 | {8}
CERTIFYING = {3, 7, 16}  # AF: only for RNCP/RS courses
ALTERNANCE = {13}
WORK_PERIODS = {28}
SUBCONTRACTING = {27}
CFA_ONLY_2019 = {14, 15, 20, 29}
# §10: the 2026 referential keeps the applicability of 1–32 and adds 33, for apprenticeship only.
CFA_ONLY_2026_EXTRA = {33}

EXPECTED_2019 = {
    # AF only, courses of 2 days or less: the solo list minus 12 → 21.
    "formateur-independant": AF_PLAIN - {12},
    # AF + BC, certifying, alternance, work periods, subcontracting: every AF indicator (28);
    # BC adds nothing since all its indicators are common ones.
    "organisme-multi-activites": AF_PLAIN | CERTIFYING | ALTERNANCE | WORK_PERIODS | SUBCONTRACTING,
    # CFA + AF without subcontracting: all 32 but 27 → 31.
    "cfa": set(range(1, 33)) - {27},
    # BC: the 22 common indicators, minus 27 without subcontracting → 21 (8 is AF/CFA only).
    "centre-bilans": COMMON_NO_27,
    # VAE: common ones + 3 and 16 (certification) = 24 with 27, 23 without subcontracting.
    "accompagnement-vae": COMMON_NO_27 | {3, 16},
    # AF, certifying, subcontracting: 22 + 3 + 1 = 26.
    "reseau-multi-sites": AF_PLAIN | CERTIFYING | SUBCONTRACTING,
    # Plain AF, new entrant: the 22-indicator list.
    "nouvel-entrant": AF_PLAIN,
}
EXPECTED_COUNTS = {  # written out to make the arithmetic above checkable at a glance
    "formateur-independant": 21, "organisme-multi-activites": 28, "cfa": 31, "centre-bilans": 21,
    "accompagnement-vae": 23, "reseau-multi-sites": 26, "nouvel-entrant": 22,
}


def expected_2026(name: str) -> set[int]:
    profile = load_template(name).profile
    cats = set(profile.categories)
    # 2026: indicator 12's violence and discrimination duty has no duration limit, so a provider
    # of short courses only keeps 12 (in part).
    short_only = cats == {"AF"} and "short_courses_only" in set(profile.conditions)
    return EXPECTED_2019[name] | (CFA_ONLY_2026_EXTRA if "CFA" in cats else set()) | ({12} if short_only else set())


def applicable_numbers(ref, profile: ClientProfile) -> set[int]:
    return {a.number for a in evaluate(ref, profile.scope()) if a.applicable}


def test_expected_sets_match_written_counts():
    assert {k: len(v) for k, v in EXPECTED_2019.items()} == EXPECTED_COUNTS
    assert CFA_ONLY_2019 <= EXPECTED_2019["cfa"]


def test_all_archetypes_present():
    templates = list_templates()
    assert {t.name for t in templates} == EXPECTED_NAMES
    assert {p.stem for p in TEMPLATES_DIR.glob("*.yaml")} == EXPECTED_NAMES
    for t in templates:
        assert isinstance(t, Template)
        assert len(t.title) > 3 and len(t.description) > 40
        assert t.to_complete, f"{t.name}: no hint of what to check"


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_template_yields_valid_profile_and_expected_indicators(name, ref2019, ref2026):
    template = load_template(name)
    profile = profile_from_template(template, f"client-{name}", "Organisme fictif", siret="73282932000074",
                                    consultant="Alice Conseil")
    assert isinstance(profile, ClientProfile)
    assert profile.id == f"client-{name}" and profile.template == name
    assert profile.siret == "73282932000074" and profile.consultant == "Alice Conseil"
    assert applicable_numbers(ref2019, profile) == EXPECTED_2019[name]
    assert len(applicable_numbers(ref2019, profile)) == EXPECTED_COUNTS[name]
    assert applicable_numbers(ref2026, profile) == expected_2026(name)


def test_counts_2026(ref2026):
    counts = {n: len(applicable_numbers(ref2026, profile_from_template(load_template(n), "x", "X")))
              for n in EXPECTED_NAMES}
    # The CFA gains indicator 33 (apprenticeship only) in 2026; the provider of short courses
    # only gains 12 in part (the violence and discrimination duty has no duration limit).
    assert counts == EXPECTED_COUNTS | {"cfa": 32, "formateur-independant": 22}


def test_archetype_specifics(ref2019):
    indep = profile_from_template(load_template("formateur-independant"), "solo", "Solo")
    twelve = next(a for a in evaluate(ref2019, indep.scope()) if a.number == 12)
    assert not twelve.applicable and "2 jours" in twelve.reason
    assert indep.trainers == 1 and indep.employees == 0

    ne = profile_from_template(load_template("nouvel-entrant"), "neuf", "Neuf")
    assert ne.new_entrant.all_categories
    # Facts §4: adapted indicators 2, 3, 11, 13, 14, 19, 22, 24, 25, 26, 32; among the 22 that
    # apply to plain AF, 3, 13 and 14 do not → 8 adapted.
    adapted = {a.number for a in evaluate(ref2019, ne.scope()) if a.new_entrant_adapted}
    assert adapted == {2, 11, 19, 22, 24, 25, 26, 32}

    multi = load_template("organisme-multi-activites")
    assert multi.profile.funding is not None
    cfa = load_template("cfa")
    assert set(cfa.profile.categories) == {"CFA", "AF"}


def test_overrides_and_identity_fields():
    t = load_template("centre-bilans")
    p = profile_from_template(t, "bilans-nord", "Bilans Nord", nda="31590123456", trainers=5, siret=None)
    assert p.nda == "31590123456" and p.trainers == 5 and p.siret is None
    assert p.name == "Bilans Nord"
    # the id and the template name cannot be overridden by mistake
    p2 = profile_from_template(t, "bilans-sud", "Bilans Sud", id="autre")
    assert p2.id == "bilans-sud" and p2.template == "centre-bilans"
    with pytest.raises(ProfileError) as err:
        profile_from_template(t, "bilans-nord", "Bilans Nord", siret="73282932000075")
    assert err.value.field == "siret" and "clé de contrôle" in err.value.message
    with pytest.raises(ProfileError) as err:
        profile_from_template(t, "bilans-nord", "Bilans Nord", conditions=["inconnue"])
    assert err.value.field == "conditions.0"


def test_remaining_fields_include_sites_for_networks():
    t = load_template("reseau-multi-sites")
    p = profile_from_template(t, "reseau", "Réseau")
    remaining = t.remaining(p)
    assert "SIRET" in remaining
    assert any(item.startswith("sites (au moins 2") for item in remaining)
    site = {"name": "Lyon", "address": {"street": "1 rue A", "postal_code": "69001", "city": "Lyon"}}
    p2 = profile_from_template(t, "reseau", "Réseau", sites=[site, site | {"name": "Paris"}])
    assert not any(item.startswith("sites") for item in t.remaining(p2))
    solo = load_template("formateur-independant")
    assert not any(item.startswith("sites") for item in solo.remaining(profile_from_template(solo, "s", "S")))


def test_unknown_template_lists_available():
    with pytest.raises(UsageError) as err:
        load_template("formateur")
    msg = err.value.message
    assert "modèle de client inconnu : « formateur »" in msg
    for name in EXPECTED_NAMES:
        assert name in msg
    assert err.value.exit_code == 2


@pytest.mark.parametrize("bad", ["../referentiel/rnq-2026", "cfa/../cfa", "CFA", "cfa.yaml", "", "cfa\n"])
def test_template_name_with_path_refused(bad):
    with pytest.raises(UsageError, match="nom de modèle invalide"):
        load_template(bad)


# -- broken copies -------------------------------------------------------------------------------

@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    d = tmp_path / "client_templates"
    shutil.copytree(TEMPLATES_DIR, d)
    return d


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "field", "text"),
    [
        ("cfa", "conditions: [certifying, alternance, work_periods]", "conditions: [certifiant]",
         "profile.conditions.0", "valeur non permise : 'certifiant'"),
        ("cfa", "  trainers: 35", "  trainers: 35\n  formateurs: 3", "profile.formateurs", "champ inconnu"),
        ("centre-bilans", "  categories: [BC]", "  categories: []", "profile.categories", "liste vide"),
        ("organisme-multi-activites", "    direct: 15", "    direct: 5", "profile.funding",
         "totaliser 100 %"),
        ("nouvel-entrant", "    all_categories: true", "    categories: [CFA]", "profile",
         "nouvel entrant pour CFA"),
        ("formateur-independant", "title: Formateur indépendant\n", "", "title", "champ obligatoire manquant"),
        ("formateur-independant", "title: Formateur indépendant", "title: X\nname: autre", "name",
         "champ inconnu"),
        ("reseau-multi-sites", "min_sites: 2", "min_sites: deux", "min_sites", "nombre entier attendu"),
        ("centre-bilans", "  trainers: 3", "  trainers: -3", "profile.trainers", "valeur trop petite"),
    ],
)
def test_broken_template_names_file_and_field(tdir, name, old, new, field, text):
    path = tdir / f"{name}.yaml"
    _edit(path, old, new)
    with pytest.raises(ProfileError) as err:
        load_template(name, tdir)
    msg = err.value.message
    assert msg.startswith("Modèle de client invalide : ")
    assert str(path) in msg
    assert f"champ « {field} »" in msg
    assert text in msg
    assert err.value.field == field
    # listing the directory fails the same way: a broken template is never skipped silently
    with pytest.raises(ProfileError, match=name):
        list_templates(tdir)


def test_yaml_syntax_error_names_file_and_line(tdir):
    path = tdir / "cfa.yaml"
    _edit(path, "profile:\n", "profile:\n  categories: [CFA, AF\n")
    with pytest.raises(ProfileError) as err:
        load_template("cfa", tdir)
    assert "Modèle de client mal formé" in err.value.message
    assert str(path) in err.value.message
    assert "ligne" in err.value.message and "erreur de syntaxe YAML" in err.value.message


def test_not_a_mapping_and_unreadable(tdir):
    (tdir / "liste.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="dictionnaire YAML"):
        load_template("liste", tdir)
    (tdir / "binaire.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ProfileError, match="illisible"):
        load_template("binaire", tdir)
    with pytest.raises(ProfileError, match="introuvable"):
        load_template_file(tdir / "absent.yaml")
