//! The AT command line as a module reads it: the `AT` prefix, the command name, its form
//! (set, read, test, execute) and its arguments (quoted strings and bare tokens), written from
//! ITU-T V.250 and the vendors' manuals. Nothing here knows a module family.

/// The form of a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `AT+X` (or a basic command like `ATE0`, `ATI`).
    Exec,
    /// `AT+X?`
    Read,
    /// `AT+X=?`
    Test,
    /// `AT+X=<args>`
    Set,
}

/// One argument of a set command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Nothing between two commas.
    Empty,
    /// A quoted string, quotes removed (no escapes: the manuals have none in quoted strings).
    Quoted(String),
    /// A bare token (number, unquoted text).
    Bare(String),
}

impl Arg {
    /// The text of the argument, quoted or not.
    pub fn text(&self) -> Option<&str> {
        match self {
            Arg::Empty => None,
            Arg::Quoted(s) | Arg::Bare(s) => Some(s),
        }
    }

    /// The argument as an integer (bare or quoted digits, e.g. Luat's `"1883"`).
    pub fn int(&self) -> Option<i64> {
        self.text()?.trim().parse().ok()
    }
}

/// A parsed command line (without the `AT` prefix and the S3 terminator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    /// Upper-case name: `+QMTCFG`, `E`, `I`, `` (bare `AT`).
    pub name: String,
    /// Set, read, test or execute.
    pub form: Form,
    /// Arguments of the set form; for a basic command (`ATE1`) its digits as one bare argument.
    pub args: Vec<Arg>,
}

impl Cmd {
    /// Argument `i`, `Arg::Empty` when absent.
    pub fn arg(&self, i: usize) -> &Arg {
        self.args.get(i).unwrap_or(&Arg::Empty)
    }

    /// Integer argument `i`.
    pub fn int(&self, i: usize) -> Option<i64> {
        self.arg(i).int()
    }

    /// Text of argument `i`.
    pub fn text(&self, i: usize) -> Option<&str> {
        self.arg(i).text()
    }

    /// `true` when the command is `name` in `form`.
    pub fn is(&self, name: &str, form: Form) -> bool {
        self.name == name && self.form == form
    }
}

/// Parses one command line; `None` when it does not start with `AT` or is malformed (an
/// unterminated quote).
pub fn parse(line: &[u8]) -> Option<Cmd> {
    let line = std::str::from_utf8(line)
        .ok()?
        .trim_matches(|c| c == ' ' || c == '\n');
    let rest = line
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case("AT"))
        .map(|_| &line[2..])?;
    if rest.is_empty() {
        return Some(Cmd {
            name: String::new(),
            form: Form::Exec,
            args: Vec::new(),
        });
    }
    if let Some(ext) = rest.strip_prefix(['+', '^', '$']) {
        let end = ext
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(ext.len());
        let name = format!("{}{}", &rest[..1], ext[..end].to_ascii_uppercase());
        let tail = &ext[end..];
        let (form, args) = if tail.is_empty() {
            (Form::Exec, Vec::new())
        } else if tail == "?" {
            (Form::Read, Vec::new())
        } else if tail == "=?" {
            (Form::Test, Vec::new())
        } else if let Some(a) = tail.strip_prefix('=') {
            (Form::Set, split_args(a)?)
        } else {
            return None;
        };
        return Some(Cmd { name, form, args });
    }
    // Basic commands: one letter (or `&` + letter) and optional digits.
    let mut chars = rest.char_indices();
    let (_, c) = chars.next()?;
    let name_len = if c == '&' { 2 } else { 1 };
    let name = rest.get(..name_len)?.to_ascii_uppercase();
    let tail = &rest[name_len..];
    if tail == "?" {
        return Some(Cmd {
            name,
            form: Form::Read,
            args: Vec::new(),
        });
    }
    if !tail.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let args = if tail.is_empty() {
        Vec::new()
    } else {
        vec![Arg::Bare(tail.to_string())]
    };
    Some(Cmd {
        name,
        form: Form::Exec,
        args,
    })
}

/// Splits `a,"b,c",,d` into arguments.
fn split_args(s: &str) -> Option<Vec<Arg>> {
    let mut args = Vec::new();
    let mut rest = s;
    loop {
        let trimmed = rest.trim_start_matches(' ');
        let (arg, after) = if let Some(q) = trimmed.strip_prefix('"') {
            let end = q.find('"')?;
            (
                Arg::Quoted(q[..end].to_string()),
                q[end + 1..].trim_start_matches(' '),
            )
        } else {
            let end = trimmed.find(',').unwrap_or(trimmed.len());
            let tok = trimmed[..end].trim_end_matches(' ');
            let arg = if tok.is_empty() {
                Arg::Empty
            } else {
                Arg::Bare(tok.to_string())
            };
            (arg, &trimmed[end..])
        };
        args.push(arg);
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.is_empty() => return Some(args),
            None => return None,
        }
    }
}

/// Luat's `\XX` escapes in `AT+MPUB` messages (`\22` is `"`, `\0D` CR, `\0A` LF, `\5C` `\`).
pub fn unescape_luat(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(out)
}

/// Hex text (Luat `AT+MQTTMODE=1`) to bytes.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The `+CME ERROR` texts of 3GPP TS 27.007 §9.2 (and the vendors' additions the models use),
/// for `AT+CMEE=2`.
pub fn cme_text(code: u16) -> &'static str {
    match code {
        3 => "operation not allowed",
        4 => "operation not supported",
        10 => "SIM not inserted",
        11 => "SIM PIN required",
        12 => "SIM PUK required",
        13 => "SIM failure",
        16 => "incorrect password",
        30 => "no network service",
        50 => "Incorrect parameters",
        100 => "unknown",
        767 => "Operation failed",
        _ => "unknown error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let c = parse(br#"AT+QMTCFG="aliauth",0,"pk","dn","ds""#).unwrap();
        assert_eq!(c.name, "+QMTCFG");
        assert_eq!(c.form, Form::Set);
        assert_eq!(c.text(0), Some("aliauth"));
        assert_eq!(c.int(1), Some(0));
        assert_eq!(c.args.len(), 5);
        assert_eq!(parse(b"AT+CEREG?").unwrap().form, Form::Read);
        assert_eq!(parse(b"AT+CSQ=?").unwrap().form, Form::Test);
        assert_eq!(parse(b"at+csq").unwrap().name, "+CSQ");
        let e = parse(b"ATE0").unwrap();
        assert_eq!((e.name.as_str(), e.int(0)), ("E", Some(0)));
        assert_eq!(parse(b"AT").unwrap().name, "");
        assert_eq!(parse(b"ATI").unwrap().name, "I");
        let q = parse(br#"AT+QMTCONN=0,"a|b=1,c=2|","d&p",,x"#).unwrap();
        assert_eq!(q.text(1), Some("a|b=1,c=2|"));
        assert_eq!(q.arg(3), &Arg::Empty);
        assert_eq!(q.text(4), Some("x"));
        assert!(parse(br#"AT+X="open"#).is_none());
        assert!(parse(b"XYZ").is_none());
    }

    #[test]
    fn luat_escapes() {
        assert_eq!(unescape_luat(r"a\22b\0D\0A\5C").unwrap(), b"a\"b\r\n\\");
        assert!(unescape_luat(r"\2").is_none());
        assert_eq!(unhex("313233").unwrap(), b"123");
    }
}
