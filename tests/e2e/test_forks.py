"""End-to-end: Parallel and Map states (issue 16; docs/execution-model.md).

Each branch of a Parallel and each iteration of a Map is a branch of the execution with its own record, token and
timer in Redis; the fork joins when every child ended. Real redis-server, real loan-processor, real HTTP; activity
tasks let the test answer each branch's task when it likes.
"""

import json
import random
import threading

import harness
from harness import ACCOUNT, REGION, StackTestCase, machine_arn, property_value, wait_until

ACTIVITY = "forker"
ACTIVITY_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{ACTIVITY}"
QUEUE_KEY = f"{{sfn:activity:{ACTIVITY}}}:tasks"


def pass_branch(name, result):
    return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": result, "End": True}}}


def task_branch(name, branch=None):
    task = {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600, "End": True}
    if branch is not None:
        task["Parameters"] = {"branch": branch}
    return {"StartAt": name, "States": {name: task}}


def activity_map(**fields):
    return {"StartAt": "M", "States": {"M": dict({"Type": "Map", "ItemsPath": "$.items",
                                                    "ItemProcessor": task_branch("Work"), "End": True}, **fields)}}


MACHINES = {
    "ParallelPass": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        pass_branch("A", {"a": 1}), pass_branch("B", {"b": 2}), pass_branch("C", "c")]}}},
    "MapMixed": {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}}}},
    "ParallelTasks": {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [task_branch("T1", 0), task_branch("T2", 1)]},
        "Done": {"Type": "Succeed"}}},
    "ParallelCaught": {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done", "Branches": [
            task_branch("T1"), {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}],
            "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True},
        "Done": {"Type": "Succeed"}}},
    "ParallelTaskFails": {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": True, "Branches": [task_branch("T1"), task_branch("T2")],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": True}}},
    "ValuationMap": {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.applications", "End": True,
        "ItemProcessor": {"StartAt": "RequestValuation", "States": {"RequestValuation": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "TimeoutSeconds": 30,
            "Parameters": {"FunctionName": "ValuationRequestFunction",
                           "Payload": {"taskToken.$": "$$.Task.Token", "loanApplication.$": "$"}},
            "End": True}}}}}},
    "NestedMapOfParallels": {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            task_branch("Work"), pass_branch("Fixed", "fixed")]}}}}}},
    "MapTaskThenParallel": {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"StartAt": "First", "States": {
            "First": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 600, "Next": "P"},
            "P": {"Type": "Parallel", "End": True, "Branches": [task_branch("Second"), pass_branch("Fixed", 0)]}}}}}},
    "ParallelTimers": {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "Next": "A"},
                                    "A": {"Type": "Pass", "Result": "waited", "End": True}}},
        {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": ACTIVITY_ARN, "TimeoutSeconds": 1,
                  "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "B"}], "End": True},
            "B": {"Type": "Pass", "OutputPath": "$.error.Error", "End": True}}}]}}},
    "ActivityMap": activity_map(),
    "ActivityMap2": activity_map(MaxConcurrency=2),
}


class ForkTestCase(StackTestCase):
    def launch(self, port=None, **environment):
        """A loan-processor with MACHINES on this test's Redis (the activity is not created)."""
        settings = {"ACTIVITY_POLL_SECONDS": "2"}
        settings.update(environment)
        return self.start_loan_processor(port=port, extra_state_machines=MACHINES, **settings)

    def start(self, **environment):
        server = self.launch(**environment)
        status, body = self.sfn(server, "CreateActivity", {"name": ACTIVITY})
        self.assertEqual(200, status, body)
        return server

    def restart_after_kill_9(self, server, **environment):
        """Kills server with SIGKILL and starts another on its port and this test's Redis."""
        server.stop(kill=True)
        self.servers.remove(server)
        return self.launch(port=server.port, **environment)

    def run_machine(self, server, name, application, execution="run-1"):
        return self.start_execution(server, application, name=execution, state_machine_arn=machine_arn(name))

    def take_task(self, server):
        status, body = self.sfn(server, "GetActivityTask", {"activityArn": ACTIVITY_ARN, "workerName": "w"})
        self.assertEqual(200, status, body)
        return body

    def take_tasks(self, server, count):
        tasks = []
        while len(tasks) < count:
            task = self.take_task(server)
            self.assertIn("taskToken", task, f"only {len(tasks)} of {count} tasks were queued")
            tasks.append(task)
        return tasks

    def take_open_tasks(self, server, limit, wait_for=1, timeout=20):
        """Waits (up to timeout s) until wait_for tasks are queued and takes one, then takes every task queued, up to
        limit in all."""
        wait_until(lambda: self.redis.command("LLEN", QUEUE_KEY) >= wait_for, timeout, what=f"{wait_for} queued tasks")
        tasks = [self.take_task(server)]
        self.assertIn("taskToken", tasks[0])
        while len(tasks) < limit and self.redis.command("LLEN", QUEUE_KEY):
            tasks.append(self.take_task(server))
        return tasks

    def answer_together(self, servers, tasks, threads):
        """Answers each task with {"done": its input} from threads threads released at once (a barrier), thread i
        through servers[i % len(servers)]; returns the (status, body) answers."""
        answers, lock, barrier = [], threading.Lock(), threading.Barrier(threads)

        def answer(number):
            server = servers[number % len(servers)]
            barrier.wait()
            for task in tasks[number::threads]:
                result = self.succeed(server, task["taskToken"], {"done": json.loads(task["input"])})
                with lock:
                    answers.append(result)
        workers = [threading.Thread(target=answer, args=(number,)) for number in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return answers

    def answer_all(self, servers, count, threads=2, seed=0, batch=1):
        """Takes count tasks from servers[0], batch after batch (an inline Map runs 40 iterations at once): each batch
        is every task queued once min(batch, what is left) are, shuffled by a random seeded with seed and answered
        with answer_together; returns the (status, body) answers."""
        shuffler, answers = random.Random(seed), []
        while len(answers) < count:
            left = count - len(answers)
            tasks = self.take_open_tasks(servers[0], left, wait_for=min(batch, left))
            shuffler.shuffle(tasks)
            answers += self.answer_together(servers, tasks, threads)
        return answers

    def assert_map_applied_once(self, server, execution, count, timeout=20):
        """The execution succeeded with {"done": i} for each of its count items in item order, each iteration's
        activity and iteration applied once, a dense history and no branch key left."""
        description = self.wait_for_status(server, execution, "SUCCEEDED", timeout=timeout)
        self.assertEqual([{"done": i} for i in range(count)], json.loads(description["output"]))
        types = [event["type"] for event in self.assert_dense_history(server, execution)]
        self.assertEqual(count, types.count("ActivitySucceeded"))
        self.assertEqual(count, types.count("MapIterationSucceeded"))
        self.assertEqual(1, types.count("MapStateSucceeded"))
        self.assert_no_branch_left(execution)

    def succeed(self, server, token, output):
        return self.sfn(server, "SendTaskSuccess", {"taskToken": token, "output": json.dumps(output)})

    def types(self, server, execution):
        return [event["type"] for event in self.all_events(server, execution)]

    def assert_dense_history(self, server, execution):
        events = self.all_events(server, execution)
        self.assertEqual(list(range(1, len(events) + 1)), [event["id"] for event in events])
        for event in events:
            self.assertLess(event["previousEventId"], event["id"], event)
        return events

    def assert_no_branch_left(self, execution):
        execution_id = execution.split(":execution:")[1]
        leftover = [key for key in self.redis.command("KEYS", "*") if execution_id in key
                    and (":branch:" in key or ":branches:" in key or ":results:" in key)]
        self.assertEqual([], leftover)


class ParallelTest(ForkTestCase):
    def test_parallel_of_pass_branches_joins_in_branch_order(self):
        server = self.start()
        execution = self.run_machine(server, "ParallelPass", {"x": 1})
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual([{"a": 1}, {"b": 2}, "c"], json.loads(description["output"]))
        types = self.types(server, execution)
        self.assertEqual(["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"], types[:3])
        self.assertEqual(["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"], types[-3:])
        self.assertEqual(3, types.count("PassStateEntered"))
        self.assert_dense_history(server, execution)
        self.assert_no_branch_left(execution)

    def test_parallel_of_two_tasks_answered_in_either_order(self):
        server = self.start()
        for order, name in [((0, 1), "first"), ((1, 0), "second")]:
            execution = self.run_machine(server, "ParallelTasks", {"n": name}, execution=name)
            tasks = self.take_tasks(server, 2)
            by_state = {json.loads(task["input"])["branch"]: task for task in tasks}
            for index in order:
                self.assertEqual((200, {}), self.succeed(server, by_state[index]["taskToken"], {"t": index}))
            description = self.wait_for_status(server, execution, "SUCCEEDED")
            self.assertEqual([{"t": 0}, {"t": 1}], json.loads(description["output"]))
            types = self.types(server, execution)
            self.assertEqual(2, types.count("ActivitySucceeded"))
            self.assertEqual(["ParallelStateSucceeded", "ParallelStateExited"], types[-5:-3])
            self.assert_dense_history(server, execution)
            self.assert_no_branch_left(execution)

    def test_a_wait_and_a_task_timeout_in_branches_fire_on_the_branches_timers(self):
        server = self.start()
        execution = self.run_machine(server, "ParallelTimers", {"x": 1})
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual(["waited", "States.Timeout"], json.loads(description["output"]))
        types = self.types(server, execution)
        self.assertIn("WaitStateExited", types)
        self.assertIn("ActivityTimedOut", types)
        self.assert_dense_history(server, execution)
        self.assert_no_branch_left(execution)

    def test_a_branch_failure_is_caught_at_the_parallel(self):
        server = self.start()
        execution = self.run_machine(server, "ParallelCaught", {"x": 1})
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        output = json.loads(description["output"])
        self.assertEqual({"Error": "Boom", "Cause": "bad"}, output["error"])
        types = self.types(server, execution)
        self.assertIn("ParallelStateFailed", types)
        self.assert_dense_history(server, execution)
        self.assert_no_branch_left(execution)
        # The task branch was aborted: its token answers TaskTimedOut, and no task is left.
        task = self.take_task(server)
        if "taskToken" in task:
            self.assert_aws_error(self.succeed(server, task["taskToken"], {}), "TaskTimedOut")

    def test_a_task_failure_in_one_branch_aborts_the_other(self):
        server = self.start()
        execution = self.run_machine(server, "ParallelTaskFails", {"x": 1})
        first, second = self.take_tasks(server, 2)
        status, body = self.sfn(server, "SendTaskFailure", {"taskToken": first["taskToken"], "error": "E"})
        self.assertEqual(200, status, body)
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual("E", json.loads(description["output"])["Error"])
        self.assert_aws_error(self.succeed(server, second["taskToken"], {}), "TaskTimedOut")
        self.assert_aws_error(self.succeed(server, first["taskToken"], {}), "TaskTimedOut")
        self.assert_dense_history(server, execution)
        self.assert_no_branch_left(execution)


class MapTest(ForkTestCase):
    def test_map_over_mixed_items(self):
        server = self.start()
        items = [1, "two", {"three": 3}, [4], None, True]
        execution = self.run_machine(server, "MapMixed", items)
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual(items, json.loads(description["output"]))
        types = self.types(server, execution)
        self.assertEqual(["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapIterationStarted"], types[:4])
        self.assertEqual(len(items), types.count("MapIterationSucceeded"))
        self.assertEqual(["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"], types[-3:])
        self.assert_dense_history(server, execution)

    def test_a_map_of_250_pass_iterations_goes_on_over_several_steps(self):
        server = self.start()
        items = list(range(250))
        execution = self.run_machine(server, "MapMixed", items)
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual(items, json.loads(description["output"]))
        types = [event["type"] for event in self.assert_dense_history(server, execution)]
        self.assertEqual(250, types.count("MapIterationSucceeded"))
        self.assertEqual(1, types.count("MapStateSucceeded"))
        self.assert_no_branch_left(execution)

    def test_a_map_of_50_activity_tasks_answered_at_once_applies_each_once(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap", {"items": list(range(50))})
        self.assertEqual([(200, {})] * 50, self.answer_all([server], 50))
        self.assert_map_applied_once(server, execution, 50)

    def test_two_instances_answer_the_tasks_of_one_map_concurrently_each_applied_once(self):
        first, second = self.start(), self.launch()
        execution = self.run_machine(first, "ActivityMap", {"items": list(range(40))})
        # Taken from the first instance; one thread answers through the first, the other through the second.
        self.assertEqual([(200, {})] * 40, self.answer_all([first, second], 40, threads=2, seed=16, batch=40))
        self.assert_map_applied_once(second, execution, 40)

    def test_200_iterations_whose_40_open_tasks_are_answered_at_once_by_8_threads(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap", {"items": list(range(200))})
        self.assertEqual([(200, {})] * 200, self.answer_all([server], 200, threads=8, seed=200, batch=40))
        self.assert_map_applied_once(server, execution, 200)

    def test_500_iterations_answered_in_random_order_across_a_kill_9_each_complete_once(self):
        settings = {"TASK_START_LEASE_SECONDS": "3"}   # an iteration whose task start the kill cut is started again
        server = self.start(**settings)
        execution = self.run_machine(server, "ActivityMap", {"items": list(range(500))})
        answers = self.answer_all([server], 250, seed=1)
        held = self.take_open_tasks(server, 40)                   # taken before the kill, answered after it
        server = self.restart_after_kill_9(server, **settings)
        answers += self.answer_together([server], held, 2)
        answers += self.answer_all([server], 500 - len(answers), seed=2)
        self.assertEqual([(200, {})] * 500, answers)
        self.assert_map_applied_once(server, execution, 500, timeout=30)

    def test_max_concurrency_2_runs_two_iterations_at_a_time(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap2", {"items": list(range(5))})
        seen = []
        for _ in range(5):
            first = self.take_task(server)
            self.assertIn("taskToken", first)
            wait_until(lambda: self.redis.command("LLEN", QUEUE_KEY) <= 1, 5)
            queued = self.redis.command("LLEN", QUEUE_KEY)
            self.assertLessEqual(queued, 1, "at most two iterations run at once")
            seen.append(json.loads(first["input"]))
            self.assertEqual((200, {}), self.succeed(server, first["taskToken"], {"i": seen[-1]}))
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual([{"i": i} for i in range(5)], json.loads(description["output"]))
        self.assertEqual(sorted(seen), list(range(5)))
        self.assert_dense_history(server, execution)

    def test_stop_during_a_map_aborts_every_iteration(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap", {"items": list(range(6))})
        tasks = self.take_tasks(server, 6)
        self.assertEqual((200, {}), self.succeed(server, tasks[0]["taskToken"], {"early": True}))
        status, body = self.sfn(server, "StopExecution", {"executionArn": execution, "error": "Stop"})
        self.assertEqual(200, status, body)
        self.assertEqual("ABORTED", self.describe(server, execution)["status"])
        for task in tasks[1:]:
            self.assert_aws_error(self.succeed(server, task["taskToken"], {}), "TaskTimedOut")
        self.assert_aws_error(self.succeed(server, tasks[0]["taskToken"], {}), "TaskTimedOut")
        self.assertEqual("ExecutionAborted", self.types(server, execution)[-1])
        self.assert_dense_history(server, execution)
        self.assert_no_branch_left(execution)

    def test_a_duplicate_answer_to_a_closed_branch_times_out(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap", {"items": [0, 1]})
        first, second = self.take_tasks(server, 2)
        self.assertEqual((200, {}), self.succeed(server, first["taskToken"], {"a": 1}))
        self.assert_aws_error(self.succeed(server, first["taskToken"], {"a": 2}), "TaskTimedOut")
        self.assertEqual((200, {}), self.sfn(server, "SendTaskHeartbeat", {"taskToken": second["taskToken"]}))
        self.assertEqual((200, {}), self.succeed(server, second["taskToken"], {"b": 1}))
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual(2, len(json.loads(description["output"])))

    def test_a_map_of_parallels_joins_each_parallel_then_the_map(self):
        server = self.start()
        execution = self.run_machine(server, "NestedMapOfParallels", {"items": [0, 1, 2]})
        tasks = self.take_tasks(server, 3)
        random.shuffle(tasks)
        for task in tasks:
            self.assertEqual(200, self.succeed(server, task["taskToken"], {"item": json.loads(task["input"])})[0])
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual([[{"item": i}, "fixed"] for i in range(3)], json.loads(description["output"]))
        types = [event["type"] for event in self.assert_dense_history(server, execution)]
        self.assertEqual(3, types.count("ParallelStateSucceeded"))
        self.assertEqual(3, types.count("MapIterationSucceeded"))
        self.assertEqual(["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"], types[-3:])
        self.assert_no_branch_left(execution)

    def test_an_iteration_that_forks_after_its_task_joins_its_own_parallel(self):
        server = self.start()
        execution = self.run_machine(server, "MapTaskThenParallel", {"items": [10, 20]})
        for task in self.take_tasks(server, 2):
            item = json.loads(task["input"])
            self.assertEqual(200, self.succeed(server, task["taskToken"], {"first": item})[0])
        inner = self.take_tasks(server, 2)
        for task in reversed(inner):
            self.assertEqual(200, self.succeed(server, task["taskToken"], {"second": json.loads(task["input"])})[0])
        description = self.wait_for_status(server, execution, "SUCCEEDED")
        self.assertEqual([[{"second": {"first": i}}, 0] for i in (10, 20)], json.loads(description["output"]))
        types = [event["type"] for event in self.assert_dense_history(server, execution)]
        self.assertEqual(2, types.count("ParallelStateSucceeded"))
        self.assertEqual(4, types.count("ActivitySucceeded"))
        self.assert_no_branch_left(execution)

    def test_a_map_of_valuation_callbacks_through_the_valuation_service(self):
        loan, _ = self.start_stack(extra_state_machines=MACHINES)
        applications = [{"applicationReference": f"app-{i}", "property": {"nameOrNumber": str(i),
                                                                             "postcode": "PO1 1CE"}}
                        for i in range(5)]
        execution = self.run_machine(loan, "ValuationMap", {"applications": applications})
        description = self.wait_for_status(loan, execution, "SUCCEEDED", timeout=20)
        output = json.loads(description["output"])
        self.assertEqual([property_value(str(i), "PO1 1CE") for i in range(5)],
                         [item["propertyValue"] for item in output])
        types = self.types(loan, execution)
        self.assertEqual(5, types.count("TaskSucceeded"))
        self.assertEqual(5, types.count("MapIterationSucceeded"))
        self.assert_dense_history(loan, execution)
        self.assert_no_branch_left(execution)

    def test_the_shipped_portfolio_story_waits_for_three_callbacks_and_an_underwriter(self):
        """demo.sh --scenario portfolio: a Map of valuation callbacks beside an activity, in one Parallel."""
        loan, _ = self.start_stack()
        status, body = self.sfn(loan, "CreateActivity", {"name": "LoanUnderwriter"})
        self.assertEqual(200, status, body)
        properties = [{"nameOrNumber": str(i), "postcode": "PO1 1CE"} for i in (1, 2, 3)]
        execution = self.start_execution(loan, {"applicationReference": "app-p", "properties": properties},
                                         name="portfolio", state_machine_arn=machine_arn("LoanPortfolioStateMachine"))
        # The valuations come back while the underwriter has not answered: the execution waits for its activity.
        wait_until(lambda: self.types(loan, execution).count("MapIterationSucceeded") == 3, 20,
                   what="the three valuations")
        self.assertEqual("RUNNING", self.describe(loan, execution)["status"])
        types = self.types(loan, execution)
        self.assertLess(max(i for i, t in enumerate(types) if t == "TaskSubmitted"), types.index("TaskSucceeded"),
                        "the three valuation requests were all submitted before the first callback")
        status, task = self.sfn(loan, "GetActivityTask", {
            "activityArn": f"arn:aws:states:{REGION}:{ACCOUNT}:activity:LoanUnderwriter", "workerName": "u"})
        self.assertEqual(200, status, task)
        self.assertEqual(properties, json.loads(task["input"])["properties"])
        status, body = self.succeed(loan, task["taskToken"], {"decision": "approved"})
        self.assertEqual(200, status, body)
        description = self.wait_for_status(loan, execution, "SUCCEEDED", timeout=20)
        output = json.loads(description["output"])
        self.assertEqual({"decision": "approved"}, output["decision"])
        self.assertEqual([property_value(str(i), "PO1 1CE") for i in (1, 2, 3)],
                         [valuation["propertyValue"] for valuation in output["valuations"]])
        self.assert_dense_history(loan, execution)
        self.assert_no_branch_left(execution)

    def test_kill_9_midway_through_a_map_completes_every_iteration_once(self):
        server = self.start()
        execution = self.run_machine(server, "ActivityMap", {"items": list(range(20))})
        tasks = self.take_tasks(server, 20)
        for task in tasks[:10]:
            self.assertEqual(200, self.succeed(server, task["taskToken"], {"i": json.loads(task["input"])})[0])
        server = self.restart_after_kill_9(server)
        for task in tasks[10:]:
            self.assertEqual(200, self.succeed(server, task["taskToken"], {"i": json.loads(task["input"])})[0])
        description = self.wait_for_status(server, execution, "SUCCEEDED", timeout=20)
        self.assertEqual([{"i": i} for i in range(20)], json.loads(description["output"]))
        types = [event["type"] for event in self.assert_dense_history(server, execution)]
        self.assertEqual(20, types.count("MapIterationSucceeded"))
        self.assertEqual(1, types.count("MapStateSucceeded"))
        self.assert_no_branch_left(execution)

if __name__ == "__main__":
    harness.main()
