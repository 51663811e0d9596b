//! A real HTTP/1.1 server on 127.0.0.1, started by a test, serving fixture responses and recording every
//! request so tests can count them and inspect their headers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// What the server answers for one path.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When set, a request whose `If-None-Match` equals it gets a bodiless 304.
    pub etag: Option<String>,
    /// How long the server waits before answering (for timeouts).
    pub delay: std::time::Duration,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            etag: None,
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: format!("<html><body>status {status}</body></html>").into_bytes(),
            etag: None,
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn redirect(to: &str) -> Self {
        Self {
            status: 301,
            headers: vec![("location".into(), to.into())],
            body: Vec::new(),
            etag: None,
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn with_etag(mut self, etag: &str) -> Self {
        self.etag = Some(etag.into());
        self.headers.push(("etag".into(), etag.into()));
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
}

/// The running server; dropped with the test (its thread ends with the process).
#[derive(Clone)]
pub struct FixtureServer {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FixtureServer {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1")
    }

    /// A server on another loopback address (`127.0.0.2` stands in for an internal host).
    pub fn start_on(ip: &str) -> Self {
        let listener = std::net::TcpListener::bind((ip, 0)).expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let address = listener.local_addr().expect("address");
        let state: Arc<Mutex<State>> = Arc::default();
        let server_state = Arc::clone(&state);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let state = Arc::clone(&server_state);
                    tokio::spawn(async move {
                        let service = service_fn(move |request| respond(Arc::clone(&state), request));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        Self { address, state }
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.state
            .lock()
            .expect("state")
            .routes
            .insert(path.into(), route);
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("state").seen.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|seen| seen.path == path).count()
    }
}

async fn respond(
    state: Arc<Mutex<State>>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/".to_string(), |pq| pq.as_str().to_string());
    let headers: HashMap<String, String> = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                value.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let route = {
        let mut state = state.lock().expect("state");
        state.seen.push(Seen {
            path: path.clone(),
            headers: headers.clone(),
            at: Instant::now(),
        });
        let without_query = path.split('?').next().unwrap_or("").to_string();
        state
            .routes
            .get(&path)
            .or_else(|| state.routes.get(&without_query))
            .cloned()
    };
    let route = route.unwrap_or_else(|| Route::status(404));
    tokio::time::sleep(route.delay).await;
    let not_modified = route.etag.is_some() && headers.get("if-none-match") == route.etag.as_ref();
    let mut response = Response::builder().status(if not_modified { 304 } else { route.status });
    for (name, value) in &route.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    let body = if not_modified { Vec::new() } else { route.body };
    Ok(response.body(Full::new(Bytes::from(body))).expect("response"))
}
