"""Hostile state machines and data (issue 15, items 1-4, 7 and 16), end to end.

Each case sends what used to stall the single event loop or leave an
execution stuck, and checks the answer (status, JSON error or the execution's
outcome and history) and that the server stayed responsive: a second client's
GET /health is answered within harness.health_limit_s() (100 ms, scaled for sanitizer builds and load) while the hostile work runs and after.
"""

import json
import threading
import time
import urllib.request

import harness

ROLE = "arn:aws:iam::123456789012:role/hostile"


def short_name(number):
    """A short state name: base 36 digits."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
        if number == 0:
            return "s" + text


def pass_chain(count):
    """count Pass states, each leading to the next; the last ends."""
    states = {}
    for index in range(count):
        state = {"Type": "Pass"}
        if index + 1 < count:
            state["Next"] = short_name(index + 1)
        else:
            state["End"] = True
        states[short_name(index)] = state
    return {"StartAt": short_name(0), "States": states}


class HealthWatch:
    """Polls GET /health from another thread; slowest() is the longest answer seen (s)."""

    def __init__(self, base_url):
        self.url = f"{base_url}/health"
        self.latencies = []
        self.failures = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    response.read()
                    if response.status != 200:
                        self.failures.append(response.status)
            except Exception as error:  # noqa: BLE001 - any failure to answer counts
                self.failures.append(repr(error))
            self.latencies.append(time.monotonic() - started)
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exception):
        time.sleep(0.05)  # at least one answer after the hostile work
        self.stopping.set()
        self.thread.join()

    def slowest(self):
        return max(self.latencies, default=0.0)


class LanguageCase(harness.StackTestCase):
    """One loan-processor per test, and the helpers that create, run and watch a state machine."""

    REQUEST_DEADLINE_MARGIN_S = 5

    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()

    def assert_responsive(self, watch):
        self.assertEqual([], watch.failures)
        self.assertGreater(len(watch.latencies), 0)
        limit = harness.health_limit_s()
        self.assertLess(watch.slowest(), limit, f"GET /health took {watch.slowest():.3f} s (limit {limit:.3f} s)")

    def create(self, name, definition):
        text = json.dumps(definition, separators=(",", ":"))
        status, body = self.sfn(self.loan, "CreateStateMachine", {"name": name, "definition": text, "roleArn": ROLE})
        self.assertEqual(200, status, body)
        return body["stateMachineArn"]

    def run_to_end(self, name, definition, execution_input, timeout=30):
        machine = self.create(name, definition)
        status, body = self.sfn(self.loan, "StartExecution", {
            "stateMachineArn": machine, "input": json.dumps(execution_input, separators=(",", ":"))})
        self.assertEqual(200, status, body)
        arn = body["executionArn"]

        def finished():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return arn, harness.wait_until(finished, timeout, interval=0.05, what=f"{arn} to end")

    def event_types(self, arn):
        return [event["type"] for event in self.history(self.loan, arn, maxResults=1000)]

    def string_matches_machine(self, pattern):
        return {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.s", "StringMatches": pattern, "Next": "Yes"}],
                      "Default": "No"},
            "Yes": {"Type": "Succeed"}, "No": {"Type": "Fail", "Error": "NoMatch"}}}


class HostileLanguage(LanguageCase):
    # ---- 1. StringMatches ----

    def test_string_matches_a_pathological_pattern_quickly(self):
        with HealthWatch(self.loan.base_url) as watch:
            _, done = self.run_to_end("Matches", self.string_matches_machine("*" + "a" * 125000 + "b"),
                                      {"s": "a" * 250000})
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("NoMatch", done["error"])
        self.assert_responsive(watch)

    def test_string_matches_many_stars_and_a_late_match(self):
        with HealthWatch(self.loan.base_url) as watch:
            _, done = self.run_to_end("ManyStars", self.string_matches_machine("a*" * 20000 + "b"),
                                      {"s": "a" * 200000 + "b"})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assert_responsive(watch)

    # ---- 2. States.DataLimitExceeded ----

    def test_a_pass_result_over_256_kib_fails_as_at_aws(self):
        definition = {"StartAt": "State_1", "States": {
            "State_1": {"Type": "Pass", "Result": {"Arg1": "a" * (257 * 1024)}, "End": True}}}
        arn, done = self.run_to_end("LargeResult", definition, {})
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("States.DataLimitExceeded", done["error"])
        self.assertEqual("The state/task 'State_1' returned a result with a size exceeding the maximum number of "
                         "bytes service limit.", done["cause"])
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "ExecutionFailed"], self.event_types(arn))

    def test_doubling_outputs_stop_at_the_limit(self):
        states = {}
        for index in range(17):
            states[f"S{index}"] = {"Type": "Pass", "Parameters": {"a.$": "$", "b.$": "$"}}
            states[f"S{index}"].update({"Next": f"S{index + 1}"} if index < 16 else {"End": True})
        with HealthWatch(self.loan.base_url) as watch:
            arn, done = self.run_to_end("Doubling", {"StartAt": "S0", "States": states}, {"x": "0123456789"})
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("States.DataLimitExceeded", done["error"])
        self.assertIn("'S13'", done["cause"])
        self.assertEqual("ExecutionFailed", self.event_types(arn)[-1])
        self.assert_responsive(watch)

    def test_task_parameters_over_256_kib_fail_before_the_task(self):
        definition = {"StartAt": "Build", "States": {
            "Build": {"Type": "Pass", "Parameters": {"a.$": "$.text"}, "Next": "Publish"},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                        "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:Big",
                                       "Message.$": "$.a", "Subject.$": "$.a"}, "End": True}}}
        arn, done = self.run_to_end("BigParameters", definition, {"text": "x" * 140000})
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("States.DataLimitExceeded", done["error"])
        self.assertIn("'Publish'", done["cause"])
        self.assertNotIn("TaskScheduled", self.event_types(arn))

    # ---- 3. big definitions and the console's graph ----

    def test_a_20000_state_definition_is_created_quickly_and_drawn_refused_cheaply(self):
        definition = pass_chain(20000)
        self.assertLess(len(json.dumps(definition, separators=(",", ":"))), 1024 * 1024)
        with HealthWatch(self.loan.base_url) as watch:
            started = time.monotonic()
            machine = self.create("Huge", definition)
            created_in = time.monotonic() - started
            for _ in range(5):
                status, body = harness.request("GET", f"{self.loan.base_url}/console/api/graph?"
                                                      f"stateMachineArn={machine}")
                self.assertEqual(400, status, body[:200])
                error = json.loads(body)
                self.assertEqual("InvalidDefinition", error.get("__type", error.get("error")), error)
                self.assertIn("too many states", error["message"])
        self.assertLess(created_in, 1.0)
        self.assert_responsive(watch)

    def test_a_graph_is_answered_the_same_from_the_cache(self):
        machine = self.create("Drawn", pass_chain(50))
        url = f"{self.loan.base_url}/console/api/graph?stateMachineArn={machine}"
        first = harness.request("GET", url)
        self.assertEqual(200, first[0])
        for _ in range(3):
            self.assertEqual(first, harness.request("GET", url))
        self.assertEqual(52, len(json.loads(first[1])["nodes"]))

    # ---- 4. States.ArrayUnique ----

    def test_array_unique_of_40000_numbers(self):
        definition = {"StartAt": "Unique", "States": {"Unique": {
            "Type": "Pass", "Parameters": {"count.$": "States.ArrayLength(States.ArrayUnique($.n))"}, "End": True}}}
        with HealthWatch(self.loan.base_url) as watch:
            _, done = self.run_to_end("Unique", definition, {"n": list(range(40000))})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"count": 40000}, json.loads(done["output"]))
        self.assert_responsive(watch)

    # ---- 7. nesting ----

    def test_a_result_path_nested_too_deep_fails_instead_of_staying_running(self):
        for name, after in (("DeepThenWait", {"Type": "Wait", "Seconds": 1, "End": True}),
                            ("DeepThenTask", {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                              "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:T",
                                                             "Message": "m"}, "End": True})):
            definition = {"StartAt": "Deep", "States": {
                "Deep": {"Type": "Pass", "ResultPath": "$" + ".a" * 1100, "Next": "After"}, "After": after}}
            arn, done = self.run_to_end(name, definition, {})
            self.assertEqual("FAILED", done["status"], done)
            self.assertEqual("States.Runtime", done["error"])
            self.assertIn("nested more than 512 levels deep", done["cause"])
            self.assertEqual(["ExecutionStarted", "PassStateEntered", "ExecutionFailed"], self.event_types(arn))
        # The server still starts executions (no 503 loop).
        arn, done = self.run_to_end("Shallow", pass_chain(2), {"ok": True})
        self.assertEqual("SUCCEEDED", done["status"], done)

    def test_an_input_nested_too_deep_is_refused_or_fails(self):
        machine = self.create("Nested", pass_chain(1))
        status, body = self.sfn(self.loan, "StartExecution",
                                {"stateMachineArn": machine, "input": "[" * 1100 + "]" * 1100})
        self.assertEqual(400, status, body)
        self.assertEqual("InvalidExecutionInput", body["__type"].split("#")[-1])
        # Over the 512 levels the API takes, refused too (issue 15); one level under it, nested once more by a state:
        status, body = self.sfn(self.loan, "StartExecution",
                                {"stateMachineArn": machine, "input": "[" * 600 + "]" * 600})
        self.assertEqual(400, status, body)
        machine = self.create("NestedDeeper", {"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Parameters": {"x.$": "$"}, "End": True}}})
        arn = self.start_execution(self.loan, json.loads("[" * 512 + "]" * 512), state_machine_arn=machine)
        done = harness.wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
            self.describe(self.loan, arn)), 10, what="the nested execution to end")
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("States.Runtime", done["error"])

    # ---- 16. long runs of states ----

    def test_10000_pass_states_run_without_stalling_the_server(self):
        with HealthWatch(self.loan.base_url) as watch:
            arn, done = self.run_to_end("LongChain", pass_chain(10000), {"n": 1}, timeout=60)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"n": 1}, json.loads(done["output"]))
        last = self.history(self.loan, arn, maxResults=1, reverseOrder=True)[0]
        self.assertEqual("ExecutionSucceeded", last["type"])
        self.assertEqual(1 + 2 * 10000 + 1, last["id"])
        self.assert_responsive(watch)

    def test_a_pass_loop_fails_at_25000_history_events(self):
        loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
        with HealthWatch(self.loan.base_url) as watch:
            arn, done = self.run_to_end("Loop", loop, {}, timeout=60)
        self.assertEqual("FAILED", done["status"], done)
        self.assertEqual("States.Runtime", done["error"])
        self.assertEqual("The execution reached the maximum number of history events (25000).", done["cause"])
        last = self.history(self.loan, arn, maxResults=1, reverseOrder=True)[0]
        self.assertEqual(25000, last["id"])
        self.assert_responsive(watch)


def nested_rule(operator, depth):
    """A Choice definition (text: too deep for Python's json) whose one rule nests operator depth times."""
    inner = '{"Variable":"$.a","NumericEquals":1}'
    if operator == "Not":
        rule = '{"Not":' * depth + inner + "}" * depth
    else:
        rule = f'{{"{operator}":[' * depth + inner + "]}" * depth
    return ('{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[' + rule[:-1] + ',"Next":"Y"}],'
            '"Default":"N"},"Y":{"Type":"Succeed"},"N":{"Type":"Fail","Error":"No"}}}')


def pass_with(parameters):
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


def wait_on(field, path="$.v"):
    return {"StartAt": "W", "States": {"W": {"Type": "Wait", field: path, "End": True}}}


class HostileLanguageNeighbours(LanguageCase):
    """The neighbours of items 1-4 and 7: each expensive corner of the language answers quickly and as AWS does."""

    def create_text(self, name, text):
        return self.sfn(self.loan, "CreateStateMachine", {"name": name, "definition": text, "roleArn": ROLE})

    def test_deeply_nested_choice_rules(self):
        with HealthWatch(self.loan.base_url) as watch:
            for operator in ("And", "Or", "Not"):
                with self.subTest(operator=operator, depth=1000):
                    status, body = self.create_text(f"Deep{operator}", nested_rule(operator, 1000))
                    self.assertEqual(400, status, body)
                    self.assertEqual("InvalidDefinition", body["__type"].split("#")[-1])
                    self.assertIn("INVALID_JSON_DESCRIPTION", body["message"])
                with self.subTest(operator=operator, depth=100):
                    arn = self.create(f"Nested{operator}", json.loads(nested_rule(operator, 100)))
                    status, body = self.sfn(self.loan, "StartExecution", {"stateMachineArn": arn, "input": '{"a":1}'})
                    self.assertEqual(200, status, body)
                    done = harness.wait_until(lambda: (lambda d: d if d["status"] != "RUNNING" else None)(
                        self.describe(self.loan, body["executionArn"])), 10, what="the nested Choice")
                    # Not applied an even number of times is the rule itself
                    self.assertEqual("SUCCEEDED", done["status"], done)
        self.assert_responsive(watch)

    def test_ten_thousand_choices(self):
        choices = [{"Variable": "$.a", "NumericEquals": k, "Next": "Y"} for k in range(10000)]
        definition = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": choices, "Default": "N"},
                                                 "Y": {"Type": "Succeed"}, "N": {"Type": "Fail", "Error": "No"}}}
        with HealthWatch(self.loan.base_url) as watch:
            _, done = self.run_to_end("TenThousandChoices", definition, {"a": 9999})
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assert_responsive(watch)

    def test_string_matches_with_ten_thousand_stars(self):
        with HealthWatch(self.loan.base_url) as watch:
            for label, pattern, text, status in (
                    ("stars only", "*" * 10000, "a" * 100000, "SUCCEEDED"),
                    ("stars then a missing letter", "*" * 10000 + "b", "a" * 100000, "FAILED"),
                    ("alternating", "*a" * 5000 + "c", "a" * 100000, "FAILED"),
                    ("escaped stars", "\\*" * 1000, "*" * 1000, "SUCCEEDED")):
                with self.subTest(pattern=label):
                    _, done = self.run_to_end(f"Stars{len(label)}{status}", self.string_matches_machine(pattern),
                                              {"s": text})
                    self.assertEqual(status, done["status"], done)
        self.assert_responsive(watch)

    def test_huge_json_paths_fail_the_state(self):
        with HealthWatch(self.loan.base_url) as watch:
            for label, path in (("20000 steps", "$" + ".a" * 20000), ("a 200000-character name",
                                                                     "$['" + "x" * 200000 + "']")):
                with self.subTest(path=label):
                    _, done = self.run_to_end(f"Path{len(path)}", pass_with({"v.$": path}), {})
                    self.assertEqual(("FAILED", "States.Runtime"), (done["status"], done["error"]), done)
                    self.assertIn("The JSONPath '$", done["cause"])
                    self.assertLess(len(done["cause"]), 32769)
        self.assert_responsive(watch)

    def test_intrinsics_nested_too_deep_are_refused_at_creation(self):
        for depth in (100, 1000):
            with self.subTest(depth=depth):
                text = "States.Format('{}', " * depth + "'x'" + ")" * depth
                status, body = self.sfn(self.loan, "CreateStateMachine", {
                    "name": f"Format{depth}", "definition": json.dumps(pass_with({"v.$": text})), "roleArn": ROLE})
                self.assertEqual(400, status, body)
                self.assertEqual("InvalidDefinition", body["__type"].split("#")[-1])
                self.assertIn("SCHEMA_VALIDATION_FAILED", body["message"])
        _, done = self.run_to_end("FormatTwo", pass_with({"v.$": "States.Format('<{}>', States.Format('{}', 'x'))"}),
                                  {})
        self.assertEqual({"v": "<x>"}, json.loads(done["output"]))

    def test_intrinsic_arguments_out_of_range_fail_with_intrinsic_failure(self):
        cases = {
            "ArrayRange with a huge count": ("States.ArrayRange(0, 1000000000, 1)", {}),
            "ArrayRange with step 0": ("States.ArrayRange(0, 10, 0)", {}),
            "Hash of 256 KiB": ("States.Hash($.s, 'SHA-256')", {"s": "x" * (256 * 1024 - 100)}),
            "Hash with an unknown algorithm": ("States.Hash($.s, 'MD4')", {"s": "x"}),
            "Base64Decode of garbage": ("States.Base64Decode($.s)", {"s": "!!!not base64***"}),
            "Base64Encode of 200000 characters": ("States.Base64Encode($.s)", {"s": "x" * 200000}),
            "MathAdd beyond a double": ("States.MathAdd($.a, $.b)", {"a": 1e308, "b": 1e308}),
            "ArrayPartition of size 0": ("States.ArrayPartition($.a, 0)", {"a": [1, 2, 3]}),
            "ArrayPartition of a negative size": ("States.ArrayPartition($.a, -1)", {"a": [1, 2, 3]}),
            "ArrayGetItem far past the end": ("States.ArrayGetItem($.a, 1000000)", {"a": [1]}),
            "StringToJson nested 2000 deep": ("States.StringToJson($.s)", {"s": "[" * 2000 + "]" * 2000}),
            "MathRandom with start above end": ("States.MathRandom(10, 1)", {}),
        }
        with HealthWatch(self.loan.base_url) as watch:
            for index, (label, (call, execution_input)) in enumerate(cases.items()):
                with self.subTest(case=label):
                    _, done = self.run_to_end(f"Intrinsic{index}", pass_with({"v.$": call}), execution_input)
                    self.assertEqual(("FAILED", "States.IntrinsicFailure"), (done["status"], done["error"]), done)
                    self.assertIn("had the following error", done["cause"])
        self.assert_responsive(watch)

    def test_intrinsics_at_their_edges_succeed(self):
        cases = {
            "StringSplit into 200001 empty parts": ("States.ArrayLength(States.StringSplit($.s, ','))",
                                                    {"s": "," * 200000}, 0),
            "MathAdd past a 32-bit integer": ("States.MathAdd($.a, 1)", {"a": 2147483647}, 2147483648),
            "Array of 50000 arguments": ("States.ArrayLength(States.Array(" + ",".join(["1"] * 50000) + "))", {},
                                         50000),
            "ArrayRange of 1000 items": ("States.ArrayLength(States.ArrayRange(1, 1000, 1))", {}, 1000),
        }
        with HealthWatch(self.loan.base_url) as watch:
            for index, (label, (call, execution_input, expected)) in enumerate(cases.items()):
                with self.subTest(case=label):
                    _, done = self.run_to_end(f"Edge{index}", pass_with({"v.$": call}), execution_input)
                    self.assertEqual("SUCCEEDED", done["status"], done)
                    self.assertEqual(expected, json.loads(done["output"])["v"])
        self.assert_responsive(watch)

    def test_wait_paths_with_hostile_values(self):
        cases = [("SecondsPath", 1e300, "must be a non-negative int"), ("SecondsPath", -1, "must be a non-negative int"),
                 ("SecondsPath", "NaN", "must be a non-negative int"), ("SecondsPath", 1.5, "must be a non-negative int"),
                 ("SecondsPath", None, "must be a non-negative int"),
                 ("TimestampPath", "not a date", "does not reference a valid ISO-8601 extended offset date-time"),
                 ("TimestampPath", 5, "does not reference a valid ISO-8601 extended offset date-time"),
                 ("TimestampPath", "99999-01-01T00:00:00Z", "does not reference a valid ISO-8601 extended offset date-time"),
                 ("TimestampPath", "2024-13-01T00:00:00Z", "does not reference a valid ISO-8601 extended offset date-time"),
                 ("TimestampPath", "2024-02-30T25:61:00Z", "does not reference a valid ISO-8601 extended offset date-time")]
        with HealthWatch(self.loan.base_url) as watch:
            for index, (field, value, why) in enumerate(cases):
                with self.subTest(field=field, value=value):
                    _, done = self.run_to_end(f"Wait{index}", wait_on(field), {"v": value})
                    self.assertEqual(("FAILED", "States.Runtime"), (done["status"], done["error"]), done)
                    self.assertIn(why, done["cause"])
            _, done = self.run_to_end("WaitPast", wait_on("TimestampPath"), {"v": "1970-01-01T00:00:00Z"})
            self.assertEqual("SUCCEEDED", done["status"], done)
        self.assert_responsive(watch)


if __name__ == "__main__":
    harness.main()
