"""POST /valuation-callback: from valuationReference to the task token to a resumed execution."""

import json
import threading

import harness
from harness import TASK_CLOSED, request


class Webhook(harness.StackTestCase):
    def callback(self, loan, body):
        status, text = request("POST", f"{loan.base_url}/valuation-callback", body)
        return status, json.loads(text)

    def waiting_execution(self, loan):
        application = {"applicationReference": "a", "property": {"nameOrNumber": "No callback", "postcode": "X1"}}
        arn = self.start_execution(loan, application)
        def reference():
            keys = self.redis.command("KEYS", "valuation:*")
            return keys[0].split(":", 1)[1] if keys else None
        return arn, harness.wait_until(reference, 5, what="the stored token")

    def test_callback_resumes_the_execution_and_answers_200(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        status, body = self.callback(loan, {"valuationReference": reference, "propertyValue": 123000})
        self.assertEqual(200, status, body)
        self.assertEqual({"message": "Task resumed", "valuationReference": reference, "executionArn": arn,
                          "executionStatus": "SUCCEEDED"}, body)
        done = self.describe(loan, arn)
        self.assertEqual({"valuationReference": reference, "propertyValue": 123000}, json.loads(done["output"]))

    def test_a_duplicate_callback_gets_409_task_timed_out(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        body = {"valuationReference": reference, "propertyValue": 1}
        self.assertEqual(200, self.callback(loan, body)[0])
        status, answer = self.callback(loan, body)
        self.assertEqual((409, "TaskTimedOut", TASK_CLOSED), (status, answer["error"], answer["message"]))
        self.assertEqual(1, [e["type"] for e in self.history(loan, arn)].count("TaskSucceeded"))

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

    def test_failed_response_fails_the_task_with_valuation_failed(self):
        loan, _ = self.start_stack()
        application = {"applicationReference": "f", "property": {"nameOrNumber": "Failed response",
                                                                 "postcode": "PO1 1CE"}}
        arn = self.start_execution(loan, application)
        done = self.wait_for_status(loan, arn, "FAILED")
        self.assertEqual("ValuationFailed", done["error"])
        self.assertEqual("TaskFailed", self.history(loan, arn)[-2]["type"])

    def test_a_callback_that_beats_the_stored_token_still_resumes(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        key = f"valuation:{reference}"
        token = self.redis.command("GET", key)
        self.redis.command("DEL", key)  # as if the 201 had not been processed yet
        restore = threading.Timer(0.08, lambda: self.redis.command("SET", key, token))
        restore.start()
        status, body = self.callback(loan, {"valuationReference": reference, "propertyValue": 5})
        restore.join()
        self.assertEqual((200, "SUCCEEDED"), (status, body["executionStatus"]))
        self.assertEqual("SUCCEEDED", self.describe(loan, arn)["status"])

    def test_unknown_reference_is_404(self):
        loan, _ = self.start_stack()
        status, body = self.callback(loan, {"valuationReference": "unknown-ref", "propertyValue": 1})
        self.assertEqual(404, status)
        self.assertEqual("UnknownValuationReference", body["error"])
        self.assertIn("Unknown valuation reference", body["message"])

    def test_bad_bodies_are_400(self):
        loan, _ = self.start_stack()
        for body, message in [(b"nope", "not valid JSON"), (b"[1]", "JSON object"),
                              ({"propertyValue": 1}, "valuationReference"),
                              ({"valuationReference": 5, "propertyValue": 1}, "valuationReference"),
                              ({"valuationReference": "r"}, "propertyValue"),
                              ({"valuationReference": "r", "propertyValue": "1"}, "propertyValue")]:
            status, text = request("POST", f"{loan.base_url}/valuation-callback", body)
            self.assertEqual(400, status, body)
            self.assertIn(message, json.loads(text)["message"])


if __name__ == "__main__":
    harness.main()
