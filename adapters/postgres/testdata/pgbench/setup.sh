#!/bin/sh
# The database's own ceiling for a punch: the punch transaction's SQL (the
# statements the PostgreSQL store sends, from pg_stat_statements, pipelined
# in its two round trips) against single-row INSERTs into a copy of punches,
# run by pgbench with no Go, HTTP or Redis in the way.
#
#   sh adapters/postgres/testdata/pgbench/setup.sh 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
#   for f in raw punch; do pgbench -n -M prepared -c 64 -j 2 -T 6 -f adapters/postgres/testdata/pgbench/$f.sql "$URL"; done
#
# Both scripts write into the schema pgb, which this drops and recreates.
set -eu
url=$1
psql -q "$url" -c 'DROP SCHEMA IF EXISTS pgb CASCADE' -c 'CREATE SCHEMA pgb'
case $url in *\?*) sep='&' ;; *) sep='?' ;; esac
PUNCHBOT_DATABASE_URL="$url${sep}search_path=pgb" go run ./cmd/punchbot migrate
psql -q "$url" -c "INSERT INTO pgb.employees (id, name) SELECT 'E' || g, 'n' || g FROM generate_series(1, 10000) g" \
	-c 'CREATE TABLE pgb.raw_punches (LIKE pgb.punches INCLUDING ALL)'
