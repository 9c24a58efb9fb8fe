//! `Reset`: an object filled from its version's schema tables (every attribute, nested objects
//! included) and reset equals its default, in every compiled version. That every field is named
//! is checked by the compiler (the generated pattern has no `..`); this checks what each is set to.

use std::fmt::Debug;

use ocsf_model::Reset;
use ocsf_model::schema::SchemaVersion;
use serde::de::DeserializeOwned;

#[path = "support/sample.rs"]
mod sample;
use sample::Gen;

fn check<T: Reset + Default + DeserializeOwned + PartialEq + Debug>(
    schema: &'static SchemaVersion,
    name: &str,
) {
    let json = Gen {
        schema,
        full: true,
        max_nesting: 3,
    }
    .object(name)
    .unwrap_or_else(|| panic!("{} has no object {name}", schema.version));
    let mut object: T = serde_json::from_value(json)
        .unwrap_or_else(|e| panic!("{} {name}: not read back: {e}", schema.version));
    assert_ne!(object, T::default(), "{} {name}: filled", schema.version);
    object.reset();
    assert_eq!(object, T::default(), "{} {name}: reset", schema.version);
    object.reset();
    assert_eq!(
        object,
        T::default(),
        "{} {name}: reset twice",
        schema.version
    );

    // Members the version does not define are emptied too.
    let mut unknown: T = serde_json::from_value(serde_json::json!({"not_in_ocsf": [1, 2]}))
        .unwrap_or_else(|e| panic!("{} {name}: unknown member not read: {e}", schema.version));
    assert_ne!(unknown, T::default());
    unknown.reset();
    assert_eq!(unknown, T::default(), "{} {name}: unknown", schema.version);
}

macro_rules! reset_tests {
    ($feature:literal, $test:ident, $version:ident: $($ty:ident => $name:literal),+ $(,)?) => {
        #[cfg(feature = $feature)]
        #[test]
        fn $test() {
            use ocsf_model::$version::objects as o;
            $(check::<o::$ty>(&ocsf_model::$version::SCHEMA, $name);)+
        }
    };
}

reset_tests!("v1_0_0_rc2", objects_of_1_0_0_rc2, v1_0_0_rc2:
    Actor => "actor", Device => "device", NetworkEndpoint => "network_endpoint",
    Process => "process", User => "user", Metadata => "metadata", File => "file",
);
reset_tests!("v1_1_0", objects_of_1_1_0, v1_1_0:
    Actor => "actor", Device => "device", NetworkEndpoint => "network_endpoint",
    NetworkConnectionInfo => "network_connection_info", Process => "process", User => "user",
    Session => "session", Service => "service", Metadata => "metadata",
    Observable => "observable", File => "file",
);
reset_tests!("v1_3_0", objects_of_1_3_0, v1_3_0:
    Actor => "actor", Device => "device", NetworkEndpoint => "network_endpoint",
    Process => "process", User => "user", Metadata => "metadata", File => "file",
);
reset_tests!("v1_8_0", objects_of_1_8_0, v1_8_0:
    Actor => "actor", Device => "device", NetworkEndpoint => "network_endpoint",
    Process => "process", User => "user", Metadata => "metadata", File => "file",
);
