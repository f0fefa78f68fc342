//! Little-endian fields for the packed index's parts (index/packed.rs, index/flat.rs): written
//! one after another; read back from the front of a stream (the part in place in the catalog
//! file, through a small buffer, so that no copy as big as the part is made), each read failing
//! (None) rather than running past the end, every count checked against the bytes left before
//! anything is made for it, and the checksum worked out on the way.

use std::io::Read;

/// Fields appended to a part.
#[derive(Default)]
pub struct Writer {
    bytes: Vec<u8>,
    /// A count or a length did not fit its u32: the part cannot be written.
    too_long: bool,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub fn f64(&mut self, v: f64) {
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    /// Its length in bytes, then its UTF-8.
    pub fn str(&mut self, v: &str) {
        self.count(v.len());
        self.bytes.extend_from_slice(v.as_bytes());
    }

    /// A count (or a length) of what follows, as a u32.
    pub fn count(&mut self, n: usize) {
        let n = u32::try_from(n).unwrap_or_else(|_| {
            self.too_long = true;
            u32::MAX
        });
        self.u32(n);
    }

    /// The part's bytes, unless something in it was too long to count.
    pub fn finish(self) -> Option<Vec<u8>> {
        (!self.too_long).then_some(self.bytes)
    }
}

/// Bytes read from the source at a time.
const BUFFER: usize = 64 * 1024;

/// The fields of a part still to read, from `source`, which holds `len` bytes.
pub struct Reader<R> {
    source: R,
    buffer: Box<[u8]>,
    /// The buffer's bytes not yet taken: `buffer[at..filled]`.
    at: usize,
    filled: usize,
    /// Bytes of the part not yet taken (in the buffer or still in the source).
    left: usize,
    checksum: crc32fast::Hasher,
}

impl<R: Read> Reader<R> {
    pub fn new(source: R, len: usize) -> Reader<R> {
        Reader {
            source,
            buffer: vec![0; BUFFER.min(len)].into_boxed_slice(),
            at: 0,
            filled: 0,
            left: len,
            checksum: crc32fast::Hasher::new(),
        }
    }

    /// At least `n` (at most the buffer's size) bytes in the buffer, if the part has them.
    fn fill(&mut self, n: usize) -> Option<()> {
        if self.filled - self.at >= n {
            return Some(());
        }
        if n > self.left || n > self.buffer.len() {
            return None;
        }
        self.buffer.copy_within(self.at..self.filled, 0);
        self.filled -= self.at;
        self.at = 0;
        // No more than the part holds: a source longer than its stated length is not read on.
        let wanted = self.buffer.len().min(self.left);
        while self.filled < wanted {
            let fresh = match self.source.read(&mut self.buffer[self.filled..wanted]) {
                Ok(0) | Err(_) => return None,
                Ok(fresh) => fresh,
            };
            self.checksum
                .update(&self.buffer[self.filled..self.filled + fresh]);
            self.filled += fresh;
        }
        Some(())
    }

    /// The next `N` bytes: a field, or a whole record of fields to read with `Fields` (one
    /// check of the buffer for the record rather than one a field: the national catalog's
    /// parts hold millions of fields). Inlined: left to itself, the compiler made a 31-byte
    /// summary a call of its own, 4.4 million more instructions for a national open.
    #[inline]
    pub fn record<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.fill(N)?;
        let field = self.buffer[self.at..self.at + N].try_into().ok()?;
        self.at += N;
        self.left -= N;
        Some(field)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.record::<1>().map(|[b]| b)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.record().map(u32::from_le_bytes)
    }

    /// A string of any length (the ids of every station are one).
    pub fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        if len > self.left {
            return None;
        }
        let mut text = Vec::with_capacity(len);
        while text.len() < len {
            self.fill(1)?;
            let chunk = (len - text.len()).min(self.filled - self.at);
            text.extend_from_slice(&self.buffer[self.at..self.at + chunk]);
            self.at += chunk;
            self.left -= chunk;
        }
        String::from_utf8(text).ok()
    }

    /// A count of records each at least `least` bytes long, if the bytes left can hold them:
    /// a made-up count cannot make a vector bigger than the part.
    pub fn count(&mut self, least: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(least)? <= self.left).then_some(n)
    }

    /// Whether every byte of the part was taken and the part's checksum is `checksum`.
    pub fn ends_with_checksum(self, checksum: u32) -> bool {
        self.left == 0 && self.checksum.finalize() == checksum
    }
}

/// The fields of one record taken whole (`Reader::record`), front to back.
pub struct Fields<'a>(pub &'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (field, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*field)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    pub fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    /// A finite f64 (no part holds another kind).
    pub fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take()?)).filter(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_across_the_buffer_s_edges() {
        let mut out = Writer::default();
        let long = "站".repeat(BUFFER); // three buffers' worth
        for i in 0..BUFFER as u32 {
            out.u8(i as u8);
            out.u32(i);
            out.f64(f64::from(i) / 3.0);
        }
        out.f64(f64::INFINITY);
        out.str(&long);
        out.str("");
        out.count(2);
        let bytes = out.finish().expect("nothing too long");
        let mut part = Reader::new(&bytes[..], bytes.len());
        for i in 0..BUFFER as u32 {
            assert_eq!(part.u8(), Some(i as u8));
            let record = part.record::<12>().expect("a record");
            let mut fields = Fields(&record);
            assert_eq!(fields.u32(), Some(i));
            assert_eq!(fields.f64(), Some(f64::from(i) / 3.0));
            assert_eq!(fields.u8(), None, "past the record's end");
        }
        let record = part.record::<8>().expect("a record");
        assert_eq!(Fields(&record).f64(), None, "not finite");
        assert_eq!(part.string().as_deref(), Some(long.as_str()));
        assert_eq!(part.string().as_deref(), Some(""));
        assert_eq!(part.count(0), Some(2));
        assert_eq!(part.u8(), None, "past the end");
        assert!(part.ends_with_checksum(crc32fast::hash(&bytes)));
    }

    #[test]
    fn a_part_cut_short_damaged_or_not_all_read_is_refused() {
        let mut out = Writer::default();
        out.str("司机之家");
        out.u32(3);
        let bytes = out.finish().expect("nothing too long");
        let whole = crc32fast::hash(&bytes);
        // Not all read.
        let mut part = Reader::new(&bytes[..], bytes.len());
        assert!(part.string().is_some());
        assert!(!part.ends_with_checksum(whole));
        // Read through, but one bit flipped.
        let mut flipped = bytes.clone();
        flipped[bytes.len() - 1] ^= 1;
        let mut part = Reader::new(&flipped[..], flipped.len());
        assert!(part.string().is_some() && part.u32().is_some());
        assert!(!part.ends_with_checksum(whole));
        // A source shorter than its stated length.
        assert_eq!(Reader::new(&bytes[..6], bytes.len()).string(), None);
        // A count the bytes left cannot hold: the string's length (12) read as a count of
        // two-byte records, with 12 bytes left.
        assert_eq!(Reader::new(&bytes[..], bytes.len()).count(2), None);
        // A string longer than the part; a string not UTF-8.
        let long = (1u32 << 30).to_le_bytes();
        assert_eq!(Reader::new(&long[..], 4).string(), None);
        let bad = [1, 0, 0, 0, 0xFF];
        assert_eq!(Reader::new(&bad[..], 5).string(), None);
        // A count that does not fit a u32 is not written as another.
        let mut huge = Writer::default();
        huge.count(usize::MAX);
        assert_eq!(huge.finish(), None);
    }
}
