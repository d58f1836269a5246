"""The reviewer's decisions and position in a change set, like `git add -p`: each hunk is undecided,
accepted or rejected; hunks that could not be placed can only be rejected. Plain Python."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from itertools import accumulate
from typing import Literal

from tui.patch.model import ChangeSet, FileChange, Hunk

Decision = Literal["accepted", "rejected"]


def display_order(change: FileChange) -> list[Hunk]:
    """Hunks in the order they appear in the file (failed ones near where they were aimed)."""

    def position(hunk: Hunk) -> tuple[int, int]:
        if hunk.edit is not None:
            return hunk.edit.start, hunk.index
        if hunk.placement.closest is not None:
            return hunk.placement.closest[0] - 1, hunk.index
        return (hunk.stated_line or 1) - 1, hunk.index

    return sorted(change.hunks, key=position)


class ReviewState:
    def __init__(self, change_set: ChangeSet, decisions: Mapping[str, Decision] | None = None) -> None:
        """`decisions`: those carried from an earlier attempt (kept hunks stay accepted)."""
        self.change_set = change_set
        self.decisions: dict[str, Decision] = dict(decisions or {})
        self.file_index = 0
        # Review order is file by file; each file's hunks are sorted the first time they are needed,
        # so opening a 50,000-line change set sorts only the file it opens on.
        self._starts: list[int] = []  # place of each file's first hunk in review order, plus the total
        self._orders: dict[int, list[Hunk]] = {}  # file index -> its hunks in display order
        self._places: dict[int, dict[str, int]] = {}  # file index -> hunk id -> place in the file
        self._file_at: dict[str, int] | None = None  # hunk id -> file index, built when first asked
        self._index_hunks()
        self.hunk_id: str | None = None
        self._select_first_in_file()
        if self.decisions and self.hunk_id in self.decisions:
            self.next_undecided()  # a follow-up opens on what is new

    # -- where we are ---------------------------------------------------------------------------------
    @property
    def files(self) -> list[FileChange]:
        return self.change_set.files

    @property
    def current_file(self) -> FileChange | None:
        return self.files[self.file_index] if self.files else None

    @property
    def current_hunk(self) -> Hunk | None:
        place = self._place(self.hunk_id) if self.hunk_id is not None else None
        return self._at(place)[1] if place is not None else None

    def file_of(self, hunk_id: str) -> FileChange | None:
        index = self._file_index(hunk_id)
        return self.files[index] if index is not None else None

    def position(self) -> tuple[int, int]:
        """(1-based index of the current hunk among all hunks, number of hunks); 0 when none."""
        place = self._place(self.hunk_id) if self.hunk_id is not None else None
        return (place + 1 if place is not None else 0), self._starts[-1]

    def _index_hunks(self) -> None:
        self._starts = [0, *accumulate(len(change.hunks) for change in self.files)]
        self._orders = {}
        self._places = {}
        self._file_at = None

    def _order_of(self, index: int) -> list[Hunk]:
        order = self._orders.get(index)
        if order is None:
            order = self._orders[index] = display_order(self.files[index])
            self._places[index] = {hunk.id: place for place, hunk in enumerate(order)}
        return order

    def _file_index(self, hunk_id: str) -> int | None:
        # The current file answers most questions (is this hunk acceptable?) without the whole map.
        if self.files and hunk_id in self._places_of(self.file_index):
            return self.file_index
        if self._file_at is None:
            self._file_at = {
                hunk.id: index for index, change in enumerate(self.files) for hunk in change.hunks
            }
        return self._file_at.get(hunk_id)

    def _places_of(self, index: int) -> dict[str, int]:
        self._order_of(index)
        return self._places[index]

    def _place(self, hunk_id: str) -> int | None:
        """The hunk's place in review order, None when it is not in the change set."""
        index = self._file_index(hunk_id)
        return None if index is None else self._starts[index] + self._places_of(index)[hunk_id]

    def _at(self, place: int) -> tuple[int, Hunk]:
        """(file index, hunk) at a place in review order (files without hunks hold no place)."""
        index = bisect_right(self._starts, place) - 1
        return index, self._order_of(index)[place - self._starts[index]]

    def _in_order(self) -> Iterator[Hunk]:
        for index in range(len(self.files)):
            yield from self._order_of(index)

    def unit(self) -> str:
        """What the review calls one change: `hunk`, `block` or a whole file's `change` when every
        file is written one way, else `change`."""
        units = {change.unit for change in self.files if change.hunks}
        return units.pop() if len(units) == 1 else "change"

    def counts(self) -> tuple[int, int, int]:
        """(accepted, rejected, undecided)."""
        accepted = sum(1 for value in self.decisions.values() if value == "accepted")
        rejected = sum(1 for value in self.decisions.values() if value == "rejected")
        return accepted, rejected, self._starts[-1] - accepted - rejected

    def acceptable(self, hunk: Hunk | None) -> bool:
        if hunk is None or not hunk.placement.placed or hunk.edit is None:
            return False
        change = self.file_of(hunk.id)
        return change is not None and change.error is None

    def acceptable_id(self, hunk_id: str) -> bool:
        change = self.file_of(hunk_id)
        hunk = next((h for h in change.hunks if h.id == hunk_id), None) if change else None
        return self.acceptable(hunk)

    def accepted_ids(self) -> set[str]:
        return {hunk_id for hunk_id, value in self.decisions.items() if value == "accepted"}

    def undecided_ids(self) -> list[str]:
        """Hunks with no decision yet, in review order (failed hunks included: they need a `n`)."""
        return [hunk.id for hunk in self._in_order() if hunk.id not in self.decisions]

    def accepted_files(self) -> list[FileChange]:
        chosen = self.accepted_ids()
        return [change for change in self.files if chosen & set(change.hunk_ids)]

    # -- decisions ------------------------------------------------------------------------------------
    def accept_current(self) -> bool:
        """Accept the current hunk and move to the next undecided one; False if it cannot be accepted."""
        hunk = self.current_hunk
        if not self.acceptable(hunk):
            return False
        assert hunk is not None
        self.decisions[hunk.id] = "accepted"
        self.next_undecided()
        return True

    def reject_current(self) -> bool:
        hunk = self.current_hunk
        if hunk is None:
            return False
        self.decisions[hunk.id] = "rejected"
        self.next_undecided()
        return True

    def decide_rest_of_file(self, decision: Decision) -> int:
        """The current hunk and every later undecided hunk of the file; returns how many changed."""
        change = self.current_file
        if change is None:
            return 0
        hunks = self._order_of(self.file_index)
        start = next((n for n, hunk in enumerate(hunks) if hunk.id == self.hunk_id), 0)
        changed = 0
        for hunk in hunks[start:]:
            if hunk.id in self.decisions and hunk.id != self.hunk_id:
                continue
            if decision == "accepted" and not self.acceptable(hunk):
                continue
            self.decisions[hunk.id] = decision
            changed += 1
        self.next_undecided()
        return changed

    def accept_everything(self) -> int:
        return self._accept(lambda hunk: self.decisions.get(hunk.id) != "accepted")

    def accept_undecided(self) -> int:
        """Every undecided hunk that can be accepted; rejections stand."""
        return self._accept(lambda hunk: hunk.id not in self.decisions)

    def reject_undecided(self) -> int:
        undecided = self.undecided_ids()
        for hunk_id in undecided:
            self.decisions[hunk_id] = "rejected"
        return len(undecided)

    def _accept(self, wanted: Callable[[Hunk], bool]) -> int:
        changed = 0
        for hunk in self._in_order():
            if self.acceptable(hunk) and wanted(hunk):
                self.decisions[hunk.id] = "accepted"
                changed += 1
        return changed

    def replace_file(self, index: int, change: FileChange) -> None:
        """A file's hunks were rebuilt (edited in $EDITOR): forget decisions on its old hunks."""
        old = self.files[index]
        for hunk_id in old.hunk_ids:
            self.decisions.pop(hunk_id, None)
        self.change_set.files[index] = change
        self._index_hunks()
        if self.file_index == index:
            self._select_first_in_file()

    def reindex(self, select: str | None = None) -> None:
        """Hunks changed in place (one was regenerated): decisions on hunks gone are forgotten and
        `select` becomes the current hunk."""
        self._index_hunks()
        for hunk_id in [hunk_id for hunk_id in self.decisions if self._file_index(hunk_id) is None]:
            del self.decisions[hunk_id]
        where = self._file_index(select) if select is not None else None
        if where is not None:
            self.file_index, self.hunk_id = where, select
        elif self.hunk_id is None or self._file_index(self.hunk_id) is None:
            self._select_first_in_file()

    # -- moving ---------------------------------------------------------------------------------------
    def next_undecided(self) -> None:
        """Forward to the next undecided hunk (wrapping); stay put when none is left."""
        start, count = self.position()
        for step in range(1, count + 1):
            file_index, hunk = self._at((start - 1 + step) % count)
            if hunk.id not in self.decisions:
                self.file_index, self.hunk_id = file_index, hunk.id
                return

    def move_hunk(self, step: int) -> bool:
        index, total = self.position()
        target = index - 1 + step
        if not total or target < 0 or target >= total:
            return False
        self.file_index, hunk = self._at(target)
        self.hunk_id = hunk.id
        return True

    def move_file(self, step: int) -> bool:
        target = self.file_index + step
        if target < 0 or target >= len(self.files):
            return False
        self.file_index = target
        self._select_first_in_file()
        return True

    def _select_first_in_file(self) -> None:
        hunks = self._order_of(self.file_index) if self.files else []
        self.hunk_id = hunks[0].id if hunks else None
