"""Age certificates and the rating systems they come from.

`certificate` is free text in the contract: IMDb exports carry the certificate of whichever
country the export was made for, so a value the table below does not know is kept (and a WARN
check lists it), never rejected. The table classifies the values it knows by rating system, so
analysts can compare like with like (`dim_movies.certificate_system`).

Some values belong to several systems (`U` is Indian and British, `PG` American and British).
A value is given the first system in `SYSTEMS` that lists it: the US systems, IMDb's own
default, then India's CBFC, the board of the most widely shared IMDb exports, then the UK's
BBFC. The certificate itself is always kept, so a team that knows its feed's country can
classify it otherwise. Values are matched without regard to case, after trimming.
"""

from dataclasses import dataclass

from imdb_pipeline.lib.sql_text import text_sql


@dataclass(frozen=True)
class RatingSystem:
    name: str
    description: str
    certificates: tuple[str, ...]


OTHER = "Other"
SYSTEMS = (
    RatingSystem("MPAA", "US film ratings (Motion Picture Association, 1968 on)",
                 ("G", "PG", "PG-13", "R", "NC-17", "X", "GP", "M", "M/PG")),
    RatingSystem("US TV", "US TV Parental Guidelines",
                 ("TV-Y", "TV-Y7", "TV-Y7-FV", "TV-G", "TV-PG", "TV-14", "TV-MA")),
    RatingSystem("CBFC", "India's Central Board of Film Certification",
                 ("U", "UA", "U/A", "A", "S", "UA 7+", "UA 13+", "UA 16+", "U/A 7+",
                  "U/A 13+", "U/A 16+")),
    RatingSystem("BBFC", "UK's British Board of Film Classification",
                 ("U", "Uc", "PG", "12", "12A", "15", "18", "R18")),
    RatingSystem(OTHER, "US certificates before 1968, no rating, or a bare minimum age",
                 ("Approved", "Passed", "Not Rated", "Unrated", "NR")),
)  # fmt: skip
# A bare minimum age, as many countries write it: 7, 13+, 16, 18+. (No braces: check queries
# are templates in which braces are placeholders.)
AGE_PATTERN = r"^[0-9][0-9]?\+?$"


def _first_system_of_each_value() -> dict[str, str]:
    systems: dict[str, str] = {}
    for system in SYSTEMS:
        for certificate in system.certificates:
            systems.setdefault(certificate.upper(), system.name)
    return systems


KNOWN = _first_system_of_each_value()  # upper-case certificate -> system


def certificate_system_sql(column_sql: str) -> str:
    """`certificate_system` as a SQL expression over a text expression; NULL when unknown.
    The one definition of the classification: dim_movies and the checks both use it."""
    value = f"upper(btrim({column_sql}))"
    branches = []
    for system in SYSTEMS:
        values = sorted(value_ for value_, name in KNOWN.items() if name == system.name)
        listed = ", ".join(text_sql(value_) for value_ in values)
        branches.append(f"WHEN {value} IN ({listed}) THEN {text_sql(system.name)}")
    branches.append(f"WHEN {value} ~ {text_sql(AGE_PATTERN)} THEN {text_sql(OTHER)}")
    return f"(CASE {' '.join(branches)} END)"
