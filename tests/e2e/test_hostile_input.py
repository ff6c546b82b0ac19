"""Hostile input (issue 15): what one request must not be able to do.

Invalid UTF-8 anywhere in a body, a NUL character (\\u0000) in a string, trailing bytes after an input's JSON
value, numbers beyond a double (1e400), task tokens in another base64 form, valuationReferences aimed at internal
keys, error messages that would quote a value cut mid-character, Redis at maxmemory. Each case checks the status,
the JSON error, that nothing was stored, and that the server stayed responsive: a second client's GET /health is
answered within harness.health_limit_s() (100 ms, scaled for sanitizer builds and load) while the hostile request runs and after it.

AWS documents no text for invalid UTF-8 in a request; this API answers SerializationException with the words of
AWS's JSON reader (Jackson): "Invalid UTF-8 start byte 0x.." / "Invalid UTF-8 middle byte 0x..".
"""

import json
import urllib.parse

import harness
from harness import ACCOUNT, LOAN_MACHINE_ARN, REGION, StackTestCase, wait_until

ACTIVITY = "HostileActivity"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"
ACTIVITY_MACHINE = "HostileActivityMachine"
ACTIVITY_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{ACTIVITY_MACHINE}"
MACHINES = {ACTIVITY_MACHINE: {"StartAt": "Work", "States": {
    "Work": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600, "End": True}}}}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/HostileRole"
DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

# Bytes that are not UTF-8, each in a different way.
INVALID_UTF8 = {
    "stray bytes": b"bad\xff\xfe",
    "a lone continuation byte": b"x\x80y",
    "a truncated sequence": b"caf\xc3(",
    "an overlong NUL (the modified-UTF-8 form)": b"a\xc0\x80b",
    "an overlong slash": b"a\xc0\xafb",
    "a surrogate": b"a\xed\xa0\x80b",
    "beyond U+10FFFF": b"a\xf4\x90\x80\x80b",
    "a truncated four-byte sequence at the end": b"ab\xf0\x9f\x98",
}




def strict_json(data):
    """The body as JSON, decoded as strict UTF-8 (as boto3 does): fails on any byte that is not UTF-8."""
    return json.loads(data.decode("utf-8"))




class HostileCase(StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor(extra_state_machines=MACHINES)

    # ---- helpers ----

    def responsive(self, send, server=None):
        return harness.assert_responsive(self, server or self.loan, send)

    def sfn_raw(self, operation, body, server=None):
        """POSTs body (bytes) as operation; returns (status, strict JSON answer); checks responsiveness."""
        server = server or self.loan
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{operation}"}
        status, data = self.responsive(lambda: harness.raw_request(server.base_url, "POST", "/", body, headers), server)
        return status, strict_json(data)

    def assert_sfn_error(self, answer, code, message_start=None):
        status, body = answer
        self.assertEqual(400, status, body)
        self.assertEqual(code, body["__type"].split("#")[-1], body)
        self.assertIsInstance(body["message"], str)
        if message_start is not None:
            self.assertTrue(body["message"].startswith(message_start), body)

    def keys(self):
        return set(self.redis.command("KEYS", "*") or [])

    def assert_nothing_stored(self, before):
        """No key appeared, and the lists boto3 reads still decode as UTF-8."""
        self.assertEqual(set(), self.keys() - before)
        for operation, body in [("ListStateMachines", {}), ("ListActivities", {}),
                                ("ListExecutions", {"stateMachineArn": LOAN_MACHINE_ARN})]:
            status, answer = self.sfn_raw(operation, json.dumps(body).encode())
            self.assertEqual(200, status, answer)

    def activity_token(self):
        """A real task token: an activity task started and taken by GetActivityTask."""
        status, body = self.sfn(self.loan, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        self.start_execution(self.loan, {"a": 1}, state_machine_arn=ACTIVITY_MACHINE_ARN)
        status, task = self.sfn(self.loan, "GetActivityTask", {"activityArn": ACTIVITY_ARN})
        self.assertEqual(200, status, task)
        self.assertTrue(task.get("taskToken"), task)
        return task["taskToken"]


class InvalidUtf8(HostileCase):
    def bodies(self, member_template):
        """(label, body bytes) with each kind of invalid bytes put where member_template has @@."""
        return [(label, member_template.replace(b"@@", bad)) for label, bad in INVALID_UTF8.items()]

    def check_refused(self, operation, template):
        before = self.keys()
        for label, body in self.bodies(template):
            with self.subTest(operation=operation, bytes=label):
                self.assert_sfn_error(self.sfn_raw(operation, body), "SerializationException", "Invalid UTF-8 ")
        self.assert_nothing_stored(before)

    def test_start_execution_name(self):
        self.check_refused("StartExecution", b'{"stateMachineArn":"' + LOAN_MACHINE_ARN.encode()
                           + b'","name":"@@","input":"{}"}')

    def test_start_execution_input(self):
        self.check_refused("StartExecution", b'{"stateMachineArn":"' + LOAN_MACHINE_ARN.encode()
                           + b'","input":"{\\"a\\":\\"@@\\"}"}')

    def test_create_state_machine_name_definition_and_tags(self):
        common = b'"roleArn":"' + ROLE_ARN.encode() + b'"'
        self.check_refused("CreateStateMachine", b'{"name":"@@","definition":' + json.dumps(DEFINITION).encode()
                           + b"," + common + b"}")
        self.check_refused("CreateStateMachine", b'{"name":"M","definition":"{\\"Comment\\":\\"@@\\"}",'
                           + common + b"}")
        self.check_refused("CreateStateMachine", b'{"name":"M","definition":' + json.dumps(DEFINITION).encode()
                           + b"," + common + b',"tags":[{"key":"k","value":"@@"}]}')

    def test_create_activity_name_and_tags(self):
        self.check_refused("CreateActivity", b'{"name":"@@"}')
        self.check_refused("CreateActivity", b'{"name":"A","tags":[{"key":"@@","value":"v"}]}')

    def test_a_member_name(self):
        self.check_refused("ListStateMachines", b'{"@@":1}')

    def test_task_answers(self):
        token = self.activity_token().encode()
        self.check_refused("SendTaskSuccess", b'{"taskToken":"' + token + b'","output":"\\"@@\\""}')
        self.check_refused("SendTaskFailure", b'{"taskToken":"' + token + b'","error":"@@"}')
        self.check_refused("SendTaskFailure", b'{"taskToken":"' + token + b'","cause":"@@"}')
        self.check_refused("SendTaskHeartbeat", b'{"taskToken":"@@"}')
        status, body = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token.decode(), "output": "{}"})
        self.assertEqual(200, status, body)  # the task was still open: nothing above touched it

    def test_arns(self):
        self.check_refused("DescribeExecution", b'{"executionArn":"arn:aws:states:@@"}')
        self.check_refused("StopExecution", b'{"executionArn":"' + LOAN_MACHINE_ARN.encode() + b'","cause":"@@"}')

    def test_the_message_names_the_byte(self):
        body = b'{"name":"bad\xff"}'
        self.assert_sfn_error(self.sfn_raw("CreateActivity", body), "SerializationException",
                              "Invalid UTF-8 start byte 0xff (byte 12 of the request body)")
        body = b'{"name":"caf\xc3("}'
        self.assert_sfn_error(self.sfn_raw("CreateActivity", body), "SerializationException",
                              "Invalid UTF-8 middle byte 0x28 (byte 13 of the request body)")

    def test_valid_utf8_still_works(self):
        status, body = self.sfn_raw("CreateActivity", '{"name":"caf\u00e9-\u20ac-\U0001F600"}'.encode())
        self.assertEqual(200, status, body)
        status, listed = self.sfn_raw("ListActivities", b"{}")
        self.assertIn("caf\u00e9-\u20ac-\U0001F600", [activity["name"] for activity in listed["activities"]])


class NulCharacters(HostileCase):
    def check(self, operation, body, code, message_start=None):
        before = self.keys()
        self.assert_sfn_error(self.sfn_raw(operation, json.dumps(body).encode()), code, message_start)
        self.assert_nothing_stored(before)

    def test_names(self):
        self.check("StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN, "name": "abc\u0000def", "input": "{}"},
                   "InvalidName", "Invalid Name: 'abc")
        self.check("CreateStateMachine", {"name": "abc\u0000def", "definition": DEFINITION, "roleArn": ROLE_ARN},
                   "InvalidName")
        self.check("CreateActivity", {"name": "abc\u0000"}, "InvalidName")
        self.check("CreateActivity", {"name": "\u0000"}, "InvalidName")

    def test_inputs_with_bytes_after_the_document(self):
        for text in ["{}\u0000garbage", "{}\u0000", "\u0000{}", '{"a":"x\u0000y"}', "[1,\u00002]"]:
            with self.subTest(input=text):
                self.check("StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN, "input": text},
                           "InvalidExecutionInput", "Invalid State Machine Execution Input: ")

    def test_arns(self):
        self.check("StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN + "\u0000x", "input": "{}"}, "InvalidArn")
        self.check("DescribeStateMachine", {"stateMachineArn": "\u0000" + LOAN_MACHINE_ARN}, "InvalidArn")
        self.check("DescribeExecution", {"executionArn": "arn\u0000"}, "InvalidArn")

    def test_definition_and_other_members(self):
        self.check("CreateStateMachine", {"name": "M", "definition": DEFINITION + "\u0000", "roleArn": ROLE_ARN},
                   "InvalidDefinition")
        self.check("CreateActivity", {"name": "A", "tags": [{"key": "k\u0000", "value": "v"}]},
                   "ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy constraint")
        self.check("ListStateMachines", {"na\u0000me": 1}, "ValidationException")

    def test_task_token_output_error_and_cause(self):
        token = self.activity_token()
        self.check("SendTaskSuccess", {"taskToken": token + "\u0000", "output": "{}"}, "InvalidToken",
                   "Invalid Token: 'Invalid token'")
        self.check("SendTaskSuccess", {"taskToken": token + "\u0000" + token, "output": "{}"}, "InvalidToken")
        self.check("SendTaskHeartbeat", {"taskToken": token + "\u0000"}, "InvalidToken")
        self.check("SendTaskSuccess", {"taskToken": token, "output": "{}\u0000garbage"}, "InvalidOutput",
                   "Invalid Output: ")
        self.check("SendTaskFailure", {"taskToken": token, "error": "E\u0000"}, "ValidationException",
                   "1 validation error detected: Value at 'error'")
        self.check("SendTaskFailure", {"taskToken": token, "cause": "\u0000"}, "ValidationException",
                   "1 validation error detected: Value at 'cause'")
        status, body = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})
        self.assertEqual(200, status, body)

    def test_an_escaped_backslash_is_not_a_nul(self):
        # The input's own JSON may escape a NUL: the text \u0000 inside the input string is six characters.
        status, body = self.sfn_raw("StartExecution", json.dumps(
            {"stateMachineArn": ACTIVITY_MACHINE_ARN, "input": '{"a":"x\\u0000y"}'}).encode())
        self.assertEqual(200, status, body)


class TaskTokens(HostileCase):
    def test_only_the_issued_form_is_accepted(self):
        token = self.activity_token()
        padded = token + "=" * (-len(token) % 4)
        variants = {
            "unpadded": token.rstrip("="),
            "url-safe alphabet": token.replace("+", "-").replace("/", "_"),
            "extra padding": token + "=",
            "trailing bytes": token + "AAAA",
            "trailing space": token + " ",
            "leading space": " " + token,
            "line break inside": token[:20] + "\n" + token[20:],
        }
        self.assertEqual(token, padded)  # the server issues padded tokens
        before = self.keys()
        for label, variant in variants.items():
            if variant == token:
                continue
            with self.subTest(variant=label):
                self.assert_sfn_error(
                    self.sfn_raw("SendTaskSuccess", json.dumps({"taskToken": variant, "output": "{}"}).encode()),
                    "InvalidToken", "Invalid Token: 'Invalid token'")
        self.assert_nothing_stored(before)
        status, body = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token, "output": "{}"})
        self.assertEqual(200, status, body)


class HugeNumbers(HostileCase):
    def test_input_and_output(self):
        before = self.keys()
        for text in ['{"a":1e400}', "-1e400", '[1, 2e999]', '{"a":{"b":[1E+400]}}']:
            with self.subTest(input=text):
                self.assert_sfn_error(
                    self.sfn_raw("StartExecution", json.dumps({"stateMachineArn": LOAN_MACHINE_ARN,
                                                               "input": text}).encode()),
                    "InvalidExecutionInput")
        self.assert_nothing_stored(before)
        token = self.activity_token()
        self.assert_sfn_error(self.sfn_raw("SendTaskSuccess", json.dumps({"taskToken": token,
                                                                          "output": '{"v":1e400}'}).encode()),
                              "InvalidOutput")
        status, body = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token, "output": '{"v":1e300}'})
        self.assertEqual(200, status, body)

    def test_request_members(self):
        self.assert_sfn_error(self.sfn_raw("ListStateMachines", b'{"maxResults":1e400}'), "SerializationException")


class LongQuotedValues(HostileCase):
    def test_a_cut_message_ends_on_a_character_boundary(self):
        for character in ["\u00e9", "\u20ac", "\U0001F600"]:
            with self.subTest(character=character):
                status, body = self.sfn_raw("ListStateMachines", json.dumps(
                    {"nextToken": character * 3000}).encode())  # decoded strictly by sfn_raw
                self.assertEqual(400, status, body)
                self.assertEqual("ValidationException", body["__type"].split("#")[-1])
                self.assertNotIn("\ufffd", body["message"])
                self.assertLessEqual(len(body["message"].encode()), 4095)

    def test_console_errors_replace_invalid_bytes(self):
        for path in ["/console/api/graph?stateMachineArn=%FF%FE", "/console/api/graph?executionArn=arn%C3",
                     "/console/api/valuation?reference=%FF"]:
            with self.subTest(path=path):
                status, data = self.responsive(lambda: harness.raw_request(self.loan.base_url, "GET", path))
                body = strict_json(data)
                self.assertEqual(400, status, body)
                self.assertTrue(body["error"] and body["message"], body)


class ValuationReferences(HostileCase):
    def callback(self, body):
        status, data = self.responsive(lambda: harness.raw_request(
            self.loan.base_url, "POST", "/valuation-callback", body if isinstance(body, bytes) else
            json.dumps(body).encode(), {"Content-Type": "application/json"}))
        return status, strict_json(data)

    def test_an_internal_key_name_is_an_unknown_reference(self):
        for reference in ["requests-in-flight", "valuation-requests-in-flight", "in-flight"]:
            with self.subTest(reference=reference):
                status, body = self.callback({"valuationReference": reference, "propertyValue": 1})
                self.assertEqual(404, status, body)
                self.assertEqual("UnknownValuationReference", body["error"])
                status, view = self.responsive(lambda: harness.raw_request(
                    self.loan.base_url, "GET", f"/console/api/valuation?reference={reference}"))
                self.assertEqual(200, status, view)
                self.assertIsNone(strict_json(view)["taskToken"])

    def test_references_outside_the_service_alphabet_are_refused(self):
        before = self.keys()
        for reference in ["a:b", "../x", "a b", "x" * 101, "", "caf\u00e9", "a*", "{sfn:00}", "a\u0000b", "a\nb"]:
            with self.subTest(reference=reference):
                status, body = self.callback({"valuationReference": reference, "propertyValue": 1})
                self.assertEqual(400, status, body)
                self.assertEqual("InvalidRequest" if "\u0000" not in reference else "InvalidJson", body["error"])
                if "\u0000" in reference:
                    continue  # a query value ends at %00
                path = "/console/api/valuation?reference=" + urllib.parse.quote(reference, safe="")
                status, data = self.responsive(lambda: harness.raw_request(self.loan.base_url, "GET", path))
                self.assertEqual(400, status, data)
                self.assertEqual("InvalidParameter", strict_json(data)["error"])
        self.assertEqual(set(), self.keys() - before - {f"sns:{harness.ERROR_TOPIC}"})

    def test_webhook_bodies_must_be_utf8_json(self):
        for label, bad in INVALID_UTF8.items():
            with self.subTest(bytes=label):
                status, body = self.callback(b'{"valuationReference":"r' + bad + b'","propertyValue":1}')
                self.assertEqual(400, status, body)
                self.assertEqual("InvalidJson", body["error"])
                self.assertTrue(body["message"].startswith("The body is not UTF-8: invalid byte 0x"), body)

    def test_webhook_huge_numbers_and_nul(self):
        for raw in [b'{"valuationReference":"r","propertyValue":1e400}',
                    b'{"valuationReference":"r","propertyValue":-1e400}',
                    b'{"valuationReference":"r\\u0000x","propertyValue":1}',
                    b'{"valuationReference":"r","propertyValue":1}\x00garbage']:
            with self.subTest(body=raw):
                status, body = self.callback(raw)
                self.assertEqual(400, status, body)
                self.assertEqual("InvalidJson", body["error"])


class ValuationServiceBodies(StackTestCase):
    def test_the_valuation_service_refuses_what_is_not_utf8_json(self):
        service = self.start_valuation_service()
        bodies = [b'{"property":{"nameOrNumber":"\xff","postcode":"X1"},"callbackUrl":"http://127.0.0.1:1/"}',
                  b'{"property":{"nameOrNumber":"1\\u0000","postcode":"X1"},"callbackUrl":"http://127.0.0.1:1/"}',
                  b'{"property":{"nameOrNumber":1e400,"postcode":"X1"},"callbackUrl":"http://127.0.0.1:1/"}']
        for raw in bodies:
            with self.subTest(body=raw):
                status, data = harness.raw_request(service.base_url, "POST", "/valuation-request", raw,
                                           {"Content-Type": "application/json"})
                body = strict_json(data)
                self.assertEqual(400, status, body)
                self.assertEqual("InvalidJson", body["error"])
                self.assertLess(harness.health_seconds(service), harness.health_limit_s())


class RedisOutOfMemory(HostileCase):
    def test_starts_answer_503_redis_out_of_memory_and_the_log_says_so(self):
        self.redis.command("SET", "hostile:filler", "x" * (2 * 1024 * 1024))
        self.redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        self.redis.command("CONFIG", "SET", "maxmemory", str(1024 * 1024))
        try:
            status, body = self.sfn_raw("StartExecution", json.dumps(
                {"stateMachineArn": LOAN_MACHINE_ARN, "input": "{}"}).encode())
            self.assertEqual(503, status, body)
            self.assertEqual("ServiceUnavailable", body["__type"].split("#")[-1])
            self.assertTrue(body["message"].startswith("Redis is out of memory (maxmemory)"), body)
            wait_until(lambda: "redis-out-of-memory" in self.loan.logs(), 5, what="the out-of-memory log line")
        finally:
            self.redis.command("CONFIG", "SET", "maxmemory", "0")
            self.redis.command("DEL", "hostile:filler")
        self.start_execution(self.loan, {"a": 1}, state_machine_arn=ACTIVITY_MACHINE_ARN)  # works again


if __name__ == "__main__":
    harness.main()
