"""Secrets at rest: sealed with KMS, bound to their instance through the encryption context.

All of an instance's secrets travel in one ciphertext, so creating an instance costs one KMS call and
delivering to it at most one per cache period.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any


class SecretBox:
    def __init__(self, client: Any, key_id: str, *, cache_seconds: float = 300.0, max_entries: int = 1024) -> None:
        self._client = client
        self._key_id = key_id
        self._cache_seconds = cache_seconds
        self._max_entries = max_entries
        self._cache: dict[tuple[int, str], tuple[float, dict[str, str]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _context(instance_id: int) -> dict[str, str]:
        return {"instanceId": str(instance_id), "purpose": "srevents-instance-secrets"}

    def seal(self, instance_id: int, secrets: dict[str, str]) -> bytes:
        plaintext = json.dumps(secrets, separators=(",", ":")).encode("utf-8")
        response = self._client.encrypt(
            KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=self._context(instance_id)
        )
        return bytes(response["CiphertextBlob"])

    def open(self, instance_id: int, ciphertext: bytes) -> dict[str, str]:
        """Decrypt (cached per container for a short time, keyed by the ciphertext's digest)."""
        cache_key = (instance_id, hashlib.sha256(ciphertext).hexdigest())
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(cache_key)
            if hit and hit[0] > now:
                return dict(hit[1])
        response = self._client.decrypt(CiphertextBlob=ciphertext, EncryptionContext=self._context(instance_id))
        secrets: dict[str, str] = json.loads(response["Plaintext"])
        with self._lock:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            self._cache[cache_key] = (now + self._cache_seconds, secrets)
        return dict(secrets)
