//! The connection under the HTTP server. hyper answers a few requests itself, before any route
//! sees them, when it cannot read them: a request line over 64 KiB (414), a head too large to
//! buffer (431), a head it cannot parse (400). Those answers have an empty body. [`EdgeAcceptor`]
//! wraps each connection so that exactly those answers leave as `application/problem+json`, like
//! every other error of the service; every other byte passes through untouched.

use std::{
    io::Result as IoResult,
    pin::Pin,
    task::{Context, Poll},
};

use poem::{
    http::{StatusCode, uri::Scheme},
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ApiError;

/// Accepts connections from `inner`, each wrapped in an [`EdgeIo`].
pub struct EdgeAcceptor<A>(pub A);

impl<A: Acceptor> Acceptor for EdgeAcceptor<A> {
    type Io = EdgeIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.0.local_addr()
    }

    async fn accept(&mut self) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let (io, local, remote, scheme) = self.0.accept().await?;
        Ok((
            EdgeIo {
                inner: io,
                pending: Vec::new(),
                written: 0,
            },
            local,
            remote,
            scheme,
        ))
    }
}

/// A connection whose automatic error answers from hyper are replaced by problems.
pub struct EdgeIo<T> {
    inner: T,
    /// A replacement answer still to be written, and how much of it has been.
    pending: Vec<u8>,
    written: usize,
}

/// The problem that replaces hyper's own answer `head`, when `head` is one: a status line of
/// 400, 414 or 431 and a head with no body and no content type, which no route of this service
/// answers (every error it sends is a problem with its type).
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > 512 || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let head = std::str::from_utf8(head).ok()?;
    let status_line = head.lines().next()?;
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?;
    let (status, code, detail) = match rest.get(..3)? {
        "400" => (
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request could not be read as HTTP",
        ),
        "414" => (
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            "the address is longer than this server reads",
        ),
        "431" => (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "the request's headers are larger than this server reads",
        ),
        _ => return None,
    };
    let headers: Vec<&str> = head
        .split("\r\n")
        .skip(1)
        .filter(|line| !line.is_empty())
        .collect();
    let named = |line: &str, name: &str| {
        line.get(..name.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(name))
    };
    let automatic = headers.iter().all(|line| {
        named(line, "content-length: 0") || named(line, "date: ") || named(line, "connection: ")
    });
    if !automatic {
        return None;
    }
    let body = serde_json::to_string(&ApiError::new(status, code, detail).to_problem()).ok()?;
    let date = headers
        .iter()
        .find(|line| named(line, "date: "))
        .map(|line| format!("{line}\r\n"))
        .unwrap_or_default();
    Some(
        format!(
            "{status_line}\r\ncontent-type: application/problem+json\r\n\
             content-length: {length}\r\nconnection: close\r\ncache-control: no-store\r\n\
             x-content-type-options: nosniff\r\n{date}\r\n{body}",
            length = body.len(),
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> EdgeIo<T> {
    /// Writes what is left of a replacement; ready once it is all written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        while self.written < self.pending.len() {
            let written = std::task::ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..])
            )?;
            if written == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += written;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EdgeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<IoResult<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EdgeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<IoResult<usize>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(problem) = replacement(buf) {
            tracing::debug!("hyper's automatic answer sent as a problem");
            this.pending = problem;
            this.written = 0;
            // The replacement stands for all of `buf`; it is written now or by the next flush.
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<IoResult<()>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_hypers_own_answers_are_replaced() {
        let automatic =
            b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Sun, 06 Dec 2026 22:00:00 GMT\r\n\r\n";
        let replaced = String::from_utf8(replacement(automatic).unwrap()).unwrap();
        assert!(replaced.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(replaced.contains("content-type: application/problem+json\r\n"));
        assert!(replaced.contains("date: Sun, 06 Dec 2026 22:00:00 GMT\r\n"));
        let (head, body) = replaced.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "uri_too_long");
        assert_eq!(problem["status"], 414);

        assert!(
            replacement(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n"
            )
            .is_some()
        );
        // A route's own answers carry a type, and bodies are never touched.
        assert!(replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            replacement(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\ntrailing")
                .is_none()
        );
    }
}
