//! [`Name`]: a shared, immutable text for the names that every payout line repeats.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A rule's, tier's or participant role's name, shared: cloning a `Name` copies a pointer, not
/// the text, so the lines of a run share their rule's and tier's names instead of each holding
/// its own copies (issue #9: three to five allocations per line at a million lines).
///
/// It reads like a `&str` (`Deref`, `as_str`, comparisons with `str`, `&str` and `String`,
/// `Display`) and its `Debug` and serde forms are the text's.
///
/// ```
/// use compcode_core::model::Name;
/// let n = Name::from("Attainment Commission");
/// let copy = n.clone(); // no new text
/// assert_eq!(copy, "Attainment Commission");
/// assert_eq!(copy.as_str().len(), 21);
/// assert_eq!(format!("{n} / {n:?}"), "Attainment Commission / \"Attainment Commission\"");
/// assert_eq!(serde_json::to_string(&n).unwrap(), "\"Attainment Commission\"");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Name(Arc<str>);

impl Name {
    /// A new name holding a copy of `s`.
    pub fn new(s: &str) -> Name {
        Name(Arc::from(s))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::new(s)
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0.to_string()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

#[cfg(test)]
mod tests {
    use super::Name;
    use std::collections::BTreeMap;

    #[test]
    fn reads_and_compares_like_its_text() {
        let text = String::from("Tier 2");
        let n = Name::from(text.clone());
        assert_eq!(n, "Tier 2");
        assert_eq!("Tier 2", n);
        assert_eq!(n, text);
        assert_eq!(text, n);
        assert_eq!(n.len(), 6, "Deref to str");
        let (a, b, upper_b) = (Name::from("a"), Name::from("b"), Name::from("B"));
        assert!(a < b && upper_b < a, "orders like str");
        // a map keyed by names is read with a &str
        let m: BTreeMap<Name, u32> = [(Name::from("x"), 1)].into_iter().collect();
        assert_eq!(m.get("x"), Some(&1));
        assert_eq!(String::from(n.clone()), "Tier 2");
        assert_eq!(serde_json::from_str::<Name>("\"Tier 2\"").unwrap(), n);
        assert_eq!(Name::default(), "");
    }
}
