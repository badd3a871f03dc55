//! The one hasher for content hashes and page fingerprints: XXH3 (`twox-hash`), several times
//! faster than std's SipHash on long text. These hashes never key a map an attacker fills, so
//! SipHash's flooding resistance buys nothing here; they detect change, and a 64-bit hash
//! makes a missed change a one-in-2^64 event per page.

use std::hash::{Hash, Hasher as _};

/// The hasher.
pub type Hasher = twox_hash::XxHash3_64;

/// A fresh hasher.
pub fn hasher() -> Hasher {
    Hasher::with_seed(0)
}

/// The hash of one value.
pub fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = hasher();
    t.hash(&mut h);
    h.finish()
}
