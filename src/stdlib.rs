//! The standard library: imgspec modules embedded in the binary and imported
//! with `use std.NAME`.

const MODULES: &[(&str, &str)] = &[
    ("alpine", include_str!("../stdlib/alpine.imgspec")),
    ("debian", include_str!("../stdlib/debian.imgspec")),
    ("distroless", include_str!("../stdlib/distroless.imgspec")),
    ("dotnet", include_str!("../stdlib/dotnet.imgspec")),
    ("go", include_str!("../stdlib/go.imgspec")),
    ("java", include_str!("../stdlib/java.imgspec")),
    ("node", include_str!("../stdlib/node.imgspec")),
    ("php", include_str!("../stdlib/php.imgspec")),
    ("python", include_str!("../stdlib/python.imgspec")),
    ("rhel", include_str!("../stdlib/rhel.imgspec")),
    ("ruby", include_str!("../stdlib/ruby.imgspec")),
    ("rust", include_str!("../stdlib/rust.imgspec")),
    ("scratch", include_str!("../stdlib/scratch.imgspec")),
    ("ubuntu", include_str!("../stdlib/ubuntu.imgspec")),
    ("web", include_str!("../stdlib/web.imgspec")),
];

/// The source of `std.NAME`, if there is such a module.
pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// All module names, for "did you mean" and for the stdlib test.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(n, _)| *n)
}

/// The standard modules that define `name`, for "did you forget a `use`?"
/// help. Parses the modules, so it is for error paths only.
pub fn modules_defining(name: &str) -> Vec<&'static str> {
    MODULES
        .iter()
        .filter(|(_, text)| {
            let mut ignored = crate::diagnostic::Diagnostics::default();
            crate::syntax::parse(crate::source::FileId(0), text, &mut ignored)
                .is_some_and(|m| m.definitions.iter().any(|d| d.name.name == name))
        })
        .map(|(module, _)| *module)
        .collect()
}
