"""Synthetic IMDb daily datasets: the five official TSV files, in IMDb's exact format, at any scale.

Writes ``title.basics``, ``title.ratings``, ``title.crew``, ``title.principals`` and
``name.basics`` (``.tsv.gz``) as IMDb publishes them: gzip-compressed UTF-8, tab-separated, a
header row, ``\\N`` for NULL, comma-separated lists, no quoting (a title may hold a ``"``) and
``\\n`` line endings. The shapes follow IMDb's full files when scaled to ``--titles``: at 12M
titles about 700k movies, 1.6M ratings, 95M principals and 15M names (see
``imdb_datasets/shapes.py``). A few references name people absent from name.basics, as
IMDb's do.

``--day 2`` writes the same dataset the next day: about 1% of titles renamed, some runtimes
corrected, votes grown and ratings moved by 0.1, a few titles rated for the first time and new
titles added. It is regenerated from the seed, so day 1 need not be kept. Output is
deterministic for a given ``(titles, seed, day)``, whatever the number of processes.

Titles are generated in chunks with numpy and pyarrow compute (no per-row Python), each file
by one of two processes, and compressed at gzip level 1.

Usage::

    python bench/generate_imdb_datasets.py --titles 12000000 --out DIR [--seed 42] [--day 2]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from imdb_datasets import text
from imdb_datasets.chunks import Chunk, Dataset, name_chunks, title_chunks
from imdb_datasets.names import NAMES_COLUMNS, names
from imdb_datasets.people import CREW_COLUMNS, PRINCIPALS_COLUMNS, crew, principals
from imdb_datasets.titles import BASICS_COLUMNS, RATINGS_COLUMNS, basics, ratings

# File name -> (header, lines of one chunk, the chunks). In IMDb's order of publication.
FILES: dict[str, tuple[tuple[str, ...], Callable, Callable[[Dataset], list[Chunk]]]] = {
    "title.basics.tsv.gz": (BASICS_COLUMNS, basics, title_chunks),
    "title.ratings.tsv.gz": (RATINGS_COLUMNS, ratings, title_chunks),
    "title.crew.tsv.gz": (CREW_COLUMNS, crew, title_chunks),
    "title.principals.tsv.gz": (PRINCIPALS_COLUMNS, principals, title_chunks),
    "name.basics.tsv.gz": (NAMES_COLUMNS, names, name_chunks),
}
# Largest first, so that two processes finish close together: principals is about half.
_WRITING_ORDER = ["title.principals.tsv.gz", "title.basics.tsv.gz", "name.basics.tsv.gz",
                  "title.crew.tsv.gz", "title.ratings.tsv.gz"]
GZIP_LEVEL = 1


def _write(folder: Path, name: str, dataset: Dataset) -> tuple[int, float]:
    """Write one file, chunk by chunk; its rows and seconds. The file appears complete or not
    at all (written under another name, then renamed), as a watching sensor expects."""
    started = time.perf_counter()
    columns, lines_of, chunks_of = FILES[name]
    partial = folder / f".{name}.partial"
    rows = 0
    # No name or time in the gzip header: the same dataset gives the same bytes.
    with partial.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", compresslevel=GZIP_LEVEL, fileobj=raw, mtime=0
    ) as compressed:
        compressed.write(text.header(columns))
        for chunk in chunks_of(dataset):
            lines, count = lines_of(chunk)
            compressed.write(lines)
            rows += count
    os.replace(partial, folder / name)
    return rows, time.perf_counter() - started


def write_all(
    folder: Path, titles: int, seed: int = 42, day: int = 1, processes: int = 2
) -> dict[str, tuple[int, float]]:
    """Write the five files into ``folder``: each file's rows and seconds."""
    if titles < 1:
        raise ValueError("titles must be >= 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if day not in (1, 2):
        raise ValueError("day must be 1 or 2")
    dataset = Dataset(titles, seed, day)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if processes <= 1:
        done = {name: _write(folder, name, dataset) for name in _WRITING_ORDER}
    else:
        # Spawned, not forked: a fork of a process that already ran pyarrow's threads may hang.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            futures = {name: pool.submit(_write, folder, name, dataset)
                       for name in _WRITING_ORDER}  # fmt: skip
            done = {name: future.result() for name, future in futures.items()}
    return {name: done[name] for name in FILES}


def write_datasets(folder: Path, titles: int, seed: int = 42, day: int = 1,
                   processes: int = 2) -> dict[str, int]:  # fmt: skip
    """Write the five ``.tsv.gz`` files into ``folder``; the data rows of each, by file name."""
    written = write_all(folder, titles, seed=seed, day=day, processes=processes)
    return {name: rows for name, (rows, _) in written.items()}


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, required=True, help="titles on day 1")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--day", type=int, default=1, choices=(1, 2),
                        help="1: the base dataset; 2: the same, one day later")  # fmt: skip
    parser.add_argument("--processes", type=int, default=2, help="files written at once")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    written = write_all(args.out, args.titles, seed=args.seed, day=args.day,
                        processes=args.processes)  # fmt: skip
    elapsed = time.perf_counter() - started
    total = 0
    for name, (rows, seconds) in written.items():
        size = (args.out / name).stat().st_size
        total += size
        print(f"{name:<25} {rows:>13,} rows {size / 1e6:>10,.1f} MB {seconds:>8.1f} s")
    print(f"wrote {total / 1e6:,.1f} MB to {args.out} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
