"""Portable client bundles: round trip, refusal without merge, merge with conflicts, bad files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from workbench.core.errors import BundleError, NotFoundError, StoreError, UsageError
from workbench.core.vocab import ActionStatus, MissionType, Verdict
from workbench.domain.plan import STATE_KEY as ACTIONS_STATE_KEY
from workbench.domain.plan import GapKind, ProposedAction
from workbench.domain.records import Action, Evidence
from workbench.domain.templates import load_template, profile_from_template
from workbench.referential.library import default_library
from workbench.services.planning import apply_plan
from workbench.services.workspace import Workspace
from workbench.store import SQLiteStore
from workbench.store.bundle import FORMAT_NAME, MEMBERS, export_client, import_bundle, read_bundle
from workbench.store.bundle_extras import MEMBERS as EXTRA_MEMBERS


def ind(n: int) -> str:
    return f"rnq-2026:ind:{n:02d}"


def new_ws(path: Path, actor: str) -> Workspace:
    path.mkdir(parents=True, exist_ok=True)
    return Workspace.open(path, actor=actor)


def populate(ws: Workspace, client_id: str = "formapro-lyon") -> None:
    profile = profile_from_template(load_template("organisme-multi-activites"), client_id, "FormaPro Lyon",
                                    siret="73282932000074" if client_id == "formapro-lyon" else None)  # one SIRET, one client
    ws.store.create_client(profile)
    ws.store.update_client(profile.model_copy(update={"consultant": "Alice Conseil"}))
    m1 = ws.new_mission(client_id, mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
    m2 = ws.new_mission(client_id, mission_type=MissionType.AUDIT_BLANC, audit_date=dt.date(2027, 3, 1),
                        referential_id="rnq-2019-v9", label="Audit à blanc sur l'ancien référentiel")
    s = ws.store
    s.save_answer(m1.id, ind(1), verdict=Verdict.CONFORME, private_notes="Site web complet",
                  checklist={"Programme en ligne": True})
    s.save_answer(m1.id, ind(1), verdict=Verdict.NC_MINEURE, private_notes="Délais d'accès absents")
    s.save_answer(m1.id, ind(2), verdict=Verdict.NC_MAJEURE, responses={"q1": "non", "q2": 3})
    s.save_answer(m1.id, ind(14), verdict=Verdict.NON_APPLICABLE, na_justification="Pas de CFA")
    s.save_answer(m2.id, "rnq-2019-v9:ind:30", verdict=Verdict.NON_EVALUE, respondent="Direction")
    e1 = s.add_evidence(Evidence(mission_id=m1.id, indicator_id=ind(1), label="Catalogue 2026",
                                 location="https://formapro.example/catalogue", represents_date=dt.date(2026, 9, 1),
                                 owner="Direction"))
    e2 = s.add_evidence(Evidence(mission_id=m1.id, indicator_id=ind(2), label="Bilan annuel 2025"))
    s.remove_evidence(e2.id)
    assert e1.id is not None
    a = s.add_action(Action(mission_id=m1.id, indicator_id=ind(2), title="Publier les indicateurs de résultats",
                            priority=1, owner="Direction", due_date=dt.date(2026, 12, 1)))
    s.update_action(a.id, status=ActionStatus.EN_COURS, comment="Page web en préparation")
    # working state: where the interview resumes, which generated action answers which gap
    s.set_state(m1.id, "interview.current_indicator", ind(14))
    s.set_state(m1.id, ACTIONS_STATE_KEY, {f"{ind(2)}:resultats": a.id})
    s.set_state(m2.id, "interview.current_indicator", "rnq-2019-v9:ind:30")


def snapshot(store) -> dict:
    """Everything the bundle carries, as stored."""
    return store.export_client_data("formapro-lyon")


def without_ids(data: dict) -> dict:
    out = json.loads(json.dumps(data))
    for name in ("evidence", "actions"):
        for row in out[name]:
            row.pop("id")
    for st in out["ui_state"]:
        if st["key"] == ACTIONS_STATE_KEY:
            st["value"] = sorted(st["value"])
    for h in out["history"]:
        h.pop("entity_key")
        for side in ("before", "after"):
            if isinstance(h[side], dict):
                h[side].pop("id", None)
    return out


@pytest.fixture
def source(tmp_path):
    ws = new_ws(tmp_path / "source", "alice")
    populate(ws)
    yield ws
    ws.close()


@pytest.fixture
def bundle(source, tmp_path) -> Path:
    return export_client(source.store, "formapro-lyon", tmp_path / "formapro.qwb")


# -- export ---------------------------------------------------------------------------------------

def test_export_writes_one_checked_file(source, bundle, tmp_path):
    assert sorted(p.name for p in tmp_path.iterdir()) == ["formapro.qwb", "source"]  # no temp file left
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert names == {"manifest.json", *MEMBERS}
        for name in MEMBERS:
            assert hashlib.sha256(zf.read(name)).hexdigest() == manifest["members"][name]["sha256"]
    assert manifest["format"] == FORMAT_NAME == "qualiopi-workbench-bundle"
    assert manifest["format_version"] == 4
    assert manifest["package_version"] == "0.1.0"
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 60
    assert manifest["client_id"] == "formapro-lyon" and manifest["client_name"] == "FormaPro Lyon"
    assert manifest["counts"] == {"missions": 2, "answers": 4, "evidence": 2, "actions": 1, "history": 17,
                                  "ui_state": 3, **{name.removesuffix(".json"): 0 for name in EXTRA_MEMBERS}}


def test_export_never_overwrites_nor_writes_elsewhere(source, bundle, tmp_path):
    before = bundle.read_bytes()
    with pytest.raises(UsageError, match="existe déjà ; rien n'a été écrit"):
        export_client(source.store, "formapro-lyon", bundle)
    assert bundle.read_bytes() == before
    with pytest.raises(UsageError, match="est un dossier"):
        export_client(source.store, "formapro-lyon", tmp_path)
    with pytest.raises(UsageError, match="Dossier de destination introuvable"):
        export_client(source.store, "formapro-lyon", tmp_path / "absent" / "x.qwb")
    assert not (tmp_path / "absent").exists()
    with pytest.raises(UsageError, match="identifiant client invalide"):
        export_client(source.store, "../x", tmp_path / "x.qwb")
    with pytest.raises(NotFoundError, match="Client inconnu"):
        export_client(source.store, "inconnu", tmp_path / "x.qwb")
    assert not (tmp_path / "x.qwb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["formapro.qwb", "source"]
    source.store.save_answer("formapro-lyon-m1", ind(5), verdict=Verdict.CONFORME)
    export_client(source.store, "formapro-lyon", bundle, overwrite=True)
    assert bundle.read_bytes() != before
    assert read_bundle(bundle)[0]["counts"]["answers"] == 5


# -- round trip -----------------------------------------------------------------------------------

def test_round_trip_into_fresh_workspace_is_identical(source, bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    report = import_bundle(dest.store, bundle, library=default_library())
    assert report.client_created and not report.merged and report.conflicts == []
    assert report.missions_added == ["formapro-lyon-m1", "formapro-lyon-m2"]
    assert (report.answers_added, report.evidence_added, report.actions_added, report.history_added) == (4, 2, 1, 17)

    # Every row identical, ids included (they were free), history in the same order.
    assert snapshot(dest.store) == snapshot(source.store)
    assert dest.store.get_client("formapro-lyon") == source.store.get_client("formapro-lyon")
    assert dest.store.list_missions("formapro-lyon") == source.store.list_missions("formapro-lyon")
    for m in source.store.list_missions("formapro-lyon"):
        assert dest.store.list_answers(m.id) == source.store.list_answers(m.id)
        assert dest.store.list_evidence(m.id) == source.store.list_evidence(m.id)
        assert dest.store.list_actions(m.id) == source.store.list_actions(m.id)
        marks = {"id", "imported_from", "imported_at"}  # the destination marks what it received
        strip = [h.model_dump(exclude=marks) for h in source.store.history(m.id)]
        assert [h.model_dump(exclude=marks) for h in dest.store.history(m.id)] == strip
        assert all(h.imported_from and h.imported_from["bundle"] == bundle.name for h in dest.store.history(m.id))
    # The imported mission works with the rest of the package.
    assert sum(a.applicable for a in dest.applicability("formapro-lyon-m1")) == 28
    # Exporting again from the destination gives the same content (not the same manifest time).
    again = export_client(dest.store, "formapro-lyon", tmp_path / "again.qwb")
    assert read_bundle(again)[1] == read_bundle(bundle)[1]
    dest.close()


def test_round_trip_renumbers_ids_taken_by_other_clients(bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    populate(dest, "autre-client")  # takes evidence ids 1, 2 and action id 1
    import_bundle(dest.store, bundle)
    src = read_bundle(bundle)[1]
    got = dest.store.export_client_data("formapro-lyon")
    assert without_ids(got) == without_ids(snapshot_of(src))
    ev_ids = {e["id"] for e in got["evidence"]}
    assert ev_ids.isdisjoint({1, 2})
    # History still points at the (renumbered) evidence and action.
    for h in got["history"]:
        if h["entity"] == "evidence":
            assert int(h["entity_key"]) in ev_ids
            snap = h["after"] or h["before"]
            assert snap["id"] == int(h["entity_key"])
        if h["entity"] == "action":
            assert int(h["entity_key"]) == got["actions"][0]["id"]
    # The generated-actions state follows the renumbered action (not the other client's action 1).
    assert got["actions"][0]["id"] != 1
    assert dest.store.get_state("formapro-lyon-m1", ACTIONS_STATE_KEY) == {f"{ind(2)}:resultats": got["actions"][0]["id"]}
    # The other client is untouched.
    assert len(dest.store.list_answers("autre-client-m1")) == 3
    dest.close()


def snapshot_of(data: dict) -> dict:
    return {"client": data["client"],
            **{k: data[k] for k in ("missions", "answers", "evidence", "actions", "history", "ui_state")},
            **{name.removesuffix(".json"): data[name.removesuffix(".json")] for name in EXTRA_MEMBERS}}


# -- existing client: refuse, or merge ----------------------------------------------------------

def test_existing_client_refused_without_merge(source, bundle):
    source.store.save_answer("formapro-lyon-m1", ind(1), verdict=Verdict.CONFORME, private_notes="corrigé sur place")
    before = snapshot(source.store)
    db = source.settings.store_path
    with pytest.raises(BundleError) as err:
        import_bundle(source.store, bundle)
    assert "existe déjà" in err.value.message and "--merge" in err.value.message
    assert "rien n'a été importé" in err.value.message
    assert err.value.exit_code == 7
    assert snapshot(source.store) == before
    assert source.store.get_answer("formapro-lyon-m1", ind(1)).private_notes == "corrigé sur place"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == len(before["history"])
    conn.close()


def test_merge_keeps_local_answers_and_reports_conflicts(source, bundle, tmp_path):
    # Bob receives the client, then both consultants keep working on it.
    bob = new_ws(tmp_path / "bob", "bob")
    import_bundle(bob.store, bundle)
    bob.store.save_answer("formapro-lyon-m1", ind(1), verdict=Verdict.NC_MAJEURE, private_notes="Vu sur place : rien")
    bob.new_mission(  # Bob's own third mission
        "formapro-lyon", mission_type=MissionType.PREP_SURVEILLANCE, audit_date=dt.date(2027, 6, 1))

    a = source.store
    a.save_answer("formapro-lyon-m1", ind(1), verdict=Verdict.CONFORME, private_notes="Corrigé")  # conflict
    a.save_answer("formapro-lyon-m1", ind(3), verdict=Verdict.NC_MINEURE, private_notes="Taux de réussite absents")
    a.add_evidence(Evidence(mission_id="formapro-lyon-m1", indicator_id=ind(3), label="Fiche RNCP"))
    a.update_action(1, status=ActionStatus.FAIT)  # action conflict
    alice_m3 = source.new_mission("formapro-lyon", mission_type=MissionType.PREP_RENOUVELLEMENT,
                                  audit_date=dt.date(2028, 1, 10))
    a.save_answer(alice_m3.id, ind(4), verdict=Verdict.CONFORME)
    second = export_client(a, "formapro-lyon", tmp_path / "second.qwb")

    bob_before = bob.store.history("formapro-lyon-m1")
    report = import_bundle(bob.store, second, merge=True)
    assert report.merged and not report.client_created
    # Alice's m3 collides with Bob's own m3: imported under a new id, reported.
    assert report.missions_renamed == {"formapro-lyon-m3": "formapro-lyon-m4"}
    assert report.missions_added == ["formapro-lyon-m4"]
    assert report.missions_existing == ["formapro-lyon-m1", "formapro-lyon-m2"]
    assert report.answers_added == 2  # ind 3 in m1, ind 4 in the new mission
    assert report.answers_identical == 3
    kinds = sorted((c.kind, c.indicator_id) for c in report.conflicts)
    assert kinds == [("action", ind(2)), ("answer", ind(1))]
    conflict = next(c for c in report.conflicts if c.kind == "answer")
    assert conflict.local["verdict"] == "nc_majeure" and conflict.incoming["verdict"] == "conforme"
    assert "réponse locale conservée (NC majeure, par bob)" in conflict.describe()
    assert report.evidence_added == 1 and report.evidence_existing == 2

    # Local answers and actions kept, nothing overwritten.
    assert bob.store.get_answer("formapro-lyon-m1", ind(1)).verdict is Verdict.NC_MAJEURE
    assert bob.store.get_answer("formapro-lyon-m1", ind(1)).private_notes == "Vu sur place : rien"
    assert bob.store.list_actions("formapro-lyon-m1")[0].status is ActionStatus.EN_COURS
    assert bob.store.get_answer("formapro-lyon-m1", ind(3)).verdict is Verdict.NC_MINEURE
    assert bob.store.get_answer("formapro-lyon-m4", ind(4)).verdict is Verdict.CONFORME
    assert bob.store.get_mission("formapro-lyon-m3").type is MissionType.PREP_SURVEILLANCE
    # History appended: Bob's entries first and unchanged, then Alice's new ones, then the conflicts.
    after = bob.store.history("formapro-lyon-m1")
    assert after[: len(bob_before)] == bob_before
    appended = after[len(bob_before):]
    assert {(h.actor, h.field, h.after) for h in appended if not isinstance(h.after, dict)} >= {
        ("alice", "verdict", "conforme"), ("alice", "private_notes", "Taux de réussite absents"), ("alice", "status", "fait")}
    assert [h.entity for h in appended if h.field == "conflit"] == ["import", "import"]
    lines = "\n".join(report.lines())
    assert "2 conflit(s) — rien n'a été écrasé" in lines and "formapro-lyon-m4" in lines

    # Merging the same bundle again adds nothing new.
    again = import_bundle(bob.store, second, merge=True)
    assert (again.missions_added, again.answers_added, again.evidence_added, again.history_added) == ([], 0, 0, 0)
    assert len(again.conflicts) == 2
    bob.close()


def test_merge_is_all_or_nothing(source, bundle, tmp_path, monkeypatch):
    dest = new_ws(tmp_path / "dest", "bob")
    db = dest.settings.store_path
    calls = {"n": 0}
    original = SQLiteStore._insert_keeping_id

    def failing(c, table, cols, values):
        calls["n"] += 1
        if calls["n"] == 2:
            raise sqlite3.OperationalError("disque plein (simulé)")
        return original(c, table, cols, values)

    monkeypatch.setattr(SQLiteStore, "_insert_keeping_id", staticmethod(failing))
    with pytest.raises(StoreError):  # the SQLite failure, named for the user
        import_bundle(dest.store, bundle)
    assert calls["n"] == 2
    assert not dest.store.client_exists("formapro-lyon")
    conn = sqlite3.connect(db)
    for table in ("clients", "missions", "answers", "evidence", "actions", "history"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    conn.close()
    dest.close()


# -- corrupt and foreign files --------------------------------------------------------------------

def rewrite(src: Path, dst: Path, *, drop: str | None = None, replace: dict[str, bytes] | None = None,
            manifest_update: dict | None = None, fix_checksums: bool = False) -> Path:
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    members.update(replace)
    manifest = json.loads(members["manifest.json"])
    manifest.update(manifest_update or {})
    if fix_checksums:
        for name in MEMBERS:
            if name in members:
                manifest["members"][name]["sha256"] = hashlib.sha256(members[name]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    if drop:
        members.pop(drop)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, blob in members.items():
            zout.writestr(name, blob)
    return dst


def _tampered_answers(bundle: Path) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        answers = json.loads(zf.read("answers.json"))
    answers[0]["verdict"] = "conforme" if answers[0]["verdict"] != "conforme" else "nc_majeure"
    return json.dumps(answers).encode()


def make_bad(kind: str, bundle: Path, tmp: Path) -> Path:
    out = tmp / f"{kind}.qwb"
    if kind == "truncated":
        data = bundle.read_bytes()
        out.write_bytes(data[: len(data) // 2])
    elif kind == "bitflip":
        data = bytearray(bundle.read_bytes())
        with zipfile.ZipFile(bundle) as zf:
            info = zf.getinfo("history.json")
        pos = info.header_offset + 30 + len(info.filename) + 40  # inside the compressed data
        data[pos] ^= 0xFF
        out.write_bytes(bytes(data))
    elif kind == "tampered":
        rewrite(bundle, out, replace={"answers.json": _tampered_answers(bundle)})
    elif kind == "missing-member":
        rewrite(bundle, out, drop="history.json")
    elif kind == "foreign-zip":
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr("word/document.xml", "<w:document/>")
    elif kind == "foreign-format":
        rewrite(bundle, out, manifest_update={"format": "autre-logiciel"})
    elif kind == "too-new":
        rewrite(bundle, out, manifest_update={"format_version": 99, "package_version": "9.0.0"})
    elif kind == "not-zip":
        out.write_text("identifiant;nom\nformapro-lyon;FormaPro\n", encoding="utf-8")
    elif kind == "empty":
        out.write_bytes(b"")
    elif kind == "bad-content":
        rewrite(bundle, out, replace={"answers.json": json.dumps(
            [{**json.loads(_tampered_answers(bundle))[0], "verdict": "excellent"}]).encode()},
            fix_checksums=True)
    elif kind == "bad-json":
        rewrite(bundle, out, replace={"missions.json": b"[{"}, fix_checksums=True)
    else:
        raise AssertionError(kind)
    return out


BAD_FILES = {
    "truncated": "archive zip tronquée ou endommagée",
    "bitflip": "élément « history.json » illisible",
    "tampered": "empreinte SHA-256 de « answers.json » incorrecte",
    "missing-member": "élément « history.json » manquant",
    "foreign-zip": "n'est pas un paquet client Qualiopi Workbench (pas de manifest.json)",
    "foreign-format": "format « autre-logiciel », attendu « qualiopi-workbench-bundle »",
    "too-new": "créé par une version plus récente du logiciel (format 99, version 9.0.0)",
    "not-zip": "ce n'est pas une archive zip",
    "empty": "fichier vide",
    "bad-content": "élément « answers.json », entrée 1, champ « verdict » : valeur non permise : 'excellent'",
    "bad-json": "élément « missions.json » : JSON invalide",
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_refused_with_french_message(kind, bundle, tmp_path):
    bad = make_bad(kind, bundle, tmp_path)
    dest = new_ws(tmp_path / "dest", "bob")
    with pytest.raises(BundleError) as err:
        import_bundle(dest.store, bad)
    msg = err.value.message
    assert BAD_FILES[kind] in msg
    assert str(bad) in msg
    assert "Rien n'a été importé" in msg
    assert err.value.exit_code == 7
    assert not dest.store.client_exists("formapro-lyon")
    assert dest.store.list_missions() == []
    dest.close()


def test_bad_file_leaves_existing_client_untouched(source, bundle, tmp_path):
    before = snapshot(source.store)
    for kind in ("tampered", "bad-content", "truncated"):
        with pytest.raises(BundleError):
            import_bundle(source.store, make_bad(kind, bundle, tmp_path), merge=True)
    assert snapshot(source.store) == before


def test_unknown_referential_refused(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        missions = json.loads(zf.read("missions.json"))
    missions[0]["referential_id"] = "rnq-2031"
    odd = rewrite(bundle, tmp_path / "odd.qwb", replace={"missions.json": json.dumps(missions).encode()},
                  fix_checksums=True)
    dest = new_ws(tmp_path / "dest", "bob")
    with pytest.raises(BundleError, match="utilise le référentiel « rnq-2031 », absent de cette installation"):
        import_bundle(dest.store, odd, library=dest.library)
    assert not dest.store.client_exists("formapro-lyon")
    dest.close()


def test_inconsistent_bundle_refused(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        answers = json.loads(zf.read("answers.json"))
    answers[0]["mission_id"] = "autre-m1"
    odd = rewrite(bundle, tmp_path / "odd.qwb", replace={"answers.json": json.dumps(answers).encode()},
                  fix_checksums=True)
    with pytest.raises(BundleError, match="mission « autre-m1 » absente du paquet"):
        read_bundle(odd)
    with pytest.raises(UsageError, match="Fichier introuvable"):
        read_bundle(tmp_path / "absent.qwb")


# -- mission identifiers (they end up in file names and environment variables) -------------------

def _rename_mission(value, old: str, new: str):
    """Every string equal to ``old`` replaced by ``new``, anywhere in a JSON value."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_rename_mission(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _rename_mission(v, old, new) for k, v in value.items()}
    return value


def with_mission_id(bundle: Path, out: Path, new: str, *, client_id: str | None = None) -> Path:
    """The bundle with mission m2 renamed to ``new`` everywhere (a consistent, crafted bundle)."""
    with zipfile.ZipFile(bundle) as zf:
        members = {n: json.loads(zf.read(n)) for n in MEMBERS}
    replace = {}
    for name, content in members.items():
        content = _rename_mission(content, "formapro-lyon-m2", new)
        if name == "missions.json" and client_id:
            for m in content:
                if m["id"] == new:
                    m["client_id"] = client_id
        replace[name] = json.dumps(content).encode()
    return rewrite(bundle, out, replace=replace, fix_checksums=True)


@pytest.mark.parametrize(("bad", "client_id", "expected"), [
    ("../../../../tmp/x/pwned", None, "identifiant de mission invalide : « ../../../../tmp/x/pwned »"),
    ("formapro-lyon-m2/../../x", None, "identifiant de mission invalide : « formapro-lyon-m2/../../x »"),
    ("formapro-lyon-mx", None, "identifiant de mission invalide : « formapro-lyon-mx »"),
    ("formapro-lyon-m2\n", None, "identifiant de mission invalide"),
    ("formapro-lyon-m٣", None, "identifiant de mission invalide"),  # non-ASCII digit
    ("autre-client-m1", None, "identifiant de mission invalide : « autre-client-m1 »"),
    ("autre-client-m1", "autre-client", "la mission « autre-client-m1 » appartient au client « autre-client »"),
])
def test_crafted_mission_id_refused(bad, client_id, expected, bundle, tmp_path):
    crafted = with_mission_id(bundle, tmp_path / "crafted.qwb", bad, client_id=client_id)
    dest = new_ws(tmp_path / "dest", "bob")
    populate(dest, "autre-client")
    before = dest.store.export_client_data("autre-client")
    with pytest.raises(BundleError) as err:
        import_bundle(dest.store, crafted)
    assert expected in err.value.message
    assert "Rien n'a été importé" in err.value.message and err.value.exit_code == 7
    assert not dest.store.client_exists("formapro-lyon")
    assert [m.client_id for m in dest.store.list_missions()] == ["autre-client", "autre-client"]
    assert dest.store.export_client_data("autre-client") == before
    assert not (tmp_path / "x").exists()
    dest.close()


def test_store_refuses_crafted_mission_id_itself(bundle, tmp_path):
    """Defence in depth: the store checks the ids even when called without read_bundle."""
    data = read_bundle(bundle)[1]
    data = _rename_mission(data, "formapro-lyon-m2", "../../pwned")
    dest = new_ws(tmp_path / "dest", "bob")
    with pytest.raises(BundleError, match="Identifiant de mission invalide dans le paquet : « ../../pwned »"):
        dest.store.import_client_data(data)
    assert not dest.store.client_exists("formapro-lyon")
    dest.close()


@pytest.mark.parametrize(("member", "expected"), [
    ("ui_state.json", "élément « ui_state.json » : mission « autre-client-m1 » absente du paquet"),
    ("history.json", "élément « history.json » : mission « autre-client-m1 » absente du paquet"),
    ("evidence.json", "élément « evidence.json » : mission « autre-client-m1 » absente du paquet"),
])
def test_rows_of_foreign_missions_refused(member, expected, bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        rows = json.loads(zf.read(member))
    rows[0]["mission_id"] = "autre-client-m1"
    odd = rewrite(bundle, tmp_path / "odd.qwb", replace={member: json.dumps(rows).encode()}, fix_checksums=True)
    dest = new_ws(tmp_path / "dest", "bob")
    populate(dest, "autre-client")
    with pytest.raises(BundleError, match=expected):
        import_bundle(dest.store, odd)
    assert not dest.store.client_exists("formapro-lyon")
    dest.close()


# -- working state (ui_state) ---------------------------------------------------------------------

def test_working_state_travels_with_the_client(bundle, tmp_path):
    dest = new_ws(tmp_path / "dest", "bob")
    populate(dest, "autre-client")  # takes action id 1: formapro's action is renumbered
    report = import_bundle(dest.store, bundle)
    assert (report.state_added, report.state_identical, report.state_kept) == (3, 0, [])
    assert dest.store.get_state("formapro-lyon-m1", "interview.current_indicator") == ind(14)
    assert dest.store.get_state("formapro-lyon-m2", "interview.current_indicator") == "rnq-2019-v9:ind:30"
    # The other client's state is untouched.
    assert dest.store.get_state("autre-client-m1", ACTIONS_STATE_KEY) == {f"{ind(2)}:resultats": 1}
    # Regenerating the plan after the hand-over does not duplicate the action, even when the
    # remediation wording changed (the action is found through the state, not its title).
    action = dest.store.list_actions("formapro-lyon-m1")[0]
    proposal = ProposedAction(key=f"{ind(2)}:resultats", indicator_id=ind(2), number=2, kind=GapKind.MAJOR,
                              title="Publier les résultats (nouvelle formulation)", detail="", owner="Direction",
                              due_date=dt.date(2026, 12, 1))
    result = apply_plan(dest.store, "formapro-lyon-m1", [proposal])
    assert result.created == [] and [a.id for a in result.kept] == [action.id]
    assert len(dest.store.list_actions("formapro-lyon-m1")) == 1
    assert "État de travail (reprise, actions générées) ajouté : 3" in "\n".join(report.lines())
    dest.close()


def test_merge_never_overwrites_local_working_state(source, bundle, tmp_path):
    bob = new_ws(tmp_path / "bob", "bob")
    import_bundle(bob.store, bundle)
    bob.store.set_state("formapro-lyon-m1", "interview.current_indicator", ind(20))  # Bob moved on
    source.store.set_state("formapro-lyon-m1", "interview.current_indicator", ind(3))  # so did Alice
    source.store.set_state("formapro-lyon-m2", "vue.filtre", "nc")  # a key Bob does not have
    second = export_client(source.store, "formapro-lyon", tmp_path / "second.qwb")

    report = import_bundle(bob.store, second, merge=True)
    assert report.state_added == 1 and report.state_identical == 2
    assert report.state_kept == [{"mission_id": "formapro-lyon-m1", "key": "interview.current_indicator",
                                  "local": ind(20), "incoming": ind(3)}]
    assert bob.store.get_state("formapro-lyon-m1", "interview.current_indicator") == ind(20)
    assert bob.store.get_state("formapro-lyon-m2", "vue.filtre") == "nc"
    lines = "\n".join(report.lines())
    assert ("mission formapro-lyon-m1 : point de reprise de l'entretien — valeur locale conservée, "
            "celle du paquet écartée") in lines
    assert report.to_dict()["state_kept"][0]["local"] == ind(20)
    bob.close()


def test_format_1_bundle_without_working_state_still_imports(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    members = {k: v for k, v in manifest["members"].items() if k != "ui_state.json"}
    old = rewrite(bundle, tmp_path / "old.qwb", drop="ui_state.json",
                  manifest_update={"format_version": 1, "members": members})
    dest = new_ws(tmp_path / "dest", "bob")
    report = import_bundle(dest.store, old)
    assert report.client_created and report.state_added == 0 and report.answers_added == 4
    assert dest.store.get_state("formapro-lyon-m1", "interview.current_indicator") is None
    dest.close()


def test_format_2_bundle_requires_working_state(bundle, tmp_path):
    missing = rewrite(bundle, tmp_path / "missing.qwb", drop="ui_state.json")
    with pytest.raises(BundleError, match="élément « ui_state.json » manquant"):
        read_bundle(missing)
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    members = {k: v for k, v in manifest["members"].items() if k != "ui_state.json"}
    unlisted = rewrite(bundle, tmp_path / "unlisted.qwb", manifest_update={"members": members})
    with pytest.raises(BundleError, match="empreinte SHA-256 de « ui_state.json » absente du manifeste"):
        read_bundle(unlisted)


@pytest.mark.parametrize(("value", "expected"), [
    (["pas", "un", "objet"], "correspondance écarts → actions générées de la mission « formapro-lyon-m1 » illisible"),
    ({"k": "1"}, "correspondance écarts → actions générées de la mission « formapro-lyon-m1 » illisible"),
    ({"k": 99}, "action 99 absente de la mission « formapro-lyon-m1 » du paquet"),
])
def test_generated_actions_state_checked(value, expected, bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        states = json.loads(zf.read("ui_state.json"))
    for st in states:
        if st["key"] == ACTIONS_STATE_KEY:
            st["value"] = value
    odd = rewrite(bundle, tmp_path / "odd.qwb", replace={"ui_state.json": json.dumps(states).encode()},
                  fix_checksums=True)
    with pytest.raises(BundleError, match=expected):
        read_bundle(odd)
    duplicated = rewrite(bundle, tmp_path / "dup.qwb", replace={"ui_state.json": json.dumps(
        states + states[:1]).encode()}, fix_checksums=True)
    with pytest.raises(BundleError, match="état de travail en double"):
        read_bundle(duplicated)
