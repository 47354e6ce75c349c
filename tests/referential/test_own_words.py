"""Own words: no shipped referential, grid or remediation text repeats a source verbatim.

The excerpts of public sources kept under ``tests/fixtures/source_excerpts/`` (the 2026 annex as
transcribed publicly, the V9 guide, sentences of other projects) are compared with every string
of the shipped data: sharing a run of 12 or more consecutive words with any excerpt fails.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from workbench.data import GRIDS_DIR, REFERENTIEL_DIR

EXCERPTS_DIR = Path(__file__).parent / "fixtures" / "source_excerpts"
RUN = 12
REMEDIATION_DIR = REFERENTIEL_DIR / "remediation"


def words(text: str) -> list[str]:
    """Lower-case words, accents kept, apostrophes and punctuation as separators."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("œ", "oe")
    return re.findall(r"[0-9a-zà-öø-ÿ]+", text)


def shingles(tokens: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def excerpts() -> list[tuple[str, str]]:
    found = []
    for path in sorted(EXCERPTS_DIR.glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            para = para.strip()
            if para and not para.startswith("#"):
                found.append((path.name, para))
    return found


def strings(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, f"{where}[{i}]")


@functools.cache
def shipped_texts() -> tuple[tuple[str, str, frozenset[tuple[str, ...]]], ...]:
    files = [*sorted(REFERENTIEL_DIR.glob("*.yaml")), *sorted(GRIDS_DIR.glob("*.yaml")),
             *sorted(REMEDIATION_DIR.glob("*.yaml"))]
    texts = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.extend((where, text, frozenset(shingles(words(text)))) for where, text in strings(data, path.name))
    return tuple(texts)


def shared_run(text: str, source: str) -> str | None:
    """The first run of ``RUN`` words the two texts share, if any."""
    common = shingles(words(text)) & shingles(words(source))
    return " ".join(sorted(common)[0]) if common else None


def test_fixtures_are_real_and_long_enough():
    found = excerpts()
    assert len(found) >= 15
    assert all(len(words(p)) >= RUN for _, p in found if not p.startswith("Démontrer"))
    assert len(shipped_texts()) > 2000


def test_the_check_catches_a_copied_sentence():
    source = excerpts()[0][1]
    copied = "Introduction. " + " ".join(words(source)[3:3 + RUN]) + " et la suite."
    assert shared_run(copied, source)
    # Eleven words in common are tolerated (short official terms, lists of items).
    assert shared_run(" ".join(words(source)[3:3 + RUN - 1]), source) is None


@pytest.mark.parametrize("name, source", excerpts(), ids=[f"{n}-{i}" for i, (n, _) in enumerate(excerpts())])
def test_no_shipped_text_repeats_a_source(name, source):
    mine = shingles(words(source))
    copies = [f"{where}: « {' '.join(sorted(common)[0])} »" for where, _, grams in shipped_texts()
              if (common := grams & mine)]
    assert not copies, f"Texte trop proche de {name} :\n" + "\n".join(copies)
