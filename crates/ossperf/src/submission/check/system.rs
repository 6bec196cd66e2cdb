//! The checker's system-description checks (`checks/system_check.py`, `SystemCheck`) on
//! `systems/<system>.json`, and the loader's scenario list (`loader.py`, `check_scenarios`).

use std::path::Path;

use serde_json::Value;

use super::Findings;

/// `SYSTEM_DESC_REQUIRED_FIELDS`, in its order.
pub(crate) const REQUIRED_FIELDS: [&str; 35] = [
    "division",
    "submitter",
    "status",
    "system_name",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_storage_capacity",
    "host_storage_type",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "framework",
    "operating_system",
    "system_type",
    "other_software_stack",
    "host_processor_frequency",
    "host_processor_caches",
    "host_memory_configuration",
    "host_processor_interconnect",
    "host_networking",
    "host_networking_topology",
    "accelerator_frequency",
    "accelerator_host_interconnect",
    "accelerator_interconnect",
    "accelerator_interconnect_topology",
    "accelerator_memory_configuration",
    "accelerator_on-chip_memories",
    "cooling",
    "hw_notes",
    "sw_notes",
    "host_network_card_count",
    "system_type_detail",
];

/// `SYSTEM_DESC_MEANINGFUL_RESPONSE_REQUIRED_FIELDS`: these may not be empty.
const MEANINGFUL_FIELDS: [&str; 26] = [
    "division",
    "submitter",
    "system_type",
    "status",
    "system_name",
    "number_of_nodes",
    "host_processor_model_name",
    "host_processors_per_node",
    "host_processor_core_count",
    "host_memory_capacity",
    "host_memory_configuration",
    "host_storage_capacity",
    "host_storage_type",
    "host_networking",
    "host_network_card_count",
    "host_networking_topology",
    "accelerators_per_node",
    "accelerator_model_name",
    "accelerator_memory_capacity",
    "accelerator_host_interconnect",
    "accelerator_memory_configuration",
    "accelerator_interconnect",
    "cooling",
    "framework",
    "operating_system",
    "other_software_stack",
];

/// `SYSTEM_DESC_REQUIRED_FIELDS_NETWORK_MODE`, required when `is_network` is set.
const NETWORK_FIELDS: [&str; 13] = [
    "is_network",
    "network_type",
    "network_media",
    "network_rate",
    "nic_loadgen",
    "number_nic_loadgen",
    "net_software_stack_loadgen",
    "network_protocol",
    "number_connections",
    "nic_sut",
    "number_nic_sut",
    "net_software_stack_sut",
    "network_topology",
];

/// `VALID_AVAILABILITIES`.
const AVAILABILITIES: [&str; 3] = ["available", "preview", "rdi"];

/// The system types the checker knows; gpt-oss-120b has scenarios in the datacenter ones.
const DATACENTER_TYPES: [&str; 3] = ["datacenter", "datacenter,edge", "edge,datacenter"];

/// Python's falsiness of a JSON value (what `not value` says).
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Reads the description; `None` with a finding when it is missing or not a JSON object (the
/// checker stops there).
pub(super) fn read(findings: &mut Findings, path: &Path) -> Option<Value> {
    let Ok(bytes) = std::fs::read(path) else {
        findings.checker("system.missing", path, "is missing".into());
        return None;
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Some(v),
        _ => {
            findings.checker("system.missing", path, "is not a JSON object".into());
            None
        }
    }
}

fn text<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Value::as_str)
}

/// `network_check` (of both the system and the performance checks): the closed division runs
/// without network mode, the network division with it.
pub(super) fn network_mismatch(json: &Value, division: &str) -> Option<String> {
    let is_network = text(json, "is_network").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let expected = match division {
        "closed" => false,
        "network" => true,
        _ => return None,
    };
    (is_network != expected).then(|| {
        format!("network mode is {is_network} in the system description; the {division} division requires {expected}")
    })
}

pub(super) fn check(
    findings: &mut Findings,
    path: &Path,
    json: &Value,
    division: &str,
    submitter: &str,
) {
    let status = text(json, "status").unwrap_or("").to_lowercase();
    if !AVAILABILITIES.contains(&status.as_str()) {
        findings.checker(
            "system.status",
            path,
            format!("`status` is `{status}`; the checker requires one of available, preview, rdi"),
        );
    }
    let system_type = text(json, "system_type").unwrap_or("");
    if !["datacenter", "edge", "datacenter,edge", "edge,datacenter"].contains(&system_type) {
        findings.checker(
            "system.type",
            path,
            format!("`system_type` is `{system_type}`; the checker requires datacenter, edge, datacenter,edge or edge,datacenter"),
        );
    }
    if let Some(message) = network_mismatch(json, division) {
        findings.checker("system.network", path, message);
    }
    let mut required: Vec<&str> = REQUIRED_FIELDS.to_vec();
    if json.get("is_network").is_some_and(|v| !is_empty(v)) {
        required.extend(NETWORK_FIELDS);
    }
    for key in required {
        match json.get(key) {
            None => findings.checker(
                "system.field_missing",
                path,
                format!("has no field `{key}`, which the checker requires"),
            ),
            Some(v) if MEANINGFUL_FIELDS.contains(&key) && is_empty(v) => findings.checker(
                "system.field_empty",
                path,
                format!("field `{key}` is empty; the checker requires a meaningful value"),
            ),
            Some(_) => {}
        }
    }
    let named = text(json, "submitter").unwrap_or("");
    if !named.eq_ignore_ascii_case(submitter) {
        findings.checker(
            "system.submitter",
            path,
            format!("`submitter` is `{named}`; the directory says `{submitter}`"),
        );
    }
    let named = text(json, "division").unwrap_or("");
    if !named.eq_ignore_ascii_case(division) {
        findings.checker(
            "system.division",
            path,
            format!("`division` is `{named}`; the directory says `{division}`"),
        );
    }
}

/// The loader's `check_scenarios` (closed and network divisions): Offline, and one of
/// Interactive or Server, and nothing else.
pub(super) fn scenarios(
    findings: &mut Findings,
    bench_dir: &Path,
    system: Option<&Value>,
    scenarios: &[String],
) {
    let Some(json) = system else {
        return;
    };
    let system_type = text(json, "system_type").unwrap_or("");
    if !DATACENTER_TYPES.contains(&system_type) {
        // The checker stops with an exception: gpt-oss-120b has no edge scenarios.
        findings.checker(
            "scenarios.required",
            bench_dir,
            format!("gpt-oss-120b has no scenarios for the system type `{system_type}`; the checker requires a datacenter type"),
        );
        return;
    }
    let lower: Vec<String> = scenarios.iter().map(|s| s.to_lowercase()).collect();
    let has = |s: &str| lower.iter().any(|l| l == s);
    let mut missing = Vec::new();
    if !has("offline") {
        missing.push("Offline");
    }
    if !has("interactive") && !has("server") {
        missing.push("(one of) Interactive or Server");
    }
    if !missing.is_empty() {
        findings.checker(
            "scenarios.required",
            bench_dir,
            format!(
                "the checker requires the scenarios {}",
                missing.join(" and ")
            ),
        );
    }
    let unknown: Vec<&String> = scenarios
        .iter()
        .zip(&lower)
        .filter(|(_, l)| !["offline", "interactive", "server"].contains(&l.as_str()))
        .map(|(s, _)| s)
        .collect();
    if !unknown.is_empty() {
        findings.checker(
            "scenarios.unknown",
            bench_dir,
            format!(
                "unknown scenario directories for gpt-oss-120b: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}
