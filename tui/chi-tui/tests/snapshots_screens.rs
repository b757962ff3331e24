//! Snapshots of the Models, Diagnostics, New project and Chat screens in each state (empty,
//! loading, progress, error), at 80x24 and at the smallest supported size.

mod common;

use chi_tui::app::{update, Action, App};
use chi_tui::protocol::Incoming;
use chi_tui::ui::{MIN_HEIGHT, MIN_WIDTH};
use common::*;
use serde_json::json;

fn notify(app: &mut App, method: &str, params: serde_json::Value) {
    update(app, Action::Bridge(Incoming::Notification { method: method.into(), params }));
}

#[test]
fn models_loading_and_listed() {
    let mut app = ready_app();
    update(&mut app, Action::Char('2'));
    insta::assert_snapshot!("models_loading_80x24", render(&app, 80, 24));
    let app = models_app();
    both!("models_list", &app);
}

#[test]
fn models_filtered_by_text() {
    let mut app = models_app();
    update(&mut app, Action::Char('/'));
    for c in "qwen".chars() {
        update(&mut app, Action::Insert(c));
    }
    both!("models_filter", &app);
}

#[test]
fn models_download_progress_and_cancelled() {
    let mut app = models_app();
    select(&mut app, "gemma-3-270m");
    let start = update(&mut app, Action::Char('d'));
    let (id, _, _) = sent(&start[0]);
    for (t, done) in [(1.0, 50_600_000_u64), (3.0, 101_200_000)] {
        app.now = t;
        notify(
            &mut app,
            "models/download/progress",
            json!({"id": id, "model": "gemma-3-270m", "phase": "download", "done": done, "total": 253_000_000}),
        );
    }
    both!("models_downloading", &app);
    update(&mut app, Action::Char('c'));
    let error = chi_tui::protocol::RpcError { code: -32800, message: "cancelled".into(), data: None };
    update(&mut app, Action::Bridge(Incoming::Response { id: json!(id), outcome: Err(error) }));
    insta::assert_snapshot!("models_cancelled_80x24", render(&app, 80, 24));
}

#[test]
fn models_other_tools_file_and_remove_confirmation() {
    let mut app = models_app();
    select(&mut app, "ollama:llama3.2:1b");
    insta::assert_snapshot!("models_other_tool_80x24", render(&app, 80, 24));
    select(&mut app, "smollm2-135m");
    app.screens.models.catalog[0].downloaded = true;
    app.screens.models.catalog[0].path = Some("/home/me/.cache/chi_llm/models/SmolLM2-135M-Instruct.Q4_1.gguf".into());
    update(&mut app, Action::Char('x'));
    both!("models_remove", &app);
}

#[test]
fn models_recommendation() {
    let mut app = models_app();
    let ask = update(&mut app, Action::Char('r'));
    insta::assert_snapshot!("models_recommending_80x24", render(&app, 80, 24));
    let mut choice = fixture_result("models.jsonl", "models/info");
    choice["reason"] = json!("SmolLM2 135M Instruct: the only model small enough for 1 GiB of free memory.");
    choice["alternatives"] = json!(["gemma-3-270m"]);
    answer(&mut app, &ask[0], choice);
    insta::assert_snapshot!("models_recommended_80x24", render(&app, 80, 24));
}

fn diagnostics_app() -> App {
    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    let mut report = fixture_result("project.jsonl", "diagnostics/run");
    report["elapsed_ms"] = json!(2100.0);
    let checks = report["checks"].as_array_mut().expect("checks");
    for check in checks.iter_mut() {
        check["value"] = json!(null); // what this machine measured: varies
    }
    checks[3]["status"] = json!("warn");
    checks[3]["fix"] = json!("This CPU has no AVX2: generation is slow; prefer a model tagged tiny.");
    checks[6]["status"] = json!("fail");
    checks[6]["fix"] = json!("Reinstall llama-cpp-python: pip install --force-reinstall llama-cpp-python");
    answer(&mut app, &run[0], report);
    app
}

#[test]
fn diagnostics_running_report_and_export() {
    let mut app = ready_app();
    update(&mut app, Action::Char('5'));
    insta::assert_snapshot!("diagnostics_running_80x24", render(&app, 80, 24));
    let mut app = diagnostics_app();
    both!("diagnostics_report", &app);
    update(&mut app, Action::Char('e'));
    insta::assert_snapshot!("diagnostics_export_80x24", render(&app, 80, 24));
}

#[test]
fn wizard_steps_preview_and_confirmation() {
    let mut app = models_app();
    app.screen = chi_tui::app::Screen::Welcome;
    update(&mut app, Action::Char('6'));
    both!("wizard_folder", &app);
    update(&mut app, Action::Enter);
    both!("wizard_provider", &app);
    let (mut app, _) = wizard_at_preview(true);
    both!("wizard_preview", &app);
    update(&mut app, Action::Enter);
    insta::assert_snapshot!("wizard_confirm_80x24", render(&app, 80, 24));
    let forced = update(&mut app, Action::Char('y')); // the plan with the files replaced, shown first
    let mut plan = fixture_result("project.jsonl", "bootstrap/preview");
    plan["folder"] = json!("/home/me/app");
    plan["force"] = json!(true);
    let moved = json!({"path": "/home/me/app/.chi_llm.yaml", "content": "model: qwen3-0.6b\n", "action": "move",
        "existing": "model: qwen3-0.6b\n", "reason": null, "backup": "/home/me/app/.chi_llm.yaml.bak"});
    let files = plan["files"].as_array_mut().expect("files");
    for file in files.iter_mut() {
        let name = file["path"].as_str().expect("path").rsplit('/').next().expect("name").to_string();
        file["path"] = json!(format!("/home/me/app/{name}"));
    }
    files[0]["content"] = json!("{\n  \"model\": \"smollm2-135m\"\n}\n");
    files.insert(1, moved);
    answer(&mut app, &forced[0], plan);
    insta::assert_snapshot!("wizard_forced_preview_80x24", render(&app, 80, 24));
}

#[test]
fn chat_empty_streaming_and_answered() {
    let mut app = ready_app();
    update(&mut app, Action::Char('1'));
    both!("chat_empty", &app);
    for c in "Write a haiku about the sea".chars() {
        update(&mut app, Action::Insert(c));
    }
    app.now = 1.0;
    let start = update(&mut app, Action::Enter);
    let (id, _, _) = sent(&start[0]);
    for (at, piece) in [(1.5, "Waves"), (1.6, " fold"), (1.7, " into"), (1.8, " foam")] {
        app.now = at; // the first piece after a 0.5 s wait (a model loading): not counted in the rate
        notify(&mut app, "generate/delta", json!({"id": id, "text": piece}));
    }
    app.now = 2.0;
    both!("chat_streaming", &app);
    app.now = 3.0;
    let done = json!({"text": "Waves fold into foam\nsalt wind carries gull voices\nthe tide keeps its time", "finish_reason": "stop", "usage": {"prompt_tokens": 12, "completion_tokens": 16}, "model": "smollm2-135m"});
    answer(&mut app, &start[0], done);
    both!("chat_answered", &app);
}

#[test]
fn errors_are_shown_where_they_happened() {
    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    let error = chi_tui::protocol::RpcError {
        code: -32603,
        message: "RuntimeError: no /proc on this system".into(),
        data: None,
    };
    update(&mut app, Action::Bridge(Incoming::Response { id: json!(sent(&run[0]).0), outcome: Err(error) }));
    insta::assert_snapshot!("diagnostics_error_80x24", render(&app, 80, 24));
    let (mut app, _) = wizard_at_preview(false);
    app.screens.wizard.step = chi_tui::wizard::Step::Extras;
    let preview = update(&mut app, Action::Enter);
    let error = chi_tui::protocol::RpcError {
        code: -32000,
        message: "anthropic needs a model: pass --model-id NAME (the name it serves)".into(),
        data: Some(chi_tui::protocol::ErrorData { kind: "invalid_request".into(), backend: "chi_llm".into() }),
    };
    update(&mut app, Action::Bridge(Incoming::Response { id: json!(sent(&preview[0]).0), outcome: Err(error) }));
    insta::assert_snapshot!("wizard_error_80x24", render(&app, 80, 24));
}

#[test]
fn diagnostics_show_bytes_as_the_cli_does() {
    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    let mut report = fixture_result("project.jsonl", "diagnostics/run");
    let checks = report["checks"].as_array_mut().expect("checks");
    let memory = checks.iter_mut().find(|c| c["id"] == json!("system.memory")).expect("a memory check");
    memory["value"] = json!({"total_bytes": 25_232_932_864_u64, "available_bytes": 23_622_320_128_u64});
    answer(&mut app, &run[0], report);
    let shown = render(&app, 80, 24);
    assert!(shown.contains("22.0 GiB available of 23.5 GiB"), "{shown}");
    assert!(!shown.contains("_bytes"), "{shown}");
}

#[test]
fn chat_tool_call_asking_then_answered_and_refused() {
    let mut app = chat_with_tools();
    type_text(&mut app, "add 2 and 3");
    let start = update(&mut app, Action::Enter);
    let (id, _, _) = sent(&start[0]);
    deliver(&mut app, &tool_replies(1, id));
    both!("chat_tool_asking", &app);
    let approve = update(&mut app, Action::Char('y'));
    answer(&mut app, &approve[0], json!({}));
    deliver(&mut app, &tool_replies(2, id));
    type_text(&mut app, "add 2 and 3 again");
    let again = update(&mut app, Action::Enter);
    let (id, _, _) = sent(&again[0]);
    deliver(&mut app, &tool_replies(3, id));
    let deny = update(&mut app, Action::Char('n'));
    answer(&mut app, &deny[0], json!({}));
    deliver(&mut app, &tool_replies(4, id));
    both!("chat_tool_answered_and_refused", &app);
}
