//! Answers compressed in one go, in the encoding the request asks for. A `near` answer is a
//! few kilobytes, and setting a compressor up for each (hundreds of kilobytes of tables to
//! allocate and zero) cost more than the compressing; so each thread keeps one gzip and one
//! zstd compressor and resets it. Files streamed from disk are left to the compression layer,
//! which passes over anything that already carries a Content-Encoding.

use std::cell::RefCell;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};

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

/// `json` as an answer in the encoding `request` asks for (uncompressed should a compressor
/// fail), with its Content-Type, Content-Encoding and Vary.
pub fn json_answer(request: &HeaderMap, json: Vec<u8>) -> Response {
    let asked = Encoding::asked(request);
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

thread_local! {
    /// Raw deflate at the fastest level; the gzip frame is written around it.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    static ZSTD: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(zstd::bulk::Compressor::new(1).ok());
}

/// RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// `data` as one gzip member: the header, the deflated data, its CRC-32 and length.
fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    DEFLATE.with_borrow_mut(|deflate| {
        deflate.reset();
        let mut out = Vec::with_capacity(GZIP_HEADER.len() + data.len() / 2 + 64);
        out.extend_from_slice(&GZIP_HEADER);
        loop {
            let read = usize::try_from(deflate.total_in()).ok()?;
            let rest = data.get(read..)?;
            match deflate.compress_vec(rest, &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => break,
                Ok(_) => out.reserve(out.capacity().max(64)),
                Err(_) => return None,
            }
        }
        let mut crc = Crc::new();
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        Some(out)
    })
}

fn zstd(data: &[u8]) -> Option<Vec<u8>> {
    ZSTD.with_borrow_mut(|zstd| zstd.as_mut()?.compress(data).ok())
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
        // Sizes around the deflate buffer's growth, each twice (after a reset), and empty.
        for size in [0, 1, 100, 6_500, 70_000, 300_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            for _ in 0..2 {
                let sent = gzip(&data).expect("gzip");
                let mut back = Vec::new();
                flate2::read::GzDecoder::new(&sent[..])
                    .read_to_end(&mut back)
                    .expect("a whole gzip member");
                assert_eq!(back, data, "{size} bytes");
                let sent = zstd(&data).expect("zstd");
                assert_eq!(zstd::decode_all(&sent[..]).expect("zstd"), data);
            }
        }
    }
}
