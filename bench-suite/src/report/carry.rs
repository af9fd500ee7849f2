//! What an earlier report in the output folder said about the figures a run could not summarise:
//! a sweep that was not selected (`figures --only`) and whose cells are not all finished here keeps
//! its section and claims in summary.md and its rows of summary.csv, claims.csv and tuning.csv as
//! they were, marked in summary.md as kept (a part summarised from the few cells it shares with
//! the figure drawn would say less than the earlier one). So `figures --only field` on a machine that holds only the
//! field's cells rewrites the field's part of the committed report and leaves the rest standing,
//! where it used to drop every other figure from it.

use std::collections::HashMap;
use std::path::Path;

/// The line a kept section carries under its heading.
pub(super) const KEPT: &str = "*Kept from the earlier report in this folder: this run was not asked to draw this figure \
                               (`figures --only`) and did not find all of its cells.*";

/// The report files of an earlier run in the output folder, as text (absent files are empty).
#[derive(Default)]
pub(super) struct Earlier {
    summary_md: String,
    csv: HashMap<&'static str, String>,
}

/// The CSV files whose rows are kept by figure (each starts with a `figure` column).
pub(super) const CSV_FILES: [&str; 3] = ["summary.csv", "claims.csv", "tuning.csv"];

impl Earlier {
    /// Reads what is there; a file missing or unreadable keeps nothing.
    pub(super) fn read(out: &Path) -> Earlier {
        let text = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
        Earlier {
            summary_md: text("summary.md"),
            csv: CSV_FILES.iter().map(|&f| (f, text(f))).collect(),
        }
    }

    /// Whether the earlier summary.md has a section for figure `name`.
    pub(super) fn has(&self, name: &str) -> bool {
        self.summary_md.contains(&format!("\n## {name}: "))
    }

    /// The earlier summary.md section of figure `name` (its heading to the next heading), marked
    /// as kept; None when there was none.
    pub(super) fn section(&self, name: &str) -> Option<String> {
        let heading = format!("\n## {name}: ");
        let start = self.summary_md.find(&heading)? + 1;
        let rest = &self.summary_md[start..];
        let end = rest[1..].find("\n## ").map_or(rest.len(), |i| i + 1);
        let section = &rest[..end];
        if section.contains(KEPT) {
            return Some(section.to_string());
        }
        // the mark goes under the heading line
        let (head, body) = section.split_once('\n').unwrap_or((section, ""));
        Some(format!("{head}\n\n{KEPT}\n{body}"))
    }

    /// The earlier claims table's rows of figure `name`.
    pub(super) fn claim_lines(&self, name: &str) -> Vec<String> {
        let cell = format!(" | {name} | **");
        self.summary_md
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains(&cell))
            .map(str::to_string)
            .collect()
    }

    /// `file` as this run wrote it (`new`, None when it wrote none) with the rows of the `kept`
    /// figures taken from the earlier file, every figure's rows where `order` puts it; None when
    /// there is nothing to write. Earlier rows follow the new header by column name (a column
    /// the earlier file lacks is left empty).
    pub(super) fn merge_csv(&self, file: &str, new: Option<&str>, order: &[String], kept: &[String]) -> Option<String> {
        let earlier = self.csv.get(file).map(String::as_str).unwrap_or_default();
        let old = Csv::parse(earlier);
        let kept_rows = |f: &str| old.as_ref().map(|o| o.rows_of(f)).unwrap_or_default();
        if kept.iter().all(|f| kept_rows(f).is_empty()) {
            return new.map(str::to_string);
        }
        let new = new.and_then(Csv::parse);
        let header = new.as_ref().or(old.as_ref())?.header.clone();
        let columns = split_fields(&header);
        let mut text = format!("{header}\n");
        for figure in order {
            if kept.contains(figure) {
                let old = old.as_ref()?;
                let at = old.columns();
                for row in old.rows_of(figure) {
                    let fields = split_fields(row);
                    let value = |c: &str| at.get(c).and_then(|&i| fields.get(i)).copied().unwrap_or("");
                    let line: Vec<&str> = columns.iter().map(|c| value(c)).collect();
                    text.push_str(&line.join(","));
                    text.push('\n');
                }
            } else if let Some(new) = &new {
                for row in new.rows_of(figure) {
                    text.push_str(row);
                    text.push('\n');
                }
            }
        }
        Some(text)
    }
}

/// A CSV file as lines: its header and its rows (fields never hold a line break here).
struct Csv<'a> {
    header: String,
    rows: Vec<&'a str>,
}

impl<'a> Csv<'a> {
    fn parse(text: &'a str) -> Option<Csv<'a>> {
        let mut lines = text.lines().filter(|l| !l.is_empty());
        let header = lines.next()?.to_string();
        Some(Csv {
            header,
            rows: lines.collect(),
        })
    }

    /// Column name -> position.
    fn columns(&self) -> HashMap<&str, usize> {
        split_fields(&self.header).into_iter().enumerate().map(|(i, c)| (c, i)).collect()
    }

    /// The rows whose first field is `figure`, in file order.
    fn rows_of(&self, figure: &str) -> Vec<&'a str> {
        self.rows
            .iter()
            .copied()
            .filter(|r| split_fields(r).first() == Some(&figure))
            .collect()
    }
}

/// A CSV line's fields as written, quotes kept (a quoted field may hold commas and doubled quotes).
fn split_fields(line: &str) -> Vec<&str> {
    let (mut fields, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, ch) in line.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                fields.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&line[start..]);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier(md: &str, csv: &[(&'static str, &str)]) -> Earlier {
        Earlier {
            summary_md: md.to_string(),
            csv: csv.iter().map(|&(f, t)| (f, t.to_string())).collect(),
        }
    }

    const MD: &str = "# abs-bench figures: summary\n\nintro\n\n## The paper's claims\n\ntext\n\n\
                      | claim | figure | verdict | comparisons: ratio [95% CI], verdict |\n|---|---|---|---|\n\
                      | A is faster | fig1 | **holds** | a / b: 0.5 [0.4, 0.6] faster |\n\
                      | C is faster | fig2 | **not shown** | c / d: 1.0 [0.9, 1.1] no clear difference |\n\
                      \n## fig1: One\n\n![fig1](fig1.svg)\n\n| series | t |\n|---|---|\n| a | 1 |\n\
                      \n## fig2: Two\n\n| series | t |\n|---|---|\n| c | 2 |\n";

    #[test]
    fn a_section_is_cut_at_the_next_heading_and_marked_once() {
        let e = earlier(MD, &[]);
        let s = e.section("fig1").unwrap();
        assert!(s.starts_with("## fig1: One\n\n*Kept from"), "{s}");
        assert!(s.ends_with("| a | 1 |\n") && !s.contains("fig2"), "{s}");
        let last = e.section("fig2").unwrap();
        assert!(last.ends_with("| c | 2 |\n"), "{last}");
        // kept again: marked once
        let again = earlier(&format!("x\n{s}"), &[]).section("fig1").unwrap();
        assert_eq!(again.matches("Kept from").count(), 1, "{again}");
        assert!(e.section("fig3").is_none());
        assert_eq!(
            e.claim_lines("fig2"),
            vec!["| C is faster | fig2 | **not shown** | c / d: 1.0 [0.9, 1.1] no clear difference |"]
        );
        assert!(e.claim_lines("fig3").is_empty());
    }

    #[test]
    fn kept_rows_take_their_figures_place_under_the_new_header() {
        let old = "figure,series,claim\nfig1,a,\"x, y\"\nfig2,c,\"z\"\nfig3,e,w\n";
        let e = earlier("", &[("summary.csv", old)]);
        let new = "figure,series,held,claim\nfig2,C,3,n\nfig3,E,1,m\n";
        let order: Vec<String> = ["fig1", "fig2", "fig3"].map(String::from).to_vec();
        let merged = e.merge_csv("summary.csv", Some(new), &order, &["fig1".to_string()]).unwrap();
        assert_eq!(merged, "figure,series,held,claim\nfig1,a,,\"x, y\"\nfig2,C,3,n\nfig3,E,1,m\n");
        // nothing kept: the new text as it is; no new file and nothing kept: nothing
        assert_eq!(e.merge_csv("summary.csv", Some(new), &order, &[]).as_deref(), Some(new));
        assert_eq!(e.merge_csv("tuning.csv", None, &order, &["fig1".to_string()]), None);
        // only kept rows, no new file: the earlier header
        let only = e.merge_csv("summary.csv", None, &order, &["fig2".to_string()]).unwrap();
        assert_eq!(only, "figure,series,claim\nfig2,c,\"z\"\n");
    }
}
