//! Text as the screen shows it: amounts of bytes in the CLI's units, and text cut to a width
//! with an ellipsis (never silently).

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * KIB;
const GIB: f64 = 1024.0 * MIB;

/// Bytes as the CLI prints them: binary units, `22.0 GiB` from one GiB up (the CLI's
/// `{bytes / GIB:.1f} GiB`), whole MiB and KiB below (`94 MiB`, as its model checks say).
pub fn size(count: u64) -> String {
    let value = count as f64;
    if value >= GIB {
        format!("{:.1} GiB", value / GIB)
    } else if value >= MIB {
        format!("{:.0} MiB", value / MIB)
    } else if value >= KIB {
        format!("{:.0} KiB", value / KIB)
    } else {
        format!("{count} B")
    }
}

/// Display columns `text` takes (wide characters count two).
pub fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// `text` in at most `columns` display columns: as is when it fits, else cut with `…` at the end.
pub fn fit(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        out.push(c);
        used += w;
    }
    if columns > 0 {
        out.push('…');
    }
    out
}

/// A styled line in at most `columns` columns: spans past the width are dropped, the one that
/// crosses it is cut with `…` (in its own style).
pub fn fit_line(line: Line<'_>, columns: usize) -> Line<'static> {
    let total: usize = line.spans.iter().map(|s| width(&s.content)).sum();
    let mut spans = Vec::new();
    let mut left = columns;
    for span in line.spans {
        let w = width(&span.content);
        if total <= columns || w < left {
            left = left.saturating_sub(w);
            spans.push(Span::styled(span.content.into_owned(), span.style));
            continue;
        }
        let cut = fit(&format!("{}…", span.content), left);
        spans.push(Span::styled(cut, span.style));
        break;
    }
    Line { spans, style: line.style, alignment: line.alignment }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_cli() {
        // The CLI's diagnostics: "22.0 GiB available of 23.5 GiB" for these byte counts.
        assert_eq!(size(23_622_320_128), "22.0 GiB");
        assert_eq!(size(25_232_932_864), "23.5 GiB");
        assert_eq!(size(1024 * 1024 * 1024), "1.0 GiB");
        assert_eq!(size(98_400_000), "94 MiB");
        assert_eq!(size(2048), "2 KiB");
        assert_eq!(size(512), "512 B");
    }

    #[test]
    fn cut_text_ends_with_an_ellipsis_and_fits() {
        assert_eq!(fit("config, .env.sample, requirements", 12), "config, .en…");
        assert_eq!(fit("short", 12), "short");
        assert_eq!(fit("日本語のテキスト", 7), "日本語…");
        assert_eq!(width(&fit("日本語のテキスト", 7)), 7);
        assert_eq!(fit("anything", 0), "");
    }

    #[test]
    fn a_styled_line_is_cut_in_the_span_that_crosses_the_width() {
        let line = Line::from(vec![Span::raw("Providers      "), Span::raw("a very long list of providers")]);
        let cut = fit_line(line, 24);
        let text: String = cut.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "Providers      a very l…");
        let fits = fit_line(Line::from(vec![Span::raw("ab"), Span::raw("cd")]), 4);
        assert_eq!(fits.spans.len(), 2);
    }
}
