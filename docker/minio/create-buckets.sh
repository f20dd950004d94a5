#!/bin/sh
# Run by the minio_init service at every start (each step is idempotent): the source and raw
# buckets, and the pipeline's own MinIO user (AWS_ACCESS_KEY_ID), allowed to read and write,
# so the pipeline never holds MinIO's root credentials.
set -eu

mc alias set store http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "store/$IMDB_SOURCE_BUCKET" "store/$IMDB_RAW_BUCKET"
mc admin user add store "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
if ! mc admin user info store "$AWS_ACCESS_KEY_ID" | grep -q readwrite; then
  mc admin policy attach store readwrite --user "$AWS_ACCESS_KEY_ID"
fi
