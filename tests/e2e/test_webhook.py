"""POST /valuation-callback: from valuationReference to the task token to a resumed execution.

Errors (unknown reference, late or duplicate callback) are also published to the error topic, as the
follow-up post's webhook does. A callback that outruns its stored token waits only while a valuation
request registered before it is still in flight (valuation:requests-in-flight).
"""

import json
import signal
import threading
import time

import harness
from harness import (CALLBACK_FUNCTION_ARN, ERROR_TOPIC, ERROR_TOPIC_ARN, IN_FLIGHT_KEY, TASK_CLOSED,
                     UNKNOWN_REFERENCE, request)

# ValuationRequestFunction's lease on an in-flight registration: its HTTP timeout (10 s) + 5 s.
LEASE_MS = 15000


def now_ms():
    return int(time.time() * 1000)


class Webhook(harness.StackTestCase):
    def callback(self, loan, body):
        status, text = request("POST", f"{loan.base_url}/valuation-callback", body)
        return status, json.loads(text)

    def timed_callback(self, loan, body):
        """(status, parsed body, seconds taken)."""
        started = time.monotonic()
        status, answer = self.callback(loan, body)
        return status, answer, time.monotonic() - started

    def callback_in_background(self, loan, body):
        """Sends the callback from a thread; returns a function that waits for (status, parsed body, seconds)."""
        result = {}

        def send():
            try:
                result["answer"] = self.timed_callback(loan, body)
            except OSError as error:  # the server may close the connection on shutdown
                result["answer"] = (None, str(error), None)

        thread = threading.Thread(target=send)
        thread.start()

        def wait():
            thread.join(20)
            self.assertFalse(thread.is_alive(), "the callback got no answer within 20 s")
            return result["answer"]
        return wait

    def waiting_execution(self, loan):
        application = {"applicationReference": "a", "property": {"nameOrNumber": "No callback", "postcode": "X1"}}
        arn = self.start_execution(loan, application, state_machine_arn=harness.PART1_MACHINE_ARN)  # no timeout

        def reference():
            keys = [key for key in self.redis.command("KEYS", "valuation:*") if key != IN_FLIGHT_KEY]
            return keys[0].split(":", 1)[1] if keys else None
        return arn, harness.wait_until(reference, 5, what="the stored token")

    def register_in_flight(self, request_id="r-1", lease_ms=LEASE_MS):
        """What ValuationRequestFunction does before it POSTs (scored on the same host's clock)."""
        self.redis.command("ZADD", IN_FLIGHT_KEY, now_ms() + lease_ms, request_id)

    def assert_error_message(self, message, description, body_text):
        content = json.loads(message["Message"])
        self.assertEqual({"source", "description", "eventRequestId", "eventBody"}, set(content))
        self.assertEqual(CALLBACK_FUNCTION_ARN, content["source"])
        self.assertEqual(description, content["description"])
        self.assertEqual(body_text, content["eventBody"])
        self.assertGreaterEqual(len(content["eventRequestId"]), 16)
        self.assertEqual(ERROR_TOPIC_ARN, message["TopicArn"])
        return content

    # ---- the happy path and the task's outcomes ----

    def test_callback_resumes_the_execution_and_answers_200(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        status, body = self.callback(loan, {"valuationReference": reference, "propertyValue": 123000})
        self.assertEqual(200, status, body)
        self.assertEqual({"message": "Task resumed", "valuationReference": reference, "executionArn": arn,
                          "executionStatus": "SUCCEEDED"}, body)
        done = self.describe(loan, arn)
        self.assertEqual({"valuationReference": reference, "propertyValue": 123000}, json.loads(done["output"]))
        self.assertEqual([], self.topic_messages())

    def test_a_duplicate_callback_gets_409_task_timed_out_and_is_published(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        body = {"valuationReference": reference, "propertyValue": 1}
        self.assertEqual(200, self.callback(loan, body)[0])
        status, answer = self.callback(loan, body)
        self.assertEqual((409, "TaskTimedOut", TASK_CLOSED), (status, answer["error"], answer["message"]))
        self.assertEqual(1, [e["type"] for e in self.history(loan, arn)].count("TaskSucceeded"))
        # Published before the answer: the message is there as soon as the 409 is.
        [message] = self.topic_messages()
        self.assert_error_message(message, TASK_CLOSED, json.dumps(body))
        self.assertEqual(arn, message["executionArn"])

    def test_stats_count_callbacks_and_time_each_resume(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        body = {"valuationReference": reference, "propertyValue": 1}
        started = time.monotonic()
        self.assertEqual(200, self.callback(loan, body)[0])
        took_us = (time.monotonic() - started) * 1e6
        self.assertEqual(409, self.callback(loan, body)[0])
        self.assertEqual(404, self.callback(loan, {"valuationReference": "nobody", "propertyValue": 1})[0])
        status, text = request("GET", f"{loan.base_url}/stats")
        self.assertEqual(200, status, text)
        stats = json.loads(text)
        self.assertEqual("loan-processor", stats["service"])
        webhook = stats["webhook"]
        self.assertEqual((3, 1, 2), (webhook["received"], webhook["resumed"], webhook["rejected"]))
        latency = webhook["resumeLatencyMicroseconds"]
        self.assertEqual(1, latency["count"])
        # One resume, measured inside the server: more than nothing, less than the whole exchange the client saw.
        self.assertGreater(latency["max"], 0)
        self.assertLess(latency["max"], took_us)
        self.assertEqual(latency["max"], latency["p50"])
        [[lower, upper, count]] = latency["buckets"]
        self.assertTrue(lower <= latency["max"] <= upper and count == 1, latency)

    def test_duplicate_response_scenario_succeeds_once(self):
        loan, valuation = self.start_stack()
        application = {"applicationReference": "d", "property": {"nameOrNumber": "Duplicate response",
                                                                 "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        harness.wait_until(lambda: valuation.logs().count("callback-failed") == 1, 5,
                           what="the second callback to be refused")
        self.assertIn("409", valuation.logs())
        self.assertEqual(1, [e["type"] for e in self.history(loan, arn)].count("TaskSucceeded"))
        self.assertEqual([TASK_CLOSED], self.topic_descriptions())

    def test_failed_response_fails_the_task_with_valuation_failed(self):
        loan, _ = self.start_stack()
        application = {"applicationReference": "f", "property": {"nameOrNumber": "Failed response",
                                                                 "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application, state_machine_arn=harness.PART1_MACHINE_ARN)  # no Catch
        done = self.wait_for_status(loan, arn, "FAILED")
        self.assertEqual("ValuationFailed", done["error"])
        self.assertNotIn("cause", done)
        failed = self.history(loan, arn)[-2]
        self.assertEqual(("TaskFailed", "ValuationFailed"), (failed["type"], failed["taskFailedEventDetails"]["error"]))

    # ---- unknown references ----

    def test_unknown_reference_is_404_at_once_and_published(self):
        loan, _ = self.start_stack()
        body_text = '{"valuationReference": "unknown-ref",   "propertyValue": 1}'  # kept verbatim in eventBody
        with self.redis.subscribe(f"sns:{ERROR_TOPIC}") as subscription:
            self.timed_callback(loan, {"valuationReference": "warm-up", "propertyValue": 1})
            subscription.next_message()
            status, body, seconds = self.timed_callback(loan, body_text.encode())
            live = subscription.next_message()
        self.assertEqual(404, status)
        self.assertEqual("UnknownValuationReference", body["error"])
        self.assertEqual(f"{UNKNOWN_REFERENCE}: unknown-ref", body["message"])
        self.assertLess(seconds, 0.1)
        message = self.topic_messages()[-1]
        self.assert_error_message(message, UNKNOWN_REFERENCE, body_text)
        self.assertNotIn("executionArn", message)
        self.assertEqual(message["Message"], live)

    def test_unknown_reference_scenario_is_published_while_the_execution_waits(self):
        loan, _ = self.start_stack()
        application = {"applicationReference": "u", "property": {"nameOrNumber": "Unknown reference",
                                                                 "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application)
        harness.wait_until(lambda: self.topic_descriptions(), 5, what="the error message")
        self.assertEqual([UNKNOWN_REFERENCE], self.topic_descriptions())
        self.assertEqual("unknown-ref", json.loads(json.loads(self.topic_messages()[0]["Message"])["eventBody"])
                         ["valuationReference"])
        self.assertEqual("RUNNING", self.describe(loan, arn)["status"])

    def test_a_failed_publish_is_logged_and_the_callback_still_answered(self):
        loan, _ = self.start_stack()
        self.redis.command("SET", f"sns:{ERROR_TOPIC}", "not a stream")  # XADD now fails with WRONGTYPE
        status, body = self.callback(loan, {"valuationReference": "nope", "propertyValue": 1})
        self.assertEqual((404, "UnknownValuationReference"), (status, body["error"]))
        self.assertIn("error-not-published", loan.logs())

    def test_each_callback_has_its_own_event_request_id(self):
        loan, _ = self.start_stack()
        for _ in range(3):
            self.assertEqual(404, self.callback(loan, {"valuationReference": "nope", "propertyValue": 1})[0])
        ids = [json.loads(m["Message"])["eventRequestId"] for m in self.topic_messages()]
        self.assertEqual(3, len(set(ids)))

    def test_error_topic_and_its_cap_are_configurable(self):
        topic_arn = "arn:aws:sns:eu-west-1:111122223333:OpsAlerts"
        loan, _ = self.start_stack(ERROR_TOPIC_ARN=topic_arn, TOPIC_MAX_MESSAGES="10")
        for i in range(250):
            self.assertEqual(404, self.callback(loan, {"valuationReference": f"r{i}", "propertyValue": 1})[0])
        self.assertEqual([], self.topic_messages())
        messages = self.topic_messages("OpsAlerts")
        self.assertEqual(topic_arn, messages[-1]["TopicArn"])
        self.assertEqual("r249", json.loads(json.loads(messages[-1]["Message"])["eventBody"])["valuationReference"])
        # XADD MAXLEN ~ 10 trims whole stream nodes (100 entries each): about 10, never all 250.
        self.assertLessEqual(len(messages), 110)

    # ---- early callbacks ----

    def test_an_early_callback_waits_for_its_token_and_resumes(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        key = f"valuation:{reference}"
        token = self.redis.command("GET", key)
        self.redis.command("DEL", key)  # as if the 201 had not been processed yet...
        self.register_in_flight("request-1")  # ...by a valuation request still in flight

        answer = self.callback_in_background(loan, {"valuationReference": reference, "propertyValue": 5})
        time.sleep(0.2)
        self.redis.command("SET", key, token)
        self.redis.command("ZREM", IN_FLIGHT_KEY, "request-1")
        status, body, seconds = answer()

        self.assertEqual((200, "SUCCEEDED"), (status, body["executionStatus"]), body)
        self.assertGreaterEqual(seconds, 0.2)
        self.assertEqual("SUCCEEDED", self.describe(loan, arn)["status"])
        self.assertEqual([], self.topic_messages())
        self.assertIn("callback-early", loan.logs())

    def test_an_early_callback_whose_request_ends_without_a_token_gets_404(self):
        loan, _ = self.start_stack()
        self.register_in_flight("request-1")
        answer = self.callback_in_background(loan, {"valuationReference": "never-stored", "propertyValue": 5})
        time.sleep(0.2)
        self.redis.command("ZREM", IN_FLIGHT_KEY, "request-1")  # the request failed: no token will come
        status, body, seconds = answer()
        self.assertEqual(404, status, body)
        self.assertGreaterEqual(seconds, 0.2)
        self.assertLess(seconds, 1.0)
        self.assertEqual([UNKNOWN_REFERENCE], self.topic_descriptions())

    def test_requests_registered_after_the_callback_or_expired_do_not_hold_it(self):
        loan, _ = self.start_stack()
        self.register_in_flight("expired", lease_ms=-1000)
        self.register_in_flight("registered-later", lease_ms=LEASE_MS + 60000)
        status, _, seconds = self.timed_callback(loan, {"valuationReference": "nope", "propertyValue": 1})
        self.assertEqual(404, status)
        self.assertLess(seconds, 0.1)
        # The look-up only reads; the next registration drops the expired entry.
        self.assertEqual(["expired", "registered-later"], self.redis.command("ZRANGE", IN_FLIGHT_KEY, 0, -1))

    def test_valuation_request_is_registered_in_flight_before_the_post_and_released_after(self):
        seen = []

        def on_receive(path, body):
            seen.append((now_ms(), self.redis.command("ZRANGE", IN_FLIGHT_KEY, 0, -1, "WITHSCORES")))

        service = harness.CallbackReceiver(status=500, on_receive=on_receive)
        self.addCleanup(service.close)
        loan = self.start_loan_processor(VALUATION_SERVICE_URL=service.url)
        arn = self.start_execution(loan)
        done = self.wait_for_status(loan, arn, "FAILED")
        self.assertIn("Unexpected response.status: 500", done["cause"])
        [(received_ms, registered)] = seen
        self.assertEqual(2, len(registered))  # one request id and its lease expiry
        self.assertAlmostEqual(received_ms + LEASE_MS, int(registered[1]), delta=2000)
        harness.wait_until(lambda: self.redis.command("EXISTS", IN_FLIGHT_KEY) == 0, 5,
                           what="the failed request's registration to go")

    def test_a_stored_token_ends_its_registration(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual(0, self.redis.command("EXISTS", IN_FLIGHT_KEY))

    def test_shutdown_answers_waiting_callbacks_and_exits_cleanly(self):
        loan, _ = self.start_stack()
        self.register_in_flight("request-1")
        # Five waiting callbacks, 4 ms apart: each looks its token up every 20 ms, and a look-up takes well
        # under 4 ms, so at any instant at least four of them wait on their timer, which shutdown must cancel.
        answers = []
        for i in range(5):
            answers.append(self.callback_in_background(loan, {"valuationReference": f"pending-{i}",
                                                              "propertyValue": 5}))
            time.sleep(0.004)
        harness.wait_until(lambda: loan.logs().count("callback-early") == 5, 5, what="the callbacks to wait")
        loan.process.send_signal(signal.SIGTERM)  # drain: the waiting callbacks would hold it for 10 s...
        harness.wait_until(lambda: "no longer accepting" in loan.logs(), 5, what="the drain to start")
        status = loan.stop()  # ...so a second SIGTERM stops at once
        loan.check_clean_exit(status)  # exit 0, and no leak report under AddressSanitizer
        self.assertIn("callback-abandoned", loan.logs())
        for answer in answers:
            answered, _, _ = answer()
            self.assertIn(answered, (503, None))  # 503, or the connection closed by the shutdown

    # ---- bad requests ----

    def test_bad_bodies_are_400(self):
        loan, _ = self.start_stack()
        for body, message in [(b"nope", "not valid JSON"), (b"[1]", "JSON object"),
                              ({"propertyValue": 1}, "valuationReference"),
                              ({"valuationReference": 5, "propertyValue": 1}, "valuationReference"),
                              ({"valuationReference": "r"}, "propertyValue"),
                              ({"valuationReference": "r", "propertyValue": "1"}, "propertyValue"),
                              ({"valuationReference": "r", "propertyValue": 1, "failed": "yes"}, "failed"),
                              ({"valuationReference": "r" * 101, "propertyValue": 1}, "valuationReference")]:
            status, text = request("POST", f"{loan.base_url}/valuation-callback", body)
            self.assertEqual(400, status, body)
            self.assertIn(message, json.loads(text)["message"])
        self.assertEqual([], self.topic_messages())

    def test_oversized_body_is_413(self):
        loan, _ = self.start_stack()
        status, _ = harness.send_oversized(f"{loan.base_url}/valuation-callback", 3 * 1024 * 1024)
        self.assertEqual(413, status)


if __name__ == "__main__":
    harness.main()
