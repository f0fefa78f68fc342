//! Gzip for one `near` answer (ten stations with two services, from the seeded test catalog):
//! the server's compressor (`testing::gzip`, libdeflate at level 1) against miniz at its fastest
//! level (flate2's, what the server used before), kept and reset between answers as the server
//! kept it. Each side's size is printed once, with a check that both give the answer back.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use waystation_server::testing::{TestServer, bytes, gzip as server_gzip};

/// An uncompressed answer, asked of the real router in process.
fn near_answer() -> Vec<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let server = TestServer::seeded();
        let uri = "/v1/stations/near?lat=30.59&lon=114.31&k=10&service=shower,drinking_water";
        let resp = server
            .api()
            .send(Request::get(uri).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        bytes(resp).await.to_vec()
    })
}

/// One gzip member by miniz: the header, raw deflate at the fastest level, CRC-32 and length.
fn miniz(deflate: &mut Compress, data: &[u8]) -> Vec<u8> {
    const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    deflate.reset();
    let mut out = Vec::with_capacity(HEADER.len() + data.len() + 64);
    out.extend_from_slice(&HEADER);
    let status = deflate.compress_vec(data, &mut out, FlushCompress::Finish);
    assert!(
        matches!(status, Ok(Status::StreamEnd)),
        "room for the whole answer"
    );
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn unzipped(member: &[u8]) -> Vec<u8> {
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(member)
        .read_to_end(&mut back)
        .expect("a gzip member");
    back
}

fn gzip(c: &mut Criterion) {
    let answer = near_answer();
    let mut deflate = Compress::new(Compression::fast(), false);
    let ours = server_gzip(&answer).expect("gzip");
    let theirs = miniz(&mut deflate, &answer);
    assert_eq!(unzipped(&ours), answer);
    assert_eq!(unzipped(&theirs), answer);
    println!(
        "near answer: {} bytes; gzip by libdeflate level 1 (the server's): {} bytes; by miniz, fastest: {} bytes",
        answer.len(),
        ours.len(),
        theirs.len()
    );
    let mut group = c.benchmark_group("gzip_near_answer");
    group.bench_function("libdeflate_level_1", |b| b.iter(|| server_gzip(&answer)));
    group.bench_function("miniz_fastest", |b| b.iter(|| miniz(&mut deflate, &answer)));
    group.finish();
}

criterion_group!(benches, gzip);
criterion_main!(benches);
