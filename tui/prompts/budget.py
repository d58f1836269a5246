"""Token budgets: a prompt must fit the task's budget and the model's context window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetCheck:
    tokens: int
    exact: bool  # False when the count is an estimate (servers without a tokenize endpoint)
    budget: int | None
    context_limit: int | None  # the model's max_seq_len minus max_new_tokens

    @property
    def limit(self) -> int | None:
        limits = [value for value in (self.budget, self.context_limit) if value]
        return min(limits) if limits else None

    @property
    def over(self) -> bool:
        return self.limit is not None and self.tokens > self.limit

    def label(self) -> str:
        """`1,432 / 2,000 tokens` (with `~` for an estimate), as the prompt pane shows it."""
        count = f"{'~' if not self.exact else ''}{self.tokens:,}"
        return (
            f"{count} / {self.limit:,} tokens"
            if self.limit
            else f"{count} token{'' if self.tokens == 1 else 's'}"
        )

    def explain(self) -> str:
        """One sentence for an over-budget prompt, with the numbers."""
        parts = []
        if self.budget and self.tokens > self.budget:
            parts.append(f"the task's context_budget of {self.budget:,}")
        if self.context_limit and self.tokens > self.context_limit:
            parts.append(f"the model's context left for the prompt ({self.context_limit:,})")
        estimate = " (estimated)" if not self.exact else ""
        return f"the prompt is {self.tokens:,} tokens{estimate}, over " + " and ".join(parts)


def check_budget(
    tokens: int,
    *,
    exact: bool = True,
    budget: int | None,
    max_seq_len: int | None = None,
    max_new_tokens: int | None = None,
) -> BudgetCheck:
    context_limit = None
    if max_seq_len:
        context_limit = max(max_seq_len - (max_new_tokens or 0), 0)
    return BudgetCheck(tokens=tokens, exact=exact, budget=budget, context_limit=context_limit)
