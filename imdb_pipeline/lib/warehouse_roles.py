"""The warehouse's roles, each with the least it needs; set up by `imdb-pipeline warehouse setup`.

- `imdb_loader`, the pipeline's login: owns the pipeline's schemas and every table, view and
  sequence in them, and may connect and create schemas in the database. Nothing else: it can
  neither read nor write a schema it does not own.
- `imdb_bi_reader`, BI tools' login: reads `core` and `analytics`, and nothing else; a table
  with sensitive columns only through its masking view (`masking_views`).
- `imdb_steward`, data stewards' login: reads `audit` (the load log), `staging` (the typed rows
  and the rejects), `core` and `analytics`, sensitive columns as they are.

Every run replaces tables by new ones (build, then swap) and every day is a new partition, so a
GRANT on a table dies with it. The readers' rights come instead from the loader's default
privileges (`ALTER DEFAULT PRIVILEGES FOR ROLE imdb_loader IN SCHEMA ...`), which PostgreSQL
gives every table that role creates in those schemas, in the transaction that creates it; they
cover tables made by the loader only, so the pipeline must connect as the loader. GRANT ... ON
ALL TABLES covers what exists. A reader of a partitioned table needs only the parent's grant;
the partitions get the default privileges too, as tables of their own.

`set_up` runs in one transaction as an admin (a superuser: it hands the loader tables other
roles own, and sets the loader's default privileges) and can run any number of times, on an
empty or a loaded warehouse: it creates what is missing, hands the loader what another role
created (a table built by a run as the admin, say), and sets each role's rights to exactly
these. A password is sent as the SCRAM hash libpq computes (`encrypt_password`), so the server
never sees, logs or stores it in clear; a role without one cannot log in with a password.
"""

from collections.abc import Iterable, Mapping

from psycopg2.extensions import cursor as PgCursor
from psycopg2.extensions import encrypt_password

from imdb_pipeline.constants import BI_READER_ROLE, LOADER_ROLE, STEWARD_ROLE, Layer
from imdb_pipeline.lib import dimension_sources, masking_views, pg_tables
from imdb_pipeline.lib.load_audit import AUDIT_SCHEMA
from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline.lib.warehouse_tables import WAREHOUSE_TABLES, Table

LOADER_SCHEMAS = (
    Layer.STAGING.value, Layer.CORE.value, Layer.ANALYTICS.value,
    dimension_sources.SCHEMA, AUDIT_SCHEMA,
)  # fmt: skip
READER_SCHEMAS = {
    BI_READER_ROLE: (Layer.CORE.value, Layer.ANALYTICS.value),
    STEWARD_ROLE: (AUDIT_SCHEMA, Layer.STAGING.value, Layer.CORE.value, Layer.ANALYTICS.value),
}
ROLES = (LOADER_ROLE, *READER_SCHEMAS)

# ALTER ... OWNER TO by relkind: tables, partitioned tables, views, materialized views,
# sequences, foreign tables. Indexes and TOAST tables follow their table.
_OWNER_KEYWORDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
                   "S": "SEQUENCE", "f": "FOREIGN TABLE"}  # fmt: skip


def set_up(
    cursor: PgCursor,
    passwords: Mapping[str, str | None],
    tables: Iterable[Table] = WAREHOUSE_TABLES,
) -> list[str]:
    """Create or bring up to date the three roles and their rights in the cursor's database;
    returns the tables, views and sequences handed to the loader (`hand_to_loader`).
    `passwords`: role -> password (None or absent: the role's password is left as it is);
    `tables`: the declared tables, whose sensitive ones get their masking views."""
    for role in ROLES:
        ensure_role(cursor, role, passwords.get(role))
    cursor.execute("SELECT current_database()")
    database = quote(cursor.fetchone()[0])
    loader = quote(LOADER_ROLE)
    cursor.execute(f"GRANT CONNECT, CREATE ON DATABASE {database} TO {loader}")
    # PostgreSQL 15's default on older servers: no one creates objects in `public` unless
    # granted, so the loader cannot write outside its schemas.
    cursor.execute("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public')")
    if cursor.fetchone()[0]:
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for schema in LOADER_SCHEMAS:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)} AUTHORIZATION {loader}")
        cursor.execute(f"ALTER SCHEMA {quote(schema)} OWNER TO {loader}")
    sensitive = [table for table in tables
                 if table.sensitive and pg_tables.table_exists(cursor, table.schema, table.name)]
    for table in sensitive:
        masking_views.create_view(cursor, table)
    handed = hand_to_loader(cursor)
    every_schema = ", ".join(map(quote, LOADER_SCHEMAS))
    for role, schemas in READER_SCHEMAS.items():
        grantee, names = quote(role), ", ".join(map(quote, schemas))
        cursor.execute(f"GRANT CONNECT ON DATABASE {database} TO {grantee}")
        cursor.execute(f"REVOKE ALL ON SCHEMA {every_schema} FROM {grantee}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {every_schema} FROM {grantee}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {names} TO {grantee}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {names} TO {grantee}")
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {loader} IN SCHEMA {names} "
            f"GRANT SELECT ON TABLES TO {grantee}"
        )
    for table in sensitive:
        days = pg_tables.day_partitions(cursor, table) if table.partition_column else {}
        for name in [table.name, *(pg_tables.partition_name(table, day) for day in days)]:
            masking_views.restrict(cursor, table, name)
    return handed


def ensure_role(cursor: PgCursor, role: str, password: str | None) -> None:
    """A login role named `role`, with `password` (as its SCRAM hash) when one is given."""
    cursor.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", (role,))
    verb = "ALTER" if cursor.fetchone()[0] else "CREATE"
    cursor.execute(f"{verb} ROLE {quote(role)} LOGIN")
    if password:
        # Hashed by libpq with the server's password_encryption: the statement holds no secret.
        hashed = encrypt_password(password, role, cursor.connection)
        cursor.execute(f"ALTER ROLE {quote(role)} PASSWORD %s", (hashed,))


def hand_to_loader(cursor: PgCursor) -> list[str]:
    """Make the loader the owner of every table, view and sequence of its schemas that another
    role owns; returns their names. A sequence that belongs to a table's column moves with
    its table."""
    cursor.execute(
        "SELECT c.relkind, n.nspname, c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY(%s) AND c.relkind = ANY(%s) "
        "AND pg_get_userbyid(c.relowner) <> %s "
        "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "AND d.objid = c.oid AND c.relkind = 'S' AND d.deptype IN ('a', 'i')) "
        "ORDER BY 2, 3",
        (list(LOADER_SCHEMAS), list(_OWNER_KEYWORDS), LOADER_ROLE),
    )
    moved = []
    for kind, schema, name in cursor.fetchall():
        cursor.execute(
            f"ALTER {_OWNER_KEYWORDS[kind]} {quote(schema)}.{quote(name)} "
            f"OWNER TO {quote(LOADER_ROLE)}"
        )
        moved.append(f"{schema}.{name}")
    return moved
