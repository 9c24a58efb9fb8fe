//! RFC 6587 framing of syslog over a byte stream (TCP, and TLS as RFC 5425 uses it): each frame
//! is either *octet counted* (`MSG-LEN SP MSG`, the message may hold line feeds) or
//! *non-transparent* (the message ends at a line feed; a `\r` before it is dropped). The
//! method is detected per frame from its first byte, as common receivers do: a digit starts an
//! octet count.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The longest `MSG-LEN` accepted (10 digits: more than any message size a receiver takes).
const MAX_LEN_DIGITS: usize = 10;

/// What reading one frame gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A message: its bytes are in the buffer; `truncated` when it was longer than the
    /// message limit (the rest was read and discarded).
    Message { truncated: bool },
    /// The stream ended cleanly between frames.
    End,
    /// The stream cannot be framed any more (it ended inside an octet count or an
    /// octet-counted message): the connection must be closed.
    Broken(&'static str),
}

/// Reads one frame into `buf` (cleared first), keeping at most `max` bytes of the message.
///
/// A non-transparent frame cut by the end of the stream (no final line feed) is returned as a
/// message: the sender closed the connection after it. Digits that are not followed by a
/// space (`2024-06-10 ...`) start a line, not an octet count; digits and a space are always
/// an octet count (RFC 6587 leaves no other reading).
pub(crate) async fn read_frame<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Frame> {
    buf.clear();
    let first = loop {
        let available = reader.fill_buf().await?;
        match available.first() {
            None => return Ok(Frame::End),
            // Stray line feeds between frames (an octet-counted sender that also ends its
            // frames with one) are not messages.
            Some(b'\n') => reader.consume(1),
            Some(&b) => break b,
        }
    };
    if first.is_ascii_digit() && first != b'0' {
        read_counted(reader, buf, max).await
    } else {
        read_line(reader, buf, max).await
    }
}

async fn read_counted<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Frame> {
    let mut len: u64 = 0;
    let mut digits = 0;
    loop {
        let mut byte = [0u8; 1];
        if reader.read(&mut byte).await? == 0 {
            return Ok(Frame::Broken("the stream ended inside an octet count"));
        }
        match byte[0] {
            b @ b'0'..=b'9' if digits < MAX_LEN_DIGITS => {
                buf.push(b);
                len = len * 10 + u64::from(b - b'0');
                digits += 1;
            }
            b' ' => break,
            // Not an octet count after all (a line that starts with digits, such as a
            // timestamp without a PRI): the frame is a line, and what was read starts it.
            b'\n' => return Ok(line_end(buf)),
            b => {
                buf.push(b);
                return read_line(reader, buf, max).await;
            }
        }
    }
    buf.clear();
    let keep = usize::try_from(len).map_or(max, |l| l.min(max));
    buf.resize(keep, 0);
    if let Err(e) = reader.read_exact(buf).await {
        return if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Ok(Frame::Broken(
                "the stream ended inside an octet-counted message",
            ))
        } else {
            Err(e)
        };
    }
    let mut rest = len - keep as u64;
    let truncated = rest > 0;
    while rest > 0 {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Frame::Broken(
                "the stream ended inside an octet-counted message",
            ));
        }
        let n = available
            .len()
            .min(usize::try_from(rest).unwrap_or(usize::MAX));
        reader.consume(n);
        rest -= n as u64;
    }
    Ok(Frame::Message { truncated })
}

async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Frame> {
    let mut truncated = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            // The end of the stream ends the last message.
            break;
        }
        let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i)),
            None => (available, None),
        };
        let room = max.saturating_sub(buf.len());
        if chunk.len() > room {
            truncated = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len() + usize::from(found.is_some());
        reader.consume(used);
        if found.is_some() {
            break;
        }
    }
    let end = line_end(buf);
    Ok(match end {
        Frame::Message { .. } => Frame::Message { truncated },
        other => other,
    })
}

/// Ends a non-transparent frame: drops a `\r` before the line feed.
fn line_end(buf: &mut Vec<u8>) -> Frame {
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Frame::Message { truncated: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8], max: usize) -> Vec<(String, bool)> {
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader, &mut buf, max).await.expect("read") {
                Frame::Message { truncated } => {
                    out.push((String::from_utf8_lossy(&buf).into_owned(), truncated));
                }
                Frame::End => return out,
                Frame::Broken(why) => {
                    out.push((format!("broken: {why}"), false));
                    return out;
                }
            }
        }
    }

    #[tokio::test]
    async fn both_framings_per_frame() {
        let got = frames(b"11 hello\nworld<13>a line\r\n5 abcde\nlast", 100).await;
        let want = [
            ("hello\nworld", false),
            ("<13>a line", false),
            ("abcde", false),
            ("last", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(s, t)| ((*s).to_owned(), *t)).collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn long_messages_are_truncated_and_the_stream_stays_framed() {
        let got = frames(b"12 abcdefghijkl3 xyz<1>0123456789\nok\n", 5).await;
        let want = [
            ("abcde", true),
            ("xyz", false),
            ("<1>01", true),
            ("ok", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(s, t)| ((*s).to_owned(), *t)).collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn digits_without_a_space_start_a_line_and_early_ends_break_the_stream() {
        let got = frames(b"3 abc2024-06-10 hello\n7\n", 100).await;
        let want = [("abc", false), ("2024-06-10 hello", false), ("7", false)];
        let want: Vec<(String, bool)> = want.iter().map(|(s, t)| ((*s).to_owned(), *t)).collect();
        assert_eq!(got, want);
        let got = frames(b"10 short", 100).await;
        assert!(
            got[0].0.starts_with("broken: the stream ended inside"),
            "{got:?}"
        );
        let got = frames(b"12", 100).await;
        assert!(
            got[0].0.starts_with("broken: the stream ended inside"),
            "{got:?}"
        );
        let got = frames(b"12345678901 x\n", 100).await;
        assert_eq!(got, vec![("12345678901 x".to_owned(), false)]);
    }
}
