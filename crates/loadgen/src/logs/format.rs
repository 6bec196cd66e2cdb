//! Number formatting the way LoadGen's C++ iostreams print numbers.
//!
//! The checker reads metrics from these strings, so the digits must match the official
//! build: doubles use the iostream default (`%g`, 6 significant digits) in the detail log and
//! in most summary lines, and `DoubleToString` (fixed, 2 decimals) in a few summary lines.

/// A double as C++ `operator<<` prints it by default: printf `%g` with 6 significant digits
/// (`0.99`, `2500`, `12499.2`, `1.51513e-06`, `1.23457e+06`, `inf`, `nan`).
pub fn format_g(x: f64) -> String {
    format_g_precision(x, 6)
}

/// printf `%.{precision}g`.
pub(crate) fn format_g_precision(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let p = precision.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Round to `p` significant digits first: the exponent after rounding decides the style.
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let p_i32 = i32::try_from(p).unwrap_or(i32::MAX);
    if exp < -4 || exp >= p_i32 {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = usize::try_from(p_i32 - 1 - exp).unwrap_or(0);
        strip_fraction_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

/// A double with exactly two decimals, like LoadGen's `DoubleToString` (`2499.85`).
pub(crate) fn format_fixed2(x: f64) -> String {
    format!("{x:.2}")
}

/// A percentile label: `p × 100` with `decimals` decimals (`50.00`, `99.90`, `99.0`).
pub(crate) fn percentile_label(p: f64, decimals: usize) -> String {
    format!("{:.decimals$}", p * 100.0)
}

fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_with_six_significant_digits_like_iostream() {
        assert_eq!(format_g(0.99), "0.99");
        assert_eq!(format_g(2500.0), "2500");
        assert_eq!(format_g(12499.24), "12499.2");
        assert_eq!(format_g(1.515_13e-6), "1.51513e-06");
        assert_eq!(format_g(1_234_567.8), "1.23457e+06");
        assert_eq!(format_g(2_601_270.4), "2.60127e+06");
        assert_eq!(format_g(867_091.2), "867091");
        assert_eq!(format_g(100_000.0), "100000");
        assert_eq!(format_g(999_999.7), "1e+06");
        assert_eq!(format_g(0.0001), "0.0001");
        assert_eq!(format_g(0.000_012_5), "1.25e-05");
        assert_eq!(format_g(0.0), "0");
        assert_eq!(format_g(-3.5), "-3.5");
        assert_eq!(format_g(1e100), "1e+100");
        assert_eq!(format_g(f64::INFINITY), "inf");
    }

    #[test]
    fn fixed_two_decimals_and_percentile_labels() {
        assert_eq!(format_fixed2(92189.916), "92189.92");
        assert_eq!(format_fixed2(100.0), "100.00");
        assert_eq!(percentile_label(0.999, 2), "99.90");
        assert_eq!(percentile_label(0.5, 2), "50.00");
        assert_eq!(percentile_label(0.9, 1), "90.0");
        assert_eq!(percentile_label(0.99, 1), "99.0");
    }
}
