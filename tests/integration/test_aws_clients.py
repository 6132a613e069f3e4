"""srevents.adapters.aws: one boto3 Session per process, one client per service, made under a lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from srevents.adapters import aws
from tests.support.fixtures import MOTO_CONFIG


@pytest.fixture
def fresh() -> Iterator[None]:
    aws.reset_clients()
    yield
    aws.reset_clients()


def test_every_client_comes_from_the_one_session(fresh: None) -> None:
    session = aws.session()
    sqs, dynamodb = aws.client("sqs"), aws.client("dynamodb")
    assert aws.client("sqs") is sqs
    # A botocore client keeps its session's loader: one loader, each model parsed once per process.
    loader = session._session.get_component("data_loader")
    assert sqs._loader is loader and dynamodb._loader is loader


def test_reset_drops_the_clients_and_keeps_the_session(fresh: None) -> None:
    session, sqs = aws.session(), aws.client("sqs")
    aws.reset_clients()
    assert aws.session() is session
    assert aws.client("sqs") is not sqs


def test_threads_asking_at_once_get_one_client_per_service(fresh: None) -> None:
    start = threading.Barrier(8)
    got: list[Any] = []

    def ask(service: str) -> None:
        start.wait()
        got.append((service, aws.client(service)))

    threads = [threading.Thread(target=ask, args=(("sqs", "kms")[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8
    assert {service: id(made) for service, made in got} == {"sqs": id(aws.client("sqs")), "kms": id(aws.client("kms"))}
    assert len({id(made) for _, made in got}) == 2


def test_a_session_made_before_a_mock_is_intercepted_by_it(fresh: None) -> None:
    session = aws.session()  # made by an earlier test or here, before this mock starts
    for name in ("first", "second"):
        with mock_aws(config=MOTO_CONFIG):
            aws.reset_clients()
            sqs = aws.client("sqs")
            assert aws.session() is session
            assert sqs.list_queues().get("QueueUrls", []) == []  # a fresh moto account each time
            sqs.create_queue(QueueName=name)
            assert [url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]] == [name]
