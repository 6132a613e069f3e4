"""srevents: polling events for SmartRecruiters, as a serverless service."""

__version__ = "0.1.0"
PRODUCT = "srevents"
