"""Compressed sources: a `.csv.gz` file is read as the CSV it holds, decompressed as it streams."""

import zlib
from collections.abc import Iterable, Iterator

GZIP_MAGIC = b"\x1f\x8b"
# zlib reads a gzip header and trailer (CRC-32 and length are verified) with these window bits.
_GZIP_WBITS = zlib.MAX_WBITS | 16
_TRUNCATED = "Compressed file ended before the end-of-stream marker was reached"


def is_gzip(head: bytes) -> bool:
    """Whether content starting with `head` (its first bytes are enough) is gzip-compressed."""
    return head[:2] == GZIP_MAGIC


def decompressed_chunks(chunks: Iterable[bytes], location: str, size: int) -> Iterator[bytes]:
    """The CSV bytes of a stream of chunks, gunzipped on the way when the content is gzip;
    decompressed chunks are at most `size` bytes, so a highly compressed file cannot fill
    memory. Raises ValueError naming `location` if the content is not what it claims."""
    chunks = iter(chunks)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(GZIP_MAGIC):
            break
    if is_gzip(head):
        yield from _gunzip(_prepend(head, chunks), location, size)
        return
    if location.endswith(".gz"):
        raise ValueError(f"{location}: named .gz but its content is not gzip-compressed")
    yield from _prepend(head, chunks)


def _prepend(head: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from chunks


def _gunzip(chunks: Iterator[bytes], location: str, size: int) -> Iterator[bytes]:
    member = zlib.decompressobj(_GZIP_WBITS)
    try:
        for data in chunks:
            while data:
                if member.eof:
                    # As `gzip` reads it: concatenated members are one file; zero padding
                    # may follow a member.
                    data = data.lstrip(b"\x00")
                    if not data:
                        break
                    member = zlib.decompressobj(_GZIP_WBITS)
                output = member.decompress(data, size)
                if output:
                    yield output
                data = member.unconsumed_tail or member.unused_data
        # Output held back by the size limit, once the input is exhausted (a few bytes at most).
        rest = member.flush()
    except zlib.error as error:
        raise ValueError(f"{location}: not a readable gzip file ({error})") from None
    if rest:
        yield rest
    if not member.eof:
        raise ValueError(f"{location}: not a readable gzip file ({_TRUNCATED})")


def snapshot_suffix(head: bytes, extension: str = ".csv") -> str:
    """File suffix of a raw snapshot, from its first bytes."""
    return f"{extension}.gz" if is_gzip(head) else extension
