// Reading AWS-shaped history events (GetExecutionHistory): their details, a
// one-line summary as the AWS console shows it, the state each belongs to, and
// the valuation reference a waitForTaskToken task got. Pure: no DOM, no I/O.

const SUMMARY_LENGTH = 120;
const JSON_TEXT_FIELDS = ["input", "output", "parameters"];

/** The event's "<type>EventDetails" object ({} when it has none). */
export function eventDetails(event) {
  for (const [key, value] of Object.entries(event || {})) {
    if (key.endsWith("EventDetails") && value && typeof value === "object") return value;
  }
  return {};
}

/** Milliseconds from the first event to event (timestamps are epoch seconds, as the API gives them). */
export function sinceStartMs(event, firstEvent) {
  if (!event || !firstEvent) return 0;
  return Math.round((Number(event.timestamp) - Number(firstEvent.timestamp)) * 1000);
}

/** text cut to length characters, with an ellipsis when cut. */
export function truncate(text, length = SUMMARY_LENGTH) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

function errorText(details) {
  if (!details.error && !details.cause) return "";
  return details.cause ? `${details.error || ""}: ${details.cause}` : details.error;
}

function resourceText(details) {
  if (!details.resourceType) return details.resource || "";
  return `${details.resourceType}:${details.resource}`;
}

/** A one-line summary of an event's details, like the AWS console's history table. */
export function summarizeEvent(event) {
  const type = event.type || "";
  const details = eventDetails(event);
  if (type.endsWith("StateEntered")) return details.name || "";
  if (type.endsWith("StateExited")) return truncate(`${details.name} → ${details.output ?? ""}`);
  const error = errorText(details);
  if (error) return truncate(error);
  if (type.endsWith("Scheduled") && details.timeoutInSeconds) {
    return `${resourceText(details)} (timeout ${details.timeoutInSeconds} s)`;
  }
  if (details.output !== undefined) return truncate(details.output);
  if (type === "ExecutionStarted") return truncate(details.input ?? "");
  return truncate(resourceText(details) || details.activityArn || "");
}

function parseJsonText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The event's details with its JSON texts (input, output, parameters) parsed, for the expanded view. */
export function readableDetails(event) {
  const details = { ...eventDetails(event) };
  for (const field of JSON_TEXT_FIELDS) {
    if (typeof details[field] === "string") details[field] = parseJsonText(details[field]);
  }
  return details;
}

/**
 * The state each event belongs to, by index: the state's name for its
 * StateEntered/StateExited and for the task events in between, "" for the
 * execution's own events.
 */
export function eventStates(events) {
  let current = "";
  return (events || []).map((event) => {
    const type = event.type || "";
    const name = eventDetails(event).name;
    if (type.endsWith("StateEntered")) current = name;
    if (type.endsWith("StateExited")) {
      current = "";
      return name;
    }
    return type.startsWith("Execution") ? "" : current;
  });
}

/**
 * The valuationReference of the latest lambda:invoke.waitForTaskToken task:
 * its TaskSubmitted output is the Lambda's answer {"Payload":
 * {"valuationReference": ...}, ...} (JSON text). null when there is none.
 */
export function valuationReferenceOf(events) {
  for (const event of [...(events || [])].reverse()) {
    if (event.type !== "TaskSubmitted") continue;
    const details = eventDetails(event);
    if (!/waitForTaskToken$/.test(details.resource || "")) continue;
    const answer = parseJsonText(details.output);
    const reference = answer && answer.Payload && answer.Payload.valuationReference;
    if (typeof reference === "string" && reference) return reference;
  }
  return null;
}

/** The "description" of an error-topic message when it is JSON that has one, else the message itself. */
export function topicMessageSummary(message) {
  const parsed = parseJsonText(message);
  if (parsed && typeof parsed === "object" && typeof parsed.description === "string") return parsed.description;
  return truncate(message);
}

const END_STATUSES = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionTimedOut: "TIMED_OUT",
  ExecutionAborted: "ABORTED",
};

/**
 * How often an execution was redriven by its history (its ExecutionRedriven
 * events): {count, date} (date: the last one's, epoch seconds; undefined when
 * never).
 */
export function executionRedrives(events) {
  const redrives = (events || []).filter((event) => event.type === "ExecutionRedriven");
  const last = redrives[redrives.length - 1];
  return { count: redrives.length, date: last ? last.timestamp : undefined };
}

/**
 * How an execution stands by its history: {status ("RUNNING" until an end
 * event), startDate, stopDate (epoch seconds or undefined), output, error,
 * cause} (the last three from the end event, when it has them).
 */
export function executionOutcome(events) {
  const list = events || [];
  const first = list[0];
  const last = list[list.length - 1];
  const status = (last && END_STATUSES[last.type]) || "RUNNING";
  const details = status === "RUNNING" ? {} : eventDetails(last);
  const started = first && first.type === "ExecutionStarted" ? eventDetails(first) : {};
  const outcome = {
    status,
    startDate: first ? first.timestamp : undefined,
    stopDate: status === "RUNNING" ? undefined : last.timestamp,
    output: details.output,
    error: details.error,
    cause: details.cause,
  };
  // Started by a version's or an alias's ARN: which version (and alias) it runs.
  if (started.stateMachineVersionArn) outcome.versionArn = started.stateMachineVersionArn;
  if (started.stateMachineAliasArn) outcome.aliasArn = started.stateMachineAliasArn;
  return outcome;
}
