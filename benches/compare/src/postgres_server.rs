//! A PostgreSQL 15 server of its own for one run: Debian's binaries, a fresh cluster in a
//! scratch directory, listening only on a Unix socket in that directory, `fsync=on` and
//! `synchronous_commit=on`. Dropping the guard stops the server and removes its files, also when
//! the run fails. PostgreSQL refuses to run as root, so as root the cluster belongs to the
//! `postgres` user and `initdb`, `postgres` and `pg_ctl` run as it (`setpriv`).

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use benches::scratch_dir::ScratchDir;

/// Where Debian's `postgresql-15` package puts the server.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";
/// The database role the run connects as (trust authentication, socket only).
const ROLE: &str = "bench";
/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running server; dropping it stops the server and removes the cluster.
pub struct Server {
    child: Child,
    bin: PathBuf,
    data: PathBuf,
    /// The user the server runs as when this process is root.
    run_as: Option<String>,
    port: u16,
    /// Dropped after `drop` below has stopped the server.
    dir: ScratchDir,
}

impl Server {
    /// Starts a fresh cluster; `Err` says why the server could not be found or started.
    pub fn start() -> Result<Server, String> {
        let bin = PathBuf::from(BIN_DIR);
        for tool in ["initdb", "postgres", "pg_ctl"] {
            if !bin.join(tool).is_file() {
                return Err(format!(
                    "no {tool} in {BIN_DIR} (Debian's postgresql-15 package)"
                ));
            }
        }
        let dir = ScratchDir::new("compare-postgres").map_err(|e| e.to_string())?;
        let root = std::fs::metadata(dir.path())
            .map_err(|e| e.to_string())?
            .uid()
            == 0;
        let run_as = if root {
            let user = "postgres";
            let (uid, gid) = ids(user)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {} to {user}: {e}", dir.path().display()))?;
            Some(user.to_string())
        } else {
            None
        };
        let data = dir.path().join("data");
        let mut initdb = command(&bin, "initdb", run_as.as_deref());
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", ROLE, "-E", "UTF8", "--locale=C"])
            // The cluster is thrown away after the run; the server itself runs with fsync=on.
            .arg("--no-sync");
        let out = initdb
            .output()
            .map_err(|e| format!("initdb could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed ({}): {}",
                out.status,
                last_line(&String::from_utf8_lossy(&out.stderr))
            ));
        }
        // A port nobody uses now; the server listens only on the socket file it names.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log_path = dir.path().join("server.log");
        let log = File::create(&log_path).map_err(|e| e.to_string())?;
        let mut postgres = command(&bin, "postgres", run_as.as_deref());
        postgres
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir.path())
            .args([
                "-c",
                "listen_addresses=",
                "-c",
                "fsync=on",
                "-c",
                "synchronous_commit=on",
                "-c",
                "full_page_writes=on",
                "-c",
                "max_connections=5",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let child = postgres
            .spawn()
            .map_err(|e| format!("postgres could not run: {e}"))?;
        let mut server = Server {
            child,
            bin,
            data,
            run_as,
            port,
            dir,
        };
        server.wait_ready(&log_path)?;
        Ok(server)
    }

    /// A new connection over the server's socket.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user(ROLE)
            .dbname("postgres")
            .connect(postgres::NoTls)
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}): {}",
                    last_line(&std::fs::read_to_string(log).unwrap_or_default())
                ));
            }
            match self.connect() {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() > START_TIMEOUT => {
                    return Err(format!(
                        "the server did not accept connections in {} s: {e}",
                        START_TIMEOUT.as_secs()
                    ))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A fast shutdown (sessions ended, a checkpoint written), waited for; if that fails the
        // server is killed. Either way the process is reaped before its files go.
        let stopped = command(&self.bin, "pg_ctl", self.run_as.as_deref())
            .arg("stop")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "-t", "60"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// `bin/tool`, run as `user` (through `setpriv`) when given.
fn command(bin: &Path, tool: &str, user: Option<&str>) -> Command {
    match user {
        None => Command::new(bin.join(tool)),
        Some(user) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={user}"))
                .arg(format!("--regid={user}"))
                .arg("--init-groups")
                .arg(bin.join(tool));
            c
        }
    }
}

/// A user's uid and gid (`id -u`, `id -g`).
fn ids(user: &str) -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, user])
            .output()
            .map_err(|e| format!("id {flag} {user}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "running as root and there is no {user} user to run the server as"
            ));
        }
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| format!("id {flag} {user} printed no number"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}
