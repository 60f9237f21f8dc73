//! The `card` template function: a post's card, rendered once per render pass.
//!
//! Lists show each post as a card (`partials/post_card.html`). On a large site the same card
//! appears about seven times (the related posts of other posts, the blog's list pages, its tags'
//! pages), and Tera's interpreter is most of a card's cost. `{{ card(p=p, heading="h2") }}`
//! renders the card the first time a render pass asks for it and hands out the same text after.
//!
//! A card is rendered with `p`, `card_heading` (from `heading`) and `site` only, so it is the
//! same wherever it appears. Themes that need the page around it keep using
//! `{% include "partials/post_card.html" %}`, which still works.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use tera::{Context, Kwargs, State, Tera, TeraResult, Value};

/// The template a card is rendered with.
pub(crate) const CARD_TEMPLATE: &str = "partials/post_card.html";

/// The cards of one render pass, by heading and page address (two levels, so that a card is
/// looked up without making a key).
#[derive(Default)]
pub(crate) struct Cards(Mutex<CardMap>);

/// Cards by heading, then by page address.
type CardMap = HashMap<String, HashMap<String, Value>>;

thread_local! {
    /// The cards of the render pass this thread is rendering for, if any.
    static CURRENT: RefCell<Option<Arc<Cards>>> = const { RefCell::new(None) };
    /// The error of the card template that stopped the last render on this thread: the
    /// renderer reports it, at its own file and line, instead of the call of `card()`.
    static FAILED: RefCell<Option<tera::Error>> = const { RefCell::new(None) };
}

/// The error of the card template that made the last render on this thread fail, if that is
/// what made it fail.
pub(crate) fn take_card_error() -> Option<tera::Error> {
    FAILED.with(|failed| failed.borrow_mut().take())
}

/// Runs `render` with `cards` as the current render pass's cards on this thread.
pub(crate) fn with_cards<R>(cards: &Arc<Cards>, render: impl FnOnce() -> R) -> R {
    FAILED.with(|failed| failed.borrow_mut().take());
    /// Puts the previous cards back, even if `render` unwinds.
    struct Restore(Option<Arc<Cards>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
    let _restore = Restore(CURRENT.with(|current| current.replace(Some(cards.clone()))));
    render()
}

/// The `card` function. It renders with a copy of the template set, made once everything is
/// loaded; it holds that copy weakly, because the copy holds the function too.
pub(crate) struct CardFunction {
    pub(crate) tera: Weak<OnceLock<Tera>>,
}

impl tera::Function<TeraResult<Value>> for CardFunction {
    fn call(&self, kwargs: Kwargs, state: &State) -> TeraResult<Value> {
        let p: &Value = kwargs.must_get("p")?;
        let heading: &str = kwargs.get("heading")?.unwrap_or("h2");
        let Some(url) = p.get_from_path("url").and_then(Value::as_str) else {
            return Err(tera::Error::message(
                "card() needs a page summary as `p` (one with a `url`), like the pages of a list",
            ));
        };
        let cards = CURRENT.with(|current| current.borrow().clone());
        if let Some(cards) = &cards
            && let Some(card) = lock(cards).get(heading).and_then(|c| c.get(url))
        {
            return Ok(card.clone());
        }
        let tera = self.tera.upgrade();
        let Some(tera) = tera.as_ref().and_then(|t| t.get()) else {
            return Err(tera::Error::message(
                "card() is not ready: the templates are still loading",
            ));
        };
        let mut context = Context::new();
        context.insert_value("p", p.clone());
        context.insert("card_heading", heading);
        if let Some(site) = state.get::<Value>("site")? {
            context.insert_value("site", site);
        }
        // The renderer reports the card template's own error (`take_card_error`), at its file
        // and line, instead of this one.
        let text = tera.render(CARD_TEMPLATE, &context).map_err(|err| {
            let message = format!("in the card: {err}");
            FAILED.with(|failed| *failed.borrow_mut() = Some(err));
            tera::Error::message(message)
        })?;
        let card = Value::safe_string(&text);
        if let Some(cards) = &cards {
            lock(cards)
                .entry(heading.to_owned())
                .or_default()
                .insert(url.to_owned(), card.clone());
        }
        Ok(card)
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn lock(cards: &Cards) -> std::sync::MutexGuard<'_, CardMap> {
    cards.0.lock().unwrap_or_else(PoisonError::into_inner)
}
