"""Hypothesis: random operation sequences against a plain FIFO model."""

from __future__ import annotations

from collections import deque

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ringbuffer import Claim, ClaimLost, RecordTooLarge, Ring

CAP, ARENA, MAXREC = 8, 256, 100
records = st.binary(min_size=0, max_size=MAXREC)


class RingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ring = Ring.create(capacity_records=CAP, arena_bytes=ARENA, max_record_bytes=MAXREC)
        self.pending: deque[bytes] = deque()
        self.held: list[tuple[Claim, list[bytes], int]] = []
        self.orphans: list[tuple[int, list[bytes], int]] = []  # re-queued by reclaim_dead
        # [records, token] per claim in claim order; a released claim's token becomes 0
        # but stays until all older are released, because space returns in order
        self.claimed: deque[list[int]] = deque()
        self.tokens = 0

    def _assert_refusal_plausible(self, size: int) -> None:
        s = self.ring.stats()
        # with exact byte accounting a refusal means no slot, or under 2x the size free
        assert s.occupancy == CAP or ARENA - s.bytes_in_use < 2 * size

    @rule(data=records)
    def try_push(self, data: bytes) -> None:
        if self.ring.try_push(data):
            self.pending.append(data)
        else:
            self._assert_refusal_plausible(len(data))

    @rule(batch=st.lists(records, min_size=1, max_size=6))
    def try_push_many(self, batch: list[bytes]) -> None:
        offs = [0]
        for b in batch:
            offs.append(offs[-1] + len(b))
        n = self.ring.try_push_many(b"".join(batch), offs)
        self.pending.extend(batch[:n])
        if n < len(batch):
            self._assert_refusal_plausible(len(batch[n]))

    @rule(extra=st.integers(1, 50))
    def oversize(self, extra: int) -> None:
        try:
            self.ring.try_push(b"o" * (MAXREC + extra))
        except RecordTooLarge:
            return
        raise AssertionError("oversize record accepted")

    @rule(max_records=st.integers(1, 10), max_bytes=st.integers(0, 300))
    def claim(self, max_records: int, max_bytes: int) -> None:
        c = self.ring.claim_batch(max_records, max_bytes, timeout=0)
        if c is None:
            assert not self.pending and not self.orphans
            return
        got = [bytes(r) for r in c.records()]
        assert c.buffer.tobytes() == b"".join(got)
        if self.orphans:  # re-queued claims come first, whole, whatever the limits
            i = next(i for i, o in enumerate(self.orphans) if o[0] == c.start)
            start, expected, token = self.orphans.pop(i)
            assert got == expected
            self.held.append((c, got, token))
            return
        assert 1 <= len(got) <= max_records
        assert len(got) == 1 or c.offsets[-1] <= max_bytes
        assert got == [self.pending.popleft() for _ in got]
        self.tokens += 1
        self.held.append((c, got, self.tokens))
        self.claimed.append([len(got), self.tokens])

    @precondition(lambda self: self.held)
    @rule(i=st.integers(0, 100))
    def release(self, i: int) -> None:
        c, got, token = self.held.pop(i % len(self.held))
        assert [bytes(r) for r in c.records()] == got  # untouched while held
        self.ring.release(c)
        next(e for e in self.claimed if e[1] == token)[1] = 0
        while self.claimed and self.claimed[0][1] == 0:
            self.claimed.popleft()

    @rule()
    def supervisor_declares_everyone_dead(self) -> None:
        n = self.ring.reclaim_dead(is_alive=lambda pid: False)
        assert n == sum(len(g) for _, g, _ in self.held)
        for c, got, token in self.held:
            self.orphans.append((c.start, got, token))
            with pytest.raises(ClaimLost):
                self.ring.release(c)
        self.held.clear()

    @invariant()
    def stats_agree(self) -> None:
        s = self.ring.stats()
        assert s.unclaimed == len(self.pending)
        assert s.reclaimed >= sum(len(g) for _, g, _ in self.orphans)
        assert s.occupancy == len(self.pending) + sum(n for n, _ in self.claimed)
        assert s.pushes - s.claims == len(self.pending)  # adopting an orphan is no new claim

    def teardown(self) -> None:
        self.held.clear()
        self.ring.close()
        self.ring.unlink()


TestRingModel = RingMachine.TestCase
TestRingModel.settings = settings(max_examples=150, stateful_step_count=60, deadline=None)
