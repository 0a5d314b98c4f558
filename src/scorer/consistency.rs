//! SPEC §4: whether a written value is explained by what the shown inputs allow.

use rust_decimal::Decimal;

use crate::number::{Shown, round_half_away};

/// The exact values a computation can yield from rounded inputs, and its point value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub point: Decimal,
    pub lo: Decimal,
    pub hi: Decimal,
}

impl Span {
    pub fn exact(v: Decimal) -> Self {
        Self {
            point: v,
            lo: v,
            hi: v,
        }
    }

    /// The smallest span holding this one and `v` (another accepted way of computing).
    pub fn with(mut self, v: Decimal) -> Self {
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
        self
    }

    /// Every value lowered by `p`, not below zero (a deduction).
    pub fn minus(self, p: Decimal) -> Self {
        let f = |v: Decimal| (v - p).max(Decimal::ZERO);
        Self {
            point: f(self.point),
            lo: f(self.lo),
            hi: f(self.hi),
        }
    }

    /// A function of one input over its interval, evaluated at the ends and at the kinks
    /// (where a `min`/`max` changes branch) that fall inside it.
    pub fn over(
        x: (Decimal, Decimal),
        point: Decimal,
        kinks: &[Decimal],
        f: impl Fn(Decimal) -> Decimal,
    ) -> Self {
        let mut span = Self::exact(f(point));
        for v in [x.0, x.1]
            .into_iter()
            .chain(kinks.iter().copied().filter(|k| *k >= x.0 && *k <= x.1))
        {
            span = span.with(f(v));
        }
        span
    }
}

/// How a written value relates to the recomputed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Equal to the point value at the shown precision.
    Exact,
    /// Differs from the point value, but rounding of the inputs or of the value explains it.
    Rounding,
    Wrong,
}

/// Compares at the written value's own precision: `9` is right for 9.45 and wrong for 9.91.
/// `display` is the precision the profile shows (2 for scores): a value written with more
/// decimals than that is compared at its own, with fewer at its own.
pub fn judge(written: Shown, span: Span, display: u32) -> Verdict {
    let d = written.decimals;
    let lo = round_half_away(span.lo, d);
    let hi = round_half_away(span.hi, d);
    if written.value < lo || written.value > hi {
        return Verdict::Wrong;
    }
    if written.value == round_half_away(span.point, d.max(display)) {
        Verdict::Exact
    } else {
        Verdict::Rounding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn shown(s: &str) -> Shown {
        Shown::exact(d(s))
    }

    #[test]
    fn fewer_decimals_are_compared_at_their_own_precision() {
        assert_eq!(
            judge(shown("9"), Span::exact(d("9.45")), 2),
            Verdict::Rounding
        );
        assert_eq!(judge(shown("9"), Span::exact(d("9.91")), 2), Verdict::Wrong);
        assert_eq!(
            judge(shown("9.7"), Span::exact(d("9.68")), 2),
            Verdict::Rounding
        );
        assert_eq!(
            judge(shown("9.68"), Span::exact(d("9.684")), 2),
            Verdict::Exact
        );
        assert_eq!(
            judge(shown("9.69"), Span::exact(d("9.684")), 2),
            Verdict::Wrong
        );
        assert_eq!(judge(shown("2"), Span::exact(d("2")), 2), Verdict::Exact);
        assert_eq!(judge(shown("1.98"), Span::exact(d("2")), 2), Verdict::Wrong);
    }

    #[test]
    fn rounded_inputs_widen_the_span() {
        // 25.41 / 25.48 shown at 2 decimals: the seed's 99.71% is explained.
        let b = shown("25.41").interval();
        let a = shown("25.48").interval();
        let span = Span {
            point: d("25.41") / d("25.48"),
            lo: b.0 / a.1,
            hi: b.1 / a.0,
        };
        let rate = Shown {
            value: d("0.9971"),
            decimals: 4,
            percent: true,
        };
        assert_eq!(judge(rate, span, 4), Verdict::Rounding);
        let wrong = Shown {
            value: d("0.9950"),
            ..rate
        };
        assert_eq!(judge(wrong, span, 4), Verdict::Wrong);
    }

    #[test]
    fn span_over_includes_kinks() {
        let f = |x: Decimal| x.min(Decimal::ONE);
        let s = Span::over((d("0.9"), d("1.2")), d("1"), &[Decimal::ONE], f);
        assert_eq!((s.lo, s.hi), (d("0.9"), d("1")));
    }
}
