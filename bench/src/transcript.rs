//! The AT transcript format (`>>`, `>>|`, `<<`, `<<|` lines), read into the byte streams of
//! each side, so that tests can drive a model with a transcript's host lines and compare its
//! answers with the transcript's modem bytes.

/// One step of a transcript: what the host writes, then what the modem answers before the
/// host writes again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Host bytes (`>> X` is `X\r`).
    pub host: Vec<u8>,
    /// The modem's bytes that follow.
    pub modem: Vec<u8>,
}

/// Decodes a JSON string whose code points are bytes (ISO-8859-1).
fn json_bytes(s: &str) -> Option<Vec<u8>> {
    let v: String = serde_json::from_str(s.trim()).ok()?;
    v.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

/// Parses a transcript into steps; `Err(line number)` on a malformed line. Modem bytes before
/// the first host line form a step with empty `host`.
pub fn parse(text: &str) -> Result<Vec<Step>, usize> {
    let mut steps: Vec<Step> = Vec::new();
    let mut host_turn = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (host, bytes) = if let Some(j) = line.strip_prefix(">>|") {
            (true, json_bytes(j).ok_or(n + 1)?)
        } else if let Some(x) = line.strip_prefix(">>") {
            (
                true,
                format!("{}\r", x.strip_prefix(' ').unwrap_or(x)).into_bytes(),
            )
        } else if let Some(j) = line.strip_prefix("<<|") {
            (false, json_bytes(j).ok_or(n + 1)?)
        } else if let Some(x) = line.strip_prefix("<<") {
            (
                false,
                format!("{}\r\n", x.strip_prefix(' ').unwrap_or(x)).into_bytes(),
            )
        } else {
            return Err(n + 1);
        };
        if host {
            if !host_turn || steps.is_empty() {
                steps.push(Step::default());
            }
            host_turn = true;
            if let Some(s) = steps.last_mut() {
                s.host.extend_from_slice(&bytes);
            }
        } else {
            if steps.is_empty() {
                steps.push(Step::default());
            }
            host_turn = false;
            if let Some(s) = steps.last_mut() {
                s.modem.extend_from_slice(&bytes);
            }
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        let t = "# c\n>> AT+X=1\n<<| \"\\r\\n> \"\n>>| \"ab\"\n<<\n<< OK\n>> AT\n<< OK\n";
        let s = parse(t).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].host, b"AT+X=1\r");
        assert_eq!(s[0].modem, b"\r\n> ");
        assert_eq!(s[1].host, b"ab");
        assert_eq!(s[1].modem, b"\r\nOK\r\n");
        assert_eq!(s[2].modem, b"OK\r\n");
        assert_eq!(parse("?? x"), Err(1));
    }
}
