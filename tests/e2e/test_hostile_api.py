"""Hostile input, the neighbours (issue 15): every API operation, the webhook, the console's queries, the bearer
tokens and the language's expensive corners, each fed what a careless or hostile client sends.

Each case checks the status, the JSON error (`__type` and message for the Step Functions API, `error` and message
for the webhook and the console) and that a second client's GET /health is answered within
harness.health_limit_s() while the request runs and after it (HostileCase.responsive of test_hostile_input).

Where AWS defines the answer it is AWS's: SerializationException for a body or member of the wrong JSON type,
ValidationException "1 validation error detected: ..." for a length over the model's maximum (Name 80, Arn 256,
TaskToken 2048, SensitiveData 262144, SensitiveError 256, SensitiveCause 32768, PageToken 1024, PageSize 0-1000),
UnknownOperationException for a target that names no operation.
"""

import json

import harness
from harness import ACCOUNT, LOAN_MACHINE_ARN, REGION, raw_request
from test_hostile_input import HostileCase, strict_json

EXECUTION_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:LoanProcessorStateMachine:nope"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:Nope"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/HostileRole"
DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
TOKEN = "AAAA"
API_TOKEN = "api-token-0123456789abcdef"
SERIALIZATION = "SerializationException"
VALIDATION = "ValidationException"

# Every operation of the dispatch table (loan-processor/api/sfn_api.c) with a body that is valid apart from the
# member a case replaces.
OPERATIONS = {
    "StartExecution": {"stateMachineArn": LOAN_MACHINE_ARN, "input": "{}"},
    "DescribeExecution": {"executionArn": EXECUTION_ARN},
    "GetExecutionHistory": {"executionArn": EXECUTION_ARN},
    "SendTaskSuccess": {"taskToken": TOKEN, "output": "{}"},
    "SendTaskFailure": {"taskToken": TOKEN},
    "SendTaskHeartbeat": {"taskToken": TOKEN},
    "ListExecutions": {"stateMachineArn": LOAN_MACHINE_ARN},
    "StopExecution": {"executionArn": EXECUTION_ARN},
    "CreateStateMachine": {"name": "M", "definition": DEFINITION, "roleArn": ROLE_ARN},
    "DescribeStateMachine": {"stateMachineArn": LOAN_MACHINE_ARN},
    "UpdateStateMachine": {"stateMachineArn": LOAN_MACHINE_ARN, "definition": DEFINITION},
    "DeleteStateMachine": {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Nope"},
    "ListStateMachines": {},
    "CreateActivity": {"name": "A"},
    "DescribeActivity": {"activityArn": ACTIVITY_ARN},
    "ListActivities": {},
    "DeleteActivity": {"activityArn": ACTIVITY_ARN},
    "GetActivityTask": {"activityArn": ACTIVITY_ARN},
}

# (operation, member, a value of the wrong JSON type): SerializationException naming the member.
WRONG_TYPES = [
    ("StartExecution", "stateMachineArn", 1), ("StartExecution", "stateMachineArn", [LOAN_MACHINE_ARN]),
    ("StartExecution", "input", {}), ("StartExecution", "name", 5), ("DescribeExecution", "executionArn", True),
    ("GetExecutionHistory", "executionArn", {}), ("SendTaskSuccess", "taskToken", 1),
    ("SendTaskSuccess", "output", {}), ("SendTaskFailure", "error", 1), ("SendTaskFailure", "cause", []),
    ("SendTaskHeartbeat", "taskToken", 1.5), ("ListExecutions", "stateMachineArn", 0),
    ("ListExecutions", "statusFilter", 1), ("ListExecutions", "nextToken", 7), ("StopExecution", "executionArn", {}),
    ("StopExecution", "cause", 3), ("CreateStateMachine", "name", 1), ("CreateStateMachine", "definition", {}),
    ("CreateStateMachine", "roleArn", 1), ("DescribeStateMachine", "stateMachineArn", 1.5),
    ("UpdateStateMachine", "definition", 1), ("DeleteStateMachine", "stateMachineArn", False),
    ("ListStateMachines", "nextToken", 1), ("CreateActivity", "name", []), ("DescribeActivity", "activityArn", 0),
    ("ListActivities", "nextToken", {}), ("DeleteActivity", "activityArn", False),
    ("GetActivityTask", "workerName", 1),
]

# (operation, member, value, the maximum the message names).
TOO_LONG = [
    ("StartExecution", "stateMachineArn", LOAN_MACHINE_ARN + "x" * 300, 256),
    ("StartExecution", "input", json.dumps({"a": "x" * 262144}), 262144),
    ("DescribeExecution", "executionArn", EXECUTION_ARN + "x" * 2000, 256),
    ("GetExecutionHistory", "executionArn", EXECUTION_ARN + "x" * 200, 256),
    ("StopExecution", "executionArn", EXECUTION_ARN + "x" * 200, 256),
    ("StopExecution", "error", "e" * 257, 256),
    ("StopExecution", "cause", "c" * 32769, 32768),
    ("CreateStateMachine", "name", "n" * 81, 80),
    ("CreateStateMachine", "roleArn", "r" * 300, 256),
    ("DescribeStateMachine", "stateMachineArn", LOAN_MACHINE_ARN + "x" * 200, 256),
    ("CreateActivity", "name", "n" * 81, 80),
    ("DescribeActivity", "activityArn", ACTIVITY_ARN + "x" * 300, 256),
    ("DeleteActivity", "activityArn", ACTIVITY_ARN + "x" * 300, 256),
    ("GetActivityTask", "workerName", "w" * 81, 80),
    ("SendTaskSuccess", "taskToken", "A" * 2049, 2048),
    ("SendTaskSuccess", "output", json.dumps("x" * 262144), 262144),
    ("SendTaskHeartbeat", "taskToken", "A" * 100000, 2048),
    ("SendTaskFailure", "error", "e" * 257, 256),
    ("SendTaskFailure", "cause", "c" * 32769, 32768),
    ("ListStateMachines", "nextToken", "t" * 1025, 1024),
    ("ListExecutions", "nextToken", "t" * 3097, 3096),
]


class ApiRequests(HostileCase):
    def test_a_body_that_is_not_an_object(self):
        for operation in OPERATIONS:
            for body in (b"[]", b'"text"', b"1", b"null", b"{"):
                with self.subTest(operation=operation, body=body):
                    answer = self.sfn_raw(operation, body)
                    self.assert_sfn_error(answer, SERIALIZATION, "The request body is not a JSON object")

    def test_a_member_of_the_wrong_type(self):
        for operation, member, value in WRONG_TYPES:
            with self.subTest(operation=operation, member=member, value=value):
                body = dict(OPERATIONS[operation], **{member: value})
                self.assert_sfn_error(self.sfn_raw(operation, json.dumps(body).encode()), SERIALIZATION,
                                      f"The value of '{member}' must be a JSON string")

    def test_page_sizes_that_are_not_integers(self):
        for operation in ("ListStateMachines", "ListActivities", "ListExecutions", "GetExecutionHistory"):
            for value in ("1", 1.5, [], True):
                with self.subTest(operation=operation, value=value):
                    body = dict(OPERATIONS[operation], maxResults=value)
                    self.assert_sfn_error(self.sfn_raw(operation, json.dumps(body).encode()), SERIALIZATION,
                                          "The value of 'maxResults' must be an integer")
        for value, bound in ((-1, "greater than or equal to 0"), (1001, "less than or equal to 1000"),
                             (1e20, "less than or equal to 1000")):
            with self.subTest(value=value):
                status, body = self.sfn_raw("ListActivities", json.dumps({"maxResults": value}).encode())
                self.assert_sfn_error((status, body), VALIDATION, "1 validation error detected: Value '")
                self.assertIn(f"Member must have value {bound}", body["message"])

    def test_a_string_over_its_maximum_length(self):
        before = self.keys()
        for operation, member, value, maximum in TOO_LONG:
            with self.subTest(operation=operation, member=member, length=len(value)):
                body = dict(OPERATIONS[operation], **{member: value})
                status, answer = self.sfn_raw(operation, json.dumps(body).encode())
                self.assert_sfn_error((status, answer), VALIDATION, "1 validation error detected: Value ")
                self.assertIn(f"at '{member}' failed to satisfy constraint: Member must have length less than or "
                              f"equal to {maximum}", answer["message"])
                self.assertLessEqual(len(answer["message"]), 4095)
        self.assert_nothing_stored(before)

    def test_the_longest_name_is_accepted(self):
        status, body = self.sfn_raw("CreateActivity", json.dumps({"name": "n" * 80}).encode())
        self.assertEqual(200, status, body)

    def test_lone_surrogates_and_nul_in_each_string_member(self):
        before = self.keys()
        cases = [("StartExecution", "name"), ("StartExecution", "stateMachineArn"), ("CreateActivity", "name"),
                 ("SendTaskSuccess", "taskToken"), ("SendTaskFailure", "error"), ("StopExecution", "cause"),
                 ("CreateStateMachine", "definition"), ("GetActivityTask", "workerName")]
        for operation, member in cases:
            for escape in ("\\ud800", "\\udfff", "\\udbff\\u0041"):
                with self.subTest(operation=operation, member=member, escape=escape):
                    body = json.dumps(OPERATIONS[operation]).encode()[:-1] + (
                        b', ' if OPERATIONS[operation] else b'') + f'"{member}":"a{escape}b"}}'.encode()
                    self.assert_sfn_error(self.sfn_raw(operation, body), SERIALIZATION)
        self.assert_nothing_stored(before)

    def test_a_lone_surrogate_inside_an_input(self):
        for text in ('{"a":"\\ud800"}', '"\\udc00"', '["\\ud83d"]'):
            with self.subTest(input=text):
                body = json.dumps({"stateMachineArn": LOAN_MACHINE_ARN, "input": text}).encode()
                self.assert_sfn_error(self.sfn_raw("StartExecution", body), "InvalidExecutionInput",
                                      "Invalid State Machine Execution Input: ")

    def post(self, headers, body=b"{}"):
        return self.responsive(lambda: raw_request(self.loan.base_url, "POST", "/", body, headers))

    def test_unknown_or_missing_targets(self):
        content_type = {"Content-Type": "application/x-amz-json-1.0"}
        missing = "Missing or unknown X-Amz-Target header: expected AWSStepFunctions.<Operation>"
        cases = [({}, missing), ({"X-Amz-Target": "Other.ListActivities"}, missing),
                 ({"X-Amz-Target": "awsstepfunctions.ListActivities"}, missing),
                 ({"X-Amz-Target": "ListActivities"}, missing),
                 ({"X-Amz-Target": "AWSStepFunctions."}, "Unknown operation "),
                 ({"X-Amz-Target": "AWSStepFunctions.NoSuchOperation"}, "Unknown operation NoSuchOperation"),
                 ({"X-Amz-Target": "AWSStepFunctions.listactivities"}, "Unknown operation listactivities"),
                 ({"X-Amz-Target": "AWSStepFunctions.startSyncExecution"}, "Unknown operation startSyncExecution"),
                 ({"X-Amz-Target": "AWSStepFunctions." + "A" * 8000}, "Unknown operation AAAA")]
        for headers, message in cases:
            with self.subTest(target=headers.get("X-Amz-Target", "")[:60]):
                status, data = self.post(dict(content_type, **headers))
                body = strict_json(data)
                self.assert_sfn_error((status, body), "UnknownOperationException", message)
                self.assertLessEqual(len(body["message"].encode()), 4095)

    def test_any_content_type_is_read_as_json(self):
        # AWS's JSON protocol names application/x-amz-json-1.0; clients send it in any case, so the body decides.
        for content_type in (None, "text/plain", "application/json", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=content_type):
                headers = {"X-Amz-Target": "AWSStepFunctions.ListActivities"}
                if content_type:
                    headers["Content-Type"] = content_type
                status, data = self.post(headers)
                self.assertEqual((200, {"activities": []}), (status, strict_json(data)))
                status, data = self.post(headers, b"name=x")
                self.assert_sfn_error((status, strict_json(data)), SERIALIZATION)

    def test_many_members_and_duplicate_members(self):
        members = {f"k{i}": i for i in range(10000)}
        status, body = self.sfn_raw("ListActivities", json.dumps(members).encode())
        self.assertEqual(200, status, body)
        status, body = self.sfn_raw("CreateActivity", b'{"name":"First","name":"bad name!"}')
        self.assertIn(status, (200, 400), body)
        if status == 400:
            self.assert_sfn_error((status, body), "InvalidName")


class WebhookFields(HostileCase):
    def callback(self, body):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, data = self.responsive(lambda: raw_request(self.loan.base_url, "POST", "/valuation-callback", raw,
                                                           {"Content-Type": "application/json"}))
        return status, strict_json(data)

    def assert_error(self, answer, status, error, message_start):
        self.assertEqual(status, answer[0], answer[1])
        self.assertEqual({"error", "message"}, set(answer[1]))
        self.assertEqual(error, answer[1]["error"])
        self.assertTrue(answer[1]["message"].startswith(message_start), answer[1])

    def test_property_values_that_are_not_numbers(self):
        for value in ("123", [1], "NaN", "Infinity", None, {}, True, "", "1e400"):
            with self.subTest(value=value):
                self.assert_error(self.callback({"valuationReference": "r", "propertyValue": value}), 400,
                                  "InvalidRequest", "'propertyValue' must be a number")

    def test_property_values_at_the_edges_of_a_number(self):
        for raw in (b"1e308", b"-5", b"0", b"1.5", b"-0", b"4.9e-324", b"123456789012345678901234567890"):
            with self.subTest(value=raw):
                body = b'{"valuationReference":"r","propertyValue":' + raw + b"}"
                self.assert_error(self.callback(body), 404, "UnknownValuationReference", "Unknown valuation reference")

    def test_references_of_the_wrong_type_or_missing(self):
        for body in ({"propertyValue": 1}, {"valuationReference": 5, "propertyValue": 1},
                     {"valuationReference": None, "propertyValue": 1}, {"valuationReference": ["r"], "propertyValue": 1},
                     {"valuationReference": {"r": 1}, "propertyValue": 1}):
            with self.subTest(body=body):
                self.assert_error(self.callback(body), 400, "InvalidRequest", "'valuationReference' must be 1-100")
        self.assert_error(self.callback({"valuationReference": "r"}), 400, "InvalidRequest",
                          "'propertyValue' must be a number")

    def test_bodies_that_are_not_an_object(self):
        for body in (b"[]", b'"r"', b"1", b"null"):
            with self.subTest(body=body):
                self.assert_error(self.callback(body), 400, "InvalidRequest", "The body must be a JSON object")
        # Nested deeper than any state may hold: refused for its depth before it is parsed.
        self.assert_error(self.callback(b"[" * 5000 + b"]" * 5000), 400, "InvalidRequest",
                          "The body nests arrays and objects more than 512 levels deep")
        for body in (b"", b"{", b"{'valuationReference':'r'}", b"\xef\xbb\xbf"):
            with self.subTest(body=body[:20]):
                self.assert_error(self.callback(body), 400, "InvalidJson", "The body ")
        # A byte order mark before the object is skipped (RFC 8259 lets a parser ignore it): the object is read.
        self.assert_error(self.callback(b"\xef\xbb\xbf{}"), 400, "InvalidRequest", "'valuationReference' must be")

    def test_ten_thousand_keys_and_duplicate_keys(self):
        body = {f"k{i}": i for i in range(10000)}
        body.update({"valuationReference": "r", "propertyValue": 1})
        self.assert_error(self.callback(body), 404, "UnknownValuationReference", "Unknown valuation reference")
        self.assert_error(self.callback(b'{"valuationReference":"r","valuationReference":"s","propertyValue":1}'),
                          404, "UnknownValuationReference", "Unknown valuation reference")


class ConsoleQueries(HostileCase):
    def get(self, path):
        status, data = self.responsive(lambda: raw_request(self.loan.base_url, "GET", path))
        body = strict_json(data)
        self.assertEqual({"error", "message"}, set(body))
        self.assertLessEqual(len(data), 4096)
        return status, body

    def test_bad_missing_or_overlong_queries(self):
        graph = "/console/api/graph"
        execution = "/console/api/execution"
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:LoanProcessorStateMachine:"
        cases = [
            (graph, 400, "InvalidParameter"), (f"{graph}?stateMachineArn=a&executionArn=b", 400, "InvalidParameter"),
            (f"{graph}?stateMachineArn=", 400, "InvalidArn"), (f"{graph}?stateMachineArn=x", 400, "InvalidArn"),
            (f"{graph}?stateMachineArn=" + "a" * 3000, 400, "InvalidArn"),
            (f"{graph}?stateMachineArn=%00", 400, "InvalidArn"),
            (f"{graph}?stateMachineArn={EXECUTION_ARN}", 400, "InvalidArn"),
            (f"{graph}?executionArn={LOAN_MACHINE_ARN}", 400, "InvalidArn"),
            (f"{graph}?stateMachineArn=arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Nope", 404,
             "StateMachineDoesNotExist"),
            (f"{graph}?executionArn={EXECUTION_ARN}", 404, "ExecutionDoesNotExist"),
            (execution, 400, "InvalidArn"), (f"{execution}?executionArn=x", 400, "InvalidArn"),
            (f"{execution}?executionArn={arn}" + "n" * 300, 400, "InvalidArn"),
            (f"{execution}?executionArn={EXECUTION_ARN}", 404, "ExecutionDoesNotExist"),
            (f"{execution}?executionArn={EXECUTION_ARN}&executionArn=x", 404, "ExecutionDoesNotExist"),
            ("/console/api/valuation", 400, "InvalidParameter"),
            ("/console/api/valuation?reference=", 400, "InvalidParameter"),
            ("/console/api/valuation?reference=" + "r" * 5000, 400, "InvalidParameter"),
            ("/console/api/valuation?reference=%2e%2e", 400, "InvalidParameter"),
            ("/console/api/nope", 404, "NotFound"), ("/console/../../etc/passwd", 404, "NotFound"),
            ("/console/%2e%2e/%2e%2e/etc/passwd", 404, "NotFound"), ("/console/%00", 404, "NotFound"),
        ]
        for path, status, error in cases:
            with self.subTest(path=path[:100]):
                answer = self.get(path)
                self.assertEqual((status, error), (answer[0], answer[1]["error"]), answer[1])
                self.assertTrue(answer[1]["message"], answer[1])


class BearerTokens(HostileCase):
    def setUp(self):
        harness.StackTestCase.setUp(self)
        self.loan = self.start_loan_processor(API_TOKEN=API_TOKEN, CONSOLE_TOKEN=API_TOKEN[::-1])

    def api_status(self, authorization):
        headers = {"Content-Type": "application/x-amz-json-1.0", "Authorization": authorization,
                   "X-Amz-Target": "AWSStepFunctions.ListActivities"}
        return self.responsive(lambda: raw_request(self.loan.base_url, "POST", "/", b"{}", headers))

    def test_authorization_variants_are_refused(self):
        variants = ["", "Bearer", "Bearer ", "Token " + API_TOKEN, "Bearer " + API_TOKEN + " x",
                    "Bearer " + API_TOKEN[:10] + " " + API_TOKEN[10:], "Bearer " + "x" * 10240,
                    "Bearer " + API_TOKEN + "\t", "Bearer\t" + API_TOKEN, "Bearer " + API_TOKEN[::-1],
                    API_TOKEN + " Bearer", "Bearer " + API_TOKEN + "," + API_TOKEN, "Bearer " + API_TOKEN.upper()]
        for value in variants:
            with self.subTest(authorization=value[:60]):
                status, data = self.api_status(value)
                self.assertEqual(401, status, data)
                self.assertEqual({"__type": "com.amazon.coral.service#UnrecognizedClientException",
                                  "message": "The security token included in the request is invalid."},
                                 strict_json(data))

    def test_authorization_forms_rfc_7235_allows_are_accepted(self):
        # The scheme is case-insensitive, spaces may be repeated, and HTTP drops a value's trailing white space.
        for value in ("bearer " + API_TOKEN, "BEARER " + API_TOKEN, "Bearer  " + API_TOKEN, "Bearer " + API_TOKEN + " "):
            with self.subTest(authorization=value):
                status, data = self.api_status(value)
                self.assertEqual((200, {"activities": []}), (status, strict_json(data)))

    def test_console_bearer_variants_are_refused(self):
        token = API_TOKEN[::-1]
        for value in ("", "Bearer ", "Bearer " + token + "x", "Bearer " + "y" * 10240, "Basic " + token,
                      "Bearer " + token[:-1]):
            with self.subTest(authorization=value[:60]):
                status, data = self.responsive(lambda: raw_request(
                    self.loan.base_url, "GET", f"/console/api/graph?stateMachineArn={LOAN_MACHINE_ARN}",
                    headers={"Authorization": value}))
                self.assertEqual(401, status, data)
                body = strict_json(data)
                self.assertEqual("Unauthorized", body["error"])
                self.assertIn("CONSOLE_TOKEN", body["message"])
        for cookie in ("token=", "token=" + "z" * 10240, f"token={token}x", f"token=;token={token}x"):
            with self.subTest(cookie=cookie[:60]):
                status, data = self.responsive(lambda: raw_request(
                    self.loan.base_url, "GET", "/console/api/valuation?reference=r", headers={"Cookie": cookie}))
                self.assertEqual((401, "Unauthorized"), (status, strict_json(data)["error"]))


if __name__ == "__main__":
    harness.main()
