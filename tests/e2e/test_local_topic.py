"""arn:aws:states:::sns:publish(.waitForTaskToken): a Task publishes to a local SNS topic (a Redis stream + channel)."""

import calendar
import json
import re
import subprocess
import time

import harness
from harness import ACCOUNT, ERROR_TOPIC, ERROR_TOPIC_ARN, LOAN_PROCESSOR, REGION, machine_arn

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOTICE = {"description": "The valuation failed", "loan": "app-ref"}


def publishing_machine(parameters, resource="arn:aws:states:::sns:publish"):
    """Pass (puts NOTICE at $.notice) -> the sns:publish Task -> End."""
    return {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": NOTICE, "ResultPath": "$.notice", "Next": "Publish"},
        "Publish": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True},
    }}


class LocalTopic(harness.StackTestCase):
    def start(self, machines, **environment):
        return self.start_loan_processor(extra_state_machines=machines, **environment)

    def run_to(self, loan, name, wanted):
        arn = self.start_execution(loan, {"applicationReference": "app-ref"}, state_machine_arn=machine_arn(name))
        return arn, self.wait_for_status(loan, arn, wanted)

    def test_publish_records_the_message_delivers_it_live_and_succeeds(self):
        machine = publishing_machine({"TopicArn": ERROR_TOPIC_ARN, "Message.$": "$.notice",
                                      "Subject": "Loan notice"})
        loan = self.start({"Publisher": machine})
        with self.redis.subscribe(f"sns:{ERROR_TOPIC}") as subscription:
            before = time.time()
            arn, done = self.run_to(loan, "Publisher", "SUCCEEDED")
            live = subscription.next_message()

        [message] = self.topic_messages()
        self.assertEqual({"id", "MessageId", "TopicArn", "Message", "Subject", "executionArn", "Timestamp"},
                         set(message))
        self.assertEqual(ERROR_TOPIC_ARN, message["TopicArn"])
        self.assertEqual(NOTICE, json.loads(message["Message"]))
        self.assertEqual("Loan notice", message["Subject"])
        self.assertEqual(arn, message["executionArn"])
        self.assertRegex(message["Timestamp"], ISO_MS)
        published = calendar.timegm(time.strptime(message["Timestamp"][:19], "%Y-%m-%dT%H:%M:%S"))
        self.assertLess(abs(published - before), 5)
        self.assertEqual(message["Message"], live)  # raw delivery: the message itself, not an envelope

        output = json.loads(done["output"])
        self.assertEqual({"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}, set(output))
        self.assertEqual(message["MessageId"], output["MessageId"])
        self.assertRegex(output["MessageId"], UUID)
        self.assertEqual({"HttpStatusCode": 200}, output["SdkHttpMetadata"])
        self.assertRegex(output["SdkResponseMetadata"]["RequestId"], UUID)
        self.assertNotEqual(output["MessageId"], output["SdkResponseMetadata"]["RequestId"])

        events = self.history(loan, arn)
        self.assertEqual(["ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered", "TaskScheduled",
                          "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"],
                         [e["type"] for e in events])
        scheduled = events[4]["taskScheduledEventDetails"]
        self.assertEqual(("sns", "publish"), (scheduled["resourceType"], scheduled["resource"]))
        self.assertEqual(NOTICE, json.loads(scheduled["parameters"])["Message"])
        self.assertEqual(output, json.loads(events[6]["taskSucceededEventDetails"]["output"]))
        self.assertEqual(output, json.loads(events[7]["stateExitedEventDetails"]["output"]))

    def test_a_string_message_goes_as_is_to_a_topic_given_by_name(self):
        text = 'plain text, "quoted", not JSON'
        loan = self.start({"ByName": publishing_machine({"TopicArn": "Notifications", "Message": text})})
        arn, _ = self.run_to(loan, "ByName", "SUCCEEDED")
        [message] = self.topic_messages("Notifications")
        self.assertEqual(f"arn:aws:sns:{REGION}:{ACCOUNT}:Notifications", message["TopicArn"])
        self.assertEqual(text, message["Message"])
        self.assertNotIn("Subject", message)
        self.assertEqual(arn, message["executionArn"])
        self.assertEqual([], self.topic_messages())  # nothing on the error topic

    def test_wait_for_task_token_waits_until_send_task_success_with_the_token_from_the_message(self):
        parameters = {"TopicArn": "arn:aws:sns:eu-west-2:000000000000:WorkTopic",
                      "Message": {"taskToken.$": "$$.Task.Token", "loan.$": "$.notice.loan"}}
        loan = self.start({"Worker": publishing_machine(parameters, "arn:aws:states:::sns:publish.waitForTaskToken")})
        arn = self.start_execution(loan, {"applicationReference": "app-ref"}, state_machine_arn=machine_arn("Worker"))
        [message] = harness.wait_until(lambda: self.topic_messages("WorkTopic"), 5, what="the work message")
        body = json.loads(message["Message"])
        self.assertEqual("app-ref", body["loan"])
        self.assertEqual(arn, message["executionArn"])

        submitted = harness.wait_until(
            lambda: [e for e in self.history(loan, arn) if e["type"] == "TaskSubmitted"], 5, what="TaskSubmitted")
        output = json.loads(submitted[0]["taskSubmittedEventDetails"]["output"])
        self.assertEqual(message["MessageId"], output["MessageId"])
        time.sleep(0.2)
        self.assertEqual("RUNNING", self.describe(loan, arn)["status"])  # published, and still waiting

        status, answer = self.sfn(loan, "SendTaskSuccess", {"taskToken": body["taskToken"],
                                                            "output": '{"approved": true}'})
        self.assertEqual(200, status, answer)
        done = self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual({"approved": True}, json.loads(done["output"]))
        self.assertEqual(["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited"],
                         [e["type"] for e in self.history(loan, arn)][4:9])

    def test_bad_parameters_fail_the_execution_with_sns_invalid_parameter(self):
        cases = {
            "NoTopic": ({"Message": "m"},
                        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"),
            "BadTopic": ({"TopicArn": "arn:aws:sqs:us-east-1:123456789012:Queue", "Message": "m"},
                         "Invalid parameter: TopicArn Reason: 'arn:aws:sqs:us-east-1:123456789012:Queue' is neither"),
            "NoMessage": ({"TopicArn": ERROR_TOPIC_ARN},
                          "Invalid parameter: Message Reason: no value for required parameter"),
            "EmptyMessage": ({"TopicArn": ERROR_TOPIC_ARN, "Message": ""}, "Invalid parameter: Empty message"),
        }
        loan = self.start({name: publishing_machine(parameters) for name, (parameters, _) in cases.items()})
        for name, (_, cause) in cases.items():
            arn, done = self.run_to(loan, name, "FAILED")
            self.assertEqual("SNS.InvalidParameterException", done["error"], name)
            self.assertIn(cause, done["cause"], name)
            failed = [e for e in self.history(loan, arn) if e["type"] == "TaskFailed"]
            self.assertEqual("SNS.InvalidParameterException", failed[0]["taskFailedEventDetails"]["error"])
        self.assertEqual([], self.redis.command("KEYS", "sns:*"))  # nothing was published

    def test_a_publish_redis_refuses_fails_the_task_clearly(self):
        loan = self.start({"Broken": publishing_machine({"TopicArn": "Broken", "Message": "m"})})
        self.redis.command("SET", "sns:Broken", "not a stream")  # XADD now fails with WRONGTYPE
        arn, done = self.run_to(loan, "Broken", "FAILED")
        self.assertEqual("SNS.InternalErrorException", done["error"])
        self.assertIn("did not confirm message", done["cause"])
        self.assertIn("topic-publish-failed", loan.logs())
        self.assertIn("WRONGTYPE", loan.logs())
        self.assertTrue(loan.healthy())  # still serving

    def test_new_options_are_documented_and_checked(self):
        usage = subprocess.run([LOAN_PROCESSOR, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(0, usage.returncode)
        for text in ["--error-topic-arn", "ERROR_TOPIC_ARN", "--topic-max-messages", "TOPIC_MAX_MESSAGES"]:
            self.assertIn(text, usage.stdout)
        for flag, value in [("--error-topic-arn", "not a topic"), ("--topic-max-messages", "0"),
                            ("--topic-max-messages", "lots")]:
            refused = subprocess.run([LOAN_PROCESSOR, flag, value, "--redis-url", self.redis.url],
                                     capture_output=True, text=True, timeout=10)
            self.assertEqual(2, refused.returncode, (flag, value, refused.stderr))
            self.assertIn(flag.lstrip("-").upper().replace("-", "_"), refused.stderr)


if __name__ == "__main__":
    harness.main()
