//! The words of the catalog: the language labels are shown in, and the `vocabulary!` macro
//! that gives each closed vocabulary (kinds, services, statuses, ...) its stable ids, labels,
//! parsing and display from one definition. A leaf: it depends on nothing else here.

/// Defines a closed vocabulary: stable id, Chinese label, English label, parse and display.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $id:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ts_rs::TS)]
        #[ts(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable id used in files, the API and on the command line.
            pub fn id(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(($name::$variant, Lang::Zh) => $zh, ($name::$variant, Lang::En) => $en),+
                }
            }

            /// Every accepted id, for error messages and help text.
            pub fn accepted() -> String {
                Self::ALL.iter().map(|v| v.id()).collect::<Vec<_>>().join(", ")
            }
        }

        impl $crate::lang::Coded for $name {
            const WHAT: &'static str = $what;

            fn code(self) -> i64 {
                self as i64
            }

            fn from_code(code: i64) -> Option<Self> {
                Self::ALL.get(usize::try_from(code).ok()?).copied()
            }
        }

        impl FromStr for $name {
            type Err = UnknownId;
            fn from_str(s: &str) -> Result<Self, UnknownId> {
                match s.trim() {
                    $($id => Ok($name::$variant),)+
                    other => Err(UnknownId { what: $what, given: other.to_string(), accepted: Self::accepted() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.id()) }
        }

        /// As its id: what the tables other than `stations` keep (a station row keeps its code,
        /// `store::codes`).
        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.id().into())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.id()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A vocabulary entry as a catalog file stores it: its place in the vocabulary's declaration
/// order. So every vocabulary is append only — reordering one changes what stored rows mean.
pub trait Coded: Sized + Copy {
    /// What the vocabulary names ("kind", "status"…), for errors.
    const WHAT: &'static str;

    fn code(self) -> i64;

    /// The entry at `code`; None for a code the vocabulary does not have.
    fn from_code(code: i64) -> Option<Self>;
}

/// The language of labels shown to people. Chinese first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// An error a person reads: English is its `Display`, Chinese is `zh`, and `text` puts them
/// together the way every message is shown (Chinese first, English after; English only on
/// request).
pub trait Bilingual: std::fmt::Display {
    fn zh(&self) -> String;

    fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => format!("{} — {self}", self.zh()),
            Lang::En => self.to_string(),
        }
    }
}

/// An id that is not in a vocabulary; says what was given and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}` (accepted: {accepted})")]
pub struct UnknownId {
    pub what: &'static str,
    pub given: String,
    pub accepted: String,
}

pub(crate) use vocabulary;
