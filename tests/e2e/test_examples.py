"""The two callback examples under examples/, end to end with their real workers.

Each test loads the example's definition (the order workflow's FunctionName
pointed at a free port), starts the example's worker script - redis-cli on the
local queues and topics, the AWS CLI answering the loan-processor - and checks
what a user would: the status, the output, the history of every step and the
messages on the local topics. The AWS CLI is Debian's awscli
(scripts/install-deps.sh installs it); AWS_CLI names another one.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile

import harness
from harness import free_port, machine_arn

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
ORDER_WORKER = os.path.join(EXAMPLES, "order-callbacks", "worker.sh")
CALLBACK_WORKER = os.path.join(EXAMPLES, "wait-for-callback", "worker.sh")
ORDER_MACHINE = "OrderCallbackStateMachine"
CALLBACK_MACHINE = "WaitForCallbackStateMachine"
STEP_EVENTS = ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited"]


def aws_cli():
    """The AWS CLI the workers run: $AWS_CLI, Debian's /usr/bin/aws, or the first on PATH."""
    for candidate in (os.environ.get("AWS_CLI"), "/usr/bin/aws", shutil.which("aws")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise AssertionError("the AWS CLI is not installed: run scripts/install-deps.sh (Debian package awscli)")


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def definition(name, shipping_port=None):
    """The example's definition as shipped, the shipping service's port replaced when given."""
    directory = "order-callbacks" if name == ORDER_MACHINE else "wait-for-callback"
    with open(os.path.join(EXAMPLES, directory, f"{name}.asl.json")) as file:
        text = file.read()
    if shipping_port:
        text = text.replace("127.0.0.1:8090", f"127.0.0.1:{shipping_port}")
    return json.loads(text)


class Examples(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.workers = []
        self.shipping_port = free_port()
        self.loan = self.start_loan_processor(extra_state_machines={
            ORDER_MACHINE: definition(ORDER_MACHINE, self.shipping_port),
            CALLBACK_MACHINE: definition(CALLBACK_MACHINE),
        })

    def tearDown(self):
        try:
            for worker in self.workers:
                self.stop_worker(worker)
        finally:
            super().tearDown()

    def start_worker(self, script, *arguments):
        """Starts an example's worker script against this test's stack; its output goes to a log file."""
        environment = dict(os.environ, REDIS_URL=self.redis.url, SFN_ENDPOINT_URL=self.loan.base_url,
                           AWS_CLI=aws_cli(), SHIPPING_SERVICE_PORT=str(self.shipping_port),
                           SHIPPING_DELAY_SECONDS="0.2")
        log = tempfile.NamedTemporaryFile(prefix="e2e-worker-", suffix=".log", delete=False)
        self.addCleanup(os.unlink, log.name)
        process = subprocess.Popen([script, *arguments], env=environment, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log.name
        log.close()
        self.workers.append(process)
        return process

    def worker_log(self, process):
        with open(process.log_path, errors="replace") as log:
            return log.read()

    def stop_worker(self, process):
        """SIGTERM, as a user's Ctrl-C or a supervisor would: the worker and everything it started must stop."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise AssertionError(f"the worker did not stop within 10 s of SIGTERM:\n{self.worker_log(process)}")

    def waiting_clients(self):
        """The Redis clients blocked in BLPOP or subscribed (the workers' redis-cli; not the servers' own)."""
        clients = self.redis.command("CLIENT", "LIST").splitlines()
        return [line for line in clients
                if ("cmd=blpop" in line or "cmd=subscribe" in line) and " name=loan-processor" not in line]

    def wait_finished(self, arn, timeout=30):
        def finished():
            description = self.describe(self.loan, arn)
            return description if description["status"] != "RUNNING" else None
        try:
            return harness.wait_until(finished, timeout, what=f"{arn} to finish")
        except AssertionError:
            logs = "\n".join(self.worker_log(worker) for worker in self.workers)
            raise AssertionError(f"{arn} did not finish; the workers said:\n{logs}") from None

    def steps(self, arn):
        """The history cut into states: [(state name, [event types], {event type: details})]."""
        steps = []
        for event in self.history(self.loan, arn)[1:-1]:
            details = next(value for key, value in event.items() if key.endswith("EventDetails"))
            if event["type"].endswith("StateEntered"):
                steps.append((details["name"], [], {}))
            steps[-1][1].append(event["type"])
            steps[-1][2][event["type"]] = details
        return steps

    def assert_task(self, events, resource_type, resource):
        for kind in ("TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"):
            details = events.get(kind, {})
            self.assertEqual((resource_type, resource), (details.get("resourceType"), details.get("resource")), kind)

    def test_the_order_workflow_runs_its_three_callbacks_with_its_workers(self):
        worker = self.start_worker(ORDER_WORKER)
        harness.wait_until(lambda: self.redis.command("PUBSUB", "NUMSUB", "sns:OrderNotifications")[1] == 1, 10,
                           what="the notifications worker to subscribe")
        harness.wait_until(lambda: listening(self.shipping_port), 10, what="the shipping service to listen")
        arn = self.start_execution(self.loan, {"order_id": "order-42"}, state_machine_arn=machine_arn(ORDER_MACHINE))
        done = self.wait_finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)
        self.assertEqual({"order_id": "order-42", "order_contents": {"widget": "2", "gadget": "1"},
                          "shipping_info": {"tracking_number": "TRK-order-42"}, "notification": {"delivered": True}},
                         json.loads(done["output"]))

        steps = self.steps(arn)
        self.assertEqual(["Get Order Metadata", "Shipping Service Callback", "Notify Customer"],
                         [name for name, _, _ in steps])
        for _, kinds, _ in steps:
            self.assertEqual(STEP_EVENTS, kinds)
        (_, _, metadata), (_, _, shipping), (_, _, notify) = steps
        self.assert_task(metadata, "sqs", "sendMessage.waitForTaskToken")
        self.assert_task(shipping, "lambda", "invoke.waitForTaskToken")
        self.assert_task(notify, "sns", "publish.waitForTaskToken")
        for events in (metadata, shipping, notify):
            self.assertEqual(300, events["TaskScheduled"]["timeoutInSeconds"])

        sent = json.loads(metadata["TaskSubmitted"]["output"])
        self.assertEqual(["MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"], list(sent))
        self.assertEqual({"widget": "2", "gadget": "1"}, json.loads(metadata["TaskSucceeded"]["output"]))
        invoked = json.loads(shipping["TaskSubmitted"]["output"])
        self.assertEqual((200, {"order_id": "order-42", "status": "shipping"}),
                         (invoked["StatusCode"], invoked["Payload"]))
        self.assertEqual({"tracking_number": "TRK-order-42"}, json.loads(shipping["TaskSucceeded"]["output"]))
        published = json.loads(notify["TaskSubmitted"]["output"])
        self.assertEqual({"delivered": True}, json.loads(notify["TaskSucceeded"]["output"]))

        self.assertEqual(0, self.redis.command("LLEN", "sqs:OrderMetadataQueue"))  # the order service took it
        [message] = self.topic_messages("OrderNotifications")
        self.assertEqual(published["MessageId"], message["MessageId"])
        body = json.loads(message["Message"])
        self.assertEqual(("order-42", "TRK-order-42"), (body["order_id"], body["tracking_number"]))
        token = json.loads(notify["TaskScheduled"]["parameters"])["Message"]["TaskToken"]
        self.assertEqual(token, body["TaskToken"])

        log = self.worker_log(worker)
        for line in ("order-service: looking up order order-42", "shipping-service: shipping order order-42",
                     "notifications: telling the customer that order order-42 ships as TRK-order-42"):
            self.assertIn(line, log)
        self.stop_worker(worker)
        harness.wait_until(lambda: not self.waiting_clients(), 5, what="the workers' redis-cli to disconnect")

    def test_wait_for_callback_succeeds_and_notifies_success(self):
        worker = self.start_worker(CALLBACK_WORKER)
        arn = self.start_execution(self.loan, {}, state_machine_arn=machine_arn(CALLBACK_MACHINE))
        done = self.wait_finished(arn)
        self.assertEqual("SUCCEEDED", done["status"], done)

        steps = self.steps(arn)
        self.assertEqual(["Start Task And Wait For Callback", "Notify Success"], [name for name, _, _ in steps])
        (_, kinds, wait), (_, notify_kinds, notify) = steps
        self.assertEqual(STEP_EVENTS, kinds)
        self.assert_task(wait, "sqs", "sendMessage.waitForTaskToken")
        parameters = json.loads(wait["TaskScheduled"]["parameters"])
        self.assertEqual("https://sqs.us-east-1.amazonaws.com/123456789012/WaitForCallbackQueue",
                         parameters["QueueUrl"])
        self.assertEqual("Task started by Step Functions. Waiting for callback with task token.",
                         parameters["MessageBody"]["MessageTitle"])
        self.assertNotIn("timeoutInSeconds", wait["TaskScheduled"])  # the workshop sets none
        self.assertEqual('"Callback task completed successfully."', wait["TaskSucceeded"]["output"])
        self.assertEqual(["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"],
                         notify_kinds)
        self.assertEqual(("sns", "publish"), (notify["TaskScheduled"]["resourceType"],
                                              notify["TaskScheduled"]["resource"]))

        [message] = self.topic_messages("WaitForCallbackTopic")
        self.assertEqual("Callback received. Task started by Step Functions succeeded.", message["Message"])
        self.assertEqual(message["MessageId"], json.loads(done["output"])["MessageId"])
        self.assertEqual(0, self.redis.command("LLEN", "sqs:WaitForCallbackQueue"))
        harness.wait_until(lambda: "answered send-task-success" in self.worker_log(worker), 10,
                           what="the worker to tell that its answer was taken")
        self.stop_worker(worker)
        harness.wait_until(lambda: not self.waiting_clients(), 5, what="the worker's redis-cli to disconnect")

    def test_wait_for_callback_failure_is_caught_and_notifies_failure(self):
        worker = self.start_worker(CALLBACK_WORKER, "--fail", "--once")
        arn = self.start_execution(self.loan, {"job": 1}, state_machine_arn=machine_arn(CALLBACK_MACHINE))
        done = self.wait_finished(arn)
        self.assertEqual(0, worker.wait(timeout=10))  # --once: one message, then it exits
        self.assertEqual("SUCCEEDED", done["status"], done)  # Notify Failure ends the workflow

        steps = self.steps(arn)
        self.assertEqual(["Start Task And Wait For Callback", "Notify Failure"], [name for name, _, _ in steps])
        (_, kinds, wait), (_, _, notify) = steps
        self.assertEqual(["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskFailed",
                          "TaskStateExited"], kinds)
        self.assertEqual({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
                          "error": "CallbackTaskFailed", "cause": "Callback task failed."}, wait["TaskFailed"])
        self.assertEqual({"Error": "CallbackTaskFailed", "Cause": "Callback task failed."},
                         json.loads(wait["TaskStateExited"]["output"]))
        self.assertEqual({"Error": "CallbackTaskFailed", "Cause": "Callback task failed."},
                         json.loads(notify["TaskStateEntered"]["input"]))
        [message] = self.topic_messages("WaitForCallbackTopic")
        self.assertEqual("Task started by Step Functions failed.", message["Message"])
        self.assertIn("answered send-task-failure", self.worker_log(worker))


if __name__ == "__main__":
    harness.main()
