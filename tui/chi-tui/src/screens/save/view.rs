//! Build/Save: the profiles with tags and priorities, the target file, and what was written.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::{rows, SaveState};
use crate::action::Tone;
use crate::protocol::ProviderView;
use crate::theme::Theme;

/// The screen in `area`; `spinner` is the busy marker's frame now.
pub fn draw(frame: &mut Frame, area: Rect, save: &SaveState, profiles: &[ProviderView], spinner: &str, theme: Theme) {
    let block = Block::bordered().title(Span::styled(" Review and save ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let listed = rows(profiles, save);
    let table_height = (listed.len() as u16 + 1).clamp(2, 8);
    let [target, table, rest] =
        Layout::vertical([Constraint::Length(2), Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);
    let scope = Line::from(vec![
        Span::styled("Write to  ", theme.dim()),
        Span::styled(format!("◀ {} ▶", save.scope.describe()), theme.key()),
        Span::styled("  (g)", theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(scope), target);
    if listed.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("No provider profiles yet: press p to configure one.", theme.dim())),
            table,
        );
    } else {
        let header = Row::new(["", "id", "type", "model", "tags", "prio", ""]).style(theme.dim());
        let body = listed.iter().map(|r| {
            Row::new(vec![
                if r.default { "★".to_string() } else { " ".to_string() },
                r.id.clone(),
                r.kind.clone(),
                r.model.clone(),
                r.tags.join(","),
                if r.builtin { "last".to_string() } else { r.priority.to_string() },
                status(r).to_string(),
            ])
        });
        let widths = [
            Constraint::Length(1),
            Constraint::Length(12),
            Constraint::Length(9),
            Constraint::Min(10),
            Constraint::Length(10),
            Constraint::Length(4),
            Constraint::Length(8),
        ];
        let widget = Table::new(body, widths).header(header).row_highlight_style(theme.selected());
        let mut state = TableState::default().with_selected(Some(save.selected.min(listed.len() - 1)));
        frame.render_stateful_widget(widget, table, &mut state);
    }
    let mut lines = vec![Line::raw("")];
    match &save.written {
        Some(written) => {
            lines.push(Line::styled(format!("Wrote {} — it now holds:", written.path), theme.tone(Tone::Good)));
            let text = serde_json::to_string_pretty(&written.content).unwrap_or_default();
            lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
        }
        None if save.busy => lines.push(Line::raw(format!("{} writing…", spinner))),
        None => {
            let staged = save.staged.len();
            lines.push(Line::raw(format!(
                "{staged} new profile(s). Enter merges them into the {} file (other settings are kept).",
                save.scope.name()
            )));
            lines.push(Line::styled("★ marks the default profile; d makes the selected one the default.", theme.dim()));
            if let Some(row) = listed.iter().find(|r| r.builtin) {
                let text = format!("{} is built in: the embedded model, tried last.", row.id);
                lines.push(Line::styled(text, theme.dim()));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

/// Where a row's profile lives: written now, in a file, or in none (the embedded fallback).
fn status(row: &super::Row) -> &'static str {
    if row.new {
        "new"
    } else if row.builtin {
        "built-in"
    } else {
        "saved"
    }
}
