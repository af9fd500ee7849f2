//! The official binary version of CIFAR-10: records of one label byte and 3072 pixel bytes
//! (1024 red, 1024 green, 1024 blue, each 32x32 row-major).

use std::path::Path;

use super::error::DataError;

/// Bytes per record: label + 3 x 32 x 32.
pub const RECORD: usize = 1 + 3 * 32 * 32;
/// Records in each official batch file.
pub const RECORDS_PER_BATCH: usize = 10_000;
/// md5 of the official `cifar-10-binary.tar.gz`.
pub const ARCHIVE_MD5: &str = "c32a1d4ab5d03f1284b67883e8d87530";

/// Splits a batch file into (pixels, labels); `expected` records when given (10,000 for real files).
pub fn parse_batch(bytes: &[u8], expected: Option<usize>, path: &Path) -> Result<(Vec<u8>, Vec<u8>), DataError> {
    if !bytes.len().is_multiple_of(RECORD) || bytes.is_empty() {
        return Err(DataError::at(
            path,
            format!(
                "{} bytes is not a whole number of {RECORD}-byte records (truncated or not a CIFAR-10 binary batch)",
                bytes.len()
            ),
        ));
    }
    let n = bytes.len() / RECORD;
    if let Some(e) = expected
        && n != e
    {
        return Err(DataError::at(path, format!("{n} records, expected {e} ({} bytes)", e * RECORD)));
    }
    let mut pixels = Vec::with_capacity(n * (RECORD - 1));
    let mut labels = Vec::with_capacity(n);
    for (i, rec) in bytes.chunks_exact(RECORD).enumerate() {
        if rec[0] > 9 {
            return Err(DataError::at(path, format!("label {} of record {i} is out of range 0..10", rec[0])));
        }
        labels.push(rec[0]);
        pixels.extend_from_slice(&rec[1..]);
    }
    Ok((pixels, labels))
}

/// Encodes records in the official layout (for tests and tools).
pub fn encode_batch(pixels: &[u8], labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(labels.len() * RECORD);
    for (i, &l) in labels.iter().enumerate() {
        out.push(l);
        out.extend_from_slice(&pixels[i * (RECORD - 1)..(i + 1) * (RECORD - 1)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p = Path::new("data_batch_1.bin");
        let pixels: Vec<u8> = (0..2 * 3072).map(|i| (i % 251) as u8).collect();
        let bytes = encode_batch(&pixels, &[3, 7]);
        assert_eq!(parse_batch(&bytes, Some(2), p).unwrap(), (pixels, vec![3, 7]));
        let e = parse_batch(&bytes[..bytes.len() - 10], None, p).unwrap_err().0;
        assert!(e.contains("data_batch_1.bin") && e.contains("truncated"), "{e}");
        assert!(parse_batch(&bytes, Some(10_000), p).unwrap_err().0.contains("expected 10000"));
        let mut bad = bytes.clone();
        bad[RECORD] = 10;
        assert!(parse_batch(&bad, None, p).unwrap_err().0.contains("label 10 of record 1"));
    }
}
