//! Taking single files out of package archives: gzipped tars (sdists, npm packs) and zips (wheels).
//! Each file is streamed into a temp file beside its destination while hashed, checked, then renamed.

use crate::files::hex;
use crate::{AssetFile, Error, Package, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Extracts `package.files` from `archive` into `dest_dir`, verifying each file's sha256. On any error no
/// destination file is created or changed (temp files are removed).
pub(crate) fn extract(package: &Package, archive: &Path, dest_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dest_dir).map_err(|e| Error::io(dest_dir, e))?;
    let wanted: HashMap<&str, &AssetFile> = package.files.iter().map(|f| (f.archive_path, f)).collect();
    let mut staged = Vec::new();
    if package.archive.ends_with(".whl") || package.archive.ends_with(".zip") {
        extract_zip(package, archive, &wanted, dest_dir, &mut staged)?;
    } else {
        extract_tar_gz(package, archive, &wanted, dest_dir, &mut staged)?;
    }
    if let Some(missing) = package
        .files
        .iter()
        .find(|f| !staged.iter().any(|(name, _)| *name == f.name))
    {
        return Err(Error::MissingInArchive {
            package: package.name.into(),
            archive: package.archive.into(),
            file: missing.archive_path.into(),
        });
    }
    // Every file is complete and checked: only now do they take their final names.
    for (name, tmp) in staged {
        let path = dest_dir.join(name);
        tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    }
    Ok(())
}

type Staged = Vec<(&'static str, tempfile::NamedTempFile)>;

fn extract_tar_gz(
    package: &Package,
    archive: &Path,
    wanted: &HashMap<&str, &AssetFile>,
    dest_dir: &Path,
    staged: &mut Staged,
) -> Result<()> {
    let bad = |detail: String| Error::BadArchive {
        package: package.name.into(),
        archive: package.archive.into(),
        detail,
    };
    let file = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let below_top: PathBuf = path.components().skip(1).collect();
        if let Some(file) = below_top.to_str().and_then(|p| wanted.get(p)) {
            staged.push((file.name, stage(package, file, &mut entry, dest_dir)?));
        }
    }
    Ok(())
}

fn extract_zip(
    package: &Package,
    archive: &Path,
    wanted: &HashMap<&str, &AssetFile>,
    dest_dir: &Path,
    staged: &mut Staged,
) -> Result<()> {
    let bad = |detail: String| Error::BadArchive {
        package: package.name.into(),
        archive: package.archive.into(),
        detail,
    };
    let file = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    for file in package.files {
        if !wanted.contains_key(file.archive_path) {
            continue;
        }
        let mut entry = match zip.by_name(file.archive_path) {
            Ok(entry) => entry,
            Err(zip::result::ZipError::FileNotFound) => continue,
            Err(e) => return Err(bad(e.to_string())),
        };
        staged.push((file.name, stage(package, file, &mut entry, dest_dir)?));
    }
    Ok(())
}

/// Copies `reader` into a temp file in `dest_dir`, hashing it, and checks size and sha256.
fn stage(
    package: &Package,
    file: &AssetFile,
    reader: &mut dyn Read,
    dest_dir: &Path,
) -> Result<tempfile::NamedTempFile> {
    let final_path = dest_dir.join(file.name);
    let mut tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dest_dir)
        .map_err(|e| Error::io(dest_dir, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::BadArchive {
            package: package.name.into(),
            archive: package.archive.into(),
            detail: format!("reading {}: {e}", file.archive_path),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(|e| Error::io(&final_path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(&final_path, e))?;
    let actual = hex(&hasher.finalize());
    if actual != file.sha256 {
        return Err(Error::FileChecksum {
            package: package.name.into(),
            file: file.name.into(),
            expected: file.sha256.into(),
            actual,
        });
    }
    Ok(tmp)
}

/// sha256 of a file, lowercase hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    crate::files::sha256_file(path).map_err(|e| Error::io(path, e))
}
