//! Files racedesk reads and writes, whatever they hold: the checks every
//! file from outside gets before it is parsed, and the one way a file is
//! written.
//!
//! - A path must name a regular file: a FIFO or a device would hang or
//!   never end, a folder is a mistake.
//! - Text is decoded on the evidence of the whole file: a UTF-8 file with a
//!   few bad bytes stays UTF-8 (the bad lines are named); only a file with
//!   no valid multi-byte UTF-8 at all is read as Windows-1252.
//! - CSV quotes are checked before the CSV reader sees the text: an
//!   unterminated quote, or a quoted field that swallows what looks like
//!   the following rows, is a problem at the row where the quote opened
//!   (a lenient reader would quietly fold those rows into one cell).
//! - Every file racedesk writes goes to a temporary name beside the target
//!   and is renamed when complete and synced, and removed on failure: a
//!   full disk leaves the old file or nothing, never half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest file racedesk reads whole (a roster, a reads file): far
/// above any real one, low enough that a wrong file is refused at once.
pub const MAX_READ_BYTES: u64 = 1 << 30;

/// Reads a whole file from outside, refusing what is not a regular file.
pub(crate) fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("this is a folder, not a file".into());
    }
    if !meta.is_file() {
        return Err("this is not a regular file (a pipe or a device?)".into());
    }
    if meta.len() > MAX_READ_BYTES {
        return Err(format!(
            "the file is {} MB, larger than racedesk reads ({} MB)",
            meta.len() >> 20,
            MAX_READ_BYTES >> 20
        ));
    }
    // Read with a bound: a file that grows while read is not read forever.
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Text decoded from a file, with the lines that were not valid in its
/// encoding (1-based line numbers), which the caller reports by row.
pub(crate) struct Decoded {
    pub text: String,
    pub bad_lines: Vec<usize>,
}

/// Decodes text: a BOM decides; else UTF-8 when the file's multi-byte
/// sequences are mostly valid UTF-8 (bad bytes become U+FFFD and their
/// lines are listed); else the Windows-1252 that Excel on Windows writes.
pub(crate) fn decode_text(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        let text = text.into_owned();
        let bad_lines = if had_errors {
            lines_with(&text, '\u{FFFD}')
        } else {
            Vec::new()
        };
        return Decoded { text, bad_lines };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_owned(),
            bad_lines: Vec::new(),
        };
    }
    let (valid, invalid) = utf8_evidence(bytes);
    if valid >= invalid && valid > 0 {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let bad_lines = bad_utf8_lines(bytes);
        Decoded { text, bad_lines }
    } else {
        let text = encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned();
        Decoded {
            text,
            bad_lines: Vec::new(),
        }
    }
}

/// Counts well-formed multi-byte UTF-8 sequences and bytes that cannot
/// start or continue one: the evidence for the file's encoding.
fn utf8_evidence(bytes: &[u8]) -> (usize, usize) {
    let (mut valid, mut invalid) = (0, 0);
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                valid += text.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                // Safe: `from_utf8` said this prefix is valid.
                valid += std::str::from_utf8(good)
                    .map(|t| t.chars().filter(|c| !c.is_ascii()).count())
                    .unwrap_or(0);
                invalid += 1;
                let skip = e.error_len().unwrap_or(after.len()).max(1);
                rest = &after[skip.min(after.len())..];
            }
        }
    }
    (valid, invalid)
}

/// The 1-based numbers of the lines holding bytes that are not UTF-8.
fn bad_utf8_lines(bytes: &[u8]) -> Vec<usize> {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(i, _)| i + 1)
        .collect()
}

fn lines_with(text: &str, needle: char) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .map(|(i, _)| i + 1)
        .collect()
}

/// The line a byte offset of a text is on (1-based), as an editor counts
/// them, blank lines included (the CSV reader's own count skips those).
pub(crate) struct Lines<'a> {
    text: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn of(text: &'a str) -> Self {
        let text = text.as_bytes();
        let newlines = (0..text.len()).filter(|&i| text[i] == b'\n').collect();
        Self { text, newlines }
    }

    pub fn line_at(&self, byte: u64) -> usize {
        self.newlines
            .partition_point(|&newline| (newline as u64) < byte)
            + 1
    }

    /// The line a CSV record starts on: the reader's position is where it
    /// began to read, before the blank lines it skipped.
    pub fn of_record(&self, record: &csv::StringRecord) -> usize {
        let Some(start) = record.position().map(|p| p.byte() as usize) else {
            return 0;
        };
        let skipped = self.text[start.min(self.text.len())..]
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        self.line_at((start + skipped) as u64)
    }
}

/// A CSV quote that does not do what its writer meant.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct QuoteProblem {
    /// The line where the quote opened (1-based).
    pub line: usize,
    /// The field it opened (0-based).
    pub field: usize,
    pub message: crate::words::Said,
}

/// Checks the quotes of CSV text as RFC 4180 reads them: a quote opens a
/// field only at its start; `""` inside is a quote. A quote still open at
/// the end of the text, or one whose field runs over a line that looks
/// like a row of its own (as many separators as the header), is a
/// problem at the line where it opened.
pub(crate) fn check_quotes(text: &str, delimiter: u8) -> Vec<QuoteProblem> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let bytes = text.as_bytes();
    let header_separators = text
        .lines()
        .next()
        .map_or(0, |l| l.bytes().filter(|b| *b == delimiter).count());
    let row_like = header_separators.max(2);
    let mut problems = Vec::new();
    let (mut state, mut line, mut field) = (State::FieldStart, 1, 0);
    let mut opened = (1, 0);
    let mut reported = false;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match (state, byte) {
            (State::Quoted, b'"') => state = State::QuoteInQuoted,
            (State::Quoted, b'\n') => {
                line += 1;
                let next = &bytes[i + 1..];
                let next = &next[..next.iter().position(|b| *b == b'\n').unwrap_or(next.len())];
                let separators = next.iter().filter(|b| **b == delimiter).count();
                if !reported && separators >= row_like {
                    problems.push(QuoteProblem {
                        line: opened.0,
                        field: opened.1,
                        message: crate::said!("problem.quote_runs_on", line = line),
                    });
                    reported = true;
                }
            }
            (State::Quoted, _) => {}
            (State::FieldStart, b'"') => {
                state = State::Quoted;
                opened = (line, field);
                reported = false;
            }
            (State::QuoteInQuoted, b'"') => state = State::Quoted,
            (_, b'\n') => {
                line += 1;
                field = 0;
                state = State::FieldStart;
            }
            (_, b) if b == delimiter => {
                field += 1;
                state = State::FieldStart;
            }
            (State::FieldStart | State::QuoteInQuoted, b'\r') => {}
            _ => state = State::Unquoted,
        }
        i += 1;
    }
    if state == State::Quoted && !reported {
        problems.push(QuoteProblem {
            line: opened.0,
            field: opened.1,
            message: crate::said!("problem.quote_never_closes"),
        });
    }
    problems
}

/// A CSV writer (RFC 4180) that guards every cell it writes, headers
/// included: a cell a spreadsheet would run as a formula (= + - @, tab or
/// carriage return first) gets a leading apostrophe. Every CSV racedesk
/// exports goes through it, so no column can forget.
pub struct SafeCsv<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> SafeCsv<W> {
    pub fn new(out: W) -> Self {
        Self {
            writer: csv::Writer::from_writer(out),
        }
    }

    pub fn row<I, S>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| {
                let mut cell = cell.as_ref().to_owned();
                crate::roster::guard(&mut cell);
                cell
            })
            .collect();
        self.writer.write_record(&cells)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Writes a whole file: to a temporary name beside `path`, synced, then
/// renamed over it. On any failure the temporary file is removed and
/// `path` is as it was.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// As [`write_atomic`], with the content written by `write`.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let partial = partial_name(path);
    let done = (|| {
        let file = std::fs::File::create(&partial)?;
        {
            let mut out = std::io::BufWriter::new(&file);
            write(&mut out)?;
            out.flush()?;
        }
        file.sync_all()?;
        std::fs::rename(&partial, path)
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done
}

/// `results.csv` → `.results.csv.partial`, hidden beside the target.
pub fn partial_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unterminated_quote_is_named_where_it_opened() {
        let text = "bib,first,last,gender,race,notes\n1,Ann,Alpha,F,MAR,\n2,Bert,Beta,M,MAR,\"6' tall\n3,Carl,Gamma,M,MAR,\n4,Dora,Delta,F,MAR,\n";
        let problems = check_quotes(text, b',');
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!((problems[0].line, problems[0].field), (3, 5));
    }

    #[test]
    fn a_quoted_field_that_swallows_rows_is_named_even_when_it_closes() {
        let text = "bib,first,last,gender,race,notes\n2,Bert,Beta,M,MAR,\"tall\n3,Carl,Gamma,M,MAR,x\n4,Dora,Delta,F,MAR,\"\n";
        let problems = check_quotes(text, b',');
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].message.to_string().contains("line 3"));
    }

    #[test]
    fn quotes_that_are_fine_pass() {
        for text in [
            "bib,notes\n1,\"call mum\nat 5\"\n2,x\n",
            "bib,notes\n1,\"say \"\"hi\"\"\"\n",
            "bib,notes\n1,6' 2\" tall\n",
            "bib;notes\r\n1;\"a;b\"\r\n",
        ] {
            let delimiter = if text.contains(';') { b';' } else { b',' };
            assert_eq!(check_quotes(text, delimiter), Vec::new(), "{text}");
        }
    }

    #[test]
    fn a_few_bad_bytes_leave_a_utf8_file_utf8() {
        let mut bytes = "bib,name\n1,Müller\n2,박금동\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"3,Bad\xa0Byte\n");
        let decoded = decode_text(&bytes);
        assert!(decoded.text.contains("Müller") && decoded.text.contains("박금동"));
        assert_eq!(decoded.bad_lines, vec![4]);
        let latin = decode_text(b"bib,name\n1,M\xfcller\n2,G\xf3mez\n");
        assert!(latin.text.contains("Müller") && latin.text.contains("Gómez"));
        assert!(latin.bad_lines.is_empty());
    }

    #[test]
    fn an_atomic_write_that_fails_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic(&path, b"first").unwrap();
        let failed = write_atomic_with(&path, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
