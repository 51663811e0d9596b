//! This instance's presence: a session advisory lock keyed by the instance name, held on a connection of its
//! own for as long as the store is open, and released by the server when the process dies however it dies.
//! It tells whether another live process runs under the same name (the daemon while the admin runs `once`
//! with the same config, or two instances given one name): start-up then leaves that name's unfinished
//! extractions alone, since they may still be running, instead of marking them failed for good.

use std::sync::{Mutex, PoisonError};

use postgres::Client;
use sha2::{Digest, Sha256};

use super::pool::Pool;

pub(super) struct Presence {
    /// Never used again once the lock is taken; behind a mutex only so the store stays `Sync`.
    client: Mutex<Option<Client>>,
    sole: bool,
}

impl Presence {
    /// Takes the instance's lock if no live process holds it.
    pub(super) fn announce(pool: &Pool, instance: &str) -> Result<Self, postgres::Error> {
        let mut client = pool.dedicated()?;
        let sole = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key(instance)])?
            .get(0);
        Ok(Self {
            client: Mutex::new(Some(client)),
            sole,
        })
    }

    /// True when no other live process runs under this instance's name.
    pub(super) fn is_sole(&self) -> bool {
        self.sole
    }
}

/// The lock key of `instance`: 64 bits of a hash, so any name fits and names do not collide in practice.
fn key(instance: &str) -> i64 {
    let digest = Sha256::digest(format!("tidings instance {instance}"));
    let mut first = [0; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl Drop for Presence {
    /// Closes the connection on a thread of its own: closing blocks, and the store may be dropped by an
    /// async task.
    fn drop(&mut self) {
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(client) = client {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}
