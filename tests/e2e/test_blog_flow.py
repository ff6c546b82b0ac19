"""The blog's story end to end: a loan application waits for the valuation callback, then succeeds."""

import json
import time

import harness
from harness import LOAN_MACHINE_ARN, SAMPLE_APPLICATION, property_value, wait_until


class BlogFlow(harness.StackTestCase):
    def test_execution_waits_then_succeeds_with_the_valuation_as_output(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, name="app-ref-1")
        self.assertEqual(f"arn:aws:states:us-east-1:123456789012:execution:LoanProcessorStateMachine:app-ref-1", arn)

        waiting = self.describe(loan, arn)
        self.assertEqual("RUNNING", waiting["status"])
        self.assertNotIn("output", waiting)

        done = self.wait_for_status(loan, arn, "SUCCEEDED")
        output = json.loads(done["output"])
        self.assertEqual({"valuationReference", "propertyValue"}, set(output))
        self.assertEqual(21, len(output["valuationReference"]))
        self.assertEqual(property_value("999", "PO1 1CE"), output["propertyValue"])
        self.assertEqual(LOAN_MACHINE_ARN, done["stateMachineArn"])
        self.assertEqual(json.dumps(SAMPLE_APPLICATION), done["input"])  # verbatim, as AWS keeps it
        self.assertGreater(done["stopDate"], done["startDate"])

    def test_callback_comes_after_the_scaled_six_second_delay(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan)
        done = self.wait_for_status(loan, arn, "SUCCEEDED")
        events = self.history(loan, arn)
        submitted = next(e for e in events if e["type"] == "TaskSubmitted")
        succeeded = next(e for e in events if e["type"] == "TaskSucceeded")
        waited = succeeded["timestamp"] - submitted["timestamp"]
        # 6 s x TIME_SCALE 0.05 = 0.3 s, measured on the events' own clock.
        self.assertGreaterEqual(waited, 0.29)
        self.assertLess(waited, 2.0)
        self.assertGreaterEqual(done["stopDate"] - done["startDate"], 0.29)

    def test_each_committed_change_is_announced_on_the_changes_channel(self):
        loan, _ = self.start_stack()
        with self.redis.subscribe("sfn:execution-changes") as changes:
            arn = self.start_execution(loan, name="announced")
            announced = []
            while not announced or announced[-1]["status"] == "RUNNING":
                announced.append(json.loads(changes.next_message(timeout=5)))
        self.assertEqual({arn}, {message["executionArn"] for message in announced})
        self.assertEqual(["RUNNING"] * (len(announced) - 1) + ["SUCCEEDED"], [m["status"] for m in announced])
        # Started (1-4: started, entered, scheduled, started task), submitted (5), then the callback (6-8).
        self.assertEqual([4, 5, 8], [message["lastEventId"] for message in announced])
        self.assertEqual(8, len(self.history(loan, arn)))

    def test_history_has_the_events_of_a_callback_task_in_order(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan)
        done = self.wait_for_status(loan, arn, "SUCCEEDED")
        events = self.history(loan, arn)
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                          "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"], [e["type"] for e in events])
        self.assertEqual(list(range(1, 9)), [e["id"] for e in events])
        self.assertEqual([0, 0, 2, 3, 4, 5, 6, 7], [e["previousEventId"] for e in events])
        timestamps = [e["timestamp"] for e in events]
        self.assertEqual(sorted(timestamps), timestamps)

        started = events[0]["executionStartedEventDetails"]
        self.assertEqual(SAMPLE_APPLICATION, json.loads(started["input"]))
        self.assertEqual("RequestValuation", events[1]["stateEnteredEventDetails"]["name"])
        scheduled = events[2]["taskScheduledEventDetails"]
        self.assertEqual(("lambda", "invoke.waitForTaskToken", "us-east-1"),
                         (scheduled["resourceType"], scheduled["resource"], scheduled["region"]))
        parameters = json.loads(scheduled["parameters"])
        self.assertEqual("ValuationRequestFunction", parameters["FunctionName"])
        self.assertEqual(SAMPLE_APPLICATION, parameters["Payload"]["loanApplication"])
        self.assertEqual(30, scheduled["timeoutInSeconds"])
        self.assertNotIn("heartbeatInSeconds", scheduled)
        self.assertEqual(done["output"], events[5]["taskSucceededEventDetails"]["output"])
        self.assertEqual(done["output"], events[6]["stateExitedEventDetails"]["output"])
        self.assertEqual(done["output"], events[7]["executionSucceededEventDetails"]["output"])

    def test_task_token_is_stored_in_redis_under_the_valuation_reference(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan)
        done = self.wait_for_status(loan, arn, "SUCCEEDED")
        reference = json.loads(done["output"])["valuationReference"]
        events = self.history(loan, arn)
        token = json.loads(events[2]["taskScheduledEventDetails"]["parameters"])["Payload"]["taskToken"]
        self.assertEqual(token, self.redis.command("GET", f"valuation:{reference}"))
        submitted = json.loads(events[4]["taskSubmittedEventDetails"]["output"])
        self.assertEqual({"valuationReference": reference}, submitted["Payload"])
        self.assertGreater(self.redis.command("TTL", f"valuation:{reference}"), 0)
        # Opaque and long enough to be unguessable, within AWS's 2048 limit.
        self.assertTrue(40 <= len(token) <= 2048)
        record = self.redis.command("HGETALL", harness.execution_key(arn.split(":execution:")[1]))
        fields = dict(zip(record[::2], record[1::2]))
        self.assertEqual("SUCCEEDED", fields["status"])
        self.assertNotIn("taskToken", fields)

    def test_the_keys_of_an_execution_and_its_shards_timers_share_one_slot(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, name="app-ref-1")
        execution_id = arn.split(":execution:")[1]
        timers = harness.timers_key(execution_id)
        self.assertIsNotNone(self.redis.command("ZSCORE", timers, execution_id))  # the task's timeout, while it waits
        self.wait_for_status(loan, arn, "SUCCEEDED")
        record, history = harness.execution_key(execution_id), harness.execution_key(execution_id, "history")
        self.assertEqual([record], self.redis.command("KEYS", "*:execution:*"))
        self.assertEqual([history], self.redis.command("KEYS", "*:history:*"))
        self.assertEqual(12739, self.redis.key_slot("123456789"))  # CRC16/XMODEM's check value
        self.assertEqual(1, len({self.redis.key_slot(key) for key in (record, history, timers)}))
        self.assertEqual([arn], self.redis.command("ZRANGE", harness.executions_index_key(LOAN_MACHINE_ARN), 0, -1))
        self.assertEqual([], self.redis.command("KEYS", "sfn:*"))  # nothing of the old layout

    def test_the_story_is_logged_one_line_per_step(self):
        loan, valuation = self.start_stack()
        arn = self.start_execution(loan)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        logs = loan.logs()
        for event in ["execution-started", "valuation-requested", "token-stored", "waiting", "callback-received",
                      "resumed", "execution-succeeded"]:
            self.assertIn(f" {event}: ", logs)
        # The valuation service logs the delivery once the webhook's answer is back, which may be just after the
        # execution's end is committed.
        wait_until(lambda: "callback-sent" in valuation.logs(), 5, what="the valuation service's callback-sent line")

    def test_json_log_lines(self):
        loan, _ = self.start_stack(LOG_FORMAT="json")
        arn = self.start_execution(loan)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        lines = [json.loads(line) for line in loan.logs().splitlines() if line.strip()]
        stored = [line for line in lines if line["event"] == "token-stored"]
        self.assertEqual(1, len(stored))
        self.assertEqual({"time", "level", "service", "event", "message"}, set(stored[0]))
        self.assertEqual("loan-processor", stored[0]["service"])

    def test_many_applications_at_once_all_succeed(self):
        loan, _ = self.start_stack()
        arns = [self.start_execution(loan, {"applicationReference": f"app-{i}",
                                            "property": {"nameOrNumber": str(i), "postcode": "PO1 1CE"}})
                for i in range(50)]
        for i, arn in enumerate(arns):
            output = json.loads(self.wait_for_status(loan, arn, "SUCCEEDED")["output"])
            self.assertEqual(property_value(str(i), "PO1 1CE"), output["propertyValue"])


if __name__ == "__main__":
    harness.main()
