//! Backfill input: the lines of the objects under a prefix, plain and gzip, in key order,
//! resumable, with a corrupt object reported before any of its lines.

use std::io::Write;
use std::sync::Arc;

use securitylake_core::object_store::memory::InMemory;
use securitylake_core::object_store::path::Path;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt};
use securitylake_source::ErrorKind;
use securitylake_source::input::objects::{ObjectLinesInput, ObjectPosition};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip")
}

async fn put(store: &Arc<dyn ObjectStore>, key: &str, bytes: Vec<u8>) -> TestResult {
    store.put(&Path::from(key), bytes.into()).await?;
    Ok(())
}

/// Every (line, key, offset) of the input, and the errors met on the way (by key).
async fn drain(input: &mut ObjectLinesInput) -> (Vec<(String, String, u64)>, Vec<String>) {
    let mut line = String::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    loop {
        match input.next_line(&mut line).await {
            Ok(Some(position)) => {
                lines.push((line.clone(), position.key().to_owned(), position.offset()))
            }
            Ok(None) => return (lines, errors),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
                errors.push(e.to_string());
            }
        }
    }
}

#[tokio::test]
async fn plain_and_gzip_objects_in_key_order() -> TestResult {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    put(&store, "raw/2024/b.log.gz", gzip("b1\nb2\r\n")).await?;
    put(
        &store,
        "raw/2024/a.log",
        b"a1\na2\nlast without newline".to_vec(),
    )
    .await?;
    // A multi-member gzip file (logrotate's `delaycompress` + `cat` produce them).
    let mut two = gzip("c1\n");
    two.extend(gzip("c2\n"));
    put(&store, "raw/2024/c.gz", two).await?;
    put(&store, "other/x.log", b"not under the prefix\n".to_vec()).await?;
    let mut input = ObjectLinesInput::new(store, Some(Path::from("raw")));
    let (lines, errors) = drain(&mut input).await;
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<(&str, &str, u64)> = lines
        .iter()
        .map(|(l, k, o)| (l.as_str(), k.as_str(), *o))
        .collect();
    assert_eq!(
        got,
        [
            ("a1", "raw/2024/a.log", 3),
            ("a2", "raw/2024/a.log", 6),
            ("last without newline", "raw/2024/a.log", 26),
            ("b1", "raw/2024/b.log.gz", 3),
            ("b2", "raw/2024/b.log.gz", 7),
            ("c1", "raw/2024/c.gz", 3),
            ("c2", "raw/2024/c.gz", 6),
        ]
    );
    let stats = input.stats();
    assert_eq!(
        (
            stats.objects_listed,
            stats.objects_done,
            stats.gzip_objects,
            stats.lines
        ),
        (3, 3, 2, 7)
    );
    Ok(())
}

#[tokio::test]
async fn a_corrupt_gzip_object_is_an_error_before_any_of_its_lines() -> TestResult {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let mut corrupt = gzip(&"line\n".repeat(10_000));
    let len = corrupt.len();
    corrupt[len - 6] ^= 0xff; // the CRC-32 in the trailer
    put(&store, "a.gz", corrupt).await?;
    let mut cut = gzip("x\ny\n");
    cut.truncate(cut.len() - 4);
    put(&store, "b.gz", cut).await?;
    put(&store, "c.log", b"fine\n".to_vec()).await?;
    let mut input = ObjectLinesInput::new(store, None);
    let (lines, errors) = drain(&mut input).await;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("object a.gz cannot be read"),
        "{errors:?}"
    );
    assert!(errors[1].contains("object b.gz"), "{errors:?}");
    assert_eq!(lines, [("fine".to_owned(), "c.log".to_owned(), 5)]);
    assert_eq!(input.stats().objects_failed, 2);
    Ok(())
}

#[tokio::test]
async fn resuming_skips_what_the_checkpoint_covers() -> TestResult {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    put(&store, "a.log", b"a1\na2\n".to_vec()).await?;
    put(&store, "b.log.gz", gzip("b1\nb2\nb3\n")).await?;
    put(&store, "c.log", b"c1\n".to_vec()).await?;
    let mut input = ObjectLinesInput::new(store.clone(), None)
        .resume_from(Some(ObjectPosition::new("b.log.gz", 3)));
    let (lines, errors) = drain(&mut input).await;
    assert!(errors.is_empty());
    let got: Vec<&str> = lines.iter().map(|(l, _, _)| l.as_str()).collect();
    assert_eq!(got, ["b2", "b3", "c1"]);
    // Resuming at the end of an object goes on with the next one.
    let mut input =
        ObjectLinesInput::new(store, None).resume_from(Some(ObjectPosition::new("a.log", 6)));
    let (lines, _) = drain(&mut input).await;
    assert_eq!(lines[0].0, "b1");
    Ok(())
}

#[tokio::test]
async fn invalid_utf8_is_replaced_and_counted() -> TestResult {
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    put(&store, "a.log", b"ok\nbad \xff\n".to_vec()).await?;
    let mut input = ObjectLinesInput::new(store, None);
    let (lines, _) = drain(&mut input).await;
    assert_eq!(lines[1].0, "bad \u{fffd}");
    assert_eq!(input.stats().invalid_utf8_lines, 1);
    Ok(())
}

#[tokio::test]
async fn a_call_cancelled_inside_a_line_loses_nothing() -> TestResult {
    use futures::FutureExt;
    // Lines of many lengths over several read buffers: some cross a buffer's end where the
    // reader waits for the file (a first poll that returns pending, inside the line); each
    // object's fetch waits too. Before the fix the lines came back cut there.
    let mut text = String::new();
    for n in 0..3000u64 {
        text.push_str(&format!(
            "line {n} {}\n",
            "x".repeat((n * 37 % 400) as usize)
        ));
    }
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    put(&store, "raw/a.log", text.clone().into_bytes()).await?;
    put(&store, "raw/b.log.gz", gzip(&text)).await?;
    let mut input = ObjectLinesInput::new(store, Some(Path::from("raw")));
    let mut line = String::new();
    let (mut got, mut cancelled, mut last) = (Vec::new(), 0, None);
    loop {
        // Every call is first polled once and dropped when it is not ready (a lost
        // `select!` branch), then made again.
        let position = match input.next_line(&mut line).now_or_never() {
            Some(result) => result?,
            None => {
                cancelled += 1;
                input.next_line(&mut line).await?
            }
        };
        let Some(position) = position else { break };
        got.push(line.clone());
        last = Some(position);
    }
    let expected: Vec<&str> = text.lines().chain(text.lines()).collect();
    assert_eq!(got, expected);
    assert!(cancelled >= 2, "{cancelled} calls cancelled");
    assert_eq!(
        last,
        Some(ObjectPosition::new("raw/b.log.gz", text.len() as u64))
    );
    Ok(())
}
