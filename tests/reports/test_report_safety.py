"""Issue 9, items 5 and 14 (reports): outputs appear whole or not at all, as one set; links and
special files are never written through; Ctrl+C or SIGTERM during a report leaves the previous
set, no temporary folder, no Chromium nor kernel, and nothing but « Interrompu. » on the terminal."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import REPO, WB, like_a_terminal, run_cli, run_in_mount_namespace
from tests.support import seed_workspace as seed
from workbench.core.processes import alive, descendants

OUT = Path("reports") / "acme"
SET = ("rapport-acme-m1.html", "rapport-acme-m1.pdf", "rapport-acme-m1.docx", "rapport-acme-m1.ipynb",
       "plan-actions-acme-m1.xlsx")


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> Path:
    """A workspace holding one mission and a complete first report set."""
    ws = tmp_path_factory.mktemp("rapports") / "espace"
    seed(ws)
    r = run_cli("settings", "set", "--firm", "Cabinet Test", "--consultant", "Camille Test", workspace=ws)
    assert r.code == 0, r.err  # the firm's own identity: no default-identity warning on stderr
    r = run_cli("report", "acme", workspace=ws)
    assert r.code == 0, r.err
    return ws


@pytest.fixture
def ws(reported, tmp_path) -> Path:
    copy = tmp_path / "espace"
    shutil.copytree(reported, copy, symlinks=True)
    return copy


def digests(ws: Path) -> dict[str, str]:
    return {n: hashlib.sha256((ws / OUT / n).read_bytes()).hexdigest() for n in SET}


def processes_in(ws: Path) -> list[str]:
    """Command lines of the processes working in this workspace or naming it."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(ws)) or str(ws) in cmd:
            found.append(cmd)
    return found


def leftovers(ws: Path) -> list[str]:
    """Staging folders, temporary files, and processes working in or on this workspace."""
    return glob.glob(str(ws / "**" / ".*"), recursive=True) + [cmd[:160] for cmd in processes_in(ws)]


def test_first_set_is_private_and_complete(reported):
    for name in SET:
        mode = (reported / OUT / name).stat().st_mode
        assert stat.S_ISREG(mode) and mode & 0o777 == 0o600, name
    assert (reported / OUT).stat().st_mode & 0o777 == 0o700
    assert leftovers(reported) == []


def test_symlink_planted_in_reports_is_never_followed(ws, tmp_path):
    outside = tmp_path / "hors-espace.html"
    outside.write_text("ne pas écraser", encoding="utf-8")
    before = digests(ws) | {}
    html = ws / OUT / "rapport-acme-m1.html"
    html.unlink()
    html.symlink_to(outside)
    r = run_cli("report", "acme", workspace=ws)
    assert r.code == 2, r.err
    assert "lien symbolique" in r.err and "Traceback" not in r.err
    assert outside.read_text(encoding="utf-8") == "ne pas écraser"
    assert html.is_symlink()
    for name in SET[1:]:
        assert hashlib.sha256((ws / OUT / name).read_bytes()).hexdigest() == before[name]
    assert leftovers(ws) == []


def test_linked_report_folder_and_special_files_refused(ws, tmp_path):
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    shutil.move(ws / OUT, elsewhere / "acme")
    (ws / OUT).symlink_to(elsewhere / "acme")
    r = run_cli("report", "acme", "--formats", "html", workspace=ws)
    assert r.code == 2 and "lien symbolique" in r.err, r.err
    (ws / OUT).unlink()
    shutil.move(elsewhere / "acme", ws / OUT)
    pdf = ws / OUT / "rapport-acme-m1.pdf"
    pdf.unlink()
    os.mkfifo(pdf)
    r = run_cli("report", "acme", "--formats", "html,pdf", workspace=ws)
    assert r.code == 2 and "pas un fichier ordinaire" in r.err, r.err
    assert stat.S_ISFIFO(pdf.lstat().st_mode)


def test_full_disk_during_a_report_keeps_the_previous_set(ws, tmp_path):
    """The attempt of the issue: a full disk left a truncated HTML under the final name."""
    disk = tmp_path / "disque"
    disk.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    inside = disk / "espace"
    before = digests(ws)
    run_in_mount_namespace(
        f"mount -t tmpfs -o size=8m tmpfs {disk}\ncp -a {ws} {inside}\n"
        f"dd if=/dev/zero of={disk}/remplissage bs=4k 2>/dev/null || true\n"
        f"truncate -s -160K {disk}/remplissage\n"
        f"set +e; {WB} report acme > {out}/report.out 2> {out}/report.err; echo $? > {out}/report.code; set -e\n"
        f"rm -f {disk}/remplissage\n"
        f"cp -a {inside}/reports {out}/apres\n"
        f"find {inside} -name '.*' > {out}/caches.txt",
        env={"WORKBENCH_WORKSPACE": str(inside)})
    code = int((out / "report.code").read_text())
    err = (out / "report.err").read_text()
    assert code in (5, 8, 9), err
    assert "espace disque" in err or "Disque plein" in err, err
    assert "Traceback" not in err
    after = {n: hashlib.sha256((out / "apres" / "acme" / n).read_bytes()).hexdigest() for n in SET}
    assert after == before
    assert (out / "caches.txt").read_text() == ""


def command_lines(pids: list[int]) -> dict[int, str]:
    found = {}
    for pid in pids:
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return found


def interrupt_report(ws: Path, when: str, sig: int) -> tuple[int, str, list[str]]:
    """Start ``workbench report`` as a terminal would (own session), signal its whole group at ``when``;
    returns the exit code, the error output and the processes it started that are still alive."""
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "report", "acme"], cwd=REPO,
                            env={**os.environ, "WORKBENCH_WORKSPACE": str(ws)}, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=like_a_terminal)  # noqa: PLW1509
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        below = command_lines(descendants(proc.pid))
        seen.update(below)
        if when == "pdf" and any("chromium" in cmd and "--headless" in cmd for cmd in below.values()):
            break
        if when == "kernel" and any("ipykernel" in cmd for cmd in below.values()):
            break
        time.sleep(0.1)
    assert proc.poll() is None, f"the report ended before the {when} step: {proc.communicate()}"
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    time.sleep(1)
    return proc.returncode, err, [cmd[:160] for pid, cmd in seen.items() if alive(pid)]


@pytest.mark.parametrize("when, sig, code", [("pdf", signal.SIGINT, 130), ("kernel", signal.SIGINT, 130),
                                             ("pdf", signal.SIGTERM, 143)])
def test_interrupt_during_a_report(ws, when, sig, code):
    before = digests(ws)
    returncode, err, survivors = interrupt_report(ws, when, sig)
    assert returncode == code, err
    assert err == "Interrompu.\n"  # no kernel traceback, no warning
    assert digests(ws) == before
    assert leftovers(ws) == []
    assert survivors == []  # no kernel, browser driver nor Chromium left behind
