"""Client dashboard without a browser: data functions, read-only store, HTML, notebook, launcher, CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DEMO_TODAY, EVIL_TITLE
from tests.support import REPO, descendants, free_port, run_cli, stop
from workbench.apps.dashboard import (
    ReadOnlySQLiteStore,
    build_dashboard,
    load_dashboard,
    open_readonly,
    render_dashboard,
)
from workbench.apps.dashboard import dashboard_html as dashboard_html_fn
from workbench.apps.dashboard.data import action_rows, plan_progress
from workbench.apps.dashboard.launch import (
    NOTEBOOK,
    dashboard_app,
    dashboard_env,
    dashboard_parameters,
    dashboard_url,
)
from workbench.apps.voila import CONFIG_OPTION, lockdown_config, new_token
from workbench.core.errors import NotFoundError, StoreError, UsageError
from workbench.core.vocab import ActionStatus, AuditType, Verdict
from workbench.domain.records import Action
from workbench.referential.library import default_library
from workbench.reports.wording import client_text, referential_period
from workbench.services.analysis import load_mission

A = "forma-sud-conseil"
B = "cfa-batiment-avenir"
UNCERTIFIED = "claire-martin-formation"
TODAY = DEMO_TODAY
EVIL = EVIL_TITLE


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- data ------------------------------------------------------------------------------------


def test_dashboard_data_matches_the_analysis(demo):
    data = load_dashboard(demo, A, today=TODAY)
    ws = open_readonly(demo)
    try:
        reference = load_mission(ws, A, today=TODAY)
    finally:
        ws.close()
    assert data.client_name == "Forma Sud Conseil SAS" and data.siret == reference.profile.siret
    assert data.mission.id == f"{A}-m2"  # latest mission by default
    assert data.referential_id == reference.referential.id == "rnq-2026"
    assert data.referential_version == referential_period(reference.referential)
    assert data.counts == reference.analysis.counts
    assert data.readiness == reference.analysis.counts.readiness
    assert sum(r.counts.conforme for r in data.criteria) == data.counts.conforme
    assert sum(r.counts.audited for r in data.criteria) == data.counts.audited
    assert [r.number for r in data.criteria] == list(range(1, 8))
    assert data.outcome == reference.analysis.projection.outcome
    assert data.branding.firm == "Qualité Conseil (cabinet fictif)"
    assert data.logo and data.logo.startswith("data:image/svg+xml;base64,")


def test_gaps_come_most_serious_first_with_what_is_expected(demo):
    data = load_dashboard(demo, A, today=TODAY)
    ref = default_library().get(data.referential_id)
    rank = {Verdict.NC_MAJEURE: 0, Verdict.NC_MINEURE: 1, Verdict.NON_EVALUE: 2}
    levels = [rank[g.verdict if g.verdict == Verdict.NON_EVALUE else g.projected or g.verdict]
              for g in data.gaps]
    assert levels == sorted(levels)
    assert {g.verdict for g in data.gaps} <= {Verdict.NC_MAJEURE, Verdict.NC_MINEURE, Verdict.NON_EVALUE}
    assert len(data.gaps) == data.counts.nc_majeure + data.counts.nc_mineure + data.counts.non_evalue
    for g in data.gaps:
        assert g.expected_level == client_text(ref.indicator(g.number).expected_level)
        assert g.title == ref.indicator(g.number).title


def test_action_plan_progress_counts_done_over_non_abandoned(demo):
    data = load_dashboard(demo, A, today=TODAY)
    n = len(data.actions)
    assert n > 4
    assert data.progress.done == 1
    assert data.progress.total == n - 1
    assert data.progress.in_progress == 1
    assert data.progress.overdue == 1
    late = [a for a in data.actions if a.overdue]
    assert len(late) == 1 and late[0].status == ActionStatus.EN_COURS
    assert [a.priority for a in data.actions] == sorted(a.priority for a in data.actions)
    assert all(a.indicator is not None for a in data.actions)


@pytest.mark.parametrize(("statuses", "expected"), [
    ((), (0, 0, None)),
    ((ActionStatus.FAIT, ActionStatus.FAIT), (2, 2, 1.0)),
    ((ActionStatus.FAIT, ActionStatus.A_FAIRE, ActionStatus.EN_COURS, ActionStatus.ABANDONNE), (1, 3, 1 / 3)),
    ((ActionStatus.ABANDONNE,), (0, 0, None)),
])
def test_plan_progress_table(statuses, expected):
    actions = [Action(id=i, mission_id="m", indicator_id="rnq-2026:ind:01", title=f"a{i}", status=s,
                      due_date=dt.date(2026, 1, 1)) for i, s in enumerate(statuses)]
    rows = action_rows(actions, {"rnq-2026:ind:01": 1}, TODAY)
    p = plan_progress(rows)
    assert (p.done, p.total, p.ratio) == expected
    assert p.overdue == sum(s in (ActionStatus.A_FAIRE, ActionStatus.EN_COURS) for s in statuses)


def test_certification_calendar_and_audit_duration(demo):
    certified = load_dashboard(demo, A, today=TODAY)
    assert certified.cycle is not None
    assert certified.cycle.certificate_date == dt.date(2025, 3, 10)
    assert certified.cycle.surveillance_from == dt.date(2026, 5, 10)
    assert certified.duration.audit_type == AuditType.SURVEILLANCE
    assert certified.next_audit == (dt.date(2026, 12, 8), AuditType.SURVEILLANCE.label)
    newcomer = load_dashboard(demo, UNCERTIFIED, today=TODAY)
    assert newcomer.cycle is None
    assert newcomer.duration.audit_type == AuditType.INITIAL
    html = render_dashboard(newcomer, chart=False)
    assert "Pas encore de certificat" in html and "Durée estimée de l'audit initial" in html


def test_an_explicit_mission_of_the_client_and_never_another_clients(demo):
    assert load_dashboard(demo, A, f"{A}-m1", today=TODAY).mission.id == f"{A}-m1"
    with pytest.raises(UsageError, match="n'appartient pas"):
        load_dashboard(demo, A, f"{B}-m1", today=TODAY)


def test_unknown_client_is_reported_without_naming_the_others(demo):
    with pytest.raises(NotFoundError) as info:
        load_dashboard(demo, "client-inconnu", today=TODAY)
    assert info.value.message == "Client inconnu : « client-inconnu »."
    assert A not in info.value.message and B not in info.value.message
    with pytest.raises(UsageError, match="identifiant client invalide"):
        load_dashboard(demo, "../" + B, today=TODAY)


# -- read-only -------------------------------------------------------------------------------


def test_the_store_is_opened_read_only_and_the_file_is_unchanged(demo):
    db = demo / "workbench.db"
    before = digest(db)
    html = dashboard_html_fn(demo, A, today=TODAY)
    assert "Forma Sud Conseil SAS" in html
    ws = open_readonly(demo)
    try:
        store = ws.store
        assert isinstance(store, ReadOnlySQLiteStore)
        mission = store.list_missions(A)[-1]
        indicator = next(iter(store.list_answers(mission.id)))
        with pytest.raises(StoreError, match="lecture seule"):
            store.save_answer(mission.id, indicator, private_notes="modifié")
        with pytest.raises(StoreError, match="lecture seule"):
            store.set_state(mission.id, "x", 1)
        with pytest.raises(StoreError, match="lecture seule"):
            store.update_action(store.list_actions(mission.id)[0].id, status=ActionStatus.FAIT)
        # the database engine refuses writes too, even past the store's own guard
        with pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"):
            store._conn.execute("DELETE FROM history")
    finally:
        ws.close()
    assert digest(db) == before


def test_a_missing_workspace_or_database_is_an_error_and_nothing_is_created(tmp_path):
    missing = tmp_path / "absent"
    with pytest.raises(NotFoundError, match="Espace de travail introuvable"):
        load_dashboard(missing, A)
    assert not missing.exists()
    empty = tmp_path / "vide"
    empty.mkdir()
    with pytest.raises(StoreError, match="introuvable"):
        load_dashboard(empty, A)
    assert list(empty.iterdir()) == []
    assert "Impossible d'afficher le tableau de bord" in dashboard_html_fn(empty, A)


# -- HTML ------------------------------------------------------------------------------------


def test_html_is_french_static_and_escapes_stored_text(demo):
    html = render_dashboard(load_dashboard(demo, A, today=TODAY))
    assert "<script>" not in html and "&lt;script&gt;alert(" in html
    for tag in ("<input", "<button", "<select", "<textarea", "<form", "contenteditable", "<iframe"):
        assert tag not in html
    for text in ("Préparation à l'audit", "Résultat projeté", "Projection, pas une décision du certificateur",
                 "Écarts à traiter", "Ce qui est attendu", "Plan d'actions", "Calendrier de certification",
                 "Durée estimée", "en retard", "Qualité Conseil (cabinet fictif)", "Sophie Durand", "<svg"):
        assert text in html, text
    assert "http://" not in html.replace("http://www.w3.org/", "")  # nothing remote (SVG namespaces only)
    assert B not in html and "CFA Bâtiment Avenir" not in html


def test_errors_become_a_french_message_never_a_traceback(demo, monkeypatch):
    assert "Client inconnu" in dashboard_html_fn(demo, "client-inconnu")
    assert "identifiant client invalide" in dashboard_html_fn(demo, "Client B")
    assert "identifiant client invalide" in dashboard_html_fn(demo, "")

    def boom(*_a, **_k):
        raise RuntimeError("secret technique /chemin/interne")

    monkeypatch.delenv("WORKBENCH_DEBUG", raising=False)
    monkeypatch.setattr("workbench.apps.dashboard.load_dashboard", boom)
    html = dashboard_html_fn(demo, A)
    assert "Erreur interne inattendue" in html
    assert "secret technique" not in html and "Traceback" not in html
    assert "Impossible d'afficher" in build_dashboard(demo, A)._repr_html_()


# -- notebook --------------------------------------------------------------------------------


def _run_notebook(out: Path, parameters: dict | None = None, *, source: Path = NOTEBOOK) -> str:
    import nbformat
    import papermill as pm

    pm.execute_notebook(str(source), str(out), parameters=parameters or {}, kernel_name="python3",
                        progress_bar=False, log_output=False)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)
    assert not any(o.get("name") == "stderr" for o in outputs)
    return "\n".join(o.get("data", {}).get("text/html", "") for o in outputs)


@pytest.mark.notebook
def test_served_notebook_shows_the_client_of_its_parameters_whatever_the_environment(demo, tmp_path,
                                                                                       monkeypatch):
    db = demo / "workbench.db"
    before = digest(db)
    monkeypatch.setenv("WORKBENCH_CLIENT", B)  # neither a variable…
    monkeypatch.setenv("QUERY_STRING", f"client={B}&mission={B}-m1")  # …nor what Voilà forwards is read
    with dashboard_app(demo, A, None, new_token()) as app:
        html = _run_notebook(tmp_path / "a.ipynb", source=app.notebook)
    # the latest mission (2026 referential); no internal id shown to the client
    assert "Forma Sud Conseil SAS" in html and "décret n° 2026-728" in html and f"{A}-m2" not in html
    assert "CFA Bâtiment Avenir" not in html and B not in html
    assert digest(db) == before


@pytest.mark.notebook
def test_notebook_with_papermill_parameters(demo, tmp_path):
    html = _run_notebook(tmp_path / "a.ipynb", {"workspace": str(demo), "client": A, "mission": f"{A}-m1"})
    assert "Forma Sud Conseil SAS" in html and "décret n° 2019-565" in html and f"{A}-m1" not in html
    assert "CFA Bâtiment Avenir" not in html


@pytest.mark.notebook
@pytest.mark.parametrize("client", ["client-inconnu", "../cfa-batiment-avenir", ""])
def test_notebook_with_a_bad_client_shows_a_french_error(demo, tmp_path, client):
    html = _run_notebook(tmp_path / "x.ipynb", {"workspace": str(demo), "client": client})
    assert "Impossible d'afficher le tableau de bord" in html
    assert "CFA Bâtiment Avenir" not in html and "Forma Sud Conseil" not in html


# -- launcher --------------------------------------------------------------------------------


def test_command_line_names_only_the_app_and_its_private_config(tmp_path):
    token = new_token()
    with dashboard_app(tmp_path, A, None, token) as app:
        cmd = app.command(8899)
        assert str(app.notebook) in cmd and app.notebook.name == NOTEBOOK.name
        assert "--port=8899" in cmd and "--no-browser" in cmd
        configs = [a for a in cmd if a.startswith(CONFIG_OPTION)]
        assert configs == [f"{CONFIG_OPTION}{app.config_dir}"]
        assert not any(token in a or "token" in a for a in cmd)  # never in the process list
        stored = json.loads((app.config_dir / "voila.json").read_text(encoding="utf-8"))
        assert stored == lockdown_config(token)
        # the client is a parameter of the served notebook, injected by papermill
        injected = [c for c in json.loads(app.notebook.read_text(encoding="utf-8"))["cells"]
                    if "injected-parameters" in c["metadata"].get("tags", [])]
        assert len(injected) == 1 and f'client = "{A}"' in "".join(injected[0]["source"])
    assert not app.folder.exists()


def test_lockdown_is_one_configuration_with_the_token_added():
    token = new_token()
    assert len(token) >= 40 and token != new_token()
    base, data = lockdown_config(), lockdown_config(token)
    assert data["Voila"]["token"] == token and "token" not in base["Voila"]
    assert data["Voila"]["tornado_settings"] == base["Voila"]["tornado_settings"]
    assert "default-src 'self'" in data["Voila"]["tornado_settings"]["headers"]["Content-Security-Policy"]
    assert data["Voila"]["ip"] == "127.0.0.1"
    lock = data["VoilaConfiguration"]
    assert lock["file_allowlist"] == [] and lock["show_tracebacks"] is False and lock["strip_sources"] is True
    assert lock["allow_template_override"] == "NO" and lock["allow_theme_override"] == "NO"
    with dashboard_app(Path("/tmp"), A, None, token) as app:
        path = app.config_dir / "voila.json"
        assert stat.S_IMODE(app.folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(app.notebook.stat().st_mode) == 0o600
        assert json.loads(path.read_text())["Voila"]["token"] == token
        app.forget_config()
        assert not app.config_dir.exists() and app.notebook.exists()
    assert dashboard_url(8867, token) == f"http://127.0.0.1:8867/?token={token}"


def test_client_is_validated_and_the_environment_is_client_facing(tmp_path):
    assert dashboard_parameters(tmp_path, A, None) == {"workspace": str(tmp_path), "client": A, "mission": ""}
    env = dashboard_env(base={"WORKBENCH_DEBUG": "1", "QUERY_STRING": "client=b", "PATH": "/bin"})
    assert "WORKBENCH_DEBUG" not in env and "QUERY_STRING" not in env and env["PATH"] == "/bin"
    with pytest.raises(UsageError):
        dashboard_parameters(tmp_path, "../" + B, None)


# -- command line ----------------------------------------------------------------------------


def test_cli_refuses_unknown_or_invalid_clients_in_french(demo):
    r = run_cli("dashboard", "client-inconnu", "--no-browser", workspace=demo)
    assert r.code == 6 and "Client inconnu" in r.err and "Traceback" not in r.err
    r = run_cli("dashboard", "../etc", "--no-browser", workspace=demo)
    assert r.code == 2 and "identifiant client invalide" in r.err
    r = run_cli("dashboard", A, "--mission", f"{B}-m1", "--no-browser", workspace=demo)
    assert r.code == 2 and "n'appartient pas" in r.err
    r = run_cli("dashboard", A, "--port", "80", "--no-browser", workspace=demo)
    assert r.code == 2 and "port invalide" in r.err
    r = run_cli("dashboard", "--help")
    assert r.code == 0 and "lecture seule" in r.out


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def test_cli_serves_one_client_behind_a_token(demo, tmp_path):
    """The real command: URL with a token on stdout; without it, no dashboard; the base unchanged."""
    db = demo / "workbench.db"
    before = digest(db)
    port = free_port()
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(demo)}
    env.pop("WORKBENCH_DEBUG", None)
    log = tmp_path / "cli.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "dashboard", A, "--port", str(port),
                                 "--no-browser"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=[\w-]{{20,}}", log.read_text())
            url = found.group(0) if found else None
            time.sleep(0.2)
        assert url, log.read_text()
        with urllib.request.urlopen(url, timeout=120) as resp:
            page = resp.read().decode("utf-8")
            assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
        assert "Forma Sud Conseil SAS" in page and "CFA Bâtiment Avenir" not in page
        bare = f"http://127.0.0.1:{port}/?client={A}"
        try:
            with urllib.request.urlopen(bare, timeout=30) as resp:
                assert "Forma Sud Conseil" not in resp.read().decode("utf-8")  # the login page
        except urllib.error.HTTPError as exc:
            assert exc.code in (401, 403)
        # the private configuration holding the token is gone once the server has started
        configs = [arg.removeprefix(CONFIG_OPTION) for pid in descendants(proc.pid)
                   for arg in _cmdline(pid) if arg.startswith(CONFIG_OPTION)]
        assert len(configs) == 1 and not Path(configs[0]).exists()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)  # the CLI stops its own server
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stop(proc)
    assert proc.returncode == 0, log.read_text()
    assert "Tableau de bord arrêté." in log.read_text()
    assert digest(db) == before
