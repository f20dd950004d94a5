"""IMDb's five dataset files as the source contract's records: one row per rated movie.

Movies are the titles of the chosen types (default `movie`, adult titles left out) that have a
rating; a title without one is out of scope and only counted (`unrated_titles`). Each file is
streamed once, in the order that lets the next one keep only what the movies need: basics
gives the movies, ratings narrows them to the rated ones, crew and principals keep those
movies' rows, and name.basics only the names they refer to. What is kept is joined in Arrow,
and handed to `stage` in blocks shaped like the CSV's records, so the same contract checks,
normalises and rejects both layouts.
"""

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from imdb_pipeline.lib.contract import (
    COLUMN_NAMES,
    COLUMNS,
    LIST_JOINER,
    LIST_SEPARATOR,
)
from imdb_pipeline.lib.csv_stream import Block, Malformed
from imdb_pipeline.lib.imdb_datasets import (
    NAME_BASICS,
    TITLE_BASICS,
    TITLE_CREW,
    TITLE_PRINCIPALS,
    TITLE_RATINGS,
    DatasetFile,
    read,
)
from imdb_pipeline.lib.source_file import SourceFileError

DEFAULT_TITLE_TYPES = ("movie",)
STAR_CATEGORIES = ("actor", "actress", "self")
BLOCK_ROWS = 1 << 16
_NO_TEXT = pa.scalar(None, pa.string())
# Contract columns with no counterpart in the datasets: empty, so unknown (all are optional).
_ABSENT = ("certificate", "metascore", "description", "gross_millions")
# The contract as this layout requires it. IMDb leaves `genres` as \N for movies nobody has
# classified yet: real movies, stored truthfully without a genre (a WARN check counts them).
# A director stays required: the fact is keyed by one.
DATASET_COLUMNS = tuple(
    dataclasses.replace(column, required=False) if column.name == "genre" else column
    for column in COLUMNS
)


class DatasetRecords:
    """The day's movies from the five files (local paths by file name), as blocks of records
    with the contract's columns as text and their title.basics line; iterate once.

    Movies that cannot be assembled (a malformed title.basics line, a name id missing from
    name.basics, a star whose name holds the list separator) are in `malformed` once iterated,
    each with its reason; `counts` then says how many titles, movies and unrated titles were
    seen, and how many malformed lines each file had."""

    def __init__(
        self,
        paths: Mapping[str, Path],
        locations: Mapping[str, str],
        location: str,
        title_types: Sequence[str] = DEFAULT_TITLE_TYPES,
        include_adult: bool = False,
        block_rows: int = BLOCK_ROWS,
    ):
        self.header = COLUMN_NAMES
        self.columns = DATASET_COLUMNS
        self.location = location
        self.malformed: list[Malformed] = []
        self.counts: dict[str, object] = {"malformed_lines": {}}
        self._paths, self._locations = paths, locations
        self._types = pa.array(sorted(set(title_types)), pa.string())
        self._include_adult = include_adult
        self._block_rows = block_rows

    def __iter__(self) -> Iterator[Block]:
        movies = self._movies()
        for offset in range(0, movies.num_rows, self._block_rows):
            part = movies.slice(offset, self._block_rows)
            columns = [pa.concat_arrays(part[name].chunks) for name in COLUMN_NAMES]
            yield Block(columns=columns, lines=pa.concat_arrays(part["line"].chunks))

    def _movies(self) -> pa.Table:
        titles = self._titles()
        ratings = self._read(TITLE_RATINGS, ["tconst", "averageRating", "numVotes"],
                             _among("tconst", titles["tconst"]))  # fmt: skip
        rated = titles.join(ratings, "tconst", join_type="inner")
        self.counts["unrated_titles"] = titles.num_rows - rated.num_rows
        self.counts["rated_movies"] = rated.num_rows
        ids = rated["tconst"]
        crew = self._read(TITLE_CREW, ["tconst", "directors"], _among("tconst", ids))
        crew = pa.table({
            "tconst": crew["tconst"],
            "director_id": pc.list_element(pc.split_pattern(crew["directors"], LIST_SEPARATOR), 0),
        })  # fmt: skip
        principals = self._read(TITLE_PRINCIPALS, ["tconst", "ordering", "nconst", "category"],
                                _stars_of(ids))  # fmt: skip
        wanted = pc.unique(pa.concat_arrays(
            [*crew["director_id"].chunks, *principals["nconst"].chunks]).drop_null())  # fmt: skip
        names = self._read(NAME_BASICS, ["nconst", "primaryName"], _among("nconst", wanted))
        movies = rated.join(crew, "tconst", join_type="left outer")
        movies = movies.join(
            names.rename_columns(["director_id", "director"]), "director_id",
            join_type="left outer",
        ).join(self._stars(principals, names), "tconst", join_type="left outer")
        # One chunk per column: element-wise kernels can mis-align chunked arrays whose chunks
        # differ (pyarrow 26 returned a shorter result).
        movies = movies.sort_by("line").combine_chunks()
        director_id, director = _array(movies["director_id"]), _array(movies["director"])
        unresolved = pc.and_(pc.is_valid(director_id), pc.is_null(director))
        director_problem = pc.if_else(unresolved, pc.binary_join_element_wise(
            "director ", director_id, f" is not in {NAME_BASICS.name}", ""), _NO_TEXT)
        star_problem = _array(movies["star_problem"])
        # Not null_handling="skip": pyarrow 26 drops the rows where every input is NULL.
        reason = pc.coalesce(pc.binary_join_element_wise(director_problem, star_problem, "; "),
                             director_problem, star_problem)  # fmt: skip
        records = _records(movies)
        bad = pc.is_valid(reason)
        for row, why in zip(records.filter(bad).to_pylist(), reason.filter(bad).to_pylist()):
            fields = [row[name] for name in COLUMN_NAMES]
            self.malformed.append(Malformed(row["line"], len(fields), fields, why))
        return records.filter(pc.invert(bad))

    def _stars(self, principals: pa.Table, names: pa.Table) -> pa.Table:
        try:
            return _stars(principals, names)
        except pa.ArrowInvalid as error:  # an `ordering` that is not a number
            location = self._locations[TITLE_PRINCIPALS.name]
            raise SourceFileError(f"{location}: ordering must be an integer ({error})") from None

    def _titles(self) -> pa.Table:
        """title.basics' titles of the chosen types: line, and the columns that are kept."""
        columns = ["tconst", "titleType", "primaryTitle", "isAdult", "startYear",
                   "runtimeMinutes", "genres"]  # fmt: skip
        types, adult = self._types, self._include_adult

        def chosen(batch: pa.RecordBatch) -> pa.Array:
            wanted = pc.is_in(batch["titleType"], value_set=types)
            return wanted if adult else pc.and_(wanted, pc.equal(batch["isAdult"], "0"))

        titles = self._read(TITLE_BASICS, columns, chosen, line_numbers=True, total="titles_read")
        self.counts["movies"] = titles.num_rows
        return titles.select(["tconst", "primaryTitle", "startYear", "runtimeMinutes", "genres",
                              "line"])  # fmt: skip

    def _read(self, file: DatasetFile, columns, keep, line_numbers=False, total=None) -> pa.Table:
        parts, rows, malformed = [], 0, 0
        location = self._locations[file.name]
        for table, met, read_rows in read(self._paths[file.name], file, location, columns, keep,
                                          line_numbers=line_numbers):  # fmt: skip
            parts.append(table)
            rows += read_rows
            malformed += len(met)
            if file is TITLE_BASICS:
                self._malformed_titles(met)
        if total is not None:
            self.counts[total] = rows
        self.counts["malformed_lines"][file.name] = malformed
        return pa.concat_tables(parts) if parts else pa.table({c: [] for c in columns})

    def _malformed_titles(self, met: list[tuple[int, str]]) -> None:
        """A malformed title.basics line of a chosen type is a movie rejected with its reason."""
        width = len(TITLE_BASICS.columns)
        types = set(self._types.to_pylist())
        for line, text in met:
            fields = text.split("\t")
            if len(fields) > 1 and fields[1] in types:
                reason = f"expected {width} tab-separated fields, found {len(fields)}"
                self.malformed.append(Malformed(line, len(fields), fields, reason))


def _array(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks()


def _among(column: str, values) -> Callable[[pa.RecordBatch], pa.Array]:
    value_set = values if isinstance(values, pa.Array) else _array(values)
    return lambda batch: pc.is_in(batch[column], value_set=value_set)


def _stars_of(ids: pa.ChunkedArray):
    movie_ids = _array(ids)
    categories = pa.array(STAR_CATEGORIES, pa.string())
    return lambda batch: pc.and_(pc.is_in(batch["tconst"], value_set=movie_ids),
                                 pc.is_in(batch["category"], value_set=categories))  # fmt: skip


def _stars(principals: pa.Table, names: pa.Table) -> pa.Table:
    """Per movie: its stars' names in billing order as one list, and what stops it (a name id
    missing from name.basics, or a name holding the list separator), NULL if nothing does."""
    billed = principals.select(["tconst", "ordering", "nconst"]).set_column(
        1, "ordering", pc.cast(principals["ordering"], pa.int32()))
    billed = billed.join(names, "nconst", join_type="left outer").sort_by(
        [("tconst", "ascending"), ("ordering", "ascending")])
    missing = pc.is_null(billed["primaryName"])
    holds_separator = pc.fill_null(pc.match_substring(billed["primaryName"], LIST_SEPARATOR), False)
    problem = pc.if_else(missing, pc.binary_join_element_wise(
        "star ", billed["nconst"], f" is not in {NAME_BASICS.name}", ""), pc.if_else(
        holds_separator, pc.binary_join_element_wise(
            "star ", billed["nconst"], " is named '", billed["primaryName"],
            f"', which holds the list separator '{LIST_SEPARATOR}'", ""), _NO_TEXT))
    grouped = billed.append_column("problem", problem).group_by("tconst", use_threads=False)
    lists = grouped.aggregate([("primaryName", "list"), ("problem", "list")])
    return pa.table({
        "tconst": lists["tconst"],
        "stars": pc.binary_join(lists["primaryName_list"], LIST_JOINER),
        "star_problem": _joined(lists["problem_list"]),
    })  # fmt: skip


def _joined(problems: pa.ChunkedArray) -> pa.Array:
    """The non-null problems of each list joined with "; ", NULL when there are none."""
    flat = pc.list_flatten(problems)
    parents = pc.list_parent_indices(problems)
    kept = pc.is_valid(flat)
    per_list = pa.table({"at": parents.filter(kept), "problem": flat.filter(kept)}).group_by(
        "at", use_threads=False).aggregate([("problem", "list")])
    joined = [None] * len(problems)
    for at, items in zip(per_list["at"].to_pylist(), per_list["problem_list"].to_pylist()):
        joined[at] = "; ".join(items)
    return pa.array(joined, pa.string())


def _records(movies: pa.Table) -> pa.Table:
    """The contract's columns as text ('' for unknown, as a CSV field), and the line."""
    empty = pa.nulls(movies.num_rows, pa.string()).fill_null("")
    source = {"movie_id": "tconst", "title": "primaryTitle", "year": "startYear",
              "runtime_minutes": "runtimeMinutes", "genre": "genres", "rating": "averageRating",
              "director": "director", "stars": "stars", "votes": "numVotes"}  # fmt: skip
    columns = {name: empty if name in _ABSENT else pc.fill_null(_array(movies[source[name]]), "")
               for name in COLUMN_NAMES}  # fmt: skip
    return pa.table({**columns, "line": _array(movies["line"])})
