// The loan-processor driven by the real AWS SDK for JavaScript v3, for the
// operations it implements: the blog's flow, task-token answers the way the
// post's webhook sends them, and AWS's errors as the SDK presents them
// (err.name, err.message, err.$metadata.httpStatusCode, err.$fault).
//
// Run by tests/e2e/test_aws_sdk.py against a stack started with
// state-machines/SdkWorkerStateMachine.asl.json added.
import {
  assert, assertDate, sleep, sdk, sfn, test, run, expectError, waitForStatus, waitForTaskSubmitted, historyEvents,
  startWorkerTask, uniqueName, machineArn, executionArn, TIME_SCALE, TASK_CLOSED, INVALID_TOKEN, SAMPLE_APPLICATION,
  WORKER_MACHINE, WORKER_TOPIC, NO_TIMEOUT_SECONDS,
} from "./harness.mjs";

const LOAN_MACHINE = "LoanProcessorStateMachine";
const PART1_MACHINE = "LoanProcessorPart1StateMachine";
const PORTFOLIO_MACHINE = "LoanPortfolioStateMachine";
const JSONATA_MACHINE = "LoanProcessorJsonataStateMachine";
const WORKER_TASK = { resourceType: "sns", resource: "publish.waitForTaskToken" };
const NO_CALLBACK = { applicationReference: "by-hand", property: { nameOrNumber: "No callback", postcode: "PO1 1CE" } };

/* The valuation service's documented formula, written again independently. */
function propertyValue(nameOrNumber, postcode) {
  let hash = 2166136261;
  for (const byte of Buffer.from(`${nameOrNumber.toLowerCase()}|${postcode.replace(/ /g, "").toUpperCase()}`)) {
    hash = Math.imul(hash ^ byte, 16777619) >>> 0;
  }
  return 100000 + (hash % 9001) * 100;
}

/** The task token a loan workflow's TaskScheduled event passed to ValuationRequestFunction. */
function loanTaskToken(events) {
  const scheduled = events.find((event) => event.type === "TaskScheduled");
  return JSON.parse(scheduled.taskScheduledEventDetails.parameters).Payload.taskToken;
}

/** Starts a part-1 loan execution whose valuation never calls back; returns its ARN and task token. */
async function startWaitingLoan(name = uniqueName("by-hand")) {
  const { executionArn: arn } = await sfn.startExecution({
    stateMachineArn: machineArn(PART1_MACHINE), name, input: JSON.stringify(NO_CALLBACK),
  });
  return { arn, token: loanTaskToken(await waitForTaskSubmitted(arn)) };
}

/* The SendTask* calls a closed token must refuse with TaskTimedOut, as AWS does. */
async function expectTokenClosed(token) {
  await expectError(sfn.sendTaskSuccess({ taskToken: token, output: "{}" }), "TaskTimedOut", TASK_CLOSED);
  await expectError(sfn.sendTaskFailure({ taskToken: token, error: "Late" }), "TaskTimedOut", TASK_CLOSED);
  await expectError(sfn.sendTaskHeartbeat({ taskToken: token }), "TaskTimedOut", TASK_CLOSED);
}

// ---- ListStateMachines ----

test("ListStateMachines lists every loaded workflow with Date creation dates", async () => {
  const { stateMachines, nextToken, $metadata } = await sfn.listStateMachines({});
  assert.equal($metadata.httpStatusCode, 200);
  assert.equal(nextToken, undefined);
  const names = stateMachines.map((machine) => machine.name).sort();
  assert.deepEqual(names, [PART1_MACHINE, LOAN_MACHINE, PORTFOLIO_MACHINE, JSONATA_MACHINE, WORKER_MACHINE].sort());
  for (const machine of stateMachines) {
    assert.equal(machine.stateMachineArn, machineArn(machine.name));
    assert.equal(machine.type, "STANDARD");
    assertDate(machine.creationDate, "creationDate");
  }
  const pages = [];
  for await (const page of sdk.paginateListStateMachines({ client: sfn }, {})) pages.push(page);
  assert.equal(pages.length, 1);
  assert.deepEqual(pages[0].stateMachines.map((machine) => machine.name).sort(), names);
});

// ---- the blog's flow ----

test("the blog flow: StartExecution, RUNNING while the valuation is pending, then SUCCEEDED", async () => {
  const name = uniqueName("app-ref");
  const input = JSON.stringify(SAMPLE_APPLICATION);
  const started = await sfn.startExecution({ stateMachineArn: machineArn(LOAN_MACHINE), name, input });
  assert.equal(started.executionArn, executionArn(LOAN_MACHINE, name));
  assertDate(started.startDate, "startDate");

  const waiting = await sfn.describeExecution({ executionArn: started.executionArn });
  assert.equal(waiting.status, "RUNNING");
  assert.equal(waiting.output, undefined);
  assert.equal(waiting.stopDate, undefined);
  assert.equal(waiting.startDate.getTime(), started.startDate.getTime());

  const done = await waitForStatus(started.executionArn, "SUCCEEDED", 5000 + 6000 * TIME_SCALE);
  const output = JSON.parse(done.output);
  assert.deepEqual(Object.keys(output).sort(), ["propertyValue", "valuationReference"]);
  assert.equal(output.valuationReference.length, 21);
  assert.equal(output.propertyValue, propertyValue("999", "PO1 1CE"));
  assert.equal(output.propertyValue, 153500);
  assert.equal(done.input, input);
  assert.deepEqual(done.inputDetails, { included: true });
  assert.deepEqual(done.outputDetails, { included: true });
  assert.equal(done.name, name);
  assert.equal(done.stateMachineArn, machineArn(LOAN_MACHINE));
  assertDate(done.stopDate, "stopDate");
  assert.ok(done.stopDate >= done.startDate);
  // The valuation service calls back after 6 s × TIME_SCALE.
  assert.ok(done.stopDate - done.startDate >= 6000 * TIME_SCALE - 10, `took ${done.stopDate - done.startDate} ms`);
  assert.equal(done.error, undefined);
  assert.equal(done.redriveCount, 0);
  assert.equal(done.redriveStatus, "NOT_REDRIVABLE");
});

/** A finished blog-flow execution, shared by the history cases. */
let finishedLoan = null;
async function finishedLoanExecution() {
  if (!finishedLoan) {
    const { executionArn: arn } = await sfn.startExecution({
      stateMachineArn: machineArn(LOAN_MACHINE), input: JSON.stringify(SAMPLE_APPLICATION),
    });
    finishedLoan = { arn, description: await waitForStatus(arn, "SUCCEEDED", 5000 + 6000 * TIME_SCALE) };
  }
  return finishedLoan;
}

const LOAN_EVENT_TYPES = ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                          "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"];

test("GetExecutionHistory of the blog flow: types, ids, Date timestamps, the scheduled task's parameters", async () => {
  const { arn, description } = await finishedLoanExecution();
  const { events, nextToken } = await sfn.getExecutionHistory({ executionArn: arn });
  assert.equal(nextToken, undefined);
  assert.deepEqual(events.map((event) => event.type), LOAN_EVENT_TYPES);
  assert.deepEqual(events.map((event) => event.id), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(events.map((event) => event.previousEventId), [0, 0, 2, 3, 4, 5, 6, 7]);
  for (const event of events) assertDate(event.timestamp, `timestamp of event ${event.id}`);
  const times = events.map((event) => event.timestamp.getTime());
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  assert.equal(times[0], description.startDate.getTime());

  const started = events[0].executionStartedEventDetails;
  assert.deepEqual(JSON.parse(started.input), SAMPLE_APPLICATION);
  assert.deepEqual(started.inputDetails, { truncated: false });
  assert.match(started.roleArn, /^arn:aws:iam::123456789012:role\//);
  assert.equal(events[1].stateEnteredEventDetails.name, "RequestValuation");

  const scheduled = events[2].taskScheduledEventDetails;
  assert.deepEqual([scheduled.resourceType, scheduled.resource, scheduled.region],
                   ["lambda", "invoke.waitForTaskToken", "us-east-1"]);
  assert.equal(scheduled.timeoutInSeconds, 30);
  assert.equal(scheduled.heartbeatInSeconds, undefined);
  const parameters = JSON.parse(scheduled.parameters);
  assert.equal(parameters.FunctionName, "ValuationRequestFunction");
  assert.deepEqual(parameters.Payload.loanApplication, SAMPLE_APPLICATION);
  assert.equal(typeof parameters.Payload.taskToken, "string");
  assert.ok(parameters.Payload.taskToken.length >= 40 && parameters.Payload.taskToken.length <= 2048);

  assert.deepEqual(events[3].taskStartedEventDetails, { resourceType: "lambda", resource: "invoke.waitForTaskToken" });
  const submitted = JSON.parse(events[4].taskSubmittedEventDetails.output);
  assert.deepEqual(submitted.Payload, { valuationReference: JSON.parse(description.output).valuationReference });
  assert.equal(events[5].taskSucceededEventDetails.output, description.output);
  assert.equal(events[6].stateExitedEventDetails.name, "RequestValuation");
  assert.equal(events[6].stateExitedEventDetails.output, description.output);
  assert.equal(events[7].executionSucceededEventDetails.output, description.output);
  assert.deepEqual(events[7].executionSucceededEventDetails.outputDetails, { truncated: false });
});

test("GetExecutionHistory pages with maxResults and nextToken, by hand and with the SDK's paginator", async () => {
  const { arn } = await finishedLoanExecution();
  const first = await sfn.getExecutionHistory({ executionArn: arn, maxResults: 3 });
  assert.deepEqual(first.events.map((event) => event.id), [1, 2, 3]);
  assert.equal(typeof first.nextToken, "string");
  const second = await sfn.getExecutionHistory({ executionArn: arn, maxResults: 3, nextToken: first.nextToken });
  assert.deepEqual(second.events.map((event) => event.id), [4, 5, 6]);
  const last = await sfn.getExecutionHistory({ executionArn: arn, maxResults: 3, nextToken: second.nextToken });
  assert.deepEqual(last.events.map((event) => event.id), [7, 8]);
  assert.equal(last.nextToken, undefined);

  const ids = [];
  let pages = 0;
  for await (const page of sdk.paginateGetExecutionHistory({ client: sfn, pageSize: 2 }, { executionArn: arn })) {
    pages += 1;
    ids.push(...page.events.map((event) => event.id));
  }
  assert.equal(pages, 4);
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8]);
});

test("GetExecutionHistory with reverseOrder gives newest first, also across pages", async () => {
  const { arn } = await finishedLoanExecution();
  const { events } = await sfn.getExecutionHistory({ executionArn: arn, reverseOrder: true });
  assert.deepEqual(events.map((event) => event.id), [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual(events.map((event) => event.type), [...LOAN_EVENT_TYPES].reverse());
  const first = await sfn.getExecutionHistory({ executionArn: arn, reverseOrder: true, maxResults: 5 });
  const rest = await sfn.getExecutionHistory({ executionArn: arn, reverseOrder: true, maxResults: 5,
                                               nextToken: first.nextToken });
  assert.deepEqual([...first.events, ...rest.events].map((event) => event.id), [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.equal(rest.nextToken, undefined);
});

test("GetExecutionHistory with includeExecutionData false leaves out inputs, outputs and parameters", async () => {
  const { arn } = await finishedLoanExecution();
  const full = await historyEvents(arn);
  const { events } = await sfn.getExecutionHistory({ executionArn: arn, includeExecutionData: false });
  assert.deepEqual(events.map((event) => event.type), LOAN_EVENT_TYPES);
  assert.equal(events[0].executionStartedEventDetails.input, undefined);
  assert.equal(events[0].executionStartedEventDetails.roleArn, full[0].executionStartedEventDetails.roleArn);
  assert.equal(events[1].stateEnteredEventDetails.input, undefined);
  assert.equal(events[1].stateEnteredEventDetails.name, "RequestValuation");
  assert.equal(events[2].taskScheduledEventDetails.parameters, undefined);
  assert.equal(events[2].taskScheduledEventDetails.timeoutInSeconds, 30);
  assert.equal(events[4].taskSubmittedEventDetails.output, undefined);
  assert.equal(events[5].taskSucceededEventDetails.output, undefined);
  assert.equal(events[6].stateExitedEventDetails.output, undefined);
  assert.equal(events[7].executionSucceededEventDetails.output, undefined);
  assert.deepEqual(events.map((event) => event.timestamp.getTime()), full.map((event) => event.timestamp.getTime()));
});

// ---- task-token answers ----

test("sendTaskSuccess({taskToken, output}) as the post's webhook sends it resumes a part-1 execution", async () => {
  const { arn, token } = await startWaitingLoan();
  assert.equal((await sfn.describeExecution({ executionArn: arn })).status, "RUNNING");
  const valuation = JSON.stringify({ valuationReference: "by-hand", propertyValue: 250000 });
  const answer = await sfn.sendTaskSuccess({ taskToken: token, output: valuation });
  assert.equal(answer.$metadata.httpStatusCode, 200);
  assert.deepEqual(Object.keys(answer), ["$metadata"]);
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.equal(done.status, "SUCCEEDED");
  assert.equal(done.output, valuation);
  const events = await historyEvents(arn);
  assert.deepEqual(events.slice(-3).map((event) => event.type), ["TaskSucceeded", "TaskStateExited",
                                                                  "ExecutionSucceeded"]);
  assert.equal(events.at(-3).taskSucceededEventDetails.output, valuation);
});

test("a second sendTaskSuccess with the same token gets TaskTimedOut, HTTP 400", async () => {
  const { arn, token } = await startWaitingLoan();
  await sfn.sendTaskSuccess({ taskToken: token, output: '{"propertyValue":1}' });
  const error = await expectError(sfn.sendTaskSuccess({ taskToken: token, output: '{"propertyValue":2}' }),
                                  "TaskTimedOut", TASK_CLOSED);
  assert.equal(error.$retryable, undefined);
  await expectTokenClosed(token);
  const events = await historyEvents(arn);
  assert.equal(events.filter((event) => event.type === "TaskSucceeded").length, 1);
  assert.equal(JSON.parse((await sfn.describeExecution({ executionArn: arn })).output).propertyValue, 1);
});

test("a worker reads the token from the topic and answers with sendTaskSuccess", async () => {
  const { arn, token } = await startWorkerTask({ job: "survey" });
  const events = await waitForTaskSubmitted(arn);
  const scheduled = events.find((event) => event.type === "TaskScheduled").taskScheduledEventDetails;
  assert.equal(scheduled.resourceType, "sns");
  assert.equal(scheduled.resource, "publish.waitForTaskToken");
  assert.equal(scheduled.timeoutInSeconds, NO_TIMEOUT_SECONDS);
  assert.equal(scheduled.heartbeatInSeconds, NO_TIMEOUT_SECONDS - 1);
  const parameters = JSON.parse(scheduled.parameters);
  assert.equal(parameters.TopicArn, `arn:aws:sns:us-east-1:123456789012:${WORKER_TOPIC}`);
  assert.deepEqual(parameters.Message, { taskToken: token, job: "survey" });
  await sfn.sendTaskSuccess({ taskToken: token, output: '{"surveyed":true}' });
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.equal(done.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { surveyed: true });
  await expectTokenClosed(token);
});

test("sendTaskFailure with error and cause fails the execution with them", async () => {
  const { arn, token } = await startWorkerTask();
  const answer = await sfn.sendTaskFailure({ taskToken: token, error: "SurveyFailed", cause: "Nobody was home" });
  assert.equal(answer.$metadata.httpStatusCode, 200);
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.deepEqual([done.status, done.error, done.cause], ["FAILED", "SurveyFailed", "Nobody was home"]);
  assert.equal(done.output, undefined);
  assertDate(done.stopDate, "stopDate");
  assert.equal(done.redriveStatus, "REDRIVABLE");
  const events = await historyEvents(arn);
  assert.deepEqual(events.slice(-2).map((event) => event.type), ["TaskFailed", "ExecutionFailed"]);
  assert.deepEqual(events.at(-2).taskFailedEventDetails,
                   { ...WORKER_TASK, error: "SurveyFailed", cause: "Nobody was home" });
  assert.deepEqual(events.at(-1).executionFailedEventDetails, { error: "SurveyFailed", cause: "Nobody was home" });
  await expectTokenClosed(token);
});

test("sendTaskFailure without error or cause fails the execution with neither", async () => {
  const { arn, token } = await startWorkerTask();
  await sfn.sendTaskFailure({ taskToken: token });
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.equal(done.status, "FAILED");
  assert.equal(done.error, undefined);
  assert.equal(done.cause, undefined);
  const events = await historyEvents(arn);
  assert.deepEqual(events.at(-2).taskFailedEventDetails, WORKER_TASK);
  assert.deepEqual(events.at(-1).executionFailedEventDetails, {});
});

test("sendTaskHeartbeat keeps a task alive past its HeartbeatSeconds; without it the task times out", async () => {
  const heartbeatSeconds = 10; // × TIME_SCALE
  const interval = 1000 * heartbeatSeconds * TIME_SCALE;
  const { arn, token } = await startWorkerTask({ timeoutSeconds: 1000, heartbeatSeconds });
  const aliveUntil = Date.now() + 2.5 * interval;
  while (Date.now() < aliveUntil) {
    const answer = await sfn.sendTaskHeartbeat({ taskToken: token });
    assert.equal(answer.$metadata.httpStatusCode, 200);
    await sleep(interval / 4);
  }
  assert.equal((await sfn.describeExecution({ executionArn: arn })).status, "RUNNING");
  const beating = await historyEvents(arn);
  assert.equal(beating.at(-1).type, "TaskSubmitted", "a heartbeat writes no history event");
  assert.equal(beating.find((event) => event.type === "TaskScheduled").taskScheduledEventDetails.heartbeatInSeconds,
               heartbeatSeconds);

  const done = await waitForStatus(arn, "FAILED", 5000 + 2 * interval);
  assert.equal(done.error, "States.Timeout");
  const events = await historyEvents(arn);
  assert.deepEqual(events.slice(-2).map((event) => event.type), ["TaskTimedOut", "ExecutionFailed"]);
  assert.deepEqual(events.at(-2).taskTimedOutEventDetails, { ...WORKER_TASK, error: "States.Timeout" });
  await expectTokenClosed(token);
});

test("the blog's 30 s timeout (No callback): the token then gets TaskTimedOut", async () => {
  const { executionArn: arn } = await sfn.startExecution({
    stateMachineArn: machineArn(LOAN_MACHINE), name: uniqueName("no-callback"), input: JSON.stringify(NO_CALLBACK),
  });
  const token = loanTaskToken(await waitForTaskSubmitted(arn));
  const done = await waitForStatus(arn, "FAILED", 5000 + 30000 * TIME_SCALE);
  assert.equal(done.error, "ValuationServiceTimedOut");
  const types = (await historyEvents(arn)).map((event) => event.type);
  assert.deepEqual(types.slice(5, 8), ["TaskTimedOut", "TaskStateExited", "TaskStateEntered"]);
  assert.equal(types.at(-1), "ExecutionFailed");
  await expectTokenClosed(token);
});

test("a token that is not one gets InvalidToken: 'Invalid token' from every SendTask* call", async () => {
  for (const token of ["NoSuchTaskToken", "FakeTaskToken", "AAAA", "x"]) {
    await expectError(sfn.sendTaskSuccess({ taskToken: token, output: "{}" }), "InvalidToken", INVALID_TOKEN);
    await expectError(sfn.sendTaskFailure({ taskToken: token, error: "E", cause: "C" }), "InvalidToken",
                      INVALID_TOKEN);
    await expectError(sfn.sendTaskHeartbeat({ taskToken: token }), "InvalidToken", INVALID_TOKEN);
  }
});

test("output that is not JSON gets InvalidOutput and leaves the task waiting", async () => {
  const { arn, token } = await startWorkerTask();
  await expectError(sfn.sendTaskSuccess({ taskToken: token, output: "not json" }), "InvalidOutput");
  assert.equal((await sfn.describeExecution({ executionArn: arn })).status, "RUNNING");
  await sfn.sendTaskSuccess({ taskToken: token, output: "[]" });
});

// ---- limits ----

const validation = (member, constraint) =>
  new RegExp(`^1 validation error detected: Value (?:'[^']*' )?at '${member}' failed to satisfy constraint: `
             + `${constraint}$`);

test("limits: error > 256, cause > 32768, token > 2048 or empty, output > 256 KiB or missing: ValidationException", async () => {
  const { arn, token } = await startWorkerTask();
  await expectError(sfn.sendTaskFailure({ taskToken: token, error: "e".repeat(257) }), "ValidationException",
                    validation("error", "Member must have length less than or equal to 256"));
  await expectError(sfn.sendTaskFailure({ taskToken: token, cause: "c".repeat(32769) }), "ValidationException",
                    validation("cause", "Member must have length less than or equal to 32768"));
  for (const call of [(t) => sfn.sendTaskSuccess({ taskToken: t, output: "{}" }),
                      (t) => sfn.sendTaskFailure({ taskToken: t }), (t) => sfn.sendTaskHeartbeat({ taskToken: t })]) {
    await expectError(call("t".repeat(2049)), "ValidationException",
                      validation("taskToken", "Member must have length less than or equal to 2048"));
  }
  await expectError(sfn.sendTaskHeartbeat({ taskToken: "" }), "ValidationException",
                    validation("taskToken", "Member must have length greater than or equal to 1"));
  await expectError(sfn.sendTaskSuccess({ taskToken: token }), "ValidationException",
                    "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must not be null");
  const tooLarge = JSON.stringify("o".repeat(256 * 1024 - 1)); // 262145 bytes of valid JSON
  await expectError(sfn.sendTaskSuccess({ taskToken: token, output: tooLarge }), "ValidationException",
                    validation("output", "Member must have length less than or equal to 262144"));
  assert.equal((await sfn.describeExecution({ executionArn: arn })).status, "RUNNING", "none of that touched the task");
});

test("limits: error of 256 and cause of 32768 characters are accepted whole", async () => {
  const { arn, token } = await startWorkerTask();
  const error = "E".repeat(256);
  const cause = "C".repeat(32768);
  await sfn.sendTaskFailure({ taskToken: token, error, cause });
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.deepEqual([done.status, done.error, done.cause], ["FAILED", error, cause]);
});

test("limits: an output of exactly 256 KiB is accepted whole", async () => {
  const { arn, token } = await startWorkerTask();
  const output = JSON.stringify("o".repeat(256 * 1024 - 2)); // 262144 bytes
  await sfn.sendTaskSuccess({ taskToken: token, output });
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.equal(done.status, "SUCCEEDED");
  assert.equal(done.output, output);
});

test("limits: error and cause are measured in characters, not UTF-8 bytes", async () => {
  const { arn, token } = await startWorkerTask();
  const error = "é".repeat(256);   // 256 characters, 512 bytes
  const cause = "€".repeat(32768); // 32768 characters, 98304 bytes
  await sfn.sendTaskFailure({ taskToken: token, error, cause });
  const done = await sfn.describeExecution({ executionArn: arn });
  assert.deepEqual([done.status, done.error, done.cause], ["FAILED", error, cause]);
});

// ---- StartExecution ----

test("StartExecution with the name and input of a running execution returns it again; else ExecutionAlreadyExists",
  async () => {
    const name = uniqueName("same-name");
    const request = { stateMachineArn: machineArn(PART1_MACHINE), name, input: JSON.stringify(NO_CALLBACK) };
    const first = await sfn.startExecution(request);
    const again = await sfn.startExecution(request);
    assert.equal(again.executionArn, first.executionArn);
    assert.equal(again.startDate.getTime(), first.startDate.getTime());
    const exists = `Execution Already Exists: '${executionArn(PART1_MACHINE, name)}'`;
    await expectError(sfn.startExecution({ ...request, input: '{"other":1}' }), "ExecutionAlreadyExists", exists);
    await expectError(sfn.startExecution({ stateMachineArn: request.stateMachineArn, name }), "ExecutionAlreadyExists",
                      exists);

    const token = loanTaskToken(await waitForTaskSubmitted(first.executionArn));
    await sfn.sendTaskSuccess({ taskToken: token, output: "{}" });
    await expectError(sfn.startExecution(request), "ExecutionAlreadyExists", exists); // closed: not idempotent
  });

test("StartExecution without a name gets a UUID; 80-character names are fine", async () => {
  const unnamed = await sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE),
                                             input: JSON.stringify(NO_CALLBACK) });
  assert.match(unnamed.executionArn,
               new RegExp(`^${executionArn(PART1_MACHINE, "")}[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`));
  const name = `${uniqueName("n")}-`.padEnd(80, "x");
  const named = await sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE), name,
                                           input: JSON.stringify(NO_CALLBACK) });
  assert.equal(named.executionArn, executionArn(PART1_MACHINE, name));
  assert.equal((await sfn.describeExecution({ executionArn: named.executionArn })).name, name);
});

test("StartExecution refuses names with forbidden characters: InvalidName", async () => {
  for (const name of ["has space", "a/b", "x<y", "q?", "tab\there", "colon:name", "brace{", "semi;colon"]) {
    const error = await expectError(sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE), name }),
                                    "InvalidName");
    assert.ok(error.message.includes(name), `the message names ${JSON.stringify(name)}: ${error.message}`);
  }
});

test("StartExecution of a missing state machine: StateMachineDoesNotExist", async () => {
  const missing = machineArn("NoSuchStateMachine");
  await expectError(sfn.startExecution({ stateMachineArn: missing, input: "{}" }), "StateMachineDoesNotExist",
                    `State Machine Does Not Exist: '${missing}'`);
  await expectError(sfn.startExecution({ stateMachineArn: "nonsense" }), "InvalidArn",
                    "Invalid Arn: 'Invalid ARN prefix: nonsense'");
});

test("StartExecution with an empty input: InvalidExecutionInput 'Invalid execution input.'", async () => {
  await expectError(sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE), input: "" }),
                    "InvalidExecutionInput", "Invalid State Machine Execution Input: 'Invalid execution input.'");
});

test("StartExecution with an input over 256 KiB: ValidationException", async () => {
  await expectError(sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE),
                                         input: JSON.stringify("i".repeat(256 * 1024 - 1)) }),
                    "ValidationException", validation("input", "Member must have length less than or equal to 262144"));
});

test("StartExecution with input that is not JSON: InvalidExecutionInput with the parser's words", async () => {
  await expectError(sfn.startExecution({ stateMachineArn: machineArn(PART1_MACHINE), input: "not json" }),
                    "InvalidExecutionInput",
                    "Invalid State Machine Execution Input: 'Unrecognized token 'not': was expecting (JSON String, "
                    + "Number, Array, Object or token 'null', 'true' or 'false')'");
});

// ---- DescribeExecution and GetExecutionHistory errors ----

test("DescribeExecution and GetExecutionHistory of a missing execution: ExecutionDoesNotExist", async () => {
  const missing = executionArn(LOAN_MACHINE, "no-such-execution");
  const message = `Execution Does Not Exist: '${missing}'`;
  await expectError(sfn.describeExecution({ executionArn: missing }), "ExecutionDoesNotExist", message);
  await expectError(sfn.getExecutionHistory({ executionArn: missing }), "ExecutionDoesNotExist", message);
});

test("DescribeExecution and GetExecutionHistory of a malformed ARN: InvalidArn", async () => {
  for (const arn of ["nonsense", "not-an-arn:execution"]) {
    const message = `Invalid Arn: 'Invalid ARN prefix: ${arn}'`;
    await expectError(sfn.describeExecution({ executionArn: arn }), "InvalidArn", message);
    await expectError(sfn.getExecutionHistory({ executionArn: arn }), "InvalidArn", message);
  }
});

// ---- StartSyncExecution (EXPRESS) ----

test("StartSyncExecution runs an EXPRESS machine to its end (disableHostPrefix) and refuses a STANDARD one", async () => {
  const syncClient = new sdk.SFN({ disableHostPrefix: true }); // the SDK would send it to sync-<host>
  const definition = JSON.stringify({ StartAt: "Echo", States: { Echo: { Type: "Pass", End: true } } });
  const roleArn = `arn:aws:iam::123456789012:role/SdkRole`;
  const { stateMachineArn } = await sfn.createStateMachine({
    name: uniqueName("express"), definition, roleArn, type: "EXPRESS",
  });
  const answer = await syncClient.startSyncExecution({ stateMachineArn, input: JSON.stringify({ n: 7 }) });
  assert.equal(answer.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(answer.output), { n: 7 });
  assert.match(answer.executionArn, /:express:/);
  assertDate(answer.startDate, "startDate");
  assertDate(answer.stopDate, "stopDate");
  assert.equal(answer.billingDetails.billedMemoryUsedInMB, 64);
  const standard = await sfn.createStateMachine({ name: uniqueName("standard"), definition, roleArn });
  await expectError(syncClient.startSyncExecution({ stateMachineArn: standard.stateMachineArn }),
    "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine");
});

// ---- TestState ----

test("TestState with disableHostPrefix: a mocked Task's output, next state and inspection data", async () => {
  // The SDK sends TestState to "sync-<host>": disableHostPrefix keeps the endpoint's host (docs/api.md, TestState).
  const local = new sdk.SFN({ disableHostPrefix: true });
  const task = {
    Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: "f", "Payload.$": "$" },
    ResultPath: "$.answer", Next: "Done",
  };
  const response = await local.testState({
    definition: JSON.stringify(task), input: '{"id":3}', inspectionLevel: "DEBUG", mock: { result: '{"ok":true}' },
  });
  assert.equal(response.status, "SUCCEEDED");
  assert.equal(response.nextState, "Done");
  assert.deepEqual(JSON.parse(response.output), { id: 3, answer: { ok: true } });
  assert.deepEqual(JSON.parse(response.inspectionData.afterParameters), { FunctionName: "f", Payload: { id: 3 } });
  await expectError(local.testState({ definition: JSON.stringify({ Type: "Pass", End: true }), mock: { result: "{}" } }),
    "ValidationException", "State type 'Pass' is not supported when a mock is specified");
});

// ---- issue 18: validation, tags, versions and aliases, redrive, mocked test cases ----

const ROLE_ARN = "arn:aws:iam::123456789012:role/SdkRole";
const PASS_DEFINITION = JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", End: true } } });
const HOLD_DEFINITION = JSON.stringify({
  StartAt: "Hold", States: { Hold: { Type: "Wait", Seconds: 3600, End: true } },
});
const passResult = (result) => JSON.stringify({
  StartAt: "P", States: { P: { Type: "Pass", Result: result, End: true } },
});

test("ValidateStateMachineDefinition: OK, FAIL with a diagnostic, a bad severity is ValidationException", async () => {
  const ok = await sfn.validateStateMachineDefinition({ definition: PASS_DEFINITION });
  assert.deepEqual([ok.result, ok.diagnostics, ok.truncated], ["OK", [], false]);
  const failed = await sfn.validateStateMachineDefinition({
    definition: JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } }),
  });
  assert.equal(failed.result, "FAIL");
  assert.deepEqual(failed.diagnostics, [{ severity: "ERROR", code: "MISSING_TRANSITION_TARGET",
                                          message: "Missing 'Next' target: Nowhere", location: "/States/A/Next" }]);
  await expectError(sfn.validateStateMachineDefinition({ definition: PASS_DEFINITION, severity: "INFO" }),
    "ValidationException", "1 validation error detected: Value 'INFO' at 'severity' failed to satisfy constraint: "
    + "Member must satisfy enum value set: [ERROR, WARNING]");
});

test("DescribeStateMachineForExecution gives the definition an execution runs; ExecutionDoesNotExist", async () => {
  const name = uniqueName("hold");
  const { stateMachineArn } = await sfn.createStateMachine({ name, definition: HOLD_DEFINITION, roleArn: ROLE_ARN });
  const { executionArn: arn } = await sfn.startExecution({ stateMachineArn });
  await sfn.updateStateMachine({ stateMachineArn, definition: PASS_DEFINITION });
  const answer = await sfn.describeStateMachineForExecution({ executionArn: arn });
  assert.deepEqual([answer.stateMachineArn, answer.name, answer.definition, answer.roleArn],
                   [stateMachineArn, name, HOLD_DEFINITION, ROLE_ARN]);
  assertDate(answer.updateDate, "updateDate");
  await sfn.stopExecution({ executionArn: arn });
  const missing = executionArn(name, "nobody");
  await expectError(sfn.describeStateMachineForExecution({ executionArn: missing }), "ExecutionDoesNotExist",
                    `Execution Does Not Exist: '${missing}'`);
});

test("TagResource, UntagResource, ListTagsForResource and tags on create; ResourceNotFound", async () => {
  const { stateMachineArn: arn } = await sfn.createStateMachine({
    name: uniqueName("tagged"), definition: PASS_DEFINITION, roleArn: ROLE_ARN, tags: [{ key: "owner", value: "me" }],
  });
  assert.deepEqual((await sfn.listTagsForResource({ resourceArn: arn })).tags, [{ key: "owner", value: "me" }]);
  const tagged = await sfn.tagResource({ resourceArn: arn, tags: [{ key: "team", value: "loans" },
                                                                  { key: "owner", value: "you" }] });
  assert.deepEqual(Object.keys(tagged), ["$metadata"]);
  const tags = (await sfn.listTagsForResource({ resourceArn: arn })).tags;
  assert.deepEqual(Object.fromEntries(tags.map((tag) => [tag.key, tag.value])), { owner: "you", team: "loans" });
  await sfn.untagResource({ resourceArn: arn, tagKeys: ["owner"] });
  assert.deepEqual((await sfn.listTagsForResource({ resourceArn: arn })).tags, [{ key: "team", value: "loans" }]);
  const missing = machineArn(uniqueName("nobody"));
  const error = await expectError(sfn.tagResource({ resourceArn: missing, tags: [{ key: "k", value: "v" }] }),
                                  "ResourceNotFound", `Resource not found: '${missing}'`);
  assert.equal(error.resourceName, missing);
});

test("versions and aliases: publish, list, route an alias, start by it; an aliased version is a conflict", async () => {
  const name = uniqueName("versioned");
  const arn = machineArn(name);
  const created = await sfn.createStateMachine({ name, definition: passResult("v1"), roleArn: ROLE_ARN, publish: true,
                                                 versionDescription: "first" });
  assert.equal(created.stateMachineVersionArn, `${arn}:1`);
  const updated = await sfn.updateStateMachine({ stateMachineArn: arn, definition: passResult("v2"), publish: true });
  assert.equal(updated.stateMachineVersionArn, `${arn}:2`);
  await sfn.updateStateMachine({ stateMachineArn: arn, definition: passResult("v3") });
  const third = await sfn.publishStateMachineVersion({ stateMachineArn: arn, description: "three" });
  assert.equal(third.stateMachineVersionArn, `${arn}:3`);
  assertDate(third.creationDate, "creationDate");
  const { stateMachineVersions } = await sfn.listStateMachineVersions({ stateMachineArn: arn });
  assert.deepEqual(stateMachineVersions.map((v) => v.stateMachineVersionArn), [`${arn}:3`, `${arn}:2`, `${arn}:1`]);
  assert.equal((await sfn.describeStateMachine({ stateMachineArn: `${arn}:1` })).description, "first");

  const one = [{ stateMachineVersionArn: `${arn}:1`, weight: 100 }];
  const { stateMachineAliasArn: alias } = await sfn.createStateMachineAlias({
    name: "prod", description: "d", routingConfiguration: one,
  });
  assert.equal(alias, `${arn}:prod`);
  const described = await sfn.describeStateMachineAlias({ stateMachineAliasArn: alias });
  assert.deepEqual([described.name, described.description, described.routingConfiguration], ["prod", "d", one]);
  const { executionArn: run1 } = await sfn.startExecution({ stateMachineArn: alias });
  const done = await waitForStatus(run1, "SUCCEEDED");
  assert.deepEqual([done.output, done.stateMachineAliasArn, done.stateMachineVersionArn], ['"v1"', alias, `${arn}:1`]);
  await expectError(sfn.deleteStateMachineVersion({ stateMachineVersionArn: `${arn}:1` }), "ConflictException",
    `Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: `
    + "[prod]");
  const two = [{ stateMachineVersionArn: `${arn}:2`, weight: 100 }];
  assertDate((await sfn.updateStateMachineAlias({ stateMachineAliasArn: alias, routingConfiguration: two })).updateDate,
             "updateDate");
  assert.deepEqual((await sfn.describeStateMachineAlias({ stateMachineAliasArn: alias })).routingConfiguration, two);
  const { stateMachineAliases } = await sfn.listStateMachineAliases({ stateMachineArn: arn });
  assert.deepEqual(stateMachineAliases.map((a) => a.stateMachineAliasArn), [alias]);
  await sfn.deleteStateMachineAlias({ stateMachineAliasArn: alias });
  await sfn.deleteStateMachineVersion({ stateMachineVersionArn: `${arn}:1` });
  const left = (await sfn.listStateMachineVersions({ stateMachineArn: arn })).stateMachineVersions;
  assert.deepEqual(left.map((v) => v.stateMachineVersionArn), [`${arn}:3`, `${arn}:2`]);
});

test("RedriveExecution of an ABORTED execution and ListExecutions' redriveFilter; ExecutionNotRedrivable", async () => {
  const { stateMachineArn } = await sfn.createStateMachine({
    name: uniqueName("redrive"), definition: HOLD_DEFINITION, roleArn: ROLE_ARN,
  });
  const { executionArn: arn } = await sfn.startExecution({ stateMachineArn, name: "stopped" });
  await sfn.stopExecution({ executionArn: arn });
  const aborted = await waitForStatus(arn, "ABORTED");
  assert.deepEqual([aborted.redriveStatus, aborted.redriveCount], ["REDRIVABLE", 0]);
  assertDate((await sfn.redriveExecution({ executionArn: arn })).redriveDate, "redriveDate");
  const running = await sfn.describeExecution({ executionArn: arn });
  assert.deepEqual([running.status, running.redriveCount], ["RUNNING", 1]);
  assertDate(running.redriveDate, "redriveDate");
  const redriven = await sfn.listExecutions({ stateMachineArn, redriveFilter: "REDRIVEN" });
  assert.deepEqual(redriven.executions.map((e) => [e.name, e.redriveCount]), [["stopped", 1]]);
  assert.deepEqual((await sfn.listExecutions({ stateMachineArn, redriveFilter: "NOT_REDRIVEN" })).executions, []);
  const events = await historyEvents(arn);
  assert.deepEqual(events.find((event) => event.type === "ExecutionRedriven").executionRedrivenEventDetails,
                   { redriveCount: 1 });
  await sfn.stopExecution({ executionArn: arn });

  const { stateMachineArn: passing } = await sfn.createStateMachine({
    name: uniqueName("succeeds"), definition: PASS_DEFINITION, roleArn: ROLE_ARN,
  });
  const { executionArn: succeeded } = await sfn.startExecution({ stateMachineArn: passing });
  await waitForStatus(succeeded, "SUCCEEDED");
  await expectError(sfn.redriveExecution({ executionArn: succeeded }), "ExecutionNotRedrivable",
                    "Execution is SUCCEEDED and cannot be redriven");
});

// tests/sdk/mock-config.json (SFN_MOCK_CONFIG, set by test_aws_sdk.py) has the test cases of this machine.
const MOCKED_MACHINE = "SdkMockedFlow";

test("SFN_MOCK_CONFIG: StartExecution of <arn>#HappyPath answers the Task from the mock; an unknown case", async () => {
  const { stateMachineArn } = await sfn.createStateMachine({
    name: MOCKED_MACHINE, roleArn: ROLE_ARN, definition: JSON.stringify({ StartAt: "Charge", States: { Charge: {
      Type: "Task", Resource: "arn:aws:states:::lambda:invoke", ResultPath: "$.charge", End: true,
      Parameters: { FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:Charge", "Payload.$": "$" } } } }),
  });
  const { executionArn: arn } = await sfn.startExecution({ stateMachineArn: `${stateMachineArn}#HappyPath`,
                                                           input: '{"order":7}' });
  const done = await waitForStatus(arn, "SUCCEEDED");
  assert.equal(done.stateMachineArn, stateMachineArn);
  assert.deepEqual(JSON.parse(done.output), { order: 7, charge: { StatusCode: 200, Payload: { charged: true } } });
  const types = (await historyEvents(arn)).map((event) => event.type);
  assert.deepEqual(types.filter((type) => type.startsWith("Task") && !type.startsWith("TaskState")),
                   ["TaskScheduled", "TaskStarted", "TaskSucceeded"]);
  const unknown = `${stateMachineArn}#NoSuchCase`;
  await expectError(sfn.startExecution({ stateMachineArn: unknown }), "StateMachineDoesNotExist",
    `State Machine Does Not Exist: '${unknown}' (SFN_MOCK_CONFIG has no test case 'NoSuchCase' for the state machine `
    + `'${MOCKED_MACHINE}')`);
});

await run();
