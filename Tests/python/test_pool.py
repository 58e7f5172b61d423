"""dmms.Pool, method by method, against what the library reports by its
other channels (stats against blocks, show against snapshot, ...)."""

import collections
import ctypes
import inspect
import re
import threading

import pytest

import dmms
from dmms import abi


def _line():
    """The line number of the caller."""
    return inspect.currentframe().f_back.f_lineno


def test_alloc_and_free_round_trip(pool):
    before = pool.stats()
    ptr = pool.alloc(100)
    assert ptr % 16 == 0
    ctypes.memset(ptr, 0x5A, 100)
    assert ctypes.string_at(ptr, 100) == b"\x5a" * 100
    during = pool.stats()
    assert (during.blocks_alloc, during.bytes_requested, during.total_allocs) == \
        (before.blocks_alloc + 1, before.bytes_requested + 100, before.total_allocs + 1)
    pool.free(ptr)
    after = pool.stats()
    assert (after.blocks_alloc, after.bytes_requested, after.bytes_alloc) == \
        (before.blocks_alloc, before.bytes_requested, before.bytes_alloc)
    assert after.total_frees == before.total_frees + 1


def test_alloc_records_the_python_call_site_the_thread_and_a_sequence(pool):
    first = pool.alloc(10); first_line = _line()
    second = pool.alloc(20); second_line = _line()
    blocks = {block.ptr: block for block in pool.blocks()}
    assert (blocks[first].file, blocks[first].line, blocks[first].seq) == (__file__, first_line, 1)
    assert (blocks[second].file, blocks[second].line, blocks[second].seq) == (__file__, second_line, 2)
    assert blocks[first].owner == blocks[second].owner == threading.get_native_id()
    pool.free(first)
    pool.free(second)


def test_blocks_are_the_live_buffers_in_address_order(pool):
    sizes = [1, 31, 100, 1000, 5000, 40_000, 0]
    buffers = {pool.alloc(size): size for size in sizes}
    pool.free(next(iter(buffers)))
    del buffers[next(iter(buffers))]
    blocks = pool.blocks()
    assert [block.ptr for block in blocks] == sorted(buffers)
    assert {block.ptr: block.requested for block in blocks} == buffers
    for block in blocks:
        assert block.block_size & (block.block_size - 1) == 0
        assert block.block_size >= block.requested + 8          # the default guard fits
    stats = pool.stats()
    assert sum(block.block_size for block in blocks) == stats.bytes_alloc
    assert len(blocks) == stats.blocks_alloc
    for ptr in buffers:
        pool.free(ptr)


def test_stats_orders_match_the_blocks(pool):
    buffers = [pool.alloc(size) for size in (10, 10, 10, 300, 300, 3000)]
    stats = pool.stats()
    assert (stats.pool_bytes, stats.min_block, stats.coalesce) == (1 << 20, 32, "lazy")
    assert stats.overhead_bytes > 0
    assert [o.block_size for o in stats.orders] == [32 << k for k in range(16)]
    assert [o.order for o in stats.orders] == list(range(16))
    in_use = collections.Counter(block.block_size for block in pool.blocks())
    assert {o.block_size: o.in_use for o in stats.orders if o.in_use} == in_use
    assert all(o.high_water >= o.in_use and o.allocs >= o.in_use for o in stats.orders)
    assert stats.bytes_free + stats.bytes_alloc == stats.pool_bytes
    for ptr in buffers:
        pool.free(ptr)


@pytest.mark.parametrize("policy, lazily_free", [("lazy", 1), ("eager", 0), ("on_demand", 1)])
def test_each_coalescing_policy(policy, lazily_free):
    with dmms.Pool(1 << 16, coalesce=policy) as pool:
        # Three 128-byte blocks: the first two are buddies, the third has a
        # free buddy. Freeing the first leaves N=4, L=0, G=1 at that size:
        # the slack rule (D = N - 2L - G = 3) keeps it lazily free; EAGER
        # frees it globally (its buddy is live: no join); ON_DEMAND never joins.
        buffers = [pool.alloc(100) for _ in range(3)]
        pool.free(buffers[0])
        stats = pool.stats()
        assert stats.coalesce == policy == pool.snapshot()["config"]["coalesce"]
        assert stats.orders[2].lazy_free == lazily_free
        assert stats.orders[2].free_blocks == 2
        for ptr in buffers[1:]:
            pool.free(ptr)


def test_an_unknown_policy_is_refused_before_the_library_sees_it():
    with pytest.raises(ValueError, match="lazy, eager, on_demand"):
        dmms.Pool(1 << 16, coalesce="sometimes")


def test_options_reach_the_library():
    with dmms.Pool(1 << 16, name="options", min_block=64, guard=0, track=False) as pool:
        config = pool.snapshot()["config"]
        assert (config["name"], config["min_block"], config["guard"], config["track_owner"],
                config["thread_safe"]) == ("options", 64, False, False, True)
        ptr = pool.alloc(64)
        assert pool.blocks()[0].block_size == 64                # no guard byte to make room for
        assert (pool.blocks()[0].owner, pool.blocks()[0].file) == (0, None)
        ctypes.memset(ptr + 64, 0xFF, 1)                         # nobody is watching
        pool.free(ptr)
    with dmms.Pool(1 << 16, guard=32, thread_safe=False, fill_free=True) as pool:
        config = pool.snapshot()["config"]
        assert (config["guard_bytes"], config["thread_safe"], config["fill_free"]) == (32, False, True)


def test_calloc_zeroes_and_aligned_alloc_aligns(pool):
    dirty = pool.alloc(1000)
    ctypes.memset(dirty, 0xEE, 1000)
    pool.free(dirty)
    zeroed = pool.calloc(10, 100)
    assert ctypes.string_at(zeroed, 1000) == bytes(1000)
    aligned = pool.aligned_alloc(4096, 10)
    assert aligned % 4096 == 0
    assert dmms.usable_size(aligned) == 10
    pool.free(zeroed)
    pool.free(aligned)


def test_realloc_keeps_the_contents_and_counts_one_free_and_one_alloc(pool):
    ptr = pool.alloc(100)
    ctypes.memmove(ptr, bytes(range(100)), 100)
    before = pool.stats()
    grown = pool.realloc(ptr, 5000)
    after = pool.stats()
    assert ctypes.string_at(grown, 100) == bytes(range(100))
    assert dmms.usable_size(grown) == 5000
    assert (after.total_allocs, after.total_frees) == (before.total_allocs + 1, before.total_frees + 1)
    shrunk = pool.realloc(grown, 10)
    assert ctypes.string_at(shrunk, 10) == bytes(range(10))
    assert [block.requested for block in pool.blocks()] == [10]
    pool.free(shrunk)


def test_usable_size_is_zero_for_anything_but_a_live_buffer(pool):
    ptr = pool.alloc(77)
    assert dmms.usable_size(ptr) == 77
    pool.free(ptr)
    assert dmms.usable_size(ptr) == 0
    assert dmms.usable_size(None) == 0


def test_show_levels(pool):
    ptr = pool.alloc(100); line = _line()
    tables = [pool.show(level) for level in range(4)]
    assert "current" in tables[0] and "cumulative" in tables[0]
    assert "high_water" not in tables[0]
    assert "high_water" in tables[1]
    assert re.search(rf"suggested_pool_size +{pool.suggest_pool_size()}\b", tables[1])
    assert f"{ptr:#x}" not in tables[1]
    assert f"{ptr:#x}" in tables[2] and f"test_pool.py:{line}" in tables[2]
    for shorter, longer in zip(tables, tables[1:]):
        assert longer.startswith(shorter.rstrip("\n").rsplit("\n", 1)[0])  # each adds to the last
        assert len(longer.splitlines()) > len(shorter.splitlines())
    pool.free(ptr)


def test_mark_and_leaks(pool):
    assert pool.mark() == 0
    kept = pool.alloc(10)
    mark = pool.mark()
    assert mark == 1
    leaked = [pool.alloc(size) for size in (200, 300)]
    freed = pool.alloc(400)
    pool.free(freed)
    leaks = pool.leaks(mark)
    assert [block.ptr for block in leaks] == sorted(leaked)
    assert sorted(block.seq for block in leaks) == [2, 3]
    assert leaks[0] in pool.blocks()                       # the same records
    assert len(pool.leaks(0)) == 3
    assert pool.leaks(pool.mark()) == []
    for ptr in leaked + [kept]:
        pool.free(ptr)


def test_leak_report_groups_by_owner_and_call_site_largest_first(pool):
    small = [pool.alloc(10) for _ in range(3)]; small_line = _line()
    large = pool.alloc(1000); large_line = _line()
    report = pool.leak_report(0)
    lines = report.splitlines()
    assert "4 buffers" in lines[0]
    assert f"test_pool.py:{large_line}" in lines[1] and "1000 bytes" in lines[1]
    assert f"test_pool.py:{small_line}" in lines[2] and "30 bytes" in lines[2]
    for ptr in small + [large]:
        pool.free(ptr)


def test_check_finds_a_damaged_guard_of_a_live_buffer(pool):
    assert pool.check() == 0
    ptr = pool.alloc(24)
    ctypes.memset(ptr + 24, 0, 1)
    assert pool.check() == 1
    assert pool.errors[-1].status == dmms.DMMS_E_OVERRUN and pool.errors[-1].offset == 24
    with pytest.raises(dmms.DMMSError):
        pool.free(ptr)                                        # freed all the same
    assert pool.check() == 0


def test_snapshot_agrees_with_stats_and_blocks(pool):
    buffers = [pool.alloc(size) for size in (10, 100, 1000, 10_000)]
    pool.free(buffers.pop(1))
    snapshot = pool.snapshot()
    stats = pool.stats()
    assert snapshot["dmms_version"] == dmms.version()
    for name in ("pool_bytes", "bytes_alloc", "bytes_requested", "total_allocs", "merges"):
        assert snapshot["stats"][name] == getattr(stats, name)
    assert snapshot["stats"]["suggested_pool_size"] == pool.suggest_pool_size()
    assert [o["in_use"] for o in snapshot["orders"]] == [o.in_use for o in stats.orders]
    assert [int(b["ptr"], 16) for b in snapshot["buffers"]] == [b.ptr for b in pool.blocks()]
    owners = {owner["id"]: owner for owner in snapshot["owners"]}
    for buffer in snapshot["buffers"]:
        assert owners[buffer["owner_id"]]["file"] == buffer["file"] == __file__
    # The map covers the region exactly, its allocated runs are the buffers.
    (region,) = snapshot["map"]["regions"]
    runs = region["blocks"]
    assert sum(count * (32 << order) for _, order, _, _, count in runs) == region["bytes"] == 1 << 20
    allocated = [region_offset for region_offset, _, state, _, count in runs if state == "a"
                 for _ in range(count)]
    start = int(region["start"], 16)
    assert [start + offset for offset in allocated] == [b.ptr for b in pool.blocks()]
    for ptr in buffers:
        pool.free(ptr)


def test_snapshot_parses_whatever_bytes_a_file_name_holds(pool):
    odd = b'we"ird\\name\n\t\x01\x7f\xff\xfe.c'      # quote, backslash, controls, not UTF-8
    lib = abi.library()
    ptr = lib.dmms_pool_alloc_at(pool.handle, 10, odd, 7)     # `odd` outlives the buffer
    (buffer,) = pool.snapshot()["buffers"]
    assert buffer["file"].startswith('we"ird\\name\n\t\x01\x7f') and buffer["line"] == 7
    assert pool.blocks()[0].file.startswith('we"ird\\name\n\t')
    pool.free(ptr)


def test_suggest_pool_size_and_reset_peaks(pool):
    buffers = [pool.alloc(1000) for _ in range(8)]      # 8 blocks of 1 KiB at the peak
    for ptr in buffers[2:]:
        pool.free(ptr)
    order = next(o for o in pool.stats().orders if o.block_size == 1024)
    assert (order.in_use, order.high_water) == (2, 8)
    suggested = pool.suggest_pool_size()
    assert suggested >= 8 * 1024
    pool.reset_peaks()
    order = next(o for o in pool.stats().orders if o.block_size == 1024)
    assert order.high_water == 2
    assert pool.suggest_pool_size() < suggested
    assert pool.stats().max_bytes_alloc == pool.stats().bytes_alloc
    for ptr in buffers[:2]:
        pool.free(ptr)


def test_leaving_the_with_block_destroys_the_pool():
    with dmms.Pool(1 << 16, name="short") as pool:
        pool.free(pool.alloc(10))
    assert pool.closed
    pool.close()                                              # again: nothing to do
    # A closed pool must never fall back to NULL, the default pool.
    with pytest.raises(ValueError, match="closed"):
        pool.alloc(10)
    with pytest.raises(ValueError, match="closed"):
        pool.stats()


def test_demand_joins_count_requests_that_joined_lazy_blocks():
    with dmms.Pool(1 << 16, name="demand", coalesce="on_demand") as pool:
        small = [pool.alloc(10) for _ in range(64)]     # splits the pool down to 32-byte blocks
        for ptr in small:
            pool.free(ptr)                              # all stay lazily free
        assert pool.demand_joins() == 0
        whole = pool.alloc((1 << 16) - 16)              # the whole pool: they must be joined
        assert pool.demand_joins() == 1
        pool.free(whole)
        assert pool.check() == 0


def test_a_pool_without_a_name_has_the_library_default():
    """name=None is a NULL name, which C accepts: the library shows "pool"."""
    with dmms.Pool(1 << 16, name=None) as pool:
        assert pool.snapshot()["config"]["name"] == "pool"
        assert pool.show().startswith("pool 'pool':")
        assert pool.name == "pool" and "'pool'" in repr(pool)
        pool.free(pool.alloc(10))


def test_a_join_budget_fails_a_request_and_keeps_the_joins():
    # Every free stays lazy under on_demand: a request for the whole pool
    # needs all of them joined back, 8 per call at most.
    with dmms.Pool(1 << 12, coalesce="on_demand", max_joins=8, guard=0, track=False) as pool:
        blocks = [pool.alloc(32) for _ in range(128)]
        for b in blocks:
            pool.free(b)
        failures = 0
        while True:
            try:
                whole = pool.alloc(1 << 12)
                break
            except dmms.DMMSError as e:
                assert e.status == abi.DMMS_E_NO_MEMORY
                assert "join budget" in str(e)
                failures += 1
        assert failures == 128 // 8 - 1
        assert pool.snapshot()["stats"]["most_joins_in_a_call"] == 8
        pool.free(whole)


def test_timeline_sample_agrees_with_stats(pool):
    kept = [pool.alloc(100) for _ in range(5)]
    pool.free(kept.pop())
    sample = pool.timeline_sample()
    stats = pool.stats()
    assert sample["pool"] == "test" and sample["seq"] == 5
    assert sample["bytes_requested"] == 400 and sample["bytes_in_use"] == stats.bytes_alloc
    assert sample["bytes_peak"] == stats.max_bytes_alloc and sample["errors"] == 0
    row = next(o for o in stats.orders if o.allocs)
    assert sample["sizes"] == {str(row.block_size): [row.in_use, row.high_water, row.lazy_free, row.allocs, 0]}
    for ptr in kept:
        pool.free(ptr)
