//! Real services the tests talk to: an SMTP server (aiosmtpd, a separate process writing a
//! Maildir) and an S3-compatible server (s3s-fs, in process, checking signatures).

use std::{
    net::TcpListener as StdListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::{auth::SimpleAuth, service::S3ServiceBuilder};
use socorg::config::{Config, Secret};
use tempfile::TempDir;

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not start listening on port {port}");
}

/// The Python that has aiosmtpd: `SOCORG_TEST_PYTHON` (set by scripts/test), else the one
/// scripts/test installed under `target/test-tools`, else `python3`.
fn python() -> String {
    if let Ok(python) = std::env::var("SOCORG_TEST_PYTHON") {
        return python;
    }
    let installed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/venv/bin/python");
    if installed.exists() {
        return installed.display().to_string();
    }
    "python3".to_owned()
}

/// One received message.
#[derive(Debug, Clone)]
pub struct ReceivedEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

impl ReceivedEmail {
    /// The first link in the text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix} link in {}", self.text));
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The `token` parameter of the first link starting with `prefix`.
    pub fn token(&self, prefix: &str) -> String {
        let link = self.link(prefix);
        link.split("token=")
            .nth(1)
            .expect("token in link")
            .to_owned()
    }
}

/// An aiosmtpd server writing into a Maildir of its own; stopped when dropped.
pub struct SmtpSink {
    port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: TempDir,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let dir = tempfile::tempdir().expect("temporary folder");
        // aiosmtpd creates the Maildir itself; an existing empty folder would refuse deliveries.
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let child = Command::new(python())
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start aiosmtpd with {} ({error}); run the suite with scripts/test",
                    python()
                )
            });
        let mut sink = SmtpSink {
            port,
            maildir,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}); is it installed for {}? run scripts/test",
                    python()
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn configure(&self, config: &mut Config) {
        config.smtp_url = Some(Secret::new(self.url()));
        config.mail_from = "深圳社会组织 <no-reply@socorg.test>".to_owned();
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        files.sort_by_key(|path| {
            std::fs::metadata(path)
                .and_then(|meta| meta.modified())
                .ok()
        });
        files
            .iter()
            .map(|path| {
                let raw = std::fs::read(path).expect("message file");
                let message = mail_parser::MessageParser::default()
                    .parse(&raw)
                    .expect("a message");
                ReceivedEmail {
                    to: message
                        .to()
                        .and_then(|to| to.first())
                        .and_then(|address| address.address())
                        .unwrap_or_default()
                        .to_owned(),
                    subject: message.subject().unwrap_or_default().to_owned(),
                    message_id: message.message_id().unwrap_or_default().to_owned(),
                    text: message
                        .body_text(0)
                        .map(|text| text.into_owned())
                        .unwrap_or_default(),
                    html: message
                        .body_html(0)
                        .map(|html| html.into_owned())
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Messages to one address.
    pub fn received_by(&self, address: &str) -> Vec<ReceivedEmail> {
        self.received()
            .into_iter()
            .filter(|email| email.to == address)
            .collect()
    }

    /// Waits (real time) until at least `count` messages have arrived.
    pub fn wait_for(&self, count: usize) -> Vec<ReceivedEmail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const S3_ACCESS_KEY: &str = "test";
pub const S3_SECRET_KEY: &str = "testtesttest";
pub const S3_BUCKET: &str = "socorg-test";

/// An S3-compatible server (s3s-fs) in this process, on a port of its own.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
    task: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl S3Server {
    pub async fn start() -> S3Server {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = dir.path().to_path_buf();
        let file_system = s3s_fs::FileSystem::new(&root).expect("s3s-fs root");
        let mut builder = S3ServiceBuilder::new(file_system);
        builder.set_auth(SimpleAuth::from_single(S3_ACCESS_KEY, S3_SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let task = tokio::spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        wait_for_port(port, "the S3 server");
        S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
            task,
            _dir: dir,
        }
    }

    pub fn configure(&self, config: &mut Config) {
        config.s3_endpoint = Some(self.endpoint.clone());
        config.s3_bucket = S3_BUCKET.to_owned();
        config.s3_access_key = Some(Secret::new(S3_ACCESS_KEY));
        config.s3_secret_key = Some(Secret::new(S3_SECRET_KEY));
        config.s3_path_style = true;
    }

    /// The file behind an object, to tamper with.
    pub fn object_path(&self, key: &str) -> PathBuf {
        self.root.join(S3_BUCKET).join(key)
    }

    /// Every object file in the bucket (ignoring the server's own bookkeeping files).
    pub fn object_count(&self) -> usize {
        std::fs::read_dir(self.root.join(S3_BUCKET))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        entry.path().is_file()
                            && name.len() == 32
                            && name.bytes().all(|byte| byte.is_ascii_hexdigit())
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
