# Shared helpers for the scripts in this folder; source it, don't run it.

# need_packages installs the Debian packages named that are not installed
# yet (as root with apt-get; otherwise it says what is missing and fails).
need_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "missing Debian packages: ${missing[*]} (install them as root)" >&2
    return 1
  fi
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_go fails clearly when Go is not on PATH (it is expected at /usr/local/go).
need_go() {
  if ! command -v go >/dev/null; then
    [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null || { echo "Go 1.26 is required (go not found)" >&2; return 1; }
}

# need_postgres makes a PostgreSQL server reachable for the tests and
# benchmarks that create and drop their own databases (central/postgres,
# scripts/e2e), exporting TILLSYNC_TEST_POSTGRES when it had to set one up.
need_postgres() {
  # central/postgres's tests create and drop their own databases on the server
  # at $TILLSYNC_TEST_POSTGRES (default: role postgres, no password, over TCP
  # on 127.0.0.1:5432). A machine where that already works is left alone.
  # Otherwise this installs and starts Debian's cluster, and — because
  # Debian's pg_hba.conf wants a scram password for TCP — creates a dedicated
  # role tillsync_test (LOGIN CREATEDB, not superuser, fixed test password)
  # through the local peer login and points the tests at it. That touches
  # neither pg_hba.conf nor the postgres role; the server listens on
  # localhost only, as Debian configures it.
  pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
  if [ -z "${TILLSYNC_TEST_POSTGRES:-}" ]; then
    if ! pg_answers; then
      need_packages postgresql
      # The package's own start-up may already have started it.
      pg_answers || pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
      for _ in $(seq 30); do pg_answers && break; sleep 1; done
    fi
    if command -v psql >/dev/null &&
      ! PGCONNECT_TIMEOUT=10 psql -w -Atq "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -c 'SELECT 1' >/dev/null 2>&1; then
      (cd / && su postgres -s /bin/sh -c 'psql -v ON_ERROR_STOP=1 -q' >/dev/null) <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tillsync_test') THEN
    CREATE ROLE tillsync_test;
  END IF;
END $$;
ALTER ROLE tillsync_test LOGIN CREATEDB PASSWORD 'tillsync_test';
SQL
      export TILLSYNC_TEST_POSTGRES="postgres://tillsync_test:tillsync_test@127.0.0.1:5432/postgres?sslmode=disable"
    fi
  fi
}
