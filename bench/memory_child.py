"""One function in its own process, for its peak memory: `python -m bench.memory_child poll|deliver ...`.

Lambda reports "Max Memory Used" for the whole process (the interpreter, every import, every client), so
this measures the process's peak resident set (`ru_maxrss`): after importing the handler (its resting
footprint) and after the work. AWS is moto's server in the parent process (AWS_ENDPOINT_URL), so none of
the emulator's memory is counted here; the parent also serves the SmartRecruiters simulator and the
callback receiver.

    poll <instance id> <clock ISO time>    one poll (the poll service runs on a ManualClock at that time)
    deliver <events.json>                  one invocation per SQS event in the file, peak after each
"""

from __future__ import annotations

import json
import resource
import sys
from datetime import datetime


def _peak_mb() -> float:
    """The process's peak resident set. VmHWM belongs to this program's memory map; ru_maxrss would
    carry the parent's size over the fork and exec that started this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from bench.common import CountingSink, handler_output
    from devstack.lambda_runtime import LambdaContext, load_handler_module

    mode = sys.argv[1]
    module = load_handler_module(mode)
    resting = _peak_mb()
    sink = CountingSink()
    report: dict[str, object] = {"resting_mb": round(resting, 1)}
    if mode == "poll":
        from srevents.clock import ManualClock
        from srevents.wiring import poll_service

        service = poll_service(module.SETTINGS, ManualClock(datetime.fromisoformat(sys.argv[3])))
        setattr(module, "_service", lambda: service)  # noqa: B010 - the handler's cached service, on this clock
        context = LambdaContext(function_name="srevents-PollFunction", timeout_seconds=300, memory_limit_in_mb=1024)
        with handler_output(sink):
            result = module.lambda_handler({"instanceId": int(sys.argv[2])}, context)
        report["records"] = sum(r["records_read"] for r in result["resources"])
        report["events"] = sum(r["events"] for r in result["resources"])
    else:
        with open(sys.argv[2]) as handle:
            events = json.load(handle)
        after_batch = []
        delivered = 0
        for event in events:
            context = LambdaContext(function_name="srevents-DeliverFunction", timeout_seconds=60)
            with handler_output(sink):
                response = module.lambda_handler(event, context)
            delivered += len(event["Records"]) - len(response.get("batchItemFailures", []))
            after_batch.append(round(_peak_mb(), 1))
        report["batches"] = len(events)
        report["delivered"] = delivered
        report["peak_after_first_batch_mb"] = after_batch[0]
        report["peak_after_each_batch_mb"] = after_batch
    report["peak_mb"] = round(_peak_mb(), 1)
    print(json.dumps(report), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    main()
