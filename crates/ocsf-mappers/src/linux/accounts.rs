//! The shadow-utils account and group tools: `useradd`, `userdel`, `usermod`,
//! `passwd`, `chpasswd`, `chage`, `chfn`, `chsh`, `groupadd`, `groupdel`,
//! `groupmod`, `gpasswd`, `newusers`.
//!
//! Group creation and deletion map to Entity Management: OCSF's Group
//! Management requires a member `user` (or `privileges`), which these messages
//! do not have. Membership changes map to Group Management.

use super::sshd::user;
use super::{MessageContext, Miss, Recognized};
use crate::normalized::{
    AccountActivity, Activity, EntityActivity, EntityInfo, GroupActivity, GroupInfo, Normalized,
    Outcome, SessionInfo, Severity,
};
use crate::util::unquote;

pub(super) fn handles(program: &str) -> bool {
    matches!(
        program,
        "useradd"
            | "userdel"
            | "usermod"
            | "passwd"
            | "chpasswd"
            | "chage"
            | "chfn"
            | "chsh"
            | "groupadd"
            | "groupdel"
            | "groupmod"
            | "gpasswd"
            | "newusers"
            | "adduser"
            | "deluser"
            | "addgroup"
            | "delgroup"
    )
}

fn account(ctx: &MessageContext<'_>, act: AccountActivity, name: &str) -> Box<Normalized> {
    let severity = match act {
        AccountActivity::Create | AccountActivity::Delete | AccountActivity::Lock => Severity::Low,
        _ => Severity::Informational,
    };
    let mut n = ctx
        .event(Activity::AccountChange(act), severity)
        .with_outcome(Outcome::Success);
    n.user = Some(user(unquote(name)));
    n.actor_process = Some(ctx.process());
    n
}

fn group_entity(ctx: &MessageContext<'_>, act: EntityActivity, name: &str) -> Box<Normalized> {
    let mut n = ctx
        .event(Activity::EntityManagement(act), Severity::Low)
        .with_outcome(Outcome::Success);
    n.entity = Some(EntityInfo {
        name: Some(unquote(name).to_owned()),
        uid: None,
        kind: Some("Group".into()),
    });
    n.actor_process = Some(ctx.process());
    n
}

/// A groupadd / groupdel fact: the group and its gid. (OCSF 1.1.0 Group
/// Management needs a member user or privileges, so a group's own creation and
/// deletion is Entity Management.)
fn group_event(
    ctx: &MessageContext<'_>,
    act: EntityActivity,
    name: &str,
    gid: Option<&str>,
) -> Box<Normalized> {
    let mut n = group_entity(ctx, act, name);
    if let Some(e) = n.entity.as_mut() {
        e.uid = gid.map(str::to_owned);
    }
    n
}

/// The caption of the per-file lines (`group added to /etc/gshadow`) that
/// corroborate one groupadd / groupdel.
const GROUP_FILE_UPDATE: &str = "Group File Update";

fn membership(
    ctx: &MessageContext<'_>,
    act: GroupActivity,
    member: &str,
    group: &str,
) -> Box<Normalized> {
    let mut n = ctx
        .event(Activity::GroupManagement(act), Severity::Low)
        .with_outcome(Outcome::Success);
    n.group = Some(GroupInfo {
        name: Some(unquote(group).to_owned()),
        uid: None,
    });
    n.user = Some(user(unquote(member)));
    n.actor_process = Some(ctx.process());
    n
}

/// `name=bob, UID=1001, GID=1001, home=/home/bob` as pairs.
fn pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    s.split(", ").filter_map(|p| p.trim().split_once('='))
}

pub(super) fn map(ctx: &MessageContext<'_>, msg: &str) -> Recognized {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("new user: ") {
        let name = pairs(rest).find(|(k, _)| *k == "name").map(|(_, v)| v);
        let mut n = account(ctx, AccountActivity::Create, name.unwrap_or_default());
        for (k, v) in pairs(rest) {
            match k {
                "name" => {}
                "UID" => {
                    if let Some(u) = n.user.as_mut() {
                        u.uid = Some(v.to_owned());
                    }
                }
                "from" => {
                    n.session = Some(SessionInfo {
                        terminal: Some(v.trim_start_matches("/dev/").to_owned()),
                        ..SessionInfo::default()
                    });
                }
                other => n.put(&other.to_ascii_lowercase(), v),
            }
        }
        return Ok(n);
    }
    if let Some(rest) = msg
        .strip_prefix("new group: ")
        .or_else(|| msg.strip_prefix("group added to /etc/group: "))
        .or_else(|| msg.strip_prefix("group added to /etc/gshadow: "))
    {
        let name = pairs(rest).find(|(k, _)| *k == "name").map(|(_, v)| v);
        let gid = pairs(rest).find(|(k, _)| *k == "GID").map(|(_, v)| v);
        // One groupadd logs a line per file it changed and then `new group:`,
        // the canonical Create; the file lines corroborate it.
        let act = if msg.starts_with("new group: ") {
            EntityActivity::Create
        } else {
            EntityActivity::Other(GROUP_FILE_UPDATE.into())
        };
        let mut n = group_event(ctx, act, name.unwrap_or_default(), gid);
        if let Some(file) = msg
            .strip_prefix("group added to ")
            .and_then(|r| r.split(':').next())
        {
            n.put("file", file);
        }
        return Ok(n);
    }
    // One membership change logs a line for /etc/group and one for
    // /etc/gshadow: the first is the fact, the shadow line corroborates it.
    if let Some(rest) = msg.strip_prefix("add ") {
        if let Some((member, group)) = rest.split_once(" to shadow group ") {
            let act = GroupActivity::Other(GROUP_FILE_UPDATE.into());
            return Ok(membership(ctx, act, member, group));
        }
        if let Some((member, group)) = rest.split_once(" to group ") {
            return Ok(membership(ctx, GroupActivity::AddUser, member, group));
        }
    }
    if let Some(rest) = msg.strip_prefix("delete ") {
        if let Some((member, group)) = rest.split_once(" from shadow group ") {
            let act = GroupActivity::Other(GROUP_FILE_UPDATE.into());
            return Ok(membership(ctx, act, member, group));
        }
        if let Some((member, group)) = rest.split_once(" from group ") {
            return Ok(membership(ctx, GroupActivity::RemoveUser, member, group));
        }
    }
    if let Some(rest) = msg.strip_prefix("failed adding user ") {
        let name = rest.split(',').next().unwrap_or(rest);
        let mut n = account(ctx, AccountActivity::Create, name)
            .with_outcome(Outcome::Failure)
            .with_detail(msg);
        n.severity = Severity::Medium;
        return Ok(n);
    }
    if let Some(name) = msg.strip_prefix("delete user ") {
        return Ok(account(ctx, AccountActivity::Delete, name));
    }
    if let Some(rest) = msg
        .strip_prefix("removed shadow group ")
        .or_else(|| msg.strip_prefix("removed group "))
    {
        let (name, owner) = match rest.split_once(" owned by ") {
            Some((g, o)) => (g, Some(o)),
            None => (rest, None),
        };
        // Older shadow-utils: `removed group 'devs' owned by 'root'` is the
        // deletion, `removed shadow group ...` its gshadow line.
        let act = if msg.starts_with("removed shadow group ") {
            EntityActivity::Other(GROUP_FILE_UPDATE.into())
        } else {
            EntityActivity::Delete
        };
        let mut n = group_event(ctx, act, name, None);
        if let Some(o) = owner {
            n.put("owner", unquote(o));
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("group ")
        && let Some((name, tail)) = rest.split_once(" removed")
    {
        // Newer shadow-utils: `group 'devs' removed from /etc/group` per file,
        // then `group 'devs' removed`, the deletion.
        let file = tail.strip_prefix(" from ");
        let act = match file {
            Some(_) => EntityActivity::Other(GROUP_FILE_UPDATE.into()),
            None => EntityActivity::Delete,
        };
        let mut n = group_event(ctx, act, name, None);
        if let Some(file) = file {
            n.put("file", file);
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("group changed in ") {
        // `/etc/group (group dev/1002, new name: devs)`
        let (file, detail) = rest.split_once(" (").ok_or(Miss::Unrecognized)?;
        let detail = detail.trim_end_matches(')');
        let name = detail
            .strip_prefix("group ")
            .and_then(|d| d.split([',', '/']).next())
            .unwrap_or_default();
        let mut n = group_entity(ctx, EntityActivity::Update, name).with_detail(detail);
        n.put("file", file);
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("change user name ") {
        let (old, new) = rest.split_once(" to ").ok_or(Miss::Unrecognized)?;
        let mut n = account(ctx, AccountActivity::Other("Rename".into()), old);
        n.user_result = Some(user(unquote(new)));
        return Ok(n);
    }
    for (prefix, act) in [
        ("change user ", None),
        ("lock user ", Some(AccountActivity::Lock)),
        ("unlock user ", Some(AccountActivity::Enable)),
    ] {
        let Some(rest) = msg.strip_prefix(prefix) else {
            continue;
        };
        // `'bob' password` or `'bob' shell from '/bin/sh' to '/bin/bash'`
        let (name, what) = match rest.strip_prefix('\'').and_then(|r| r.split_once("' ")) {
            Some((n, w)) => (n, w),
            None => rest.split_once(' ').ok_or(Miss::Unrecognized)?,
        };
        let act = match (act, what) {
            (Some(a), _) => a,
            (None, "password") => AccountActivity::PasswordChange,
            (None, _) => AccountActivity::Other("Attribute Change".into()),
        };
        let mut n = account(ctx, act, name);
        if what != "password" {
            let (attr, change) = what.split_once(' ').unwrap_or((what, ""));
            n.put("attribute", attr);
            if let Some((from, to)) = change
                .strip_prefix("from ")
                .and_then(|c| c.split_once(" to "))
            {
                n.put("old_value", unquote(from));
                n.put("new_value", unquote(to));
            } else if let Some(to) = change.strip_prefix("to ") {
                n.put("new_value", unquote(to));
            }
            n.status_detail = Some(what.to_owned());
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("password for ") {
        let (name, by) = rest.split_once(" changed by ").ok_or(Miss::Unrecognized)?;
        let mut n = account(ctx, AccountActivity::PasswordChange, name);
        n.actor_user = Some(user(unquote(by)));
        return Ok(n);
    }
    if let Some(name) = msg.strip_prefix("changed password expiry for ") {
        return Ok(account(
            ctx,
            AccountActivity::Other("Password Expiry Change".into()),
            name,
        ));
    }
    if let Some(rest) = msg.strip_prefix("changed user ") {
        let (name, what) = match rest.strip_prefix('\'').and_then(|r| r.split_once("' ")) {
            Some((n, w)) => (n, w),
            None => rest.split_once(' ').ok_or(Miss::Unrecognized)?,
        };
        let caption = if what.starts_with("shell") {
            "Shell Change"
        } else {
            "Information Change"
        };
        let mut n = account(ctx, AccountActivity::Other(caption.into()), name).with_detail(what);
        if let Some(to) = what.strip_prefix("shell to ") {
            n.put("new_value", unquote(to));
        }
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("user ") {
        // gpasswd: `user bob added by root to group dev`, `user bob removed by root from group dev`
        for (sep, to, act) in [
            (" added by ", " to group ", GroupActivity::AddUser),
            (" removed by ", " from group ", GroupActivity::RemoveUser),
        ] {
            if let Some((member, tail)) = rest.split_once(sep)
                && let Some((by, group)) = tail.split_once(to)
            {
                let mut n = membership(ctx, act, member, group);
                n.actor_user = Some(user(by));
                return Ok(n);
            }
        }
    }
    if let Some(rest) = msg.strip_prefix("members of group ") {
        // `dev set by root to alice,bob`
        let (group, tail) = rest.split_once(" set by ").ok_or(Miss::Unrecognized)?;
        let (by, members) = tail.split_once(" to ").unwrap_or((tail, ""));
        let mut n = ctx
            .event(
                Activity::GroupManagement(GroupActivity::Other("Set Members".into())),
                Severity::Low,
            )
            .with_outcome(Outcome::Success);
        n.group = Some(GroupInfo {
            name: Some(group.to_owned()),
            uid: None,
        });
        n.actor_user = Some(user(by));
        n.actor_process = Some(ctx.process());
        n.put("members", members);
        return Ok(n);
    }
    if let Some(rest) = msg.strip_prefix("password of group ") {
        let (group, by) = rest.split_once(" changed by ").unwrap_or((rest, ""));
        let mut n =
            group_entity(ctx, EntityActivity::Update, group).with_detail("password changed");
        if !by.is_empty() {
            n.actor_user = Some(user(by));
        }
        return Ok(n);
    }
    Err(Miss::Unrecognized)
}
