//! Password-field classification from a small descriptor the content script sends.
//!
//! Order of evidence, strongest first:
//! 1. `autocomplete` tokens (`new-password`, `current-password`): the page says it.
//! 2. Words of the field itself (name, id, label, placeholder, aria-label), English and French:
//!    "current/old/ancien/actuel" → current; "new/confirm/repeat/nouveau/confirmer…" → new.
//! 3. The form's shape: 3 password fields → current, new, confirm; 2 → new + confirm (sign-up,
//!    reset), or current + new when the form's context says "change".
//! 4. The form's context (submit text, URL path): sign-up/register/reset → new;
//!    login/sign in/connexion → login.
//! 5. A single password field beside a username or e-mail field → login.
//! 6. Otherwise unknown.

use serde::{Deserialize, Serialize};

/// Strings longer than this (in chars) are cut before matching; the caller cuts too.
pub const MAX_TEXT_CHARS: usize = 200;

/// What the content script knows about one password field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldInfo {
    pub autocomplete: Option<String>,
    pub name: Option<String>,
    pub id: Option<String>,
    pub placeholder: Option<String>,
    pub label_text: Option<String>,
    pub aria_label: Option<String>,
    /// Password fields in the same form (or the same shadow root / container without a form).
    pub form_password_count: u8,
    /// This field's position among them, from 0.
    pub index_in_form: u8,
    pub form_has_email_or_username: bool,
    pub submit_text: Option<String>,
    pub in_shadow_root: bool,
    pub url_path: String,
}

/// What a password field is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldKind {
    /// A password being chosen (sign-up, change, reset, its confirmation): judge its strength.
    NewPassword,
    /// The current password in a change or re-authentication form.
    CurrentPassword,
    /// The password of a sign-in form.
    Login,
    Unknown,
}

const NEW_WORDS: &[&str] = &[
    "new",
    "confirm",
    "confirmation",
    "repeat",
    "retype",
    "reenter",
    "verify",
    "again",
    "signup",
    "sign up",
    "register",
    "registration",
    "reset",
    "create",
    "choose",
    "nouveau",
    "nouvel",
    "nouvelle",
    "confirmer",
    "confirmez",
    "creer",
    "creez",
    "inscription",
    "inscrire",
    "reinitialiser",
    "reinitialisation",
];
const CHANGE_WORDS: &[&str] = &["change", "update", "modifier", "changer"];
const CURRENT_WORDS: &[&str] = &["current", "old", "existing", "previous", "ancien", "actuel", "precedent"];
const LOGIN_WORDS: &[&str] = &[
    "login",
    "log in",
    "logon",
    "log on",
    "signin",
    "sign in",
    "connexion",
    "connecter",
    "se connecter",
    "identifier",
];
/// Fragments glued to the keywords in names like `newPassword`, `confirmpwd`, `oldpass`.
const PASSWORD_FRAGMENTS: &[&str] = &["password", "passwd", "passe", "pass", "pwd", "pw", "mdp"];

/// Classifies one password field.
pub fn classify(f: &FieldInfo) -> FieldKind {
    if let Some(ac) = &f.autocomplete {
        let ac = cut(ac).to_ascii_lowercase();
        let tokens: Vec<&str> = ac.split_ascii_whitespace().collect();
        if tokens.contains(&"new-password") {
            return FieldKind::NewPassword;
        }
        if tokens.contains(&"current-password") {
            return current_or_login(f);
        }
    }
    let own = words(&[&f.name, &f.id, &f.placeholder, &f.label_text, &f.aria_label]);
    let own_current = has_any(&own, CURRENT_WORDS);
    let own_new = has_any(&own, NEW_WORDS);
    match (own_current, own_new) {
        (true, false) => return FieldKind::CurrentPassword,
        (false, true) => return FieldKind::NewPassword,
        _ => {}
    }
    let context = words(&[&f.submit_text, &Some(f.url_path.clone())]);
    let changing = has_any(&context, CHANGE_WORDS) || has_any(&own, CHANGE_WORDS);
    match f.form_password_count {
        3.. => {
            return if f.index_in_form == 0 { FieldKind::CurrentPassword } else { FieldKind::NewPassword };
        }
        2 => {
            return if f.index_in_form == 0 && changing {
                FieldKind::CurrentPassword
            } else {
                FieldKind::NewPassword
            };
        }
        _ => {}
    }
    if has_any(&context, NEW_WORDS) || changing {
        return FieldKind::NewPassword;
    }
    if has_any(&context, LOGIN_WORDS) || has_any(&own, LOGIN_WORDS) || f.form_has_email_or_username {
        return FieldKind::Login;
    }
    FieldKind::Unknown
}

/// `current-password`: the current password of a change form, or a login.
fn current_or_login(f: &FieldInfo) -> FieldKind {
    if f.form_password_count >= 2 {
        FieldKind::CurrentPassword
    } else if f.form_has_email_or_username {
        FieldKind::Login
    } else {
        let context = words(&[&f.submit_text, &Some(f.url_path.clone())]);
        if has_any(&context, CHANGE_WORDS) || has_any(&context, CURRENT_WORDS) {
            FieldKind::CurrentPassword
        } else {
            FieldKind::Login
        }
    }
}

fn cut(s: &str) -> &str {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The normalised words of some texts, as " w1 w2 … " (padded, so " sign in " matches whole
/// words): camelCase and punctuation split, lower case, French accents folded, and password
/// fragments split off (`newpassword` → `new password`).
fn words(texts: &[&Option<String>]) -> String {
    let mut out = String::from(" ");
    for text in texts.iter().filter_map(|t| t.as_deref()) {
        let mut word = String::new();
        let mut prev_lower = false;
        for c in cut(text).chars() {
            if c.is_alphanumeric() {
                if c.is_uppercase() && prev_lower {
                    push_word(&mut out, &word);
                    word.clear();
                }
                prev_lower = c.is_lowercase() || c.is_ascii_digit();
                word.extend(c.to_lowercase().map(fold));
            } else {
                push_word(&mut out, &word);
                word.clear();
                prev_lower = false;
            }
        }
        push_word(&mut out, &word);
    }
    out
}

fn push_word(out: &mut String, word: &str) {
    if word.is_empty() {
        return;
    }
    // Split one password fragment off a glued word: `confirmpassword`, `oldpwd`, `password2`;
    // a bare fragment (`pwd`, `mdp`) becomes `password`.
    let split = PASSWORD_FRAGMENTS
        .iter()
        .find_map(|frag| word.find(frag).map(|i| (&word[..i], &word[i + frag.len()..])));
    match split {
        Some((before, after)) => {
            for part in [before, "password", after] {
                if !part.is_empty() {
                    out.push_str(part);
                    out.push(' ');
                }
            }
        }
        None => {
            out.push_str(word);
            out.push(' ');
        }
    }
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'œ' => 'o',
        other => other,
    }
}

fn has_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| haystack.contains(&format!(" {n} ")))
}

#[cfg(test)]
mod tests;
