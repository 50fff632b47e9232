//! oauth2's HTTP interface ([`oauth2::AsyncHttpClient`]) over the workspace's reqwest 0.13
//! client (oauth2 5's own `reqwest` feature pins reqwest 0.12).
//!
//! [`ProviderHttp`] sends one request per call and remembers the HTTP status of the answer, so
//! an error mapped from oauth2's [`oauth2::RequestTokenError`] can still say whether the
//! provider failed (5xx) and carry the status (oauth2's errors do not).

use oauth2::{HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// Per-request timeout of every call to the provider.
pub(crate) const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The reqwest client every call to the provider goes through. Redirects are not followed
/// (oauth2's advice against SSRF; the token endpoints never redirect).
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HTTP_TIMEOUT)
        .build()
        .expect("reqwest client with default TLS")
}

/// A failure to get an answer at all (no HTTP status): connect, TLS, timeout, body read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("the request failed")]
    Request(#[from] reqwest::Error),
    #[error("the answer is not a valid HTTP response")]
    Response(#[from] oauth2::http::Error),
}

impl TransportError {
    /// What went wrong, in words safe to show (no URL, no body).
    pub fn what(&self) -> &'static str {
        match self {
            Self::Request(e) if e.is_timeout() => "timed out",
            Self::Request(e) if e.is_connect() => "could not connect",
            _ => "failed",
        }
    }
}

/// One oauth2 request's HTTP client: the shared reqwest client plus the status it answered.
pub(crate) struct ProviderHttp<'a> {
    client: &'a reqwest::Client,
    /// Where to send the request instead of the URL oauth2 put in it.
    uri: Option<oauth2::http::Uri>,
    /// 0 until an answer arrives.
    status: AtomicU16,
}

impl<'a> ProviderHttp<'a> {
    pub fn new(client: &'a reqwest::Client) -> Self {
        Self {
            client,
            uri: None,
            status: AtomicU16::new(0),
        }
    }

    /// Sends the request to `uri` instead of oauth2's URL (only for the plain-HTTP loopback
    /// revocation endpoint, see `OAuthClient::revoke`).
    pub fn sending_to(mut self, uri: Option<oauth2::http::Uri>) -> Self {
        self.uri = uri;
        self
    }

    /// The HTTP status of the provider's answer, if one arrived.
    pub fn status(&self) -> Option<u16> {
        Some(self.status.load(Ordering::Relaxed)).filter(|s| *s != 0)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for ProviderHttp<'_> {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        if let Some(uri) = &self.uri {
            *request.uri_mut() = uri.clone();
        }
        Box::pin(async move {
            let response = self
                .client
                .execute(reqwest::Request::try_from(request)?)
                .await?;
            self.status
                .store(response.status().as_u16(), Ordering::Relaxed);
            let mut answer = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await?;
            Ok(answer.body(body.to_vec())?)
        })
    }
}
