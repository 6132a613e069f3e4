"""template.yaml: someone is told when something breaks."""

from __future__ import annotations

from devstack.aws_resources import load_template

TOPIC = {"Ref": "AlarmTopic"}


def test_every_alarm_notifies_the_alarm_topic_when_it_goes_off_and_when_it_clears() -> None:
    # Given every alarm of the template
    resources = load_template()["Resources"]
    alarms = {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}

    # Then each one names the topic for both transitions
    assert len(alarms) >= 8
    for name, alarm in alarms.items():
        assert TOPIC in alarm.get("AlarmActions", []), name
        assert TOPIC in alarm.get("OKActions", []), name


def test_the_alarm_email_is_subscribed_only_when_given() -> None:
    template = load_template()
    subscription = template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""
    assert subscription["Properties"]["TopicArn"] == TOPIC


def test_the_delivery_failure_alarm_reads_the_metrics_the_deliverer_emits() -> None:
    # The deliverer's EMF metrics (services/deliver_service.py): service dimension, these names
    from srevents.observability import NAMESPACE, SERVICE

    alarm = load_template()["Resources"]["DeliveryFailureRateAlarm"]["Properties"]
    metrics = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert {m["MetricName"] for m in metrics} == {"DeliveriesFailed", "DeliveryAttempts"}
    assert all(m["Namespace"] == NAMESPACE for m in metrics)
    assert all(m["Dimensions"] == [{"Name": "service", "Value": SERVICE}] for m in metrics)
