//! `registry!`: from the one list of screens (`screens/mod.rs`), every screen's state in one
//! struct (`Screens`), every screen's requests in one enum (`Request`), and the dispatch by
//! screen that the app calls. A screen is lent for one call with a `Ctx`; what it asked and
//! handed comes back to the app as a `Lent`, which the app files and delivers.

use crate::action::Effect;
use crate::context::{Ask, Handoff};

/// What one or more calls into screens produced: effects, the requests sent (filed under the
/// screen's name) and what was handed to other screens.
#[derive(Debug)]
pub struct Lent<R> {
    pub effects: Vec<Effect>,
    pub asked: Vec<(u64, Ask<R>)>,
    pub handed: Vec<Handoff>,
}

impl<R> Default for Lent<R> {
    fn default() -> Self {
        Lent { effects: Vec::new(), asked: Vec::new(), handed: Vec::new() }
    }
}

impl<R> Lent<R> {
    pub fn extend(&mut self, more: Lent<R>) {
        self.effects.extend(more.effects);
        self.asked.extend(more.asked);
        self.handed.extend(more.handed);
    }
}

/// `registry! { Id: field => module::State, ... }`: `Id` the screen's `Screen` variant, `field`
/// its state's field in `Screens`, `module::State` its state (which implements `Page`).
macro_rules! registry {
    ($($id:ident: $field:ident => $module:ident::$state:ident),* $(,)?) => {
        /// Every screen's state.
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct Screens {
            $(pub $field: $module::$state,)*
        }

        /// A request a screen sent, under the screen's name.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request {
            $($id(<$module::$state as Page>::Request),)*
        }

        $(impl Slot for $module::$state {
            fn slot(screens: &mut Screens) -> &mut Self {
                &mut screens.$field
            }

            fn wrap(request: Self::Request) -> Request {
                Request::$id(request)
            }
        })*

        impl Screens {
            pub fn update(&mut self, id: Screen, shell: Shell<'_>, base: Seen<'_>, action: Action) -> Lent<Request> {
                match id {
                    $(Screen::$id => self.lend::<$module::$state>(shell, base, |s, ctx| s.update(ctx, action)),)*
                }
            }

            pub fn opened(&mut self, id: Screen, shell: Shell<'_>, base: Seen<'_>) -> Lent<Request> {
                match id {
                    $(Screen::$id => self.lend::<$module::$state>(shell, base, |s, ctx| s.opened(ctx)),)*
                }
            }

            pub fn answered(
                &mut self,
                request: Request,
                shell: Shell<'_>,
                base: Seen<'_>,
                outcome: Result<Value, RpcError>,
            ) -> Lent<Request> {
                match request {
                    $(Request::$id(r) => self.lend::<$module::$state>(shell, base, |s, ctx| s.answered(ctx, r, outcome)),)*
                }
            }

            /// A notification, to the screens that hear it.
            pub fn notified(&mut self, mut shell: Shell<'_>, base: Seen<'_>, method: &str, params: Value) -> Lent<Request> {
                let mut lent = Lent::default();
                $(if <$module::$state as Page>::HEARS.contains(&method) {
                    let params = params.clone();
                    lent.extend(self.lend::<$module::$state>(shell.reborrow(), base, |s, ctx| s.notified(ctx, method, params)));
                })*
                lent
            }

            /// A written file's outcome, to every screen.
            pub fn written(&mut self, mut shell: Shell<'_>, base: Seen<'_>, outcome: &Result<String, String>) -> Lent<Request> {
                let mut lent = Lent::default();
                $(lent.extend(self.lend::<$module::$state>(shell.reborrow(), base, |s, ctx| s.written(ctx, outcome)));)*
                lent
            }

            pub fn on_bridge_lost(&mut self) {
                $(self.$field.on_bridge_lost();)*
            }

            pub fn typing(&self, id: Screen, seen: &Seen) -> bool {
                match id {
                    $(Screen::$id => self.$field.typing(seen),)*
                }
            }

            pub fn keys(&self, id: Screen, seen: &Seen) -> Vec<Binding> {
                match id {
                    $(Screen::$id => self.$field.keys(seen),)*
                }
            }

            pub fn draw(&self, id: Screen, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
                match id {
                    $(Screen::$id => self.$field.draw(frame, area, seen, theme),)*
                }
            }

            /// The screen's name, as the header and the help overlay say it.
            pub fn title(id: Screen) -> &'static str {
                match id {
                    $(Screen::$id => <$module::$state as Page>::TITLE,)*
                }
            }
        }
    };
}

pub(crate) use registry;
