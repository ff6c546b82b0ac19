#!/usr/bin/env bash
# End-to-end test of docker-compose.yml: builds the images, starts the stack on
# non-default ports with a short TIME_SCALE, runs one loan application through
# the Step Functions API and checks it SUCCEEDED, then removes the stack and
# its volume (also on failure). Prints a final PASS or FAIL line.
#
# Prepares the machine as needed: installs docker.io / docker-compose from apt
# when missing, starts dockerd in the background when no daemon answers (left
# running afterwards; log in $DOCKERD_LOG), and builds debian:bookworm-slim
# locally with scripts/make-base-image.sh (debootstrap) when it cannot be pulled.
#
# Environment (all optional):
#   COMPOSE                    compose command; default `docker compose` if it
#                              works, else `docker-compose`
#   TEST_LOAN_PROCESSOR_PORT   published port to use (default 18080, or the next free one)
#   TEST_VALUATION_SERVICE_PORT                        (default 18081, or the next free one)
#   TEST_TIME_SCALE            TIME_SCALE for the stack (default 0.2)
#   DOCKERD_ARGS               extra dockerd flags, e.g. --storage-driver=vfs
#   DOCKERD_LOG                dockerd log file (default /tmp/dockerd.log)
#   KEEP_STACK=1               do not tear the stack down (for debugging)
#   TEST_CLUSTER_PROFILE=1     also the profile "cluster": the six-node Redis Cluster made by
#                              redis-cluster-create, and the same checks through loan-processor-cluster
#   TEST_CLUSTER_LOAN_PROCESSOR_PORT, TEST_CLUSTER_VALUATION_SERVICE_PORT (default: the next free ones)
set -euo pipefail
cd "$(dirname "$0")/.."

time_scale="${TEST_TIME_SCALE:-0.2}"
dockerd_log="${DOCKERD_LOG:-/tmp/dockerd.log}"
project="tasktokentest$$"
started_at=$(date +%s)
compose=()
stack_up=0

log() { printf '[test-compose %3ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
apt_install() {
  log "installing from apt: $*"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Runs "$@" until it succeeds or $1 seconds have passed.
wait_for() {
  local seconds="$1" deadline
  shift
  deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}

finish() {
  local status=$?
  set +e
  if [ "$stack_up" -eq 1 ]; then
    if [ "$status" -ne 0 ]; then
      log "service status and logs:"
      timeout 60 "${compose[@]}" ps >&2
      timeout 60 "${compose[@]}" logs --no-color --tail=60 >&2
    fi
    if [ "${KEEP_STACK:-0}" = "1" ]; then
      log "KEEP_STACK=1: leaving project $project running; remove it with: ${compose[*]} down -v"
    else
      log "tearing down (down -v)"
      timeout 120 "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 ||
        log "warning: '${compose[*]} down -v' failed"
    fi
  fi
  local elapsed=$(( $(date +%s) - started_at ))
  if [ "$status" -eq 0 ]; then
    echo "PASS: docker compose end-to-end test (${elapsed}s)"
  else
    echo "FAIL: docker compose end-to-end test (exit $status, ${elapsed}s)"
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Docker daemon -----------------------------------------------------------
command -v docker >/dev/null 2>&1 || apt_install docker.io
if ! timeout 20 docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  [ "$(id -u)" -eq 0 ] || fail "no Docker daemon answers and starting one needs root"
  log "starting dockerd ${DOCKERD_ARGS:-} (log: $dockerd_log)"
  # shellcheck disable=SC2086
  nohup dockerd ${DOCKERD_ARGS:-} >"$dockerd_log" 2>&1 &
  if ! wait_for 60 timeout 10 docker info; then
    tail -n 30 "$dockerd_log" >&2
    fail "dockerd did not come up within 60s (see $dockerd_log; try DOCKERD_ARGS=--storage-driver=vfs)"
  fi
fi
log "docker server $(docker version -f '{{.Server.Version}}' 2>/dev/null)"

# --- Compose command ---------------------------------------------------------
if [ -n "${COMPOSE:-}" ]; then
  read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  apt_install docker-compose
  compose=(docker-compose)
fi
log "compose: ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || echo '?'))"
compose+=(-f "$PWD/docker-compose.yml" -p "$project")

# --- Base image --------------------------------------------------------------
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  log "debian:bookworm-slim missing; trying to pull it"
  if ! timeout 120 docker pull debian:bookworm-slim >/dev/null 2>&1; then
    log "pull failed; building it with debootstrap (scripts/make-base-image.sh)"
    scripts/make-base-image.sh || fail "could not build debian:bookworm-slim"
  fi
fi

# --- Tools for the checks ----------------------------------------------------
command -v curl >/dev/null 2>&1 || apt_install curl
command -v jq >/dev/null 2>&1 || apt_install jq

# Free TCP port at or after $1 on this host.
free_port() {
  local port="$1"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$(( port + 1 ))
  done
  echo "$port"
}
lp_port="${TEST_LOAN_PROCESSOR_PORT:-$(free_port 18080)}"
vs_port="${TEST_VALUATION_SERVICE_PORT:-$(free_port $(( lp_port + 1 )))}"
export LOAN_PROCESSOR_PORT="$lp_port" VALUATION_SERVICE_PORT="$vs_port" TIME_SCALE="$time_scale"
if [ "${TEST_CLUSTER_PROFILE:-0}" = 1 ]; then
  cluster_lp_port="${TEST_CLUSTER_LOAN_PROCESSOR_PORT:-$(free_port $(( vs_port + 1 )))}"
  cluster_vs_port="${TEST_CLUSTER_VALUATION_SERVICE_PORT:-$(free_port $(( cluster_lp_port + 1 )))}"
  export CLUSTER_LOAN_PROCESSOR_PORT="$cluster_lp_port" CLUSTER_VALUATION_SERVICE_PORT="$cluster_vs_port"
  compose+=(--profile cluster)
fi
# Signed callbacks with a secret of this run (the compose file's default is a published development value).
CALLBACK_SIGNING_SECRET="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export CALLBACK_SIGNING_SECRET

# --- Build and start ---------------------------------------------------------
log "building images"
timeout 1800 "${compose[@]}" build >&2 || fail "image build failed"

log "starting project $project (ports $lp_port/$vs_port, TIME_SCALE=$time_scale)"
stack_up=1
timeout 300 "${compose[@]}" up -d >&2 || fail "'up -d' failed"

service_health() {
  local id
  id="$("${compose[@]}" ps -q "$1" 2>/dev/null)"
  [ -n "$id" ] || { echo missing; return; }
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null ||
    echo missing
}
all_healthy() {
  local service
  for service in redis valuation-service loan-processor; do
    [ "$(service_health "$service")" = healthy ] || return 1
  done
}
if ! wait_for 120 all_healthy; then
  for service in redis valuation-service loan-processor; do
    log "$service: $(service_health "$service")"
  done
  fail "services not healthy within 120s"
fi
log "all services healthy"

lp="http://127.0.0.1:$lp_port"
vs="http://127.0.0.1:$vs_port"
for url in "$lp/health" "$vs/health"; do
  wait_for 30 curl -fsS --max-time 5 "$url" || fail "GET $url did not answer 200 through the published port"
  curl -fsS --max-time 5 "$url" | jq -e '.status == "ok"' >/dev/null || fail "GET $url: status is not \"ok\""
done

# The web console is served by the loan-processor itself, through the same published port.
curl -fsS --max-time 5 "$lp/" | grep -q '<html' || fail "GET $lp/ did not serve the web console"
curl -fsS --max-time 5 "$lp/console/api/graph?stateMachineArn=arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine" |
  jq -e '[.nodes[].id] | index("RequestValuation") != null' >/dev/null || fail "the console's graph view did not answer"
log "web console served on $lp/"

# --- Happy path --------------------------------------------------------------
sfn() { # sfn ACTION JSON_BODY
  curl -sS --max-time 10 -X POST "$lp/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: AWSStepFunctions.$1" -d "$2"
}
# Runs one loan application through the loan-processor at $lp (SUCCEEDED, with a property value; sets
# valuation_reference) and checks that an unsigned callback is refused.
happy_path() {
  input='{"applicationReference":"app-ref","property":{"nameOrNumber":"999","postcode":"PO1 1CE"}}'
  start_body="$(jq -cn --arg input "$input" \
    '{stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine", input: $input}')"
  response="$(sfn StartExecution "$start_body")" || fail "StartExecution request failed"
  execution_arn="$(jq -r '.executionArn // empty' <<<"$response" 2>/dev/null)" || true
  [ -n "$execution_arn" ] || fail "StartExecution returned no executionArn: $response"
  log "started $execution_arn"

  describe_body="$(jq -cn --arg arn "$execution_arn" '{executionArn: $arn}')"
  status=""
  deadline=$(( $(date +%s) + 60 ))
  while :; do
    description="$(sfn DescribeExecution "$describe_body")" || fail "DescribeExecution request failed"
    status="$(jq -r '.status // empty' <<<"$description" 2>/dev/null)" || true
    case "$status" in
      SUCCEEDED) break ;;
      RUNNING) ;;
      *) fail "execution ended with status '${status}': $description" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "execution still $status after 60s"
    sleep 0.5
  done
  output="$(jq -r '.output // empty' <<<"$description")"
  log "SUCCEEDED, output: $output"
  jq -e '.propertyValue != null' <<<"$output" >/dev/null 2>&1 || fail "output has no propertyValue"
  valuation_reference="$(jq -r '.valuationReference // empty' <<<"$output" 2>/dev/null)" || true
  [ -n "$valuation_reference" ] || fail "output has no valuationReference"

  # --- Signed callbacks: the happy path above was signed; an unsigned one is refused ---
  forged_status="$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST "$lp/valuation-callback" \
    -H 'Content-Type: application/json' -d "{\"valuationReference\":\"$valuation_reference\",\"propertyValue\":1}")"
  [ "$forged_status" = 401 ] || fail "an unsigned callback got HTTP $forged_status, not 401"
  log "an unsigned callback is refused with 401"
}
happy_path

# --- Redis -------------------------------------------------------------------
redis_cli() { timeout 30 "${compose[@]}" exec -T redis redis-cli "$@" | tr -d '\r'; }
[ "$(redis_cli CONFIG GET appendonly | sed -n 2p)" = yes ] || fail "Redis appendonly is not on"
# The loan-processor keeps the task token under valuation:<valuationReference>
# (with a TTL) while it waits for the callback; the key outlives the callback.
key="valuation:$valuation_reference"
[ "$(redis_cli EXISTS "$key")" = 1 ] || fail "Redis key $key does not exist"
log "Redis key $key exists (TTL $(redis_cli TTL "$key")s)"

# --- Profile "cluster" ---------------------------------------------------------
if [ "${TEST_CLUSTER_PROFILE:-0}" = 1 ]; then
  creator_exited() { [ "$(service_health redis-cluster-create)" = exited ]; }
  wait_for 120 creator_exited || fail "redis-cluster-create did not finish within 120s"
  creator="$("${compose[@]}" ps -q redis-cluster-create)"
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$creator")" = 0 ] || fail "redis-cluster-create failed"
  for node in 1 2 3 4 5 6; do
    state="$(timeout 30 "${compose[@]}" exec -T "redis-node-$node" redis-cli cluster info | tr -d '\r' |
      sed -n 's/^cluster_state://p')"
    [ "$state" = ok ] || fail "redis-node-$node says cluster_state:$state"
  done
  log "the six nodes say cluster_state:ok"
  cluster_healthy() {
    [ "$(service_health valuation-service-cluster)" = healthy ] &&
      [ "$(service_health loan-processor-cluster)" = healthy ]
  }
  wait_for 120 cluster_healthy || fail "the cluster profile's servers not healthy within 120s"
  lp="http://127.0.0.1:$cluster_lp_port"
  happy_path
  key="valuation:$valuation_reference"
  [ "$(timeout 30 "${compose[@]}" exec -T redis-node-1 redis-cli -c EXISTS "$key" | tr -d '\r')" = 1 ] ||
    fail "Redis key $key does not exist in the cluster"
  log "the cluster profile ran the happy path; $key is in the cluster"
fi
