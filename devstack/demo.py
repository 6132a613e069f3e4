"""The demo: keep changing candidates and jobs in the simulator, and count what the receiver got.

Every change made is a version `(objectType, id, updatedOn)`, and so is every deletion (`(objectType, id,
the audit event's eventDate)`, what a DELETED event's `date` says); every delivered event names one. The
summary line compares the two sets for real: delivered, duplicates (a version delivered twice), and
missing (a version not delivered although polls that should have carried it are long done).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

Version = tuple[str, str, str]


@dataclass
class Tally:
    grace_seconds: float
    made: dict[Version, float] = field(default_factory=dict)  # version → when it was made (monotonic)
    delivered: Counter[Version] = field(default_factory=Counter)
    polls: list[float] = field(default_factory=list)  # when polls started (monotonic)
    finished: list[float] = field(default_factory=list)  # when polls ended (monotonic)
    deletions: set[Version] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def changed(self, object_type: str, record: dict[str, Any]) -> None:
        with self.lock:
            self.made[(object_type, record["id"], record["updatedOn"])] = time.monotonic()

    def deleted(self, object_type: str, audit_event: dict[str, Any]) -> None:
        """A deletion is the last version of its record: always owed, as a DELETED event."""
        version = (object_type, audit_event["entityId"], audit_event["eventDate"])
        with self.lock:
            self.made[version] = time.monotonic()
            self.deletions.add(version)

    def received(self, events: list[dict[str, Any]]) -> None:
        with self.lock:
            for event in events:
                self.delivered[(event["objectType"], event["objectId"], event["date"])] += 1

    def poll_started(self) -> None:
        with self.lock:
            self.polls.append(time.monotonic())

    def poll_finished(self, _result: Any = None) -> None:
        with self.lock:
            self.finished.append(time.monotonic())

    def _owed(self) -> set[Version]:
        """Versions a poll must have carried: the latest of each object, and any older one that was
        current when a poll started (polling reports the state at poll time, not every write). A version
        its record's deletion replaced is owed only if a poll that started after it also ended before the
        deletion: a record deleted while a poll runs may be gone by the time its page is read, and then
        only its deletion is reported (docs/DESIGN.md §13)."""
        by_object: dict[tuple[str, str], list[tuple[float, Version]]] = {}
        for version, made in self.made.items():
            by_object.setdefault((version[0], version[1]), []).append((made, version))
        owed: set[Version] = set()
        for history in by_object.values():
            history.sort()
            for index, (made, version) in enumerate(history):
                replaced = history[index + 1][0] if index + 1 < len(history) else float("inf")
                by_deletion = index + 1 < len(history) and history[index + 1][1] in self.deletions
                if replaced == float("inf") or self._seen_by_a_poll(made, replaced, by_deletion):
                    owed.add(version)
        return owed

    def _seen_by_a_poll(self, made: float, replaced: float, by_deletion: bool) -> bool:
        for start in self.polls:
            if made < start < replaced and (not by_deletion or any(start < end < replaced for end in self.finished)):
                return True
        return False

    def summary(self) -> dict[str, int]:
        now = time.monotonic()
        with self.lock:
            owed = self._owed()
            undelivered = {v for v in owed if v not in self.delivered}
            overdue = {v for v in undelivered if now - self.made[v] > self.grace_seconds}
            return {
                "changes": len(self.made),
                "deletions": len(self.deletions),
                "delivered": sum(1 for v in self.delivered if v in self.made),
                "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
                "missing": len(overdue),
                "waiting": len(undelivered - overdue),
            }


class ChangeMaker:
    """Creates, updates and now and then deletes candidates and jobs at a steady pace."""

    def __init__(self, store: Any, tally: Tally, every_seconds: float = 2.0, seed: int = 7) -> None:
        self._store = store
        self._tally = tally
        self._every = every_seconds
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-changes", daemon=True)
        self.candidates: list[str] = []
        self.jobs: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def step(self) -> None:
        roll = self._rng.random()
        if roll < 0.32 or not self.candidates:
            record = self._store.create_candidate(firstName=self._rng.choice(["Ada", "Grace", "Linus", "Ken"]))
            self.candidates.append(record["id"])
            self._tally.changed("candidates", record)
        elif roll < 0.62:
            record = self._store.update_candidate(
                self._rng.choice(self.candidates), tags=[f"t{self._rng.randint(1, 9)}"]
            )
            self._tally.changed("candidates", record)
        elif roll < 0.7:
            gone = self.candidates.pop(self._rng.randrange(len(self.candidates)))
            self._store.delete_candidate(gone)
            self._tally.deleted("candidates", self._store.audit_events(gone)[-1])
        elif roll < 0.82 or not self.jobs:
            record = self._store.create_job(title=self._rng.choice(["Backend Engineer", "Recruiter", "Designer"]))
            self.jobs.append(record["id"])
            self._tally.changed("jobs", record)
        elif roll < 0.95 or len(self.jobs) < 2:
            record = self._store.update_job(
                self._rng.choice(self.jobs), title="Senior " + self._rng.choice(["Engineer", "Designer"])
            )
            self._tally.changed("jobs", record)
        else:
            gone = self.jobs.pop(self._rng.randrange(len(self.jobs)))
            self._store.delete_job(gone)
            self._tally.deleted("jobs", self._store.audit_events(gone)[-1])

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.step()
            except Exception as error:  # a demo hiccup must not end the stack
                print(f"[demo] change failed: {error}", flush=True)
