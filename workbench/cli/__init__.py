"""Command-line interface: English command names, French messages.

Each command group lives in its own module exposing ``register(subparsers)``. Errors derived
from :class:`~workbench.core.errors.WorkbenchError` are printed in French without a traceback and
turned into the exit code of their class; bad arguments exit with code 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import re
import signal
import sqlite3
import sys
import traceback
from collections.abc import Sequence

from workbench import __version__
from workbench.core.errors import UsageError, WorkbenchError
from workbench.core.text import SafeStream

ENV_WORKSPACE = "WORKBENCH_WORKSPACE"
"""As in :mod:`workbench.core.settings`, which is imported only by the commands that need it."""

# argparse's English messages and their French versions. They are translated where argparse hands
# them to us (the parser's ``error`` and the help formatter), without touching argparse itself.
_ARGPARSE_FR = {
    "usage: ": "usage : ",
    "positional arguments": "arguments positionnels",
    "options": "options",
    "show this help message and exit": "affiche cette aide et quitte",
    "show program's version number and exit": "affiche la version et quitte",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (possibles : %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "au plus une valeur est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "subcommands": "sous-commandes",
}


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sr]|%s")


def _pattern(template: str) -> re.Pattern[str]:
    regex, last = "", 0
    for m in _PLACEHOLDER.finditer(template):
        regex += re.escape(template[last:m.start()]) + f"(?P<{m.group(1) or 'arg'}>.+?)"
        last = m.end()
    return re.compile(regex + re.escape(template[last:]) + r"\Z", re.S)


_ARGPARSE_PATTERNS = [(_pattern(en), fr) for en, fr in _ARGPARSE_FR.items()]


def french(message: str) -> str:
    """An argparse message in French (nested messages too); unknown messages are kept as they are."""
    for pattern, fr in _ARGPARSE_PATTERNS:
        found = pattern.match(message)
        if found:
            values = {k: french(v) if k == "message" else v for k, v in found.groupdict().items()}
            return _PLACEHOLDER.sub(lambda t, v=values: v[t.group(1) or "arg"], fr)
    return message


class FrenchHelpFormatter(argparse.HelpFormatter):
    """Help and usage with French headings."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001, ANN201 - argparse's signature
        return super().add_usage(usage, actions, groups, french("usage: ") if prefix is None else prefix)

    def start_section(self, heading):  # noqa: ANN001, ANN201
        return super().start_section(french(heading) if heading else heading)

OS_ERROR_EXIT = 9
_ERRNO_FR = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOSPC: "plus d'espace disque",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "le fichier existe déjà",
}

COMMAND_MODULES = [
    "workbench.cli.referentiel_cmd",
    "workbench.cli.client_cmd",
    "workbench.cli.mission_cmd",
    "workbench.cli.answer_cmd",
    "workbench.cli.texts_cmd",
    "workbench.cli.settings_cmd",
    "workbench.cli.demo_cmd",
    "workbench.cli.report_cmd",
    "workbench.cli.app_cmd",
    "workbench.cli.dashboard_cmd",
    "workbench.cli.tasks_cmd",
    "workbench.cli.calendar_cmd",
    "workbench.cli.grid_cmd",
    "workbench.cli.space_cmd",
    "workbench.cli.sessions_cmd",
    "workbench.cli.batch_cmd",
    "workbench.cli.assess_cmd",
    "workbench.cli.service_cmd",
]
LIGHT_COMMANDS = {"report": "workbench.cli.report_cmd", "report-service": "workbench.cli.service_cmd"}
"""Commands whose parser is built alone: ``workbench report`` must not pay for importing every
command group (seconds) when the workspace's report service makes the report."""


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named by ``argv`` (after the global options), None when unclear."""
    args = iter(argv)
    for arg in args:
        if arg == "--workspace":
            next(args, None)
        elif arg.startswith("--workspace="):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg
    return None


class FrenchParser(argparse.ArgumentParser):
    """An argument parser that speaks French and reports bad arguments as a :class:`UsageError`."""

    def __init__(self, *args, add_help: bool = True, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("formatter_class", FrenchHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=french("show this help message and exit"))

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{french(message)}\n{self.format_usage().strip()}\nAide : {self.prog} --help")


def workspace_parent() -> argparse.ArgumentParser:
    parent = FrenchParser(add_help=False)
    parent.add_argument(
        "--workspace",
        metavar="DOSSIER",
        default=argparse.SUPPRESS,
        help=f"espace de travail (défaut : ${ENV_WORKSPACE}, sinon le dossier courant)",
    )
    return parent


def build_parser(argv: Sequence[str] | None = None) -> FrenchParser:
    """The whole command line; only the command's own group when ``argv`` names a light command."""
    parser = FrenchParser(
        prog="workbench",
        description="Qualiopi Workbench : préparation des organismes de formation à l'audit Qualiopi.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}", help="affiche la version et quitte")
    parser.add_argument(
        "--workspace",
        metavar="DOSSIER",
        default=None,
        help=f"espace de travail (défaut : ${ENV_WORKSPACE}, sinon le dossier courant)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", parser_class=FrenchParser)
    sub.required = True
    parent = workspace_parent()
    light = LIGHT_COMMANDS.get(_command_of(argv) or "") if argv is not None else None
    for name in [light] if light else COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub, parent)
    return parser


INTERRUPTED_EXIT = 130
TERMINATED_EXIT = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that temporary files and child processes are cleaned up."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def _debug(args: argparse.Namespace | None) -> bool:
    """The ``debug`` setting (``WORKBENCH_DEBUG``…), False when the settings themselves are unreadable."""
    from workbench.core.settings import load_settings

    try:
        return load_settings(getattr(args, "workspace", None)).debug
    except WorkbenchError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    # Nothing read from the store or a file may drive the terminal: control characters are shown as «�».
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)  # type: ignore[assignment]
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    args = None
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"Erreur : {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print("Interrompu.", file=sys.stderr)
        return TERMINATED_EXIT if isinstance(exc, Terminated) else INTERRUPTED_EXIT
    except sqlite3.Error as exc:  # a read outside the store's own error handling
        from workbench.store.errors import sqlite_failure

        err = sqlite_failure(exc, "de l'espace de travail", writing=False)
        print(f"Erreur : {err.message}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        return 0
    except OSError as exc:  # permission denied, disk full, a folder that does not exist...
        target = f" {exc.filename}" if exc.filename else ""
        reason = _ERRNO_FR.get(exc.errno, exc.strerror or str(exc))
        print(f"Erreur : accès impossible à{target or ' un fichier'} : {reason}.", file=sys.stderr)
        return OS_ERROR_EXIT
    except Exception as exc:  # noqa: BLE001 - last line of defence: never show a traceback
        if _debug(args):
            traceback.print_exc()
        print(
            f"Erreur interne inattendue ({type(exc).__name__} : {exc}). "
            "Relancez avec WORKBENCH_DEBUG=1 pour le détail technique.",
            file=sys.stderr,
        )
        return 1
