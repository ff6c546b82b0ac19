// Benchmark scenario 4's load driver: activity cycles against one Step Functions server, through the AWS SDK
// for JavaScript v3 (@aws-sdk/client-sfn), the same client and the same calls for every server.
//
// A cycle is StartExecution -> GetActivityTask -> SendTaskSuccess on a state machine made of one activity Task
// (End). `concurrency` workers run cycles back to back, each with one request in flight at a time:
//
//   warm-up     cycles for warmupSeconds, then a wait until none runs (JIT, caches, connections)
//   profile     (when profileSeconds > 0) cycles for profileSeconds, once the scenario, told by the mark
//               "profile-ready", has attached its profiler to the server and answered with a line on stdin.
//   throughput  cycles for throughputSeconds; nobody polls for completions. Afterwards the driver waits until
//               ListExecutions (statusFilter RUNNING) is empty, so every cycle counted has also ended.
//   latency     cycles for latencySeconds, each followed by DescribeExecution of the execution whose task the
//               worker answered: at once when SendTaskSuccess returns, then every pollIntervalMs until the
//               status is SUCCEEDED. The latency is from SendTaskSuccess's answer to the answer that says
//               SUCCEEDED (it includes that DescribeExecution's round trip). Each worker then pauses
//               latencyPauseMs, so that the client is far from saturated: its own queue of work would
//               otherwise count as the server's latency.
//
// Usage: node activity_cycles.mjs '<JSON options>' with options {endpoint, modules (a node_modules folder
// holding @aws-sdk/client-sfn), concurrency, warmupSeconds, throughputSeconds, latencySeconds, pollIntervalMs,
// latencyPauseMs, profileSeconds, drainSeconds, requestTimeoutMs}.
// Output, one JSON object per line on stdout: {"mark": "<phase>-start" | "<phase>-end"} as each phase starts and
// ends (the scenario samples the servers' CPU then), and at the end {"result": {...}}. Exits 1 (with the reason
// on stderr) when anything fails; every wait has a deadline.
import path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import readline from "node:readline";

const options = JSON.parse(process.argv[2] || "{}");
const require = createRequire(path.join(path.resolve(options.modules), "bench-driver.js"));
const sdk = require("@aws-sdk/client-sfn");

const ACTIVITY_NAME = "BenchActivity";
const MACHINE_NAME = "BenchActivityMachine";
const ROLE_ARN = "arn:aws:iam::123456789012:role/BenchActivityRole";

// The client is the load's bottleneck on a shared 2-core machine, so it is made as cheap as the SDK allows, the
// same way for every server: the resolved middleware stack is cached per command (the SDK's cacheMiddleware) and
// requests are not signed (neither server checks SigV4 signatures; signing costs the client about a tenth of its
// CPU per request).
const client = new sdk.SFNClient({
  endpoint: options.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  signer: { sign: async (request) => request },
  cacheMiddleware: true,
  maxAttempts: 1, // an error ends the run: none is hidden by a retry
  requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: options.requestTimeoutMs },
});

const send = (Command, input) => client.send(new Command(input));
const emit = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);

/** Creates the activity and the state machine (one activity Task, End) through the API. */
async function createMachine() {
  const { activityArn } = await send(sdk.CreateActivityCommand, { name: ACTIVITY_NAME });
  const definition = { StartAt: "Work", States: { Work: { Type: "Task", Resource: activityArn, End: true } } };
  const { stateMachineArn } = await send(sdk.CreateStateMachineCommand, {
    name: MACHINE_NAME, roleArn: ROLE_ARN, definition: JSON.stringify(definition),
  });
  return { activityArn, stateMachineArn };
}

/** Per-phase counters and the execution ARN of each cycle's id (any worker may answer any cycle's task). */
function newPhase() {
  return {
    cycles: 0, emptyPolls: 0, executions: new Map(), perSecond: [], latenciesMs: [], describeCalls: 0,
    succeededAtFirstLook: 0,
  };
}

let nextCycleId = 0;

/** One cycle; returns the execution ARN of the task this worker answered and when SendTaskSuccess returned. */
async function cycle(machine, phase, workerName) {
  const id = nextCycleId++;
  const started = await send(sdk.StartExecutionCommand, {
    stateMachineArn: machine.stateMachineArn, input: JSON.stringify({ cycle: id }),
  });
  phase.executions.set(id, started.executionArn);
  let task;
  // The loan-processor's GetActivityTask waits for a task; stepfunctions-local answers at once, with no task
  // when none is queued: then it is asked again (counted as an empty poll).
  for (;;) {
    task = await send(sdk.GetActivityTaskCommand, { activityArn: machine.activityArn, workerName });
    if (task.taskToken) break;
    phase.emptyPolls += 1;
  }
  const answered = JSON.parse(task.input).cycle;
  await send(sdk.SendTaskSuccessCommand, { taskToken: task.taskToken, output: JSON.stringify({ answered }) });
  const returned = performance.now();
  phase.cycles += 1;
  return { executionArn: phase.executions.get(answered), returned };
}

/** DescribeExecution at once, then every pollIntervalMs, until SUCCEEDED; the latency in ms. */
async function timeToSucceeded(executionArn, returned, phase, deadline) {
  for (let look = 1; ; look++) {
    const { status } = await send(sdk.DescribeExecutionCommand, { executionArn });
    phase.describeCalls += 1;
    if (status === "SUCCEEDED") {
      if (look === 1) phase.succeededAtFirstLook += 1;
      return performance.now() - returned;
    }
    if (status !== "RUNNING") throw new Error(`${executionArn} ended ${status}`);
    if (performance.now() > deadline) throw new Error(`${executionArn} still RUNNING at the deadline`);
    await sleep(options.pollIntervalMs);
  }
}

/** Runs cycles on every worker for seconds; with measureLatency, each cycle waits for its SUCCEEDED. */
async function runPhase(machine, name, seconds, measureLatency) {
  const phase = newPhase();
  emit({ mark: `${name}-start` });
  const start = performance.now();
  const end = start + seconds * 1000;
  const deadline = end + options.drainSeconds * 1000;
  const worker = async (index) => {
    while (performance.now() < end) {
      const { executionArn, returned } = await cycle(machine, phase, `${name}-${index}`);
      const second = Math.floor((returned - start) / 1000);
      phase.perSecond[second] = (phase.perSecond[second] || 0) + 1;
      if (measureLatency) {
        phase.latenciesMs.push(await timeToSucceeded(executionArn, returned, phase, deadline));
        await sleep(options.latencyPauseMs);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
  phase.seconds = (performance.now() - start) / 1000;
  emit({ mark: `${name}-end` });
  return phase;
}

/** ListExecutions with statusFilter, every page; the number of executions. */
async function countExecutions(machine, statusFilter) {
  let count = 0;
  let nextToken;
  do {
    const page = await send(sdk.ListExecutionsCommand, {
      stateMachineArn: machine.stateMachineArn, statusFilter, maxResults: 1000, nextToken,
    });
    count += page.executions.length;
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return count;
}

/** Waits (at most drainSeconds) until no execution runs; the seconds it took. */
async function drain(machine) {
  const start = performance.now();
  while ((await countExecutions(machine, "RUNNING")) > 0) {
    if (performance.now() - start > options.drainSeconds * 1000)
      throw new Error(`executions still RUNNING ${options.drainSeconds} s after the last cycle`);
    await sleep(20);
  }
  return (performance.now() - start) / 1000;
}

/** Resolves with the next line on stdin; rejects after seconds. */
function nextInputLine(seconds) {
  return new Promise((resolve, reject) => {
    const input = readline.createInterface({ input: process.stdin });
    const timer = setTimeout(() => {
      input.close();
      reject(new Error(`no answer on stdin within ${seconds} s`));
    }, seconds * 1000);
    input.once("line", (line) => {
      clearTimeout(timer);
      input.close();
      process.stdin.destroy(); // read once: an open stdin would keep the process alive
      resolve(line);
    });
  });
}

function summary(phase) {
  return {
    cycles: phase.cycles, seconds: phase.seconds, emptyPolls: phase.emptyPolls,
    perSecond: Array.from(phase.perSecond, (count) => count || 0),
    latenciesMs: phase.latenciesMs, describeCalls: phase.describeCalls,
    succeededAtFirstLook: phase.succeededAtFirstLook,
  };
}

async function main() {
  const machine = await createMachine();
  const warmup = await runPhase(machine, "warmup", options.warmupSeconds, false);
  await drain(machine);
  let profile = { cycles: 0 };
  if (options.profileSeconds > 0) {
    emit({ mark: "profile-ready" });
    await nextInputLine(30);
    profile = await runPhase(machine, "profile", options.profileSeconds, false);
    await drain(machine);
  }
  const throughput = await runPhase(machine, "throughput", options.throughputSeconds, false);
  emit({ mark: "drain-start" });
  const drainSeconds = await drain(machine);
  emit({ mark: "drain-end" });
  const latency = await runPhase(machine, "latency", options.latencySeconds, true);
  const started = warmup.cycles + profile.cycles + throughput.cycles + latency.cycles;
  const succeeded = await countExecutions(machine, "SUCCEEDED");
  emit({
    result: {
      ...machine, started, succeeded,
      warmup: summary(warmup), profile: { cycles: profile.cycles },
      throughput: { ...summary(throughput), drainSeconds }, latency: summary(latency),
    },
  });
}

const watchdog = setTimeout(() => {
  console.error("activity_cycles: the run did not end within its deadline");
  process.exit(1);
}, 1000 * (options.warmupSeconds + options.profileSeconds + options.throughputSeconds + options.latencySeconds
           + 4 * options.drainSeconds + 60));

main().then(() => {
  clearTimeout(watchdog);
  client.destroy();
}, (error) => {
  console.error(`activity_cycles: ${error.stack || error}`);
  process.exit(1);
});
