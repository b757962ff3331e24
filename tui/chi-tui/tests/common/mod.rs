//! Shared by the Rust tests: an App fed with the golden fixtures' answers.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

use chi_tui::app::{update, Action, App, Effect};
use chi_tui::protocol::{Incoming, RpcError};
use chi_tui::theme::Theme;
use chi_tui::ui::draw;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};

/// The result the bridge gave for `method` in the named fixture file.
pub fn fixture_result(file: &str, method: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../protocol/fixtures").join(file);
    let text = fs::read_to_string(path).expect("fixture");
    for line in text.lines() {
        let exchange: Value = serde_json::from_str(line).expect("JSON");
        if exchange["send"]["method"] == json!(method) {
            for message in exchange["expect"].as_array().expect("list") {
                if let Some(result) = message.get("result") {
                    return result.clone();
                }
            }
        }
    }
    panic!("no {method} result in {file}")
}

/// The id and method of a Send effect.
pub fn sent(effect: &Effect) -> (u64, String, Value) {
    let Effect::Send(line) = effect else { panic!("not a Send: {effect:?}") };
    let value: Value = serde_json::from_str(line).expect("JSON");
    (value["id"].as_u64().expect("id"), value["method"].as_str().expect("method").to_string(), value["params"].clone())
}

pub fn answer(app: &mut App, effect: &Effect, result: Value) -> Vec<Effect> {
    let (id, _, _) = sent(effect);
    update(app, Action::Bridge(Incoming::Response { id: json!(id), outcome: Ok(result) }))
}

pub fn fail(app: &mut App, effect: &Effect, message: &str, kind: &str) -> Vec<Effect> {
    let (id, _, _) = sent(effect);
    let error = RpcError {
        code: -32000,
        message: message.into(),
        data: Some(chi_tui::protocol::ErrorData { kind: kind.into(), backend: "test".into() }),
    };
    update(app, Action::Bridge(Incoming::Response { id: json!(id), outcome: Err(error) }))
}

/// An app past the handshake, with the fixtures' provider types and no profiles.
pub fn ready_app() -> App {
    ready_app_with(json!({"tools": [], "errors": []}))
}

/// `ready_app`, the bridge offering `tools` (a `tools/list` answer).
pub fn ready_app_with(tools: Value) -> App {
    let mut app = App::new("/tmp/chi-tui.log");
    let hello = app.start();
    let effects = answer(&mut app, &hello[0], fixture_result("handshake.jsonl", "initialize"));
    for effect in &effects {
        let (_, method, _) = sent(effect);
        let result = match method.as_str() {
            "providers/schema" => fixture_result("providers.jsonl", "providers/schema"),
            "providers/list" | "providers/current" => json!([]),
            "config/explain" => fixture_result("handshake.jsonl", "config/explain"),
            "tools/list" => tools.clone(),
            other => panic!("unexpected {other}"),
        };
        assert!(answer(&mut app, effect, result).is_empty());
    }
    app
}

pub fn press(app: &mut App, actions: &[Action]) -> Vec<Effect> {
    let mut last = Vec::new();
    for action in actions {
        last = update(app, action.clone());
    }
    last
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Action::Insert(c));
    }
}

/// Open the ollama form (the fourth type after local, openai, lmstudio).
pub fn ollama_form(app: &mut App) {
    press(app, &[Action::Char('3')]); // Welcome → Configure Provider
    let index = chi_tui::providers::types(&app.schemas).iter().position(|s| s.kind == "ollama").expect("ollama");
    app.screens.providers.type_selected = index;
    press(app, &[Action::Enter]);
    assert!(app.screens.providers.form.is_some());
}

/// The app on the Models screen with the fixtures' catalog loaded.
pub fn models_app() -> App {
    let mut app = ready_app();
    let effects = update(&mut app, Action::Char('2'));
    for effect in &effects {
        let (_, method, _) = sent(effect);
        let result = match method.as_str() {
            "models/list" => fixture_result("models.jsonl", "models/list"),
            "models/disk" => {
                json!({"models_dir": "/m", "free_bytes": 1, "used_bytes": 0, "partial_bytes": 0, "files": []})
            }
            "models/installed" => json!([
                {"id": "ollama:llama3.2:1b", "path": "/home/me/.ollama/models/blobs/sha256-74701a8c", "size_bytes": 1321098329_u64, "origin": "ollama", "owned": false}
            ]),
            other => panic!("unexpected {other}"),
        };
        answer(&mut app, effect, result);
    }
    app
}

pub fn select(app: &mut App, id: &str) {
    app.screens.models.selected = app.screens.models.entries().iter().position(|e| e.id == id).expect("listed");
}

/// The New project wizard at its preview (an ollama project), and the preview request;
/// `existing`: the first file is there already with other content.
pub fn wizard_at_preview(existing: bool) -> (App, Effect) {
    let mut app = models_app();
    app.screen = chi_tui::app::Screen::Welcome;
    update(&mut app, Action::Char('6'));
    update(&mut app, Action::Enter);
    update(&mut app, Action::Down);
    update(&mut app, Action::Enter);
    for c in "llama3.2".chars() {
        update(&mut app, Action::Insert(c));
    }
    update(&mut app, Action::Enter);
    update(&mut app, Action::Enter);
    let preview = update(&mut app, Action::Enter);
    let mut plan = fixture_result("project.jsonl", "bootstrap/preview");
    plan["folder"] = json!("/home/me/app");
    let files = plan["files"].as_array_mut().expect("files");
    for file in files.iter_mut() {
        let name = file["path"].as_str().expect("path").rsplit('/').next().expect("name").to_string();
        file["path"] = json!(format!("/home/me/app/{name}"));
        let content = file["content"].as_str().expect("content").replace("$OLLAMA", "http://localhost:11434");
        file["content"] = json!(content);
    }
    if existing {
        files[0]["existing"] = json!("{\n  \"model\": \"smollm2-135m\"\n}\n");
        files[0]["action"] = json!("skip");
        files[0]["reason"] = json!("exists with other content; --force overwrites it (the old one is kept as .bak)");
    }
    answer(&mut app, &preview[0], plan);
    (app, preview[0].clone())
}

/// The screen as text, drawn into a TestBackend of this size, without colours.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a terminal");
    terminal.draw(|frame| draw(frame, app, Theme { color: false })).expect("drawn");
    terminal.backend().to_string()
}

/// Snapshots at 80x24 and at the smallest supported size. (A macro keeps insta's snapshot
/// names tied to the calling test file.)
#[macro_export]
macro_rules! both {
    ($name:expr, $app:expr) => {
        insta::assert_snapshot!(format!("{}_80x24", $name), render($app, 80, 24));
        insta::assert_snapshot!(format!("{}_small", $name), render($app, MIN_WIDTH, MIN_HEIGHT));
    };
}

/// The exchanges of a fixture file, in order.
pub fn fixture_exchanges(file: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../protocol/fixtures").join(file);
    let text = fs::read_to_string(path).expect("fixture");
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON")).collect()
}

/// The generation's messages in tools.jsonl's exchange `index` (its notifications and its
/// answer; not the answer to the exchange's own request), the chat's request id `id` in place
/// of the fixture's: the bridge's golden messages, fed to the app.
pub fn tool_replies(index: usize, id: u64) -> Vec<Value> {
    let exchange = &fixture_exchanges("tools.jsonl")[index];
    let generate = exchange["until"].as_u64().or_else(|| exchange["send"]["id"].as_u64()).expect("an id");
    let mut out = Vec::new();
    for message in exchange["expect"].as_array().expect("list") {
        let mut message = message.clone();
        if message.get("params").is_some_and(|p| p["id"] == json!(generate)) {
            message["params"]["id"] = json!(id);
        }
        match message.get("id") {
            Some(other) if other != &json!(generate) => continue,
            Some(_) => message["id"] = json!(id),
            None => {}
        }
        out.push(message);
    }
    out
}

/// Feed bridge messages to the app as they would arrive (responses only for ids it sent).
pub fn deliver(app: &mut App, messages: &[Value]) -> Vec<Effect> {
    let mut effects = Vec::new();
    for message in messages {
        let incoming = chi_tui::protocol::parse_incoming(&message.to_string()).expect("a bridge message");
        effects.extend(update(app, Action::Bridge(incoming)));
    }
    effects
}

/// The app on Chat, the bridge offering tools.jsonl's tools.
pub fn chat_with_tools() -> App {
    let mut app = ready_app_with(fixture_result("tools.jsonl", "tools/list"));
    update(&mut app, Action::Char('1'));
    app
}
