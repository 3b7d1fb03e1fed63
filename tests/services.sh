#!/usr/bin/env bash
# Installs (if needed) and starts the services Settle's tests use, on 127.0.0.1
# only, and stops them again. Usage: tests/services.sh start|stop|status
#   Kafka protocol: Tansu (crates.io tansu; ~13 min to build once, then reused
#     from ~/.cargo/bin), two brokers:
#     127.0.0.1:19092 memory storage: fast for volume (200k-event tests); its
#       end offsets are wrong, and settle ingest never asks for them;
#     127.0.0.1:19093 sqlite storage: correct end offsets, for the tests that
#       read them; its fetches slow to a crawl on topics of 100k+ events.
#   S3: moto_server on 127.0.0.1:5000 (PyPI moto[server])
#   Python peers: duckdb, polars, jsonschema, openpyxl and playwright (PyPI;
#     playwright drives Debian's chromium, which .ci/run installs with apt)
#   Stripe: localstripe (PyPI); tests start their own instance on a free
#     loopback port through tests/peers/localstripe_server.py
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_dir=${SETTLE_SERVICES_DIR:-$HOME/.cache/settle/services}
mkdir -p "$run_dir"
s3_port=${SETTLE_TEST_S3_PORT:-5000}
kafka_port=${SETTLE_TEST_KAFKA_PORT:-19092}
sqlite_port=${SETTLE_TEST_KAFKA_SQLITE_PORT:-19093}
export PATH="$HOME/.cargo/bin:$PATH"

install() {
  if ! python3 -c 'import duckdb, polars, jsonschema, moto.server, localstripe, aiosmtpd, openpyxl, playwright' 2>/dev/null; then
    echo "installing Python peers, moto[server], localstripe, aiosmtpd, openpyxl and playwright from PyPI ..."
    python3 -m pip install --quiet --disable-pip-version-check \
      -r "$here/peers/requirements.txt"
  fi
  command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
  if ! command -v tansu >/dev/null; then
    echo "installing the Tansu Kafka-protocol broker (cargo install, ~13 min once) ..."
    CARGO_TARGET_DIR="$HOME/.cache/settle/tansu-target" \
      cargo install tansu --locked --features libsql,dynostore --quiet
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port name
  for _ in $(seq 1 150); do
    port_open "$1" && return 0
    sleep 0.2
  done
  echo "$2 did not start on port $1; see $run_dir/$2.log" >&2
  return 1
}

wait_for() { # url
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.2
  done
  echo "service at $1 did not start; see $run_dir/*.log" >&2
  return 1
}

start() {
  install
  if ! curl -s -o /dev/null "http://127.0.0.1:$s3_port/"; then
    echo "starting moto_server on 127.0.0.1:$s3_port"
    nohup python3 -m moto.server -H 127.0.0.1 -p "$s3_port" >"$run_dir/moto.log" 2>&1 &
    echo $! >"$run_dir/moto.pid"
    wait_for "http://127.0.0.1:$s3_port/"
  fi
  start_tansu tansu "$kafka_port" "memory://tansu/"
  start_tansu tansu-sqlite "$sqlite_port" "sqlite://tansu.db"
}

start_tansu() { # name port storage
  local name=$1 port=$2 storage=$3
  if ! port_open "$port"; then
    echo "starting $name on 127.0.0.1:$port ($storage)"
    rm -f "$run_dir"/tansu.db*
    # Tansu reads sqlite://NAME relative to its working directory.
    (
      cd "$run_dir" || exit 1
      nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "$storage" >"$run_dir/$name.log" 2>&1 &
      echo $! >"$run_dir/$name.pid"
    )
    wait_for_port "$port" "$name"
  fi
}

stop() {
  for svc in moto tansu tansu-sqlite; do
    if [ -f "$run_dir/$svc.pid" ]; then
      pid=$(cat "$run_dir/$svc.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      # Tansu 0.6 keeps running after SIGTERM while clients are connected.
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$run_dir/$svc.pid"
    fi
  done
}

status() {
  curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && echo "s3: up on $s3_port" || echo "s3: down"
  port_open "$kafka_port" && echo "kafka (tansu, memory): up on $kafka_port" || echo "kafka (tansu, memory): down"
  port_open "$sqlite_port" && echo "kafka (tansu, sqlite): up on $sqlite_port" || echo "kafka (tansu, sqlite): down"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
