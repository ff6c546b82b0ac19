# Sourced by the example workers: their settings, the AWS CLI pointed at the
# loan-processor, reading the local queues and topics, and stopping cleanly.
#
# Settings (environment):
#   REDIS_URL         the loan-processor's Redis           (redis://127.0.0.1:6379)
#   SFN_ENDPOINT_URL  the loan-processor's Step Functions API (http://127.0.0.1:8080)
#   AWS_CLI           the AWS CLI to run                    (aws)
# Credentials and a region must exist for the AWS CLI but are not checked:
# test/test/us-east-1 unless set.

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export SFN_ENDPOINT_URL="${SFN_ENDPOINT_URL:-http://127.0.0.1:8080}"
export AWS_CLI="${AWS_CLI:-aws}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}" AWS_PAGER=""

# Runs the worker in a process group of its own (unless it leads one already,
# as a job of an interactive shell does), so that stopping it (SIGTERM, or
# Ctrl-C) stops everything it started, the redis-cli blocked on Redis included.
# Call it first, with the script's arguments.
own_process_group() {
  local stat
  read -r -a stat < /proc/$$/stat
  if [ "${stat[4]}" != "$$" ]; then
    exec setsid "$0" "$@"
  fi
  trap 'trap "" INT TERM; kill -TERM -- -$$ 2>/dev/null; exit 0' INT TERM
}

# run_worker <function> [arguments...]: runs the worker's loop in the background and waits for it, so that a stop
# signal is handled at once (bash puts a trap off while a foreground command, a redis-cli waiting on Redis, runs).
run_worker() {
  "$@" &
  wait "$!"
}

log() {
  echo "[$(date +%H:%M:%S)] $worker_name: $*" >&2
}

# stepfunctions <command> [arguments...]: the AWS CLI's stepfunctions command against the loan-processor.
stepfunctions() {
  "$AWS_CLI" stepfunctions "$@" --endpoint-url "$SFN_ENDPOINT_URL"
}

# json_field <member>...: prints the value at that path of the JSON on stdin (a string as is, anything else as
# JSON). A string met on the way that holds JSON text is read as JSON: json_field Body TaskToken.
json_field() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for member in sys.argv[1:]:
    value = (json.loads(value) if isinstance(value, str) else value)[member]
print(value if isinstance(value, str) else json.dumps(value))' "$@"
}

# A cluster's REDIS_URL names several seed nodes: redis-cli gets the first one, and -c follows the cluster's
# redirections (a queue's key may live on another node; SUBSCRIBE hears what is published on any node).

# next_queue_message <QueueName>: waits for the oldest message on the local SQS queue, takes it off and prints its
# record ({"MessageId", "MD5OfBody", "Body", "Attributes", ...}).
next_queue_message() {
  redis-cli -c -u "${REDIS_URL%%,*}" --raw BLPOP "sqs:$1" 0 | tail -n 1
}

# each_topic_message <TopicName> <handler>: subscribes to the local SNS topic and calls handler with each message
# published from then on (SNS delivers only to those subscribed when a message is published).
each_topic_message() {
  local kind channel message seed="${REDIS_URL%%,*}"
  redis-cli -c -u "$seed" --raw SUBSCRIBE "sns:$1" | while read -r kind && read -r channel && read -r message; do
    if [ "$kind" = message ]; then
      "$2" "$message"
    fi
  done
}
