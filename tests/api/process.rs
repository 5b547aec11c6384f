//! The real server binary as a separate process: graceful shutdown on SIGTERM, and no
//! answered signup lost when the process is killed outright.

use super::database::database_url_for;
use super::helpers::{Api, PASSWORD};
use super::mail::{PASSWORD_CHANGED, RESET, VERIFY};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary in a process of its own, spoken to through the same `Api` as the
/// in-process `TestApp`.
pub struct Server {
    pub child: Child,
    pub api: Api,
}

impl std::ops::Deref for Server {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Server {
    /// Starts the binary on a free port with the test database of `data_dir` (SQLite in
    /// it, or its PostgreSQL database under `TEST_DATABASE_URL`); what it logs goes to
    /// `data_dir/stdout.log`.
    pub async fn start(data_dir: &Path, extra: &[(&str, &str)]) -> Self {
        let database_url = database_url_for(data_dir).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_authkit"));
        command
            .env("LEPTOS_OUTPUT_NAME", "authkit")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", data_dir)
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", "process-test-secret-process-test-secret!")
            .env("AUTH_RATE_PER_IP_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn")
            .stdout(std::fs::File::create(data_dir.join("stdout.log")).expect("log file"))
            .stderr(Stdio::inherit());
        for (key, value) in extra {
            command.env(key, value);
        }
        let child = command.spawn().expect("server starts");
        Self {
            child,
            api: Api::new(format!("http://127.0.0.1:{port}")),
        }
    }

    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let reply = reqwest::get(format!("{}/health/ready", self.base)).await;
            if reply.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not come up");
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn signup(client: &reqwest::Client, base: &str, email: &str) -> Option<u16> {
    let body = json!({"email": email, "password": PASSWORD, "username": "p"});
    client
        .post(format!("{base}/auth/signup"))
        .json(&body)
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    // One hash at a time, so twelve signups queue up and are still in flight.
    let mut server = Server::start(dir.path(), &[("HASH_MAX_CONCURRENT", "1")]).await;
    server.wait_ready().await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let in_flight: Vec<_> = (0..12)
        .map(|i| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move { signup(&client, &base, &format!("term{i}@example.com")).await })
        })
        .collect();
    // Long enough for every request to have been read by the server (a connection whose
    // request has not arrived yet is closed by a graceful shutdown, as it should be), short
    // enough that most still wait for the one hashing slot (~60 ms per signup).
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("TERM");
    let mut statuses = Vec::new();
    for request in in_flight {
        statuses.push(request.await.unwrap());
    }
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
    let exit = server.wait_exit(Duration::from_secs(20));
    assert!(exit.success(), "{exit:?}");
    // New connections are refused once it has stopped.
    assert!(signup(&client, &base, "late@example.com").await.is_none());
}

#[tokio::test]
async fn every_answered_signup_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load: Vec<_> = (0..60)
        .map(|i| {
            let (client, base, finished) = (client.clone(), base.clone(), finished.clone());
            tokio::spawn(async move {
                let email = format!("crash{i}@example.com");
                let status = signup(&client, &base, &email).await;
                finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                (status, email)
            })
        })
        .collect();
    // Kill it mid-load, as soon as the first signups are answered: the others are still
    // running (how long the first takes depends on the machine and the backend).
    let deadline = Instant::now() + Duration::from_secs(30);
    while finished.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "no signup was answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut answered = Vec::new();
    for request in load {
        if let (Some(200), email) = request.await.unwrap() {
            answered.push(email);
        }
    }
    assert!(
        !answered.is_empty(),
        "no signup finished before the kill; the test proves nothing"
    );
    assert!(
        answered.len() < 60,
        "every signup finished before the kill; the test proves nothing"
    );

    let server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    for email in &answered {
        let reply = client
            .post(format!("{}/auth/login", server.base))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            reply.status(),
            200,
            "{email} was answered 200 before the crash but cannot log in"
        );
    }
}

pub async fn cli(data_dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let database_url = database_url_for(data_dir).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_authkit"))
        .args(args)
        .env("LEPTOS_OUTPUT_NAME", "authkit")
        .env("DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", "process-test-secret-process-test-secret!")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cli starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn create_admin_and_promote_subcommands_make_admins() {
    let dir = tempfile::tempdir().unwrap();
    // Run where no server has ever run (a wrong folder, a wrong DATABASE_URL), the account
    // commands name the database and refuse it, creating nothing there.
    for args in [
        &["create-admin", "--email", "root@example.com"][..],
        &["promote", "--email", "root@example.com"],
    ] {
        let refused = cli(dir.path(), args, &format!("{PASSWORD}\n")).await;
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("is not the server's database"), "{stderr}");
        assert!(String::from_utf8_lossy(&refused.stdout).starts_with("database: "));
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing was created in the data folder"
    );

    let server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    let created = cli(
        dir.path(),
        &["create-admin", "--email", "Root@Example.com"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("created admin root@example.com"));
    // The password policy applies to admins too, and an existing email is not overwritten.
    let weak = cli(
        dir.path(),
        &["create-admin", "--email", "weak@example.com"],
        "password123\n",
    )
    .await;
    assert!(!weak.status.success());
    let again = cli(
        dir.path(),
        &["create-admin", "--email", "root@example.com"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("promote"));
    assert_eq!(cli(dir.path(), &["frobnicate"], "").await.status.code(), Some(2));
    for help in ["--help", "-h", "help"] {
        let usage = cli(dir.path(), &[help], "").await;
        assert_eq!(usage.status.code(), Some(0), "{help}");
        assert!(
            String::from_utf8_lossy(&usage.stdout).starts_with("usage: authkit"),
            "{help}"
        );
    }
    let client = reqwest::Client::new();
    let login = |email: &'static str| {
        let (client, base) = (client.clone(), server.base.clone());
        async move {
            let reply = client
                .post(format!("{base}/auth/login"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            let body: serde_json::Value = reply.json().await.unwrap();
            body["access_token"].as_str().expect("token").to_owned()
        }
    };
    let list_status = |token: String| {
        let (client, base) = (client.clone(), server.base.clone());
        async move {
            client
                .get(format!("{base}/admin/users"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(list_status(login("root@example.com").await).await, 200);

    assert_eq!(signup(&client, &server.base, "later@example.com").await, Some(200));
    let later = login("later@example.com").await;
    assert_eq!(list_status(later.clone()).await, 403);
    let promoted = cli(dir.path(), &["promote", "--email", "later@example.com"], "").await;
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    assert_eq!(
        list_status(later).await,
        200,
        "the promotion applies to the next request"
    );
    assert!(
        !cli(dir.path(), &["promote", "--email", "nobody@example.com"], "")
            .await
            .status
            .success()
    );
}

/// The address `host:port` of a running server.
fn authority(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Is the connection closed by the server within `wait`? (A read of 0 bytes, an error,
/// or an answer — the server never answers a request whose headers never ended.)
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 256];
    tokio::time::timeout(wait, stream.read(&mut buf)).await.is_ok()
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("HEADER_READ_TIMEOUT_MS", "1500")]).await;
    server.wait_ready().await;
    let mut stream = tokio::net::TcpStream::connect(authority(&server)).await.unwrap();
    let started = Instant::now();
    let mut closed = false;
    // One byte a second of headers that never end.
    for byte in b"GET /auth/me HTTP/1.1\r\nHost: slow\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if stream.write_all(&[*byte]).await.is_err() || closed_within(&mut stream, Duration::from_secs(1)).await {
            closed = true;
            break;
        }
    }
    let after = started.elapsed();
    assert!(closed, "still connected after {after:?}");
    // Configured 1.5 s; the bound leaves room for a loaded machine.
    assert!(after < Duration::from_secs(6), "closed only after {after:?}");
}

#[tokio::test]
async fn idle_connections_do_not_keep_others_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    let mut idle = Vec::new();
    for _ in 0..500 {
        idle.push(tokio::net::TcpStream::connect(authority(&server)).await.unwrap());
    }
    // Answered well before the idle connections' header timeout (10 s), so a server that made
    // it wait behind them fails; not within 1 s, which a connect's retransmitted SYN (after
    // 1 s, then 3 s) can take when 500 connections have just arrived at once (the test
    // binary, built in release since `make test` shares the server's build, opens them faster
    // than before, and this failed about one run in three on PostgreSQL).
    let reply = reqwest::Client::new()
        .get(format!("{}/auth/me", server.base))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert_eq!(reply.map(|r| r.status().as_u16()).ok(), Some(401));
    drop(idle);
}

#[tokio::test]
async fn sigterm_exits_within_the_grace_period_whatever_clients_do() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        dir.path(),
        &[("SHUTDOWN_GRACE_SECS", "2"), ("HEADER_READ_TIMEOUT_MS", "60000")],
    )
    .await;
    server.wait_ready().await;
    let mut held = Vec::new();
    for i in 0..50 {
        let mut stream = tokio::net::TcpStream::connect(authority(&server)).await.unwrap();
        if i % 2 == 0 {
            // Half of them are in the middle of their headers.
            stream
                .write_all(b"POST /auth/login HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        held.push(stream);
    }
    // And one is in the middle of its body.
    let mut body = tokio::net::TcpStream::connect(authority(&server)).await.unwrap();
    body.write_all(
        b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("TERM");
    let exit = server.wait_exit(Duration::from_secs(8));
    assert!(exit.success(), "{exit:?}");
    drop((held, body));
}

/// A real SMTP server: Debian's `python3-aiosmtpd`, storing what it receives in a Maildir.
struct SmtpSink {
    child: Child,
    maildir: std::path::PathBuf,
}

impl SmtpSink {
    async fn start(port: u16, maildir: &Path) -> Self {
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("aiosmtpd starts (make test-tools installs python3-aiosmtpd)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "the SMTP server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            maildir: maildir.to_owned(),
        }
    }

    /// The messages containing `kind` received so far (waiting for `count` of them),
    /// quoted-printable soft breaks and `=3D` undone.
    async fn wait_for(&self, kind: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut files: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
                .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
            let mails: Vec<String> = files
                .iter()
                .filter_map(|path| std::fs::read_to_string(path).ok())
                .map(|raw| raw.replace("=\r\n", "").replace("=\n", "").replace("=3D", "="))
                .filter(|mail| mail.contains(kind))
                .collect();
            if mails.len() >= count {
                return mails;
            }
            assert!(Instant::now() < deadline, "{} of {count} mails arrived", mails.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay is down when the reset is asked for, and AuthKit is killed and restarted
/// before it comes back: the request is still answered 202, and the mail arrives once the
/// relay is up, with no new request.
#[tokio::test]
async fn mail_goes_out_over_smtp_after_an_outage_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = tempfile::tempdir().unwrap();
    let smtp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}?tls=none");
    let settings = [
        ("SMTP_URL", smtp_url.as_str()),
        ("MAIL_RETRY_MAX_SECS", "1"),
        ("MAIL_FROM", "AuthKit <no-reply@authkit.test>"),
        ("PUBLIC_URL", "http://auth.test"),
    ];
    let mut server = Server::start(dir.path(), &settings).await;
    server.wait_ready().await;
    let client = reqwest::Client::new();
    assert_eq!(signup(&client, &server.base, "ann@example.com").await, Some(200));
    let asked = client
        .post(format!("{}/auth/password-reset/request", server.base))
        .json(&json!({"email": "ann@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status().as_u16(), 202);
    // A few failed attempts against the closed port, then the process dies.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    // A folder that does not exist yet: the Maildir handler creates it with its subfolders.
    let sink = SmtpSink::start(smtp_port, &mail_dir.path().join("maildir")).await;
    let server = Server::start(dir.path(), &settings).await;
    server.wait_ready().await;
    let mails = sink.wait_for(RESET, 1).await;
    let mail = &mails[0];
    assert!(mail.contains("From: AuthKit <no-reply@authkit.test>"), "{mail}");
    let link = "http://auth.test/reset-password#token=";
    let start = mail.find(link).expect("the link, built from PUBLIC_URL") + link.len();
    let token = &mail[start..start + 64];

    let reset = client
        .post(format!("{}/auth/password-reset", server.base))
        .json(&json!({"token": token, "new_password": "a completely new passphrase 77"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 200);
    sink.wait_for(PASSWORD_CHANGED, 1).await;
    // The signup's verification mail went out too, after the same outage.
    sink.wait_for(VERIFY, 1).await;
    assert_eq!(sink.wait_for(RESET, 1).await.len(), 1, "sent once");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `METRICS_ADDR` serves `/metrics` on a port of its own, and only there.
#[tokio::test]
async fn metrics_have_their_own_port() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = format!("127.0.0.1:{}", free_port());
    let server = Server::start(dir.path(), &[("METRICS_ADDR", &metrics)]).await;
    server.wait_ready().await;
    let c = reqwest::Client::new();
    let scraped = c.get(format!("http://{metrics}/metrics")).send().await.unwrap();
    assert_eq!(scraped.status().as_u16(), 200);
    let text = scraped.text().await.unwrap();
    // The readiness probes that wait_ready made were counted.
    assert!(
        text.contains(r#"authkit_http_requests_total{route="/health/ready",method="GET",status="200"}"#),
        "{text}"
    );
    let main = c.get(format!("{}/metrics", server.base)).send().await.unwrap();
    assert_eq!(main.status().as_u16(), 404);
    // Nothing else is served on the metrics port.
    let other = c.get(format!("http://{metrics}/auth/me")).send().await.unwrap();
    assert_eq!(other.status().as_u16(), 404);
}

/// `LOG_FORMAT=json`: every line a JSON object with the usual fields; the default text
/// format has no colour codes when stdout is not a terminal (here a file).
#[tokio::test]
async fn logs_are_json_lines_on_request_and_never_coloured_in_a_file() {
    for format in ["json", "text"] {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Server::start(dir.path(), &[("LOG_FORMAT", format), ("RUST_LOG", "info")]).await;
        server.wait_ready().await;
        let c = reqwest::Client::new();
        assert_eq!(signup(&c, &server.base, "logs@example.com").await, Some(200));
        server.signal("TERM");
        server.child.wait().unwrap();
        let log = std::fs::read_to_string(dir.path().join("stdout.log")).unwrap();
        assert!(log.lines().count() >= 3, "{format}: {log}");
        assert!(!log.contains('\u{1b}'), "{format}: escape codes in a file: {log}");
        assert!(!log.contains(PASSWORD), "{format}");
        if format == "json" {
            for line in log.lines() {
                let entry: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                for field in ["timestamp", "level", "target", "fields"] {
                    assert!(entry.get(field).is_some(), "no {field}: {line}");
                }
            }
            assert!(
                log.lines().any(|line| line.contains(r#""path":"/auth/signup""#)),
                "the request line names the path: {log}"
            );
        }
    }
}

#[test]
fn a_wrong_log_format_is_refused_at_start() {
    let output = Command::new(env!("CARGO_BIN_EXE_authkit"))
        .env("LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LOG_FORMAT"));
}

/// A setting refused at start is said once, on one line of stderr (not also as a log line),
/// and the server exits 1 without touching the disk.
#[test]
fn a_refused_setting_is_one_line_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, expected) in [
        (
            "PUBLIC_URL",
            "auth.example.com",
            "error: PUBLIC_URL must be an address like https://auth.example.com",
        ),
        (
            "MAIL_FROM",
            "AuthKit",
            "error: MAIL_FROM must be an address, either no-reply@example.com or",
        ),
        (
            "SESSION_TTL_DAYS",
            "400",
            "error: SESSION_TTL_DAYS must be between 1 and 365, got 400",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_authkit"))
            .current_dir(dir.path())
            .env("DATA_DIR", dir.path().join("data"))
            .env_remove("DATABASE_URL")
            .env(name, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: one line, got {stderr:?}");
        assert!(stderr.starts_with(expected), "{name}: {stderr}");
        assert!(output.stdout.is_empty(), "{name}: nothing logged on stdout");
    }
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

/// Issue 22 (first step): the JWKS names each signing key by its `kid` and holds only
/// public parts — an RS256 key, as OpenID Connect Discovery requires, and an ES256 one —;
/// `authkit keys rotate` (the operator's command, against the server's database) makes new
/// keys, and the old ones stay published for the tokens they signed.
#[tokio::test]
async fn the_jwks_publishes_the_signing_keys_and_a_rotation_keeps_the_old_ones() {
    use base64::Engine;
    let b64 = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(value.as_str().expect("a base64url string"))
            .expect("base64url")
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    let jwks = || server.send(server.client.get(server.url("/.well-known/jwks.json")));
    let first = jwks().await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.headers["content-type"], "application/jwk-set+json");
    assert_eq!(first.headers["cache-control"], "public, max-age=300");
    let keys = first.body["keys"].as_array().expect("keys").clone();
    assert_eq!(keys.len(), 2, "{}", first.text);
    let rsa = keys.iter().find(|k| k["alg"] == "RS256").expect("an RS256 key");
    assert_eq!(
        (&rsa["kty"], &rsa["use"], &rsa["e"]),
        (&json!("RSA"), &json!("sig"), &json!("AQAB"))
    );
    assert_eq!(b64(&rsa["n"]).len(), 256, "a 2048-bit modulus");
    let ec = keys.iter().find(|k| k["alg"] == "ES256").expect("an ES256 key");
    assert_eq!(
        (&ec["kty"], &ec["crv"], &ec["use"]),
        (&json!("EC"), &json!("P-256"), &json!("sig"))
    );
    assert_eq!((b64(&ec["x"]).len(), b64(&ec["y"]).len()), (32, 32));
    for key in &keys {
        assert!(key["kid"].as_str().is_some_and(|kid| kid.len() == 32), "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "no private part {private}: {key}");
        }
    }
    assert_eq!(jwks().await.body, first.body, "made once, then kept");

    let rotated = cli(dir.path(), &["keys", "rotate"], "").await;
    let stdout = String::from_utf8_lossy(&rotated.stdout);
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    assert!(stdout.contains("retired 2 signing key(s)"), "{stdout}");
    let after = jwks().await.body["keys"].as_array().expect("keys").clone();
    assert_eq!(after.len(), 4, "new keys, and the old ones still published");
    for old in &keys {
        assert!(after.contains(old), "{old} still published");
    }
}

/// Issue 22: the operator registers the apps that may sign people in through AuthKit.
/// `create` prints one line of JSON, with a secret for a confidential client and none for a
/// public one; the secret is stored only as a hash; `rotate-secret`, `list` and `delete`
/// work on what `create` made; a redirect URI AuthKit would not accept is refused at once.
#[tokio::test]
async fn oidc_clients_are_registered_listed_rotated_and_deleted_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]).await;
    server.wait_ready().await;
    let json_of = |output: &std::process::Output| -> serde_json::Value {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
        serde_json::from_str(&stdout).expect("JSON")
    };
    let created = cli(
        dir.path(),
        &[
            "oidc-client",
            "create",
            "--name",
            "Grafana",
            "--redirect-uri",
            "https://grafana.example.com/login/generic_oauth",
            "--post-logout-redirect-uri",
            "https://grafana.example.com/",
        ],
        "",
    )
    .await;
    assert!(String::from_utf8_lossy(&created.stderr).starts_with("database: "));
    let app = json_of(&created);
    let client_id = app["client_id"].as_str().expect("client_id").to_owned();
    let secret = app["client_secret"].as_str().expect("a secret").to_owned();
    let spa_args = [
        "oidc-client",
        "create",
        "--name",
        "SPA",
        "--redirect-uri",
        "http://localhost:5173/cb",
        "--public",
    ];
    let spa = json_of(&cli(dir.path(), &spa_args, "").await);
    assert!(
        spa.get("client_secret").is_none(),
        "a public client has no secret: {spa}"
    );

    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&database_url_for(dir.path()).await)
        .await
        .unwrap();
    let stored: Vec<Option<String>> = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored.iter().flatten().all(|hash| hash != &secret && hash.len() == 64),
        "{stored:?}"
    );
    assert_eq!(stored.iter().filter(|hash| hash.is_none()).count(), 1);

    let list = || cli(dir.path(), &["oidc-client", "list"], "");
    let listed: Vec<serde_json::Value> = String::from_utf8_lossy(&list().await.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|line| line.get("client_secret").is_none() && line.get("secret_hash").is_none())
    );
    let grafana = listed
        .iter()
        .find(|line| line["client_id"] == client_id.as_str())
        .unwrap();
    assert_eq!(
        grafana["redirect_uris"],
        json!(["https://grafana.example.com/login/generic_oauth"])
    );
    assert_eq!(
        (&grafana["public"], &grafana["first_party"]),
        (&json!(false), &json!(false))
    );

    let rotated = json_of(
        &cli(
            dir.path(),
            &["oidc-client", "rotate-secret", "--client-id", &client_id],
            "",
        )
        .await,
    );
    assert!(rotated["client_secret"].as_str().is_some_and(|new| new != secret));

    let evil = [
        "oidc-client",
        "create",
        "--name",
        "Evil",
        "--redirect-uri",
        "http://evil.example/cb",
    ];
    let refused = cli(dir.path(), &evil, "").await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("http is allowed only on a loopback host"));

    let delete = ["oidc-client", "delete", "--client-id", &client_id];
    assert_eq!(json_of(&cli(dir.path(), &delete, "").await)["deleted"], true);
    assert_eq!(
        cli(dir.path(), &delete, "").await.status.code(),
        Some(1),
        "deleting it twice"
    );
    assert_eq!(String::from_utf8_lossy(&list().await.stdout).lines().count(), 1);
}
