//! Diagnostics: the report grouped by area, each problem with its fix; the export prompt.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{marker, summary, DiagState};
use crate::action::Tone;
use crate::popup::popup;
use crate::theme::Theme;

/// The screen in `area`; `spinner` is the busy marker's frame now.
pub fn draw(frame: &mut Frame, area: Rect, diag: &DiagState, spinner: &str, theme: Theme) {
    let block = Block::bordered().title(Span::styled(" Diagnostics ", theme.title()));
    let mut lines: Vec<Line> = Vec::new();
    if diag.running {
        lines.push(Line::raw(format!(
            "{} checking this machine, the models, the configuration and the providers…",
            spinner
        )));
    }
    if let Some(error) = &diag.error {
        lines.push(Line::styled(format!("The report failed: {error}"), theme.tone(Tone::Bad)));
    }
    if let Some(report) = &diag.report {
        let count = |s: &str| report.checks.iter().filter(|c| c.status == s).count();
        lines.push(Line::from(vec![
            Span::styled(
                match (count("fail"), count("warn")) {
                    (0, 0) => "All checks pass",
                    (0, _) => "Working, with warnings",
                    _ => "Some checks fail",
                },
                theme.tone(if count("fail") == 0 { Tone::Good } else { Tone::Bad }),
            ),
            Span::styled(
                format!(
                    "  {} ok · {} warn · {} fail · {} skip · {:.1} s",
                    count("ok"),
                    count("warn"),
                    count("fail"),
                    count("skip"),
                    report.elapsed_ms / 1000.0
                ),
                theme.dim(),
            ),
        ]));
        let mut area_name = String::new();
        for check in &report.checks {
            if check.area != area_name {
                area_name = check.area.clone();
                lines.push(Line::styled(area_name.replace('_', "."), theme.title()));
            }
            let tone = match check.status.as_str() {
                "ok" => Tone::Good,
                "warn" => Tone::Busy,
                "fail" => Tone::Bad,
                _ => Tone::Info,
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", marker(&check.status)), theme.tone(tone)),
                Span::raw(format!("{:<28}", check.title)),
                Span::styled(summary(check), theme.dim()),
            ]));
            if let Some(fix) = check.fix.as_ref().filter(|_| check.status != "ok") {
                lines.push(Line::styled(format!("     → {fix}"), theme.dim()));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((diag.scroll, 0)).block(block), area);
    if let Some(input) = &diag.export {
        let inner = popup(frame, area, 60, 5, "Export the report", theme);
        let lines = vec![
            Line::raw("File (relative to the folder chi-tui runs in):"),
            Line::styled(input.value.clone(), theme.selected()),
            Line::styled("Enter write · Esc cancel", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines), inner);
        let x = inner.x + input.cursor as u16;
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + 1));
    }
}
