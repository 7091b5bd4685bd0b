//! Password policy decisions and password-field classification. (Owned by the password work.)
