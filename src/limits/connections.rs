//! Accepting connections, with time limits a slow client cannot get around.
//!
//! poem's `Server` hands connections to hyper without a timer, so hyper's header read
//! timeout never runs there, and its `idle_timeout` would also cut a long export whose first
//! byte takes a while. So connections are served here, by hyper's HTTP/1.1 server with
//! poem's endpoint as the service: a connection must deliver a whole request head within
//! `HEADER_TIMEOUT` of opening or of its previous response. That closes a client that sends
//! half a request line and stalls, one that drips its headers a byte at a time, and a
//! kept-alive connection left idle. Bodies get their own limit in `app` (`BODY_TIMEOUT`).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// How long a connection may take to send a request head (and may stay idle between requests).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after `accept` failed (out of file descriptors,
/// most likely): retrying at once would spin while nothing can change.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `endpoint` until `shutdown` resolves; then stops accepting, lets requests under way
/// finish for up to `grace`, and closes whatever is still open.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) -> std::io::Result<()>
where
    E: Endpoint + 'static,
{
    let local = LocalAddr(Addr::SocketAddr(listener.local_addr()?));
    let endpoint = Arc::new(endpoint.map_to_response());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            // Finished connections are reaped as they end, so the set stays as small as the
            // number of open connections.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // Small responses go out at once rather than after Nagle's delay.
        let _ = stream.set_nodelay(true);
        let service = {
            let (endpoint, local) = (endpoint.clone(), local.clone());
            let remote = RemoteAddr(Addr::SocketAddr(peer));
            service_fn(move |request: hyper::Request<Incoming>| {
                let (endpoint, local, remote) = (endpoint.clone(), local.clone(), remote.clone());
                async move {
                    let request = poem::Request::from((request, local, remote, Scheme::HTTP));
                    let response: hyper::Response<_> = endpoint.get_response(request).await.into();
                    Ok::<_, Infallible>(response)
                }
            })
        };
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection closed: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "{} connection(s) still busy after {} s: closing them",
            connections.len(),
            grace.as_secs()
        );
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}
