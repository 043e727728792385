//! Every word a person reads, from one catalogue per language
//! (`src/i18n/<tag>.toml`), keyed by message.
//!
//! `build.rs` checks the catalogues against the English one and turns them
//! into [`Msg`] and [`Plural`] (one variant per key) and, on the server, the
//! words of every language. Pages ask for a message with [`t`], [`tf`]
//! (with `{placeholders}` filled in) or [`tn`] (a plural message, by a
//! count), in the language of the request, which the server puts in the
//! page's context. The browser's bundle carries no words at all: it loads
//! the page's language's word list (`/i18n/<tag>.<hash>.json`, kept by the
//! browser for a year) before it hydrates the page, so that a new language
//! costs the bundle nothing.

#[cfg(feature = "hydrate")]
mod browser;
mod plural;

pub use plural::Category;

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// A language's words, as `build.rs` made them.
#[cfg(feature = "ssr")]
pub struct Catalogue {
    /// Its BCP 47 tag (`en`, `cy`, `fr`): `<html lang>`, `?lang=`.
    pub tag: &'static str,
    /// Its own name, for the links between languages.
    pub name: &'static str,
    /// Its plural categories and their CLDR rules; `other` last.
    pub rules: &'static [(Category, &'static str)],
    pub texts: &'static [&'static str],
    pub plurals: &'static [&'static [(Category, &'static str)]],
    /// What the browser loads: the messages it may show, as JSON, one
    /// list per [`WORD_LISTS`] entry (every page's, the admin pages', the
    /// security page's).
    pub browser_words: [&'static str; WORD_LISTS.len()],
    /// A hash of each of [`Catalogue::browser_words`], for its file name.
    pub browser_words_hash: [&'static str; WORD_LISTS.len()],
}

/// A language Gatehouse has words for: on the server, an index into
/// [`CATALOGUES`] (English first).
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Lang(u8);

#[cfg(feature = "ssr")]
impl Lang {
    /// English, the language the catalogues are checked against.
    pub const EN: Lang = Lang(0);

    /// The language with this tag (`cy`, `en-XA`), case aside.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        CATALOGUES
            .iter()
            .position(|c| c.tag.eq_ignore_ascii_case(tag))
            .map(|i| Lang(i as u8))
    }

    pub fn catalogue(self) -> &'static Catalogue {
        &CATALOGUES[usize::from(self.0)]
    }

    pub fn tag(self) -> &'static str {
        self.catalogue().tag
    }

    /// The language's own name (`Cymraeg`, `Français`).
    pub fn name(self) -> &'static str {
        self.catalogue().name
    }

    pub fn text(self, msg: Msg) -> &'static str {
        self.catalogue().texts[msg as usize]
    }

    /// A message with its `{placeholders}` filled in.
    pub fn format(self, msg: Msg, args: &[(&str, &str)]) -> String {
        fill(self.text(msg), args)
    }

    /// The form of a plural message for `count`, filled in.
    pub fn plural(self, msg: Plural, count: i64, args: &[(&str, &str)]) -> String {
        fill(self.plural_form(msg, count), args)
    }

    /// The form of a plural message for `count`, its placeholders as they are.
    pub fn plural_form(self, msg: Plural, count: i64) -> &'static str {
        let catalogue = self.catalogue();
        let category = plural::category(catalogue.rules.iter().copied(), count);
        form(catalogue.plurals[msg as usize], category)
    }

    /// Where the browser loads this language's word list `list` (an
    /// index into [`WORD_LISTS`]).
    pub fn words_path(self, list: usize) -> String {
        let c = self.catalogue();
        let name = WORD_LISTS[list].0;
        format!("/i18n/{}.{name}.{}.json", c.tag, c.browser_words_hash[list])
    }

    /// The language and word list at `path` (as [`Lang::words_path`] makes
    /// it); `None` for an unknown or old file.
    pub fn of_words_path(path: &str) -> Option<(Lang, usize)> {
        CATALOGUES.iter().enumerate().find_map(|(i, c)| {
            let rest = path
                .strip_prefix("/i18n/")?
                .strip_prefix(c.tag)?
                .strip_prefix('.')?;
            let (name, hash) = rest.strip_suffix(".json")?.split_once('.')?;
            let list = WORD_LISTS.iter().position(|(n, ..)| *n == name)?;
            (c.browser_words_hash[list] == hash).then_some((Lang(i as u8), list))
        })
    }
}

/// The form for `category`, or `other` (the catalogues have every form of
/// their language; `other` always).
fn form(forms: &[(Category, &'static str)], category: Category) -> &'static str {
    forms
        .iter()
        .find(|(c, _)| *c == category)
        .or_else(|| forms.iter().find(|(c, _)| *c == Category::Other))
        .map_or("", |(_, text)| text)
}

/// `text` with each `{name}` replaced by its value.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + len + 1]),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The language of the page being rendered, from its context (English
/// outside a page).
#[cfg(feature = "ssr")]
pub fn current() -> Lang {
    leptos::prelude::use_context::<Lang>().unwrap_or_default()
}

/// The page's language, taken from its context once, for code that may
/// run outside it (a closure called later) or asks for many messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Words {
    #[cfg(feature = "ssr")]
    lang: Lang,
}

/// The page's language (see [`Words`]).
pub fn words() -> Words {
    Words {
        #[cfg(feature = "ssr")]
        lang: current(),
    }
}

impl Words {
    /// A message.
    pub fn t(self, msg: Msg) -> &'static str {
        #[cfg(feature = "ssr")]
        {
            self.lang.text(msg)
        }
        #[cfg(not(feature = "ssr"))]
        {
            browser::text(msg)
        }
    }

    /// A message, its `{placeholders}` filled in.
    pub fn tf(self, msg: Msg, args: &[(&str, &str)]) -> String {
        fill(self.t(msg), args)
    }

    /// A plural message in the form for `count`, filled in.
    pub fn tn(self, msg: Plural, count: i64, args: &[(&str, &str)]) -> String {
        #[cfg(feature = "ssr")]
        {
            self.lang.plural(msg, count, args)
        }
        #[cfg(not(feature = "ssr"))]
        {
            fill(browser::plural(msg, count), args)
        }
    }
}

/// A message in the page's language.
pub fn t(msg: Msg) -> &'static str {
    words().t(msg)
}

/// A message in the page's language, its `{placeholders}` filled in.
pub fn tf(msg: Msg, args: &[(&str, &str)]) -> String {
    words().tf(msg, args)
}

/// A plural message in the page's language, in the form for `count`.
pub fn tn(msg: Plural, count: i64, args: &[(&str, &str)]) -> String {
    words().tn(msg, count, args)
}

/// A message that holds markup (a link, the person's name) at its
/// placeholders: its text in pieces, each placeholder handed to `slot`.
pub fn pieces(msg: Msg) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = t(msg);
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        out.push(Piece::Slot(&rest[start + 1..start + len]));
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// A piece of a message (see [`pieces`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Text(&'static str),
    Slot(&'static str),
}

#[cfg(feature = "hydrate")]
pub use browser::load;

#[cfg(all(test, feature = "ssr"))]
mod tests;

/// The word lists a page needs: every page's, and the admin pages', the
/// security page's, or those of the pages reached from a mail, a log or an
/// app (setup, a reset link, a refused sign-in) on those (indexes into
/// [`WORD_LISTS`], as build.rs sorts the sections).
pub fn word_lists_of(path: &str) -> &'static [usize] {
    if path == "/admin" || path.starts_with("/admin/") {
        &[0, 1]
    } else if path == "/account/security" {
        &[0, 2]
    } else if path == "/setup" || path == "/sign-in-problem" || path.starts_with("/reset-password/")
    {
        &[0, 3]
    } else {
        &[0]
    }
}

/// Whether a link to `path` must load the page whole: the client lacks
/// the words it shows (an admin page's, say, from the account page). On
/// the server, never.
pub fn loads_whole(path: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::needs_load(path)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = path;
        false
    }
}
