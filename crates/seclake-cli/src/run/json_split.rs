//! A streaming splitter of JSON documents into their events: the elements of top-level
//! arrays and top-level objects, each found as a byte range without parsing it (strings,
//! their escapes and nesting are tracked, nothing else), so that a file of one huge array
//! is read element by element and each element's end is a resumable byte offset.
//!
//! The splitter owns a buffer the caller fills ([`Splitter::push`]); [`Splitter::next`]
//! returns the next whole element, or `None` when it needs more bytes. What a range holds
//! is checked by the JSON parser afterwards: an element whose brackets balance but whose
//! content is not JSON is an element (and a rejected event); bytes that cannot start or
//! separate elements are an error, as nothing after them can be framed.

use std::ops::Range;

/// Where the splitter is between elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    /// Outside any array: an array or an object comes next.
    Outside,
    /// Just after an array's `[`: an element or `]`.
    ArrayFirst,
    /// After an element in an array: `,` or `]`.
    ArrayNext,
    /// After a `,` in an array: an element.
    ArrayElement,
    /// Resumed after an element, inside an array or not: `,` or `]` say inside, `[` or `{`
    /// outside (the two sets are disjoint, so no state is stored with the offset).
    Resume,
}

/// The element being scanned.
#[derive(Debug, Clone, Copy)]
struct Element {
    start: usize,
    in_array: bool,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// A number, `true`, `false` or `null` (ends at a delimiter).
    scalar: bool,
}

/// The splitter of one byte stream (see the module documentation).
#[derive(Debug)]
pub struct Splitter {
    buf: Vec<u8>,
    /// The stream offset of `buf[0]`.
    base: u64,
    /// `buf[..consumed]` is done with (dropped on the next push).
    consumed: usize,
    /// The next byte to look at.
    pos: usize,
    top: Top,
    element: Option<Element>,
}

impl Splitter {
    /// A splitter at `offset`: the start of a document when 0, else just after an element
    /// (an offset [`Splitter::next`] returned).
    pub fn at(offset: u64) -> Self {
        Self {
            buf: Vec::new(),
            base: offset,
            consumed: 0,
            pos: 0,
            top: if offset == 0 {
                Top::Outside
            } else {
                Top::Resume
            },
            element: None,
        }
    }

    /// The stream offset of the next byte to push.
    pub fn end_offset(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Appends the stream's next bytes (dropping what was consumed).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.base += self.consumed as u64;
            self.pos -= self.consumed;
            if let Some(element) = &mut self.element {
                element.start -= self.consumed;
            }
            self.consumed = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The bytes of a range [`Splitter::next`] returned (valid until the next push).
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Whether bytes of an element are pushed but the element is not whole yet (a stream
    /// ending here was cut inside an element).
    pub fn inside_element(&self) -> bool {
        self.element.is_some()
    }

    /// The bytes of the element not whole yet (0 between elements).
    pub fn pending_len(&self) -> usize {
        self.element.map_or(0, |e| self.buf.len() - e.start)
    }

    fn error(&self, at: usize, byte: u8, expected: &str) -> String {
        format!(
            "not JSON at byte offset {}: {:?} where {expected} was expected",
            self.base + at as u64,
            char::from(byte)
        )
    }

    /// The next whole element: its range in the buffer and the stream offset just after
    /// it; `Ok(None)`: more bytes are needed; `Err`: bytes that are no element, with their
    /// offset.
    pub fn next(&mut self) -> Result<Option<(Range<usize>, u64)>, String> {
        while self.pos < self.buf.len() {
            let byte = self.buf[self.pos];
            if let Some(mut element) = self.element {
                let end = scan(&mut element, byte, self.pos);
                self.element = Some(element);
                if let Some(end) = end {
                    self.element = None;
                    self.top = if element.in_array {
                        Top::ArrayNext
                    } else {
                        Top::Outside
                    };
                    self.pos = end;
                    self.consumed = end;
                    return Ok(Some((element.start..end, self.base + end as u64)));
                }
                self.pos += 1;
                continue;
            }
            self.pos += 1;
            if byte.is_ascii_whitespace() {
                continue;
            }
            let at = self.pos - 1;
            // A UTF-8 byte order mark at the very start.
            if self.top == Top::Outside && self.base + at as u64 == 0 && byte == 0xEF {
                if self.buf.len() < 3 {
                    self.pos -= 1;
                    return Ok(None);
                }
                if self.buf[..3] == [0xEF, 0xBB, 0xBF] {
                    self.pos = 3;
                    continue;
                }
            }
            match (self.top, byte) {
                (Top::Outside | Top::Resume, b'[') => self.top = Top::ArrayFirst,
                (Top::Outside | Top::Resume, b'{') => self.start(at, false),
                (Top::Outside, _) => return Err(self.error(at, byte, "'[' or '{'")),
                (Top::ArrayFirst | Top::ArrayNext | Top::Resume, b']') => self.top = Top::Outside,
                (Top::ArrayNext | Top::Resume, b',') => self.top = Top::ArrayElement,
                (Top::ArrayNext, _) => return Err(self.error(at, byte, "',' or ']'")),
                (Top::Resume, _) => return Err(self.error(at, byte, "',', ']', '[' or '{'")),
                (Top::ArrayFirst | Top::ArrayElement, b',' | b']') => {
                    return Err(self.error(at, byte, "an element"));
                }
                (Top::ArrayFirst | Top::ArrayElement, _) => self.start(at, true),
            }
            // What precedes an element started is done with; the element is kept whole.
            self.consumed = self.element.map_or(self.pos, |e| e.start);
        }
        Ok(None)
    }

    fn start(&mut self, at: usize, in_array: bool) {
        let first = self.buf[at];
        self.element = Some(Element {
            start: at,
            in_array,
            depth: u32::from(matches!(first, b'{' | b'[')),
            in_string: first == b'"',
            escape: false,
            scalar: !matches!(first, b'{' | b'[' | b'"'),
        });
        // The first byte is accounted for: scanning goes on after it.
        self.pos = at + 1;
    }
}

/// Looks at one byte of an element at `pos`: `Some(end)` when the element ends (exclusive,
/// a scalar's end is the delimiter itself, left for the top level).
fn scan(element: &mut Element, byte: u8, pos: usize) -> Option<usize> {
    if element.in_string {
        if element.escape {
            element.escape = false;
        } else if byte == b'\\' {
            element.escape = true;
        } else if byte == b'"' {
            element.in_string = false;
            if element.depth == 0 {
                return Some(pos + 1);
            }
        }
        return None;
    }
    if element.scalar {
        return (byte.is_ascii_whitespace() || matches!(byte, b',' | b']' | b'}' | b'[' | b'{'))
            .then_some(pos);
    }
    match byte {
        b'"' => element.in_string = true,
        b'{' | b'[' => element.depth += 1,
        b'}' | b']' => {
            element.depth = element.depth.saturating_sub(1);
            if element.depth == 0 {
                return Some(pos + 1);
            }
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `text` pushed in pieces of `chunk` bytes: the elements as text with their end
    /// offsets, and the error if one stopped it; `inside` says whether it ended inside an
    /// element.
    fn split(text: &str, chunk: usize, from: u64) -> (Vec<(String, u64)>, Option<String>, bool) {
        let mut splitter = Splitter::at(from);
        let mut out = Vec::new();
        let bytes = &text.as_bytes()[usize::try_from(from).unwrap_or(0)..];
        for piece in bytes.chunks(chunk.max(1)) {
            splitter.push(piece);
            loop {
                match splitter.next() {
                    Ok(Some((range, end))) => {
                        let text = String::from_utf8_lossy(splitter.bytes(range)).into_owned();
                        out.push((text, end));
                    }
                    Ok(None) => break,
                    Err(e) => return (out, Some(e), splitter.inside_element()),
                }
            }
        }
        let inside = splitter.inside_element();
        (out, None, inside)
    }

    const DOC: &str = r#"[{"a": "x]}\"[{", "b": [1, {"c": "\\"}]}, {"d": {}} ,
 {"e":"\u005d"}]
{"f": 1}  [] [ {"g": [[]]} ]"#;

    #[test]
    fn arrays_objects_strings_with_brackets_and_escapes_in_any_chunking() {
        let wanted = [
            r#"{"a": "x]}\"[{", "b": [1, {"c": "\\"}]}"#,
            r#"{"d": {}}"#,
            r#"{"e":"\u005d"}"#,
            r#"{"f": 1}"#,
            r#"{"g": [[]]}"#,
        ];
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let (elements, error, inside) = split(DOC, chunk, 0);
            assert_eq!(error, None, "chunk {chunk}");
            assert!(!inside);
            let texts: Vec<&str> = elements.iter().map(|(t, _)| t.as_str()).collect();
            assert_eq!(texts, wanted, "chunk {chunk}");
            for (text, end) in &elements {
                // Each end offset is just after the element's last byte.
                let end = usize::try_from(*end).unwrap_or(usize::MAX);
                assert!(DOC[..end].ends_with(text.as_str()), "{text} at {end}");
                let parsed: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
                assert!(parsed.is_object(), "{text}");
            }
        }
    }

    #[test]
    fn resuming_after_any_element_gives_the_rest() {
        let (all, _, _) = split(DOC, 4096, 0);
        for (i, (_, end)) in all.iter().enumerate() {
            let (rest, error, _) = split(DOC, 5, *end);
            assert_eq!(error, None, "from {end}");
            assert_eq!(rest, all[i + 1..].to_vec(), "from {end}");
        }
    }

    #[test]
    fn a_truncated_last_element_waits_for_more() {
        let text = r#"[{"a": 1}, {"b": "x}"#;
        let (elements, error, inside) = split(text, 3, 0);
        assert_eq!(elements.len(), 1);
        assert_eq!(error, None);
        assert!(
            inside,
            "the cut element is pending (a followed file waits, a file fails)"
        );
        // The rest arrives: the element completes.
        let (elements, error, inside) = split(&format!("{text}\"}}]"), 3, 0);
        assert_eq!((elements.len(), error, inside), (2, None, false));
        // Cut between elements: nothing pending.
        let (elements, _, inside) = split(r#"[{"a": 1},"#, 3, 0);
        assert_eq!((elements.len(), inside), (1, false));
    }

    #[test]
    fn scalars_in_arrays_are_elements_and_bad_framing_is_an_error() {
        let (elements, error, _) = split("[1, \"s]\", true , {\"a\":1}]", 2, 0);
        assert_eq!(error, None);
        let texts: Vec<&str> = elements.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["1", "\"s]\"", "true", "{\"a\":1}"]);
        for bad in ["x", "[{\"a\":1} {\"b\":2}]", "[,]", "{\"a\":1} ,"] {
            let (_, error, _) = split(bad, 4, 0);
            let error = error.unwrap_or_default();
            assert!(error.contains("byte offset"), "{bad}: {error:?}");
        }
        // A byte order mark at the start is skipped.
        let (elements, error, _) = split("\u{feff}[{\"a\":1}]", 1, 0);
        assert_eq!((elements.len(), error), (1, None));
    }
}
