//! [`Target::render_into`](super::Target::render_into) for OCSF 1.1.0: a record rendered into
//! an event of the same class, overwriting it field by field so that its boxes, its
//! observables and the strings the renderer writes (captions, configuration values, observable
//! names and values) keep their allocations. The record's own strings are moved in, as
//! [`render`] does. Classes without an in-place renderer (and an event of another class)
//! are replaced by [`render`]'s event. The result equals [`render`]'s (the tests
//! `reuse_equals_render` over the sample corpora check it).

use ocsf_model::Reset;
use ocsf_model::v1_1_0::Event;
use ocsf_model::v1_1_0::enums::ActionId;
use ocsf_model::v1_1_0::enums::StatusId;
use ocsf_model::v1_1_0::events::{
    Authentication, AuthenticationAuthProtocolId, SshActivity, SshActivityActivityId,
};
use ocsf_model::v1_1_0::objects::{Actor, Device, Feature, Metadata, Product};
use serde_json::{Map, Value};
use std::borrow::Cow;

use super::super::Target;
use super::reuse::{clear_box, fill_box, set_box, set_list, set_opt_str, set_str, slot_mut};
use super::{
    Ctx, LINUX_USERS_PROFILE, SECURITY_CONTROL_PROFILE, V1_1_0, action_of, connection,
    disposition_id, logon_type, network_ids, render, severity_id, spill, ssh_key,
};
use crate::config::SourceConfig;
use crate::normalized::{
    self as n, Action, Activity, Disposition, Normalized, Outcome, SourceMeta,
};
use crate::util::UNKNOWN;

/// Renders `n` into `event`, in place when both are of a class with an in-place renderer.
pub(super) fn render_into(n: &mut Normalized, config: &SourceConfig, event: &mut Event) {
    match (std::mem::take(&mut n.activity), event) {
        (Activity::Authentication(a), Event::Authentication(e))
            if same_class!(e, Authentication) =>
        {
            let mut c = Ctx::new(n, config, e.observables.take().unwrap_or_default());
            authentication_into(n, &mut c, e, a);
            c.done();
        }
        (Activity::Ssh(a), Event::SshActivity(e)) if same_class!(e, SshActivity) => {
            let mut c = Ctx::new(n, config, e.observables.take().unwrap_or_default());
            ssh_activity_into(n, &mut c, e, a);
            c.done();
        }
        (activity, event) => {
            n.activity = activity;
            *event = render(n, config);
        }
    }
}

/// The spare to render `n` into, for the classes rendered in place: one of the same type and
/// activity caption (its derived type name is kept, and it has most likely the same shape);
/// when there is none but [`ENOUGH_SPARES`] spares, one of the same type, else one of the same
/// class; `None` otherwise (a new event is rendered and the spares are kept for records they
/// fit).
pub(super) fn pick_spare(n: &Normalized, spares: &[Event]) -> Option<usize> {
    let (activity_id, caption) = match &n.activity {
        Activity::Authentication(a) => match a {
            n::AuthActivity::Logon => (1, None),
            n::AuthActivity::Logoff => (2, None),
            n::AuthActivity::Other(t) => (99, Some(t)),
        },
        Activity::Ssh(a) => match a {
            n::NetworkActivity::Other(t) => (99, Some(t)),
            a => (network_id(a), None),
        },
        _ => return None,
    };
    let class = n.activity.class_uid();
    let type_uid = i64::from(class) * 100 + i64::from(activity_id);
    let same_type = |e: &Event| e.type_uid() == Some(type_uid);
    let same_activity =
        |e: &Event| same_type(e) && caption.is_none_or(|c| activity_name(e) == Some(c));
    let exact = spares
        .iter()
        .rposition(|e| same_activity(e) && same_unmapped(n, e));
    if exact.is_some() || spares.len() < ENOUGH_SPARES {
        // Without an event of this shape among few spares, a new one is rendered and the
        // spares are kept: a mapper that gets its events back then holds one of each shape
        // its lines have. An owned `type_name` (an `Other` activity's caption) is not built
        // again for every line that follows one of another shape, and the event's `unmapped`
        // is refilled in place (another's keys from the first different one are each copied,
        // hashed and removed, then added again: `Unmapped::write_into`).
        return exact;
    }
    if let Some(i) = spares.iter().rposition(same_activity) {
        return Some(i);
    }
    spares
        .iter()
        .rposition(same_type)
        .or_else(|| spares.iter().rposition(|e| e.class_uid() == class))
}

/// Whether the `unmapped` keys of `e` are those the record will have: its own, then
/// `ssh_key` when it has a key (written by the renderer, [`super::ssh_key`]). Keys a render
/// spills are not known here: such an event fits no spare by this test.
fn same_unmapped(n: &Normalized, e: &Event) -> bool {
    let ssh_key = n.auth.as_ref().is_some_and(|a| a.key.is_some());
    let expected = n.unmapped.len() + usize::from(ssh_key);
    match unmapped_of(e) {
        None => expected == 0,
        Some(m) => {
            let mut keys = m.keys();
            m.len() == expected
                && n.unmapped
                    .iter()
                    .all(|(k, _)| keys.next().is_some_and(|e| e == k))
                && (!ssh_key || keys.next().is_some_and(|e| e == "ssh_key"))
        }
    }
}

/// The `unmapped` object of an event of a class rendered in place.
fn unmapped_of(e: &Event) -> Option<&Map<String, Value>> {
    match e {
        Event::Authentication(a) => a.unmapped.as_ref(),
        Event::SshActivity(s) => s.unmapped.as_ref(),
        _ => None,
    }
}

/// How many spares [`pick_spare`] wants before it renders into one of another shape: fewer
/// than the Linux mapper keeps (16), so that it never runs out of spares of other shapes.
const ENOUGH_SPARES: usize = 15;

/// The `activity_name` of an event of a class rendered in place.
fn activity_name(e: &Event) -> Option<&str> {
    match e {
        Event::Authentication(a) => a.activity_name.as_deref(),
        Event::SshActivity(s) => s.activity_name.as_deref(),
        _ => None,
    }
}

/// The `activity_id` of a network activity ([`network_ids`] without its caption).
fn network_id(a: &n::NetworkActivity) -> i32 {
    use n::NetworkActivity as N;
    match a {
        N::Open => 1,
        N::Close => 2,
        N::Reset => 3,
        N::Fail => 4,
        N::Refuse => 5,
        N::Traffic => 6,
        N::Other(_) => 99,
    }
}

/// Whether the derived class attributes of `$e` (which only the constructor sets) are those
/// of `$class`, as in every event its constructor built.
macro_rules! same_class {
    ($e:ident, $class:ty) => {
        $e.class_uid() == <$class>::CLASS_UID
            && $e.category_uid() == <$class>::CATEGORY_UID
            && $e.class_name() == Some(<$class>::CLASS_CAPTION)
            && $e.category_name() == Some(<$class>::CATEGORY_CAPTION)
    };
}
use same_class;

/// The first attributes of every class, as the constructor, `head!` and `common!` write them:
/// the activity, its caption and the derived type (set again, allocating its name, only when
/// it differs from the event's), the severity, the time, the common attributes, the outcome.
macro_rules! head_into {
    ($e:ident, $n:ident, $class:ty, $id:expr, $caption:expr) => {
        let id = $id;
        crate::render::keep::caption(&mut $e.activity_name);
        crate::render::keep::caption(&mut $e.status);
        crate::strings::recycle(&mut $e.status_detail);
        crate::strings::recycle(&mut $e.status_code);
        $e.activity_id = id;
        $e.activity_name = Some($caption.unwrap_or(Cow::Borrowed(id.as_str())));
        let type_uid = i64::from(<$class>::CLASS_UID) * 100 + i64::from(id.id());
        let type_matches = $e
            .type_name()
            .and_then(|t| t.strip_prefix(<$class>::CLASS_CAPTION))
            .and_then(|t| t.strip_prefix(": "))
            == $e.activity_name.as_deref();
        if $e.type_uid() != type_uid || !type_matches {
            $e.set_activity_id(id);
        }
        let sev = severity_id($n.severity);
        $e.severity_id = sev;
        $e.severity = Some(Cow::Borrowed(sev.as_str()));
        $e.time = $n.time_ms;
        // The record's message and raw line are swapped in: the event's old strings go back
        // to the record, which keeps their buffers for the next line.
        std::mem::swap(&mut $e.message, &mut $n.message);
        std::mem::swap(&mut $e.raw_data, &mut $n.raw_data);
        $e.count = $n.count.take();
        $e.status_detail = $n.status_detail.take();
        $e.status_code = $n.status_code.take();
        $e.timezone_offset = $n.utc_offset_secs.map(|s| s / 60);
        let (status_id, status) = match $n.outcome.take() {
            Some(Outcome::Success) => (Some(StatusId::Success), None),
            Some(Outcome::Failure) => (Some(StatusId::Failure), None),
            Some(Outcome::Other(t)) => (Some(StatusId::Other), Some(t)),
            None => (None, None),
        };
        $e.status_id = status_id;
        $e.status = status.or(status_id.map(|s| Cow::Borrowed(s.as_str())));
    };
}

/// `metadata` (as [`super::metadata`] builds it) into `m`, attribute by attribute: taking
/// the old metadata and product out (a default written over them, then moved) copied about
/// 800 bytes per event. `profiles` is left for [`set_profiles`].
///
/// The record's facts are taken from `src`; the event's old `log_provider` string is left in
/// `src` for the record to keep ([`Normalized::recycle`]).
fn metadata_into(m: &mut Metadata, src: &mut SourceMeta, config: &SourceConfig) {
    crate::render::keep::metadata(m);
    let product = m.product.get_or_insert_with(Default::default);
    product_into(product, src, config);
    set_str(&mut m.version, V1_1_0::VERSION);
    set_opt_str(&mut m.log_name, config.log_name.as_deref());
    std::mem::swap(&mut m.log_provider, &mut src.log_provider);
    set_opt_str(&mut m.tenant_uid, config.tenant_uid.as_deref());
    m.event_code = src.event_code.take();
    m.uid = src.uid.take();
    m.correlation_uid = src.correlation_uid.take();
    let labels = std::mem::take(&mut src.labels);
    m.labels = (!labels.is_empty()).then_some(labels);
    set_opt_str(&mut m.log_level, src.log_level.take().as_deref());
    // What the renderer never writes.
    m.extension = None;
    m.extensions = None;
    m.log_version = None;
    m.logged_time = None;
    m.logged_time_dt = None;
    m.loggers = None;
    m.modified_time = None;
    m.modified_time_dt = None;
    m.original_time = None;
    m.processed_time = None;
    m.processed_time_dt = None;
    m.sequence = None;
    super::reuse::clear_unknown(&mut m.unknown);
}

/// `metadata.product` into `p`: the record's product facts, else the configuration's
/// (refilled in the event's strings).
fn product_into(p: &mut Product, src: &mut SourceMeta, config: &SourceConfig) {
    match src.vendor_name.take() {
        Some(v) => p.vendor_name = Some(v),
        None => set_str(&mut p.vendor_name, &config.vendor_name),
    }
    match src.product_name.take() {
        Some(v) => p.name = Some(v),
        None => set_str(&mut p.name, &config.product_name),
    }
    match src.product_version.take() {
        Some(v) => p.version = Some(v),
        None => set_opt_str(&mut p.version, config.product_version.as_deref()),
    }
    p.feature = src.feature.take().map(|name| {
        let mut feature = Feature::new();
        feature.name = Some(name);
        Box::new(feature)
    });
    // What the renderer never writes.
    p.cpe_name = None;
    p.lang = None;
    p.path = None;
    p.uid = None;
    p.url_string = None;
    super::reuse::clear_unknown(&mut p.unknown);
}

/// `metadata.profiles` as [`super::metadata`] and [`Ctx::add_profiles`] write them.
fn set_profiles(m: &mut Metadata, c: &Ctx<'_>, host_profile: bool) {
    let all = [
        ("host", host_profile),
        (SECURITY_CONTROL_PROFILE, c.security_control),
        (LINUX_USERS_PROFILE, c.linux_users),
    ];
    set_list(
        &mut m.profiles,
        all.into_iter().filter_map(|(name, on)| on.then_some(name)),
    );
}

/// The Authentication renderer ([`super::authentication`]) into an Authentication event.
fn authentication_into(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    e: &mut Authentication,
    a: n::AuthActivity,
) {
    use ocsf_model::v1_1_0::events::AuthenticationActivityId as Id;
    metadata_into(&mut e.metadata, &mut n.source, c.config);
    let (id, caption) = match a {
        n::AuthActivity::Logon => (Id::Logon, None),
        n::AuthActivity::Logoff => (Id::Logoff, None),
        n::AuthActivity::Other(t) => (Id::Other, Some(t)),
    };
    crate::render::keep::user(e.user.as_deref_mut());
    let user = n.user.take().unwrap_or_default();
    fill_box(&mut e.user, Some(user), |u, out| {
        c.fill_user(u, "user", out)
    });
    head_into!(e, n, Authentication, id, caption);
    device_into(n, c, &mut e.device);
    crate::render::keep::endpoint(e.src_endpoint.as_deref_mut());
    fill_box(&mut e.src_endpoint, n.src.take(), |x, out| {
        c.fill_endpoint(x, "src_endpoint", out);
    });
    crate::render::keep::endpoint(e.dst_endpoint.as_deref_mut());
    fill_box(&mut e.dst_endpoint, n.dst.take(), |x, out| {
        c.fill_endpoint(x, "dst_endpoint", out);
    });
    let service = e.service.get_or_insert_with(Default::default);
    let mut old_name = service.name.take();
    service.reset();
    service.name = match n.service_name.take() {
        Some(s) => {
            // Kept by the record for the next line.
            n.service_name = old_name;
            Some(s)
        }
        None => {
            let name = e
                .metadata
                .log_provider
                .as_deref()
                .or_else(|| e.metadata.product.as_ref().and_then(|p| p.name.as_deref()))
                .unwrap_or(UNKNOWN);
            set_str(&mut old_name, name);
            old_name
        }
    };
    crate::render::keep::session(e.session.as_deref_mut());
    let session = n.session.take().filter(|s| !s.is_empty()).map(Ctx::session);
    set_box(&mut e.session, session);
    let actor_user = n.actor_user.take();
    let actor_process = n.actor_process.take();
    crate::render::keep::actor(e.actor.as_deref_mut());
    if actor_user.is_some() || actor_process.is_some() {
        let actor = slot_mut(&mut e.actor);
        let (user, process) = (actor.user.take(), actor.process.take());
        actor.reset();
        actor.user = user;
        fill_box(&mut actor.user, actor_user, |u, out| {
            c.fill_user(u, "actor.user", out);
        });
        actor.process = process;
        fill_box(&mut actor.process, actor_process, |p, out| {
            c.fill_process(p, "actor.process", out);
        });
    } else {
        clear_box(&mut e.actor);
    }
    let auth = n.auth.take().unwrap_or_default();
    crate::render::keep::caption(&mut e.auth_protocol);
    crate::render::keep::caption(&mut e.logon_type);
    match auth.protocol {
        Some(n::AuthProtocol::Kerberos) => {
            let id = AuthenticationAuthProtocolId::Kerberos;
            e.auth_protocol_id = Some(id);
            e.auth_protocol = Some(Cow::Borrowed(id.as_str()));
        }
        Some(n::AuthProtocol::Other(t)) => {
            e.auth_protocol_id = Some(AuthenticationAuthProtocolId::Other);
            e.auth_protocol = Some(t);
        }
        None => {
            e.auth_protocol_id = None;
            e.auth_protocol = None;
        }
    }
    match auth.logon_type.map(logon_type) {
        Some((id, caption)) => {
            e.logon_type_id = Some(id);
            e.logon_type = Some(caption.unwrap_or(Cow::Borrowed(id.as_str())));
        }
        None => {
            e.logon_type_id = None;
            e.logon_type = None;
        }
    }
    e.is_remote = auth.is_remote;
    if let Some(key) = auth.key {
        ssh_key(c, &mut n.unmapped, key);
    }
    // What the Authentication renderer never writes.
    e.api = None;
    e.certificate = None;
    e.cloud = None;
    e.duration = None;
    e.end_time = None;
    e.end_time_dt = None;
    e.enrichments = None;
    e.http_request = None;
    e.is_cleartext = None;
    e.is_mfa = None;
    e.is_new_logon = None;
    e.logon_process = None;
    e.start_time = None;
    e.start_time_dt = None;
    e.time_dt = None;
    super::reuse::clear_unknown(&mut e.unknown);
    finish_into(n, c, &mut e.unmapped, &mut e.observables);
    set_profiles(&mut e.metadata, c, true);
}

/// The record's device into `slot` (`device_of`), keeping its box and `type` string.
fn device_into(n: &mut Normalized, c: &mut Ctx<'_>, slot: &mut Option<Box<Device>>) {
    let old_hostname = slot.as_mut().and_then(|d| d.hostname.take());
    crate::render::keep::device(slot.as_deref_mut());
    let device = std::mem::take(&mut n.device);
    fill_box(slot, Some(device), |d, out| c.fill_device(d, out));
    // Kept by the record for the next line.
    n.device.hostname = old_hostname;
}

/// [`Ctx::optional_actor`] into `slot`, keeping the boxes of the actor, its user, process
/// and session.
fn optional_actor_into(n: &mut Normalized, c: &mut Ctx<'_>, slot: &mut Option<Box<Actor>>) {
    let session = n.session.take();
    let user = n.actor_user.take();
    let process = n.actor_process.take();
    crate::render::keep::actor(slot.as_deref_mut());
    if user.is_none() && process.is_none() {
        clear_box(slot);
        return;
    }
    let actor = slot_mut(slot);
    let (kept_user, kept_process, kept_session) = (
        actor.user.take(),
        actor.process.take(),
        actor.session.take(),
    );
    actor.reset();
    actor.user = kept_user;
    fill_box(&mut actor.user, user, |u, out| {
        c.fill_user(u, "actor.user", out)
    });
    actor.process = kept_process;
    fill_box(&mut actor.process, process, |p, out| {
        c.fill_process(p, "actor.process", out);
    });
    actor.session = kept_session;
    set_box(
        &mut actor.session,
        session.filter(|s| !s.is_empty()).map(Ctx::session),
    );
}

/// The SSH Activity renderer ([`super::ssh_activity`]) into an SSH Activity event.
fn ssh_activity_into(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    e: &mut SshActivity,
    a: n::NetworkActivity,
) {
    metadata_into(&mut e.metadata, &mut n.source, c.config);
    let (raw, caption) = network_ids(a);
    crate::render::keep::endpoint(e.src_endpoint.as_deref_mut());
    let src = n.src.take().unwrap_or_default();
    fill_box(&mut e.src_endpoint, Some(src), |x, out| {
        c.fill_endpoint(x, "src_endpoint", out);
    });
    crate::render::keep::endpoint(e.dst_endpoint.as_deref_mut());
    let dst = n.dst.take().unwrap_or_default();
    fill_box(&mut e.dst_endpoint, Some(dst), |x, out| {
        c.fill_endpoint(x, "dst_endpoint", out);
    });
    head_into!(
        e,
        n,
        SshActivity,
        SshActivityActivityId::from_id(raw),
        caption
    );
    e.action = None;
    e.action_id = None;
    e.disposition = None;
    e.disposition_id = None;
    security_control!(e, n, c);
    device_into(n, c, &mut e.device);
    crate::render::keep::connection(e.connection_info.as_deref_mut());
    let connection = n.connection.take().map(connection);
    set_box(&mut e.connection_info, connection);
    optional_actor_into(n, c, &mut e.actor);
    // What the SSH Activity renderer never writes.
    e.api = None;
    e.app_name = None;
    e.attacks = None;
    e.auth_type = None;
    e.auth_type_id = None;
    e.authorizations = None;
    e.client_hassh = None;
    e.cloud = None;
    e.duration = None;
    e.end_time = None;
    e.end_time_dt = None;
    e.enrichments = None;
    e.firewall_rule = None;
    e.load_balancer = None;
    e.malware = None;
    e.protocol_ver = None;
    e.proxy = None;
    e.proxy_connection_info = None;
    e.proxy_endpoint = None;
    e.proxy_http_request = None;
    e.proxy_http_response = None;
    e.proxy_tls = None;
    e.proxy_traffic = None;
    e.server_hassh = None;
    e.start_time = None;
    e.start_time_dt = None;
    e.time_dt = None;
    e.tls = None;
    e.traffic = None;
    super::reuse::clear_unknown(&mut e.unknown);
    finish_into(n, c, &mut e.unmapped, &mut e.observables);
    set_profiles(&mut e.metadata, c, true);
}

/// The `finish!` step of the renderers: leftovers and invalid values to `unmapped`, the
/// observables.
fn finish_into(
    n: &mut Normalized,
    c: &mut Ctx<'_>,
    unmapped: &mut Option<Map<String, Value>>,
    observables: &mut Option<Vec<ocsf_model::v1_1_0::objects::Observable>>,
) {
    spill(n);
    if !c.invalid.is_empty() {
        let invalid = std::mem::take(&mut c.invalid);
        n.unmapped.insert("invalid", Value::Object(invalid));
    }
    // Written into the event's old map: in place when it has the same keys (refilled, no
    // hashing), else emptied (its strings to the pool) and refilled.
    if n.unmapped.is_empty() {
        if let Some(old) = unmapped.take() {
            crate::strings::keep_map(old);
        }
    } else {
        n.unmapped
            .write_into(unmapped.get_or_insert_with(crate::strings::map));
    }
    *observables = c.take_observables();
}
