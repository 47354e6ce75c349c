"""Issue 9, item 3: the logo is an image inside the workspace, checked by content and size."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from tests.support import run_cli
from tests.support import seed_workspace as seed
from workbench.apps.dashboard.data import open_readonly
from workbench.core.errors import ConfigError
from workbench.core.logo import MAX_LOGO_BYTES, load_logo, logo_data_uri
from workbench.core.settings import load_settings

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>\n'


@pytest.fixture
def ws(tmp_path) -> Path:
    ws = tmp_path / "espace"
    seed(ws)
    (ws / "branding").mkdir()
    return ws


def set_logo(ws: Path, value: str) -> None:
    (ws / "workbench.yaml").write_text(f'branding:\n  logo: "{value}"\n', encoding="utf-8")


def refused(ws: Path, value: str, why: str) -> None:
    set_logo(ws, value)
    with pytest.raises(ConfigError) as err:
        load_logo(load_settings(ws))
    assert "Logo refusé" in err.value.message and why in err.value.message, err.value.message
    assert err.value.exit_code == 2


def test_logo_pointing_at_the_database_is_refused(ws, tmp_path):
    """The attempt of the issue: ``logo: workbench.db`` embedded every client in one report."""
    refused(ws, "workbench.db", "base de données")
    # through a link inside the workspace as well
    (ws / "branding" / "logo.png").symlink_to(ws / "workbench.db")
    refused(ws, "branding/logo.png", "base de données")
    # the report and the dashboard refuse before producing or serving anything
    set_logo(ws, "workbench.db")
    r = run_cli("report", "acme", "--formats", "html", workspace=ws)
    assert r.code == 2, r.err
    assert "Logo refusé" in r.err and "Traceback" not in r.err
    assert not (ws / "reports").exists()
    with pytest.raises(ConfigError, match="Logo refusé"):
        open_readonly(ws)


def test_files_outside_the_workspace_are_refused(ws):
    refused(ws, "/etc/passwd", "hors de l'espace de travail")
    refused(ws, "../../../../../../etc/passwd", "hors de l'espace de travail")
    (ws / "branding" / "lien.png").symlink_to("/etc/passwd")
    refused(ws, "branding/lien.png", "hors de l'espace de travail")


def test_size_and_type_are_checked_by_content(ws):
    big = ws / "branding" / "enorme.png"
    with big.open("wb") as fh:  # a real PNG header followed by 150 MB: never read whole
        fh.write(PNG_1PX)
        fh.truncate(150 * 1024 * 1024)
    refused(ws, "branding/enorme.png", "trop volumineux")
    (ws / "branding" / "faux.png").write_text("id;nom\n1;ACME\n", encoding="utf-8")
    refused(ws, "branding/faux.png", "n'est pas une image")
    (ws / "branding" / "script.svg").write_text(SVG.replace("<rect/>", "<script>alert(1)</script>"),
                                                encoding="utf-8")
    refused(ws, "branding/script.svg", "n'est pas une image")
    (ws / "branding" / "entite.svg").write_text('<!DOCTYPE svg [<!ENTITY x "y">]>' + SVG, encoding="utf-8")
    refused(ws, "branding/entite.svg", "n'est pas une image")
    refused(ws, "branding", "n'est pas un fichier ordinaire")
    refused(ws, "branding/absent.png", "introuvable")
    os.mkfifo(ws / "branding" / "tube.png")
    refused(ws, "branding/tube.png", "n'est pas un fichier ordinaire")


def test_real_images_are_accepted(ws):
    (ws / "branding" / "logo.png").write_bytes(PNG_1PX)
    set_logo(ws, "branding/logo.png")
    uri = logo_data_uri(load_settings(ws))
    assert uri == "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    # the type comes from the content, not the name
    (ws / "branding" / "logo.dat").write_text(SVG, encoding="utf-8")
    set_logo(ws, "branding/logo.dat")
    assert logo_data_uri(load_settings(ws)).startswith("data:image/svg+xml;base64,")
    (ws / "branding" / "limite.png").write_bytes(PNG_1PX + b"\0" * (MAX_LOGO_BYTES - len(PNG_1PX)))
    set_logo(ws, "branding/limite.png")
    assert load_logo(load_settings(ws))[0] == "image/png"
    set_logo(ws, "")
    assert load_logo(load_settings(ws)) is None
