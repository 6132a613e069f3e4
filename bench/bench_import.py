"""Cold import of each handler module vs a bare `import boto3`, each in a fresh interpreter.

What Lambda does at a cold start, minus the runtime's own bootstrap: put the function's code directory
first on sys.path, the layer (`PYTHONPATH=layers/common`) after it, and `import app`. The environment is
what template.yaml gives the function (Globals and the function's own variables, references filled with
plausible physical names) plus what the Lambda runtime sets (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME,
AWS_REGION, ...). With LAMBDA_TASK_ROOT set, Powertools' Tracer is live and patches boto3 and requests
through the X-Ray SDK, as it does in Lambda (`Tracing: Active`).

Each measurement is the time of the import statement alone, inside a new interpreter; byte-code caches
are warm (a first untimed run writes them), as they are for pip-installed packages.

A handler defers some imports to its first invocation (the services and their adapters are imported by
`srevents.wiring` when it builds them). So that nothing is hidden by moving it out of the timed import,
each handler also has a "first build" row: the import plus that first build (`import app` and
`app._service()` / `app._app()`: the modules, the boto3 clients and the objects an invocation needs before
its first AWS call) against `import boto3` plus creating one client. That is the cold start's real cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from bench.common import REPO, Result, add_paths, emit, log, median, ratio, repeats_from_argv

FUNCTIONS = {"api": "ApiFunction", "poll": "PollFunction", "deliver": "DeliverFunction"}
FIRST_BUILD = {"api": "app._app()", "poll": "app._service()", "deliver": "app._service()"}
BOTO3_WITH_CLIENT = "import boto3\nboto3.client('dynamodb')"
_PROBE = """
import sys, time
started = time.perf_counter()
{statement}
elapsed = time.perf_counter() - started
print(elapsed)
print(len(sys.modules))
"""


def template_environment(function: str) -> dict[str, str]:
    """The variables template.yaml gives `function` (Globals + its own), references filled in."""
    from devstack.aws_resources import load_template

    template = load_template()
    parameters = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
    variables: dict[str, Any] = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    variables.update(own)

    def resolve(name: str, value: Any) -> str:
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in parameters:
                return parameters[ref]
            if name.endswith("_URL"):
                return f"https://sqs.us-east-1.amazonaws.com/123456789012/srevents-{ref}.fifo"
            return f"srevents-{ref}"
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical = value["Fn::GetAtt"][0]
            return f"arn:aws:lambda:us-east-1:123456789012:function:srevents-{logical}"
        return str(value)

    return {name: resolve(name, value) for name, value in variables.items()}


def lambda_environment(function: str) -> dict[str, str]:
    """A clean environment: the runtime's variables and the template's, nothing from this shell."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO / "layers" / "common"),
        "LAMBDA_TASK_ROOT": str(REPO / "functions" / function),
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_LAMBDA_FUNCTION_NAME": f"srevents-{FUNCTIONS.get(function, 'Function')}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "_HANDLER": "app.lambda_handler",
    }
    if function in FUNCTIONS:
        environment.update(template_environment(FUNCTIONS[function]))
    return environment


def probe(statement: str, function: str, write_bytecode: bool = False) -> tuple[float, int]:
    """(seconds, modules loaded) for one cold import in a new interpreter."""
    environment = lambda_environment(function)
    if not write_bytecode:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    cwd = REPO / "functions" / function if function in FUNCTIONS else REPO
    # Lambda puts the task root first on sys.path; `python -c` puts the current directory there.
    command = [sys.executable, "-c", _PROBE.format(statement=statement)]
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{statement} in {function} failed:\n{done.stderr[-2000:]}")
    seconds, modules = done.stdout.split()[-2:]
    return float(seconds), int(modules)


def run(repeats: int) -> list[Result]:
    subjects = [("boto3", "boto3", "import boto3")] + [(name, name, "import app") for name in FUNCTIONS]
    subjects += [("boto3+client", "boto3", BOTO3_WITH_CLIENT)]
    subjects += [(f"{name}+build", name, f"import app\n{FIRST_BUILD[name]}") for name in FUNCTIONS]
    for _, function, statement in subjects:
        probe(statement, function, write_bytecode=True)  # warm the byte-code caches
    samples: dict[str, list[float]] = {name: [] for name, _, _ in subjects}
    modules: dict[str, int] = {}
    log(f"cold imports: boto3 and {len(FUNCTIONS)} handlers, {repeats} fresh interpreters each, interleaved")
    for _ in range(repeats):
        for name, function, statement in subjects:
            seconds, count = probe(statement, function)
            samples[name].append(seconds)
            modules[name] = count
    baseline = median(samples["boto3"])
    built_baseline = median(samples["boto3+client"])
    results = []
    for name in FUNCTIONS:
        value = median(samples[name])
        results.append(
            Result(
                name=f"cold import functions/{name}/app.py",
                value=round(value * 1000, 1),
                unit="ms",
                baseline=round(baseline * 1000, 1),
                ratio=round(ratio(value, baseline), 3),
                goal="ratio <= 1.5",
                details={
                    "baseline_is": "a bare `import boto3` in the same environment",
                    "repeats": repeats,
                    "runs_ms": [round(x * 1000, 1) for x in samples[name]],
                    "baseline_runs_ms": [round(x * 1000, 1) for x in samples["boto3"]],
                    "modules_loaded": modules[name],
                    "baseline_modules_loaded": modules["boto3"],
                    "import_and_first_build_ms": round(median(samples[f"{name}+build"]) * 1000, 1),
                    "boto3_and_one_client_ms": round(built_baseline * 1000, 1),
                    "first_build_ratio": round(ratio(median(samples[f"{name}+build"]), built_baseline), 3),
                    "modules_loaded_after_first_build": modules[f"{name}+build"],
                },
            )
        )
    for name in FUNCTIONS:
        built = median(samples[f"{name}+build"])
        results.append(
            Result(
                name=f"first build functions/{name}/app.py",
                value=round(built * 1000, 1),
                unit="ms",
                baseline=round(built_baseline * 1000, 1),
                ratio=round(ratio(built, built_baseline), 3),
                goal="ratio <= 1.5",
                details={
                    "is": f"`import app` then `{FIRST_BUILD[name]}` (modules, clients, services), a new interpreter",
                    "baseline_is": "`import boto3` and one client (`boto3.client('dynamodb')`) in the same environment",
                    "repeats": repeats,
                    "runs_ms": [round(x * 1000, 1) for x in samples[f"{name}+build"]],
                    "baseline_runs_ms": [round(x * 1000, 1) for x in samples["boto3+client"]],
                    "modules_loaded": modules[f"{name}+build"],
                },
            )
        )
    return results


def main() -> None:
    add_paths()
    emit(run(repeats_from_argv(9)))


if __name__ == "__main__":
    if "--environment" in sys.argv:  # show what a handler is imported with
        print(json.dumps(lambda_environment(sys.argv[-1]), indent=2))
    else:
        main()
