"""Portable client bundles: one file to hand a client over to a colleague.

A bundle is a zip archive holding ``manifest.json`` (format name and version, package version,
creation time, SHA-256 and size of every member) and one JSON member per kind of data: the
profile, the missions, the answers, the evidence metadata (no files), the action plan, the
full change history, (since format 2) the per-mission working state (``ui_state``: where the
interview resumes, which generated action comes from which gap) and (since format 4) the data of
the feature tables (:mod:`bundle_extras`: task plans, sessions and file reviews, report texts and
sent versions, opportunity assessments, archiving, the description of attached files; never the
client-space access codes nor the attached files themselves). Import checks everything
(archive, checksums, format, content, identifiers) before writing anything, then writes in one
transaction: all or nothing.

Mission identifiers end up in file names (reports) and environment variables: a bundle is only
accepted when each of them has exactly the form the store creates, ``<client id>-m<number>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench import __version__
from workbench.core.errors import BundleError, UsageError, WorkbenchError
from workbench.core.files import write_atomically
from workbench.core.validation import describe_validation_error
from workbench.core.vocab import Verdict
from workbench.domain.plan import STATE_KEY as ACTIONS_STATE_KEY
from workbench.domain.profile import profile_from_data, validate_client_id
from workbench.domain.records import Action, Answer, Evidence, Mission, mission_type_conflict, now
from workbench.referential.library import Library
from workbench.store import Store, bundle_extras, bundle_safety
from workbench.store.bundle_safety import BundleLimitError, check_json_bounds, check_json_depth

FORMAT_NAME = "qualiopi-workbench-bundle"
FORMAT_VERSION = 4
"""1: first format; 2: adds ``ui_state.json``; 3: answers split ``notes`` into ``finding`` (for the
client) and ``private_notes`` (for the consultant); 4: adds the feature members of :mod:`bundle_extras`."""
MANIFEST = "manifest.json"
MEMBERS = ("profile.json", "missions.json", "answers.json", "evidence.json", "actions.json", "history.json",
           "ui_state.json", *bundle_extras.MEMBERS)
MEMBER_SINCE = {"ui_state.json": 2, **{name: bundle_extras.FORMAT_SINCE for name in bundle_extras.MEMBERS}}
"""Members added after format 1, with the format version that made them mandatory."""
STATE_LABELS = {
    "interview.current_indicator": "point de reprise de l'entretien",
    ACTIONS_STATE_KEY: "correspondance écarts → actions générées",
}
MAX_MEMBER_SIZE = bundle_safety.MAX_MEMBER_SIZE
"""Refuse members announcing more than this (a bundle is text; protects against zip bombs)."""
SUFFIX = ".qwb"


# -- content models: what each member must hold ------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BundleClient(_Strict):
    id: str
    profile: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


class BundleMission(Mission):
    seq: int = Field(ge=1)


class BundleAnswer(Answer):
    updated_at: dt.datetime
    updated_by: str


class BundleEvidence(Evidence):
    id: int
    created_at: dt.datetime
    created_by: str
    removed: bool = False


class BundleAction(Action):
    id: int
    updated_at: dt.datetime
    updated_by: str


class BundleState(_Strict):
    mission_id: str
    key: str = Field(min_length=1)
    value: Any


class BundleHistory(_Strict):
    mission_id: str
    entity: str = Field(min_length=1)
    entity_key: str
    indicator_id: str | None
    field: str = Field(min_length=1)
    before: Any
    after: Any
    actor: str
    at: dt.datetime


_MEMBER_MODELS: dict[str, type[BaseModel]] = {
    "missions.json": BundleMission,
    "answers.json": BundleAnswer,
    "evidence.json": BundleEvidence,
    "actions.json": BundleAction,
    "history.json": BundleHistory,
    "ui_state.json": BundleState,
}


def mission_id_ok(mission_id: str, client_id: str) -> bool:
    """True when ``mission_id`` has the form the store gives: ``<client_id>-m<number>``."""
    return re.fullmatch(re.escape(client_id) + r"-m[0-9]+", mission_id) is not None


def state_label(key: str) -> str:
    return STATE_LABELS.get(key, key)


_db_value = bundle_extras.db_value


def _db_row(model: BaseModel) -> dict[str, Any]:
    return {k: _db_value(v) for k, v in model.model_dump().items()}


# -- report ---------------------------------------------------------------------------------------


class Conflict(_Strict):
    kind: str
    """``answer``, ``action``, ``profile`` or a feature member (:data:`bundle_extras.KINDS`)."""
    mission_id: str | None
    indicator_id: str | None
    local: Any
    incoming: Any
    key: str | None = None
    """What names a feature row (task id, session reference, report version…)."""

    def describe(self) -> str:
        if self.kind not in ("profile", "answer", "action"):
            return bundle_extras.describe_conflict(self.kind, self.mission_id, self.key, self.local, self.incoming)
        if self.kind == "profile":
            return "profil du client différent : la version locale est conservée"
        where = f"mission {self.mission_id}, indicateur {self.indicator_id}"
        if self.kind == "answer":
            mine = _verdict_label(self.local.get("verdict"))
            theirs = _verdict_label(self.incoming.get("verdict"))
            return (f"{where} : réponse locale conservée ({mine}, par {self.local.get('updated_by')}) ; "
                    f"réponse du paquet écartée ({theirs}, par {self.incoming.get('updated_by')})")
        return (f"{where} : action « {self.local.get('title')} » différente : version locale conservée "
                f"(statut {self.local.get('status')}), version du paquet écartée (statut {self.incoming.get('status')})")


def _verdict_label(raw: Any) -> str:
    try:
        return Verdict(raw).label
    except ValueError:
        return str(raw)


class ImportReport(_Strict):
    path: str
    client_id: str
    client_name: str
    merged: bool
    client_created: bool
    profile_conflict: bool
    missions_added: list[str]
    missions_existing: list[str]
    missions_renamed: dict[str, str]
    answers_added: int
    answers_identical: int
    conflicts: list[Conflict]
    evidence_added: int
    evidence_existing: int
    actions_added: int
    actions_existing: int
    history_added: int
    state_added: int = 0
    """Working-state entries (``ui_state``) written."""
    state_identical: int = 0
    state_kept: list[dict[str, Any]] = Field(default_factory=list)
    """Local working-state entries that differ from the bundle's: kept, the bundle's value ignored."""
    signature: str = "absent"
    """``verified``, ``absent`` or ``unchecked`` (see :func:`bundle_safety.signature_status`)."""
    imported_as: str | None = None
    """The bundle's own client id when it was imported under another one (``--as``)."""
    extras: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Per feature member (``tasks``, ``sessions``…): rows ``added`` and ``existing`` (identical or kept)."""
    files_not_carried: list[str] = Field(default_factory=list)
    """Workspace paths of the files attached to evidence items: described in the bundle, not carried."""

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def lines(self) -> list[str]:
        """A French summary for the terminal."""
        head = (f"Client « {self.client_id} » ({self.client_name}) créé depuis {self.path}."
                if self.client_created else
                f"Client « {self.client_id} » ({self.client_name}) fusionné depuis {self.path}.")
        out = [head]
        if self.imported_as:
            out.append(f"  (client « {self.imported_as} » du paquet, importé sous l'identifiant « {self.client_id} »)")
        out.append(f"Signature : {bundle_safety.SignatureStatus(self.signature).label}.")
        out.append(f"Missions ajoutées : {len(self.missions_added)}"
                   + (f" ({', '.join(self.missions_added)})" if self.missions_added else "")
                   + f" ; déjà présentes : {len(self.missions_existing)}")
        for old, new in self.missions_renamed.items():
            out.append(f"  mission « {old} » du paquet importée sous l'identifiant « {new} » "
                       "(identifiant déjà pris localement)")
        out.append(f"Réponses ajoutées : {self.answers_added} ; identiques déjà présentes : {self.answers_identical} ; "
                   f"conflits : {sum(c.kind == 'answer' for c in self.conflicts)}")
        out.append(f"Preuves ajoutées : {self.evidence_added} ; déjà présentes : {self.evidence_existing}")
        out.append(f"Actions ajoutées : {self.actions_added} ; déjà présentes : {self.actions_existing}")
        out.append(f"Entrées d'historique ajoutées : {self.history_added}"
                   + (" (marquées « importé » avec le paquet et l'heure d'import)" if self.history_added else ""))
        out.append(f"État de travail (reprise, actions générées) ajouté : {self.state_added} ; "
                   f"identique déjà présent : {self.state_identical} ; "
                   f"conservé localement : {len(self.state_kept)}")
        for kept in self.state_kept:
            out.append(f"  mission {kept['mission_id']} : {state_label(kept['key'])} — valeur locale "
                       "conservée, celle du paquet écartée")
        out.extend(bundle_extras.summary_lines(self.extras, self.files_not_carried))
        out.append("Jamais transmis par un paquet : les codes d'accès à l'espace client et le journal des "
                   "modifications faites par le client depuis son espace.")
        if self.conflicts:
            out.append(f"{len(self.conflicts)} conflit(s) — rien n'a été écrasé :")
            out.extend(f"  - {c.describe()}" for c in self.conflicts)
        return out


# -- export ---------------------------------------------------------------------------------------


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode("utf-8")


def export_client(store: Store, client_id: str, path: str | os.PathLike[str], *, overwrite: bool = False,
                  signing_key: str | None = None) -> Path:
    """Write the client's bundle to exactly ``path`` (atomically); returns the path written.

    An existing file is never replaced unless ``overwrite``; the parent folder must exist. With
    ``signing_key`` (the firm's key) the manifest is signed (see :mod:`bundle_safety`).
    """
    validate_client_id(client_id)
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} est un dossier : indiquez le nom du fichier à créer (ex. : {client_id}{SUFFIX}).")
    if not target.parent.is_dir():
        raise UsageError(f"Dossier de destination introuvable : {target.parent} ; rien n'a été écrit.")
    if target.exists() and not overwrite:
        raise UsageError(f"Le fichier {target} existe déjà ; rien n'a été écrit (--force pour le remplacer).")
    exporter = getattr(store, "export_client_data", None)
    if exporter is None:
        raise BundleError("Ce type de base de données ne permet pas l'export de paquets client.")
    data = exporter(client_id)
    profile = profile_from_data(data["client"]["profile"], f"Profil stocké du client {client_id}")
    payloads = {
        "profile.json": _json_bytes(data["client"]),
        "missions.json": _json_bytes(data["missions"]),
        "answers.json": _json_bytes(data["answers"]),
        "evidence.json": _json_bytes(data["evidence"]),
        "actions.json": _json_bytes(data["actions"]),
        "history.json": _json_bytes(data["history"]),
        "ui_state.json": _json_bytes(data["ui_state"]),
        **{kind.member: _json_bytes(data[kind.name]) for kind in bundle_extras.KINDS},
    }
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "created_at": now().isoformat(),
        "created_by": store.actor,
        "client_id": client_id,
        "client_name": profile.name,
        "counts": {name.removesuffix(".json"): len(data[name.removesuffix(".json")])
                   for name in MEMBERS if name != "profile.json"},
        "members": {name: {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
                    for name, blob in payloads.items()},
    }
    if signing_key:
        manifest = bundle_safety.sign_manifest(manifest, signing_key)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, _json_bytes(manifest))
            for name, blob in payloads.items():
                zf.writestr(name, blob)

    write_atomically(target, write, overwrite=overwrite)
    return target


# -- reading and checking -------------------------------------------------------------------------


def _corrupt(path: Path, why: str) -> BundleError:
    return BundleError(f"Paquet client corrompu : {path} ({why}). Rien n'a été importé.")


def _foreign(path: Path, why: str) -> BundleError:
    return BundleError(
        f"{path} n'est pas un paquet client Qualiopi Workbench ({why}). Rien n'a été importé."
    )


def _read_member(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _corrupt(path, f"élément « {name} » manquant") from None
    if info.file_size > MAX_MEMBER_SIZE:
        raise _corrupt(path, f"élément « {name} » anormalement volumineux ({info.file_size} octets)")
    try:
        with zf.open(info) as fh:
            blob = fh.read(MAX_MEMBER_SIZE + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _corrupt(path, f"élément « {name} » illisible : {exc}") from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or unknown compression
        raise _foreign(path, f"élément « {name} » chiffré ou compression non gérée : {exc}") from None
    if len(blob) > MAX_MEMBER_SIZE:
        raise _corrupt(path, f"élément « {name} » anormalement volumineux")
    return blob


def _parse_json(blob: bytes, name: str, path: Path) -> Any:
    try:
        check_json_bounds(blob)
        value = json.loads(blob.decode("utf-8"))
        check_json_depth(value)
        return value
    except BundleLimitError as exc:
        raise _corrupt(path, f"élément « {name} » hors limites : {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(path, f"élément « {name} » : JSON invalide ({exc})") from None
    except RecursionError:  # nested far deeper than the limit: the parser itself gives up
        raise _corrupt(path, f"élément « {name} » hors limites : {bundle_safety.DEPTH_MESSAGE}") from None
    except MemoryError:  # a backstop: the bounds above should have caught it
        raise _corrupt(path, f"élément « {name} » hors limites : structure trop grande") from None


def read_bundle(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open and check a bundle; returns (manifest, data ready for the store). Writes nothing."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} est un dossier, pas un paquet client.")
    if not path.is_file():
        raise UsageError(f"Fichier introuvable : {path}.")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        if path.stat().st_size == 0:
            raise _corrupt(path, "fichier vide") from None
        with path.open("rb") as fh:
            starts_like_zip = fh.read(4) == b"PK\x03\x04"
        if starts_like_zip:
            raise _corrupt(path, "archive zip tronquée ou endommagée") from None
        raise _foreign(path, "ce n'est pas une archive zip") from None
    except OSError as exc:
        raise BundleError(f"Paquet client illisible : {path} ({exc}). Rien n'a été importé.") from None
    with zf:
        if MANIFEST not in zf.namelist():
            raise _foreign(path, f"pas de {MANIFEST}")
        manifest = _parse_json(_read_member(zf, MANIFEST, path), MANIFEST, path)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise _foreign(path, f"format « {found} », attendu « {FORMAT_NAME} »")
        version = manifest.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _corrupt(path, f"version de format invalide : {version!r}")
        if version > FORMAT_VERSION:
            raise BundleError(
                f"Le paquet {path} a été créé par une version plus récente du logiciel "
                f"(format {version}, version {manifest.get('package_version', '?')}) ; ce logiciel "
                f"(version {__version__}) lit le format {FORMAT_VERSION} au plus. Mettez à jour "
                "Qualiopi Workbench. Rien n'a été importé."
            )
        members = manifest.get("members")
        if not isinstance(members, dict):
            raise _corrupt(path, "liste des éléments absente du manifeste")
        total = sum(i.file_size for i in zf.infolist() if i.filename in MEMBERS)
        if total > bundle_safety.MAX_TOTAL_SIZE:
            raise _corrupt(path, f"contenu anormalement volumineux ({total} octets une fois décompressé)")
        raw: dict[str, Any] = {}
        for name in MEMBERS:
            entry = members.get(name)
            if entry is None and version < MEMBER_SINCE.get(name, 1):
                raw[name] = []  # older format: this member did not exist yet
                continue
            if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
                raise _corrupt(path, f"empreinte SHA-256 de « {name} » absente du manifeste")
            blob = _read_member(zf, name, path)
            if hashlib.sha256(blob).hexdigest() != entry["sha256"].lower():
                raise _corrupt(path, f"empreinte SHA-256 de « {name} » incorrecte : contenu modifié ou abîmé")
            raw[name] = _parse_json(blob, name, path)
    return manifest, _validate(_upgrade(raw, version), path)


def _upgrade(raw: dict[str, Any], version: int) -> dict[str, Any]:
    """Bring the members of an older format to the current one (same rules as the store migrations)."""
    if version < 3:
        # Before format 3 an answer had one free-text ``notes`` field: it becomes a private note.
        for row in raw.get("answers.json") or []:
            if isinstance(row, dict) and "notes" in row:
                row["private_notes"] = row.pop("notes")
        for row in raw.get("history.json") or []:
            if isinstance(row, dict) and row.get("entity") == "answer" and row.get("field") == "notes":
                row["field"] = "private_notes"
    return raw


def _invalid(path: Path, name: str, exc: ValidationError, raw: Any, index: int | None = None) -> BundleError:
    text, _, field = describe_validation_error(exc, raw, list_key=None)
    where = f"élément « {name} »" + (f", entrée {index + 1}" if index is not None else "")
    where += f", champ « {field} »" if field else ""
    return _corrupt(path, f"{where} : {text}")


def _validate(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    try:
        client = BundleClient.model_validate(raw["profile.json"])
    except ValidationError as exc:
        raise _invalid(path, "profile.json", exc, raw["profile.json"]) from None
    try:
        cid = validate_client_id(client.id)
    except WorkbenchError as exc:
        raise _corrupt(path, f"élément « profile.json » : {exc.message}") from None
    try:
        profile = profile_from_data(client.profile, "profil du paquet")
    except WorkbenchError as exc:
        raise _corrupt(path, exc.message.rstrip(".")) from None
    if profile.id != cid:
        raise _corrupt(path, f"le profil porte l'identifiant « {profile.id} » au lieu de « {cid} »")
    data: dict[str, Any] = {"client": {**_db_row(client), "profile": client.profile}}
    for name, model in _MEMBER_MODELS.items():
        rows = raw[name]
        if not isinstance(rows, list):
            raise _corrupt(path, f"élément « {name} » : liste attendue")
        items = []
        for i, row in enumerate(rows):
            try:
                items.append(model.model_validate(row))
            except ValidationError as exc:
                raise _invalid(path, name, exc, row, i) from None
        data[name.removesuffix(".json")] = items
    missions: list[BundleMission] = data["missions"]
    for m in missions:
        if m.client_id != cid:
            raise _corrupt(path, f"la mission « {m.id} » appartient au client « {m.client_id} », pas à « {cid} »")
        if not mission_id_ok(m.id, cid):
            raise _corrupt(path, f"identifiant de mission invalide : « {m.id} » (attendu : « {cid}-m<numéro> »)")
        contradiction = mission_type_conflict(m.type, m.audit_type)
        if contradiction:
            raise _corrupt(path, f"mission « {m.id} » : {contradiction}")
    mids = {m.id for m in missions}
    if len(mids) != len(missions) or len({m.seq for m in missions}) != len(missions):
        raise _corrupt(path, "missions en double")
    for name in ("answers", "evidence", "actions", "ui_state"):
        for item in data[name]:
            if item.mission_id not in mids:
                raise _corrupt(path, f"élément « {name}.json » : mission « {item.mission_id} » absente du paquet")
    keys = [(a.mission_id, a.indicator_id) for a in data["answers"]]
    if len(set(keys)) != len(keys):
        raise _corrupt(path, "réponses en double pour une même mission et un même indicateur")
    for name in ("evidence", "actions"):
        ids = [item.id for item in data[name]]
        if len(set(ids)) != len(ids):
            raise _corrupt(path, f"identifiants en double dans « {name}.json »")
    state_keys = [(s.mission_id, s.key) for s in data["ui_state"]]
    if len(set(state_keys)) != len(state_keys):
        raise _corrupt(path, "état de travail en double pour une même mission et une même clé")
    actions_of = {(a.mission_id, a.id) for a in data["actions"]}
    for s in data["ui_state"]:
        if s.key == ACTIONS_STATE_KEY:
            value = s.value
            if not isinstance(value, dict) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
                raise _corrupt(path, f"élément « ui_state.json » : {state_label(s.key)} de la mission "
                                     f"« {s.mission_id} » illisible")
            for action_id in value.values():
                if (s.mission_id, action_id) not in actions_of:
                    raise _corrupt(path, f"élément « ui_state.json » : action {action_id} absente de la "
                                         f"mission « {s.mission_id} » du paquet")
    for h in data["history"]:
        if h.mission_id and h.mission_id not in mids:
            raise _corrupt(path, f"élément « history.json » : mission « {h.mission_id} » absente du paquet")
        if not h.mission_id and not (h.entity == "client" and h.entity_key == cid):
            raise _corrupt(path, "élément « history.json » : entrée sans mission étrangère à ce client")
    out: dict[str, Any] = {"client": data["client"]}
    for name in ("missions", "answers", "evidence", "actions"):
        out[name] = [_db_row(item) for item in data[name]]
    out["ui_state"] = [{"mission_id": s.mission_id, "key": s.key, "value": s.value} for s in data["ui_state"]]
    out.update(bundle_extras.validate(
        raw, cid, mids, {e.id for e in data["evidence"]}, lambda why: _corrupt(path, why),
        lambda name, exc, row, i: _invalid(path, name, exc, row, i)))
    # history before/after are free JSON: keep them exactly as exported.
    out["history"] = [{**_db_row(h), "before": h.before, "after": h.after} for h in data["history"]]
    return out


# -- import ---------------------------------------------------------------------------------------


def import_bundle(store: Store, path: str | os.PathLike[str], merge: bool = False,
                  library: Library | None = None, *, signing_key: str | None = None,
                  accept_unsigned: bool = False, as_id: str | None = None) -> ImportReport:
    """Import a bundle: checked in full first, then written in one transaction.

    Without ``merge`` an existing client is refused and nothing changes. With ``merge``, what is
    missing is added, local answers that differ are kept and listed as conflicts, history is
    appended and marked as imported (bundle, time). A bundle of another organisation than the
    local client of the same id is refused: ``as_id`` imports it under another id. A SIRET
    already held by another local client is refused. With ``library``, missions bound to an
    unknown referential version and rows naming an indicator outside their mission's referential
    are refused. With ``signing_key``, the bundle must carry a valid signature of that key
    (an unsigned one only with ``accept_unsigned``).
    """
    path = Path(path)
    manifest, data = read_bundle(path)
    signature = bundle_safety.signature_status(manifest, signing_key)
    if signature == bundle_safety.SignatureStatus.INVALID:
        raise BundleError(f"Signature du paquet {path} invalide : il a été modifié après sa création, ou signé "
                          "avec la clé d'un autre cabinet. Rien n'a été importé.")
    if signature == bundle_safety.SignatureStatus.ABSENT and signing_key and not accept_unsigned:
        raise BundleError(f"Le paquet {path} n'est pas signé, alors que cet espace de travail a une clé de "
                          "signature (bundle_signing_key) : rien n'a été importé. Si vous connaissez sa "
                          "provenance, relancez avec --accept-unsigned.")
    original_id = data["client"]["id"]
    if as_id is not None and validate_client_id(as_id) != original_id:
        data = bundle_safety.rename_client(data, as_id)
    cid = data["client"]["id"]
    incoming = data["client"]["profile"]
    if store.client_exists(cid) and merge:
        local = store.get_client(cid).model_dump(mode="json")
        if not bundle_safety.same_organisation(local, incoming):
            raise BundleError(
                f"Le paquet {path} concerne une autre organisation, {bundle_safety.organisation_of(incoming)}, "
                f"que le client local « {cid} », {bundle_safety.organisation_of(local)} : rien n'a été fusionné. "
                f"Pour l'importer comme un autre client : workbench client import {path} --as NOUVEL-IDENTIFIANT"
            )
    siret = incoming.get("siret")
    if siret:
        for other in store.list_clients():
            if other.id != cid and other.siret == siret:
                raise BundleError(f"Le SIRET {siret} du paquet {path} est déjà celui du client « {other.id} » "
                                  f"({other.name}) : rien n'a été importé. Fusionnez plutôt avec ce client : "
                                  f"workbench client import {path} --as {other.id} --merge")
    if library is not None:
        known = {r.id for r in library.versions}
        for m in data["missions"]:
            if m["referential_id"] not in known:
                raise BundleError(
                    f"La mission « {m['id']} » du paquet {path} utilise le référentiel « {m['referential_id']} », "
                    f"absent de cette installation (versions : {', '.join(sorted(known))}). Rien n'a été importé."
                )
        _check_indicators(data, library, path)
    importer = getattr(store, "import_client_data", None)
    if importer is None:
        raise BundleError("Ce type de base de données ne permet pas l'import de paquets client.")
    origin = {"bundle": path.name, "sha256": _file_sha256(path), "client_id": original_id,
              "created_by": manifest.get("created_by"), "created_at": manifest.get("created_at"),
              "signature": signature}
    result = importer(data, merge=merge, origin=origin)
    return ImportReport(
        path=str(path),
        client_name=str(data["client"]["profile"].get("name", "")),
        merged=not result["client_created"],
        conflicts=[Conflict(**c) for c in result.pop("conflicts")],
        signature=signature,
        imported_as=original_id if original_id != cid else None,
        **result,
    )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_indicators(data: dict[str, Any], library: Library, path: Path) -> None:
    """Every answer, evidence item and action names an indicator of its mission's referential."""
    indicators = {m["id"]: (m["referential_id"], {i.id for i in library.get(m["referential_id"]).indicators})
                  for m in data["missions"]}
    for name in ("answers", "evidence", "actions"):
        for row in data[name]:
            ref_id, ids = indicators[row["mission_id"]]
            if row["indicator_id"] not in ids:
                raise _corrupt(path, f"élément « {name}.json » : indicateur inconnu « {row['indicator_id']} » "
                                     f"dans la mission « {row['mission_id']} » (référentiel {ref_id})")
