//! The hash maps of the hot id lookups (the document reader's sets, the calculation's index, the
//! deal runs and reconcile): std's `HashMap` / `HashSet` with a faster seeded hasher.
//!
//! Natively the hasher is `foldhash` (seeded per process, so colliding ids cannot be prepared in
//! advance): hashing a million deal ids with std's SipHash was a noticeable part of reading a
//! document (issue #9). On `wasm32` the hasher stays std's, so the WASM module does not carry a
//! second instantiation of every map next to std's (its size budget, scripts/test-wasm.sh).
//!
//! Build them with `default()` and `with_capacity_and_hasher(n, Default::default())`.

#[cfg(not(target_arch = "wasm32"))]
type State = foldhash::fast::RandomState;
#[cfg(target_arch = "wasm32")]
type State = std::hash::RandomState;

/// A hash map with the crate's hasher (see the module docs).
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, State>;
/// A hash set with the crate's hasher (see the module docs).
pub(crate) type HashSet<T> = std::collections::HashSet<T, State>;
