"""Issue 9, items 2, 7, 8, 10 and 13 (bundles): foreign organisations, JSON bombs, imported history
marked as such, signatures with the firm's key, SIRET held by another client, unknown indicators."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.store import test_bundle
from tests.store.test_bundle import new_ws, rewrite
from tests.support import run_cli
from workbench.core.errors import BundleError, ProfileError
from workbench.domain.profile import ClientProfile
from workbench.store.bundle import export_client, import_bundle
from workbench.store.bundle_safety import MAX_JSON_DEPTH, MAX_JSON_VALUES, check_json_bounds, check_json_depth

source, bundle = test_bundle.source, test_bundle.bundle  # the shared fixtures: a populated workspace, its bundle

KEY = "cle-du-cabinet-" + "0123456789abcdef" * 2
OTHER_KEY = "cle-d-un-autre-cabinet-" + "fedcba9876543210" * 2


@pytest.fixture
def dest(tmp_path):
    ws = new_ws(tmp_path / "dest", "bob")
    yield ws
    ws.close()


def counts(store) -> dict[str, int]:
    c = store.connection
    return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("clients", "missions", "answers", "evidence", "actions", "history")}


# -- item 2: another organisation under the same id ------------------------------------------------


def test_merge_of_another_organisation_refused(bundle, dest):
    # same id, another SIRET and name: the attempt of the issue
    dest.store.create_client(ClientProfile(id="formapro-lyon", name="Lyon Formation Continue",
                                           siret="35600000000001", categories=["AF"]))
    before = counts(dest.store)
    with pytest.raises(BundleError) as err:
        import_bundle(dest.store, bundle, merge=True, library=dest.library)
    msg = err.value.message
    assert "autre organisation" in msg and "73282932000074" in msg and "35600000000001" in msg
    assert "--as" in msg and "rien n'a été fusionné" in msg
    assert counts(dest.store) == before
    assert dest.store.list_missions("formapro-lyon") == []


def test_without_siret_the_name_decides(bundle, dest, tmp_path):
    dest.store.create_client(ClientProfile(id="formapro-lyon", name="Un tout autre organisme", categories=["AF"]))
    with pytest.raises(BundleError, match="autre organisation"):
        import_bundle(dest.store, bundle, merge=True, library=dest.library)
    # the same organisation written differently (case, accents, punctuation) is the same one
    other = new_ws(tmp_path / "dest2", "carol")
    other.store.create_client(ClientProfile(id="formapro-lyon", name="FORMAPRO   lyon.", categories=["AF"]))
    report = import_bundle(other.store, bundle, merge=True, library=other.library)
    assert report.merged and report.missions_added
    other.close()


def test_foreign_organisation_imported_under_another_id(bundle, dest, tmp_path):
    dest.store.create_client(ClientProfile(id="formapro-lyon", name="Lyon Formation Continue",
                                           categories=["AF"]))
    r = run_cli("client", "import", str(bundle), "--merge", workspace=dest.path)
    assert r.code == 7 and "autre organisation" in r.err and "Traceback" not in r.err
    r = run_cli("client", "import", str(bundle), "--as", "formapro-lyon-bis", workspace=dest.path)
    assert r.code == 0, r.err
    assert "importé sous l'identifiant « formapro-lyon-bis »" in r.out
    assert dest.store.get_client("formapro-lyon").name == "Lyon Formation Continue"
    assert dest.store.list_missions("formapro-lyon") == []
    moved = dest.store.list_missions("formapro-lyon-bis")
    assert [m.id for m in moved] == ["formapro-lyon-bis-m1", "formapro-lyon-bis-m2"]
    assert dest.store.get_client("formapro-lyon-bis").siret == "73282932000074"
    assert len(dest.store.list_answers("formapro-lyon-bis-m1")) == 3


# -- item 10: a SIRET belongs to one client --------------------------------------------------------


def test_siret_of_another_client_refused_on_import_and_update(bundle, dest):
    dest.store.create_client(ClientProfile(id="deja-la", name="FormaPro Lyon", siret="73282932000074",
                                           categories=["AF"]))
    with pytest.raises(BundleError, match="déjà celui du client « deja-la »"):
        import_bundle(dest.store, bundle, library=dest.library)
    assert not dest.store.client_exists("formapro-lyon")
    dest.store.create_client(ClientProfile(id="autre", name="Autre", categories=["AF"]))
    with pytest.raises(ProfileError, match="déjà celui du client « deja-la »"):
        dest.store.update_client(ClientProfile(id="autre", name="Autre", siret="73282932000074", categories=["AF"]))
    with pytest.raises(ProfileError, match="déjà celui du client"):
        dest.store.create_client(ClientProfile(id="troisieme", name="T", siret="732 829 320 00074",
                                               categories=["AF"]))
    assert dest.store.get_client("autre").siret is None


# -- item 7: JSON bombs ----------------------------------------------------------------------------


def bomb(bundle: Path, out: Path, member: str, payload: bytes) -> Path:
    return rewrite(bundle, out, replace={member: payload}, fix_checksums=True)


def test_wide_json_bomb_refused_as_corrupt(bundle, dest, tmp_path):
    payload = b"[" + b"0," * (MAX_JSON_VALUES + 10) + b"0]"  # about 2 MB, deflates to a few KB
    bad = bomb(bundle, tmp_path / "large.qwb", "history.json", payload)
    assert bad.stat().st_size < 64_000
    with pytest.raises(BundleError) as err:
        import_bundle(dest.store, bad)
    assert "Paquet client corrompu" in err.value.message and "hors limites" in err.value.message
    assert err.value.exit_code == 7
    assert counts(dest.store)["clients"] == 0


def test_deep_json_bomb_refused_as_corrupt(bundle, dest, tmp_path):
    payload = b"[" * 200_000 + b"]" * 200_000  # json.loads alone: RecursionError
    bad = bomb(bundle, tmp_path / "deep.qwb", "evidence.json", payload)
    r = run_cli("client", "import", str(bad), workspace=dest.path)
    assert r.code == 7, r.err
    assert "Paquet client corrompu" in r.err and "imbrication" in r.err
    assert "Erreur interne" not in r.err and "Traceback" not in r.err and "Recursion" not in r.err


def test_deep_json_in_history_values_refused(bundle, dest, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        history = json.loads(zf.read("history.json"))
    nested: object = "x"
    for _ in range(MAX_JSON_DEPTH + 5):
        nested = {"a": nested}
    history[0]["after"] = nested
    bad = bomb(bundle, tmp_path / "deep-history.qwb", "history.json", json.dumps(history).encode())
    with pytest.raises(BundleError, match="imbrication"):
        import_bundle(dest.store, bad)


def test_members_announcing_a_huge_size_refused(bundle, dest, tmp_path):
    # 40 MB of spaces: under the old 256 MB limit, over the new one; never inflated in full
    payload = b"[" + b" " * (40 * 1024 * 1024) + b"]"
    bad = bomb(bundle, tmp_path / "huge.qwb", "actions.json", payload)
    with pytest.raises(BundleError, match="anormalement volumineux"):
        import_bundle(dest.store, bad)


def test_bounds_do_not_reject_real_text():
    # brackets and commas inside strings are text, not structure
    check_json_bounds(json.dumps([{"notes": "[" * 10_000 + "," * 10_000}] * 40).encode())
    with pytest.raises(ValueError):
        check_json_depth(json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)))
    check_json_depth(json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH))


# -- item 8: imported history is marked; signatures ------------------------------------------------


def test_forged_history_is_marked_as_imported(source, bundle, dest, tmp_path):
    """The attempt: a forged entry (actor « auditeur », NC majeure → Conforme) added to a bundle."""
    with zipfile.ZipFile(bundle) as zf:
        history = json.loads(zf.read("history.json"))
    forged = {**history[-1], "mission_id": "formapro-lyon-m1", "entity": "answer", "entity_key": "rnq-2026:ind:02",
              "indicator_id": "rnq-2026:ind:02", "field": "verdict", "before": "nc_majeure", "after": "conforme",
              "actor": "auditeur", "at": "2026-12-20T10:00:00+00:00"}
    bad = bomb(bundle, tmp_path / "forged.qwb", "history.json", json.dumps([*history, forged]).encode())
    local = dest.store.history_actors()
    report = import_bundle(dest.store, bad, library=dest.library)
    assert report.signature == "absent"
    entries = dest.store.history("formapro-lyon-m1")
    mine = [e for e in entries if e.actor == "auditeur"]
    assert len(mine) == 1 and mine[0].imported_from is not None and mine[0].imported_at is not None
    assert mine[0].imported_from["bundle"] == "forged.qwb" and mine[0].imported_from["signature"] == "absent"
    assert all(e.imported_from is not None for e in entries if e.entity != "import")
    assert local == []
    r = run_cli("mission", "history", "formapro-lyon-m1", "--indicator", "2", workspace=dest.path)
    assert r.code == 0, r.err
    line = next(row for row in r.out.splitlines() if "auditeur" in row)
    assert "[importé 1]" in line
    assert "entrée reçue d'un paquet client" in r.out and "forged.qwb" in r.out and "non signé" in r.out
    # a local change stays unmarked
    dest.store.save_answer("formapro-lyon-m1", "rnq-2026:ind:03", private_notes="vu sur place")
    last = dest.store.history("formapro-lyon-m1")[-1]
    assert last.actor == "bob" and last.imported_from is None


def test_reexport_does_not_carry_the_marks_of_this_workspace(bundle, dest, tmp_path):
    import_bundle(dest.store, bundle, library=dest.library)
    again = export_client(dest.store, "formapro-lyon", tmp_path / "again.qwb")
    third = new_ws(tmp_path / "third", "carol")
    import_bundle(third.store, again, library=third.library)
    assert all(e.imported_from["bundle"] == "again.qwb" for e in third.store.history("formapro-lyon-m1")
               if e.entity != "import")
    third.close()


def test_signed_bundles(source, tmp_path, dest):
    signed = export_client(source.store, "formapro-lyon", tmp_path / "signe.qwb", signing_key=KEY)
    unsigned = export_client(source.store, "formapro-lyon", tmp_path / "non-signe.qwb")
    with zipfile.ZipFile(signed) as zf:
        sig = json.loads(zf.read("manifest.json"))["signature"]
    assert sig["algorithm"] == "HMAC-SHA256" and KEY not in json.dumps(sig)
    # another firm's key, or a manifest changed after signing: refused
    with pytest.raises(BundleError, match="Signature du paquet .* invalide"):
        import_bundle(dest.store, signed, signing_key=OTHER_KEY)
    tampered = rewrite(signed, tmp_path / "modifie.qwb", manifest_update={"client_name": "Autre"})
    with pytest.raises(BundleError, match="invalide"):
        import_bundle(dest.store, tampered, signing_key=KEY)
    # a workspace with a key refuses unsigned bundles unless told
    with pytest.raises(BundleError, match="n'est pas signé"):
        import_bundle(dest.store, unsigned, signing_key=KEY)
    assert counts(dest.store)["clients"] == 0
    report = import_bundle(dest.store, signed, signing_key=KEY, library=dest.library)
    assert report.signature == "verified"
    assert dest.store.history("formapro-lyon-m1")[0].imported_from["signature"] == "verified"


def test_signing_from_the_workspace_settings(source, tmp_path):
    for name in ("source", "dest"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "workbench.yaml").write_text(f"bundle_signing_key: {KEY}\n", encoding="utf-8")
    out = tmp_path / "f.qwb"
    assert run_cli("client", "export", "formapro-lyon", "-o", str(out), workspace=tmp_path / "source").code == 0
    r = run_cli("client", "import", str(out), workspace=tmp_path / "dest")
    assert r.code == 0, r.err
    assert "signature du cabinet vérifiée" in r.out
    (tmp_path / "dest" / "workbench.yaml").write_text("bundle_signing_key: trop-courte\n", encoding="utf-8")
    r = run_cli("client", "list", workspace=tmp_path / "dest")
    assert r.code == 2 and "clé de signature trop courte" in r.err


# -- item 13: what bundles may no longer smuggle -------------------------------------------------


def test_unknown_indicator_ids_refused_not_dropped(bundle, dest, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        answers = json.loads(zf.read("answers.json"))
    answers[0]["indicator_id"] = "rnq-2026:ind:99"
    bad = bomb(bundle, tmp_path / "ind.qwb", "answers.json", json.dumps(answers).encode())
    with pytest.raises(BundleError, match="indicateur inconnu « rnq-2026:ind:99 »"):
        import_bundle(dest.store, bad, library=dest.library)
    assert counts(dest.store)["clients"] == 0


def test_mission_type_contradicting_audit_type_refused(bundle, dest, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        missions = json.loads(zf.read("missions.json"))
    missions[0]["type"], missions[0]["audit_type"] = "prep_surveillance", "initial"
    bad = bomb(bundle, tmp_path / "type.qwb", "missions.json", json.dumps(missions).encode())
    with pytest.raises(BundleError, match="prépare un « Audit de surveillance »"):
        import_bundle(dest.store, bad)


def test_control_characters_in_a_bundle_are_stripped(bundle, dest, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        answers = json.loads(zf.read("answers.json"))
    answers[0]["private_notes"] = "Avant\x1b[2J\x1b[HAprès\x07"
    bad = bomb(bundle, tmp_path / "ctrl.qwb", "answers.json", json.dumps(answers).encode())
    import_bundle(dest.store, bad, library=dest.library)
    notes = dest.store.get_answer(answers[0]["mission_id"], answers[0]["indicator_id"]).private_notes
    assert notes == "Avant[2J[HAprès"
