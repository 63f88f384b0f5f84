#!/usr/bin/env bash
# docker-entrypoint-initdb.d script of the pg-primary service (docker-compose.yml): lets the
# standbys connect for replication without a password (lab only, on the compose network) and
# gives each standby its own physical replication slot, as scripts/infra.sh does without Docker.
set -euo pipefail
echo "host replication all all trust" >>"$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 -U postgres -d postgres -XtAc \
  "SELECT pg_create_physical_replication_slot(s) FROM unnest(ARRAY['replica1', 'replica2']) s
    WHERE s NOT IN (SELECT slot_name FROM pg_replication_slots)"
