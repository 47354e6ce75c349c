"""Defences of client bundles against hostile or mistaken files.

- **Bounded parsing**: a member's size and its number of JSON values are checked on the raw bytes
  before :func:`json.loads` builds anything, so a small zip cannot expand into gigabytes of Python
  objects; its nesting depth is checked right after parsing (a RecursionError of the parser, for
  absurd depths, is reported the same way).
- **Signature**: with a firm key (``bundle_signing_key`` in ``workbench.yaml``), the manifest, which
  holds the SHA-256 of every member, is signed with HMAC-SHA256; the importing workspace checks it.
- **Organisation identity**: a bundle whose organisation differs from the local client of the same
  id (SIRET, or name when either has no SIRET) is never merged into it.
- **Renaming**: a bundle can be imported under another client id, every reference rewritten.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import unicodedata
from typing import Any

from workbench.core.vocab import LabelledEnum
from workbench.store import bundle_extras

MAX_MEMBER_SIZE = 32 * 1024 * 1024
"""Largest member accepted, uncompressed (a client's full history is a few megabytes)."""
MAX_TOTAL_SIZE = 64 * 1024 * 1024
"""Largest sum of the members' sizes, uncompressed."""
MAX_JSON_VALUES = 1_000_000
"""Most JSON containers and items one member may hold."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (real bundles stay under 8)."""

SIGNATURE_ALGORITHM = "HMAC-SHA256"
MIN_KEY_LENGTH = 32

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class BundleLimitError(ValueError):
    """A member exceeds a parsing limit; the message says which, in French."""


def check_json_bounds(blob: bytes) -> None:
    """Refuse JSON bytes too large or with too many values, without parsing them."""
    if len(blob) > MAX_MEMBER_SIZE:
        raise BundleLimitError(f"taille {len(blob)} octets, au-delà de la limite de {MAX_MEMBER_SIZE} octets")
    skeleton = _STRING.sub(b"0", blob)  # strings can hold brackets and commas: take them out first
    values = skeleton.count(b",") + skeleton.count(b"[") + skeleton.count(b"{")
    if values > MAX_JSON_VALUES:
        raise BundleLimitError(f"plus de {MAX_JSON_VALUES} valeurs JSON ({values})")


def check_json_depth(value: Any) -> None:
    """Refuse a parsed value nested deeper than :data:`MAX_JSON_DEPTH` (walked without recursion).

    Deeper still, :func:`json.loads` itself stops with a RecursionError, reported the same way.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BundleLimitError(DEPTH_MESSAGE)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))


DEPTH_MESSAGE = f"imbrication de plus de {MAX_JSON_DEPTH} niveaux"


# -- signature -------------------------------------------------------------------------------------


def _canonical(manifest: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(unsigned, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id(key: str) -> str:
    """A short public fingerprint of the key, to tell keys apart without revealing them."""
    return hashlib.sha256(b"qualiopi-workbench-key-id:" + key.encode("utf-8")).hexdigest()[:16]


def sign_manifest(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    """The manifest with its ``signature`` entry (HMAC-SHA256 of the canonical manifest)."""
    value = hmac.new(key.encode("utf-8"), _canonical(manifest), hashlib.sha256).hexdigest()
    return {**manifest, "signature": {"algorithm": SIGNATURE_ALGORITHM, "key_id": key_id(key), "value": value}}


class SignatureStatus(LabelledEnum):
    """What the import found about a bundle's signature (the value is what reports and JSON show)."""

    VERIFIED = "verified", "signature du cabinet vérifiée"
    ABSENT = "absent", "paquet non signé"
    UNCHECKED = "unchecked", "paquet signé, signature non vérifiée (aucune clé dans cet espace de travail)"
    INVALID = "invalid", "signature invalide"


def signature_status(manifest: dict[str, Any], key: str | None) -> SignatureStatus:
    """``verified``, ``absent``, ``unchecked`` (signed, but no key here) or ``invalid``."""
    sig = manifest.get("signature")
    if sig is None:
        return SignatureStatus.ABSENT
    if key is None:
        return SignatureStatus.UNCHECKED
    if not isinstance(sig, dict) or sig.get("algorithm") != SIGNATURE_ALGORITHM or not isinstance(
            sig.get("value"), str):
        return SignatureStatus.INVALID
    expected = hmac.new(key.encode("utf-8"), _canonical(manifest), hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, sig["value"].lower())
    return SignatureStatus.VERIFIED if ok else SignatureStatus.INVALID


# -- organisation identity -------------------------------------------------------------------------


def _name_key(name: Any) -> str:
    text = unicodedata.normalize("NFKD", str(name or "")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def organisation_of(profile: dict[str, Any]) -> str:
    """How the organisation is named to the user: « raison sociale (SIRET …) »."""
    siret = profile.get("siret")
    return f"« {profile.get('name', '?')} »" + (f" (SIRET {siret})" if siret else " (sans SIRET)")


def same_organisation(local: dict[str, Any], incoming: dict[str, Any]) -> bool:
    """Same SIRET when both have one; otherwise the same name (case, accents, punctuation aside)."""
    a, b = re.sub(r"\s", "", local.get("siret") or ""), re.sub(r"\s", "", incoming.get("siret") or "")
    if a and b:
        return a == b
    return _name_key(local.get("name")) == _name_key(incoming.get("name"))


# -- importing under another id ---------------------------------------------------------------------


def rename_client(data: dict[str, Any], new_id: str) -> dict[str, Any]:
    """The checked bundle data with the client id replaced everywhere (missions renumbered alike)."""
    old_id = data["client"]["id"]
    out = copy.deepcopy(data)
    mission_ids = {m["id"]: f"{new_id}-m{m['id'][len(old_id) + 2:]}" for m in out["missions"]}
    out["client"]["id"] = new_id
    out["client"]["profile"] = {**out["client"]["profile"], "id": new_id}
    for m in out["missions"]:
        m["id"], m["client_id"] = mission_ids[m["id"]], new_id
    for name in ("answers", "evidence", "actions", "ui_state"):
        for row in out[name]:
            row["mission_id"] = mission_ids[row["mission_id"]]
    for h in out["history"]:
        if h["mission_id"]:
            h["mission_id"] = mission_ids[h["mission_id"]]
        if h["entity"] == "client" and h["entity_key"] == old_id:
            h["entity_key"] = new_id
            for side in ("before", "after"):
                if isinstance(h[side], dict) and h[side].get("id") == old_id:
                    h[side] = {**h[side], "id": new_id}
        for side in ("before", "after"):
            if isinstance(h[side], dict) and h[side].get("mission_id") in mission_ids:
                h[side] = {**h[side], "mission_id": mission_ids[h[side]["mission_id"]]}
    bundle_extras.rename(out, old_id, new_id, mission_ids)
    return out
