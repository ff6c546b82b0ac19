// The AWS requests that answer a waiting task by hand, as a user's SDK would
// send them. Pure: no DOM, no I/O.

/**
 * {operation, request} for answering taskToken: kind "success" (fields.output:
 * the JSON text sent as is, so the API judges it), "failure" (fields.error,
 * fields.cause; empty ones left out) or "heartbeat". Throws for another kind.
 */
export function taskAnswerRequest(kind, taskToken, fields = {}) {
  if (kind === "success") {
    return { operation: "SendTaskSuccess", request: { taskToken, output: fields.output ?? "{}" } };
  }
  if (kind === "failure") {
    const request = { taskToken };
    if (fields.error) request.error = fields.error;
    if (fields.cause) request.cause = fields.cause;
    return { operation: "SendTaskFailure", request };
  }
  if (kind === "heartbeat") return { operation: "SendTaskHeartbeat", request: { taskToken } };
  throw new Error(`unknown task answer ${kind}`);
}

/** The line that reports an answer: "SendTaskSuccess: accepted" or "SendTaskSuccess: TaskTimedOut: <message>". */
export function describeTaskAnswer(operation, error) {
  if (!error) return `${operation}: accepted`;
  const type = String(error.type || error.name || "Error").split("#").pop();
  const message = error.detail ?? error.message ?? "";
  return message ? `${operation}: ${type}: ${message}` : `${operation}: ${type}`;
}
