//! [`Fields`]: the custom fields of a deal (SPEC §4 `fields`), a small sorted map.
//!
//! A deal usually carries a handful of custom fields (two in the benchmark workload). A
//! `BTreeMap<String, Value>` allocates a whole B-tree leaf (11 key and 11 value slots, about
//! 650 bytes) even for one entry, which made the typed document of a million deals weigh about
//! 930 MiB. `Fields` keeps the entries in one exactly sized `Vec`, sorted by key, with lookups by
//! binary search: two fields cost 96 bytes plus their values' strings. It behaves like the
//! `BTreeMap` it replaces: iteration in key order, one entry per key, the last duplicate wins
//! when built from an iterator, and equality compares the entries.
//!
//! The names are [`Name`]s: the document reader gives every deal's `region` the same shared
//! allocation, so a million deals hold one copy of each field name, and a condition's lookup
//! compares against names that stay in the cache (issue #9: the lookups' string comparisons
//! were cache misses, about a tenth of the walk over the deals).

use super::Name;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::iter::FusedIterator;

/// The custom fields of a deal: a map from field name to JSON value, kept sorted by name.
///
/// Built from the document's `fields` object by [`crate::validate`]; read by conditions,
/// formulas, rate-table keys and date fields. Iteration is in key order (byte order of the
/// names, as `BTreeMap<String, _>` iterates), so anything written from it keeps the order it had.
///
/// ```
/// use compcode_core::model::Fields;
/// use serde_json::json;
///
/// let mut f: Fields = [("region".to_string(), json!("EMEA")), ("product".to_string(), json!("Platform"))]
///     .into_iter()
///     .collect();
/// assert_eq!(f.get("region"), Some(&json!("EMEA")));
/// assert_eq!(f.insert("region".into(), json!("APAC")), Some(json!("EMEA")));
/// assert_eq!(f.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["product", "region"]);
/// assert_eq!(f.len(), 2);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields(Vec<(Name, Value)>);

impl Fields {
    /// An empty map (allocates nothing).
    ///
    /// ```
    /// let f = compcode_core::model::Fields::new();
    /// assert!(f.is_empty());
    /// ```
    pub const fn new() -> Self {
        Fields(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of field `key`, if present.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("x".to_string(), serde_json::json!(5))].into_iter().collect();
    /// assert_eq!(f.get("x"), Some(&serde_json::json!(5)));
    /// assert_eq!(f.get("y"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// A mutable reference to the value of field `key`, if present.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let mut f: Fields = [("x".to_string(), serde_json::json!(5))].into_iter().collect();
    /// if let Some(v) = f.get_mut("x") {
    ///     *v = serde_json::json!(6);
    /// }
    /// assert_eq!(f.get("x"), Some(&serde_json::json!(6)));
    /// ```
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.find(key) {
            Ok(i) => Some(&mut self.0[i].1),
            Err(_) => None,
        }
    }

    /// Whether field `key` is present.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("x".to_string(), serde_json::Value::Null)].into_iter().collect();
    /// assert!(f.contains_key("x"));
    /// assert!(!f.contains_key("y"));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets field `key` to `value` at its sorted place; returns the value it replaces, if any
    /// (like `BTreeMap::insert`).
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// use serde_json::json;
    /// let mut f = Fields::new();
    /// assert_eq!(f.insert("b".into(), json!(1)), None);
    /// assert_eq!(f.insert("a".into(), json!(2)), None);
    /// assert_eq!(f.insert("b".into(), json!(3)), Some(json!(1)));
    /// assert_eq!(f.iter().map(|(k, v)| (k.as_str(), v.clone())).collect::<Vec<_>>(), [("a", json!(2)), ("b", json!(3))]);
    /// ```
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.insert_name(Name::from(key), value)
    }

    /// [`Fields::insert`] with a [`Name`] key (shared, not copied).
    ///
    /// ```
    /// use compcode_core::model::{Fields, Name};
    /// let region = Name::new("region");
    /// let mut f = Fields::new();
    /// assert_eq!(f.insert_name(region.clone(), "EMEA".into()), None);
    /// assert_eq!(f.get("region"), Some(&serde_json::json!("EMEA")));
    /// ```
    pub fn insert_name(&mut self, key: Name, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes field `key`; returns its value, if it was present.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let mut f: Fields = [("x".to_string(), serde_json::json!(5))].into_iter().collect();
    /// assert_eq!(f.remove("x"), Some(serde_json::json!(5)));
    /// assert_eq!(f.remove("x"), None);
    /// assert!(f.is_empty());
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        match self.find(key) {
            Ok(i) => Some(self.0.remove(i).1),
            Err(_) => None,
        }
    }

    /// The entries in key order.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("b".to_string(), 1.into()), ("a".to_string(), 2.into())].into_iter().collect();
    /// let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    /// assert_eq!(keys, ["a", "b"]);
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.0.iter())
    }

    /// The field names in order.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("b".to_string(), 1.into()), ("a".to_string(), 2.into())].into_iter().collect();
    /// assert_eq!(f.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Name> + ExactSizeIterator + FusedIterator + '_ {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("b".to_string(), 1.into()), ("a".to_string(), 2.into())].into_iter().collect();
    /// assert_eq!(f.values().cloned().collect::<Vec<serde_json::Value>>(), [2, 1]);
    /// ```
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + FusedIterator + '_ {
        self.0.iter().map(|(_, v)| v)
    }

    /// The number of fields.
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let f: Fields = [("a".to_string(), 1.into()), ("a".to_string(), 2.into())].into_iter().collect();
    /// assert_eq!(f.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no field.
    ///
    /// ```
    /// assert!(compcode_core::model::Fields::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Gives back spare capacity left by [`Fields::insert`] or [`Extend`] (collecting with
    /// [`FromIterator`] already does).
    ///
    /// ```
    /// use compcode_core::model::Fields;
    /// let mut f = Fields::new();
    /// f.insert("a".into(), 1.into());
    /// f.shrink_to_fit();
    /// assert_eq!(f.len(), 1);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    /// Restores the invariant after entries were appended: sorted by key (stable, so among equal
    /// keys the later one stays later), one entry per key, the last one winning.
    fn normalize(&mut self) {
        if self.0.windows(2).all(|w| w[0].0 < w[1].0) {
            return;
        }
        // a binary insertion sort, stable: entries are few, and a std sort of this entry type
        // added ~3 KB to the WASM module, over its budget (scripts/test-wasm.sh)
        for i in 1..self.0.len() {
            if self.0[i - 1].0 <= self.0[i].0 {
                continue;
            }
            let place = self.0[..i].partition_point(|e| e.0 <= self.0[i].0);
            self.0[place..=i].rotate_right(1);
        }
        // `dedup_by` hands (later, kept earlier); move the later value into the kept slot
        self.0.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                std::mem::swap(&mut later.1, &mut kept.1);
                true
            } else {
                false
            }
        });
    }
}

impl fmt::Debug for Fields {
    /// Like a map: `{"a": Number(1)}`, as `BTreeMap` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for Fields {
    /// Collects in key order; of duplicate keys the last one wins (as `BTreeMap`). The storage is
    /// sized exactly.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        iter.into_iter().map(|(k, v)| (Name::from(k), v)).collect()
    }
}

impl FromIterator<(Name, Value)> for Fields {
    /// Collects in key order; of duplicate keys the last one wins (as `BTreeMap`). The storage is
    /// sized exactly; the names are shared, not copied.
    ///
    /// ```
    /// use compcode_core::model::{Fields, Name};
    /// let f: Fields = [(Name::new("b"), 1.into()), (Name::new("a"), 2.into())].into_iter().collect();
    /// assert_eq!(f.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    fn from_iter<I: IntoIterator<Item = (Name, Value)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        // an exactly known length (a JSON object's entries) is allocated once, not grown to a
        // capacity of 4 and shrunk back
        let mut entries = match iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Vec::with_capacity(lo),
            _ => Vec::new(),
        };
        entries.extend(iter);
        let mut f = Fields(entries);
        f.normalize();
        f.shrink_to_fit();
        f
    }
}

impl Extend<(String, Value)> for Fields {
    /// Inserts every entry; a later entry replaces an earlier one with the same key (as
    /// `BTreeMap`).
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().map(|(k, v)| (Name::from(k), v)));
        self.normalize();
    }
}

impl From<BTreeMap<String, Value>> for Fields {
    /// The same entries, in the same order.
    fn from(map: BTreeMap<String, Value>) -> Self {
        Fields(map.into_iter().map(|(k, v)| (Name::from(k), v)).collect())
    }
}

impl From<Fields> for BTreeMap<String, Value> {
    /// The same entries.
    fn from(f: Fields) -> Self {
        f.into_iter().collect()
    }
}

/// Iterator over `(&name, &value)` in key order: [`Fields::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Name, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Name, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Fields {
    type Item = (&'a Name, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = IntoIter;

    /// The owned entries in key order (each name copied into a `String`).
    fn into_iter(self) -> IntoIter {
        IntoIter(self.0.into_iter())
    }
}

/// Owning iterator over `(name, value)` in key order: [`Fields::into_iter`].
#[derive(Debug)]
pub struct IntoIter(std::vec::IntoIter<(Name, Value)>);

impl Iterator for IntoIter {
    type Item = (String, Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (String::from(k), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (String::from(k), v))
    }
}

impl ExactSizeIterator for IntoIter {}
impl FusedIterator for IntoIter {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn f(pairs: &[(&str, Value)]) -> Fields {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn iterates_in_key_order_like_btreemap() {
        let pairs = [("region", json!("EMEA")), ("Zeta", json!(1)), ("amount", json!("5")), ("é", json!(true))];
        let fields = f(&pairs);
        let map: BTreeMap<String, Value> = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let got: Vec<(&str, &Value)> = fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let want: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(got, want);
        assert_eq!(fields.keys().map(Name::as_str).collect::<Vec<_>>(), ["Zeta", "amount", "region", "é"]);
        assert_eq!(fields.values().cloned().collect::<Vec<_>>(), [json!(1), json!("5"), json!("EMEA"), json!(true)]);
        let by_ref: Vec<&str> = (&fields).into_iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(by_ref, ["Zeta", "amount", "region", "é"]);
        assert_eq!(fields.iter().next_back().map(|(k, _)| k.as_str()), Some("é"));
        assert_eq!(Fields::from(map.clone()), fields);
        assert_eq!(BTreeMap::from(fields.clone()), map);
        assert_eq!(format!("{fields:?}"), format!("{map:?}"));
        assert_eq!(fields.clone().into_iter().len(), 4);
        assert_eq!(fields.clone().into_iter().next_back(), Some(("é".to_string(), json!(true))));
        let owned: Vec<(String, Value)> = fields.into_iter().collect();
        assert_eq!(owned, map.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn duplicates_last_one_wins() {
        let fields = f(&[("a", json!(1)), ("b", json!(2)), ("a", json!(3)), ("a", json!(4)), ("b", json!(5))]);
        assert_eq!(fields.len(), 2);
        assert_eq!(fields.get("a"), Some(&json!(4)));
        assert_eq!(fields.get("b"), Some(&json!(5)));
        let mut ext = f(&[("a", json!(1)), ("c", json!(2))]);
        ext.extend([("c".to_string(), json!(9)), ("b".to_string(), json!(8)), ("c".to_string(), json!(7))]);
        assert_eq!(ext, f(&[("a", json!(1)), ("b", json!(8)), ("c", json!(7))]));
        let mut ins = Fields::new();
        assert_eq!(ins.insert("k".into(), json!(1)), None);
        assert_eq!(ins.insert("k".into(), json!(2)), Some(json!(1)));
        assert_eq!(ins.len(), 1);
        assert_eq!(ins.get("k"), Some(&json!(2)));
    }

    #[test]
    fn get_remove_contains() {
        let mut fields = f(&[("x", json!("5")), ("t", json!("text")), ("d", json!("2026-01-31"))]);
        assert!(fields.contains_key("t"));
        assert!(!fields.contains_key("y"));
        assert_eq!(fields.get("y"), None);
        assert_eq!(fields.remove("t"), Some(json!("text")));
        assert_eq!(fields.remove("t"), None);
        assert!(!fields.contains_key("t"));
        assert_eq!(fields.keys().map(Name::as_str).collect::<Vec<_>>(), ["d", "x"]);
        if let Some(v) = fields.get_mut("x") {
            *v = json!(6);
        }
        assert_eq!(fields.get("x"), Some(&json!(6)));
        assert_eq!(fields.remove("d"), Some(json!("2026-01-31")));
        assert_eq!(fields.remove("x"), Some(json!(6)));
        assert!(fields.is_empty());
        assert_eq!(fields, Fields::new());
    }

    #[test]
    fn collected_storage_is_exact() {
        let fields = f(&[("region", json!("EMEA")), ("product", json!("Platform"))]);
        assert_eq!(fields.0.capacity(), 2);
        let mut fields = Fields::new();
        fields.extend([("b".to_string(), json!(1)), ("a".to_string(), json!(2)), ("b".to_string(), json!(3))]);
        fields.shrink_to_fit();
        assert_eq!(fields.0.capacity(), 2);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String, i64),
        Remove(String),
        Get(String),
        Extend(Vec<(String, i64)>),
    }

    fn key() -> impl Strategy<Value = String> {
        // few distinct keys so that replacements, misses and removals all happen
        prop::sample::select(vec!["", "a", "A", "b", "ab", "region", "product", "é", "z"]).prop_map(String::from)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (key(), any::<i64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            key().prop_map(Op::Remove),
            key().prop_map(Op::Get),
            prop::collection::vec((key(), any::<i64>()), 0..5).prop_map(Op::Extend),
        ]
    }

    proptest! {
        #[test]
        fn behaves_like_a_btreemap(
            start in prop::collection::vec((key(), any::<i64>()), 0..8),
            ops in prop::collection::vec(op(), 0..40),
        ) {
            let mut model: BTreeMap<String, Value> = start.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            let mut fields: Fields = start.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(fields.insert(k.clone(), json!(v)), model.insert(k, json!(v))),
                    Op::Remove(k) => prop_assert_eq!(fields.remove(&k), model.remove(&k)),
                    Op::Get(k) => {
                        prop_assert_eq!(fields.get(&k), model.get(&k));
                        prop_assert_eq!(fields.contains_key(&k), model.contains_key(&k));
                    }
                    Op::Extend(list) => {
                        fields.extend(list.iter().map(|(k, v)| (k.clone(), json!(v))));
                        model.extend(list.iter().map(|(k, v)| (k.clone(), json!(v))));
                    }
                }
                prop_assert_eq!(fields.len(), model.len());
                prop_assert_eq!(fields.is_empty(), model.is_empty());
                prop_assert!(fields.iter().map(|(k, v)| (k.as_str(), v)).eq(model.iter().map(|(k, v)| (k.as_str(), v))));
                prop_assert_eq!(&fields, &Fields::from(model.clone()));
            }
        }
    }
}
