//! The journald input against a stand-in `journalctl` (a shell script writing the export
//! format and honouring `--after-cursor`), as the real one is not on every machine.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use securitylake_source::ErrorKind;
use securitylake_source::input::journald::JournaldInput;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Held while a test writes a script or starts a program. A child forked by one test's spawn
/// holds, until it execs, every descriptor open at that instant, including another test's script
/// being written; executing that script then fails with "Text file busy" (ETXTBSY).
static FORKS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` (writing a script, or starting a program) while no other test does either.
fn exclusive<T>(f: impl FnOnce() -> T) -> T {
    let _guard = FORKS.lock().unwrap_or_else(|p| p.into_inner());
    f()
}

/// Writes an executable script at `path`.
fn write_script(path: &Path, script: &str) -> std::io::Result<()> {
    exclusive(|| {
        std::fs::write(path, script)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
    })
}

/// A `journalctl` that prints entries c1..c4 (c3 with a binary MESSAGE), skipping those up to
/// the `--after-cursor` it is given, then follows (sleeps) or exits as `$TAIL` says.
fn fake_journalctl(dir: &Path, tail: &str) -> std::io::Result<PathBuf> {
    let path = dir.join("journalctl");
    let script = format!(
        r#"#!/bin/sh
after=""
for arg in "$@"; do
  case "$arg" in --after-cursor=*) after="${{arg#--after-cursor=}}";; esac
done
emit=1
[ -n "$after" ] && emit=0
for c in c1 c2 c3 c4; do
  if [ "$emit" = 1 ]; then
    printf '__CURSOR=%s\n__REALTIME_TIMESTAMP=1718010000000000\n_HOSTNAME=bastion\n' "$c"
    if [ "$c" = c3 ]; then
      printf 'MESSAGE\n\016\000\000\000\000\000\000\000two\nline text!\n'
    else
      printf 'MESSAGE=entry %s\n' "$c"
    fi
    printf '\n'
  fi
  [ "$c" = "$after" ] && emit=1
done
{tail}
"#
    );
    write_script(&path, &script)?;
    Ok(path)
}

async fn entries(input: &mut JournaldInput, n: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut entry = Vec::new();
    while out.len() < n {
        let cursor = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            input.next_entry(&mut entry),
        )
        .await
        .expect("an entry in time")
        .expect("entry")
        .expect("not the end");
        out.push((cursor, entry.clone()));
    }
    out
}

#[tokio::test]
async fn entries_with_cursors_and_a_resume_after_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let program = fake_journalctl(dir.path(), "exec sleep 60")?;
    let mut input = exclusive(|| JournaldInput::builder().command(&program).spawn())?;
    let got = entries(&mut input, 4).await;
    let cursors: Vec<&str> = got.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(cursors, ["c1", "c2", "c3", "c4"]);
    let third = &got[2].1;
    let message_at = third
        .windows(8)
        .position(|w| w == b"MESSAGE\n")
        .expect("binary field");
    assert_eq!(&third[message_at + 16..message_at + 30], b"two\nline text!");
    drop(input); // stops the sleeping journalctl

    let mut resumed = exclusive(|| {
        JournaldInput::builder()
            .command(&program)
            .after_cursor(Some("c2".into()))
            .spawn()
    })?;
    let got = entries(&mut resumed, 2).await;
    assert_eq!(got[0].0, "c3");
    assert_eq!(got[1].0, "c4");
    Ok(())
}

#[tokio::test]
async fn journalctl_failing_is_an_error_with_its_message() -> TestResult {
    let dir = tempfile::tempdir()?;
    let program = fake_journalctl(
        dir.path(),
        "echo 'No journal files were found.' >&2; exit 1",
    )?;
    let mut input = exclusive(|| JournaldInput::builder().command(&program).spawn())?;
    let got = entries(&mut input, 4).await;
    assert_eq!(got.len(), 4);
    let mut entry = Vec::new();
    let error = input.next_entry(&mut entry).await.expect_err("exit 1");
    assert_eq!(error.kind(), ErrorKind::Io);
    assert!(
        error.to_string().contains("No journal files were found."),
        "{error}"
    );
    assert_eq!(input.next_entry(&mut entry).await?, None);
    Ok(())
}

#[tokio::test]
async fn output_that_is_not_the_export_format_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("journalctl");
    write_script(&path, "#!/bin/sh\nprintf '__CURSOR=a\\nMESSAGE=x'\n")?;
    let mut input = exclusive(|| JournaldInput::builder().command(&path).spawn())?;
    let mut entry = Vec::new();
    let error = input.next_entry(&mut entry).await.expect_err("cut");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let missing = exclusive(|| {
        JournaldInput::builder()
            .command(dir.path().join("no-such-journalctl"))
            .spawn()
    })
    .expect_err("missing");
    assert_eq!(missing.kind(), ErrorKind::Config);
    Ok(())
}
