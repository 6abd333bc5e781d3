//! Cache mounts exist only while a RUN runs: what a build writes under one
//! never reaches a layer, so the runner cannot copy it from there.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{absolute_in, workdir_of};
use crate::model::*;

pub fn check(image: &Image, d: &mut Diagnostics) {
    for build in image.builds() {
        let Some(artifacts) = &build.artifacts else {
            continue;
        };
        let workdir = workdir_of(build);
        let caches: Vec<(&str, crate::source::Span)> = build
            .steps
            .iter()
            .flat_map(|s| s.cache.iter().map(move |c| (c.as_str(), s.span)))
            .chain(
                build
                    .deps
                    .iter()
                    .flat_map(|e| e.cache.iter().map(|c| (c.value.as_str(), c.span))),
            )
            .collect();
        for artifact in artifacts {
            let from = absolute_in(&workdir, &artifact.from);
            let covered = caches.iter().find(|(cache, _)| {
                let cache = cache.trim_end_matches('/');
                !cache.is_empty() && (from == cache || from.starts_with(&format!("{cache}/")))
            });
            let Some((cache, cache_span)) = covered else {
                continue;
            };
            d.push(
                Diagnostic::error(
                    Code::ArtifactInCache,
                    artifact.span,
                    format!("`{from}` is inside the cache mount `{cache}`, which no layer keeps"),
                )
                .label("the runner would find nothing here")
                .secondary(*cache_span, format!("`{cache}` is a cache mount"))
                .help("have the build copy or move its result out of the cache (e.g. `cp target/release/app /out/app` in the same step), and list that path as the artifact"),
            );
        }
    }
}
