"""Interview grids: the shipped files validate, broken copies fail in French, surveillance sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tests.support import make_profile, seed_mission
from workbench.core.errors import ReferentialError
from workbench.core.vocab import MissionType, QuestionKind, Verdict
from workbench.referential.grids import (
    GRIDS_DIR,
    GridKind,
    ItemSource,
    default_grids,
    load_grid_file,
    load_grids,
    previous_verdicts_for,
    surveillance_interview_set,
)

SHIPPED = sorted(GRIDS_DIR.glob("*.yaml"))


def test_four_grids_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert names == {
        "preaudit-rnq-2019-v9", "preaudit-rnq-2026", "surveillance-rnq-2019-v9", "surveillance-rnq-2026",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_grid_validates(path: Path, library):
    grid = load_grid_file(path, library)
    ref = library.get(grid.referential)
    assert set(grid.indicators) <= {i.id for i in ref.indicators}
    for entry in grid.indicators.values():
        assert entry.questions and entry.proofs
        for q in entry.questions:
            assert q.roles
            if q.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
                assert len(q.choices) >= 2


@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
def test_full_grids_cover_every_indicator_with_two_to_four_questions(version, library):
    grid = default_grids().for_referential(version, GridKind.FULL)
    ref = library.get(version)
    assert list(grid.indicators) == [i.id for i in ref.indicators]
    for ind_id, entry in grid.indicators.items():
        assert 2 <= len(entry.questions) <= 4, ind_id


@pytest.mark.parametrize("version", ["rnq-2019-v9", "rnq-2026"])
def test_surveillance_grids_cover_minimum_scope(version, library):
    grid = default_grids().for_referential(version, GridKind.SURVEILLANCE)
    ref = library.get(version)
    minimum = {i.id for i in ref.indicators if i.surveillance_minimum}
    assert minimum <= set(grid.indicators)
    assert len(minimum) == 21


def test_2026_grid_asks_about_new_requirements():
    grid = default_grids().for_referential("rnq-2026", GridKind.FULL)
    text = {k: " ".join(q.text for q in e.questions).lower() for k, e in grid.indicators.items()}
    assert "violence" in text["rnq-2026:ind:12"] and "harcèlement" in text["rnq-2026:ind:12"]
    assert "risques" in text["rnq-2026:ind:32"]
    assert "médiateur" in text["rnq-2026:ind:15"]
    assert "distinct" in text["rnq-2026:ind:33"]
    # ... and the 2019 grid does not.
    old = default_grids().for_referential("rnq-2019-v9", GridKind.FULL)
    assert "harcèlement" not in " ".join(q.text for q in old.indicators["rnq-2019-v9:ind:12"].questions)


# -- broken copies --------------------------------------------------------------------------

def _broken(tmp_path: Path, name: str, mutate) -> Path:
    raw = yaml.safe_load((GRIDS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / f"{raw.get('id', name)}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _q(raw, ind, i=0):
    return raw["indicators"][ind]["questions"][i]


CASES = [
    ("unknown question kind",
     lambda r: _q(r, "rnq-2026:ind:05").__setitem__("kind", "slider"),
     "rnq-2026:ind:05", "questions.0.kind", "valeur non permise"),
    ("unknown role",
     lambda r: _q(r, "rnq-2026:ind:12").__setitem__("roles", ["stagiaire"]),
     "rnq-2026:ind:12", "questions.0.roles.0", "valeur non permise"),
    ("extra field",
     lambda r: _q(r, "rnq-2026:ind:07").__setitem__("weight", 3),
     "rnq-2026:ind:07", "questions.0.weight", "champ inconnu"),
    ("missing text",
     lambda r: _q(r, "rnq-2026:ind:09").pop("text"),
     "rnq-2026:ind:09", "questions.0.text", "champ obligatoire manquant"),
    ("choice kind without choices",
     lambda r: _q(r, "rnq-2026:ind:01").__setitem__("choices", ["Site internet"]),
     "rnq-2026:ind:01", "questions.0", "au moins deux choix"),
    ("choices on a yes/no question",
     lambda r: _q(r, "rnq-2026:ind:03").__setitem__("choices", ["a", "b"]),
     "rnq-2026:ind:03", "questions.0", "ne sont permis que"),
    ("duplicate question id",
     lambda r: _q(r, "rnq-2026:ind:04", 1).__setitem__("id", _q(r, "rnq-2026:ind:04")["id"]),
     "rnq-2026:ind:04", None, "en double"),
    ("empty proofs",
     lambda r: r["indicators"]["rnq-2026:ind:06"].__setitem__("proofs", []),
     "rnq-2026:ind:06", "proofs", "liste vide"),
]


@pytest.mark.parametrize(("what", "mutate", "indicator", "field", "text"), CASES, ids=[c[0] for c in CASES])
def test_broken_grid_names_file_indicator_and_field(tmp_path, library, what, mutate, indicator, field, text):
    path = _broken(tmp_path, "preaudit-rnq-2026", mutate)
    with pytest.raises(ReferentialError) as info:
        load_grid_file(path, library)
    err = info.value
    assert str(path) in err.message
    assert err.message.startswith("Grille d'entretien invalide")
    assert err.indicator == indicator and f"indicateur {indicator}" in err.message
    if field:
        assert err.field == field and f"« {field} »" in err.message
    assert text in err.message


def test_indicator_missing_from_full_grid(tmp_path, library):
    path = _broken(tmp_path, "preaudit-rnq-2026", lambda r: r["indicators"].pop("rnq-2026:ind:33"))
    with pytest.raises(ReferentialError, match=r"couvrir tous les indicateurs de rnq-2026 ; manquant\(s\) : 33"):
        load_grid_file(path, library)


def test_indicator_of_another_version_is_refused(tmp_path, library):
    def mutate(raw):
        raw["indicators"]["rnq-2019-v9:ind:05"] = raw["indicators"].pop("rnq-2026:ind:05")

    path = _broken(tmp_path, "preaudit-rnq-2026", mutate)
    with pytest.raises(ReferentialError) as info:
        load_grid_file(path, library)
    assert info.value.indicator == "rnq-2019-v9:ind:05"
    assert "inexistant dans le référentiel rnq-2026" in info.value.message


def test_unknown_referential_is_refused(tmp_path, library):
    path = _broken(tmp_path, "surveillance-rnq-2026", lambda r: r.__setitem__("referential", "rnq-2030"))
    with pytest.raises(ReferentialError) as info:
        load_grid_file(path, library)
    assert info.value.field == "referential" and "rnq-2030" in info.value.message


def test_surveillance_grid_must_cover_minimum_scope(tmp_path, library):
    path = _broken(tmp_path, "surveillance-rnq-2026", lambda r: r["indicators"].pop("rnq-2026:ind:31"))
    with pytest.raises(ReferentialError, match="périmètre minimal.*31"):
        load_grid_file(path, library)


def test_file_name_must_match_id(tmp_path, library):
    raw = (GRIDS_DIR / "preaudit-rnq-2026.yaml").read_text(encoding="utf-8")
    path = tmp_path / "autre-nom.yaml"
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(ReferentialError, match="ne correspond pas au nom du fichier"):
        load_grid_file(path, library)


def test_yaml_syntax_error_gives_line(tmp_path, library):
    path = tmp_path / "preaudit-rnq-2026.yaml"
    path.write_text("id: preaudit-rnq-2026\nindicators: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(ReferentialError, match=r"mal formé.*ligne \d+"):
        load_grid_file(path, library)


def test_two_grids_of_same_kind_for_a_version(tmp_path, library):
    for p in SHIPPED:
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    _broken(tmp_path, "surveillance-rnq-2026", lambda r: r.__setitem__("id", "surveillance-bis"))
    with pytest.raises(ReferentialError, match="Deux grilles du même type pour rnq-2026"):
        load_grids(tmp_path, library)


# -- surveillance interview set ---------------------------------------------------------------

def test_surveillance_set_is_minimum_scope_without_history(ref2026):
    grids = default_grids()
    surv = grids.for_referential("rnq-2026", GridKind.SURVEILLANCE)
    items = surveillance_interview_set(surv, grids.for_referential("rnq-2026"), ref2026, {})
    assert [i.indicator_id for i in items] == list(surv.indicators)
    assert {i.source for i in items} == {ItemSource.MINIMUM}


def test_previous_ncs_are_added_with_full_grid_questions(ref2026):
    grids = default_grids()
    surv = grids.for_referential("rnq-2026", GridKind.SURVEILLANCE)
    full = grids.for_referential("rnq-2026")
    previous = {
        "rnq-2026:ind:30": Verdict.NC_MINEURE,   # not in the minimum scope: added
        "rnq-2026:ind:23": "nc_majeure",          # idem
        "rnq-2026:ind:31": Verdict.NC_MAJEURE,    # in the minimum scope: full questions instead
        "rnq-2026:ind:24": Verdict.CONFORME,      # conforme: not added
        "rnq-2026:ind:25": Verdict.NON_EVALUE,
    }
    items = {i.number: i for i in surveillance_interview_set(surv, full, ref2026, previous)}
    assert items[30].source == ItemSource.PREVIOUS_NC and items[23].source == ItemSource.PREVIOUS_NC
    assert items[30].entry == full.indicators["rnq-2026:ind:30"]
    assert items[31].entry == full.indicators["rnq-2026:ind:31"]
    assert "NC mineure" in items[30].reason and "NC majeure" in items[23].reason
    assert 24 not in items and 25 not in items
    assert len(items) == len(surv.indicators) + 2
    assert [n for n in items] == sorted(items)


def test_previous_ncs_under_older_version_match_by_number(ref2026):
    grids = default_grids()
    items = surveillance_interview_set(
        grids.for_referential("rnq-2026", GridKind.SURVEILLANCE), grids.for_referential("rnq-2026"), ref2026,
        {"rnq-2019-v9:ind:28": Verdict.NC_MINEURE},
    )
    added = [i for i in items if i.source == ItemSource.PREVIOUS_NC]
    assert [i.indicator_id for i in added] == ["rnq-2026:ind:28"]


def test_former_new_entrant_reviews_everything(ref2026):
    grids = default_grids()
    items = surveillance_interview_set(
        grids.for_referential("rnq-2026", GridKind.SURVEILLANCE), grids.for_referential("rnq-2026"), ref2026,
        {}, former_new_entrant=True,
    )
    assert len(items) == 33
    assert items[8].source == ItemSource.FORMER_NEW_ENTRANT


def test_previous_verdicts_come_from_the_store(workspace):
    first = seed_mission(workspace, make_profile(), audit_date=dt.date(2026, 11, 20))
    workspace.store.save_answer(first.id, "rnq-2026:ind:30", verdict=Verdict.NC_MINEURE)
    workspace.store.save_answer(first.id, "rnq-2026:ind:01", verdict=Verdict.CONFORME)
    second = seed_mission(workspace, audit_date=dt.date(2027, 12, 1), mission_type=MissionType.PREP_SURVEILLANCE)
    verdicts = previous_verdicts_for(workspace.store, second)
    assert verdicts == {"rnq-2026:ind:30": Verdict.NC_MINEURE, "rnq-2026:ind:01": Verdict.CONFORME}
    assert previous_verdicts_for(workspace.store, first) == {}
