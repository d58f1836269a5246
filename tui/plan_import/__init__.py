"""Turning Markdown plans (work-breakdown tables, ```yaml task specs, issue backlogs) into runbooks."""

from tui.plan_import.importer import import_plan, parse_plan, read_plan
from tui.plan_import.model import ImportReport, Note, Plan, PlanTask

__all__ = ["ImportReport", "Note", "Plan", "PlanTask", "import_plan", "parse_plan", "read_plan"]
