"""Client bundles carry the whole client (format 4): task plans, sessions and file reviews, report
texts and sent versions, opportunity assessments, archiving, the description of attached files.
Never the client-space access codes, nor the attached files themselves.

Real SQLite workspaces, data created through the services, real zip bundles."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.store.test_bundle import ind, new_ws, populate, rewrite
from tests.support import ok, run_cli, seed_sample
from workbench.core.errors import BundleError
from workbench.domain.checklist import ReviewStatus
from workbench.services import lifecycle
from workbench.services.opportunity import run_assessment
from workbench.services.sessions import mission_review, repository, save_item_reviews
from workbench.store import client_space, evidence_files
from workbench.store import tasks as task_store
from workbench.store.archive import archive_client, archived_clients, restore_client
from workbench.store.bundle import MEMBERS, export_client, import_bundle, read_bundle
from workbench.store.bundle_extras import MEMBERS as EXTRA_MEMBERS
from workbench.store.opportunity import list_assessments
from workbench.store.report_texts import (
    get_report_texts,
    record_sent_version,
    save_report_texts,
    sent_versions,
)

CID = "formapro-lyon"
M1 = f"{CID}-m1"
TODAY = dt.date(2026, 11, 20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def populate_features(ws) -> dict:
    """Every per-client feature, through its service; returns what the tests look for."""
    lifecycle.plan_tasks(ws, CID, TODAY)
    task_id = task_store.list_tasks(ws.store, CID)[0].id
    lifecycle.mark_task_done(ws, CID, task_id, done_on=TODAY - dt.timedelta(days=3),
                             evidence_label="Compte rendu de veille", today=TODAY)
    sample = seed_sample(ws, CID, M1)
    ref = sample.references[0]
    save_item_reviews(ws, CID, M1, [(ref, "convocation", {"status": ReviewStatus.PRESENT, "note": "Vue",
                                                          "private_note": "à revoir"})], today=TODAY)
    save_report_texts(ws.store, M1, summary="Organisme bien préparé.", conclusion="Prêt pour l'audit.")
    record_sent_version(ws.store, M1, 1, "a" * 64, {"pdf": "rapport-v1.pdf"},
                        dt.datetime(2026, 11, 19, 9, 30, tzinfo=dt.UTC))
    run_assessment(ws, CID, {"funded_share_now": 0, "funded_share_planned": 30, "growth": "growth"}, today=TODAY)
    ev = ws.store.list_evidence(M1, ind(1))[0]
    attached = evidence_files.attach(ws.store, ws.path, ev.id, CID, "catalogue signé.pdf", PDF)
    archive_client(ws.store, CID)
    code, _ = client_space.create_access(ws.store, CID)
    return {"task_id": task_id, "ref": ref, "code": code, "file": attached}


def features_seen(ws) -> dict:
    """What the services show of the features, for comparing two workspaces."""
    review = mission_review(ws, CID, M1)
    return {
        "tasks": [t.model_dump(exclude={"updated_at"}) for t in task_store.list_tasks(ws.store, CID)],
        "completions": [c.model_dump(exclude={"id", "evidence_ids"}) | {"evidence": [
            ws.store.list_evidence(c.mission_id) and next(
                e.label for e in ws.store.list_evidence(c.mission_id) if e.id == i) for i in c.evidence_ids]}
            for c in task_store.list_completions(ws.store, CID)],
        "task_history": [{k: h[k] for k in ("task_id", "field", "before", "after", "actor", "at")}
                         for h in task_store.task_history(ws.store, CID)],
        "sessions": repository(ws).list(CID),
        "sample": repository(ws).get_sample(M1),
        "reviews": review.reviews,
        "texts": get_report_texts(ws.store, M1),
        "versions": sent_versions(ws.store, M1),
        "assessments": [(a.assessed_on, a.verdict, a.answers, a.result, a.actor, a.at)
                        for a in list_assessments(ws.store, CID)],
        "archived": CID in archived_clients(ws.store),
        "files": [(f.original_name, f.stored_path, f.sha256, f.size) for f in evidence_files.files_by_evidence(
            ws.store, [e.id for e in ws.store.list_evidence(M1)]).values()],
    }


@pytest.fixture
def full(tmp_path):
    ws = new_ws(tmp_path / "source", "alice")
    populate(ws)
    info = populate_features(ws)
    yield ws, info
    ws.close()


@pytest.fixture
def full_bundle(full, tmp_path) -> Path:
    return export_client(full[0].store, CID, tmp_path / "complet.qwb")


def test_whole_client_round_trip(full, full_bundle, tmp_path):
    source, info = full
    with zipfile.ZipFile(full_bundle) as zf:
        assert set(zf.namelist()) == {"manifest.json", *MEMBERS}
        manifest = json.loads(zf.read("manifest.json"))
        for name in EXTRA_MEMBERS:  # every new member under the manifest's checksums
            assert manifest["members"][name]["sha256"] == hashlib.sha256(zf.read(name)).hexdigest()
    assert manifest["format_version"] == 4
    counts = manifest["counts"]
    assert counts["tasks"] >= 1 and counts["task_completions"] == 1 and counts["sessions"] == 12
    assert (counts["session_samples"], counts["session_reviews"], counts["report_texts"],
            counts["report_versions"], counts["opportunity"], counts["archive"], counts["evidence_files"]) \
        == (1, 1, 2, 1, 1, 1, 1)

    dest = new_ws(tmp_path / "dest", "bob")
    report = import_bundle(dest.store, full_bundle, library=dest.library)
    assert report.client_created and report.conflicts == []
    assert report.extras["task_completions"] == {"added": 1, "existing": 0}
    assert report.extras["session_reviews"] == {"added": 1, "existing": 0}
    assert features_seen(dest) == features_seen(source)
    seen = features_seen(dest)
    assert seen["texts"].summary == "Organisme bien préparé." and seen["versions"][0].files == {"pdf": "rapport-v1.pdf"}
    assert seen["reviews"][0].private_note == "à revoir" and seen["archived"]
    # the completion still points at its evidence item, as imported
    [done] = task_store.list_completions(dest.store, CID)
    assert [e.label for e in dest.store.list_evidence(M1) if e.id in done.evidence_ids] \
        == ["Compte rendu de veille"] * len(done.evidence_ids) and done.evidence_ids
    # imported client-level logs are marked, as the mission history is
    marks = dest.store.connection.execute("SELECT imported_from FROM task_history").fetchall()
    assert marks and all(json.loads(m[0])["bundle"] == full_bundle.name for m in marks)
    # the attached file: described, not carried, and the summary says so
    lines = "\n".join(report.lines())
    assert report.files_not_carried == [info["file"].stored_path]
    assert "les fichiers eux-mêmes ne voyagent pas" in lines and info["file"].stored_path in lines
    assert not (dest.path / info["file"].stored_path).exists()
    assert "Tâches récurrentes ajouté(e)s" in lines
    # exporting again from the destination gives the same content
    again = export_client(dest.store, CID, tmp_path / "again.qwb")
    assert read_bundle(again)[1] == read_bundle(full_bundle)[1]
    dest.close()


def test_access_codes_and_client_space_never_travel(full, full_bundle):
    source, info = full
    code = info["code"]
    raw = full_bundle.read_bytes()
    with zipfile.ZipFile(full_bundle) as zf:
        unpacked = b"".join(zf.read(n) for n in zf.namelist())
    code_hash = source.store.connection.execute("SELECT code_hash FROM client_access").fetchone()[0]
    for secret in (code, code_hash):
        assert secret.encode() not in raw and secret.encode() not in unpacked
    assert b"client_access" not in unpacked and b"code_hash" not in unpacked


def test_merge_keeps_local_values_and_lists_conflicts(full, full_bundle, tmp_path):
    source, info = full
    bob = new_ws(tmp_path / "bob", "bob")
    import_bundle(bob.store, full_bundle)
    restore_client(bob.store, CID)  # Bob works on the client again
    # Bob changes things on his side; Alice changes the same things differently, and adds more.
    save_report_texts(bob.store, M1, summary="Version de Bob.")
    save_item_reviews(bob, CID, M1, [(info["ref"], "convocation", {"status": ReviewStatus.MISSING})], today=TODAY)
    task_store.update_task(bob.store, CID, info["task_id"], owner="Bob")
    save_report_texts(source.store, M1, summary="Version d'Alice.", visit={"documents": ["Registre"]})
    save_item_reviews(source, CID, M1, [(info["ref"], "convocation", {"status": ReviewStatus.NOT_APPLICABLE})],
                      today=TODAY)
    task_store.update_task(source.store, CID, info["task_id"], owner="Alice")
    record_sent_version(source.store, M1, 2, "b" * 64, {"pdf": "rapport-v2.pdf"},
                        dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC))
    run_assessment(source, CID, {"funded_share_now": 50, "funded_share_planned": 50, "growth": "stable"},
                   today=TODAY + dt.timedelta(days=1))
    newer = export_client(source.store, CID, tmp_path / "newer.qwb", overwrite=True)

    report = import_bundle(bob.store, newer, merge=True)
    # local values kept
    assert get_report_texts(bob.store, M1).summary == "Version de Bob."
    assert repository(bob).get_review(M1, info["ref"], "convocation").status == ReviewStatus.MISSING
    assert task_store.get_task(bob.store, CID, info["task_id"]).owner == "Bob"
    assert len(list_assessments(bob.store, CID)) == 1  # the local current verdict stays
    # what was missing is added
    assert get_report_texts(bob.store, M1).visit.documents == ["Registre"]
    assert [v.version for v in sent_versions(bob.store, M1)] == [1, 2]
    assert CID not in archived_clients(bob.store)  # archived in the bundle, active here: stays active
    kinds = sorted(c.kind for c in report.conflicts)
    assert kinds == ["archive", "opportunity", "report_texts", "session_reviews", "tasks"]
    lines = "\n".join(report.lines())
    assert "5 conflit(s) — rien n'a été écrasé" in lines
    assert "client archivé dans le paquet, actif ici : l'état local est conservé" in lines
    assert (f"mission {M1}, texte du rapport « synthèse » : version locale conservée (par bob), "
            "version du paquet écartée (par alice)") in lines
    assert f"tâche récurrente « {info['task_id']} » : version locale conservée (par bob)" in lines
    assert "évaluation d'opportunité du 2026-11-21" in lines and "reste la référence" in lines
    # merging the same bundle again adds nothing
    again = import_bundle(bob.store, newer, merge=True)
    assert all(n["added"] == 0 for n in again.extras.values()), again.extras
    bob.close()


def test_format_3_bundle_without_the_new_members_still_imports(full_bundle, tmp_path):
    with zipfile.ZipFile(full_bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    members = {k: v for k, v in manifest["members"].items() if k not in EXTRA_MEMBERS}
    old = tmp_path / "old.qwb"
    with zipfile.ZipFile(full_bundle) as zin, zipfile.ZipFile(old, "w") as zout:
        for name in zin.namelist():
            if name not in EXTRA_MEMBERS and name != "manifest.json":
                zout.writestr(name, zin.read(name))
        zout.writestr("manifest.json", json.dumps({**manifest, "format_version": 3, "members": members}))
    dest = new_ws(tmp_path / "dest", "bob")
    report = import_bundle(dest.store, old)
    assert report.client_created and report.answers_added == 4
    assert all(n["added"] == 0 for n in report.extras.values())
    assert task_store.list_tasks(dest.store, CID) == [] and repository(dest).list(CID) == []
    # a format 4 bundle must hold them
    missing = tmp_path / "missing.qwb"
    with zipfile.ZipFile(full_bundle) as zin, zipfile.ZipFile(missing, "w") as zout:
        for name in zin.namelist():
            if name != "tasks.json":
                zout.writestr(name, zin.read(name))
    with pytest.raises(BundleError, match="élément « tasks.json » manquant"):
        read_bundle(missing)
    dest.close()


def _tables(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    out = {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names if n != "migrations"}
    conn.close()
    return out


def _with_member(bundle: Path, out: Path, member: str, change) -> Path:
    with zipfile.ZipFile(bundle) as zf:
        rows = json.loads(zf.read(member))
    change(rows)
    return rewrite(bundle, out, replace={member: json.dumps(rows).encode()}, fix_checksums=True)


@pytest.mark.parametrize(("member", "change", "expected"), [
    ("report_texts.json", lambda rows: rows[0].update(mission_id="autre-client-m1"),
     "élément « report_texts.json », entrée 1 : mission « autre-client-m1 » absente du paquet"),
    ("session_reviews.json", lambda rows: rows[0].update(mission_id="autre-client-m1"),
     "élément « session_reviews.json », entrée 1 : mission « autre-client-m1 » absente du paquet"),
    ("task_completions.json", lambda rows: rows[0].update(mission_id="autre-client-m1"),
     "élément « task_completions.json », entrée 1 : mission « autre-client-m1 » absente du paquet"),
    ("tasks.json", lambda rows: rows[0].update(client_id="autre-client"),
     "élément « tasks.json », entrée 1 : appartient au client « autre-client », pas à « formapro-lyon »"),
    ("opportunity.json", lambda rows: rows[0].update(client_id="autre-client"),
     "élément « opportunity.json », entrée 1 : appartient au client « autre-client »"),
    ("evidence_files.json", lambda rows: rows[0].update(stored_path="clients/autre-client/preuves/x.pdf"),
     "chemin de fichier refusé « clients/autre-client/preuves/x.pdf »"),
    ("evidence_files.json", lambda rows: rows[0].update(stored_path="clients/formapro-lyon/preuves/../../x"),
     "chemin de fichier refusé"),
    ("report_versions.json", lambda rows: rows[0].update(version=0),
     "élément « report_versions.json », entrée 1, champ « version »"),
    ("task_completions.json", lambda rows: rows[0].update(evidence_ids=[999]),
     "élément « task_completions.json », entrée 1 : preuve 999 absente du paquet"),
])
def test_rows_naming_another_client_refused_and_nothing_written(member, change, expected, full_bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    populate(dest, "autre-client")
    db = dest.settings.store_path
    before = _tables(db)
    bad = _with_member(full_bundle, tmp_path / "bad.qwb", member, change)
    with pytest.raises(BundleError, match="Paquet client corrompu") as err:
        import_bundle(dest.store, bad)
    assert expected in err.value.message and "Rien n'a été importé" in err.value.message
    assert _tables(db) == before
    dest.close()


def test_failure_while_writing_feature_rows_leaves_the_store_unchanged(full_bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    assert not dest.store.client_exists(CID)  # opens (creates) the database
    db = dest.settings.store_path
    # The bundle is sound: the database itself refuses a feature row late in the import (a trigger
    # stands for a full disk), after the core rows and the task plan were written.
    conn = sqlite3.connect(db)
    conn.execute("CREATE TRIGGER fail_reviews BEFORE INSERT ON session_reviews "
                 "BEGIN SELECT RAISE(ABORT, 'disque plein (simulé)'); END")
    conn.commit()
    conn.close()
    before = _tables(db)
    with pytest.raises(Exception, match="disque plein"):
        import_bundle(dest.store, full_bundle)
    assert _tables(db) == before
    assert not dest.store.client_exists(CID)
    dest.close()


def test_import_under_another_id_rewrites_feature_rows(full, full_bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    import_bundle(dest.store, full_bundle, as_id="formapro-bis")
    assert get_report_texts(dest.store, "formapro-bis-m1").summary == "Organisme bien préparé."
    assert task_store.list_completions(dest.store, "formapro-bis")[0].mission_id == "formapro-bis-m1"
    assert repository(dest).count("formapro-bis") == 12
    paths = [r[0] for r in dest.store.connection.execute("SELECT stored_path FROM evidence_files")]
    assert paths and all(p.startswith("clients/formapro-bis/preuves/") for p in paths)
    assert not task_store.list_tasks(dest.store, CID)
    dest.close()


def test_command_line_import_says_what_travelled(full_bundle, tmp_path):
    dest = tmp_path / "cli-dest"
    out = ok(run_cli("client", "import", str(full_bundle), workspace=dest))
    assert "Tâches récurrentes ajouté(e)s" in out and "Revues de dossiers ajouté(e)s : 1" in out
    assert "les fichiers eux-mêmes ne voyagent pas" in out and f"clients/{CID}/preuves/" in out
    assert "Jamais transmis par un paquet : les codes d'accès à l'espace client" in out
    history = ok(run_cli("tasks", "history", CID, workspace=dest))
    assert "alice [importé]" in history
    entries = run_cli("tasks", "history", CID, "--json", workspace=dest).json()
    assert entries and all(e["imported_from"]["bundle"] == full_bundle.name for e in entries)
