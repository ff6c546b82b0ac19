// Operations being built on other branches (CreateStateMachine,
// DescribeStateMachine, UpdateStateMachine, DeleteStateMachine, ListExecutions,
// StopExecution, activities and GetActivityTask), driven by the real AWS SDK
// for JavaScript v3 and written against AWS's documented behaviour
// (/work/shared/reference/step-functions-semantics.md and the API reference).
//
// A case that meets UnknownOperationException reports "# SKIP the server does
// not implement <Operation> yet", so each case turns on by itself once its
// operations land. Run by tests/e2e/test_aws_sdk.py against a stack started
// with state-machines/SdkWorkerStateMachine.asl.json added.
import {
  assert, assertDate, sleep, sfn, test, run, expectError, waitFor, waitForStatus, historyEvents, startWorkerTask,
  uniqueName, machineArn, executionArn, REGION, ACCOUNT, TASK_CLOSED, WORKER_MACHINE,
} from "./harness.mjs";

const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/SdkTestsRole`;

const activityArn = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:activity:${name}`;

/* A one-state workflow whose output is result. */
const passDefinition = (result) => JSON.stringify({
  StartAt: "Answer",
  States: { Answer: { Type: "Pass", Result: result, End: true } },
});

/** Creates a Pass state machine; returns its name, ARN and the create response. */
async function createPassMachine(result = { answer: 42 }) {
  const name = uniqueName("SdkPass");
  const definition = passDefinition(result);
  const created = await sfn.createStateMachine({ name, definition, roleArn: ROLE_ARN });
  return { name, definition, arn: created.stateMachineArn, created };
}

/** The state machine is gone or going: DescribeStateMachine fails, or says DELETING, as AWS's docs allow. */
async function assertDeleted(arn) {
  try {
    const description = await sfn.describeStateMachine({ stateMachineArn: arn });
    assert.equal(description.status, "DELETING");
  } catch (error) {
    assert.equal(error.name, "StateMachineDoesNotExist", error.message);
  }
}

// ---- state machines ----

test("CreateStateMachine, then DescribeStateMachine and ListStateMachines show it and it runs", async () => {
  const { name, definition, arn, created } = await createPassMachine({ answer: 42 });
  assert.equal(arn, machineArn(name));
  assertDate(created.creationDate, "creationDate");
  const description = await sfn.describeStateMachine({ stateMachineArn: arn });
  assert.equal(description.stateMachineArn, arn);
  assert.equal(description.name, name);
  assert.equal(description.status, "ACTIVE");
  assert.equal(description.definition, definition);
  assert.equal(description.roleArn, ROLE_ARN);
  assert.equal(description.type, "STANDARD");
  assertDate(description.creationDate, "creationDate");
  assert.equal(description.creationDate.getTime(), created.creationDate.getTime());
  const { stateMachines } = await sfn.listStateMachines({});
  const listed = stateMachines.find((machine) => machine.stateMachineArn === arn);
  assert.ok(listed, "ListStateMachines includes the new state machine");
  assert.deepEqual([listed.name, listed.type], [name, "STANDARD"]);

  const { executionArn: execution } = await sfn.startExecution({ stateMachineArn: arn, input: "{}" });
  const done = await waitForStatus(execution, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { answer: 42 });
});

test("CreateStateMachine is idempotent; another definition under the name is StateMachineAlreadyExists",
  async () => {
    const { name, definition, arn, created } = await createPassMachine();
    const again = await sfn.createStateMachine({ name, definition, roleArn: ROLE_ARN });
    assert.equal(again.stateMachineArn, arn);
    assert.equal(again.creationDate.getTime(), created.creationDate.getTime());
    await expectError(sfn.createStateMachine({ name, definition: passDefinition("other"), roleArn: ROLE_ARN }),
                      "StateMachineAlreadyExists", `State Machine Already Exists: '${arn}'`);
  });

test("CreateStateMachine refuses an invalid definition (InvalidDefinition) and a bad name (InvalidName)",
  async () => {
    const definition = JSON.stringify({
      StartAt: "Ask",
      States: {
        Ask: {
          Type: "Task", Resource: "arn:aws:states:::sns:publish.waitForTaskToken",
          Parameters: { TopicArn: "SdkWorkerTopic", "Message.$": "not a path" }, End: true,
        },
      },
    });
    await expectError(sfn.createStateMachine({ name: uniqueName("SdkBad"), definition, roleArn: ROLE_ARN }),
                      "InvalidDefinition",
                      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The value for the field "
                      + "'Message.$' must be a valid JSONPath or a valid intrinsic function call at /States/Ask/Parameters'");
    await expectError(sfn.createStateMachine({ name: uniqueName("SdkBad"), definition: "{not json",
                                               roleArn: ROLE_ARN }),
                      "InvalidDefinition", /^Invalid State Machine Definition: '/);
    await expectError(sfn.createStateMachine({ name: "has space", definition: passDefinition(1), roleArn: ROLE_ARN }),
                      "InvalidName");
  });

test("UpdateStateMachine replaces the definition; new executions use it", async () => {
  const { arn } = await createPassMachine({ version: 1 });
  const definition = passDefinition({ version: 2 });
  const updated = await sfn.updateStateMachine({ stateMachineArn: arn, definition });
  assertDate(updated.updateDate, "updateDate");
  assert.equal((await sfn.describeStateMachine({ stateMachineArn: arn })).definition, definition);
  // AWS: "Executions started immediately after calling UpdateStateMachine may use the previous definition".
  await waitFor(async () => {
    const { executionArn: execution } = await sfn.startExecution({ stateMachineArn: arn });
    return JSON.parse((await waitForStatus(execution, "SUCCEEDED")).output).version === 2;
  }, { interval: 100, what: "an execution that uses the new definition" });
  const missing = machineArn(uniqueName("SdkMissing"));
  await expectError(sfn.updateStateMachine({ stateMachineArn: missing, definition }), "StateMachineDoesNotExist",
                    `State Machine Does Not Exist: '${missing}'`);
  await expectError(sfn.updateStateMachine({ stateMachineArn: arn }), "MissingRequiredParameter");
});

test("DeleteStateMachine removes it from DescribeStateMachine, ListStateMachines and StartExecution", async () => {
  const { arn } = await createPassMachine();
  const answer = await sfn.deleteStateMachine({ stateMachineArn: arn });
  assert.equal(answer.$metadata.httpStatusCode, 200);
  await assertDeleted(arn);
  await waitFor(async () => !(await sfn.listStateMachines({})).stateMachines.some((m) => m.stateMachineArn === arn),
                { what: "the deleted state machine to leave ListStateMachines" });
  const error = await sfn.startExecution({ stateMachineArn: arn }).then(() => null, (caught) => caught);
  assert.ok(error && ["StateMachineDoesNotExist", "StateMachineDeleting"].includes(error.name),
            `StartExecution of a deleted state machine fails (${error?.name}: ${error?.message})`);
});

test("DescribeStateMachine of a missing or malformed ARN: StateMachineDoesNotExist, InvalidArn", async () => {
  const missing = machineArn(uniqueName("SdkMissing"));
  await expectError(sfn.describeStateMachine({ stateMachineArn: missing }), "StateMachineDoesNotExist",
                    `State Machine Does Not Exist: '${missing}'`);
  await expectError(sfn.describeStateMachine({ stateMachineArn: "nonsense" }), "InvalidArn",
                    "Invalid Arn: 'Invalid ARN prefix: nonsense'");
});

// ---- ListExecutions ----

test("ListExecutions: newest first, statusFilter, paging with maxResults and nextToken", async () => {
  const { arn } = await createPassMachine();
  const names = [];
  for (let i = 0; i < 3; i++) {
    const name = uniqueName("listed");
    names.push(name);
    await waitForStatus((await sfn.startExecution({ stateMachineArn: arn, name })).executionArn, "SUCCEEDED");
    await sleep(5); // distinct start times
  }
  const newestFirst = [...names].reverse();
  const { executions, nextToken } = await sfn.listExecutions({ stateMachineArn: arn });
  assert.equal(nextToken, undefined);
  assert.deepEqual(executions.map((execution) => execution.name), newestFirst);
  for (const execution of executions) {
    assert.equal(execution.executionArn, executionArn(arn.split(":").at(-1), execution.name));
    assert.equal(execution.stateMachineArn, arn);
    assert.equal(execution.status, "SUCCEEDED");
    assertDate(execution.startDate, "startDate");
    assertDate(execution.stopDate, "stopDate");
  }
  assert.deepEqual((await sfn.listExecutions({ stateMachineArn: arn, statusFilter: "SUCCEEDED" })).executions
    .map((execution) => execution.name), newestFirst);
  assert.deepEqual((await sfn.listExecutions({ stateMachineArn: arn, statusFilter: "RUNNING" })).executions, []);

  const paged = [];
  let token;
  do {
    const page = await sfn.listExecutions({ stateMachineArn: arn, maxResults: 1, nextToken: token });
    assert.ok(page.executions.length <= 1);
    paged.push(...page.executions.map((execution) => execution.name));
    token = page.nextToken;
  } while (token);
  assert.deepEqual(paged, newestFirst);
});

test("ListExecutions of running executions of the worker workflow", async () => {
  const { arn } = await startWorkerTask();
  const { executions } = await sfn.listExecutions({ stateMachineArn: machineArn(WORKER_MACHINE),
                                                    statusFilter: "RUNNING" });
  const listed = executions.find((execution) => execution.executionArn === arn);
  assert.ok(listed, "the running execution is listed");
  assert.equal(listed.status, "RUNNING");
  assert.equal(listed.stopDate, undefined);
});

test("ListExecutions errors: a bad statusFilter (ValidationException), a missing state machine", async () => {
  await expectError(sfn.listExecutions({ stateMachineArn: machineArn(WORKER_MACHINE), statusFilter: "succeeded" }),
                    "ValidationException",
                    "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: "
                    + "Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, "
                    + "RUNNING]");
  const missing = machineArn(uniqueName("SdkMissing"));
  await expectError(sfn.listExecutions({ stateMachineArn: missing }), "StateMachineDoesNotExist",
                    `State Machine Does Not Exist: '${missing}'`);
});

// ---- StopExecution ----

test("StopExecution with error and cause aborts a waiting execution; its token then gets TaskTimedOut", async () => {
  const { arn, token } = await startWorkerTask();
  const stopped = await sfn.stopExecution({ executionArn: arn, error: "Cancelled", cause: "The applicant withdrew" });
  assertDate(stopped.stopDate, "stopDate");
  const description = await sfn.describeExecution({ executionArn: arn });
  assert.deepEqual([description.status, description.error, description.cause],
                   ["ABORTED", "Cancelled", "The applicant withdrew"]);
  assert.equal(description.stopDate.getTime(), stopped.stopDate.getTime());
  assert.equal(description.output, undefined);
  const events = await historyEvents(arn);
  assert.equal(events.at(-1).type, "ExecutionAborted");
  assert.deepEqual(events.at(-1).executionAbortedEventDetails, { error: "Cancelled", cause: "The applicant withdrew" });
  await expectError(sfn.sendTaskSuccess({ taskToken: token, output: "{}" }), "TaskTimedOut", TASK_CLOSED);
  await expectError(sfn.sendTaskHeartbeat({ taskToken: token }), "TaskTimedOut", TASK_CLOSED);
});

test("StopExecution without error or cause: ExecutionAborted with neither", async () => {
  const { arn } = await startWorkerTask();
  await sfn.stopExecution({ executionArn: arn });
  const description = await sfn.describeExecution({ executionArn: arn });
  assert.equal(description.status, "ABORTED");
  assert.equal(description.error, undefined);
  assert.equal(description.cause, undefined);
  const events = await historyEvents(arn);
  assert.equal(events.at(-1).type, "ExecutionAborted");
  assert.deepEqual(events.at(-1).executionAbortedEventDetails, {});
});

test("StopExecution errors: a missing execution, limits on error and cause", async () => {
  const missing = executionArn(WORKER_MACHINE, uniqueName("no-such-execution"));
  await expectError(sfn.stopExecution({ executionArn: missing }), "ExecutionDoesNotExist",
                    `Execution Does Not Exist: '${missing}'`);
  const { arn } = await startWorkerTask();
  await expectError(sfn.stopExecution({ executionArn: arn, error: "e".repeat(257) }), "ValidationException");
  await expectError(sfn.stopExecution({ executionArn: arn, cause: "c".repeat(32769) }), "ValidationException");
  assert.equal((await sfn.describeExecution({ executionArn: arn })).status, "RUNNING");
  await sfn.stopExecution({ executionArn: arn });
});

// ---- activities ----

test("CreateActivity (idempotent), DescribeActivity, ListActivities, DeleteActivity", async () => {
  const name = uniqueName("SdkActivity");
  const created = await sfn.createActivity({ name });
  assert.equal(created.activityArn, activityArn(name));
  assertDate(created.creationDate, "creationDate");
  const again = await sfn.createActivity({ name });
  assert.equal(again.activityArn, created.activityArn);
  const description = await sfn.describeActivity({ activityArn: created.activityArn });
  assert.deepEqual([description.activityArn, description.name], [created.activityArn, name]);
  assert.equal(description.creationDate.getTime(), created.creationDate.getTime());
  const { activities } = await sfn.listActivities({});
  assert.ok(activities.some((activity) => activity.activityArn === created.activityArn && activity.name === name));
  await sfn.deleteActivity({ activityArn: created.activityArn });
  await expectError(sfn.describeActivity({ activityArn: created.activityArn }), "ActivityDoesNotExist");
  await expectError(sfn.createActivity({ name: "has space" }), "InvalidName");
});

/** An activity and a state machine whose one Task runs it; returns both ARNs. */
async function createActivityWorkflow() {
  const { activityArn: activity } = await sfn.createActivity({ name: uniqueName("SdkValuer") });
  const definition = JSON.stringify({
    StartAt: "Value",
    States: { Value: { Type: "Task", Resource: activity, TimeoutSeconds: 600, End: true } },
  });
  const { stateMachineArn } = await sfn.createStateMachine({ name: uniqueName("SdkActivityFlow"), definition,
                                                             roleArn: ROLE_ARN });
  return { activity, stateMachineArn };
}

test("an activity worker: GetActivityTask, then sendTaskSuccess completes the execution", async () => {
  const { activity, stateMachineArn } = await createActivityWorkflow();
  const input = JSON.stringify({ property: "999" });
  const { executionArn: arn } = await sfn.startExecution({ stateMachineArn, input });
  const task = await sfn.getActivityTask({ activityArn: activity, workerName: "sdk-worker" });
  assert.equal(typeof task.taskToken, "string");
  assert.ok(task.taskToken.length >= 1 && task.taskToken.length <= 2048);
  assert.deepEqual(JSON.parse(task.input), { property: "999" });
  await sfn.sendTaskSuccess({ taskToken: task.taskToken, output: '{"propertyValue":153500}' });
  const done = await waitForStatus(arn, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { propertyValue: 153500 });
  const events = await historyEvents(arn);
  const types = events.map((event) => event.type);
  for (const type of ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]) assert.ok(types.includes(type), type);
  const scheduled = events.find((event) => event.type === "ActivityScheduled").activityScheduledEventDetails;
  assert.equal(scheduled.resource, activity);
  assert.deepEqual(JSON.parse(scheduled.input), { property: "999" });
  assert.equal(scheduled.timeoutInSeconds, 600);
  assert.equal(events.find((event) => event.type === "ActivityStarted").activityStartedEventDetails.workerName,
               "sdk-worker");
  assert.equal(events.find((event) => event.type === "ActivitySucceeded").activitySucceededEventDetails.output,
               '{"propertyValue":153500}');
  await expectError(sfn.sendTaskSuccess({ taskToken: task.taskToken, output: "{}" }), "TaskTimedOut", TASK_CLOSED);
});

test("an activity worker: sendTaskFailure fails the execution with ActivityFailed", async () => {
  const { activity, stateMachineArn } = await createActivityWorkflow();
  const { executionArn: arn } = await sfn.startExecution({ stateMachineArn, input: "{}" });
  const task = await sfn.getActivityTask({ activityArn: activity, workerName: "sdk-worker" });
  await sfn.sendTaskHeartbeat({ taskToken: task.taskToken });
  await sfn.sendTaskFailure({ taskToken: task.taskToken, error: "SurveyFailed", cause: "Nobody was home" });
  const done = await waitForStatus(arn, "FAILED");
  assert.deepEqual([done.error, done.cause], ["SurveyFailed", "Nobody was home"]);
  const failed = (await historyEvents(arn)).find((event) => event.type === "ActivityFailed");
  assert.deepEqual(failed.activityFailedEventDetails, { error: "SurveyFailed", cause: "Nobody was home" });
});

test("GetActivityTask of a missing activity: ActivityDoesNotExist", async () => {
  await expectError(sfn.getActivityTask({ activityArn: activityArn(uniqueName("SdkMissing")) }),
                    "ActivityDoesNotExist");
});

await run({ skipUnimplemented: true });
