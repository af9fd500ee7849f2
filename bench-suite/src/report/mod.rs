//! Reports: the paper's figures (plotters, SVG + PNG) and summary tables (Markdown + CSV) drawn from
//! a results folder.

mod chart;
mod comparisons;
mod curves;
mod figures;
mod tables;

pub use chart::{Chart, Legend, Panel, Series, render};
pub use comparisons::{compact_frame, full_frame, interval_text, ratio_and_verdict, reached_text};
pub use curves::{Band, Trace, band};
pub use figures::{Drawing, draw};
pub use tables::{SummaryRow, frame, markdown, rows_from_summary};

#[cfg(test)]
mod tests;
