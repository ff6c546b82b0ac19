"""Who may do what (issue 15, items 17-19): signed callbacks, where the valuation service may call back, and the
optional API_TOKEN / CONSOLE_TOKEN of an exposed loan-processor.

Every hostile request is checked for its status, its JSON error and for the server staying responsive: a second
client's GET /health is answered within harness.health_limit_s() (100 ms, scaled for sanitizer builds and load) while and after it runs (HealthWatch).
"""

import hashlib
import hmac
import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.parse

import harness
from harness import (CALLBACK_FUNCTION_ARN, ERROR_TOPIC_ARN, IN_FLIGHT_KEY, LOAN_MACHINE_ARN, PART1_MACHINE_ARN,
                     Receiver, QuietJsonHandler, request)

SECRET = "whsec_e2e_0123456789"
OLD_SECRET = "whsec_e2e_old_secret"
API_TOKEN = "api-token-0123456789abcdef"
CONSOLE_TOKEN = "console-token-0123456789abcdef"
HEADER = "X-Valuation-Signature"
INVALID_SIGNATURE = "Invalid signature"
UNRECOGNIZED_CLIENT = "com.amazon.coral.service#UnrecognizedClientException"


def sign(secret, body, timestamp=None):
    """The header value the valuation service sends: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def raw_request(method, url, headers=None, body=None):
    """(status, headers dict, body text) without following redirects or reading a stream past its head."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        content_type = response.getheader("Content-Type", "")
        streaming = content_type.startswith("text/event-stream")
        text = "" if streaming else response.read().decode()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        connection.close()


class HealthWatch:
    """Polls GET /health of each server from its own thread while a with-block runs, and after it; every answer must
    come within harness.health_limit_s() (100 ms, scaled for sanitizer builds and load)."""

    def __init__(self, test, *servers):
        self.test = test
        self.servers = servers
        self.slowest = 0.0
        self.failures = []
        self.stopping = threading.Event()

    def probe(self):
        for server in self.servers:
            started = time.monotonic()
            try:
                status, _ = request("GET", f"{server.base_url}/health", timeout=2)
            except OSError as error:
                self.failures.append(f"{server.name}: {error}")
                continue
            took = time.monotonic() - started
            self.slowest = max(self.slowest, took)
            if status != 200:
                self.failures.append(f"{server.name}: /health answered {status}")

    def run(self):
        while not self.stopping.is_set():
            self.probe()
            self.stopping.wait(0.02)

    def __enter__(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exception):
        self.stopping.set()
        self.thread.join(5)
        self.probe()  # after the hostile requests too
        if exception[0] is None:
            self.test.assertEqual([], self.failures)
            self.test.assertLess(self.slowest, harness.health_limit_s(),
                                 f"a /health took {self.slowest * 1000:.0f} ms")


class HeaderReceiver(Receiver):
    """Records each POST's headers and raw body; answers 200."""

    def __init__(self):
        self.received = []
        receiver = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((dict(self.headers.items()), body, time.time()))
                self.reply_json(200, b'{"ok":true}')

        self._serve(Handler)


class HostileAuth(harness.StackTestCase):
    REQUEST_DEADLINE_MARGIN_S = 5

    # ---- helpers ----

    def watch(self, *servers):
        return HealthWatch(self, *servers)

    def waiting_execution(self, loan):
        """An execution of the part-1 machine waiting for a callback that never comes ("No callback")."""
        application = {"applicationReference": "a", "property": {"nameOrNumber": "No callback", "postcode": "X1"}}
        seen = set(self.redis.command("KEYS", "valuation:*"))
        arn = self.start_execution(loan, application, state_machine_arn=PART1_MACHINE_ARN)

        def reference():
            keys = [key for key in self.redis.command("KEYS", "valuation:*")
                    if key != IN_FLIGHT_KEY and key not in seen]
            return keys[0].split(":", 1)[1] if keys else None
        return arn, harness.wait_until(reference, 5, what="the stored token")

    def callback(self, loan, body, signature=None, extra_headers=None):
        """POSTs body (bytes) to the webhook with the signature header when given; (status, parsed answer)."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[HEADER] = signature
        headers.update(extra_headers or {})
        status, text = request("POST", f"{loan.base_url}/valuation-callback", body, headers)
        return status, json.loads(text)

    def callback_body(self, reference, value=123000):
        return json.dumps({"valuationReference": reference, "propertyValue": value}).encode()

    def assert_invalid_signature(self, answer, why):
        status, body = answer
        self.assertEqual(401, status, body)
        self.assertEqual({"error", "message"}, set(body))
        self.assertEqual("InvalidSignature", body["error"])
        self.assertIn(why, body["message"])

    def assert_still_waiting(self, loan, arn):
        self.assertEqual("RUNNING", self.describe(loan, arn)["status"])
        types = [event["type"] for event in self.history(loan, arn)]
        self.assertNotIn("TaskSucceeded", types)
        self.assertNotIn("TaskFailed", types)

    def assert_published(self, body, why, count=1):
        """The last `count` error-topic messages are this refused callback's (as the webhook's other rejections)."""
        messages = self.topic_messages()
        self.assertGreaterEqual(len(messages), count)
        for message in messages[-count:]:
            content = json.loads(message["Message"])
            self.assertEqual({"source", "description", "eventRequestId", "eventBody"}, set(content))
            self.assertEqual(CALLBACK_FUNCTION_ARN, content["source"])
            self.assertTrue(content["description"].startswith(INVALID_SIGNATURE + ": "), content)
            self.assertIn(why, content["description"])
            self.assertEqual(body.decode(), content["eventBody"])
            self.assertEqual(ERROR_TOPIC_ARN, message["TopicArn"])

    def complete_with_valid_signature(self, loan, arn, reference, secret=SECRET):
        body = self.callback_body(reference)
        status, answer = self.callback(loan, body, sign(secret, body))
        self.assertEqual(200, status, answer)
        self.assertEqual("SUCCEEDED", answer["executionStatus"])
        self.assertEqual("SUCCEEDED", self.describe(loan, arn)["status"])

    def refused_then_real(self, signature_of, why, **environment):
        """A callback whose signature_of(body) is refused: 401, published, the task still waits; the real one then
        completes it."""
        environment.setdefault("CALLBACK_SIGNING_SECRET", SECRET)
        loan, _ = self.start_stack(**environment)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        with self.watch(loan):
            self.assert_invalid_signature(self.callback(loan, body, signature_of(body)), why)
        self.assert_published(body, why)
        self.assert_still_waiting(loan, arn)
        self.complete_with_valid_signature(loan, arn, reference)
        return loan

    def run_binary(self, binary, **environment):
        """Runs a server that must refuse its configuration; (exit status, stderr)."""
        settings = {"REDIS_URL": self.redis.url, "LOAN_PROCESSOR_PORT": str(harness.free_port()),
                    "VALUATION_SERVICE_PORT": str(harness.free_port()),
                    "STATE_MACHINES_DIR": harness.STATE_MACHINES_DIR}
        settings.update(environment)
        done = subprocess.run([binary], env=settings, capture_output=True, timeout=10)
        return done.returncode, done.stderr.decode()

    # ---- 17: signed callbacks ----

    def test_signed_stack_runs_the_blog_flow(self):
        loan, valuation = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn = self.start_execution(loan)
        self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual([], self.topic_messages())

    def test_valuation_service_signs_every_callback_with_the_first_secret(self):
        receiver = HeaderReceiver()
        self.addCleanup(receiver.close)
        valuation = self.start_valuation_service(CALLBACK_SIGNING_SECRET=f" {SECRET} , {OLD_SECRET}")
        for name in ("1 High Street", "Duplicate response"):
            status, text = request("POST", f"{valuation.base_url}/valuation-request",
                                   {"property": {"nameOrNumber": name, "postcode": "AB1 2CD"},
                                    "callbackUrl": receiver.url})
            self.assertEqual(201, status, text)
        harness.wait_until(lambda: len(receiver.received) == 3, 10, what="three callbacks")
        for headers, body, arrived in receiver.received:
            value = headers[HEADER]
            timestamp = int(value.split(",")[0][2:])
            self.assertAlmostEqual(arrived, timestamp, delta=5)
            self.assertEqual(sign(SECRET, body, timestamp), value)

    def test_valuation_service_without_a_secret_sends_no_signature(self):
        receiver = HeaderReceiver()
        self.addCleanup(receiver.close)
        valuation = self.start_valuation_service()
        status, text = request("POST", f"{valuation.base_url}/valuation-request",
                               {"property": {"nameOrNumber": "1", "postcode": "AB1 2CD"}, "callbackUrl": receiver.url})
        self.assertEqual(201, status, text)
        harness.wait_until(lambda: receiver.received, 10, what="the callback")
        self.assertNotIn(HEADER, receiver.received[0][0])

    def test_valid_signature_completes_the_task(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        with self.watch(loan):
            self.complete_with_valid_signature(loan, arn, reference)
        self.assertEqual([], self.topic_messages())

    def test_missing_signature_is_refused(self):
        self.refused_then_real(lambda body: None, "is missing")

    def test_empty_signature_is_malformed(self):
        self.refused_then_real(lambda body: "", "is not t=<unix seconds>,v1=<64 hex digits>")

    def test_malformed_signatures_are_refused(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        good = sign(SECRET, body)
        timestamp, mac = good[2:].split(",v1=")
        malformed = [
            "garbage", f"v1={mac}", f"t={timestamp}", f"t=,v1={mac}", f"t=abc,v1={mac}", f"t={timestamp},v1={mac[:-2]}",
            f"t={timestamp},v1={mac}0", f"t={timestamp},v1={'z' * 64}", f"v1={mac},t={timestamp}",
            f"t={timestamp}, v1={mac}", f"t={timestamp},v2={mac}", f"t=-{timestamp},v1={mac}",
            f"t=1234567890123456789,v1={mac}", f"t={timestamp},v1={mac}," + ",".join([f"v1={mac}"] * 8),
            f"t={timestamp},v1={mac}" + "x" * 3000,
        ]
        with self.watch(loan):
            for value in malformed:
                with self.subTest(value=value[:80]):
                    self.assert_invalid_signature(self.callback(loan, body, value), "is not t=")
        self.assert_published(body, "is not t=", count=len(malformed))
        self.assert_still_waiting(loan, arn)
        self.complete_with_valid_signature(loan, arn, reference)

    def test_signature_with_a_wrong_secret_is_refused(self):
        self.refused_then_real(lambda body: sign("not-the-secret", body), "does not match")

    def test_signature_of_another_body_is_refused(self):
        def other_body(body):
            return sign(SECRET, body.replace(b"123000", b"999999"))
        self.refused_then_real(other_body, "does not match")

    def test_signature_with_upper_case_hex_is_accepted(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        timestamp, mac = sign(SECRET, body)[2:].split(",v1=")
        status, answer = self.callback(loan, body, f"t={timestamp},v1={mac.upper()}")
        self.assertEqual(200, status, answer)

    def test_stale_signature_is_refused(self):
        self.refused_then_real(lambda body: sign(SECRET, body, int(time.time()) - 301), "more than 300 seconds ago")

    def test_signature_from_the_future_is_refused(self):
        self.refused_then_real(lambda body: sign(SECRET, body, int(time.time()) + 310), "in the future")

    def test_signature_within_the_tolerance_is_accepted(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        for offset in (-280, 280):
            with self.subTest(offset=offset):
                arn, reference = self.waiting_execution(loan)
                body = self.callback_body(reference)
                status, answer = self.callback(loan, body, sign(SECRET, body, int(time.time()) + offset))
                self.assertEqual(200, status, answer)

    def test_rotated_secrets_are_all_accepted(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=f"{SECRET},{OLD_SECRET}")
        for secret in (OLD_SECRET, SECRET):
            arn, reference = self.waiting_execution(loan)
            with self.watch(loan):
                self.complete_with_valid_signature(loan, arn, reference, secret)
        self.assertEqual([], self.topic_messages())

    def test_a_retired_secret_is_refused(self):
        self.refused_then_real(lambda body: sign(OLD_SECRET, body), "does not match", CALLBACK_SIGNING_SECRET=SECRET)

    def test_several_v1_values_one_matching_is_accepted(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        timestamp, mac = sign(SECRET, body)[2:].split(",v1=")
        status, answer = self.callback(loan, body, f"t={timestamp},v1={'0' * 64},v1={mac}")
        self.assertEqual(200, status, answer)

    def test_signature_is_checked_before_the_body_is_parsed(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        with self.watch(loan):
            self.assert_invalid_signature(self.callback(loan, b"{not json", None), "is missing")
            self.assert_invalid_signature(self.callback(loan, b"{not json", "t=1,v1=" + "0" * 64), "does not match")
        status, answer = self.callback(loan, b"{not json", sign(SECRET, b"{not json"))
        self.assertEqual((400, "InvalidJson"), (status, answer["error"]))

    def test_a_valid_signature_does_not_make_an_unknown_reference_known(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        body = self.callback_body("no-such-reference")
        status, answer = self.callback(loan, body, sign(SECRET, body))
        self.assertEqual((404, "UnknownValuationReference"), (status, answer["error"]))

    def test_a_replayed_signed_callback_gets_409(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        signature = sign(SECRET, body)
        self.assertEqual(200, self.callback(loan, body, signature)[0])
        status, answer = self.callback(loan, body, signature)
        self.assertEqual((409, "TaskTimedOut"), (status, answer["error"]))
        self.assertEqual(1, [e["type"] for e in self.history(loan, arn)].count("TaskSucceeded"))

    def test_without_a_secret_unsigned_and_forged_callbacks_are_not_checked(self):
        loan, _ = self.start_stack()
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        status, answer = self.callback(loan, body, "forged")
        self.assertEqual(200, status, answer)

    def test_stats_count_refused_callbacks_as_rejected(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        body = self.callback_body("r")
        self.assert_invalid_signature(self.callback(loan, body, None), "is missing")
        status, text = request("GET", f"{loan.base_url}/stats")
        stats = json.loads(text)
        self.assertEqual(200, status)
        self.assertIn('"rejected": 1', json.dumps(stats))

    def test_many_forged_callbacks_keep_the_server_responsive(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        arn, reference = self.waiting_execution(loan)
        body = self.callback_body(reference)
        with self.watch(loan):
            for i in range(100):
                status, _ = self.callback(loan, body, sign(f"guess-{i}", body))
                self.assertEqual(401, status)
        self.assert_still_waiting(loan, arn)
        self.assertEqual(100, len(self.topic_messages()))

    def test_a_large_signed_body_is_checked(self):
        loan, _ = self.start_stack(CALLBACK_SIGNING_SECRET=SECRET)
        body = json.dumps({"valuationReference": "r", "propertyValue": 1, "padding": "x" * 500000}).encode()
        with self.watch(loan):
            self.assert_invalid_signature(self.callback(loan, body, sign("wrong", body)), "does not match")
            status, answer = self.callback(loan, body, sign(SECRET, body))
        self.assertEqual((404, "UnknownValuationReference"), (status, answer["error"]))

    # ---- 18: where the valuation service may call ----

    def valuation_request(self, valuation, callback_url, name="1 High Street"):
        status, text = request("POST", f"{valuation.base_url}/valuation-request",
                               {"property": {"nameOrNumber": name, "postcode": "AB1 2CD"}, "callbackUrl": callback_url})
        return status, json.loads(text)

    def assert_not_allowed(self, answer):
        status, body = answer
        self.assertEqual(400, status, body)
        self.assertEqual({"error", "message"}, set(body))
        self.assertEqual("CallbackUrlNotAllowed", body["error"])
        self.assertIn("CALLBACK_ALLOWED_HOSTS", body["message"])

    def assert_nothing_scheduled(self, valuation):
        status, text = request("GET", f"{valuation.base_url}/callbacks")
        report = json.loads(text)
        self.assertEqual((200, 0, 0), (status, report["due"], report["inFlight"]))

    def test_default_allowed_hosts_refuse_other_hosts(self):
        valuation = self.start_valuation_service()
        refused = [
            "http://10.0.0.1:80/cb", "http://169.254.169.254/latest/meta-data/", "http://redis:6379/",
            "http://loan-processor:6379/", "http://loan-processor/valuation-callback", "http://127.1:6379/",
            "http://2130706433/", "http://0x7f000001/", "http://localhost.:80/", "http://example.com/",
            "http://127.0.0.1:8080@evil.example:6379/", "http://user@127.0.0.1:8080/", "http://127.0.0.1:8080\\@x/",
            "http://%31%32%37.0.0.1:80/", "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://[::1]:6379/",
            "https://[::ffff:127.0.0.1]:6379/",
        ]
        with self.watch(valuation):
            for url in refused:
                with self.subTest(url=url):
                    self.assert_not_allowed(self.valuation_request(valuation, url))
        self.assert_nothing_scheduled(valuation)

    def test_default_allowed_hosts_accept_what_the_demo_and_compose_use(self):
        valuation = self.start_valuation_service(VALUATION_DELAY_SECONDS="3600")
        for url in ("http://127.0.0.1:8080/valuation-callback", "http://localhost:18080/valuation-callback",
                    "http://loan-processor:8080/valuation-callback", "https://127.0.0.1:443/x"):
            with self.subTest(url=url):
                status, body = self.valuation_request(valuation, url)
                self.assertEqual(201, status, body)

    def test_configured_allowed_hosts_refuse_the_redis_port(self):
        receiver = HeaderReceiver()
        self.addCleanup(receiver.close)
        valuation = self.start_valuation_service(CALLBACK_ALLOWED_HOSTS=f"http://127.0.0.1:{receiver.port}")
        redis_port = self.redis.port
        with self.watch(valuation):
            self.assert_not_allowed(self.valuation_request(valuation, f"http://127.0.0.1:{redis_port}/"))
            self.assert_not_allowed(self.valuation_request(valuation, f"https://127.0.0.1:{receiver.port}/hook"))
            self.assert_not_allowed(self.valuation_request(valuation, f"http://localhost:{receiver.port}/hook"))
        self.assert_nothing_scheduled(valuation)
        status, body = self.valuation_request(valuation, receiver.url)
        self.assertEqual(201, status, body)
        harness.wait_until(lambda: receiver.received, 10, what="the allowed callback")
        time.sleep(0.3)
        self.assertEqual(1, len(receiver.received))

    def test_wildcard_port_and_host_entries(self):
        receiver = HeaderReceiver()
        self.addCleanup(receiver.close)
        valuation = self.start_valuation_service(CALLBACK_ALLOWED_HOSTS="localhost:*, *:65000",
                                                 VALUATION_DELAY_SECONDS="3600")
        self.assertEqual(201, self.valuation_request(valuation, f"http://LOCALHOST:{receiver.port}/x")[0])
        self.assertEqual(201, self.valuation_request(valuation, "http://anything.example:65000/x")[0])
        self.assert_not_allowed(self.valuation_request(valuation, f"http://127.0.0.1:{receiver.port}/x"))

    def test_a_bad_allowed_hosts_list_stops_the_service_at_start(self):
        for value in (" , ", "localhost", "ftp://a:1", "*.example.com:80", "a:0"):
            with self.subTest(value=value):
                status, stderr = self.run_binary(harness.VALUATION_SERVICE, CALLBACK_ALLOWED_HOSTS=value)
                self.assertEqual(2, status, stderr)
                self.assertIn("CALLBACK_ALLOWED_HOSTS", stderr)

    def test_a_refused_callback_url_is_not_echoed(self):
        valuation = self.start_valuation_service()
        status, body = self.valuation_request(valuation, "http://evil.example:6379/\u00ff<script>")
        self.assertEqual(400, status)
        self.assertNotIn("evil", body["message"])

    # ---- 19: exposure is a choice ----

    def sfn_with(self, loan, headers, operation="ListStateMachines"):
        all_headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{operation}"}
        all_headers.update(headers)
        status, text = request("POST", f"{loan.base_url}/", {}, all_headers)
        return status, json.loads(text)

    def assert_unrecognized_client(self, answer):
        status, body = answer
        self.assertEqual(401, status, body)
        self.assertEqual({"__type": UNRECOGNIZED_CLIENT,
                          "message": "The security token included in the request is invalid."}, body)

    def test_api_token_is_required_when_set(self):
        loan = self.start_loan_processor(API_TOKEN=API_TOKEN)
        with self.watch(loan):
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"},
                            {"Authorization": f"Basic {API_TOKEN}"}, {"Authorization": API_TOKEN},
                            {"Authorization": f"Bearer {API_TOKEN}x"}, {"Authorization": f"Bearer {API_TOKEN[:-1]}"},
                            {"Cookie": f"token={API_TOKEN}"}):
                with self.subTest(headers=headers):
                    self.assert_unrecognized_client(self.sfn_with(loan, headers))
        status, body = self.sfn_with(loan, {"Authorization": f"Bearer {API_TOKEN}"})
        self.assertEqual(200, status, body)
        self.assertIn("stateMachines", body)

    def test_api_token_is_checked_before_the_operation(self):
        loan = self.start_loan_processor(API_TOKEN=API_TOKEN)
        self.assert_unrecognized_client(self.sfn_with(loan, {}, operation="NoSuchOperation"))
        self.assert_unrecognized_client(self.sfn_with(loan, {}, operation="StartExecution"))
        self.assertEqual([], self.redis.command("KEYS", "exec*"))

    def test_without_api_token_the_api_is_open(self):
        loan = self.start_loan_processor()
        self.assertEqual(200, self.sfn_with(loan, {})[0])

    def test_health_stats_and_callbacks_need_no_token(self):
        loan = self.start_loan_processor(API_TOKEN=API_TOKEN, CONSOLE_TOKEN=CONSOLE_TOKEN)
        self.assertEqual(200, request("GET", f"{loan.base_url}/health")[0])
        self.assertEqual(200, request("GET", f"{loan.base_url}/stats")[0])
        status, text = request("POST", f"{loan.base_url}/valuation-callback",
                               {"valuationReference": "r", "propertyValue": 1})
        self.assertEqual(404, status, text)

    def console_urls(self, loan):
        return [f"{loan.base_url}/", f"{loan.base_url}/console/index.html", f"{loan.base_url}/console/app.mjs",
                f"{loan.base_url}/console/api/graph?stateMachineArn={LOAN_MACHINE_ARN}",
                f"{loan.base_url}/console/api/execution?executionArn=x",
                f"{loan.base_url}/console/api/valuation?valuationReference=x", f"{loan.base_url}/console/events",
                f"{loan.base_url}/console/no-such-file"]

    def test_console_token_is_required_when_set(self):
        loan = self.start_loan_processor(CONSOLE_TOKEN=CONSOLE_TOKEN)
        with self.watch(loan):
            for url in self.console_urls(loan):
                for headers in ({}, {"Authorization": "Bearer wrong"}, {"Cookie": "token=wrong"},
                                {"Cookie": f"xtoken={CONSOLE_TOKEN}"}, {"Authorization": f"Basic {CONSOLE_TOKEN}"}):
                    with self.subTest(url=url, headers=headers):
                        status, response_headers, text = raw_request("GET", url, headers)
                        self.assertEqual(401, status, text)
                        self.assertTrue(response_headers["content-type"].startswith("application/json"))
                        body = json.loads(text)
                        self.assertEqual("Unauthorized", body["error"])
                        self.assertIn("CONSOLE_TOKEN", body["message"])
                with self.subTest(url=url, query="wrong"):
                    separator = "&" if "?" in url else "?"
                    self.assertEqual(401, raw_request("GET", f"{url}{separator}token=wrong")[0])

    def test_console_token_as_bearer_cookie_or_query(self):
        loan = self.start_loan_processor(CONSOLE_TOKEN=CONSOLE_TOKEN)
        graph = f"{loan.base_url}/console/api/graph?stateMachineArn={LOAN_MACHINE_ARN}"
        for headers in ({"Authorization": f"Bearer {CONSOLE_TOKEN}"}, {"Cookie": f"a=b; token={CONSOLE_TOKEN}"}):
            with self.subTest(headers=headers):
                self.assertEqual(200, raw_request("GET", graph, headers)[0])
                self.assertEqual(200, raw_request("GET", f"{loan.base_url}/console/app.mjs", headers)[0])
                self.assertEqual(200, raw_request("GET", f"{loan.base_url}/console/events", headers)[0])
        self.assertEqual(200, raw_request("GET", f"{graph}&token={CONSOLE_TOKEN}")[0])

    def test_opening_the_console_with_its_token_sets_a_cookie(self):
        loan = self.start_loan_processor(CONSOLE_TOKEN=CONSOLE_TOKEN)
        status, headers, _ = raw_request("GET", f"{loan.base_url}/?token={CONSOLE_TOKEN}")
        self.assertEqual(303, status)
        self.assertEqual("/", headers["location"])
        cookie = headers["set-cookie"]
        self.assertTrue(cookie.startswith(f"token={CONSOLE_TOKEN};"), cookie)
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attribute, cookie)
        cookie_header = {"Cookie": cookie.split(";")[0]}
        status, headers, text = raw_request("GET", f"{loan.base_url}/", cookie_header)
        self.assertEqual(200, status)
        self.assertIn("<html", text.lower())

    def test_the_console_cookie_also_opens_the_api_it_uses(self):
        loan = self.start_loan_processor(API_TOKEN=API_TOKEN, CONSOLE_TOKEN=CONSOLE_TOKEN)
        self.assertEqual(200, self.sfn_with(loan, {"Cookie": f"token={CONSOLE_TOKEN}"})[0])
        self.assert_unrecognized_client(self.sfn_with(loan, {"Cookie": "token=console-token-wrong-0123456"}))
        self.assert_unrecognized_client(self.sfn_with(loan, {"Authorization": f"Bearer {CONSOLE_TOKEN}"}))

    def test_without_console_token_the_console_is_open(self):
        loan = self.start_loan_processor()
        self.assertEqual(200, raw_request("GET", f"{loan.base_url}/")[0])
        self.assertEqual(200, raw_request("GET", f"{loan.base_url}/?token=anything")[0])

    def test_bad_tokens_stop_the_loan_processor_at_start(self):
        for name in ("API_TOKEN", "CONSOLE_TOKEN"):
            for value in ("short", "has space in it 0123", "semicolon;0123456789abc"):
                with self.subTest(name=name, value=value):
                    status, stderr = self.run_binary(harness.LOAN_PROCESSOR, **{name: value})
                    self.assertEqual(2, status, stderr)
                    self.assertIn(name, stderr)

    def test_both_servers_listen_on_loopback_by_default(self):
        address = self.non_loopback_address()
        if not address:
            self.skipTest("this host has no non-loopback IPv4 address")
        loan, valuation = self.start_stack()
        for server in (loan, valuation):
            with self.subTest(server=server.name):
                with self.assertRaises(OSError):
                    socket.create_connection((address, server.port), timeout=1).close()

    def non_loopback_address(self):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))  # no packet is sent
                address = probe.getsockname()[0]
        except OSError:
            return None
        return None if address.startswith("127.") else address


if __name__ == "__main__":
    harness.main()
