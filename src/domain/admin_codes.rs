//! The codes that admin forms and pages share: what an action did (passed
//! back in `?done=` after a form post without JavaScript, so that the page
//! can say so in its own words), and how a new user gets a password.

/// An enum of form or URL codes, each with its code on the wire.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == code)
            }
        }
    };
}

codes!(
    /// What an action on `/admin/users` did.
    UserDone {
        Invited => "invited",
        Added => "added",
        Saved => "saved",
        Disabled => "disabled",
        Enabled => "enabled",
        Deleted => "deleted",
        ResetSent => "reset_sent",
        LinkMade => "link_made",
        /// The user was added, but the mail server refused the invitation.
        InviteRefused => "invite_refused",
        /// The user was added; the invitation has not gone out yet.
        InviteQueued => "invite_queued",
        ResetRefused => "reset_refused",
        ResetQueued => "reset_queued",
        TwoStepOff => "two_step_off",
        GroupsSaved => "groups_saved",
    }
);

codes!(
    /// What a change on `/account/security` did.
    SecurityDone {
        AppOn => "app_on",
        AppOff => "app_off",
        Codes => "codes",
        PasskeyAdded => "passkey_added",
        PasskeyRemoved => "passkey_removed",
    }
);

codes!(
    /// What an action on `/admin/apps` did.
    AppDone {
        Added => "added",
        Saved => "saved",
        Rotated => "rotated",
        Removed => "removed",
    }
);

codes!(
    /// What an action on `/admin/groups` did.
    GroupDone {
        Created => "created",
        Deleted => "deleted",
        MemberAdded => "member_added",
        MemberRemoved => "member_removed",
    }
);

codes!(
    /// What an action on `/admin/mail` did.
    MailDone {
        Retried => "retried",
        TestQueued => "test_queued",
    }
);

codes!(
    /// How a user added by an admin gets a password (the add-user form's
    /// `setup` field).
    FirstPasswordChoice {
        /// A "set your password" mail (recommended).
        Invite => "invite",
        /// Typed now by the new user, who is with the admin.
        Here => "here",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_none() {
        for done in UserDone::ALL {
            assert_eq!(UserDone::parse(done.as_str()), Some(*done));
        }
        assert_eq!(AppDone::parse("rotated"), Some(AppDone::Rotated));
        assert_eq!(MailDone::parse("nope"), None);
        assert_eq!(
            FirstPasswordChoice::parse("here"),
            Some(FirstPasswordChoice::Here)
        );
    }
}
