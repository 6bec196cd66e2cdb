//! Builds the official LoadGen from the sources in `MLPERF_LOADGEN_SRC` when the `official`
//! feature is on; without the feature it builds nothing (the default build needs no C++).

fn main() {
    println!("cargo:rerun-if-env-changed=MLPERF_LOADGEN_SRC");
    println!("cargo:rerun-if-changed=csrc/glue.cc");
    println!("cargo::rustc-check-cfg=cfg(official_loadgen)");
    #[cfg(feature = "official")]
    official::build();
}

#[cfg(feature = "official")]
mod official {
    use std::path::{Path, PathBuf};

    /// The library's sources, as the wheel's `setup.py` lists them (the Python and C API
    /// bindings are left out: ossperf brings its own glue).
    const SOURCES: [&str; 8] = [
        "early_stopping.cc",
        "issue_query_controller.cc",
        "loadgen.cc",
        "logging.cc",
        "test_settings_internal.cc",
        "utils.cc",
        "version.cc",
        "results.cc",
    ];

    pub fn build() {
        let src = match std::env::var_os("MLPERF_LOADGEN_SRC") {
            Some(dir) => PathBuf::from(dir),
            None => fail(
                "the `official` feature needs MLPERF_LOADGEN_SRC: the directory of the official \
                 LoadGen's sources (`bash scripts/official-loadgen-src.sh` downloads the \
                 `mlcommons-loadgen` source distribution and prints it; `loadgen/` of a clone of \
                 mlcommons/inference works too)",
            ),
        };
        for name in SOURCES.iter().chain(&["loadgen.h", "test_settings.h"]) {
            if !src.join(name).is_file() {
                fail(&format!(
                    "MLPERF_LOADGEN_SRC=`{}` has no `{name}`: it must name the LoadGen source directory",
                    src.display()
                ));
            }
        }
        println!("cargo:rerun-if-changed={}", src.display());
        let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
        let mut build = cc::Build::new();
        build
            .cpp(true)
            .std("c++14")
            .opt_level(2)
            .warnings(false)
            .define("NDEBUG", None)
            .include(&src)
            .include(&out)
            .flag_if_supported("-pthread")
            .file("csrc/glue.cc");
        for name in SOURCES {
            build.file(src.join(name));
        }
        build.file(version_source(&src, &out));
        if !src.join("mlperf_conf.h").is_file() {
            write_mlperf_conf_header(&src, &out);
        }
        build.compile("mlperf_loadgen");
        println!("cargo:rustc-link-lib=pthread");
        println!("cargo:rustc-cfg=official_loadgen");
        println!(
            "cargo:rustc-env=OSSPERF_LOADGEN_OFFICIAL_VERSION={}",
            version(&src)
        );
    }

    /// `generated/version_generated.cc` ships in the source distribution; a git clone lacks it
    /// (its CMake build generates it), so it is written here with the version and no git facts.
    fn version_source(src: &Path, out: &Path) -> PathBuf {
        let shipped = src.join("generated").join("version_generated.cc");
        if shipped.is_file() {
            return shipped;
        }
        let version = version(src);
        let mut code = String::from("#include <string>\nnamespace mlperf {\n");
        for (name, value) in [
            ("LoadgenVersion", version.as_str()),
            ("LoadgenBuildDateLocal", ""),
            ("LoadgenBuildDateUtc", ""),
            ("LoadgenGitRevision", ""),
            ("LoadgenGitCommitDate", ""),
            ("LoadgenGitStatus", ""),
            ("LoadgenGitLog", ""),
            ("LoadgenSha1OfFiles", ""),
        ] {
            code.push_str(&format!(
                "const std::string& {name}() {{ static const std::string s = \"{value}\"; return s; }}\n"
            ));
        }
        code.push_str("}\n");
        let path = out.join("version_generated.cc");
        if let Err(e) = std::fs::write(&path, code) {
            fail(&format!("cannot write `{}`: {e}", path.display()));
        }
        path
    }

    /// A clone has `mlperf.conf` but not the header the build embeds it from.
    fn write_mlperf_conf_header(src: &Path, out: &Path) {
        let conf = match std::fs::read_to_string(src.join("mlperf.conf")) {
            Ok(text) => text,
            Err(e) => fail(&format!(
                "MLPERF_LOADGEN_SRC has neither `mlperf_conf.h` nor a readable `mlperf.conf`: {e}"
            )),
        };
        let mut header = String::from("const char* mlperf_conf =\n");
        for line in conf.lines() {
            let escaped = line.replace('\\', "\\\\").replace('"', "\\\"");
            header.push_str(&format!("\"{escaped}\\n\"\n"));
        }
        header.push_str(";\n");
        let path = out.join("mlperf_conf.h");
        if let Err(e) = std::fs::write(&path, header) {
            fail(&format!("cannot write `{}`: {e}", path.display()));
        }
    }

    fn version(src: &Path) -> String {
        std::fs::read_to_string(src.join("VERSION.txt"))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string())
    }

    #[allow(clippy::print_stderr)] // a build script speaks to the user through stderr
    fn fail(message: &str) -> ! {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
