"""TestState through boto3: one state run once, with its inspection data, mocks, and real tasks.

The SDKs send TestState to the host "sync-<endpoint host>": the client here is made with
inject_host_prefix=False (docs/api.md, TestState, says how for each client), and one test checks what happens
without it, and that the loan-processor answers whatever Host it is sent.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from test_task_resources import QUEUE_URL, FunctionWorker

PASS = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "kind": "pass"},
        "ResultPath": "$.result", "Next": "Ship"}
TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "ship", "Payload": {"id.$": "$.id"}},
        "ResultSelector": {"answer.$": "$.Payload"}, "ResultPath": "$.shipped",
        "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2, "IntervalSeconds": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
        "Next": "Done"}
MAP = {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.results", "End": True,
       "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}}}
PARALLEL = {"Type": "Parallel", "Next": "After", "Branches": [
    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]}
NEEDS_MOCK = ("TestState only supports the following when a mock is specified: Activity tasks, .sync or "
              ".waitForTaskToken service integration patterns, Parallel, or Map states.")
FORK_NEEDS_MOCK = ("TestState API does not support Map or Parallel states. Supported state types include: "
                   "[Task, Wait, Pass, Succeed, Fail, Choice]")


def client(base_url, inject_host_prefix=False):
    return boto3.client("stepfunctions", endpoint_url=base_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(inject_host_prefix=inject_host_prefix, retries={"max_attempts": 1},
                                      connect_timeout=5, read_timeout=20))


class TestStateApi(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.loan, _ = self.start_stack()
        self.sfn = client(self.loan.base_url)

    def run_state(self, state, **arguments):
        arguments["definition"] = json.dumps(state) if not isinstance(state, str) else state
        response = self.sfn.test_state(**arguments)
        response.pop("ResponseMetadata")
        return response

    def assert_refused(self, code, message=None, **arguments):
        with self.assertRaises(ClientError) as raised:
            self.sfn.test_state(**arguments)
        error = raised.exception.response["Error"]
        self.assertEqual(code, error["Code"], error)
        if message is not None:
            self.assertEqual(message, error["Message"])

    # ---- the recorded answers of AWS (docs/api.md, TestState), compared whole ----

    def assert_answers(self, state, given, top, inspection, **arguments):
        """Runs state at INFO, DEBUG and TRACE: top is the answer at INFO (JSON members parsed), inspection the
        inspectionData at DEBUG and TRACE (its members parsed)."""
        for level in ("INFO", "DEBUG", "TRACE"):
            response = self.run_state(state, input=json.dumps(given), inspectionLevel=level, **arguments)
            data = response.pop("inspectionData", None)
            if "output" in response:
                response["output"] = json.loads(response["output"])
            self.assertEqual(top, response, level)
            if level == "INFO":
                self.assertIsNone(data)
                continue
            self.assertEqual(inspection, {name: json.loads(value) for name, value in data.items()}, level)

    def test_recorded_pass(self):
        given = {"a": 1, "b": {"c": [2]}}
        flow = dict.fromkeys(("input", "afterInputPath", "afterParameters", "afterResultSelector",
                              "afterResultPath"), given)
        self.assert_answers({"Type": "Pass", "Next": "NextState"}, given,
                            {"status": "SUCCEEDED", "output": given, "nextState": "NextState"}, flow)
        self.assert_answers({"Type": "Pass", "End": True}, given, {"status": "SUCCEEDED", "output": given}, flow)

    def test_recorded_pass_with_result(self):
        given = {"a": 1}
        result = {"fixed": "value", "list": [1, 2]}
        self.assert_answers({"Type": "Pass", "Result": result, "Next": "NextState"}, given,
                            {"status": "SUCCEEDED", "output": result, "nextState": "NextState"},
                            {"input": given, "result": result, "afterResultSelector": result,
                             "afterResultPath": result})
        placed = {"a": 1, "fixed": result}
        self.assert_answers({"Type": "Pass", "Result": result, "ResultPath": "$.fixed", "End": True}, given,
                            {"status": "SUCCEEDED", "output": placed},
                            {"input": given, "result": result, "afterResultSelector": result,
                             "afterResultPath": placed})

    def test_recorded_pass_with_input_path_parameters_and_result_path(self):
        given = {"initialData": {"fieldFromInput": "value from input", "otherField": "other"},
                 "unrelatedData": {"someOtherField": 1234}}
        state = {"Type": "Pass", "InputPath": "$.initialData",
                 "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
                 "ResultPath": "$.modifiedData", "End": True}
        parameters = {"staticValue": "some value", "inputValue": "value from input"}
        output = {**given, "modifiedData": parameters}
        self.assert_answers(state, given, {"status": "SUCCEEDED", "output": output},
                            {"input": given, "afterInputPath": given["initialData"], "afterParameters": parameters,
                             "afterResultSelector": parameters, "afterResultPath": output})

    def test_recorded_fail(self):
        state = {"Type": "Fail", "Error": "SomeFailure",
                 "Cause": "This state machines raises a 'SomeFailure' failure."}
        given = {"a": 1}
        self.assert_answers(state, given, {"status": "FAILED", "error": "SomeFailure",
                                           "cause": "This state machines raises a 'SomeFailure' failure."},
                            {"input": given, "afterInputPath": given})

    def test_recorded_succeed(self):
        given = {"a": 1}
        self.assert_answers({"Type": "Succeed"}, given, {"status": "SUCCEEDED", "output": given},
                            {"input": given, "afterInputPath": given})

    def test_recorded_choice(self):
        state = {"Type": "Choice", "Default": "DefaultState", "Choices": [
            {"Variable": "$.type", "StringEquals": "Public", "Next": "Public"},
            {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}]}
        given = {"type": "Private", "value": 22}
        self.assert_answers(state, given, {"status": "SUCCEEDED", "output": given, "nextState": "ValueInTwenties"},
                            {"input": given, "afterInputPath": given})

    def test_recorded_mocked_lambda_invoke(self):
        result = {"Payload": "function output", "SdkHttpMetadata": {"HttpStatusCode": 200}}
        state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                 "Parameters": {"FunctionName": "f", "Payload.$": "$"}}
        given = {"a": 1}
        self.assert_answers(state, given, {"status": "SUCCEEDED", "output": result},
                            {"input": given, "afterInputPath": given,
                             "afterParameters": {"FunctionName": "f", "Payload": given}, "result": result,
                             "afterResultSelector": result, "afterResultPath": result},
                            mock={"result": json.dumps(result)})

    # ---- Pass, Choice, Fail, Wait ----

    def test_pass_at_each_inspection_level(self):
        given = json.dumps({"order": {"id": 7}, "note": "n"})
        output = {"order": {"id": 7}, "note": "n", "result": {"id": 7, "kind": "pass"}}
        info = self.run_state(PASS, input=given)
        self.assertEqual({"status": "SUCCEEDED", "output": json.dumps(output, separators=(",", ":")),
                          "nextState": "Ship"}, info)
        self.assertEqual(info, self.run_state(PASS, input=given, inspectionLevel="INFO"))
        for level in ("DEBUG", "TRACE"):
            data = self.run_state(PASS, input=given, inspectionLevel=level)["inspectionData"]
            self.assertEqual(given, data["input"])
            self.assertEqual({"id": 7}, json.loads(data["afterInputPath"]))
            self.assertEqual({"id": 7, "kind": "pass"}, json.loads(data["afterParameters"]))
            self.assertNotIn("result", data)  # AWS shows no result for a Pass without Result
            self.assertEqual({"id": 7, "kind": "pass"}, json.loads(data["afterResultSelector"]))
            self.assertEqual(output, json.loads(data["afterResultPath"]))
        self.assertEqual({"status": "SUCCEEDED", "output": "{}"}, self.run_state({"Type": "Pass", "End": True}))

    def test_choice_gives_the_chosen_next_state(self):
        choice = {"Type": "Choice", "Default": "Small",
                  "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 1000, "Next": "Big"}]}
        self.assertEqual("Big", self.run_state(choice, input='{"amount": 5000}')["nextState"])
        self.assertEqual("Small", self.run_state(choice, input='{"amount": 5}')["nextState"])

    def test_fail_state_fails_with_its_error_and_cause(self):
        response = self.run_state({"Type": "Fail", "Error": "Refused", "Cause": "too big"})
        self.assertEqual({"status": "FAILED", "error": "Refused", "cause": "too big"}, response)

    def test_wait_returns_at_once(self):
        response = self.run_state({"Type": "Wait", "Seconds": 3600, "Next": "Later"}, input='{"a": 1}')
        self.assertEqual({"status": "SUCCEEDED", "output": '{"a":1}', "nextState": "Later"}, response)

    # ---- Task with mocks ----

    def test_mocked_task_result(self):
        response = self.run_state(TASK, input='{"id": 3}', inspectionLevel="DEBUG",
                                   mock={"result": '{"Payload": {"ok": true}}'})
        self.assertEqual("SUCCEEDED", response["status"])
        self.assertEqual("Done", response["nextState"])
        self.assertEqual({"id": 3, "shipped": {"answer": {"ok": True}}}, json.loads(response["output"]))
        data = response["inspectionData"]
        self.assertEqual({"FunctionName": "ship", "Payload": {"id": 3}}, json.loads(data["afterParameters"]))
        self.assertEqual({"Payload": {"ok": True}}, json.loads(data["result"]))
        self.assertEqual({"answer": {"ok": True}}, json.loads(data["afterResultSelector"]))

    def test_mocked_error_is_retriable_then_caught(self):
        mock = {"errorOutput": {"error": "Busy", "cause": "try later"}}
        response = self.run_state(TASK, input='{"id": 3}', inspectionLevel="DEBUG", mock=mock)
        self.assertEqual("RETRIABLE", response["status"])
        self.assertEqual(("Busy", "try later"), (response["error"], response["cause"]))
        self.assertNotIn("nextState", response)
        self.assertEqual({"retryIndex": 0, "retryBackoffIntervalSeconds": 3},
                         response["inspectionData"]["errorDetails"])
        response = self.run_state(TASK, input='{"id": 3}', inspectionLevel="DEBUG", mock=mock,
                                   stateConfiguration={"retrierRetryCount": 2})
        self.assertEqual("CAUGHT_ERROR", response["status"])
        self.assertEqual("Recover", response["nextState"])
        self.assertEqual({"id": 3, "error": {"Error": "Busy", "Cause": "try later"}}, json.loads(response["output"]))
        self.assertEqual({"catchIndex": 0}, response["inspectionData"]["errorDetails"])
        other = self.run_state({**TASK, "Catch": []}, input='{"id": 1}', mock={"errorOutput": {"error": "Other"}})
        self.assertEqual({"status": "FAILED", "error": "Other"}, other)

    def test_wait_for_task_token_only_with_a_mock(self):
        waiting = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
                   "Parameters": {"QueueUrl": QUEUE_URL, "MessageBody": {"token.$": "$$.Task.Token"}}}
        self.assert_refused("ValidationException", NEEDS_MOCK, definition=json.dumps(waiting))
        response = self.run_state(waiting, mock={"result": '{"approved": true}'}, inspectionLevel="DEBUG")
        self.assertEqual({"approved": True}, json.loads(response["output"]))
        token = json.loads(response["inspectionData"]["afterParameters"])["MessageBody"]["token"]
        self.assertRegex(token, r"^[A-Za-z0-9+/]+=*$")  # a task token's shape, of no execution
        with self.assertRaises(ClientError) as raised:
            self.sfn.send_task_success(taskToken=token, output="{}")
        self.assertEqual("TaskTimedOut", raised.exception.response["Error"]["Code"])  # as for a closed task

    # ---- Task run for real ----

    def test_a_real_lambda_invoke_of_a_url(self):
        worker = FunctionWorker(answers=((200, '{"shipped": 3}'),))
        self.addCleanup(worker.close)
        task = {**TASK, "Parameters": {"FunctionName": worker.url, "Payload": {"id.$": "$.id"}}}
        response = self.run_state(task, input='{"id": 3}', inspectionLevel="DEBUG")
        self.assertEqual("SUCCEEDED", response["status"], response)
        self.assertEqual({"id": 3}, json.loads(worker.received[0]["body"]))
        self.assertEqual({"shipped": 3}, json.loads(response["output"])["shipped"]["answer"])

    def test_a_real_sqs_send_message(self):
        send = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                "Parameters": {"QueueUrl": QUEUE_URL, "MessageBody.$": "$.text"}}
        response = self.run_state(send, input='{"text": "hello"}')
        self.assertEqual("SUCCEEDED", response["status"], response)
        self.assertIn("MessageId", json.loads(response["output"]))
        record = json.loads(self.redis.command("LPOP", "sqs:Orders"))
        self.assertEqual("hello", record["Body"])

    def test_a_real_task_that_fails_is_caught(self):
        worker = FunctionWorker(answers=((500, '{"message": "down"}'),))
        self.addCleanup(worker.close)
        task = {**TASK, "Retry": [], "Parameters": {"FunctionName": worker.url, "Payload": {}}}
        response = self.run_state(task, input='{"id": 3}')
        self.assertEqual("CAUGHT_ERROR", response["status"], response)
        self.assertEqual("Recover", response["nextState"])

    def test_a_real_task_past_its_timeout_seconds_times_out(self):
        worker = FunctionWorker(answers=((200, '{"late": true}'),), delay=3)
        self.addCleanup(worker.close)
        slow = {**TASK, "TimeoutSeconds": 10, "Parameters": {"FunctionName": worker.url, "Payload": {}}}
        started = time.monotonic()
        response = self.run_state(slow, input='{"id": 3}', inspectionLevel="DEBUG")  # 10 s at TIME_SCALE 0.05
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(("CAUGHT_ERROR", "States.Timeout", "Recover"),
                         (response["status"], response["error"], response["nextState"]), response)
        self.assertEqual({"catchIndex": 0}, response["inspectionData"]["errorDetails"])
        self.assertEqual("States.Timeout", json.loads(response["output"])["error"]["Error"])
        retried = {**slow, "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1}]}
        response = self.run_state(retried, input='{"id": 3}', inspectionLevel="DEBUG")
        self.assertEqual(("RETRIABLE", "States.Timeout"), (response["status"], response["error"]), response)
        path = {**{name: value for name, value in slow.items() if name != "TimeoutSeconds"},
                "Catch": [], "TimeoutSecondsPath": "$.limit"}
        response = self.run_state(path, input='{"limit": 4}')
        self.assertEqual(("FAILED", "States.Timeout"), (response["status"], response["error"]), response)
        time.sleep(3.5)  # the late answers arrive and are dropped; the server goes on
        self.assertEqual(3, len(worker.received))
        self.assertEqual("SUCCEEDED", self.run_state({"Type": "Pass", "End": True})["status"])

    # ---- JSONata, variables, stateName ----

    def test_jsonata_state_with_assign_and_variables(self):
        state = {"Type": "Pass", "QueryLanguage": "JSONata", "Next": "N",
                 "Assign": {"total": "{% $states.input.n + $base %}"}, "Output": "{% {'base': $base} %}"}
        response = self.run_state(state, input='{"n": 2}', variables='{"base": 40}', inspectionLevel="DEBUG")
        self.assertEqual({"base": 40}, json.loads(response["output"]))
        self.assertEqual({"base": 40, "total": 42}, json.loads(response["inspectionData"]["variables"]))
        task = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}", "End": True}
        response = self.run_state(task, input='{"n": 2}', inspectionLevel="DEBUG",
                                   mock={"result": '{"Payload": [1]}'})
        self.assertEqual("[1]", response["output"])
        self.assertEqual({"FunctionName": "f", "Payload": {"n": 2}},
                         json.loads(response["inspectionData"]["afterArguments"]))

    def test_state_name_within_a_full_definition(self):
        machine = {"StartAt": "Prepare", "QueryLanguage": "JSONata", "States": {
            "Prepare": {"Type": "Pass", "Output": "{% 1 %}", "Next": "Double"},
            "Double": {"Type": "Pass", "Output": "{% $states.input.x * 2 %}", "Next": "Prepare"}}}
        response = self.run_state(machine, stateName="Double", input='{"x": 21}')
        self.assertEqual({"status": "SUCCEEDED", "output": "42", "nextState": "Prepare"}, response)
        self.assert_refused("ValidationException", definition=json.dumps(machine), stateName="Nope")

    # ---- Map and Parallel ----

    def test_map_and_parallel_need_a_mock(self):
        for state in (MAP, PARALLEL):
            self.assert_refused("InvalidDefinition", FORK_NEEDS_MOCK, definition=json.dumps(state))
        response = self.run_state(MAP, input='{"items": [1, 2]}', mock={"result": '[10, 20]'})
        self.assertEqual({"items": [1, 2], "results": [10, 20]}, json.loads(response["output"]))
        response = self.run_state(PARALLEL, mock={"result": '["a", "b"]'})
        self.assertEqual({"status": "SUCCEEDED", "output": '["a","b"]', "nextState": "After"}, response)

    def test_mocked_map_inspection_fields(self):
        mapped = {**MAP, "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
                                          "tag.$": "$.tag"},
                  "MaxConcurrency": 3, "ToleratedFailureCount": 1, "ToleratedFailurePercentage": 50}
        response = self.run_state(mapped, input='{"items": [5, 6], "tag": "t"}', mock={"result": '[10, 20]'},
                                  inspectionLevel="DEBUG")
        data = response["inspectionData"]
        self.assertEqual([5, 6], json.loads(data["afterItemsPath"]))
        self.assertEqual([{"value": 5, "index": 0, "tag": "t"}, {"value": 6, "index": 1, "tag": "t"}],
                         json.loads(data["afterItemSelector"]))
        self.assertEqual((3, 1, 50.0), (data["maxConcurrency"], data["toleratedFailureCount"],
                                        data["toleratedFailurePercentage"]))
        self.assertEqual({"items": [5, 6], "tag": "t", "results": [10, 20]}, json.loads(response["output"]))
        plain = self.run_state(MAP, input='{"items": [1]}', mock={"result": '[1]'}, inspectionLevel="TRACE")
        self.assertEqual("[1]", plain["inspectionData"]["afterItemSelector"])
        self.assertNotIn("maxConcurrency", plain["inspectionData"])
        broken = {**MAP, "ItemProcessor": {"StartAt": "Missing", "States": {"Each": {"Type": "Pass", "End": True}}}}
        self.assert_refused("InvalidDefinition", definition=json.dumps(broken), mock={"result": "[]"})

    # ---- request errors ----

    def test_request_errors(self):
        self.assert_refused("InvalidDefinition", definition='{"Type": "Pass", "Nxt": "B"}')
        self.assert_refused("InvalidDefinition", definition="not json")
        self.assert_refused("InvalidExecutionInput", definition=json.dumps(PASS), input="{")
        self.assert_refused("ValidationException", definition=json.dumps(TASK), mock={"result": "not json"})
        self.assert_refused("ValidationException", definition=json.dumps(TASK), mock={})
        self.assert_refused("ValidationException", definition=json.dumps(PASS), context="{}")
        self.assert_refused("ValidationException", definition=json.dumps(PASS), variables="[1]")
        self.assert_refused("ValidationException", definition=json.dumps(PASS), inspectionLevel="LOUD")
        activity = {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:Review", "End": True}
        self.assert_refused("ValidationException", NEEDS_MOCK, definition=json.dumps(activity))
        self.assertEqual('{"ok":1}', self.run_state(activity, mock={"result": '{"ok":1}'})["output"])

    def test_recorded_request_errors(self):
        choice = {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "A"}], "Default": "B"}
        unmockable = {"Pass": PASS, "Fail": {"Type": "Fail", "Error": "E"}, "Succeed": {"Type": "Succeed"},
                      "Choice": choice, "Wait": {"Type": "Wait", "Seconds": 1, "End": True}}
        for kind, state in unmockable.items():
            for mock in ({"result": "{}"}, {"errorOutput": {"error": "E", "cause": "C"}}):
                self.assert_refused("ValidationException", f"State type '{kind}' is not supported when a mock is "
                                    "specified", definition=json.dumps(state), mock=mock)
        task_map = {**MAP, "ItemProcessor": {"StartAt": "Each", "States": {"Each": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
            "End": True}}}}
        for state in (MAP, task_map, PARALLEL):
            self.assert_refused("InvalidDefinition", FORK_NEEDS_MOCK, definition=json.dumps(state))
        self.assert_refused("ValidationException",
                            "A test mock should have only one of the following fields: [result, errorOutput].",
                            definition=json.dumps(TASK), mock={"result": "{}", "errorOutput": {"error": "E"}})
        self.assert_refused("ValidationException", "TestState does not support RevealSecrets when a mock is specified.",
                            definition=json.dumps(TASK), mock={"result": "{}"}, revealSecrets=True)
        self.assertEqual("SUCCEEDED", self.run_state(PASS, input='{"order": {"id": 1}}', revealSecrets=True)["status"])
        self.assert_refused("ValidationException", "Mocked result must be an array.", definition=json.dumps(MAP),
                            mock={"result": '{"a": 1}'})
        written = {**MAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                                           "Parameters": {"Bucket": "b", "Prefix": "p"}}}
        self.assert_refused("ValidationException", "Mocked result must be a JSON object.",
                            definition=json.dumps(written), mock={"result": "[1]"})
        self.assert_refused("ValidationException", "Mocked result must be an array.",
                            definition=json.dumps(PARALLEL), mock={"result": '"a"'})
        for wrong in ('["a"]', '["a", "b", "c"]', "[]"):
            self.assert_refused("ValidationException",
                                "Mocked result must contain the same number of items as number of Parallel branches.",
                                definition=json.dumps(PARALLEL), mock={"result": wrong})

    # ---- the sync- host prefix ----

    def test_the_host_prefix(self):
        # Any Host is answered, "sync-localhost" included.
        status, body = harness.request("POST", self.loan.base_url + "/", json.dumps({
            "definition": '{"Type": "Pass", "End": true}'}).encode(), {
            "X-Amz-Target": "AWSStepFunctions.TestState", "Content-Type": "application/x-amz-json-1.0",
            "Host": f"sync-localhost:{self.loan.port}"})[:2]
        self.assertEqual(200, status, body)
        # Without inject_host_prefix=False, botocore sends TestState to sync-127.0.0.1, which no resolver knows.
        prefixed = client(self.loan.base_url, inject_host_prefix=True)
        with self.assertRaises(botocore.exceptions.EndpointConnectionError):
            prefixed.test_state(definition='{"Type": "Pass", "End": true}')
        # AWS_DISABLE_HOST_PREFIX_INJECTION=true does what inject_host_prefix=False does (for boto3 and the CLI).
        script = ("import boto3,sys; c=boto3.client('stepfunctions', endpoint_url=sys.argv[1], region_name='us-east-1',"
                  "aws_access_key_id='t', aws_secret_access_key='t');"
                  "print(c.test_state(definition='{\"Type\": \"Pass\", \"End\": true}')['status'])")
        environment = dict(os.environ, AWS_DISABLE_HOST_PREFIX_INJECTION="true")
        done = subprocess.run([sys.executable, "-c", script, self.loan.base_url], env=environment,
                              capture_output=True, text=True, timeout=30)
        self.assertEqual("SUCCEEDED", done.stdout.strip(), done.stderr)


    def test_the_aws_cli(self):
        aws = shutil.which("aws")
        if not aws:
            self.skipTest("no AWS CLI")
        environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        environment.update(AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t", AWS_DEFAULT_REGION="us-east-1",
                           AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                           AWS_MAX_ATTEMPTS="1")
        command = [aws, "stepfunctions", "test-state", "--endpoint-url", self.loan.base_url, "--definition",
                   json.dumps(TASK), "--input", '{"id": 1}', "--mock", '{"result": "{\\"Payload\\": 1}"}',
                   "--inspection-level", "DEBUG", "--cli-connect-timeout", "5"]
        prefixed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(0, prefixed.returncode)
        self.assertIn("sync-127.0.0.1", prefixed.stderr)
        environment["AWS_DISABLE_HOST_PREFIX_INJECTION"] = "true"
        done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
        self.assertEqual(0, done.returncode, done.stderr)
        response = json.loads(done.stdout)
        self.assertEqual(("SUCCEEDED", "Done"), (response["status"], response["nextState"]))
        self.assertEqual({"answer": 1}, json.loads(response["inspectionData"]["afterResultSelector"]))

class TestStateFiveMinutes(harness.StackTestCase):
    TIME_SCALE = "0.004"  # TestState's five minutes in 1.2 s

    def test_a_task_past_five_minutes_fails_with_states_timeout(self):
        loan, _ = self.start_stack()
        worker = FunctionWorker(answers=((200, '{"late": true}'),), delay=4)
        self.addCleanup(worker.close)
        slow = {**TASK, "Retry": [], "Parameters": {"FunctionName": worker.url, "Payload": {}}}
        started = time.monotonic()
        response = client(loan.base_url).test_state(definition=json.dumps(slow), input='{"id": 3}')
        self.assertLess(time.monotonic() - started, 3.5)
        self.assertEqual(("FAILED", "States.Timeout"), (response["status"], response["error"]), response)
        self.assertEqual("The state ran for more than the five minutes TestState allows", response["cause"])
        self.assertNotIn("output", response)
        self.assertEqual({"status": "SUCCEEDED", "output": "{}"},
                         {name: value for name, value in client(loan.base_url).test_state(
                             definition='{"Type": "Pass", "End": true}').items() if name != "ResponseMetadata"})


if __name__ == "__main__":
    harness.main()
