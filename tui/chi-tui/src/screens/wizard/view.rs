//! The bootstrap wizard: one step at a time, then the preview (each file with its action and a
//! diff against what is there), then what was written.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{choices, diff, Step, WizardState, EXTRAS};
use crate::action::Tone;
use crate::popup::popup;
use crate::protocol::{ModelInfo, ProviderView};
use crate::theme::Theme;

const STEPS: [(Step, &str); 6] = [
    (Step::Folder, "Folder"),
    (Step::Provider, "Provider"),
    (Step::Model, "Model"),
    (Step::Format, "Format"),
    (Step::Extras, "Extras"),
    (Step::Preview, "Preview"),
];

/// The screen in `area`: the answers so far with the step being asked; `profiles` are the
/// configured providers, `catalog` the models, `spinner` the busy marker's frame now.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    w: &WizardState,
    profiles: &[ProviderView],
    catalog: &[ModelInfo],
    spinner: &str,
    theme: Theme,
) {
    let mut crumbs = Vec::new();
    for (step, name) in STEPS {
        let style = if step == w.step { theme.selected() } else { theme.dim() };
        crumbs.push(Span::styled(format!(" {name} "), style));
        crumbs.push(Span::styled("›", theme.dim()));
    }
    crumbs.pop();
    let block = Block::bordered().title(Span::styled(" New project ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::from(crumbs), Line::raw("")];
    let mut cursor = None;
    let pick = |lines: &mut Vec<Line>, items: Vec<String>, selected: usize| {
        for (i, item) in items.into_iter().enumerate() {
            let (mark, style) = if i == selected { ("▶ ", theme.selected()) } else { ("  ", Default::default()) };
            lines.push(Line::from(vec![Span::raw(mark), Span::styled(item, style)]));
        }
    };
    match w.step {
        Step::Folder => {
            lines.push(Line::raw("Which folder gets the files? (created when missing)"));
            cursor = Some((w.folder.cursor, lines.len()));
            lines.push(Line::styled(w.folder.value.clone(), theme.selected()));
            lines.push(Line::styled("Enter next · Esc back", theme.dim()));
        }
        Step::Provider => {
            lines.push(Line::raw("Which provider does the project use?"));
            pick(&mut lines, choices(profiles).into_iter().map(|c| c.label).collect(), w.provider);
        }
        Step::Model if choices(profiles).get(w.provider).is_some_and(|c| c.kind == "local") => {
            lines.push(Line::raw("Which catalog model?"));
            let rows = catalog.iter().map(|m| {
                let mark = if m.downloaded { "✓" } else { " " };
                format!("{mark} {:<24} {}", m.id, crate::models::bytes(m.size().unwrap_or(0)))
            });
            let first = w.local_model.saturating_sub(inner.height.saturating_sub(6) as usize);
            let rows: Vec<String> = rows.skip(first).collect();
            if rows.is_empty() {
                lines.push(Line::raw(format!("{} reading the catalog…", spinner)));
            }
            pick(&mut lines, rows, w.local_model - first);
        }
        Step::Model => {
            lines.push(Line::raw("The model name the server serves (empty: set it later):"));
            match &w.served {
                None => {
                    cursor = Some((w.model.cursor, lines.len()));
                    lines.push(Line::styled(w.model.value.clone(), theme.selected()));
                    lines.push(Line::styled("Enter next · Ctrl+O list the server's models · Esc back", theme.dim()));
                }
                Some(_) if w.discovering => {
                    lines.push(Line::raw(format!("{} asking the server for its models…", spinner)))
                }
                Some(Err(reason)) => {
                    lines.push(Line::styled(format!("Could not list them: {reason}"), theme.tone(Tone::Bad)));
                    lines.push(Line::styled("Esc: type the name instead", theme.dim()));
                }
                Some(Ok(models)) if models.is_empty() => lines.push(Line::raw("The server lists no models (Esc).")),
                Some(Ok(models)) => pick(&mut lines, models.clone(), w.served_selected),
            }
        }
        Step::Format => {
            lines.push(Line::raw("Configuration file format:"));
            pick(&mut lines, vec![".chi_llm.json".into(), ".chi_llm.yaml".into()], usize::from(w.yaml));
        }
        Step::Extras => {
            lines.push(Line::raw("Extras pinned in llm-requirements.txt:"));
            pick(&mut lines, EXTRAS.iter().map(|e| e.to_string()).collect(), w.extras);
        }
        Step::Preview | Step::Done => preview(&mut lines, w, spinner, theme),
    }
    let scroll = if matches!(w.step, Step::Preview | Step::Done) { w.scroll } else { 0 };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x + x as u16;
        frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y + y as u16));
    }
    if w.confirm {
        let mut lines: Vec<Line> = vec![Line::raw("Left alone unless you agree:")];
        for (path, reason) in w.held_back() {
            let name = path.rsplit(['/', '\\']).next().unwrap_or(&path).to_string();
            lines.push(Line::raw(format!("  {name}")));
            let short = reason.split(';').next().unwrap_or_default().trim().to_string();
            if !short.is_empty() {
                lines.push(Line::styled(format!("    {short}"), theme.dim()));
            }
        }
        lines.push(Line::raw("y shows the plan with them replaced (old files kept as NAME.bak)"));
        lines.push(Line::raw("and writes it only when you press Enter there."));
        lines.push(Line::styled("y show that plan · n write only the rest · Esc back", theme.key()));
        let width = 70u16.min(area.width);
        let inner_width = usize::from(width.saturating_sub(2)).max(1);
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner_width)).sum();
        let inner = popup(frame, area, width, rows as u16 + 2, "Replace?", theme);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

fn preview(lines: &mut Vec<Line<'static>>, w: &WizardState, spinner: &str, theme: Theme) {
    if w.loading {
        lines.push(Line::raw(format!("{} planning the files…", spinner)));
        return;
    }
    if let Some(error) = &w.error {
        lines.push(Line::styled(error.clone(), theme.tone(Tone::Bad)));
        lines.push(Line::styled("Esc goes back to change the answers", theme.dim()));
        return;
    }
    let Some(plan) = &w.plan else { return };
    let done = w.step == Step::Done;
    lines.push(Line::styled(
        if done { "Written:" } else { "Enter writes these files (↑↓ scroll · Esc back):" },
        theme.key(),
    ));
    for file in &plan.files {
        let action = match (file.action.as_str(), &file.existing) {
            ("skip", Some(_)) if !done => "exists, differs",
            ("move", _) => "move aside",
            (action, _) => action,
        };
        lines
            .push(Line::from(vec![Span::styled(format!("{action:<16}"), theme.title()), Span::raw(file.path.clone())]));
        if let Some(backup) = &file.backup {
            let kept = if file.action == "move" { "renamed to" } else { "kept the old one as" };
            lines.push(Line::styled(format!("                {kept} {backup}"), theme.dim()));
        }
        // "exists, differs" says it already; a file skipped for another reason (another
        // configuration file would be read instead) says why.
        if let (Some(reason), "skip", None, false) = (&file.reason, file.action.as_str(), &file.existing, done) {
            lines.push(Line::styled(format!("                {reason}"), theme.dim()));
        }
        if done || file.action == "move" {
            continue; // a moved file's content stays as it is, under its new name
        }
        let old = file.existing.clone().unwrap_or_default();
        for (mark, text) in diff(&old, &file.content) {
            let style = match mark {
                '+' => theme.tone(Tone::Good),
                '-' => theme.tone(Tone::Bad),
                _ => theme.dim(),
            };
            lines.push(Line::styled(format!("  {mark} {text}"), style));
        }
    }
    for note in &plan.notes {
        lines.push(Line::styled(format!("note: {note}"), theme.dim()));
    }
}
