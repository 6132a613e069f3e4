"""template.yaml: a webhook callback whose asynchronous invocations all failed is kept and read again."""

from __future__ import annotations

from devstack.aws_resources import load_template


def test_failed_invocations_of_the_poll_function_go_to_a_queue_it_reads() -> None:
    resources = load_template()["Resources"]
    poll = resources["PollFunction"]["Properties"]
    queue = {"Fn::GetAtt": ["WebhookRetryQueue", "Arn"]}

    # Then Lambda's OnFailure destination is the retry queue, and the poll function reads that queue
    assert poll["EventInvokeConfig"]["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": queue}
    [source] = [e["Properties"] for e in poll["Events"].values() if e["Type"] == "SQS"]
    assert source["Queue"] == queue
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # and the queue outlasts a poll's run before offering a message again, then dead-letters it
    retry = resources["WebhookRetryQueue"]["Properties"]
    assert retry["VisibilityTimeout"] > poll["Timeout"]
    assert retry["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhookRetryDeadLetterQueue", "Arn"]}
