"""The store interface and the registry of storage back ends.

SQLite is the default back end (:mod:`workbench.store.sqlite`); a server database can be added for
teams with :func:`register_backend`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable
from typing import Any

from workbench.core.errors import StoreError
from workbench.core.vocab import AuditType, MissionType
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Answer, Evidence, HistoryEntry, Mission


class Store(abc.ABC):
    """What the rest of the package needs from a store."""

    actor: str

    # clients
    @abc.abstractmethod
    def create_client(self, profile: ClientProfile) -> None: ...
    @abc.abstractmethod
    def update_client(self, profile: ClientProfile) -> None: ...
    @abc.abstractmethod
    def get_client(self, client_id: str) -> ClientProfile: ...
    @abc.abstractmethod
    def list_clients(self) -> list[ClientProfile]: ...
    @abc.abstractmethod
    def client_exists(self, client_id: str) -> bool: ...

    # missions
    @abc.abstractmethod
    def create_mission(self, client_id: str, *, type: MissionType, audit_type: AuditType,
                       audit_date: dt.date, referential_id: str, referential_auto: bool,
                       label: str | None = None, mission_id: str | None = None) -> Mission: ...
    @abc.abstractmethod
    def get_mission(self, mission_id: str) -> Mission: ...
    @abc.abstractmethod
    def list_missions(self, client_id: str | None = None) -> list[Mission]: ...
    @abc.abstractmethod
    def previous_mission(self, mission: Mission) -> Mission | None: ...

    # answers
    @abc.abstractmethod
    def get_answer(self, mission_id: str, indicator_id: str) -> Answer: ...
    @abc.abstractmethod
    def list_answers(self, mission_id: str) -> dict[str, Answer]: ...
    @abc.abstractmethod
    def save_answer(self, mission_id: str, indicator_id: str, *,
                    merge: dict[str, dict[str, Any]] | None = None,
                    expected: dict[str, Any] | None = None, **changes: Any) -> Answer: ...

    # evidence
    @abc.abstractmethod
    def add_evidence(self, evidence: Evidence) -> Evidence: ...
    @abc.abstractmethod
    def remove_evidence(self, evidence_id: int) -> None: ...
    @abc.abstractmethod
    def list_evidence(self, mission_id: str, indicator_id: str | None = None) -> list[Evidence]: ...

    # actions
    @abc.abstractmethod
    def add_action(self, action: Action) -> Action: ...
    @abc.abstractmethod
    def update_action(self, action_id: int, **changes: Any) -> Action: ...
    @abc.abstractmethod
    def list_actions(self, mission_id: str) -> list[Action]: ...

    # history and UI state
    @abc.abstractmethod
    def history(self, mission_id: str, indicator_id: str | None = None) -> list[HistoryEntry]: ...
    @abc.abstractmethod
    def history_actors(self) -> list[str]: ...
    @abc.abstractmethod
    def get_state(self, mission_id: str, key: str, default: Any = None) -> Any: ...
    @abc.abstractmethod
    def set_state(self, mission_id: str, key: str, value: Any) -> None: ...
    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_BACKENDS: dict[str, Callable[..., Store]] = {}


def register_backend(scheme: str, factory: Callable[..., Store]) -> None:
    _BACKENDS[scheme] = factory


def open_store(url: str, *, actor: str | None = None, create: bool = True, **options: Any) -> Store:
    """Open a store from a URL such as ``sqlite:///path/to/workbench.db``; ``options`` go to the
    back end (``busy_timeout`` for SQLite)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise StoreError(f"Adresse de base de données invalide : « {url} » (ex. : sqlite:///chemin/workbench.db).")
    factory = _BACKENDS.get(scheme)
    if factory is None:
        raise StoreError(
            f"Type de base de données non géré : « {scheme} » (disponibles : {', '.join(sorted(_BACKENDS))})."
        )
    return factory(rest[1:] if rest.startswith("/") and scheme == "sqlite" else rest, actor=actor, create=create, **options)

