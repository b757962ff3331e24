//! Configure Provider: the types on the left; the selected type's summary or its form on the
//! right; the model browser as an overlay.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use super::{form_view, types, Pane, ProvidersState};
use crate::protocol::ProviderSchema;
use crate::theme::Theme;

/// The screen in `area`: `schemas` are the provider types the bridge reported, `ready` whether
/// it answered the handshake, `spinner` the busy marker's frame now.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    state: &ProvidersState,
    schemas: &[ProviderSchema],
    ready: bool,
    spinner: &str,
    theme: Theme,
) {
    let [left, right] = Layout::horizontal([Constraint::Length(18), Constraint::Min(0)]).areas(area);
    let types = types(schemas);
    let items: Vec<ListItem> = types.iter().map(|s| ListItem::new(s.kind.clone())).collect();
    let focused = state.pane == Pane::Types && state.browser.is_none();
    let title = Span::styled(" Type ", if focused { theme.title() } else { theme.dim() });
    let widget =
        List::new(items).block(Block::bordered().title(title)).highlight_style(theme.selected()).highlight_symbol("▶ ");
    let mut selection = ListState::default().with_selected((!types.is_empty()).then_some(state.type_selected));
    frame.render_stateful_widget(widget, left, &mut selection);
    match (&state.form, state.pane) {
        (Some(form), Pane::Form) => form_view::draw(frame, right, form, state.browser.is_none(), theme),
        _ => summary(frame, right, state, schemas, ready, theme),
    }
    if state.browser.is_some() {
        form_view::browser(frame, area, state, spinner, theme);
    }
}

fn summary(
    frame: &mut Frame,
    area: Rect,
    state: &ProvidersState,
    schemas: &[ProviderSchema],
    ready: bool,
    theme: Theme,
) {
    let block = Block::bordered().title(Span::styled(" Settings ", theme.dim()));
    let Some(schema) = types(schemas).get(state.type_selected).copied() else {
        let text = if ready {
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
