//! The accuracy curves as one tidy frame: every evaluation of every cell beside its cell's id,
//! label, condition and config (a cell's `evals.parquet` holds none of them), for `results
//! --curves` and the `curves.parquet` that `figures` writes beside its figures.

use std::path::Path;

use polars::prelude::*;

use super::load::Loaded;
use crate::error::{Error, Result};

/// The column naming a figure (the sweep's file stem) in the figures' curves file.
pub const FIGURE: &str = "figure";

/// The row of `Loaded::cells` an evaluation belongs to, while the frame is built.
const ROW: &str = "__cells_row";

/// Every evaluation of every loaded cell, one row each, so that the curves behind a figure or a
/// summary can be plotted or checked elsewhere (polars, DuckDB, pandas) without reading each
/// cell's `evals.parquet` and its manifest: first the columns of [`Loaded::cells`], under the names
/// `results --parquet` gives them (`cell`, `label`, `condition`, `policy`, `stop_reason`, then
/// every config key, nested keys dotted), then the columns of `evals.parquet` (`round`, `time`,
/// `uploads`, `downloads`, `comm`, `test_loss`, `test_accuracy`). Rows follow the cells' order (the
/// sweep's, when loaded from one), then each cell's evaluations in order. A cell loaded twice (two
/// policy entries of one config) has its evaluations twice, once under each label.
pub fn curves(loaded: &Loaded) -> PolarsResult<DataFrame> {
    if loaded.dirs.is_empty() {
        return Err(PolarsError::NoData("no finished cells".into()));
    }
    // by row, not by id: the same cell may be loaded under two labels
    let scans = loaded
        .dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let path = PlRefPath::try_from_path(&dir.join("evals.parquet"))?;
            Ok(LazyFrame::scan_parquet(path, ScanArgsParquet::default())?.with_column(lit(i as u64).cast(IDX_DTYPE).alias(ROW)))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut evals = concat(scans, UnionArgs::default())?;
    let cell_columns = loaded.cells.get_column_names_owned();
    let eval_columns: Vec<PlSmallStr> = evals
        .collect_schema()?
        .iter_names()
        .filter(|n| n.as_str() != ROW)
        .cloned()
        .collect();
    if let Some(both) = eval_columns.iter().find(|c| cell_columns.contains(c)) {
        return Err(PolarsError::Duplicate(
            format!("`{both}` is both a config key and a column of evals.parquet").into(),
        ));
    }
    let mut in_order = JoinArgs::new(JoinType::Left);
    in_order.maintain_order = MaintainOrderJoin::Left;
    let cells = loaded.cells.clone().lazy().with_row_index(ROW, None);
    evals
        .join(cells, [col(ROW)], [col(ROW)], in_order)
        .select(cell_columns.iter().chain(&eval_columns).map(|c| col(c.clone())).collect::<Vec<_>>())
        .collect()
}

/// [`curves`] with a [`FIGURE`] column first, holding `figure` (the sweep's name) on every row:
/// one figure's rows of the figures' curves file.
pub fn figure_curves(figure: &str, loaded: &Loaded) -> PolarsResult<DataFrame> {
    let mut frame = curves(loaded)?;
    let names = vec![figure; frame.height()];
    frame.insert_column(0, Column::new(FIGURE.into(), names))?;
    Ok(frame)
}

/// The figures' curves file once `drawn` (each figure's name and its [`figure_curves`]) are drawn:
/// their rows replace theirs in `previous` (the file as it was, when there was one), and the rows
/// of every other figure are kept as they were, so drawing some figures (`figures --only`) leaves
/// the others' curves in place. Figures come in `order` (the figures' order), any other figure of
/// `previous` after them as it was. Figures may have different config columns: a column a figure
/// does not have is null in its rows (a column two figures type differently takes their common
/// type). Columns: [`FIGURE`], every other column but the evaluation's in first appearance, then
/// the evaluation's ([`crate::output::evals_frame`]'s).
pub fn merge_figure_curves(previous: Option<DataFrame>, drawn: Vec<(String, DataFrame)>, order: &[String]) -> PolarsResult<DataFrame> {
    let previous = previous.map(DataFrame::lazy);
    let kept = |name: &str| previous.clone().map(|p| p.filter(col(FIGURE).eq(lit(name))));
    let mut drawn: Vec<(String, Option<DataFrame>)> = drawn.into_iter().map(|(n, f)| (n, Some(f))).collect();
    let mut take = |name: &str| drawn.iter_mut().find(|(n, _)| n == name).and_then(|(_, f)| f.take());
    let mut parts: Vec<LazyFrame> = Vec::new();
    for name in order {
        match take(name) {
            Some(frame) => parts.push(frame.lazy()),
            None => parts.extend(kept(name)),
        }
    }
    // figures the file holds that are not among today's sweeps, then any drawn outside `order`
    if let Some(p) = &previous {
        let others = order.iter().fold(lit(true), |e, name| e.and(col(FIGURE).neq(lit(name.as_str()))));
        let drawn_too = drawn
            .iter()
            .fold(lit(true), |e, (name, _)| e.and(col(FIGURE).neq(lit(name.as_str()))));
        parts.push(p.clone().filter(others.and(drawn_too)));
    }
    parts.extend(drawn.into_iter().filter_map(|(_, f)| f.map(DataFrame::lazy)));
    if parts.is_empty() {
        return Ok(DataFrame::empty());
    }
    let diagonal = UnionArgs {
        diagonal: true,
        to_supertypes: true,
        ..UnionArgs::default()
    };
    let mut merged = concat(parts, diagonal)?;
    let names: Vec<PlSmallStr> = merged.collect_schema()?.iter_names().cloned().collect();
    let evaluation = crate::output::evals_frame(&[])?.get_column_names_owned();
    let first = names.iter().filter(|n| n.as_str() == FIGURE);
    let middle = names.iter().filter(|n| n.as_str() != FIGURE && !evaluation.contains(n));
    let last = evaluation.iter().filter(|n| names.contains(n));
    merged
        .select(first.chain(middle).chain(last).map(|c| col(c.clone())).collect::<Vec<_>>())
        .collect()
}

/// Writes `path` (the figures' `curves.parquet`) as [`merge_figure_curves`] of the file already
/// there and `drawn`, through a temporary file (a crash leaves the old file whole); a file already
/// there that does not read is said and replaced. Returns the rows and figures written.
pub fn write_figure_curves(path: &Path, drawn: Vec<(String, DataFrame)>, order: &[String]) -> Result<(usize, usize)> {
    let previous = match std::fs::File::open(path) {
        Ok(f) => match ParquetReader::new(f).finish() {
            Ok(frame) if frame.column(FIGURE).is_ok() => Some(frame),
            Ok(_) => {
                eprintln!("figures: {} has no `{FIGURE}` column: written anew", path.display());
                None
            }
            Err(e) => {
                eprintln!(
                    "figures: {} does not read ({e}): written anew with the figures drawn now (`abs-bench figures` draws them all)",
                    path.display()
                );
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", path)(e)),
    };
    let mut merged = merge_figure_curves(previous, drawn, order).map_err(Error::frame("merge the curves of", path))?;
    if merged.width() == 0 {
        return Ok((0, 0));
    }
    let figures = merged
        .column(FIGURE)
        .and_then(|c| c.n_unique())
        .map_err(Error::frame("count the figures of", path))?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(Error::io("create", &tmp))?;
    ParquetWriter::new(&mut f)
        .finish(&mut merged)
        .map_err(Error::frame("write", &tmp))?;
    f.sync_all().map_err(Error::io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io("rename a temporary file to", path))?;
    Ok((merged.height(), figures))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::load;
    use crate::runner::{Budget, CellOutcome, Silent, run_cells};
    use abs_sim::sweep::Cell;

    /// A results folder with a tiny analytic sweep run in it (two conditions, one config under two
    /// labels, two seeds), and its cells in the sweep's order.
    fn tiny_results() -> (tempfile::TempDir, Vec<Cell>) {
        let yaml = "base: {model: analytic, max_rounds: 30, eval_every: 10, analytic: {dim: 4, train_samples: 300, test_samples: 100}}\n\
                    policies: {abs: abs, again: abs, sync: local_sgd}\n\
                    conditions: {plain: {}, wide: {workers: 6}}\n\
                    grid: {seed: [0, 1]}\n";
        let cells = abs_sim::sweep::expand(yaml, "t.yaml").unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (distinct, _) = abs_sim::sweep::distinct(cells.clone());
        let done = run_cells(scratch.path(), &distinct, Budget { jobs: 1, threads: 1 }, false, &Silent).unwrap();
        assert!(done.iter().all(|o| *o == CellOutcome::Done), "{done:?}");
        (scratch, cells)
    }

    fn strings(frame: &DataFrame, name: &str) -> Vec<String> {
        let c = frame.column(name).unwrap().str().unwrap().clone();
        c.iter().map(|v| v.unwrap_or_default().to_string()).collect()
    }

    fn ints(frame: &DataFrame, name: &str) -> Vec<i64> {
        let c = frame.column(name).unwrap().cast(&DataType::Int64).unwrap();
        c.i64().unwrap().iter().map(|v| v.unwrap()).collect()
    }

    #[test]
    fn curves_hold_every_evaluation_beside_its_cells_label_condition_and_seed() {
        let (scratch, cells) = tiny_results();
        let loaded = load(scratch.path(), Some(&cells)).unwrap();
        assert_eq!(loaded.cells.height(), 3 * 2 * 2, "every listed cell, the one run twice included");
        let frame = curves(&loaded).unwrap();
        // the cells' columns under their --parquet names, then the evaluation's
        let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
        let cells_columns: Vec<String> = loaded.cells.get_column_names().iter().map(|n| n.to_string()).collect();
        let evaluation: Vec<String> = crate::output::evals_frame(&[])
            .unwrap()
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, [cells_columns, evaluation].concat());
        // one row per evaluation, in the cells' order, then the evaluations'
        let mut expected: Vec<(String, String, String, i64, i64)> = Vec::new();
        for c in &cells {
            let evals = crate::output::read_frame(&crate::runner::cell_dir(scratch.path(), c), "evals").unwrap();
            assert!(evals.height() > 1, "{} has its evaluations", c.id);
            for round in ints(&evals, "round") {
                expected.push((c.id.clone(), c.label.clone(), c.condition.clone(), c.config.seed as i64, round));
            }
        }
        let (ids, labels, conditions) = (strings(&frame, "cell"), strings(&frame, "label"), strings(&frame, "condition"));
        let (seeds, rounds) = (ints(&frame, "seed"), ints(&frame, "round"));
        let got: Vec<(String, String, String, i64, i64)> = (0..frame.height())
            .map(|i| (ids[i].clone(), labels[i].clone(), conditions[i].clone(), seeds[i], rounds[i]))
            .collect();
        assert_eq!(got, expected);
        assert!(labels.contains(&"again".to_string()) && conditions.contains(&"wide".to_string()));
        let workers = ints(&frame, "workers");
        assert!(
            (0..frame.height()).all(|i| (conditions[i] == "wide") == (workers[i] == 6)),
            "the config columns are the cell's"
        );
        // without a sweep: every cell once, by id, labelled by its policy
        let all = curves(&load(scratch.path(), None).unwrap()).unwrap();
        assert_eq!(all.height(), frame.height() / 3 * 2);
    }

    #[test]
    fn redrawing_one_figure_keeps_the_other_figures_rows() {
        let (scratch, cells) = tiny_results();
        let of = |condition: &str| -> Vec<Cell> { cells.iter().filter(|c| c.condition == condition).cloned().collect() };
        let fig1 = figure_curves("fig1", &load(scratch.path(), Some(&of("plain"))).unwrap()).unwrap();
        // a figure with a column the other does not have
        let mut fig2 = figure_curves("fig2", &load(scratch.path(), Some(&of("wide"))).unwrap()).unwrap();
        fig2.with_column(Column::new("only_fig2".into(), vec![7i64; fig2.height()]))
            .unwrap();
        let order: Vec<String> = ["fig1", "fig2", "fig3"].map(String::from).to_vec();
        let path = scratch.path().join("curves.parquet");
        let (rows, figures) =
            write_figure_curves(&path, vec![("fig2".into(), fig2.clone()), ("fig1".into(), fig1.clone())], &order).unwrap();
        assert_eq!((rows, figures), (fig1.height() + fig2.height(), 2));
        let read = || ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        let both = read();
        assert_eq!(both.get_column_names()[0].as_str(), FIGURE);
        assert_eq!(
            both.get_column_names().last().unwrap().as_str(),
            "test_accuracy",
            "the evaluation's columns last"
        );
        assert_eq!(strings(&both, FIGURE)[0], "fig1", "in the figures' order");
        let only = both.column("only_fig2").unwrap();
        assert_eq!(only.null_count(), fig1.height(), "null where a figure lacks the column");

        // fig2 drawn again from fewer cells: fig1's rows are as they were, fig2's replaced
        let fewer: Vec<Cell> = of("wide").into_iter().filter(|c| c.config.seed == 0).collect();
        let fig2_again = figure_curves("fig2", &load(scratch.path(), Some(&fewer)).unwrap()).unwrap();
        let (rows, _) = write_figure_curves(&path, vec![("fig2".into(), fig2_again.clone())], &order).unwrap();
        assert_eq!(rows, fig1.height() + fig2_again.height());
        let after = read();
        let figure_rows = |frame: &DataFrame, name: &str| frame.clone().lazy().filter(col(FIGURE).eq(lit(name))).collect().unwrap();
        let kept = figure_rows(&after, "fig1").drop("only_fig2").unwrap();
        assert!(kept.equals_missing(&fig1), "fig1's rows are kept as they were");
        // (the file keeps the column fig1's old rows carry, null in the new fig2's)
        let replaced = figure_rows(&after, "fig2");
        assert_eq!(replaced.column("only_fig2").unwrap().null_count(), fig2_again.height());
        assert!(
            replaced.drop("only_fig2").unwrap().equals_missing(&fig2_again),
            "fig2's rows are replaced"
        );

        // in memory: a figure of the old file no sweep names any more stays, after the others
        let mut gone = fig1.clone();
        gone.with_column(Column::new(FIGURE.into(), vec!["old"; fig1.height()])).unwrap();
        let previous = concat(
            [after.lazy(), gone.lazy()],
            UnionArgs {
                diagonal: true,
                ..Default::default()
            },
        )
        .unwrap()
        .collect()
        .unwrap();
        let merged = merge_figure_curves(Some(previous), vec![("fig1".into(), fig1.clone())], &order).unwrap();
        let figures = strings(&merged, FIGURE);
        assert_eq!(figures.first().map(String::as_str), Some("fig1"));
        assert_eq!(figures.last().map(String::as_str), Some("old"));
        assert_eq!(merged.height(), fig1.height() * 2 + fig2_again.height());
    }

    #[test]
    fn a_figure_drawn_for_the_first_time_is_added() {
        let (scratch, cells) = tiny_results();
        let fig = figure_curves("fig1", &load(scratch.path(), Some(&cells)).unwrap()).unwrap();
        let merged = merge_figure_curves(None, vec![("fig1".into(), fig.clone())], &["fig1".to_string()]).unwrap();
        assert!(merged.equals_missing(&fig));
        assert_eq!(merge_figure_curves(None, vec![], &[]).unwrap().width(), 0);
    }
}
