//! Which Trend Micro product sent a CEF / LEEF message, from the header's
//! vendor and product.

/// A Trend Micro product line the mappers know, named by a message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Product {
    /// Deep Security and its successors, which send the same events: Deep
    /// Security Agent / Manager / Virtual Appliance, Cloud One Workload
    /// Security, Vision One Server & Workload Protection.
    DeepSecurity(Edition),
    /// Apex One events, as Apex One or Apex Central (formerly Control Manager)
    /// forwards them.
    ApexOne,
    /// Trend Vision One (alerts and detections forwarded as CEF).
    VisionOne,
}

/// Which member of the Deep Security family sent an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Edition {
    /// Deep Security (software or the agent of any family member).
    DeepSecurity,
    /// Cloud One Workload Security.
    WorkloadSecurity,
    /// Vision One Server & Workload Protection.
    ServerWorkloadProtection,
}

/// Whether `vendor` names Trend Micro (`Trend Micro`, `TrendMicro`, and the
/// `TrendAI` brand of newer releases).
pub fn is_trend_vendor(vendor: &str) -> bool {
    let starts = |word: &str| {
        let mut letters = vendor
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase());
        word.bytes().all(|w| letters.next() == Some(w))
    };
    starts("trendmicro") || starts("trendai")
}

/// Whether `haystack` contains `needle` (ASCII lowercase) in any case.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The product line of a header's vendor and product; `None` for another
/// vendor or a Trend Micro product the mappers do not cover (Email Security,
/// ScanMail, TippingPoint, Deep Discovery, ...).
///
/// ```
/// use ocsf_mappers::trend_micro::{identify, Edition, Product};
///
/// assert_eq!(identify("Trend Micro", "Deep Security Agent"), Some(Product::DeepSecurity(Edition::DeepSecurity)));
/// assert_eq!(identify("Trend Micro", "Workload Security Manager"), Some(Product::DeepSecurity(Edition::WorkloadSecurity)));
/// assert_eq!(identify("Trend Micro", "Apex Central"), Some(Product::ApexOne));
/// assert_eq!(identify("TrendAI\u{2122}", "Apex One"), Some(Product::ApexOne));
/// assert_eq!(identify("Trend Micro", "TMES"), None);
/// assert_eq!(identify("Acme", "Deep Security Agent"), None);
/// ```
pub fn identify(vendor: &str, product: &str) -> Option<Product> {
    if !is_trend_vendor(vendor) {
        return None;
    }
    let has = |w: &str| contains_ci(product, w);
    if has("deep security") || has("vulnerability protection") {
        return Some(Product::DeepSecurity(Edition::DeepSecurity));
    }
    if has("server & workload") || has("server and workload") || has("server workload") {
        return Some(Product::DeepSecurity(Edition::ServerWorkloadProtection));
    }
    if has("workload security") || has("cloud one") {
        return Some(Product::DeepSecurity(Edition::WorkloadSecurity));
    }
    if has("apex one") || has("apex central") || has("control manager") || has("officescan") {
        return Some(Product::ApexOne);
    }
    if has("vision one") {
        return Some(Product::VisionOne);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_each_product() {
        let ds = Some(Product::DeepSecurity(Edition::DeepSecurity));
        for (vendor, product, want) in [
            ("Trend Micro", "Deep Security Manager", ds),
            ("Trend Micro", "Deep Security Virtual Appliance", ds),
            ("TrendMicro", "Vulnerability Protection Agent", ds),
            (
                "Trend Micro",
                "Server & Workload Protection",
                Some(Product::DeepSecurity(Edition::ServerWorkloadProtection)),
            ),
            (
                "Trend Micro",
                "Cloud One Workload Security",
                Some(Product::DeepSecurity(Edition::WorkloadSecurity)),
            ),
            (
                "Trend Micro Inc.",
                "Control Manager",
                Some(Product::ApexOne),
            ),
            ("Trend Micro", "OfficeScan", Some(Product::ApexOne)),
            ("Trend Micro", "Vision One", Some(Product::VisionOne)),
            ("Trend Micro", "Deep Discovery Inspector", None),
            ("Trend Micro", "", None),
            ("", "Apex One", None),
            ("Trend", "Apex One", None),
        ] {
            assert_eq!(identify(vendor, product), want, "{vendor} / {product}");
        }
    }
}
