"""Helpers shared by the command modules: parsing, output, settings."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence

from workbench.core.errors import UsageError
from workbench.core.settings import Settings, load_settings
from workbench.core.vocab import Category, Condition
from workbench.data import DataFolders
from workbench.referential.applicability import INCOMPATIBLE_CONDITIONS, with_implied
from workbench.referential.library import Library, library_for
from workbench.services.workspace import Workspace


def settings_from(args: argparse.Namespace) -> Settings:
    """The settings, with the command line's arguments first (see :mod:`workbench.core.settings`)."""
    return load_settings(getattr(args, "workspace", None))


def folders_from(args: argparse.Namespace) -> DataFolders:
    """Where the data is read: the workspace's own folders, then the package's."""
    return DataFolders.of(settings_from(args))


def library_from(args: argparse.Namespace) -> Library:
    """The referential versions of the workspace (the firm's files overriding the package's)."""
    return library_for(folders_from(args))


def open_workspace(args: argparse.Namespace, *, create: bool = False) -> Workspace:
    """The workspace named by --workspace / WORKBENCH_WORKSPACE / the current directory.

    Only commands that add data (client new, client import, mission new) may create it.
    """
    return Workspace.open(getattr(args, "workspace", None), create=create)


def parse_date(raw: str, what: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{what} invalide : « {raw} » (format attendu : AAAA-MM-JJ).") from None


def parse_categories(raw: str) -> frozenset[Category]:
    cats = set()
    for part in raw.split(","):
        token = part.strip().upper()
        if not token:
            continue
        try:
            cats.add(Category(token))
        except ValueError:
            allowed = ", ".join(c.value for c in Category)
            raise UsageError(
                f"catégorie d'action inconnue : « {part.strip()} » (possibles : {allowed})."
            ) from None
    if not cats:
        raise UsageError("indiquez au moins une catégorie d'action (AF, BC, VAE, CFA).")
    return frozenset(cats)


def conditions_from_flags(args: argparse.Namespace) -> frozenset[Condition]:
    flags = {
        "certifying": Condition.CERTIFYING,
        "alternance": Condition.ALTERNANCE,
        "work_periods": Condition.WORK_PERIODS,
        "subcontracting": Condition.SUBCONTRACTING,
        "short_courses_only": Condition.SHORT_COURSES_ONLY,
    }
    chosen = frozenset(cond for attr, cond in flags.items() if getattr(args, attr, False))
    implied = with_implied(chosen)
    for a, b, why in INCOMPATIBLE_CONDITIONS:
        if a in implied and b in implied:
            raise UsageError(f"Situations incompatibles : « {a.label} » et « {b.label} » ({why}).")
    return chosen


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> None:
    """A plain text table that stays readable in a terminal."""
    cells = [[_clip(str(c), max_width) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
