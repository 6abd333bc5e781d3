//! server (a workspace member): answers HTTP on :18093 with a greeting, a number
//! formatted by `itoa` (through the `greeting` member), a SHA-256 digest computed
//! by `sha2` (crates.io dependencies both) and the uid/gid it runs as. With
//! `--healthcheck` it probes the running server and exits 0 when healthy, so a
//! shell-less image can check itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::exit;
use std::time::Duration;

use sha2::{Digest, Sha256};

const LISTEN: &str = "0.0.0.0:18093";
const PROBE: &str = "127.0.0.1:18093";

// From the C library the binary links anyway.
extern "C" {
    fn getuid() -> u32;
    fn getgid() -> u32;
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

/// As PID 1 a process gets no default signal actions: without a handler,
/// `docker stop` would wait for its timeout and then kill.
extern "C" fn on_stop(_: i32) {
    unsafe { _exit(0) }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--healthcheck") {
        exit(if healthy() { 0 } else { 1 });
    }
    unsafe {
        signal(SIGTERM, on_stop);
        signal(SIGINT, on_stop);
    }
    let listener = TcpListener::bind(LISTEN).unwrap_or_else(|e| {
        eprintln!("cannot listen on {LISTEN}: {e}");
        exit(1)
    });
    eprintln!("listening on {LISTEN}");
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                std::thread::spawn(move || {
                    if let Err(e) = handle(stream) {
                        eprintln!("request failed: {e}");
                    }
                });
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

fn handle(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/healthz" => ("200 OK", "ok\n".to_string()),
        "/" => {
            let (uid, gid) = unsafe { (getuid(), getgid()) };
            let digest = Sha256::digest(b"imgspec");
            let body = format!(
                "{}; itoa: {}; sha256(imgspec): {digest:x}; uid={uid} gid={gid}\n",
                greeting::GREETING,
                greeting::decimal(u64::MAX),
            );
            ("200 OK", body)
        }
        _ => ("404 Not Found", "not found\n".to_string()),
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn healthy() -> bool {
    let probe = || -> std::io::Result<bool> {
        let addr: SocketAddr = PROBE.parse().expect("probe address");
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response.starts_with("HTTP/1.1 200 ") && response.ends_with("\r\n\r\nok\n"))
    };
    probe().unwrap_or(false)
}
