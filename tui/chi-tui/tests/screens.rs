//! `update` for the Models, Diagnostics, New project and Chat screens.

mod common;

use chi_tui::app::{update, Action, Effect, Screen};
use chi_tui::chat::Role;
use chi_tui::models::{Confirm, DownloadState};
use chi_tui::protocol::{Incoming, RpcError};
use chi_tui::wizard::Step;
use common::*;
use serde_json::json;

/// The chat's status line as the screen draws it (model, provider, tokens, speed).
fn chat_status(app: &chi_tui::app::App) -> String {
    app.screens.chat.status(&app.seen())
}

fn notify(app: &mut chi_tui::app::App, method: &str, params: serde_json::Value) {
    update(app, Action::Bridge(Incoming::Notification { method: method.into(), params }));
}

fn cancelled(app: &mut chi_tui::app::App, effect: &Effect) {
    let (id, _, _) = sent(effect);
    let error = RpcError { code: -32800, message: "cancelled".into(), data: None };
    update(app, Action::Bridge(Incoming::Response { id: json!(id), outcome: Err(error) }));
}

#[test]
fn the_table_joins_the_catalog_and_other_tools_files_and_filters() {
    let mut app = models_app();
    let entries = app.screens.models.entries();
    assert_eq!(entries.len(), 26);
    assert!(entries.iter().any(|e| e.id == "ollama:llama3.2:1b" && e.catalog.is_none()));
    assert!(!app.typing());
    update(&mut app, Action::Char('/'));
    assert!(app.typing());
    for c in "qwen3".chars() {
        update(&mut app, Action::Insert(c));
    }
    assert!(app.screens.models.entries().iter().all(|e| e.id.contains("qwen3")));
    assert!(!app.quitting); // 'q' was text
    update(&mut app, Action::Enter);
    assert!(!app.typing());
    update(&mut app, Action::Char('t'));
    let tag = app.screens.models.tag.clone().expect("a tag");
    assert!(app.screens.models.entries().iter().all(|e| e.tags().contains(&tag)));
}

#[test]
fn a_download_shows_progress_speed_and_eta_and_can_be_cancelled_and_resumed() {
    let mut app = models_app();
    select(&mut app, "gemma-3-270m");
    let start = update(&mut app, Action::Char('d'));
    let (request, method, params) = sent(&start[0]);
    assert_eq!((method.as_str(), params), ("models/download", json!({"model": "gemma-3-270m"})));
    for (t, done) in [(1.0, 10_000_000_u64), (2.0, 30_000_000)] {
        app.now = t;
        notify(
            &mut app,
            "models/download/progress",
            json!({"id": request, "model": "gemma-3-270m", "phase": "download", "done": done, "total": 253_000_000}),
        );
    }
    let download = app.screens.models.downloads.get("gemma-3-270m").expect("running").clone();
    assert_eq!(download.done, 30_000_000);
    assert!((download.speed().expect("speed") - 15_000_000.0).abs() < 1.0); // 30 MB in 2 s
    assert!((download.eta().expect("eta") - 223_000_000.0 / 15_000_000.0).abs() < 0.01);

    let cancel = update(&mut app, Action::Char('c'));
    let Effect::Send(line) = &cancel[0] else { panic!("{cancel:?}") };
    let line: serde_json::Value = serde_json::from_str(line).expect("JSON");
    assert_eq!(line, json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request}}));
    cancelled(&mut app, &start[0]);
    assert_eq!(app.screens.models.downloads["gemma-3-270m"].state, DownloadState::Cancelled);

    let again = update(&mut app, Action::Char('d'));
    assert_eq!(sent(&again[0]).1, "models/download");
    assert!(app.note.as_ref().is_some_and(|n| n.text.starts_with("Resuming")));
    let refresh = answer(&mut app, &again[0], json!({"path": "/m/gemma.gguf"}));
    assert!(!app.screens.models.downloads.contains_key("gemma-3-270m"));
    let entry = app.screens.models.entries().into_iter().find(|e| e.id == "gemma-3-270m").expect("listed");
    assert!(entry.downloaded()); // before the refreshed list comes back
    assert_eq!(entry.catalog.and_then(|m| m.path).as_deref(), Some("/m/gemma.gguf"));
    assert_eq!(
        refresh.iter().map(|e| sent(e).1).collect::<Vec<_>>(),
        ["models/list", "models/installed", "models/disk"]
    );
}

#[test]
fn a_dead_bridge_leaves_downloads_and_answers_interrupted() {
    let mut app = models_app();
    select(&mut app, "gemma-3-270m");
    update(&mut app, Action::Char('d'));
    app.screen = Screen::Chat;
    app.screens.chat.input = chi_tui::input::TextInput::new("hi");
    update(&mut app, Action::Enter);
    update(&mut app, Action::BridgeExited("killed by a signal".into()));
    assert_eq!(app.screens.models.downloads["gemma-3-270m"].state, DownloadState::Interrupted);
    assert!(app.screens.chat.streaming.is_none());
    assert!(app.screens.chat.turns.iter().any(|t| t.role == Role::Note && t.text.contains("bridge stopped")));
}

#[test]
fn removing_names_the_file_and_the_bytes_and_never_touches_other_tools_files() {
    let mut app = models_app();
    select(&mut app, "ollama:llama3.2:1b");
    assert!(update(&mut app, Action::Char('x')).is_empty());
    assert!(app.screens.models.confirm.is_none());
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("never removes other tools' files")));
    select(&mut app, "smollm2-135m");
    app.screens.models.catalog[0].downloaded = true;
    app.screens.models.catalog[0].path = Some("/m/SmolLM2.gguf".into());
    update(&mut app, Action::Char('x'));
    let Some(Confirm::Remove { path, bytes, .. }) = app.screens.models.confirm.clone() else {
        panic!("no confirmation")
    };
    assert_eq!((path.as_str(), bytes), ("/m/SmolLM2.gguf", 98_362_432));
    assert!(update(&mut app, Action::Char('n')).is_empty());
    update(&mut app, Action::Char('x'));
    let remove = update(&mut app, Action::Char('y'));
    assert_eq!(sent(&remove[0]).2, json!({"id": "smollm2-135m"}));
    answer(&mut app, &remove[0], json!({"freed_bytes": 98_362_432}));
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("94 MiB freed")));
}

#[test]
fn set_default_asks_for_the_scope() {
    let mut app = models_app();
    select(&mut app, "gemma-3-270m");
    update(&mut app, Action::Char('s'));
    let set = update(&mut app, Action::Char('g'));
    assert_eq!(sent(&set[0]).2, json!({"id": "gemma-3-270m", "scope": "global"}));
}

#[test]
fn diagnostics_run_then_export_through_a_file_effect() {
    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    assert_eq!(app.screen, Screen::Diagnostics);
    answer(&mut app, &run[0], fixture_result("project.jsonl", "diagnostics/run"));
    assert!(app.screens.diag.report.as_ref().is_some_and(|r| !r.checks.is_empty()));
    update(&mut app, Action::Char('e'));
    assert!(app.typing());
    for _ in 0..5 {
        update(&mut app, Action::Backspace); // ".json"
    }
    for c in ".txt".chars() {
        update(&mut app, Action::Insert(c));
    }
    let write = update(&mut app, Action::Enter);
    let [Effect::WriteFile { path, content }] = write.as_slice() else { panic!("{write:?}") };
    assert_eq!(path, "chi_llm_diagnostics.txt");
    let written: serde_json::Value = serde_json::from_str(content).expect("JSON");
    assert_eq!(written["format"], "chi_llm.diagnostics/1");
    update(&mut app, Action::FileWritten(Ok("/w/chi_llm_diagnostics.txt".into())));
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("/w/chi_llm_diagnostics.txt")));
}

/// Opening the wizard has the Models screen read the catalog (the wizard picks from it) only
/// while it was never read, and starts the wizard afresh each time.
#[test]
fn the_wizard_reads_the_catalog_once_and_opens_afresh() {
    let mut app = ready_app();
    let asked = update(&mut app, Action::Char('6'));
    let methods: Vec<String> = asked.iter().map(|e| sent(e).1).collect();
    assert_eq!(methods, ["models/list", "models/installed", "models/disk"]);
    assert_eq!(app.screen, Screen::Wizard);
    answer(&mut app, &asked[0], fixture_result("models.jsonl", "models/list"));
    assert!(app.screens.models.loaded && !app.screens.models.catalog.is_empty());
    update(&mut app, Action::Enter); // past the folder
    assert_eq!(app.screens.wizard.step, Step::Provider);
    app.screen = Screen::Welcome;
    assert!(update(&mut app, Action::Char('6')).is_empty()); // read already
    assert_eq!((app.screen, app.screens.wizard.step), (Screen::Wizard, Step::Folder));
}

#[test]
fn the_wizard_previews_then_asks_before_overwriting() {
    let mut app = models_app();
    app.screen = Screen::Welcome;
    update(&mut app, Action::Char('6'));
    assert_eq!(app.screens.wizard.step, Step::Folder);
    assert!(app.typing());
    update(&mut app, Action::Backspace);
    for c in "app".chars() {
        update(&mut app, Action::Insert(c));
    }
    update(&mut app, Action::Enter); // folder
    update(&mut app, Action::Down); // ollama, a new profile
    update(&mut app, Action::Enter);
    assert!(app.typing()); // its model is typed
    for c in "llama3.2".chars() {
        update(&mut app, Action::Insert(c));
    }
    update(&mut app, Action::Enter); // model
    update(&mut app, Action::Down); // YAML
    update(&mut app, Action::Enter);
    let preview = update(&mut app, Action::Enter); // extras: standard
    let (_, method, params) = sent(&preview[0]);
    assert_eq!(method, "bootstrap/preview");
    assert_eq!(
        params,
        json!({"path": "app", "provider": "ollama", "model": "llama3.2", "yaml": true, "extras": "standard", "force": false})
    );
    let mut plan = fixture_result("project.jsonl", "bootstrap/preview");
    plan["files"][0]["existing"] = json!("{}\n");
    plan["files"][0]["action"] = json!("skip");
    plan["digest"] = json!("kept-as-shown");
    answer(&mut app, &preview[0], plan);
    assert!(update(&mut app, Action::Enter).is_empty()); // a file is left alone: ask first
    assert!(app.screens.wizard.confirm);
    // 'y' does not write: it shows the plan with the files replaced, which Enter then writes.
    let forced = update(&mut app, Action::Char('y'));
    let (_, method, params) = sent(&forced[0]);
    assert_eq!((method.as_str(), params["force"].clone()), ("bootstrap/preview", json!(true)));
    assert!(!app.screens.wizard.confirm && app.screens.wizard.plan.is_none());
    let mut plan = fixture_result("project.jsonl", "bootstrap/preview");
    plan["files"][0]["action"] = json!("overwrite");
    plan["force"] = json!(true);
    plan["digest"] = json!("the-forced-plan");
    answer(&mut app, &forced[0], plan);
    let write = update(&mut app, Action::Enter); // no second question: this plan was asked for
    let (_, method, params) = sent(&write[0]);
    assert_eq!(method, "bootstrap/write");
    assert_eq!((params["force"].clone(), params["expect"].clone()), (json!(true), json!("the-forced-plan")));
    answer(&mut app, &write[0], fixture_result("project.jsonl", "bootstrap/write"));
    assert_eq!(app.screens.wizard.step, Step::Done);
}

#[test]
fn the_wizard_writes_only_the_rest_when_told_no() {
    let mut app = models_app();
    app.screen = Screen::Welcome;
    update(&mut app, Action::Char('6'));
    for _ in 0..4 {
        update(&mut app, Action::Enter); // ".", local, its model, JSON
    }
    let preview = update(&mut app, Action::Enter); // extras
    let mut plan = fixture_result("project.jsonl", "bootstrap/preview");
    plan["files"][0]["action"] = json!("skip");
    plan["files"][0]["reason"] = json!(".chi_llm.yaml already configures this folder");
    plan["digest"] = json!("as-shown");
    answer(&mut app, &preview.last().expect("preview").clone(), plan);
    update(&mut app, Action::Enter);
    assert!(app.screens.wizard.confirm);
    let write = update(&mut app, Action::Char('n'));
    let (_, method, params) = sent(&write[0]);
    assert_eq!(method, "bootstrap/write");
    assert_eq!((params["force"].clone(), params["expect"].clone()), (json!(false), json!("as-shown")));
}

#[test]
fn chat_status_says_when_the_cpu_is_busy() {
    let mut app = ready_app();
    update(&mut app, Action::Char('1'));
    let ask = |app: &mut chi_tui::app::App, threads: serde_json::Value| {
        for c in "hi".chars() {
            update(app, Action::Insert(c));
        }
        let start = update(app, Action::Enter);
        let usage = json!({"prompt_tokens": 3, "completion_tokens": 2});
        let result = json!({"text": "Hi", "finish_reason": "stop", "usage": usage, "model": "m", "threads": threads});
        answer(app, &start[0], result);
        chat_status(app)
    };
    let busy = ask(&mut app, json!({"used": 1, "most": 2, "changes": 1, "contended": true}));
    assert!(busy.ends_with("CPU busy: 1 thread"), "{busy}");
    let idle = ask(&mut app, json!({"used": 2, "most": 2, "changes": 0, "contended": false}));
    assert!(!idle.contains("CPU busy"), "{idle}");
    let remote = ask(&mut app, serde_json::Value::Null);
    assert!(!remote.contains("CPU busy") && remote.contains("3+2 tokens"), "{remote}");
    let busier = ask(&mut app, json!({"used": 3, "most": 8, "changes": 2, "contended": true}));
    assert!(busier.ends_with("CPU busy: 3 threads"), "{busier}");
}

#[test]
fn chat_streams_cancels_and_resets() {
    let mut app = ready_app();
    update(&mut app, Action::Char('1'));
    assert_eq!(app.screen, Screen::Chat);
    for c in "hi q".chars() {
        update(&mut app, Action::Insert(c));
    }
    assert!(!app.quitting);
    app.now = 10.0;
    let start = update(&mut app, Action::Enter);
    let (id, method, params) = sent(&start[0]);
    assert_eq!(
        (method.as_str(), params),
        ("generate/start", json!({"messages": [{"role": "user", "content": "hi q"}]}))
    );
    notify(&mut app, "generate/delta", json!({"id": id, "text": "Echo:"}));
    notify(&mut app, "generate/delta", json!({"id": id, "text": " hi"}));
    assert_eq!(app.screens.chat.turns.last().map(|t| t.text.as_str()), Some("Echo: hi"));
    app.now = 11.0;
    let stop = update(&mut app, Action::Esc);
    assert!(matches!(&stop[0], Effect::Send(line) if line.contains("$/cancelRequest")));
    assert_eq!(app.screen, Screen::Chat); // Esc stopped the answer; it did not leave
    cancelled(&mut app, &start[0]);
    assert!(app.screens.chat.streaming.is_none());
    assert_eq!(app.screens.chat.turns.last().map(|t| t.text.as_str()), Some("(answer stopped)"));

    for c in "again".chars() {
        update(&mut app, Action::Insert(c));
    }
    let next = update(&mut app, Action::Enter);
    let messages = sent(&next[0]).2["messages"].clone();
    assert_eq!(messages.as_array().map(Vec::len), Some(3)); // user, assistant, user: notes stay out
    answer(
        &mut app,
        &next[0],
        json!({"text": "Echo: again", "finish_reason": "stop", "usage": {"prompt_tokens": 5, "completion_tokens": 2}, "model": "fake"}),
    );
    assert!(chat_status(&app).contains("5+2 tokens"));
    for c in "/reset".chars() {
        update(&mut app, Action::Insert(c));
    }
    update(&mut app, Action::Enter);
    assert!(app.screens.chat.turns.is_empty());
    update(&mut app, Action::Esc);
    assert_eq!(app.screen, Screen::Welcome);
}

#[test]
fn the_wizard_offers_a_configured_profile_and_lists_its_models() {
    let mut app = models_app();
    app.profiles = serde_json::from_value(json!([
        {"id": "box", "type": "ollama", "tags": [], "priority": 100, "settings": {"base_url": "http://box:11434", "model": "llama3.2"}, "default": true}
    ]))
    .expect("profiles");
    app.screen = Screen::Welcome;
    update(&mut app, Action::Char('6'));
    update(&mut app, Action::Enter);
    update(&mut app, Action::Down); // the profile comes right after local
    update(&mut app, Action::Enter);
    assert_eq!(app.screens.wizard.model.value, "llama3.2"); // the profile's model, to keep or change
    let ask = update(&mut app, Action::Browse);
    assert_eq!(sent(&ask[0]).2, json!({"provider": "box"})); // by id: its address and key
    assert!(!app.typing());
    answer(&mut app, &ask[0], fixture_result("providers.jsonl", "providers/discover"));
    update(&mut app, Action::Down);
    update(&mut app, Action::Enter);
    assert_eq!(app.screens.wizard.model.value, "qwen3:0.6b");
    update(&mut app, Action::Enter);
    update(&mut app, Action::Enter);
    let preview = update(&mut app, Action::Enter);
    let params = sent(&preview[0]).2;
    assert_eq!((params["provider"].clone(), params["base_url"].clone()), (json!("ollama"), json!("http://box:11434")));
    assert_eq!(params["model"], "qwen3:0.6b");
}

#[test]
fn h_pulls_a_hub_reference_and_says_which_file_was_chosen() {
    let mut app = models_app();
    assert!(update(&mut app, Action::Char('h')).is_empty());
    assert!(app.typing()); // 'q', 'd', 'x' are text in the prompt now
    let drawn = render(&app, 100, 30);
    assert!(drawn.contains("Pull from the hub") && drawn.contains("hf:"), "{drawn}");
    type_text(&mut app, "org/Tiny-GGUF");
    let start = update(&mut app, Action::Enter);
    let (request, method, params) = sent(&start[0]);
    assert_eq!((method.as_str(), params), ("models/download", json!({"model": "hf:org/Tiny-GGUF"})));
    assert!(!app.typing() && app.screens.models.hub.is_none());
    let row =
        app.screens.models.entries().into_iter().find(|e| e.id == "hf:org/Tiny-GGUF").expect("a row while it runs");
    assert!(!row.downloaded());
    assert_eq!(app.screens.models.chosen().map(|e| e.id).as_deref(), Some("hf:org/Tiny-GGUF"));
    notify(
        &mut app,
        "models/download/progress",
        json!({"id": request, "model": "hf:org/Tiny-GGUF/t-Q8_0.gguf", "phase": "download", "done": 5, "total": 10}),
    );
    assert!(render(&app, 100, 30).contains("50% download"));
    let refresh = answer(
        &mut app,
        &start[0],
        json!({"path": "/m/org--Tiny-GGUF--t-Q8_0.gguf", "model": "hf:org/Tiny-GGUF/t-Q8_0.gguf", "chosen": "chose t-Q8_0.gguf (Q8_0, 0.0 GiB): the largest that fits"}),
    );
    let note = app.note.as_ref().map(|n| n.text.clone()).unwrap_or_default();
    assert!(note.contains("hf:org/Tiny-GGUF/t-Q8_0.gguf downloaded and verified: chose t-Q8_0.gguf"), "{note}");
    assert!(!app.screens.models.entries().iter().any(|e| e.id == "hf:org/Tiny-GGUF"));
    assert_eq!(
        refresh.iter().map(|e| sent(e).1).collect::<Vec<_>>(),
        ["models/list", "models/installed", "models/disk"]
    );
}

#[test]
fn a_failed_hub_pull_stays_listed_until_dropped_and_esc_closes_the_prompt() {
    let mut app = models_app();
    update(&mut app, Action::Char('h'));
    update(&mut app, Action::Esc);
    assert!(app.screens.models.hub.is_none() && app.screen == Screen::Models);
    update(&mut app, Action::Char('h'));
    assert!(update(&mut app, Action::Enter).is_empty()); // just "hf:": nothing to pull
    assert!(app.screens.models.hub.is_some() && app.note.as_ref().is_some_and(|n| n.text.contains("hf:owner/repo")));
    app.screens.models.hub = Some(chi_tui::input::TextInput::new("hf:org/x/../y.gguf"));
    let start = update(&mut app, Action::Enter);
    fail(&mut app, &start[0], "'hf:org/x/../y.gguf': the file must be a path inside the repository", "invalid_request");
    assert!(matches!(app.screens.models.downloads["hf:org/x/../y.gguf"].state, DownloadState::Failed(_)));
    select(&mut app, "hf:org/x/../y.gguf");
    assert!(update(&mut app, Action::Char('x')).is_empty());
    assert!(!app.screens.models.entries().iter().any(|e| e.id.starts_with("hf:")));
}
