"""The Map Run API (DescribeMapRun, ListMapRuns, UpdateMapRun, ListExecutions by mapRunArn) through boto3.

No state machine here starts a distributed Map, so the Map Runs these tests read are written into Redis by hand,
in the layout of docs/execution-model.md ("Distributed Map"), exactly as the engine writes them.
"""

import datetime

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness
from harness import LOAN_MACHINE_ARN

PREFIX = "arn:aws:states:us-east-1:123456789012:"
PARENT_ID = "LoanProcessorStateMachine:parent-of-a-map-run"
PARENT_ARN = PREFIX + "execution:" + PARENT_ID
SHARDS = harness.EXECUTION_SHARDS


def shard(identifier):
    """execution_store_shard(): FNV-1a (32 bits) of the id, modulo the shards."""
    value = 2166136261
    for byte in identifier.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value % SHARDS


def id_in_parent_shard(label, start=0):
    """A Map Run (or child execution) id of label in the parent's shard, as the engine draws its uuids."""
    number = start
    while True:
        identifier = f"LoanProcessorStateMachine/{label}:00000000-0000-4000-8000-{number:012d}"
        if shard(identifier) == shard(PARENT_ID):
            return identifier
        number += 1


class MapRunApi(harness.StackTestCase):
    def client(self, loan):
        return boto3.client("stepfunctions", endpoint_url=loan.base_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(parameter_validation=False, retries={"max_attempts": 1}))

    def assert_client_error(self, call, code, message=None):
        with self.assertRaises(ClientError) as raised:
            call()
        error = raised.exception.response["Error"]
        self.assertEqual(code, error["Code"], error)
        self.assertEqual(400, raised.exception.response["ResponseMetadata"]["HTTPStatusCode"])
        if message is not None:
            self.assertEqual(message, error["Message"])

    def write_map_run(self, label="Items", stop_ms=None):
        """A Map Run of the parent (record, the parent's index entry) and its parent's record; returns its ARN."""
        map_run_id = id_in_parent_shard(label)
        arn = PREFIX + "mapRun:" + map_run_id
        tag = f"{{sfn:{shard(PARENT_ID):02d}}}"
        self.redis.command("HSET", f"{tag}:execution:{PARENT_ID}", "arn", PARENT_ARN, "stateMachineArn",
                           LOAN_MACHINE_ARN, "name", "parent-of-a-map-run", "status", "RUNNING",
                           "startDate", "1700000000000", "input", "{}")
        fields = ["mapRunArn", arn, "executionArn", PARENT_ARN, "stateMachineArn", LOAN_MACHINE_ARN,
                  "label", label, "status", "SUCCEEDED" if stop_ms else "RUNNING", "startDate", "1700000001000",
                  "maxConcurrency", "5", "toleratedFailurePercentage", "10", "toleratedFailureCount", "2",
                  "itemCount", "10", "running", "3", "succeeded", "4", "failed", "1"]
        if stop_ms:
            fields += ["stopDate", str(stop_ms)]
        self.redis.command("HSET", f"{tag}:maprun:{map_run_id}", *fields)
        self.redis.command("ZADD", f"{tag}:mapruns:{PARENT_ID}", "1700000001000", arn)
        return arn, map_run_id

    def write_child(self, map_run_id, number, status, start_ms):
        """A child execution of the Map Run (record, the Map Run's index entry); returns its ARN."""
        label = map_run_id.split("/")[1].split(":")[0]
        child_id = id_in_parent_shard(label, number * 100000)  # far apart: each finds its own id, up to 1024 shards
        arn = PREFIX + "execution:" + child_id
        tag = f"{{sfn:{shard(PARENT_ID):02d}}}"
        self.redis.command("HSET", f"{tag}:execution:{child_id}", "arn", arn, "stateMachineArn",
                           PREFIX + "stateMachine:LoanProcessorStateMachine/" + label, "name",
                           child_id.rsplit(":", 1)[1], "status", status, "startDate", str(start_ms), "input", "{}",
                           "mapRunArn", PREFIX + "mapRun:" + map_run_id, "parentExecution", PARENT_ID)
        self.redis.command("ZADD", f"{tag}:maprun-executions:{map_run_id}", str(start_ms), arn)
        return arn

    # ---- what works without a distributed Map ----

    def test_an_unknown_map_run_is_resource_not_found(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn = PREFIX + "mapRun:LoanProcessorStateMachine/Items:0f5e6c1a-2b3c-4d5e-8f90-123456789abc"
        message = f"Resource not found: '{arn}'"
        self.assert_client_error(lambda: sfn.describe_map_run(mapRunArn=arn), "ResourceNotFound", message)
        self.assert_client_error(lambda: sfn.update_map_run(mapRunArn=arn, maxConcurrency=3), "ResourceNotFound",
                                 message)
        self.assert_client_error(lambda: sfn.list_executions(mapRunArn=arn), "ResourceNotFound", message)
        self.assertEqual(0, self.redis.command("EXISTS", f"{{sfn:{shard(arn.split('mapRun:')[1]):02d}}}:maprun:"
                                                         + arn.split("mapRun:")[1]))

    def test_a_malformed_map_run_arn_is_invalid_arn(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        for arn in ["not-an-arn", PREFIX + "mapRun:NoLabel", PREFIX + "mapRun:M/L:"]:
            self.assert_client_error(lambda: sfn.describe_map_run(mapRunArn=arn), "InvalidArn",
                                     f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
        self.assert_client_error(lambda: sfn.update_map_run(mapRunArn=PARENT_ARN), "InvalidArn",
                                 "Invalid Arn: 'Resource type not valid in this context: execution'")
        self.assert_client_error(lambda: sfn.list_executions(mapRunArn=LOAN_MACHINE_ARN), "InvalidArn",
                                 "Invalid Arn: 'Resource type not valid in this context: statemachine'")
        self.assert_client_error(lambda: sfn.list_map_runs(executionArn="nope"), "InvalidArn",
                                 "Invalid Arn: 'Invalid ARN prefix: nope'")

    def test_list_executions_takes_a_state_machine_arn_or_a_map_run_arn(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        map_run_arn = PREFIX + "mapRun:LoanProcessorStateMachine/Items:u"
        self.assert_client_error(lambda: sfn.list_executions(stateMachineArn=LOAN_MACHINE_ARN, mapRunArn=map_run_arn),
                                 "ValidationException",
                                 "1 validation error detected: Provide either a StateMachine ARN or a MapRun ARN, "
                                 "not both")
        self.assert_client_error(lambda: sfn.list_executions(), "ValidationException",
                                 "1 validation error detected: Must provide a StateMachine ARN or MapRun ARN")

    def test_update_map_run_checks_its_settings(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn = PREFIX + "mapRun:LoanProcessorStateMachine/Items:u"
        cases = [
            ({"maxConcurrency": -1}, "Value '-1' at 'maxConcurrency' failed to satisfy constraint: Member must have "
                                     "value greater than or equal to 0"),
            ({"toleratedFailurePercentage": 100.5}, "Value '100.5' at 'toleratedFailurePercentage' failed to satisfy "
                                                    "constraint: Member must have value less than or equal to 100"),
            ({"toleratedFailurePercentage": -0.5}, "Value '-0.5' at 'toleratedFailurePercentage' failed to satisfy "
                                                   "constraint: Member must have value greater than or equal to 0"),
            ({"toleratedFailureCount": -2}, "Value '-2' at 'toleratedFailureCount' failed to satisfy constraint: "
                                            "Member must have value greater than or equal to 0"),
        ]
        for settings, message in cases:
            self.assert_client_error(lambda: sfn.update_map_run(mapRunArn=arn, **settings), "ValidationException",
                                     "1 validation error detected: " + message)
        status, body = self.sfn(loan, "UpdateMapRun", {"mapRunArn": arn, "maxConcurrency": 1.5})
        self.assert_aws_error((status, body), "SerializationException")
        status, body = self.sfn(loan, "UpdateMapRun", {"mapRunArn": arn, "toleratedFailureCount": "3"})
        self.assert_aws_error((status, body), "SerializationException")
        self.assert_client_error(lambda: sfn.update_map_run(), "ValidationException")

    def test_list_map_runs_of_an_unknown_execution_is_execution_does_not_exist(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn = PREFIX + "execution:LoanProcessorStateMachine:none"
        self.assert_client_error(lambda: sfn.list_map_runs(executionArn=arn), "ExecutionDoesNotExist",
                                 f"Execution Does Not Exist: '{arn}'")

    # ---- a Map Run written as the engine writes it ----

    def test_describe_map_run_answers_its_settings_and_counts(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn, _ = self.write_map_run(stop_ms=1700000009500)
        run = sfn.describe_map_run(mapRunArn=arn)
        self.assertEqual((arn, PARENT_ARN, "SUCCEEDED"), (run["mapRunArn"], run["executionArn"], run["status"]))
        self.assertEqual(datetime.datetime.fromtimestamp(1700000001, datetime.timezone.utc), run["startDate"])
        self.assertEqual(datetime.datetime.fromtimestamp(1700000009.5, datetime.timezone.utc), run["stopDate"])
        self.assertEqual((5, 10.0, 2), (run["maxConcurrency"], run["toleratedFailurePercentage"],
                                        run["toleratedFailureCount"]))
        expected = {"pending": 2, "running": 3, "succeeded": 4, "failed": 1, "timedOut": 0, "aborted": 0,
                    "total": 10, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0}
        self.assertEqual(expected, run["itemCounts"])
        self.assertEqual(expected, run["executionCounts"])
        self.assertEqual(0, run["redriveCount"])

    def test_update_map_run_changes_only_what_it_is_given(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn, _ = self.write_map_run()
        self.assertEqual(200, sfn.update_map_run(mapRunArn=arn, maxConcurrency=50,
                                                 toleratedFailurePercentage=12.5)["ResponseMetadata"]["HTTPStatusCode"])
        run = sfn.describe_map_run(mapRunArn=arn)
        self.assertEqual((50, 12.5, 2), (run["maxConcurrency"], run["toleratedFailurePercentage"],
                                         run["toleratedFailureCount"]))
        sfn.update_map_run(mapRunArn=arn, toleratedFailureCount=0)
        self.assertEqual(0, sfn.describe_map_run(mapRunArn=arn)["toleratedFailureCount"])

    def test_list_map_runs_lists_the_executions_map_runs(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn, _ = self.write_map_run()
        runs = sfn.list_map_runs(executionArn=PARENT_ARN)
        self.assertEqual([(PARENT_ARN, arn, LOAN_MACHINE_ARN)],
                         [(r["executionArn"], r["mapRunArn"], r["stateMachineArn"]) for r in runs["mapRuns"]])
        self.assertNotIn("stopDate", runs["mapRuns"][0])
        self.assertNotIn("nextToken", runs)

    def test_list_executions_by_map_run_lists_its_children_with_their_map_run(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn, map_run_id = self.write_map_run()
        first = self.write_child(map_run_id, 100, "SUCCEEDED", 1700000002000)
        second = self.write_child(map_run_id, 200, "RUNNING", 1700000003000)
        page = sfn.list_executions(mapRunArn=arn, maxResults=1)
        self.assertEqual([second], [e["executionArn"] for e in page["executions"]])
        self.assertEqual(arn, page["executions"][0]["mapRunArn"])
        self.assertEqual(PREFIX + "stateMachine:LoanProcessorStateMachine/Items",
                         page["executions"][0]["stateMachineArn"])
        rest = sfn.list_executions(mapRunArn=arn, maxResults=1, nextToken=page["nextToken"])
        self.assertEqual([first], [e["executionArn"] for e in rest["executions"]])
        succeeded = sfn.list_executions(mapRunArn=arn, statusFilter="SUCCEEDED")["executions"]
        self.assertEqual([first], [e["executionArn"] for e in succeeded])
        self.assert_client_error(lambda: sfn.list_executions(mapRunArn=arn, nextToken="1:" + LOAN_MACHINE_ARN),
                                 "InvalidToken")
        # Listed by state machine, an execution carries no mapRunArn.
        for execution in sfn.list_executions(stateMachineArn=LOAN_MACHINE_ARN)["executions"]:
            self.assertNotIn("mapRunArn", execution)

    def test_a_child_execution_is_described_with_its_map_run_and_cannot_be_stopped_alone(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        arn, map_run_id = self.write_map_run()
        child = self.write_child(map_run_id, 100, "RUNNING", 1700000002000)
        self.assertEqual(arn, sfn.describe_execution(executionArn=child)["mapRunArn"])
        self.assertNotIn("mapRunArn", sfn.describe_execution(executionArn=PARENT_ARN))
        self.assert_client_error(lambda: sfn.stop_execution(executionArn=child), "ValidationException")
        self.assertEqual("RUNNING", sfn.describe_execution(executionArn=child)["status"])


if __name__ == "__main__":
    harness.main()
