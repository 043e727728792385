//! The browser's words: the page's language's word list, loaded once
//! before the page is hydrated (`load`), and read from then on.
//!
//! The list is one JSON array of strings, the lightest thing to read here
//! (build.rs writes it): the language's tag; its number of plural rules and
//! each rule's category and text; the number of messages and each text; the
//! number of plural messages and, for each, its number of forms and each
//! form's category and text.

use super::{plural, Category, Msg, Plural};
use std::sync::OnceLock;
use wasm_bindgen::{JsCast, JsValue};

struct Words {
    rules: Vec<(Category, &'static str)>,
    texts: Vec<&'static str>,
    plurals: Vec<Vec<(Category, &'static str)>>,
}

static WORDS: OnceLock<Words> = OnceLock::new();

pub fn text(msg: Msg) -> &'static str {
    WORDS
        .get()
        .and_then(|w| w.texts.get(msg as usize).copied())
        .unwrap_or_default()
}

pub fn plural(msg: Plural, count: i64) -> &'static str {
    let Some(words) = WORDS.get() else {
        return "";
    };
    let category = plural::category(words.rules.iter().copied(), count);
    let forms = words
        .plurals
        .get(msg as usize)
        .map(Vec::as_slice)
        .unwrap_or_default();
    super::form(forms, category)
}

/// Loads the word list the page names (`<link id="gh-words" href=…>`,
/// which the browser has preloaded). An error leaves the page as the
/// server sent it, which works without the client.
pub async fn load() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let href = window
        .document()
        .and_then(|d| d.get_element_by_id("gh-words"))
        .and_then(|link| link.get_attribute("href"))
        .ok_or("the page names no word list")?;
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&href))
            .await?
            .dyn_into()?;
    if !response.ok() {
        return Err("the word list did not load".into());
    }
    let text = wasm_bindgen_futures::JsFuture::from(response.text()?)
        .await?
        .as_string()
        .ok_or("the word list is not text")?;
    let list: Vec<String> =
        serde_json::from_str(&text).map_err(|_| JsValue::from_str("the word list is not JSON"))?;
    let words = read(list).ok_or("the word list is malformed")?;
    let _ = WORDS.set(words);
    Ok(())
}

fn read(list: Vec<String>) -> Option<Words> {
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
    let rules = pairs(&mut items)?;
    let n = count(&mut items)?;
    let texts = (0..n).map(|_| items.next()).collect::<Option<Vec<_>>>()?;
    let n = count(&mut items)?;
    let plurals = (0..n)
        .map(|_| pairs(&mut items))
        .collect::<Option<Vec<_>>>()?;
    Some(Words {
        rules,
        texts,
        plurals,
    })
}
