//! Every screen and state rendered into ratatui's TestBackend and compared with insta
//! snapshots, at 80x24 and at the smallest supported size; below it, the size message.

mod common;

use chi_tui::app::{update, Action, App, Tone};
use chi_tui::ui::{MIN_HEIGHT, MIN_WIDTH};
use common::*;
use serde_json::json;

#[test]
fn welcome_starting() {
    let app = App::new("/tmp/chi-tui.log");
    both!("welcome_starting", &app);
}

#[test]
fn welcome_ready() {
    let mut app = ready_app();
    app.profiles = serde_json::from_value(fixture_result("providers.jsonl", "providers/list")).expect("profiles");
    both!("welcome_ready", &app);
}

#[test]
fn provider_types() {
    let mut app = ready_app();
    update(&mut app, Action::Char('3'));
    both!("provider_types", &app);
}

#[test]
fn provider_form() {
    let mut app = ready_app();
    ollama_form(&mut app);
    both!("provider_form", &app);
}

#[test]
fn provider_form_test_failed() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let test = update(&mut app, Action::Test);
    let message =
        "ollama at http://127.0.0.1:9 is not reachable (ConnectError); is the server running and the URL right?";
    answer(
        &mut app,
        &test[0],
        json!({"ok": false, "status": "unreachable", "latency_ms": 2.0, "message": message, "models": []}),
    );
    update(&mut app, Action::Save);
    both!("provider_form_test_failed", &app);
}

#[test]
fn provider_form_secret_masked() {
    let mut app = ready_app();
    update(&mut app, Action::Char('3'));
    app.screens.providers.type_selected =
        chi_tui::providers::types(&app.schemas).iter().position(|s| s.kind == "openai").expect("openai");
    update(&mut app, Action::Enter);
    for _ in 0..4 {
        update(&mut app, Action::Tab);
    }
    type_text(&mut app, "sk-very-secret");
    both!("provider_form_secret", &app);
}

#[test]
fn model_browser_states() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let discover = update(&mut app, Action::Browse);
    insta::assert_snapshot!("browser_loading_80x24", render(&app, 80, 24));
    answer(&mut app, &discover[0], fixture_result("providers.jsonl", "providers/discover"));
    both!("browser_models", &app);
}

#[test]
fn save_review_and_written() {
    let mut app = ready_app();
    ollama_form(&mut app);
    let test = update(&mut app, Action::Test);
    answer(
        &mut app,
        &test[0],
        json!({"ok": true, "status": "ok", "latency_ms": 4.0, "message": "reachable; 2 model(s) listed", "models": ["llama3.2"]}),
    );
    update(&mut app, Action::Save);
    both!("save_review", &app);
    let add = update(&mut app, Action::Enter);
    let read = answer(&mut app, &add[0], json!({"path": "/home/me/project/.chi_llm.json"}));
    answer(&mut app, &read[0], fixture_result("providers.jsonl", "config/read"));
    both!("save_written", &app);
}

#[test]
fn save_review_beside_the_embedded_fallback() {
    // The bridge lists `local` (the embedded model, in no file): the review must not call it saved.
    let mut app = ready_app();
    app.profiles = serde_json::from_value(fixture_result("providers.jsonl", "providers/list")).expect("profiles");
    ollama_form(&mut app);
    let test = update(&mut app, Action::Test);
    answer(
        &mut app,
        &test[0],
        json!({"ok": true, "status": "ok", "latency_ms": 4.0, "message": "reachable; 2 model(s) listed", "models": ["llama3.2"]}),
    );
    update(&mut app, Action::Save);
    both!("save_review_fallback", &app);
}

#[test]
fn help_overlay() {
    let mut app = ready_app();
    update(&mut app, Action::Help);
    both!("help", &app);
}

#[test]
fn bridge_down_message() {
    let mut app = App::new("/tmp/chi-tui.log");
    app.bridge = chi_tui::app::BridgeState::Down(
        "could not start `python3 -m chi_llm bridge` (No such file or directory); run chi-tui through `chi-llm ui`"
            .into(),
    );
    app.say(Tone::Bad, "could not start the bridge: see above");
    insta::assert_snapshot!("bridge_down_80x24", render(&app, 80, 24));
}

#[test]
fn too_small() {
    let app = ready_app();
    insta::assert_snapshot!("too_small", render(&app, 40, 10));
}

#[test]
fn welcome_asks_before_esc_quits() {
    let mut app = ready_app();
    assert!(update(&mut app, Action::Esc).is_empty());
    assert!(!app.quitting && app.screens.welcome.confirm_quit);
    insta::assert_snapshot!("welcome_quit_80x24", render(&app, 80, 24));
    update(&mut app, Action::Down); // any other key: stay (and the key does nothing else)
    assert!(!app.screens.welcome.confirm_quit && !app.quitting && app.screens.welcome.menu == 0);
    for answer in [Action::Esc, Action::Char('q'), Action::Char('y')] {
        update(&mut app, Action::Esc);
        assert_eq!(update(&mut app, answer), vec![chi_tui::app::Effect::Quit]);
        app.quitting = false;
    }
    update(&mut app, Action::Esc);
    assert_eq!(update(&mut app, Action::Quit), vec![chi_tui::app::Effect::Quit]); // Ctrl+C: at once, as always
    let mut app = ready_app();
    assert_eq!(update(&mut app, Action::Char('q')), vec![chi_tui::app::Effect::Quit]);
    // q: at once, as documented
}
