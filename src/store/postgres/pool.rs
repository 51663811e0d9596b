//! A small pool of blocking PostgreSQL connections, so store calls from several blocking threads run side by
//! side instead of queueing behind one connection. A connection the server closed is dropped and replaced
//! on the next checkout, so a restarted server costs the calls in flight, not the process.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::{Client, Config, NoTls};

/// Connections open at most per process: enough for the blocking threads that use the store at once, few
/// enough that many instances stay under the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: usize = 8;
/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) struct Pool {
    config: Config,
    read_only: bool,
    state: Mutex<State>,
    returned: Condvar,
}

struct State {
    idle: Vec<Client>,
    /// Connections checked out or idle.
    open: usize,
}

impl Pool {
    /// A pool for `config`; with `read_only` every transaction of its connections is read-only.
    pub(super) fn new(mut config: Config, application_name: &str, read_only: bool) -> Self {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name(application_name);
        }
        Self {
            config,
            read_only,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, a new one while fewer than [`MAX_CONNECTIONS`] are open, or the next one returned.
    pub(super) fn get(&self) -> Result<Pooled<'_>, postgres::Error> {
        let mut state = self.state();
        loop {
            while let Some(client) = state.idle.pop() {
                if !client.is_closed() {
                    return Ok(Pooled {
                        pool: self,
                        client: Some(client),
                    });
                }
                state.open -= 1;
            }
            if state.open < MAX_CONNECTIONS {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        client: Some(client),
                    }),
                    Err(error) => {
                        self.state().open -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// A connection of its own, outside the pool (held for the store's lifetime).
    pub(super) fn dedicated(&self) -> Result<Client, postgres::Error> {
        self.connect()
    }

    fn connect(&self) -> Result<Client, postgres::Error> {
        let mut client = self.config.connect(NoTls)?;
        if self.read_only {
            client.batch_execute("SET default_transaction_read_only = on")?;
        }
        Ok(client)
    }
}

impl Drop for Pool {
    /// Closes the idle connections on a thread of their own: closing blocks, and the last holder of the
    /// store may be an async task (the daemon ending), where blocking is forbidden.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.state().idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

/// A checked-out connection; goes back to the pool when dropped (or is closed for good if it broke).
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Deref for Pooled<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state();
        match self.client.take() {
            Some(client) if !client.is_closed() => state.idle.push(client),
            _ => state.open -= 1,
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
