//! Diagnostics: the full report grouped by area with ok/warn/fail markers and each problem's
//! fix; re-run; export the report to a JSON file the user names.

use serde_json::Value;

use crate::app::{Action, App, Effect, Pending, Screen, Tone};
use crate::input::TextInput;
use crate::protocol::{decode, DiagnosticsReport, RpcError};

pub const DEFAULT_EXPORT: &str = "chi_llm_diagnostics.json";

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiagState {
    pub report: Option<DiagnosticsReport>,
    /// The report as the bridge sent it, which is what an export writes.
    pub raw: Option<Value>,
    pub running: bool,
    pub error: Option<String>,
    pub scroll: u16,
    /// The file name being typed for an export.
    pub export: Option<TextInput>,
}

pub fn run(app: &mut App) -> Vec<Effect> {
    if app.diag.running {
        return Vec::new();
    }
    app.diag.running = true;
    app.diag.error = None;
    vec![app.request("diagnostics/run", Value::Null, Pending::Diagnostics)]
}

pub fn open(app: &mut App) -> Vec<Effect> {
    app.screen = Screen::Diagnostics;
    if app.diag.report.is_none() {
        return run(app);
    }
    Vec::new()
}

pub fn reported(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    app.diag.running = false;
    match outcome
        .map_err(|e| e.describe())
        .and_then(|v| Ok((decode::<DiagnosticsReport>("diagnostics/run", v.clone())?, v)))
    {
        Ok((report, raw)) => {
            app.diag.report = Some(report);
            app.diag.raw = Some(raw);
            app.diag.scroll = 0;
        }
        Err(reason) => app.diag.error = Some(reason),
    }
    Vec::new()
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if let Some(input) = app.diag.export.as_mut() {
        if input.edit(&action) {
            return Vec::new();
        }
        match action {
            Action::Enter => {
                let name = input.value.trim().to_string();
                app.diag.export = None;
                let Some(raw) = app.diag.raw.as_ref() else {
                    return Vec::new();
                };
                if name.is_empty() {
                    return Vec::new();
                }
                let content = serde_json::to_string_pretty(raw).unwrap_or_default() + "\n";
                return vec![Effect::WriteFile { path: name, content }];
            }
            Action::Esc => app.diag.export = None,
            _ => {}
        }
        return Vec::new();
    }
    match action {
        Action::Char('r') => return run(app),
        Action::Char('e') => {
            if app.diag.raw.is_some() {
                app.diag.export = Some(TextInput::new(DEFAULT_EXPORT));
            } else {
                app.say(Tone::Info, "Nothing to export yet: wait for the report (r runs it again)");
            }
        }
        Action::Up | Action::Char('k') => app.diag.scroll = app.diag.scroll.saturating_sub(1),
        Action::Down | Action::Char('j') => app.diag.scroll = app.diag.scroll.saturating_add(1),
        Action::PageUp => app.diag.scroll = app.diag.scroll.saturating_sub(10),
        Action::PageDown => app.diag.scroll = app.diag.scroll.saturating_add(10),
        Action::Esc => app.screen = Screen::Welcome,
        Action::Char('q') => return crate::app::update(app, Action::Quit),
        Action::Char('?') => app.help = true,
        _ => {}
    }
    Vec::new()
}

/// What the file write reported (the event loop does the writing).
pub fn exported(app: &mut App, outcome: Result<String, String>) -> Vec<Effect> {
    match outcome {
        Ok(path) => app.say(Tone::Good, format!("Exported the report to {path}")),
        Err(reason) => app.say(Tone::Bad, format!("Could not export: {reason}")),
    }
    Vec::new()
}

/// ok / ! / ✗ / – for a check's status.
pub fn marker(status: &str) -> &'static str {
    match status {
        "ok" => "✓",
        "warn" => "!",
        "fail" => "✗",
        _ => "–",
    }
}

/// What a check measured, in one short line: a scalar as is, an object's scalar fields as
/// `key value` pairs, a list by its length.
pub fn summary(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some(format!("{k} {s}")),
                Value::Number(n) => Some(format!("{k} {n}")),
                Value::Bool(b) => Some(format!("{k} {}", if *b { "yes" } else { "no" })),
                _ => None,
            })
            .take(4)
            .collect::<Vec<_>>()
            .join(" · "),
        Value::Array(items) => format!("{} item(s)", items.len()),
        other => other.to_string(),
    }
}
