//! A small checker for the subset of JSON Schema that `docs/results.schema.json` uses, so the
//! schema test needs no validator crate: `$ref` (local `#/$defs/..`), `anyOf`, `enum`, `type`
//! (one or several), `minimum`, `required`, `properties`, `additionalProperties: false` and
//! `items`. Anything else in the schema is reported, so the schema cannot silently outgrow it.

use serde_json::Value;

const KEYWORDS: [&str; 15] = [
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "anyOf",
    "enum",
    "type",
    "minimum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "",
];

/// Every way `value` breaks `schema`, as `path: what`; empty when it conforms.
pub(super) fn validate(root: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, root, value, "$", &mut errors);
    errors
}

/// Every way `value` breaks the definition `#/$defs/<name>` (the sweep's file), as `path: what`.
pub(super) fn validate_def(root: &Value, name: &str, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(root, &root["$defs"][name], value, "$", &mut errors);
    errors
}

/// Keywords the checker does not understand, and properties without a description.
pub(super) fn unsupported(schema: &Value, path: &str, out: &mut Vec<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    for (key, sub) in map {
        match key.as_str() {
            "properties" => {
                for (name, prop) in sub.as_object().into_iter().flatten() {
                    if prop.get("description").is_none() {
                        out.push(format!("{path}.{name}: no description"));
                    }
                    unsupported(prop, &format!("{path}.{name}"), out);
                }
            }
            "$defs" => {
                for (name, def) in sub.as_object().into_iter().flatten() {
                    unsupported(def, &format!("{path}.$defs.{name}"), out);
                }
            }
            "items" => unsupported(sub, &format!("{path}[]"), out),
            "anyOf" => {
                for alt in sub.as_array().into_iter().flatten() {
                    unsupported(alt, path, out);
                }
            }
            k if KEYWORDS.contains(&k) => {}
            other => out.push(format!("{path}: unsupported keyword `{other}`")),
        }
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        _ => false,
    }
}

fn check(root: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        match root.get("$defs").and_then(|d| d.get(name)) {
            Some(def) => check(root, def, value, path, errors),
            None => errors.push(format!("{path}: unresolved `$ref` `{reference}`")),
        }
    }
    if let Some(alternatives) = schema.get("anyOf").and_then(Value::as_array) {
        let any = alternatives.iter().any(|alt| {
            let mut scratch = Vec::new();
            check(root, alt, value, path, &mut scratch);
            scratch.is_empty()
        });
        if !any {
            errors.push(format!("{path}: matches no `anyOf` alternative"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        if !options.contains(value) {
            let options = Value::Array(options.clone());
            errors.push(format!("{path}: `{value}` is not one of `{options}`"));
        }
    }
    if let Some(ty) = schema.get("type") {
        let names: Vec<&str> = match ty {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !names.iter().any(|n| type_matches(n, value)) {
            errors.push(format!("{path}: `{value}` is not of type `{ty}`"));
        }
    }
    if let (Some(min), Some(v)) = (
        schema.get("minimum").and_then(Value::as_f64),
        value.as_f64(),
    ) {
        if v < min {
            errors.push(format!("{path}: `{v}` is below the minimum `{min}`"));
        }
    }
    if let Some(object) = value.as_object() {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(key) = key.as_str().filter(|k| !object.contains_key(*k)) {
                errors.push(format!("{path}: required field `{key}` is missing"));
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => check(root, sub, item, &format!("{path}.{key}"), errors),
                None if closed => {
                    errors.push(format!("{path}: field `{key}` is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(root, items, item, &format!("{path}[{i}]"), errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{
        sample, write_json, ConfRecord, DatasetRecord, Energy, GenerationRecord, MetricPoint,
        PhaseEstimate, RunConfig, ServerRecord, Submittable, Telemetry, TelemetrySeries,
        TelemetrySource, Warmup, POWER_METRIC,
    };
    use serde_json::json;

    const SCHEMA: &str = include_str!("../../../../docs/results.schema.json");

    fn schema() -> Value {
        serde_json::from_str(SCHEMA).expect("the schema is JSON")
    }

    #[test]
    fn results_json_conforms_to_the_checked_in_schema() {
        let mut run = sample::server_run(2_000, 4);
        run.verdict.valid = false;
        run.submittable = Some(Submittable {
            submittable: false,
            reasons: vec!["the result is INVALID".into()],
        });
        run.config = Some(RunConfig {
            command_line: vec!["ossperf".into(), "run".into()],
            dataset: DatasetRecord {
                path: None,
                rows: 97,
                sha256: "00".into(),
            },
            conf_files: vec![ConfRecord {
                role: "mlperf.conf".into(),
                origin: "built-in".into(),
                text: "*.*.min_duration = 600000\n".into(),
            }],
            generation: GenerationRecord {
                max_new_tokens: 10240,
                temperature: 1.0,
                top_k: -1,
                top_p: 1.0,
                stream: true,
            },
            backend: "sglang".into(),
            simulated: false,
            servers: vec![ServerRecord {
                url: "http://127.0.0.1:30000".into(),
                kind: None,
                version: None,
            }],
            estimate: vec![PhaseEstimate {
                phase: "performance".into(),
                queries: 6396,
                logged_samples_per_query: 1,
                issued_samples_per_query: 1,
                samples: 6396,
                duration_ns: 6_393_000_000_000,
            }],
            first_salt: Some(999_999_999_998),
        });
        run.warmup = Some(Warmup {
            requests: 4,
            completed: 3,
            failed: 1,
            output_tokens: 192,
            duration_ns: 1_500_000,
            first_failure: Some("http: HTTP 503".into()),
        });
        let power = TelemetrySeries {
            name: POWER_METRIC.into(),
            source: 0,
            unit: "W".into(),
            combined: "sum".into(),
            label_sets: 8,
            points: vec![
                MetricPoint {
                    t_ns: 0,
                    value: 5_600.0,
                },
                MetricPoint {
                    t_ns: 1_000_000_000,
                    value: 5_600.0,
                },
            ],
        };
        run.telemetry = Some(Telemetry {
            sources: vec![
                TelemetrySource {
                    url: "http://127.0.0.1:9400/metrics".into(),
                    scrapes: 2,
                    failed_scrapes: 0,
                    warning: None,
                },
                TelemetrySource {
                    url: "http://127.0.0.1:9100/metrics".into(),
                    scrapes: 0,
                    failed_scrapes: 2,
                    warning: Some("cannot connect: refused".into()),
                },
            ],
            energy: Energy::from_series(std::slice::from_ref(&power), 11_200),
            series: vec![power],
        });
        let mut out = Vec::new();
        write_json(&run, &mut out).unwrap();
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert!(value["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["error"].is_object()));
        assert!(value["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["constraint"].is_null()));
        assert_eq!(validate(&schema(), &value), Vec::<String>::new());
        assert_eq!(value["config"]["estimate"][0]["queries"], 6396);
        assert_eq!(
            crate::report::parse_results(std::str::from_utf8(&out).unwrap()).unwrap(),
            run
        );
    }

    #[test]
    fn the_schema_uses_only_what_the_checker_knows_and_documents_every_field() {
        let mut problems = Vec::new();
        unsupported(&schema(), "$", &mut problems);
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn the_checker_catches_undocumented_missing_and_mistyped_fields() {
        let root = schema();
        let mut run = serde_json::to_value(sample::server_run(2, 1)).unwrap();
        run["surprise"] = json!(1);
        run["requests"][0]["issued_ns"] = json!(-5);
        run["requests"][1]["output_tokens"] = json!(1.5);
        run["metrics"][0]["unit"] = json!("furlongs");
        run.as_object_mut().unwrap().remove("tool");
        let errors = validate(&root, &run);
        assert_eq!(
            errors,
            vec![
                "$: required field `tool` is missing",
                "$.metrics[0].unit: `\"furlongs\"` is not one of `[\"ns\",\"ms\",\"s\",\
                 \"tokens_per_s\",\"samples_per_s\",\"queries_per_s\",\"count\",\"number\"]`",
                "$.requests[0].issued_ns: `-5` is below the minimum `0`",
                "$.requests[1].output_tokens: `1.5` is not of type `\"integer\"`",
                "$: field `surprise` is not in the schema",
            ]
        );
    }
}
