//! Help cannot drift from what keys do: on every screen, in each of its states, every key is
//! pressed through the screen's own handling (`dispatch`, without the key table's check). A key
//! that does something must be in that state's table (which help and the key bar are drawn
//! from), and every key a table lists must do something in one of the states that use it.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chi_tui::app::{dispatch, update, Action, App};
use chi_tui::form::Focus;
use chi_tui::keymap::Key;
use chi_tui::protocol::ServedModel;
use chi_tui::ui::{MIN_HEIGHT, MIN_WIDTH};
use chi_tui::wizard::Step;
use common::*;
use serde_json::json;

/// The keys as they arrive in `app`'s state: while a text field has focus a letter is text
/// (`Insert`), elsewhere it is a key (`Char`).
fn keys_for(app: &App) -> Vec<Action> {
    let typing = app.typing();
    every_key()
        .into_iter()
        .filter(|a| !matches!(a, Action::Char(_) if typing) && !matches!(a, Action::Insert(_) if !typing))
        .collect()
}

fn every_key() -> Vec<Action> {
    let mut keys = vec![
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::Enter,
        Action::Esc,
        Action::Tab,
        Action::BackTab,
        Action::Backspace,
        Action::Delete,
        Action::ClearLine,
        Action::Home,
        Action::End,
        Action::PageUp,
        Action::PageDown,
        Action::Help,
        Action::Quit,
        Action::Test,
        Action::Save,
        Action::FindUrl,
        Action::Browse,
        Action::Insert('x'),
    ];
    keys.extend((' '..='~').map(Action::Char));
    keys
}

/// Whether the screen's own handling of `action` changes anything or asks for anything.
fn does_something(app: &App, action: &Action) -> bool {
    let mut after = app.clone();
    let effects = dispatch(&mut after, action.clone());
    !effects.is_empty() || after != *app
}

fn with(mut app: App, actions: &[Action]) -> App {
    press(&mut app, actions);
    app
}

fn chat() -> App {
    let mut app = with(ready_app(), &[Action::Char('1')]);
    type_text(&mut app, "hello");
    app.screens.chat.input.cursor = 2;
    app.screens.chat.scroll = 3;
    app
}

/// A tool call waiting for y, n or a (the bridge's golden messages, tools.jsonl).
fn chat_approving() -> App {
    let mut app = chat_with_tools();
    type_text(&mut app, "add 2 and 3");
    let start = update(&mut app, Action::Enter);
    deliver(&mut app, &tool_replies(1, sent(&start[0]).0));
    type_text(&mut app, "x"); // not text while it asks
    assert!(app.screens.chat.approval.is_some() && app.screens.chat.input.value.is_empty());
    app.screens.chat.scroll = 3;
    app
}

fn models_list() -> App {
    let mut app = models_app();
    app.screens.models.selected = 1;
    app
}

fn models_downloading() -> App {
    let mut app = models_app();
    select(&mut app, "gemma-3-270m");
    update(&mut app, Action::Char('d'));
    app
}

fn models_filtering() -> App {
    let mut app = with(models_list(), &[Action::Char('/')]);
    type_text(&mut app, "qwen");
    app.screens.models.filter.cursor = 2; // (typing put the selection on the first match)
    app
}

fn models_hub() -> App {
    let mut app = with(models_list(), &[Action::Char('h')]);
    type_text(&mut app, "owner/repo");
    if let Some(hub) = app.screens.models.hub.as_mut() {
        hub.cursor = 5; // (mid-text, so that every editing key moves or deletes something)
    }
    app
}

fn models_remove() -> App {
    let mut app = models_app();
    select(&mut app, "smollm2-135m");
    app.screens.models.catalog[0].downloaded = true;
    with(app, &[Action::Char('x')])
}

fn models_advice() -> App {
    let mut app = models_app();
    app.screens.models.recommendation = Some(Err("no advice".into()));
    app
}

fn form_text() -> App {
    let mut app = ready_app();
    ollama_form(&mut app);
    if let Some(form) = app.screens.providers.form.as_mut() {
        form.fields[0].cursor = 2;
    }
    app
}

fn form_buttons() -> App {
    let mut app = form_text();
    if let Some(form) = app.screens.providers.form.as_mut() {
        form.focus = Focus::Button(1);
    }
    app
}

fn browser() -> App {
    let mut app = with(form_text(), &[Action::Browse]);
    if let Some(browser) = app.screens.providers.browser.as_mut() {
        browser.loading = false;
        browser.models = ["llama3.2", "qwen3:0.6b"]
            .iter()
            .map(|id| serde_json::from_value::<ServedModel>(json!({"id": id})).expect("a model"))
            .collect();
    }
    app
}

fn save() -> App {
    let mut app = ready_app();
    let profile = |id: &str, kind: &str| json!({"id": id, "type": kind, "tags": [], "priority": 100, "settings": {}, "default": false});
    app.profiles =
        serde_json::from_value(json!([profile("home", "ollama"), profile("work", "openai")])).expect("profiles");
    let mut app = with(app, &[Action::Char('4')]);
    app.screens.save.selected = 1;
    app
}

fn diagnostics() -> App {
    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    answer(&mut app, &run[0], fixture_result("project.jsonl", "diagnostics/run"));
    app.screens.diag.scroll = 3;
    app
}

fn export() -> App {
    let mut app = with(diagnostics(), &[Action::Char('e')]);
    if let Some(input) = app.screens.diag.export.as_mut() {
        input.cursor = 2;
    }
    app
}

fn wizard_at(step: Step) -> App {
    let mut app = with(models_app(), &[Action::Esc, Action::Char('6')]);
    app.screens.wizard.step = step;
    app.screens.wizard.provider = 1;
    app.screens.wizard.local_model = 1;
    app.screens.wizard.extras = 1;
    app.screens.wizard.folder = chi_tui::input::TextInput::new("./app");
    app.screens.wizard.folder.cursor = 2;
    app
}

fn wizard_remote_model() -> App {
    let mut app = wizard_at(Step::Model);
    app.screens.wizard.provider = 1; // ollama: the model is typed (or chosen from the server's list)
    type_text(&mut app, "llama3.2");
    app.screens.wizard.model.cursor = 2;
    app
}

fn wizard_served() -> App {
    let mut app = with(wizard_remote_model(), &[Action::Browse]);
    app.screens.wizard.served = Some(Ok(vec!["a".into(), "b".into(), "c".into()]));
    app.screens.wizard.served_selected = 1;
    app
}

fn wizard_preview(confirm: bool) -> App {
    let (mut app, _) = wizard_at_preview(confirm);
    app.screens.wizard.scroll = 3;
    if confirm {
        update(&mut app, Action::Enter);
        assert!(app.screens.wizard.confirm);
    }
    app
}

fn states() -> Vec<(&'static str, App)> {
    let mut welcome_quit = ready_app();
    update(&mut welcome_quit, Action::Esc);
    vec![
        ("welcome", ready_app()),
        ("welcome, asking to quit", welcome_quit),
        ("help", with(ready_app(), &[Action::Char('?')])),
        ("chat", chat()),
        ("chat, approving a tool call", chat_approving()),
        ("models", models_list()),
        ("models, downloading", models_downloading()),
        ("models, filtering", models_filtering()),
        ("models, removing", models_remove()),
        ("models, hub reference", models_hub()),
        ("models, default", with(models_list(), &[Action::Char('s')])),
        ("models, advice", models_advice()),
        ("provider types", with(ready_app(), &[Action::Char('3'), Action::Down])),
        ("provider form, text field", form_text()),
        ("provider form, buttons", form_buttons()),
        ("provider form, model browser", browser()),
        ("save", save()),
        ("diagnostics", diagnostics()),
        ("diagnostics, export", export()),
        ("wizard, folder", wizard_at(Step::Folder)),
        ("wizard, provider", wizard_at(Step::Provider)),
        ("wizard, local model", wizard_at(Step::Model)),
        ("wizard, server's model", wizard_remote_model()),
        ("wizard, server's list", wizard_served()),
        ("wizard, format", wizard_at(Step::Format)),
        ("wizard, extras", wizard_at(Step::Extras)),
        ("wizard, preview", wizard_preview(false)),
        ("wizard, overwrite?", wizard_preview(true)),
        ("wizard, done", wizard_at(Step::Done)),
    ]
}

fn examples(app: &App, key: Key) -> Vec<Action> {
    keys_for(app).into_iter().filter(|a| key.matches(a)).collect()
}

#[test]
fn every_key_a_screen_answers_is_in_its_table_and_every_listed_key_does_something() {
    let mut unlisted = Vec::new();
    // (table, "key (what)") → whether a state using that table answered the key; a table shared
    // by several states needs each key to work in one of them.
    let mut works: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut names: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (name, app) in states() {
        let table = app.keys();
        let id = format!("{table:?}");
        names.entry(id.clone()).or_default().insert(name);
        for action in keys_for(&app) {
            if does_something(&app, &action) && !table.iter().any(|b| b.matches(&action)) {
                unlisted.push(format!("{name}: {action:?} does something but help does not list it"));
            }
        }
        for binding in &table {
            for key in binding.keys.iter().filter(|k| **k != Key::Any) {
                let acts = examples(&app, *key).iter().any(|a| does_something(&app, a));
                *works.entry((id.clone(), format!("{} ({})", key.name(), binding.what))).or_default() |= acts;
            }
        }
    }
    assert!(unlisted.is_empty(), "{unlisted:#?}");
    let idle: Vec<String> =
        works.iter().filter(|(_, acts)| !**acts).map(|((id, key), _)| format!("{:?}: {key}", names[id])).collect();
    assert!(idle.is_empty(), "listed in help but doing nothing: {idle:#?}");
}

#[test]
fn a_key_the_table_does_not_list_does_nothing() {
    for (name, app) in states() {
        for action in keys_for(&app) {
            if !app.keys().iter().any(|b| b.matches(&action)) {
                let mut after = app.clone();
                assert!(update(&mut after, action.clone()).is_empty(), "{name}: {action:?}");
                assert!(after == app, "{name}: {action:?} changed the state");
            }
        }
    }
}

#[test]
fn help_lists_the_screen_s_own_keys() {
    // On Models, d downloads (the old static help said "review: default").
    let mut app = models_app();
    update(&mut app, Action::Char('?'));
    let shown = render(&app, 80, 24);
    assert!(shown.contains("Keys · Models"), "{shown}");
    assert!(shown.contains("d Enter") && shown.contains("download"), "{shown}");
    assert!(!shown.contains("review"), "{shown}");
    insta::assert_snapshot!("help_models_80x24", shown);
    insta::assert_snapshot!("help_models_small", render(&app, MIN_WIDTH, MIN_HEIGHT));
    let mut app = save();
    update(&mut app, Action::Char('?'));
    let shown = render(&app, 80, 24);
    assert!(shown.contains("Keys · Build / Save") && shown.contains("d Space"), "{shown}");
    assert!(!shown.contains("download"), "{shown}");
}
