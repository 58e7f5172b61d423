// Text.swift — lines of text without a heap: a fixed buffer on the stack.
//
// Every report (errors, dmms_show, leaks, JSON) is built one line at a time
// here and handed to the caller's output function, so reports work the same
// in the preloaded malloc, on bare metal, and while the pool is exhausted.

import CDMMS

struct TextLine {
    static let capacity = 480
    var bytes = InlineArray<512, UInt8>(repeating: 0)
    var count = 0

    init() {}

    init(_ text: StaticString) { append(text) }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        if count < TextLine.capacity {
            bytes[count] = b
            count &+= 1
        }
    }

    mutating func append(_ text: StaticString) {
        let p = text.utf8Start
        var i = 0
        while i < text.utf8CodeUnitCount {
            byte(p[i])
            i &+= 1
        }
    }

    /// A NUL-terminated C string from the program (a file or pool name);
    /// "(null)" for NULL. At most `limit` bytes of it. Control characters are
    /// written as C escapes (\n, \t, \r, \xHH): a name holding a newline
    /// must not split a report's record over two lines. Other bytes are
    /// written as they are (UTF-8 names stay readable).
    mutating func append(cString: UnsafePointer<CChar>?, limit: Int = 200) {
        guard let s = cString else { return append("(null)") }
        var i = 0
        while i < limit, s[i] != 0 {
            appendEscapingControl(UInt8(bitPattern: s[i]))
            i &+= 1
        }
    }

    private mutating func appendEscapingControl(_ b: UInt8) {
        let backslash = UInt8(ascii: "\\")
        switch b {
        case UInt8(ascii: "\n"): byte(backslash); byte(UInt8(ascii: "n"))
        case UInt8(ascii: "\t"): byte(backslash); byte(UInt8(ascii: "t"))
        case UInt8(ascii: "\r"): byte(backslash); byte(UInt8(ascii: "r"))
        case 0..<0x20, 0x7F:
            append("\\x")
            byte(TextLine.hexDigit(b >> 4))
            byte(TextLine.hexDigit(b & 15))
        default: byte(b)
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10
    }

    mutating func append(_ value: UInt64) {
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var n = 0
        var v = value
        repeat {
            digits[n] = UInt8(truncatingIfNeeded: 48 &+ v % 10)
            v /= 10
            n &+= 1
        } while v != 0
        while n > 0 {
            n &-= 1
            byte(digits[n])
        }
    }

    mutating func append(_ value: Int) { append(signed: Int64(value)) }
    mutating func append(_ value: UInt) { append(UInt64(value)) }

    mutating func append(signed value: Int64) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            append(UInt64(0) &- UInt64(bitPattern: value))
        } else {
            append(UInt64(value))
        }
    }

    mutating func appendHex(_ value: UInt64) {
        append("0x")
        var shift = 60
        var started = false
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 15
            if nibble != 0 || started || shift == 0 {
                started = true
                byte(TextLine.hexDigit(nibble))
            }
            shift &-= 4
        }
    }

    /// Right-aligns `value` in a field of `width`.
    mutating func append(_ value: UInt64, width: Int) {
        var digits = 1
        var v = value
        while v >= 10 { v /= 10; digits &+= 1 }
        pad(digits, to: width)
        append(value)
    }

    /// Right-aligns `text` in a field of `width`.
    mutating func append(_ text: StaticString, width: Int) {
        pad(text.utf8CodeUnitCount, to: width)
        append(text)
    }

    mutating func pad(_ used: Int, to width: Int) {
        var i = used
        while i < width { byte(UInt8(ascii: " ")); i &+= 1 }
    }

    // MARK: JSON

    /// A JSON string literal: quotes, escapes, and any byte that is not part of
    /// valid UTF-8 written as \u00XX, so the document parses whatever the input.
    mutating func appendJSON(cString: UnsafePointer<CChar>?, limit: Int = 256) {
        guard let s = cString else { return append("null") }
        byte(UInt8(ascii: "\""))
        var i = 0
        while i < limit, s[i] != 0 {
            let b = UInt8(bitPattern: s[i])
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                byte(UInt8(ascii: "\\")); byte(b)
                i &+= 1
            } else if b < 0x20 || b == 0x7F {
                appendEscaped(b)
                i &+= 1
            } else if b < 0x80 {
                byte(b)
                i &+= 1
            } else {
                let length = utf8SequenceLength(s + i)
                if length == 0 {
                    appendEscaped(b)
                    i &+= 1
                } else {
                    var j = 0
                    while j < length { byte(UInt8(bitPattern: s[i &+ j])); j &+= 1 }
                    i &+= length
                }
            }
        }
        byte(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ b: UInt8) {
        append("\\u00")
        byte(TextLine.hexDigit(b >> 4))
        byte(TextLine.hexDigit(b & 15))
    }

    /// Length of the valid UTF-8 sequence at `p` (lead byte >= 0x80), or 0.
    private func utf8SequenceLength(_ p: UnsafePointer<CChar>) -> Int {
        let b0 = UInt8(bitPattern: p[0])
        let length: Int
        let minimum: UInt32
        var value: UInt32
        if b0 & 0xE0 == 0xC0 { length = 2; minimum = 0x80; value = UInt32(b0 & 0x1F) }
        else if b0 & 0xF0 == 0xE0 { length = 3; minimum = 0x800; value = UInt32(b0 & 0x0F) }
        else if b0 & 0xF8 == 0xF0 { length = 4; minimum = 0x10000; value = UInt32(b0 & 0x07) }
        else { return 0 }
        var i = 1
        while i < length {
            let b = UInt8(bitPattern: p[i])
            if b & 0xC0 != 0x80 { return 0 }
            value = value << 6 | UInt32(b & 0x3F)
            i &+= 1
        }
        if value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) { return 0 }
        return length
    }

    /// "handle 0x… is not a live pool": what dmms_show and dmms_report_json
    /// write for a bad handle (NULL: the default pool, which the OS refused).
    mutating func appendNotAPool(_ handle: OpaquePointer?) {
        append("handle ")
        appendHex(UInt64(UInt(bitPattern: UnsafeRawPointer(handle))))
        append(" is not a live pool")
    }

    // MARK: output

    /// Ends the line with '\n' and hands it to `out` (stderr when nil).
    mutating func emit(_ out: dmms_output_fn?, _ arg: UnsafeMutableRawPointer?) {
        bytes[count] = 10
        bytes[count &+ 1] = 0
        let length = count &+ 1
        withUnsafePointer(to: &bytes) { p in
            let text = UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)
            if let out = out { out(text, arg) } else { Platform.writeError(text, length) }
        }
        count = 0
    }

    /// The text so far as a NUL-terminated C string, for the duration of `body`.
    mutating func withCString(_ body: (UnsafePointer<CChar>) -> Void) {
        bytes[count] = 0
        withUnsafePointer(to: &bytes) { p in body(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self)) }
    }
}
