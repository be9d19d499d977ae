//! `facenet serve` as a process: it starts on a gallery with a key from `facenet keys create`, answers
//! over a real socket, an example whose add returned 201 survives a SIGKILL right after, and SIGTERM
//! stops it cleanly.

use facenet::gallery::Gallery;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn facenet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
}

/// `facenet keys create --json` on `db`: the key.
fn create_key(db: &Path, service: &str) -> String {
    let out = facenet()
        .args(["keys", "create", "--json", "--service", service, "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(key["service"], service);
    assert!(key["id"].is_i64());
    key["key"].as_str().unwrap().to_string()
}

/// Starts `facenet serve` on a free port; returns the child and its address (from the start-up log).
fn start(db: &Path) -> (Child, String) {
    start_with_keys(db, 1)
}

fn start_with_keys(db: &Path, keys: usize) -> (Child, String) {
    let mut child = facenet()
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains("listening on"))
        .expect("the start-up line");
    assert!(
        line.contains("model facenet") && line.contains(&format!("{keys} valid API keys")),
        "{line}"
    );
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // keep draining stderr so the server never blocks on a full pipe
    std::thread::spawn(move || lines.for_each(drop));
    (child, addr)
}

/// One HTTP/1.1 request; returns the status and body.
fn request(addr: &str, method: &str, path: &str, key: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nx-api-key: {key}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn multipart(photo: &[u8]) -> (String, Vec<u8>) {
    let boundary = "serve-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(photo);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn an_added_example_survives_sigkill_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let key = create_key(&db, "recognition");
    let photo = std::fs::read(facenet::Cache::from_env().unwrap().ensure("obama.jpg").unwrap()).unwrap();

    let (mut server, addr) = start(&db);
    let (status, _) = request(&addr, "GET", "/health", "", "text/plain", b"");
    assert_eq!(status, 200);
    let (content_type, body) = multipart(&photo);
    let (status, answer) = request(
        &addr,
        "POST",
        "/api/v1/recognition/faces?subject=obama",
        &key,
        &content_type,
        &body,
    );
    assert_eq!(status, 201, "{answer}");
    server.kill().unwrap(); // SIGKILL, right after the answer
    server.wait().unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let image_id = answer["image_id"].as_str().unwrap();
    let gallery = Gallery::open_existing(&db).unwrap();
    assert_eq!(gallery.example_image(image_id).unwrap().unwrap(), photo);
    assert_eq!(gallery.face_count().unwrap(), 1);
    drop(gallery);

    let (server, addr) = start(&db);
    let (status, list) = request(&addr, "GET", "/api/v1/recognition/faces", &key, "text/plain", b"");
    assert_eq!(status, 200);
    assert!(list.contains(image_id), "{list}");
    let pid = server.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let output = server.wait_with_output().unwrap();
    assert!(output.status.success(), "SIGTERM is a clean stop: {:?}", output.status);
}

#[test]
fn keys_are_listed_without_the_key_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let key = create_key(&db, "detection");
    let list = facenet()
        .args(["keys", "list", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("detection") && !text.contains(&key), "{text}");
    let revoke = facenet()
        .args(["keys", "revoke", "1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(revoke.status.success());
    let again = facenet()
        .args(["keys", "revoke", "1", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "revoking twice names the problem");
    let bad = facenet()
        .args(["keys", "create", "--service", "billing", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The Python interpreter that has the CompreFace SDK: `$FACENET_SDK_PYTHON`, else the venv that
/// `scripts/test_compreface_sdk.sh` makes.
fn sdk_python() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("FACENET_SDK_PYTHON").map(std::path::PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/compreface-sdk-venv/bin/python")),
    ];
    candidates.into_iter().flatten().find(|python| {
        Command::new(python)
            .args(["-c", "import compreface"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn compreface_sdk_runs_unchanged_against_the_server() {
    let Some(python) = sdk_python() else {
        eprintln!(
            "SKIPPED compreface_sdk_runs_unchanged_against_the_server: no python with compreface-sdk \
             (run scripts/test_compreface_sdk.sh, or set FACENET_SDK_PYTHON)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("g.db");
    let keys = ["recognition", "detection", "verification"].map(|s| create_key(&db, s));
    let (mut server, addr) = start_with_keys(&db, 3);
    let port = addr.rsplit(':').next().unwrap().to_string();
    let cache = facenet::Cache::from_env().unwrap();
    let photos = ["obama.jpg", "obama2.jpg", "biden.jpg"].map(|p| cache.ensure(p).unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/compreface_sdk_round.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&port)
        .args(&keys)
        .args(&photos)
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("sdk round ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The single-process figure the load benchmark compares the recognize endpoint with.
#[test]
fn bench_pipeline_times_every_photo_from_bytes_to_embeddings() {
    let out = facenet()
        .args(["bench", "pipeline", "--json", "--seconds", "0.1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let photos = t["photos"].as_u64().unwrap();
    assert!(photos >= 4, "each of the 4 photos at least once: {t}");
    assert!(t["faces"].as_u64().unwrap() >= photos, "every photo has a face: {t}");
    let (rate, share) = (t["photos_per_s"].as_f64().unwrap(), t["detect_share"].as_f64().unwrap());
    assert!(rate > 0.0 && share > 0.0 && share < 1.0, "{t}");
}
