//! The loopback redirect listener (RFC 8252 §7.3) on axum: `127.0.0.1:0`, one route, `GET /`.
//!
//! axum serves every connection on its own task, so a local client that connects and sends
//! nothing (or sends slowly) never holds the listener. A callback whose `state` is this
//! flow's and that carries a `code` or an `error` is handed to the flow exactly once, and its
//! browser tab gets the page the flow answers; a callback with a missing or foreign `state`,
//! a second valid one, other paths and other methods get an error page and change nothing
//! (B30, B37). [`Server::shutdown`] stops accepting, closes the listener and ends the idle
//! connections when the flow ends, is cancelled or times out.

use crate::error::{AuthError, AuthErrorKind};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use oauth2::{AuthorizationCode, CsrfToken};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Binds `127.0.0.1:0`: the OS picks a free port, so a busy port such as 8080 never matters
/// (B30). Blocking-free and runtime-free, so [`crate::start_sign_in`] stays synchronous.
pub(crate) fn bind() -> Result<TcpListener, AuthError> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).map_err(|e| {
        AuthError::new(
            AuthErrorKind::PortBind,
            format!("Cannot listen on 127.0.0.1 for the sign-in redirect ({e}). Check that the loopback interface is up and not blocked by a firewall or sandbox."),
        )
    })?;
    listener.set_nonblocking(true).map_err(listener_err)?;
    Ok(listener)
}

/// What a callback with this flow's `state` carried.
pub(crate) enum Redirect {
    Code(AuthorizationCode),
    /// `error=` (RFC 6749 §4.1.2.1), e.g. `access_denied`.
    Error {
        error: String,
        description: Option<String>,
    },
}

/// The one valid callback, with the browser tab waiting for its page.
pub(crate) struct Callback {
    pub redirect: Redirect,
    reply: oneshot::Sender<Page>,
}

impl Callback {
    /// Answers the browser tab that delivered the callback.
    pub fn answer(self, page: Page) {
        let _ = self.reply.send(page);
    }
}

/// A small HTML page for the browser tab; the body is escaped.
pub(crate) struct Page {
    status: StatusCode,
    title: &'static str,
    body: String,
}

impl Page {
    pub fn new(status: StatusCode, title: &'static str, body: impl Into<String>) -> Self {
        Self {
            status,
            title,
            body: body.into(),
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let (title, body) = (self.title, html_escape(&self.body));
        let html = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>CMEK Desk – {title}</title></head>\
             <body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\"><h1>{title}</h1><p>{body}</p></body></html>"
        );
        (
            self.status,
            [(header::CACHE_CONTROL, "no-store")],
            Html(html),
        )
            .into_response()
    }
}

/// The running listener. Dropping it aborts the server; [`Server::shutdown`] ends it cleanly.
pub(crate) struct Server {
    task: JoinHandle<()>,
    stop: Option<oneshot::Sender<()>>,
}

impl Server {
    /// Ends the server: the accept loop stops and the listener is closed before this returns
    /// (so a replayed callback finds no one listening). Open connections wind down on their
    /// own tasks through axum's graceful shutdown: the one answering the callback finishes
    /// its page, idle ones are closed, and none of them is waited for.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The flow's side of the route.
struct Flow {
    state: CsrfToken,
    /// Taken by the first valid callback: single use.
    callback: Mutex<Option<oneshot::Sender<Callback>>>,
}

/// Serves the redirect on `listener` (from [`bind`]) for the flow whose `state` is given.
/// The receiver yields the first valid callback. Needs a Tokio runtime.
pub(crate) fn serve(
    listener: TcpListener,
    state: CsrfToken,
) -> Result<(Server, oneshot::Receiver<Callback>), AuthError> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(listener_err)?;
    let (callback_tx, callback_rx) = oneshot::channel();
    let flow = Arc::new(Flow {
        state,
        callback: Mutex::new(Some(callback_tx)),
    });
    let app = Router::new()
        .route("/", get(redirect).fallback(not_allowed))
        .fallback(not_found)
        .with_state(flow);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    Ok((
        Server {
            task,
            stop: Some(stop_tx),
        },
        callback_rx,
    ))
}

async fn redirect(
    State(flow): State<Arc<Flow>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Page {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let ours = param("state").is_some_and(|s| CsrfToken::new(s.to_owned()) == flow.state);
    if !ours {
        tracing::warn!("ignored a loopback callback whose state does not match this sign-in");
        return Page::new(
            StatusCode::BAD_REQUEST,
            "Unknown sign-in",
            "This link does not belong to the sign-in in progress. Return to CMEK Desk and start the sign-in there.",
        );
    }
    let redirect = match (param("error"), param("code")) {
        (Some(error), _) => Redirect::Error {
            error: error.to_owned(),
            description: param("error_description").map(str::to_owned),
        },
        (None, Some(code)) => Redirect::Code(AuthorizationCode::new(code.to_owned())),
        (None, None) => {
            return Page::new(
                StatusCode::BAD_REQUEST,
                "Missing code",
                "The redirect carried no authorization code.",
            )
        }
    };
    let taken = flow
        .callback
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let Some(to_flow) = taken else {
        tracing::warn!("ignored a second loopback callback for this sign-in");
        return Page::new(
            StatusCode::BAD_REQUEST,
            "Already used",
            "This sign-in link was already used. Return to CMEK Desk.",
        );
    };
    let (reply, page) = oneshot::channel();
    if to_flow.send(Callback { redirect, reply }).is_err() {
        return ended();
    }
    page.await.unwrap_or_else(|_| ended())
}

/// The flow stopped waiting (timeout or cancel) before this callback could be used.
fn ended() -> Page {
    Page::new(
        StatusCode::GONE,
        "Sign-in ended",
        "This sign-in is no longer waiting. Return to CMEK Desk and start the sign-in again.",
    )
}

async fn not_allowed() -> Page {
    Page::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Not allowed",
        "This address only accepts the browser's sign-in redirect.",
    )
}

async fn not_found() -> Page {
    Page::new(StatusCode::NOT_FOUND, "Not found", "Nothing here.")
}

fn listener_err(e: std::io::Error) -> AuthError {
    AuthError::new(
        AuthErrorKind::PortBind,
        format!("Cannot use the sign-in listener ({e})."),
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
