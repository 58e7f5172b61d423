"""One pool used from several Python threads at once (ctypes releases the GIL
around each call, so the library's lock is what keeps the pool whole)."""

import ctypes
import random
import threading

import dmms


def test_a_pool_shared_by_four_threads():
    with dmms.Pool(1 << 22, name="threads") as pool:
        top_blocks = pool.stats().blocks_free
        live = {}                   # thread id -> [(ptr, size)] it still holds
        allocations = []            # how many each thread made
        failures = []
        start = threading.Barrier(4)

        def worker(seed):
            try:
                rng = random.Random(seed)
                mine = []
                made = 0
                start.wait()
                for _ in range(3000):
                    if mine and rng.random() < 0.45:
                        ptr, size = mine.pop(rng.randrange(len(mine)))
                        # Each thread fills its buffers with its own byte: a
                        # buffer handed out twice would show another's.
                        assert ctypes.string_at(ptr, size) == bytes([seed]) * size
                        pool.free(ptr)
                    else:
                        size = rng.randrange(0, 3000)
                        ptr = pool.alloc(size)
                        ctypes.memset(ptr, seed, size)
                        mine.append((ptr, size))
                        made += 1
                live[threading.get_native_id()] = mine
                allocations.append(made)
            except Exception as error:          # reported by the main thread
                failures.append(error)

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2, 3, 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert pool.check() == 0

        # Every live buffer is owned by the thread that allocated it.
        owners = {}
        for block in pool.blocks():
            owners.setdefault(block.owner, set()).add(block.ptr)
        assert owners == {thread: {ptr for ptr, _ in held} for thread, held in live.items()}
        stats = pool.stats()
        assert stats.total_allocs == sum(allocations)
        assert stats.total_allocs - stats.total_frees == stats.blocks_alloc == \
            sum(len(held) for held in live.values())
        assert list(pool.errors) == []

        for held in live.values():
            for ptr, _ in held:
                pool.free(ptr)
        stats = pool.stats()
        assert (stats.blocks_alloc, stats.bytes_free) == (0, stats.pool_bytes)
        assert stats.blocks_free == top_blocks          # joined back to its top blocks


def test_each_thread_gets_its_own_errors():
    """Threads that make bad frees while others allocate: every exception
    carries the error of its own call, never another thread's, and every
    allocation succeeds (no other thread's report is raised from it)."""
    with dmms.Pool(1 << 20, name="own-errors") as pool:
        wrong = []
        start = threading.Barrier(4)

        def bad_freer():
            start.wait()
            for _ in range(2000):
                ptr = pool.alloc(64)
                try:
                    pool.free(ptr + 16)
                    wrong.append("an interior free raised nothing")
                except dmms.DMMSError as error:
                    if error.status != dmms.DMMS_E_NOT_BLOCK:
                        wrong.append(f"interior free raised {error}")
                pool.free(ptr)

        def allocator():
            start.wait()
            for _ in range(2000):
                try:
                    pool.free(pool.alloc(100))
                except dmms.DMMSError as error:
                    wrong.append(f"a good alloc/free raised {error}")

        threads = [threading.Thread(target=target) for target in (bad_freer, bad_freer, allocator, allocator)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wrong == []
        assert pool.stats().bad_frees == 4000
        assert pool.check() == 0
