#!/usr/bin/env python3
"""Scenario 6 of the benchmark: a Map of callbacks (issue 16).

One execution of a state machine the scenario creates through the API, whose only state is a Map over
$.properties (10,000 items; 500 with --quick) with MaxConcurrency 10,000 and, by default, a DISTRIBUTED item
processor (--mode inline runs the same machine with an INLINE one, which runs at most 40 iterations at once).
Each iteration is the valuation task of the shipped LoanPortfolioStateMachine: lambda:invoke.waitForTaskToken of
ValuationRequestFunction, answered by the valuation service's callback after its real six-second delay.

The items are property numbers and the Map's ItemSelector builds each iteration's input as the portfolio
machine's does ({applicationReference, propertyIndex, property: {nameOrNumber, postcode}}): 10,000 property
objects in the execution's input would exceed the 256 KiB payload limit. The Map's ResultPath is null, so the
10,000 valuations (about 1 MB) do not become the execution's output, which has the same limit.

Figures: whether every iteration was done and the execution SUCCEEDED; slowest callback -> SUCCEEDED (the time
the loan-processor logged the last callback's arrival, to the execution's stopDate: see slowest_callback); the
HTTP 503 answers the callbacks got (from the valuation service's log); Redis bytes per waiting iteration
(used_memory while every callback is pending, less the figure before the start, over N); first start -> SUCCEEDED.
"""

import datetime
import json
import math
import os
import re
import sys
import time

import bench_harness as bench
from bench_harness import harness
from scenario_blog_flow import Stack

MACHINE_NAME = "MapOfCallbacks"
ROLE_ARN = f"arn:aws:iam::{harness.ACCOUNT}:role/bench"
INLINE_CONCURRENCY = 40  # what an inline Map runs at once whatever its MaxConcurrency (docs/execution-model.md)
VALUATION_DELAY_SECONDS = 6.0
# The full run's "first start → execution SUCCEEDED" before the engine's work on CPU per flow (bench/results.md of
# 2026-12-06: 13.5 s, and 13.1 s in a second run that day): that work must not make the Map slower.
MAP_SECONDS_BEFORE = 13.5
# A line of a server's text log: "<ISO time> <LEVEL> <service> <event>: <message>".
LOG_LINE = re.compile(r"^(\S+)\s+[A-Z]+\s+[a-z-]+\s+([a-z-]+): (.*)$")


def definition(mode):
    """The state machine: one Map over $.properties whose iteration is the portfolio machine's valuation task."""
    config = {"Mode": mode.upper()}
    if mode == "distributed":
        config["ExecutionType"] = "STANDARD"
    return {
        "Comment": "scripts/bench.sh scenario 6: a Map of valuation callbacks",
        "StartAt": "ValueEachProperty",
        "States": {
            "ValueEachProperty": {
                "Type": "Map",
                "ItemsPath": "$.properties",
                "MaxConcurrency": 10000,
                "ItemSelector": {
                    "applicationReference.$": "$.applicationReference",
                    "propertyIndex.$": "$$.Map.Item.Index",
                    "property": {"nameOrNumber.$": "$$.Map.Item.Value", "postcode.$": "$.postcode"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": config,
                    "StartAt": "RequestPropertyValuation",
                    "States": {
                        "RequestPropertyValuation": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                            "TimeoutSeconds": 30,
                            "Parameters": {
                                "FunctionName": "ValuationRequestFunction",
                                "Payload": {"taskToken.$": "$$.Task.Token", "loanApplication.$": "$"},
                            },
                            "End": True,
                        }
                    },
                },
                "ResultPath": None,
                "End": True,
            }
        },
    }


def sfn(stack, operation, body, timeout=30):
    """Calls the Step Functions API of the stack's loan-processor; returns (status, parsed body or None)."""
    status, text = harness.request("POST", f"{stack.loan_url}/", body,
                                   {"Content-Type": "application/x-amz-json-1.0",
                                    "X-Amz-Target": f"AWSStepFunctions.{operation}"}, timeout=timeout)
    return status, json.loads(text) if text else None


def sfn_ok(stack, operation, body):
    status, answer = sfn(stack, operation, body)
    if status != 200:
        raise RuntimeError(f"{operation} answered {status}: {answer}")
    return answer


def pages(stack, operation, body, key):
    """Every item of a paginated List* operation."""
    items, token = [], None
    while True:
        answer = sfn_ok(stack, operation, dict(body, **({"nextToken": token} if token else {})))
        items += answer.get(key, [])
        token = answer.get("nextToken")
        if not token:
            return items


def pending_sampler(stack):
    """Samples, every 50 ms, the valuation service's pending callbacks (ZCARD of its due set) and Redis
    used_memory: points (monotonic seconds, due, used_memory)."""
    return bench.Sampler(lambda: (int(stack.redis.command("ZCARD", "{valuation-service}:due")), stack.used_memory()))


def server_log(path):
    """A server's log as a list of (epoch seconds, event, message)."""
    events = []
    with open(path, errors="replace") as log:
        for line in log:
            match = LOG_LINE.match(line.strip())
            if not match:
                continue
            moment = datetime.datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).timestamp()
            events.append((moment, match.group(2), match.group(3)))
    return events


def last_task_succeeded(stack, execution_arn, mode):
    """The fallback for the slowest callback's time: the newest TaskSucceeded timestamp (epoch seconds) in the
    histories that hold the iterations' events (the parent's when inline, the child executions' when distributed)."""
    histories = [execution_arn]
    if mode == "distributed":
        for run in pages(stack, "ListMapRuns", {"executionArn": execution_arn}, "mapRuns"):
            histories += [child["executionArn"] for child in
                          pages(stack, "ListExecutions", {"mapRunArn": run["mapRunArn"]}, "executions")]
    newest = None
    for arn in histories:
        for event in pages(stack, "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}, "events"):
            if event["type"] == "TaskSucceeded":
                newest = max(newest or 0, float(event["timestamp"]))
    return newest


def wait_for_end(stack, execution_arn, deadline_seconds):
    """DescribeExecution's answer once the execution is no longer RUNNING; raises after deadline_seconds."""
    ends = time.monotonic() + deadline_seconds
    while time.monotonic() < ends:
        description = sfn_ok(stack, "DescribeExecution", {"executionArn": execution_arn})
        if description["status"] != "RUNNING":
            return description
        time.sleep(0.05)
    raise RuntimeError(f"{execution_arn} still RUNNING after {deadline_seconds:.0f} s")


def create_machine(stack, mode):
    """Creates the machine; exits with a message when CreateStateMachine refuses it."""
    status, answer = sfn(stack, "CreateStateMachine", {"name": MACHINE_NAME, "roleArn": ROLE_ARN,
                                                       "definition": json.dumps(definition(mode))})
    if status != 200:
        message = (answer or {}).get("message", answer)
        raise SystemExit(f"map_callbacks: CreateStateMachine refused the {mode.upper()} Map ({status}): {message}")
    return answer["stateMachineArn"]


def run(build, work, count, mode, time_scale):
    """Runs the execution; returns what was measured (see measure)."""
    stack = Stack(build, work, valuation_time_scale=time_scale)
    try:
        machine_arn = create_machine(stack, mode)
        baseline = stack.used_memory()
        sampler = pending_sampler(stack)
        start_input = {"applicationReference": "map-bench", "postcode": "PO1 1CE",
                       "properties": [str(index + 1) for index in range(count)]}
        execution_arn = sfn_ok(stack, "StartExecution", {"stateMachineArn": machine_arn, "name": "map-bench",
                                                          "input": json.dumps(start_input)})["executionArn"]
        waves = math.ceil(count / (INLINE_CONCURRENCY if mode == "inline" else min(count, 10000)))
        ideal = waves * VALUATION_DELAY_SECONDS * time_scale
        description = wait_for_end(stack, execution_arn, deadline_seconds=ideal + 120)
        points = sampler.stop()
        stats = stack.stats()["webhook"]
        fallback = None
        loan_log = server_log(os.path.join(work, "loan-processor.log"))
        if not any(event == "callback-received" for _, event, _ in loan_log):
            try:  # reading 10,000 child histories takes a while: only when the log does not tell
                fallback = last_task_succeeded(stack, execution_arn, mode)
            except (OSError, RuntimeError, KeyError, ValueError) as error:
                print(f"map_callbacks: reading the histories failed: {error}", file=sys.stderr)
    finally:
        stack.close()  # the servers' logs are complete once they have exited
    return {"description": description, "baseline": baseline, "points": points, "stats": stats, "ideal": ideal,
            "last_task_succeeded": fallback, "log": server_log(os.path.join(work, "valuation-service.log")),
            "loan_log": server_log(os.path.join(work, "loan-processor.log"))}


def slowest_callback(measured):
    """(epoch seconds, where it comes from) of the last callback's arrival.

    The loan-processor logs callback-received as soon as it has read a callback's body: the moment the valuation
    service's POST arrived. The valuation service itself logs a delivery (callback-sent) only once it is answered,
    after the task has resumed, and deletes its Redis keys then; its last line is the fallback, then the newest
    TaskSucceeded event of the histories."""
    received = [moment for moment, event, _ in measured["loan_log"] if event == "callback-received"]
    if received:
        return max(received), "the loan-processor's log (its last callback-received line)"
    sent = [moment for moment, event, _ in measured["log"] if event == "callback-sent"]
    if sent:
        return max(sent), "the valuation service's log (its last callback-sent line, written once answered)"
    return measured["last_task_succeeded"], "the newest TaskSucceeded event of the histories"


def measure(report, count, mode, time_scale, measured):
    description, log = measured["description"], measured["log"]
    succeeded = description["status"] == "SUCCEEDED"
    stop = float(description["stopDate"]) if "stopDate" in description else None
    total = stop - float(description["startDate"]) if stop else None
    sent = [moment for moment, event, _ in log if event == "callback-sent"]
    answered_503 = sum(1 for _, event, message in log
                       if event in ("callback-retry", "callback-failed") and "answered 503" in message)
    other_failures = sum(1 for _, event, _ in log if event in ("callback-retry", "callback-failed")) - answered_503
    resumed = measured["stats"]["resumed"]
    slowest, source = slowest_callback(measured)
    waiting = [used for _, due, used in measured["points"] if due == count]
    per_waiting = (max(waiting) - measured["baseline"]) / count if waiting else None
    # When never all wait at once, the sample with the most waiting gives an upper bound (the iterations already
    # done then still hold their records and histories).
    peak = max(measured["points"], key=lambda point: point[1], default=None)
    if per_waiting is None and peak and peak[1] > 0:
        per_waiting = (peak[2] - measured["baseline"]) / peak[1]

    report.figure("iterations done (callbacks that resumed their task)", resumed, "iterations", reference=count,
                  reference_label="items", target=f"all {count}", met=resumed == count)
    report.figure(f"all {count:,} iterations done and the execution SUCCEEDED", "yes" if succeeded and resumed == count
                  else "no", "", target="yes", met=succeeded and resumed == count,
                  limit=None if succeeded else f"the execution ended {description['status']}: "
                  f"{description.get('error', '')} {description.get('cause', '')}".strip())
    latency = stop - slowest if stop and slowest else None
    report.figure("slowest callback → execution SUCCEEDED", latency, "s", target="≤ 2 s",
                  met=latency is not None and latency <= 2,
                  limit=None if latency is not None and latency <= 2 else
                  f"measured from {source} to DescribeExecution's stopDate")
    report.figure("HTTP 503 answers to the valuation callbacks", answered_503, "answers", target="0",
                  met=answered_503 == 0, limit=None if answered_503 == 0 else
                  "the webhook answered ServiceUnavailable (see the loan-processor's log); each was retried")
    report.figure("Redis memory per waiting iteration", per_waiting, "bytes", digits=4)
    at_full_size = count == 10000
    report.figure("first start → execution SUCCEEDED", total, "s", reference=measured["ideal"],
                  reference_label="the ideal: the valuation delay per wave of iterations",
                  target=f"≤ {MAP_SECONDS_BEFORE} s (as fast as before)" if at_full_size else None,
                  met=total is not None and total <= MAP_SECONDS_BEFORE if at_full_size else None,
                  limit=None if not at_full_size or (total is not None and total <= MAP_SECONDS_BEFORE) else
                  "see the notes: the valuation service's delivery and the Map's waves of iterations")
    report.note(f"Scenario 6: {mode.upper()} Map of {count:,} valuation callbacks, valuation TIME_SCALE {time_scale}; "
                f"slowest callback taken from {source}; the loan-processor's webhook received "
                f"{measured['stats']['received']:,} callbacks, resumed {resumed:,}, "
                f"rejected {measured['stats']['rejected']:,}; "
                f"{other_failures} callback deliveries failed otherwise (retried); the valuation service logged its "
                f"last delivery as answered {(max(sent) - stop) if sent and stop else float('nan'):+.3f} s from the "
                "stopDate.")
    if not waiting:
        why = ", as an inline Map runs at most 40 iterations at once" if mode == "inline" else ""
        most = f"{peak[1]:,} of {count:,}" if peak else "none"
        report.note("Scenario 6: no sample found every callback pending at once (the first were delivered before the "
                    f"last were scheduled{why}); Redis memory per waiting iteration is taken at the sample with the "
                    f"most pending ({most}), an upper bound: the iterations already done still hold their records "
                    "and histories then.")


def main():
    def extra(parser):
        parser.add_argument("--mode", choices=["inline", "distributed"], default="distributed",
                            help="the Map's ItemProcessor mode (default distributed; inline runs 40 at once)")
        parser.add_argument("--count", type=int, help="items (default 10,000; 500 with --quick)")
        parser.add_argument("--valuation-time-scale", type=float, default=1.0,
                            help="the valuation service's TIME_SCALE (default 1: the real 6 s delay)")
    arguments = bench.parse_arguments(__doc__.splitlines()[0], extra=extra)
    count = arguments.count or (500 if arguments.quick else 10000)
    report = bench.ScenarioReport(6, f"A Map of {count:,} callbacks ({arguments.mode})", arguments.quick)
    with bench.ScratchDirectory(arguments, "bench-map-callbacks-") as work:
        measured = run(arguments.build, work, count, arguments.mode, arguments.valuation_time_scale)
    measure(report, count, arguments.mode, arguments.valuation_time_scale, measured)
    report.write(arguments.output)
    print(json.dumps(report.document["figures"], indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
