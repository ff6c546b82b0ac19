#!/usr/bin/env bash
# Runs one of the callback examples from start to end: installs what is
# missing, builds, starts a private Redis and a loan-processor that loads the
# examples' definitions, starts the example's worker, starts an execution
# with the AWS CLI, waits for it to end and prints its status, output, history
# and the messages on the example's topic. Then stops everything it started.
#
# Usage: examples/run.sh order-callbacks|wait-for-callback [--fail]
#   order-callbacks    SQS -> Lambda (a URL) -> SNS, each .waitForTaskToken
#   wait-for-callback  the Step Functions workshop's module 4; with --fail the
#                      worker answers send-task-failure and the Catch notifies
#                      the failure
#
# Settings (environment): LOAN_PROCESSOR_PORT (8080), SHIPPING_SERVICE_PORT
# (8090), AWS_CLI (aws).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

example="${1:-}"
shift || true
worker_arguments=("$@")
case "$example" in
  order-callbacks) machine=OrderCallbackStateMachine; input='{"order_id": "order-1"}'; topic=OrderNotifications ;;
  wait-for-callback) machine=WaitForCallbackStateMachine; input='{}'; topic=WaitForCallbackTopic ;;
  -h|--help|"") sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "error: unknown example '$example': use order-callbacks or wait-for-callback" >&2; exit 2 ;;
esac

scripts/install-deps.sh --examples
echo "Building..."
BUILD_DIR=build scripts/build.sh

export LOAN_PROCESSOR_PORT="${LOAN_PROCESSOR_PORT:-8080}" SHIPPING_SERVICE_PORT="${SHIPPING_SERVICE_PORT:-8090}"
export SFN_ENDPOINT_URL="http://127.0.0.1:${LOAN_PROCESSOR_PORT}"
source "$root/examples/worker-common.sh"
work=$(mktemp -d -t example-XXXXXX)
pids=()
stop_everything() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "Stopped. The servers' logs are in $work"
}
trap stop_everything EXIT INT TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$LOAN_PROCESSOR_PORT" "$SHIPPING_SERVICE_PORT"; do
  if port_in_use "$port"; then
    echo "error: port $port is in use; set LOAN_PROCESSOR_PORT / SHIPPING_SERVICE_PORT to free ports" >&2
    exit 1
  fi
done

# A private Redis, and a loan-processor loading both examples' definitions.
redis_port=6390
while port_in_use "$redis_port"; do redis_port=$((redis_port + 1)); done
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save "" >"$work/redis.log" 2>&1 &
pids+=($!)
export REDIS_URL="redis://127.0.0.1:${redis_port}"
mkdir -p "$work/state-machines"
cp examples/*/*.asl.json "$work/state-machines/"
sed -i "s/127.0.0.1:8090/127.0.0.1:${SHIPPING_SERVICE_PORT}/" "$work/state-machines/OrderCallbackStateMachine.asl.json"
for _ in $(seq 1 100); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
STATE_MACHINES_DIR="$work/state-machines" build/loan-processor/loan-processor >"$work/loan-processor.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "$SFN_ENDPOINT_URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
echo "loan-processor on $SFN_ENDPOINT_URL, Redis on $REDIS_URL"

examples/"$example"/worker.sh "${worker_arguments[@]}" &
pids+=($!)
if [ "$example" = order-callbacks ]; then   # SNS delivers only to those subscribed when a message is published
  for _ in $(seq 1 100); do
    [ "$(redis-cli -u "$REDIS_URL" --raw PUBSUB NUMSUB "sns:$topic" | tail -n 1)" = 1 ] \
      && port_in_use "$SHIPPING_SERVICE_PORT" && break
    sleep 0.1
  done
fi

arn="arn:aws:states:${AWS_DEFAULT_REGION}:123456789012:stateMachine:${machine}"
echo "aws stepfunctions start-execution --state-machine-arn $arn --input '$input'"
execution=$(stepfunctions start-execution --state-machine-arn "$arn" --input "$input" \
  --query executionArn --output text)
status=RUNNING
for _ in $(seq 1 120); do
  status=$(stepfunctions describe-execution --execution-arn "$execution" --query status --output text)
  [ "$status" != RUNNING ] && break
  sleep 0.5
done

echo
echo "== $execution: $status"
stepfunctions describe-execution --execution-arn "$execution" --query '{output: output, error: error, cause: cause}'
echo "== history"
stepfunctions get-execution-history --execution-arn "$execution" --output text --query \
  'events[].[id, type, stateEnteredEventDetails.name || taskScheduledEventDetails.resourceType || taskFailedEventDetails.error || `""`, taskScheduledEventDetails.resource || taskFailedEventDetails.cause || `""`]'
echo "== messages on the topic $topic (redis-cli XRANGE sns:$topic - +)"
redis-cli -u "$REDIS_URL" --raw XRANGE "sns:$topic" - + | grep -A1 -x Message | grep -v -x -e Message -e --
