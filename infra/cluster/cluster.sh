# shellcheck shell=bash
# A local cluster, sourced by ./bodycam: `./bodycam cluster up [--nodes N] | kill N | status | down`.
#
# Each node is a network namespace (bc-nN) with its own address (10.77.0.1N) on a bridge (bcbr0,
# 10.77.0.1 on this machine's side): a RabbitMQ node in every namespace, joined into one cluster
# whose queues are quorum queues; PostgreSQL's primary on node 1 and a synchronous streaming replica
# on node 2; every BodyCam service and a gateway on every node, each gateway routing to every node's
# services. The audit log's witness runs outside the nodes, on the bridge's address, as it would run
# outside a force's network. `kill N` stops a node's processes and takes its link down; if the node
# held PostgreSQL's primary, this script promotes the replica (pg_ctl promote) and moves the primary's
# address (bc-db-rw, 10.77.0.100) to it, as CloudNativePG promotes a replica and points its -rw
# Service at it. The embedded default (`./bodycam up`) is untouched: other addresses, other data
# directories, the same build.

CL_NET=10.77.0
CL_BRIDGE=bcbr0
CL_DATA=/var/lib/bodycam-cluster
CL_STATE="$STATE/cluster"
CL_PG_BIN=""
CL_ISSUER="http://$CL_NET.11:8080/"
CL_WITNESS="http://$CL_NET.1:5107/"
# The primary's own address, which moves with it (as CloudNativePG's -rw Service, or a keepalived
# address): services connect to it alone, so after a failover they find the new primary at once.
CL_PG_RW="$CL_NET.100"
# Every line of a node's logs says when, to line up what each node saw when one was lost, and the
# gateways say when they take a node out of a cluster or put it back.
CL_LOGGING=(Logging__Console__FormatterName=simple "Logging__Console__FormatterOptions__TimestampFormat=HH:mm:ss.fff "
  Logging__LogLevel__Yarp.ReverseProxy.Health=Information)

cl_ip() { echo "$CL_NET.$((10 + $1))"; }
cl_in() { local i=$1; shift; as_root ip netns exec "bc-n$i" "$@"; }
cl_count() { cat "$CL_STATE/nodes" 2>/dev/null || echo 0; }
cl_pg_bin() { [ -n "$CL_PG_BIN" ] || CL_PG_BIN="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"; echo "$CL_PG_BIN"; }
cl_rabbit_env() { echo "RABBITMQ_CONF_ENV_FILE=$CL_DATA/n$1/rabbitmq/env.conf"; }
cl_rabbitmqctl() { local i=$1; shift; cl_in "$i" env "$(cl_rabbit_env "$i")" rabbitmqctl -q -n "rabbit@bc-n$i" "$@"; }
cl_pg_data() { echo "$CL_DATA/n$1/pg/data"; }
cl_pg_ctl() { local i=$1; shift; cl_in "$i" runuser -u postgres -- "$(cl_pg_bin)/pg_ctl" -D "$(cl_pg_data "$i")" "$@"; }
cl_psql() { # node, then psql arguments: as the cluster's superuser, over the node's address
  local i=$1; shift
  cl_in "$i" env PGPASSWORD="$(cat "$CL_STATE/postgres-superuser")" PGOPTIONS=--client-min-messages=warning \
    psql -h "$(cl_ip "$i")" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}
cl_primary() { # the node whose PostgreSQL answers as primary, or nothing
  local i
  for i in 1 2; do
    [ "$(cl_psql "$i" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && { echo "$i"; return; }
  done
}
cl_pg_rw_to() { # node, or "host": the primary's address (bc-db-rw) moves there
  local i=$1 j n
  n="$(cl_count)"
  as_root ip addr del "$CL_PG_RW/32" dev "$CL_BRIDGE" 2>/dev/null || true
  if [ "$i" = host ]; then
    # No primary for now: this machine holds the address and, with no PostgreSQL listening on it,
    # refuses connections at once (as Kubernetes refuses a Service with no endpoints), so clients
    # try again instead of waiting on a dead node (not when this machine's own PostgreSQL listens
    # beyond loopback, see cluster_up).
    [ ! -f "$CL_STATE/rw-refused-here" ] || as_root ip addr replace "$CL_PG_RW/32" dev "$CL_BRIDGE"
  else
    as_root ip -n "bc-n$i" addr replace "$CL_PG_RW/32" dev "bc-n$i-c"
    echo "$i" > "$CL_STATE/pg-primary"
  fi
  # What a gratuitous ARP does: the other nodes forget where the address was and ask again.
  for ((j = 1; j <= n; j++)); do
    [ "$j" = "$i" ] || as_root ip -n "bc-n$j" neigh flush to "$CL_PG_RW" 2>/dev/null || true
  done
}

cl_network_up() { # N
  local n=$1 i
  as_root ip link show "$CL_BRIDGE" >/dev/null 2>&1 || as_root ip link add "$CL_BRIDGE" type bridge
  as_root ip addr replace "$CL_NET.1/24" dev "$CL_BRIDGE"
  as_root ip link set "$CL_BRIDGE" up
  for i in $(seq 1 "$n"); do
    as_root ip netns list | grep -qw "bc-n$i" || as_root ip netns add "bc-n$i"
    if ! as_root ip link show "bc-n$i-h" >/dev/null 2>&1; then
      as_root ip link add "bc-n$i-h" type veth peer name "bc-n$i-c"
      as_root ip link set "bc-n$i-c" netns "bc-n$i"
    fi
    as_root ip link set "bc-n$i-h" master "$CL_BRIDGE"
    as_root ip link set "bc-n$i-h" up
    cl_in "$i" ip link set lo up
    cl_in "$i" ip addr replace "$(cl_ip "$i")/24" dev "bc-n$i-c"
    cl_in "$i" ip link set "bc-n$i-c" up
    # Every node knows every node by name (RabbitMQ's node names): ip netns exec mounts this as /etc/hosts.
    as_root mkdir -p "/etc/netns/bc-n$i"
    { echo "127.0.0.1 localhost"; echo "$CL_NET.1 bc-host"; echo "$CL_PG_RW bc-db-rw"; for j in $(seq 1 "$n"); do echo "$(cl_ip "$j") bc-n$j"; done; } \
      | as_root tee "/etc/netns/bc-n$i/hosts" >/dev/null
  done
}

cl_postgres_up() { # N
  local n=$1 bin data i
  bin="$(cl_pg_bin)"
  as_root mkdir -p "$CL_DATA"
  as_root chmod 755 "$CL_DATA"
  [ -f "$CL_STATE/postgres-superuser" ] || (umask 077 && openssl rand -hex 24 > "$CL_STATE/postgres-superuser")
  data="$(cl_pg_data 1)"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "PostgreSQL primary on node 1 ($(cl_ip 1))"
    as_root mkdir -p "$CL_DATA/n1/pg"
    as_root chown postgres:postgres "$CL_DATA/n1/pg"
    local pw; pw="$(as_root mktemp)"; as_root cp "$CL_STATE/postgres-superuser" "$pw"; as_root chown postgres "$pw"
    as_root runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres -A scram-sha-256 --pwfile="$pw" >/dev/null
    as_root rm -f "$pw"
    cl_pg_config 1
  fi
  cl_pg_ctl 1 status >/dev/null 2>&1 || cl_pg_ctl 1 -l "$CL_DATA/n1/pg/log" -w start >/dev/null
  if [ "$n" -ge 2 ] && [ ! -f "$(cl_pg_data 2)/PG_VERSION" ]; then
    say "PostgreSQL streaming replica on node 2 ($(cl_ip 2))"
    as_root mkdir -p "$CL_DATA/n2/pg"
    as_root chown postgres:postgres "$CL_DATA/n2/pg"
    cl_in 2 runuser -u postgres -- env PGPASSWORD="$(cat "$CL_STATE/postgres-superuser")" \
      "$bin/pg_basebackup" -h "$(cl_ip 1)" -U postgres -D "$(cl_pg_data 2)" -R -X stream >/dev/null
    cl_pg_config 2
  fi
  if [ "$n" -ge 2 ]; then
    cl_pg_ctl 2 status >/dev/null 2>&1 || cl_pg_ctl 2 -l "$CL_DATA/n2/pg/log" -w start >/dev/null
    # A commit waits for the replica, so the replica promoted after the primary's loss has every
    # accepted write. With the replica's node lost, `kill` turns this off so writes go on.
    cl_psql 1 -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}

cl_pg_config() { # node: listen on the node's addresses (its own, and bc-db-rw while it is the primary), replication allowed from the bridge
  local i=$1 data
  data="$(cl_pg_data "$i")"
  as_root sed -i '/^# bodycam cluster/,$d' "$data/postgresql.conf"
  as_root tee -a "$data/postgresql.conf" >/dev/null <<EOF
# bodycam cluster
listen_addresses = '*'
port = 5432
unix_socket_directories = '$CL_DATA/n$i/pg'
wal_level = replica
max_wal_senders = 10
hot_standby = on
max_connections = 400
wal_keep_size = 512MB
EOF
  grep -q "^host replication all $CL_NET.0/24" "$data/pg_hba.conf" 2>/dev/null || as_root tee -a "$data/pg_hba.conf" >/dev/null <<EOF
host replication all $CL_NET.0/24 scram-sha-256
host all all $CL_NET.0/24 scram-sha-256
EOF
}

cl_database() { # the database, a role and schema per service (as ./bodycam up makes them), on the primary
  local name var
  say "Database 'bodycam' with a role and schema per service"
  [ "$(cl_psql 1 -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'bodycam'")" = 1 ] || cl_psql 1 -d postgres -c "CREATE DATABASE bodycam"
  cl_psql 1 -d bodycam -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC"
  for name in $(launcher list database-roles); do
    var="PG_PASSWORD_$name"
    if [ "$(cl_psql 1 -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'bodycam_$name'")" = 1 ]; then
      cl_psql 1 -d postgres <<< "ALTER ROLE bodycam_$name LOGIN PASSWORD '${!var}'"
    else
      cl_psql 1 -d postgres <<< "CREATE ROLE bodycam_$name LOGIN PASSWORD '${!var}'"
    fi
    cl_psql 1 -d bodycam -c "CREATE SCHEMA IF NOT EXISTS $name AUTHORIZATION bodycam_$name"
  done
}

cl_rabbitmq_up() { # N
  local n=$1 i dir
  for i in $(seq 1 "$n"); do
    dir="$CL_DATA/n$i/rabbitmq"
    as_root mkdir -p "$dir"
    as_root chown rabbitmq:rabbitmq "$dir"
    as_root tee "$dir/env.conf" >/dev/null <<EOF
NODENAME=rabbit@bc-n$i
NODE_IP_ADDRESS=$(cl_ip "$i")
NODE_PORT=5672
MNESIA_BASE=$dir/mnesia
LOG_BASE=$dir/log
PID_FILE=$dir/pid
ENABLED_PLUGINS_FILE=$dir/enabled_plugins
CONFIG_FILE=$dir/rabbitmq
EOF
    echo "[]." | as_root tee "$dir/enabled_plugins" >/dev/null
    as_root tee "$dir/rabbitmq.conf" >/dev/null <<EOF
listeners.tcp.default = $(cl_ip "$i"):5672
distribution.listener.interface = $(cl_ip "$i")
cluster_partition_handling = pause_minority
EOF
    as_root chown rabbitmq:rabbitmq "$dir/enabled_plugins" "$dir/rabbitmq.conf" "$dir/env.conf"
    if ! cl_rabbitmqctl "$i" status >/dev/null 2>&1; then
      say "RabbitMQ node rabbit@bc-n$i ($(cl_ip "$i"))"
      cl_in "$i" env "$(cl_rabbit_env "$i")" rabbitmq-server -detached >/dev/null 2>&1
      local tries=0
      until cl_rabbitmqctl "$i" await_startup >/dev/null 2>&1; do
        tries=$((tries + 1)); [ $tries -lt 60 ] || die "RabbitMQ on node $i did not start; see $dir/log"
        sleep 1
      done
    fi
    if [ "$i" -gt 1 ] && ! cl_rabbitmqctl 1 cluster_status 2>/dev/null | grep -q "rabbit@bc-n$i"; then
      cl_rabbitmqctl "$i" stop_app >/dev/null
      cl_rabbitmqctl "$i" join_cluster rabbit@bc-n1 >/dev/null
      cl_rabbitmqctl "$i" start_app >/dev/null
    fi
  done
  say "RabbitMQ: a user per service, allowed only its own facts and queues"
  local name var
  {
    for name in $(launcher list broker-users); do
      var="RABBIT_PASSWORD_$name"
      rabbit_service_line "bodycam-$name" "${!var}" "$name"
    done
  } | RABBITMQCTL_NODE=1 rabbit_define bodycam
}

cl_plan() { # node N
  local i=$1 n=$2 nodes="" j
  for j in $(seq 1 "$n"); do nodes+="${nodes:+,}$(cl_ip "$j")"; done
  launcher plan --root "$ROOT" --state "$CL_STATE" --plan "$CL_STATE/n$i/plan" --configuration "$CONFIGURATION" \
    --host "$(cl_ip "$i")" --nodes "$nodes" --postgres bc-db-rw --rabbitmq "$(cl_ip "$i")" \
    --issuer "$CL_ISSUER" --witness "$CL_WITNESS"
}

cl_env() { # node name: the process's settings as env arguments
  local file="$CL_STATE/n$1/plan/$2.env"
  CL_ENV_ARGS=()
  while IFS= read -r line; do CL_ENV_ARGS+=("$line"); done < "$file"
}

cl_start() { # node name [url]: a process of the node's plan, in the node's namespace
  local i=$1 name=$2 role url dll pid_file="$CL_STATE/n$1/pids/$2.pid"
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then return 0; fi
  read -r _ role url dll < <(grep "^$name " "$CL_STATE/n$i/plan/processes")
  url="${3:-$url}"
  cl_env "$i" "$name"
  mkdir -p "$CL_STATE/n$i/logs" "$CL_STATE/n$i/pids"
  if [ "$name" = witness ]; then
    (cd "$(dirname "$dll")" && exec setsid env "${CL_ENV_ARGS[@]}" "${CL_LOGGING[@]}" dotnet "$dll" --urls "${url%/}" >> "$CL_STATE/n$i/logs/$name.log" 2>&1 < /dev/null) &
  else
    (cd "$(dirname "$dll")" && exec ip netns exec "bc-n$i" setsid env "${CL_ENV_ARGS[@]}" "${CL_LOGGING[@]}" dotnet "$dll" --urls "${url%/}" \
        >> "$CL_STATE/n$i/logs/$name.log" 2>&1 < /dev/null) &
  fi
  echo $! > "$pid_file"
}

cl_ready() { # node: its gateway ready
  curl -fsS -m 2 "http://$(cl_ip "$1"):8080/health/ready" >/dev/null 2>&1
}

cluster_up() {
  local n=3
  while [ $# -gt 0 ]; do
    case "$1" in
      --nodes) n=$2; shift 2 ;;
      *) die "cluster up [--nodes N]" ;;
    esac
  done
  [ "$n" -ge 2 ] && [ "$n" -le 9 ] || die "cluster up --nodes N: from 2 to 9 nodes (PostgreSQL's primary and replica need two)"
  [ "$(cl_count)" = 0 ] || [ "$(cl_count)" = "$n" ] || die "a cluster of $(cl_count) nodes is up; './bodycam cluster down' first"
  ensure_postgres >/dev/null
  ensure_rabbitmq >/dev/null
  [ -f "$ROOT/gateway/BodyCam.Gateway/bin/$CONFIGURATION/net10.0/BodyCam.Gateway.dll" ] || build
  mkdir -p "$CL_STATE"
  chmod 700 "$CL_STATE"
  echo "$n" > "$CL_STATE/nodes"
  say "Cluster of $n nodes on $CL_BRIDGE ($CL_NET.0/24)"
  cl_network_up "$n"
  local i
  for i in $(seq 1 "$n"); do cl_plan "$i" "$n"; done
  # shellcheck disable=SC1091
  . "$CL_STATE/secrets.env"
  cl_postgres_up "$n"
  local primary; primary="$(cl_primary)"
  [ -n "$primary" ] || die "no PostgreSQL primary answers; see $CL_DATA/n1/pg/log"
  cl_pg_rw_to "$primary"
  # Between a primary's loss and the promotion this machine may hold bc-db-rw, unless its own
  # PostgreSQL listens beyond loopback (connections would reach the wrong database).
  if ss -Hltn 'sport = :5432' | awk '{print $4}' | grep -qvE '^(127\.|\[::1\])'; then
    rm -f "$CL_STATE/rw-refused-here"
  else
    touch "$CL_STATE/rw-refused-here"
  fi
  cl_database
  cl_rabbitmq_up "$n"
  say "Declaring every service's queues and bindings (quorum queues)"
  local name dll
  while read -r name role _ dll; do
    [ "$role" = service ] || continue
    cl_env 1 "$name"
    mkdir -p "$CL_STATE/n1/logs"
    (cd "$(dirname "$dll")" && ip netns exec bc-n1 env "${CL_ENV_ARGS[@]}" BodyCam__DeployTopology=true dotnet "$dll" \
        >> "$CL_STATE/n1/logs/$name.log" 2>&1 < /dev/null) || die "$name could not declare its queues; see $CL_STATE/n1/logs/$name.log"
  done < "$CL_STATE/n1/plan/processes"
  cl_start 1 witness "$CL_WITNESS"
  say "Starting every service and a gateway on each node"
  for i in $(seq 1 "$n"); do
    while read -r name role _; do
      [ "$role" = witness ] || cl_start "$i" "$name"
    done < "$CL_STATE/n$i/plan/processes"
  done
  local tries=0
  for i in $(seq 1 "$n"); do
    until cl_ready "$i"; do
      tries=$((tries + 1))
      [ $tries -lt 600 ] || die "node $i did not become ready in 5 minutes; logs in $CL_STATE/n$i/logs/"
      sleep 0.5
    done
  done
  cluster_status
}

cl_kill_namespace() { # node: every process in its namespace, at once
  local pids
  pids="$(as_root ip netns pids "bc-n$1" 2>/dev/null || true)"
  # shellcheck disable=SC2086 # one pid per word
  [ -z "$pids" ] || as_root kill -9 $pids 2>/dev/null || true
}

cl_elapsed() { # since (an $EPOCHREALTIME), what
  say "  $2 after $(awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
}

cluster_kill() { # N
  local i=${1:?cluster kill N} n primary
  n="$(cl_count)"
  [ "$i" -ge 1 ] && [ "$i" -le "$n" ] || die "no node $i (the cluster has $n)"
  # Where the primary is, from this script's own record (asking PostgreSQL costs seconds on a loaded machine).
  primary="$(cat "$CL_STATE/pg-primary" 2>/dev/null || cl_primary)"
  local began=$EPOCHREALTIME tries=0
  # Every process in the node's namespace at once (its services, RabbitMQ, PostgreSQL), as when a
  # machine crashes: each is gone, and its kernel has closed its connections, before the link goes
  # down, so its peers see the resets. (A node lost without a word, its link down first, is the
  # harder case: see docs/decisions.md.)
  say "Node $i: its processes stopped, then its link down"
  cl_kill_namespace "$i"
  while [ -n "$(as_root ip netns pids "bc-n$i")" ] && [ $tries -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
  find "$CL_STATE/n$i/pids" -name '*.pid' ! -name witness.pid -delete
  as_root ip link set "bc-n$i-h" down
  cl_elapsed "$began" "node $i gone"
  if [ "$primary" = "$i" ]; then
    local other=$((3 - i)) parking
    say "PostgreSQL's primary was on node $i: promoting the replica on node $other"
    # Meanwhile nobody waits on the dead node for the primary's address.
    cl_pg_rw_to host & parking=$!
    # pg_ctl promote signals the postmaster (no connection, no password: seconds saved on a
    # machine busy with clients looking for their database) and waits until it takes writes.
    as_root runuser -u postgres -- "$(cl_pg_bin)/pg_ctl" -D "$(cl_pg_data "$other")" promote -w -t 30 >/dev/null
    wait "$parking" || true
    cl_pg_rw_to "$other"
    cl_elapsed "$began" "node $other's PostgreSQL is the primary, at bc-db-rw ($CL_PG_RW)"
    # Alone now, its commits must wait for no standby. It never had one (the setting was made on the
    # primary after the replica was copied); this makes sure.
    cl_psql "$other" -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c "SELECT pg_reload_conf()" >/dev/null
  elif [ "$i" -le 2 ] && [ -n "$primary" ]; then
    say "PostgreSQL's replica was on node $i: the primary stops waiting for it"
    cl_psql "$primary" -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = ''" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}

cluster_status() {
  local n i name role url primary
  n="$(cl_count)"
  [ "$n" -gt 0 ] || { echo "No cluster is up ('./bodycam cluster up')."; return 0; }
  primary="$(cl_primary)"
  for i in $(seq 1 "$n"); do
    local link pg rabbit
    link="$(as_root ip -br link show "bc-n$i-h" 2>/dev/null | awk '{print $2}')"
    if [ "$primary" = "$i" ]; then pg=primary; [ -n "$(cl_in "$i" ip -br addr show to "$CL_PG_RW" 2>/dev/null)" ] && pg=primary+rw
    elif [ "$i" -le 2 ] && [ "$(cl_psql "$i" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then pg=replica
    elif [ "$i" -le 2 ]; then pg=down
    else pg=-; fi
    if cl_rabbitmqctl "$i" status >/dev/null 2>&1; then rabbit=running; else rabbit=down; fi
    printf 'node %s  %-11s link %-5s postgres %-8s rabbitmq %-8s' "$i" "$(cl_ip "$i")" "${link:-none}" "$pg" "$rabbit"
    if cl_ready "$i"; then printf ' gateway ready'; else printf ' gateway not ready'; fi
    echo
    while read -r name role url _; do
      [ "$role" = witness ] && continue
      local pid_file="$CL_STATE/n$i/pids/$name.pid" state=stopped
      if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        if curl -fsS -m 2 "${url}health/ready" >/dev/null 2>&1; then state=ready; else state="running, not ready"; fi
      fi
      printf '    %-14s %-28s %s\n' "$name" "$url" "$state"
    done < "$CL_STATE/n$i/plan/processes"
  done
  printf 'witness %s %s\n' "$CL_WITNESS" "$(curl -fsS -m 2 "${CL_WITNESS}health" >/dev/null 2>&1 && echo ready || echo 'not ready')"
}

cluster_down() {
  local n i pid_file
  # Also a cluster another checkout of this repository left: every bc-n* namespace there is.
  n="$(cl_count)"
  for i in $(as_root ip netns list 2>/dev/null | sed -nE 's/^bc-n([0-9]+).*/\1/p'); do [ "$i" -gt "$n" ] && n=$i; done
  for i in $(seq 1 "${n:-0}"); do
    for pid_file in "$CL_STATE/n$i/pids/"*.pid; do
      [ -f "$pid_file" ] || continue
      kill -9 "$(cat "$pid_file")" 2>/dev/null || true
      rm -f "$pid_file"
    done
    [ -f "$(cl_pg_data "$i")/postmaster.pid" ] && cl_pg_ctl "$i" -m immediate stop >/dev/null 2>&1 || true
    [ -f "$CL_DATA/n$i/rabbitmq/pid" ] && as_root kill -9 "$(as_root cat "$CL_DATA/n$i/rabbitmq/pid")" 2>/dev/null || true
    # epmd and anything else left in the namespace
    cl_kill_namespace "$i"
    as_root ip link del "bc-n$i-h" 2>/dev/null || true
    as_root ip netns del "bc-n$i" 2>/dev/null || true
    as_root rm -rf "/etc/netns/bc-n$i"
  done
  as_root ip link del "$CL_BRIDGE" 2>/dev/null || true
  as_root rm -rf "$CL_DATA"
  rm -rf "$CL_STATE"
  echo "Cluster down: namespaces, links, data and plans removed."
}

# The chaos run's outages on the cluster: PostgreSQL's primary stopped at once (no promotion: an
# outage, not a loss) and started again; RabbitMQ stopped on every node (stop_app: its listeners
# close, its data stays) and started again, every node at once since each waits for its peers.
cluster_fault() { # pg-stop | pg-start | rabbit-stop | rabbit-start
  local primary i
  primary="$(cat "$CL_STATE/pg-primary" 2>/dev/null || echo 1)"
  case "${1:-}" in
    pg-stop) cl_pg_ctl "$primary" -m immediate stop >/dev/null ;;
    pg-start) cl_pg_ctl "$primary" -l "$CL_DATA/n$primary/pg/log" -w start >/dev/null ;;
    rabbit-stop | rabbit-start)
      for i in $(seq 1 "$(cl_count)"); do cl_rabbitmqctl "$i" "${1#rabbit-}_app" >/dev/null & done
      wait ;;
    *) die "cluster fault pg-stop | pg-start | rabbit-stop | rabbit-start" ;;
  esac
}

# ./bodycam cluster chaos [--seconds N] [--cameras N]: the chaos run's load through node 3's gateway
# while PostgreSQL and then RabbitMQ are held down N s (90) on the cluster; counts what was lost.
# Processes and a node lost are what `cluster kill` and the cluster test cover.
cluster_chaos() {
  [ "$(cl_count)" -ge 3 ] || die "no cluster of three nodes is up (./bodycam cluster up --nodes 3)"
  say "Cluster chaos: load through node 3's gateway while PostgreSQL and RabbitMQ are held down (report in $STATE/cluster-chaos/)"
  (cd "$ROOT" && BODYCAM_DEMO_PASSWORD="${BODYCAM_DEMO_PASSWORD:-demo}" \
      dotnet "$ROOT/infra/bench/BodyCam.Bench/bin/$CONFIGURATION/net10.0/BodyCam.Bench.dll" chaos --outages-only "$@" \
      --gateway "http://$(cl_ip 3):8080/" --bodycam "$ROOT/bodycam cluster" --out "$STATE/cluster-chaos")
}

cmd_cluster() {
  case "${1:-}" in
    up) shift; cluster_up "$@" ;;
    kill) shift; cluster_kill "$@" ;;
    fault) shift; cluster_fault "$@" ;;
    chaos) shift; cluster_chaos "$@" ;;
    status) cluster_status ;;
    down) cluster_down ;;
    *) die "cluster up [--nodes N] | kill N | fault pg-stop|pg-start|rabbit-stop|rabbit-start | chaos [--seconds N] | status | down" ;;
  esac
}
