//! `knead serve`: a preview of the site on this computer that follows every save.
//!
//! The site is built in memory (drafts and future posts included) by a [`Session`], served over
//! HTTP, and rebuilt when a file of the site changes. Open tabs learn about each rebuild through
//! server-sent events and a small script that only this server adds to pages: they reload, swap
//! the stylesheet, or show the errors of a failed rebuild over the last good page.
//!
//! Three parts, joined by one `tokio::sync::watch` channel that holds the current [`Snapshot`]:
//! - [`watcher`]: a thread that owns the session, waits for file changes, rebuilds and publishes;
//! - [`respond`]: answers HTTP requests from the current snapshot, and nothing but it;
//! - [`live`]: the event stream, the injected script and the error overlay.

/// Prints a line on standard error. A closed terminal is no reason to stop serving, so write
/// errors are ignored (`eprintln!` would panic).
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Like [`note!`], without the line ending.
macro_rules! note_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod live;
mod respond;
mod watcher;

use std::convert::Infallible;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::error::{Diagnostic, Diagnostics, Error};
use crate::render::Outputs;
use crate::session::Session;
use crate::{BuildOptions, config};

/// The port `knead serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 1111;

/// How long a client may take to send the headers of a request before its connection is closed.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes of request headers read before a request is refused (431).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most connections served at once; more wait until one closes. Each open tab holds one for
/// its event stream, so this is far above what a person's browser opens.
const MAX_CONNECTIONS: usize = 512;
/// Threads that read files for the clients, at most.
const MAX_FILE_THREADS: usize = 16;

/// What `knead serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site's folder (holding `site.toml`).
    pub root: PathBuf,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// The address to listen on: loopback unless the preview must be seen from another device.
    pub bind: IpAddr,
    /// Open the preview in the browser once it is ready.
    pub open: bool,
}

impl ServeOptions {
    /// Options for previewing the site at `root` at <http://127.0.0.1:1111/>.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ServeOptions {
            root: root.into(),
            port: DEFAULT_PORT,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            open: false,
        }
    }
}

/// Why `knead serve` could not start or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Bad usage: not a site, or the address cannot be listened on (exit code 2).
    #[error("{0}")]
    Usage(Diagnostic),
    /// The server itself failed (exit code 1).
    #[error("the preview server failed: {0}")]
    Failed(#[source] std::io::Error),
}

/// The state of the preview that every request and every open tab sees: the last good outputs,
/// the errors of the last rebuild if it failed, and what the last change was.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// The outputs of the last successful build; `None` until one succeeds.
    outputs: Option<Arc<Outputs>>,
    /// The overlay that shows the errors of the last rebuild, when it failed.
    error: Option<Arc<str>>,
    /// Bumped each time the outputs change (or errors clear): tabs showing an older build reload.
    build: u64,
    /// Bumped on every published snapshot, so an event stream notices when it missed one.
    version: u64,
    /// What this snapshot changed compared with the one before.
    change: Change,
}

/// What a published snapshot changed, which decides the event open tabs get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Pages or files changed, or errors were fixed: reload.
    Reload,
    /// Only stylesheets changed: swap them in place.
    Css,
    /// The rebuild failed: show the errors.
    Error,
}

/// What every connection shares: the current snapshot and the facts of this server.
struct Server {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The site root, canonical, which every file served from disk must be inside.
    root: PathBuf,
    /// Differs on every start, so tabs open across a restart reload.
    instance: u64,
}

impl Server {
    fn current(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    /// The name of the build a tab shows, as the injected script and the events carry it.
    fn build_id(&self, snapshot: &Snapshot) -> String {
        format!("{:x}-{}", self.instance, snapshot.build)
    }
}

/// Builds the site, serves it until Ctrl-C, and rebuilds it on every change.
///
/// Prints `Serving at http://ADDRESS:PORT/` on standard output once the first build is done (it
/// may have failed: then every address shows the errors); everything else goes to standard error.
pub fn serve(options: &ServeOptions) -> Result<(), ServeError> {
    if !options.root.join(config::CONFIG_FILE).is_file() {
        return Err(ServeError::Usage(
            Diagnostic::error(format!(
                "no site.toml in `{}`: this folder is not a knead site",
                options.root.display()
            ))
            .with_hint("run knead serve in the site's folder, or point at it with --root DIR"),
        ));
    }
    let root = options.root.canonicalize().map_err(|err| {
        ServeError::Usage(Diagnostic::error(format!(
            "cannot open the site folder `{}`: {err}",
            options.root.display()
        )))
    })?;
    let listener = bind(options.bind, options.port)?;
    let address = listener.local_addr().map_err(ServeError::Failed)?;
    let url = preview_url(address);

    let mut session = Session::new(BuildOptions {
        drafts: true,
        future: true,
        base_url: Some(url.trim_end_matches('/').to_owned()),
        ..BuildOptions::new(&options.root)
    });
    let first = watcher::first_build(&mut session);
    let (publish, snapshots) = watch::channel(Arc::new(first));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Reading files to send: a few threads, shared by every client (each thread has its
        // own memory; hundreds of clients must not make hundreds of them).
        .max_blocking_threads(MAX_FILE_THREADS)
        .enable_all()
        .build()
        .map_err(ServeError::Failed)?;
    let watching = watcher::spawn(session, &root, publish);
    if let Err(err) = &watching {
        note!(
            "warning: cannot watch the site for changes ({err}): restart knead serve to see them"
        );
    }

    // The first line on standard output, for scripts and tests: the address, once it works.
    let _ = writeln!(std::io::stdout(), "Serving at {url}");
    let _ = std::io::stdout().flush();
    if !options.bind.is_loopback() {
        warn_public(address);
    }
    if watching.is_ok() {
        note!("Watching content/, templates/, static/ and site.toml. Press Ctrl-C to stop.");
    }
    if options.open && !open_in_browser(&url) {
        note!("Open {url} in your browser.");
    }

    let server = Arc::new(Server {
        snapshots,
        root,
        instance: instance_id(),
    });
    runtime
        .block_on(async move {
            let listener = TcpListener::from_std(listener)?;
            accept_until_stopped(listener, server).await;
            Ok::<(), std::io::Error>(())
        })
        .map_err(ServeError::Failed)?;
    // Event streams never end by themselves: do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(200));
    note!("Stopped.");
    Ok(())
}

/// Listens on `bind:port`, or says why it cannot and what to do.
fn bind(bind: IpAddr, port: u16) -> Result<StdListener, ServeError> {
    let address = SocketAddr::new(bind, port);
    let listener = StdListener::bind(address).map_err(|err| {
        let (message, hint) = match err.kind() {
            std::io::ErrorKind::AddrInUse => (
                format!("port {port} on {bind} is already in use"),
                format!(
                    "is another knead serve running? Stop it, or choose another port: knead serve --port {}",
                    port.saturating_add(1)
                ),
            ),
            std::io::ErrorKind::PermissionDenied => (
                format!("not allowed to listen on port {port} of {bind}"),
                "ports below 1024 need special rights: choose another one with --port, e.g. --port 1111".to_owned(),
            ),
            _ => (
                format!("cannot listen on {address}: {err}"),
                "check --bind (an address of this computer, e.g. 127.0.0.1) and --port".to_owned(),
            ),
        };
        ServeError::Usage(Diagnostic::error(message).with_hint(hint))
    })?;
    listener.set_nonblocking(true).map_err(ServeError::Failed)?;
    Ok(listener)
}

/// The address to open the preview at. A server listening on every address is reached on this
/// computer through loopback.
fn preview_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(ip, address.port()))
}

/// Warns that the preview, drafts included, can be seen from other devices, and says at which
/// addresses.
fn warn_public(address: SocketAddr) {
    note!(
        "warning: listening on {}: anyone on your network can see this preview, drafts included",
        address.ip()
    );
    let others: Vec<String> = if address.ip().is_unspecified() {
        if_addrs::get_if_addrs()
            .unwrap_or_default()
            .into_iter()
            .map(|interface| interface.ip())
            .filter(|ip| !ip.is_loopback() && ip.is_ipv4() == address.is_ipv4())
            .map(|ip| format!("http://{}/", SocketAddr::new(ip, address.port())))
            .collect()
    } else {
        vec![format!("http://{address}/")]
    };
    if !others.is_empty() {
        note!(
            "On a phone or another computer of this network, open {}",
            others.join(" or ")
        );
    }
}

/// Opens `url` with the platform's opener; false when there is none. When the opener runs but
/// fails (no browser), says which address to open.
fn open_in_browser(url: &str) -> bool {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut command = std::process::Command::new("cmd");
        command.args(["/C", "start", ""]);
        command
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    match command.spawn() {
        Ok(mut child) => {
            let url = url.to_owned();
            std::thread::spawn(move || {
                if child.wait().is_ok_and(|status| !status.success()) {
                    note!("Open {url} in your browser.");
                }
            });
            true
        }
        Err(_) => false,
    }
}

/// A number that differs between runs of the server.
fn instance_id() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}

/// Accepts connections and serves each on its own task until Ctrl-C (or SIGTERM).
async fn accept_until_stopped(listener: TcpListener, server: Arc<Server>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit,
            () = &mut stop => return,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file handles, or a connection reset before it was accepted: wait a
                // little instead of spinning, then go on.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let server = server.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let server = server.clone();
                async move { Ok::<_, Infallible>(respond::respond(&server, request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEADER_BYTES)
                .serve_connection(TokioIo::new(stream), service);
            // A client that goes away mid-request is no concern of the others.
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// Resolves when the user asks the server to stop: Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                () = ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Resolves on Ctrl-C; never, when the signal cannot be listened for (the server then runs
/// until it is killed, rather than stopping at once).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The errors of a failed build as diagnostics, whatever kind of error it was.
fn diagnostics_of(error: Error) -> Diagnostics {
    match error {
        Error::Site(diagnostics) => diagnostics,
        other => Diagnostics(vec![Diagnostic::error(other.to_string())]),
    }
}
