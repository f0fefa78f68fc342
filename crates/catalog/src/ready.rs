//! Station rows kept ready to answer with: every field already written as JSON. A server that
//! answers the same neighbourhoods all day then reads a busy station's row and escapes its
//! Chinese text once, not once per request. Flattened into a [`Hit`](crate::answer::Hit) it
//! renders, through serde_json, the same bytes as the [`Station`] it was made from.

use std::fmt;
use std::sync::Arc;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::answer::Located;
use crate::error::Result;
use crate::model::Station;
use crate::sphere::LatLon;

/// A station as JSON fields; cloning it shares them.
#[derive(Debug, Clone)]
pub struct ReadyStation(Arc<Ready>);

#[derive(Debug)]
struct Ready {
    location: LatLon,
    /// Each field's name and value as JSON, in the order `Station` writes them.
    fields: Vec<(Box<str>, Box<RawValue>)>,
    size: usize,
}

impl ReadyStation {
    pub fn new(station: &Station) -> Result<ReadyStation> {
        let json = serde_json::to_string(station).map_err(std::io::Error::from)?;
        let Fields(fields) = serde_json::from_str(&json).map_err(std::io::Error::from)?;
        let size = heap(std::mem::size_of::<Ready>() + 16)
            + heap(std::mem::size_of_val(fields.as_slice()))
            + (fields.iter())
                .map(|(name, value)| heap(name.len()) + heap(value.get().len()))
                .sum::<usize>();
        Ok(ReadyStation(Arc::new(Ready {
            location: station.location,
            fields,
            size,
        })))
    }

    /// About how many bytes it holds, for a cache's budget.
    pub fn size(&self) -> usize {
        self.0.size
    }
}

impl Located for ReadyStation {
    fn location(&self) -> LatLon {
        self.0.location
    }
}

/// What an allocation of `bytes` takes from glibc's malloc: a header, rounded up to 16 bytes,
/// never under 32.
fn heap(bytes: usize) -> usize {
    ((bytes + 8).div_ceil(16) * 16).max(32)
}

/// Writes the fields as they are (serde_json copies a raw value without reading it); only
/// serde_json can write them, which is all the server uses.
impl Serialize for ReadyStation {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.fields.len()))?;
        for (name, value) in &self.0.fields {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// A JSON object's fields in the order written (serde_json's own map would sort them).
struct Fields(Vec<(Box<str>, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Fields, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a station's fields")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Fields, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(20));
                while let Some(field) = map.next_entry()? {
                    fields.push(field);
                }
                fields.shrink_to_fit();
                Ok(Fields(fields))
            }
        }
        d.deserialize_map(InOrder)
    }
}
