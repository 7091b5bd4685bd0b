//! Where each setting appears in the options page's "Advanced settings": one group per job, in
//! page order. A new key must choose its group here (the match is exhaustive on purpose).

use serde::Serialize;

use super::Key;

/// A group of settings (message key `options_group_<id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Group {
    Crms,
    Network,
    SignOut,
    Passwords,
    Exports,
    Reporting,
}

impl Group {
    /// Every group, in page order.
    pub const ALL: [Group; 6] =
        [Group::Crms, Group::Network, Group::SignOut, Group::Passwords, Group::Exports, Group::Reporting];

    pub fn id(self) -> &'static str {
        match self {
            Group::Crms => "crms",
            Group::Network => "network",
            Group::SignOut => "signOut",
            Group::Passwords => "passwords",
            Group::Exports => "exports",
            Group::Reporting => "reporting",
        }
    }
}

impl Key {
    /// The group this setting is shown in.
    pub fn group(self) -> Group {
        use Key::*;
        match self {
            CrmHosts | DisabledCrms | Tenants => Group::Crms,
            HttpsExceptionHosts
            | TrustedNetworkProbeUrl
            | TrustedNetworkExpectStatus
            | TrustedNetworkExpectBody
            | TrustedNetworkRequired
            | TrustedNetworkIntervalMinutes => Group::Network,
            IdleTimeoutMinutes | LogoutOnLock | WarningSeconds | ForceLogoutToken => Group::SignOut,
            PasswordMinLength | PasswordMinScore | PasswordMode | ReuseGuard | PhishingGuard
            | BreachCheckUrl | BreachCheckTimeoutMs => Group::Passwords,
            ExportTableMode
            | ExportReportMode
            | ExportOtherMode
            | ExportAllowHosts
            | ExportLogFileNames
            | ExportClipboardLog
            | ClipboardCharThreshold
            | ClipboardRowThreshold
            | ExportPrintLog
            | MfaCheck => Group::Exports,
            ReportingUrl | ReportingFormat | ReportingHmacSecret | ReportingToken | ReportingAuthHeader
            | ReportingBatchSize | EventLogSize => Group::Reporting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every group holds a setting, and the schema order never goes back to an earlier group
    /// (the page shows each group once).
    #[test]
    fn groups_follow_schema_order() {
        let groups: Vec<Group> = Key::ALL.iter().map(|k| k.group()).collect();
        assert!(groups.windows(2).all(|w| w[0] <= w[1]), "{groups:?}");
        for g in Group::ALL {
            assert!(groups.contains(&g), "{g:?} is empty");
        }
    }
}
