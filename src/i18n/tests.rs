//! The catalogues against CLDR, and the helpers that fill messages in.

use super::*;

/// Each language's plural rules, as its catalogue gives them, put every
/// count in the category CLDR's own data (ICU4X) puts it in.
#[test]
fn every_catalogues_plural_rules_are_cldrs() {
    use icu_plurals::{PluralCategory, PluralRuleType, PluralRules, PluralRulesOptions};
    for catalogue in &CATALOGUES {
        // The pseudo-language is English's.
        let tag = if catalogue.tag == "en-XA" {
            "en"
        } else {
            catalogue.tag
        };
        let locale: icu_locale_core::Locale = tag.parse().unwrap();
        let cldr = PluralRules::try_new(
            locale.into(),
            PluralRulesOptions::default().with_type(PluralRuleType::Cardinal),
        )
        .unwrap();
        let counts = (0..=1_000).chain([1_000_000, 2_000_000, 1_000_001, 123_456_789]);
        for n in counts {
            let expected = match cldr.category_for(n as u64) {
                PluralCategory::Zero => Category::Zero,
                PluralCategory::One => Category::One,
                PluralCategory::Two => Category::Two,
                PluralCategory::Few => Category::Few,
                PluralCategory::Many => Category::Many,
                PluralCategory::Other => Category::Other,
            };
            assert_eq!(
                plural::category(catalogue.rules.iter().copied(), n),
                expected,
                "{}: {n}",
                catalogue.tag
            );
        }
    }
}

#[test]
fn placeholders_are_filled_and_unknown_ones_left_as_they_are() {
    assert_eq!(
        fill("{a} and {b}, not {c}", &[("a", "x"), ("b", "y")]),
        "x and y, not {c}"
    );
    assert_eq!(fill("no placeholder", &[("a", "x")]), "no placeholder");
}

#[test]
fn english_plurals_take_one_and_other() {
    let one = Lang::EN.plural(Plural::ErrorTooManyRequests, 1, &[("minutes", "1")]);
    let two = Lang::EN.plural(Plural::ErrorTooManyRequests, 2, &[("minutes", "2")]);
    assert_eq!(one, "Too many attempts. Please try again in 1 minute.");
    assert_eq!(two, "Too many attempts. Please try again in 2 minutes.");
}

#[test]
fn the_pseudo_language_has_no_english_letters_outside_placeholders() {
    let pseudo = Lang::from_tag("en-XA").unwrap();
    for (text, key) in pseudo.catalogue().texts.iter().zip(TEXT_KEYS) {
        let mut outside = String::new();
        let mut inside = false;
        for c in text.chars() {
            match c {
                '{' => inside = true,
                '}' => inside = false,
                c if !inside => outside.push(c),
                _ => {}
            }
        }
        assert!(
            !outside.chars().any(|c| c.is_ascii_alphabetic()),
            "{key}: {text}"
        );
    }
}

#[test]
fn word_lists_are_found_by_their_path_only() {
    for lang in [Lang::EN, Lang::from_tag("en-XA").unwrap()] {
        for list in 0..WORD_LISTS.len() {
            assert_eq!(
                Lang::of_words_path(&lang.words_path(list)),
                Some((lang, list))
            );
        }
    }
    assert_eq!(
        Lang::of_words_path("/i18n/en.base.0000000000000000.json"),
        None
    );
    assert_eq!(
        Lang::of_words_path("/i18n/en.server.0000000000000000.json"),
        None
    );
    assert_eq!(Lang::of_words_path("/i18n/../en.json"), None);
}
