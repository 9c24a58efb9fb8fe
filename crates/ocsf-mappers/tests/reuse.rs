//! [`LinuxMapper::map_line_reusing`] renders into the events of earlier lines; its events must
//! equal [`LinuxMapper::map_line`]'s, whatever the earlier lines were (no stale attribute of an
//! earlier event may survive). Checked over the Linux sample corpora (`../shared/samples/`,
//! read in place; nothing is checked when they are absent), in file order, interleaved and
//! reversed so that events of every shape follow each other (also with every line rendered
//! into the previous line's event), and over an event tampered with beforehand.

mod common;

use common::{day_ms, sample};
use ocsf_mappers::{LinuxMapper, Normalized, SourceConfig, Target, V1_1_0};
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::objects::{Cloud, Location, Observable, ObservableTypeId};

/// The lines of the Linux corpora: loghub's OpenSSH and Linux logs, and the openssh-messages
/// samples (bare message bodies given a syslog header).
fn corpus() -> Vec<String> {
    let mut lines = Vec::new();
    for file in ["linux/loghub/OpenSSH_2k.log", "linux/loghub/Linux_2k.log"] {
        if let Some(p) = sample(file) {
            let text = std::fs::read_to_string(p).expect("read sample");
            lines.extend(text.lines().map(str::to_owned));
        }
    }
    if let Some(dir) = sample("linux/openssh-messages") {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("list samples")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for p in files {
            let text = std::fs::read_to_string(&p).expect("read sample");
            let v: serde_json::Value = serde_json::from_str(&text).expect("sample is JSON");
            let msg = v["input"]["message"]
                .as_str()
                .expect("input.message")
                .trim();
            if msg.contains(" sshd[") {
                lines.push(msg.to_owned());
            } else {
                lines.push(format!("Jun  1 12:00:00 host sshd[4242]: {msg}"));
            }
        }
    }
    lines
}

fn config() -> SourceConfig {
    SourceConfig::linux().with_reference_ms(day_ms(2018, 1, 5))
}

fn mapper() -> LinuxMapper {
    LinuxMapper::new(config())
}

/// OCSF 1.1.0 rendering into the last spare whatever its type (the trait's default
/// `pick_spare`), so that every line renders into the previous line's event even when
/// [`V1_1_0`]'s choice would find a spare of the same shape.
struct LastSpare;

impl Target for LastSpare {
    type Event = Event;
    const VERSION: &'static str = V1_1_0::VERSION;

    fn render(record: &mut Normalized, config: &SourceConfig) -> Event {
        V1_1_0::render(record, config)
    }

    fn render_into(record: &mut Normalized, config: &SourceConfig, event: &mut Event) {
        V1_1_0::render_into(record, config, event);
    }
}

/// The address of an Authentication event's box, to see whether it was rendered into.
fn auth_box(events: &[Event]) -> Option<usize> {
    match events.first() {
        Some(Event::Authentication(a)) => Some(std::ptr::from_ref(&**a) as usize),
        _ => None,
    }
}

/// Maps `lines` through both APIs and compares every line's events; returns how many
/// Authentication events were rendered in place (into the previous line's Authentication).
fn compare<T: Target<Event = Event>>(lines: &[&str], mut reusing: LinuxMapper<T>) -> usize {
    let mut fresh = mapper();
    let mut out = Vec::new();
    let mut in_place = 0;
    for line in lines {
        let before = auth_box(&out);
        reusing.map_line_reusing(line, &mut out);
        let expected = fresh.map_line(line);
        assert!(
            out == expected,
            "{line}\nreused: {out:#?}\nfresh: {expected:#?}"
        );
        if before.is_some() && auth_box(&out) == before {
            in_place += 1;
        }
    }
    in_place
}

#[test]
fn reuse_equals_render_over_the_corpora() {
    let corpus = corpus();
    if corpus.is_empty() {
        return;
    }
    let lines: Vec<&str> = corpus.iter().map(String::as_str).collect();
    let in_order = compare(&lines, mapper());
    let after_previous = compare(&lines, LinuxMapper::<LastSpare>::with_target(config()));
    // Interleaved: every 7th line, from each start, so that neighbours differ in shape.
    let interleaved: Vec<&str> = (0..7)
        .flat_map(|start| lines.iter().skip(start).step_by(7).copied())
        .collect();
    let mixed = compare(&interleaved, mapper());
    let mixed_after_previous = compare(
        &interleaved,
        LinuxMapper::<LastSpare>::with_target(config()),
    );
    let reversed: Vec<&str> = lines.iter().rev().copied().collect();
    compare(&reversed, mapper());
    println!(
        "{} lines: Authentication events rendered in place into the previous line's: \
         {in_order} in file order ({after_previous} into the last spare), {mixed} interleaved \
         ({mixed_after_previous} into the last spare)",
        lines.len()
    );
    if lines.len() > 2000 {
        assert!(
            in_order > 500 && mixed > 100 && after_previous > 500 && mixed_after_previous > 100,
            "the in-place path is exercised"
        );
    }
}

#[test]
fn attributes_set_outside_the_renderer_do_not_survive() {
    let line = "Jan  5 10:00:00 h sshd[7]: Accepted publickey for alice from 192.0.2.10 port \
                50022 ssh2: RSA SHA256:abc";
    // Into the last spare whatever its shape: `V1_1_0` would render a new event for lines
    // whose `unmapped` keys differ while it holds few spares.
    let mut fresh = mapper();
    let mut reusing = LinuxMapper::<LastSpare>::with_target(config());
    let mut out = reusing.map_line(line);
    let Some(Event::Authentication(e)) = out.first_mut() else {
        panic!("not an authentication: {out:?}");
    };
    e.cloud = Some(Box::new(Cloud::new("aws".into())));
    e.duration = Some(5);
    e.unknown.insert("x".into(), 1.into());
    if let Some(d) = e.device.as_mut() {
        d.location = Some(Box::new(Location::new()));
    }
    if let Some(u) = e.user.as_mut() {
        u.email_addr = Some("a@example.com".into());
    }
    if let Some(m) = e.metadata.product.as_mut() {
        m.lang = Some("en".into());
    }
    e.metadata.sequence = Some(3);
    let obs = e.observables.get_or_insert_with(Vec::new);
    for _ in 0..3 {
        let mut o = Observable::new("stale.name".into(), ObservableTypeId::Other);
        o.value = Some("stale".into());
        obs.push(o);
    }
    e.status_code = Some("stale".into());
    let next = "Jan  5 10:00:01 h sshd[8]: Failed password for invalid user bob from \
                198.51.100.2 port 4022 ssh2";
    let before = auth_box(&out);
    reusing.map_line_reusing(next, &mut out);
    assert_eq!(auth_box(&out), before, "rendered in place");
    let _ = fresh.map_line(line);
    assert_eq!(out, fresh.map_line(next));
    // A service without a logon type, after events that had one.
    let other = "Jan  5 10:00:02 h passwd: pam_unix(passwd:auth): authentication failure; \
                 logname= uid=0 euid=0 tty= ruser= rhost=  user=bob";
    reusing.map_line_reusing(other, &mut out);
    assert_eq!(auth_box(&out), before, "rendered in place");
    assert_eq!(out, fresh.map_line(other));
}
