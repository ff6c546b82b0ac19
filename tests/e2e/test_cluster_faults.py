"""Faults of a real six-node Redis Cluster under the real servers: a master killed, a live reshard, a node added.

Each case runs the blog flow (loan-processor -> valuation-service -> callback) on a harness.Cluster (3 masters, 3
replicas, cluster-node-timeout 1 s), makes the fault for real (SIGKILL of a master, redis-cli --cluster reshard,
add-node and rebalance) while executions wait for their callbacks and new ones start, and then checks what a user
would: every execution that was acknowledged exists and ends SUCCEEDED with exactly one TaskSucceeded, every request
was answered 200 or the documented 503, every callback of the valuation service was delivered exactly once.

The figures (executions lost with and without REDIS_WAIT_REPLICAS, how long the servers answered 503, the failover
time the servers saw, how long a reshard and a rebalance took) are printed as TAP comments, not asserted: they go
into docs/scaling-out.md.

Only meaningful on a cluster of several nodes: without E2E_REDIS_CLUSTER=1 every case is skipped.
"""

import concurrent.futures
import datetime
import json
import threading
import time
from collections import Counter

import harness
from harness import LOAN_MACHINE_ARN, ScriptedReceiver, request, wait_until

TIME_SCALE = "0.5"            # the valuation's 6 s delay is 3 s; the task's 30 s timeout is 15 s
DUE = "{valuation-service}:due"
UNAVAILABLE = "Redis is unavailable; the request was not carried out (retry later)"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
# How long executions may take to end after a fault, on a loaded two-core machine.
END_TIMEOUT_S = 60


def application(name):
    return {"applicationReference": name, "property": {"nameOrNumber": name, "postcode": "PO1 1CE"}}


def execution_id(arn):
    return arn.split(":execution:", 1)[1]


def note(text):
    """A TAP diagnostic line (a figure for the docs, not asserted)."""
    print(f"# {text}", flush=True)


def log_times(server, marker, since_epoch):
    """The wall-clock times (epoch seconds) of server's log lines containing marker, at or after since_epoch."""
    times = []
    for line in server.logs().splitlines():
        if marker not in line:
            continue
        try:
            stamp = datetime.datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ")
        except ValueError:
            continue
        epoch = stamp.replace(tzinfo=datetime.timezone.utc).timestamp()
        if epoch >= since_epoch - 0.002:
            times.append(epoch)
    return times


class Starter:
    """A thread that starts executions one after another (names <prefix>-0, <prefix>-1, ...), retrying each on a
    503 or no answer with the same name as an SDK would (StartExecution with the same name and input is
    idempotent), and records every answer."""

    def __init__(self, test, server, prefix, pause_s=0.05):
        self.test, self.server, self.prefix, self.pause_s = test, server, prefix, pause_s
        self.acknowledged = {}      # name -> executionArn, for each start answered 200
        self.answers = []           # (monotonic time, status or None, parsed body or error text, seconds taken)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _start_once(self, name):
        sent = time.monotonic()
        try:
            status, body = self.test.sfn(self.server, "StartExecution", {
                "stateMachineArn": LOAN_MACHINE_ARN, "name": name, "input": json.dumps(application(name))})
        except (OSError, ValueError) as error:
            status, body = None, str(error)
        self.answers.append((sent, status, body, time.monotonic() - sent))
        return status, body

    def _run(self):
        number = 0
        while not self.stop_event.is_set():
            name = f"{self.prefix}-{number}"
            retries_left = 200
            while retries_left:
                status, body = self._start_once(name)
                if status == 200:
                    self.acknowledged[name] = body["executionArn"]
                    break
                retries_left -= 1
                time.sleep(0.1)
            number += 1
            time.sleep(self.pause_s)

    def stop(self):
        self.stop_event.set()
        self.thread.join(60)

    def refusals(self):
        return [(sent, status, body) for sent, status, body, _ in self.answers if status != 200]

    def window_503(self):
        """(first, last) monotonic times of the 503 answers, or None."""
        times = [sent for sent, status, _, _ in self.answers if status == 503]
        return (min(times), max(times)) if times else None


class HealthWatch:
    """A thread polling a server's GET /health every 50 ms, recording (monotonic time, status or None)."""

    def __init__(self, server):
        self.server = server
        self.samples = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_event.is_set():
            at = time.monotonic()
            try:
                status, _ = request("GET", f"{self.server.base_url}/health", timeout=5)
            except OSError:
                status = None
            self.samples.append((at, status))
            time.sleep(0.05)

    def stop(self):
        self.stop_event.set()
        self.thread.join(10)

    def back_after(self, since):
        """(seconds from since to the first 503, seconds from since to the first 200 after the last non-200), each
        None when not seen."""
        after = [(at, status) for at, status in self.samples if at >= since]
        down = next((at for at, status in after if status != 200), None)
        if down is None:
            return None, None
        last_down = max(at for at, status in after if status != 200)
        up = next((at for at, status in after if at > last_down and status == 200), None)
        return down - since, (up - since) if up else None


class ClusterFaults(harness.StackTestCase):
    TIME_SCALE = TIME_SCALE

    def setUp(self):
        if not harness.REDIS_CLUSTER:
            self.skipTest("needs a multi-node Redis Cluster: runs in the cluster variant (E2E_REDIS_CLUSTER=1)")
        super().setUp()

    # ---- helpers ----

    def start_blog_stack(self, wait_replicas, **environment):
        settings = {"REDIS_WAIT_REPLICAS": str(wait_replicas), **environment}
        valuation = self.start_valuation_service(**settings)
        loan = self.start_loan_processor(valuation_port=valuation.port, **settings)
        return loan, valuation

    def start_many(self, server, prefix, count):
        """count executions started 16 at a time; returns their ARNs."""
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            return list(pool.map(lambda number: self.start_execution(server, application(f"{prefix}-{number}"),
                                                                     name=f"{prefix}-{number}"), range(count)))

    def stored_tokens(self):
        return [key for key in self.redis.command("KEYS", "valuation:*") if key != harness.IN_FLIGHT_KEY]

    def end_states(self, server, arns, timeout=END_TIMEOUT_S):
        """Polls until every execution has ended (or timeout): {arn: status, or "MISSING" when DescribeExecution
        does not find it}."""
        states = {}

        def one(arn):
            status, body = self.sfn(server, "DescribeExecution", {"executionArn": arn})
            if status == 400 and body["__type"].split("#")[-1] == "ExecutionDoesNotExist":
                return "MISSING"
            return body["status"] if status == 200 else None
        deadline = time.monotonic() + timeout
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            while True:
                waiting = [arn for arn in arns if states.get(arn) not in TERMINAL | {"MISSING"}]
                for arn, state in zip(waiting, pool.map(one, waiting)):
                    states[arn] = state
                if all(states[arn] in TERMINAL | {"MISSING"} for arn in arns) or time.monotonic() > deadline:
                    return states
                time.sleep(0.5)

    def task_succeeded_counts(self, server, arns):
        """{arn: how many TaskSucceeded events its history holds}."""
        def one(arn):
            return [event["type"] for event in self.all_events(server, arn)].count("TaskSucceeded")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return dict(zip(arns, pool.map(one, arns)))

    def assert_all_succeeded_once(self, server, arns, timeout=END_TIMEOUT_S):
        states = self.end_states(server, arns, timeout)
        self.assertEqual({}, {arn: state for arn, state in states.items() if state != "SUCCEEDED"})
        self.assertEqual({}, {arn: count for arn, count in self.task_succeeded_counts(server, arns).items()
                              if count != 1})

    def assert_refusals_documented(self, starter):
        """Every start not answered 200 got the documented 503 ServiceUnavailable."""
        for _, status, body in starter.refusals():
            self.assertEqual(503, status, body)
            self.assertEqual(("ServiceUnavailable", UNAVAILABLE), (body["__type"].split("#")[-1], body["message"]))

    def master_with_most(self, keys):
        """The master serving most of keys, and how many of them it serves."""
        counts = Counter(self.redis.master_of(key).port for key in keys)
        port, count = counts.most_common(1)[0]
        return next(node for node in self.redis.masters() if node.port == port), count

    def slots_of(self, node):
        return next(entry["slots"] for entry in self.redis.layout() if entry["port"] == node.port)

    def slot_count(self, node):
        return sum(last - first + 1 for first, last in self.slots_of(node))

    def kill_and_wait_for_takeover(self, victim):
        """SIGKILLs the master victim and waits until another running node serves its slots as master."""
        slots = self.slots_of(victim)
        self.redis.kill_master(victim)

        def taken_over():
            try:
                return any(entry["slots"] == slots and "master" in entry["flags"] and entry["port"] != victim.port
                           for entry in self.redis.layout())
            except (OSError, RuntimeError):
                return False
        wait_until(taken_over, 20, 0.05, what=f"a replica to take over the slots of :{victim.port}")

    def kill_during_load(self, loan, victim, restart_victim=True):
        """SIGKILLs victim while a Starter runs; waits for the failover, starts the killed node again unless told
        not to (it comes back as the new master's replica) and for /health 200; returns (starter, figures)."""
        starter = Starter(self, loan, "live").start()
        self.addCleanup(starter.stop)
        wait_until(lambda: len(starter.acknowledged) >= 10, 20, what="10 starts acknowledged before the kill")
        watch = HealthWatch(loan)
        self.addCleanup(watch.stop)
        killed_wall, killed = time.time(), time.monotonic()
        self.kill_and_wait_for_takeover(victim)
        promoted = time.monotonic() - killed
        if restart_victim:
            victim.start()                       # back on its port, as the new master's replica
        self.redis.wait_until_served(30)
        wait_until(loan.healthy, 30, what="the loan-processor's /health 200 after the failover")
        before = len(starter.acknowledged)
        wait_until(lambda: len(starter.acknowledged) >= before + 10, 30, what="10 more starts after the failover")
        starter.stop()
        watch.stop()
        down_s, up_s = watch.back_after(killed)
        window = starter.window_503()
        slot_maps = log_times(loan, "Redis Cluster slot map", killed_wall)
        figures = {
            "replica promoted (cluster view)": f"{promoted:.2f} s",
            "/health first non-200 after kill": f"{down_s:.2f} s" if down_s is not None else "never",
            "/health 200 again after kill": f"{up_s:.2f} s" if up_s is not None else "never down",
            "first new slot map logged after kill": f"{slot_maps[0] - killed_wall:.2f} s" if slot_maps else "none",
            "503 window seen by the starter": (f"{window[1] - window[0]:.2f} s ({window[0] - killed:+.2f} s to "
                                               f"{window[1] - killed:+.2f} s from the kill)") if window else "none",
            "starts answered 503": sum(1 for _, status, _, _ in starter.answers if status == 503),
            "starts without an answer": sum(1 for _, status, _, _ in starter.answers if status is None),
            "slowest start answer": f"{max(took for *_, took in starter.answers):.2f} s",
            "starts acknowledged": len(starter.acknowledged),
        }
        return starter, figures

    def kill_with_flows_waiting(self, wait_replicas, restart_victim=True):
        """Case 1 with REDIS_WAIT_REPLICAS=wait_replicas: 200 flows waiting, the master holding most of their
        records SIGKILLed while starts go on. Returns (flows' ARNs, starter, loan-processor, figures)."""
        loan, valuation = self.start_blog_stack(wait_replicas)
        arns = self.start_many(loan, "waiting", 200)
        wait_until(lambda: len(self.stored_tokens()) >= 100, 20, what="the flows waiting for their callbacks")
        victim, held = self.master_with_most([harness.execution_key(execution_id(arn)) for arn in arns])
        due_master = self.redis.master_of(DUE)
        note(f"REDIS_WAIT_REPLICAS={wait_replicas}: killing master :{victim.port}, which holds {held} of the 200 "
             f"waiting executions' records{' and the valuation service key ' + DUE if due_master is victim else ''}")
        starter, figures = self.kill_during_load(loan, victim, restart_victim)
        for name, value in figures.items():
            note(f"  {name}: {value}")
        return arns, starter, loan, figures

    # ---- 1. a master killed while 200 flows wait ----

    def test_1_a_master_killed_with_200_flows_waiting_and_wait_replicas_1_loses_no_acknowledged_start(self):
        arns, starter, loan, _ = self.kill_with_flows_waiting(1)
        self.assert_refusals_documented(starter)
        live = list(starter.acknowledged.values())
        states = self.end_states(loan, arns + live)
        lost = {arn: state for arn, state in states.items() if state != "SUCCEEDED"}
        note(f"  REDIS_WAIT_REPLICAS=1: {len(lost)} of {len(arns) + len(live)} acknowledged executions lost or "
             f"not SUCCEEDED")
        self.assertEqual({}, lost)
        self.assertEqual({}, {arn: count for arn, count in self.task_succeeded_counts(loan, arns + live).items()
                              if count != 1})

    def test_1c_a_master_killed_and_kept_down_with_wait_replicas_1_loses_nothing_and_blocks_nothing(self):
        """The promoted replica has no replica of its own while the dead node stays down: its writes are not waited
        for (nothing can fail over from it, and a replica that attaches later copies everything), so starts and
        task starts on its slots go on at once instead of each waiting REDIS_TIMEOUT_MS and failing."""
        arns, starter, loan, _ = self.kill_with_flows_waiting(1, restart_victim=False)
        self.assert_refusals_documented(starter)
        live = list(starter.acknowledged.values())
        states = self.end_states(loan, arns + live)
        self.assertEqual({}, {arn: state for arn, state in states.items() if state != "SUCCEEDED"})
        self.assertEqual({}, {arn: count for arn, count in self.task_succeeded_counts(loan, arns + live).items()
                              if count != 1})
        self.assertIn("fewer than REDIS_WAIT_REPLICAS (1): its writes wait for 0", loan.logs())
        self.assertNotIn("redis-unconfirmed", loan.logs())

    def test_1b_the_same_kill_without_wait_replicas_measured(self):
        """The same run with REDIS_WAIT_REPLICAS=0: what was lost is reported, not asserted (asynchronous
        replication may lose the last writes acknowledged before the kill)."""
        arns, starter, loan, _ = self.kill_with_flows_waiting(0)
        self.assert_refusals_documented(starter)
        live = list(starter.acknowledged.values())
        states = self.end_states(loan, arns + live)
        counts = Counter(states.values())
        succeeded = [arn for arn, state in states.items() if state == "SUCCEEDED"]
        twice = sum(1 for count in self.task_succeeded_counts(loan, succeeded).values() if count != 1)
        note(f"  REDIS_WAIT_REPLICAS=0: of {len(arns)} waiting flows and {len(live)} starts acknowledged around the "
             f"kill: {dict(counts)}; acknowledged starts missing: "
             f"{sum(1 for arn in live if states[arn] == 'MISSING')}; SUCCEEDED without exactly one TaskSucceeded: "
             f"{twice}")

    # ---- 2. a live reshard under load ----

    def test_2_a_live_reshard_of_3000_slots_under_load_loses_nothing(self):
        loan, valuation = self.start_blog_stack(0)
        arns = self.start_many(loan, "before", 60)
        starter = Starter(self, loan, "live", pause_s=0.02).start()
        self.addCleanup(starter.stop)
        wait_until(lambda: len(starter.acknowledged) >= 20, 20, what="20 starts under the steady load")
        source, target = self.redis.masters()[0], self.redis.masters()[1]
        target_slots = self.slot_count(target)
        began = time.monotonic()
        tool = self.redis.reshard(source, target, 3000)
        status = tool.wait(120)
        took = time.monotonic() - began
        with open(tool.log_path, errors="replace") as log:
            output = log.read()
        self.assertEqual(0, status, output[-2000:])
        self.redis.wait_until_served(30)
        self.assertEqual(target_slots + 3000, self.slot_count(target))
        time.sleep(1)                            # the load goes on a little on the new layout
        starter.stop()
        refused = Counter(status for _, status, _ in starter.refusals())
        note(f"reshard of 3000 slots :{source.port} -> :{target.port}: {took:.1f} s; {len(starter.answers)} starts "
             f"sent meanwhile, {len(starter.acknowledged)} acknowledged, not 200: {dict(refused) or 'none'}")
        self.assert_refusals_documented(starter)
        self.assert_all_succeeded_once(loan, arns + list(starter.acknowledged.values()))
        self.assertEqual([], json.loads(request("GET", f"{valuation.base_url}/callbacks")[1])["failed"])

    # ---- 3. a node added and the slots rebalanced ----

    def test_3_a_node_added_and_the_slots_rebalanced_while_executions_wait(self):
        # callbacks due 6 s after each request: most are still waiting when the rebalance moves their slots
        loan, valuation = self.start_blog_stack(0, VALUATION_DELAY_SECONDS="12")
        arns = self.start_many(loan, "waiting", 100)
        starter = Starter(self, loan, "live", pause_s=0.05).start()
        self.addCleanup(starter.stop)
        began = time.monotonic()
        added = self.redis.add_node()
        joined = time.monotonic() - began
        tool = self.redis.rebalance()
        status = tool.wait(120)
        took = time.monotonic() - began - joined
        with open(tool.log_path, errors="replace") as log:
            output = log.read()
        self.assertEqual(0, status, output[-2000:])
        self.redis.wait_until_served(30)
        self.assertIn(added.port, [node.port for node in self.redis.masters()])
        starter.stop()
        waiting_after = len(self.stored_tokens())
        note(f"add-node: {joined:.1f} s; rebalance over 4 masters: {took:.1f} s; tokens still waiting after it: "
             f"{waiting_after}; starts acknowledged meanwhile: {len(starter.acknowledged)}, not 200: "
             f"{dict(Counter(status for _, status, _ in starter.refusals())) or 'none'}")
        self.assert_refusals_documented(starter)
        self.assert_all_succeeded_once(loan, arns + list(starter.acknowledged.values()))

    # ---- 4. the valuation service's pending callbacks ----

    def test_4_pending_callbacks_survive_the_kill_of_the_master_holding_the_due_queue(self):
        receiver = ScriptedReceiver()
        self.addCleanup(receiver.close)
        # callbacks due 3 s after each request: most fall due during the failover
        service = self.start_valuation_service(REDIS_WAIT_REPLICAS="1")
        loan = self.start_loan_processor(valuation_port=service.port, REDIS_WAIT_REPLICAS="1")

        def request_valuation(number):
            status, text = request("POST", f"{service.base_url}/valuation-request", {
                "property": {"nameOrNumber": f"house {number}", "postcode": "PO1 1CE"}, "callbackUrl": receiver.url})
            self.assertEqual(201, status, text)
            return json.loads(text)["valuationReference"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            references = list(pool.map(request_valuation, range(150)))
        arns = self.start_many(loan, "flow", 50)
        # A start is answered before its task has stored its token: a store caught by the kill postpones that task
        # to its start lease (90 s), past the flow's timeout. The kill is for callbacks pending, so after the stores.
        wait_until(lambda: len(self.stored_tokens()) >= 50, 20, what="the flows waiting for their callbacks")
        victim = self.redis.master_of(DUE)
        pending = self.redis.command("ZCARD", DUE)
        self.assertGreater(pending, 0)
        killed = time.monotonic()
        self.kill_and_wait_for_takeover(victim)
        note(f"killed :{victim.port} (master of {DUE}) with {pending} callbacks pending ({len(references)} to a "
             f"receiver, 50 of flows); replica took over after {time.monotonic() - killed:.2f} s")
        victim.start()
        self.redis.wait_until_served(30)
        wait_until(lambda: set(references) <= set(receiver.references()), END_TIMEOUT_S, what="every callback")
        after = [entry["arrived"] - killed for entry in receiver.received if entry["arrived"] > killed]
        note(f"  callbacks delivered after the kill: {len(after)}, the first {min(after):.2f} s after it")
        self.assert_all_succeeded_once(loan, arns)
        time.sleep(1)                            # anything sent twice would have arrived by now
        self.assertEqual({reference: 1 for reference in references}, receiver.references())
        wait_until(lambda: self.redis.command("ZCARD", DUE) == 0, 10, what="the due queue empty")
        self.assertEqual([], json.loads(request("GET", f"{service.base_url}/callbacks")[1])["failed"])


if __name__ == "__main__":
    harness.main()
