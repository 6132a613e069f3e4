"""Logger, Tracer and Metrics, created once; every handler wears the same decorators."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "srevents"
NAMESPACE = "SmartRecruitersEvents"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
