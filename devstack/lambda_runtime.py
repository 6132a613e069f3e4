"""What the Lambda runtime gives a handler: its module loaded from `functions/<name>/app.py`, a context."""

from __future__ import annotations

import importlib.util
import itertools
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
_counter = itertools.count(1)


def load_handler_module(function: str) -> ModuleType:
    """Import `functions/<function>/app.py` afresh (as Lambda does at each cold start)."""
    path = REPO / "functions" / function / "app.py"
    name = f"srevents_function_{function}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class LambdaContext:
    """The attributes of the real context that Powertools and our handlers read."""

    function_name: str = "srevents-function"
    timeout_seconds: float = 300.0
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))
