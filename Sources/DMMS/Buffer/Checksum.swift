// Checksum.swift — the checks on records the user can overwrite.
//
// A record's check is a *fold* of its fields XOR a key mixed from the pool's
// secret and the record's address. The fold is linear: every field bit lands
// on exactly one check bit, so any single flipped bit — in a field or in the
// check itself — always fails verification; random damage passes with
// probability 2^-(check bits). The key makes a record valid at one address of
// one pool only, so a record copied (or a stale one left) elsewhere fails too.

/// A 64-bit mixer (splitmix64's finaliser): every input bit moves every output bit.
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// One multiply and one shift: spreads a value keyed by an address over all
/// 64 bits, so that every byte of the result varies with the address bits
/// above a block's alignment (a plain product's low byte would not: the
/// address's low bits are zero). Enough to tell addresses apart; not a
/// strong hash.
@inline(__always)
func spread(_ x: UInt64) -> UInt64 {
    let k = x &* 0x9E37_79B9_7F4A_7C15
    return k ^ k >> 29
}

/// Folds 64 bits onto the low 16: bit i lands on bit i % 16.
@inline(__always)
func fold16(_ x: UInt64) -> UInt16 {
    UInt16(truncatingIfNeeded: x ^ (x >> 16) ^ (x >> 32) ^ (x >> 48))
}

/// Folds 64 bits onto the low 40: bit i lands on bit i % 40.
@inline(__always)
func fold40(_ x: UInt64) -> UInt64 { (x ^ (x >> 40)) & 0xFF_FFFF_FFFF }

extension PoolState {
    /// The key of the record at `address` describing a block of `order` in
    /// `state` with `slack`: binds a record to everything the trusted map says.
    /// One multiply: the fold that uses it is linear, so the key only has to
    /// differ between addresses and pools, not be a strong hash.
    @inline(__always)
    mutating func recordKey(_ address: UInt, order: Int, state: BlockState, slack: UInt) -> UInt64 {
        spread(UInt64(address) ^ secret ^ UInt64(slack) << 24 ^ UInt64(order &<< 2 | Int(state.rawValue)) << 56)
    }
}
