"""The web console's server side: its files, its JSON views and its live event stream.

The page itself is tested in a real browser (test_console_browser.py); these cases check what the
loan-processor serves it over HTTP: GET / and /console/<file> (embedded, with ETags), the graph of a
state machine, where a running execution rests in Redis, the valuation plumbing of a reference, and
GET /console/events, the Server-Sent Events fed by Redis Pub/Sub (so they cross instances).
"""

import json
import re
import signal
import socket
import time

import harness
from harness import ERROR_TOPIC, LOAN_MACHINE_ARN, REGION, ACCOUNT, EventStream, request, wait_until

ROLE = f"arn:aws:iam::{ACCOUNT}:role/ConsoleTest"
NO_CALLBACK = {"applicationReference": "app-none", "property": {"nameOrNumber": "No callback", "postcode": "PO1 1CE"}}
DUPLICATE = {"applicationReference": "app-dup",
             "property": {"nameOrNumber": "Duplicate response", "postcode": "PO1 1CE"}}


def execution_arn(name, machine="LoanProcessorStateMachine"):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}"


BRANCH_ACTIVITY = "console-branch-work"
BRANCH_ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{BRANCH_ACTIVITY}"
# A Parallel of two activity tasks: each branch rests on its own task token.
PARALLEL_OF_ACTIVITIES = {
    "StartAt": "Both",
    "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": name, "States": {name: {"Type": "Task", "Resource": BRANCH_ACTIVITY_ARN, "End": True}}}
        for name in ("Left", "Right")]}},
}


def forks_refused(answer):
    """Whether CreateStateMachine's answer refuses a Parallel state because the engine does not run forks yet."""
    status, body = answer
    return status == 400 and "not supported by this engine yet" in (body or {}).get("message", "")


class ConsoleCase(harness.StackTestCase):
    def get_json(self, server, path):
        status, text = request("GET", f"{server.base_url}{path}")
        return status, json.loads(text)

    def valuation_reference(self, loan, arn):
        """The valuationReference of the execution's request, from its TaskSubmitted event."""
        def submitted():
            for event in self.history(loan, arn):
                if event["type"] == "TaskSubmitted":
                    return json.loads(event["taskSubmittedEventDetails"]["output"])["Payload"]["valuationReference"]
            return None
        return wait_until(submitted, 10, what="TaskSubmitted")

    def assert_console_error(self, answer, status, code):
        self.assertEqual(status, answer[0], answer[1])
        self.assertEqual(code, answer[1]["error"], answer[1])
        self.assertTrue(answer[1]["message"])


class ConsoleFiles(ConsoleCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()

    def test_the_page_is_served_at_the_root_with_an_etag_and_304_when_unchanged(self):
        with harness.urllib.request.urlopen(f"{self.loan.base_url}/", timeout=5) as response:
            self.assertEqual(200, response.status)
            self.assertEqual("text/html; charset=utf-8", response.headers["Content-Type"])
            self.assertEqual("no-cache", response.headers["Cache-Control"])
            self.assertIn("default-src 'self'", response.headers["Content-Security-Policy"])
            etag = response.headers["ETag"]
            page = response.read().decode()
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')
        self.assertIn("<html", page)
        prepared = harness.urllib.request.Request(f"{self.loan.base_url}/", headers={"If-None-Match": etag})
        with self.assertRaises(harness.urllib.error.HTTPError) as raised:
            harness.urllib.request.urlopen(prepared, timeout=5)
        self.assertEqual(304, raised.exception.code)
        self.assertEqual(b"", raised.exception.read())
        status, again = request("GET", f"{self.loan.base_url}/", headers={"If-None-Match": '"0000000000000000"'})
        self.assertEqual((200, page), (status, again))

    def test_every_file_the_page_loads_is_served_with_its_content_type(self):
        """The page's files and every module they import: a file missing from the build breaks the page."""
        types = {".mjs": "text/javascript; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
        status, page = request("GET", f"{self.loan.base_url}/")
        self.assertEqual(200, status)
        waiting = re.findall(r'(?:src|href)="(/console/[^"]+)"', page)
        seen = set()
        while waiting:
            name = waiting.pop()
            if name in seen:
                continue
            seen.add(name)
            with harness.urllib.request.urlopen(f"{self.loan.base_url}{name}", timeout=5) as response:
                self.assertEqual(200, response.status, name)
                self.assertEqual(types[name[name.rindex("."):]], response.headers["Content-Type"], name)
                text = response.read().decode()
            self.assertTrue(text, name)
            for imported in re.findall(r'(?:from|import)\s+"\./([^"]+)"', text):
                waiting.append(f"/console/{imported}")
        self.assertIn("/console/app.mjs", seen)
        self.assertIn("/console/console.css", seen)
        self.assertGreater(len(seen), 10, seen)

    def test_an_unknown_console_file_is_404_json_and_the_api_stays_on_post_root(self):
        self.assert_console_error(self.get_json(self.loan, "/console/no-such-file.js"), 404, "NotFound")
        self.assert_console_error(self.get_json(self.loan, "/console/"), 404, "NotFound")
        self.assert_console_error(self.get_json(self.loan, "/console/api/unknown"), 404, "NotFound")
        status, body = self.sfn(self.loan, "ListStateMachines", {})
        self.assertEqual(200, status, body)
        self.assertIn(LOAN_MACHINE_ARN, [machine["stateMachineArn"] for machine in body["stateMachines"]])
        status, text = request("POST", f"{self.loan.base_url}/console/events", {})
        self.assertEqual(405, status, text)


class ConsoleGraph(ConsoleCase):
    def setUp(self):
        super().setUp()
        self.loan = self.start_loan_processor()

    def test_the_loan_workflow_is_drawn_with_its_catch_edges(self):
        status, graph = self.get_json(self.loan, f"/console/api/graph?stateMachineArn={LOAN_MACHINE_ARN}")
        self.assertEqual(200, status, graph)
        nodes = {node["id"]: node for node in graph["nodes"]}
        self.assertEqual({"#start", "#end", "RequestValuation", "PublishValuationServiceTimeoutError",
                          "ValuationServiceTimedOut", "PublishValuationFailedError", "ValuationFailed"}, set(nodes))
        self.assertEqual("Task", nodes["RequestValuation"]["type"])
        self.assertEqual("Fail", nodes["ValuationFailed"]["type"])
        edges = {(edge["from"], edge["to"]): edge for edge in graph["edges"]}
        self.assertEqual("catch", edges[("RequestValuation", "PublishValuationServiceTimeoutError")]["kind"])
        self.assertEqual("States.Timeout", edges[("RequestValuation", "PublishValuationServiceTimeoutError")]["label"])
        self.assertEqual("ValuationFailed", edges[("RequestValuation", "PublishValuationFailedError")]["label"])
        self.assertEqual("next", edges[("#start", "RequestValuation")]["kind"])
        self.assertEqual("next", edges[("RequestValuation", "#end")]["kind"])
        for node in graph["nodes"]:
            self.assertTrue(0 <= node["x"] and node["x"] + node["width"] <= graph["width"], node)
            self.assertTrue(0 <= node["y"] and node["y"] + node["height"] <= graph["height"], node)
        self.assertLess(nodes["#start"]["y"], nodes["RequestValuation"]["y"])
        self.assertLess(nodes["RequestValuation"]["y"], nodes["PublishValuationFailedError"]["y"])
        self.assertLess(nodes["ValuationFailed"]["y"], nodes["#end"]["y"])

    def test_an_execution_is_drawn_with_the_definition_it_runs_not_the_updated_one(self):
        waiting = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}
        status, created = self.sfn(self.loan, "CreateStateMachine",
                                   {"name": "Drawn", "definition": json.dumps(waiting), "roleArn": ROLE})
        self.assertEqual(200, status, created)
        machine = created["stateMachineArn"]
        arn = self.start_execution(self.loan, {}, name="before-update", state_machine_arn=machine)
        updated = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
                                                 "Done": {"Type": "Succeed"}}}
        status, body = self.sfn(self.loan, "UpdateStateMachine",
                                {"stateMachineArn": machine, "definition": json.dumps(updated)})
        self.assertEqual(200, status, body)
        _, current = self.get_json(self.loan, f"/console/api/graph?stateMachineArn={machine}")
        self.assertIn("Done", [node["id"] for node in current["nodes"]])
        status, old = self.get_json(self.loan, f"/console/api/graph?executionArn={arn}")
        self.assertEqual(200, status, old)
        self.assertEqual({"#start", "Hold", "#end"}, {node["id"] for node in old["nodes"]})
        self.assertEqual("Wait", [node for node in old["nodes"] if node["id"] == "Hold"][0]["type"])

    def test_bad_or_unknown_arns_get_clear_errors(self):
        self.assert_console_error(self.get_json(self.loan, "/console/api/graph"), 400, "InvalidParameter")
        both = f"/console/api/graph?stateMachineArn={LOAN_MACHINE_ARN}&executionArn={execution_arn('x')}"
        self.assert_console_error(self.get_json(self.loan, both), 400, "InvalidParameter")
        self.assert_console_error(self.get_json(self.loan, "/console/api/graph?stateMachineArn=nonsense"),
                                  400, "InvalidArn")
        self.assert_console_error(self.get_json(self.loan, f"/console/api/graph?stateMachineArn={execution_arn('x')}"),
                                  400, "InvalidArn")
        unknown = LOAN_MACHINE_ARN.replace("LoanProcessorStateMachine", "Nowhere")
        status, body = self.get_json(self.loan, f"/console/api/graph?stateMachineArn={unknown}")
        self.assert_console_error((status, body), 404, "StateMachineDoesNotExist")
        self.assertEqual(f"State Machine Does Not Exist: '{unknown}'", body["message"])
        status, body = self.get_json(self.loan, f"/console/api/graph?executionArn={execution_arn('never')}")
        self.assert_console_error((status, body), 404, "ExecutionDoesNotExist")


class ConsoleExecutionView(ConsoleCase):
    def test_a_waiting_task_shows_its_token_deadline_and_redis_keys_then_nothing_once_done(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, name="inside")
        reference = self.valuation_reference(loan, arn)
        status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
        self.assertEqual(200, status, view)
        if view["status"] == "RUNNING":  # the callback may already have come at this TIME_SCALE
            waiting = view["waiting"]
            self.assertEqual("RequestValuation", waiting["state"])
            self.assertEqual("task", waiting["kind"])
            self.assertEqual("arn:aws:states:::lambda:invoke.waitForTaskToken", waiting["resource"])
            self.assertEqual(self.redis.command("GET", f"valuation:{reference}"), waiting["taskToken"])
            # TimeoutSeconds 30 under TIME_SCALE 0.05: 1.5 s after the state was entered.
            self.assertAlmostEqual(30000 * float(self.TIME_SCALE), waiting["timeoutAt"] - waiting["enteredAt"],
                                   delta=50)
            self.assertIsNone(waiting["heartbeatAt"])
        self.assertEqual(1, self.redis.command("EXISTS", view["redisKeys"]["execution"]))
        self.assertEqual(1, self.redis.command("EXISTS", view["redisKeys"]["history"]))
        self.assertEqual(arn, self.redis.command("HGET", view["redisKeys"]["execution"], "arn"))
        self.assertLess(abs(view["now"] - time.time() * 1000), 5000)
        self.assertEqual(ERROR_TOPIC, view["topic"])
        self.assertEqual([], view["topicMessages"])
        self.wait_for_status(loan, arn, "SUCCEEDED")
        status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
        self.assertEqual((200, "SUCCEEDED", None), (status, view["status"], view["waiting"]))

    def test_a_timed_out_execution_lists_its_own_error_topic_message_only(self):
        loan, _ = self.start_stack()
        other = self.start_execution(loan, NO_CALLBACK, name="other")
        arn = self.start_execution(loan, NO_CALLBACK, name="timed-out")
        self.wait_for_status(loan, arn, "FAILED")
        self.wait_for_status(loan, other, "FAILED")
        status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
        self.assertEqual(200, status, view)
        self.assertEqual(1, len(view["topicMessages"]), view)
        message = view["topicMessages"][0]
        self.assertEqual("The valuation service timed out", json.loads(message["message"])["description"])
        self.assertEqual(arn, json.loads(message["message"])["executionId"])
        recorded = [entry for entry in self.topic_messages() if entry.get("executionArn") == arn]
        self.assertEqual([entry["MessageId"] for entry in recorded], [message["messageId"]])
        self.assertRegex(message["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_an_execution_without_forks_lists_no_branches(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, name="no-forks")
        status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
        self.assertEqual(200, status, view)
        self.assertEqual(([], False), (view["branches"], view["branchesTruncated"]))
        execution_id = "LoanProcessorStateMachine:no-forks"
        shard = harness.execution_shard(execution_id)
        self.assertEqual(f"{{sfn:{shard:02d}}}:branches:{execution_id}", view["redisKeys"]["branches"])
        self.wait_for_status(loan, arn, "SUCCEEDED")

    def console_branches(self, loan, arn, count):
        """The execution view once it lists count live branches."""
        def listed():
            status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
            self.assertEqual(200, status, view)
            return view if len(view["branches"]) == count else None
        return wait_until(listed, 10, what=f"{count} live branches of {arn}")

    def test_every_open_branch_is_listed_with_its_token_and_answering_one_ends_that_branch(self):
        loan = self.start_loan_processor()
        status, body = self.sfn(loan, "CreateActivity", {"name": BRANCH_ACTIVITY})
        self.assertEqual(200, status, body)
        answer = self.sfn(loan, "CreateStateMachine", {"name": "ConsoleBranches", "roleArn": ROLE,
                                                       "definition": json.dumps(PARALLEL_OF_ACTIVITIES)})
        if forks_refused(answer):
            self.skipTest("the engine does not run Parallel yet (CreateStateMachine refuses it: issue 16); "
                          "this case runs as soon as it does")
        self.assertEqual(200, answer[0], answer[1])
        arn = self.start_execution(loan, {"loan": 1}, name="forked",
                                   state_machine_arn=answer[1]["stateMachineArn"])
        tokens = set()
        for _ in range(2):  # a worker takes both branches' tasks
            status, task = self.sfn(loan, "GetActivityTask", {"activityArn": BRANCH_ACTIVITY_ARN})
            self.assertEqual(200, status, task)
            tokens.add(task["taskToken"])
        view = self.console_branches(loan, arn, 2)
        self.assertEqual("RUNNING", view["status"])
        self.assertFalse(view["branchesTruncated"])
        branches = {branch["state"]: branch for branch in view["branches"]}
        self.assertEqual({"Left", "Right"}, set(branches))
        self.assertEqual(tokens, {branch["taskToken"] for branch in view["branches"]})
        for branch in view["branches"]:
            self.assertEqual("task", branch["resting"], branch)
            self.assertEqual(BRANCH_ACTIVITY_ARN, branch["taskResource"], branch)
            self.assertNotIn("mapIndex", branch)  # a Parallel branch, not a Map iteration
            self.assertRegex(branch["branchId"], r"^\d+\.\d+$")
        self.assertEqual(2, self.redis.command("ZCARD", view["redisKeys"]["branches"]))
        # The console answers a branch's task as the page does: SendTaskSuccess with that branch's token.
        status, body = self.sfn(loan, "SendTaskSuccess", {"taskToken": branches["Left"]["taskToken"],
                                                          "output": json.dumps({"side": "left"})})
        self.assertEqual(200, status, body)
        view = self.console_branches(loan, arn, 1)
        left = view["branches"][0]
        self.assertEqual((branches["Right"]["branchId"], branches["Right"]["taskToken"]),
                         (left["branchId"], left["taskToken"]))
        status, body = self.sfn(loan, "SendTaskSuccess", {"taskToken": branches["Right"]["taskToken"],
                                                          "output": json.dumps({"side": "right"})})
        self.assertEqual(200, status, body)
        described = self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual([{"side": "left"}, {"side": "right"}], json.loads(described["output"]))
        status, view = self.get_json(loan, f"/console/api/execution?executionArn={arn}")
        self.assertEqual((200, [], None), (status, view["branches"], view["waiting"]))

    def test_bad_or_unknown_executions_get_clear_errors(self):
        loan = self.start_loan_processor()
        self.assert_console_error(self.get_json(loan, "/console/api/execution"), 400, "InvalidArn")
        self.assert_console_error(self.get_json(loan, f"/console/api/execution?executionArn={LOAN_MACHINE_ARN}"),
                                  400, "InvalidArn")
        status, body = self.get_json(loan, f"/console/api/execution?executionArn={execution_arn('ghost')}")
        self.assert_console_error((status, body), 404, "ExecutionDoesNotExist")
        self.assertEqual(f"Execution Does Not Exist: '{execution_arn('ghost')}'", body["message"])


class ConsoleValuationView(ConsoleCase):
    TIME_SCALE = "0.5"   # the callback comes 3 s after the request: time to look at it pending

    def test_the_pending_callback_is_what_the_service_then_sends(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, name="plumbing")
        reference = self.valuation_reference(loan, arn)
        status, view = self.get_json(loan, f"/console/api/valuation?reference={reference}")
        self.assertEqual(200, status, view)
        self.assertEqual(f"valuation:{reference}", view["tokenKey"])
        self.assertEqual(self.redis.command("GET", f"valuation:{reference}"), view["taskToken"])
        self.assertGreater(view["tokenExpiresAt"], view["now"])
        [pending] = view["pendingCallbacks"]
        self.assertEqual(f"{{valuation-service}}:callback:{reference}:1", pending["key"])
        self.assertEqual(f"{loan.base_url}/valuation-callback", pending["url"])
        value = harness.property_value("999", "PO1 1CE")
        self.assertEqual({"valuationReference": reference, "propertyValue": value}, pending["body"])
        self.assertGreater(pending["dueAt"], view["now"])
        self.assertLessEqual(pending["dueAt"] - view["now"], 6000 * float(self.TIME_SCALE))
        self.assertEqual((0, False), (pending["attempts"], pending["delivering"]))
        description = self.wait_for_status(loan, arn, "SUCCEEDED")
        self.assertEqual(pending["body"], json.loads(description["output"]))
        _, after = self.get_json(loan, f"/console/api/valuation?reference={reference}")
        self.assertEqual([], after["pendingCallbacks"])

    def test_a_duplicated_callback_shows_both_copies(self):
        loan, _ = self.start_stack()
        arn = self.start_execution(loan, DUPLICATE, name="twice")
        reference = self.valuation_reference(loan, arn)
        _, view = self.get_json(loan, f"/console/api/valuation?reference={reference}")
        self.assertEqual([f"{{valuation-service}}:callback:{reference}:{copy}" for copy in (1, 2)],
                         [pending["key"] for pending in view["pendingCallbacks"]])
        self.assertEqual(view["pendingCallbacks"][0]["body"], view["pendingCallbacks"][1]["body"])

    def test_unknown_and_malformed_references(self):
        loan = self.start_loan_processor()
        status, view = self.get_json(loan, "/console/api/valuation?reference=nobody-knows-me")
        self.assertEqual(200, status, view)
        self.assertEqual((None, None, []), (view["taskToken"], view["tokenExpiresAt"], view["pendingCallbacks"]))
        for bad in ["", "has%20space", "x" * 101]:
            self.assert_console_error(self.get_json(loan, f"/console/api/valuation?reference={bad}"),
                                      400, "InvalidParameter")
        self.assert_console_error(self.get_json(loan, "/console/api/valuation"), 400, "InvalidParameter")


class ConsoleEvents(ConsoleCase):
    def test_the_stream_carries_each_change_and_the_error_topic(self):
        loan, _ = self.start_stack()
        with EventStream(loan.base_url) as stream:
            self.assertEqual(200, stream.status)
            self.assertEqual("text/event-stream", stream.headers["content-type"])
            self.assertEqual("no-cache", stream.headers["cache-control"])
            self.assertEqual(["retry: 2000", ": connected"], stream.next_block())
            # Its own named connection subscribes; the loan-processor's main one is named too (CLIENT LIST).
            clients = self.redis.command("CLIENT", "LIST").splitlines()
            self.assertTrue([line for line in clients
                             if " name=loan-processor-console-events " in line and "cmd=subscribe" in line], clients)
            self.assertTrue([line for line in clients if " name=loan-processor " in line], clients)
            arn = self.start_execution(loan, NO_CALLBACK, name="watched")
            changes, topic = [], None
            while topic is None:
                event = stream.next_event(timeout=10)
                self.assertIsNotNone(event, "the stream ended")
                if event[0] == "execution":
                    changes.append(event[1])
                elif event[0] == "topic":
                    topic = event[1]
            self.assertTrue(all(change["executionArn"] == arn for change in changes), changes)
            self.assertEqual(4, changes[0]["lastEventId"])
            self.assertEqual("RUNNING", changes[0]["status"])
            self.assertEqual(ERROR_TOPIC, topic["topic"])
            self.assertEqual(arn, json.loads(topic["message"])["executionId"])
            last = changes[-1]
            while last["status"] == "RUNNING":
                name, last = stream.next_event(timeout=10)
                self.assertEqual("execution", name)
            self.assertEqual("FAILED", last["status"])
            self.assertEqual(len(self.history(loan, arn)), last["lastEventId"])

    def test_a_change_made_by_another_instance_reaches_the_stream(self):
        watched = self.start_loan_processor()
        other = self.start_loan_processor()
        with EventStream(watched.base_url) as stream:
            stream.next_block()
            arn = self.start_execution(other, {}, name="elsewhere", state_machine_arn=LOAN_MACHINE_ARN)
            name, change = stream.next_event(timeout=10)
            self.assertEqual(("execution", arn), (name, change["executionArn"]))

    def test_after_redis_comes_back_the_stream_says_resync(self):
        loan = self.start_loan_processor()
        with EventStream(loan.base_url) as stream:
            stream.next_block()
            self.redis.stop()
            self.redis.start()
            self.redis.claim_slots_if_up()
            self.assertEqual(("resync", {}), stream.next_event(timeout=15))
            arn = self.start_execution(loan, {}, name="after-outage") if wait_until(loan.healthy, 15) else None
            name, change = stream.next_event(timeout=10)
            self.assertEqual(("execution", arn), (name, change["executionArn"]))

    def test_streams_are_bounded_and_a_closed_one_frees_its_place(self):
        loan = self.start_loan_processor(CONSOLE_MAX_STREAMS="2")
        first, second = EventStream(loan.base_url), EventStream(loan.base_url)
        try:
            status, text = request("GET", f"{loan.base_url}/console/events")
            self.assertEqual(503, status)
            self.assertEqual("TooManyStreams", json.loads(text)["error"])
            first.close()
            # A parked stream notices its client left when it next writes: make changes until it has.
            def accepted(attempt=[0]):
                attempt[0] += 1
                self.start_execution(loan, {}, name=f"nudge-{attempt[0]}")
                try:
                    third = EventStream(loan.base_url, timeout=2)
                except OSError:
                    return None
                if third.status != 200:
                    third.close()
                    return None
                return third
            third = wait_until(accepted, 10, interval=0.05, what="a place for a new stream")
            third.close()
        finally:
            first.close()
            second.close()

    def test_sigterm_ends_open_streams_and_exits_promptly(self):
        loan = self.start_loan_processor()
        with EventStream(loan.base_url) as stream:
            stream.next_block()
            began = time.monotonic()
            loan.process.send_signal(signal.SIGTERM)
            self.assertIsNone(stream.next_block(timeout=5))
            loan.process.wait(timeout=5)
            self.assertLess(time.monotonic() - began, 2.0)
            self.assertEqual(0, loan.process.returncode)


if __name__ == "__main__":
    harness.main()
