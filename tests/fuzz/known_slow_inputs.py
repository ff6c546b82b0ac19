#!/usr/bin/env python3
"""Writes the inputs of the fuzz targets that are open findings (docs/fuzzing.md, "Open findings"): each makes its
target exceed the per-input time limit of scripts/fuzz.sh (2 s) today. They are kept out of the seed corpora so that
the regression run passes; once a slow path is fixed, its input should run in well under the limit:

    python3 tests/fuzz/known_slow_inputs.py DIR
    build-fuzz/tests/fuzz/fuzz_choice -timeout=2 DIR/choice_string_matches

Usage: known_slow_inputs.py DIR (one file per input, named <target>_<what>).
"""
import json
import os
import sys


def inputs():
    pattern = "*" + "a" * 100000 + "b"
    rule = {"Variable": "$.s", "StringMatches": pattern, "Next": "A"}
    yield "choice_string_matches", json.dumps({"Type": "Choice", "Choices": [rule]}) + "\0" + json.dumps(
        {"s": "a" * 150000})
    yield "intrinsics_array_unique", "States.ArrayUnique($.l)\0" + json.dumps({"l": list(range(40000))})
    states = {f"s{i}": {"Type": "Pass", "Next": f"s{i + 1}"} for i in range(6000)}
    states["s6000"] = {"Type": "Succeed"}
    yield "definition_many_states", json.dumps({"StartAt": "s0", "States": states})


def main():
    directory = sys.argv[1]
    os.makedirs(directory, exist_ok=True)
    for name, text in inputs():
        with open(os.path.join(directory, name), "w") as out:
            out.write(text)
        print(os.path.join(directory, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
