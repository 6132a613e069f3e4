"""SecretBox: envelope encryption on moto's KMS. Any size within the request limit seals; a blob opens only
for its own instance; KMS calls scale with containers (data keys), not with seals and opens; blobs sealed
the old way (KMS Encrypt, instance id in the encryption context) still open."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography.exceptions import InvalidTag
from moto import mock_aws

from srevents.adapters.secrets import SecretBox


class CountingKms:
    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._client, name)


@pytest.fixture
def kms() -> Iterator[tuple[CountingKms, str]]:
    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key(Description="instance secrets")["KeyMetadata"]["KeyId"]
        yield CountingKms(client), key_id


@pytest.mark.parametrize(
    "secrets",
    [
        {"api.key": "k" * 4096, "event.notification.signature.key": "s" * 4096},
        {"api.key": "key", "event.notification.signature.key": "ключ" * 1024},  # 4,096 non-ASCII characters
        {"api.key": "key", "event.notification.signature.key": "\U0001f511" * 4096},  # astral: 16 KiB of UTF-8
    ],
)
def test_secrets_of_any_size_within_the_limit_are_sealed_and_opened(kms: tuple[CountingKms, str], secrets) -> None:
    client, key_id = kms
    box = SecretBox(client, key_id)
    assert SecretBox(client, key_id).open(7, box.seal(7, secrets)) == secrets


def test_a_blob_opens_only_for_its_own_instance(kms: tuple[CountingKms, str]) -> None:
    client, key_id = kms
    sealed = SecretBox(client, key_id).seal(7, {"api.key": "key-of-seven"})
    assert b"key-of-seven" not in sealed
    with pytest.raises(InvalidTag):
        SecretBox(client, key_id).open(8, sealed)


def test_kms_calls_scale_with_data_keys_not_with_seals_and_opens(kms: tuple[CountingKms, str]) -> None:
    # Given one container sealing 50 instances' secrets
    client, key_id = kms
    sealing = SecretBox(client, key_id)
    blobs = {n: sealing.seal(n, {"api.key": f"key-{n:04d}"}) for n in range(50)}
    # Then it asked KMS for one data key
    assert client.calls == Counter(generate_data_key=1)

    # When another container opens each of them three times
    opening = SecretBox(client, key_id)
    for _ in range(3):
        for n, blob in blobs.items():
            assert opening.open(n, blob) == {"api.key": f"key-{n:04d}"}
    # Then it decrypted the one data key once
    assert client.calls == Counter(generate_data_key=1, decrypt=1)


def test_the_sealing_data_key_is_rotated_after_its_uses(kms: tuple[CountingKms, str]) -> None:
    client, key_id = kms
    box = SecretBox(client, key_id, data_key_uses=10)
    for n in range(25):
        box.seal(n, {"api.key": "k"})
    assert client.calls["generate_data_key"] == 3


def test_a_blob_sealed_the_old_way_still_opens_and_is_not_current(kms: tuple[CountingKms, str]) -> None:
    # Given secrets sealed before envelope encryption: KMS Encrypt, the instance in the encryption context
    client, key_id = kms
    context = {"instanceId": "7", "purpose": "srevents-instance-secrets"}
    old = client.encrypt(KeyId=key_id, Plaintext=json.dumps({"api.key": "old-key"}).encode(), EncryptionContext=context)
    legacy = bytes(old["CiphertextBlob"])
    box = SecretBox(client, key_id)
    # Then they open, and the box says they are to be sealed again
    assert box.open(7, legacy) == {"api.key": "old-key"}
    assert not box.is_current(legacy) and box.is_current(box.seal(7, {"api.key": "old-key"}))
