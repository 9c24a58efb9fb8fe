//! Objects emptied in place, for code that reuses them.

/// An object that can be set back to its default in place.
///
/// `reset` leaves the value equal to `Self::default()`: every attribute unset (its string,
/// box or list dropped) and `unknown` emptied. Assigning `Self::default()` does the same, but
/// builds a whole new value and moves it over the old one; `reset` writes each attribute where
/// it is. The generated implementations name every field of the struct without `..`, so a field
/// added to an object and not reset does not compile.
///
/// Every generated object implements it; classes, whose required attributes have no default,
/// do not.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::Reset;
/// use ocsf_model::v1_1_0::objects::NetworkEndpoint;
///
/// let mut endpoint = NetworkEndpoint::default();
/// endpoint.ip = Some("10.0.0.1".to_owned());
/// endpoint.port = Some(22);
/// endpoint.unknown.insert("x".to_owned(), serde_json::json!(1));
/// endpoint.reset();
/// assert_eq!(endpoint, NetworkEndpoint::default());
/// # }
/// ```
pub trait Reset {
    /// Sets every attribute to its default, in place.
    fn reset(&mut self);
}
