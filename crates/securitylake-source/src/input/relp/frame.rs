//! RELP frames: `TXNR SP COMMAND SP DATALEN [SP DATA] LF`, read strictly from a byte stream.
//!
//! The transaction number is 1 to 9 digits (1..=999,999,999, no leading zero), the command 1
//! to 32 ASCII letters (and `_`), the data length 1 to 9 digits; a length of 0 is followed by
//! the line feed directly, any other by a space, exactly that many bytes and the line feed.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The longest command name.
const MAX_COMMAND: usize = 32;
/// The most digits of a transaction number or a data length.
const MAX_DIGITS: usize = 9;

/// Why a frame could not be read; the session that sent it is closed.
#[derive(Debug)]
pub(crate) enum FrameError {
    /// The transaction number is missing, too long, 0 or has a leading zero.
    Txnr,
    /// The command is missing, too long or not letters.
    Command,
    /// The data length is missing, too long or not digits.
    DataLength,
    /// A space was expected between the header's fields or before the data.
    Separator,
    /// The data is not followed by a line feed.
    Trailer,
    /// The stream ended inside the frame.
    Cut,
    /// Reading the stream failed.
    Io(std::io::Error),
}

impl FrameError {
    /// A short name of the malformation, for logs and the `500` reply.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            FrameError::Txnr => "malformed transaction number",
            FrameError::Command => "malformed command",
            FrameError::DataLength => "malformed data length",
            FrameError::Separator => "missing space in the frame header",
            FrameError::Trailer => "frame not ended by a line feed",
            FrameError::Cut => "stream ended inside a frame",
            FrameError::Io(_) => "read error",
        }
    }
}

impl From<std::io::Error> for FrameError {
    fn from(e: std::io::Error) -> Self {
        FrameError::Io(e)
    }
}

/// The commands the server knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Session start with the client's offers.
    Open,
    /// One syslog message.
    Syslog,
    /// Session end asked by the client.
    Close,
    /// Any other command (answered `500`).
    Other(String),
}

/// A frame's header; its data is in the caller's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The transaction number.
    pub(crate) txnr: u32,
    /// The command.
    pub(crate) command: Command,
    /// The data was longer than the limit: the buffer holds its first bytes, the rest was
    /// read and discarded.
    pub(crate) truncated: bool,
}

/// The next byte, or `None` at the end of the stream.
async fn next_byte<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<u8>> {
    let available = reader.fill_buf().await?;
    let Some(&byte) = available.first() else {
        return Ok(None);
    };
    reader.consume(1);
    Ok(Some(byte))
}

/// A decimal number of 1 to 9 digits ended by a space or a line feed (returned with it).
async fn number<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    first: Option<u8>,
    bad: fn() -> FrameError,
) -> Result<(u32, u8), FrameError> {
    let mut value: u32 = 0;
    let mut digits = 0;
    let mut byte = first;
    loop {
        let b = match byte {
            Some(b) => b,
            None => next_byte(reader).await?.ok_or(FrameError::Cut)?,
        };
        byte = None;
        match b {
            b'0'..=b'9' if digits < MAX_DIGITS => {
                value = value * 10 + u32::from(b - b'0');
                digits += 1;
            }
            b' ' | b'\n' if digits > 0 => return Ok((value, b)),
            _ => return Err(bad()),
        }
    }
}

/// Reads one frame, its data into `buf` (cleared first, at most `max` bytes kept).
/// `Ok(None)`: the stream ended cleanly between frames.
pub(crate) async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<Option<Frame>, FrameError> {
    buf.clear();
    let Some(first) = next_byte(reader).await? else {
        return Ok(None);
    };
    if first == b'0' {
        return Err(FrameError::Txnr);
    }
    let (txnr, end) = number(reader, Some(first), || FrameError::Txnr).await?;
    if end != b' ' {
        return Err(FrameError::Separator);
    }
    let mut command = String::new();
    loop {
        let b = next_byte(reader).await?.ok_or(FrameError::Cut)?;
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' if command.len() < MAX_COMMAND => {
                command.push(char::from(b));
            }
            b' ' if !command.is_empty() => break,
            _ => return Err(FrameError::Command),
        }
    }
    let first = next_byte(reader).await?.ok_or(FrameError::Cut)?;
    if first == b'0' {
        // A length of 0 is the only number that starts with 0; no data follows.
        return match next_byte(reader).await?.ok_or(FrameError::Cut)? {
            b'\n' => Ok(Some(frame(txnr, command, false))),
            b'0'..=b'9' => Err(FrameError::DataLength),
            _ => Err(FrameError::Trailer),
        };
    }
    let (len, end) = number(reader, Some(first), || FrameError::DataLength).await?;
    if end != b' ' {
        return Err(FrameError::Separator);
    }
    let len = usize::try_from(len).map_err(|_| FrameError::DataLength)?;
    let mut left = len;
    while left > 0 {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Err(FrameError::Cut);
        }
        let n = available.len().min(left);
        let keep = n.min(max.saturating_sub(buf.len()));
        buf.extend_from_slice(&available[..keep]);
        reader.consume(n);
        left -= n;
    }
    match next_byte(reader).await?.ok_or(FrameError::Cut)? {
        b'\n' => Ok(Some(frame(txnr, command, len > max))),
        _ => Err(FrameError::Trailer),
    }
}

fn frame(txnr: u32, command: String, truncated: bool) -> Frame {
    let command = match command.as_str() {
        "open" => Command::Open,
        "syslog" => Command::Syslog,
        "close" => Command::Close,
        _ => Command::Other(command),
    };
    Frame {
        txnr,
        command,
        truncated,
    }
}

/// A response frame: `TXNR rsp LEN DATA LF`.
pub(crate) fn response(txnr: u32, data: &str) -> Vec<u8> {
    format!("{txnr} rsp {} {data}\n", data.len()).into_bytes()
}

/// The server's notice that it closes the session: `0 serverclose 0 LF`.
pub(crate) const SERVER_CLOSE: &[u8] = b"0 serverclose 0\n";

/// What the client offered in `open`: `(name, value)` per line (`name` or `name=value`).
pub(crate) fn offers(data: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(data)
        .split('\n')
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => (line.to_owned(), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(bytes: &[u8], max: usize) -> (Vec<Result<(Frame, Vec<u8>), String>>, bool) {
        let mut reader = tokio::io::BufReader::with_capacity(3, bytes);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            match read_frame(&mut reader, &mut buf, max).await {
                Ok(Some(frame)) => out.push(Ok((frame, buf.clone()))),
                Ok(None) => return (out, true),
                Err(e) => {
                    out.push(Err(e.describe().to_owned()));
                    return (out, false);
                }
            }
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    #[test]
    fn frames_split_across_small_reads() {
        let offered = "relp_version=0\ncommands=syslog";
        let bytes = format!(
            "1 open {} {offered}\n2 syslog 5 hello\n3 close 0\n",
            offered.len()
        );
        let (frames, clean) = block_on(read(bytes.as_bytes(), 100));
        assert!(clean);
        let frames: Vec<_> = frames.into_iter().filter_map(Result::ok).collect();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].0.command, Command::Open);
        assert_eq!(
            offers(&frames[0].1),
            vec![
                ("relp_version".to_owned(), "0".to_owned()),
                ("commands".to_owned(), "syslog".to_owned())
            ]
        );
        assert_eq!((frames[1].0.txnr, &frames[1].1[..]), (2, &b"hello"[..]));
        assert_eq!(frames[2].0.command, Command::Close);
    }

    #[test]
    fn data_may_hold_line_feeds_and_long_data_is_cut() {
        let (frames, clean) = block_on(read(b"7 syslog 9 a\nb\nc\nd\ne\n8 syslog 2 ok\n", 4));
        assert!(clean);
        let Ok((first, data)) = &frames[0] else {
            panic!("{frames:?}")
        };
        assert!(first.truncated);
        assert_eq!(data, b"a\nb\n");
        assert!(matches!(&frames[1], Ok((f, d)) if !f.truncated && d == b"ok"));
    }

    #[test]
    fn malformed_frames_are_typed() {
        let cases: [(&[u8], &str); 9] = [
            (b"0 syslog 1 a\n", "transaction"),
            (b"01 syslog 1 a\n", "transaction"),
            (b"1234567890 syslog 1 a\n", "transaction"),
            (b"x syslog 1 a\n", "transaction"),
            (b"1 sys-log 1 a\n", "command"),
            (b"1 syslog 1a a\n", "length"),
            (b"1 syslog 1 ab\n", "line feed"),
            (b"1 syslog 5 ab", "ended"),
            (b"1 close 0 \n", "line feed"),
        ];
        for (bytes, wanted) in cases {
            let (frames, _) = block_on(read(bytes, 100));
            match frames.last() {
                Some(Err(e)) => assert!(e.contains(wanted), "{bytes:?}: {e}"),
                other => panic!("{bytes:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn responses_carry_their_length() {
        assert_eq!(response(5, "200 OK"), b"5 rsp 6 200 OK\n");
        assert_eq!(SERVER_CLOSE, b"0 serverclose 0\n");
    }
}
