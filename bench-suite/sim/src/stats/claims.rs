//! A claim's verdict from the comparisons it rests on.

use super::bootstrap::LEVEL;
use super::paired::{Comparison, Verdict};

/// What the measurements say of a claim that some series are faster than others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimVerdict {
    /// Every comparison the claim makes is "faster" at 95%.
    Holds,
    /// Some comparison goes the other way ("slower"), corrected for the number of comparisons.
    Contradicted,
    /// Neither: some comparison shows no clear difference (or could not be made).
    NotShown,
}

impl ClaimVerdict {
    /// The word the reports print.
    pub fn word(self) -> &'static str {
        match self {
            ClaimVerdict::Holds => "holds",
            ClaimVerdict::Contradicted => "contradicted",
            ClaimVerdict::NotShown => "not shown",
        }
    }
}

/// The verdict of a claim whose comparisons (each claimed "faster") are `comparisons`.
///
/// "Holds" asks every comparison to say faster: an intersection-union test, whose error (calling
/// a false claim true) stays at each comparison's 5% whatever their number, so it needs no
/// correction. "Contradicted" asks only one of m comparisons to say slower, so its error (calling
/// a true claim contradicted) grows with m: a comparison counts against the claim only when its
/// "slower" also survives Holm's step-down at a family-wise 5% (two-sided, as the intervals), which
/// for this "at least one" decision means its one-sided p-value is below 2.5% / m.
pub fn claim_verdict(comparisons: &[&Comparison]) -> ClaimVerdict {
    let m = comparisons.len() as f64;
    let family_tail = (1.0 - LEVEL) / 2.0 / m;
    let slower = |c: &&Comparison| c.verdict == Verdict::Slower && c.p_slower.is_some_and(|p| p < family_tail);
    if comparisons.iter().any(slower) {
        ClaimVerdict::Contradicted
    } else if !comparisons.is_empty() && comparisons.iter().all(|c| c.verdict == Verdict::Faster) {
        ClaimVerdict::Holds
    } else {
        ClaimVerdict::NotShown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    fn with(verdict: Verdict, p_slower: f64) -> Comparison {
        Comparison {
            seeds: 10,
            series_reached: 10,
            reference_reached: 10,
            censored: 0,
            ratios: Vec::new(),
            differences: Vec::new(),
            ratio: None,
            difference: None,
            p_slower: Some(p_slower),
            verdict,
        }
    }

    #[test]
    fn a_claim_holds_only_when_every_comparison_does() {
        let (fast, tie, slow) = (with(Faster, 1.0), with(NoClearDifference, 0.3), with(Slower, 0.0));
        assert_eq!(claim_verdict(&[&fast, &fast]), ClaimVerdict::Holds);
        assert_eq!(claim_verdict(&[&fast, &tie]), ClaimVerdict::NotShown);
        assert_eq!(claim_verdict(&[&fast, &slow, &tie]), ClaimVerdict::Contradicted);
        assert_eq!(claim_verdict(&[&with(TooFewSeeds, 0.0)]), ClaimVerdict::NotShown);
        assert_eq!(claim_verdict(&[]), ClaimVerdict::NotShown);
    }

    #[test]
    fn contradiction_is_corrected_for_the_number_of_comparisons() {
        // slower at 95% alone (p 1.5% < 2.5%), but not among 2 (1.25%) or 4 (0.625%) comparisons
        let barely = with(Slower, 0.015);
        let fast = with(Faster, 1.0);
        assert_eq!(claim_verdict(&[&barely]), ClaimVerdict::Contradicted);
        assert_eq!(claim_verdict(&[&barely, &fast]), ClaimVerdict::NotShown);
        assert_eq!(claim_verdict(&[&barely, &fast, &fast, &fast]), ClaimVerdict::NotShown);
        // a clear one survives any of these corrections
        let clear = with(Slower, 0.001);
        assert_eq!(claim_verdict(&[&clear, &fast, &fast, &fast]), ClaimVerdict::Contradicted);
    }
}
