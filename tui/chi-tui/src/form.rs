//! A provider form generated from `providers/schema`: typed fields, choices, masked secrets,
//! and the profile it builds. Editing is pure state; nothing here does I/O.

use serde_json::{json, Map, Value};

use crate::action::Action;
use crate::input::edit_text;
use crate::protocol::{ConnectionReport, ProviderField, ProviderSchema};

#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text,
    Url,
    Secret,
    Int,
    Float,
    Bool,
    Choice(Vec<String>),
    List,
}

impl FieldKind {
    fn from_schema(field: &ProviderField) -> Self {
        if !field.options.is_empty() {
            return FieldKind::Choice(field.options.clone());
        }
        match field.kind.as_str() {
            "url" => FieldKind::Url,
            "secret" => FieldKind::Secret,
            "int" => FieldKind::Int,
            "float" => FieldKind::Float,
            "bool" => FieldKind::Bool,
            "list" => FieldKind::List,
            _ => FieldKind::Text,
        }
    }

    /// Typing goes into the field (global shortcuts are off while it has focus).
    pub fn takes_text(&self) -> bool {
        !matches!(self, FieldKind::Bool | FieldKind::Choice(_))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
    pub help: String,
    pub value: String,
    /// The default the bridge applies when the field is left empty, shown dimmed.
    pub placeholder: String,
    pub cursor: usize,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
}

impl FormField {
    fn new(name: &str, kind: FieldKind, help: &str) -> Self {
        FormField {
            name: name.into(),
            kind,
            required: false,
            help: help.into(),
            value: String::new(),
            placeholder: String::new(),
            cursor: 0,
            minimum: None,
            maximum: None,
        }
    }

    fn from_schema(field: &ProviderField) -> Self {
        let mut out = FormField::new(&field.name, FieldKind::from_schema(field), &field.help);
        out.required = field.required;
        out.minimum = field.minimum;
        out.maximum = field.maximum;
        out.placeholder = match &field.default {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if let FieldKind::Choice(options) = &out.kind {
            out.value = if options.contains(&out.placeholder) { out.placeholder.clone() } else { String::new() };
        }
        out
    }

    /// What the screen shows: secrets as dots, never their text.
    pub fn shown(&self) -> String {
        match self.kind {
            FieldKind::Secret => "•".repeat(self.value.chars().count()),
            _ => self.value.clone(),
        }
    }

    fn cycle(&mut self, step: isize) {
        match &self.kind {
            FieldKind::Bool => {
                self.value = if self.value == "true" { "false".into() } else { "true".into() };
            }
            FieldKind::Choice(options) if !options.is_empty() => {
                let now = options.iter().position(|o| *o == self.value);
                let len = options.len() as isize;
                let next = match now {
                    Some(i) => (i as isize + step).rem_euclid(len),
                    None => 0,
                };
                self.value = options[next as usize].clone();
            }
            _ => {}
        }
    }

    /// The JSON value to send, None when left empty; Err says what to fix.
    fn json(&self) -> Result<Option<Value>, String> {
        let text = self.value.trim();
        if text.is_empty() {
            if self.required {
                return Err(format!("{} is required", self.name));
            }
            return Ok(None);
        }
        let value = match self.kind {
            FieldKind::Int => {
                let number: i64 = text.parse().map_err(|_| format!("{} must be a whole number", self.name))?;
                self.check_bounds(number as f64)?;
                json!(number)
            }
            FieldKind::Float => {
                let number: f64 = text.parse().map_err(|_| format!("{} must be a number", self.name))?;
                self.check_bounds(number)?;
                json!(number)
            }
            FieldKind::Bool => json!(text == "true"),
            FieldKind::List => {
                json!(text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            }
            FieldKind::Url if !(text.starts_with("http://") || text.starts_with("https://")) => {
                return Err(format!("{} must start with http:// or https://", self.name));
            }
            _ => json!(text),
        };
        Ok(Some(value))
    }

    fn check_bounds(&self, number: f64) -> Result<(), String> {
        if let Some(min) = self.minimum {
            if number < min {
                return Err(format!("{} must be at least {min}", self.name));
            }
        }
        if let Some(max) = self.maximum {
            if number > max {
                return Err(format!("{} must be at most {max}", self.name));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    FindUrl,
    Models,
    Test,
    Save,
}

impl Button {
    pub fn label(self) -> &'static str {
        match self {
            Button::FindUrl => "Find URL",
            Button::Models => "Models",
            Button::Test => "Test",
            Button::Save => "Save",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Field(usize),
    Button(usize),
}

/// The outcome of the last Test, tied to the exact settings it tested.
#[derive(Debug, Clone, PartialEq)]
pub struct Tested {
    pub fingerprint: String,
    pub report: ConnectionReport,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub provider_type: String,
    pub summary: String,
    pub fields: Vec<FormField>,
    pub buttons: Vec<Button>,
    pub focus: Focus,
    pub tested: Option<Tested>,
}

impl Form {
    pub fn new(schema: &ProviderSchema) -> Self {
        let mut id =
            FormField::new("id", FieldKind::Text, "profile name (how generate --provider and the router refer to it)");
        id.required = true;
        id.value = schema.kind.clone();
        id.cursor = id.value.chars().count();
        let tags = FormField::new("tags", FieldKind::List, "comma-separated tags the router can select by");
        let mut priority = FormField::new("priority", FieldKind::Int, "lower is tried first when several match");
        priority.placeholder = "100".into();
        let mut fields = vec![id, tags, priority];
        fields.extend(schema.fields.iter().map(FormField::from_schema));
        let mut buttons = Vec::new();
        if matches!(schema.kind.as_str(), "ollama" | "lmstudio") {
            buttons.push(Button::FindUrl);
        }
        if fields.iter().any(|f| f.name == "model") {
            buttons.push(Button::Models);
        }
        buttons.extend([Button::Test, Button::Save]);
        Form {
            provider_type: schema.kind.clone(),
            summary: schema.summary.clone(),
            fields,
            buttons,
            focus: Focus::Field(0),
            tested: None,
        }
    }

    pub fn field(&self, name: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        if let Some(field) = self.fields.iter_mut().find(|f| f.name == name) {
            field.value = value.to_string();
            field.cursor = field.value.chars().count();
        }
    }

    pub fn focused_field(&self) -> Option<&FormField> {
        match self.focus {
            Focus::Field(i) => self.fields.get(i),
            Focus::Button(_) => None,
        }
    }

    fn focused_field_mut(&mut self) -> Option<&mut FormField> {
        match self.focus {
            Focus::Field(i) => self.fields.get_mut(i),
            Focus::Button(_) => None,
        }
    }

    pub fn focused_button(&self) -> Option<Button> {
        match self.focus {
            Focus::Button(i) => self.buttons.get(i).copied(),
            Focus::Field(_) => None,
        }
    }

    /// Whether typed characters belong to a field now.
    pub fn typing(&self) -> bool {
        self.focused_field().is_some_and(|f| f.kind.takes_text())
    }

    fn stops(&self) -> usize {
        self.fields.len() + 1 // the button row is one stop
    }

    fn stop(&self) -> usize {
        match self.focus {
            Focus::Field(i) => i,
            Focus::Button(_) => self.fields.len(),
        }
    }

    fn go_to(&mut self, stop: usize) {
        self.focus = if stop < self.fields.len() { Focus::Field(stop) } else { Focus::Button(0) };
        if let Some(field) = self.focused_field_mut() {
            field.cursor = field.value.chars().count();
        }
    }

    pub fn next(&mut self) {
        self.go_to((self.stop() + 1) % self.stops());
    }

    pub fn previous(&mut self) {
        self.go_to((self.stop() + self.stops() - 1) % self.stops());
    }

    pub fn focus_button(&mut self, button: Button) {
        if let Some(i) = self.buttons.iter().position(|b| *b == button) {
            self.focus = Focus::Button(i);
        }
    }

    /// Left/Right: the cursor in a text field, the value of a choice, or the button.
    pub fn horizontal(&mut self, step: isize) {
        let buttons = self.buttons.len();
        match self.focus {
            Focus::Button(i) => {
                self.focus = Focus::Button((i as isize + step).rem_euclid(buttons as isize) as usize);
            }
            Focus::Field(_) => {
                if let Some(field) = self.focused_field_mut() {
                    if field.kind.takes_text() {
                        let len = field.value.chars().count();
                        field.cursor = (field.cursor as isize + step).clamp(0, len as isize) as usize;
                    } else {
                        field.cycle(step);
                    }
                }
            }
        }
    }

    /// Edit the focused text field (typing, Backspace, Delete, Home, End, Ctrl+U); a choice,
    /// a switch or a button is not text, and is left as it is.
    pub fn edit(&mut self, action: &Action) -> bool {
        match self.focused_field_mut().filter(|f| f.kind.takes_text()) {
            Some(field) => edit_text(&mut field.value, &mut field.cursor, action),
            None => false,
        }
    }

    pub fn insert(&mut self, c: char) {
        self.edit(&Action::Insert(c));
    }

    pub fn backspace(&mut self) {
        self.edit(&Action::Backspace);
    }

    pub fn delete(&mut self) {
        self.edit(&Action::Delete);
    }

    pub fn home(&mut self, end: bool) {
        self.edit(&if end { Action::End } else { Action::Home });
    }

    /// Ctrl+U: the focused text field loses what is before the cursor.
    pub fn clear_line(&mut self) {
        self.edit(&Action::ClearLine);
    }

    /// Enter on a choice or a switch changes it; true when it did.
    pub fn toggle(&mut self) -> bool {
        match self.focused_field_mut() {
            Some(field) if !field.kind.takes_text() => {
                field.cycle(1);
                true
            }
            _ => false,
        }
    }

    /// The profile these settings make: {id, type, tags?, priority?, ...settings}.
    pub fn profile(&self) -> Result<Value, String> {
        let mut out = Map::new();
        out.insert("type".into(), json!(self.provider_type));
        for field in &self.fields {
            if let Some(value) = field.json()? {
                out.insert(field.name.clone(), value);
            }
        }
        Ok(Value::Object(out))
    }

    /// The settings the server is tested with (what is sent as `provider`).
    pub fn fingerprint(&self) -> Option<String> {
        self.profile().ok().map(|p| p.to_string())
    }

    pub fn profile_id(&self) -> String {
        self.field("id").map(|f| f.value.trim().to_string()).unwrap_or_default()
    }

    /// Whether Save may go ahead: a passing Test of exactly these settings.
    pub fn save_check(&self) -> Result<Value, String> {
        let profile = self.profile()?;
        let fingerprint = profile.to_string();
        match &self.tested {
            None => Err("Test the connection first (Ctrl+T): Save needs a passing test".into()),
            Some(t) if t.fingerprint != fingerprint => {
                Err("The settings changed since the last test: Test again (Ctrl+T) before saving".into())
            }
            Some(t) if !t.report.ok => Err(format!("Save refused: the test failed — {}", t.report.message)),
            Some(_) => Ok(profile),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        let schema: ProviderSchema = serde_json::from_value(json!({
            "type": "demo", "summary": "", "key_variables": [],
            "fields": [
                {"name": "mode", "type": "str", "required": false, "default": "fast", "help": "", "options": ["fast", "slow"]},
                {"name": "url", "type": "url", "required": false, "default": null, "help": "", "options": []}
            ]
        }))
        .expect("a schema");
        Form::new(&schema)
    }

    #[test]
    fn only_text_fields_are_edited() {
        let mut form = form();
        form.focus = Focus::Field(3); // mode: a choice
        for action in [Action::Backspace, Action::Delete, Action::ClearLine, Action::Home] {
            assert!(!form.edit(&action));
        }
        assert_eq!(form.field("mode").map(|f| f.value.as_str()), Some("fast"));
        form.focus = Focus::Field(4);
        for c in "http://h:1".chars() {
            form.insert(c);
        }
        form.horizontal(-1);
        form.clear_line();
        assert_eq!(form.field("url").map(|f| (f.value.as_str(), f.cursor)), Some(("1", 0)));
    }
}
