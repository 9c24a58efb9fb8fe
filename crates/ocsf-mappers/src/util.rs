//! Small text helpers shared by the mappers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::normalized::EndpointInfo;

/// The value written where OCSF requires an attribute the log does not carry.
pub(crate) const UNKNOWN: &str = "unknown";

/// FNV-1a 64-bit hash of `parts` (separated by a 0x1f byte), as 16 hex digits:
/// a deterministic, producer-assigned identifier.
pub(crate) fn fnv_id(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0x1f;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut s = crate::strings::buffer(16);
    push_hex16(&mut s, h);
    s
}

/// Appends `h` as 16 lowercase hex digits, as `{h:016x}` writes it (without `core::fmt`).
fn push_hex16(s: &mut String, h: u64) {
    let mut digits = [0u8; 16];
    for (i, d) in digits.iter_mut().enumerate() {
        // Masked to 0..=15, so the cast is exact.
        let nibble = ((h >> ((15 - i) * 4)) & 0xf) as usize;
        *d = b"0123456789abcdef"[nibble];
    }
    // ASCII digits: always UTF-8.
    if let Ok(d) = std::str::from_utf8(&digits) {
        s.push_str(d);
    }
}

/// `n` in decimal, in a kept buffer.
pub(crate) fn decimal(n: i64) -> String {
    let mut s = crate::strings::buffer(20);
    push_decimal(&mut s, n);
    s
}

/// [`str::trim`], answered at once for the usual value that starts and ends with a printable
/// ASCII character: `str::trim` decodes and tests a character at each end (about 65
/// instructions per call, 2-3% of mapping an sshd line). Any other value is trimmed by
/// `str::trim`, so the result is always the same.
pub(crate) trait TrimWs {
    /// The value without leading and trailing whitespace (Unicode `White_Space`).
    fn trim_ws(&self) -> &str;
}

impl TrimWs for str {
    #[inline]
    fn trim_ws(&self) -> &str {
        match (self.as_bytes().first(), self.as_bytes().last()) {
            (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => {
                self
            }
            _ => self.trim(),
        }
    }
}

/// Appends `n` in decimal (what `write!(s, "{n}")` writes, without `core::fmt`).
pub(crate) fn push_decimal(s: &mut String, n: i64) {
    if n < 0 {
        s.push('-');
    }
    let mut digits = [0u8; 20];
    let d = ascii_digits(n.unsigned_abs(), &mut digits);
    // ASCII digits: always UTF-8, appended at once (a `push` per digit cost more).
    if let Ok(d) = std::str::from_utf8(d) {
        s.push_str(d);
    }
}

/// The decimal digits of `n` (ASCII), written at the end of `digits`.
pub(crate) fn ascii_digits(n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut rest = n;
    let mut start = digits.len();
    loop {
        start -= 1;
        // `rest % 10` is below 10, so the cast cannot truncate.
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    &digits[start..]
}

/// Whether `s` is an IPv4 or IPv6 address (IPv6 may be bracketed).
pub(crate) fn is_ip(s: &str) -> bool {
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    parse_ip(s).is_some()
}

/// `s` parsed as an IP address. Only IPv6 has a `:`: the parser is picked by that byte
/// rather than trying IPv4 and then IPv6 (`IpAddr`'s parser), which on the hostnames that
/// most lines carry (`LabSZ`) ran both. An IPv6 address has its first `:` within its first
/// five bytes (a group has at most four digits), so only those are looked at; dotted-decimal
/// IPv4 starts with a digit, so a hostname that does not (most of them, checked twice per
/// syslog line) costs no parse.
fn parse_ip(s: &str) -> Option<IpAddr> {
    let bytes = s.as_bytes();
    // Without an early exit: a fixed five-byte loop, not a branch per byte.
    let head = &bytes[..bytes.len().min(5)];
    if head.iter().fold(false, |colon, &b| colon | (b == b':')) {
        s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else if bytes.first().is_some_and(u8::is_ascii_digit) {
        s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    } else {
        None
    }
}

/// A canonical IP string, if `s` is one.
pub(crate) fn ip(s: &str) -> Option<String> {
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    match parse_ip(s)? {
        // The IPv4 parser takes only the dotted-decimal form without leading
        // zeros, which is already canonical: no formatting needed.
        IpAddr::V4(_) => Some(crate::strings::owned(s)),
        a @ IpAddr::V6(_) => Some(crate::strings::format(format_args!("{a}"))),
    }
}

/// Whether `s` could be a hostname (letters, digits, `-`, `.`, `_`).
pub(crate) fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
        && !s.starts_with(['-', '.'])
}

/// Whether `s` is a hostname OCSF's `hostname_t` accepts: dot-separated
/// labels of ASCII letters, digits and inner hyphens (no `_`, no empty label,
/// no trailing dot).
pub(crate) fn is_ocsf_hostname(s: &str) -> bool {
    // One pass over the bytes: labels of ASCII letters, digits and `-`,
    // separated by single dots, neither starting nor ending with `-`.
    let mut prev = b'.';
    for &c in s.as_bytes() {
        match c {
            b'.' if prev == b'.' || prev == b'-' => return false,
            b'-' if prev == b'.' => return false,
            b'.' | b'-' => {}
            c if c.is_ascii_alphanumeric() => {}
            _ => return false,
        }
        prev = c;
    }
    prev != b'.' && prev != b'-'
}

/// Whether `s` is a MAC address OCSF's `mac_t` accepts: six pairs of hex
/// digits separated by `:` or `-`.
pub(crate) fn is_ocsf_mac(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                matches!(c, b':' | b'-')
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// An endpoint from a host token: an IP address, else a hostname. `None` when
/// the token is neither (empty, `UNKNOWN`, punctuation).
pub(crate) fn endpoint(host: &str, port: Option<u16>) -> Option<EndpointInfo> {
    let host = host.trim_ws();
    if let Some(ip) = ip(host) {
        return Some(EndpointInfo {
            ip: Some(ip),
            port,
            ..EndpointInfo::default()
        });
    }
    if is_hostname(host) && !host.eq_ignore_ascii_case("unknown") {
        return Some(EndpointInfo {
            hostname: Some(crate::strings::owned(host)),
            port,
            ..EndpointInfo::default()
        });
    }
    None
}

/// A port number (0-65535).
pub(crate) fn port(s: &str) -> Option<u16> {
    let s = s.trim_ws();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A non-negative decimal number.
pub(crate) fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim_ws();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A possibly negative decimal number.
pub(crate) fn signed<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim_ws();
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The last path component of a POSIX or Windows path.
pub(crate) fn basename(path: &str) -> &str {
    let p = path.trim_end_matches(['/', '\\']);
    match p.rfind(['/', '\\']) {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// Removes one pair of surrounding quotes (`'x'`, `"x"`, `` `x' ``).
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim_ws();
    for (open, close) in [('\'', '\''), ('"', '"'), ('`', '\'')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|x| x.strip_suffix(close)) {
            return inner;
        }
    }
    s
}

/// The value of `key=` in a space-separated `k=v` list (values end at a space).
pub(crate) fn kv<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    // One pass over the words: a `key=` starts a word and its value is the rest of the
    // word. Only the word starts are compared; the next space is found with `memchr` (no
    // substring searcher built per call; PAM lines ask for up to nine keys).
    let b = text.as_bytes();
    let mut start = 0;
    loop {
        let end = memchr::memchr(b' ', &b[start..]).map_or(b.len(), |i| start + i);
        if let Some(v) = text[start..end]
            .strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
        {
            return Some(v);
        }
        if end == b.len() {
            return None;
        }
        start = end + 1;
    }
}

/// The byte offset of the last `needle` in `haystack` (`str::rfind` for a string needle).
///
/// Candidates are found from the right by the needle's second byte (`memrchr`), then compared:
/// the needles here are short words after a space (` from `, ` port `), and a searcher built
/// per call (`memmem::rfind`) cost about 110 instructions.
pub(crate) fn rfind(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    // The probe's offset in the needle: its second byte when it has one.
    let k = usize::from(n.len() > 1);
    let Some(&probe) = n.get(k) else {
        return Some(h.len()); // the empty needle, found at the end
    };
    // The candidate starts are 0..starts; the probe of start `i` is at `i + k`.
    let mut starts = (h.len() + 1).checked_sub(n.len())?;
    while starts > 0 {
        let i = memchr::memrchr(probe, &h[k..k + starts])?;
        if h[i..].starts_with(n) {
            return Some(i);
        }
        starts = i;
    }
    None
}

/// Parses a `host port N` tail (optionally followed by more text): returns the
/// host, the port and the rest after the port number.
pub(crate) fn host_port(text: &str) -> Option<(&str, Option<u16>, &str)> {
    let text = text.trim_start();
    let host_end = text.find(' ').unwrap_or(text.len());
    let host = text[..host_end].trim_end_matches([':', ',']);
    let rest = &text[host_end..];
    if let Some(after) = rest.strip_prefix(" port ") {
        let num_end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let p = port(&after[..num_end])?;
        return Some((host, Some(p), &after[num_end..]));
    }
    Some((host, None, rest))
}

/// Splits `user@domain` into name and domain (the name keeps the full text).
/// Whether a logged user name is a placeholder, not an account: `unknown`,
/// `LOGIN` (login's name before one is typed), `(null)`, masked `*****`,
/// `?`, `-`.
pub(crate) fn is_placeholder_user(name: &str) -> bool {
    let n = name.trim_ws();
    n.is_empty()
        || n.eq_ignore_ascii_case("unknown")
        || n.eq_ignore_ascii_case("(unknown)")
        || n == "LOGIN"
        || n == "(null)"
        || n == "?"
        || n == "-"
        || n.bytes().all(|b| b == b'*')
}

/// `user@domain` or `DOMAIN\\user`: the name and the domain, split.
pub(crate) fn split_user_domain(name: &str) -> (&str, Option<&str>) {
    if let Some((user, domain)) = name.rsplit_once('@')
        && !user.is_empty()
        && !domain.is_empty()
    {
        return (user, Some(domain));
    }
    if let Some((domain, user)) = name.split_once('\\')
        && !user.is_empty()
        && !domain.is_empty()
    {
        return (user, Some(domain));
    }
    (name, None)
}

/// Extracts `CVE-YYYY-NNNN...` ids from `text`, in order, without duplicates.
pub(crate) fn cve_ids(text: &str, out: &mut Vec<String>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(rel) = memchr::memmem::find(&b[i..], b"CVE-") {
        let start = i + rel;
        let mut j = start + 4;
        let year_end = j + 4;
        let ok_year = b
            .get(j..year_end)
            .is_some_and(|y| y.iter().all(u8::is_ascii_digit));
        if ok_year && b.get(year_end) == Some(&b'-') {
            j = year_end + 1;
            let num_start = j;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j - num_start >= 4 {
                let id = &text[start..j];
                if !out.iter().any(|c| c == id) {
                    out.push(id.to_owned());
                }
            }
        }
        i = start + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_words() {
        for n in [0, 7, 42, -3, 1_718_000_000_000, i64::MIN, i64::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        let fields = "logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.1  user=root";
        assert_eq!(kv(fields, "uid"), Some("0"));
        assert_eq!(kv(fields, "euid"), Some("0"));
        assert_eq!(kv(fields, "ruser"), Some(""));
        assert_eq!(kv(fields, "user"), Some("root"));
        assert_eq!(kv(fields, "rhost"), Some("10.0.0.1"));
        assert_eq!(kv(fields, "host"), None);
        assert_eq!(kv("usered=1", "user"), None);
        for h in [0, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef] {
            let mut s = String::new();
            push_hex16(&mut s, h);
            assert_eq!(s, format!("{h:016x}"));
        }
        assert!(is_ip("::ffff:192.0.2.1") && is_ip("[::1]") && !is_ip("LabSZ"));
    }

    #[test]
    fn ips_are_canonical() {
        assert_eq!(ip("192.0.2.10").as_deref(), Some("192.0.2.10"));
        assert_eq!(ip("[2001:DB8:0:0::7]").as_deref(), Some("2001:db8::7"));
        assert_eq!(ip("192.0.2.010"), None);
        assert_eq!(ip("192.0.2"), None);
        assert_eq!(ip(" 192.0.2.1"), None);
    }

    #[test]
    fn trim_ws_agrees_with_str_trim() {
        for s in [
            "",
            " ",
            "root",
            " root ",
            "\troot\n",
            "a b",
            "\u{a0}root",
            "root\u{3000}",
            "\u{1c}x\u{1f}",
            "\u{85}",
            "é",
            " é ",
            "x\u{2028}",
        ] {
            assert_eq!(s.trim_ws(), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn rfind_agrees_with_str_rfind() {
        for (hay, needle) in [
            ("a from b from c", " from "),
            ("no match here", " from "),
            ("", " from "),
            (" from ", " from "),
            ("h\u{e9}llo from w\u{f6}rld port 22", " port "),
            ("x port  port ", " port "),
            ("ab", "ab"),
            ("ab", "abc"),
            ("aaa", "aa"),
            ("xa", "a"),
            ("", "a"),
            ("abc", ""),
            ("", ""),
            ("  from", " from "),
            ("from  from", " from"),
        ] {
            assert_eq!(rfind(hay, needle), hay.rfind(needle), "{hay:?}");
        }
    }

    #[test]
    fn ocsf_hostnames_and_macs() {
        for ok in [
            "a",
            "web-1",
            "host.example.com",
            "1.2.3",
            "X9",
            "a-b.c-d",
            "a--b",
        ] {
            assert!(is_ocsf_hostname(ok), "{ok}");
        }
        for bad in [
            "", "a_b", "a.", ".a", "a..b", "-a", "a-", "a b", "\u{e9}", "192.", "a-.b", "a.-b",
            ".", "-", "a.b-",
        ] {
            assert!(!is_ocsf_hostname(bad), "{bad}");
        }
        assert!(is_ocsf_mac("52:54:00:12:34:56"));
        assert!(is_ocsf_mac("52-54-00-AB-cd-EF"));
        for bad in [
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:5g",
            "525400123456",
            "52:54:00:12:34:56:",
        ] {
            assert!(!is_ocsf_mac(bad), "{bad}");
        }
    }

    #[test]
    fn ip_parsing_agrees_with_std_on_every_kind_of_token() {
        // Every string of up to four symbols from an alphabet of what addresses and
        // hostnames are made of, and each of them spliced into real addresses: the parser
        // skips a token only when std's `IpAddr` would reject it too.
        let symbols = [
            "1", "0", "9", "255", ".", ":", "a", "f", "-", " ", "[", "]", "+", "٣",
        ];
        let mut tokens = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = tokens
                .iter()
                .flat_map(|t| symbols.iter().map(move |s| format!("{t}{s}")))
                .collect();
            tokens.extend(longer);
        }
        let mut checked = 0;
        for t in &tokens {
            for s in [
                t.clone(),
                format!("{t}192.0.2.1"),
                format!("192.0.2.1{t}"),
                format!("{t}::1"),
                format!("{t}db8::1"),
                format!("{t}1:2:3:4:5:6:7"),
                format!("::ffff:{t}"),
            ] {
                let std = s.parse::<IpAddr>().ok();
                assert_eq!(parse_ip(&s), std, "{s:?}");
                checked += 1;
            }
        }
        assert!(checked > 250_000, "{checked}");
    }

    #[test]
    fn helpers() {
        assert_eq!(fnv_id(&["a"]), fnv_id(&["a"]));
        assert_ne!(fnv_id(&["a", "b"]), fnv_id(&["ab"]));
        assert_eq!(fnv_id(&[]).len(), 16);
        assert!(is_ip("192.0.2.1") && is_ip("2001:db8::5") && is_ip("[::1]"));
        assert!(!is_ip("host.example") && !is_ip(""));
        assert_eq!(ip("[2001:db8::1]").as_deref(), Some("2001:db8::1"));
        assert!(is_hostname("ssh.example.org") && !is_hostname("a b") && !is_hostname(""));
        assert_eq!(port("22"), Some(22));
        assert_eq!(port("65536"), None);
        assert_eq!(port("-1"), None);
        assert_eq!(signed::<i32>("-13"), Some(-13));
        assert_eq!(number::<u32>("x"), None);
        assert_eq!(basename(r"C:\Windows\notepad.exe"), "notepad.exe");
        assert_eq!(basename("/usr/bin/id"), "id");
        assert_eq!(basename("/tmp/dir/"), "dir");
        assert_eq!(unquote("'bob'"), "bob");
        assert_eq!(unquote("`cron.daily'"), "cron.daily");
        assert_eq!(
            kv("logname= uid=0 euid=0 rhost=1.2.3.4  user=root", "uid"),
            Some("0")
        );
        assert_eq!(
            kv("logname= uid=0 euid=0 rhost=1.2.3.4  user=root", "user"),
            Some("root")
        );
        assert_eq!(kv("ruser= rhost=", "ruser"), Some(""));
        assert_eq!(kv("a=1", "b"), None);
        assert_eq!(
            host_port("1.2.3.4 port 22 ssh2"),
            Some(("1.2.3.4", Some(22), " ssh2"))
        );
        assert_eq!(host_port("1.2.3.4"), Some(("1.2.3.4", None, "")));
        assert_eq!(host_port("1.2.3.4 port x"), None);
        assert_eq!(
            split_user_domain("jdoe@example.local"),
            ("jdoe", Some("example.local"))
        );
        assert_eq!(split_user_domain("CORP\\jdoe"), ("jdoe", Some("CORP")));
        assert_eq!(split_user_domain("jdoe"), ("jdoe", None));
        assert!(is_placeholder_user("LOGIN") && is_placeholder_user("*****"));
        assert!(is_placeholder_user("unknown") && !is_placeholder_user("alice"));
        let mut c = Vec::new();
        cve_ids(
            "A (CVE-2022-30522) b CVE-2022-30522 CVE-21-1 CVE-2021-44228",
            &mut c,
        );
        assert_eq!(c, ["CVE-2022-30522", "CVE-2021-44228"]);
        assert!(endpoint("UNKNOWN", None).is_none());
        assert_eq!(
            endpoint("host-1.example", Some(1)).and_then(|e| e.hostname),
            Some("host-1.example".to_owned())
        );
    }
}
