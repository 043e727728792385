//! A throwaway Debian nginx on loopback, as the test command starts it
//! (`nginx -p DIR -c FILE`, in the foreground), for the tests that need a
//! real reverse proxy in front of the app.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const NGINX: &str = "/usr/sbin/nginx";

/// A throwaway nginx in the foreground, proxying to the app; killed on drop,
/// so it stops even when the test panics.
pub struct Nginx {
    pub base: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// None (the test skips) when nginx is not installed, except under CI.
    pub async fn start(locations: &str) -> Option<Nginx> {
        Self::start_servers(&|port: u16| {
            format!("server {{\n    listen 127.0.0.1:{port};\n{locations}\n}}")
        })
        .await
    }

    /// nginx with the `server` blocks that `servers` writes for a free port
    /// (the one `base` names and start-up waits for).
    pub async fn start_servers(servers: &dyn Fn(u16) -> String) -> Option<Nginx> {
        if !Path::new(NGINX).exists() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but {NGINX} is missing: install nginx to run the proxy tests");
            }
            eprintln!("SKIPPED: nginx not installed");
            return None;
        }
        // The free port is found by binding and letting go, so another
        // process may take it in between: try again a few times.
        for _ in 0..5 {
            if let Some(nginx) = Self::try_start(servers).await {
                return Some(nginx);
            }
        }
        panic!("nginx did not start after 5 tries");
    }

    async fn try_start(servers: &dyn Fn(u16) -> String) -> Option<Nginx> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let servers = servers(port);
        let conf = format!(
            r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{servers}
}}
"#
        );
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        // -e: the error log before the configuration is read (the default
        // under /var/log/nginx may not be writable).
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run nginx");
        let mut nginx = Nginx {
            base: format!("http://127.0.0.1:{port}"),
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(nginx);
            }
            if let Some(status) = nginx.child.try_wait().unwrap() {
                let log = nginx.error_log();
                if log.contains("Address already in use") {
                    return None;
                }
                panic!("nginx exited with {status}:\n{log}");
            }
            if Instant::now() > deadline {
                panic!(
                    "nginx does not accept connections on port {port} after 5 s:\n{}",
                    nginx.error_log()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
