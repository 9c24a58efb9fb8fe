//! The configuration checks: what is accepted, and every mistake named by input and field.

use super::*;
use crate::mapping::LogFormat;

const LAKE: &str = "[lake]\ndir = \"lake\"\nregion = \"us-east-1\"\nstate_dir = \"state\"\n";

#[test]
fn defaults_and_relative_paths() -> Result<()> {
    let text = format!(
        "{LAKE}source_prefix = \"bastion\"\n\n[[inputs]]\nname = \"net\"\nkind = \"syslog\"\nlisten = \"127.0.0.1:5514\"\ntransport = \"tcp\"\nformat = \"syslog\"\n\n[[inputs]]\nname = \"auth\"\nkind = \"follow\"\npath = \"auth.log\"\nformat = \"deep-security\"\nsource_prefix = \"ds\"\n"
    );
    let base = std::env::temp_dir();
    let config = parse(&text, &base)?;
    assert!(matches!(&config.lake.target, Target::Local(d) if *d == base.join("lake")));
    assert_eq!(config.lake.account, "external");
    assert_eq!(config.lake.flush_interval, Duration::from_secs(5));
    assert_eq!(config.lake.batch_lines, 10_000);
    let [net, auth] = &config.inputs[..] else {
        return Err(Error::input("two inputs expected"));
    };
    assert_eq!(net.source_prefix, "bastion");
    assert!(net.listen.is_some_and(|l| l.tcp && !l.udp));
    assert_eq!(auth.family, Family::DeepSecurity);
    assert_eq!(auth.source_prefix, "ds");
    assert_eq!(auth.path, Some(base.join("auth.log")));
    Ok(())
}

fn one(prefix: &str) -> FollowOne {
    FollowOne {
        name: "app.log".to_owned(),
        path: PathBuf::from("app.log"),
        family: Family::Linux,
        map: MapArgs {
            from: "app.log".to_owned(),
            format: LogFormat::Linux,
            zone: "+02:00".to_owned(),
            reference_time: None,
            hostname: None,
            product: None,
            vendor: None,
            product_version: Some("9".to_owned()),
            log_name: None,
            tenant_uid: None,
            no_raw_data: false,
        },
        source_prefix: prefix.to_owned(),
        lake_dir: PathBuf::from("lake"),
        region: "us-east-1".to_owned(),
        account: "external".to_owned(),
        source_version: None,
        state_dir: PathBuf::from("state"),
    }
}

#[test]
fn one_followed_file_is_checked_like_a_configured_input() -> Result<()> {
    // A file in the current directory (its directory is "").
    let config = follow_one(one("app"))?;
    assert!(matches!(&config.lake.target, Target::Local(d) if d == Path::new("lake")));
    let [input] = &config.inputs[..] else {
        return Err(Error::input("one input expected"));
    };
    assert_eq!(input.kind, Kind::Follow);
    assert_eq!(input.path.as_deref(), Some(Path::new("app.log")));
    assert_eq!(input.source_prefix, "app");
    assert_eq!(input.map.zone, "+02:00");
    assert_eq!(input.map.product_version.as_deref(), Some("9"));
    let long = follow_one(one("a-very-long-prefix-indeed"));
    assert!(long.is_err_and(|e| e.to_string().contains("source_prefix")));
    Ok(())
}

#[test]
fn relp_inputs_take_their_fields() -> Result<()> {
    let text = format!(
        "{LAKE}\n[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:2514\"\nformat = \"syslog\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\nmax_message_bytes = 8192\ndedupe_window = 100\n"
    );
    let base = std::env::temp_dir();
    let config = parse(&text, &base)?;
    let relp = config.inputs[0]
        .relp
        .clone()
        .ok_or_else(|| Error::input("no relp listener"))?;
    assert_eq!(relp.addr.port(), 2514);
    assert_eq!(relp.tls, Some((base.join("c.pem"), base.join("k.pem"))));
    assert_eq!((relp.max_message_bytes, relp.dedupe_window), (8192, 100));
    Ok(())
}

#[test]
fn journald_and_objects_inputs_take_their_fields() -> Result<()> {
    let base = std::env::temp_dir();
    let text = format!(
        "{LAKE}\n[[inputs]]\nname = \"j\"\nkind = \"journald\"\ncommand = \"bin/journalctl\"\nargs = [\"-u\", \"sshd\"]\n\n[[inputs]]\nname = \"k\"\nkind = \"journald\"\n\n[[inputs]]\nname = \"o\"\nkind = \"objects\"\nurl = \"s3://raw-logs/hosts/web/\"\nformat = \"linux\"\n\n[[inputs]]\nname = \"d\"\nkind = \"objects\"\ndir = \".\"\nformat = \"deep-security\"\n"
    );
    let config = parse(&text, &base)?;
    let [j, k, o, d] = &config.inputs[..] else {
        return Err(Error::input("four inputs expected"));
    };
    assert_eq!(j.family, Family::JournalExport);
    assert_eq!(
        j.journal,
        Some(Journal {
            command: base.join("bin/journalctl"),
            args: vec!["-u".to_owned(), "sshd".to_owned()],
        })
    );
    assert_eq!(
        k.journal.as_ref().map(|j| j.command.clone()),
        Some(PathBuf::from("journalctl"))
    );
    assert_eq!(
        o.objects,
        Some(Objects::S3 {
            bucket: "raw-logs".to_owned(),
            prefix: "hosts/web/".to_owned(),
        })
    );
    assert_eq!(o.family, Family::Linux);
    assert_eq!(d.objects, Some(Objects::Dir(base.join("."))));
    assert_eq!(d.family, Family::DeepSecurity);
    assert!(j.objects.is_none() && o.journal.is_none());
    Ok(())
}

#[test]
fn journald_and_objects_mistakes_are_named() {
    let cases = [
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\n",
            "input \"o\": field `url`: missing",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\nurl = \"s3://b/p/\"\ndir = \".\"\n",
            "input \"o\": field `dir`: give `url` (objects in S3) or `dir`",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\nurl = \"https://b/p/\"\n",
            "input \"o\": field `url`: \"https://b/p/\" is not an s3://bucket/prefix/ URL",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\ndir = \"no-such-dir-here\"\n",
            "input \"o\": field `dir`: ",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nurl = \"s3://b/p/\"\n",
            "input \"o\": field `format`: missing",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\nurl = \"s3://b/p/\"\npath = \"x.log\"\n",
            "input \"o\": field `path`: an objects input reads no file",
        ),
        (
            "[[inputs]]\nname = \"o\"\nkind = \"objects\"\nformat = \"linux\"\nurl = \"s3://b/p/\"\nbucket = \"b\"\n",
            "unknown field `bucket`",
        ),
        (
            "[[inputs]]\nname = \"f\"\nkind = \"stdin\"\nformat = \"linux\"\nurl = \"s3://b/p/\"\n",
            "input \"f\": field `url`: only an objects input takes it, not a stdin input",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\nformat = \"linux\"\n",
            "input \"j\": field `format`: a journald input reads journald export entries",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\nargs = [\"-o\", \"json\"]\n",
            "input \"j\": field `args`: \"-o\"",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\nargs = [\"--after-cursor=x\"]\n",
            "input \"j\": field `args`",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\ncommand = \"\"\n",
            "input \"j\": field `command`: must not be empty",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\nlisten = \"127.0.0.1:1\"\n",
            "input \"j\": field `listen`",
        ),
        (
            "[[inputs]]\nname = \"j\"\nkind = \"journald\"\ndir = \".\"\n",
            "input \"j\": field `dir`: only an objects input",
        ),
        (
            "[[inputs]]\nname = \"s\"\nkind = \"stdin\"\nformat = \"linux\"\ncommand = \"journalctl\"\n",
            "input \"s\": field `command`: only a journald input takes it",
        ),
    ];
    for (inputs, wanted) in cases {
        let text = format!("{LAKE}\n{inputs}");
        match parse(&text, Path::new(".")) {
            Ok(_) => panic!("accepted: {inputs}"),
            Err(e) => assert!(e.to_string().contains(wanted), "{wanted:?} not in {e}"),
        }
    }
}

#[test]
fn mistakes_name_the_input_and_the_field() {
    let cases = [
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nformat = \"syslog\"\n",
            "input \"r\": field `listen`: missing",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"1.2.3.4\"\nformat = \"syslog\"\n",
            "input \"r\": field `listen`",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ntls_cert = \"c.pem\"\n",
            "input \"r\": field `tls_key`: missing",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\nmax_message_bytes = 10\n",
            "input \"r\": field `max_message_bytes`",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ndedupe_window = 0\n",
            "input \"r\": field `dedupe_window`",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ntransport = \"udp\"\n",
            "input \"r\": field `transport`",
        ),
        (
            "[[inputs]]\nname = \"s\"\nkind = \"syslog\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\ndedupe_window = 5\n",
            "input \"s\": field `dedupe_window`: only a relp input",
        ),
        (
            "[[inputs]]\nname = \"r\"\nkind = \"relp\"\nlisten = \"127.0.0.1:1\"\nformat = \"syslog\"\nwindow = 5\n",
            "unknown field `window`",
        ),
        ("", "no [[inputs]]"),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[[inputs]]\nname = \"b\"\nkind = \"stdin\"\nformat = \"linux\"\n",
            "input \"b\": field `kind`: only one input can read stdin",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"journald-export\"\n",
            "input \"a\": field `format`: unknown format",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nlisten = \"127.0.0.1:1\"\n",
            "input \"a\": field `listen`",
        ),
        (
            "[[inputs]]\nname = \"../a\"\nkind = \"stdin\"\nformat = \"linux\"\n",
            "field `name`",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nzone = \"Mars\"\n",
            "input \"a\": field `zone`",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nsource_prefix = \"a-very-long-prefix-indeed\"\n",
            "input \"a\": field `source_prefix`",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\nclasses = [\"authentication\"]\n",
            "input \"a\": field `classes`: names the custom sources to register",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nauthentication = \"x\"\nssh_activity = \"x\"\n",
            "input \"a\": field `sources`",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nauthentication = \"a-name-of-twenty-ones\"\n",
            "longer than Security Lake's 20",
        ),
        (
            "[[inputs]]\nname = \"a\"\nkind = \"stdin\"\nformat = \"linux\"\n[inputs.sources]\nnot_a_class = \"x\"\n",
            "input \"a\": field `sources`",
        ),
    ];
    for (inputs, wanted) in cases {
        let text = format!("{LAKE}\n{inputs}");
        match parse(&text, Path::new(".")) {
            Ok(_) => panic!("accepted: {inputs}"),
            Err(e) => assert!(e.to_string().contains(wanted), "{wanted:?} not in {e}"),
        }
    }
}
