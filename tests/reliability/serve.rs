//! Promise 8: the preview server leaks nothing and keeps serving. It listens on 127.0.0.1
//! unless told otherwise; no request, however encoded, gets a file that is not part of the
//! built site; links leading out of the site are not served; slow or huge requests neither
//! block the others nor keep a connection forever.
//!
//! `tests/serve` covers the plain traversals (`..`, `%2e%2e`, `%2f`, `%5c`, `%00`, the source
//! files), one slow and one huge client, and the warning for `--bind 0.0.0.0`. Here: double and
//! overlong encodings, other request-target forms, linked folders, many slow clients, a
//! trickling client, an endless request line, and where the socket listens.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Site, md, page};

const SECRET: &str = "reliability-serve-secret";
const WAIT: Duration = Duration::from_secs(30);

/// A running `knead serve --port 0`, killed on drop.
struct Server {
    child: Child,
    address: SocketAddr,
    _site: Site,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    #[track_caller]
    fn start(site: &Site) -> Server {
        let mut child = site
            .knead()
            .args(["serve", "--root", "site", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the knead binary runs");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sent, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = sent.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = received.recv_timeout(WAIT).unwrap_or_default();
        let address = line
            .trim_end()
            .strip_prefix("Serving at http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no `Serving at` line, got {line:?}"));
        Server {
            child,
            address,
            _site: site.clone(),
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect_timeout(&self.address, WAIT).expect("the server accepts");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream
    }

    /// Sends `target` as the request target, as is, and returns the status and the whole
    /// response as text (status 0 when the server closed without answering).
    fn raw_get(&self, target: &str) -> (u16, String) {
        let mut stream = self.connect();
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new());
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// Asserts that a plain request still gets the home page, quickly.
    #[track_caller]
    fn assert_still_serving(&self) {
        let start = Instant::now();
        let (status, text) = self.raw_get("/");
        assert_eq!(status, 200, "{text}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }
}

/// A site with a secret in site.toml, in a file beside it, and behind links in `static/` and
/// `content/` that lead out of the site.
fn secret_site() -> Site {
    let site = Site::new()
        .file(
            "site.toml",
            format!(
                "# {SECRET}\ntitle = \"Serve Clinic\"\nbase_url = \"https://clinic.example\"\n"
            ),
        )
        .file("content/blog/post.md", page("Post", "Hello."))
        .file("content/about.md", md("title = \"About\"", "About us."))
        .file("static/style.css", "body {}")
        .file("../outside/secret.txt", SECRET)
        .file("../outside/leak.md", page(SECRET, SECRET));
    std::os::unix::fs::symlink(
        site.tmp().join("outside"),
        site.root().join("static/linked"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        site.tmp().join("outside/leak.md"),
        site.root().join("content/leak.md"),
    )
    .unwrap();
    site
}

#[test]
fn no_encoding_of_a_path_reaches_a_file_outside_the_built_site() {
    let server = Server::start(&secret_site());
    let targets = [
        // Double encoding.
        "/%252e%252e/site.toml",
        "/%252e%252e%252fsite.toml",
        "/blog/%252e%252e/%252e%252e/outside/secret.txt",
        // Overlong UTF-8 for `.` and `/`.
        "/%c0%ae%c0%ae/site.toml",
        "/%c0%ae%c0%ae%c0%afsite.toml",
        "/%e0%80%ae%e0%80%ae/site.toml",
        "/..%c0%afsite.toml",
        // Full-width dots and slashes.
        "/%ef%bc%8e%ef%bc%8e/site.toml",
        "/%ef%bc%8e%ef%bc%8e%ef%bc%8fsite.toml",
        // Half-encoded, mixed case, odd separators.
        "/blog/.%2e/.%2e/site.toml",
        "/blog/%2e./%2e./site.toml",
        "/.%2E/site.toml",
        "/%2e%2e%5csite.toml",
        "/..%255csite.toml",
        "/..;/site.toml",
        "/....//....//site.toml",
        "/.../site.toml",
        "/style.css/../../site.toml",
        "/%2F%2Fetc%2Fpasswd",
        "/%00../site.toml",
        "/%ff",
        // Other forms of request target.
        "site.toml",
        "../site.toml",
        "//../site.toml",
        "http://localhost/../site.toml",
        "http://localhost/%2e%2e/site.toml",
        "*",
        // Links in static/ and content/ that lead out of the site.
        "/linked/secret.txt",
        "/linked/",
        "/leak/",
        "/leak/index.html",
    ];
    for target in targets {
        let (status, text) = server.raw_get(target);
        assert!(!text.contains(SECRET), "{target} leaked:\n{text}");
        assert!(!text.contains("root:x:0:0"), "{target} leaked /etc/passwd");
        assert!(
            status == 0 || (400..500).contains(&status),
            "{target}: status {status}\n{text}"
        );
    }
    // A query string is not part of the path.
    let (status, text) = server.raw_get("/style.css?../../site.toml");
    assert_eq!(status, 200);
    assert!(!text.contains(SECRET));
    server.assert_still_serving();
}

/// Many clients that send half a request and wait, fewer than the server's limit: the others
/// are served at once.
#[test]
fn many_slow_clients_do_not_stop_others() {
    let server = Server::start(&secret_site());
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = server.connect();
        let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        slow.push(stream);
    }
    server.assert_still_serving();
    drop(slow);
}

/// A client that sends its headers a byte at a time never finishes them: the server closes the
/// connection after its header timeout (10 s) instead of keeping it forever.
#[test]
fn a_trickling_client_is_disconnected() {
    let server = Server::start(&secret_site());
    let mut stream = server.connect();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let start = Instant::now();
    let header = b"GET / HTTP/1.1\r\nHost: x\r\nX-Trickle: ";
    let mut bytes = header.iter().chain(std::iter::repeat(&b'a'));
    let closed_after = loop {
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "the connection was still open after 25 s"
        );
        let byte = bytes.next().expect("endless");
        if stream.write_all(&[*byte]).is_err() {
            break start.elapsed();
        }
        let mut buffer = [0u8; 256];
        match stream.read(&mut buffer) {
            Ok(0) => break start.elapsed(),
            Ok(n) => {
                // An error answer (408) before the close: anything but a page.
                let text = String::from_utf8_lossy(&buffer[..n]);
                assert!(!text.starts_with("HTTP/1.1 200"), "{text}");
                break start.elapsed();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break start.elapsed(),
        }
    };
    // Not before the headers had time to arrive: the server waits for slow networks.
    assert!(closed_after > Duration::from_secs(2), "{closed_after:?}");
    server.assert_still_serving();
}

/// A request line of 1 MB and a request of 5,000 headers are refused; the server serves on.
#[test]
fn an_endless_request_line_or_too_many_headers_are_refused() {
    let server = Server::start(&secret_site());
    let long = format!("/{}", "a".repeat(1024 * 1024));
    let (status, _) = server.raw_get(&long);
    assert!(
        status == 0 || status == 414 || status == 431 || status == 400,
        "{status}"
    );

    let mut stream = server.connect();
    let mut request = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..5000 {
        request.push_str(&format!("X-H{i}: v\r\n"));
    }
    request.push_str("\r\n");
    let _ = stream.write_all(request.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty()
            || answer.starts_with("HTTP/1.1 431")
            || answer.starts_with("HTTP/1.1 400"),
        "{}",
        answer.lines().next().unwrap_or_default()
    );
    server.assert_still_serving();
}

/// Without `--bind`, the listening socket is on 127.0.0.1 only: checked in the kernel's table
/// of listening sockets, not by connecting from elsewhere.
#[cfg(target_os = "linux")]
#[test]
fn it_listens_on_127_0_0_1_unless_told_otherwise() {
    let server = Server::start(&secret_site());
    assert_eq!(server.address.ip().to_string(), "127.0.0.1");
    let port = format!("{:04X}", server.address.port());
    let mut listening = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is IP:PORT in hex; state 0A is LISTEN.
            if let [_, local, _, state, ..] = fields[..]
                && state == "0A"
                && local.ends_with(&format!(":{port}"))
            {
                listening.push(local.to_owned());
            }
        }
    }
    // 127.0.0.1, in the kernel's byte order.
    assert_eq!(listening, [format!("0100007F:{port}")]);
}
