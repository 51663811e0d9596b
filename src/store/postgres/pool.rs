//! A small pool of blocking PostgreSQL connections, so store calls from several blocking threads run side by
//! side instead of queueing behind one connection. A connection the server closed is dropped and replaced
//! on the next checkout, so a restarted server costs the calls in flight, not the process.
//!
//! Each connection keeps the statements it has prepared: a query given as text is otherwise parsed and
//! planned by the server on every call, in a round trip of its own.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};

/// Connections open at most per process: enough for the blocking threads that use the store at once, few
/// enough that many instances stay under the server's `max_connections` (100 by default).
const MAX_CONNECTIONS: usize = 8;
/// How long connecting may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Statements kept per connection; the store has fewer distinct queries, so this only bounds a mistake.
const MAX_STATEMENTS: usize = 128;

pub(super) struct Pool {
    config: Config,
    read_only: bool,
    state: Mutex<State>,
    returned: Condvar,
}

/// A connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Connection {
    fn new(client: Client) -> Self {
        Self {
            client,
            statements: HashMap::new(),
        }
    }
}

struct State {
    idle: Vec<Connection>,
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
            while let Some(connection) = state.idle.pop() {
                if !connection.client.is_closed() {
                    return Ok(Pooled {
                        pool: self,
                        connection: Some(connection),
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
                        connection: Some(Connection::new(client)),
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
/// Its `execute`, `query`, `query_one` and `query_opt` take the query as text like [`Client`]'s, and run
/// the statement this connection prepared for that text (preparing it the first time).
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    connection: Option<Connection>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl Pooled<'_> {
    fn connection(&mut self) -> &mut Connection {
        self.connection.as_mut().expect("present until dropped")
    }

    fn prepared(&mut self, query: &str) -> Result<Statement, postgres::Error> {
        let connection = self.connection();
        if let Some(statement) = connection.statements.get(query) {
            return Ok(statement.clone());
        }
        let statement = connection.client.prepare(query)?;
        if connection.statements.len() >= MAX_STATEMENTS {
            connection.statements.clear();
        }
        connection.statements.insert(query.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs `work` with the statement prepared for `query`. A statement the server no longer knows, or whose
    /// result changed shape (another instance migrated the schema), is prepared again once.
    fn run<T>(
        &mut self,
        query: &str,
        work: impl Fn(&mut Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        let statement = self.prepared(query)?;
        match work(&mut self.connection().client, &statement) {
            Err(error) if is_stale_statement(&error) => {
                self.connection().statements.remove(query);
                let statement = self.prepared(query)?;
                work(&mut self.connection().client, &statement)
            }
            done => done,
        }
    }

    pub(super) fn execute(&mut self, query: &str, params: Params<'_>) -> Result<u64, postgres::Error> {
        self.run(query, |client, statement| client.execute(statement, params))
    }

    pub(super) fn query(&mut self, query: &str, params: Params<'_>) -> Result<Vec<Row>, postgres::Error> {
        self.run(query, |client, statement| client.query(statement, params))
    }

    pub(super) fn query_one(&mut self, query: &str, params: Params<'_>) -> Result<Row, postgres::Error> {
        self.run(query, |client, statement| client.query_one(statement, params))
    }

    pub(super) fn query_opt(
        &mut self,
        query: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, postgres::Error> {
        self.run(query, |client, statement| client.query_opt(statement, params))
    }
}

/// "prepared statement does not exist" or "cached plan must not change result type".
fn is_stale_statement(error: &postgres::Error) -> bool {
    error.code().is_some_and(|code| {
        *code == SqlState::INVALID_SQL_STATEMENT_NAME || *code == SqlState::FEATURE_NOT_SUPPORTED
    })
}

impl Deref for Pooled<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.connection.as_ref().expect("present until dropped").client
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.connection().client
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state();
        match self.connection.take() {
            Some(connection) if !connection.client.is_closed() => state.idle.push(connection),
            _ => state.open -= 1,
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
