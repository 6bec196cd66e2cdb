//! Formatting shared by the HTML report, its charts and the terminal gauge: durations in the
//! unit a reader expects, exact values as the summary prints them, and HTML escaping.

use super::model::Unit;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number with at most `decimals` decimals and no trailing zeros (`1.5`, `80`).
pub fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The unit (divisor, label) that suits durations up to `ns`.
pub fn duration_unit(ns: f64) -> (f64, &'static str) {
    match ns.abs() {
        v if v >= 1e9 => (1e9, "s"),
        v if v >= 1e6 => (1e6, "ms"),
        v if v >= 1e3 => (1e3, "µs"),
        _ => (1.0, "ns"),
    }
}

/// A duration in ns for people: three significant figures in the fitting unit (`1.84 s`).
pub fn duration(ns: f64) -> String {
    let (div, label) = duration_unit(ns);
    let v = ns / div;
    let decimals = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{} {label}", trim(v, decimals))
}

/// A value exactly as the summary prints it: integers plain, others with two decimals.
pub fn exact(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.2}")
    }
}

/// A value for people, in its unit (`1.84 s`, `1,234.5 tokens/s`).
pub fn human(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ns => duration(value),
        Unit::Ms => duration(value * 1e6),
        Unit::S => duration(value * 1e9),
        other => {
            let number = grouped(value);
            match other.label() {
                "" => number,
                label => format!("{number} {label}"),
            }
        }
    }
}

/// A number with thousands separators and at most two decimals (`12,345.67`).
pub fn grouped(value: f64) -> String {
    let text = trim(value, 2);
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = rest.split_once('.').map_or((rest, ""), |(i, f)| (i, f));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{out}")
    } else {
        format!("{sign}{out}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit_and_three_figures() {
        assert_eq!(duration(1_834_567_890.0), "1.83 s");
        assert_eq!(duration(80_000_000.0), "80 ms");
        assert_eq!(duration(412_300.0), "412 µs");
        assert_eq!(duration(12.0), "12 ns");
        assert_eq!(duration(0.0), "0 ns");
    }

    #[test]
    fn exact_values_match_the_summary_printing() {
        assert_eq!(exact(1_834_567_890.0), "1834567890");
        assert_eq!(exact(123.456), "123.46");
    }

    #[test]
    fn grouped_numbers_have_separators() {
        assert_eq!(grouped(1_234_567.891), "1,234,567.89");
        assert_eq!(grouped(-1000.0), "-1,000");
        assert_eq!(grouped(12.0), "12");
        assert_eq!(human(3.5, Unit::TokensPerS), "3.5 tokens/s");
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
