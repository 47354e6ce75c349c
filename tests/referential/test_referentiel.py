"""The shipped referential packs: structure, facts, version choice and error reporting."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from workbench.core.errors import ReferentialError
from workbench.core.vocab import Category, ChangeKind, IndicatorKind, NCGrading, ReferentialStatus
from workbench.referential.library import REFERENTIEL_DIR, load_library, load_referential_file

# From ../shared/docs/referentiel-facts.md §5 and rnq-2026-facts.md §4.
MAJOR_ONLY = {4, 5, 6, 7, 10, 11, 14, 15, 16, 20, 21, 22, 26, 27, 29, 31, 32}
GRADED = {1, 2, 3, 8, 9, 12, 13, 17, 18, 19, 23, 24, 25, 28, 30}
NEW_ENTRANT = {2, 3, 11, 13, 14, 19, 22, 24, 25, 26, 32}
SPECIFIC = {3, 7, 8, 13, 14, 15, 16, 20, 28, 29}
CRITERIA_SPLIT = {1: 3, 2: 5, 3: 8, 4: 4, 5: 2, 6: 7, 7: 3}
SURVEILLANCE_MIN = MAJOR_ONLY | {1, 3, 17, 19}
CHANGED_2026 = {1, 2, 3, 7, 12, 14, 15, 19, 20, 27, 30, 32}


def test_both_versions_load(library):
    ids = [r.id for r in library.versions]
    assert ids == ["rnq-2019-v9", "rnq-2026"]


@pytest.mark.parametrize("version_id, count", [("rnq-2019-v9", 32), ("rnq-2026", 33)])
def test_counts_and_criteria(library, version_id, count):
    ref = library.get(version_id)
    assert len(ref.indicators) == count
    assert [c.number for c in ref.criteria] == list(range(1, 8))
    per_criterion = {n: sum(1 for i in ref.indicators if i.criterion == n) for n in range(1, 8)}
    expected = dict(CRITERIA_SPLIT)
    if version_id == "rnq-2026":
        expected[7] += 1  # indicator 33 joins criterion 7
    assert per_criterion == expected


@pytest.mark.parametrize("version_id", ["rnq-2019-v9", "rnq-2026"])
def test_nc_grading_new_entrant_kind_match_facts(library, version_id):
    ref = library.get(version_id)
    for ind in ref.indicators[:32]:
        expected = NCGrading.MAJOR_ONLY if ind.number in MAJOR_ONLY else NCGrading.MINOR_OR_MAJOR
        assert ind.nc.grading == expected, ind.number
        assert ind.new_entrant.adapted == (ind.number in NEW_ENTRANT), ind.number
        kind = IndicatorKind.SPECIFIC if ind.number in SPECIFIC else IndicatorKind.COMMON
        assert ind.kind == kind, ind.number
        assert ind.surveillance_minimum == (ind.number in SURVEILLANCE_MIN), ind.number
        assert ind.id == f"{version_id}:ind:{ind.number:02d}"
        # V9 preamble: for every adapted indicator (22, 26 and 32 included) the initial audit
        # checks that the process is formalised; implementation waits for surveillance.
        assert not ind.new_entrant.deferred_entirely, ind.number
        if ind.new_entrant.adapted and ind.number != 3:
            assert ind.new_entrant.at_initial and ind.new_entrant.deferred, ind.number


@pytest.mark.parametrize(
    "version_id, af, bc, vae, cfa",
    [("rnq-2019-v9", 28, 22, 24, 32), ("rnq-2026", 28, 22, 24, 33)],
)
def test_maximum_per_category(library, version_id, af, bc, vae, cfa):
    ref = library.get(version_id)
    counts = {c: sum(1 for i in ref.indicators if c in i.applicability.categories) for c in Category}
    assert counts == {Category.AF: af, Category.BC: bc, Category.VAE: vae, Category.CFA: cfa}


def test_2026_header_and_uncertain_points(ref2026, ref2019):
    assert ref2026.status == ReferentialStatus.PROVISIONAL
    assert ref2026.effective_from == dt.date(2026, 11, 1)
    assert ref2026.previous == "rnq-2019-v9"
    assert ref2019.effective_until == dt.date(2026, 10, 31)
    assert ref2019.status == ReferentialStatus.DEFINITIVE
    ind33 = ref2026.indicator(33)
    assert ind33.criterion == 7
    assert set(ind33.applicability.categories) == {Category.CFA}
    assert ind33.nc.grading == NCGrading.UNKNOWN and ind33.nc.uncertain
    assert ind33.change.kind == ChangeKind.NEW
    substantive = {i.number for i in ref2026.indicators if i.change.kind == ChangeKind.SUBSTANTIVE}
    assert substantive == CHANGED_2026
    assert ref2026.indicator(31).change.kind == ChangeKind.WORDING
    # The uncertain classification of 13 is said in the data, not silently decided.
    assert ref2026.indicator(13).change.uncertain


@pytest.mark.parametrize(
    "day, expected",
    [
        (dt.date(2026, 10, 31), "rnq-2019-v9"),
        (dt.date(2026, 11, 1), "rnq-2026"),
        (dt.date(2025, 5, 20), "rnq-2019-v9"),
        (dt.date(2029, 1, 1), "rnq-2026"),
    ],
)
def test_version_by_audit_date(library, day, expected):
    assert library.for_date(day).id == expected
    assert library.resolve(audit_date=day).id == expected


def test_version_before_any_pack_is_refused(library):
    with pytest.raises(ReferentialError, match="Aucun référentiel en vigueur le 01/01/2020"):
        library.for_date(dt.date(2020, 1, 1))


def test_unknown_version_lists_known_ones(library):
    with pytest.raises(ReferentialError, match="rnq-2019-v9, rnq-2026"):
        library.get("rnq-2030")


# -- corrupted copies --------------------------------------------------------------------

def _copy(tmp_path: Path, name: str = "rnq-2019-v9") -> tuple[Path, dict]:
    target = tmp_path / f"{name}.yaml"
    shutil.copy(REFERENTIEL_DIR / f"{name}.yaml", target)
    return target, yaml.safe_load(target.read_text(encoding="utf-8"))


def _write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    "mutate, expected_parts",
    [
        (lambda d: d["indicators"][3].pop("requirement"),
         ["indicateur 4", "« requirement »", "champ obligatoire manquant"]),
        (lambda d: d["indicators"][11]["nc"].update(grading="severe"),
         ["indicateur 12", "« nc.grading »", "valeur non permise", "'severe'"]),
        (lambda d: d["indicators"][0].update(colour="bleu"),
         ["indicateur 1", "« colour »", "champ inconnu"]),
        (lambda d: d["indicators"][26]["applicability"]["categories"].update(XYZ={}),
         ["indicateur 27", "applicability.categories"]),
        (lambda d: d["indicators"][5].update(proofs=[]),
         ["indicateur 6", "« proofs »"]),
        (lambda d: d.update(effective_from="31/10/2026"),
         ["« effective_from »", "date invalide"]),
        (lambda d: d["indicators"].pop(30),
         ["numérotés 1, 2, 3"]),
        (lambda d: d["indicators"][1]["new_entrant"].update(adapted=True, at_initial=None, deferred=None),
         ["indicateur 2", "nouvel entrant"]),
    ],
)
def test_corrupted_copy_names_file_indicator_field(tmp_path, mutate, expected_parts):
    path, data = _copy(tmp_path)
    mutate(data)
    _write(path, data)
    with pytest.raises(ReferentialError) as info:
        load_referential_file(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected_parts:
        assert part in message, (part, message)


def test_broken_yaml_syntax_gives_line(tmp_path):
    path, _ = _copy(tmp_path)
    text = path.read_text(encoding="utf-8").replace("number: 5\n", "number: [5\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReferentialError) as info:
        load_referential_file(path)
    assert "erreur de syntaxe YAML" in str(info.value)
    assert "ligne" in str(info.value)


def test_file_name_must_match_id(tmp_path):
    path, data = _copy(tmp_path)
    renamed = path.with_name("autre.yaml")
    _write(renamed, data)
    with pytest.raises(ReferentialError, match="ne correspond pas au nom du fichier"):
        load_referential_file(renamed)


def test_overlapping_versions_refused(tmp_path):
    _copy(tmp_path, "rnq-2019-v9")
    path, data = _copy(tmp_path, "rnq-2026")
    data["effective_from"] = dt.date(2026, 6, 1)
    _write(path, data)
    with pytest.raises(ReferentialError, match="chevauchent"):
        load_library(tmp_path)
