#!/usr/bin/env bash
# Prints a DATABASE_URL for the test run on PostgreSQL, starting the local cluster if it is
# installed and down and creating a role that may create test databases. Exits non-zero when
# no PostgreSQL can be reached.
set -uo pipefail
if [ -n "${TEST_DATABASE_URL:-}" ]; then echo "$TEST_DATABASE_URL"; exit 0; fi
role=${PGTEST_ROLE:-kho}
password=${PGTEST_PASSWORD:-kho-test}
if command -v pg_lsclusters >/dev/null 2>&1; then
    read -r version name _ < <(pg_lsclusters --no-header | head -n1)
    if [ -n "${version:-}" ] && ! pg_lsclusters --no-header | head -n1 | grep -q online; then
        pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start >&2 || true
    fi
fi
for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 2>/dev/null && break; sleep 0.5; done
pg_isready -q -h 127.0.0.1 2>/dev/null || exit 1
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
    su postgres -c "psql -q -v ON_ERROR_STOP=1" >&2 <<SQL || exit 1
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $role OWNER $role' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$role')\gexec
SQL
fi
PGPASSWORD=$password psql -q -h 127.0.0.1 -U "$role" -d "$role" -c "SELECT 1" >/dev/null 2>&1 || exit 1
echo "postgres://$role:$password@127.0.0.1:5432/$role"
