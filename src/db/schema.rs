//! Table definitions, written by hand in types that mean the same on SQLite and PostgreSQL.
//! Times in token tables are unix seconds (`BigInt`): they are compared with JWT `exp` values.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        password -> Text,
        is_active -> Bool,
        is_staff -> Bool,
        is_superuser -> Bool,
        date_joined -> Timestamp,
        last_login -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outstanding_tokens (id) {
        id -> BigInt,
        jti -> Text,
        user_id -> BigInt,
        sid -> Text,
        token_type -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    blacklisted_tokens (id) {
        id -> BigInt,
        jti -> Text,
        token_type -> Text,
        expires_at -> BigInt,
        blacklisted_at -> BigInt,
        successor_jti -> Nullable<Text>,
        successor_access_jti -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_sessions (sid) {
        sid -> Text,
        user_id -> BigInt,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    auth_groups (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
    }
}

diesel::table! {
    user_groups (user_id, group_id) {
        user_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::table! {
    auth_keys (id) {
        id -> BigInt,
        key_hash -> Text,
        sid -> Text,
        user_id -> BigInt,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    user_revocations (user_id) {
        user_id -> BigInt,
        not_before_ms -> BigInt,
        reason -> SmallInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    sessions (sid) {
        sid -> Text,
        user_id -> BigInt,
        kind -> Text,
        user_agent -> Text,
        address -> Text,
        created_at -> BigInt,
        last_used_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(user_groups -> auth_groups (group_id));
diesel::joinable!(user_groups -> users (user_id));
diesel::joinable!(auth_keys -> users (user_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    outstanding_tokens,
    blacklisted_tokens,
    revoked_sessions,
    auth_groups,
    user_groups,
    auth_keys,
    user_revocations,
    sessions,
    user_rights
);

diesel::table! {
    user_rights (user_id) {
        user_id -> BigInt,
        changed_at_ms -> BigInt,
        is_staff -> Bool,
        group_names -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        sealed_key -> Text,
        state -> Text,
        created_at -> BigInt,
        activated_at -> Nullable<BigInt>,
        retired_at -> Nullable<BigInt>,
        verify_until -> Nullable<BigInt>,
    }
}

diesel::table! {
    totp_devices (user_id) {
        user_id -> BigInt,
        secret -> Text,
        confirmed -> Bool,
        created_at -> BigInt,
        confirmed_at -> Nullable<BigInt>,
        last_step -> BigInt,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        cookie_mode -> Bool,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    dpop_proofs (proof_key) {
        proof_key -> Text,
        expires_at -> BigInt,
    }
}
