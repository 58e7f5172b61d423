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
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z &>> 31)
}

/// The key of a block (PoolState.blockKey): a word, so that a 32-bit
/// target keys its records with 32-bit arithmetic (a 64-bit product there is
/// three multiplies and a pair of registers on every allocation and free).
typealias Key = UInt

/// One multiply and one shift: spreads a value keyed by an address over the
/// whole word, so that every byte of the result varies with the address bits
/// above a block's alignment (a plain product's low byte would not: the
/// address's low bits are zero). Enough to tell addresses apart; not a
/// strong hash.
@inline(__always)
func spread(_ x: UInt) -> UInt {
#if _pointerBitWidth(_32)
    let k = x &* 0x9E37_79B9
    return k ^ k &>> 15
#else
    let k = x &* 0x9E37_79B9_7F4A_7C15
    return k ^ k &>> 29
#endif
}

/// Folds 64 bits onto the low 16: bit i lands on bit i % 16.
@inline(__always)
func fold16(_ x: UInt64) -> UInt16 {
    let y = x ^ x &>> 32
    return UInt16(truncatingIfNeeded: y ^ y &>> 16)
}

/// Folds 64 bits onto the low 40: bit i lands on bit i % 40.
@inline(__always)
func fold40(_ x: UInt64) -> UInt64 { (x ^ (x &>> 40)) & 0xFF_FFFF_FFFF }

extension PoolState {
    /// The key of everything DMMS keeps in a block the user can write — a
    /// free block's links, a live buffer's guard, tail and owner record:
    /// the block's address spread with the pool's secret. One multiply per
    /// call: allocate and free compute it once and hand it to each check.
    @inline(__always)
    mutating func blockKey(_ block: UInt) -> Key { spread(block ^ UInt(truncatingIfNeeded: secret)) }
}

extension PoolState {
    /// The pattern of the bytes DMMS keeps around a block whose key is `key`
    /// (blockKey): a live buffer's guard and tail, a free block's tail, the
    /// sentinel below a region. 8 odd bytes, so any even byte written there
    /// is seen. (A 32-bit key fills the second word with its bytes reversed.)
    @inline(__always)
    func guardPattern(_ key: Key) -> UInt64 {
#if _pointerBitWidth(_32)
        return (UInt64(key) | UInt64(key.byteSwapped) &<< 32) | 0x0101_0101_0101_0101
#else
        return UInt64(key) | 0x0101_0101_0101_0101
#endif
    }
}

/// The key of a record about a block in `state` at `order` (with `slack`,
/// for a live buffer): the block's key with what the trusted map says of the
/// block. The folds that use it are linear, so a record checked against a
/// different state, order or slack fails as a flipped bit does.
/// (32-bit: the same bits, each 32 places lower; the folds are taken mod
/// 16, so the slack and the order land on the same check bits either way.)
@inline(__always)
func recordKey(_ blockKey: Key, order: Int, state: BlockState, slack: UInt = 0) -> Key {
#if _pointerBitWidth(_32)
    let (slackShift, orderShift): (UInt, UInt) = (8, 24)
#else
    let (slackShift, orderShift): (UInt, UInt) = (24, 56)
#endif
    return blockKey ^ slack &<< slackShift ^ UInt(bitPattern: order &<< 2 | Int(state.rawValue)) &<< orderShift
}
