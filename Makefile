# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
TEST_ARGS ?=

.PHONY: run test setup browser-deps fault-deps mail-deps services bench bench-deps bench-smoke clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser journeys (nothing downloads a browser), and axe-core from npm.
browser-deps:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

# libfaketime, for the tests of a worker on a host whose clock is wrong.
fault-deps:
	command -v faketime >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime)

# Dovecot's IMAP server, for the tests of the bounce mailbox: each test runs a private instance with a config of
# its own (tests/imapserver.py), so the system's Dovecot, which the package may start, is stopped at once.
mail-deps:
	test -x /usr/lib/dovecot/imap || (apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd \
	  && (service dovecot stop >/dev/null 2>&1 || true))

# The services the tests use, started if they are not already running.
services:
	pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)
	redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --bind 127.0.0.1 --port 6379 --save '' --daemonize yes
	for i in 1 2 3 4 5 6 7 8 9 10; do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done

run: setup
	$(PY) scripts/run.py

# The linter first, then the suite; the suite runs every benchmark once at a tiny size (tests/test_benchmarks.py).
test: setup browser-deps fault-deps mail-deps bench-deps services
	$(PY) -m ruff check .
	$(PY) -m pytest $(TEST_ARGS)

# Postfix's smtp-sink, a fast C SMTP sink for the send benchmark; the mail service itself is not started.
bench-deps:
	command -v smtp-sink >/dev/null || test -x /usr/sbin/smtp-sink || (apt-get update -qq \
	  && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix)

bench: setup bench-deps mail-deps
	$(PY) bench/newsroom.py
	$(PY) bench/contacts.py
	$(PY) bench/send.py
	$(PY) bench/enquiries.py
	$(PY) bench/bounces.py
	$(PY) bench/inbox.py

# Every benchmark once at a tiny size (it must finish and print its verdicts); CI runs it on both databases.
BENCH_ARGS ?=
bench-smoke: setup bench-deps mail-deps services
	$(PY) bench/smoke.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules instance/press.db*
