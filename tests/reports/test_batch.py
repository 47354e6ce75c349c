"""``workbench batch``: warm workers, incremental reruns, isolation between clients, failures, Ctrl+C."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from tests.reports.batch_support import (
    CANARY,
    ENV_TOKEN,
    MARK,
    PRIVATE,
    PROSPECT,
    PROSPECT_MARK,
    REVIEWED,
    build_portfolio,
    wait_no_process,
)
from tests.support import REPO, like_a_terminal, run_cli
from workbench.core.vocab import Verdict
from workbench.domain.checklist import ReviewStatus
from workbench.domain.opportunity import Verdict as OpportunityVerdict
from workbench.reports.batch import BatchOptions, run_batch, summary_text
from workbench.reports.fingerprint import STATE_FILE
from workbench.reports.session_report import session_review_hash
from workbench.services.sessions import save_item_reviews
from workbench.store.opportunity import latest_assessments
from workbench.store.sessions import SessionRepository

pytestmark = [pytest.mark.notebook, pytest.mark.browser]


def _texts(path: Path) -> str:
    """Everything a reader (or a program) can get out of one output file."""
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    if path.suffix == ".xlsx":
        wb = load_workbook(path)
        cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        with zipfile.ZipFile(path) as z:  # document properties and anything else stored in the package
            raw = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        return "\n".join(cells + raw)
    return path.read_text(encoding="utf-8", errors="replace")


def test_batch_full_cycle(tmp_path, monkeypatch):
    root = tmp_path / "espace"
    root.mkdir()
    token = secrets.token_hex(8)
    monkeypatch.setenv(ENV_TOKEN, token)
    ws = build_portfolio(root)
    try:
        # First run: two workers, kernels recycled every 2 notebooks, every format.
        manifest = run_batch(ws, BatchOptions(workers=2, recycle_after=2, progress=False))
        entries = {c["client_id"]: c for c in manifest.clients}
        assert set(entries) == {"client-01", "client-02", "client-03", "client-04", CANARY}
        assert {c["status"] for c in manifest.clients} == {"made"}, [c.get("message") for c in manifest.clients]
        assert manifest.without_mission == ["prospect-sans-mission"] and manifest.prospects == [PROSPECT]
        assert f"Prospects (dans la vue portefeuille, sans rapport) : {PROSPECT}" in summary_text(manifest)
        assert not manifest.failed
        for c in manifest.clients:
            assert set(c["outputs"]) == {"html", "pdf", "xlsx"}
            assert all(Path(p).is_file() and Path(p).stat().st_size > 0 for p in c["outputs"].values())
        saved = json.loads(Path(manifest.path).read_text(encoding="utf-8"))
        assert Path(manifest.path).parent == root / "reports" / "lots"
        assert saved["totals"]["made"] == 5 and saved["portfolio"]["status"] == "made"

        # Warm kernels: several clients per worker on one kernel, and a new kernel after 2 notebooks.
        runs = [*manifest.clients, manifest.portfolio]
        per_worker: dict[str, list[int]] = defaultdict(list)
        for r in runs:
            per_worker[r["worker"]].append(r["kernel_pid"])
        assert len(per_worker) == 2
        assert any(len(pids) > len(set(pids)) for pids in per_worker.values()), per_worker
        assert any(len(set(pids)) > 1 for pids in per_worker.values()), per_worker

        # Canary: the marker is in the canary's outputs, in no other client's, in no format.
        canary_html = Path(entries[CANARY]["outputs"]["html"]).read_text(encoding="utf-8")
        assert f"Constat {MARK}" in canary_html and f"Action {MARK}" in canary_html
        assert MARK in _texts(Path(entries[CANARY]["outputs"]["xlsx"]))
        checked = 0
        for client in entries:
            if client == CANARY:
                continue
            for path in (root / "reports" / client).iterdir():
                assert MARK not in _texts(path), f"marqueur du client canari trouvé dans {path}"
                checked += 1
        # The prospect's data is in no client's outputs (the canary's included), only in the portfolio.
        for client in entries:
            for path in (root / "reports" / client).iterdir():
                assert PROSPECT_MARK not in _texts(path), f"marqueur du prospect trouvé dans {path}"
        assert not (root / "reports" / PROSPECT).exists()
        assert f"Prospect {PROSPECT_MARK}" in (root / "reports" / "_portefeuille" / "portefeuille.html").read_text()
        assert checked >= 4 * 4  # html, pdf, xlsx, executed notebook (+ state) per client
        # Private notes are in no output at all, the canary's own included.
        for path in (root / "reports").rglob("*.*"):
            if path.suffix in (".html", ".pdf", ".xlsx"):
                assert PRIVATE not in _texts(path), path
        # The portfolio (internal to the firm) names every client but shows no finding or proof.
        for path in (root / "reports" / "_portefeuille").glob("portefeuille.*"):
            text = _texts(path)
            for leak in (f"Constat {MARK}", f"Preuve {MARK}", f"Commentaire {MARK}"):
                assert leak not in text, (leak, path)

        # Rerun with nothing changed: everything skipped, no worker started.
        again = run_batch(ws, BatchOptions(workers=2, progress=False))
        assert {c["status"] for c in again.clients} == {"unchanged"}
        assert again.portfolio["status"] == "unchanged"
        assert all("worker" not in c for c in again.clients)
        assert again.check_ms_per_client > 0

        # One answer changes, one item of a sampled file is reviewed again: those two clients only (and
        # the portfolio) are made again.
        mission = ws.resolve_mission("client-02")
        ind = ws.library.get(mission.referential_id).indicator(12).id
        ws.store.save_answer(mission.id, ind, verdict=Verdict.NC_MAJEURE, finding="Nouveau constat")
        reviewed = ws.resolve_mission(REVIEWED)
        before = session_review_hash(ws, reviewed)
        item = next(r for r in SessionRepository(ws.store).list_reviews(reviewed.id) if r.status == ReviewStatus.MISSING)
        save_item_reviews(ws, REVIEWED, reviewed.id, [(item.reference, item.item_id,
                                                       {"status": ReviewStatus.PRESENT, "note": "Retrouvé"})])
        third = run_batch(ws, BatchOptions(workers=1, progress=False, formats=("html", "xlsx")))
        status = {c["client_id"]: c["status"] for c in third.clients}
        assert status.pop("client-02") == "made" and status.pop(REVIEWED) == "made"
        assert set(status.values()) == {"unchanged"}
        remade = next(c for c in third.clients if c["client_id"] == REVIEWED)
        after = session_review_hash(ws, reviewed)
        assert after != before
        executed = nbformat.read(Path(remade["outputs"]["html"]).with_suffix(".ipynb"), as_version=4)
        assert executed.metadata["workbench"]["provenance"]["session_review_hash"] == after  # the run's record
        assert third.portfolio["status"] == "made"
        made = next(c for c in third.clients if c["client_id"] == "client-02")
        assert json.loads((root / "reports" / "client-02" / STATE_FILE).read_text())["fingerprint"] == \
            made["fingerprint"]
    finally:
        ws.close()
    assert wait_no_process(token) == []


def _cli_env(token: str) -> dict[str, str]:
    return {ENV_TOKEN: token, "PYTHONUNBUFFERED": "1"}


def test_a_broken_client_fails_alone(tmp_path):
    root = tmp_path / "espace"
    root.mkdir()
    ws = build_portfolio(root, n_plain=2)
    # A mission bound to a referential version this installation does not have.
    ws.store.connection.execute("UPDATE missions SET referential_id='rnq-1999' WHERE client_id='client-02'")
    ws.store.connection.commit()
    ws.close()
    token = secrets.token_hex(8)
    res = run_cli("batch", "--formats", "html,xlsx", "--workers", "2", workspace=root, env=_cli_env(token))
    assert res.code == 8, res.err
    assert "ÉCHEC client-02" in res.out and "rnq-1999" in res.out
    assert "2 client(s) traité(s)" in res.out and "1 en échec" in res.out
    assert "Traceback" not in res.out + res.err
    manifest = json.loads(next((root / "reports" / "lots").glob("lot-*.json")).read_text(encoding="utf-8"))
    status = {c["client_id"]: c["status"] for c in manifest["clients"]}
    assert status == {"client-01": "made", "client-02": "failed", CANARY: "made"}
    assert manifest["portfolio"]["status"] == "made"  # the broken client is shown as such in the view
    assert "analyse impossible" in (root / "reports" / "_portefeuille" / "portefeuille.html").read_text()
    # --json prints the manifest; a rerun retries the failed client only.
    again = run_cli("batch", "--formats", "html,xlsx", "--json", workspace=root, env=_cli_env(token))
    assert again.code == 8
    assert again.json()["totals"] == {"made": 0, "unchanged": 2, "failed": 1, "interrupted": 0,
                                      "without_mission": 1, "prospects": 1}
    assert wait_no_process(token) == []


def test_usage_errors(tmp_path):
    root = tmp_path / "espace"
    root.mkdir()
    build_portfolio(root, n_plain=1).close()
    res = run_cli("batch", "--clients", "client-01,inconnu", workspace=root)
    assert res.code == 6 and "inconnu" in res.err and "Traceback" not in res.err
    res = run_cli("batch", "--workers", "0", workspace=root)
    assert res.code == 2 and "--workers" in res.err
    res = run_cli("batch", "--formats", "docx,odt", workspace=root)
    assert res.code == 2 and "odt" in res.err or "docx" in res.err
    assert not (root / "reports" / "lots").exists()


def test_ctrl_c_leaves_no_process(tmp_path):
    root = tmp_path / "espace"
    root.mkdir()
    build_portfolio(root, n_plain=8).close()  # enough work left when Ctrl+C comes, even on a fast machine
    token = secrets.token_hex(8)
    env = dict(os.environ, WORKBENCH_WORKSPACE=str(root), **_cli_env(token))
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "batch", "--workers", "2"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=like_a_terminal)  # noqa: PLW1509
    try:
        # Wait until the workers have started kernels or browsers, then press Ctrl+C.
        from tests.reports.batch_support import processes_with_token

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len(processes_with_token(token)) >= 5:  # batch, 2 workers, a kernel or a browser each
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Interrompu" in err and "Traceback" not in err
    assert wait_no_process(token) == []
    manifest = json.loads(next((root / "reports" / "lots").glob("lot-*.json")).read_text(encoding="utf-8"))
    assert manifest["interrupted"] is True


def test_portfolio_on_its_own(tmp_path):
    root = tmp_path / "espace"
    root.mkdir()
    ws = build_portfolio(root, n_plain=4)
    try:  # what the portfolio must show, from the rows the fixture recorded
        mission = ws.resolve_mission(REVIEWED)
        repo = SessionRepository(ws.store)
        reviews = repo.list_reviews(mission.id)
        missing = [r for r in reviews if r.status == ReviewStatus.MISSING]
        expected_files = (repo.count(REVIEWED), len(repo.get_sample(mission.id)[0]["references"]),
                          len({r.reference for r in reviews}), len({r.reference for r in reviews} -
                                                                   {r.reference for r in missing}),
                          len({r.reference for r in missing}), len(missing))
        assessment = latest_assessments(ws.store)[PROSPECT]
        expected_prospect = (PROSPECT, f"Prospect {PROSPECT_MARK}", "Bruno Vidal",
                             OpportunityVerdict(assessment.verdict).label, assessment.assessed_on)
    finally:
        ws.close()
    assert expected_files[-1] > 0 and expected_files[2] < expected_files[1]  # a partial review, items missing
    res = run_cli("portfolio", workspace=root)
    assert res.code == 0, res.err
    folder = root / "reports" / "_portefeuille"
    html = (folder / "portefeuille.html").read_text(encoding="utf-8")
    for name in ("Organisme numéro 1", "Organisme numéro 4", "Prospect sans mission", "Alice Roux", "Bruno Vidal"):
        assert name in html
    assert "<script" not in html.lower()
    assert "Audits dans les 90 prochains jours" in html and "Écarts les plus fréquents" in html
    assert html.count("<svg") >= 3
    pdf_text = _texts(folder / "portefeuille.pdf")
    assert "Portefeuille Qualiopi" in pdf_text and "Organisme numéro 3" in pdf_text
    wb = load_workbook(folder / "portefeuille.xlsx")
    assert wb.sheetnames == ["Portefeuille", "Revue des dossiers", "Audits à 90 jours", "Écarts fréquents",
                             "À traiter", "Prospects", "Provenance"]
    # The session-file review: per client (« aucun échantillon » without a sample) and the portfolio line.
    files = {r[0]: r for r in wb["Revue des dossiers"].iter_rows(min_row=2, values_only=True)}
    assert files[REVIEWED][4:10] == expected_files and files[REVIEWED][10] == "en cours"
    assert {r[10] for c, r in files.items() if c != REVIEWED} == {"aucun échantillon"}
    sessions, sampled, _, complete, incomplete, missing_items = expected_files
    assert (f"{sampled} dossier(s) échantillonné(s) chez 1 client(s) : {complete} complet(s), "
            f"{incomplete} incomplet(s), {missing_items} pièce(s) manquante(s)") in " ".join(html.split())
    assert "<h2>Revue des dossiers</h2>" in html and html.count("aucun échantillon") >= len(files) - 1
    # Prospects: a sheet and a section of their own, never among the clients.
    assert [r[:5] for r in wb["Prospects"].iter_rows(min_row=2, values_only=True)] == [
        (*expected_prospect[:4], dt.datetime.combine(expected_prospect[4], dt.time()))]
    assert PROSPECT not in {r[0] for r in wb["Portefeuille"].iter_rows(min_row=2, values_only=True)}
    assert PROSPECT not in files
    section = html[html.index("<h2>Prospects</h2>"):]
    assert f"Prospect {PROSPECT_MARK}" in section and expected_prospect[3] in section
    assert expected_prospect[4].strftime("%d/%m/%Y") in section
    assert html.count(f"Prospect {PROSPECT_MARK}") == 1
    assert "À traiter" in html and wb["À traiter"].max_row > 1  # the lifecycle alerts (overdue canary action)
    sheet = wb["Portefeuille"]
    assert sheet.tables and sheet.cell(1, 3).value == "Consultant"
    assert sheet.max_row == 1 + 6
    gaps = wb["Écarts fréquents"]
    top = [r for r in gaps.iter_rows(min_row=2, values_only=True) if r[0] == "Tous les clients"][0]
    assert top[2] == 4 and top[5] == 5  # indicator 4 failed by all five clients with a mission

    only = run_cli("portfolio", "--consultant", "bruno vidal", "--formats", "html", workspace=root)
    assert only.code == 0, only.err
    path = next(folder.glob("portefeuille-bruno-vidal-*.html"))
    text = path.read_text(encoding="utf-8")
    assert "Organisme numéro 2" in text and "Organisme numéro 1" not in text
    bad = run_cli("portfolio", "--consultant", "Personne", "--formats", "html", workspace=root)
    assert bad.code != 0 and "Personne" in bad.err and "Alice Roux" in bad.err
