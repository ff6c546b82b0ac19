"""The mock valuation service: its API, its callbacks, its bad-input answers and its durability."""

import json
import time

import harness
from harness import CallbackReceiver, property_value, request, wait_until

PROPERTY = {"nameOrNumber": "999", "postcode": "PO1 1CE"}


class ValuationService(harness.StackTestCase):
    def setUp(self):
        super().setUp()
        self.receiver = CallbackReceiver()

    def tearDown(self):
        self.receiver.close()
        super().tearDown()

    def post(self, service, body, raw=None):
        status, text = request("POST", f"{service.base_url}/valuation-request", raw if raw is not None else body)
        return status, json.loads(text) if text else None

    def valuation_request(self, name_or_number="999", postcode="PO1 1CE"):
        return {"property": {"nameOrNumber": name_or_number, "postcode": postcode}, "callbackUrl": self.receiver.url}

    def test_answers_201_with_a_21_character_reference_then_calls_back(self):
        service = self.start_valuation_service()
        started = time.monotonic()
        status, body = self.post(service, self.valuation_request())
        self.assertEqual(201, status)
        reference = body["valuationReference"]
        self.assertRegex(reference, r"^[A-Za-z0-9_-]{21}$")
        wait_until(lambda: self.receiver.received, 5, what="the callback")
        path, text, arrived = self.receiver.received[0]
        self.assertEqual("/hook", path)
        self.assertEqual({"valuationReference": reference, "propertyValue": property_value("999", "PO1 1CE")},
                         json.loads(text))
        self.assertGreaterEqual(arrived - started, 0.28)  # 6 s x 0.05
        # The delivery is settled in Redis just after the receiver answered it.
        wait_until(lambda: self.redis.command("ZCARD", "{valuation-service}:in-flight") == 0, 5,
                   what="the delivered callback to leave the in-flight set")
        self.assertEqual(0, self.redis.command("ZCARD", "{valuation-service}:due"))
        time.sleep(0.3)
        self.assertEqual(1, len(self.receiver.received))

    def test_references_are_unique_and_values_deterministic(self):
        service = self.start_valuation_service()
        references = {self.post(service, self.valuation_request())[1]["valuationReference"] for _ in range(20)}
        self.assertEqual(20, len(references))
        wait_until(lambda: len(self.receiver.received) == 20, 5, what="20 callbacks")
        values = {json.loads(text)["propertyValue"] for _, text, _ in self.receiver.received}
        self.assertEqual({property_value("999", "PO1 1CE")}, values)

    def test_pending_callbacks_are_kept_in_redis(self):
        service = self.start_valuation_service(VALUATION_DELAY_SECONDS="60", TIME_SCALE="1")
        reference = self.post(service, self.valuation_request())[1]["valuationReference"]
        self.assertEqual([f"{reference}:1"], self.redis.command("ZRANGE", "{valuation-service}:due", 0, -1))
        job = self.redis.command("HGETALL", f"{{valuation-service}}:callback:{reference}:1")
        fields = dict(zip(job[::2], job[1::2]))
        self.assertEqual(self.receiver.url, fields["url"])
        self.assertEqual(reference, json.loads(fields["body"])["valuationReference"])

    def test_a_restart_after_kill_9_loses_no_pending_callback(self):
        service = self.start_valuation_service(TIME_SCALE="0.2")  # callbacks due in 1.2 s
        references = [self.post(service, self.valuation_request(str(i)))[1]["valuationReference"] for i in range(5)]
        service.stop(kill=True)
        self.servers.remove(service)
        time.sleep(1.5)  # they fall due while nobody runs
        self.assertEqual([], self.receiver.received)
        self.start_valuation_service(TIME_SCALE="0.2")
        wait_until(lambda: len(self.receiver.received) == 5, 5, what="the 5 callbacks after the restart")
        self.assertEqual(sorted(references),
                         sorted(json.loads(text)["valuationReference"] for _, text, _ in self.receiver.received))

    def test_a_failing_receiver_is_retried_then_recorded_as_failed(self):
        self.receiver.status = 503
        service = self.start_valuation_service(CALLBACK_RETRY_DEADLINE_SECONDS="30")  # x0.05 = 1.5 s
        reference = self.post(service, self.valuation_request())[1]["valuationReference"]
        wait_until(lambda: self.redis.command("LLEN", "{valuation-service}:failed") == 1, 10,
                   what="the callback to be given up")
        self.assertGreaterEqual(len(self.receiver.received), 2)
        record = json.loads(self.redis.command("LINDEX", "{valuation-service}:failed", 0))
        self.assertEqual(f"{reference}:1", record["id"])
        self.assertIn("503", record["reason"])
        self.assertIn("callback-retry", service.logs())

    def test_a_4xx_answer_is_not_retried(self):
        self.receiver.status = 404
        service = self.start_valuation_service()
        self.post(service, self.valuation_request())
        wait_until(lambda: self.redis.command("LLEN", "{valuation-service}:failed") == 1, 5, what="the failure record")
        time.sleep(0.5)
        self.assertEqual(1, len(self.receiver.received))
        self.assertIn("404", json.loads(self.redis.command("LINDEX", "{valuation-service}:failed", 0))["reason"])

    def test_follow_up_switches(self):
        service = self.start_valuation_service()
        self.post(service, self.valuation_request("No callback"))
        self.post(service, self.valuation_request("Duplicate response"))
        failed_reference = self.post(service, self.valuation_request("Failed response"))[1]["valuationReference"]
        self.post(service, self.valuation_request("Unknown reference"))
        wait_until(lambda: len(self.receiver.received) == 4, 5, what="4 callbacks")
        time.sleep(0.4)
        bodies = [json.loads(text) for _, text, _ in self.receiver.received]
        self.assertEqual(4, len(bodies))  # none for 'No callback', two for 'Duplicate response'
        self.assertIn({"valuationReference": failed_reference,
                       "propertyValue": property_value("Failed response", "PO1 1CE"), "failed": True}, bodies)
        self.assertEqual(1, sum(body["valuationReference"] == "unknown-ref" for body in bodies))
        duplicates = [b for b in bodies if b["propertyValue"] == property_value("Duplicate response", "PO1 1CE")]
        self.assertEqual(2, len(duplicates))
        self.assertEqual(duplicates[0], duplicates[1])

    def test_bad_input_gets_a_clear_4xx(self):
        service = self.start_valuation_service()
        cases = [
            (b"{not json", 400, "not valid JSON"),
            (b"[]", 400, "JSON object"),
            ({"callbackUrl": self.receiver.url}, 400, "'property' is required"),
            ({"property": "x", "callbackUrl": self.receiver.url}, 400, "'property' must be an object"),
            ({"property": {"postcode": "PO1 1CE"}, "callbackUrl": self.receiver.url}, 400, "property.nameOrNumber"),
            ({"property": {"nameOrNumber": 999, "postcode": "PO1 1CE"}, "callbackUrl": self.receiver.url}, 400,
             "property.nameOrNumber"),
            ({"property": {"nameOrNumber": "9", "postcode": ""}, "callbackUrl": self.receiver.url}, 400,
             "property.postcode"),
            ({"property": PROPERTY}, 400, "'callbackUrl' is required"),
            ({"property": PROPERTY, "callbackUrl": "ftp://example/x"}, 400, "http:// or https://"),
            ({"property": PROPERTY, "callbackUrl": 7}, 400, "http:// or https://"),
        ]
        for body, status, message in cases:
            actual_status, text = request("POST", f"{service.base_url}/valuation-request", body)
            self.assertEqual(status, actual_status, (body, text))
            self.assertIn(message, json.loads(text)["message"], body)
        status, text = harness.send_oversized(f"{service.base_url}/valuation-request", 65 * 1024)
        self.assertEqual(413, status)
        self.assertEqual("PayloadTooLarge", json.loads(text)["error"])
        self.assertEqual(405, request("GET", f"{service.base_url}/valuation-request")[0])
        self.assertEqual(404, request("POST", f"{service.base_url}/nowhere", {})[0])
        self.assertEqual(0, self.redis.command("ZCARD", "{valuation-service}:due"))
        self.assertEqual(201, self.post(service, self.valuation_request())[0])  # still serving

    def test_redis_down_answers_503_then_recovers(self):
        service = self.start_valuation_service()
        self.redis.stop()
        wait_until(lambda: request("GET", f"{service.base_url}/health")[0] == 503, 5, what="health 503")
        status, text = request("POST", f"{service.base_url}/valuation-request", self.valuation_request())
        self.assertEqual(503, status)
        self.assertIn("Redis is unavailable", json.loads(text)["message"])
        self.redis.start()
        wait_until(service.healthy, 10, what="health 200 again")
        self.assertEqual(201, self.post(service, self.valuation_request())[0])
        wait_until(lambda: self.receiver.received, 5, what="the callback")

    def test_help_lists_every_setting(self):
        import subprocess
        output = subprocess.run([harness.VALUATION_SERVICE, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(0, output.returncode)
        for name in ["VALUATION_SERVICE_PORT", "BIND_ADDRESS", "REDIS_URL", "VALUATION_DELAY_SECONDS", "TIME_SCALE",
                     "LOG_FORMAT"]:
            self.assertIn(name, output.stdout)
        bad = subprocess.run([harness.VALUATION_SERVICE, "--port", "0"], capture_output=True, text=True, timeout=10)
        self.assertEqual(2, bad.returncode)
        self.assertIn("VALUATION_SERVICE_PORT", bad.stderr)


if __name__ == "__main__":
    harness.main()
