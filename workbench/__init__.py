"""Qualiopi Workbench: prepare French training providers for their Qualiopi audits."""

__version__ = "0.1.0"
