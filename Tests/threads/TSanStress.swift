// TSanStress.swift — eight threads on shared pools, under ThreadSanitizer.
//
// Compiled with the core (non-Embedded) in one `swiftc -sanitize=thread`
// invocation, so every access the core makes is instrumented. Eight threads
// allocate, calloc, realloc (in place and moving), aligned-allocate and free
// in three pools (lazy, eager and on-demand coalescing), hand buffers to each
// other through a mutex-guarded exchange (so most frees are cross-thread, by
// dmms_free or dmms_pool_free), make bad frees now and then (reported to a
// handler on the calling thread), and check every buffer's contents; a ninth
// thread takes dmms_stats and dmms_check meanwhile. At the end dmms_check must
// be clean, every pool empty and destroyable. ThreadSanitizer's reports are the
// result (the runner counts them; zero expected).
//
// DMMS's own pool lock is a priority-inheriting futex: a waiter the kernel
// hands the lock to returns from FUTEX_LOCK_PI without a user-space atomic
// that ThreadSanitizer could see, so the lock tells TSan (platform.h, built
// with -Xcc -DDMMS_TSAN). `--pthread-locks` installs pthread mutexes through
// dmms_set_lock_hooks instead: the same stress on a port's lock.
//
//   tsan-stress [steps per thread] [--pthread-locks]      (default 20000)

import CDMMS
import Glibc

let threadCount = 8
let slotCount = 512

/// A buffer in flight: where, how big, which pool, the byte it is filled with.
struct Held {
    var address: UInt = 0
    var size: Int = 0
    var pool: Int = 0
    var fill: UInt8 = 0
}

nonisolated(unsafe) var pools: [OpaquePointer] = []
nonisolated(unsafe) let exchange = UnsafeMutablePointer<Held>.allocate(capacity: slotCount)
nonisolated(unsafe) let exchangeLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
nonisolated(unsafe) let countLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
nonisolated(unsafe) var badFreesReported = 0
nonisolated(unsafe) var unexpectedReports = 0
nonisolated(unsafe) var damaged = 0
nonisolated(unsafe) var stepsPerThread = 20000
nonisolated(unsafe) var observerStop = false
nonisolated(unsafe) let stopLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

func onError(_ error: UnsafePointer<dmms_error_t>?, _ arg: UnsafeMutableRawPointer?) {
    let status = error!.pointee.status
    pthread_mutex_lock(countLock)
    if status == DMMS_E_NOT_BLOCK { badFreesReported += 1 } else if status != DMMS_E_NO_MEMORY { unexpectedReports += 1 }
    pthread_mutex_unlock(countLock)
}

func note(_ counter: UnsafeMutablePointer<Int>) {
    pthread_mutex_lock(countLock)
    counter.pointee += 1
    pthread_mutex_unlock(countLock)
}

struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2685821657736338717
    }
}

func intact(_ h: Held) -> Bool {
    guard h.address != 0 else { return true }
    let p = UnsafePointer<UInt8>(bitPattern: h.address)!
    for i in 0..<h.size where p[i] != h.fill { return false }
    return true
}

func fill(_ h: inout Held, _ byte: UInt8) {
    h.fill = byte
    if h.address != 0 { memset(UnsafeMutableRawPointer(bitPattern: h.address)!, Int32(byte), h.size) }
}

func release(_ h: inout Held, anyPool: Bool) {
    guard h.address != 0 else { return }
    if !intact(h) { note(&damaged) }
    let p = UnsafeMutableRawPointer(bitPattern: h.address)
    let status = anyPool ? dmms_free(p) : dmms_pool_free(pools[h.pool], p)
    if status != DMMS_OK { note(&unexpectedReports) }
    h = Held()
}

func worker(_ index: Int) {
    var random = Random(state: 0x9E37_79B9_7F4A_7C15 &* UInt64(index + 1))
    var mine = [Held](repeating: Held(), count: 32)
    for _ in 0..<stepsPerThread {
        let x = random.next()
        let slot = Int(x % 32)
        if !intact(mine[slot]) { note(&damaged) }
        let size = Int((x >> 8) % ((x >> 40) % 16 == 0 ? 30000 : 600))
        switch (x >> 5) % 10 {
        case 0, 1, 2:
            release(&mine[slot], anyPool: x & 1 == 0)
            let pool = Int((x >> 20) % 3)
            if let p = dmms_pool_alloc(pools[pool], size) {
                mine[slot] = Held(address: UInt(bitPattern: p), size: size, pool: pool)
            }
        case 3:
            release(&mine[slot], anyPool: true)
            let pool = Int((x >> 20) % 3)
            if let p = dmms_pool_calloc(pools[pool], 1, size) {
                mine[slot] = Held(address: UInt(bitPattern: p), size: size, pool: pool)
                if !intact(mine[slot]) { note(&damaged) }
            }
        case 4, 5:
            // Resize: grows in place when the buddies are free, else moves.
            let old = mine[slot]
            let pool = old.address != 0 ? old.pool : Int((x >> 20) % 3)
            if let p = dmms_pool_realloc(pools[pool], UnsafeMutableRawPointer(bitPattern: old.address), size) {
                var moved = Held(address: UInt(bitPattern: p), size: size, pool: pool, fill: old.fill)
                moved.size = min(old.size, size)
                if !intact(moved) { note(&damaged) }
                moved.size = size
                mine[slot] = moved
            }
        case 6:
            release(&mine[slot], anyPool: false)
            let pool = Int((x >> 20) % 3)
            if let p = dmms_pool_aligned_alloc(pools[pool], 16 << Int((x >> 24) % 8), size) {
                mine[slot] = Held(address: UInt(bitPattern: p), size: size, pool: pool)
            }
        case 7:
            // A bad free (one byte into a live buffer): reported on this thread.
            if mine[slot].address != 0 && mine[slot].size > 0 && (x >> 30) % 8 == 0 {
                _ = dmms_free(UnsafeMutableRawPointer(bitPattern: mine[slot].address + 1))
            }
        default:
            // Trade with the exchange: the buffer will be freed by another thread.
            pthread_mutex_lock(exchangeLock)
            let other = Int((x >> 12) % UInt64(slotCount))
            swap(&exchange[other], &mine[slot])
            pthread_mutex_unlock(exchangeLock)
        }
        fill(&mine[slot], UInt8(truncatingIfNeeded: x >> 48))
    }
    for i in 0..<mine.count { release(&mine[i], anyPool: i % 2 == 0) }
}

func observe() {
    var s = dmms_stats_t()
    var problems: UInt64 = 0
    var rounds = 0
    while true {
        pthread_mutex_lock(stopLock)
        let stop = observerStop
        pthread_mutex_unlock(stopLock)
        if stop { break }
        for pool in pools {
            _ = dmms_stats(pool, &s)
            problems += dmms_check(pool)
        }
        rounds += 1
    }
    if problems != 0 { print("tsan-stress: dmms_check found \(problems) problems while the workers ran"); note(&unexpectedReports) }
    print("tsan-stress: observer took \(rounds) rounds of stats and checks")
}

func start(_ body: @escaping @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?, _ arg: Int) -> pthread_t {
    var thread = pthread_t()
    pthread_create(&thread, nil, body, UnsafeMutableRawPointer(bitPattern: arg + 1))
    return thread
}

/// Lock hooks over a pthread mutex in the pool's 64 bytes of lock storage.
func hookInit(_ storage: UnsafeMutableRawPointer?) {
    pthread_mutex_init(storage!.assumingMemoryBound(to: pthread_mutex_t.self), nil)
}
func hookLock(_ storage: UnsafeMutableRawPointer?) { pthread_mutex_lock(storage!.assumingMemoryBound(to: pthread_mutex_t.self)) }
func hookUnlock(_ storage: UnsafeMutableRawPointer?) { pthread_mutex_unlock(storage!.assumingMemoryBound(to: pthread_mutex_t.self)) }
func hookDestroy(_ storage: UnsafeMutableRawPointer?) { pthread_mutex_destroy(storage!.assumingMemoryBound(to: pthread_mutex_t.self)) }

@main
struct TSanStress {
    static func main() {
        for argument in CommandLine.arguments.dropFirst() {
            if argument == "--pthread-locks" {
                precondition(MemoryLayout<pthread_mutex_t>.size <= 64)
                dmms_set_lock_hooks(hookInit, hookLock, hookUnlock, hookDestroy)
                print("tsan-stress: pool locks are pthread mutexes (dmms_set_lock_hooks)")
            } else if let steps = Int(argument) {
                stepsPerThread = steps
            }
        }
        pthread_mutex_init(exchangeLock, nil)
        pthread_mutex_init(countLock, nil)
        pthread_mutex_init(stopLock, nil)
        exchange.initialize(repeating: Held(), count: slotCount)
        dmms_set_error_handler(onError, nil)
        for policy in [DMMS_COALESCE_LAZY, DMMS_COALESCE_EAGER, DMMS_COALESCE_ON_DEMAND] {
            var config = dmms_config_t()
            dmms_config_init(&config)
            config.coalesce = UInt32(policy)
            pools.append(dmms_pool_create(nil, 8 << 20, &config)!)
        }
        let observer = start({ _ in observe(); return nil }, 0)
        var threads: [pthread_t] = []
        for i in 0..<threadCount { threads.append(start({ arg in worker(Int(bitPattern: arg) - 1); return nil }, i)) }
        for t in threads { pthread_join(t, nil) }
        pthread_mutex_lock(stopLock)
        observerStop = true
        pthread_mutex_unlock(stopLock)
        pthread_join(observer, nil)

        for i in 0..<slotCount { release(&exchange[i], anyPool: true) }
        var clean = true
        for pool in pools {
            var s = dmms_stats_t()
            _ = dmms_stats(pool, &s)
            if dmms_check(pool) != 0 || s.blocks_alloc != 0 || dmms_pool_destroy(pool) != DMMS_OK { clean = false }
        }
        print("tsan-stress: \(threadCount) threads x \(stepsPerThread) steps; \(badFreesReported) bad frees reported, "
              + "\(unexpectedReports) unexpected reports, \(damaged) damaged buffers, pools \(clean ? "clean and destroyed" : "NOT clean")")
        exit(clean && unexpectedReports == 0 && damaged == 0 ? 0 : 1)
    }
}
