"""The one thing the dashboard reads that no analytics table holds: movies per certificate."""

from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.warehouse_tables import DIM_MOVIES

CERTIFICATE_COLUMNS = ("certificate_system", "certificate", "movies")


def certificates_select() -> str:
    """Movies of the latest snapshot (each movie's current version) per certificate and rating
    system; NULLs kept: a movie without a certificate, a certificate of no known system. One row
    per distinct certificate: a few dozen rows, whatever the number of movies."""
    system, certificate = quote("certificate_system"), quote("certificate")
    return (
        f"SELECT {system}, {certificate}, count(*) AS {quote('movies')} "
        f"FROM {DIM_MOVIES.qualified} "
        f"WHERE {quote('is_current')} AND {quote('in_latest_snapshot')} "
        f"GROUP BY {system}, {certificate}"
    )
