#!/usr/bin/env bash
# The worker of the Step Functions workshop's module 4 ("Wait for a Callback
# with the Task Token"), in the role of its CallbackWithTaskToken Lambda: it
# takes each message off the local SQS queue WaitForCallbackQueue, reads the
# TaskToken in its body and answers Step Functions with the AWS CLI:
#   aws stepfunctions send-task-success --task-token <token> \
#       --task-output '"Callback task completed successfully."'
#
# Usage: examples/wait-for-callback/worker.sh [--fail] [--once]
#   --fail  answer send-task-failure (error CallbackTaskFailed, cause "Callback
#           task failed.") instead: the state machine catches it (States.ALL)
#           and goes to Notify Failure
#   --once  handle one message, then exit
# Settings: REDIS_URL, SFN_ENDPOINT_URL, AWS_CLI (see examples/worker-common.sh).
set -euo pipefail
source "$(dirname "$0")/../worker-common.sh"
own_process_group "$@"
worker_name=wait-for-callback-worker

outcome=success
once=false
for argument in "$@"; do
  case "$argument" in
    --fail) outcome=failure ;;
    --once) once=true ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$argument' (see --help)" >&2; exit 2 ;;
  esac
done

answer_messages() {
  log "waiting for messages on WaitForCallbackQueue ($REDIS_URL)"
  while true; do
    local record token
    record=$(next_queue_message WaitForCallbackQueue)
    token=$(json_field Body TaskToken <<<"$record")
    log "received $(json_field MessageId <<<"$record"): $(json_field Body MessageTitle <<<"$record")"
    if [ "$outcome" = failure ]; then
      stepfunctions send-task-failure --task-token "$token" --error CallbackTaskFailed --cause "Callback task failed." \
        && log "answered send-task-failure" || log "send-task-failure was refused"
    else
      stepfunctions send-task-success --task-token "$token" --task-output '"Callback task completed successfully."' \
        && log "answered send-task-success" || log "send-task-success was refused"
    fi
    if $once; then
      break
    fi
  done
}

run_worker answer_messages
