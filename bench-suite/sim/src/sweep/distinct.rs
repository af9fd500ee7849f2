//! Cells that resolve to the same config are one cell: computed once, into one folder.

use std::collections::HashMap;

use super::Cell;

/// A cell that is the same run as an earlier one in the list (same id), and so is not run again.
#[derive(Debug, Clone, PartialEq)]
pub struct SameCell {
    pub id: String,
    /// The label and condition of the cell kept.
    pub kept: String,
    /// The label and condition of the one dropped.
    pub dropped: String,
}

impl std::fmt::Display for SameCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is the same run as {} (cell {}): computed once",
            self.dropped, self.kept, self.id
        )
    }
}

/// `cells` with each id once, in first-seen order (a later duplicate that asks for the job log
/// passes that on to the kept cell), and the duplicates dropped. Two cells with one id would share
/// a folder and a temporary, so running both could remove one's output while the other writes it.
pub fn distinct(cells: Vec<Cell>) -> (Vec<Cell>, Vec<SameCell>) {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(cells.len());
    let mut kept: Vec<Cell> = Vec::with_capacity(cells.len());
    let mut same = Vec::new();
    for c in cells {
        match index.get(&c.id) {
            Some(&i) => {
                kept[i].jobs_log |= c.jobs_log;
                same.push(SameCell {
                    id: c.id.clone(),
                    kept: describe(&kept[i]),
                    dropped: describe(&c),
                });
            }
            None => {
                index.insert(c.id.clone(), kept.len());
                kept.push(c);
            }
        }
    }
    (kept, same)
}

/// "`label` (condition `c`, seed 3)": enough to find a cell in its sweep file.
fn describe(c: &Cell) -> String {
    let mut s = format!("`{}`", c.label);
    let mut parts = Vec::new();
    if !c.condition.is_empty() {
        parts.push(format!("condition `{}`", c.condition));
    }
    parts.extend(c.point.iter().map(|(k, v)| format!("{k} {v}")));
    if !parts.is_empty() {
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::expand;

    #[test]
    fn two_entries_of_one_config_are_one_cell() {
        let yaml = "base: {model: analytic, max_rounds: 5}\npolicies: {a: abs, b: abs, c: adasync}\ngrid: {seed: [0, 1]}\n";
        let mut cells = expand(yaml, "s.yaml").unwrap();
        assert_eq!(cells.len(), 6);
        cells[3].jobs_log = true; // b, seed 1
        let (kept, same) = distinct(cells);
        let labels: Vec<&str> = kept.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["a", "a", "c", "c"]);
        assert!(kept[1].jobs_log, "the duplicate's job log is asked of the kept cell");
        assert!(!kept[0].jobs_log);
        assert_eq!(same.len(), 2);
        assert_eq!(
            same[1].to_string(),
            format!("`b` (seed 1) is the same run as `a` (seed 1) (cell {}): computed once", kept[1].id)
        );
    }
}
