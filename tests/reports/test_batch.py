"""``workbench batch``: warm workers, incremental reruns, isolation between clients, failures, Ctrl+C."""

from __future__ import annotations

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

import pytest
from openpyxl import load_workbook

from tests.reports.batch_support import CANARY, ENV_TOKEN, MARK, PRIVATE, build_portfolio, wait_no_process
from tests.support import REPO, run_cli
from workbench.core.vocab import Verdict
from workbench.reports.batch import BatchOptions, run_batch
from workbench.reports.fingerprint import STATE_FILE

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
        assert manifest.without_mission == ["prospect-sans-mission"]
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

        # One answer changes: that client only (and the portfolio) is made again.
        mission = ws.resolve_mission("client-02")
        ind = ws.library.get(mission.referential_id).indicator(12).id
        ws.store.save_answer(mission.id, ind, verdict=Verdict.NC_MAJEURE, finding="Nouveau constat")
        third = run_batch(ws, BatchOptions(workers=1, progress=False, formats=("html", "xlsx")))
        status = {c["client_id"]: c["status"] for c in third.clients}
        assert status.pop("client-02") == "made"
        assert set(status.values()) == {"unchanged"}
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
                                      "without_mission": 1}
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
    build_portfolio(root, n_plain=3).close()
    token = secrets.token_hex(8)
    env = dict(os.environ, WORKBENCH_WORKSPACE=str(root), **_cli_env(token))
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "batch", "--workers", "2"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until the workers have started kernels or browsers, then press Ctrl+C.
        from tests.reports.batch_support import processes_with_token

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if len(processes_with_token(token)) >= 5:  # batch, 2 workers, a kernel or a browser each
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()
        time.sleep(2)
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
    build_portfolio(root, n_plain=4).close()
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
    assert wb.sheetnames == ["Portefeuille", "Audits à 90 jours", "Écarts fréquents", "À traiter", "Provenance"]
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
