"""Create the stack's AWS resources in moto from `template.yaml` itself, so local never drifts from deploy.

Tables, queues (with their redrive policies), the KMS key and alias, and the schedule group are made
from their `Properties` in the template; the functions' environment variables are resolved from the
template's `Globals` and each function's own `Environment`, with parameters at their defaults unless
overridden. Used by the tests and by the local stack alike.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation's short-form intrinsics (`!Ref`, `!GetAtt`, `!Sub`, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"  # the long forms CloudFormation reads
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data: a copy of its one parse in this process, the caller's to change."""
    return copy.deepcopy(_parsed(path))


@functools.cache
def _parsed(path: Path) -> dict[str, Any]:
    # Parsed once per process: PyYAML's pure-Python loader takes tens of milliseconds for this file, and
    # the tests build the stack's resources from it for hundreds of tests. A deep copy costs well under 1 ms.
    with path.open() as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class StackResources:
    """Physical names of what was created, and how to resolve the template's references to them."""

    stack: str
    template: dict[str, Any]
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref":
                return self._ref(arg)
            if name == "Fn::GetAtt":
                return self.attrs[(arg[0], arg[1])]
            if name == "Fn::Sub":
                return self._sub(arg)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]

    def _sub(self, text: str) -> str:
        import re

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if "." in token:
                logical, attr = token.split(".", 1)
                return self.attrs[(logical, attr)]
            return str(self._ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def function_environment(self, function: str) -> dict[str, str]:
        """The environment variables `function` gets when deployed (Globals merged with its own)."""
        resources = self.template["Resources"]
        merged: dict[str, Any] = {}
        merged.update(self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))
        merged.update(resources[function]["Properties"].get("Environment", {}).get("Variables", {}))
        return {k: str(self.resolve(v)) for k, v in merged.items()}


def _resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _queue_order(queues: dict[str, dict[str, Any]]) -> list[str]:
    """Dead-letter queues first: a redrive policy names its target's ARN."""
    return sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {}))


_QUEUE_ATTRIBUTES = (
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "SqsManagedSseEnabled",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
)


def _attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def create_stack_resources(
    session: Any, stack: str = "srevents-local", parameters: dict[str, str] | None = None
) -> StackResources:
    """Create every stateful resource of the template in the (moto) account behind `session`."""
    template = load_template()
    params = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    params.update(parameters or {})
    stack_resources = StackResources(stack, template, params)

    dynamodb = session.client("dynamodb", region_name=REGION)
    for logical, resource in _resources_of(template, "AWS::DynamoDB::Table").items():
        props = stack_resources.resolve(resource["Properties"])
        name = f"{stack}-{logical}"
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        arn = dynamodb.create_table(**kwargs)["TableDescription"]["TableArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        stack_resources.refs[logical] = name
        stack_resources.attrs[(logical, "Arn")] = arn

    sqs = session.client("sqs", region_name=REGION)
    queues = _resources_of(template, "AWS::SQS::Queue")
    for logical in _queue_order(queues):
        props = stack_resources.resolve(queues[logical].get("Properties", {}))
        fifo = bool(props.get("FifoQueue"))
        name = f"{stack}-{logical}" + (".fifo" if fifo else "")
        attributes = {k: _attribute(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack_resources.refs[logical] = url
        stack_resources.attrs[(logical, "Arn")] = arn
        stack_resources.attrs[(logical, "QueueName")] = name
        stack_resources.attrs[(logical, "QueueUrl")] = url

    kms = session.client("kms", region_name=REGION)
    for logical, resource in _resources_of(template, "AWS::KMS::Key").items():
        description = resource["Properties"].get("Description", logical)
        key = kms.create_key(Description=description)["KeyMetadata"]
        stack_resources.refs[logical] = key["KeyId"]
        stack_resources.attrs[(logical, "Arn")] = key["Arn"]
    for _, resource in _resources_of(template, "AWS::KMS::Alias").items():
        props = stack_resources.resolve(resource["Properties"])
        kms.create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])

    scheduler = session.client("scheduler", region_name=REGION)
    for logical, resource in _resources_of(template, "AWS::Scheduler::ScheduleGroup").items():
        props = stack_resources.resolve(resource["Properties"])
        arn = scheduler.create_schedule_group(Name=props["Name"])["ScheduleGroupArn"]
        stack_resources.refs[logical] = props["Name"]
        stack_resources.attrs[(logical, "Arn")] = arn

    # Functions and roles are not emulated (moto cannot run code): they get stable ARNs the local
    # stack recognises when it fires a schedule or a poll-now request.
    for logical in _resources_of(template, "AWS::Serverless::Function"):
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack}-{logical}"
        stack_resources.refs[logical] = f"{stack}-{logical}"
        stack_resources.attrs[(logical, "Arn")] = arn
    for logical in _resources_of(template, "AWS::IAM::Role"):
        stack_resources.attrs[(logical, "Arn")] = f"arn:aws:iam::{ACCOUNT}:role/{stack}-{logical}"
    return stack_resources
