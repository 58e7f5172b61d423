// Settings.swift — the default pool's configuration from the environment:
// DMMS_POOL_SIZE (e.g. 64M), DMMS_MIN_BLOCK, DMMS_GUARD, DMMS_COALESCE
// (lazy|eager|on_demand), DMMS_MAX_JOINS, DMMS_TRACK (0|1), DMMS_ABORT (1),
// DMMS_TIMELINE (a path: Report/Timeline.swift). Read from environ
// directly: this runs inside the first malloc of a preloaded process. A bad
// value gets one line on stderr and the default.

import CDMMS

struct Settings {
    static let defaultPoolSize: UInt = 64 << 20
    /// The first region the built-in pool settles for when the OS refuses
    /// DMMS_POOL_SIZE (a limit on address space): it grows from there.
    static let smallestFirstRegion: UInt = 1 << 20

    var poolSize: UInt = Settings.defaultPoolSize
    var config = PoolConfig.defaults
    /// DMMS_TIMELINE: where the default pool and its arenas write samples.
    var timeline: UnsafePointer<CChar>? = nil

    static func fromEnvironment() -> Settings {
        var settings = Settings()
        settings.config.name = builtinPoolName
        if let text = Platform.environment("DMMS_POOL_SIZE") {
            if let size = parseSize(text), size >= Platform.pageBytes { settings.poolSize = size } else { complain("DMMS_POOL_SIZE", text) }
        }
        if let text = Platform.environment("DMMS_MIN_BLOCK") {
            if let size = parseSize(text), isPowerOfTwo(size), PoolConfig.minBlockRange.contains(size) {
                settings.config.minBlockShift = log2(ofPowerOfTwo: size)
            } else { complain("DMMS_MIN_BLOCK", text) }
        }
        if let text = Platform.environment("DMMS_GUARD") {
            if let bytes = parseSize(text), bytes <= 64 {
                settings.config.guardBytes = UInt32(bytes)
                if bytes == 0 { settings.config.flags &= ~UInt32(DMMS_F_GUARD) }
            } else { complain("DMMS_GUARD", text) }
        }
        if let text = Platform.environment("DMMS_COALESCE") {
            if matches(text, "lazy") { settings.config.coalesce = UInt32(DMMS_COALESCE_LAZY) }
            else if matches(text, "eager") { settings.config.coalesce = UInt32(DMMS_COALESCE_EAGER) }
            else if matches(text, "on_demand") { settings.config.coalesce = UInt32(DMMS_COALESCE_ON_DEMAND) }
            else { complain("DMMS_COALESCE", text) }
        }
        if let text = Platform.environment("DMMS_MAX_JOINS") {
            if let joins = parseSize(text), joins <= UInt(UInt32.max) { settings.config.maxJoins = UInt32(joins) }
            else { complain("DMMS_MAX_JOINS", text) }
        }
        if let text = Platform.environment("DMMS_TRACK") {
            if matches(text, "0") { settings.config.flags &= ~UInt32(DMMS_F_TRACK_OWNER) }
            else if !matches(text, "1") { complain("DMMS_TRACK", text) }
        }
        if let text = Platform.environment("DMMS_FILL_FREE") {
            if matches(text, "1") { settings.config.flags |= UInt32(DMMS_F_FILL_FREE) }
            else if !matches(text, "0") { complain("DMMS_FILL_FREE", text) }
        }
        if let text = Platform.environment("DMMS_ABORT") {
            if matches(text, "1") { settings.config.flags |= UInt32(DMMS_F_ABORT_ON_ERROR) }
            else if !matches(text, "0") { complain("DMMS_ABORT", text) }
        }
        settings.timeline = Platform.environment("DMMS_TIMELINE")
        return settings
    }

    /// "65536", "64K", "64M", "1G" (binary multiples); nil when malformed or huge.
    static func parseSize(_ text: UnsafePointer<CChar>) -> UInt? {
        var value: UInt = 0
        var i = 0
        while UInt8(bitPattern: text[i]) &- UInt8(ascii: "0") < 10 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt(UInt8(bitPattern: text[i]) &- UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
            i &+= 1
        }
        if i == 0 { return nil }
        var shift: UInt = 0
        switch UInt8(bitPattern: text[i]) {
        case 0: return value
        case UInt8(ascii: "K"), UInt8(ascii: "k"): shift = 10
        case UInt8(ascii: "M"), UInt8(ascii: "m"): shift = 20
        case UInt8(ascii: "G"), UInt8(ascii: "g"): shift = 30
        default: return nil
        }
        if text[i &+ 1] != 0 || value > UInt.max >> shift { return nil }
        return value << shift
    }

    static func matches(_ text: UnsafePointer<CChar>, _ word: StaticString) -> Bool {
        var i = 0
        while i < word.utf8CodeUnitCount {
            if UInt8(bitPattern: text[i]) != word.utf8Start[i] { return false }
            i &+= 1
        }
        return text[i] == 0
    }

    static func complain(_ variable: StaticString, _ value: UnsafePointer<CChar>,
                         _ why: StaticString = "not a valid value; using the default") {
        var line = TextLine("dmms: ignoring ")
        line.append(variable)
        line.append("='")
        line.append(cString: value, limit: 64)
        line.append("': ")
        line.append(why)
        line.emit(nil, nil)
    }
}

/// "default", as a C string the pool copies.
var builtinPoolName: UnsafePointer<CChar> {
    UnsafeRawPointer(("default" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}
