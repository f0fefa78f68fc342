//! Answers compressed in one go, in the encoding the request asks for. A `near` answer is a
//! few kilobytes, and setting a compressor up for each (hundreds of kilobytes of tables to
//! allocate and zero) cost more than the compressing; so each thread keeps one gzip and one
//! zstd compressor. Gzip is libdeflate's, made for whole buffers: it took less time than miniz
//! (flate2's) at its fastest level in every run of `cargo bench -p waystation-server --bench
//! gzip`, by a margin that varied from run to run, and sends fewer bytes. Files streamed from
//! disk are left to the compression layer, which passes over anything that already carries a
//! Content-Encoding.

use std::cell::RefCell;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use libdeflater::{CompressionLvl, Compressor};

/// How an answer's body is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Zstd,
    Gzip,
    Identity,
}

impl Encoding {
    /// The one of zstd and gzip the request's Accept-Encoding weighs higher (named, or through
    /// `*`; zstd on a tie), or none when it names neither or weighs both at q=0 (RFC 9110 12.5.3).
    pub fn asked(request: &HeaderMap) -> Encoding {
        let (mut zstd, mut gzip, mut any) = (None, None, None);
        let items = (request.get_all(header::ACCEPT_ENCODING).iter())
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','));
        for item in items {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|p| p.split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
                .map_or(Some(1.0), |(_, q)| q.trim().parse::<f32>().ok());
            let Some(weight) = weight else { continue };
            if name.eq_ignore_ascii_case("zstd") {
                zstd = Some(weight);
            } else if name.eq_ignore_ascii_case("gzip") {
                gzip = Some(weight);
            } else if name == "*" {
                any = Some(weight);
            }
        }
        let (zstd, gzip) = (zstd.or(any).unwrap_or(0.0), gzip.or(any).unwrap_or(0.0));
        if zstd > 0.0 && zstd >= gzip {
            Encoding::Zstd
        } else if gzip > 0.0 {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }

    /// The Content-Encoding it is sent with.
    pub fn header(self) -> Option<HeaderValue> {
        match self {
            Encoding::Zstd => Some(HeaderValue::from_static("zstd")),
            Encoding::Gzip => Some(HeaderValue::from_static("gzip")),
            Encoding::Identity => None,
        }
    }
}

/// `json` as an answer in the encoding asked for (uncompressed should a compressor fail), with
/// its Content-Type, Content-Encoding and Vary.
pub fn json_answer(asked: Encoding, json: Vec<u8>) -> Response {
    let compressed = match asked {
        Encoding::Zstd => zstd(&json),
        Encoding::Gzip => gzip(&json),
        Encoding::Identity => None,
    };
    let (encoding, body) = compressed.map_or((Encoding::Identity, json), |body| (asked, body));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(value) = encoding.header() {
        headers.insert(header::CONTENT_ENCODING, value);
    }
    response
}

/// libdeflate's fastest level that compresses (its level 0 only frames the data as it is).
const GZIP_LEVEL: CompressionLvl = match CompressionLvl::new(1) {
    Ok(level) => level,
    Err(_) => panic!("libdeflate has level 1"),
};

thread_local! {
    static GZIP: RefCell<Compressor> = RefCell::new(Compressor::new(GZIP_LEVEL));
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(zstd::bulk::Compressor::new(1).ok());
}

/// `data` as one gzip member (header, deflated data, CRC-32 and length), as the server sends it.
pub fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    GZIP.with_borrow_mut(|gzip| {
        let mut out = vec![0; gzip.gzip_compress_bound(data.len())];
        let written = gzip.gzip_compress(data, &mut out).ok()?;
        out.truncate(written);
        Some(held_at_its_size(out))
    })
}

fn zstd(data: &[u8]) -> Option<Vec<u8>> {
    ZSTD.with_borrow_mut(|zstd| zstd.as_mut()?.compress(data).ok().map(held_at_its_size))
}

/// An answer is held until a client has read it: not with the room its input took (both
/// compressors write into a buffer as large as the worst case).
fn held_at_its_size(mut answer: Vec<u8>) -> Vec<u8> {
    answer.shrink_to_fit();
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn asked(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("value"),
        );
        Encoding::asked(&headers)
    }

    #[test]
    fn the_encoding_is_the_one_asked_for() {
        assert_eq!(asked("gzip, deflate, br, zstd"), Encoding::Zstd);
        assert_eq!(asked("gzip"), Encoding::Gzip);
        assert_eq!(asked("GZIP;q=0.5"), Encoding::Gzip);
        assert_eq!(asked("zstd;q=0, gzip"), Encoding::Gzip);
        assert_eq!(asked("zstd;Q=0, gzip"), Encoding::Gzip);
        assert_eq!(asked("zstd;q=0.1, gzip;q=1"), Encoding::Gzip);
        assert_eq!(asked("gzip;q=0.0"), Encoding::Identity);
        assert_eq!(asked("gzip;q=zero"), Encoding::Identity);
        assert_eq!(asked("*"), Encoding::Zstd);
        assert_eq!(asked("*;q=0.5, zstd;q=0"), Encoding::Gzip);
        assert_eq!(asked("br, identity"), Encoding::Identity);
        assert_eq!(Encoding::asked(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn one_compressor_a_thread_makes_whole_answers_of_every_size() {
        // Sizes from empty to past the largest answer (5,000 stations in a box, ~3 MB), each
        // twice (the thread's compressor again).
        for size in [0, 1, 100, 6_500, 70_000, 4_000_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            for _ in 0..2 {
                let sent = gzip(&data).expect("gzip");
                assert_eq!(
                    sent.capacity(),
                    sent.len(),
                    "{size} bytes: held at its size"
                );
                let mut back = Vec::new();
                let mut member = flate2::read::GzDecoder::new(&sent[..]);
                member.read_to_end(&mut back).expect("a whole gzip member");
                assert_eq!(back, data, "{size} bytes");
                assert!(
                    member.into_inner().is_empty(),
                    "{size} bytes: one member, nothing after"
                );
                if size >= 6_500 {
                    // Compressed, not only framed: the data repeats every 251 bytes.
                    assert!(
                        sent.len() < size / 10,
                        "{size} bytes sent as {}",
                        sent.len()
                    );
                }
                let sent = zstd(&data).expect("zstd");
                assert_eq!(
                    sent.capacity(),
                    sent.len(),
                    "{size} bytes: held at its size"
                );
                assert_eq!(zstd::decode_all(&sent[..]).expect("zstd"), data);
            }
        }
    }
}
