"""How a drain fills a batch from the input ring: a real ring, no processes."""

from __future__ import annotations

import dataclasses
import time

from ringbuffer import Ring
from worker._drain import DrainSettings, _claim_batch

SETTINGS = DrainSettings("in", "reference", 64, 3_000, "same", 100, 1 << 20)


def _ring() -> Ring:
    return Ring.create(None, capacity_records=64, arena_bytes=1 << 16, max_record_bytes=1 << 12)


def test_a_partial_batch_does_not_wait_out_the_cap_when_nothing_more_comes() -> None:
    with _ring() as ring:
        ring.push_many(b"abc", [0, 1, 2, 3])
        started = time.monotonic()
        claims = _claim_batch(ring, SETTINGS)
        waited = time.monotonic() - started
        assert sum(len(claim) for claim in claims) == 3
        # the cap is 3 s: a fetch's records are all in the ring at once, so waiting longer
        # than a short pause only delays them
        assert waited < 1.0
        for claim in claims:
            ring.release(claim)


def test_records_waiting_in_the_ring_fill_the_batch_across_claims() -> None:
    one_record_claims = dataclasses.replace(SETTINGS, max_claim_bytes=1)
    with _ring() as ring:
        ring.push_many(b"abcde", [0, 1, 2, 3, 4, 5])
        claims = _claim_batch(ring, one_record_claims)
        assert [bytes(claim.buffer) for claim in claims] == [b"a", b"b", b"c", b"d", b"e"]
        for claim in claims:
            ring.release(claim)


def test_a_full_batch_stops_claiming() -> None:
    with _ring() as ring:
        ring.push_many(bytes(60), list(range(61)))
        claims = _claim_batch(ring, dataclasses.replace(SETTINGS, batch_size=40))
        assert sum(len(claim) for claim in claims) == 40
        for claim in claims:
            ring.release(claim)
