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
                                 "referencing this version: [prod]")
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
        # Oldest first, as AWS lists them.
        self.assertEqual([PREFIX + "al:prod", PREFIX + "al:beta"], [a["stateMachineAliasArn"] for a in listed])
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

    # ---- the answers recorded from real AWS (docs/api.md "Versions and aliases") ----

    def test_recorded_publish_answers(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        machine = PREFIX + "rec"
        self.machine(sfn, "rec")
        # Publish alone on a machine never changed: a version, no revisionId; again: the same version.
        for _ in range(2):
            updated = sfn.update_state_machine(stateMachineArn=machine, publish=True)
            self.assertEqual(machine + ":1", updated["stateMachineVersionArn"])
            self.assertIn("updateDate", updated)
            self.assertNotIn("revisionId", updated)
        self.assertEqual(machine + ":1", sfn.publish_state_machine_version(stateMachineArn=machine)[
            "stateMachineVersionArn"])
        self.assertEqual([machine + ":1"], [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(
            stateMachineArn=machine)["stateMachineVersions"]])
        described = sfn.describe_state_machine(stateMachineArn=machine + ":1")
        self.assertEqual(machine + ":1", described["stateMachineArn"])
        self.assertEqual("ACTIVE", described["status"])
        self.assertEqual("rec", described["name"])
        for member in ("creationDate", "definition", "loggingConfiguration", "roleArn", "tracingConfiguration",
                       "type"):
            self.assertIn(member, described)
        self.assertNotIn("description", described)
        self.assertNotIn("revisionId", described)
        self.assertNotIn("description", sfn.describe_state_machine(stateMachineArn=machine))
        revision = sfn.update_state_machine(stateMachineArn=machine, definition=definition("v2"))["revisionId"]
        self.assert_client_error(
            lambda: sfn.publish_state_machine_version(stateMachineArn=machine, revisionId="stale"),
            "ConflictException", "Failed to publish the State Machine version for revision stale. The current State "
            f"Machine revision is {revision}.")
        published = sfn.publish_state_machine_version(stateMachineArn=machine, revisionId=revision, description="two")
        self.assertEqual({"creationDate", "stateMachineVersionArn"}, set(published) - {"ResponseMetadata"})
        self.assertEqual(machine + ":2", published["stateMachineVersionArn"])
        described = sfn.describe_state_machine(stateMachineArn=machine + ":2")
        self.assertEqual(revision, described["revisionId"])
        self.assertEqual("two", described["description"])
        self.assertEqual(definition("v2"), described["definition"])
        self.assertEqual([machine + ":2", machine + ":1"], [v["stateMachineVersionArn"] for v in
                                                            sfn.list_state_machine_versions(
                                                                stateMachineArn=machine)["stateMachineVersions"]])
        # Deleting a version twice, or one that never was: 200; a deleted version does not exist.
        for arn in (machine + ":2", machine + ":2", machine + ":99"):
            self.assertEqual({}, {k: v for k, v in sfn.delete_state_machine_version(
                stateMachineVersionArn=arn).items() if k != "ResponseMetadata"})
        for call in (lambda: sfn.describe_state_machine(stateMachineArn=machine + ":2"),
                     lambda: sfn.start_execution(stateMachineArn=machine + ":2")):
            self.assert_client_error(call, "StateMachineDoesNotExist",
                                     f"State Machine Does Not Exist: '{machine}:2'")
        sfn.update_state_machine(stateMachineArn=machine, definition=definition("v3"))
        self.assertEqual(machine + ":3", sfn.update_state_machine(
            stateMachineArn=machine, definition=definition("v4"), publish=True)["stateMachineVersionArn"])

    def test_recorded_executions_of_versions(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        machine = PREFIX + "runs"
        self.machine(sfn, "runs")
        revision = sfn.update_state_machine(stateMachineArn=machine, definition=definition("v2"),
                                            publish=True)["revisionId"]
        sfn.update_state_machine(stateMachineArn=machine, definition=definition("v3"))
        sfn.create_state_machine_alias(name="live", routingConfiguration=[
            {"stateMachineVersionArn": machine + ":1", "weight": 100}])
        by_version = sfn.start_execution(stateMachineArn=machine + ":1", name="by-version")["executionArn"]
        by_alias = sfn.start_execution(stateMachineArn=machine + ":live", name="by-alias")["executionArn"]
        plain = sfn.start_execution(stateMachineArn=machine, name="plain")["executionArn"]
        described = self.output(sfn, by_alias)
        self.assertEqual(machine, described["stateMachineArn"])
        self.assertEqual(machine + ":1", described["stateMachineVersionArn"])
        self.assertEqual(machine + ":live", described["stateMachineAliasArn"])
        self.assertEqual(0, described["redriveCount"])
        self.assertEqual("NOT_REDRIVABLE", described["redriveStatus"])
        self.assertEqual("Execution is SUCCEEDED and cannot be redriven", described["redriveStatusReason"])
        self.output(sfn, by_version)
        self.output(sfn, plain)
        items = {e["name"]: e for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
        self.assertEqual(machine + ":1", items["by-version"]["stateMachineVersionArn"])
        self.assertNotIn("stateMachineAliasArn", items["by-version"])
        self.assertEqual(machine + ":1", items["by-alias"]["stateMachineVersionArn"])
        self.assertEqual(machine + ":live", items["by-alias"]["stateMachineAliasArn"])
        self.assertNotIn("stateMachineVersionArn", items["plain"])
        for item in items.values():
            self.assertEqual(0, item["redriveCount"])
        listed = sfn.list_executions(stateMachineArn=machine + ":1")["executions"]
        self.assertEqual({"by-version", "by-alias"}, {e["name"] for e in listed})
        for item in listed:
            self.assertEqual(machine + ":1", item["stateMachineVersionArn"])
            self.assertEqual(machine, item["stateMachineArn"])  # unqualified, as AWS lists them
        self.assertEqual(machine + ":live", {e["name"]: e for e in listed}["by-alias"]["stateMachineAliasArn"])
        # The machine an execution of a version ran: the version's definition and revision, the machine's ARN.
        for_execution = sfn.describe_state_machine_for_execution(executionArn=by_version)
        self.assertEqual(machine, for_execution["stateMachineArn"])
        self.assertEqual(definition("v2"), for_execution["definition"])
        self.assertEqual(revision, for_execution["revisionId"])
        self.assertEqual("runs", for_execution["name"])
        for member in ("loggingConfiguration", "roleArn", "tracingConfiguration", "updateDate"):
            self.assertIn(member, for_execution)
        # A machine with an alias can be deleted.
        sfn.delete_state_machine(stateMachineArn=machine)

    def test_recorded_alias_answers(self):
        loan, _ = self.start_stack()
        sfn = self.client(loan)
        machine = PREFIX + "ali"
        self.machine(sfn, "ali", publish=True)
        sfn.update_state_machine(stateMachineArn=machine, definition=definition("v2"), publish=True)
        sfn.update_state_machine(stateMachineArn=machine, definition=definition("v3"), publish=True)
        v1, v2, v3 = machine + ":1", machine + ":2", machine + ":3"

        def create(name="x", routes=((v1, 100),), **extra):
            return sfn.create_state_machine_alias(
                name=name, routingConfiguration=[{"stateMachineVersionArn": a, "weight": w} for a, w in routes],
                **extra)

        def invalid(message, name="x", routes=((v1, 100),)):
            self.assert_client_error(lambda: create(name, routes), "ValidationException", message)

        invalid(f"Routing configuration must contain state machine version ARNs. Received: [{machine}, {v1}]",
                routes=((machine, 50), (v1, 50)))
        invalid("1 validation error detected: Value '[RoutingConfigurationListItem(stateMachineVersionArn="
                f"{v1}, weight=50), RoutingConfigurationListItem(stateMachineVersionArn={v2}, weight=30), "
                f"RoutingConfigurationListItem(stateMachineVersionArn={v3}, weight=20)]' at 'routingConfiguration' "
                "failed to satisfy constraint: Member must have length less than or equal to 2",
                routes=((v1, 50), (v2, 30), (v3, 20)))
        invalid(f"Routing configuration must contain distinct state machine version ARNs. Received: [{v1}, {v1}]",
                routes=((v1, 50), (v1, 50)))
        invalid("1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy "
                "constraint: Member must have value less than or equal to 100", routes=((v1, 101),))
        invalid("Sum of routing configuration weights must equal 100. Received: [70, 29]",
                routes=((v1, 70), (v2, 29)))
        for name in ("123", "INVALID ALIAS", "!INVALID", "ALIAS@"):
            invalid(f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must "
                    r"satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$", name=name)
        invalid(f"1 validation error detected: Value '{'a' * 81}' at 'name' failed to satisfy constraint: Member must "
                "have length less than or equal to 80", name="a" * 81)
        # Created in order: listed oldest first.
        for i in range(3):
            created = create(f"alias-{i}", description="d")
            self.assertEqual({"creationDate", "stateMachineAliasArn"}, set(created) - {"ResponseMetadata"})
            self.assertEqual(created["stateMachineAliasArn"],
                             create(f"alias-{i}", description="d")["stateMachineAliasArn"])
        self.assertEqual([f"{machine}:alias-{i}" for i in range(3)], [a["stateMachineAliasArn"] for a in
                                                                     sfn.list_state_machine_aliases(
                                                                         stateMachineArn=machine)[
                                                                         "stateMachineAliases"]])
        conflict = ("Failed to create alias because an alias with the same name and a different routing "
                    "configuration already exists.")
        self.assert_client_error(lambda: create("alias-0", description="other"), "ConflictException", conflict)
        self.assert_client_error(lambda: create("alias-0", ((v2, 100),), description="d"), "ConflictException",
                                 conflict)
        described = sfn.describe_state_machine_alias(stateMachineAliasArn=machine + ":alias-0")
        self.assertEqual({"creationDate", "description", "name", "routingConfiguration", "stateMachineAliasArn"},
                         set(described) - {"ResponseMetadata", "updateDate"})
        self.assertEqual([{"stateMachineVersionArn": v1, "weight": 100}], described["routingConfiguration"])
        updated = sfn.update_state_machine_alias(stateMachineAliasArn=machine + ":alias-0", description="new")
        self.assertEqual({"updateDate"}, set(updated) - {"ResponseMetadata"})
        self.assertIn("updateDate", sfn.describe_state_machine_alias(stateMachineAliasArn=machine + ":alias-0"))
        self.assert_client_error(lambda: sfn.update_state_machine_alias(stateMachineAliasArn=machine + ":nope",
                                                                        description="x"),
                                 "ResourceNotFound", "Request references a resource that does not exist.")
        self.assert_client_error(lambda: sfn.delete_state_machine_version(stateMachineVersionArn=v1),
                                 "ConflictException", "Version to be deleted must not be referenced by an alias. "
                                 "Current list of aliases referencing this version: [alias-0, alias-1, alias-2]")
        for arn in (machine + ":alias-2", machine + ":alias-2", machine + ":nope"):
            self.assertEqual({}, {k: v for k, v in sfn.delete_state_machine_alias(
                stateMachineAliasArn=arn).items() if k != "ResponseMetadata"})


if __name__ == "__main__":
    harness.main()
