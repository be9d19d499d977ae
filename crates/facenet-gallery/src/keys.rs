//! API keys of the server (CompreFace's service keys, REST API v1 `x-api-key`): each belongs to one
//! service (recognition, detection, verification) and is stored as the sha256 of the key, never the key.
//! The server compares hashes in constant time ([`ApiKey::key_sha256`]). The SQL is in the backends.

use crate::{Error, Gallery, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The services a key can belong to (CompreFace's service types).
pub const SERVICES: [&str; 3] = ["recognition", "detection", "verification"];

/// A stored key: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub service: String,
    /// sha256 of the key, 32 bytes.
    #[serde(skip)]
    pub key_sha256: [u8; 32],
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` while the key is valid.
    pub revoked_at: Option<i64>,
}

/// A key just created: the only time the key is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApiKey {
    pub key: String,
    pub id: i64,
    pub service: String,
}

/// sha256 of a presented key, as stored.
pub fn hash_api_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Gallery {
    /// Creates a key for `service` (one of [`SERVICES`]); the key (a random UUID, as CompreFace's) is
    /// returned once and only its hash is stored.
    pub fn create_api_key(&mut self, service: &str) -> Result<NewApiKey> {
        if !SERVICES.contains(&service) {
            return Err(Error::Invalid(format!(
                "service {service:?}: expected one of {}",
                SERVICES.join(", ")
            )));
        }
        let key = uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string();
        let hash = hex(&hash_api_key(&key));
        let id = self.store_mut().insert_api_key(service, &hash)?;
        Ok(NewApiKey {
            key,
            id,
            service: service.into(),
        })
    }

    /// Every key, revoked ones included, oldest first.
    pub fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let rows = self.store().api_keys()?;
        rows.into_iter()
            .map(|(id, service, hash, created_at, revoked_at)| {
                let key_sha256 = unhex(&hash).ok_or_else(|| Error::Corrupt {
                    path: self.path().into(),
                    reason: format!("api key {id}: bad hash {hash:?}"),
                })?;
                Ok(ApiKey {
                    id,
                    service,
                    key_sha256,
                    created_at,
                    revoked_at,
                })
            })
            .collect()
    }

    /// Revokes key `id`; `false` when there is no such valid key.
    pub fn revoke_api_key(&mut self, id: i64) -> Result<bool> {
        self.store_mut().revoke_api_key(id)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
