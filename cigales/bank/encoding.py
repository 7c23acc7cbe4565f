"""Text encodings of bank files: declared, or detected among UTF-8 (with or without BOM),
cp1252 and ISO-8859-15. A byte that cannot be read is reported with its line number."""

from __future__ import annotations

import codecs

from cigales.bank.errors import UndecodableLine

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1252", "iso-8859-15", "iso-8859-1")
_ALIASES = {"utf8": "utf-8", "windows-1252": "cp1252", "1252": "cp1252", "latin-9": "iso-8859-15",
            "latin9": "iso-8859-15", "iso8859-15": "iso-8859-15", "latin-1": "iso-8859-1",
            "latin1": "iso-8859-1", "iso8859-1": "iso-8859-1", "utf-8-bom": "utf-8-sig"}


def canonical(name: str) -> str | None:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    return key if key in ENCODINGS else None


def decode(data: bytes, declared: str, path: str) -> tuple[str, str]:
    """The text and the encoding used. ``declared`` is one of ENCODINGS ("auto" detects)."""
    if data.startswith(codecs.BOM_UTF8):
        # A BOM says UTF-8 whatever was declared (banks and spreadsheets add it freely).
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", path), "utf-8-sig"
    if declared != "auto":
        encoding = "utf-8" if declared == "utf-8-sig" else declared
        return _strict(data, encoding, path), declared
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 leaves five bytes undefined; a file using them is Latin-9 (or garbage).
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return _strict(data, "iso-8859-15", path), "iso-8859-15"


def _strict(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UndecodableLine(line=line, path=path, encoding=encoding,
                              byte=f"0x{data[exc.start]:02X}") from exc
