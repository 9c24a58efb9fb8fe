//! The attribute paths the OCSF 1.1.0 renderer ([`super::v1_1_0`]) can fill, per class.
//!
//! Kept next to the renderer and composed the way it composes events: one function per
//! object it builds (`user`, `endpoint`, `process`, ...), called with the prefix the renderer
//! uses. The `projection` integration test maps the corpus and checks that encoding with
//! these paths leaves nothing out, and that every path names an attribute of the schema.

use crate::projection::Projection;

/// Collects dotted paths under prefixes.
struct Paths(Vec<String>);

impl Paths {
    fn leaves(&mut self, prefix: &str, leaves: &[&str]) {
        for leaf in leaves {
            self.0.push(if prefix.is_empty() {
                (*leaf).to_owned()
            } else {
                format!("{prefix}.{leaf}")
            });
        }
    }

    /// `Ctx::user`.
    fn user(&mut self, prefix: &str) {
        self.leaves(prefix, &["name", "uid", "domain"]);
    }

    /// `Ctx::endpoint`.
    fn endpoint(&mut self, prefix: &str) {
        self.leaves(
            prefix,
            &[
                "name",
                "ip",
                "port",
                "hostname",
                "mac",
                "interface_name",
                "svc_name",
            ],
        );
    }

    /// `Ctx::device` (the event's `device`).
    fn device(&mut self) {
        self.leaves(
            "device",
            &[
                "type_id",
                "type",
                "ip",
                "hostname",
                "name",
                "uid",
                "mac",
                "interface_name",
            ],
        );
    }

    /// `Ctx::session`.
    fn session(&mut self, prefix: &str) {
        self.leaves(prefix, &["uid", "terminal", "is_remote"]);
    }

    /// `Ctx::file`.
    fn file(&mut self, prefix: &str) {
        self.leaves(
            prefix,
            &["name", "type_id", "type", "parent_folder", "path", "size"],
        );
        self.user(&format!("{prefix}.owner"));
        self.leaves(
            &format!("{prefix}.hashes"),
            &["algorithm_id", "algorithm", "value"],
        );
    }

    /// `Ctx::process`; the parent process (the same object nested in itself) is one JSON
    /// text column at the default recursion depth, so it is declared whole.
    fn process(&mut self, prefix: &str) {
        self.leaves(
            prefix,
            &[
                "pid",
                "name",
                "uid",
                "cmd_line",
                "auid",
                "euid",
                "egid",
                "parent_process",
            ],
        );
        self.file(&format!("{prefix}.file"));
        self.user(&format!("{prefix}.user"));
        self.leaves(&format!("{prefix}.group"), &["name", "uid"]);
        self.session(&format!("{prefix}.session"));
    }

    /// `Ctx::optional_actor`: the actor with the record's session.
    fn actor(&mut self, prefix: &str) {
        self.user(&format!("{prefix}.user"));
        self.process(&format!("{prefix}.process"));
        self.session(&format!("{prefix}.session"));
    }

    /// `Ctx::required_actor`: also `invoked_by` when the record names no actor.
    fn required_actor(&mut self) {
        self.actor("actor");
        self.leaves("actor", &["invoked_by"]);
    }

    /// The `security_control!` attributes.
    fn security_control(&mut self) {
        self.leaves(
            "",
            &["action", "action_id", "disposition", "disposition_id"],
        );
    }

    /// `connection`.
    fn connection(&mut self, prefix: &str) {
        self.leaves(
            prefix,
            &[
                "direction_id",
                "direction",
                "protocol_name",
                "protocol_num",
                "tcp_flags",
            ],
        );
        self.session(&format!("{prefix}.session"));
    }
}

/// What every class gets: the classification, `time`, `metadata`, the `common!` and
/// `outcome!` attributes, `observables` and `unmapped`.
fn common() -> Paths {
    let mut p = Paths(Vec::with_capacity(96));
    p.leaves(
        "",
        &[
            "class_uid",
            "class_name",
            "category_uid",
            "category_name",
            "activity_id",
            "activity_name",
            "type_uid",
            "type_name",
            "severity_id",
            "severity",
            "time",
            "message",
            "raw_data",
            "count",
            "status",
            "status_id",
            "status_detail",
            "status_code",
            "timezone_offset",
            "unmapped",
        ],
    );
    p.leaves("observables", &["name", "type", "type_id", "value"]);
    p.leaves(
        "metadata",
        &[
            "version",
            "log_name",
            "log_provider",
            "tenant_uid",
            "event_code",
            "uid",
            "correlation_uid",
            "labels",
            "log_level",
            "profiles",
        ],
    );
    p.leaves(
        "metadata.product",
        &["vendor_name", "name", "version", "feature.name"],
    );
    p
}

/// The paths of class `class_uid`; `None` for a class the renderer does not produce.
pub(crate) fn projection(class_uid: i32) -> Option<Projection> {
    let mut p = common();
    match class_uid {
        // Base Event: the device goes to `unmapped`.
        0 => {}
        // File System Activity.
        1001 => {
            p.required_actor();
            p.device();
            p.file("file");
            p.file("file_result");
            p.security_control();
        }
        // Module Activity.
        1005 => {
            p.required_actor();
            p.device();
            p.leaves("module", &["load_type_id", "load_type"]);
            p.file("module.file");
            p.security_control();
        }
        // Scheduled Job Activity.
        1006 => {
            p.device();
            p.leaves("job", &["name", "cmd_line"]);
            p.file("job.file");
            p.user("job.user");
            p.security_control();
            p.actor("actor");
        }
        // Process Activity.
        1007 => {
            p.required_actor();
            p.device();
            p.process("process");
            p.security_control();
            p.leaves("", &["exit_code"]);
        }
        // Detection Finding.
        2004 => {
            p.leaves("finding_info", &["title", "uid", "desc", "types"]);
            p.leaves("finding_info.analytic", &["type_id", "type", "uid", "name"]);
            p.leaves(
                "finding_info.attacks",
                &[
                    "technique.uid",
                    "technique.name",
                    "sub_technique.uid",
                    "version",
                    "tactic.uid",
                    "tactic.name",
                ],
            );
            p.security_control();
            p.leaves("", &["confidence_score"]);
            p.device();
            p.leaves(
                "malware",
                &["classification_ids", "classifications", "name", "path"],
            );
            p.leaves("vulnerabilities", &["cve.uid"]);
            p.endpoint("evidences.src_endpoint");
            p.endpoint("evidences.dst_endpoint");
            p.connection("evidences.connection_info");
            p.file("evidences.file");
            p.process("evidences.process");
            p.actor("evidences.actor");
        }
        // Account Change.
        3001 => {
            p.user("user");
            p.device();
            p.user("user_result");
            p.endpoint("src_endpoint");
            p.actor("actor");
        }
        // Authentication: the actor has no session (the event's own `session` holds it).
        3002 => {
            p.user("user");
            p.device();
            p.endpoint("src_endpoint");
            p.endpoint("dst_endpoint");
            p.leaves("service", &["name"]);
            p.session("session");
            p.user("actor.user");
            p.process("actor.process");
            p.leaves(
                "",
                &[
                    "auth_protocol",
                    "auth_protocol_id",
                    "logon_type",
                    "logon_type_id",
                    "is_remote",
                ],
            );
        }
        // Entity Management.
        3004 => {
            p.leaves("entity", &["name", "uid", "type"]);
            p.device();
            p.actor("actor");
        }
        // Group Management.
        3006 => {
            p.leaves("group", &["name", "uid"]);
            p.device();
            p.user("user");
            p.actor("actor");
        }
        // Network Activity.
        4001 => {
            p.endpoint("src_endpoint");
            p.endpoint("dst_endpoint");
            p.security_control();
            p.device();
            p.connection("connection_info");
            p.leaves("traffic", &["bytes", "bytes_in", "bytes_out", "packets"]);
            p.leaves("firewall_rule", &["uid", "name"]);
            p.leaves(
                "url",
                &[
                    "scheme",
                    "port",
                    "hostname",
                    "path",
                    "query_string",
                    "url_string",
                ],
            );
            p.leaves("", &["app_name"]);
            p.actor("actor");
        }
        // SSH Activity.
        4007 => {
            p.endpoint("src_endpoint");
            p.endpoint("dst_endpoint");
            p.security_control();
            p.device();
            p.connection("connection_info");
            p.actor("actor");
        }
        // Device Config State.
        5002 => {
            p.device();
            p.actor("actor");
        }
        // Application Lifecycle.
        6002 => {
            p.leaves("app", &["vendor_name", "name", "version", "uid"]);
            p.device();
            p.actor("actor");
        }
        _ => return None,
    }
    Some(Projection::new(class_uid, p.0))
}
