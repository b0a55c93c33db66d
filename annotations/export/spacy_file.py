"""A `.spacy` file (spaCy's `DocBin`) written from pieces that the worker processes compress.

`DocBin.to_bytes()` is `zlib.compress(msgpack(map))`, the map holding every Doc's token table
(`tokens`: one uint64 row per token), `spaces`, `lengths`, the sorted `strings` and per-Doc
`cats` / `flags` / `span_groups`. Building Docs, merging DocBins and compressing hundreds of MB
in the writing process made that process the bottleneck of a spacy export. Here a worker
packs a chunk (`pack`): its token table and spaces, each compressed as raw deflate ended by a
sync flush (byte-aligned, not final), and the rest as msgpack pieces. The writer (`DocBinFile`)
spools the compressed pieces to temporary files in order and at the end writes the zlib
header, the map's small pieces (compressed there), the workers' pieces copied as they are,
and the Adler-32 of the whole.

The file decompresses to exactly the msgpack `DocBin.to_bytes()` makes for the same Docs (a
test compares them); only the deflate blocks differ, since each piece was compressed on its
own. zlib, and so `DocBin.from_disk` / `spacy train`, reads it as any zlib stream.
"""

from __future__ import annotations

import shutil
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# zlib's level 3 rather than `DocBin.to_bytes`'s 6: half the time, 7% larger files (token
# tables are mostly zeros)
LEVEL = 3
_ZLIB_HEADER = zlib.compress(b"", LEVEL)[:2]
_BASE = 65521  # Adler-32's modulus


@dataclass(frozen=True)
class Segment:
    """Bytes compressed on their own: raw deflate, sync-flushed (so segments concatenate)."""

    data: bytes
    size: int  # uncompressed
    adler: int  # Adler-32 of the uncompressed bytes


def segment(raw: bytes | memoryview, final: bool = False) -> Segment:
    if not raw and not final:
        return Segment(b"", 0, 1)
    comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    data = comp.compress(raw) + comp.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
    return Segment(data, len(raw), zlib.adler32(raw))


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """The Adler-32 of A + B from those of A and B and B's length (zlib's adler32_combine)."""
    rem = len2 % _BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _BASE
    sum1 = (sum1 + (adler2 & 0xFFFF) + _BASE - 1) % _BASE
    sum2 = (sum2 + ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + _BASE - rem) % _BASE
    return sum1 | (sum2 << 16)


@dataclass
class Piece:
    """A chunk's Docs, as the DocBin map holds them (made in a worker: `docbin.pack`)."""

    docs: int
    tokens: Segment
    spaces: Segment
    lengths: bytes  # int32 per Doc
    strings: set[str]
    cats: bytes  # msgpack of each Doc's value, concatenated
    flags: bytes
    span_groups: bytes


def msgpack(obj: Any) -> bytes:
    """`obj` as srsly's msgpack (what `DocBin.to_bytes` uses)."""
    import srsly  # type: ignore[import-untyped]

    return bytes(srsly.msgpack_dumps(obj))


def array_header(n: int) -> bytes:
    """msgpack's header of an array of `n` items."""
    if n <= 15:
        return bytes((0x90 | n,))
    if n <= 0xFFFF:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def bin_header(n: int) -> bytes:
    """msgpack's header of `n` bytes of binary data."""
    if n <= 0xFF:
        return b"\xc4" + n.to_bytes(1, "big")
    if n <= 0xFFFF:
        return b"\xc5" + n.to_bytes(2, "big")
    return b"\xc6" + n.to_bytes(4, "big")


@dataclass
class _Spool:
    """Compressed segments in order, in a temporary file, with the size and Adler-32 of what
    they hold uncompressed."""

    fh: IO[bytes]
    size: int = 0
    adler: int = 1

    def add(self, seg: Segment) -> None:
        if seg.size:
            self.fh.write(seg.data)
            self.adler = adler32_combine(self.adler, seg.adler, seg.size)
            self.size += seg.size


@dataclass
class DocBinFile:
    """One `.spacy` file, written by `close()` from the pieces `add` got, in their order."""

    path: Path
    version: str
    attrs: list[int]
    docs: int = 0
    strings: set[str] = field(default_factory=set)
    _lengths: bytearray = field(default_factory=bytearray)
    _rest: dict[str, bytearray] = field(default_factory=dict)
    _spools: dict[str, _Spool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key in ("tokens", "spaces"):
            self._spools[key] = _Spool(tempfile.TemporaryFile(dir=self.path.parent))  # noqa: SIM115
        self._rest = {key: bytearray() for key in ("cats", "flags", "span_groups")}

    def add(self, piece: Piece) -> None:
        self._spools["tokens"].add(piece.tokens)
        self._spools["spaces"].add(piece.spaces)
        self._lengths += piece.lengths
        self.strings.update(piece.strings)
        self._rest["cats"] += piece.cats
        self._rest["flags"] += piece.flags
        self._rest["span_groups"] += piece.span_groups
        self.docs += piece.docs

    def close(self) -> None:
        """Write the file (the keys in `DocBin.to_bytes`'s order) and drop the spools."""
        tokens, spaces = self._spools["tokens"], self._spools["spaces"]
        try:
            parts: list[bytes | _Spool] = [
                b"\x89"  # a map of 9 items
                + msgpack("version")
                + msgpack(self.version)
                + msgpack("attrs")
                + msgpack(self.attrs)
                + msgpack("tokens")
                + bin_header(tokens.size),
                tokens,
                msgpack("spaces") + bin_header(spaces.size),
                spaces,
                msgpack("lengths")
                + msgpack(bytes(self._lengths))
                + msgpack("strings")
                + msgpack(sorted(self.strings))
                + b"".join(
                    msgpack(key) + array_header(self.docs) + bytes(self._rest[key])
                    for key in ("cats", "flags", "span_groups")
                ),
            ]
            with open(self.path, "wb") as out:
                out.write(_ZLIB_HEADER)
                adler = 1
                for i, part in enumerate(parts):
                    if isinstance(part, _Spool):
                        part.fh.seek(0)
                        shutil.copyfileobj(part.fh, out, 1 << 20)
                        adler = adler32_combine(adler, part.adler, part.size)
                    else:
                        seg = segment(part, final=i == len(parts) - 1)
                        out.write(seg.data)
                        adler = adler32_combine(adler, seg.adler, seg.size)
                out.write(adler.to_bytes(4, "big"))
        finally:
            self.discard()

    def discard(self) -> None:
        for spool in self._spools.values():
            spool.fh.close()
