// The loan-processor's HTTP interfaces, as the page calls them: the AWS Step
// Functions API (POST /, the same requests a user's SDK makes) and the
// console's own read-only views (/console/api/*).

/** An error answer: status (HTTP), type (AWS's __type or the console's "error") and message. */
export class ApiError extends Error {
  constructor(status, type, message) {
    super(message ? `${type}: ${message}` : type);
    this.status = status;
    this.type = type;
    this.detail = message || "";
  }

  /** The short error name: "TaskTimedOut" of "com.amazonaws.swf.service.model.v20120810#TaskTimedOut". */
  get shortType() {
    return String(this.type).split("#").pop();
  }
}

async function readAnswer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text };
  }
  if (!response.ok) {
    const type = (body && (body.__type || body.error)) || `HTTP ${response.status}`;
    throw new ApiError(response.status, type, body && body.message);
  }
  return body;
}

/** Calls an AWS Step Functions operation ("StartExecution", ...) with a request object; resolves to its answer. */
export async function callAws(operation, request) {
  const response = await fetch("/", {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": `AWSStepFunctions.${operation}` },
    body: JSON.stringify(request || {}),
  });
  return readAnswer(response);
}

/** Every page of a paginated operation, concatenating the list field (nextToken followed until it ends). */
export async function callAwsAllPages(operation, request, listField) {
  const items = [];
  let nextToken;
  do {
    const page = await callAws(operation, nextToken ? { ...request, nextToken } : request);
    items.push(...(page[listField] || []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/** GETs one of the console's views (/console/api/<view>) with query parameters; resolves to its JSON. */
export async function getConsoleView(view, parameters) {
  const query = new URLSearchParams(parameters || {}).toString();
  const response = await fetch(`/console/api/${view}${query ? `?${query}` : ""}`, {
    headers: { Accept: "application/json" },
  });
  return readAnswer(response);
}
