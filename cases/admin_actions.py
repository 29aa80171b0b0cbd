"""Workflow transitions offered as Django admin actions on Case (filled by the workflow work)."""

CASE_ACTIONS: list = []
