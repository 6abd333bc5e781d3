//! Building for several platforms: an image that cross-compiles must not
//! use an ecosystem that builds only for the platform it runs on (E0151),
//! or link C libraries installed for the builder's platform (W0124); one
//! published for several platforms without cross-compiling runs its build
//! stages under emulation (W0123).

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::*;

pub fn check(image: &Image, d: &mut Diagnostics) {
    match image.cross_compile {
        Some(cross) => {
            host_only(image, cross, d);
            host_headers(image, cross, d);
        }
        None => emulated(image, d),
    }
}

/// `cross = false`: the ecosystem's commands (cargo without `--target`)
/// make code for the platform they run on, which is the builder's here.
fn host_only(image: &Image, cross: crate::source::Span, d: &mut Diagnostics) {
    for eco in image.builds().flat_map(|b| &b.deps) {
        if eco.cross != Some(false) {
            continue;
        }
        d.push(
            Diagnostic::error(
                Code::CrossHostOnly,
                eco.span,
                format!("`{}` builds for the platform it runs on, but the image cross-compiles", eco.name),
            )
            .label("would build for the builder's platform, not the target's")
            .secondary(cross, "the build stages run on the builder's platform")
            .help(format!(
                "pass `{}(..., cross: true)` so it builds for `$TARGETARCH`, or leave `cross_compile` off (a template's `cross_compile: false`) to build under emulation",
                eco.name
            )),
        );
    }
}

/// Packages whose headers belong to the C library itself, which the
/// toolchain's cross packages provide for the target.
const LIBC_HEADERS: &[&str] = &["libc6-dev", "musl-dev", "linux-libc-dev", "libc-dev"];

/// A `-dev` package in a build that compiles for the target: its headers
/// and libraries are the builder's, so a crate linking them (a `-sys`
/// crate) fails to link for another architecture.
fn host_headers(image: &Image, cross: crate::source::Span, d: &mut Diagnostics) {
    for build in image.builds() {
        if !build.deps.iter().any(|e| e.cross == Some(true)) {
            continue;
        }
        for package in &build.packages {
            let name = package.name.as_str();
            let dev = name.ends_with("-dev") || name.ends_with("-devel");
            if !dev || LIBC_HEADERS.contains(&name) {
                continue;
            }
            d.push(
                Diagnostic::warning(
                    Code::CrossHeaders,
                    package.span,
                    format!("`{name}` is installed for the builder's platform, and this build cross-compiles"),
                )
                .label("headers and libraries for the builder's architecture only")
                .secondary(cross, "the build compiles for the target's platform")
                .help("code that links it for another architecture fails to link: build the C library from source with the crate (often a `vendored` or `bundled` feature), or leave `cross_compile` off (a template's `cross_compile: false`) to build under emulation"),
            );
        }
    }
}

/// Several platforms and no `cross_compile`: every build stage that runs
/// a command runs it for each target, under emulation on all but the
/// builder's own.
fn emulated(image: &Image, d: &mut Diagnostics) {
    let platforms = &image.publish.platforms;
    let Some(span) = image.publish.platforms_span else {
        return;
    };
    let mut distinct = platforms.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 {
        return;
    }
    let runs = |b: &Build| {
        !b.packages.is_empty()
            || !b.steps.is_empty()
            || b.deps.iter().any(|e| {
                !e.install.is_empty()
                    || !e.setup.is_empty()
                    || !e.finish.is_empty()
                    || !e.production.is_empty()
                    || !e.prune.is_empty()
            })
    };
    if !image.builds().any(runs) {
        return;
    }
    let mut blockers: Vec<String> = Vec::new();
    for build in image.builds().filter(|b| runs(b)) {
        if !build.steps.is_empty() && build.deps.is_empty() {
            blockers.push("build steps that use no ecosystem, so imgspec cannot tell whether what they make is for the target (if it is the same on every platform, or they build for `$TARGETARCH`, `cross_compile = true` is right)".to_string());
        }
        for eco in &build.deps {
            if eco.cross == Some(false) {
                blockers.push(format!(
                    "`{}` builds for the platform it runs on (pass it `cross: true`, or a template's `cross_compile: true`)",
                    eco.name
                ));
            } else if !eco.output.is_empty() && eco.linkage == Linkage::Dynamic {
                blockers.push(format!(
                    "`{}` installs dependencies the runner copies, which hold native code for the platform they are installed on (E0150)",
                    eco.name
                ));
            }
        }
    }
    blockers.dedup();
    let diagnostic = Diagnostic::warning(
        Code::EmulatedBuild,
        span,
        format!(
            "the build stages run under emulation for every platform but the builder's own ({})",
            distinct.join(", ")
        ),
    )
    .label("several platforms, and the image does not cross-compile");
    let help = if blockers.is_empty() {
        "set `cross_compile = true` (a template's `cross_compile: true`): every ecosystem of this image builds for the target's platform from the builder's, so no emulation (QEMU) is needed".to_string()
    } else {
        format!(
            "the builder needs QEMU (binfmt_misc) for the other platforms, and builds run many times slower; cross-compiling is not possible here: {}",
            blockers.join("; ")
        )
    };
    d.push(diagnostic.help(help));
}
