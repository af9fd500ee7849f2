//! `abs-bench data fetch cifar10`: download the official binary archive, verify its md5, extract it.
//! `abs-bench data check NAME`: load a data set and say what was found where.

use std::io::Read;
use std::path::{Path, PathBuf};

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

/// Downloads `url` to `dest` (HTTPS through rustls, with the Mozilla roots compiled in; no system
/// tool needed). A failure says what went wrong and that the files may be put in place by hand.
pub fn download(url: &str, dest: &Path) -> Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(std::time::Duration::from_secs(20)))
        .timeout_recv_body(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let by_hand = "offline? Put the files in the data folder by hand";
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| Error::Fetch(format!("could not download {url}: {e}; {by_hand}")))?;
    let mut body = response.body_mut().with_config().limit(u64::MAX).reader();
    let mut file = std::fs::File::create(dest).map_err(Error::io("create", dest))?;
    std::io::copy(&mut body, &mut file).map_err(|e| Error::Fetch(format!("download of {url} broke off: {e}; {by_hand}")))?;
    file.sync_all().map_err(Error::io("write", dest))
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

    /// A one-shot HTTP server on the loopback address answering `status` with `body`.
    fn serve_once(status: &'static str, body: Vec<u8>) -> String {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let mut stream = stream;
            let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(&body).unwrap();
        });
        format!("http://{addr}/cifar-10-binary.tar.gz")
    }

    #[test]
    fn downloads_whole_files_and_says_why_one_failed() {
        let scratch = tempfile::tempdir().unwrap();
        let dest = scratch.path().join("got");
        // larger than ureq's default 10 MB body limit
        let body: Vec<u8> = (0..12_000_000u32).map(|i| (i % 251) as u8).collect();
        download(&serve_once("200 OK", body.clone()), &dest).unwrap();
        assert!(std::fs::read(&dest).unwrap() == body);
        let e = download(&serve_once("404 Not Found", b"gone".to_vec()), &dest)
            .unwrap_err()
            .to_string();
        assert!(e.contains("404") && e.contains("by hand"), "{e}");
    }

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
