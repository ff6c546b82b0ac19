// Formatting times, durations and task tokens for display, and the clock of a
// waiting task. Pure: no DOM, no I/O (the caller passes the current time).

/** Time since the execution started, as the history table shows it: "315 ms", "2.315 s", "1 min 05.000 s". */
export function formatSinceStart(ms) {
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value} ms`;
  if (value < 60000) return `${(value / 1000).toFixed(3)} s`;
  const minutes = Math.floor(value / 60000);
  const seconds = ((value % 60000) / 1000).toFixed(3).padStart(6, "0");
  return `${minutes} min ${seconds} s`;
}

/** A duration for a ticking clock: "0.4 s", "12 s", "2 min 05 s", "1 h 02 min". */
export function formatDuration(ms) {
  const value = Math.max(0, ms);
  if (value < 10000) return `${(Math.floor(value / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** "in 3.0 s" for a moment ms ahead, "1.2 s ago" for one behind. */
export function formatDueIn(ms) {
  return ms >= 0 ? `in ${formatDuration(ms)}` : `${formatDuration(-ms)} ago`;
}

/** A task token cut to its first and last keep characters ("AUrVTz…MxMg=="); short ones stay whole. */
export function shortenToken(token, keep = 6) {
  const text = String(token ?? "");
  return text.length <= keep * 2 + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}

/** The local wall-clock time of an epoch time in seconds (as the AWS API gives dates): "10:04:05". */
export function formatClockTime(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null) return "";
  const date = new Date(Number(epochSeconds) * 1000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/**
 * The clock of a waiting state (/console/api/execution's "waiting", times in
 * the server's epoch ms), at local time localNowMs; clockOffsetMs is
 * local time minus server time (Date.now() - now when the answer came).
 * Returns {waitedMs, deadline: {kind: "timeout" | "heartbeat" | "timer", inMs} or null}:
 * the nearest of the task's timeout and heartbeat deadlines, or a Wait's or a
 * retry's timer.
 */
export function waitingClock(waiting, clockOffsetMs, localNowMs) {
  const serverNow = localNowMs - clockOffsetMs;
  const candidates = [
    ["timeout", waiting.timeoutAt],
    ["heartbeat", waiting.heartbeatAt],
  ].filter(([, at]) => typeof at === "number");
  if (candidates.length === 0 && typeof waiting.timerDueAt === "number") candidates.push(["timer", waiting.timerDueAt]);
  candidates.sort((a, b) => a[1] - b[1]);
  const deadline = candidates.length ? { kind: candidates[0][0], inMs: candidates[0][1] - serverNow } : null;
  return { waitedMs: serverNow - waiting.enteredAt, deadline };
}

/** The one-line text of a waiting clock: "waiting 3.2 s · times out in 26.8 s". */
export function describeWaitingClock(clock) {
  const words = { timeout: "times out", heartbeat: "heartbeat due", timer: "resumes" };
  const waited = `waiting ${formatDuration(clock.waitedMs)}`;
  if (!clock.deadline) return `${waited} · no deadline`;
  return `${waited} · ${words[clock.deadline.kind]} ${formatDueIn(clock.deadline.inMs)}`;
}

/** JSON text pretty-printed when it parses, else the text as it is. */
export function prettyJson(value) {
  if (value === undefined) return "";
  if (typeof value !== "string") return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/**
 * The label of an execution of a mock test case (the console's execution
 * view, its mockTestCase; docs/mocking.md), or null for any other execution.
 */
export function mockTestCaseLabel(inside) {
  const name = inside && inside.mockTestCase;
  return typeof name === "string" && name !== "" ? `mock test case ${name}` : null;
}
