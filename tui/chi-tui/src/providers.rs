//! Configure Provider: the type list, the generated form, the model browser, find-url, and a
//! Test that must pass before Save adds the profile to the configuration being built.

use serde_json::{json, Value};

use crate::app::{take, Action, App, Browser, Effect, Pane, Pending, Screen, Tone};
use crate::form::{Button, Form, Tested};
use crate::protocol::{decode, ConnectionReport, RpcError, ServedModel, UrlSearch};

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.browser.is_some() {
        return browse_keys(app, action);
    }
    match app.pane {
        Pane::Types => type_keys(app, action),
        Pane::Form => form_keys(app, action),
    }
}

fn type_keys(app: &mut App, action: Action) -> Vec<Effect> {
    let count = app.types().len();
    match action {
        Action::Up | Action::Char('k') if count > 0 => app.type_selected = (app.type_selected + count - 1) % count,
        Action::Down | Action::Char('j') if count > 0 => app.type_selected = (app.type_selected + 1) % count,
        Action::Enter | Action::Tab | Action::Right => {
            let schema = app.types().get(app.type_selected).map(|s| (*s).clone());
            if let Some(schema) = schema {
                app.form = Some(Form::new(&schema));
                app.pane = Pane::Form;
                app.note = None;
            }
        }
        Action::Esc | Action::Left => app.screen = Screen::Welcome,
        Action::Char('q') => return crate::app::update(app, Action::Quit),
        Action::Char('?') => app.help = true,
        Action::Char('s') => app.screen = Screen::Save,
        _ => {}
    }
    Vec::new()
}

fn form_keys(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        app.pane = Pane::Types;
        return Vec::new();
    };
    match action {
        Action::Up | Action::BackTab => form.previous(),
        Action::Down | Action::Tab => form.next(),
        Action::Left => form.horizontal(-1),
        Action::Right => form.horizontal(1),
        Action::Insert(c) => form.insert(c),
        Action::Backspace => form.backspace(),
        Action::Delete => form.delete(),
        Action::ClearLine => form.clear_line(),
        Action::Home => form.home(false),
        Action::End => form.home(true),
        Action::Esc => {
            app.pane = Pane::Types;
            app.note = None;
        }
        Action::Char('k') => form.previous(),
        Action::Char('j') => form.next(),
        Action::Char('q') => return crate::app::update(app, Action::Quit),
        Action::Char('?') => app.help = true,
        Action::Test => return press(app, Button::Test),
        Action::Save => return press(app, Button::Save),
        Action::FindUrl => return press(app, Button::FindUrl),
        Action::Browse => return press(app, Button::Models),
        Action::Enter => {
            if let Some(button) = form.focused_button() {
                return press(app, button);
            }
            if form.focused_field().is_some_and(|f| f.name == "model") && form.buttons.contains(&Button::Models) {
                return press(app, Button::Models);
            }
            if !form.toggle() {
                form.next();
            }
        }
        _ => {}
    }
    Vec::new()
}

fn press(app: &mut App, button: Button) -> Vec<Effect> {
    let Some(form) = app.form.as_ref() else {
        return Vec::new();
    };
    if !form.buttons.contains(&button) {
        return Vec::new();
    }
    if !app.ready() {
        app.say(Tone::Bad, "The bridge is not ready yet; wait a moment and try again");
        return Vec::new();
    }
    match button {
        Button::Test => test(app),
        Button::Save => save(app),
        Button::FindUrl => find_url(app),
        Button::Models => browse(app),
    }
}

/// The form's profile, or the reason it is not one yet (shown; nothing is sent).
fn checked_profile(app: &mut App) -> Option<Value> {
    let outcome = app.form.as_ref()?.profile();
    outcome.map_err(|reason| app.say(Tone::Bad, reason)).ok()
}

fn test(app: &mut App) -> Vec<Effect> {
    if app.is_waiting(|p| matches!(p, Pending::Test { .. })) {
        return Vec::new();
    }
    let Some(profile) = checked_profile(app) else {
        return Vec::new();
    };
    let fingerprint = profile.to_string();
    app.say(Tone::Busy, format!("Testing {}…", profile["type"].as_str().unwrap_or("the provider")));
    vec![app.request("providers/test", json!({"provider": profile}), Pending::Test { fingerprint })]
}

pub fn tested(app: &mut App, fingerprint: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let report = match outcome {
        Ok(value) => serde_json::from_value::<ConnectionReport>(value).unwrap_or_else(|e| failed(e.to_string())),
        Err(error) => failed(error.describe()),
    };
    if report.ok {
        let served =
            if report.models.is_empty() { String::new() } else { format!(", {} model(s)", report.models.len()) };
        app.say(Tone::Good, format!("Test passed ({:.0} ms{served}): {}", report.latency_ms, report.message));
    } else {
        app.say(Tone::Bad, format!("Test failed — {}", report.message));
    }
    if let Some(form) = app.form.as_mut() {
        form.tested = Some(Tested { fingerprint, report });
    }
    Vec::new()
}

fn failed(message: String) -> ConnectionReport {
    ConnectionReport { ok: false, status: "error".into(), latency_ms: 0.0, message, models: Vec::new() }
}

fn save(app: &mut App) -> Vec<Effect> {
    let Some(form) = app.form.as_ref() else {
        return Vec::new();
    };
    match form.save_check() {
        Err(reason) => app.say(Tone::Bad, reason),
        Ok(profile) => {
            let id = form.profile_id();
            app.save.stage(profile);
            let has_default = app.profiles.iter().any(|p| p.default && p.kind != "fake");
            if app.save.default_id.is_none() && !has_default {
                app.save.default_id = Some(id.clone()); // the first provider becomes the default
            }
            app.form = None;
            app.pane = Pane::Types;
            app.screen = Screen::Save;
            app.say(Tone::Good, format!("Profile '{id}' is ready: choose where to write it and press Enter"));
        }
    }
    Vec::new()
}

fn find_url(app: &mut App) -> Vec<Effect> {
    let Some(form) = app.form.as_ref() else {
        return Vec::new();
    };
    let kind = form.provider_type.clone();
    app.say(Tone::Busy, format!("Looking for a {kind} server on this machine…"));
    vec![app.request("providers/find_url", json!({"type": kind}), Pending::FindUrl)]
}

pub fn found_url(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let mut search = None;
    if take(app, "providers/find_url", outcome, |_, v: UrlSearch| search = Some(v)) {
        if let Some(search) = search {
            match (&search.base_url, app.form.as_mut()) {
                (Some(url), Some(form)) if search.ok => {
                    form.set("base_url", url);
                    app.say(Tone::Good, format!("Found {} at {url}", search.provider));
                }
                _ => app.say(Tone::Bad, search.message),
            }
        }
    }
    Vec::new()
}

fn browse(app: &mut App) -> Vec<Effect> {
    let Some(profile) = checked_profile(app) else {
        return Vec::new();
    };
    app.browser = Some(Browser { loading: true, ..Browser::default() });
    vec![app.request("providers/discover", json!({"provider": profile}), Pending::Discover)]
}

pub fn discovered(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let listed = outcome.map_err(|e| e.describe()).and_then(|v| decode::<Vec<ServedModel>>("providers/discover", v));
    let current = app.form.as_ref().and_then(|f| f.field("model")).map(|f| f.value.clone());
    let Some(browser) = app.browser.as_mut() else { return Vec::new() };
    browser.loading = false;
    match listed {
        Ok(models) => {
            browser.selected = models.iter().position(|m| Some(&m.id) == current.as_ref()).unwrap_or(0);
            browser.models = models;
            app.note = None;
        }
        Err(reason) => {
            browser.error = Some(reason.clone());
            app.say(Tone::Bad, reason);
        }
    }
    Vec::new()
}

fn browse_keys(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(browser) = app.browser.as_mut() else {
        return Vec::new();
    };
    let count = browser.models.len();
    match action {
        Action::Up | Action::Char('k') | Action::BackTab if count > 0 => {
            browser.selected = (browser.selected + count - 1) % count;
        }
        Action::Down | Action::Char('j') | Action::Tab if count > 0 => {
            browser.selected = (browser.selected + 1) % count
        }
        Action::Enter => {
            let chosen = browser.models.get(browser.selected).map(|m| m.id.clone());
            app.browser = None;
            if let (Some(id), Some(form)) = (chosen, app.form.as_mut()) {
                form.set("model", &id);
                app.say(Tone::Info, format!("Model set to {id}; Test again before saving"));
            }
        }
        Action::Esc | Action::Char('q') => app.browser = None,
        _ => {}
    }
    Vec::new()
}
