"""Secrets at rest: envelope encryption with a KMS data key, each instance's secrets bound to its id.

All of an instance's secrets travel in one sealed blob:

    MAGIC | length of the encrypted data key (2 bytes) | encrypted data key | nonce (12 bytes) | AES-GCM output

- **Sealing** encrypts the secrets' JSON locally with AES-256-GCM under a data key from KMS
  `GenerateDataKey`. A container reuses one data key for a bounded time and number of seals
  (`DATA_KEY_SECONDS`, `DATA_KEY_USES`), then asks for a new one: KMS calls scale with containers, not with
  instances created or changed. Any size up to the request body limit can be sealed (KMS `Encrypt` would
  refuse more than 4,096 bytes of plaintext).
- **Opening** decrypts the data key with KMS `Decrypt` once per data key per container (the plaintext data
  keys are kept in a bounded LRU, keyed by their encrypted blob), then the secrets locally: a poll or a
  delivery of an instance sealed with a data key this container has seen makes no KMS call.
- **Binding to the instance.** The blob's associated data is the instance id: a blob copied onto another
  instance's item fails to open (AES-GCM's tag check). Before envelope encryption the binding was the KMS
  encryption context (`instanceId`); with one data key shared by many instances it moves into the AES-GCM
  associated data, and the data key's own encryption context names only the purpose.
- **Blobs sealed the old way** (KMS `Encrypt` of the JSON, instance id in the encryption context) have no
  `MAGIC` and are still opened the old way (cached per container for a short time); `is_current` tells the
  instances service to seal them again in the new form at the next change of the instance.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"\x00SRE\x02"  # real KMS blobs start with 0x01, moto's with a hex key id: neither starts with NUL
PURPOSE = "srevents-instance-secrets"
NONCE_BYTES = 12
DATA_KEY_SECONDS = 86_400.0
"""A day: the instances sealed in one day share a data key, so a year of gradual growth is ~365 data keys, which
every container keeps open at once (1,024), and opening secrets costs a KMS call per data key per container.
With hourly keys (8,760 a year) most openings would miss that bound and call KMS (docs/SCALING.md)."""
DATA_KEY_USES = 100_000  # far below AES-GCM's 2^32 random nonces per key


class SecretBox:
    def __init__(
        self,
        client: Any,
        key_id: str,
        *,
        cache_seconds: float = 300.0,
        max_entries: int = 1024,
        data_key_seconds: float = DATA_KEY_SECONDS,
        data_key_uses: int = DATA_KEY_USES,
    ) -> None:
        self._client = client
        self._key_id = key_id
        self._cache_seconds = cache_seconds
        self._max_entries = max_entries
        self._data_key_seconds = data_key_seconds
        self._data_key_uses = data_key_uses
        self._sealing: tuple[bytes, bytes, float, int] | None = None  # plaintext, encrypted, expires, uses left
        self._opened_keys: OrderedDict[bytes, bytes] = OrderedDict()  # encrypted data key → plaintext (LRU)
        self._legacy_cache: dict[tuple[int, str], tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _associated_data(instance_id: int) -> bytes:
        return f"{PURPOSE}:instanceId={instance_id}".encode()

    @staticmethod
    def is_current(ciphertext: bytes) -> bool:
        """True for a blob sealed in the current (envelope) form."""
        return bytes(ciphertext).startswith(MAGIC)

    # -- sealing ------------------------------------------------------------------------------------
    def _data_key(self) -> tuple[bytes, bytes]:
        now = time.monotonic()
        with self._lock:
            if self._sealing and self._sealing[2] > now and self._sealing[3] > 0:
                plaintext, encrypted, expires, uses = self._sealing
                self._sealing = (plaintext, encrypted, expires, uses - 1)
                return plaintext, encrypted
        response = self._client.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext={"purpose": PURPOSE}
        )
        plaintext, encrypted = bytes(response["Plaintext"]), bytes(response["CiphertextBlob"])
        with self._lock:
            self._sealing = (plaintext, encrypted, now + self._data_key_seconds, self._data_key_uses - 1)
            self._remember_key(encrypted, plaintext)
        return plaintext, encrypted

    def seal(self, instance_id: int, secrets: dict[str, str]) -> bytes:
        data = json.dumps(secrets, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        key, encrypted_key = self._data_key()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, data, self._associated_data(instance_id))
        return MAGIC + len(encrypted_key).to_bytes(2, "big") + encrypted_key + nonce + sealed

    # -- opening ------------------------------------------------------------------------------------
    def _remember_key(self, encrypted: bytes, plaintext: bytes) -> None:
        """(Under the lock.) Keep a plaintext data key, evicting the least recently used beyond the bound."""
        self._opened_keys[encrypted] = plaintext
        self._opened_keys.move_to_end(encrypted)
        while len(self._opened_keys) > self._max_entries:
            self._opened_keys.popitem(last=False)

    def _open_key(self, encrypted: bytes) -> bytes:
        with self._lock:
            found = self._opened_keys.get(encrypted)
            if found is not None:
                self._opened_keys.move_to_end(encrypted)
                return found
        response = self._client.decrypt(CiphertextBlob=encrypted, EncryptionContext={"purpose": PURPOSE})
        plaintext = bytes(response["Plaintext"])
        with self._lock:
            self._remember_key(encrypted, plaintext)
        return plaintext

    def open(self, instance_id: int, ciphertext: bytes) -> dict[str, str]:
        """The instance's secrets; raises (cryptography's InvalidTag) for a blob of another instance."""
        blob = bytes(ciphertext)
        if not self.is_current(blob):
            return self._open_legacy(instance_id, blob)
        start = len(MAGIC)
        key_length = int.from_bytes(blob[start : start + 2], "big")
        encrypted_key = blob[start + 2 : start + 2 + key_length]
        nonce_at = start + 2 + key_length
        nonce, sealed = blob[nonce_at : nonce_at + NONCE_BYTES], blob[nonce_at + NONCE_BYTES :]
        data = AESGCM(self._open_key(encrypted_key)).decrypt(nonce, sealed, self._associated_data(instance_id))
        secrets: dict[str, str] = json.loads(data)
        return secrets

    def _open_legacy(self, instance_id: int, ciphertext: bytes) -> dict[str, str]:
        """A blob sealed by KMS `Encrypt` with the instance in the encryption context (cached for a short time)."""
        cache_key = (instance_id, hashlib.sha256(ciphertext).hexdigest())
        now = time.monotonic()
        with self._lock:
            hit = self._legacy_cache.get(cache_key)
            if hit and hit[0] > now:
                return dict(hit[1])
        context = {"instanceId": str(instance_id), "purpose": PURPOSE}
        response = self._client.decrypt(CiphertextBlob=ciphertext, EncryptionContext=context)
        secrets: dict[str, str] = json.loads(response["Plaintext"])
        with self._lock:
            if len(self._legacy_cache) >= self._max_entries:
                self._legacy_cache.clear()
            self._legacy_cache[cache_key] = (now + self._cache_seconds, secrets)
        return dict(secrets)
