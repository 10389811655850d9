"""Workflows of the dashboard. Views, tasks and management commands all call these."""
