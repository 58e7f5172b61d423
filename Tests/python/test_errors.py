"""Every status the library reports, provoked from Python: each raises
DMMSError with that status and the library's report, leaves every figure but
its error counter as it was, leaves dmms_check clean, and prints nothing (the
binding routes the report into the exception and Pool.errors)."""

import ctypes
import dataclasses
import threading

import pytest

import dmms
from dmms import abi


@pytest.fixture(autouse=True)
def nothing_on_stderr(capfd):
    yield
    assert capfd.readouterr().err == ""


def _figures(pool, **changed):
    """The pool's stats as a dict, with `changed` counters added in."""
    figures = dataclasses.asdict(pool.stats())
    for name, delta in changed.items():
        figures[name] += delta
    return figures


def _raises(status, call, *args):
    with pytest.raises(dmms.DMMSError) as caught:
        call(*args)
    error = caught.value
    assert error.status == status
    assert str(error).startswith(f"{dmms.status_name(status)}")
    assert error.report is not None and error.report.status == status
    return error


def test_double_free(pool):
    ptr = pool.alloc(100)
    pool.free(ptr)
    expected = _figures(pool, double_frees=1)
    error = _raises(dmms.DMMS_E_DOUBLE_FREE, pool.free, ptr)
    assert error.report.ptr == ptr and "already free" in str(error)
    assert _figures(pool) == expected
    assert pool.errors[-1] == error.report
    assert pool.check() == 0


def test_interior_pointer(pool):
    ptr = pool.alloc(100)
    expected = _figures(pool, bad_frees=1)
    error = _raises(dmms.DMMS_E_NOT_BLOCK, pool.free, ptr + 16)
    assert error.report.ptr == ptr + 16 and "not the start of a buffer" in str(error)
    assert _figures(pool) == expected
    assert pool.check() == 0
    pool.free(ptr)


def test_foreign_pointer(pool):
    foreign = ctypes.create_string_buffer(64)
    expected = _figures(pool, bad_frees=1)
    error = _raises(dmms.DMMS_E_NOT_OWNED, pool.free, ctypes.addressof(foreign))
    assert "not in the pool" in str(error)
    assert _figures(pool) == expected
    assert pool.check() == 0


def test_overrun_by_one_byte_is_reported_with_its_offset_and_the_buffer_freed(pool):
    expected = _figures(pool, overruns=1, total_allocs=1, total_frees=1)
    ptr = pool.alloc(40)
    ctypes.memset(ptr + 40, 0x40, 1)                 # one byte past the end (even: guard bytes are odd)
    error = _raises(dmms.DMMS_E_OVERRUN, pool.free, ptr)
    report = error.report
    assert (report.ptr, report.requested, report.offset) == (ptr, 40, 40)
    assert report.owner == report.caller == threading.get_native_id()
    assert report.file == __file__
    assert "first damaged byte at offset 40" in str(error)
    after = _figures(pool)
    for name in ("blocks_alloc", "bytes_alloc", "bytes_requested", "overruns", "total_frees"):
        assert after[name] == expected[name], name
    assert pool.blocks() == []
    assert pool.check() == 0


def test_no_memory_on_alloc(pool):
    expected = _figures(pool, failed_allocs=1)
    error = _raises(dmms.DMMS_E_NO_MEMORY, pool.alloc, 2 << 20)     # larger than the pool
    assert error.report.requested == 2 << 20
    assert _figures(pool) == expected
    whole = pool.alloc(600_000)                                    # takes the 1 MiB block
    expected = _figures(pool, failed_allocs=1)
    expected["orders"][0]["failures"] += 1
    _raises(dmms.DMMS_E_NO_MEMORY, pool.alloc, 1)
    assert _figures(pool) == expected
    assert pool.check() == 0
    pool.free(whole)


def test_no_memory_on_realloc_leaves_the_old_buffer_untouched(pool):
    ptr = pool.alloc(100)
    ctypes.memmove(ptr, bytes(range(100)), 100)
    blocks = pool.blocks()
    expected = _figures(pool, failed_allocs=1)
    _raises(dmms.DMMS_E_NO_MEMORY, pool.realloc, ptr, 2 << 20)
    assert _figures(pool) == expected
    assert pool.blocks() == blocks
    assert ctypes.string_at(ptr, 100) == bytes(range(100))
    assert pool.check() == 0
    pool.free(ptr)


def test_realloc_of_a_freed_buffer_gives_the_status_free_would(pool):
    ptr = pool.alloc(100)
    pool.free(ptr)
    _raises(dmms.DMMS_E_DOUBLE_FREE, pool.realloc, ptr, 200)
    assert pool.blocks() == []


@pytest.mark.parametrize("config", [{"min_block": 24}, {"min_block": 8192}, {"guard": 65}])
def test_invalid_config(config):
    _raises(dmms.DMMS_E_INVALID_ARG, lambda: dmms.Pool(1 << 16, **config))


def test_invalid_alignment(pool):
    expected = _figures(pool)
    _raises(dmms.DMMS_E_INVALID_ARG, pool.aligned_alloc, 3, 10)
    assert _figures(pool) == expected


def test_busy_pool_is_not_destroyed():
    pool = dmms.Pool(1 << 16, name="busy")
    ptr = pool.alloc(10)
    _raises(dmms.DMMS_E_BUSY, pool.close)
    assert not pool.closed
    pool.free(ptr)                                   # still a working pool
    pool.close()
    assert pool.closed


def test_busy_exit_does_not_hide_the_exception_in_flight():
    with pytest.raises(KeyError) as caught:
        with dmms.Pool(1 << 16, name="busy") as pool:
            ptr = pool.alloc(10)
            raise KeyError("the real problem")
    assert "DMMS_E_BUSY" in caught.value.__notes__[0]
    pool.free(ptr)
    pool.close()


def test_damaged_record_is_quarantined(pool):
    ptr = pool.alloc(100)                            # a 128-byte block
    (block,) = pool.blocks()
    # The owner record sits at the end of the block, past the guard bytes:
    # damage it and leave the guard alone.
    ctypes.memset(ptr + block.block_size - 16, 0x77, 16)
    error = _raises(dmms.DMMS_E_CORRUPT, pool.free, ptr)
    assert "quarantined" in str(error)
    snapshot = pool.snapshot()
    assert snapshot["stats"]["corruptions"] == 1
    assert snapshot["stats"]["bytes_quarantined"] == block.block_size
    assert [run[2] for run in snapshot["map"]["regions"][0]["blocks"]].count("q") == 1
    assert pool.blocks() == []                       # no longer live ...
    assert pool.check() == 0                         # ... nor a problem
    assert pool.alloc(100) != ptr                    # ... and never reused
    pool.free(pool.blocks()[0].ptr)


def test_write_after_free_is_found_with_fill_free():
    with dmms.Pool(1 << 16, name="fill", fill_free=True) as pool:
        kept = pool.alloc(100)                       # so that the freed block stays a block
        ptr = pool.alloc(100)
        pool.free(ptr)
        ctypes.memset(ptr + 32, 0x12, 4)
        assert pool.check() == 1
        report = pool.errors[-1]
        assert (report.status, report.ptr, report.offset) == (dmms.DMMS_E_WRITE_AFTER_FREE, ptr, 32)
        # Reusing the block reports it again (the allocation still succeeds)
        # and counts it.
        again = pool.alloc(100)
        assert again == ptr
        assert [e.status for e in pool.errors] == [dmms.DMMS_E_WRITE_AFTER_FREE] * 2
        assert pool.snapshot()["stats"]["writes_after_free"] == 1
        assert pool.check() == 0
        pool.free(again)
        pool.free(kept)


def test_reports_outside_any_pool_call_still_reach_stderr(capfd):
    """Only the calls the binding makes are routed; others keep the default."""
    lib = abi.library()
    assert lib.dmms_free(ctypes.addressof(ctypes.create_string_buffer(64))) == \
        dmms.DMMS_E_NOT_OWNED
    assert "dmms: DMMS_E_NOT_OWNED" in capfd.readouterr().err


# ---- integers a C argument cannot hold ---------------------------------------------
# ctypes passes an int modulo 2^bits of the C type: 2**64 + 10 would reach
# dmms_pool_alloc as 10. Such a value must be refused before the library sees it.
BEYOND_SIZE_T = [1 << 64, (1 << 64) + 10, (1 << 64) + (1 << 20), 1 << 100]


def _refused(status, call, *args):
    """`call` raises DMMSError with `status` without reaching the library
    (nothing it could report: the value cannot be passed to it)."""
    with pytest.raises(dmms.DMMSError) as caught:
        call(*args)
    assert caught.value.status == status
    assert str(caught.value).startswith(dmms.status_name(status))
    return caught.value


@pytest.mark.parametrize("size", BEYOND_SIZE_T)
def test_sizes_beyond_size_t_cannot_be_met(pool, size):
    """As for SIZE_MAX, the largest size_t: DMMS_E_NO_MEMORY, no buffer."""
    kept = pool.alloc(100)
    ctypes.memmove(kept, bytes(range(100)), 100)
    blocks = pool.blocks()
    expected = _figures(pool)
    _refused(dmms.DMMS_E_NO_MEMORY, pool.alloc, size)
    _refused(dmms.DMMS_E_NO_MEMORY, pool.calloc, size, 1)
    _refused(dmms.DMMS_E_NO_MEMORY, pool.calloc, 1, size)
    _refused(dmms.DMMS_E_NO_MEMORY, pool.calloc, size, 0)    # no product: an argument C cannot hold
    _refused(dmms.DMMS_E_NO_MEMORY, pool.aligned_alloc, 64, size)
    _refused(dmms.DMMS_E_NO_MEMORY, pool.realloc, kept, size)
    assert pool.blocks() == blocks                           # nothing allocated, nothing moved
    assert ctypes.string_at(kept, 100) == bytes(range(100))
    assert _figures(pool) == expected
    pool.free(kept)


@pytest.mark.parametrize("size", [-1, -10, -(1 << 64) + 10])
def test_negative_sizes_are_refused(pool, size):
    kept = pool.alloc(10)
    for call, args in ((pool.alloc, (size,)), (pool.calloc, (size, 1)), (pool.calloc, (1, size)),
                       (pool.aligned_alloc, (64, size)), (pool.realloc, (kept, size))):
        with pytest.raises(ValueError, match="(size|count) -[0-9]+ is out of range"):
            call(*args)
    assert [block.ptr for block in pool.blocks()] == [kept]
    pool.free(kept)


def test_pointers_beyond_64_bits_are_refused(pool):
    ptr = pool.alloc(10)
    for wrong in (ptr + (1 << 64), ptr - (1 << 64), -ptr, -1):
        with pytest.raises(ValueError, match="ptr"):
            pool.free(wrong)
        with pytest.raises(ValueError, match="ptr"):
            pool.realloc(wrong, 20)
        with pytest.raises(ValueError, match="ptr"):
            dmms.usable_size(wrong)
    assert [block.ptr for block in pool.blocks()] == [ptr]  # still live: never freed
    assert dmms.usable_size(ptr) == 10
    pool.free(ptr)


@pytest.mark.parametrize("config", [
    {"guard": 1 << 32}, {"guard": (1 << 32) + 8}, {"guard": -1},
    {"min_block": (1 << 32) + 32}, {"min_block": -32},
    {"size": (1 << 64) + (1 << 16)}, {"size": -(1 << 16)},
])
def test_config_beyond_its_c_type_is_invalid(config):
    """As for any configuration the library refuses: DMMS_E_INVALID_ARG."""
    arguments = {"size": 1 << 16, **config}
    _refused(dmms.DMMS_E_INVALID_ARG, lambda: dmms.Pool(**arguments))


@pytest.mark.parametrize("alignment", [(1 << 64) + 64, 1 << 64, -64])
def test_alignment_beyond_size_t_is_invalid(pool, alignment):
    expected = _figures(pool)
    _refused(dmms.DMMS_E_INVALID_ARG, pool.aligned_alloc, alignment, 10)
    assert pool.blocks() == [] and _figures(pool) == expected


def test_other_integers_beyond_their_c_type_are_refused(pool):
    with pytest.raises(ValueError, match="level"):
        pool.show((1 << 32) + 1)                             # int32_t
    with pytest.raises(ValueError, match="level"):
        pool.show(-(1 << 31) - 1)
    with pytest.raises(ValueError, match="since"):
        pool.leak_report(-1)                                 # uint64_t
    with pytest.raises(ValueError, match="since"):
        pool.leak_report(1 << 64)
    with pytest.raises(ValueError, match="status"):
        dmms.status_name((1 << 32) + dmms.DMMS_E_OVERRUN)    # int32_t
    with pytest.raises(TypeError):
        pool.alloc(10.0)                                     # not an integer at all
