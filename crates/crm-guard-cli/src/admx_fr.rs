//! French titles and explanations of the keys for `fr-FR/crm-guard.adml`. A key without its
//! French text makes `policy template --for windows-admx` fail (and the tidy test with it).

use crm_guard_core::policy::Key;

/// (title, explanation) in French.
pub fn text(key: Key) -> Option<(&'static str, &'static str)> {
    Some(match key {
        Key::CrmHosts => ("CRM auto-hébergés", "Hôtes de CRM supplémentaires à protéger : un motif d'hôte (crm.acme.com ou *.crm.acme.com) ou un objet {\"name\", \"hosts\": [motifs], \"logoutUrl\": \"https://...\"}."),
        Key::DisabledCrms => ("CRM ignorés", "Identifiants du catalogue des CRM que CRM Guard ignore (voir `crm-guard catalog`)."),
        Key::Tenants => ("Locataires de votre organisation", "Par identifiant de CRM, les locataires de votre organisation : motifs d'hôte sous les hôtes de ce CRM (acme.my.salesforce.com, acme--*.sandbox.my.salesforce.com…) ou, pour HubSpot, des identifiants de portail. Une page d'un autre locataire est « hors de votre organisation »."),
        Key::HttpsExceptionHosts => ("Exceptions HTTPS", "Motifs d'hôte où l'utilisateur peut continuer en http après un avertissement."),
        Key::TrustedNetworkProbeUrl => ("URL de sonde du réseau de confiance", "Une URL https joignable seulement depuis le réseau de l'entreprise ; CRM Guard la consulte pour savoir que le réseau est de confiance."),
        Key::TrustedNetworkExpectStatus => ("Statut attendu de la sonde", "Le statut HTTP que renvoie l'URL de sonde sur le réseau de confiance. Par défaut : 200."),
        Key::TrustedNetworkExpectBody => ("Contenu attendu de la sonde", "Texte que la réponse de la sonde doit contenir (1024 caractères au plus)."),
        Key::TrustedNetworkRequired => ("Réseau de confiance obligatoire", "Activé : un onglet CRM hors du réseau de confiance est à risque ; désactivé (par défaut) : c'est un avertissement."),
        Key::TrustedNetworkIntervalMinutes => ("Intervalle de vérification du réseau", "Minutes entre deux sondes du réseau de confiance (1 à 1440). Par défaut : 5."),
        Key::IdleTimeoutMinutes => ("Délai d'inactivité", "Minutes sans activité avant que CRM Guard ne déconnecte les CRM (1 à 1440). Par défaut : 15."),
        Key::LogoutOnLock => ("Déconnexion au verrouillage de l'écran", "Déconnecter les CRM quand l'écran se verrouille. Par défaut : activé."),
        Key::WarningSeconds => ("Avertissement d'inactivité", "Secondes d'avertissement avant une déconnexion pour inactivité (10 à 600). Par défaut : 60."),
        Key::ForceLogoutToken => ("Jeton de déconnexion forcée", "Un texte quelconque (256 caractères au plus). Quand il change, chaque navigateur se déconnecte aussitôt de tous les CRM."),
        Key::PasswordMinLength => ("Longueur minimale du mot de passe", "Longueur minimale d'un mot de passe de CRM (8 à 128). Par défaut : 12."),
        Key::PasswordMinScore => ("Robustesse minimale du mot de passe", "Score zxcvbn minimal d'un mot de passe de CRM, de 0 (le plus faible) à 4 (le plus fort). Par défaut : 3."),
        Key::PasswordMode => ("Traitement des mots de passe faibles", "« warn » (par défaut) affiche un avertissement ; « block » refuse l'envoi d'un mot de passe de CRM faible."),
        Key::ReuseGuard => ("Contrôle de la réutilisation", "Avertir quand le mot de passe d'un CRM est utilisé sur un autre CRM. Par défaut : activé."),
        Key::PhishingGuard => ("Protection contre l'hameçonnage", "Alerter quand un mot de passe de CRM est saisi sur un site qui n'est pas un CRM (demande l'accès à tous les sites). Par défaut : désactivé."),
        Key::BreachCheckUrl => ("URL de vérification des mots de passe divulgués", "Une URL https d'un service de plages k-anonymes de mots de passe (votre miroir, ou https://api.pwnedpasswords.com/range/). CRM Guard y ajoute les 5 premiers chiffres hexadécimaux du SHA-1 du mot de passe et compare la réponse localement : ni le mot de passe ni son empreinte complète ne quittent le navigateur. Un mot de passe divulgué compte comme très faible. Non définie (par défaut) : pas de vérification."),
        Key::BreachCheckTimeoutMs => ("Délai de la vérification des mots de passe divulgués", "Millisecondes d'attente du service de plages (500 à 10000). Au-delà, l'indicateur affiche « vérification impossible » et le mot de passe est jugé sur sa seule robustesse. Par défaut : 3000."),
        Key::ExportTableMode => ("Exports de tableaux depuis un CRM", "Téléchargements d'enregistrements depuis un CRM (CSV, XLSX/XLS, VCF, JSON, sauvegardes ZIP ; exports natifs de rapports et de données) : « off », « log » (par défaut), « warn » (l'utilisateur donne un motif avant l'enregistrement du fichier) ou « block »."),
        Key::ExportReportMode => ("Exports de rapports et vues imprimables", "Téléchargements de rapports et de vues imprimables (PDF) : « off », « log » (par défaut), « warn » ou « block »."),
        Key::ExportOtherMode => ("Autres fichiers depuis un CRM", "Tout autre téléchargement depuis une page de CRM (pièces jointes, images) : « off » (par défaut), « log », « warn » ou « block »."),
        Key::ExportAllowHosts => ("Hôtes de CRM autorisés à exporter", "Motifs d'hôte des locataires de CRM dont les exports ne sont jamais retenus ni bloqués (toujours journalisés sauf si le type est « off »)."),
        Key::ExportLogFileNames => ("Noms de fichiers dans les événements d'export", "Comment un événement d'export nomme le fichier : « none » (par défaut), « hashed » (les 16 premiers chiffres hexadécimaux de son SHA-256) ou « full »."),
        Key::ExportClipboardLog => ("Journaliser les grosses copies", "Journaliser une copie dans le presse-papiers depuis une page de CRM au-delà d'un des seuils (sa taille seulement, jamais le texte). Par défaut : activé."),
        Key::ClipboardCharThreshold => ("Grosse copie : caractères", "Une copie d'au moins ce nombre de caractères est journalisée (1 à 10000000). Par défaut : 2000."),
        Key::ClipboardRowThreshold => ("Grosse copie : lignes de tableau", "Une copie d'au moins ce nombre de lignes de tableau est journalisée (1 à 1000000). Par défaut : 50."),
        Key::ExportPrintLog => ("Journaliser l'impression", "Journaliser l'impression d'une page de CRM. Par défaut : activé."),
        Key::MfaCheck => ("Contrôle de la double authentification", "Signaler une connexion à un CRM terminée sans second facteur observé (constat informatif et événement). Par défaut : activé."),
        Key::ReportingUrl => ("Point de collecte des événements", "Une URL https qui reçoit les événements de sécurité au format reportingFormat : l'URL complète (…/v1/logs d'un collecteur OTLP, …/services/collector/event de Splunk). Non définie : pas d'envoi."),
        Key::ReportingFormat => ("Format des événements", "« crm-guard » (par défaut) : lots JSON signés ; « otlp » : journaux OpenTelemetry OTLP/HTTP JSON ; « splunk-hec » : Splunk HTTP Event Collector (demande reportingToken)."),
        Key::ReportingToken => ("Jeton du récepteur", "L'identifiant du récepteur : envoyé en « Authorization: Bearer <jeton> » (otlp) ou « Authorization: Splunk <jeton> » (splunk-hec, obligatoire), ou tel quel dans reportingAuthHeader si défini. Secret : jamais affiché ni exporté."),
        Key::ReportingAuthHeader => ("En-tête du jeton", "Un nom d'en-tête (X-Api-Key, ou Authorization pour une valeur « ApiKey … ») qui porte reportingToken tel quel à la place de l'en-tête Authorization du format."),
        Key::ReportingHmacSecret => ("Secret de signature", "La clé HMAC-SHA256 qui signe les lots d'événements (16 à 256 caractères). Obligatoire avec le format crm-guard."),
        Key::ReportingBatchSize => ("Taille des lots", "Événements par envoi (1 à 500). Par défaut : 50."),
        Key::EventLogSize => ("Taille du journal", "Événements de sécurité conservés dans le navigateur (100 à 10000). Par défaut : 1000."),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}
