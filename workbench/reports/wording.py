"""Client wording: what the client reads instead of the team's internal referential notes.

The referential data speaks to consultants (version ids, « niveau attendu V9 étendu … », caveats on
sources not consulted). Client outputs (report, Word, Excel, dashboard) go through these helpers:
the referential is named by its decree, the provisional status of a version is told once in plain
French (:data:`PROVISIONAL_NOTE`), and guide-version jargon is rewritten. ``tests/test_wording.py``
runs every text of every shipped referential through :func:`client_text` and checks no jargon is left.
"""

from __future__ import annotations

import re

from workbench.core.dates import fr_date_long
from workbench.referential.library import Referential

PROVISIONAL_NOTE = (
    "Les audits réalisés à partir du 1er novembre 2026 relèvent d'une nouvelle version du référentiel "
    "national qualité. Le guide officiel qui en précise la lecture n'étant pas encore paru, les "
    "exigences présentées ici reprennent les règles connues à ce jour ; elles seront ajustées dès sa "
    "publication."
)
"""Said once per client output when the referential used is provisional."""

JARGON = re.compile(r"\bV(?:8|9|10)\b|guide de lecture|niveau attendu V|non consult|non retrouv|"
                    r"sources secondaires|transcription", re.I)
"""What must never reach a client (checked by the tests on every output)."""

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # « Niveau attendu V9 (X) étendu à Y ; provisoire … » → « X ; exigence élargie à Y »
    (re.compile(r"^Niveau attendu V\d+ \((?P<x>.*?)\) étendu (?P<y>(?:à|aux|au) .*?)(?: ; provisoire[^.]*)?\.?$"),
     r"\g<x> ; exigence élargie \g<y>."),
    (re.compile(r"^Niveau attendu V\d+ \((?P<x>.*?)\)(?P<y> ;.*?)?(?: ; provisoire[^.]*)?\.?$"),
     r"\g<x>\g<y>."),
    (re.compile(r"^Aucun niveau attendu officiel, faute de guide V\d+\. À titre provisoire : "), "À titre indicatif : "),
    (re.compile(r" ; provisoire dans l'attente du guide de lecture V\d+"), ""),
    (re.compile(r"\bsous V\d+ "), ""),
    (re.compile(r"\(guide V\d+\)|du guide V\d+|guide V\d+"), "du guide de référence"),
)


def client_text(text: str | None) -> str:
    """Referential text as a client reads it (no guide-version jargon), first letter capitalised."""
    if not text:
        return ""
    out = text.strip()
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    out = re.sub(r"\s{2,}", " ", out).replace(" ;.", ".").replace("..", ".")
    return out[:1].upper() + out[1:]


def referential_label(ref: Referential) -> str:
    """« Référentiel national qualité (décret n° 2026-728 du 1er août 2026) »: no id, no guide version."""
    decree = ref.decree[:1].lower() + ref.decree[1:]
    return f"Référentiel national qualité ({decree})"


def referential_period(ref: Referential) -> str:
    if ref.effective_until:
        return f"audits du {fr_date_long(ref.effective_from)} au {fr_date_long(ref.effective_until)}"
    return f"audits à partir du {fr_date_long(ref.effective_from)}"


def has_jargon(text: str) -> bool:
    return JARGON.search(text) is not None
