//! The server's request parsing (`facenet_server::input::FaceRequest::parse`, what the detect, recognize,
//! verify and add-example endpoints run before any work): the query options, then a multipart or base64
//! JSON body. The input is three parts split at the first two newlines: the query string, the
//! `Content-Type`, the body; a query or content type that HTTP cannot carry is skipped.
#![no_main]

use axum::body::Body;
use axum::http::{Request, StatusCode, Uri, header};
use facenet_server::input::FaceRequest;
use libfuzzer_sys::fuzz_target;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

fuzz_target!(|input: &[u8]| {
    let mut parts = input.splitn(3, |&b| b == b'\n');
    let (Some(query), Some(content_type), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let Ok(uri) = Uri::try_from([b"/?", query].concat()) else {
        return;
    };
    let Ok(request) = Request::builder()
        .uri(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
    else {
        return;
    };
    match run(FaceRequest::parse(request)) {
        Ok(mut parsed) => {
            let params = &parsed.params;
            assert!(params.prediction_count >= 1);
            assert!(params.det_prob_threshold == f32::NEG_INFINITY || (0.0..=1.0).contains(&params.det_prob_threshold));
            for name in ["file", "source_image", "target_image"] {
                if let Ok(image) = parsed.images.take(name) {
                    assert!(!image.is_empty());
                }
            }
        }
        Err(e) => {
            assert!(
                matches!(e.status, StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE),
                "{e:?}"
            );
            assert!(!e.message.is_empty());
        }
    }
});

/// Runs `future` to completion on this thread: the body is in memory, so it never waits on anything.
fn run<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}
