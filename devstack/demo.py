"""The demo: keep changing candidates and jobs in the simulator, and count what the receiver got.

Every change made is a version `(objectType, id, updatedOn)`; every delivered event names one. The
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    def changed(self, object_type: str, record: dict[str, Any]) -> None:
        with self.lock:
            self.made[(object_type, record["id"], record["updatedOn"])] = time.monotonic()

    latencies: list[float] = field(default_factory=list)  # change made → first delivery, seconds

    def received(self, events: list[dict[str, Any]]) -> None:
        with self.lock:
            now = time.monotonic()
            for event in events:
                version = (event["objectType"], event["objectId"], event["date"])
                self.delivered[version] += 1
                if self.delivered[version] == 1 and version in self.made:
                    self.latencies.append(now - self.made[version])

    def median_latency(self) -> float | None:
        with self.lock:
            ordered = sorted(self.latencies)
        return ordered[len(ordered) // 2] if ordered else None

    def poll_started(self, event: Any = None) -> None:
        with self.lock:
            self.polls.append(time.monotonic())

    def _owed(self) -> set[Version]:
        """Versions a poll must have carried: the latest of each object, and any older one that was
        current when a poll started (polling reports the state at poll time, not every write)."""
        by_object: dict[tuple[str, str], list[tuple[float, Version]]] = {}
        for version, made in self.made.items():
            by_object.setdefault((version[0], version[1]), []).append((made, version))
        owed: set[Version] = set()
        for history in by_object.values():
            history.sort()
            for index, (made, version) in enumerate(history):
                replaced = history[index + 1][0] if index + 1 < len(history) else float("inf")
                if replaced == float("inf") or any(made < start < replaced for start in self.polls):
                    owed.add(version)
        return owed

    def summary(self) -> dict[str, int]:
        now = time.monotonic()
        with self.lock:
            owed = self._owed()
            undelivered = {v for v in owed if v not in self.delivered}
            overdue = {v for v in undelivered if now - self.made[v] > self.grace_seconds}
            return {
                "changes": len(self.made),
                "delivered": sum(1 for v in self.delivered if v in self.made),
                "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
                "missing": len(overdue),
                "waiting": len(undelivered - overdue),
            }


class Tallies:
    """One Tally per demo instance (a polling one and a webhook one watch the same records), and the
    summary lines that compare the two paths."""

    def __init__(self, grace_seconds: float) -> None:
        self._grace = grace_seconds
        self._tallies: dict[int, tuple[str, Tally]] = {}
        self._lock = threading.Lock()

    def watch(self, instance_id: int, kind: str) -> None:
        with self._lock:
            self._tallies[instance_id] = (kind, Tally(self._grace))

    def _all(self) -> list[tuple[int, str, Tally]]:
        with self._lock:
            return [(i, kind, tally) for i, (kind, tally) in self._tallies.items()]

    def changed(self, object_type: str, record: dict[str, Any]) -> None:
        for _, _, tally in self._all():
            tally.changed(object_type, record)

    def poll_started(self, event: Any = None) -> None:
        for _, _, tally in self._all():
            tally.poll_started()

    def received(self, instance_id: int, events: list[dict[str, Any]]) -> None:
        with self._lock:
            found = self._tallies.get(instance_id)
        if found is not None:
            found[1].received(events)

    def lines(self) -> list[str]:
        out = []
        for instance_id, kind, tally in self._all():
            s = tally.summary()
            median = tally.median_latency()
            latency = f"{median:.1f} s" if median is not None else "-"
            out.append(
                f"{kind} instance {instance_id}: changes made {s['changes']} · events delivered {s['delivered']} "
                f"(median {latency} after the change) · duplicates {s['duplicates']} · missing {s['missing']} "
                f"(awaiting the next poll: {s['waiting']})"
            )
        return out


class ChangeMaker:
    """Creates and updates candidates and jobs at a steady pace."""

    def __init__(self, store: Any, tally: Tally | Tallies, every_seconds: float = 2.0, seed: int = 7) -> None:
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
        if roll < 0.35 or not self.candidates:
            record = self._store.create_candidate(firstName=self._rng.choice(["Ada", "Grace", "Linus", "Ken"]))
            self.candidates.append(record["id"])
            self._tally.changed("candidates", record)
        elif roll < 0.7:
            record = self._store.update_candidate(
                self._rng.choice(self.candidates), tags=[f"t{self._rng.randint(1, 9)}"]
            )
            self._tally.changed("candidates", record)
        elif roll < 0.85 or not self.jobs:
            record = self._store.create_job(title=self._rng.choice(["Backend Engineer", "Recruiter", "Designer"]))
            self.jobs.append(record["id"])
            self._tally.changed("jobs", record)
        else:
            record = self._store.update_job(
                self._rng.choice(self.jobs), title="Senior " + self._rng.choice(["Engineer", "Designer"])
            )
            self._tally.changed("jobs", record)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.step()
            except Exception as error:  # a demo hiccup must not end the stack
                print(f"[demo] change failed: {error}", flush=True)
