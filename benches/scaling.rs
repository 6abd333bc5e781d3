//! Cost grows linearly with the input, for the shapes of input that used to
//! make it grow faster: many directory sources, many file sources, many
//! environment entries, many unknown fields, many erroneous images, many
//! duplicate `use` lines, and the last ones again with JSON output. Each
//! shape is generated at 1x, 4x and 16x (1,000 to 16,000 items) and checked
//! by the release binary as a whole process; the table shows the median
//! time of a few runs and the peak resident memory, and the ratios between
//! sizes. No assertion on times: `cargo bench --bench scaling` prints
//! figures for docs/performance.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [1_000, 4_000, 16_000];
const RUNS: usize = 5;

/// A generated project: the spec and, for sources, the files it copies.
fn shape(name: &str, n: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scaling")
        .join(format!("{name}-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("project dir");
    let image = |body: &str| {
        format!("use std.debian\nimage app {{\n  base = debian.bookworm()\n{body}  run {{ cmd = [\"/app/run\"] }}\n}}\n")
    };
    let list = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    let spec = match name {
        "directory sources" => {
            for i in 0..n {
                let d = dir.join(format!("d{i}"));
                std::fs::create_dir_all(&d).expect("source dir");
                std::fs::write(d.join("a"), "").expect("source");
            }
            image(&format!(
                "  sources = [\n{}  ]\n",
                list(&|i| format!("    \"d{i}/\",\n"))
            ))
        }
        "file sources" => {
            std::fs::create_dir_all(dir.join("f")).expect("source dir");
            for i in 0..n {
                std::fs::write(dir.join(format!("f/x{i}.txt")), "").expect("source");
            }
            image(&format!(
                "  sources = [\n{}  ]\n",
                list(&|i| format!("    \"f/x{i}.txt\",\n"))
            ))
        }
        "environment entries" => {
            std::fs::create_dir_all(dir.join("s")).expect("source dir");
            std::fs::write(dir.join("s/a"), "").expect("source");
            format!(
                "use std.debian\nimage app {{\n  base = debian.bookworm()\n  sources = [\"s/\"]\n  run {{\n    cmd = [\"/app/run\"]\n    env = {{\n{}    }}\n  }}\n}}\n",
                list(&|i| format!("      V{i} = \"value {i}\"\n"))
            )
        }
        "unknown fields" => image(&format!(
            "  sources = [\"s/\"]\n{}",
            list(&|i| format!("  unknown{i} = \"x\"\n"))
        )),
        "erroneous images" => format!(
            "use std.debian\n{}",
            list(&|i| format!(
                "image app{i} {{\n  base = debian.bookworm()\n  sources = [\".\"]\n}}\n"
            ))
        ),
        "duplicate use lines" => format!(
            "{}image app {{\n  base = debian.bookworm()\n  sources = [\"s/\"]\n}}\n",
            list(&|_| "use std.debian\n".to_string())
        ),
        other => panic!("no shape {other}"),
    };
    let path = dir.join("app.imgspec");
    std::fs::write(&path, spec).expect("spec");
    path
}

/// Wall time and peak resident memory (KiB) of one `imgspec check`.
fn run(spec: &Path, json: bool) -> (Duration, u64) {
    let mut args = vec!["check"];
    if json {
        args.extend(["--message-format", "json"]);
    }
    let spec_arg = spec.to_str().expect("utf-8 path");
    args.push(spec_arg);
    let start = Instant::now();
    // Waited for with wait4 below, which also reports the peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run imgspec");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to be overwritten, and
    // the pid is our own child, waited for once.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    (start.elapsed(), usage.ru_maxrss as u64)
}

fn main() {
    let shapes: [(&str, bool); 8] = [
        ("directory sources", false),
        ("file sources", false),
        ("environment entries", false),
        ("unknown fields", false),
        ("unknown fields", true),
        ("erroneous images", false),
        ("erroneous images", true),
        ("duplicate use lines", false),
    ];
    println!("| shape | 1,000: time, peak memory | 4,000 | 16,000 | time ratio 16x/1x |");
    println!("|---|---:|---:|---:|---:|");
    for (name, json) in shapes {
        let mut cells = Vec::new();
        let mut times = Vec::new();
        for n in SIZES {
            let spec = shape(name, n);
            let mut samples: Vec<(Duration, u64)> = (0..RUNS).map(|_| run(&spec, json)).collect();
            samples.sort();
            let (time, _) = samples[RUNS / 2];
            let memory = samples.iter().map(|s| s.1).max().unwrap_or(0);
            times.push(time);
            cells.push(format!(
                "{:.1} ms, {:.1} MiB",
                time.as_secs_f64() * 1000.0,
                memory as f64 / 1024.0
            ));
        }
        let ratio = times[2].as_secs_f64() / times[0].as_secs_f64().max(1e-9);
        let label = if json {
            format!("{name} (JSON output)")
        } else {
            name.to_string()
        };
        println!(
            "| {label} | {} | {} | {} | {ratio:.1} |",
            cells[0], cells[1], cells[2]
        );
    }
}
