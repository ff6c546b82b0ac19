"""The Task resources beyond the built-in function, end to end: lambda:invoke of
an http(s) FunctionName (a worker of yours) and sqs:sendMessage to a local
queue (a Redis list), each request-response and .waitForTaskToken.

The test plays the worker: a small HTTP server for the Lambda URL, and
LPOP on sqs:<QueueName> for the queue. TIME_SCALE 0.05 makes Retry intervals short.
"""

import hashlib
import json
import re
import struct
import time

import harness
from harness import free_port, machine_arn

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/Orders"
INVOKE_AND_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class FunctionWorker(harness.Receiver):
    """An HTTP worker for lambda:invoke: records each POST and answers from a script of (status, body) pairs.

    The last pair answers everything after the script runs out; delay (seconds) holds every answer back.
    """

    def __init__(self, answers=((200, '{"ok": true}'),), delay=0):
        self.answers = list(answers)
        self.received = []
        worker = self

        class Handler(harness.QuietJsonHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                worker.received.append({"path": self.path, "body": body,
                                        "content_type": self.headers.get("Content-Type")})
                status, answer = worker.answers[min(len(worker.received), len(worker.answers)) - 1]
                time.sleep(delay)
                self.reply_json(status, answer.encode())  # ignored if the loan-processor gave up waiting

        self._serve(Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/functions/ship"


def invoke_machine(url, resource="arn:aws:states:::lambda:invoke", **task_fields):
    """Prepare (a Pass) -> Ship (lambda:invoke of url) -> End."""
    payload = {"order.$": "$.order", "fixed": "x"}
    if resource.endswith(".waitForTaskToken"):
        payload["token.$"] = "$$.Task.Token"
    ship = {"Type": "Task", "Resource": resource, "Parameters": {"FunctionName": url, "Payload": payload},
            "End": True}
    ship.update(task_fields)
    return with_catch_target("Ship", ship)


def send_machine(parameters, resource="arn:aws:states:::sqs:sendMessage", **task_fields):
    """Send (sqs:sendMessage with parameters) -> End, with a Pass state "Caught" for catchers."""
    send = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
    send.update(task_fields)
    return with_catch_target("Send", send)


def with_catch_target(name, task):
    """A machine of task alone, plus the Pass state "Caught" when the task's catchers lead there
    (an unreachable state is refused, as AWS refuses it)."""
    states = {name: task}
    if any(catcher.get("Next") == "Caught" for catcher in task.get("Catch", [])):
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": name, "States": states}


def md5_of_attributes(attributes):
    """SQS's MD5OfMessageAttributes, from its documented encoding (String/Number values only)."""
    def encoded(text):
        data = text.encode()
        return struct.pack(">I", len(data)) + data
    buffer = b""
    for name in sorted(attributes):
        attribute = attributes[name]
        buffer += encoded(name) + encoded(attribute["DataType"]) + b"\x01" + encoded(attribute["StringValue"])
    return hashlib.md5(buffer).hexdigest()


CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]


class TaskResources(harness.StackTestCase):
    def start_with(self, machines, **environment):
        self.loan = self.start_loan_processor(extra_state_machines=machines, **environment)
        return self.loan

    def worker(self, *arguments, **options):
        worker = FunctionWorker(*arguments, **options)
        self.addCleanup(worker.close)
        return worker

    def start(self, machine, execution_input=None):
        return self.start_execution(self.loan, execution_input if execution_input is not None else {"order": 42},
                                    state_machine_arn=machine_arn(machine))

    def finished(self, arn, timeout=10):
        def done():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        return harness.wait_until(done, timeout, what=f"{arn} to finish")

    def task_events(self, arn):
        """(type, details) of each Task* event of the execution."""
        events = []
        for event in self.history(self.loan, arn):
            if event["type"].startswith("Task") and not event["type"].startswith("TaskState"):
                details = next(value for key, value in event.items() if key.endswith("EventDetails"))
                events.append((event["type"], details))
        return events

    def assert_invoke_response(self, output, payload, content_length):
        self.assertEqual(["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"],
                         list(output))
        self.assertEqual(("$LATEST", payload, 200), (output["ExecutedVersion"], output["Payload"],
                                                     output["StatusCode"]))
        request_id = output["SdkResponseMetadata"]["RequestId"]
        self.assertRegex(request_id, UUID)
        self.assertEqual({"HttpStatusCode": 200,
                          "HttpHeaders": {"Content-Length": str(content_length), "Content-Type": "application/json",
                                          "X-Amz-Executed-Version": "$LATEST", "x-amzn-RequestId": request_id},
                          "AllHttpHeaders": {"Content-Length": [str(content_length)],
                                             "Content-Type": ["application/json"],
                                             "X-Amz-Executed-Version": ["$LATEST"],
                                             "x-amzn-RequestId": [request_id]}},
                         output["SdkHttpMetadata"])

    # ---- lambda:invoke of a URL ----

    def test_lambda_url_request_response_posts_the_payload_and_succeeds_with_the_invoke_response(self):
        answer = '{"tracking_number": "TRK-42"}'
        worker = self.worker([(200, answer)])
        self.start_with({"Invoke": invoke_machine(worker.url)})
        arn = self.start("Invoke", {"order": {"id": 42, "items": ["widget"]}})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        [request] = worker.received
        self.assertEqual("/functions/ship", request["path"])
        self.assertEqual("application/json", request["content_type"])
        self.assertEqual({"order": {"id": 42, "items": ["widget"]}, "fixed": "x"}, json.loads(request["body"]))
        output = json.loads(done["output"])
        self.assert_invoke_response(output, {"tracking_number": "TRK-42"}, len(answer))

        events = self.task_events(arn)
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSucceeded"], [kind for kind, _ in events])
        self.assertEqual(("lambda", "invoke"), (events[0][1]["resourceType"], events[0][1]["resource"]))
        self.assertEqual(worker.url, json.loads(events[0][1]["parameters"])["FunctionName"])
        self.assertEqual(output, json.loads(events[2][1]["output"]))

    def test_the_payload_alone_is_selected_as_payload_response_only_would_give_it(self):
        worker = self.worker([(200, '{"tracking_number": "TRK-9"}')])
        selector = {"tracking.$": "$.Payload.tracking_number"}
        self.start_with({"PayloadOnly": invoke_machine(worker.url, ResultSelector=selector, ResultPath="$.shipping"),
                         "OutputPayload": invoke_machine(worker.url, OutputPath="$.Payload")})
        selected = self.finished(self.start("PayloadOnly", {"order": 9}))
        self.assertEqual({"order": 9, "shipping": {"tracking": "TRK-9"}}, json.loads(selected["output"]))
        payload = self.finished(self.start("OutputPayload", {"order": 9}))
        self.assertEqual({"tracking_number": "TRK-9"}, json.loads(payload["output"]))

    def test_lambda_url_wait_for_task_token_is_submitted_then_answered_through_send_task_success(self):
        worker = self.worker([(202, '{"status": "shipping"}')])
        self.start_with({"InvokeAndWait": invoke_machine(worker.url, INVOKE_AND_WAIT)})
        arn = self.start("InvokeAndWait")
        harness.wait_until(lambda: any(kind == "TaskSubmitted" for kind, _ in self.task_events(arn)), 5,
                           what="TaskSubmitted")
        self.assertEqual("RUNNING", self.describe(self.loan, arn)["status"])
        [request] = worker.received
        token = json.loads(request["body"])["token"]
        submitted = self.task_events(arn)[2][1]
        self.assertEqual(("lambda", "invoke.waitForTaskToken"), (submitted["resourceType"], submitted["resource"]))
        self.assert_invoke_response(json.loads(submitted["output"]), {"status": "shipping"}, 22)

        status, _ = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": token,
                                                             "output": '{"tracking_number": "TRK-42"}'})
        self.assertEqual(200, status)
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual({"tracking_number": "TRK-42"}, json.loads(done["output"]))
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"],
                         [kind for kind, _ in self.task_events(arn)])

    def test_a_worker_answering_500_fails_the_task_with_lambda_service_exception(self):
        worker = self.worker([(500, "database down")])
        self.start_with({"Invoke": invoke_machine(worker.url),
                         "InvokeAndWait": invoke_machine(worker.url, INVOKE_AND_WAIT)})
        for machine in ("Invoke", "InvokeAndWait"):
            arn = self.start(machine)
            done = self.finished(arn)
            self.assertEqual(("FAILED", "Lambda.ServiceException"), (done["status"], done["error"]))
            self.assertRegex(done["cause"], rf"^The function at {re.escape(worker.url)} answered HTTP 500: database "
                                            r"down \(Service: AWSLambda; Status Code: 500; Error Code: "
                                            r"ServiceException; Request ID: [0-9a-f-]{36}; Proxy: null\)$")
            kinds = [kind for kind, _ in self.task_events(arn)]
            self.assertEqual(["TaskScheduled", "TaskStarted", "TaskFailed"], kinds)  # never submitted

    def test_retry_on_lambda_service_exception_tries_again_until_the_worker_answers(self):
        worker = self.worker([(503, "busy"), (500, "still busy"), (200, '{"tracking_number": "TRK-7"}')])
        retry = [{"ErrorEquals": ["Lambda.ServiceException", "Lambda.SdkClientException"], "IntervalSeconds": 2,
                  "MaxAttempts": 3, "BackoffRate": 2}]
        self.start_with({"Retried": invoke_machine(worker.url, Retry=retry)})
        arn = self.start("Retried", {"order": 7})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"tracking_number": "TRK-7"}, json.loads(done["output"])["Payload"])
        self.assertEqual(3, len(worker.received))
        events = self.task_events(arn)
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskFailed"] * 2
                         + ["TaskScheduled", "TaskStarted", "TaskSucceeded"], [kind for kind, _ in events])
        self.assertEqual(["Lambda.ServiceException"] * 2, [d["error"] for kind, d in events if kind == "TaskFailed"])

    def test_an_unreachable_worker_is_a_catchable_sdk_client_exception(self):
        url = f"http://127.0.0.1:{free_port()}/nobody-home"
        self.start_with({"Unreachable": invoke_machine(url, Catch=CATCH_ALL)})
        arn = self.start("Unreachable")
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"])
        error = json.loads(done["output"])["error"]
        self.assertEqual("Lambda.SdkClientException", error["Error"])
        self.assertTrue(error["Cause"].startswith("Unable to execute HTTP request: "), error)
        self.assertTrue(error["Cause"].endswith(f"(POST {url})"), error)

    def test_an_error_type_in_the_answer_is_the_function_error_a_catcher_names(self):
        body = '{"errorType": "ShippingUnavailable", "errorMessage": "No courier today"}'
        worker = self.worker([(500, body)])
        catch = [{"ErrorEquals": ["ShippingUnavailable"], "ResultPath": "$.error", "Next": "Caught"}]
        self.start_with({"Thrown": invoke_machine(worker.url, Catch=catch)})
        done = self.finished(self.start("Thrown"))
        self.assertEqual("SUCCEEDED", done["status"])
        self.assertEqual({"Error": "ShippingUnavailable", "Cause": json.dumps(json.loads(body), separators=(",", ":"))},
                         json.loads(done["output"])["error"])

    def test_a_worker_slower_than_the_timeout_is_a_client_execution_timeout(self):
        worker = self.worker([(200, "{}")], delay=3)
        self.start_with({"Slow": invoke_machine(worker.url)}, FUNCTION_URL_TIMEOUT_SECONDS="1")
        started = time.monotonic()
        done = self.finished(self.start("Slow"), timeout=10)
        self.assertLess(time.monotonic() - started, 2.9)
        self.assertEqual(("FAILED", "Lambda.ClientExecutionTimeoutException"), (done["status"], done["error"]))
        self.assertIn("Client execution did not complete before the specified timeout configuration", done["cause"])

    # ---- sqs:sendMessage ----

    def queue(self, name="Orders"):
        """The records waiting on the local queue, oldest first."""
        return [json.loads(record) for record in self.redis.command("LRANGE", f"sqs:{name}", 0, -1)]

    def test_send_message_puts_the_record_on_the_queue_and_succeeds_with_sqs_answer(self):
        attributes = {"kind": {"DataType": "String", "StringValue": "order"},
                      "amount": {"DataType": "Number", "StringValue": "42"}}
        parameters = {"QueueUrl": QUEUE_URL, "MessageBody": {"order.$": "$.order", "note": "ship it"},
                      "MessageAttributes": attributes}
        self.start_with({"Send": send_machine(parameters)})
        before = time.time()
        arn = self.start("Send", {"order": 42})
        done = self.finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)

        [record] = self.queue()
        body = '{"order":42,"note":"ship it"}'
        self.assertEqual(["MessageId", "MD5OfBody", "Body", "Attributes", "MD5OfMessageAttributes",
                          "MessageAttributes"], list(record))
        self.assertEqual(body, record["Body"])
        self.assertEqual(hashlib.md5(body.encode()).hexdigest(), record["MD5OfBody"])
        self.assertEqual(attributes, record["MessageAttributes"])
        self.assertEqual(md5_of_attributes(attributes), record["MD5OfMessageAttributes"])
        self.assertLess(abs(int(record["Attributes"]["SentTimestamp"]) / 1000 - before), 5)
        self.assertRegex(record["MessageId"], UUID)

        output = json.loads(done["output"])
        self.assertEqual(["MD5OfMessageAttributes", "MD5OfMessageBody", "MessageId", "SdkHttpMetadata",
                          "SdkResponseMetadata"], list(output))
        self.assertEqual((record["MessageId"], record["MD5OfBody"], record["MD5OfMessageAttributes"]),
                         (output["MessageId"], output["MD5OfMessageBody"], output["MD5OfMessageAttributes"]))
        request_id = output["SdkResponseMetadata"]["RequestId"]
        self.assertEqual({"Content-Length": "166", "Content-Type": "application/x-amz-json-1.0",
                          "x-amzn-RequestId": request_id}, output["SdkHttpMetadata"]["HttpHeaders"])
        self.assertEqual(200, output["SdkHttpMetadata"]["HttpStatusCode"])

        events = self.task_events(arn)
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSucceeded"], [kind for kind, _ in events])
        self.assertEqual(("sqs", "sendMessage"), (events[0][1]["resourceType"], events[0][1]["resource"]))
        self.assertEqual(output, json.loads(events[2][1]["output"]))

    def test_send_message_wait_for_task_token_carries_the_token_to_the_worker(self):
        parameters = {"QueueUrl": QUEUE_URL, "MessageBody": {"MessageTitle": "Ship it", "TaskToken.$": "$$.Task.Token"}}
        self.start_with({"SendAndWait": send_machine(parameters, "arn:aws:states:::sqs:sendMessage.waitForTaskToken")})
        arn = self.start("SendAndWait")
        harness.wait_until(lambda: any(kind == "TaskSubmitted" for kind, _ in self.task_events(arn)), 5,
                           what="TaskSubmitted")
        record = json.loads(self.redis.command("LPOP", "sqs:Orders"))  # what a worker does
        body = json.loads(record["Body"])
        self.assertEqual(["MessageTitle", "TaskToken"], list(body))
        scheduled = json.loads(self.task_events(arn)[0][1]["parameters"])
        self.assertEqual(body["TaskToken"], scheduled["MessageBody"]["TaskToken"])
        submitted = self.task_events(arn)[2][1]
        self.assertEqual(("sqs", "sendMessage.waitForTaskToken"), (submitted["resourceType"], submitted["resource"]))
        self.assertEqual(record["MessageId"], json.loads(submitted["output"])["MessageId"])
        self.assertEqual("RUNNING", self.describe(self.loan, arn)["status"])

        status, _ = self.sfn(self.loan, "SendTaskSuccess", {"taskToken": body["TaskToken"],
                                                             "output": '"Callback task completed successfully."'})
        self.assertEqual(200, status)
        done = self.finished(arn)
        self.assertEqual(("SUCCEEDED", '"Callback task completed successfully."'), (done["status"], done["output"]))
        self.assertEqual([], self.queue())

    def test_a_full_queue_refuses_the_message_until_a_worker_takes_one(self):
        self.start_with({"Send": send_machine({"QueueUrl": QUEUE_URL, "MessageBody.$": "$.text"})},
                        QUEUE_MAX_MESSAGES="2")
        outcomes = [self.finished(self.start("Send", {"text": f"message {n}"})) for n in range(3)]
        self.assertEqual(["SUCCEEDED", "SUCCEEDED", "FAILED"], [o["status"] for o in outcomes])
        self.assertEqual("SQS.AmazonSQSException", outcomes[2]["error"])
        self.assertRegex(outcomes[2]["cause"], r"^The queue Orders holds 2 messages, the most QUEUE_MAX_MESSAGES "
                                               r"allows; message [0-9a-f-]{36} was not sent \(Service: AmazonSQS; "
                                               r"Status Code: 403; Error Code: OverLimit\)$")
        self.assertEqual(["message 0", "message 1"], [record["Body"] for record in self.queue()])
        self.redis.command("LPOP", "sqs:Orders")
        self.assertEqual("SUCCEEDED", self.finished(self.start("Send", {"text": "message 3"}))["status"])
        self.assertEqual(["message 1", "message 3"], [record["Body"] for record in self.queue()])

    def test_refused_parameters_fail_the_task_with_sqs_reason(self):
        self.start_with({
            "NoBody": send_machine({"QueueUrl": QUEUE_URL}, Catch=CATCH_ALL),
            "BadUrl": send_machine({"QueueUrl": "Orders", "MessageBody": "m"}),
            "BadDelay": send_machine({"QueueUrl": QUEUE_URL, "MessageBody": "m", "DelaySeconds": 901}),
        })
        caught = self.finished(self.start("NoBody"))
        self.assertEqual("SUCCEEDED", caught["status"])
        caught_error = json.loads(caught["output"])["error"]
        self.assertEqual(["Cause", "Error"], sorted(caught_error))
        self.assertEqual("SQS.AmazonSQSException", caught_error["Error"])
        self.assertRegex(caught_error["Cause"], r"^The request must contain the parameter MessageBody\. \(Service: "
                                                r"AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request "
                                                r"ID: [0-9a-f-]{36}; Proxy: null\)$")
        bad_url = self.finished(self.start("BadUrl"))
        self.assertEqual(("FAILED", "SQS.AmazonSQSException"), (bad_url["status"], bad_url["error"]))
        self.assertIn("The address Orders is not valid for this endpoint", bad_url["cause"])
        self.assertIn("Error Code: InvalidAddress", bad_url["cause"])
        bad_delay = self.finished(self.start("BadDelay"))
        self.assertIn("Value 901 for parameter DelaySeconds is invalid", bad_delay["cause"])
        self.assertEqual(0, self.redis.command("EXISTS", "sqs:Orders"))


if __name__ == "__main__":
    harness.main()
