"""Writing user-facing files safely: all or nothing, and never over an existing file unless asked.

One policy for every file the workbench writes (reports, executed notebooks, Excel workbooks,
bundles, the database): readable and writable by its owner only (``0600``), whatever the
umask; the folders it creates are ``0700``. A symbolic link or anything that is not a regular
file (a device, a pipe, a folder) is never written through nor replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from workbench.core.errors import UsageError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def check_target(target: Path) -> bool:
    """Refuse a target that is a symbolic link or not a regular file; True when it exists.

    ``lstat`` is used, so a link is seen as a link and never followed.
    """
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise UsageError(f"{target} est un lien symbolique : il n'est jamais suivi ni remplacé ; rien n'a été "
                         "écrit. Supprimez le lien ou choisissez un autre nom.")
    if not stat.S_ISREG(st.st_mode):
        kind = "un dossier" if stat.S_ISDIR(st.st_mode) else "un fichier spécial (périphérique, tube…)"
        raise UsageError(f"{target} est {kind}, pas un fichier ordinaire : rien n'a été écrit.")
    return True


def check_folder(folder: Path, inside: Path | None = None) -> None:
    """Refuse an output folder that is a symbolic link, or (with ``inside``) that leads elsewhere."""
    if folder.is_symlink():
        raise UsageError(f"Le dossier {folder} est un lien symbolique : aucun fichier n'y est écrit ; "
                         "rien n'a été écrit. Remplacez le lien par un vrai dossier.")
    if inside is not None and folder.exists():
        real, root = folder.resolve(), inside.resolve()
        if real != root and root not in real.parents:
            raise UsageError(f"Le dossier {folder} mène hors de l'espace de travail ({real}) : rien n'a été écrit.")


def private_tempfile(folder: Path, name: str) -> Path:
    """An empty ``0600`` temporary file in ``folder`` (hidden, named after the final file)."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    return Path(tmp_name)


def finish_file(tmp: Path) -> None:
    """Give a finished temporary file the private mode and flush it to disk."""
    os.chmod(tmp, PRIVATE_FILE_MODE)
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())




def write_atomically(target: Path, write: Callable[[Path], None], *, overwrite: bool, hint: str = "") -> None:
    """Call ``write(tmp)`` on a temporary file beside ``target``, sync it, then move it into place.

    Without ``overwrite``, an existing target (even one created meanwhile) is never replaced: the
    file is linked into place, which fails if the name is taken. A failure leaves no partial file.
    A target that is a symbolic link or not a regular file is refused, even with ``overwrite``.
    """
    check_target(target)
    tmp = private_tempfile(target.parent, target.name)
    exists = f"Le fichier {target} existe déjà ; rien n'a été écrit{hint}."
    try:
        write(tmp)
        finish_file(tmp)
        if overwrite:
            check_target(target)
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # atomic and never replaces a file created meanwhile
        except FileExistsError:
            raise UsageError(exists) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise UsageError(exists) from None
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def make_private_dirs(folder: Path, root: Path) -> None:
    """Create ``folder`` (``0700``) under ``root``, refusing any level that is a link or leads outside."""
    check_folder(root)
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        check_folder(current, inside=root)
        if not current.exists():
            current.mkdir(mode=PRIVATE_DIR_MODE)
        elif not current.is_dir():
            raise UsageError(f"{current} existe mais n'est pas un dossier : rien n'a été écrit.")


class StagedOutputs:
    """The files of one run, written in a hidden staging folder beside their final place, then moved
    into place together: a failure or an interrupt before :meth:`publish` leaves the previous set
    untouched, and the staging folder is always removed (``with`` block)."""

    def __init__(self, folder: Path, root: Path) -> None:
        make_private_dirs(folder, root)
        self.folder = folder
        self.staging = Path(tempfile.mkdtemp(prefix=".wb-run-", dir=folder))

    def path(self, name: str) -> Path:
        return self.staging / name

    def publish(self, names: list[str], renames: dict[str, str] | None = None) -> dict[str, Path]:
        """Move the staged files ``names`` (optionally under other final names) into the folder.

        Every target is checked first (no link, nothing but regular files replaced), then the
        renames run with Ctrl+C and SIGTERM held back, so that an interrupt never splits the set.
        """
        renames = renames or {}
        finals = {name: self.folder / renames.get(name, name) for name in names}
        for final in finals.values():
            check_target(final)
        for name in names:
            finish_file(self.staging / name)
        held = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for name, final in finals.items():
                os.replace(self.staging / name, final)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return finals

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()
