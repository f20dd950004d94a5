#!/bin/sh
# Run once by the postgres image, on an empty data volume: the warehouse and Dagster's storage
# as two databases. Dagster's is owned by its own login role. The warehouse is owned by the
# admin ($POSTGRES_USER): the pipeline's loader, the BI reader and the steward get only the
# rights they need from `imdb-pipeline warehouse setup` (the compose service warehouse_setup),
# which runs at every `up`. Names and passwords come from the environment
# (docker-compose.yml); psql's :"name" and :'value' quote them.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v warehouse_db="$WAREHOUSE_PG_DB" \
  -v dagster_user="$DAGSTER_PG_USERNAME" -v dagster_password="$DAGSTER_PG_PASSWORD" \
  -v dagster_db="$DAGSTER_PG_DB" <<'SQL'
CREATE DATABASE :"warehouse_db";
REVOKE ALL ON DATABASE :"warehouse_db" FROM PUBLIC;
CREATE ROLE :"dagster_user" LOGIN PASSWORD :'dagster_password';
CREATE DATABASE :"dagster_db" OWNER :"dagster_user";
REVOKE ALL ON DATABASE :"dagster_db" FROM PUBLIC;
SQL
