//! Screens that own their state: each folder holds a screen's state, its pending-request kind,
//! `update`, `view` (`draw`) and `on_bridge_lost`, and sees the rest of the app through a
//! `Ctx` (`crate::context`), never `App`.

pub mod chat;
pub mod diagnostics;
pub mod models;
pub mod providers;
pub mod save;
pub mod welcome;
pub mod wizard;
