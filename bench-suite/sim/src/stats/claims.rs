//! A claim's verdict from the comparisons it rests on.

use super::paired::Verdict;

/// What the measurements say of a claim that some series are faster than others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimVerdict {
    /// Every comparison the claim makes is "faster" at 95%.
    Holds,
    /// At least one comparison goes the other way ("slower" at 95%).
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

/// The verdict of a claim whose comparisons (each claimed "faster") gave `verdicts`. Intervals are
/// per comparison, not simultaneous: a claim resting on m comparisons holds at a family-wise level
/// below 95% (at worst 1 - 0.05 m).
pub fn claim_verdict(verdicts: &[Verdict]) -> ClaimVerdict {
    if verdicts.contains(&Verdict::Slower) {
        ClaimVerdict::Contradicted
    } else if !verdicts.is_empty() && verdicts.iter().all(|v| *v == Verdict::Faster) {
        ClaimVerdict::Holds
    } else {
        ClaimVerdict::NotShown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    #[test]
    fn a_claim_holds_only_when_every_comparison_does() {
        assert_eq!(claim_verdict(&[Faster, Faster]), ClaimVerdict::Holds);
        assert_eq!(claim_verdict(&[Faster, NoClearDifference]), ClaimVerdict::NotShown);
        assert_eq!(claim_verdict(&[Faster, Slower, NoClearDifference]), ClaimVerdict::Contradicted);
        assert_eq!(claim_verdict(&[TooFewSeeds]), ClaimVerdict::NotShown);
        assert_eq!(claim_verdict(&[]), ClaimVerdict::NotShown);
    }
}
