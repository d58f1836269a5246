"""Rendering prompts from templates and working-tree slices; token budgets."""
