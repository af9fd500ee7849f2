//! Reports: the paper's figures (plotters, SVG + PNG) and summary tables (Markdown + CSV) drawn from
//! a results folder.

mod budget;
mod carry;
mod chart;
mod claims;
mod comparisons;
mod concurrency;
mod curves;
mod dynamics;
mod figures;
mod forest;
mod profile;
mod series;
mod summary;
mod tables;
mod timeline;

pub use budget::{BudgetCurves, budget_chart, budget_curves, budget_markdown};
pub use chart::{Chart, Legend, Panel, Series, render};
pub use claims::{ClaimRow, evaluate as evaluate_claims};
pub use comparisons::{compact_frame, full_frame, interval_text, ratio_and_verdict, reached_text};
pub use curves::{Band, BandKind, Trace, band};
pub use figures::{Drawing, draw};
pub use forest::{Forest, ForestPanel, ForestRow, render_forest};
pub use profile::{Medians, profile_chart, profile_markdown};
pub use tables::{SummaryRow, conditions_markdown, frame, markdown, rows_from_summary};
pub use timeline::{Timeline, render_timeline, timeline_of};

#[cfg(test)]
mod tests;
