"""The valuation service loses nothing and retries well: fault injection against the real processes.

kill -9 of the service, a target that is down, answers 5xx or 4xx or is too slow, a lease left behind by a killed
delivery, Redis killed or hung (SIGSTOP) under load, several instances on one Redis (distinct ports and one shared
port), and SIGTERM/SIGINT with work in flight. Each test has its own Redis and servers and checks end states:
what the receiver got, what the clients were answered, GET /callbacks and the Redis keys.
"""

import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import ScriptedReceiver, free_port, property_value, request, wait_until

DUE = "{valuation-service}:due"
IN_FLIGHT = "{valuation-service}:in-flight"
FAILED = "{valuation-service}:failed"
POSTCODE = "PO1 1CE"
# Scheduling, wake-up, claim, connect and the receiver's answer, on a loaded machine under the sanitizers.
SLACK = 0.3


def job_key(reference, copy=1):
    return f"{{valuation-service}}:callback:{reference}:{copy}"


class Load:
    """Threads that send valuation requests back to back, each recording (started, elapsed, status, body)."""

    def __init__(self, service, callback_url, threads=2, timeout=10):
        self.url = f"{service.base_url}/valuation-request"
        self.callback_url = callback_url
        self.timeout = timeout
        self.results = []
        self.running = True
        self.threads = [threading.Thread(target=self._run, args=(number,), daemon=True) for number in range(threads)]

    def _run(self, number):
        sent = 0
        while self.running:
            body = {"property": {"nameOrNumber": f"{number}-{sent}", "postcode": POSTCODE},
                    "callbackUrl": self.callback_url}
            started = time.monotonic()
            try:
                status, text = request("POST", self.url, body, timeout=self.timeout)
            except OSError as error:
                status, text = None, str(error)
            self.results.append((started, time.monotonic() - started, status, text))
            sent += 1
            time.sleep(0.01)

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=self.timeout + 5)

    def accepted_references(self):
        return {json.loads(text)["valuationReference"] for _, _, status, text in self.results if status == 201}


class ValuationResilience(harness.StackTestCase):
    TIME_SCALE = "0.05"  # callbacks due 0.3 s after the request; retry ceilings 50 ms, 100 ms, ...
    REQUEST_DEADLINE_MARGIN_S = 1.0   # every request of every test answered within REDIS_TIMEOUT_MS + 1 s

    # ---- helpers ----

    def receiver(self, answer=None, port=0):
        receiver = ScriptedReceiver(answer, port)
        self.addCleanup(receiver.close)
        return receiver

    def request_valuation(self, service, callback_url, name_or_number="999"):
        status, text = request("POST", f"{service.base_url}/valuation-request",
                               {"property": {"nameOrNumber": name_or_number, "postcode": POSTCODE},
                                "callbackUrl": callback_url})
        self.assertEqual(201, status, text)
        return json.loads(text)["valuationReference"]

    def request_many(self, services, callback_url, count):
        """count requests spread over services in turn, 8 at a time; returns {reference: nameOrNumber}."""
        def one(number):
            name = f"house {number}"
            return self.request_valuation(services[number % len(services)], callback_url, name), name
        with ThreadPoolExecutor(8) as pool:
            return dict(pool.map(one, range(count)))

    def report(self, service):
        status, text = request("GET", f"{service.base_url}/callbacks")
        self.assertEqual(200, status, text)
        return json.loads(text)

    def kill(self, service):
        service.stop(kill=True)
        self.servers.remove(service)

    def redis_signal(self, signal_number):
        self.redis.process.send_signal(signal_number)

    def hang_redis(self):
        """SIGSTOPs Redis; it is resumed at cleanup at the latest."""
        self.redis_signal(signal.SIGSTOP)
        self.addCleanup(lambda: self.redis.process and self.redis.process.poll() is None
                        and self.redis.process.send_signal(signal.SIGCONT))

    def queue_keys(self):
        return (self.redis.command("ZCARD", DUE), self.redis.command("ZCARD", IN_FLIGHT),
                self.redis.command("KEYS", "{valuation-service}:callback:*"))

    def wait_until_queue_empty(self, timeout=10):
        wait_until(lambda: self.queue_keys() == (0, 0, []), timeout, what="no callback left in Redis")

    def wait_for_posts(self, receiver, count, timeout=10):
        wait_until(lambda: len(receiver.received) >= count, timeout, what=f"{count} callback POSTs")

    def assert_delivered_once_each(self, receiver, references, settle=0.5):
        time.sleep(settle)  # anything sent twice would have arrived by now
        self.assertEqual({reference: 1 for reference in references}, receiver.references())

    def assert_answered_in_time(self, load, limit):
        statuses = {status for _, _, status, _ in load.results}
        self.assertLessEqual(statuses, {201, 503}, [r for r in load.results if r[2] not in (201, 503)][:3])
        slowest = max(elapsed for _, elapsed, _, _ in load.results)
        self.assertLess(slowest, limit, f"slowest answer took {slowest:.2f} s")
        for _, _, status, text in load.results:
            if status == 503:
                body = json.loads(text)
                self.assertEqual("ServiceUnavailable", body["error"])
                self.assertIn("Redis", body["message"])

    # ---- 1. kill -9 with callbacks pending ----

    def test_kill_9_with_250_callbacks_pending_then_a_restart_delivers_each_exactly_once(self):
        receiver = self.receiver()
        settings = {"VALUATION_DELAY_SECONDS": "4", "TIME_SCALE": "1"}
        service = self.start_valuation_service(**settings)
        names = self.request_many([service], receiver.url, 250)
        self.assertEqual((250, 0), self.queue_keys()[:2])  # all pending, none claimed yet
        self.kill(service)
        self.assertEqual([], receiver.received)
        restarted = self.start_valuation_service(**settings)
        self.wait_for_posts(receiver, 250, timeout=20)
        self.assert_delivered_once_each(receiver, names)
        for entry in receiver.received:
            reference = entry["body"]["valuationReference"]
            self.assertEqual(property_value(names[reference], POSTCODE), entry["body"]["propertyValue"])
        self.wait_until_queue_empty()
        report = self.report(restarted)
        self.assertEqual(250, report["instance"]["delivered"])
        self.assertEqual([], report["failed"])

    # ---- 2. target down, then up ----

    def test_a_target_that_is_down_is_retried_until_it_listens(self):
        port = free_port()
        service = self.start_valuation_service()
        reference = self.request_valuation(service, f"http://127.0.0.1:{port}/hook")

        def attempts():
            return int(self.redis.command("HGET", job_key(reference), "attempts") or 0)
        wait_until(lambda: attempts() >= 3, 5, what="three failed attempts")  # ceilings 50 + 100 ms after 0.3 s
        receiver = self.receiver(port=port)
        self.wait_for_posts(receiver, 1)
        self.assert_delivered_once_each(receiver, [reference])
        self.wait_until_queue_empty()
        report = self.report(service)
        self.assertEqual([], report["failed"])
        self.assertGreaterEqual(report["instance"]["retried"], 3)
        self.assertEqual(1, report["instance"]["delivered"])

    # ---- 3. 5xx: retried with growing jittered delays; or recorded as failed at the deadline ----

    def test_5xx_answers_are_retried_with_exponential_backoff_and_full_jitter(self):
        failures, callbacks = 4, 40
        receiver = self.receiver(lambda body, attempt: 503 if attempt <= failures else 200)
        service = self.start_valuation_service(TIME_SCALE="0.1")  # ceilings 100, 200, 400, 800 ms
        names = self.request_many([service], receiver.url, callbacks)
        self.wait_for_posts(receiver, callbacks * (failures + 1), timeout=20)
        time.sleep(0.5)  # no POST after the successful one
        self.assertEqual({reference: failures + 1 for reference in names}, receiver.references())
        gaps = []  # gaps[i]: the delays before retry i + 1, one per callback
        for reference in names:
            arrivals = receiver.arrivals(reference)
            gaps.append([later - earlier for earlier, later in zip(arrivals, arrivals[1:])])
        for retry in range(failures):
            ceiling = 0.1 * 2 ** retry
            delays = [callback_gaps[retry] for callback_gaps in gaps]
            self.assertLessEqual(max(delays), ceiling + SLACK, f"retry {retry + 1}: a delay over its ceiling")
        # Full jitter: each delay is uniform in [0, ceiling], so the mean delay doubles per retry (50, 100, 200,
        # 400 ms here, plus an overhead that is the same for each). Over 40 callbacks a mean's standard error is
        # about 5 % of its ceiling (20 ms for the 400 ms one), and a loaded machine adds noise: the margins below
        # are a third of the expected growth, far above what a delay that did not grow could reach.
        means = [sum(callback_gaps[retry] for callback_gaps in gaps) / callbacks for retry in range(failures)]
        self.assertGreater(means[2] - means[0], 0.05, f"mean delays {means}")  # 0.15 expected
        self.assertGreater(means[3] - means[1], 0.1, f"mean delays {means}")  # 0.3 expected
        last = [callback_gaps[-1] for callback_gaps in gaps]  # ceiling 0.8 s: spread over all of it
        self.assertLess(min(last), 0.3, last)
        self.assertGreater(max(last), 0.6, last)
        self.wait_until_queue_empty()
        report = self.report(service)
        self.assertEqual({"delivered": callbacks, "retried": callbacks * failures, "failed": 0},
                         {key: report["instance"][key] for key in ("delivered", "retried", "failed")})

    def test_a_target_that_always_fails_is_retried_until_the_deadline_then_recorded_as_failed(self):
        receiver = self.receiver(lambda body, attempt: 500)
        service = self.start_valuation_service(CALLBACK_RETRY_DEADLINE_SECONDS="20")  # x 0.05: 1 s
        requested = time.monotonic()
        reference = self.request_valuation(service, receiver.url)
        wait_until(lambda: self.report(service)["failed"], 10, what="the failure record")
        report = self.report(service)
        posts = len(receiver.received)
        self.assertGreaterEqual(posts, 3)
        record = report["failed"][0]
        self.assertEqual({"id": f"{reference}:1", "url": receiver.url, "attempts": posts, "status": 500},
                         {key: record[key] for key in ("id", "url", "attempts", "status")})
        self.assertIn("answered 500", record["reason"])
        self.assertRegex(record["failedAt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        # The last retry falls on the deadline (1 s after scheduling), not later.
        last = receiver.arrivals(reference)[-1] - requested
        self.assertGreaterEqual(last, 1.0 - 0.05)
        self.assertLessEqual(last, 1.0 + SLACK)
        time.sleep(0.6)
        self.assertEqual(posts, len(receiver.received), "attempts after the failure was recorded")
        self.assertEqual((0, 0, []), self.queue_keys())
        self.assertEqual(1, self.redis.command("LLEN", FAILED))
        self.assertEqual({"due": 0, "inFlight": 0}, {key: report[key] for key in ("due", "inFlight")})
        self.assertEqual(1, report["instance"]["failed"])

    def test_a_receiver_slower_than_the_callback_timeout_counts_as_no_answer(self):
        def answer(body, attempt):
            if attempt == 1:
                time.sleep(2)  # over CALLBACK_TIMEOUT_SECONDS
            return 200
        receiver = self.receiver(answer)
        service = self.start_valuation_service(CALLBACK_TIMEOUT_SECONDS="1")
        reference = self.request_valuation(service, receiver.url)
        self.wait_for_posts(receiver, 2, timeout=10)
        first, second = receiver.arrivals(reference)
        self.assertGreaterEqual(second - first, 1.0 - 0.05)  # the first POST's timeout, then a retry
        self.wait_until_queue_empty()
        time.sleep(1.2)  # the first POST's late 200 changes nothing
        self.assertEqual({reference: 2}, receiver.references())
        report = self.report(service)
        self.assertEqual([], report["failed"])
        self.assertEqual((1, 1), (report["instance"]["retried"], report["instance"]["delivered"]))

    # ---- 4. 4xx: one attempt ----

    def test_a_4xx_answer_is_tried_once_and_recorded_with_its_status(self):
        receiver = self.receiver(lambda body, attempt: 422)
        service = self.start_valuation_service()
        reference = self.request_valuation(service, receiver.url)
        wait_until(lambda: self.report(service)["failed"], 5, what="the failure record")
        time.sleep(0.5)
        self.assertEqual({reference: 1}, receiver.references())
        record = self.report(service)["failed"][0]
        self.assertEqual((f"{reference}:1", 1, 422), (record["id"], record["attempts"], record["status"]))
        self.assertIn("422 (not retried)", record["reason"])
        self.assertEqual((0, 0, []), self.queue_keys())

    # ---- 5. the lease of a delivery cut short by kill -9 ----

    def test_a_delivery_cut_short_by_kill_9_is_sent_again_when_its_lease_runs_out(self):
        release = threading.Event()

        def answer(body, attempt):
            if attempt == 1:
                release.wait(10)  # hold the first POST open until its sender is dead
            return 200
        receiver = self.receiver(answer)
        self.addCleanup(release.set)
        settings = {"CALLBACK_TIMEOUT_SECONDS": "1", "REDIS_TIMEOUT_MS": "500"}  # lease 2 x (1 + 0.5) = 3 s
        lease = 3.0
        service = self.start_valuation_service(**settings)
        reference = self.request_valuation(service, receiver.url)
        self.wait_for_posts(receiver, 1)
        seconds, microseconds = map(int, self.redis.command("TIME"))
        expiry = int(self.redis.command("ZSCORE", IN_FLIGHT, f"{reference}:1"))
        self.assertLessEqual(expiry - (seconds * 1000 + microseconds // 1000), lease * 1000)
        self.kill(service)
        release.set()
        self.start_valuation_service(**settings)
        self.wait_for_posts(receiver, 2, timeout=lease + 5)
        first, second = receiver.arrivals(reference)
        self.assertGreaterEqual(second - first, lease - 0.15, "sent again before the lease ran out")
        self.assertLessEqual(second - first, lease + 1 + SLACK)
        self.wait_until_queue_empty()
        self.assertEqual({reference: 2}, receiver.references())  # at least once: twice here, then done

    # ---- 6. Redis gone or hung under load ----

    def test_redis_killed_under_load_gives_quick_503s_then_every_accepted_callback_arrives(self):
        receiver = self.receiver()
        service = self.start_valuation_service(REDIS_TIMEOUT_MS="1000", CALLBACK_TIMEOUT_SECONDS="1")
        load = Load(service, receiver.url).start()
        self.addCleanup(load.stop)
        time.sleep(0.5)
        self.redis.stop(kill=True)
        wait_until(lambda: request("GET", f"{service.base_url}/health")[0] == 503, 3, what="/health 503")
        status, text = request("GET", f"{service.base_url}/callbacks")
        self.assertEqual((503, "ServiceUnavailable"), (status, json.loads(text)["error"]))
        time.sleep(1.5)
        self.redis.start()  # same port and directory: it reads its append-only file back
        wait_until(service.healthy, 10, what="/health 200 again")
        restored = time.monotonic()
        wait_until(lambda: any(started > restored and status == 201 for started, _, status, _ in load.results), 5,
                   what="a 201 after Redis came back")
        load.stop()
        self.assert_answered_in_time(load, 1.0 + 1.0)
        statuses = [status for _, _, status, _ in load.results]
        self.assertIn(503, statuses)
        accepted = load.accepted_references()
        wait_until(lambda: accepted <= set(receiver.references()), 15, what="every accepted request's callback")
        self.wait_until_queue_empty()

    def test_redis_hung_by_sigstop_gives_503s_within_the_redis_timeout_then_recovers(self):
        receiver = self.receiver()
        # A lease of 2 x (1 + 0.5) = 3 s brings back what a claim sent just before the hang took.
        service = self.start_valuation_service(REDIS_TIMEOUT_MS="500", CALLBACK_TIMEOUT_SECONDS="1")
        load = Load(service, receiver.url, threads=3).start()
        self.addCleanup(load.stop)
        time.sleep(0.5)
        self.hang_redis()
        hung = time.monotonic()
        time.sleep(2)
        self.redis_signal(signal.SIGCONT)
        resumed = time.monotonic()
        wait_until(lambda: any(started > resumed and status == 201 for started, _, status, _ in load.results), 10,
                   what="a 201 after Redis resumed")
        load.stop()
        self.assert_answered_in_time(load, 0.5 + 1.0)
        during = [status for started, elapsed, status, _ in load.results if hung < started and started + elapsed < resumed]
        self.assertTrue(during, "no request was answered while Redis hung")
        self.assertEqual({503}, set(during))
        wait_until(service.healthy, 5, what="/health 200")
        accepted = load.accepted_references()
        wait_until(lambda: accepted <= set(receiver.references()), 15, what="every accepted request's callback")

    # ---- 7. several instances on one Redis ----

    def test_two_instances_on_distinct_ports_share_the_work_and_deliver_each_callback_once(self):
        receiver = self.receiver()
        first, second = self.start_valuation_service(), self.start_valuation_service()
        names = self.request_many([first, second], receiver.url, 200)
        self.wait_for_posts(receiver, 200)
        self.assert_delivered_once_each(receiver, names)
        self.wait_until_queue_empty()
        delivered = [self.report(service)["instance"]["delivered"] for service in (first, second)]
        self.assertEqual(200, sum(delivered))
        self.assertTrue(all(delivered), delivered)

    def test_two_instances_with_reuse_port_share_one_port(self):
        receiver = self.receiver()
        port = free_port()
        first = self.start_valuation_service(port=port, REUSE_PORT="1")
        second = self.start_valuation_service(port=port, REUSE_PORT="1")
        # /health on the shared port may be answered by the first instance: wait for each one's own readiness.
        for server in (first, second):
            wait_until(lambda: "redis-ready" in server.logs(), 10, what="the instance's Redis client ready")
        names = self.request_many([first], receiver.url, 100)  # first.base_url is the shared port
        self.wait_for_posts(receiver, 100)
        self.assert_delivered_once_each(receiver, names)
        self.wait_until_queue_empty()
        # Each new connection goes to either process: ask until both have answered.
        reports = {}

        def both_answered():
            report = self.report(first)
            reports[report["instance"]["pid"]] = report
            return len(reports) == 2
        wait_until(both_answered, 10, interval=0, what="both instances to answer on the shared port")
        self.assertEqual({first.process.pid, second.process.pid}, set(reports))
        delivered = [report["instance"]["delivered"] for report in reports.values()]
        self.assertEqual(100, sum(delivered))
        self.assertTrue(all(delivered), f"one instance did all the work: {delivered}")
        # Without REUSE_PORT the port is taken.
        environment = dict(os.environ, VALUATION_SERVICE_PORT=str(port), REDIS_URL=self.redis.url)
        third = subprocess.run([harness.VALUATION_SERVICE], env=environment, capture_output=True, text=True, timeout=10)
        self.assertEqual(1, third.returncode)
        self.assertIn("cannot listen", third.stderr)

    # ---- 8. SIGTERM and SIGINT ----

    def assert_draining(self, service):
        """The port no longer accepts connections while the process is still finishing its work."""
        wait_until(lambda: not service.listening(), 2, what="the port to close")
        self.assertIsNone(service.process.poll(), "exited before finishing its work")

    def test_sigterm_answers_requests_in_flight_exits_0_and_leaves_pending_callbacks_to_a_restart(self):
        receiver = self.receiver()
        service = self.start_valuation_service()
        self.hang_redis()  # the requests below wait for Redis inside the service
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(request(
            "POST", f"{service.base_url}/valuation-request",
            {"property": {"nameOrNumber": "999", "postcode": POSTCODE}, "callbackUrl": receiver.url})))
            for _ in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        service.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        self.assert_draining(service)
        self.redis_signal(signal.SIGCONT)
        for thread in threads:
            thread.join(10)
        self.assertEqual([201] * 5, [status for status, _ in answers], answers)
        self.assertEqual(0, service.process.wait(12))
        self.assertLess(time.monotonic() - signalled, 10 + 1)  # the drain deadline
        references = {json.loads(text)["valuationReference"] for _, text in answers}
        time.sleep(0.5)  # due by now: the stopped instance did not claim them
        self.assertEqual([], receiver.received)
        self.assertEqual((5, 0), self.queue_keys()[:2])
        self.start_valuation_service()
        self.wait_for_posts(receiver, 5)
        self.assert_delivered_once_each(receiver, references)
        self.wait_until_queue_empty()

    def test_sigint_finishes_a_delivery_in_flight_exits_0_and_leaves_pending_callbacks_to_a_restart(self):
        hold = 1.0

        def answer(body, attempt):
            if body["propertyValue"] == property_value("999", POSTCODE):
                time.sleep(hold)
            return 200
        receiver = self.receiver(answer)
        service = self.start_valuation_service()
        held = self.request_valuation(service, receiver.url)  # due in 0.3 s
        late = self.request_valuation(service, receiver.url, "Late callback")  # due in 45 x 0.05 = 2.25 s
        self.wait_for_posts(receiver, 1)
        service.process.send_signal(signal.SIGINT)
        self.assert_draining(service)
        self.assertEqual(0, service.process.wait(12))
        exited = time.monotonic()
        self.assertGreaterEqual(exited - receiver.arrivals(held)[0], hold - 0.05, "did not wait for the delivery")
        self.assertEqual((1, 0, [job_key(late)]), self.queue_keys())  # the held one was settled
        self.start_valuation_service()
        self.wait_for_posts(receiver, 2)
        self.assert_delivered_once_each(receiver, [held, late])
        self.wait_until_queue_empty()

    # ---- configuration ----

    def test_the_resilience_settings_are_listed_and_checked(self):
        output = subprocess.run([harness.VALUATION_SERVICE, "--help"], capture_output=True, text=True, timeout=10)
        for name in ["CALLBACK_TIMEOUT_SECONDS", "REDIS_TIMEOUT_MS", "REUSE_PORT", "CALLBACK_RETRY_DEADLINE_SECONDS"]:
            self.assertIn(name, output.stdout)
        for flag, value in [("--callback-timeout-seconds", "0"), ("--redis-timeout-ms", "50"),
                            ("--reuse-port", "2"), ("--callback-timeout-seconds", "601")]:
            bad = subprocess.run([harness.VALUATION_SERVICE, flag, value], capture_output=True, text=True, timeout=10)
            self.assertEqual(2, bad.returncode, (flag, value))
            self.assertIn(flag[2:].upper().replace("-", "_"), bad.stderr)    # names the setting it refused


if __name__ == "__main__":
    harness.main()
