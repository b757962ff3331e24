//! Models: the table with markers, the info pane, download progress, confirmations and the
//! recommendation.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::{bytes, Confirm, Download, DownloadState, Entry, ModelsState};
use crate::action::Tone;
use crate::input::TextInput;
use crate::popup::popup;
use crate::theme::Theme;

/// The screen in `area`; `spinner` is the busy marker's frame now.
pub fn draw(frame: &mut Frame, area: Rect, models: &ModelsState, spinner: &str, theme: Theme) {
    let entries = models.entries();
    let info_height = if area.height >= 20 { 7 } else { 4 };
    let [filter, table, info] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(info_height)]).areas(area);
    let tag = models.tag.as_deref().unwrap_or("all");
    let mut spans = vec![Span::styled(" / ", theme.key()), Span::raw("filter: ")];
    if models.filtering || !models.filter.value.is_empty() {
        let style = if models.filtering { theme.selected() } else { Default::default() };
        spans.push(Span::styled(format!("{} ", models.filter.value), style));
    } else {
        spans.push(Span::styled("(none) ", theme.dim()));
    }
    spans.extend([
        Span::styled("  t ", theme.key()),
        Span::raw(format!("tag: {tag}   ")),
        Span::styled("● current ✓ downloaded ✗ too big", theme.dim()),
        Span::styled("  h ", theme.key()),
        Span::raw("pull hf:…"),
    ]);
    frame.render_widget(Paragraph::new(Line::from(spans)), filter);
    if models.filtering {
        let x = filter.x + 11 + models.filter.cursor as u16;
        frame.set_cursor_position((x.min(filter.right().saturating_sub(1)), filter.y));
    }
    let block = Block::bordered().title(Span::styled(format!(" Models ({}) ", entries.len()), theme.title()));
    if !models.loaded {
        frame.render_widget(Paragraph::new(format!("{} reading the catalog…", spinner)).block(block), table);
    } else if entries.is_empty() {
        frame.render_widget(
            Paragraph::new("No model matches the filter (Esc clears it with Backspace).").block(block),
            table,
        );
    } else {
        let rows = entries.iter().map(|e| row(e, models));
        let widths = [
            Constraint::Length(3),
            Constraint::Min(16),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(14),
        ];
        let header = Row::new(["", "id", "params", "quant", "size", "state"]).style(theme.dim());
        let widget = Table::new(rows, widths).header(header).block(block).row_highlight_style(theme.selected());
        let mut state = TableState::default().with_selected(Some(models.selected.min(entries.len() - 1)));
        frame.render_stateful_widget(widget, table, &mut state);
    }
    info_pane(frame, info, models, entries.get(models.selected), theme);
    if let Some(input) = &models.hub {
        hub_popup(frame, area, input, theme);
    } else if let Some(confirm) = &models.confirm {
        confirm_popup(frame, area, confirm, theme);
    } else if models.recommending || models.recommendation.is_some() {
        recommendation(frame, area, models, spinner, theme);
    }
}

fn row<'a>(entry: &Entry, models: &ModelsState) -> Row<'a> {
    let marks = format!(
        "{}{}{}",
        if entry.current() { "●" } else { " " },
        if entry.downloaded() { "✓" } else { " " },
        if entry.fits() { " " } else { "✗" }
    );
    let (params, quant) = entry
        .catalog
        .as_ref()
        .map_or((String::new(), String::new()), |m| (m.parameters.clone(), m.quantization.clone()));
    let state = match models.downloads.get(&entry.id) {
        Some(d) => short_state(d),
        None if entry.catalog.is_none() => entry.installed.as_ref().map_or(String::new(), |i| i.origin.clone()),
        None => String::new(),
    };
    Row::new(vec![marks, entry.id.clone(), params, quant, entry.size().map_or("?".into(), bytes), state])
}

fn short_state(download: &Download) -> String {
    match &download.state {
        DownloadState::Running => match download.total {
            Some(total) if total > 0 => format!("{:>3}% {}", download.done * 100 / total, download.phase),
            _ => download.phase.clone(),
        },
        DownloadState::Cancelling => "cancelling".into(),
        DownloadState::Cancelled => "cancelled".into(),
        DownloadState::Failed(_) => "failed".into(),
        DownloadState::Interrupted => "interrupted".into(),
    }
}

fn info_pane(frame: &mut Frame, area: Rect, models: &ModelsState, entry: Option<&Entry>, theme: Theme) {
    let block = Block::bordered().title(Span::styled(" Info ", theme.dim()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(entry) = entry else { return };
    if let Some(download) = models.downloads.get(&entry.id) {
        let [gauge, text] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let ratio = download.total.filter(|t| *t > 0).map_or(0.0, |t| (download.done as f64 / t as f64).min(1.0));
        let speed = download.speed().map_or(String::new(), |s| format!(" · {}/s", bytes(s as u64)));
        let eta = download.eta().map_or(String::new(), |s| format!(" · {:.0} s left", s));
        let total = download.total.map_or("?".into(), bytes);
        let label = format!("{} {} of {}{speed}{eta}", download.phase, bytes(download.done), total);
        frame.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(theme.tone(Tone::Good)), gauge);
        let what = match &download.state {
            DownloadState::Running => "c cancels; the partial file is kept and d resumes".to_string(),
            DownloadState::Cancelling => "cancelling…".to_string(),
            DownloadState::Cancelled => "cancelled — d resumes where it stopped".to_string(),
            DownloadState::Interrupted => "the bridge stopped — d resumes where it stopped".to_string(),
            DownloadState::Failed(reason) => format!("failed: {reason}"),
        };
        frame.render_widget(Paragraph::new(what).wrap(Wrap { trim: true }), text);
        return;
    }
    let lines = match (&entry.catalog, &entry.installed) {
        (Some(m), _) => vec![
            Line::from(vec![
                Span::styled(m.name.clone(), theme.title()),
                Span::styled(format!("  {}", m.license), theme.dim()),
            ]),
            Line::raw(format!(
                "file {} · RAM {} at context {} · {}",
                m.size().map_or("?".into(), bytes),
                bytes(m.ram_needed_bytes),
                m.default_context,
                if m.fits { "fits this machine" } else { "does not fit this machine" }
            )),
            Line::styled(format!("{} · tags: {}{}", m.source, m.tags.join(", "), tools_note(m.tools)), theme.dim()),
            Line::raw(m.description.clone()),
            Line::styled(
                if m.downloaded {
                    m.path.clone().unwrap_or_default()
                } else {
                    "not downloaded — d downloads it".into()
                },
                theme.dim(),
            ),
        ],
        (None, Some(f)) => vec![
            Line::styled(f.id.clone(), theme.title()),
            Line::raw(format!("{} · found in {} (chi-llm never removes it)", bytes(f.size_bytes), f.origin)),
            Line::styled(f.path.clone(), theme.dim()),
        ],
        _ => Vec::new(),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

fn hub_popup(frame: &mut Frame, area: Rect, input: &TextInput, theme: Theme) {
    let inner = popup(frame, area, 90, 7, "Pull from the hub", theme);
    // A long reference scrolls: the part around the cursor stays in view.
    let width = inner.width.saturating_sub(1) as usize;
    let start = input.cursor.saturating_sub(width);
    let visible: String = input.value.chars().skip(start).take(width).collect();
    let lines = vec![
        Line::raw("A GGUF file on the Hugging Face hub:"),
        Line::styled(format!("{visible} "), theme.selected()),
        Line::styled("hf:owner/repo/file.gguf[@revision], or hf:owner/repo for the", theme.dim()),
        Line::styled("largest quantization that fits this machine", theme.dim()),
        Line::styled("Enter download · Esc cancel", theme.key()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
    frame.set_cursor_position((inner.x + (input.cursor - start) as u16, inner.y + 1));
}

fn confirm_popup(frame: &mut Frame, area: Rect, confirm: &Confirm, theme: Theme) {
    let (title, lines) = match confirm {
        Confirm::Remove { id, path, bytes: size } => (
            "Remove",
            vec![
                Line::raw(format!("Remove {id}?")),
                Line::styled(path.clone(), theme.dim()),
                Line::raw(format!("This frees {}.", bytes(*size))),
                Line::raw(""),
                Line::styled("y remove · n keep", theme.key()),
            ],
        ),
        Confirm::SetDefault { id } => (
            "Default model",
            vec![
                Line::raw(format!("Make {id} the default model")),
                Line::raw(""),
                Line::styled("p for this project (.chi_llm.json) · g globally · Esc cancel", theme.key()),
            ],
        ),
    };
    let inner = popup(frame, area, 62, lines.len() as u16 + 2, title, theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

fn recommendation(frame: &mut Frame, area: Rect, models: &ModelsState, spinner: &str, theme: Theme) {
    let lines = match &models.recommendation {
        None => vec![Line::raw(format!("{} weighing this machine…", spinner))],
        Some(Err(reason)) => vec![Line::styled(reason.clone(), theme.tone(Tone::Bad))],
        Some(Ok(r)) => vec![
            Line::styled(format!("{} ({})", r.model.name, r.model.id), theme.title()),
            Line::raw(""),
            Line::raw(r.reason.clone()),
            Line::raw(""),
            Line::styled(format!("Also good: {}", r.alternatives.join(", ")), theme.dim()),
            Line::styled("Enter selects it in the list · Esc closes", theme.key()),
        ],
    };
    let inner = popup(frame, area, 70, area.height.saturating_sub(2).min(16), "Recommended for this machine", theme);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// How the model takes tools: through its own chat template, or chi-llm's generic format.
fn tools_note(tools: Option<bool>) -> &'static str {
    match tools {
        Some(true) => " · tools: its template",
        Some(false) => " · tools: generic format",
        None => "",
    }
}
