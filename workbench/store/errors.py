"""Truthful SQLite failures: each cause named, with the advice that fits it.

A read-only folder, a full disk, a lock held by another process and a damaged file are four
different situations; only the last one calls for a backup. :func:`sqlite_failure` turns a
:class:`sqlite3.Error` into a French :class:`~workbench.core.errors.StoreError` saying which.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from workbench.core.errors import StoreError

SQLITE_HEADER = b"SQLite format 3\x00"

# primary result codes (https://www.sqlite.org/rescode.html)
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26


class StoreReadOnlyError(StoreError):
    """The database or its folder cannot be written: reading works, nothing is saved."""


class StoreFullError(StoreError):
    """No space left on the device holding the database."""


class StoreBusyError(StoreError):
    """Another process holds the database's write lock longer than the wait allowed."""


class StoreCorruptError(StoreError):
    """The file is not a readable SQLite database: the only case where a backup helps."""


def _code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return (code & 0xFF) if isinstance(code, int) else -1


def read_only_error(path: Path | str, doing: str = "enregistrer") -> StoreReadOnlyError:
    return StoreReadOnlyError(
        f"Espace de travail en lecture seule : impossible d'{doing} dans {path} (dossier ou fichier non "
        "modifiable). La base est intacte et rien n'a été enregistré. Les commandes de consultation "
        "fonctionnent ; pour modifier, rendez le dossier accessible en écriture ou copiez l'espace de "
        "travail ailleurs."
    )


def sqlite_failure(exc: sqlite3.Error | OSError, path: Path | str, *, writing: bool = True) -> StoreError:
    """The French error for a failed SQLite operation on ``path``, naming its real cause."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            code = _FULL
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            code = _READONLY
        else:
            code = _IOERR
    else:
        code = _code(exc)
        text = str(exc).lower()
        if code == -1:  # older bindings: fall back on the message
            for needle, guess in (("readonly", _READONLY), ("database or disk is full", _FULL),
                                  ("locked", _BUSY), ("malformed", _CORRUPT), ("not a database", _NOTADB),
                                  ("unable to open", _CANTOPEN)):
                if needle in text:
                    code = guess
                    break
    if code in (_READONLY, _PERM):
        return read_only_error(path)
    if code == _FULL:
        return StoreFullError(
            f"Disque plein : la base {path} n'a pas pu enregistrer la modification. La base est intacte "
            "(la dernière modification n'a simplement pas été enregistrée). Libérez de la place sur le disque "
            "puis recommencez ; ne restaurez pas de sauvegarde."
        )
    if code in (_BUSY, _LOCKED):
        return StoreBusyError(
            f"Base de données occupée : un autre processus (un entretien, un rapport, une autre commande) "
            f"garde {path} verrouillée. Rien n'a été modifié ; la base est intacte. Réessayez dans un instant, "
            "ou fermez l'autre application."
        )
    if code in (_CORRUPT, _NOTADB):
        return StoreCorruptError(
            f"Base de données illisible ou corrompue : {path} ({exc}). "
            "Rien n'a été modifié. Restaurez une sauvegarde de ce fichier, ou choisissez un autre espace de travail."
        )
    if code == _CANTOPEN:
        return StoreError(
            f"Impossible d'ouvrir la base {path} ({exc}) : vérifiez que le dossier existe et qu'il est "
            "accessible. Rien n'a été modifié."
        )
    what = "l'écriture" if writing else "la lecture"
    return StoreError(f"Échec de {what} dans la base {path} ({exc}). Rien n'a été modifié ; réessayez.")


def check_database_file(path: Path | str) -> None:
    """Refuse a file that cannot be this workspace's database before SQLite touches it.

    SQLite takes an empty file for an empty database and would write a schema into it: an
    empty ``workbench.db`` is more likely a copy that went wrong, so it is refused, untouched.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise sqlite_failure(exc, path, writing=False) from None
    if not head:
        raise StoreCorruptError(
            f"Base de données illisible ou corrompue : {path} est un fichier vide (0 octet), pas une base de "
            "données — peut-être une copie interrompue. Rien n'a été modifié. Restaurez le bon fichier, ou supprimez ce fichier vide "
            "pour repartir d'un espace de travail vierge."
        )
    if head != SQLITE_HEADER:
        raise StoreCorruptError(
            f"Base de données illisible ou corrompue : {path} n'est pas une base SQLite (en-tête inattendu). Rien n'a été modifié. "
            "Restaurez le bon fichier, ou choisissez un autre espace de travail."
        )
