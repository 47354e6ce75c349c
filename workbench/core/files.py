"""Writing user-facing files safely: all or nothing, and never over an existing file unless asked."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from workbench.core.errors import UsageError


def _umask() -> int:
    """The process umask, read without changing it when /proc tells it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(target: Path, write: Callable[[Path], None], *, overwrite: bool, hint: str = "") -> None:
    """Call ``write(tmp)`` on a temporary file beside ``target``, sync it, then move it into place.

    Without ``overwrite``, an existing target (even one created meanwhile) is never replaced: the
    file is linked into place, which fails if the name is taken. A failure leaves no partial file.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    exists = f"Le fichier {target} existe déjà ; rien n'a été écrit{hint}."
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would: mkstemp makes it private (0600)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        if overwrite:
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
