//! Hands the strings of the parts of an OCSF 1.1.0 event that a render into it overwrites back
//! to the string pool (`crate::strings`), where the next lines' recognizers and renderers take
//! their strings from (issue 20).

use ocsf_model::Caption;
use ocsf_model::v1_1_0::objects::{
    Actor, Device, Metadata, NetworkConnectionInfo, NetworkEndpoint, Process, Session, User,
};
use std::borrow::Cow;

use super::reuse::clear_box;
use crate::strings::{keep, recycle};

/// An owned caption's buffer.
pub(super) fn caption(c: &mut Option<Caption>) {
    if let Some(Cow::Owned(s)) = c.take() {
        keep(s);
    }
}

pub(super) fn user(u: Option<&mut User>) {
    if let Some(u) = u {
        recycle(&mut u.name);
        recycle(&mut u.uid);
        recycle(&mut u.domain);
    }
}

pub(super) fn endpoint(e: Option<&mut NetworkEndpoint>) {
    if let Some(e) = e {
        recycle(&mut e.name);
        recycle(&mut e.ip);
        recycle(&mut e.hostname);
        recycle(&mut e.mac);
        recycle(&mut e.interface_name);
        recycle(&mut e.svc_name);
    }
}

pub(super) fn device(d: Option<&mut Device>) {
    if let Some(d) = d {
        recycle(&mut d.name);
        recycle(&mut d.ip);
        recycle(&mut d.hostname);
        recycle(&mut d.mac);
        recycle(&mut d.interface_name);
        recycle(&mut d.uid);
    }
}

pub(super) fn session(s: Option<&mut Session>) {
    if let Some(s) = s {
        recycle(&mut s.uid);
        recycle(&mut s.terminal);
    }
}

pub(super) fn process(p: Option<&mut Process>) {
    if let Some(p) = p {
        recycle(&mut p.name);
        recycle(&mut p.uid);
        recycle(&mut p.cmd_line);
        user(p.user.as_deref_mut());
        clear_box(&mut p.user);
        session(p.session.as_deref_mut());
        clear_box(&mut p.session);
    }
}

pub(super) fn actor(a: Option<&mut Actor>) {
    if let Some(a) = a {
        user(a.user.as_deref_mut());
        process(a.process.as_deref_mut());
        session(a.session.as_deref_mut());
        recycle(&mut a.invoked_by);
    }
}

pub(super) fn connection(c: Option<&mut NetworkConnectionInfo>) {
    if let Some(c) = c {
        recycle(&mut c.protocol_name);
        session(c.session.as_deref_mut());
        clear_box(&mut c.session);
    }
}

/// The strings of `metadata` taken from the record (not the configuration's, which are
/// refilled in place).
pub(super) fn metadata(m: &mut Metadata) {
    recycle(&mut m.correlation_uid);
    recycle(&mut m.event_code);
    recycle(&mut m.uid);
    if let Some(labels) = m.labels.take() {
        labels.into_iter().for_each(keep);
    }
}
