#!/usr/bin/env bash
# Make sure the services the test suite needs are installed and running, then print the
# PostgreSQL URL for the storage tests. Idempotent: cheap when everything is already up.
#   - chromium (Debian) for the real-browser tests
#   - a PostgreSQL cluster (Debian) with a `mockloop` user and a `mockloop_test` database
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-services: please install: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "test-services: installing ${need[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$ver" main >&2
  cluster="$ver main"
fi
# shellcheck disable=SC2086
set -- $cluster
port=$(pg_lsclusters --no-header | awk -v v="$1" -v n="$2" '$1==v && $2==n {print $3}')
if ! pg_lsclusters --no-header | awk -v v="$1" -v n="$2" '$1==v && $2==n {print $4}' | grep -q online; then
  pg_ctlcluster "$1" "$2" start >&2
fi
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi; }
as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname='mockloop'\"" | grep -q 1 \
  || as_pg "psql -p $port -qc \"CREATE ROLE mockloop LOGIN PASSWORD 'mockloop'\"" >&2
as_pg "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname='mockloop_test'\"" | grep -q 1 \
  || as_pg "psql -p $port -qc \"CREATE DATABASE mockloop_test OWNER mockloop\"" >&2
echo "postgresql://mockloop:mockloop@127.0.0.1:$port/mockloop_test"
