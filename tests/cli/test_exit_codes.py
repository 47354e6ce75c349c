"""Issue 9, items 11 and 13: exit codes within the README's families, no write over a special file,
validation gaps closed (absurd counts, blank names, template paths, contradictory mission types,
another client's profile file)."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from tests.support import REPO, run_cli
from tests.support import seed_workspace as seed
from workbench.core import errors

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130, 143}
"""README « Codes de sortie »: 1 only for an unexpected internal error (a defect)."""


def test_readme_documents_every_error_family():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Codes de sortie"):]
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.WorkbenchError)]
    for cls in classes:
        if cls is not errors.WorkbenchError:
            assert f"| {cls.exit_code} |" in section, cls.__name__
    for code in (130, 143):
        assert f"| {code} |" in section


def test_no_code_raises_the_base_error_class():
    """The base class exits with 1, kept for defects: every expected error names its family."""
    offenders = []
    for path in (REPO / "workbench").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id == "WorkbenchError":
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []


@pytest.fixture
def ws(tmp_path) -> Path:
    ws = tmp_path / "espace"
    seed(ws)
    return ws


def test_failures_exit_within_the_documented_families(ws, tmp_path):
    (tmp_path / "pas-un-dossier").write_text("x", encoding="utf-8")
    cases = [
        (["client", "show", "acme"], {"WORKBENCH_WORKSPACE": str(tmp_path / "pas-un-dossier")}, 2),
        (["client", "show", "inconnu"], {}, 6),
        (["client", "new", "x", "--template", "cfa", "--siret", "123"], {}, 4),
        (["client", "import", str(tmp_path / "absent.qwb")], {}, 2),
        (["mission", "new", "acme", "--type", "prep_surveillance", "--audit-type", "initial",
          "--audit-date", "2027-01-10"], {}, 2),
        (["referentiel", "show", "99"], {}, None),
    ]
    for args, env, expected in cases:
        r = run_cli(*args, workspace=None if "WORKBENCH_WORKSPACE" in env else ws, env=env)
        assert r.code in DOCUMENTED - {0, 1}, (args, r.code, r.err)
        if expected is not None:
            assert r.code == expected, (args, r.err)
        assert "Traceback" not in r.err and "Erreur interne" not in r.err, args
    (ws / "workbench.yaml").write_text("branding: [pas, un, dictionnaire]\n", encoding="utf-8")
    r = run_cli("client", "list", workspace=ws)
    assert r.code == 2 and "Fichier de configuration invalide" in r.err


@pytest.mark.parametrize("kind", ["device", "fifo", "symlink"])
def test_exports_never_replace_special_files(ws, tmp_path, kind):
    target = tmp_path / "cible"
    outside = tmp_path / "hors.txt"
    if kind == "device":  # a clone of /dev/null, made here (we run as root): the attempt of the issue
        os.mknod(target, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        outside.write_text("intact", encoding="utf-8")
        target.symlink_to(outside)
    before = target.lstat()
    for args in (["client", "export", "acme", "-o", str(target), "--force"],
                 ["actions", "export", "acme", "-o", str(target) + ".xlsx", "--force"]):
        if args[0] == "actions":
            xlsx = Path(args[4])
            if kind == "device":
                os.mknod(xlsx, stat.S_IFCHR | 0o666, os.makedev(1, 3))
            elif kind == "fifo":
                os.mkfifo(xlsx)
            else:
                xlsx.symlink_to(outside)
        r = run_cli(*args, workspace=ws)
        assert r.code == 2, (args, r.err)
        assert "rien n'a été écrit" in r.err and "Traceback" not in r.err
    after = target.lstat()
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    if kind == "symlink":
        assert outside.read_text(encoding="utf-8") == "intact"
    assert not list(tmp_path.glob(".cible*"))


# -- item 13 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, text", [
    (["--trainers", "1000000000"], "valeur trop grande"),
    (["--employees", "-3"], "valeur trop petite"),
    (["--name", "   "], "texte vide"),
    (["--contact-name", " "], "texte vide"),
])
def test_absurd_or_blank_values_refused(ws, args, text):
    r = run_cli("client", "update", "acme", *args, workspace=ws)
    assert r.code == 4, r.err
    assert text in r.err


def test_template_path_refused_as_template_label(ws, tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text("id: acme\nname: ACME\ncategories: [AF]\ntemplate: ../../client_templates/cfa.yaml\n",
                       encoding="utf-8")
    r = run_cli("client", "update", "acme", "--from", str(profile), workspace=ws)
    assert r.code == 4 and "nom de modèle invalide" in r.err, r.err


def test_update_from_another_clients_yaml_refused(ws, tmp_path):
    """The attempt of the issue: another client's exported YAML replaced name, SIRET and NDA."""
    r = run_cli("client", "new", "autre", "--template", "cfa", "--name", "Autre Organisme",
                "--siret", "73282932000074", workspace=ws)
    assert r.code == 0, r.err
    theirs = run_cli("client", "show", "autre", "--yaml", workspace=ws)
    assert theirs.code == 0 and "\nid: autre\n" in theirs.out
    exported = tmp_path / "autre.yaml"
    exported.write_text(theirs.out, encoding="utf-8")
    r = run_cli("client", "update", "acme", "--from", str(exported), workspace=ws)
    assert r.code == 2 and "profil d'un autre client" in r.err, r.err
    # the same file without its id: refused too, the file must say whose profile it is
    exported.write_text(theirs.out.replace("\nid: autre\n", "\n"), encoding="utf-8")
    r = run_cli("client", "update", "acme", "--from", str(exported), workspace=ws)
    assert r.code == 2 and "champ « id » absent" in r.err, r.err
    # and a SIRET that belongs to another client, typed by hand
    r = run_cli("client", "update", "acme", "--siret", "732 829 320 00074", workspace=ws)
    assert r.code == 4 and "déjà celui du client « autre »" in r.err, r.err
    shown = run_cli("client", "show", "acme", "--json", workspace=ws)
    assert '"name": "ACME Formation"' in shown.out and "73282932000074" not in shown.out
