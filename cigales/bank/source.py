"""A statement file read as a stream: bounded memory whatever its size (issue #14, item 7).

``open_statement`` makes one pass over the bytes, in chunks: the file's sha256, its first
64 KiB (to recognise OFX or camt.053, and a CSV profile by its header), and whether the whole
file is valid UTF-8 or cp1252 (to choose the encoding as ``encoding.decode`` would, without
holding the text). ``StatementFile.lines()`` then reads the CSV again, through a text stream
and ``csv.reader``, and yields one ``BankLine`` at a time; it can be called again (a check
pass, then a booking pass), and refuses a file whose bytes changed in between
(``bank_file_changed``).

OFX and camt.053 files are XML-like documents parsed whole by their libraries
(ofxtools, the standard ElementTree): they are read into memory as before, and their lines
are then yielded one by one. Banks export them per month or per year, far below the sizes
where this matters; a CSV is what banks give for a long history.
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cigales.bank import camt, ofx
from cigales.bank import profiles as profiles_mod
from cigales.bank.csv_reader import iter_lines, matches
from cigales.bank.encoding import decode
from cigales.bank.errors import BankFileChanged, BankFileUnreadable, NoProfileFits
from cigales.bank.lines import BankLine, Statement
from ledger.errors import UserError

CHUNK = 1 << 20
HEAD = 64 * 1024
# Bytes cp1252 leaves undefined: a file holding one is read as ISO-8859-15 (encoding.decode).
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


@dataclass(slots=True)
class LineCounts:
    """What a pass over the lines saw (filled as the lines are yielded)."""

    lines: int = 0
    skipped: int = 0  # zero-amount lines, which move no money


@dataclass(slots=True)
class StatementFile:
    path: Path
    sha256: str
    size: int
    format: str  # "csv", "ofx", "camt.053"
    profile: str  # the CSV profile's name, else the format
    encoding: str | None = None  # CSV only: the codec the text is read with
    closing_balance_known: bool = False
    _profile: profiles_mod.Profile | None = field(default=None, repr=False)
    _parsed: Statement | None = field(default=None, repr=False)

    def lines(self, counts: LineCounts | None = None,
              on_bytes: Callable[[int], None] | None = None) -> Iterator[BankLine]:
        """The movement lines, in file order, one at a time.

        ``counts`` is filled as they go; ``on_bytes`` is told how many bytes were read (for a
        progress bar). The file must still be the one that was opened (same sha256).
        """
        counts = counts if counts is not None else LineCounts()
        if self._parsed is not None:
            counts.skipped = self._parsed.skipped
            for line in self._parsed.lines:
                counts.lines += 1
                yield line
            if on_bytes is not None:
                on_bytes(self.size)
            return
        assert self._profile is not None
        assert self.encoding is not None
        digest = hashlib.sha256()
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise BankFileUnreadable(path=str(self.path),
                                     reason=exc.strerror or str(exc)) from exc
        with raw:
            tap = _Tap(raw, digest, on_bytes)
            text = io.TextIOWrapper(io.BufferedReader(tap, CHUNK), encoding=self.encoding,
                                    newline="")
            stats: dict[str, int] = {"skipped": 0}
            for line in iter_lines(text, self._profile, str(self.path), stats):
                counts.lines += 1
                counts.skipped = stats["skipped"]
                yield line
            counts.skipped = stats["skipped"]
            # What is left after the last record (nothing, normally) counts for the hash too.
            while tap.read(CHUNK):
                pass
        if digest.hexdigest() != self.sha256:
            raise BankFileChanged(path=str(self.path))

    def statement(self) -> Statement:
        """The whole statement in memory (small files: the web page, the tests)."""
        counts = LineCounts()
        lines = tuple(self.lines(counts))
        if self._parsed is not None:
            return self._parsed
        return Statement("csv", self.profile, lines, counts.skipped)


class _Tap(io.RawIOBase):
    """A binary file that hashes and counts what is read through it."""

    def __init__(self, raw: BinaryIO, digest: hashlib._Hash,
                 on_bytes: Callable[[int], None] | None) -> None:
        super().__init__()
        self._raw, self._digest, self._on_bytes = raw, digest, on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._digest.update(data)
        if self._on_bytes is not None and n:
            self._on_bytes(n)
        return n


def _scan(path: Path) -> tuple[str, int, bytes, bool, bool]:
    """sha256, size, head, valid UTF-8, valid cp1252 — in one pass of bounded memory."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    head = b""
    size = 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if len(head) < HEAD:
                    head += chunk[:HEAD - len(head)]
                if utf8_ok:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8_ok = False
                if cp1252_ok and any(b in chunk for b in _CP1252_UNDEFINED):
                    cp1252_ok = False
        if utf8_ok:
            utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        utf8_ok = False
    except OSError as exc:
        raise BankFileUnreadable(path=str(path), reason=exc.strerror or str(exc)) from exc
    return digest.hexdigest(), size, head, utf8_ok, cp1252_ok


def _complete_lines(head: bytes, size: int) -> bytes:
    """The head cut after its last line end (unless it is the whole file)."""
    if len(head) >= size:
        return head
    cut = head.rfind(b"\n")
    return head[:cut + 1] if cut >= 0 else head


def _encoding(path: Path, declared: str, bom: bool, utf8_ok: bool, cp1252_ok: bool) -> str:
    """The codec ``encoding.decode`` would pick for the whole file; on a byte the declared
    encoding cannot read, its error (with the line number) is raised by reading the file the
    old way — an error path, where memory does not matter."""
    if bom:
        if not utf8_ok:
            decode(path.read_bytes(), "utf-8", str(path))
        return "utf-8-sig"
    if declared == "auto":
        return "utf-8" if utf8_ok else "cp1252" if cp1252_ok else "iso-8859-15"
    codec = "utf-8" if declared == "utf-8-sig" else declared
    if (codec == "utf-8" and not utf8_ok) or (codec == "cp1252" and not cp1252_ok):
        decode(path.read_bytes(), declared, str(path))
    return codec


def open_statement(path: Path, profile: str | None = None,
                   profile_dir: Path | None = None) -> StatementFile:
    """Recognise the file (OFX and camt.053 by content, CSV by profile: given, or the first
    one whose header is found in the first lines) without holding a CSV in memory."""
    sha, size, head, utf8_ok, cp1252_ok = _scan(path)
    if profile is None and (ofx.looks_like_ofx(head) or camt.looks_like_camt(head)):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BankFileUnreadable(path=str(path), reason=exc.strerror or str(exc)) from exc
        if hashlib.sha256(data).hexdigest() != sha:
            raise BankFileChanged(path=str(path))
        parsed = (ofx.read_ofx(data, str(path)) if ofx.looks_like_ofx(data)
                  else camt.read_camt(data, str(path)))
        return StatementFile(path, sha, size, parsed.format, parsed.profile,
                             _parsed=parsed)
    sample = _complete_lines(head, size)
    bom = head.startswith(codecs.BOM_UTF8)
    if profile is not None:
        chosen = profiles_mod.resolve(profile, profile_dir)
    else:
        chosen = detect_profile(sample, str(path), profile_dir)
    encoding = _encoding(path, chosen.encoding, bom, utf8_ok, cp1252_ok)
    return StatementFile(path, sha, size, "csv", chosen.name, encoding, _profile=chosen)


def detect_profile(sample: bytes, path: str, profile_dir: Path | None
                   ) -> profiles_mod.Profile:
    """The first CSV profile whose header is found in ``sample`` (specific ones before the
    generic French ones)."""
    candidates = profiles_mod.available(profile_dir)
    generic = [n for n in ("fr-generic", "fr-signed") if n in candidates]
    order = [n for n in sorted(candidates) if n not in generic] + generic
    for name in order:
        candidate = candidates[name]
        try:
            text, _ = decode(sample, candidate.encoding, path)
        except UserError:  # a profile whose encoding cannot read it: try the next one
            continue
        if matches(text, candidate):
            return candidate
    raise NoProfileFits(path=path, known=", ".join(sorted(candidates)))
