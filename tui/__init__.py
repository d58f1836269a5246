"""Patchbay: a keyboard-driven runbook of LLM-assisted development tasks."""

__version__ = "0.1.0"
