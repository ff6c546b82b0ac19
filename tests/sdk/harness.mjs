// A tiny TAP runner and the helpers the AWS SDK suites share.
//
// Each test file registers cases with test(name, fn) and calls run(). Every
// case prints one TAP point ("ok N - name" / "not ok N - name" followed by
// "# " diagnostics), so tests/e2e/test_aws_sdk.py can relay one point per case.
// Every case and every wait has a deadline; nothing here needs more than what
// Node.js 18 offers.
//
// Environment (set by tests/e2e/test_aws_sdk.py): AWS_ENDPOINT_URL_SFN,
// AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (what any SDK user
// sets), REDIS_URL (the stack's Redis, to read local SNS topics the way a
// worker would) and TIME_SCALE (the servers' time scale).
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import * as sdk from "@aws-sdk/client-sfn";

export { assert, sleep, sdk };

export const REGION = process.env.AWS_REGION;
export const ACCOUNT = "123456789012";
export const TIME_SCALE = Number(process.env.TIME_SCALE || "1");
export const TASK_CLOSED = "Task Timed Out: 'Provided task does not exist anymore'";
export const INVALID_TOKEN = "Invalid Token: 'Invalid token'";
export const SAMPLE_APPLICATION = {
  applicationReference: "app-ref",
  property: { nameOrNumber: "999", postcode: "PO1 1CE" },
};

const CASE_DEADLINE_MS = 15000;

export const WORKER_MACHINE = "SdkWorkerStateMachine";
export const WORKER_TOPIC = "SdkWorkerTopic";
export const NO_TIMEOUT_SECONDS = 99999; // no timeout within a test, even unscaled

export const machineArn = (name) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
export const executionArn = (machine, name) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:${name}`;

/* A name no other case of this run uses (executions and state machines keep their names). */
let nameCounter = 0;
export function uniqueName(prefix) {
  nameCounter += 1;
  return `${prefix}-${process.pid}-${nameCounter}`;
}

// ---- the runner ----

const cases = [];
let currentCase = null;

/**
 * Registers a case. options.knownDeviation (a sentence saying how the server
 * differs from AWS) turns a failure into "# SKIP known deviation from AWS";
 * the case passes plainly once the server is fixed.
 */
export function test(name, fn, options = {}) {
  cases.push({ name, fn, knownDeviation: options.knownDeviation });
}

function printDiagnostics(text) {
  for (const line of String(text).trimEnd().split("\n")) console.log(`# ${line}`);
}

function describeFailure(error) {
  if (error instanceof Error) {
    const details = [error.stack || `${error.name}: ${error.message}`];
    if (error.$metadata) details.push(`$metadata: ${JSON.stringify(error.$metadata)}`);
    return details.join("\n");
  }
  return String(error);
}

async function runCase(testCase) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`case did not finish within ${CASE_DEADLINE_MS} ms`)),
                       CASE_DEADLINE_MS);
  });
  try {
    await Promise.race([testCase.fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the registered cases in order and exits. With skipUnimplemented, a
 * case that failed after the server answered UnknownOperationException is
 * reported as "# SKIP" naming the missing operations, so it turns on by
 * itself once they exist.
 */
export async function run({ skipUnimplemented = false } = {}) {
  console.log(`1..${cases.length}`);
  let failed = 0;
  for (const [index, testCase] of cases.entries()) {
    const number = index + 1;
    currentCase = { unimplemented: new Set() };
    let failure = null;
    try {
      await runCase(testCase);
    } catch (error) {
      failure = error;
    }
    const unimplemented = [...currentCase.unimplemented];
    if (!failure) {
      console.log(`ok ${number} - ${testCase.name}`);
    } else if (skipUnimplemented && unimplemented.length) {
      console.log(`ok ${number} - ${testCase.name} # SKIP the server does not implement ${unimplemented.join(", ")} yet`);
    } else if (testCase.knownDeviation) {
      console.log(`ok ${number} - ${testCase.name} # SKIP known deviation from AWS: ${testCase.knownDeviation}`);
      printDiagnostics(`${failure.name}: ${failure.message}`);
    } else {
      failed += 1;
      console.log(`not ok ${number} - ${testCase.name}`);
      printDiagnostics(describeFailure(failure));
    }
  }
  currentCase = null;
  process.exit(failed ? 1 : 0);
}

// ---- the SDK client ----

/**
 * The aggregated client, configured only by the environment, as an
 * application would create it (new SFN({})). A middleware notes operations the
 * server does not know, for run({skipUnimplemented}).
 */
export function newClient() {
  const client = new sdk.SFN({});
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error?.name === "UnknownOperationException" && currentCase)
          currentCase.unimplemented.add(String(context.commandName).replace(/Command$/, ""));
        throw error;
      }
    },
    { step: "initialize", name: "noteUnimplementedOperations" });
  return client;
}

export const sfn = newClient();

// ---- assertions and waits ----

/**
 * Awaits promise, which must reject with the SDK's exception class called
 * name (one of the client's modelled errors), HTTP status 400 and a client
 * fault; message, when given, is compared exactly (a RegExp is matched).
 * Returns the error.
 */
export async function expectError(promise, name, message) {
  let error = null;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  assert.ok(error, `expected ${name}, but the call succeeded`);
  assert.equal(error.name, name, `error name (message: ${error.message})`);
  assert.ok(sdk[name] && error instanceof sdk[name], `${name} is the SDK's own exception class`);
  assert.ok(error instanceof sdk.SFNServiceException, "an SFNServiceException");
  assert.equal(error.$metadata?.httpStatusCode, 400, "HTTP status");
  assert.equal(error.$fault, "client", "$fault");
  if (message instanceof RegExp) assert.match(error.message, message);
  else if (message !== undefined) assert.equal(error.message, message);
  return error;
}

/** Asserts value is a Date the SDK made from one of the API's epoch-second timestamps. */
export function assertDate(value, what) {
  assert.ok(value instanceof Date && !Number.isNaN(value.getTime()), `${what} is a valid Date (got ${value})`);
}

/** Polls condition() every interval ms until it returns a truthy value; fails after timeout ms. */
export async function waitFor(condition, { timeout = 5000, interval = 20, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/** Describes the execution until its status is wanted; returns that description. */
export function waitForStatus(arn, wanted, timeout = 5000) {
  return waitFor(async () => {
    const description = await sfn.describeExecution({ executionArn: arn });
    return description.status === wanted ? description : null;
  }, { timeout, what: `${arn} to be ${wanted}` });
}

/** The whole history, oldest first. */
export async function historyEvents(arn) {
  return (await sfn.getExecutionHistory({ executionArn: arn })).events;
}

/** Waits until the execution's task has been submitted; returns the history so far. */
export function waitForTaskSubmitted(arn) {
  return waitFor(async () => {
    const events = await historyEvents(arn);
    return events.some((event) => event.type === "TaskSubmitted") ? events : null;
  }, { what: `the task of ${arn} to be submitted` });
}

// ---- Redis, for reading local SNS topics ----

/* Parses one RESP reply at offset; returns [value, next offset], or null when buffer holds only part of it. */
function parseReply(buffer, offset) {
  const end = buffer.indexOf("\r\n", offset);
  if (end < 0) return null;
  const kind = String.fromCharCode(buffer[offset]);
  const line = buffer.toString("utf8", offset + 1, end);
  const next = end + 2;
  if (kind === "+") return [line, next];
  if (kind === "-") return [new Error(line), next];
  if (kind === ":") return [Number(line), next];
  if (kind === "$") {
    const length = Number(line);
    if (length < 0) return [null, next];
    if (buffer.length < next + length + 2) return null;
    return [buffer.toString("utf8", next, next + length), next + length + 2];
  }
  if (kind === "*") {
    const count = Number(line);
    if (count < 0) return [null, next];
    const items = [];
    let position = next;
    for (let i = 0; i < count; i++) {
      const parsed = parseReply(buffer, position);
      if (!parsed) return null;
      items.push(parsed[0]);
      position = parsed[1];
    }
    return [items, position];
  }
  throw new Error(`unexpected RESP reply type ${JSON.stringify(kind)}`);
}

/** Sends one command to the Redis node host:port and resolves with its reply (3 s deadline). */
function sendCommand(host, port, args) {
  let request = `*${args.length}\r\n`;
  for (const argument of args) request += `$${Buffer.byteLength(String(argument))}\r\n${argument}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let buffer = Buffer.alloc(0);
    const finish = (error, value) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    socket.setTimeout(3000, () => finish(new Error(`Redis did not answer ${args[0]} within 3 s`)));
    socket.on("error", (error) => finish(error));
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseReply(buffer, 0);
      if (parsed) finish(null, parsed[0]);
    });
  });
}

/**
 * Sends one command to the stack's Redis (REDIS_URL: one node, or the seeds of a Redis Cluster, whose first seed
 * is asked and whose MOVED redirections are followed) and resolves with its reply.
 */
export async function redisCommand(...args) {
  const seed = process.env.REDIS_URL.replace(/^redis:\/\/([^@]*@)?/, "").split(/[,/]/)[0];
  let [host, port] = [seed.slice(0, seed.lastIndexOf(":")) || seed, Number(seed.split(":").pop()) || 6379];
  for (let redirections = 0; ; redirections++) {
    const reply = await sendCommand(host, port, args);
    const moved = reply instanceof Error && redirections < 5 && /^MOVED \d+ (.*):(\d+)$/.exec(reply.message);
    if (!moved) {
      if (reply instanceof Error) throw reply;
      return reply;
    }
    [host, port] = [moved[1] || host, Number(moved[2])];
  }
}

/** The messages of local SNS topic, oldest first: one object of stream fields each. */
export async function topicMessages(topic) {
  const entries = (await redisCommand("XRANGE", `sns:${topic}`, "-", "+")) || [];
  return entries.map(([id, fields]) => {
    const message = { id };
    for (let i = 0; i + 1 < fields.length; i += 2) message[fields[i]] = fields[i + 1];
    return message;
  });
}

/**
 * Starts the worker workflow (state-machines/SdkWorkerStateMachine.asl.json)
 * and reads its task token the way a worker would: from the message it
 * published to the local topic (the Redis stream sns:SdkWorkerTopic).
 * Returns the execution's ARN and the token.
 */
export async function startWorkerTask({ timeoutSeconds = NO_TIMEOUT_SECONDS, heartbeatSeconds = NO_TIMEOUT_SECONDS - 1,
                                        job = "value a house" } = {}) {
  const { executionArn: arn } = await sfn.startExecution({
    stateMachineArn: machineArn(WORKER_MACHINE), name: uniqueName("worker"),
    input: JSON.stringify({ job, timeoutSeconds, heartbeatSeconds }),
  });
  const message = await waitFor(async () => (await topicMessages(WORKER_TOPIC)).find((m) => m.executionArn === arn),
                                { what: `a message on ${WORKER_TOPIC} from ${arn}` });
  const published = JSON.parse(message.Message);
  assert.equal(published.job, job);
  return { arn, token: published.taskToken };
}
