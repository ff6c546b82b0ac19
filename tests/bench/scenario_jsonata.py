#!/usr/bin/env python3
"""Scenario 7: JSONata evaluations per second for a few typical state templates (a field pick, an object
construction, a $map over 100 items), next to the same work in JSONPath (a path selection copied as a state's
result; a Parameters template), on the same input: tests/bench/jsonata_rate.c, pure, no server.

The $map has no JSONPath twin (JSONPath cannot compute per item): its reference is the selection of the same
100 items, so its ratio is the price of the computation, not of the language.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_harness as bench  # noqa: E402


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
    report.note("Scenario 7: one process, one core; each form evaluated for "
                f"{seconds} s over a customer and 100 priced items; JSONata converts its input into its own values "
                "at each evaluation, which dominates a field pick.")
    report.write(arguments.output)


if __name__ == "__main__":
    main()
