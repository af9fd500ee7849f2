//! The IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed).

use std::io::Read;
use std::path::Path;

use super::error::DataError;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
/// Signed 32-bit integers in 1 dimension (client ids).
const IDS_MAGIC: u32 = 0x0000_0C01;
/// Unsigned bytes in 4 dimensions: count x channels x rows x cols.
const IMAGES4_MAGIC: u32 = 0x0000_0804;

/// Reads a file, gunzipping it when it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::at(path, format!("cannot read: {e}")))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::at(path, format!("bad gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Refuses a file shorter than its `header` bytes or whose magic number is not `magic`; `kind`
/// ("image", "label") and `format` name it in the messages.
fn check_header(bytes: &[u8], path: &Path, header: usize, magic: u32, kind: &str, format: &str) -> Result<(), DataError> {
    if bytes.len() < header {
        let article = if header == 8 { "an" } else { "a" };
        return Err(DataError::at(
            path,
            format!(
                "truncated: {} bytes, an IDX {kind} file has {article} {header}-byte header",
                bytes.len()
            ),
        ));
    }
    let found = be_u32(bytes, 0);
    if found != magic {
        return Err(DataError::at(
            path,
            format!("bad magic number 0x{found:08x}: expected 0x{magic:08x} ({format})"),
        ));
    }
    Ok(())
}

/// Images of an `idx3-ubyte` file: (count, rows, cols, pixels row-major, one byte each).
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<(usize, usize, usize, Vec<u8>), DataError> {
    check_header(bytes, path, 16, IMAGES_MAGIC, "image", "idx3-ubyte images")?;
    let (n, rows, cols) = (be_u32(bytes, 4) as usize, be_u32(bytes, 8) as usize, be_u32(bytes, 12) as usize);
    let expected = 16 + n * rows * cols;
    if bytes.len() != expected {
        return Err(DataError::at(
            path,
            format!(
                "{} bytes, expected {expected} for {n} images of {rows}x{cols} (truncated or corrupt)",
                bytes.len()
            ),
        ));
    }
    Ok((n, rows, cols, bytes[16..].to_vec()))
}

/// Channels, rows and columns of an image.
pub type ImageDims = (usize, usize, usize);

/// Images of an `idx3-ubyte` (count x rows x cols, one channel) or `idx4-ubyte` (count x
/// channels x rows x cols) file: (count, (channels, rows, cols), pixels in that order).
pub fn parse_images_any(bytes: &[u8], path: &Path) -> Result<(usize, ImageDims, Vec<u8>), DataError> {
    if bytes.len() >= 4 && be_u32(bytes, 0) == IMAGES4_MAGIC {
        check_header(bytes, path, 20, IMAGES4_MAGIC, "image", "idx4-ubyte images")?;
        let dims: Vec<usize> = (0..4).map(|i| be_u32(bytes, 4 + 4 * i) as usize).collect();
        let (n, c, rows, cols) = (dims[0], dims[1], dims[2], dims[3]);
        let expected = n.checked_mul(c * rows * cols).and_then(|v| v.checked_add(20));
        if Some(bytes.len()) != expected {
            return Err(DataError::at(
                path,
                format!(
                    "{} bytes, expected 20 + {n} x {c}x{rows}x{cols} (truncated or corrupt)",
                    bytes.len()
                ),
            ));
        }
        return Ok((n, (c, rows, cols), bytes[20..].to_vec()));
    }
    let (n, rows, cols, pixels) = parse_images(bytes, path)?;
    Ok((n, (1, rows, cols), pixels))
}

/// Labels of an `idx1-ubyte` file, each checked to be below `classes`.
pub fn parse_labels(bytes: &[u8], classes: usize, path: &Path) -> Result<Vec<u8>, DataError> {
    check_header(bytes, path, 8, LABELS_MAGIC, "label", "idx1-ubyte labels")?;
    let n = be_u32(bytes, 4) as usize;
    if bytes.len() != 8 + n {
        return Err(DataError::at(
            path,
            format!("{} bytes, expected {} for {n} labels (truncated or corrupt)", bytes.len(), 8 + n),
        ));
    }
    let labels = bytes[8..].to_vec();
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, l)| usize::from(**l) >= classes) {
        return Err(DataError::at(path, format!("label {l} of record {i} is out of range 0..{classes}")));
    }
    Ok(labels)
}

/// Non-negative 32-bit integers of an IDX `int` vector (magic 0x00000C01, big-endian), e.g.
/// each training sample's client id.
pub fn parse_ids(bytes: &[u8], path: &Path) -> Result<Vec<u32>, DataError> {
    check_header(bytes, path, 8, IDS_MAGIC, "id", "a 1-dimensional IDX int (0x0C) vector")?;
    let n = be_u32(bytes, 4) as usize;
    if bytes.len() != 8 + 4 * n {
        return Err(DataError::at(
            path,
            format!("{} bytes, expected {} for {n} ids (truncated or corrupt)", bytes.len(), 8 + 4 * n),
        ));
    }
    bytes[8..]
        .chunks_exact(4)
        .enumerate()
        .map(|(i, b)| {
            let v = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            u32::try_from(v).map_err(|_| DataError::at(path, format!("id {v} of record {i} is negative")))
        })
        .collect()
}

/// Writes IDX files in the official layout (for tests and tools).
pub fn encode_images(n: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels.len());
    for v in [IMAGES_MAGIC, n as u32, rows as u32, cols as u32] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

/// Writes an IDX label file in the official layout.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let p = Path::new("t.idx");
        let pixels: Vec<u8> = (0..3 * 4 * 5).map(|i| i as u8).collect();
        let img = encode_images(3, 4, 5, &pixels);
        assert_eq!(parse_images(&img, p).unwrap(), (3, 4, 5, pixels));
        let e = parse_images(&img[..img.len() - 1], p).unwrap_err().0;
        assert!(e.contains("t.idx") && e.contains("truncated"), "{e}");
        let mut bad = img.clone();
        bad[3] = 0x01;
        assert!(parse_images(&bad, p).unwrap_err().0.contains("bad magic"));
        let lab = encode_labels(&[0, 9, 3]);
        assert_eq!(parse_labels(&lab, 10, p).unwrap(), vec![0, 9, 3]);
        let e = parse_labels(&encode_labels(&[0, 10]), 10, p).unwrap_err().0;
        assert!(e.contains("label 10 of record 1"), "{e}");
        assert!(parse_labels(&lab[..5], 10, p).unwrap_err().0.contains("truncated"));
        assert!(parse_labels(&img, 10, p).unwrap_err().0.contains("bad magic"));
    }

    #[test]
    fn gzip_files_are_read_transparently() {
        use std::io::Write;
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let path = dir.join("labels.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&encode_labels(&[1, 2, 3])).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let bytes = read_maybe_gz(&path).unwrap();
        assert_eq!(parse_labels(&bytes, 10, &path).unwrap(), vec![1, 2, 3]);
    }
}
