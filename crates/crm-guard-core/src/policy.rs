//! The one policy schema: every setting, its default, validation and the merge
//! defaults ← user options ← managed policy. (Owned by the IT-deployment work.)
