#!/usr/bin/env bash
# Entrypoint of the pg-replica1/pg-replica2 services (docker-compose.yml): on first start, clone
# the primary with pg_basebackup -R (standby.signal + primary_conninfo + its slot), then run it as
# a hot standby with the seed's apply delay (the app changes it at runtime with ALTER SYSTEM).
# Env: STANDBY_NAME (replica1|replica2, also the slot and application name), PRIMARY_HOST, APPLY_DELAY_MS.
set -euo pipefail
: "${STANDBY_NAME:?STANDBY_NAME must be replica1 or replica2}" "${PRIMARY_HOST:?PRIMARY_HOST is required}"
mkdir -p "$PGDATA" && chown postgres: "$PGDATA" && chmod 700 "$PGDATA"
if [[ ! -f $PGDATA/PG_VERSION ]]; then
  until gosu postgres pg_isready -q -h "$PRIMARY_HOST" -U postgres; do sleep 1; done
  gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U postgres -D "$PGDATA" -R -X stream -S "$STANDBY_NAME" -c fast
  # In postgresql.auto.conf, not on the command line (which would outrank the app's ALTER SYSTEM).
  echo "recovery_min_apply_delay = '${APPLY_DELAY_MS:-0}ms'" >>"$PGDATA/postgresql.auto.conf"
fi
exec gosu postgres postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on -c cluster_name="$STANDBY_NAME" \
  -c wal_receiver_status_interval=1s
