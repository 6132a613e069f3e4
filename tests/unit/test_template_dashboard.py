"""template.yaml's dashboard shows every metric the code emits, and only metrics something emits.

The code's metric names are read from the source (every `add_metric(...)` call), the dashboard's from its
body, so a metric added, renamed or removed on one side fails here until the other side follows.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devstack.aws_resources import REPO, load_template
from srevents.observability import NAMESPACE, SERVICE

SOURCES = [REPO / "layers" / "common" / "srevents", REPO / "functions"]
ALARM_AGE_THRESHOLD = 172800


def _metric_names(call: ast.Call, path: Path) -> set[str]:
    """The names an `add_metric` call can emit: a literal, or a choice between literals."""
    name = next((k.value for k in call.keywords if k.arg == "name"), call.args[0] if call.args else None)
    choices = [name.body, name.orelse] if isinstance(name, ast.IfExp) else [name]
    names = {c.value for c in choices if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    assert len(names) == len(choices), f"{path}:{call.lineno}: a metric's name must be a literal the test can read"
    return names


def emitted_metrics() -> dict[str, set[str]]:
    """Metric name -> the files that emit it, from every `add_metric(...)` call of the functions and layer."""
    found: dict[str, set[str]] = {}
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef) and function.name == "add_metric":
                    function.body = []  # observability.add_metric: the wrapper passes its caller's name on
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                callee = node.func
                called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", None)
                if called == "add_metric":
                    for name in _metric_names(node, path):
                        found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def dashboard() -> dict[str, Any]:
    """The dashboard body as CloudWatch will read it, with every `${...}` replaced by its own name."""
    body, variables = load_template()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for name in variables:  # numbers the template chooses (e.g. the age alarm's threshold): its default branch
        body = body.replace("${" + name + "}", str(variables[name]["Fn::If"][2]))
    parsed: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", r"<\1>", body))
    return parsed


def dashboard_metrics() -> Iterator[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every line of every metric widget."""
    for widget in dashboard()["widgets"]:
        for line in widget["properties"].get("metrics", []):
            fields = [f for f in line if not isinstance(f, dict)]
            namespace, name, *dimensions = fields
            assert "." not in (namespace, name), "write every line in full: the '.' shorthand hides what is shown"
            assert len(dimensions) % 2 == 0, line
            yield namespace, name, dict(zip(dimensions[::2], dimensions[1::2], strict=True))


def test_the_source_scan_finds_the_metrics_of_every_function() -> None:
    # The scan itself: each function's metrics are found where they are emitted
    emitted = emitted_metrics()
    assert "functions/poll/app.py" in emitted["Polls"]
    assert "functions/api/app.py" in emitted["ApiErrors"]
    assert "layers/common/srevents/services/deliver_service.py" in emitted["DeliveriesFailed"]
    assert "layers/common/srevents/services/deliver_service.py" in emitted["DeliveriesSucceeded"]


def test_every_metric_the_code_emits_is_on_the_dashboard_and_nothing_else_of_our_namespace() -> None:
    # Given what the code emits and what the dashboard shows in our namespace
    emitted = set(emitted_metrics())
    shown = {name for namespace, name, _ in dashboard_metrics() if namespace == NAMESPACE}

    # Then they are the same names
    assert emitted - shown == set(), "emitted but not on the dashboard"
    assert shown - emitted == set(), "on the dashboard but emitted by nothing"


def test_the_dashboard_reads_our_metrics_with_the_dimension_powertools_writes() -> None:
    dimensions = [dims for namespace, _, dims in dashboard_metrics() if namespace == NAMESPACE]
    assert dimensions
    assert all(dims == {"service": SERVICE} for dims in dimensions)


def test_every_alarm_on_our_namespace_reads_a_metric_the_code_emits() -> None:
    emitted = set(emitted_metrics())
    for name, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        metrics = [props] + [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        for metric in metrics:
            if metric.get("Namespace") == NAMESPACE:
                assert metric["MetricName"] in emitted, name


def test_the_dashboard_shows_each_functions_queues_tables_and_the_apis_basics() -> None:
    # Given the template's functions, queues and tables
    resources = load_template()["Resources"]
    of_type = lambda kind: sorted(n for n, r in resources.items() if r["Type"] == kind)  # noqa: E731
    shown = {(ns, name, tuple(sorted(dims.items()))) for ns, name, dims in dashboard_metrics()}

    # Then each function's invocations, errors, throttles, duration and concurrency are on it
    for function in of_type("AWS::Serverless::Function"):
        for metric in ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"):
            assert ("AWS/Lambda", metric, (("FunctionName", f"<{function}>"),)) in shown, (function, metric)
    # each queue's depth (the dead-letter queues' included), and the notification queue's oldest message
    for queue in of_type("AWS::SQS::Queue"):
        depth = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", (("QueueName", f"<{queue}.QueueName>"),))
        assert depth in shown, queue
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", (("QueueName", "<NotificationQueue.QueueName>"),)) in shown
    # each table's consumed capacity and throttles
    for table in of_type("AWS::DynamoDB::Table"):
        for metric in ("ConsumedWriteCapacityUnits", "ConsumedReadCapacityUnits", "WriteThrottleEvents"):
            assert ("AWS/DynamoDB", metric, (("TableName", f"<{table}>"),)) in shown, (table, metric)
    # what Scheduler did with this stack's schedules (a drop is a poll that never ran)
    for metric in ("InvocationAttemptCount", "InvocationThrottleCount", "TargetErrorCount", "InvocationDroppedCount"):
        assert ("AWS/Scheduler", metric, (("ScheduleGroup", "<PollerScheduleGroup>"),)) in shown, metric
    # the API stage's requests, errors and latency, by the names the 5xx alarm uses
    stage = (("ApiName", "<AWS::StackName>"), ("Stage", "v1"))
    for metric in ("Count", "4XXError", "5XXError", "Latency"):
        assert ("AWS/ApiGateway", metric, stage) in shown, metric


def test_every_widget_reads_this_stacks_region_and_names_only_what_the_template_defines() -> None:
    template = load_template()
    body, variables = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    known = set(template["Resources"]) | set(template["Parameters"]) | set(variables)
    for reference in re.findall(r"\$\{([^}]+)\}", body):
        assert reference.startswith("AWS::") or reference.split(".")[0] in known, reference
    for widget in dashboard()["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "<AWS::Region>", widget["properties"]["title"]


def test_the_notification_queue_age_alarm_waits_past_the_whole_retry_schedule() -> None:
    # Given each retry schedule of docs/DESIGN.md §7 (±20 % jitter) and the queue's retention
    from srevents.domain.backoff import DAY, JITTER, PLATFORM

    template = load_template()
    alarm = template["Resources"]["NotificationQueueAgeAlarm"]["Properties"]
    retention = template["Resources"]["NotificationQueue"]["Properties"]["MessageRetentionPeriod"]
    condition, platform_threshold, day_threshold = alarm["Threshold"]["Fn::If"]
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": "RetrySchedule"}, "platform"]}

    # Then a notification still being retried never sets it off, and it goes off well before SQS drops one
    assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["NotificationQueue", "QueueName"]}}]
    assert sum(DAY.delays) * (1 + JITTER) < day_threshold <= retention / 2
    assert sum(PLATFORM.delays) * (1 + JITTER) < platform_threshold <= retention / 2
    assert day_threshold == ALARM_AGE_THRESHOLD
    annotations = [
        a["value"]
        for w in dashboard()["widgets"]
        for a in w["properties"].get("annotations", {}).get("horizontal", [])
        if a.get("label") == "NotificationQueueAgeAlarm"
    ]
    assert annotations == [day_threshold]
    variables = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][1]
    assert variables["AgeThreshold"] == alarm["Threshold"]
