//! The daemon's HTTP server, on `[settings] listen` (off by default): `/metrics` in the Prometheus text
//! format, `/healthz`, and `/`, a read-only status page. Owns the listener, its bounds and the routing; what
//! each answer says lives in [`exposition`] and [`page`].
//!
//! Bounded against a hostile or stuck client: at most [`MAX_CONNECTIONS`] at once (the rest wait in the
//! listen backlog), request headers read within [`HEADER_READ_TIMEOUT`] and at most 16 KiB, one request per
//! connection, each connection closed after [`CONNECTION_TIMEOUT`]; only GET and HEAD. It never slows the
//! scheduler: metrics are atomics, and the database is read on blocking threads through connections of its
//! own (WAL lets them read while the daemon writes); `/healthz` waits at most [`PING_TIMEOUT`] for an answer.

mod exposition;
mod page;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::{Database, Store};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// A client must send its request headers within this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection is closed after this, whatever it is doing.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(20);
/// `/healthz` reports the database unhealthy when a ping takes longer than this.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Request header bytes read at most (hyper's smallest buffer).
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// What the server reads: never anything it writes to.
#[derive(Clone)]
pub struct Served {
    pub metrics: Arc<Metrics>,
    /// The daemon's own database handle, pinged by `/healthz`.
    pub store: Arc<dyn Store>,
    /// The database the status page opens read-only for each request.
    pub database: Database,
    /// The configuration in force; the daemon sends each reloaded one.
    pub config: watch::Receiver<Arc<Config>>,
    /// `/healthz` fails when the scheduler has not turned for longer than this.
    pub scheduler_stale_after: Duration,
}

/// Binds `address` now (so a taken port fails the daemon's start) and serves it until `stop`. Returns the
/// address bound (the real port when `address` asks for port 0).
pub async fn start(
    address: SocketAddr,
    served: Served,
    stop: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(accept_loop(listener, Arc::new(served), stop));
    Ok((bound, task))
}

async fn accept_loop(listener: TcpListener, served: Arc<Served>, stop: CancellationToken) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = stop.cancelled() => return,
            permit = Arc::clone(&connections).acquire_owned() => permit,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors, most likely: back off instead of spinning on the error.
                warn!(error = %error, "status server cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let served = Arc::clone(&served);
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |request| {
                let served = Arc::clone(&served);
                async move { Ok::<_, Infallible>(served.respond(&request).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_REQUEST_BYTES)
                .keep_alive(false);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => debug!(error = %error, "status server connection ended with an error"),
                Err(_) => debug!("status server connection closed after the time limit"),
            }
        });
    }
}

impl Served {
    async fn respond(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        match request.uri().path() {
            "/metrics" => {
                let config = Arc::clone(&self.config.borrow());
                let body = exposition::render(&self.metrics, &config);
                respond(StatusCode::OK, exposition::CONTENT_TYPE, body)
            }
            "/healthz" => match self.health().await {
                Ok(()) => text(StatusCode::OK, "ok\n"),
                Err(reason) => text(StatusCode::SERVICE_UNAVAILABLE, &format!("{reason}\n")),
            },
            "/" => {
                let config = Arc::clone(&self.config.borrow());
                let database = self.database.clone();
                let (status, html) = tokio::task::spawn_blocking(move || page::render(&config, &database))
                    .await
                    .unwrap_or_else(|error| {
                        (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            page::error_page(&error.to_string()),
                        )
                    });
                let mut response = respond(status, "text/html; charset=utf-8", html);
                // Nothing on the page runs: no scripts, nothing loaded from anywhere.
                response.headers_mut().insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
                );
                response
            }
            _ => text(StatusCode::NOT_FOUND, "not found: try /, /metrics or /healthz\n"),
        }
    }

    /// Healthy while the scheduler turns and the database answers; otherwise why not, on one line.
    async fn health(&self) -> Result<(), String> {
        let idle = self.metrics.since_scheduler_turned();
        if idle > self.scheduler_stale_after {
            return Err(format!(
                "scheduler stuck: it last turned {}s ago (limit {}s)",
                idle.as_secs(),
                self.scheduler_stale_after.as_secs()
            ));
        }
        let store = Arc::clone(&self.store);
        match tokio::time::timeout(PING_TIMEOUT, tokio::task::spawn_blocking(move || store.ping())).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(format!("database does not answer: {error}")),
            Ok(Err(error)) => Err(format!("database check failed: {error}")),
            Err(_) => Err(format!(
                "database does not answer: no reply within {}s",
                PING_TIMEOUT.as_secs()
            )),
        }
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", body.to_string())
}

fn respond(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn served(dir: &Path, scheduler_stale_after: Duration) -> Served {
        let database = Database::Sqlite(dir.join("t.db"));
        let config = crate::config::parse("", &dir.join("feeds.toml")).expect("config");
        Served {
            metrics: Arc::new(Metrics::default()),
            store: crate::store::open(&database, "test").expect("store"),
            database,
            config: watch::channel(Arc::new(config)).1,
            scheduler_stale_after,
        }
    }

    #[tokio::test]
    async fn health_needs_a_turning_scheduler_and_an_answering_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let served = served(dir.path(), Duration::from_secs(60));
        served.metrics.scheduler_turned();
        assert_eq!(served.health().await, Ok(()));

        let stuck = Served {
            scheduler_stale_after: Duration::ZERO,
            ..served.clone()
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let reason = stuck
            .health()
            .await
            .expect_err("a scheduler that stopped turning");
        assert!(reason.starts_with("scheduler stuck: "), "{reason}");

        std::fs::remove_file(dir.path().join("t.db")).expect("remove the database");
        let reason = served
            .health()
            .await
            .expect_err("a database removed from under us");
        assert!(reason.starts_with("database does not answer: "), "{reason}");
    }
}
