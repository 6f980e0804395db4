//! CSV fields as spreadsheets read them (RFC 4180 quoting), guarded against
//! formula injection: ticket titles, notes and names come from clients, and
//! a cell starting with `=`, `+`, `-` or `@` would run as a formula.

/// The characters that make a spreadsheet read a cell as a formula (OWASP's
/// list: tab and carriage return too).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One text field: a field that would start a formula gets a leading `'`
/// (shown by no spreadsheet, kept by CSV readers: strip it to get the text
/// back); a field holding a comma, a quote, a line feed or a carriage
/// return is quoted, quotes doubled. Numbers Vigie writes itself are not
/// passed through here, so a negative number stays a number.
pub(crate) fn field(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(FORMULA_START) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's csv module reads `text`; its rows come back as JSON.
    fn python_reads(text: &str) -> Vec<Vec<String>> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new("python3")
            .args([
                "-c",
                "import csv, io, json, sys\n\
                 data = sys.stdin.buffer.read().decode('utf-8')\n\
                 print(json.dumps(list(csv.reader(io.StringIO(data, newline='')))))",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (scripts/test installs it)");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(text.as_bytes())
            .expect("python3 reads its input");
        let out = child.wait_with_output().expect("python3 finishes");
        assert!(out.status.success(), "python3 failed");
        serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
    }

    #[test]
    fn fields_round_trip_through_pythons_csv_reader_with_formulas_guarded() {
        let fields = [
            "plain",
            "a, b",
            "say \"hi\"",
            "two\nlines",
            "carriage\rreturn",
            "crlf\r\nend",
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+33 6 12 34 56 78",
            "-2+3",
            "@SUM(A1:A2)",
            "\tindent",
            "\rfirst",
            "",
            "ends with =",
        ];
        let mut text = String::new();
        for pair in fields.chunks(2) {
            let row: Vec<String> = pair.iter().map(|f| field(f)).collect();
            text.push_str(&row.join(","));
            text.push_str("\r\n");
        }
        let rows = python_reads(&text);
        let read: Vec<String> = rows.into_iter().flatten().collect();
        assert_eq!(read.len(), fields.len(), "{read:?}");
        for (wrote, got) in fields.iter().zip(&read) {
            let want = if wrote.starts_with(FORMULA_START) {
                format!("'{wrote}")
            } else {
                wrote.to_string()
            };
            assert_eq!(got, &want);
            // The guard is the only change, and the documented way back.
            let back = if wrote.starts_with(FORMULA_START) {
                got.strip_prefix('\'').unwrap_or(got)
            } else {
                got
            };
            assert_eq!(back, *wrote);
        }
    }

    #[test]
    fn a_carriage_return_alone_is_quoted() {
        assert_eq!(field("a\rb"), "\"a\rb\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("=a,b"), "\"'=a,b\"");
        assert_eq!(field("x-1"), "x-1");
    }
}
