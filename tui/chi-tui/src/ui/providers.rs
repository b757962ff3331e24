//! Configure Provider: the types on the left; the selected type's summary or its form on the
//! right; the model browser as an overlay.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, Pane};
use crate::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [left, right] = Layout::horizontal([Constraint::Length(18), Constraint::Min(0)]).areas(area);
    let types = app.types();
    let items: Vec<ListItem> = types.iter().map(|s| ListItem::new(s.kind.clone())).collect();
    let focused = app.pane == Pane::Types && app.browser.is_none();
    let title = Span::styled(" Type ", if focused { theme.title() } else { theme.dim() });
    let list =
        List::new(items).block(Block::bordered().title(title)).highlight_style(theme.selected()).highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected((!types.is_empty()).then_some(app.type_selected));
    frame.render_stateful_widget(list, left, &mut state);
    match (&app.form, app.pane) {
        (Some(form), Pane::Form) => super::provider_form::draw(frame, right, form, app, theme),
        _ => summary(frame, right, app, theme),
    }
    if app.browser.is_some() {
        super::provider_form::browser(frame, area, app, theme);
    }
}

fn summary(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let block = Block::bordered().title(Span::styled(" Settings ", theme.dim()));
    let Some(schema) = app.types().get(app.type_selected).copied() else {
        let text = if app.ready() {
            "No provider types: is chi-llm installed correctly?"
        } else {
            "Asking the bridge for the provider types…"
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let mut lines =
        vec![Line::styled(schema.kind.clone(), theme.title()), Line::raw(schema.summary.clone()), Line::raw("")];
    for field in &schema.fields {
        let mark = if field.required { "*" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{mark}{:<16}", field.name),
                if field.required { theme.required() } else { theme.dim() },
            ),
            Span::raw(field.help.clone()),
        ]));
    }
    if !schema.key_variables.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("Key from the environment: {}", schema.key_variables.join(", ")), theme.dim()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Enter: fill in this provider's settings", theme.key()));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), area);
}
