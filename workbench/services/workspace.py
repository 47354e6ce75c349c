"""A consultant's workspace: settings, store and referential library in one handle.

The CLI, the notebooks and the Voilà apps all go through this object, so they share one
notion of where data lives and how missions are bound to a referential version.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cached_property
from pathlib import Path

from workbench.core.errors import NotFoundError, UsageError
from workbench.core.settings import Settings, load_settings
from workbench.core.vocab import AuditType, MissionType
from workbench.data import DataFolders
from workbench.domain.profile import ClientProfile, validate_client_id
from workbench.domain.records import Mission, mission_type_conflict
from workbench.referential.applicability import IndicatorApplicability, evaluate
from workbench.referential.library import Library, Referential, library_for
from workbench.store import SQLiteStore, Store, open_store


def default_audit_type(mission_type: MissionType, profile: ClientProfile, audit_date: dt.date) -> AuditType:
    """The real audit a mission prepares, when the consultant does not say."""
    if mission_type == MissionType.PREP_SURVEILLANCE:
        return AuditType.SURVEILLANCE
    if mission_type == MissionType.PREP_RENOUVELLEMENT:
        return AuditType.RENOUVELLEMENT
    # A pre-audit or a mock audit prepares the next real audit: for a certified provider, the
    # surveillance audit (months 14-22) while in the first two years, the renewal afterwards.
    cert = profile.certification
    if cert.certified and cert.certificate_date:
        window = cert.surveillance_window()
        if window and audit_date <= window[1]:
            return AuditType.SURVEILLANCE
        return AuditType.RENOUVELLEMENT
    return AuditType.INITIAL


class Workspace:
    def __init__(self, settings: Settings, *, actor: str | None = None, library: Library | None = None,
                 create: bool = True) -> None:
        self.settings = settings
        self._actor = actor
        self._library = library
        self._create = create
        """Whether opening the store may create the database (commands that only read never do)."""

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, actor: str | None = None,
             create: bool = True) -> Workspace:
        """Open a workspace; with ``create=False`` a missing workspace folder is an error, so a
        mistyped --workspace is reported instead of silently created."""
        settings = load_settings(path)
        if not create and not settings.workspace.is_dir():
            raise NotFoundError(
                f"Espace de travail introuvable : {settings.workspace} n'existe pas. "
                "Vérifiez --workspace ou WORKBENCH_WORKSPACE, ou créez un client : workbench client new …"
            )
        path = settings.store_path
        if not create and settings.store_url is not None and path is not None and not path.exists():
            raise NotFoundError(f"Base de données introuvable : {path} (store_url de workbench.yaml).")
        return cls(settings, actor=actor, create=create)

    @property
    def path(self) -> Path:
        return self.settings.workspace

    @cached_property
    def store(self) -> Store:
        # Who the history names: the caller's choice (e.g. « client »), else the consultant of the
        # workspace settings, and only then the operating-system login.
        actor = self._actor or self.settings.branding.consultant
        path = self.settings.store_path
        if not self._create and path is not None and not os.path.lexists(path):
            # Nothing stored yet and a command that must not create the base: an empty, read-only
            # store in memory answers it (no client, no mission) and nothing appears on disk.
            return SQLiteStore.empty(path, actor=actor)
        return open_store(self.settings.effective_store_url, actor=actor, create=self._create,
                          busy_timeout=self.settings.busy_timeout_s)

    @property
    def folders(self) -> DataFolders:
        """Where this workspace's data is read: its own folders first, then the package's."""
        return DataFolders.of(self.settings)

    @property
    def library(self) -> Library:
        """The referential versions of this workspace (the firm's files overriding the package's)."""
        return self._library or library_for(self.folders)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- missions -----------------------------------------------------------------------
    def new_mission(
        self,
        client_id: str,
        *,
        mission_type: MissionType,
        audit_date: dt.date,
        audit_type: AuditType | None = None,
        referential_id: str | None = None,
        label: str | None = None,
    ) -> Mission:
        """Create a mission bound to the version in force on the audit date (or an explicit one)."""
        validate_client_id(client_id)
        if audit_type is not None and (contradiction := mission_type_conflict(mission_type, audit_type)):
            raise UsageError(f"type de mission incohérent : {contradiction} ; rien n'a été créé.")
        profile = self.store.get_client(client_id)
        in_force = self.library.for_date(audit_date)
        ref = self.library.get(referential_id) if referential_id else in_force
        return self.store.create_mission(
            client_id,
            type=mission_type,
            audit_type=audit_type or default_audit_type(mission_type, profile, audit_date),
            audit_date=audit_date,
            referential_id=ref.id,
            referential_auto=ref.id == in_force.id,
            label=label,
        )

    def mission_context(self, mission_id: str) -> tuple[Mission, ClientProfile, Referential]:
        mission = self.store.get_mission(mission_id)
        return mission, self.store.get_client(mission.client_id), self.library.get(mission.referential_id)

    def applicability(self, mission_id: str) -> list[IndicatorApplicability]:
        mission, profile, ref = self.mission_context(mission_id)
        return evaluate(ref, profile.scope())

    def resolve_mission(self, client_id: str, mission_id: str | None = None) -> Mission:
        """The given mission of a client, or its latest one that is not a follow-up visit."""
        return self.resolve_mission_and_client(client_id, mission_id)[0]

    def resolve_mission_and_client(self, client_id: str, mission_id: str | None = None
                                   ) -> tuple[Mission, ClientProfile]:
        """The given mission of a client (or its latest one that is not a follow-up visit) and the
        client, each read once."""
        validate_client_id(client_id)
        profile = self.store.get_client(client_id)
        if mission_id:
            mission = self.store.get_mission(mission_id)
            if mission.client_id != client_id:
                raise UsageError(f"La mission « {mission_id} » n'appartient pas au client « {client_id} ».")
            return mission, profile
        missions = self.store.list_missions(client_id)
        if not missions:
            raise UsageError(
                f"Le client « {client_id} » n'a aucune mission. Créez-en une : "
                f"workbench mission new {client_id} --type pre_audit --audit-date AAAA-MM-JJ"
            )
        preparations = [m for m in missions if m.type != MissionType.POINT_SUIVI]
        return (preparations or missions)[-1], profile
