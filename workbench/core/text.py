"""Free text from users and files: control characters never stored, never printed raw.

Control characters (C0 except tab and line feed, DEL, C1) and the Unicode bidirectional
overrides can clear a terminal, move its cursor, break an Excel file (XML 1.0 forbids most of
them) or make text read differently from what it is. They are stripped when text enters the
store (:func:`clean_text`, applied by the record and profile models) and replaced by « � » on
the way out to a terminal (:class:`SafeStream`).
"""

from __future__ import annotations

import re
from typing import Any, TextIO

_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = "".join(chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)))
UNSAFE_RE = re.compile(f"[{re.escape(_CONTROL + _BIDI)}]")
_STRIP = {ord(ch): None for ch in _CONTROL + _BIDI}
REPLACEMENT = "\ufffd"
_SHOW = {ord(ch): REPLACEMENT for ch in _CONTROL + _BIDI}


def clean_text(text: str) -> str:
    """``text`` without control characters (tab and line feed kept; CR LF and CR become LF)."""
    if not UNSAFE_RE.search(text):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_STRIP)


def clean_data(value: Any) -> Any:
    """:func:`clean_text` applied to every string (keys included) of nested dicts and lists."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_data(v) for v in value)
    return value


def terminal_safe(text: str) -> str:
    """``text`` with every control character shown as « � » (line feeds and tabs kept)."""
    return text.translate(_SHOW) if UNSAFE_RE.search(text) else text


class SafeStream:
    """A text stream that never lets a control character reach the terminal."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        return self._inner.write(terminal_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
