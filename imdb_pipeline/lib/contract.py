"""The source contract of `imdb_movies.csv`, defined once.

Parsing, the staging table's column types and the data-quality rules all read this module.
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
    allowed: tuple[str, ...] | None = None

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
CERTIFICATES = (
    "G", "PG", "PG-13", "R", "NC-17", "X", "GP", "M", "M/PG", "Approved", "Passed",
    "Not Rated", "Unrated", "TV-Y", "TV-Y7", "TV-G", "TV-PG", "TV-14", "TV-MA",
)  # fmt: skip

COLUMNS = (
    SourceColumn("movie_id", Kind.TEXT, True, "IMDb title id, e.g. tt0111161",
                 pattern=MOVIE_ID_PATTERN),
    SourceColumn("title", Kind.TEXT, True, "Title as released"),
    SourceColumn("year", Kind.INTEGER, True, "Release year", minimum=FIRST_FILM_YEAR),
    SourceColumn("certificate", Kind.TEXT, False, "US age certificate", allowed=CERTIFICATES),
    SourceColumn("runtime_minutes", Kind.INTEGER, True, "Running time in minutes", minimum=0),
    SourceColumn("genre", Kind.LIST, True, "Comma-separated genres"),
    SourceColumn("rating", Kind.DECIMAL, True, "IMDb user rating", minimum=0, maximum=10,
                 decimals=1),
    SourceColumn("metascore", Kind.INTEGER, False, "Metacritic score", minimum=0, maximum=100),
    SourceColumn("description", Kind.TEXT, False, "Plot summary"),
    SourceColumn("director", Kind.TEXT, True, "Director's name"),
    SourceColumn("stars", Kind.LIST, True, "Comma-separated leading actors, in billing order"),
    SourceColumn("votes", Kind.INTEGER, True, "Number of IMDb user votes", minimum=0),
    SourceColumn("gross_millions", Kind.DECIMAL, False, "US box-office gross, USD millions",
                 minimum=0, decimals=2),
)  # fmt: skip

COLUMN_NAMES = tuple(column.name for column in COLUMNS)
BY_NAME = {column.name: column for column in COLUMNS}


def last_valid_year(today: dt.date) -> int:
    """Announced films may carry next year's date; anything later is an error."""
    return today.year + 1

