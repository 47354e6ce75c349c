"""Persistence: the store interface and registry, the SQLite back end, client bundles."""

from workbench.store.base import Store, open_store, register_backend
from workbench.store.sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "Store", "open_store", "register_backend"]
