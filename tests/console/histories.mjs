// Execution histories for the console's unit tests, in the shape
// GetExecutionHistory answers. The loan workflow's ones were recorded from the
// loan-processor running the follow-up post's scenarios (scripts/demo.sh
// --scenario prompt, none, failed) and shortened; the others are written by
// hand in the same shape for rules the loan workflow does not reach.

const START = 1795247765.343;

/** An event: id, type, seconds after the start, details under detailsKey (default: "<type>EventDetails", camelCase). */
export function event(id, type, seconds, details, detailsKey) {
  const key = detailsKey || `${type[0].toLowerCase()}${type.slice(1)}EventDetails`;
  const result = { timestamp: START + seconds, type, id, previousEventId: id - 1 };
  if (details) result[key] = details;
  return result;
}

const entered = (id, type, seconds, name, input = "{}") => event(id, `${type}StateEntered`, seconds,
  { name, input, inputDetails: { truncated: false } }, "stateEnteredEventDetails");
const exited = (id, type, seconds, name, output = "{}") => event(id, `${type}StateExited`, seconds,
  { name, output, outputDetails: { truncated: false } }, "stateExitedEventDetails");
const lambda = { resourceType: "lambda", resource: "invoke.waitForTaskToken" };
const sns = { resourceType: "sns", resource: "publish" };

const APPLICATION = '{"applicationReference":"app-ref","property":{"nameOrNumber":"999","postcode":"PO1 1CE"}}';
const SUBMITTED = JSON.stringify({ ExecutedVersion: "$LATEST", Payload: { valuationReference: "2SBQpDXgmFTwMQEIyfPfd" },
  StatusCode: 200 });
const VALUATION = '{"valuationReference":"2SBQpDXgmFTwMQEIyfPfd","propertyValue":153500}';
const PUBLISHED = '{"MessageId":"5991e68e-e205-437c-9b8c-8c22b91b74a9","SdkHttpMetadata":{"HttpStatusCode":200}}';

/** The blog's flow while RequestValuation waits for its callback. */
export const WAITING = [
  event(1, "ExecutionStarted", 0, { roleArn: "arn:aws:iam::123456789012:role/LoanProcessorStateMachineRole",
    input: APPLICATION, inputDetails: { truncated: false } }),
  entered(2, "Task", 0, "RequestValuation", APPLICATION),
  event(3, "TaskScheduled", 0, { ...lambda, region: "us-east-1", timeoutInSeconds: 30,
    parameters: '{"FunctionName":"ValuationRequestFunction","Payload":{"taskToken":"AUrVTz","loanApplication":{}}}' }),
  event(4, "TaskStarted", 0, { ...lambda }),
  event(5, "TaskSubmitted", 0.002, { ...lambda, output: SUBMITTED, outputDetails: { truncated: false } }),
];

/** The blog's flow after the prompt callback: SUCCEEDED. */
export const SUCCEEDED = [
  ...WAITING,
  event(6, "TaskSucceeded", 6.203, { ...lambda, output: VALUATION, outputDetails: { truncated: false } }),
  exited(7, "Task", 6.203, "RequestValuation", VALUATION),
  event(8, "ExecutionSucceeded", 6.203, { output: VALUATION, outputDetails: { truncated: false } }),
];

function caughtBy(error, publisher, failState, eventType) {
  const errorOutput = `{"Error":"${error}","Cause":null}`;
  return [
    ...WAITING,
    event(6, eventType, 30.001, { ...lambda, error }),
    exited(7, "Task", 30.001, "RequestValuation", errorOutput),
    entered(8, "Task", 30.001, publisher, errorOutput),
    event(9, "TaskScheduled", 30.001, { ...sns, region: "us-east-1", parameters: "{}" }),
    event(10, "TaskStarted", 30.001, { ...sns }),
    event(11, "TaskSucceeded", 30.004, { ...sns, output: PUBLISHED, outputDetails: { truncated: false } }),
    exited(12, "Task", 30.004, publisher, PUBLISHED),
    entered(13, "Fail", 30.004, failState, PUBLISHED),
    event(14, "ExecutionFailed", 30.004, { error: failState }),
  ];
}

/** "No callback": the task times out, the Catch publishes the error, the Fail state ends it. */
export const TIMED_OUT_AND_CAUGHT = caughtBy("States.Timeout", "PublishValuationServiceTimeoutError",
  "ValuationServiceTimedOut", "TaskTimedOut");

/** "Failed response": SendTaskFailure with ValuationFailed, caught the same way. */
export const FAILED_AND_CAUGHT = caughtBy("ValuationFailed", "PublishValuationFailedError", "ValuationFailed",
  "TaskFailed");

/** A task error no Catch matches: the execution fails in the task (no StateExited). */
export const UNCAUGHT_TASK_FAILURE = [
  ...WAITING,
  event(6, "TaskFailed", 1, { ...lambda, error: "Boom", cause: "it broke" }),
  event(7, "ExecutionFailed", 1, { error: "Boom", cause: "it broke" }),
];

/** A task that fails once, is retried, and then succeeds. */
export const RETRIED = [
  event(1, "ExecutionStarted", 0, { input: "{}" }),
  entered(2, "Task", 0, "Call"),
  event(3, "TaskScheduled", 0, { resourceType: "lambda", resource: "invoke", parameters: "{}" }),
  event(4, "TaskStarted", 0, { resourceType: "lambda", resource: "invoke" }),
  event(5, "TaskFailed", 0.1, { resourceType: "lambda", resource: "invoke", error: "Lambda.ServiceException" }),
];
export const RETRIED_AGAIN = [
  ...RETRIED,
  event(6, "TaskScheduled", 2.1, { resourceType: "lambda", resource: "invoke", parameters: "{}" }),
];
export const RETRIED_AND_SUCCEEDED = [
  ...RETRIED_AGAIN,
  event(7, "TaskStarted", 2.1, { resourceType: "lambda", resource: "invoke" }),
  event(8, "TaskSucceeded", 2.2, { resourceType: "lambda", resource: "invoke", output: '{"ok":true}' }),
  exited(9, "Task", 2.2, "Call", '{"ok":true}'),
  event(10, "ExecutionSucceeded", 2.2, { output: '{"ok":true}' }),
];

/** Pass, Choice and Wait states, then a stop (StopExecution) while waiting. */
export const STOPPED_IN_A_WAIT = [
  event(1, "ExecutionStarted", 0, { input: '{"n":1}' }),
  entered(2, "Pass", 0, "Prepare", '{"n":1}'),
  exited(3, "Pass", 0, "Prepare", '{"n":2}'),
  entered(4, "Choice", 0, "Check", '{"n":2}'),
  exited(5, "Choice", 0, "Check", '{"n":2}'),
  entered(6, "Wait", 0, "Pause", '{"n":2}'),
  event(7, "ExecutionAborted", 3, { error: "Operator", cause: "stopped by hand" }),
];

/** A loop: the same state entered twice; the latest visit counts. */
export const LOOPING = [
  event(1, "ExecutionStarted", 0, { input: "{}" }),
  entered(2, "Pass", 0, "Step", '{"round":1}'),
  exited(3, "Pass", 0, "Step", '{"round":1}'),
  entered(4, "Choice", 0, "Again", '{"round":1}'),
  exited(5, "Choice", 0, "Again", '{"round":1}'),
  entered(6, "Pass", 0, "Step", '{"round":2}'),
];
