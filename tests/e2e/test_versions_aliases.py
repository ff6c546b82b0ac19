"""State machine versions and aliases through boto3: publish on Create/UpdateStateMachine,
PublishStateMachineVersion, List/DeleteStateMachineVersion, the alias operations with weighted routing, and
StartExecution by a version's or an alias's ARN."""

import json
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import harness

ROLE = "arn:aws:iam::123456789012:role/TestRole"
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def definition(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


class VersionsAliases(harness.StackTestCase):
    def client(self, loan):
        return boto3.client("stepfunctions", endpoint_url=loan.base_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(parameter_validation=False, retries={"max_attempts": 1}))

    def assert_client_error(self, call, code, message=None):
        with self.assertRaises(ClientError) as raised:
            call()
        error = raised.exception.response["Error"]
        self.assertEqual(code, error["Code"], error)
        if message is not None:
            self.assertEqual(message, error["Message"])

    def machine(self, sfn, name, **extra):
        return sfn.create_state_machine(name=name, definition=definition("v1"), roleArn=ROLE, **extra)

    def output(self, sfn, execution_arn):
        deadline = time.time() + 10
        while time.time() < deadline:
            described = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        self.fail("execution still running")

    def test_publish_on_create_and_update_and_idempotent_publish(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        created = self.machine(sfn, "pub", publish=True, versionDescription="first")
        self.assertEqual(PREFIX + "pub:1", created["stateMachineVersionArn"])
        # The same revision again: the same version.
        self.assertEqual(PREFIX + "pub:1",
                         sfn.publish_state_machine_version(stateMachineArn=PREFIX + "pub")["stateMachineVersionArn"])
        updated = sfn.update_state_machine(stateMachineArn=PREFIX + "pub", definition=definition("v2"), publish=True)
        self.assertEqual(PREFIX + "pub:2", updated["stateMachineVersionArn"])
        self.assertIn("revisionId", updated)
        self.assertEqual(PREFIX + "pub:2", sfn.publish_state_machine_version(
            stateMachineArn=PREFIX + "pub", revisionId=updated["revisionId"])["stateMachineVersionArn"])
        plain = sfn.update_state_machine(stateMachineArn=PREFIX + "pub", definition=definition("v3"))
        self.assertNotIn("stateMachineVersionArn", plain)
        # A stale revisionId is a conflict.
        self.assert_client_error(lambda: sfn.publish_state_machine_version(
            stateMachineArn=PREFIX + "pub", revisionId=updated["revisionId"]), "ConflictException")
        third = sfn.publish_state_machine_version(stateMachineArn=PREFIX + "pub", description="three")
        self.assertEqual(PREFIX + "pub:3", third["stateMachineVersionArn"])
        self.assertIsNotNone(third["creationDate"])
        listed = sfn.list_state_machine_versions(stateMachineArn=PREFIX + "pub")["stateMachineVersions"]
        self.assertEqual([PREFIX + "pub:3", PREFIX + "pub:2", PREFIX + "pub:1"],
                         [v["stateMachineVersionArn"] for v in listed])
        page = sfn.list_state_machine_versions(stateMachineArn=PREFIX + "pub", maxResults=2)
        self.assertEqual(2, len(page["stateMachineVersions"]))
        rest = sfn.list_state_machine_versions(stateMachineArn=PREFIX + "pub", nextToken=page["nextToken"])
        self.assertEqual([PREFIX + "pub:1"], [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]])
        described = sfn.describe_state_machine(stateMachineArn=PREFIX + "pub:1")
        self.assertEqual(PREFIX + "pub:1", described["stateMachineArn"])
        self.assertEqual(definition("v1"), described["definition"])
        self.assertEqual("first", described["description"])
        self.assertEqual(definition("v3"), sfn.describe_state_machine(stateMachineArn=PREFIX + "pub:3")["definition"])
        sfn.delete_state_machine_version(stateMachineVersionArn=PREFIX + "pub:2")
        listed = sfn.list_state_machine_versions(stateMachineArn=PREFIX + "pub")["stateMachineVersions"]
        self.assertEqual([PREFIX + "pub:3", PREFIX + "pub:1"], [v["stateMachineVersionArn"] for v in listed])
        self.assert_client_error(lambda: sfn.describe_state_machine(stateMachineArn=PREFIX + "pub:2"),
                                 "StateMachineDoesNotExist")
        # Numbers are not reused.
        sfn.update_state_machine(stateMachineArn=PREFIX + "pub", definition=definition("v4"))
        self.assertEqual(PREFIX + "pub:4", sfn.publish_state_machine_version(
            stateMachineArn=PREFIX + "pub")["stateMachineVersionArn"])

    def test_version_description_needs_publish(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        self.assert_client_error(lambda: self.machine(sfn, "nodesc", versionDescription="x"), "ValidationException",
                                 "Version description can only be set when publish is true")

    def test_start_by_version_runs_the_old_definition(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        self.machine(sfn, "old", publish=True)
        sfn.update_state_machine(stateMachineArn=PREFIX + "old", definition=definition("v2"))
        started = sfn.start_execution(stateMachineArn=PREFIX + "old:1", name="by-version")
        self.assertEqual("arn:aws:states:us-east-1:123456789012:execution:old:by-version", started["executionArn"])
        described = self.output(sfn, started["executionArn"])
        self.assertEqual('"v1"', described["output"])
        self.assertEqual(PREFIX + "old", described["stateMachineArn"])
        self.assertEqual(PREFIX + "old:1", described["stateMachineVersionArn"])
        self.assertNotIn("stateMachineAliasArn", described)
        history = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
        self.assertEqual(PREFIX + "old:1", history[0]["executionStartedEventDetails"]["stateMachineVersionArn"])
        unqualified = sfn.start_execution(stateMachineArn=PREFIX + "old")
        described = self.output(sfn, unqualified["executionArn"])
        self.assertEqual('"v2"', described["output"])
        self.assertNotIn("stateMachineVersionArn", described)
        self.assert_client_error(lambda: sfn.start_execution(stateMachineArn=PREFIX + "old:9"),
                                 "StateMachineDoesNotExist")
        # ListExecutions by the version's ARN lists what was started by it; by the machine's, all.
        by_version = sfn.list_executions(stateMachineArn=PREFIX + "old:1")["executions"]
        self.assertEqual([started["executionArn"]], [e["executionArn"] for e in by_version])
        self.assertEqual(2, len(sfn.list_executions(stateMachineArn=PREFIX + "old")["executions"]))
        self.assert_client_error(lambda: sfn.list_executions(stateMachineArn=PREFIX + "old:9"),
                                 "StateMachineDoesNotExist")

    def test_aliases(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        self.machine(sfn, "al", publish=True)
        sfn.update_state_machine(stateMachineArn=PREFIX + "al", definition=definition("v2"), publish=True)
        one = [{"stateMachineVersionArn": PREFIX + "al:1", "weight": 100}]
        created = sfn.create_state_machine_alias(name="prod", description="d", routingConfiguration=one)
        self.assertEqual(PREFIX + "al:prod", created["stateMachineAliasArn"])
        # Idempotent with the same settings; a conflict with others.
        self.assertEqual(created["stateMachineAliasArn"], sfn.create_state_machine_alias(
            name="prod", description="d", routingConfiguration=one)["stateMachineAliasArn"])
        self.assert_client_error(lambda: sfn.create_state_machine_alias(name="prod", routingConfiguration=one),
                                 "ConflictException")
        described = sfn.describe_state_machine_alias(stateMachineAliasArn=PREFIX + "al:prod")
        self.assertEqual("prod", described["name"])
        self.assertEqual("d", described["description"])
        self.assertEqual(one, described["routingConfiguration"])
        started = sfn.start_execution(stateMachineArn=PREFIX + "al:prod")
        execution = self.output(sfn, started["executionArn"])
        self.assertEqual('"v1"', execution["output"])
        self.assertEqual(PREFIX + "al:prod", execution["stateMachineAliasArn"])
        self.assertEqual(PREFIX + "al:1", execution["stateMachineVersionArn"])
        # A version an alias uses cannot be deleted.
        self.assert_client_error(lambda: sfn.delete_state_machine_version(stateMachineVersionArn=PREFIX + "al:1"),
                                 "ConflictException",
                                 "Version to be deleted must not be referenced by an alias. Current list of aliases "
                                 f'referencing this version: ["{PREFIX}al:prod"]')
        half = [{"stateMachineVersionArn": PREFIX + "al:1", "weight": 50},
                {"stateMachineVersionArn": PREFIX + "al:2", "weight": 50}]
        updated = sfn.update_state_machine_alias(stateMachineAliasArn=PREFIX + "al:prod", routingConfiguration=half)
        self.assertIsNotNone(updated["updateDate"])
        outputs = set()
        for _ in range(40):
            outputs.add(self.output(sfn, sfn.start_execution(stateMachineArn=PREFIX + "al:prod")["executionArn"])[
                "output"])
        self.assertEqual({'"v1"', '"v2"'}, outputs)
        self.assertEqual(41, len(sfn.list_executions(stateMachineArn=PREFIX + "al:prod", maxResults=100)["executions"]))
        sfn.create_state_machine_alias(name="beta", routingConfiguration=[half[1] | {"weight": 100}])
        listed = sfn.list_state_machine_aliases(stateMachineArn=PREFIX + "al")["stateMachineAliases"]
        self.assertEqual([PREFIX + "al:beta", PREFIX + "al:prod"], [a["stateMachineAliasArn"] for a in listed])
        by_version = sfn.list_state_machine_aliases(stateMachineArn=PREFIX + "al:1")["stateMachineAliases"]
        self.assertEqual([PREFIX + "al:prod"], [a["stateMachineAliasArn"] for a in by_version])
        sfn.delete_state_machine_alias(stateMachineAliasArn=PREFIX + "al:prod")
        self.assert_client_error(lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=PREFIX + "al:prod"),
                                 "ResourceNotFound")
        sfn.delete_state_machine_version(stateMachineVersionArn=PREFIX + "al:1")
        # Deleting the machine removes its versions and aliases.
        sfn.delete_state_machine(stateMachineArn=PREFIX + "al")
        self.assert_client_error(lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=PREFIX + "al:beta"),
                                 "ResourceNotFound")
        self.assert_client_error(lambda: sfn.describe_state_machine(stateMachineArn=PREFIX + "al:2"),
                                 "StateMachineDoesNotExist")
        self.machine(sfn, "al")
        self.assertEqual([], sfn.list_state_machine_versions(stateMachineArn=PREFIX + "al")["stateMachineVersions"])
        self.assertEqual([], sfn.list_state_machine_aliases(stateMachineArn=PREFIX + "al")["stateMachineAliases"])

    def test_alias_errors(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        self.machine(sfn, "bad", publish=True)
        sfn.update_state_machine(stateMachineArn=PREFIX + "bad", definition=definition("v2"), publish=True)
        v1, v2 = PREFIX + "bad:1", PREFIX + "bad:2"
        self.assert_client_error(lambda: sfn.create_state_machine_alias(
            name="x", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 60},
                                            {"stateMachineVersionArn": v2, "weight": 30}]), "ValidationException")
        self.assert_client_error(lambda: sfn.create_state_machine_alias(
            name="x", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 101}]), "ValidationException")
        self.assert_client_error(lambda: sfn.create_state_machine_alias(
            name="123", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]), "ValidationException")
        self.assert_client_error(lambda: sfn.create_state_machine_alias(
            name="x", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50},
                                            {"stateMachineVersionArn": v2, "weight": 25},
                                            {"stateMachineVersionArn": v2, "weight": 25}]), "ValidationException")
        self.assert_client_error(lambda: sfn.create_state_machine_alias(
            name="x", routingConfiguration=[{"stateMachineVersionArn": PREFIX + "bad:7", "weight": 100}]),
            "ResourceNotFound")
        self.assert_client_error(lambda: sfn.describe_state_machine_alias(stateMachineAliasArn=PREFIX + "bad:nope"),
                                 "ResourceNotFound")


if __name__ == "__main__":
    harness.main()
