//! `abs-bench data fetch cifar10`: download the official binary archive, verify its md5, extract it.
//! `abs-bench data check NAME`: load a data set and say what was found where.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use abs_models::data::cifar::ARCHIVE_MD5;
use md5::{Digest, Md5};

use crate::error::{Error, Result};

/// The official location of the CIFAR-10 binary version.
pub const CIFAR10_URL: &str = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

/// Hex md5 of a file.
pub fn md5_hex(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(Error::io("open", path))?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(Error::io("read", path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Downloads `url` to `dest` with curl, or Python's urllib where curl is missing.
fn download(url: &str, dest: &Path) -> Result<()> {
    let curl = Command::new("curl")
        .args(["-fL", "--retry", "2", "--connect-timeout", "20", "-o"])
        .arg(dest)
        .arg(url)
        .status();
    match curl {
        Ok(s) if s.success() => return Ok(()),
        Ok(s) => {
            return Err(Error::Fetch(format!(
                "curl could not download {url} ({s}); offline? Put the files in the data folder by hand"
            )));
        }
        Err(_) => {}
    }
    let py = Command::new("python3")
        .args([
            "-c",
            "import socket, sys, urllib.request; socket.setdefaulttimeout(30); urllib.request.urlretrieve(sys.argv[1], sys.argv[2])",
            url,
        ])
        .arg(dest)
        .status();
    match py {
        Ok(s) if s.success() => Ok(()),
        _ => Err(Error::Fetch(format!(
            "could not download {url} (neither curl nor python3 succeeded); offline? Put the files in the data folder by hand"
        ))),
    }
}

/// Extracts a verified `cifar-10-binary.tar.gz` into `dir` (giving `dir/cifar-10-batches-bin/`).
pub fn extract_cifar10(archive: &Path, dir: &Path) -> Result<()> {
    let md5 = md5_hex(archive)?;
    if md5 != ARCHIVE_MD5 {
        return Err(Error::Fetch(format!(
            "{}: md5 {md5} differs from the official {ARCHIVE_MD5}; not extracting",
            archive.display()
        )));
    }
    let f = std::fs::File::open(archive).map_err(Error::io("open", archive))?;
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(dir)
        .map_err(Error::io("extract", archive))
}

/// Fetches CIFAR-10 into `dir` unless it is already there.
pub fn fetch_cifar10(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let target = dir.join("cifar-10-batches-bin");
    if target.join("test_batch.bin").is_file() {
        return Ok(target);
    }
    let archive = dir.join("cifar-10-binary.tar.gz");
    if !archive.is_file() {
        let partial = dir.join("cifar-10-binary.tar.gz.part");
        download(CIFAR10_URL, &partial)?;
        std::fs::rename(&partial, &archive).map_err(Error::io("rename", &partial))?;
    }
    extract_cifar10(&archive, dir)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_known_bytes_and_refusal_of_a_wrong_archive() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let p = dir.join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(md5_hex(&p).unwrap(), "900150983cd24fb0d6963f7d28e17f72");
        let e = extract_cifar10(&p, &dir).unwrap_err().to_string();
        assert!(e.contains("differs from the official c32a1d4ab5d03f1284b67883e8d87530"), "{e}");
    }
}
