// The selection in the URL hash and the ARN arithmetic, and the executions list's live updates.
import assert from "node:assert/strict";
import test from "node:test";

import { formatHash, machineArnOfExecution, nameOfArn, parseHash } from "../../loan-processor/console/page/selection.mjs";
import { findExecution, matchesFilter, upsertExecution } from "../../loan-processor/console/page/execution_list.mjs";

const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:LoanProcessorStateMachine:my-loan";
const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:LoanProcessorStateMachine";

test("the hash keeps the selected execution readable and reads it back", () => {
  assert.equal(formatHash({ execution: EXECUTION }), `#execution=${EXECUTION}`);
  assert.deepEqual(parseHash(`#execution=${EXECUTION}`), { execution: EXECUTION });
  const odd = `${EXECUTION.slice(0, -7)}a b&c=d`;
  assert.deepEqual(parseHash(formatHash({ execution: odd })), { execution: odd });
  assert.equal(formatHash({ execution: null }), "");
  assert.deepEqual(parseHash(""), { execution: null });
  assert.deepEqual(parseHash("#"), { execution: null });
  assert.deepEqual(parseHash("#other=1"), { execution: null });
  assert.deepEqual(parseHash("#execution=%E0%A4%A"), { execution: null });
});

test("an execution's state machine and names from ARNs", () => {
  assert.equal(machineArnOfExecution(EXECUTION), MACHINE);
  assert.equal(machineArnOfExecution(MACHINE), null);
  assert.equal(machineArnOfExecution(null), null);
  assert.equal(nameOfArn(EXECUTION), "my-loan");
  assert.equal(nameOfArn(MACHINE), "LoanProcessorStateMachine");
});

const entry = (name, status, startDate) => ({ executionArn: `${MACHINE}:${name}`, name, status, startDate });

test("a new execution is added newest first; a known one is updated in place", () => {
  let list = [entry("b", "SUCCEEDED", 20), entry("a", "FAILED", 10)];
  list = upsertExecution(list, entry("c", "RUNNING", 30), "");
  assert.deepEqual(list.map((item) => item.name), ["c", "b", "a"]);
  list = upsertExecution(list, { executionArn: `${MACHINE}:c`, status: "SUCCEEDED" }, "");
  assert.deepEqual(findExecution(list, `${MACHINE}:c`), entry("c", "SUCCEEDED", 30));
  assert.equal(list.length, 3);
});

test("with a status filter, an execution that leaves the status leaves the list", () => {
  let list = [entry("a", "RUNNING", 10)];
  list = upsertExecution(list, { executionArn: `${MACHINE}:a`, status: "SUCCEEDED" }, "RUNNING");
  assert.deepEqual(list, []);
  list = upsertExecution(list, entry("b", "SUCCEEDED", 20), "RUNNING");
  assert.deepEqual(list, []);
  assert.ok(matchesFilter("FAILED", ""));
  assert.ok(!matchesFilter("FAILED", "RUNNING"));
});
