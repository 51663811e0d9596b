//! A throwaway PostgreSQL database per test, on the server named by `TIDINGS_TEST_POSTGRES` (default: the
//! local server at 127.0.0.1:5432 as user postgres). Created with a random name, dropped when the test ends.
//! Without a server the test prints a SKIPPED line and passes, unless TIDINGS_REQUIRE_EXTERNAL=1 (set by
//! .ci/run, which starts one) makes that a failure.

use std::time::Duration;

use postgres::{Client, Config, NoTls};
use url::Url;

/// The server tried when `TIDINGS_TEST_POSTGRES` is not set.
pub const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// One test's database; dropped (connections closed first) with this value.
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

fn connect(url: &str) -> Result<Client, postgres::Error> {
    let mut config: Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(5));
    config.connect(NoTls)
}

impl TestDatabase {
    /// A new empty database; `None` (after the SKIPPED line) when no server answers.
    pub fn create(test: &str) -> Option<Self> {
        let server = std::env::var("TIDINGS_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_string());
        let mut admin = match connect(&server) {
            Ok(admin) => admin,
            Err(error) => {
                super::external::skip(
                    test,
                    &format!("no PostgreSQL at {server} ({error})"),
                    "set TIDINGS_TEST_POSTGRES to a server URL whose user may create databases",
                );
                return None;
            }
        };
        let name = format!("tidings_test_{:016x}", rand::random::<u64>());
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let mut url = Url::parse(&server).expect("TIDINGS_TEST_POSTGRES is a URL");
        url.set_path(&format!("/{name}"));
        Some(Self {
            server,
            name,
            url: url.to_string(),
        })
    }

    /// The database's URL, for `[settings] database` or the store.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A direct connection, to look at rows the store does not expose.
    pub fn client(&self) -> Client {
        connect(&self.url).expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = connect(&self.server) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
