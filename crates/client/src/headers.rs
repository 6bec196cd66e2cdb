//! The headers every request carries besides its own: `Authorization: Bearer` from
//! `--api-key` (or `OPENAI_API_KEY`) and each `--header NAME:VALUE`, checked once at start so
//! none can break a request head.

use crate::ClientError;

/// Parses one `--header NAME:VALUE` (spaces around the value are dropped).
pub fn parse_header(text: &str) -> Result<(String, String), ClientError> {
    let bad = |reason: &str| ClientError::BadHeader {
        header: text.to_owned(),
        reason: reason.to_owned(),
    };
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| bad("expected `NAME:VALUE`, as in `X-Api-Version:2`"))?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(bad(
            "the name must be letters, digits or `-`, as in `X-Api-Version`",
        ));
    }
    let value = value.trim();
    if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
        return Err(bad(
            "the value must not hold control characters or line breaks",
        ));
    }
    for own in [
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
    ] {
        if name.eq_ignore_ascii_case(own) {
            return Err(bad(&format!("`{name}` is set by ossperf itself")));
        }
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The extra header lines (`Name: value\r\n` each) for `api_key` and `headers`. A key with a
/// control character is refused, like a bad header.
pub(crate) fn extra_lines(
    api_key: Option<&str>,
    headers: &[(String, String)],
) -> Result<String, ClientError> {
    let mut lines = String::new();
    if let Some(key) = api_key {
        if key.chars().any(|c| c.is_ascii_control()) || key.trim().is_empty() {
            return Err(ClientError::BadHeader {
                header: "Authorization: Bearer …".to_owned(),
                reason: "the API key is empty or holds control characters".to_owned(),
            });
        }
        lines.push_str(&format!("Authorization: Bearer {}\r\n", key.trim()));
    }
    for (name, value) in headers {
        lines.push_str(&format!("{name}: {value}\r\n"));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_split_at_its_first_colon_and_trimmed() {
        assert_eq!(
            parse_header("X-Route: a:b ").unwrap(),
            ("X-Route".to_owned(), "a:b".to_owned())
        );
    }

    #[test]
    fn a_bad_header_is_refused_naming_it() {
        let msg = |h: &str| parse_header(h).unwrap_err().to_string();
        assert_eq!(
            msg("novalue"),
            "`--header novalue`: expected `NAME:VALUE`, as in `X-Api-Version:2`"
        );
        assert_eq!(
            msg("bad name:1"),
            "`--header bad name:1`: the name must be letters, digits or `-`, as in `X-Api-Version`"
        );
        assert_eq!(
            msg("Content-Length:3"),
            "`--header Content-Length:3`: `Content-Length` is set by ossperf itself"
        );
    }

    #[test]
    fn the_key_becomes_a_bearer_line_before_the_headers() {
        let headers = vec![("X-A".to_owned(), "1".to_owned())];
        assert_eq!(
            extra_lines(Some("sk-1"), &headers).unwrap(),
            "Authorization: Bearer sk-1\r\nX-A: 1\r\n"
        );
    }
}
