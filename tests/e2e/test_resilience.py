"""Nothing lost: kill -9 and restarts, Redis outages, several instances, exactly-once completion, SIGTERM.

Each test starts its own Redis (append-only file on) and servers, injects the
fault for real (SIGKILL, SIGSTOP, a stopped redis-server, a second process on
the same Redis or port) and then checks what a user would: every execution
reaches the end it should, with exactly one completion in its history, and no
request took longer than its deadline.
"""

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import (CallbackReceiver, LOAN_MACHINE_ARN, PART1_MACHINE_ARN, StackTestCase, TASK_CLOSED, machine_arn,
                     request, wait_until)

NO_CALLBACK = {"applicationReference": "quiet", "property": {"nameOrNumber": "No callback", "postcode": "X1"}}
# The Redis deadline of the tests that take Redis away: requests are answered within it (plus the margin below).
REDIS_TIMEOUT_MS = 500


def application(number):
    return {"applicationReference": f"app-{number}",
            "property": {"nameOrNumber": str(number), "postcode": "PO1 1CE"}}


def calls_worker(url):
    """A Task that calls a function URL and succeeds with its answer (request-response)."""
    return {"StartAt": "CallWorker", "States": {"CallWorker": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": url, "Payload": {"order.$": "$.order"}}, "End": True}}}


WAITS = {"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 2, "End": True}}}
TIMES_OUT = {"StartAt": "Hold", "States": {"Hold": {
    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 2,
    "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/held",
                   "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}}


class ResilienceTest(StackTestCase):
    REQUEST_DEADLINE_MARGIN_S = 1.5   # every request of every test answered within REDIS_TIMEOUT_MS + 1.5 s

    # ---- helpers ----

    def types(self, server, arn):
        return [event["type"] for event in self.history(server, arn)]

    def assert_completed_once(self, server, arns, status="SUCCEEDED", completion="ExecutionSucceeded"):
        """Every execution ended with status, and its history holds exactly one completion."""
        for arn in arns:
            self.wait_for_status(server, arn, status, timeout=60)
            types = self.types(server, arn)
            self.assertEqual(1, types.count(completion), (arn, types))
            if status == "SUCCEEDED" and "TaskScheduled" in types:
                self.assertEqual(1, types.count("TaskSucceeded"), (arn, types))

    def start_many(self, server, count, start=0, state_machine_arn=LOAN_MACHINE_ARN, make_input=application):
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda number: self.start_execution(server, make_input(number),
                                                                     name=f"app-{number}",
                                                                     state_machine_arn=state_machine_arn),
                                 range(start, start + count)))

    def stored_tokens(self):
        return [key for key in self.redis.command("KEYS", "valuation:*") if key != harness.IN_FLIGHT_KEY]

    def all_executions(self, server, state_machine_arn):
        """Every execution of the state machine, through ListExecutions' pages."""
        arns, body = [], {"stateMachineArn": state_machine_arn, "maxResults": 100}
        while True:
            status, page = self.sfn(server, "ListExecutions", body)
            self.assertEqual(200, status, page)
            arns += [execution["executionArn"] for execution in page["executions"]]
            if not page.get("nextToken"):
                return arns
            body["nextToken"] = page["nextToken"]

    def restart_loan_processor(self, server, **environment):
        self.servers.remove(server)
        return self.start_loan_processor(port=server.port, **environment)

    def waiting_reference(self, server):
        arn = self.start_execution(server, NO_CALLBACK, state_machine_arn=PART1_MACHINE_ARN)
        tokens = wait_until(self.stored_tokens, 5, what="the stored task token")
        return arn, tokens[0].split(":", 1)[1], self.redis.command("GET", tokens[0])

    # ---- a process dies ----

    def test_kill_9_of_the_loan_processor_with_200_executions_waiting_loses_none(self):
        valuation = self.start_valuation_service(TIME_SCALE="0.5")           # callbacks 3 s after each request
        loan = self.start_loan_processor(valuation_port=valuation.port, TIME_SCALE="0.5")   # task timeout 15 s
        arns = self.start_many(loan, 200)
        wait_until(lambda: len(self.stored_tokens()) == 200, 10, what="200 stored task tokens")
        loan.stop(kill=True)
        time.sleep(3)                                    # the callbacks fall due while no loan-processor runs
        loan = self.restart_loan_processor(loan, valuation_port=valuation.port, TIME_SCALE="0.5")
        self.assert_completed_once(loan, arns)

    def test_kill_9_while_executions_are_starting_leaves_none_running_forever(self):
        valuation = self.start_valuation_service(TIME_SCALE="0.2")           # callbacks 1.2 s after each request
        settings = {"valuation_port": valuation.port, "TIME_SCALE": "0.2", "TASK_START_LEASE_SECONDS": "2"}
        loan = self.start_loan_processor(**settings)
        acknowledged = []

        def start(number):
            try:
                acknowledged.append(self.start_execution(loan, application(number), name=f"app-{number}"))
            except (OSError, AssertionError):                                # the process died under this request
                pass
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            pending = [pool.submit(start, number) for number in range(300)]
            wait_until(lambda: len(acknowledged) >= 60, 20, what="60 executions started")
            loan.stop(kill=True)                                             # in the middle of starts and tasks
            concurrent.futures.wait(pending)
        loan = self.restart_loan_processor(loan, **settings)
        existing = self.all_executions(loan, LOAN_MACHINE_ARN)
        self.assertLessEqual(set(acknowledged), set(existing))
        self.assertLess(len(existing), 300, "the kill came after every start")
        self.assert_completed_once(loan, existing)

    def test_a_task_whose_process_died_before_starting_it_is_started_by_another_instance(self):
        calls, release = [], threading.Event()

        def on_receive(path, body):
            calls.append(json.loads(body))
            if len(calls) == 1:
                release.wait(20)                         # the first call hangs: its caller dies meanwhile
        worker = CallbackReceiver(on_receive=on_receive)
        self.addCleanup(worker.close)
        self.addCleanup(release.set)
        settings = {"TASK_START_LEASE_SECONDS": "2", "FUNCTION_URL_TIMEOUT_SECONDS": "30",
                    "extra_state_machines": {"CallsWorker": calls_worker(worker.url)}}
        first = self.start_loan_processor(**settings)
        arn = self.start_execution(first, {"order": 7}, state_machine_arn=machine_arn("CallsWorker"))
        wait_until(lambda: calls, 5, what="the worker's first call")
        first.stop(kill=True)
        self.servers.remove(first)
        second = self.start_loan_processor(**settings)
        self.wait_for_status(second, arn, "SUCCEEDED", timeout=15)
        self.assertEqual([{"order": 7}, {"order": 7}], calls)
        self.assertEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                          "TaskStateExited", "ExecutionSucceeded"], self.types(second, arn))
        self.assertIn("task-restarted", second.logs())

    def test_an_activity_task_left_waiting_for_a_worker_is_queued_once(self):
        loan = self.start_loan_processor(TASK_START_LEASE_SECONDS="0.3", ACTIVITY_POLL_SECONDS="1")
        status, activity = self.sfn(loan, "CreateActivity", {"name": "approve"})
        self.assertEqual(200, status, activity)
        machine = {"StartAt": "Approve", "States": {"Approve": {
            "Type": "Task", "Resource": activity["activityArn"], "End": True}}}
        status, created = self.sfn(loan, "CreateStateMachine", {
            "name": "Approves", "definition": json.dumps(machine),
            "roleArn": "arn:aws:iam::123456789012:role/Approves"})
        self.assertEqual(200, status, created)
        arn = self.start_execution(loan, {"amount": 1}, state_machine_arn=created["stateMachineArn"])
        time.sleep(1.5)                                  # five start leases pass with no worker polling
        status, task = self.sfn(loan, "GetActivityTask", {"activityArn": activity["activityArn"]})
        self.assertEqual((200, {"amount": 1}), (status, json.loads(task["input"])))
        self.assertEqual((200, {}), self.sfn(loan, "GetActivityTask", {"activityArn": activity["activityArn"]}))
        self.assertEqual(200, self.sfn(loan, "SendTaskSuccess", {"taskToken": task["taskToken"],
                                                                 "output": "{}"})[0])
        self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual(1, self.types(loan, arn).count("ActivityScheduled"))

    def test_timers_due_while_every_instance_is_down_fire_as_soon_as_one_is_back(self):
        machines = {"Waits": WAITS, "TimesOut": TIMES_OUT}
        first = self.start_loan_processor(TIME_SCALE="1", extra_state_machines=machines)
        second = self.start_loan_processor(TIME_SCALE="1", extra_state_machines=machines)
        waits = self.start_many(first, 25, state_machine_arn=machine_arn("Waits"))
        timeouts = self.start_many(second, 25, start=100, state_machine_arn=machine_arn("TimesOut"))
        for server in (first, second):
            server.stop(kill=True)
            self.servers.remove(server)
        time.sleep(2.5)                                  # every Wait and every task timeout falls due meanwhile
        back = self.start_loan_processor(TIME_SCALE="1", extra_state_machines=machines)
        ready = time.monotonic()
        for arn in waits:
            self.wait_for_status(back, arn, "SUCCEEDED", timeout=5)
        for arn in timeouts:
            self.assertEqual("States.Timeout", self.wait_for_status(back, arn, "FAILED", timeout=5)["error"])
        self.assertLess(time.monotonic() - ready, 3, "overdue timers fired late")
        self.assert_completed_once(back, waits)
        self.assert_completed_once(back, timeouts, "FAILED", "ExecutionFailed")

    # ---- several instances ----

    def test_two_instances_resume_each_others_executions(self):
        valuation = self.start_valuation_service()
        ports = [harness.free_port(), harness.free_port()]
        instances = [self.start_loan_processor(
            port=port, valuation_port=valuation.port, TIME_SCALE="0.5",
            CALLBACK_URL=f"http://127.0.0.1:{ports[1 - index]}/valuation-callback")   # the other one's webhook
            for index, port in enumerate(ports)]
        arns = self.start_many(instances[0], 50) + self.start_many(instances[1], 50, start=50)
        self.assert_completed_once(instances[1], arns)
        for server in instances:
            self.assertIn("resumed", server.logs())

    def test_two_instances_share_one_port_with_reuse_port(self):
        valuation = self.start_valuation_service()
        port = harness.free_port()
        instances = [self.start_loan_processor(port=port, valuation_port=valuation.port, TIME_SCALE="0.5",
                                               REUSE_PORT="1") for _ in range(2)]
        arns = self.start_many(instances[0], 60)         # instances[0].port is the shared port
        self.assert_completed_once(instances[0], arns)
        for server in instances:
            self.assertIn("execution-started", server.logs(), "the kernel gave one instance every connection")

    # ---- exactly once ----

    def test_50_concurrent_duplicate_callbacks_complete_the_task_once(self):
        loan, _ = self.start_stack()
        arn, reference, _ = self.waiting_reference(loan)
        body = {"valuationReference": reference, "propertyValue": 250000}
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda _: request("POST", f"{loan.base_url}/valuation-callback", body),
                                    range(50)))
        statuses = sorted(status for status, _ in answers)
        self.assertEqual([200] + [409] * 49, statuses, answers)
        for status, text in answers:
            if status == 409:
                self.assertEqual(("TaskTimedOut", TASK_CLOSED), (json.loads(text)["error"],
                                                                json.loads(text)["message"]))
        self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual(1, self.types(loan, arn).count("TaskSucceeded"))

    def test_50_concurrent_send_task_success_calls_complete_the_task_once(self):
        loan, _ = self.start_stack()
        other = self.start_loan_processor()
        arn, _, token = self.waiting_reference(loan)
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda number: self.sfn((loan, other)[number % 2], "SendTaskSuccess",
                                                            {"taskToken": token, "output": '{"n": %d}' % number}),
                                    range(50)))
        self.assertEqual([200] + [400] * 49, sorted(status for status, _ in answers))
        for status, body in answers:
            if status == 400:
                self.assertEqual(("TaskTimedOut", TASK_CLOSED), (body["__type"].split("#")[-1], body["message"]))
        self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual(1, self.types(loan, arn).count("TaskSucceeded"))

    # ---- Redis goes away ----

    def test_redis_stopped_and_restarted_under_load_loses_nothing(self):
        valuation = self.start_valuation_service(TIME_SCALE="0.2", REDIS_TIMEOUT_MS=str(REDIS_TIMEOUT_MS),
                                                 CALLBACK_TIMEOUT_SECONDS="1")
        loan = self.start_loan_processor(valuation_port=valuation.port, TIME_SCALE="0.5",
                                         REDIS_TIMEOUT_MS=str(REDIS_TIMEOUT_MS), TASK_START_LEASE_SECONDS="2")
        refusals, stop = [], threading.Event()
        started = {}

        def load():                                      # about 50 starts a second until told to stop
            number = 0
            while not stop.is_set():
                status, body = self.sfn(loan, "StartExecution", {
                    "stateMachineArn": LOAN_MACHINE_ARN, "name": f"app-{number}",
                    "input": json.dumps(application(number))})
                if status == 200:
                    started[number] = body["executionArn"]
                    number += 1
                else:
                    refusals.append((status, body))
                time.sleep(0.02)
        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_until(lambda: len(started) >= 40, 10, what="40 executions started")
            self.redis.stop()
            down = time.monotonic()
            wait_until(lambda: refusals, 5, what="a refused StartExecution")
            self.assertEqual(503, request("GET", f"{loan.base_url}/health")[0])
            self.assertEqual(503, request("GET", f"{valuation.base_url}/health")[0])
            time.sleep(max(0.0, 3 - (time.monotonic() - down)))
            self.redis.start()
            before = len(started)
            wait_until(lambda: len(started) >= before + 40, 20, what="40 more executions started after Redis is back")
        finally:
            stop.set()
            loader.join()
        for status, body in refusals:
            self.assertEqual((503, "ServiceUnavailable"), (status, body["__type"].split("#")[-1]), body)
            self.assertIn("Redis is unavailable", body["message"])
        self.assert_requests_answered_in_time()
        self.assert_completed_once(loan, started.values())

    def test_a_hung_redis_is_answered_503_within_the_redis_deadline(self):
        valuation = self.start_valuation_service(TIME_SCALE="0.5", REDIS_TIMEOUT_MS=str(REDIS_TIMEOUT_MS))
        loan = self.start_loan_processor(valuation_port=valuation.port, TIME_SCALE="0.5",
                                         REDIS_TIMEOUT_MS=str(REDIS_TIMEOUT_MS), TASK_START_LEASE_SECONDS="2")
        before = self.start_execution(loan, application(1), name="before")
        wait_until(lambda: len(self.stored_tokens()) == 1, 5, what="the stored task token")
        answers = []
        self.redis.process.send_signal(signal.SIGSTOP)
        try:
            for number in range(5):
                answers.append(self.sfn(loan, "StartExecution", {
                    "stateMachineArn": LOAN_MACHINE_ARN, "name": f"during-{number}",
                    "input": json.dumps(application(number))}))
                answers.append(self.sfn(loan, "DescribeExecution", {"executionArn": before}))
        finally:
            self.redis.process.send_signal(signal.SIGCONT)
        for status, body in answers:
            self.assertEqual((503, "ServiceUnavailable"), (status, body["__type"].split("#")[-1]), body)
        self.assert_requests_answered_in_time()
        wait_until(loan.healthy, 10, what="the loan-processor back on Redis")
        self.assert_completed_once(loan, [before])
        after = self.start_execution(loan, application(2), name="after")
        self.assert_completed_once(loan, [after])

    def test_scripts_flushed_from_redis_are_sent_again_and_nothing_fails(self):
        loan, valuation = self.start_stack()
        first = self.start_execution(loan, application(1))
        self.assert_completed_once(loan, [first])
        self.assertEqual("OK", self.redis.command("SCRIPT", "FLUSH"))   # what a Redis restart without AOF also does
        arns = self.start_many(loan, 10, start=2)
        self.assert_completed_once(loan, arns)
        for server in (loan, valuation):
            self.assertIn("missing from the server's cache (NOSCRIPT): sending its source", server.logs())

    def test_a_redis_named_by_host_name_is_found_when_it_starts_after_the_servers(self):
        self.redis.stop()
        by_name = self.redis.url.replace("127.0.0.1", "localhost")
        settings = {"REDIS_URL": by_name, "REDIS_TIMEOUT_MS": str(REDIS_TIMEOUT_MS), "TIME_SCALE": "0.05"}
        valuation = self.start_valuation_service(wait_healthy=False, **settings)
        loan = self.start_loan_processor(valuation_port=valuation.port, wait_healthy=False, **settings)
        for server in (loan, valuation):
            status, text = request("GET", f"{server.base_url}/health")
            self.assertEqual((503, "unavailable"), (status, json.loads(text)["status"]), text)
        status, body = self.sfn(loan, "StartExecution", {"stateMachineArn": LOAN_MACHINE_ARN,
                                                         "input": json.dumps(application(1))})
        self.assertEqual((503, "ServiceUnavailable"), (status, body["__type"].split("#")[-1]), body)
        self.assert_requests_answered_in_time()
        self.redis.start()
        for server in (loan, valuation):
            wait_until(server.healthy, 10, what=f"{server.name} connected to Redis by name")
            self.assertIn(f"connected to Redis at localhost:{self.redis.port} (127.0.0.1)", server.logs())
        arn = self.start_execution(loan, application(2))
        self.assert_completed_once(loan, [arn])

    def test_a_redis_that_moves_to_another_address_is_found_there(self):
        if harness.REDIS_CLUSTER:
            self.skipTest("about addresses, not the key layout")
        if not harness.can_replace_hosts_file():
            self.skipTest("needs root and mount namespaces (unshare) to give the servers their own /etc/hosts")
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.2", 0))
        except OSError:
            self.skipTest("127.0.0.2 is not a loopback address here")
        hosts = tempfile.NamedTemporaryFile("w", prefix="e2e-hosts-", delete=False)
        self.addCleanup(os.unlink, hosts.name)
        hosts.write("127.0.0.1 localhost\n127.0.0.1 redis-moving\n")
        hosts.close()
        settings = {"REDIS_URL": f"redis://redis-moving:{self.redis.port}", "REDIS_TIMEOUT_MS": str(REDIS_TIMEOUT_MS),
                    "TIME_SCALE": "0.5", "command_prefix": harness.with_hosts_file(hosts.name)}
        valuation = self.start_valuation_service(**settings)          # callbacks 3 s after each request
        loan = self.start_loan_processor(valuation_port=valuation.port, **settings)
        arns = self.start_many(loan, 20)
        wait_until(lambda: len(self.stored_tokens()) == 20, 10, what="20 stored task tokens")
        self.redis.stop()
        self.redis.address = "127.0.0.2"                               # a re-created container: same data, new address
        self.redis.start()
        with open(hosts.name, "w") as rewritten:                       # in place: the servers see the bind-mounted file
            rewritten.write("127.0.0.1 localhost\n127.0.0.2 redis-moving\n")
        for server in (loan, valuation):
            wait_until(server.healthy, 10, what=f"{server.name} connected to Redis at its new address")
        self.assert_completed_once(loan, arns)
        for server in (loan, valuation):
            self.assertIn("the Redis host 'redis-moving' now resolves to 127.0.0.2 (was 127.0.0.1)", server.logs())
            self.assertIn(f"connected to Redis at redis-moving:{self.redis.port} (127.0.0.2)", server.logs())

    def test_a_redis_host_that_does_not_resolve_is_answered_503_and_looked_up_again(self):
        loan = self.start_loan_processor(REDIS_URL="redis://no-such-host.invalid:6379",
                                         REDIS_TIMEOUT_MS=str(REDIS_TIMEOUT_MS), wait_healthy=False)
        status, text = request("GET", f"{loan.base_url}/health")
        self.assertEqual((503, "unavailable"), (status, json.loads(text)["status"]), text)
        status, body = self.sfn(loan, "DescribeExecution", {
            "executionArn": LOAN_MACHINE_ARN.replace(":stateMachine:", ":execution:") + ":app-1"})
        self.assertEqual((503, "ServiceUnavailable"), (status, body["__type"].split("#")[-1]), body)
        self.assertIn("Redis is unavailable", body["message"])
        self.assert_requests_answered_in_time()
        looked_up = "cannot resolve the Redis host 'no-such-host.invalid'"
        wait_until(lambda: loan.logs().count(looked_up) >= 3, 5, what="three lookups of the Redis host")
        self.assertIsNone(loan.process.poll(), "the loan-processor exited")

    def test_a_malformed_redis_url_is_refused_at_start(self):
        for url in ["http://127.0.0.1:6379", "redis://[::1", "redis://127.0.0.1:6379x", "redis://127.0.0.1:70000",
                    "redis://127.0.0.1:6379/db"]:
            with self.subTest(url=url):
                environment = dict(os.environ, REDIS_URL=url, LOAN_PROCESSOR_PORT=str(harness.free_port()),
                                   STATE_MACHINES_DIR=harness.STATE_MACHINES_DIR)
                ended = subprocess.run([harness.LOAN_PROCESSOR], env=environment, capture_output=True, text=True,
                                       timeout=10)
                self.assertEqual(1, ended.returncode, ended.stderr)
                self.assertIn(f"REDIS_URL '{url}' is not redis://[:password@]host[:port][,host[:port]...][/db]", ended.stderr)

    # ---- shutting down ----

    def test_sigterm_and_sigint_finish_requests_in_flight_and_exit_0(self):
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=stop_signal.name):
                loan = self.start_loan_processor(ACTIVITY_POLL_SECONDS="30")
                status, activity = self.sfn(loan, "CreateActivity", {"name": f"idle-{stop_signal.name}"})
                self.assertEqual(200, status, activity)
                answers = []

                def poll():
                    answers.append(self.sfn(loan, "GetActivityTask", {"activityArn": activity["activityArn"]}))
                pollers = [threading.Thread(target=poll) for _ in range(3)]
                for poller in pollers:
                    poller.start()
                time.sleep(0.5)                          # the three long polls are in flight
                loan.process.send_signal(stop_signal)
                exit_status = loan.process.wait(timeout=12)
                for poller in pollers:
                    poller.join(5)
                self.assertEqual(0, exit_status, loan.logs()[-2000:])
                self.assertEqual([(200, {})] * 3, answers)
                self.assert_requests_answered_in_time()
                with self.assertRaises(OSError):
                    socket.create_connection(("127.0.0.1", loan.port), timeout=1).close()
                self.servers.remove(loan)
                loan.process = None
                loan.log.close()
                loan.check_clean_exit(exit_status)


if __name__ == "__main__":
    harness.main()
