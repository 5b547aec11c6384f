//! The real server binary as a separate process: graceful shutdown on SIGTERM, and no
//! answered signup lost when the process is killed outright.
#![cfg(feature = "ssr")]

use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data_dir: &Path, extra: &[(&str, &str)]) -> Self {
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
            .env("JWT_SECRET", "process-test-secret-process-test-secret!")
            .env("AUTH_RATE_PER_IP_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in extra {
            command.env(key, value);
        }
        let child = command.spawn().expect("server starts");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let reply = reqwest::get(format!("{}/auth/me", self.base)).await;
            if reply.is_ok_and(|r| r.status() == 401) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not come up");
    }

    fn signal(&self, name: &str) {
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

async fn signup(client: &reqwest::Client, base: &str, email: &str) -> Option<u16> {
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
    let mut server = Server::start(dir.path(), &[("HASH_MAX_CONCURRENT", "1")]);
    server.wait_ready().await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let in_flight: Vec<_> = (0..12)
        .map(|i| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move { signup(&client, &base, &format!("term{i}@example.com")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
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
    let mut server = Server::start(dir.path(), &[]);
    server.wait_ready().await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let load: Vec<_> = (0..60)
        .map(|i| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                let email = format!("crash{i}@example.com");
                (signup(&client, &base, &email).await, email)
            })
        })
        .collect();
    // Kill it mid-load: some signups have been answered, some are still running.
    tokio::time::sleep(Duration::from_millis(400)).await;
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

    let server = Server::start(dir.path(), &[]);
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
