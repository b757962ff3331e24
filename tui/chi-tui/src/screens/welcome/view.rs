//! Welcome: what is configured, what to do next, and the menu.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{WelcomeState, MENU};
use crate::context::Seen;
use crate::text;
use crate::theme::Theme;

/// `seen`: the configured model and profiles, the unsaved count, whether the bridge is down.
pub fn draw(frame: &mut Frame, area: Rect, state: &WelcomeState, seen: &Seen, theme: Theme) {
    let mut lines = Vec::new();
    if area.height >= 20 {
        lines.extend([
            Line::raw("chi-llm runs a small local model with no setup. Chat with it, manage models,"),
            Line::raw("add providers (Ollama, LM Studio, OpenAI-compatible, Anthropic, Gemini), check"),
            Line::raw("this machine, and scaffold a project's configuration."),
            Line::raw(""),
        ]);
    }
    let model = match seen.model {
        Some(m) => format!("{} ({})", m.value.as_str().unwrap_or("?"), m.source),
        None => "…".into(),
    };
    lines.push(row("Local model", model, theme));
    let configured: Vec<_> = seen.profiles.iter().filter(|p| p.kind != "fake" && !p.fallback).collect();
    let providers = if configured.is_empty() {
        "none configured — generation uses the local model".to_string()
    } else {
        let default = configured.iter().find(|p| p.default).map_or("first by priority".to_string(), |p| p.id.clone());
        let ids: Vec<_> = configured.iter().map(|p| p.id.as_str()).collect();
        format!("{} ({}), default: {default}", configured.len(), ids.join(", "))
    };
    lines.push(row("Providers", providers, theme));
    if seen.unsaved > 0 {
        lines.push(row("Not saved yet", format!("{} profile(s) — open Review and save", seen.unsaved), theme));
    }
    if let Some(reason) = seen.bridge_down {
        lines.push(row("Bridge", reason.to_string(), theme));
    }
    lines.push(Line::raw(""));
    // The descriptions start two columns after the longest item, whatever the items are.
    let column = MENU.iter().map(|(item, _)| text::width(item)).max().unwrap_or(0) + 2;
    for (i, (item, what)) in MENU.iter().enumerate() {
        let marker = if i == state.menu { "▶ " } else { "  " };
        let style = if i == state.menu { theme.selected() } else { Default::default() };
        lines.push(Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{} ", i + 1), theme.key()),
            Span::styled(format!("{item:<column$}"), style),
            Span::styled(*what, theme.dim()),
        ]));
    }
    if area.height >= 20 {
        lines.push(Line::raw(""));
    }
    let next = if seen.unsaved > 0 {
        "Next: review and save the new profile(s)."
    } else if configured.is_empty() {
        "Next: chat with the local model, or configure a provider."
    } else {
        "Next: add another provider, or change the default in Review and save."
    };
    lines.push(Line::styled(next, theme.dim()));
    let block = Block::bordered().title(Span::styled(" Welcome ", theme.title()));
    let columns = block.inner(area).width as usize;
    let lines: Vec<Line> = lines.into_iter().map(|line| text::fit_line(line, columns)).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn row(label: &str, value: String, theme: Theme) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<15}"), theme.dim()), Span::raw(value)])
}
