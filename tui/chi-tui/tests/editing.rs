//! Ctrl+U in every text field: it deletes from the start of the line to the cursor, as readline
//! does, through the same key path a terminal uses (`keys::action_for`, then `update`).

mod common;

use chi_tui::app::{update, Action, App};
use chi_tui::keys::action_for;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn ctrl_u(app: &mut App) {
    let action = action_for(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL), app.typing());
    assert_eq!(action, Some(Action::ClearLine));
    update(app, Action::ClearLine);
}

/// Type `text`, move the cursor 3 to the left, press Ctrl+U: the last 3 characters stay.
fn clears_to_the_cursor(app: &mut App, text: &str, value: impl Fn(&App) -> String) {
    assert!(app.typing());
    update(app, Action::End);
    for _ in 0..value(app).chars().count() {
        update(app, Action::Backspace);
    }
    type_text(app, text);
    press(app, &[Action::Left, Action::Left, Action::Left]);
    ctrl_u(app);
    let kept: String = text.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    assert_eq!(value(app), kept);
    type_text(app, "x");
    assert_eq!(value(app), format!("x{kept}")); // the cursor is at the start
}

#[test]
fn ctrl_u_clears_the_line_in_every_text_field() {
    let mut app = ready_app();
    ollama_form(&mut app);
    press(&mut app, &[Action::Tab, Action::Tab, Action::Tab]); // base_url
    clears_to_the_cursor(&mut app, "http://höst:11434", |a| {
        a.screens.providers.form.as_ref().and_then(|f| f.field("base_url")).map(|f| f.value.clone()).unwrap_or_default()
    });

    let mut app = ready_app();
    update(&mut app, Action::Char('1'));
    clears_to_the_cursor(&mut app, "tell me a story", |a| a.screens.chat.input.value.clone());

    let mut app = models_app();
    update(&mut app, Action::Char('/'));
    clears_to_the_cursor(&mut app, "qwen2.5", |a| a.screens.models.filter.value.clone());

    let mut app = ready_app();
    let run = update(&mut app, Action::Char('5'));
    answer(&mut app, &run[0], fixture_result("project.jsonl", "diagnostics/run"));
    update(&mut app, Action::Char('e'));
    clears_to_the_cursor(&mut app, "report.json", |a| {
        a.screens.diag.export.as_ref().map(|i| i.value.clone()).unwrap_or_default()
    });

    let mut app = models_app();
    press(&mut app, &[Action::Esc, Action::Char('6')]);
    clears_to_the_cursor(&mut app, "./my-app", |a| a.screens.wizard.folder.value.clone());
}
