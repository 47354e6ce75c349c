"""docs/profil-client.md explains, in French, every key of the client profile and every allowed value."""

from __future__ import annotations

import enum
import types
import typing

from pydantic import BaseModel

from tests.support import REPO
from workbench.domain.profile import ClientProfile

DOC = (REPO / "docs" / "profil-client.md").read_text(encoding="utf-8")


def _walk(model: type[BaseModel], seen: set[type]) -> tuple[set[str], set[str]]:
    keys: set[str] = set()
    values: set[str] = set()
    if model in seen:
        return keys, values
    seen.add(model)
    for name, info in model.model_fields.items():
        keys.add(name)
        stack = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                k, v = _walk(tp, seen)
                keys |= k
                values |= v
            elif isinstance(tp, type) and issubclass(tp, enum.Enum):
                values |= {str(m.value) for m in tp}
            else:
                stack.extend(typing.get_args(tp) if typing.get_origin(tp) not in (None,) or
                             isinstance(tp, types.UnionType) else ())
    return keys, values


def test_every_profile_key_and_value_is_documented():
    keys, values = _walk(ClientProfile, set())
    assert {"categories", "conditions", "certificate_date", "france_travail", "central_function"} <= keys
    assert {"AF", "subcontracting", "gt_750k"} <= values  # the walk reaches nested models and enums
    assert sorted(k for k in keys if f"`{k}`" not in DOC) == []
    assert sorted(v for v in values if f"`{v}`" not in DOC) == []
