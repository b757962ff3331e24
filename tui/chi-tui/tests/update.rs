//! `update` driven by actions: the handshake, keys in text fields, the Test-before-Save rule,
//! the model browser, find-url, writing the configuration, and a dying bridge.

mod common;

use chi_tui::app::{update, Action, App, BridgeState, Effect, Screen, MAX_RESTARTS};
use chi_tui::keys::action_for;
use chi_tui::providers::Pane;
use chi_tui::save::{rows, Scope};
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn report(ok: bool, message: &str) -> serde_json::Value {
    json!({"ok": ok, "status": if ok {"ok"} else {"unreachable"}, "latency_ms": 3.0, "message": message, "models": []})
}

fn focus_field(app: &mut App, name: &str) {
    let form = app.screens.providers.form.as_mut().expect("form");
    let index = form.fields.iter().position(|f| f.name == name).expect("field");
    form.focus = chi_tui::form::Focus::Field(index);
}

#[test]
fn the_handshake_loads_types_profiles_and_the_model() {
    let app = ready_app();
    assert!(matches!(app.bridge, BridgeState::Ready { .. }));
    assert!(chi_tui::providers::types(&app.schemas).iter().any(|s| s.kind == "ollama"));
    assert!(chi_tui::providers::types(&app.schemas).iter().all(|s| s.kind != "fake"));
    assert_eq!(app.model.as_ref().and_then(|m| m.value.as_str()), Some("smollm2-135m"));
    assert!(app.pending.is_empty());
}

#[test]
fn another_protocol_version_is_refused_with_what_to_do() {
    let mut app = App::new("log");
    let hello = app.start();
    let effects = answer(
        &mut app,
        &hello[0],
        json!({"protocol_version": "9", "chi_llm_version": "9.0", "capabilities": {"methods": [], "notifications": []}}),
    );
    assert!(effects.is_empty());
    let BridgeState::Down(reason) = &app.bridge else { panic!("{:?}", app.bridge) };
    assert!(reason.contains("protocol 9") && reason.contains("setup"));
}

#[test]
fn typing_in_a_field_never_fires_a_shortcut() {
    let mut app = ready_app();
    ollama_form(&mut app);
    focus_field(&mut app, "base_url");
    assert!(app.typing());
    for c in "q?jks".chars() {
        let action = action_for(key(c), app.typing()).expect("an action");
        assert_eq!(action, Action::Insert(c));
        assert!(update(&mut app, action).is_empty());
    }
    assert!(!app.quitting && !app.help);
    assert_eq!(
        app.screens.providers.form.as_ref().and_then(|f| f.field("base_url")).map(|f| f.value.as_str()),
        Some("q?jks")
    );
    // Outside a text field the same key quits.
    press(&mut app, &[Action::Esc]);
    assert_eq!(app.screens.providers.pane, Pane::Types);
    let action = action_for(key('q'), app.typing()).expect("an action");
    assert_eq!(update(&mut app, action), vec![Effect::Quit]);
}

#[test]
fn ctrl_c_quits_even_while_typing() {
    let action = action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), true);
    assert_eq!(action, Some(Action::Quit));
}

#[test]
fn save_needs_a_passing_test_of_the_same_settings() {
    let mut app = ready_app();
    ollama_form(&mut app);
    focus_field(&mut app, "base_url");
    type_text(&mut app, "http://127.0.0.1:9");
    assert!(press(&mut app, &[Action::Save]).is_empty());
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("Test the connection first")));
    assert_eq!(app.screen, Screen::Providers);

    let test = press(&mut app, &[Action::Test]);
    let (_, method, params) = sent(&test[0]);
    assert_eq!(method, "providers/test");
    assert_eq!(params["provider"], json!({"type": "ollama", "id": "ollama", "base_url": "http://127.0.0.1:9"}));
    answer(&mut app, &test[0], report(false, "ollama at http://127.0.0.1:9 is not reachable"));
    press(&mut app, &[Action::Save]);
    let note = app.note.clone().expect("a reason");
    assert!(note.text.contains("Save refused") && note.text.contains("not reachable"), "{}", note.text);
    assert_eq!(app.screen, Screen::Providers);

    let test = press(&mut app, &[Action::Test]);
    answer(&mut app, &test[0], report(true, "reachable"));
    type_text(&mut app, "0"); // the settings change after the pass
    press(&mut app, &[Action::Save]);
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("changed since the last test")));
    press(&mut app, &[Action::Backspace]);
    press(&mut app, &[Action::Save]);
    assert_eq!(app.screen, Screen::Save);
    assert_eq!(app.screens.save.staged.len(), 1);
    assert_eq!(app.screens.save.default_id.as_deref(), Some("ollama"));
}

#[test]
fn a_test_error_from_the_bridge_also_blocks_save() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let test = press(&mut app, &[Action::Test]);
    fail(&mut app, &test[0], "unknown setting 'x'", "config_error");
    press(&mut app, &[Action::Save]);
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("unknown setting")));
    assert_eq!(app.screen, Screen::Providers);
}

#[test]
fn a_bad_number_is_explained_before_anything_is_sent() {
    let mut app = ready_app();
    ollama_form(&mut app);
    focus_field(&mut app, "max_retries");
    type_text(&mut app, "many");
    assert!(press(&mut app, &[Action::Test]).is_empty());
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("max_retries must be a whole number")));
}

#[test]
fn the_model_browser_fills_the_model_field() {
    let mut app = ready_app();
    ollama_form(&mut app);
    focus_field(&mut app, "model");
    let discover = press(&mut app, &[Action::Enter]);
    let (_, method, _) = sent(&discover[0]);
    assert_eq!(method, "providers/discover");
    assert!(app.screens.providers.browser.as_ref().is_some_and(|b| b.loading));
    assert!(!app.typing()); // keys go to the browser
    answer(&mut app, &discover[0], fixture_result("providers.jsonl", "providers/discover"));
    press(&mut app, &[Action::Down, Action::Enter]);
    assert!(app.screens.providers.browser.is_none());
    assert_eq!(
        app.screens.providers.form.as_ref().and_then(|f| f.field("model")).map(|f| f.value.as_str()),
        Some("qwen3:0.6b")
    );
}

#[test]
fn a_browser_error_is_shown_in_the_browser() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let discover = press(&mut app, &[Action::Browse]);
    fail(&mut app, &discover[0], "ollama is not reachable", "backend_unavailable");
    assert_eq!(
        app.screens.providers.browser.as_ref().and_then(|b| b.error.clone()).as_deref(),
        Some("ollama is not reachable")
    );
}

#[test]
fn find_url_fills_the_base_url() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let find = press(&mut app, &[Action::FindUrl]);
    let (_, method, params) = sent(&find[0]);
    assert_eq!((method.as_str(), params), ("providers/find_url", json!({"type": "ollama"})));
    answer(
        &mut app,
        &find[0],
        json!({"provider": "ollama", "ok": true, "base_url": "http://127.0.0.1:11434", "tried": [], "message": "found"}),
    );
    assert_eq!(
        app.screens.providers.form.as_ref().and_then(|f| f.field("base_url")).map(|f| f.value.as_str()),
        Some("http://127.0.0.1:11434")
    );
}

fn staged_app() -> App {
    let mut app = ready_app();
    ollama_form(&mut app);
    focus_field(&mut app, "tags");
    type_text(&mut app, "local, fast");
    let test = press(&mut app, &[Action::Test]);
    answer(&mut app, &test[0], report(true, "reachable"));
    press(&mut app, &[Action::Save]);
    app
}

#[test]
fn writing_merges_each_profile_then_shows_the_file() {
    let mut app = staged_app();
    press(&mut app, &[Action::Char('g'), Action::Char('g')]); // global and back
    assert_eq!(app.screens.save.scope, Scope::Project);
    let add = press(&mut app, &[Action::Enter]);
    let (_, method, params) = sent(&add[0]);
    assert_eq!(method, "providers/add");
    assert_eq!(params["scope"], "project");
    assert_eq!(params["default"], true);
    assert_eq!(params["profile"]["tags"], json!(["local", "fast"]));
    let read = answer(&mut app, &add[0], json!({"path": "/p/.chi_llm.json"}));
    let (_, method, params) = sent(&read[0]);
    assert_eq!((method.as_str(), params["scope"].as_str()), ("config/read", Some("project")));
    answer(
        &mut app,
        &read[0],
        json!({"providers": [{"id": "ollama", "type": "ollama"}], "default_provider": "ollama"}),
    );
    let written = app.screens.save.written.clone().expect("written");
    assert_eq!(written.path, "/p/.chi_llm.json");
    assert_eq!(written.content["default_provider"], "ollama");
    assert!(app.screens.save.staged.is_empty());
}

#[test]
fn the_embedded_fallback_is_reviewed_as_built_in_and_not_written() {
    let mut app = staged_app();
    app.profiles = serde_json::from_value(json!([{"id": "local", "type": "local", "fallback": true}])).expect("list");
    let shown = rows(&app.profiles, &app.screens.save);
    let local = shown.iter().find(|r| r.id == "local").expect("the fallback is listed");
    assert!(local.builtin && !local.new, "{local:?}");
    assert!(!shown.iter().find(|r| r.id == "ollama").expect("ollama").builtin);
    let add = press(&mut app, &[Action::Enter]);
    assert_eq!(add.len(), 1);
    let (_, method, params) = sent(&add[0]);
    assert_eq!((method.as_str(), &params["profile"]["id"]), ("providers/add", &json!("ollama")));
    let read = answer(&mut app, &add[0], json!({"path": "/p/.chi_llm.json"}));
    assert_eq!(sent(&read[0]).1, "config/read"); // then the list again: the review shows what is in effect
    assert_eq!(sent(&read[1]).1, "providers/list");
}

#[test]
fn a_failed_write_keeps_what_was_staged() {
    let mut app = staged_app();
    press(&mut app, &[Action::Char('g')]);
    let add = press(&mut app, &[Action::Enter]);
    assert_eq!(sent(&add[0]).2["scope"], "global");
    fail(&mut app, &add[0], "cannot write /etc/x: permission denied", "config_error");
    assert_eq!(app.screens.save.staged.len(), 1);
    assert!(!app.screens.save.busy);
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("permission denied")));
}

#[test]
fn a_dead_bridge_is_restarted_with_a_message_then_given_up_on() {
    let mut app = ready_app();
    for round in 1..=MAX_RESTARTS {
        let effects = update(&mut app, Action::BridgeExited("exit code 1".into()));
        assert_eq!(effects[0], Effect::RestartBridge, "round {round}");
        assert_eq!(sent(&effects[1]).1, "initialize");
        assert!(app.note.as_ref().is_some_and(|n| n.text.contains("restarted")));
    }
    assert!(update(&mut app, Action::BridgeExited("exit code 1".into())).is_empty());
    assert!(matches!(app.bridge, BridgeState::Down(_)));
}

#[test]
fn secrets_are_shown_as_dots() {
    let mut app = ready_app();
    press(&mut app, &[Action::Char('3')]);
    app.screens.providers.type_selected =
        chi_tui::providers::types(&app.schemas).iter().position(|s| s.kind == "openai").expect("openai");
    press(&mut app, &[Action::Enter]);
    focus_field(&mut app, "api_key");
    type_text(&mut app, "sk-secret");
    let field = app.screens.providers.form.as_ref().and_then(|f| f.field("api_key")).expect("field").clone();
    assert_eq!(field.shown(), "•••••••••");
    assert_eq!(field.value, "sk-secret");
}

#[test]
fn a_key_is_never_written_into_the_project_file() {
    let mut app = ready_app();
    press(&mut app, &[Action::Char('3')]);
    app.screens.providers.type_selected =
        chi_tui::providers::types(&app.schemas).iter().position(|s| s.kind == "openai").expect("openai");
    press(&mut app, &[Action::Enter]);
    focus_field(&mut app, "api_key");
    type_text(&mut app, "sk-secret-value");
    let test = press(&mut app, &[Action::Test]);
    answer(&mut app, &test[0], report(true, "reachable"));
    press(&mut app, &[Action::Save]);
    assert!(press(&mut app, &[Action::Enter]).is_empty());
    let note = app.note.clone().expect("a reason");
    assert!(note.text.contains("api_key") && note.text.contains("global"), "{}", note.text);
    press(&mut app, &[Action::Char('g')]);
    let add = press(&mut app, &[Action::Enter]);
    let (_, method, params) = sent(&add[0]);
    assert_eq!((method.as_str(), params["scope"].as_str()), ("providers/add", Some("global")));
    assert_eq!(params["profile"]["api_key"], "sk-secret-value"); // only ever inside a request body
}

#[test]
fn a_bridge_that_does_not_answer_the_handshake_is_reported_once() {
    let mut app = App::new("/tmp/chi-tui.log");
    let hello = app.start();
    app.now = 5.0;
    update(&mut app, Action::Tick);
    assert!(app.note.is_none()); // a slow start is normal at first
    app.now = 31.0;
    update(&mut app, Action::Tick);
    let note = app.note.clone().expect("a note");
    assert!(note.text.contains("has not answered") && note.text.contains("/tmp/chi-tui.log"), "{}", note.text);
    app.note = None;
    app.now = 40.0;
    update(&mut app, Action::Tick);
    assert!(app.note.is_none()); // said once
    answer(
        &mut app,
        &hello[0],
        json!({"protocol_version": "1", "chi_llm_version": "0.1.0", "capabilities": {"methods": [], "notifications": []}}),
    );
    assert!(matches!(app.bridge, BridgeState::Ready { .. })); // still waiting, then it answers
}
