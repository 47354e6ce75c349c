"""One exception hierarchy for the whole package.

Every error carries a French message meant for the user and an exit code used by the CLI.
Structured fields (file, indicator, field, client id, ...) stay available to callers.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: a problem the user can understand and fix.

    Raise one of the subclasses: each carries the exit code of its documented family (README,
    « Codes de sortie »); the base class's code 1 is reserved for unexpected internal errors.
    """

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(WorkbenchError):
    """Bad arguments on the command line (argparse-level or semantic)."""

    exit_code = 2


class ConfigError(UsageError):
    """The workspace's settings (``workbench.yaml``, the logo) are invalid: same family as usage."""


class ReferentialError(WorkbenchError):
    """A referential or grid file is missing, unreadable or invalid."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        indicator: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.indicator = indicator
        self.field = field


class ProfileError(WorkbenchError):
    """A client profile or template is invalid."""

    exit_code = 4

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StoreError(WorkbenchError):
    """The store cannot be opened or a write is refused."""

    exit_code = 5


class NotFoundError(StoreError):
    """An unknown client, mission or indicator."""

    exit_code = 6


class ConflictError(StoreError):
    """A change refused because the value was changed elsewhere since it was read (another tab,
    another computer). ``current`` holds the value saved meanwhile, ``attempted`` the refused one."""

    exit_code = 5

    def __init__(self, message: str, *, field: str, current: object, attempted: object,
                 changed_by: str | None = None, changed_at: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.current = current
        self.attempted = attempted
        self.changed_by = changed_by
        self.changed_at = changed_at


class BundleError(WorkbenchError):
    """A bundle file is corrupt, foreign or conflicts with existing data."""

    exit_code = 7


class FileAccessError(WorkbenchError):
    """A file or folder the workbench needs is unsafe or out of reach (owner, permissions)."""

    exit_code = 9

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class RunError(WorkbenchError):
    """A notebook run or an export failed; partial output is kept."""

    exit_code = 8

    def __init__(
        self,
        message: str,
        *,
        client_id: str | None = None,
        notebook: str | None = None,
        cell_index: int | None = None,
        output_path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.client_id = client_id
        self.notebook = notebook
        self.cell_index = cell_index
        self.output_path = output_path
