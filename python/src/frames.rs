//! Frames handed to Python through the Arrow C stream interface (`__arrow_c_stream__`): polars,
//! pyarrow and every Arrow consumer import them without a copy of the columns and without this
//! crate knowing which polars the user has (the C ABI is stable).

use polars::prelude::{CompatLevel, DataFrame, PlSmallStr};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{ArrowArrayStream, export_iterator};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// A table from abs-bench, readable by any Arrow consumer: `polars.DataFrame(frame)` or
/// `pyarrow.table(frame)`. The Python package turns it into a polars DataFrame.
#[pyclass(module = "abs_bench._native", frozen)]
pub struct Frame {
    frame: DataFrame,
}

impl Frame {
    pub fn new(mut frame: DataFrame) -> Frame {
        // one chunk per column, so that record batches line up
        frame.rechunk_mut_par();
        Frame { frame }
    }
}

#[pymethods]
impl Frame {
    /// The Arrow C stream of this table's record batches, as a PyCapsule named
    /// `arrow_array_stream` (the Arrow PyCapsule interface). The schema requested is ignored: the
    /// table has one.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(&self, py: Python<'py>, requested_schema: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = stream_of(&self.frame);
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Rows in the table.
    fn __len__(&self) -> usize {
        self.frame.height()
    }

    fn __repr__(&self) -> String {
        format!("<abs_bench Frame: {} rows x {} columns>", self.frame.height(), self.frame.width())
    }
}

/// The frame's record batches as one stream of struct arrays (the C stream's convention for a
/// table), with the columns' own types (strings as string views).
fn stream_of(frame: &DataFrame) -> ArrowArrayStream {
    let level = CompatLevel::newest();
    let fields: Vec<Field> = frame.columns().iter().map(|c| c.field().to_arrow(level)).collect();
    let dtype = ArrowDataType::Struct(fields);
    let batches: Vec<Box<dyn Array>> = frame
        .iter_chunks(level, false)
        .map(|batch| {
            let len = batch.len();
            StructArray::new(dtype.clone(), len, batch.into_arrays(), None).boxed()
        })
        .collect();
    let field = Field::new(PlSmallStr::EMPTY, dtype, false);
    export_iterator(Box::new(batches.into_iter().map(Ok)), field)
}
