//! The browser's words: the page's word lists in its language, loaded
//! before the page is hydrated (`load`), and read from then on.
//!
//! Every page that runs the client loads the list of every page; the
//! admin pages and the security page load theirs as well (build.rs sorts
//! the messages into lists; `word_lists_of` says which a page needs). A
//! page whose lists the client lacks is loaded whole (`needs_load`).
//!
//! A list is one JSON array of strings, the lightest thing to read here
//! (build.rs writes it): the language's tag; its number of plural rules and
//! each rule's category and text; the index of its first message, their
//! number and each text; the index of its first plural message, their
//! number and, for each, its number of forms and each form's category and
//! text.

use super::{plural, Category, Msg, Plural, BROWSER_PLURALS, BROWSER_TEXTS, WORD_LISTS};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Default)]
struct Words {
    rules: Vec<(Category, &'static str)>,
    texts: Vec<&'static str>,
    plurals: Vec<Vec<(Category, &'static str)>>,
    /// Which of [`WORD_LISTS`] are here.
    loaded: Vec<bool>,
}

thread_local! {
    static WORDS: RefCell<Words> = RefCell::new(Words {
        texts: vec![""; BROWSER_TEXTS],
        plurals: vec![Vec::new(); BROWSER_PLURALS],
        loaded: vec![false; WORD_LISTS.len()],
        rules: Vec::new(),
    });
}

pub fn text(msg: Msg) -> &'static str {
    WORDS.with_borrow(|w| w.texts.get(msg as usize).copied().unwrap_or_default())
}

pub fn plural(msg: Plural, count: i64) -> &'static str {
    WORDS.with_borrow(|words| {
        let category = plural::category(words.rules.iter().copied(), count);
        let forms = words
            .plurals
            .get(msg as usize)
            .map(Vec::as_slice)
            .unwrap_or_default();
        super::form(forms, category)
    })
}

/// Whether the client lacks words that the page at `path` shows: it is
/// then loaded whole, with them.
pub fn needs_load(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    WORDS.with_borrow(|w| {
        super::word_lists_of(path)
            .iter()
            .any(|list| !w.loaded.get(*list).copied().unwrap_or(false))
    })
}

/// Loads the word lists the page names (`<link id="gh-words-<list>"
/// href=…>`, which the browser has preloaded). An error leaves the page as
/// the server sent it, which works without the client.
pub async fn load() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    for (name, ..) in WORD_LISTS {
        let Some(href) = document
            .get_element_by_id(&format!("gh-words-{name}"))
            .and_then(|link| link.get_attribute("href"))
        else {
            continue;
        };
        let response: web_sys::Response =
            wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&href))
                .await?
                .dyn_into()?;
        if !response.ok() {
            return Err("a word list did not load".into());
        }
        let text = wasm_bindgen_futures::JsFuture::from(response.text()?)
            .await?
            .as_string()
            .ok_or("a word list is not text")?;
        let list: Vec<String> = serde_json::from_str(&text)
            .map_err(|_| JsValue::from_str("a word list is not JSON"))?;
        WORDS
            .with_borrow_mut(|words| read(list, words))
            .ok_or("a word list is malformed")?;
    }
    Ok(())
}

/// Puts one list's words in their places.
fn read(list: Vec<String>, words: &mut Words) -> Option<()> {
    let mut items = list.into_iter().map(|s| &*Box::leak(s.into_boxed_str()));
    let count = |items: &mut dyn Iterator<Item = &'static str>| items.next()?.parse::<usize>().ok();
    let _tag = items.next()?;
    let pairs =
        |items: &mut dyn Iterator<Item = &'static str>| -> Option<Vec<(Category, &'static str)>> {
            let n = count(items)?;
            (0..n)
                .map(|_| Some((Category::parse(items.next()?)?, items.next()?)))
                .collect()
        };
    words.rules = pairs(&mut items)?;
    let start = count(&mut items)?;
    let n = count(&mut items)?;
    for slot in words.texts.get_mut(start..start + n)? {
        *slot = items.next()?;
    }
    let plural_start = count(&mut items)?;
    let n = count(&mut items)?;
    for slot in words.plurals.get_mut(plural_start..plural_start + n)? {
        *slot = pairs(&mut items)?;
    }
    let list = WORD_LISTS
        .iter()
        .position(|(_, (first, _), (first_plural, _))| {
            *first == start && *first_plural == plural_start
        })?;
    words.loaded[list] = true;
    Some(())
}
