"""The session-file checklist: shipped data valid, each item applicable by session attributes
(table-driven), and review results per file, per item and per indicator."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from workbench.core.errors import ReferentialError, UsageError
from workbench.core.vocab import Category, Verdict
from workbench.domain.checklist import ReviewStatus, load_checklist, parse_status
from workbench.domain.session_review import ItemReview, review_results, suggest
from workbench.domain.sessions import Funding, Modality, Session


@pytest.fixture(scope="module")
def checklist():
    return load_checklist()


def session(ref: str = "S1", **kw) -> Session:
    data = {"client_id": "c", "reference": ref, "title": "Titre", "category": Category.AF,
            "start": dt.date(2026, 3, 2)} | kw
    return Session(**data)


AF = {}
AF_CERT = {"certifying": True}
AF_SUB = {"subcontracted": True}
AF_DIST = {"modality": Modality.DISTANCE}
AF_MIXED = {"modality": Modality.MIXTE}
BC = {"category": Category.BC}
VAE = {"category": Category.VAE}
CFA = {"category": Category.CFA}


@pytest.mark.parametrize(("attrs", "item", "applies"), [
    # common items apply to every session
    (AF, "analyse-besoin", True), (BC, "analyse-besoin", True), (VAE, "analyse-besoin", True),
    (CFA, "satisfaction-froid", True), (AF_DIST, "programme-remis", True), (BC, "reclamations", True),
    # positioning: AF and CFA only
    (AF, "positionnement", True), (CFA, "positionnement", True), (BC, "positionnement", False),
    (VAE, "positionnement", False),
    # attendance sheets on site, connection traces and remote support at a distance (mixed: both)
    (AF, "emargement", True), (AF_DIST, "emargement", False), (AF_MIXED, "emargement", True),
    (AF, "suivi-distance", False), (AF_DIST, "suivi-distance", True), (AF_MIXED, "suivi-distance", True),
    (AF, "assistance-technique", False), (AF_DIST, "assistance-technique", True),
    (AF_MIXED, "assistance-pedagogique", True), (BC | AF_DIST, "assistance-pedagogique", True),
    # CFA items
    (CFA, "contrat-apprentissage", True), (AF, "contrat-apprentissage", False),
    (CFA, "liaison-employeur", True), (BC, "liaison-employeur", False), (CFA, "information-apprenti", True),
    # certifying items, whatever the category
    (AF_CERT, "inscription-certification", True), (AF, "inscription-certification", False),
    (AF_CERT, "resultats-certification", True), (CFA | AF_CERT, "resultats-certification", True),
    (CFA, "resultats-certification", False),
    # VAE and BC items
    (VAE, "vae-recevabilite", True), (AF, "vae-recevabilite", False), (VAE, "vae-accompagnement", True),
    (BC, "bc-convention-trois-phases", True), (VAE, "bc-convention-trois-phases", False),
    (BC, "bc-synthese", True), (AF, "bc-synthese", False),
    # subcontracted sessions
    (AF_SUB, "contrat-sous-traitance", True), (AF, "contrat-sous-traitance", False),
    (BC | AF_SUB, "controle-sous-traitant", True), (AF, "controle-sous-traitant", False),
])
def test_item_applicability(checklist, attrs, item, applies):
    s = session(**attrs)
    it = checklist.item(item)
    assert it.applies(s) is applies
    assert (it in checklist.for_session(s)) is applies
    if not applies:
        assert it.applies_to.why_not(s).startswith("réservé aux sessions")


def test_items_are_ordered_by_phase(checklist):
    phases = [i.phase for i in checklist.for_session(session(**AF_CERT | AF_SUB | AF_MIXED))]
    order = list(checklist.phases)
    assert phases == sorted(phases, key=order.index)
    assert set(phases) == {"avant", "pendant", "apres"}


def test_items_map_to_indicators_of_both_referentials(checklist, ref2019, ref2026):
    for item in checklist.items:
        for n in item.indicators:
            assert any(i.number == n for i in ref2026.indicators), (item.id, n)
            assert any(i.number == n for i in ref2019.indicators), (item.id, n)
        assert item.indicators or item.note, item.id  # an item without indicator says why


def test_issue_items_are_all_there(checklist):
    ids = {i.id for i in checklist.items}
    for needed in ("analyse-besoin", "positionnement", "contractualisation", "convocation", "programme-remis",
                   "information-accessibilite", "emargement", "supports-remis", "suivi-absences",
                   "evaluation-acquis", "satisfaction-chaud", "satisfaction-froid", "attestation", "facture",
                   "reclamations", "contrat-apprentissage", "liaison-employeur", "inscription-certification",
                   "resultats-certification", "vae-recevabilite", "bc-synthese", "contrat-sous-traitance",
                   "controle-sous-traitant", "assistance-technique", "assistance-pedagogique"):
        assert needed in ids


def test_a_broken_checklist_file_names_the_problem(tmp_path: Path):
    (tmp_path / "x.yaml").write_text(
        "id: x\nversion: 1\ntitle: T\nphases: {avant: Avant}\nitems:\n"
        "  - {id: a, phase: avant, label: A, indicators: [4]}\n"
        "  - {id: a, phase: avant, label: B, indicators: [5]}\n", encoding="utf-8")
    with pytest.raises(ReferentialError, match="point en double"):
        load_checklist("x", tmp_path)
    (tmp_path / "y.yaml").write_text(
        "id: y\nversion: 1\ntitle: T\nphases: {avant: Avant}\nitems:\n"
        "  - {id: a, phase: pendant, label: A, indicators: [4]}\n", encoding="utf-8")
    with pytest.raises(ReferentialError, match="phase inconnue"):
        load_checklist("y", tmp_path)


@pytest.mark.parametrize(("raw", "status"), [
    ("présent", ReviewStatus.PRESENT), ("Present", ReviewStatus.PRESENT), ("oui", ReviewStatus.PRESENT),
    ("Manquant", ReviewStatus.MISSING), ("missing", ReviewStatus.MISSING), ("Sans objet", ReviewStatus.NOT_APPLICABLE),
    ("n.a.", ReviewStatus.NOT_APPLICABLE), ("", ReviewStatus.UNCHECKED), ("Non vérifié", ReviewStatus.UNCHECKED),
])
def test_parse_status(raw, status):
    assert parse_status(raw) == status


def test_parse_status_refuses_garbage():
    with pytest.raises(UsageError, match="Statut inconnu"):
        parse_status("peut-être")


@pytest.mark.parametrize(("lacking", "checked", "major_only", "expected"), [
    (0, 5, False, Verdict.CONFORME), (0, 5, True, Verdict.CONFORME), (1, 5, False, Verdict.NC_MINEURE),
    (2, 5, False, Verdict.NC_MINEURE), (3, 5, False, Verdict.NC_MAJEURE), (1, 2, False, Verdict.NC_MAJEURE),
    (1, 5, True, Verdict.NC_MAJEURE),
])
def test_suggested_verdict(lacking, checked, major_only, expected):
    assert suggest(lacking, checked, major_only) == expected


def test_results_per_file_item_and_indicator(checklist, ref2026):
    files = [session(f"S{i}", funding=(Funding.OPCO,)) for i in range(1, 6)]
    reviews = []
    for s in files:
        for item in checklist.for_session(s):
            missing = item.id == "satisfaction-froid" and s.reference in ("S1", "S2", "S3")
            reviews.append(ItemReview(mission_id="m", reference=s.reference, item_id=item.id,
                                      status=ReviewStatus.MISSING if missing else ReviewStatus.PRESENT))
    # S5 not finished: its cold evaluation is unchecked
    reviews = [r for r in reviews if not (r.reference == "S5" and r.item_id == "satisfaction-froid")]
    res = review_results(files, checklist, reviews, indicator_titles={i.number: i.title for i in ref2026.indicators},
                         verdicts={30: Verdict.CONFORME})
    assert [f.complete for f in res.files] == [False, False, False, True, False]
    assert res.reviewed == 4 and not res.finished
    tally = next(t for t in res.items if t.item.id == "satisfaction-froid")
    assert tally.message == "3 dossiers sur 4 sans « évaluation à froid »"
    finding = res.findings_by_number()[30]
    assert finding.lacking == ("S1", "S2", "S3") and finding.checked == 5
    assert finding.suggested == Verdict.NC_MAJEURE and finding.differs
    assert "verdict actuel : Conforme" in finding.message
    assert set(res.findings_by_number()) == {30}
