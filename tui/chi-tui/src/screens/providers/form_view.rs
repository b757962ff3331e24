//! The generated provider form (typed fields, masked secrets, buttons, test outcome) and the
//! model browser overlay.

use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::ProvidersState;
use crate::action::Tone;
use crate::form::{FieldKind, Focus, Form};
use crate::popup::popup;
use crate::text::{fit, fit_line};
use crate::theme::Theme;

const LABEL: usize = 17;

/// The form in `area`; `active` is false while the model browser covers it.
pub fn draw(frame: &mut Frame, area: Rect, form: &Form, active: bool, theme: Theme) {
    let block = Block::bordered().title(Span::styled(format!(" {} ", form.provider_type), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Summary, fields, a help line, a blank, buttons, then the test outcome (two rows, wrapped).
    let room = (inner.height as usize).saturating_sub(6).max(1);
    let focused = match form.focus {
        Focus::Field(i) => i,
        Focus::Button(_) => form.fields.len().saturating_sub(1),
    };
    let first = (focused + 1).saturating_sub(room).min(form.fields.len().saturating_sub(room));
    let mut lines = vec![Line::styled(fit(&form.summary, inner.width as usize), theme.dim())];
    let mut cursor = None;
    for (i, field) in form.fields.iter().enumerate().skip(first).take(room) {
        let here = form.focus == Focus::Field(i) && active;
        let mark = if field.required { "*" } else { " " };
        let label_style = if field.required && field.value.trim().is_empty() { theme.required() } else { theme.dim() };
        let mut spans = vec![Span::styled(format!("{mark}{:<w$}", field.name, w = LABEL - 1), label_style)];
        let value = match &field.kind {
            FieldKind::Choice(_) | FieldKind::Bool => {
                format!("◀ {} ▶", if field.value.is_empty() { "—" } else { &field.value })
            }
            _ => field.shown(),
        };
        if value.is_empty() && !here {
            spans.push(Span::styled(field.placeholder.clone(), theme.dim()));
        } else {
            spans.push(Span::styled(value, if here { theme.selected() } else { Default::default() }));
        }
        if here && field.kind.takes_text() {
            let x = inner.x + (LABEL + field.cursor) as u16;
            cursor = Some(Position::new(x.min(inner.right().saturating_sub(1)), inner.y + lines.len() as u16));
            if field.value.is_empty() {
                spans.push(Span::styled(" ", theme.selected()));
            }
        }
        // A field being edited shows its text as typed (the cursor is there); the others end in
        // … when cut.
        let line = Line::from(spans);
        lines.push(if here { line } else { fit_line(line, inner.width as usize) });
    }
    let help = form.focused_field().map_or(String::new(), |f| f.help.clone());
    lines.push(Line::styled(fit(&help, inner.width as usize), theme.dim()));
    lines.push(Line::raw(""));
    let mut buttons = Vec::new();
    for (i, button) in form.buttons.iter().enumerate() {
        let style = if form.focus == Focus::Button(i) { theme.selected() } else { theme.key() };
        buttons.push(Span::styled(format!("[ {} ]", button.label()), style));
        buttons.push(Span::raw(" "));
    }
    lines.push(Line::from(buttons));
    let used = lines.len() as u16;
    frame.render_widget(Paragraph::new(lines), inner);
    let rest = Rect { y: inner.y + used, height: inner.height.saturating_sub(used), ..inner };
    frame.render_widget(Paragraph::new(test_line(form, theme)).wrap(ratatui::widgets::Wrap { trim: true }), rest);
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
}

fn test_line(form: &Form, theme: Theme) -> Line<'static> {
    let current = form.fingerprint();
    match &form.tested {
        None => Line::styled("Test: not run — Save needs a passing test", theme.dim()),
        Some(t) if Some(&t.fingerprint) != current.as_ref() => {
            Line::styled("Test: settings changed since the last test", theme.dim())
        }
        Some(t) if t.report.ok => Line::styled(format!("Test: passed — {}", t.report.message), theme.tone(Tone::Good)),
        Some(t) => Line::styled(format!("Test: FAILED — {}", t.report.message), theme.tone(Tone::Bad)),
    }
}

pub fn browser(frame: &mut Frame, area: Rect, state: &ProvidersState, spinner: &str, theme: Theme) {
    let Some(browser) = &state.browser else { return };
    let width = area.width.saturating_sub(8).min(70);
    let height = area.height.saturating_sub(4).min(16);
    let inner = popup(frame, area, width, height, "Models on the server", theme);
    if browser.loading {
        let text = format!("{} asking the server for its models…", spinner);
        frame.render_widget(Paragraph::new(text), inner);
        return;
    }
    if let Some(error) = &browser.error {
        let lines = vec![
            Line::styled("Could not list the models:", theme.tone(Tone::Bad)),
            Line::raw(error.clone()),
            Line::raw(""),
            Line::styled("Esc: close", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }), inner);
        return;
    }
    if browser.models.is_empty() {
        frame.render_widget(
            Paragraph::new("The server lists no models. Pull or load one there, then try again."),
            inner,
        );
        return;
    }
    let items: Vec<ListItem> = browser
        .models
        .iter()
        .map(|m| {
            let summary = m.summary();
            let detail = if summary.is_empty() { String::new() } else { format!("  {summary}") };
            ListItem::new(Line::from(vec![Span::raw(m.id.clone()), Span::styled(detail, theme.dim())]))
        })
        .collect();
    let list = List::new(items).highlight_style(theme.selected()).highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(browser.selected));
    frame.render_stateful_widget(list, inner, &mut state);
}
