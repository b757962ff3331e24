//! Diagnostics: the full report grouped by area with ok/warn/fail markers and each problem's
//! fix; re-run; export the report to a JSON file the user names. The screen owns its state and
//! sees the rest of the app through a `Ctx`.

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::Value;

mod keys;
mod view;

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::Seen;
use crate::input::TextInput;
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{decode, Check, DiagnosticsReport, RpcError};
use crate::theme::Theme;

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

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Run,
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

impl DiagState {
    pub fn run(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        if self.running {
            return Vec::new();
        }
        self.running = true;
        self.error = None;
        vec![ctx.request("diagnostics/run", Value::Null, Request::Run)]
    }

    fn reported(&mut self, outcome: Result<Value, RpcError>) {
        self.running = false;
        match outcome
            .map_err(|e| e.describe())
            .and_then(|v| Ok((decode::<DiagnosticsReport>("diagnostics/run", v.clone())?, v)))
        {
            Ok((report, raw)) => {
                self.report = Some(report);
                self.raw = Some(raw);
                self.scroll = 0;
            }
            Err(reason) => self.error = Some(reason),
        }
    }
}

impl Page for DiagState {
    type Request = Request;
    const TITLE: &'static str = "Diagnostics";

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        if let Some(input) = self.export.as_mut() {
            if input.edit(&action) {
                return Vec::new();
            }
            match action {
                Action::Enter => {
                    let name = input.value.trim().to_string();
                    self.export = None;
                    let Some(raw) = self.raw.as_ref() else {
                        return Vec::new();
                    };
                    if name.is_empty() {
                        return Vec::new();
                    }
                    let content = serde_json::to_string_pretty(raw).unwrap_or_default() + "\n";
                    return vec![Effect::WriteFile { path: name, content }];
                }
                Action::Esc => self.export = None,
                _ => {}
            }
            return Vec::new();
        }
        match action {
            Action::Char('r') => return self.run(ctx),
            Action::Char('e') => {
                if self.raw.is_some() {
                    self.export = Some(TextInput::new(DEFAULT_EXPORT));
                } else {
                    ctx.say(Tone::Info, "Nothing to export yet: wait for the report (r runs it again)");
                }
            }
            Action::Up | Action::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            Action::Down | Action::Char('j') => self.scroll = self.scroll.saturating_add(1),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::PageDown => self.scroll = self.scroll.saturating_add(10),
            Action::Esc => ctx.go(Screen::Welcome),
            Action::Char('q') => return ctx.quit(),
            Action::Char('?') => ctx.open_help(),
            _ => {}
        }
        Vec::new()
    }

    fn answered(&mut self, _ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::Run => self.reported(outcome),
        }
        Vec::new()
    }

    /// What the file write reported (the event loop does the writing).
    fn written(&mut self, ctx: &mut Ctx, outcome: &Result<String, String>) -> Vec<Effect> {
        match outcome {
            Ok(path) => ctx.say(Tone::Good, format!("Exported the report to {path}")),
            Err(reason) => ctx.say(Tone::Bad, format!("Could not export: {reason}")),
        }
        Vec::new()
    }

    /// The report is run on the first opening; later openings show it (r runs it again).
    fn opened(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        if self.report.is_none() {
            return self.run(ctx);
        }
        Vec::new()
    }

    /// The bridge died: the report it was running will not come.
    fn on_bridge_lost(&mut self) {
        self.running = false;
    }

    /// Whether keys are text for a field now (the export's file name).
    fn typing(&self, _seen: &Seen) -> bool {
        self.export.is_some()
    }

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        keys::keys(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen.spinner, theme)
    }
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

/// What a check measured, in one short line, as `chi-llm diagnostics` prints it where the value
/// holds amounts of bytes (`22.0 GiB available of 23.5 GiB`); otherwise a scalar as is, an
/// object's scalar fields as `key value` pairs (amounts of bytes in GiB/MiB), a list by length.
pub fn summary(check: &Check) -> String {
    let v = &check.value;
    let size = |key: &str| v[key].as_u64().map_or("?".to_string(), crate::text::size);
    let text = |key: &str| v[key].as_str().unwrap_or("?").to_string();
    match check.id.as_str() {
        "system.memory" if v["total_bytes"].is_u64() => {
            format!("{} available of {}", size("available_bytes"), size("total_bytes"))
        }
        "models.dir" if v["path"].is_string() => format!(
            "{} ({}, {} free)",
            text("path"),
            if v["writable"] == Value::Bool(true) { "writable" } else { "not writable" },
            size("free_bytes")
        ),
        "system.gpu" if v.is_array() => gpus(v),
        id if id.starts_with("models.") && v["integrity"].is_string() => {
            format!("{}, {} at context {}", text("integrity"), size("memory_needed_bytes"), v["context"])
        }
        _ => fields(v),
    }
}

fn gpus(value: &Value) -> String {
    let list = value.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        return "none found".into();
    }
    let vram = |g: &Value| g["vram_total"].as_u64().map_or("?".to_string(), crate::text::size);
    list.iter()
        .map(|g| format!("{} ({}, {})", g["name"].as_str().unwrap_or("?"), g["kind"].as_str().unwrap_or("?"), vram(g)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn fields(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some(format!("{k} {s}")),
                Value::Number(n) => Some(match (k.strip_suffix("_bytes"), n.as_u64()) {
                    (Some(what), Some(count)) => format!("{what} {}", crate::text::size(count)),
                    _ => format!("{k} {n}"),
                }),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(id: &str, value: Value) -> Check {
        let area = id.split('.').next().unwrap_or_default().to_string();
        Check { id: id.into(), area, title: id.into(), status: "ok".into(), value, fix: None }
    }

    #[test]
    fn amounts_of_bytes_read_as_the_cli_prints_them() {
        let memory =
            check("system.memory", json!({"total_bytes": 25_232_932_864_u64, "available_bytes": 23_622_320_128_u64}));
        assert_eq!(summary(&memory), "22.0 GiB available of 23.5 GiB");
        let dir = check("models.dir", json!({"path": "/m", "writable": true, "free_bytes": 75_617_533_952_u64}));
        assert_eq!(summary(&dir), "/m (writable, 70.4 GiB free)");
        let gpu = check("system.gpu", json!([{"name": "H100", "kind": "cuda", "vram_total": 85_899_345_920_u64}]));
        assert_eq!(summary(&gpu), "H100 (cuda, 80.0 GiB)");
        assert_eq!(summary(&check("system.gpu", json!([]))), "none found");
        let model =
            check("models.qwen3-0.6b", json!({"integrity": "ok", "memory_needed_bytes": 507_307_072, "context": 4096}));
        assert_eq!(summary(&model), "ok, 484 MiB at context 4096");
        let other = check("models.current", json!({"id": "smollm2-135m", "memory_needed_bytes": 507_307_072}));
        assert_eq!(summary(&other), "id smollm2-135m · memory_needed 484 MiB");
        assert_eq!(summary(&check("system.memory", Value::Null)), "");
    }
}
