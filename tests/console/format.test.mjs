// Formatting times, durations and tokens, and the waiting clock.
import assert from "node:assert/strict";
import test from "node:test";

import {
  describeWaitingClock, formatClockTime, formatDueIn, formatDuration, formatSinceStart, mockTestCaseLabel, prettyJson,
  shortenToken, waitingClock,
} from "../../loan-processor/console/page/format.mjs";

test("time since start: ms under a second, then seconds with milliseconds, then minutes", () => {
  assert.equal(formatSinceStart(0), "0 ms");
  assert.equal(formatSinceStart(2.4), "2 ms");
  assert.equal(formatSinceStart(999), "999 ms");
  assert.equal(formatSinceStart(2315), "2.315 s");
  assert.equal(formatSinceStart(59999), "59.999 s");
  assert.equal(formatSinceStart(65000), "1 min 05.000 s");
  assert.equal(formatSinceStart(-5), "0 ms");
});

test("durations: tenths under ten seconds, whole seconds, minutes, hours", () => {
  assert.equal(formatDuration(0), "0.0 s");
  assert.equal(formatDuration(3250), "3.2 s");
  assert.equal(formatDuration(12999), "12 s");
  assert.equal(formatDuration(125000), "2 min 05 s");
  assert.equal(formatDuration(3720000), "1 h 02 min");
  assert.equal(formatDuration(-1), "0.0 s");
  assert.equal(formatDueIn(3000), "in 3.0 s");
  assert.equal(formatDueIn(-1500), "1.5 s ago");
});

test("tokens are shortened to their ends; short ones stay whole", () => {
  const token = "AUrVTzKF93JNSv1QhF6hvStMb2FuUHJvY2Vzc29yU3RhdGVNYWNoaW5lOjE0YmU5OGExLWE1NzktNDY0OS04YjUw"
    + "LWE3ZjA4NWUzN2MxMg==";
  assert.equal(shortenToken(token), `${token.slice(0, 6)}…${token.slice(-6)}`);
  assert.equal(shortenToken("abc"), "abc");
  assert.equal(shortenToken(null), "");
});

test("clock times are local hh:mm:ss of epoch seconds", () => {
  const epoch = new Date(2026, 10, 21, 9, 5, 7).getTime() / 1000;
  assert.equal(formatClockTime(epoch), "09:05:07");
  assert.equal(formatClockTime(undefined), "");
});

test("the waiting clock counts from enteredAt to the nearest deadline, on the server's clock", () => {
  const waiting = { enteredAt: 1000, timeoutAt: 31000, heartbeatAt: null, timerDueAt: null };
  // the local clock is 500 ms ahead of the server's
  const clock = waitingClock(waiting, 500, 4500 + 500);
  assert.deepEqual(clock, { waitedMs: 3500, deadline: { kind: "timeout", inMs: 26500 } });
  assert.equal(describeWaitingClock(clock), "waiting 3.5 s · times out in 26 s");
  const heartbeat = waitingClock({ ...waiting, heartbeatAt: 11000 }, 0, 5000);
  assert.deepEqual(heartbeat.deadline, { kind: "heartbeat", inMs: 6000 });
  assert.equal(describeWaitingClock(heartbeat), "waiting 4.0 s · heartbeat due in 6.0 s");
  const wait = waitingClock({ enteredAt: 0, timeoutAt: null, heartbeatAt: null, timerDueAt: 8000 }, 0, 2000);
  assert.equal(describeWaitingClock(wait), "waiting 2.0 s · resumes in 6.0 s");
  const forever = waitingClock({ enteredAt: 0, timeoutAt: null, heartbeatAt: null, timerDueAt: null }, 0, 2000);
  assert.equal(describeWaitingClock(forever), "waiting 2.0 s · no deadline");
  const overdue = waitingClock(waiting, 0, 32000);
  assert.equal(describeWaitingClock(overdue), "waiting 31 s · times out 1.0 s ago");
});

test("prettyJson indents JSON text and objects, leaves other text alone", () => {
  assert.equal(prettyJson('{"a":1}'), '{\n  "a": 1\n}');
  assert.equal(prettyJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(prettyJson("not json"), "not json");
  assert.equal(prettyJson(undefined), "");
});

test("mockTestCaseLabel: the test case an execution was started with, else null", () => {
  assert.equal(mockTestCaseLabel({ mockTestCase: "HappyPath" }), "mock test case HappyPath");
  assert.equal(mockTestCaseLabel({ executionArn: "arn" }), null);
  assert.equal(mockTestCaseLabel({ mockTestCase: "" }), null);
  assert.equal(mockTestCaseLabel(null), null);
});
