#!/usr/bin/env python3
"""Scenario 7: JSONata evaluations per second for a few typical state templates (a field pick, an object
construction, a $map over 100 items), next to the same work in JSONPath (a path selection copied as a state's
result; a Parameters template), on the same input: tests/bench/jsonata_rate.c, pure, no server.

The $map has no JSONPath twin (JSONPath cannot compute per item): its reference is the selection of the same
100 items, so its ratio is the price of the computation, not of the language.

Then the full flow: a Pass-heavy state machine (20 Pass states reshaping an order) in JSONata and its JSONPath twin,
run FLOWS times each on a private Redis and loan-processor; the figure is the CPU of the loan-processor and Redis
per flow, JSONata over JSONPath (target: at most 1.5 times).
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_harness as bench  # noqa: E402
import harness  # noqa: E402  (tests/e2e/harness.py, put on the path by bench_harness)

STATES = 20
MACHINE_ROLE = "arn:aws:iam::123456789012:role/BenchRole"


def pass_chain(jsonata):
    """STATES Pass states, each reshaping the order: total = price * quantity, a counter, the customer's name."""
    states = {}
    for i in range(STATES):
        if jsonata:
            state = {"Type": "Pass", "Output": {"customer": "{% $states.input.customer %}",
                                                "items": "{% $states.input.items %}",
                                                "step": "{% $states.input.step + 1 %}",
                                                "first": "{% $states.input.items[0].price %}"}}
        else:
            state = {"Type": "Pass", "Parameters": {"customer.$": "$.customer", "items.$": "$.items",
                                                    "step.$": "States.MathAdd($.step, 1)",
                                                    "first.$": "$.items[0].price"}}
        state.update({"Next": f"S{i + 1}"} if i + 1 < STATES else {"End": True})
        states[f"S{i}"] = state
    definition = {"StartAt": "S0", "States": states}
    if jsonata:
        definition["QueryLanguage"] = "JSONata"
    return definition


def flow_cpu(arguments, work):
    """CPU seconds per flow of the loan-processor and Redis: {"jsonpath": s, "jsonata": s}."""
    redis = bench.start_redis(work)
    port = harness.free_port()
    loan, _ = bench.start_and_time_until([bench.binary(arguments.build, "loan-processor")],
                                         bench.server_environment("loan-processor", port, redis.url),
                                         bench.health_ok(port), log_path=os.path.join(work, "loan-processor.log"))
    url = f"http://127.0.0.1:{port}/"
    flows = 50 if arguments.quick else 400
    order = {"customer": {"name": "Ada"}, "items": [{"price": i + 0.5, "sku": "s"} for i in range(20)], "step": 0}
    measured = {}
    try:
        for language in ("jsonpath", "jsonata"):
            status, body = harness.request("POST", url, {"name": f"Chain-{language}", "roleArn": MACHINE_ROLE,
                                                         "definition": json.dumps(pass_chain(language == "jsonata"))},
                                           headers={"X-Amz-Target": "AWSStepFunctions.CreateStateMachine",
                                                    "Content-Type": "application/x-amz-json-1.0"})
            if status != 200:
                raise RuntimeError(f"CreateStateMachine refused the {language} chain: {body}")
            machine = json.loads(body)["stateMachineArn"]
            before = sum(bench.cpu_seconds_of({"loan": loan.pid, "redis": redis.process.pid}).values())
            arns = []
            for i in range(flows):
                status, body = harness.request("POST", url, {"stateMachineArn": machine, "input": json.dumps(order)},
                                               headers={"X-Amz-Target": "AWSStepFunctions.StartExecution",
                                                        "Content-Type": "application/x-amz-json-1.0"})
                arns.append(json.loads(body)["executionArn"])
            deadline = time.monotonic() + 60
            for arn in arns:
                while time.monotonic() < deadline:
                    _, body = harness.request("POST", url, {"executionArn": arn},
                                              headers={"X-Amz-Target": "AWSStepFunctions.DescribeExecution",
                                                       "Content-Type": "application/x-amz-json-1.0"})
                    if json.loads(body)["status"] != "RUNNING":
                        break
                    time.sleep(0.01)
            after = sum(bench.cpu_seconds_of({"loan": loan.pid, "redis": redis.process.pid}).values())
            measured[language] = (after - before) / flows
    finally:
        bench.stop(loan)
        redis.stop()
    return measured


def main():
    arguments = bench.parse_arguments(__doc__)
    seconds = 0.2 if arguments.quick else 1.0
    finished = subprocess.run([bench.binary(arguments.build, "jsonata-rate"), str(seconds)], capture_output=True,
                              text=True, timeout=120, check=True)
    report = bench.ScenarioReport(7, "JSONata evaluations next to JSONPath", arguments.quick)
    for line in finished.stdout.splitlines():
        measured = json.loads(line)
        report.figure(f"JSONata: {measured['template']}", measured["jsonata_per_second"], "per s",
                      reference=measured["jsonpath_per_second"], reference_label="the same in JSONPath")
    with bench.ScratchDirectory(arguments, "jsonata-") as work:
        cpu = flow_cpu(arguments, work)
    ratio = cpu["jsonata"] / cpu["jsonpath"] if cpu["jsonpath"] else None
    report.figure(f"CPU per flow of a {STATES}-Pass JSONata machine (loan-processor + Redis)", cpu["jsonata"] * 1000,
                  "ms", reference=cpu["jsonpath"] * 1000, reference_label="its JSONPath twin",
                  target="≤ 1.5 × the JSONPath twin", met=ratio is not None and ratio <= 1.5,
                  limit=None if ratio is not None and ratio <= 1.5 else
                  "JSONata converts each state's input into its own values and evaluates four expressions per state")
    report.note("Scenario 7: one process, one core; each form evaluated for "
                f"{seconds} s over a customer and 100 priced items; JSONata converts its input into its own values "
                "at each evaluation, which dominates a field pick.")
    report.write(arguments.output)


if __name__ == "__main__":
    main()
