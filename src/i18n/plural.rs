//! Which plural form a count takes: CLDR's cardinal rules, given as text in
//! each catalogue (`[language] plural`), read for whole numbers. The rules
//! are data, so a language brings its own and the code stays the same
//! (and the browser's bundle with it); the tests hold each catalogue's
//! rules against CLDR's own data (ICU4X).
//!
//! The syntax read (CLDR's, for integers): `condition = and ("or" and)*`,
//! `and = relation ("and" relation)*`, `relation = operand ["%" value]
//! ("=" | "!=") range ("," range)*`, `range = value [".." value]`. For a
//! whole number the operands `n` and `i` are the number; `v w f t c e` are 0.

/// CLDR's plural categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

impl Category {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "zero" => Self::Zero,
            "one" => Self::One,
            "two" => Self::Two,
            "few" => Self::Few,
            "many" => Self::Many,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// The category of `count` under `rules` (tried in order; `other` when
/// none holds, or a rule cannot be read).
pub fn category<'r>(rules: impl IntoIterator<Item = (Category, &'r str)>, count: i64) -> Category {
    let n = count.unsigned_abs();
    rules
        .into_iter()
        .find(|(category, rule)| *category != Category::Other && holds(rule, n))
        .map_or(Category::Other, |(category, _)| category)
}

/// Whether `rule` holds for the whole number `n`.
fn holds(rule: &str, n: u64) -> bool {
    rule.split(" or ").any(|and| {
        and.split(" and ")
            .all(|relation| relation_holds(relation.trim(), n).unwrap_or(false))
    })
}

fn relation_holds(relation: &str, n: u64) -> Option<bool> {
    let (left, negated, ranges) = match relation.split_once("!=") {
        Some((left, ranges)) => (left, true, ranges),
        None => {
            let (left, ranges) = relation.split_once('=')?;
            (left, false, ranges)
        }
    };
    let value = match left.split_once('%') {
        Some((operand, modulus)) => {
            operand_value(operand.trim(), n)? % modulus.trim().parse::<u64>().ok()?
        }
        None => operand_value(left.trim(), n)?,
    };
    let mut within = false;
    for range in ranges.split(',') {
        let range = range.trim();
        let (low, high) = match range.split_once("..") {
            Some((low, high)) => (
                low.trim().parse::<u64>().ok()?,
                high.trim().parse::<u64>().ok()?,
            ),
            None => {
                let v = range.parse::<u64>().ok()?;
                (v, v)
            }
        };
        within |= (low..=high).contains(&value);
    }
    Some(within != negated)
}

fn operand_value(operand: &str, n: u64) -> Option<u64> {
    match operand {
        "n" | "i" => Some(n),
        "v" | "w" | "f" | "t" | "c" | "e" => Some(0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_as_cldr_writes_them() {
        let english = [(Category::One, "i = 1 and v = 0"), (Category::Other, "")];
        assert_eq!(category(english, 1), Category::One);
        assert_eq!(category(english, 0), Category::Other);
        assert_eq!(category(english, 2), Category::Other);
        let french = [
            (Category::One, "i = 0,1"),
            (
                Category::Many,
                "e = 0 and i != 0 and i % 1000000 = 0 and v = 0 or e != 0..5",
            ),
            (Category::Other, ""),
        ];
        assert_eq!(category(french, 0), Category::One);
        assert_eq!(category(french, 1), Category::One);
        assert_eq!(category(french, 2), Category::Other);
        assert_eq!(category(french, 2_000_000), Category::Many);
        let ranges = [(Category::Few, "n % 100 = 3..10,13"), (Category::Other, "")];
        assert_eq!(category(ranges, 105), Category::Few);
        assert_eq!(category(ranges, 113), Category::Few);
        assert_eq!(category(ranges, 111), Category::Other);
    }
}
