"""template.yaml: the API stage's access logs, and the account-wide API Gateway role they need, both switchable."""

from __future__ import annotations

import json
from typing import Any

from devstack.aws_resources import load_template

ROLE_RESOURCES = ("ApiGatewayCloudWatchRole", "ApiGatewayAccount")


def _access_log_setting(template: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    condition, when_on, when_off = template["Resources"]["Api"]["Properties"]["AccessLogSetting"]["Fn::If"]
    return condition, when_on, when_off


def test_access_logs_are_one_json_line_per_request_carrying_the_id_error_bodies_carry() -> None:
    # Given the stage's access log format
    _, when_on, _ = _access_log_setting(load_template())
    # A folded YAML string: one line of JSON once API Gateway puts a quoted string for messageString
    line = json.loads(when_on["Format"].replace("$context.error.messageString", '"$context.error.messageString"'))

    # Then requestId is $context.requestId, the id api/errors.py puts in every error body
    assert line["requestId"] == "$context.requestId"
    assert {"status", "httpMethod", "resourcePath", "responseLatency", "integrationStatus"} <= set(line)
    # every other variable is quoted in the format; only the one API Gateway quotes itself is not
    assert '"$context.error.messageString"' not in when_on["Format"]
    assert '$context.error.message"' not in when_on["Format"]
    # and nothing that can hold a secret: no header, no query string, no body
    variables = " ".join(line.values())
    for leaky in ("header", "querystring", "requestOverride", "authorizer", "$input"):
        assert leaky.lower() not in variables.lower(), leaky


def test_the_api_function_reads_the_request_id_the_access_log_writes() -> None:
    # api/errors.py reads requestContext.requestId, which API Gateway fills with $context.requestId
    import inspect

    from srevents.api import errors

    assert "request_context.request_id" in inspect.getsource(errors)


def test_access_logs_are_on_by_default_and_switch_off_with_their_log_group() -> None:
    template = load_template()
    assert template["Parameters"]["ApiAccessLogs"]["Default"] == "on"
    assert template["Parameters"]["ApiAccessLogs"]["AllowedValues"] == ["on", "off"]
    condition, when_on, when_off = _access_log_setting(template)
    assert condition == "WritesApiAccessLogs"
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": "ApiAccessLogs"}, "on"]}
    assert when_off == {"Ref": "AWS::NoValue"}

    group = template["Resources"]["ApiAccessLogGroup"]
    assert when_on["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert group["Condition"] == condition
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_account_role_is_created_only_when_asked_and_never_deleted() -> None:
    # Given the account-wide API Gateway CloudWatch role and setting
    template = load_template()
    resources = template["Resources"]

    # Then both exist only with access logs on and CreateApiGatewayAccountRole true
    assert template["Conditions"]["CreatesApiGatewayAccountRole"] == {
        "Fn::And": [
            {"Condition": "WritesApiAccessLogs"},
            {"Fn::Equals": [{"Ref": "CreateApiGatewayAccountRole"}, "true"]},
        ]
    }
    assert template["Parameters"]["CreateApiGatewayAccountRole"]["AllowedValues"] == ["true", "false"]
    for name in ROLE_RESOURCES:
        assert resources[name]["Condition"] == "CreatesApiGatewayAccountRole", name
        # and deleting the stack leaves them: the account setting must not name a deleted role
        assert resources[name]["DeletionPolicy"] == "Retain", name
        assert resources[name]["UpdateReplacePolicy"] == "Retain", name
    assert resources["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]
    }
    role = resources["ApiGatewayCloudWatchRole"]["Properties"]
    assert [s["Principal"] for s in role["AssumeRolePolicyDocument"]["Statement"]] == [
        {"Service": "apigateway.amazonaws.com"}
    ]


def test_the_stage_waits_for_the_account_setting_when_the_stack_makes_it() -> None:
    # DependsOn cannot name a conditional resource: the API depends on a handle that references the setting
    resources = load_template()["Resources"]
    assert resources["Api"]["DependsOn"] == "ApiGatewayAccountReady"
    handle = resources["ApiGatewayAccountReady"]
    assert "Condition" not in handle
    condition, when_made, _ = handle["Metadata"]["AccountSetting"]["Fn::If"]
    assert (condition, when_made) == ("CreatesApiGatewayAccountRole", {"Ref": "ApiGatewayAccount"})


def test_execution_logging_stays_off() -> None:
    # Execution logs with data tracing write request headers (the Authorization header) to CloudWatch
    for setting in load_template()["Resources"]["Api"]["Properties"]["MethodSettings"]:
        assert "LoggingLevel" not in setting
        assert not setting.get("DataTraceEnabled", False)
