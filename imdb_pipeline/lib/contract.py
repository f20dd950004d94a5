"""The source contract of `imdb_movies.csv`, defined once.

Parsing, the staging table's column types and the data-quality rules all read this module.

A column can be marked `sensitive`: its values are then masked wherever the checks show data
(samples in check metadata, Data Docs, alerts; see `lib/masking.py`). None of IMDb's columns
is: they are public facts about movies and the public names of the people who made them.
"""

import datetime as dt
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    LIST = "list"


@dataclass(frozen=True)
class SourceColumn:
    """One column of the source file and the values it may hold."""

    name: str
    kind: Kind
    required: bool
    description: str
    minimum: float | None = None
    maximum: float | None = None
    decimals: int | None = None
    pattern: str | None = None
    # Longest value in characters (of each item, for a list): what every table downstream can
    # store and index.
    max_length: int | None = None
    max_items: int | None = None  # lists only
    # Units a number may be written with, dropped when read (`142 min`).
    units: tuple[str, ...] = ()
    # Personal or confidential values (none of IMDb's): masked in samples, Data Docs and alerts.
    sensitive: bool = False

    def __post_init__(self):
        if self.kind is Kind.LIST and (self.max_length is None or self.max_items is None):
            raise ValueError(f"{self.name}: a list column caps its items and their length")

    @property
    def pandas_dtype(self) -> str:
        if self.kind is Kind.INTEGER:
            return "Int64" if self.name == "votes" else "Int32"
        if self.kind is Kind.DECIMAL:
            return "Float64"
        return "string"


MOVIE_ID_PATTERN = r"^tt\d+$"
LIST_SEPARATOR = ","
# Lists are written back normalised: trimmed, de-duplicated, in their original order.
LIST_JOINER = ", "
FIRST_FILM_YEAR = 1888
# Limits that keep every staged value storable in every table downstream. A name is a unique
# key of its dimension and of the analytics, and a PostgreSQL index entry holds at most about
# 2,700 bytes: 500 characters take at most 2,000 bytes in UTF-8. The others are far beyond any
# real value (IMDb ids have 9 or 10 characters) and keep a broken export from flooding tables.
MOVIE_ID_MAX_LENGTH = 32
NAME_MAX_LENGTH = 500
TITLE_MAX_LENGTH = 1000
CERTIFICATE_MAX_LENGTH = 32
LIST_MAX_ITEMS = 100
# Totals over a day's movies must fit their columns: 100 million movies of 10 billion votes
# each (more than people alive) sum to 10^18, within bigint; a quadrillion dollars is far
# beyond any real gross, and its sums far from a double's overflow.
MOST_VOTES = 10**10
MOST_GROSS_MILLIONS = 10**9
# Written in numeric columns by other tools for "no value" (R's NA, pandas' NaN, PostgreSQL's
# \N): the same as an empty field. Compared without regard to case.
MISSING_NUMBER_MARKERS = ("NA", "N/A", "NaN", "NULL", "None", "\\N")

COLUMNS = (
    SourceColumn("movie_id", Kind.TEXT, True, "IMDb title id, e.g. tt0111161",
                 pattern=MOVIE_ID_PATTERN, max_length=MOVIE_ID_MAX_LENGTH),
    SourceColumn("title", Kind.TEXT, False, "Title as released", max_length=TITLE_MAX_LENGTH),
    SourceColumn("year", Kind.INTEGER, True, "Release year", minimum=FIRST_FILM_YEAR),
    SourceColumn("certificate", Kind.TEXT, False,
                 "Age certificate of any rating system (see lib/certificates.py)",
                 max_length=CERTIFICATE_MAX_LENGTH),
    SourceColumn("runtime_minutes", Kind.INTEGER, False, "Running time in minutes", minimum=0,
                 units=("min", "mins", "minutes")),
    SourceColumn("genre", Kind.LIST, True, "Comma-separated genres",
                 max_length=NAME_MAX_LENGTH, max_items=LIST_MAX_ITEMS),
    SourceColumn("rating", Kind.DECIMAL, True, "IMDb user rating", minimum=0, maximum=10,
                 decimals=1),
    SourceColumn("metascore", Kind.INTEGER, False, "Metacritic score", minimum=0, maximum=100),
    SourceColumn("description", Kind.TEXT, False, "Plot summary"),
    SourceColumn("director", Kind.TEXT, True, "Director's name", max_length=NAME_MAX_LENGTH),
    SourceColumn("stars", Kind.LIST, False, "Comma-separated leading actors, in billing order",
                 max_length=NAME_MAX_LENGTH, max_items=LIST_MAX_ITEMS),
    SourceColumn("votes", Kind.INTEGER, True, "Number of IMDb user votes", minimum=0,
                 maximum=MOST_VOTES),
    SourceColumn("gross_millions", Kind.DECIMAL, False, "US box-office gross, USD millions",
                 minimum=0, maximum=MOST_GROSS_MILLIONS, decimals=2),
)  # fmt: skip

COLUMN_NAMES = tuple(column.name for column in COLUMNS)
BY_NAME = {column.name: column for column in COLUMNS}


def last_valid_year(today: dt.date) -> int:
    """Announced films may carry next year's date; anything later is an error."""
    return today.year + 1

