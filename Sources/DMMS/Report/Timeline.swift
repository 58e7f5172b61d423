// Timeline.swift — a pool's figures over time: DMMS_TIMELINE (the default
// pool and the malloc replacement's arenas append samples to one file) and
// dmms_timeline_sample (a sample of any pool, into the caller's buffer).
//
// A sample is one line of JSON (dmms.h lists its members):
//   {"t_ns": 1200300, "pid": 4242, "pool": "default", "seq": 5120, "bytes_requested": 81920,
//    "bytes_in_use": 131072, "bytes_peak": 262144, "failures": 0, "errors": 0,
//    "sizes": {"32": [12, 40, 3, 900, 0], ...}}
// "sizes" has a row for each block size used so far: in use, high water,
// lazily free, allocations, failures.
//
// When: a pool with the timeline on looks, after each allocation and free,
// whether blocks of 1 MiB have been allocated or freed, or 10 ms have passed,
// since its last sample
// (on the coarse clock: a few loads, no timer), and writes one if so; one
// more at exit. The sample is made on the stack under the pool lock and
// written with one write() to the file opened for appending (and closed
// again), so the lines of concurrent arenas (and of processes sharing the
// file) never interleave.
// No allocation; a pool without the timeline pays one branch per call.

import CDMMS

enum Timeline {
    /// A sample at least this often (ns) while the pool is used...
    @inline(__always) static var interval: UInt64 { 10_000_000 }
    /// ...and after blocks of this many bytes were allocated or freed.
    @inline(__always) static var byteStep: UInt64 { 1 << 20 }
    /// A sample's bytes at most (written from the stack). Each size row is
    /// under 120 bytes, so 40 of them fit; a row that would not is left out.
    @inline(__always) static var capacity: Int { 6144 }

    /// Takes DMMS_TIMELINE's path (a file appended to) for the default pool
    /// and its arenas. False (with one line on stderr) when it cannot be
    /// written: the program runs on without a timeline. The file is opened
    /// for each sample and closed after it, so no descriptor of the program's
    /// is ever ours: one that closes them all, or reuses their numbers, keeps
    /// its files and its timeline.
    static func open(_ path: UnsafePointer<CChar>) -> Bool {
        if timelineOn { return true }
        let length = Platform.length(of: path)
        let fd = length < Int(DMMS_PLATFORM_PATH_MAX) ? Platform.openFile(path, append: true) : -1
        if fd < 0 {
            Settings.complain("DMMS_TIMELINE", path, "cannot be written; no timeline is kept")
            return false
        }
        Platform.close(fd)
        dmms_platform_timeline_path().update(from: path, count: length &+ 1)
        // Due on the coarse clock, early by its step, so that no gap exceeds
        // the interval; a clock too coarse for that is read exactly instead.
        let step = Platform.coarseClockStep
        timelineCoarse = step > 0 && step < interval / 2
        timelineDueAfter = timelineCoarse ? interval &- step : interval
        startClock()
        timelinePid = Platform.processId()
        timelineOn = true
        Platform.atExit(writeFinalSamples)
        return true
    }

    /// Appends one sample (`length` bytes) to the file: one write().
    static func append(_ bytes: UnsafeRawPointer, _ length: Int) {
        let fd = Platform.openFile(dmms_platform_timeline_path(), append: true)
        if fd < 0 { return }   // gone since: the samples stop, the program goes on
        Platform.write(fd, bytes, length)
        Platform.close(fd)
    }

    /// Starts t_ns at 0, once per process.
    static func startClock() {
        if timelineStart == 0 { timelineStart = Platform.clock(coarse: false) }
    }

    /// The clock that says when the next sample is due.
    @inline(__always)
    static func dueClock() -> UInt64 { Platform.clock(coarse: timelineCoarse) }

    /// A forked child writes its own process id.
    static func forked() {
        if Platform.hosted && timelineOn { timelinePid = Platform.processId() }
    }
}

/// The timeline's state and clock (its path: dmms_platform_timeline_path).
/// Plain globals with constant initialisers: set once, under the registry
/// lock, when the default pool is made.
nonisolated(unsafe) var timelineOn = false
nonisolated(unsafe) var timelineStart: UInt64 = 0
nonisolated(unsafe) var timelineCoarse = true
nonisolated(unsafe) var timelineDueAfter: UInt64 = 10_000_000   // Timeline.interval
nonisolated(unsafe) var timelinePid: Int32 = 0

/// The last samples, at exit: every pool that keeps a timeline.
private func writeFinalSamples() {
    Platform.globalLock()
    Registry.forEachPool { pool in
        if pool.pointee.sampling { pool.lockedQuietly { $0.writeSample(exit: true) } }
    }
    Platform.globalUnlock()
}

/// Where a sample is made: `Timeline.capacity` bytes. `length` counts every
/// byte of the sample, also any that did not fit.
struct SampleOutput {
    let buffer: UnsafeMutablePointer<UInt8>
    var length = 0

    /// Appends the line's bytes and empties it.
    mutating func take(_ line: inout TextLine) {
        var i = 0
        while i < line.count {
            if length < Timeline.capacity { buffer[length] = line.bytes[i] }
            length &+= 1
            i &+= 1
        }
        line.count = 0
    }
}

extension PoolState {
    /// After an allocation or a free of a buffer whose block is of order
    /// `movedOrder`, in a pool that keeps a timeline: a sample when one is due.
    @inline(never)
    mutating func timelineTick(movedOrder: Int) {
        timelineMoved &+= UInt64(blockSize(movedOrder))
        if timelineMoved < nextSampleBytes && Timeline.dueClock() < nextSampleTime { return }
        writeSample(exit: false)
    }

    /// Writes a sample to the timeline's file and sets when the next is due.
    mutating func writeSample(exit: Bool) {
        guard Platform.hosted && timelineOn else { return }
        withSample(exit: exit) { bytes, length in Timeline.append(bytes, length) }
        nextSampleBytes = timelineMoved &+ Timeline.byteStep
        nextSampleTime = Timeline.dueClock() &+ timelineDueAfter
    }

    /// Makes the sample of this pool now on the stack and hands it to `body`.
    mutating func withSample(exit: Bool, _ body: (UnsafeRawPointer, Int) -> Void) {
        var bytes = InlineArray<6144, UInt8>(repeating: 0)   // Timeline.capacity
        withUnsafeMutablePointer(to: &bytes) { storage in
            var output = SampleOutput(buffer: UnsafeMutableRawPointer(storage).assumingMemoryBound(to: UInt8.self))
            sample(into: &output, exit: exit)
            body(UnsafeRawPointer(output.buffer), output.length)
        }
    }

    /// The sample of this pool now, as one line ending in a newline. A row
    /// that would not fit in Timeline.capacity (less room for the end) is
    /// left out: the line is always whole JSON.
    private mutating func sample(into output: inout SampleOutput, exit: Bool) {
        let now = Platform.hosted ? Platform.clock(coarse: false) : 0
        var line = TextLine("{\"t_ns\": ")
        line.append(now >= timelineStart ? now &- timelineStart : 0)
        line.append(", \"pid\": ")
        line.append(UInt64(UInt32(bitPattern: timelinePid)))
        line.append(", \"pool\": ")
        withUnsafeBytes(of: &name) { name in
            line.appendJSON(cString: name.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: CChar.self), limit: 32)
        }
        JSONReport.member(&line, "seq", sequence, first: false)
        JSONReport.member(&line, "bytes_requested", UInt64(counters.bytesRequested), first: false)
        JSONReport.member(&line, "bytes_in_use", UInt64(counters.bytesAlloc), first: false)
        JSONReport.member(&line, "bytes_peak", UInt64(counters.maxBytesAlloc), first: false)
        JSONReport.member(&line, "failures", counters.failedAllocs, first: false)
        JSONReport.member(&line, "errors", errorCount, first: false)
        line.append(", \"sizes\": {")
        output.take(&line)
        let exitEnd: StaticString = "}, \"exit\": true}\n"
        let end: StaticString = "}}\n"
        var first = true
        var k = 0
        while k < orderCount {
            let row = orders[at: k]
            if row.allocs != 0 || row.failures != 0 || row.inUse != 0 || row.lazyFree != 0 {
                if !first { line.append(", ") }
                line.append("\"")
                line.append(blockSize(k))
                line.append("\": [")
                let fields: InlineArray<5, UInt64> = [UInt64(row.inUse), UInt64(row.highWater), UInt64(row.lazyFree), row.allocs, row.failures]
                var i = 0
                while i < 5 {
                    if i > 0 { line.append(", ") }
                    line.append(fields[i])
                    i &+= 1
                }
                line.append("]")
                if output.length &+ line.count &+ exitEnd.utf8CodeUnitCount <= Timeline.capacity {
                    output.take(&line)
                    first = false
                } else {
                    line.count = 0
                }
            }
            k &+= 1
        }
        line.append(exit ? exitEnd : end)
        output.take(&line)
    }
}
