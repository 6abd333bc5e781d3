//! Compile-time benchmarks, as medians of repeated runs (no wall-clock
//! assertions anywhere: this prints figures for docs/performance.md).
//!
//! `cargo bench --bench compile` measures:
//! - one example end to end as a whole process (the release binary);
//! - monorepos of N images sharing a template, in process and as a whole
//!   process, to show the cost per image is flat.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use imgspec::compile::{compile, Options};
use imgspec::loader::FsLoader;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn monorepo(images: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut spec = String::from(
        "use std.python\n\ntemplate service(dir: path, port: int = 8000) = python.service(version: \"3.12\") {\n  deps = [python.pip(dir: dir)]\n  sources = [\"{{ dir }}/\"]\n  packages { runtime = [\"curl\"] }\n  run {\n    cmd = [\"gunicorn\", \"--chdir\", \"{{ dir }}\", \"app:app\"]\n    expose = port\n    health = http(\"/healthz\", port: port, every: 30s)\n    labels = { \"com.example.service\" = \"{{ dir }}\" }\n  }\n}\n\n",
    );
    for i in 0..images {
        spec.push_str(&format!(
            "image svc{i} = service(dir: \"services/svc{i}\", port: {}) {{\n  packages {{ build = [\"gcc\", \"libpq-dev\"] }}\n}}\n\n",
            8000 + i % 1000
        ));
    }
    // The build context holds what the Dockerfiles copy (E0122 otherwise).
    for i in 0..images {
        let service = dir.join(format!("services/svc{i}"));
        std::fs::create_dir_all(&service).expect("service dir");
        std::fs::write(service.join("requirements.txt"), "flask\n").expect("requirements");
        std::fs::write(service.join("app.py"), "\n").expect("source");
    }
    let path = dir.join(format!("monorepo-{images}.imgspec"));
    std::fs::write(&path, spec).expect("write monorepo");
    path
}

/// The same images as [`monorepo`], as a repository lays them out: one
/// directory per service with its own spec, all importing one shared
/// template file.
fn separate_specs(images: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-separate-{images}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("bench dir");
    std::fs::create_dir_all(dir.join("shared")).expect("shared dir");
    std::fs::write(
        dir.join("shared/service.imgspec"),
        "use std.python\n\ntemplate service(dir: path, port: int = 8000) = python.service(version: \"3.12\") {\n  deps = [python.pip(dir: dir)]\n  sources = [\"{{ dir }}/\"]\n  packages { runtime = [\"curl\"] }\n  run {\n    cmd = [\"gunicorn\", \"--chdir\", \"{{ dir }}\", \"app:app\"]\n    expose = port\n    health = http(\"/healthz\", port: port, every: 30s)\n    labels = { \"com.example.service\" = \"{{ dir }}\" }\n  }\n}\n",
    )
    .expect("shared template");
    for i in 0..images {
        let service = dir.join(format!("services/svc{i}"));
        std::fs::create_dir_all(service.join("app")).expect("service dir");
        std::fs::write(service.join("app/requirements.txt"), "flask\n").expect("requirements");
        std::fs::write(service.join("app/app.py"), "\n").expect("source");
        std::fs::write(
            service.join("service.imgspec"),
            format!(
                "use \"../../shared/service.imgspec\" as shared\n\nimage svc{i} = shared.service(dir: \"app\", port: {}) {{\n  packages {{ build = [\"gcc\", \"libpq-dev\"] }}\n}}\n",
                8000 + i % 1000
            ),
        )
        .expect("spec");
    }
    dir
}

fn process(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_imgspec"))
        .args(args)
        .output()
        .expect("run imgspec");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let example = "examples/python-api/api.imgspec";
    let one_process = time(200, || process(&["compile", example, "-o", "-"]));
    let one_in_process = time(2000, || {
        let c = compile(
            &FsLoader::for_spec(Path::new(example)).expect("project"),
            Path::new(example),
            &Options::default(),
        )
        .expect("compile");
        assert_eq!(c.outputs.len(), 1);
    });
    println!("| case | median |");
    println!("|---|---|");
    println!(
        "| one spec (`{example}`), whole process | {} |",
        ms(one_process)
    );
    println!("| one spec, in process | {} |", ms(one_in_process));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-out/");
    for images in [100usize, 300, 1000] {
        let spec = monorepo(images);
        let runs = if images >= 1000 { 15 } else { 30 };
        let in_process = time(runs, || {
            let c = compile(
                &FsLoader::for_spec(&spec).expect("project"),
                &spec,
                &Options::default(),
            )
            .expect("compile");
            assert_eq!(c.outputs.len(), images, "{:?}", c.diagnostics);
        });
        let spec_arg = spec.to_str().expect("utf-8 path");
        let checked = time(runs, || process(&["check", spec_arg]));
        let out = out_dir.join(images.to_string());
        let out_arg = format!("{}/", out.display());
        // Writing into an empty directory: every file is created.
        let first_write = median(
            (0..runs)
                .map(|_| {
                    let _ = std::fs::remove_dir_all(&out);
                    let start = Instant::now();
                    process(&["compile", spec_arg, "-o", &out_arg]);
                    start.elapsed()
                })
                .collect(),
        );
        // Regenerating over up-to-date files: nothing is rewritten.
        let regenerate = time(runs, || process(&["compile", spec_arg, "-o", &out_arg]));
        let per_image = |d: Duration| d.as_secs_f64() * 1e6 / images as f64;
        println!(
            "| {images} images, in process | {} ({:.1} µs per image) |",
            ms(in_process),
            per_image(in_process)
        );
        println!(
            "| {images} images, `imgspec check` (whole process) | {} ({:.1} µs per image) |",
            ms(checked),
            per_image(checked)
        );
        println!(
            "| {images} images, `imgspec compile` into an empty directory ({} files) | {} ({:.1} µs per image) |",
            images * 2,
            ms(first_write),
            per_image(first_write)
        );
        println!(
            "| {images} images, `imgspec compile` over up-to-date files | {} ({:.1} µs per image) |",
            ms(regenerate),
            per_image(regenerate)
        );
    }
    // A repository of services, each in its own directory with its own
    // spec, against the same images in one file.
    {
        let images = 1000usize;
        let single = monorepo(images);
        let single_arg = single.to_str().expect("utf-8 path");
        let one_file = time(15, || process(&["check", single_arg]));
        let root = separate_specs(images);
        let services = root.join("services");
        let services_arg = services.to_str().expect("utf-8 path");
        let separate = time(15, || process(&["check", services_arg]));
        let per = |d: Duration| d.as_secs_f64() * 1e6 / images as f64;
        println!(
            "| {images} images in one file, `imgspec check` (whole process) | {} ({:.1} µs per image) |",
            ms(one_file),
            per(one_file)
        );
        println!(
            "| {images} specs in separate directories, `imgspec check` (whole process) | {} ({:.1} µs per spec, {:.2}x the one file) |",
            ms(separate),
            per(separate),
            separate.as_secs_f64() / one_file.as_secs_f64()
        );
    }
}
