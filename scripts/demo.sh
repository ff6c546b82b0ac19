#!/usr/bin/env bash
# The blog's story in one command: installs what is missing, builds, starts a
# private Redis (unless REDIS_URL is set) and both servers, submits the
# sample loan application, shows it waiting for the valuation callback, then
# prints the result and the execution history. It prints the web console's
# URL first (the same story, live, in a browser) and, on a terminal, waits up
# to 15 s for Enter so that there is time to open it. The services stay up
# for exploring until Ctrl-C, which stops everything this script started.
#
# Usage: scripts/demo.sh [--scenario NAME]
#   NAME is one of the follow-up post's stories (the valuation service's switch):
#     prompt     the callback arrives after 6 s: SUCCEEDED          ('999')
#     late       it arrives after 45 s, the task timed out at 30 s   ('Late callback')
#     duplicate  it arrives twice: the second gets TaskTimedOut      ('Duplicate response')
#     none       it never arrives: timeout, error topic, FAILED       ('No callback')
#     unknown    it names an unknown reference: 404, then timeout     ('Unknown reference')
#     failed     it reports failed: true: SendTaskFailure, FAILED    ('Failed response')
#     forged     someone who learnt the valuationReference sends a forged callback first: 401
#                InvalidSignature, published to the error topic, the execution still waits; the real,
#                signed callback then completes it: SUCCEEDED                            ('999')
#     portfolio  issue 16's workflow, several callbacks at once: a loan secured on three properties; a Map
#                values each through the valuation service with its own callback (three tokens wait in
#                Redis at once) while an underwriter activity, played by the script, approves in a
#                parallel branch: SUCCEEDED                    (LoanPortfolioStateMachine)
#     redrive    issue 18's RedriveExecution: the valuation service is down, no callback comes, the
#                valuation request times out and the execution ends FAILED at RequestValuation; the service
#                is started again and the execution is redriven (RedriveExecution): RequestValuation runs
#                again with the same input, the callback arrives: SUCCEEDED, in one history. It runs a copy
#                of the blog's machine, LoanProcessorRedriveDemo, whose RequestValuation times out after 10 s
#                and does not catch States.Timeout (a caught failure ends in a Fail state, which a redrive
#                would enter again)
#     all        the nine, one after the other
#   Without --scenario the blog's story runs (the same as prompt).
#
# Settings (environment): LOAN_PROCESSOR_PORT (8080), VALUATION_SERVICE_PORT
# (8081), REDIS_URL (a private redis-server by default), TIME_SCALE (1.0),
# VALUATION_DELAY_SECONDS (6), DEMO_EXIT_AFTER_STORY=1 to stop after the story,
# CALLBACK_SIGNING_SECRET (a random one by default: the valuation service signs
# its callbacks with it and the loan-processor refuses any that is not signed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scenario=prompt
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario="${2:-}"; shift 2 || { echo "error: --scenario needs a name" >&2; exit 2; } ;;
    --scenario=*) scenario="${1#--scenario=}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
# name_or_number, then the error-topic descriptions the story ends with.
scenario_switch() {
  case "$1" in
    prompt) echo "999" ;;
    late) echo "Late callback" ;;
    duplicate) echo "Duplicate response" ;;
    none) echo "No callback" ;;
    unknown) echo "Unknown reference" ;;
    failed) echo "Failed response" ;;
    forged) echo "999" ;;
    *) return 1 ;;
  esac
}
scenario_messages() { # how many error-topic messages the story ends with
  case "$1" in
    prompt) echo 0 ;; duplicate|none|failed|forged) echo 1 ;; late|unknown) echo 2 ;;
  esac
}
if [ "$scenario" = all ]; then
  scenarios=(prompt late duplicate none unknown failed forged portfolio redrive)
elif [ "$scenario" = portfolio ] || [ "$scenario" = redrive ] || scenario_switch "$scenario" >/dev/null; then
  scenarios=("$scenario")
else
  echo "error: unknown scenario '$scenario': use prompt, late, duplicate, none, unknown, failed, forged, portfolio," \
    "redrive or all" >&2
  exit 2
fi

scripts/install-deps.sh
echo "Building..."
BUILD_DIR=build scripts/build.sh

export LOAN_PROCESSOR_PORT="${LOAN_PROCESSOR_PORT:-8080}"
export VALUATION_SERVICE_PORT="${VALUATION_SERVICE_PORT:-8081}"
export TIME_SCALE="${TIME_SCALE:-1.0}"
export VALUATION_SERVICE_URL="${VALUATION_SERVICE_URL:-http://127.0.0.1:${VALUATION_SERVICE_PORT}/valuation-request}"
export CALLBACK_URL="${CALLBACK_URL:-http://127.0.0.1:${LOAN_PROCESSOR_PORT}/valuation-callback}"
# Callbacks are signed (X-Valuation-Signature); a fresh random secret per run unless one is given.
export CALLBACK_SIGNING_SECRET="${CALLBACK_SIGNING_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"
export STATE_MACHINES_DIR="${STATE_MACHINES_DIR:-$root/loan-processor/state-machines}"
api="http://127.0.0.1:${LOAN_PROCESSOR_PORT}/"
logs="$root/demo-data/logs"
mkdir -p "$logs"

pids=()
stop_everything() {
  trap - EXIT INT TERM
  echo
  echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped. Logs are in $logs; Redis data (append-only file) in $root/demo-data/redis."
}
trap stop_everything EXIT INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # url, what, pid
  for _ in $(seq 1 100); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    if ! kill -0 "$3" 2>/dev/null; then
      echo "error: $2 stopped; its log ($logs/$2.log) ends with:" >&2
      tail -n 3 "$logs/$2.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "error: $2 did not become healthy within 10 s; see $logs" >&2
  exit 1
}

for port in "$LOAN_PROCESSOR_PORT" "$VALUATION_SERVICE_PORT"; do
  if port_in_use "$port"; then
    echo "error: port $port is in use; set LOAN_PROCESSOR_PORT / VALUATION_SERVICE_PORT to free ports" >&2
    exit 1
  fi
done

if [ -z "${REDIS_URL:-}" ]; then
  redis_port=6380
  while port_in_use "$redis_port"; do redis_port=$((redis_port + 1)); done
  mkdir -p "$root/demo-data/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$root/demo-data/redis" \
    --appendonly yes --appendfsync everysec --save "" --hash-max-listpack-value 512 >"$logs/redis.log" 2>&1 &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:${redis_port}"
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "Private Redis on $REDIS_URL (append-only file in demo-data/redis)"
fi

start_valuation_service() {
  build/valuation-service/valuation-service >>"$logs/valuation-service.log" 2>&1 &
  valuation_pid=$!
  pids+=($valuation_pid)
}
: >"$logs/valuation-service.log"
start_valuation_service
build/loan-processor/loan-processor >"$logs/loan-processor.log" 2>&1 &
loan_pid=$!
pids+=($loan_pid)
wait_for "http://127.0.0.1:${VALUATION_SERVICE_PORT}/health" valuation-service $valuation_pid
wait_for "http://127.0.0.1:${LOAN_PROCESSOR_PORT}/health" loan-processor $loan_pid
echo "valuation-service on http://127.0.0.1:${VALUATION_SERVICE_PORT}, loan-processor on $api"
echo
echo "Web console: $api   (open it to watch the execution wait for its callback, live)"
if [ -t 0 ] && [ "${DEMO_EXIT_AFTER_STORY:-0}" != 1 ]; then
  read -r -t 15 -p "Press Enter to start the story (it starts by itself in 15 s)... " _ || echo
fi

sfn() { # operation, JSON body
  curl -sS -X POST "$api" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: AWSStepFunctions.$1" -d "$2"
}

machine="arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine"
topic="sns:LoanProcessorErrorTopic"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }
now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
topic_messages_since() { # stream id: the messages published after it, one JSON message per line
  redis-cli -u "$REDIS_URL" --json XRANGE "$topic" "($1" + | python3 -c '
import json, sys
for entry_id, fields in json.load(sys.stdin) or []:
    print(dict(zip(fields[0::2], fields[1::2]))["Message"])'
}

# The forged story: a callback for the waiting task, signed with a guessed secret, then the execution's status.
forge_callback() { # token key (valuation:<reference>), execution ARN
  local body t signature answer status
  body="{\"valuationReference\":\"${1#valuation:}\",\"propertyValue\":1}"
  t=$(date +%s)
  if command -v openssl >/dev/null 2>&1; then
    signature="t=$t,v1=$(printf '%s' "$t.$body" | openssl dgst -sha256 -hmac a-guessed-secret | sed 's/.* //')"
  else
    signature="t=$t,v1=$(python3 -c 'import hashlib, hmac, sys
print(hmac.new(b"a-guessed-secret", sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$t.$body")"
  fi
  answer=$(curl -sS -w ' (HTTP %{http_code})' -X POST "${api}valuation-callback" -H 'Content-Type: application/json' \
    -H "X-Valuation-Signature: $signature" -d "$body")
  status=$(field "$(sfn DescribeExecution "{\"executionArn\":\"$2\"}")" status)
  printf '\r\033[K'
  echo "  Forged callback $body"
  echo "    with X-Valuation-Signature: $signature"
  echo "    answer: $answer"
  if [ "$status" = RUNNING ]; then
    echo "  The execution is still RUNNING: the task waits for the real, signed callback."
  else
    echo "  (The real callback had already arrived: the execution is $status. A larger TIME_SCALE shows the wait.)"
  fi
}

print_story_history() { # DescribeExecution answer, execution ARN: the output or error, then the history as a table
  python3 - "$1" "$(sfn GetExecutionHistory "{\"executionArn\":\"$2\"}")" <<'PYTHON'
import datetime, json, sys
description, history = json.loads(sys.argv[1]), json.loads(sys.argv[2])
if "output" in description:
    print("Output:", description["output"])
if "error" in description:
    print("Error:", description.get("error"), description.get("cause", ""))
print()
print(f"{'ID':>3}  {'Type':<24} {'Timestamp (UTC)':<23} {'Elapsed':>9}  Details")
start = history["events"][0]["timestamp"]
for event in history["events"]:
    details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    summary = details.get("name") or details.get("output") or details.get("error") or details.get("resource") or ""
    when = datetime.datetime.fromtimestamp(event["timestamp"], datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
    print(f"{event['id']:>3}  {event['type']:<24} {when:<23} {(event['timestamp'] - start) * 1000:7.0f} ms  {summary[:80]}")
PYTHON
}

# The portfolio story (issue 16): several callbacks at once. A loan secured on three properties: a Map values each
# property through the valuation service, each iteration waiting for its own callback under its own token, while an
# underwriter (an activity worker, played here) takes the credit decision in a parallel branch.
portfolio_machine="arn:aws:states:us-east-1:123456789012:stateMachine:LoanPortfolioStateMachine"
underwriter="arn:aws:states:us-east-1:123456789012:activity:LoanUnderwriter"
start_story_execution() { # state machine ARN, loan application (JSON): starts an execution; sets arn
  local input started
  input=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2")
  echo "Submitting the loan application: $2"
  started=$(sfn StartExecution "{\"stateMachineArn\":\"$1\",\"input\":$input}")
  arn=$(field "$started" executionArn)
  echo "Execution: $arn"
}

waiting_valuation_tokens() { # execution ARN: how many of its valuationReferences still have a token in Redis
  local reference count=0
  for reference in $(sfn GetExecutionHistory "{\"executionArn\":\"$1\",\"maxResults\":1000}" | python3 -c '
import json, sys
for event in json.load(sys.stdin)["events"]:
    if event["type"] == "TaskSubmitted" and "Payload" in event["taskSubmittedEventDetails"]["output"]:
        print(json.loads(event["taskSubmittedEventDetails"]["output"])["Payload"]["valuationReference"])'); do
    [ "$(redis-cli -u "$REDIS_URL" EXISTS "valuation:$reference")" = 1 ] && count=$((count + 1))
  done
  echo "$count"
}
run_portfolio_story() {
  local application arn begin status description elapsed waiting task token decided=0
  echo
  echo "=== Scenario 'portfolio': three properties valued at once, each with its own callback, and an underwriter ==="
  sfn CreateActivity "{\"name\":\"LoanUnderwriter\"}" >/dev/null
  application='{"applicationReference":"app-portfolio","properties":[{"nameOrNumber":"1","postcode":"PO1 1CE"},{"nameOrNumber":"2","postcode":"PO2 2CE"},{"nameOrNumber":"3","postcode":"PO3 3CE"}]}'
  start_story_execution "$portfolio_machine" "$application"
  begin=$(now)
  status=RUNNING
  while [ "$status" = RUNNING ]; do
    description=$(sfn DescribeExecution "{\"executionArn\":\"$arn\"}")
    status=$(field "$description" status)
    [ "$status" = RUNNING ] || break
    elapsed=$(python3 -c "print(f'{$(now) - $begin:4.1f}')")
    waiting=$(waiting_valuation_tokens "$arn")
    if [ "$decided" = 0 ]; then
      task=$(sfn GetActivityTask "{\"activityArn\":\"$underwriter\",\"workerName\":\"demo-underwriter\"}")
      token=$(field "$task" taskToken)
      if [ -n "$token" ]; then
        printf '\r\033[K'
        echo "  The underwriter took its task (input: $(field "$task" input | cut -c1-80)...)"
        echo "  Meanwhile $waiting valuation callback token(s) of this execution wait in Redis, each under its valuation:<reference>"
        sfn SendTaskSuccess "{\"taskToken\":\"$token\",\"output\":\"{\\\"decision\\\":\\\"approved\\\"}\"}" >/dev/null
        echo "  The underwriter approved: its branch is done; the valuations' branch still waits for callbacks."
        decided=1
      fi
    fi
    printf '\r\033[K  %s s  RUNNING: %s valuation callback token(s) waiting in Redis   ' "$elapsed" "$waiting"
    sleep 0.5
  done
  printf '\r\033[K'
  echo "Status: $status"
  print_story_history "$description" "$arn"
}

# The redrive story (issue 18): the valuation service is down, the execution fails; the service comes back and
# RedriveExecution continues the execution from the failed state.
wait_status() { # execution ARN, status wanted: polls DescribeExecution until the status is no longer RUNNING
  local description status=RUNNING
  while [ "$status" = RUNNING ]; do
    sleep 0.5
    description=$(sfn DescribeExecution "{\"executionArn\":\"$1\"}")
    status=$(field "$description" status)
  done
  echo "$description"
}
run_redrive_story() {
  local definition role answer arn description redriven
  echo
  echo "=== Scenario 'redrive': the valuation service is down, the execution FAILS; fixed, it is redriven ==="
  definition=$(python3 -c '
import json, sys
machine = json.load(open(sys.argv[1]))
request = machine["States"]["RequestValuation"]
request["TimeoutSeconds"] = 10
request["Catch"] = [c for c in request["Catch"] if c["ErrorEquals"] != ["States.Timeout"]]
del machine["States"]["PublishValuationServiceTimeoutError"], machine["States"]["ValuationServiceTimedOut"]
print(json.dumps(json.dumps(machine)))' "$STATE_MACHINES_DIR/LoanProcessorStateMachine.asl.json")
  role="arn:aws:iam::123456789012:role/LoanProcessorRedriveDemoRole"
  answer=$(sfn CreateStateMachine \
    "{\"name\":\"LoanProcessorRedriveDemo\",\"definition\":$definition,\"roleArn\":\"$role\"}")
  if [[ "$answer" == *StateMachineAlreadyExists* ]]; then # a Redis kept from an earlier run: the same, updated
    answer=$(sfn UpdateStateMachine \
      "{\"stateMachineArn\":\"${machine%:*}:LoanProcessorRedriveDemo\",\"definition\":$definition}")
  fi
  [[ "$answer" != *__type* ]] || { echo "error: LoanProcessorRedriveDemo: $answer" >&2; return 1; }
  echo "The valuation service is stopped (kill $valuation_pid)."
  kill -TERM "$valuation_pid"; wait "$valuation_pid" 2>/dev/null || true
  start_story_execution "${machine%:*}:LoanProcessorRedriveDemo" \
    '{"applicationReference":"app-redrive","property":{"nameOrNumber":"999","postcode":"PO1 1CE"}}'
  description=$(wait_status "$arn")
  echo "Status: $(field "$description" status) ($(field "$description" error));" \
    "redriveStatus: $(field "$description" redriveStatus)"
  echo "The valuation service is started again."
  start_valuation_service
  wait_for "http://127.0.0.1:${VALUATION_SERVICE_PORT}/health" valuation-service $valuation_pid
  redriven=$(sfn RedriveExecution "{\"executionArn\":\"$arn\"}")
  echo "RedriveExecution: $redriven"
  description=$(wait_status "$arn")
  echo "Status: $(field "$description" status); redriveCount: $(field "$description" redriveCount)"
  print_story_history "$description" "$arn"
}

run_story() { # scenario
  local name_or_number expected application arn begin status description elapsed token_key
  local last_id count deadline forged=0
  name_or_number=$(scenario_switch "$1")
  expected=$(scenario_messages "$1")
  last_id=$(redis-cli -u "$REDIS_URL" --json XREVRANGE "$topic" + - COUNT 1 |
    python3 -c 'import json,sys; e=json.load(sys.stdin); print(e[0][0] if e else "0-0")')
  application="{\"applicationReference\":\"app-$1\",\"property\":{\"nameOrNumber\":\"$name_or_number\",\"postcode\":\"PO1 1CE\"}}"
  echo
  echo "=== Scenario '$1': the valuation service is asked to value '$name_or_number' ==="
  start_story_execution "$machine" "$application"
  begin=$(now)
  status=RUNNING
  while [ "$status" = RUNNING ]; do
    description=$(sfn DescribeExecution "{\"executionArn\":\"$arn\"}")
    status=$(field "$description" status)
    elapsed=$(python3 -c "print(f'{$(now) - $begin:4.1f}')")
    if [ "$status" = RUNNING ]; then
      token_key=$(sfn GetExecutionHistory "{\"executionArn\":\"$arn\"}" | python3 -c '
import json, sys
for event in json.load(sys.stdin)["events"]:
    if event["type"] == "TaskSubmitted" and "Payload" in event["taskSubmittedEventDetails"]["output"]:
        print("valuation:" + json.loads(event["taskSubmittedEventDetails"]["output"])["Payload"]["valuationReference"])')
      if [ "$1" = forged ] && [ "$forged" = 0 ] && [ -n "$token_key" ]; then
        forge_callback "$token_key" "$arn"
        forged=1
      fi
      printf '\r\033[K  %s s  RUNNING: RequestValuation waits for the valuation callback (times out after 30 s)%s   ' \
        "$elapsed" "${token_key:+; token under $token_key}"
      sleep 0.5
    fi
  done
  echo
  # Late and duplicate callbacks arrive after the execution has ended: wait for what the story publishes.
  deadline=$(python3 -c "print($(now) + 60 * $TIME_SCALE + 5)")
  count=$(topic_messages_since "$last_id" | wc -l)
  while [ "$count" -lt "$expected" ] && python3 -c "import sys; sys.exit(0 if $(now) < $deadline else 1)"; do
    printf '\r\033[K  waiting for the error topic: %s of %s messages so far   ' "$count" "$expected"
    sleep 0.5
    count=$(topic_messages_since "$last_id" | wc -l)
  done
  printf '\r\033[K'
  echo "Status: $status"
  print_story_history "$description" "$arn"
  echo
  echo "Error topic ($topic) messages of this story:"
  topic_messages_since "$last_id" | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
for line in lines:
    message = json.loads(line)
    extra = message.get("eventBody") or message.get("executionId") or ""
    print("  -", message.get("description"), f"  ({extra})")
if not lines:
    print("  (none)")'
}

for story in "${scenarios[@]}"; do
  if [ "$story" = portfolio ]; then
    run_portfolio_story
  elif [ "$story" = redrive ]; then
    run_redrive_story
  else
    run_story "$story"
  fi
done

echo
if [ "${DEMO_EXIT_AFTER_STORY:-0}" = 1 ]; then
  exit 0
fi
cat <<EOF2
The services stay up for exploring (Ctrl-C stops them):
  Web console:                     $api  (start applications and send callbacks by hand there)
  loan-processor API and webhook:  $api  (AWS CLI: --endpoint-url $api)
  valuation-service:               http://127.0.0.1:${VALUATION_SERVICE_PORT}/valuation-request
  Redis:                           $REDIS_URL   (redis-cli -u $REDIS_URL keys '*')
  Error topic, live:               redis-cli -u $REDIS_URL subscribe $topic
  Error topic, record:             redis-cli -u $REDIS_URL xrange $topic - +
  Logs:                            $logs
EOF2
wait "${pids[@]}"
