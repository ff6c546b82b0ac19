#!/usr/bin/env bash
# The three workers of the order workflow (OrderCallbackStateMachine), each
# answering Step Functions with the AWS CLI once it has done its part:
#
#   order-service     takes each message off the local SQS queue
#                     OrderMetadataQueue ({"order_id", "TaskToken"}) and answers
#                     send-task-success with the order's contents
#                     {"widget": "2", "gadget": "1"}
#   shipping-service  the "Lambda" the workflow invokes with .waitForTaskToken
#                     at http://127.0.0.1:$SHIPPING_SERVICE_PORT/shipping-service
#                     (shipping_service.py): it answers 202 at once and, once
#                     shipped, send-task-success with {"tracking_number": "TRK-<order_id>"}
#   notifications     subscribes to the local SNS topic OrderNotifications and
#                     answers each message ({"order_id", "tracking_number",
#                     "TaskToken"}) with send-task-success {"delivered": true}
#
# Usage: examples/order-callbacks/worker.sh [order-service|shipping-service|notifications|all]   (all by default)
# Settings: REDIS_URL, SFN_ENDPOINT_URL, AWS_CLI (see examples/worker-common.sh),
# SHIPPING_SERVICE_PORT (8090), SHIPPING_DELAY_SECONDS (1: how long shipping takes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../worker-common.sh"
own_process_group "$@"
export SHIPPING_SERVICE_PORT="${SHIPPING_SERVICE_PORT:-8090}" SHIPPING_DELAY_SECONDS="${SHIPPING_DELAY_SECONDS:-1}"

order_service() {
  worker_name=order-service
  log "waiting for messages on OrderMetadataQueue ($REDIS_URL)"
  while true; do
    local record token order_id
    record=$(next_queue_message OrderMetadataQueue)
    token=$(json_field Body TaskToken <<<"$record")
    order_id=$(json_field Body order_id <<<"$record")
    log "looking up order $order_id"
    stepfunctions send-task-success --task-token "$token" --task-output '{"widget": "2", "gadget": "1"}' \
      && log "answered send-task-success for order $order_id" || log "send-task-success was refused"
  done
}

shipping_service() {
  exec python3 "$here/shipping_service.py"
}

notify_customer() {
  local message="$1" token order_id
  token=$(json_field TaskToken <<<"$message")
  order_id=$(json_field order_id <<<"$message")
  log "telling the customer that order $order_id ships as $(json_field tracking_number <<<"$message")"
  stepfunctions send-task-success --task-token "$token" --task-output '{"delivered": true}' \
    && log "answered send-task-success for order $order_id" || log "send-task-success was refused"
}

notifications() {
  worker_name=notifications
  log "subscribed to OrderNotifications ($REDIS_URL)"
  each_topic_message OrderNotifications notify_customer
}

case "${1:-all}" in
  order-service) run_worker order_service ;;
  shipping-service) shipping_service ;;
  notifications) run_worker notifications ;;
  all)
    order_service &
    shipping_service &
    notifications &
    wait -n || true   # one of them stopped: stop the others too
    kill -TERM -- -$$ 2>/dev/null
    ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) echo "error: unknown worker '$1' (see --help)" >&2; exit 2 ;;
esac
