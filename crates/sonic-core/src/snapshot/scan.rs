//! A small JSON scanner for reading an export file in one pass: it walks
//! the top of the file (the object of sections, each list of records) and
//! hands out one record's bytes at a time, which `serde_json` then parses.
//!
//! Every token it keeps is bounded: one record, one string, one run of
//! whitespace, one section kept as a string (old POS files). Anything
//! larger is refused where it starts, so a crafted file (a few KB of zstd
//! that expand to gigabytes) cannot take the till's memory. It does not
//! check all of JSON's grammar inside a record: `serde_json` does, on the
//! bytes handed out.

use std::io::Read;

/// One record, as its bytes in the file (whitespace included).
pub const MAX_RECORD_BYTES: usize = 8 << 20;
/// One string: a key, a field of a record, any other value.
pub const MAX_STRING_BYTES: usize = 4 << 20;
/// One run of whitespace between tokens.
pub const MAX_WHITESPACE_BYTES: usize = 4 << 20;
/// A section kept as a JSON-encoded string, as the old POS's localStorage
/// held it. localStorage holds 5–10 MB in all, so a real file never comes
/// near this; such a section is decoded in memory.
pub const MAX_ENCODED_SECTION_BYTES: usize = 64 << 20;
/// Arrays and objects inside one another.
const MAX_DEPTH: usize = 128;

/// What went wrong, and where (1-based line and column, in bytes).
#[derive(Debug)]
pub struct ScanError {
    pub kind: ScanErrorKind,
    pub line: u64,
    pub column: u64,
}

#[derive(Debug)]
pub enum ScanErrorKind {
    /// Reading the input failed (for a compressed file: it is damaged).
    Read(std::io::Error),
    /// The input ended inside the JSON.
    Eof,
    /// Not JSON here.
    Syntax(String),
    /// A token over its limit: what it is, and the limit in bytes.
    TooLarge { what: &'static str, limit: usize },
}

impl ScanError {
    /// Where it is, for a message: `line 3, column 17`.
    pub fn position(&self) -> String {
        format!("line {}, column {}", self.line, self.column)
    }
}

/// The limit in words: `8 MiB`.
pub fn mib(limit: usize) -> String {
    format!("{} MiB", limit >> 20)
}

pub type Scan<T> = Result<T, ScanError>;

/// Reads JSON tokens from `input` through a fixed buffer.
pub struct Scanner<R> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    line: u64,
    column: u64,
    /// Bytes consumed so far.
    consumed: u64,
}

impl<R: Read> Scanner<R> {
    pub fn new(input: R) -> Self {
        Scanner {
            input,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            line: 1,
            column: 1,
            consumed: 0,
        }
    }

    pub fn error(&self, kind: ScanErrorKind) -> ScanError {
        ScanError {
            kind,
            line: self.line,
            column: self.column,
        }
    }

    fn syntax(&self, message: impl Into<String>) -> ScanError {
        self.error(ScanErrorKind::Syntax(message.into()))
    }

    /// The bytes not yet consumed, reading more when none are left; empty
    /// at the end of the input.
    fn available(&mut self) -> Scan<&[u8]> {
        if self.pos == self.len {
            loop {
                match self.input.read(&mut self.buf) {
                    Ok(n) => {
                        self.pos = 0;
                        self.len = n;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(self.error(ScanErrorKind::Read(e))),
                }
            }
        }
        Ok(&self.buf[self.pos..self.len])
    }

    /// The next byte, without consuming it; `None` at the end.
    pub fn peek(&mut self) -> Scan<Option<u8>> {
        Ok(self.available()?.first().copied())
    }

    /// The next byte, which must be there.
    fn next_byte(&mut self) -> Scan<u8> {
        match self.peek()? {
            Some(b) => {
                self.advance(1);
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                }
                Ok(b)
            }
            None => Err(self.error(ScanErrorKind::Eof)),
        }
    }

    /// Consumes `n` bytes of the buffer that hold no line break.
    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.consumed += n as u64;
        self.column += n as u64;
    }

    /// Skips one run of whitespace, refusing one longer than the limit.
    pub fn skip_whitespace(&mut self) -> Scan<()> {
        let (line, column) = (self.line, self.column);
        let mut run = 0usize;
        loop {
            let chunk = self.available()?;
            if chunk.is_empty() {
                return Ok(());
            }
            let n = chunk.iter().position(|b| !is_whitespace(*b)).unwrap_or(chunk.len());
            let lines = chunk[..n].iter().filter(|b| **b == b'\n').count() as u64;
            let last_line_start = chunk[..n].iter().rposition(|b| *b == b'\n');
            self.pos += n;
            self.consumed += n as u64;
            match last_line_start {
                Some(i) => {
                    self.line += lines;
                    self.column = (n - i) as u64;
                }
                None => self.column += n as u64,
            }
            run += n;
            if run > MAX_WHITESPACE_BYTES {
                return Err(ScanError {
                    kind: ScanErrorKind::TooLarge {
                        what: "a run of whitespace",
                        limit: MAX_WHITESPACE_BYTES,
                    },
                    line,
                    column,
                });
            }
            if self.pos < self.len {
                return Ok(());
            }
        }
    }

    /// Skips whitespace and consumes `byte` if it comes next.
    pub fn eat(&mut self, byte: u8) -> Scan<bool> {
        self.skip_whitespace()?;
        if self.peek()? == Some(byte) {
            self.advance(1);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Skips whitespace and consumes `byte`, which must come next.
    pub fn expect(&mut self, byte: u8, wanted: &str) -> Scan<()> {
        if self.eat(byte)? {
            return Ok(());
        }
        match self.peek()? {
            None => Err(self.error(ScanErrorKind::Eof)),
            Some(b) => Err(self.syntax(format!("expected {wanted}, found {}", shown(b)))),
        }
    }

    /// Skips whitespace and tells what the next value is (`an array`, …),
    /// as `kind_of_value` names a parsed one.
    pub fn next_kind(&mut self) -> Scan<&'static str> {
        self.skip_whitespace()?;
        match self.peek()? {
            None => Err(self.error(ScanErrorKind::Eof)),
            Some(b) => Ok(kind_of_start(b)),
        }
    }

    /// Whether only whitespace is left.
    pub fn at_end(&mut self) -> Scan<bool> {
        self.skip_whitespace()?;
        Ok(self.peek()?.is_none())
    }

    /// Reads one JSON string and decodes it, refusing one longer than
    /// `limit` bytes as written.
    pub fn string(&mut self, limit: usize, what: &'static str) -> Scan<String> {
        self.skip_whitespace()?;
        match self.peek()? {
            Some(b'"') => {}
            None => return Err(self.error(ScanErrorKind::Eof)),
            Some(b) => return Err(self.syntax(format!("expected a string, found {}", shown(b)))),
        }
        let mut raw = Vec::new();
        self.copy_string(&mut raw, limit, what)?;
        serde_json::from_slice(&raw).map_err(|e| self.syntax(format!("a string that is not valid JSON ({e})")))
    }

    /// Copies one JSON value into `out` (whitespace outside strings left
    /// out), refusing a value longer than `limit` bytes in the file or a
    /// string or number in it longer than [`MAX_STRING_BYTES`].
    pub fn value(&mut self, out: &mut Vec<u8>, limit: usize, what: &'static str) -> Scan<()> {
        out.clear();
        self.walk_value(Some(out), limit, what)
    }

    /// Skips one JSON value, holding none of it.
    pub fn skip_value(&mut self) -> Scan<()> {
        self.walk_value(None, usize::MAX, "a value")
    }

    fn walk_value(&mut self, mut out: Option<&mut Vec<u8>>, limit: usize, what: &'static str) -> Scan<()> {
        self.skip_whitespace()?;
        let (start, line, column) = (self.consumed, self.line, self.column);
        let too_large = || ScanError {
            kind: ScanErrorKind::TooLarge { what, limit },
            line,
            column,
        };
        let mut open: Vec<u8> = Vec::new();
        let mut scratch = Vec::new();
        loop {
            self.skip_whitespace()?;
            let b = match self.peek()? {
                Some(b) => b,
                None => return Err(self.error(ScanErrorKind::Eof)),
            };
            match b {
                b'"' => match out.as_deref_mut() {
                    Some(o) => self.copy_string(o, MAX_STRING_BYTES, "a string")?,
                    None => {
                        scratch.clear();
                        self.copy_string(&mut scratch, MAX_STRING_BYTES, "a string")?;
                    }
                },
                b'{' | b'[' => {
                    if open.len() >= MAX_DEPTH {
                        return Err(self.syntax(format!("arrays and objects nested more than {MAX_DEPTH} deep")));
                    }
                    open.push(if b == b'{' { b'}' } else { b']' });
                    self.advance(1);
                    push(&mut out, b);
                }
                b'}' | b']' => {
                    if open.pop() != Some(b) {
                        return Err(self.syntax(format!("unexpected {}", shown(b))));
                    }
                    self.advance(1);
                    push(&mut out, b);
                }
                b',' | b':' if !open.is_empty() => {
                    self.advance(1);
                    push(&mut out, b);
                }
                b if is_scalar(b) => {
                    let (scalar_line, scalar_column) = (self.line, self.column);
                    let mut run = 0usize;
                    loop {
                        let chunk = self.available()?;
                        let n = chunk.iter().position(|c| !is_scalar(*c)).unwrap_or(chunk.len());
                        if n == 0 {
                            break;
                        }
                        if let Some(o) = out.as_deref_mut() {
                            o.extend_from_slice(&chunk[..n]);
                        }
                        self.advance(n);
                        run += n;
                        if run > MAX_STRING_BYTES {
                            return Err(ScanError {
                                kind: ScanErrorKind::TooLarge {
                                    what: "a number",
                                    limit: MAX_STRING_BYTES,
                                },
                                line: scalar_line,
                                column: scalar_column,
                            });
                        }
                    }
                }
                b => return Err(self.syntax(format!("unexpected {}", shown(b)))),
            }
            if (self.consumed - start) as usize > limit {
                return Err(too_large());
            }
            if open.is_empty() {
                return Ok(());
            }
        }
    }

    /// Copies one string token, quotes included, into `out`; refuses it,
    /// naming where it starts, once it is longer than `limit`.
    fn copy_string(&mut self, out: &mut Vec<u8>, limit: usize, what: &'static str) -> Scan<()> {
        let (line, column) = (self.line, self.column);
        let too_large = || ScanError {
            kind: ScanErrorKind::TooLarge { what, limit },
            line,
            column,
        };
        let begin = out.len();
        out.push(self.next_byte()?); // the opening quote
        loop {
            let chunk = self.available()?;
            if chunk.is_empty() {
                return Err(self.error(ScanErrorKind::Eof));
            }
            let n = chunk
                .iter()
                .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
                .unwrap_or(chunk.len());
            if out.len() - begin + n > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk[..n]);
            self.advance(n);
            match self.peek()? {
                None => return Err(self.error(ScanErrorKind::Eof)),
                Some(b'"') => {
                    self.advance(1);
                    out.push(b'"');
                    return Ok(());
                }
                Some(b'\\') => {
                    self.advance(1);
                    out.push(b'\\');
                    let escaped = self.next_byte()?;
                    out.push(escaped);
                }
                Some(b) if b < 0x20 => {
                    return Err(self.syntax("a control character inside a string (it must be escaped)"));
                }
                Some(_) => {}
            }
        }
    }
}

fn push(out: &mut Option<&mut Vec<u8>>, b: u8) {
    if let Some(o) = out.as_deref_mut() {
        o.push(b);
    }
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Bytes of numbers, `true`, `false` and `null`.
fn is_scalar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

fn kind_of_start(b: u8) -> &'static str {
    match b {
        b'n' => "null",
        b't' | b'f' => "true/false",
        b'"' => "a string",
        b'[' => "an array",
        b'{' => "an object",
        _ => "a number",
    }
}

fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
