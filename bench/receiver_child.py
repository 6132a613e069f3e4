"""A callback receiver in its own process, as a customer's endpoint is: `python -m bench.receiver_child KEY SECONDS`.

It verifies both signatures of every POST (devstack/receiver.py) and answers 200 after SECONDS. Kept apart
from the process under test, its work (parsing, two HMACs per request) does not compete with the deliverer
for one interpreter lock, as it would not in production. Prints its URL, then serves until stdin closes;
`GET /_received` lists what it got.
"""

from __future__ import annotations

import sys

from devstack.receiver import Receiver, Scripted


def main() -> None:
    key, seconds = sys.argv[1], float(sys.argv[2])
    with Receiver(key) as receiver:
        receiver.default = Scripted(200, delay=seconds)
        print(receiver.url, flush=True)
        sys.stdin.read()  # until the parent closes it


if __name__ == "__main__":
    main()
