//! The interpreter that runs LiveCodeBench programs, compared with the reference's.
//!
//! The reference scores inside the SGLang container its README names
//! (`language/gpt-oss-120b/setup_enroot.sh`: `lmsysorg/sglang:v0.5.4.post2`), whose Dockerfile
//! installs Python 3.12 as `python3`; lcb_runner forks its test processes from that interpreter,
//! so a program can import what the container has. A program importing a module the
//! interpreter here lacks fails here and may pass there, so the missing ones are named before
//! scoring (docs/EVAL.md cites where each module comes from).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::sandbox::{self, Sandbox, SandboxConfig};

/// The Python version of the reference's container.
pub const REFERENCE_PYTHON: &str = "3.12";

/// Modules of the reference's environment a solution may import, as (import name, package).
pub const REFERENCE_MODULES: &[(&str, &str)] = &[
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("pandas", "pandas"),
    ("sympy", "sympy"),
    ("networkx", "networkx"),
    ("sklearn", "scikit-learn"),
    ("numba", "numba"),
];

/// What the sandboxed interpreter is and lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `major.minor.micro` of the interpreter.
    pub version: String,
    /// Packages (pip names) of [`REFERENCE_MODULES`] it cannot import.
    pub missing: Vec<&'static str>,
}

#[derive(Deserialize)]
struct Found {
    version: String,
    missing: Vec<String>,
}

/// Asks the interpreter, inside the sandbox (the view programs get), for its version and which
/// reference modules it cannot find.
pub fn inspect(config: &SandboxConfig) -> Result<Environment, String> {
    let names: Vec<&str> = REFERENCE_MODULES.iter().map(|(m, _)| *m).collect();
    let script = format!(
        "import importlib.util, json, sys\n\
         names = {names:?}\n\
         missing = [n for n in names if importlib.util.find_spec(n) is None]\n\
         print(json.dumps({{'version': '%d.%d.%d' % sys.version_info[:3], 'missing': missing}}))"
    );
    let sandbox = Sandbox::new(config.clone());
    let out = sandbox
        .run(
            sandbox::reserve_slots(1),
            &["-c", &script],
            b"",
            Duration::from_secs(60),
            60,
        )
        .map_err(|e| format!("cannot start `{}`: {e}", config.python.display()))?;
    let found: Found = serde_json::from_slice(&out.stdout).map_err(|_| {
        format!(
            "`{}` did not say which modules it has ({:?})",
            config.python.display(),
            out.exit
        )
    })?;
    let missing = REFERENCE_MODULES
        .iter()
        .filter(|(m, _)| found.missing.iter().any(|f| f == m))
        .map(|(_, package)| *package)
        .collect();
    Ok(Environment {
        version: found.version,
        missing,
    })
}

/// The lines to print before scoring: the interpreter and its version against the reference's,
/// and what to install. Empty when nothing differs.
pub fn notes(python: &Path, env: &Environment) -> Vec<String> {
    let mut lines = Vec::new();
    let minor = env
        .version
        .splitn(3, '.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    if minor != REFERENCE_PYTHON {
        lines.push(format!(
            "LiveCodeBench programs run with `{}` (Python {}); the reference runs them with \
             Python {REFERENCE_PYTHON} (lmsysorg/sglang:v0.5.4.post2)",
            python.display(),
            env.version
        ));
    }
    if !env.missing.is_empty() {
        lines.push(format!(
            "`{}` lacks {} (the reference's environment has them): a program importing them \
             fails here; install them with `{} -m pip install {}`, or name another \
             interpreter with --python",
            python.display(),
            env.missing.join(", "),
            python.display(),
            env.missing.join(" ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_version_and_the_packages_to_install() {
        let env = Environment {
            version: "3.11.2".into(),
            missing: vec!["numpy", "scikit-learn"],
        };
        assert_eq!(
            notes(Path::new("/usr/bin/python3"), &env),
            [
                "LiveCodeBench programs run with `/usr/bin/python3` (Python 3.11.2); the \
                 reference runs them with Python 3.12 (lmsysorg/sglang:v0.5.4.post2)",
                "`/usr/bin/python3` lacks numpy, scikit-learn (the reference's environment has \
                 them): a program importing them fails here; install them with \
                 `/usr/bin/python3 -m pip install numpy scikit-learn`, or name another \
                 interpreter with --python",
            ]
        );
        let same = Environment {
            version: "3.12.12".into(),
            missing: Vec::new(),
        };
        assert!(notes(Path::new("python3"), &same).is_empty());
    }

    #[test]
    fn the_sandboxed_interpreter_reports_its_version_and_what_it_lacks() {
        let Some(sandbox) = sandbox::tests::sandbox_or_skip("lcb environment") else {
            return;
        };
        let env = inspect(sandbox.config()).unwrap();
        // Compare with the same interpreter asked directly, outside the sandbox.
        let direct = std::process::Command::new(&sandbox.config().python)
            .args([
                "-I",
                "-c",
                "import sys; print('%d.%d.%d' % sys.version_info[:3])",
            ])
            .output()
            .unwrap();
        assert_eq!(
            env.version,
            String::from_utf8_lossy(&direct.stdout).trim_end()
        );
        for (module, package) in REFERENCE_MODULES {
            let has = std::process::Command::new(&sandbox.config().python)
                .args(["-I", "-c", &format!("import {module}")])
                .output()
                .unwrap()
                .status
                .success();
            assert_eq!(env.missing.contains(package), !has, "{module}");
        }
    }
}
