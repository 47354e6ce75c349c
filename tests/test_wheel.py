"""The package as a user installs it: a wheel built from the sources, installed into a fresh virtual
environment outside the checkout, runs the demo and a report with the data it carries.

The environment borrows the base interpreter's libraries (``--system-site-packages``) so nothing is
downloaded at run time; the wheel itself is installed without dependencies, and the commands run
from a folder that is not the checkout, with no path pointing back to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO

pytestmark = pytest.mark.notebook

SHIPPED = (
    "workbench/data/referentiel/rnq-2026.yaml",
    "workbench/data/referentiel/grids/preaudit-rnq-2026.yaml",
    "workbench/data/referentiel/remediation/rnq-2026.yaml",
    "workbench/data/client_templates/cfa.yaml",
    "workbench/data/notebooks/rapport_client.ipynb",
    "workbench/data/notebooks/entretien_preaudit.ipynb",
    "workbench/data/notebooks/tableau_de_bord_client.ipynb",
    "workbench/data/tasks/catalogue.yaml",
    "workbench/data/session_checklist/dossier-session.yaml",
    "workbench/data/opportunity/questionnaire.yaml",
    "workbench/data/word/rapport.docx",
    "workbench/store/migrations/20261127-report-texts.sql",
    "workbench/apps/dashboard/templates/dashboard.html.j2",
    "workbench/reports/templates/qualiopi/index.html.j2",
)


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(the venv's bin folder, a clean environment) with the wheel installed."""
    root = tmp_path_factory.mktemp("roue")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WORKBENCH_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    # Build from a copy of what the package is made of, so the checkout is left as it is.
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "workbench", src / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)], cwd=root, env=env)
    wheels = list(dist.glob("qualiopi_workbench-*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as zf:
        names = set(zf.namelist())
    missing = [name for name in SHIPPED if name not in names]
    assert not missing, f"absent de la roue : {missing}"

    venv = root / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", "--system-site-packages", str(venv)], cwd=root, env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(wheels[0])],
         cwd=root, env=env)
    return venv / "bin", env


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    bin_dir, env = installed
    proc = _run([str(bin_dir / "python"), "-c",
                 "import workbench, workbench.data as d; print(workbench.__file__); print(d.DATA_DIR)"],
                cwd=tmp_path, env=env)
    module, data = proc.stdout.split()
    assert Path(module).is_relative_to(bin_dir.parent) and Path(data).is_relative_to(bin_dir.parent)
    assert not Path(module).is_relative_to(REPO)


def test_installed_wheel_runs_the_demo_and_a_report(installed, tmp_path):
    bin_dir, env = installed
    ws = tmp_path / "espace"
    out = _run([str(bin_dir / "workbench"), "--workspace", str(ws), "demo", "--no-reports"], cwd=tmp_path, env=env)
    assert "7 clients et 3 prospects créés" in out.stdout
    out = _run([str(bin_dir / "workbench"), "--workspace", str(ws), "report", "forma-sud-conseil",
                "--formats", "html,docx,xlsx"], cwd=tmp_path, env=env)
    reports = ws / "reports" / "forma-sud-conseil"
    html = next(reports.glob("rapport-*.html")).read_text(encoding="utf-8")
    assert "Forma Sud Conseil" in html and "décret n° 2026-728" in html  # the client wording, no internal id
    assert "rnq-" not in html
    assert list(reports.glob("plan-actions-*.xlsx"))
    assert next(reports.glob("rapport-*.docx")).read_bytes()[:2] == b"PK"  # the shipped Word template
    listed = _run([str(bin_dir / "workbench"), "--workspace", str(ws), "referentiel", "list"], cwd=tmp_path, env=env)
    assert "rnq-2026" in listed.stdout
