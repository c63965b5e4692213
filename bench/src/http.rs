//! Minimal HTTP/1.1 over tokio, enough for the local platform and the modules' HTTP stacks:
//! one request per connection (`Connection: close`), bodies framed by `Content-Length` (or
//! by the end of the connection for a response without it). No TLS: an `https://` URL is
//! spoken in plain HTTP to the address the host map gives.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server received it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, `HEAD`.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// Header lines `(name, value)`, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// A response.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra header lines.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        _ => "Status",
    }
}

/// The handler the server calls for each request.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Serves `handler` on `127.0.0.1:<port>` (0: any free port); returns the bound address.
pub async fn serve(port: u16, handler: Handler) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let Some((head, body)) = read_message(&mut sock, true).await else {
                    return;
                };
                let mut lines = head.lines();
                let mut first = lines.next().unwrap_or("").split(' ');
                let req = Request {
                    method: first.next().unwrap_or("").to_string(),
                    path: first.next().unwrap_or("").to_string(),
                    headers: parse_headers(lines),
                    body,
                };
                let head_only = req.method == "HEAD";
                let resp = handler(req);
                let mut out = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
                for (k, v) in &resp.headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n",
                    resp.body.len()
                ));
                let mut bytes = out.into_bytes();
                if !head_only {
                    bytes.extend_from_slice(&resp.body);
                }
                let _ = sock.write_all(&bytes).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    Ok(addr)
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Reads a head and a body framed by Content-Length (requests: 0 when absent; responses:
/// until EOF when absent).
async fn read_message(sock: &mut TcpStream, request: bool) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf.split_off(head_end + 4);
    let len: Option<usize> = parse_headers(head.lines().skip(1))
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok());
    match (len, request) {
        (Some(len), _) => {
            while body.len() < len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            body.truncate(len);
        }
        (None, true) => body.clear(),
        (None, false) => {
            sock.read_to_end(&mut body).await.ok()?;
        }
    }
    Some((head, body))
}

/// An URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name.
    pub host: String,
    /// Port (default 80 / 443).
    pub port: u16,
    /// Path and query (`/` when empty).
    pub path: String,
}

/// Parses `http(s)://host[:port][/path]`.
pub fn parse_url(url: &str) -> Option<Url> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, default),
    };
    if host.is_empty() {
        return None;
    }
    Some(Url {
        scheme,
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// Sends one request to `addr` (the `Host` header names `url`'s host) and reads the response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut sock = TcpStream::connect(addr).await?;
    let mut out = format!("{method} {} HTTP/1.1\r\nHost: {}\r\n", url.path, url.host);
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    sock.write_all(&bytes).await?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad HTTP response");
    let (head, body) = read_message(&mut sock, false).await.ok_or_else(bad)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok(Response {
        status,
        headers: parse_headers(head.lines().skip(1)),
        body,
    })
}

/// Sends `raw` (a request the host wrote whole, e.g. Quectel's `requestheader=1`) to `addr`
/// and reads the response.
pub async fn raw(addr: SocketAddr, raw: &[u8]) -> std::io::Result<Response> {
    let mut sock = TcpStream::connect(addr).await?;
    sock.write_all(raw).await?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad HTTP response");
    let (head, body) = read_message(&mut sock, false).await.ok_or_else(bad)?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    Ok(Response {
        status,
        headers: parse_headers(head.lines().skip(1)),
        body,
    })
}

impl Response {
    /// The response head as a module prints it with `responseheader=1`.
    pub fn head_text(&self) -> String {
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("iot-auth.cn-shanghai.aliyuncs.com", 443, "/auth/devicename")
        );
        let u = parse_url("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/"));
        assert!(parse_url("ftp://x/").is_none());
    }
}
