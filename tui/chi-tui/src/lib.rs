//! chi-tui: chi-llm's terminal UI. One `App` state, a pure `update`, a `view`, and a bridge
//! client that talks JSON-RPC to `python -m chi_llm bridge`.

pub mod action;
pub mod app;
pub mod bridge;
pub mod context;
pub mod form;
pub mod input;
pub mod keymap;
pub mod keys;
pub mod page;
pub mod popup;
pub mod protocol;
pub mod screens;
pub mod text;
pub mod theme;
pub mod ui;

// The screens that own their state, at the paths they had before they moved.
pub use screens::{chat, diagnostics, models, providers, save, welcome, wizard};
